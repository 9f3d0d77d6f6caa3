/*
 * media_suite.c - see media_suite.h. The table is indexed by media_suite_t.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "media_suite.h"

static const struct {
	const char *name;
	int key, salt;
} suites[MEDIA_SUITE_COUNT] = {
		[MEDIA_SUITE_NONE] = {"none", 0, 0},
		[MEDIA_AES_CM_128_HMAC_SHA1_80] = {"AES_CM_128_HMAC_SHA1_80", 16, 14},
		[MEDIA_AES_CM_128_HMAC_SHA1_32] = {"AES_CM_128_HMAC_SHA1_32", 16, 14},
		[MEDIA_AES_256_CM_HMAC_SHA1_80] = {"AES_256_CM_HMAC_SHA1_80", 32, 14},
		[MEDIA_AES_256_CM_HMAC_SHA1_32] = {"AES_256_CM_HMAC_SHA1_32", 32, 14},
		[MEDIA_AEAD_AES_128_GCM] = {"AEAD_AES_128_GCM", 16, 12},
		[MEDIA_AEAD_AES_256_GCM] = {"AEAD_AES_256_GCM", 32, 12},
};

static int valid(media_suite_t s)
{
	return s > MEDIA_SUITE_NONE && s < MEDIA_SUITE_COUNT;
}

media_suite_t media_suite_by_name(const char *s, size_t n)
{
	int i;

	for(i = MEDIA_SUITE_NONE + 1; i < MEDIA_SUITE_COUNT; i++)
		if(strlen(suites[i].name) == n && memcmp(suites[i].name, s, n) == 0)
			return (media_suite_t)i;
	return MEDIA_SUITE_NONE;
}

const char *media_suite_name(media_suite_t s)
{
	return valid(s) ? suites[s].name : "none";
}

int media_suite_key_len(media_suite_t s)
{
	return valid(s) ? suites[s].key : 0;
}

int media_suite_salt_len(media_suite_t s)
{
	return valid(s) ? suites[s].salt : 0;
}

int media_suite_keysalt_len(media_suite_t s)
{
	return valid(s) ? suites[s].key + suites[s].salt : 0;
}

const char *media_suite_all_names(void)
{
	return "AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AES_256_CM_HMAC_SHA1_80, "
		   "AES_256_CM_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM";
}

int media_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t got;

	while(n > 0) {
		got = getrandom(p, n, 0);
		if(got < 0) {
			if(errno == EINTR)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int media_suite_new_key(media_suite_t s, unsigned char *key, size_t size, char *why)
{
	int n = media_suite_keysalt_len(s);

	if(n == 0) {
		snprintf(why, MEDIA_SUITE_WHY_MAX, "no crypto suite to make a key for");
		return -1;
	}
	if((size_t)n > size) {
		snprintf(why, MEDIA_SUITE_WHY_MAX, "%s needs %d bytes of key, room for %zu",
				suites[s].name, n, size);
		return -1;
	}
	if(media_random(key, (size_t)n) < 0) {
		snprintf(why, MEDIA_SUITE_WHY_MAX, "getrandom: %s", strerror(errno));
		return -1;
	}
	return n;
}

static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int media_b64_encode(const unsigned char *in, size_t n, char *out, size_t size)
{
	size_t i, o = 0, need = ((n + 2) / 3) * 4 + 1;
	unsigned v;

	if(need > size)
		return -1;
	for(i = 0; i + 2 < n; i += 3) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if(i < n) {
		v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

static int b64_value(char c)
{
	if(c >= 'A' && c <= 'Z')
		return c - 'A';
	if(c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if(c >= '0' && c <= '9')
		return c - '0' + 52;
	if(c == '+')
		return 62;
	if(c == '/')
		return 63;
	return -1;
}

int media_b64_decode(const char *s, size_t n, unsigned char *out, size_t size)
{
	size_t i, o = 0, pad = 0;
	unsigned acc = 0;
	int bits = 0, v;

	/* '=' only as the last one or two characters of a text whose length is then a
	 * multiple of 4 */
	while(pad < 2 && pad < n && s[n - 1 - pad] == '=')
		pad++;
	if(pad && n % 4 != 0)
		return -1;
	n -= pad;
	if(n % 4 == 1)
		return -1; /* six bits cannot end a byte */
	for(i = 0; i < n; i++) {
		v = b64_value(s[i]);
		if(v < 0)
			return -1;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if(bits >= 8) {
			bits -= 8;
			if(o == size)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (int)o;
}
