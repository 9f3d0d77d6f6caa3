/*
 * sms_charset.h - a text/plain body in the charset its Content-Type names, as UTF-8: an
 * SMS gateway may send GB2312/GBK/GB18030, Big5, ISO-8859-x, Windows-125x or UTF-16 as
 * well as UTF-8. Through glibc's iconv; a byte the charset gives no meaning becomes U+FFFD
 * (the rest of the message is kept, as sms_decode() does).
 *
 * Pure (no Kamailio, no Redis): the unit tests run it alone.
 */
#ifndef OMNIQ_SMS_CHARSET_H
#define OMNIQ_SMS_CHARSET_H

#include <stddef.h>

#define SMS_CHARSET_MAX 40

/* in (len bytes, charset; NULL or "" is UTF-8) into out as UTF-8, NUL-terminated, its
 * length in *out_len. 0; -2 with why for a charset iconv does not know (the caller's 415);
 * -1 with why when out is too small (out then holds whole characters that fitted). */
int sms_to_utf8(const char *charset, const char *in, size_t len, char *out, size_t size,
		size_t *out_len, char *why, size_t wsize);

/* A Content-Type value (len bytes): its media type lowercased without parameters ("text/plain")
 * into type, its charset parameter unquoted into charset ("" when none; cut to csize - 1).
 * 0, or -1 for an empty type or one longer than tsize - 1. */
int sms_content_type(const char *v, size_t len, char *type, size_t tsize, char *charset,
		size_t csize);

#endif
