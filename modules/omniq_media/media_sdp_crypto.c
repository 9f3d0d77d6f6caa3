/*
 * media_sdp_crypto.c - one a=crypto line (RFC 4568 §9.2), see media_sdp_crypto_parse() in
 * media_sdp.h.
 *
 *   a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4
 *            tag suite                        key||salt (base64)                lifetime MKI
 *
 * What we honour, and why:
 *  - one key only: several keys (';') exist for rekeying by MKI, which a queued call of a
 *    few minutes does not need;
 *  - a lifetime is the number of packets the offerer's own key may protect; it binds the
 *    offerer, not us, so any lifetime up to the suites' 2^48 is taken (and kept);
 *  - an MKI of 1 to 4 bytes: the offerer puts it in each packet, our receiving context
 *    expects it (libsrtp's MKI support); longer MKIs are refused;
 *  - session parameters: WSH= (the replay window, 64 to 32767) and KDR=0 (no key
 *    derivation rate: what libsrtp does anyway); those starting with '-' are optional and
 *    ignored (§6.3.7); any other (UNENCRYPTED_SRTP, FEC_ORDER=..., KDR=n) makes the line
 *    unusable, since libsrtp cannot honour them.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "media_sdp.h"
#include "media_text.h"

#define W MEDIA_WHY_MAX
#define LIFETIME_MAX (1ULL << 48)

static int lifetime(media_crypto_t *c, const char *s, size_t n)
{
	uint64_t v;

	if(n > 2 && s[0] == '2' && s[1] == '^') {
		if(media_num(s + 2, n - 2, 48, &v) < 0)
			return -1;
		c->lifetime = 1ULL << v;
		return 0;
	}
	if(media_num(s, n, LIFETIME_MAX, &v) < 0 || v == 0)
		return -1;
	c->lifetime = v;
	return 0;
}

/* "<value>:<length>", length in bytes */
static int mki(media_crypto_t *c, const char *s, size_t n, char *why)
{
	const char *colon = memchr(s, ':', n);
	uint64_t v, len;

	if(colon == NULL || media_num(s, (size_t)(colon - s), UINT64_MAX, &v) < 0
			|| media_num(colon + 1, (size_t)(s + n - colon - 1), 128, &len) < 0 || len == 0)
		return media_why(why, W, -1,
				"a=crypto:%lu MKI must be <value>:<length 1-128>", c->tag);
	if(len > 4)
		return media_why(why, W, -1,
				"a=crypto:%lu MKI of %llu bytes is not supported (1-4)", c->tag,
				(unsigned long long)len);
	if(len < 4 && v >= 1ULL << (8 * len))
		return media_why(why, W, -1, "a=crypto:%lu MKI value does not fit %llu bytes",
				c->tag, (unsigned long long)len);
	if(v > UINT32_MAX)
		return media_why(why, W, -1, "a=crypto:%lu MKI value does not fit 4 bytes",
				c->tag);
	c->mki = (uint32_t)v;
	c->mki_len = (int)len;
	return 0;
}

/* "inline:<key||salt>[|lifetime][|mki:len]" */
static int key_params(media_crypto_t *c, media_str_t k, char *why)
{
	const char *p, *e = k.s + k.n, *bar;
	unsigned char raw[96];
	int n, want, fields = 0;
	char q[MEDIA_CLIP_MAX];

	if(memchr(k.s, ';', k.n))
		return media_why(why, W, -1,
				"a=crypto:%lu offers several keys; one key without rekeying is supported",
				c->tag);
	if(k.n < 7 || strncasecmp(k.s, "inline:", 7) != 0) {
		media_clip(k.s, k.n, q);
		return media_why(why, W, -1, "a=crypto:%lu key '%s' is not inline:<key>", c->tag,
				q);
	}
	p = k.s + 7;
	bar = memchr(p, '|', (size_t)(e - p));
	if((bar ? bar : e) - p > 4 * (long)sizeof raw / 3)
		return media_why(why, W, -1, "a=crypto:%lu key is longer than any suite's", c->tag);
	n = media_b64_decode(p, (size_t)((bar ? bar : e) - p), raw, sizeof raw);
	if(n < 0)
		return media_why(why, W, -1, "a=crypto:%lu key is not base64", c->tag);
	want = media_suite_keysalt_len(c->suite);
	if(n != want)
		return media_why(why, W, -1,
				"a=crypto:%lu key||salt of %d bytes; %s needs %d (%d key + %d salt)",
				c->tag, n, media_suite_name(c->suite), want,
				media_suite_key_len(c->suite), media_suite_salt_len(c->suite));
	memcpy(c->key, raw, (size_t)n);
	c->key_len = n;
	while(bar) {
		p = bar + 1;
		bar = memchr(p, '|', (size_t)(e - p));
		n = (int)((bar ? bar : e) - p);
		if(++fields > 2)
			return media_why(why, W, -1, "a=crypto:%lu key has more than lifetime and MKI",
					c->tag);
		if(memchr(p, ':', (size_t)n)) {
			if(c->mki_len)
				return media_why(why, W, -1, "a=crypto:%lu key has two MKIs", c->tag);
			if(mki(c, p, (size_t)n, why) < 0)
				return -1;
		} else if(c->lifetime || c->mki_len || lifetime(c, p, (size_t)n) < 0) {
			media_clip(p, (size_t)n, q);
			return media_why(why, W, -1,
					"a=crypto:%lu lifetime '%s' must be 2^n or a number, at most 2^48, "
					"before the MKI",
					c->tag, q);
		}
	}
	return 0;
}

static int session_param(media_crypto_t *c, media_str_t t, char *why)
{
	uint64_t v;
	char q[MEDIA_CLIP_MAX];

	if(t.n > 0 && t.s[0] == '-')
		return 0;
	if(t.n > 4 && memcmp(t.s, "WSH=", 4) == 0 && media_num(t.s + 4, t.n - 4, 32767, &v) == 0
			&& v >= 64) {
		c->wsh = (int)v;
		return 0;
	}
	if(media_str_is(t, "KDR=0"))
		return 0;
	media_clip(t.s, t.n, q);
	return media_why(why, W, -1, "a=crypto:%lu session parameter '%s' is not supported",
			c->tag, q);
}

static int crypto_parse(const char *s, size_t n, media_crypto_t *c, char *why)
{
	const char *p = s, *e = s + n;
	media_str_t tag, suite, key, param;
	uint64_t v;
	char q[MEDIA_CLIP_MAX];

	memset(c, 0, sizeof *c);
	if(!media_tok(&p, e, &tag) || tag.n > 9 || media_num(tag.s, tag.n, 999999999, &v) < 0)
		return media_why(why, W, -1, "a=crypto must begin with a tag of 1 to 9 digits");
	c->tag = (unsigned long)v;
	if(!media_tok(&p, e, &suite) || !media_tok(&p, e, &key))
		return media_why(why, W, -1, "a=crypto:%lu needs a suite and a key", c->tag);
	c->suite = media_suite_by_name(suite.s, suite.n);
	if(c->suite == MEDIA_SUITE_NONE) {
		media_clip(suite.s, suite.n, q);
		return media_why(why, W, -1, "a=crypto:%lu suite '%s' is not supported", c->tag,
				q);
	}
	if(key_params(c, key, why) < 0)
		return -1;
	while(media_tok(&p, e, &param))
		if(session_param(c, param, why) < 0)
			return -1;
	c->usable = 1;
	return 0;
}

int media_sdp_crypto_parse(const char *s, size_t n, media_crypto_t *c, char *why)
{
	if(crypto_parse(s, n, c, why) == 0)
		return 0;
	/* an unusable line keeps its tag and suite for messages, never a key */
	memset(c->key, 0, sizeof c->key);
	c->key_len = 0;
	c->usable = 0;
	return -1;
}
