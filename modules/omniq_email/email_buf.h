/*
 * email_buf.h - the one writer every clean text of omniq_email goes through (internal to
 * email_text.c and email_html.c): a growing buffer that takes whole characters only, drops
 * what must not be stored (NUL, controls but LF and tab, a leading BOM), turns CRLF and CR
 * into LF and ill-formed UTF-8 into U+FFFD, and refuses what would take it past its limit,
 * so no path can store a control or write past a bound.
 */
#ifndef OMNIQ_EMAIL_BUF_H
#define OMNIQ_EMAIL_BUF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "omniq/omniq_utf8.h"

#define EMAIL_REPLACEMENT 0xfffd

typedef struct buf {
	char *p;
	size_t len, cap;
	size_t limit; /* bytes a character may not take the text past */
	int over;     /* a character did not fit: nothing more goes in */
	int oom;
	int cr;       /* the last character taken was a CR, written as LF: drop an LF after it */
} buf_t;

static inline void buf_init(buf_t *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

/* Room for n more bytes and a NUL. */
static inline int buf_room(buf_t *b, size_t n)
{
	size_t cap;
	char *p;

	if(b->oom)
		return -1;
	if(b->len + n + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while(cap < b->len + n + 1)
		cap = cap > SIZE_MAX / 2 ? b->len + n + 1 : cap * 2;
	if((p = realloc(b->p, cap)) == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

/* The result: NUL-terminated (an empty text is "", not NULL), or NULL out of memory. */
static inline char *buf_done(buf_t *b, size_t *out_len, int *over)
{
	if(buf_room(b, 0) < 0) {
		free(b->p);
		b->p = NULL;
		b->len = 0;
	} else {
		b->p[b->len] = '\0';
	}
	if(out_len)
		*out_len = b->len;
	if(over)
		*over = b->over;
	return b->p;
}

/* One whole character, or none and the text is over its limit. */
static inline void put_cp(buf_t *b, uint32_t cp)
{
	unsigned char o[4];
	size_t n;

	if(b->over || b->oom)
		return;
	if((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = EMAIL_REPLACEMENT;
	n = omniq_utf8_put(cp, o);
	if(b->len + n > b->limit) {
		b->over = 1;
		return;
	}
	if(buf_room(b, n) < 0)
		return;
	memcpy(b->p + b->len, o, n);
	b->len += n;
}

static inline int is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

/* A body's character: CRLF and CR as LF, controls but LF and tab and a leading BOM dropped. */
static inline void put_text(buf_t *b, uint32_t cp)
{
	if(cp == '\n' && b->cr) {
		b->cr = 0;
		return;
	}
	b->cr = cp == '\r';
	if(cp == '\r')
		cp = '\n';
	if((is_control(cp) && cp != '\n' && cp != '\t') || (cp == 0xfeff && b->len == 0))
		return;
	put_cp(b, cp);
}

/* Bytes that should be UTF-8 into b: each ill-formed sequence as one U+FFFD. The
 * sequences replaced. */
static inline size_t feed_utf8(buf_t *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, bad, nbad = 0;
	uint32_t cp;

	while(i < n && !b->over && !b->oom) {
		if((k = omniq_utf8_next(p + i, n - i, &cp, &bad)) == 0) {
			put_text(b, EMAIL_REPLACEMENT);
			i += bad;
			nbad++;
		} else {
			put_text(b, cp);
			i += k;
		}
	}
	return nbad;
}

static inline int valid_utf8(const char *s, size_t n, int *eight_bit)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, bad;
	uint32_t cp;

	*eight_bit = 0;
	while(i < n) {
		if((k = omniq_utf8_next(p + i, n - i, &cp, &bad)) == 0)
			return 0;
		if(k > 1)
			*eight_bit = 1;
		i += k;
	}
	return 1;
}

#endif
