/*
 * omniq_utf8.h - reading UTF-8 one character at a time, the same way in every omniq module
 * that turns a provider's bytes into a message body (WeChat, SMS): a well-formed character,
 * or the ill-formed bytes one U+FFFD replaces, so that a customer's text is never dropped
 * for one bad byte and never reaches the core (which refuses ill-formed UTF-8) as it came.
 * Writing one is here too. Pure: no Kamailio, no allocation.
 */
#ifndef OMNIQ_UTF8_H
#define OMNIQ_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define OMNIQ_UTF8_REPLACEMENT "\xef\xbf\xbd" /* U+FFFD, 3 bytes */

/* The well-formed UTF-8 character at p (left bytes, left > 0): its length 1..4 and its
 * code point in *cp; or 0 and in *bad the bytes of the ill-formed sequence one U+FFFD
 * replaces (Unicode's "maximal subpart": a valid start and its valid continuations go
 * together, the byte that breaks them is looked at afresh). Never reads past left. */
static inline size_t omniq_utf8_next(const unsigned char *p, size_t left, uint32_t *cp, size_t *bad)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;
	uint32_t c;

	if(p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if(p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if(p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
		if(p[0] == 0xe0)
			lo = 0xa0; /* no overlong form */
		else if(p[0] == 0xed)
			hi = 0x9f; /* no UTF-16 surrogate */
	} else if(p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
		if(p[0] == 0xf0)
			lo = 0x90; /* no overlong form */
		else if(p[0] == 0xf4)
			hi = 0x8f; /* nothing past U+10FFFF */
	} else {
		*bad = 1; /* a stray continuation byte, C0, C1 or F5..FF */
		return 0;
	}
	for(i = 1; i < n; i++) {
		if(i >= left || p[i] < lo || p[i] > hi) {
			*bad = i;
			return 0;
		}
		c = (c << 6) | (p[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = c;
	return n;
}

/* Code point cp (at most U+10FFFF, no surrogate: the caller's to check) as UTF-8 into b:
 * its length 1..4. */
static inline size_t omniq_utf8_put(uint32_t cp, unsigned char b[4])
{
	if(cp < 0x80) {
		b[0] = (unsigned char)cp;
		return 1;
	}
	if(cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if(cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (unsigned char)(0xf0 | (cp >> 18));
	b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	b[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

#endif
