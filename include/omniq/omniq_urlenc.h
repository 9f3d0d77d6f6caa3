/*
 * omniq_urlenc.h - percent-encoding of a value for a URL query or a form body, as RFC 3986
 * leaves unreserved only A-Z a-z 0-9 - . _ ~ (a space is %20, a '+' %2B): one way for
 * every module that builds a provider request, a hex digit read back, and bytes as lower-case
 * hex (a digest, a MAC, a random key). Pure (no Kamailio): unit tests include it.
 */
#ifndef OMNIQ_URLENC_H
#define OMNIQ_URLENC_H

#include <stddef.h>

/* s (len bytes) percent-encoded into out (all but A-Z a-z 0-9 - . _ ~), NUL-terminated:
 * its length, or -1 when it does not fit. */
static inline int omniq_url_encode(const char *s, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0, i;

	for(i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
				|| c == '-' || c == '_' || c == '.' || c == '~') {
			if(n + 1 >= size)
				return -1;
			out[n++] = (char)c;
		} else {
			if(n + 3 >= size)
				return -1;
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	if(n >= size)
		return -1;
	out[n] = '\0';
	return (int)n;
}

/* A hex digit's value (either case), or -1: for reading %XX escapes and hex entities. */
static inline int omniq_hex_digit(int c)
{
	if(c >= '0' && c <= '9')
		return c - '0';
	if(c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if(c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n bytes as 2n lower-case hex digits and a NUL into out (2n + 1 bytes). */
static inline void omniq_hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for(i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

#endif
