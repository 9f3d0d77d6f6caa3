/*
 * media_suite.h - the SDES crypto suites (RFC 4568 a=crypto) omniq_media speaks, their key
 * sizes, fresh keys, and the base64 the keys travel in.
 *
 * Why a file of its own: the SDP parser reads a suite's name and checks a key against it,
 * the answer builder writes a fresh key of the same suite, and the SRTP layer turns the
 * suite into a libsrtp policy. One table here is the one place a suite is described, so
 * the three can never disagree about a key's length.
 *
 *   suite                     RFC    master key  salt  auth tag
 *   AES_CM_128_HMAC_SHA1_80   4568       16       14    10
 *   AES_CM_128_HMAC_SHA1_32   4568       16       14     4
 *   AES_256_CM_HMAC_SHA1_80   6188       32       14    10
 *   AES_256_CM_HMAC_SHA1_32   6188       32       14     4
 *   AEAD_AES_128_GCM          7714       16       12    16
 *   AEAD_AES_256_GCM          7714       32       12    16
 *
 * The inline key of a=crypto is the master key followed by the salt, base64 encoded
 * (RFC 4648 alphabet). Names are matched exactly (RFC 4568 suite names are case-sensitive
 * tokens); suites outside this table (F8_128_HMAC_SHA1_80, AES_192_CM_*, FreeSWITCH's
 * AEAD_AES_*_GCM_8 and AES_CM_256_* spellings) are not ours and an offer's line naming one
 * is skipped.
 *
 * Pure C, no Kamailio; fresh keys come from getrandom(2).
 */
#ifndef OMNIQ_MEDIA_SUITE_H
#define OMNIQ_MEDIA_SUITE_H

#include <stddef.h>

/* the longest key||salt of any suite (AES_256_CM: 32 + 14) */
#define MEDIA_KEY_MAX 46
/* its base64 text with padding, and a NUL */
#define MEDIA_KEY_B64_MAX (((MEDIA_KEY_MAX + 2) / 3) * 4 + 1)

typedef enum media_suite {
	MEDIA_SUITE_NONE = 0, /* not a suite of ours */
	MEDIA_AES_CM_128_HMAC_SHA1_80,
	MEDIA_AES_CM_128_HMAC_SHA1_32,
	MEDIA_AES_256_CM_HMAC_SHA1_80,
	MEDIA_AES_256_CM_HMAC_SHA1_32,
	MEDIA_AEAD_AES_128_GCM,
	MEDIA_AEAD_AES_256_GCM,
	MEDIA_SUITE_COUNT
} media_suite_t;

/* The suite named by s (n bytes), or MEDIA_SUITE_NONE. */
media_suite_t media_suite_by_name(const char *s, size_t n);

/* "AES_CM_128_HMAC_SHA1_80"..., or "none" for MEDIA_SUITE_NONE or a value out of range. */
const char *media_suite_name(media_suite_t s);

/* Bytes of the master key, of the salt, and of both (what inline: carries); 0 for NONE. */
int media_suite_key_len(media_suite_t s);
int media_suite_salt_len(media_suite_t s);
int media_suite_keysalt_len(media_suite_t s);

/* Every suite we take, comma separated, for reasons that list them. */
const char *media_suite_all_names(void);

/* A fresh key||salt for suite s from getrandom(2) into key (size bytes): its length, or -1
 * with why (MEDIA_SUITE_WHY_MAX bytes) when the suite is none, the buffer is too small or
 * the kernel gave no randomness. */
#define MEDIA_SUITE_WHY_MAX 96
int media_suite_new_key(media_suite_t s, unsigned char *key, size_t size, char *why);

/* Fills buf with n random bytes from getrandom(2) (retrying on EINTR and short reads):
 * 0, or -1 with errno set. Shared by the RTP sender's SSRC and sequence number. */
int media_random(void *buf, size_t n);

/* Base64 (RFC 4648, '+' '/' alphabet) of in (n bytes) into out (size bytes, NUL-terminated,
 * '=' padded): the text's length, or -1 when it does not fit. */
int media_b64_encode(const unsigned char *in, size_t n, char *out, size_t size);

/* Decodes s (n bytes) into out (size bytes): the decoded length, or -1 when s has a
 * character outside the alphabet, '=' anywhere but the last one or two places, a length
 * no base64 text has, or decodes to more than size bytes. Padding may be left out (some
 * SDES stacks leave it out); bits beyond the last byte are ignored. */
int media_b64_decode(const char *s, size_t n, unsigned char *out, size_t size);

#endif
