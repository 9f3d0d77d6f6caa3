/*
 * media_text.h - the few text helpers omniq_media's parsers and writers share: tokens of a
 * bounded buffer, strict decimal numbers, a reason with a quoted part made safe for a SIP
 * Warning header, and an appender that never writes past its buffer.
 *
 * Every input here is (pointer, length), never NUL-terminated, so a parser never reads past
 * what it was given; every output is bounded by its size and NUL-terminated.
 */
#ifndef OMNIQ_MEDIA_TEXT_H
#define OMNIQ_MEDIA_TEXT_H

#include <stddef.h>
#include <stdint.h>

typedef struct media_str {
	const char *s;
	size_t n;
} media_str_t;

/* The next token of *p..e separated by spaces or tabs into t, *p moved past it: 1, or 0
 * when only blanks are left. */
int media_tok(const char **p, const char *e, media_str_t *t);

/* Whether t is exactly the text lit. */
int media_str_is(media_str_t t, const char *lit);

/* s (n bytes) as a decimal number of 1 to 20 digits no larger than max into *v: 0, or -1
 * (no digits, anything else, too large). */
int media_num(const char *s, size_t n, uint64_t max, uint64_t *v);

/* A copy of s (n bytes) fit to quote in a reason: bytes outside printable ASCII and '"',
 * '\' become '?', and more than 32 bytes end in "...". out is at least 40 bytes. */
#define MEDIA_CLIP_MAX 40
void media_clip(const char *s, size_t n, char *out);

/* printf into why (size bytes, may be NULL) and return code: `return media_why(why, ...)` */
int media_why(char *why, size_t size, int code, const char *fmt, ...)
		__attribute__((format(printf, 4, 5)));

/* An output buffer filled by media_put: once something does not fit, over is set, the
 * buffer keeps what fitted (NUL-terminated) and later puts do nothing. */
typedef struct media_buf {
	char *p;
	size_t size, len;
	int over;
} media_buf_t;

void media_buf_init(media_buf_t *b, char *p, size_t size);
void media_put(media_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
