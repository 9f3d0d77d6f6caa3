/*
 * media_srtp.c - see media_srtp.h. libsrtp's types stay in this file: the header keeps the
 * context as a void pointer so that code using the layer needs no libsrtp headers.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <srtp2/srtp.h>

#include "media_srtp.h"

_Static_assert(MEDIA_SRTP_TRAILER_MAX >= SRTP_MAX_TRAILER_LEN + 4,
		"MEDIA_SRTP_TRAILER_MAX is smaller than libsrtp's trailer");

#define DEFAULT_WINDOW 128

static int policy_of(media_suite_t suite, srtp_crypto_policy_t *p)
{
	switch(suite) {
		case MEDIA_AES_CM_128_HMAC_SHA1_80:
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(p);
			return 0;
		case MEDIA_AES_CM_128_HMAC_SHA1_32:
			srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(p);
			return 0;
		case MEDIA_AES_256_CM_HMAC_SHA1_80:
			srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(p);
			return 0;
		case MEDIA_AES_256_CM_HMAC_SHA1_32:
			srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(p);
			return 0;
		case MEDIA_AEAD_AES_128_GCM:
			srtp_crypto_policy_set_aes_gcm_128_16_auth(p); /* RFC 7714: 16-octet tag */
			return 0;
		case MEDIA_AEAD_AES_256_GCM:
			srtp_crypto_policy_set_aes_gcm_256_16_auth(p);
			return 0;
		default:
			return -1;
	}
}

int media_srtp_init(char *why)
{
	srtp_err_status_t st = srtp_init();

	if(st != srtp_err_status_ok) {
		snprintf(why, MEDIA_SRTP_WHY_MAX, "srtp_init: %s", media_srtp_reason(st));
		return -1;
	}
	return 0;
}

void media_srtp_shutdown(void)
{
	srtp_shutdown();
}

static int create(media_srtp_t *s, media_suite_t suite, const unsigned char *key,
		int key_len, srtp_policy_t *pol, char *why)
{
	/* libsrtp reads key||salt by the suite's length and copies it: it must be exact */
	unsigned char k[MEDIA_KEY_MAX];
	srtp_t ctx;
	srtp_err_status_t st;

	memset(s, 0, sizeof *s);
	if(policy_of(suite, &pol->rtp) < 0) {
		snprintf(why, MEDIA_SRTP_WHY_MAX, "no SRTP suite %d", (int)suite);
		return -1;
	}
	/* SRTCP keeps an 80-bit tag under the _32 suites (RFC 4568 §6.2.2, RFC 6188 §6): the
	 * short tag saves bytes only where packets are many */
	if(suite == MEDIA_AES_CM_128_HMAC_SHA1_32)
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
	else if(suite == MEDIA_AES_256_CM_HMAC_SHA1_32)
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&pol->rtcp);
	else
		policy_of(suite, &pol->rtcp);
	if(key == NULL || key_len != media_suite_keysalt_len(suite)) {
		snprintf(why, MEDIA_SRTP_WHY_MAX, "%s needs a key||salt of %d bytes, not %d",
				media_suite_name(suite), media_suite_keysalt_len(suite), key_len);
		return -1;
	}
	memcpy(k, key, (size_t)key_len);
	if(pol->num_master_keys)
		pol->keys[0]->key = k;
	else
		pol->key = k;
	st = srtp_create(&ctx, pol);
	explicit_bzero(k, sizeof k);
	if(st != srtp_err_status_ok) {
		snprintf(why, MEDIA_SRTP_WHY_MAX, "srtp_create(%s): %s", media_suite_name(suite),
				media_srtp_reason(st));
		return -1;
	}
	s->ctx = ctx;
	s->suite = suite;
	return 0;
}

int media_srtp_tx_create(media_srtp_t *s, media_suite_t suite, const unsigned char *key,
		int key_len, uint32_t ssrc, char *why)
{
	srtp_policy_t pol;

	memset(&pol, 0, sizeof pol);
	pol.ssrc.type = ssrc_specific;
	pol.ssrc.value = ssrc;
	pol.window_size = DEFAULT_WINDOW;
	return create(s, suite, key, key_len, &pol, why);
}

int media_srtp_rx_create(media_srtp_t *s, media_suite_t suite, const unsigned char *key,
		int key_len, uint32_t mki, int mki_len, int window, char *why)
{
	srtp_policy_t pol;
	srtp_master_key_t mk, *keys[1] = {&mk};
	unsigned char id[4];
	int i, rc;

	if(mki_len < 0 || mki_len > 4 || window < 0 || window > 0x7fff
			|| (window && window < 64)) {
		memset(s, 0, sizeof *s);
		snprintf(why, MEDIA_SRTP_WHY_MAX, "MKI of %d bytes or window of %d packets",
				mki_len, window);
		return -1;
	}
	memset(&pol, 0, sizeof pol);
	pol.ssrc.type = ssrc_any_inbound; /* the caller's SSRC is learnt from its packets */
	pol.window_size = window ? (unsigned long)window : DEFAULT_WINDOW;
	if(mki_len) {
		for(i = 0; i < mki_len; i++)
			id[i] = (unsigned char)(mki >> (8 * (mki_len - 1 - i)));
		mk.key = NULL;
		mk.mki_id = id;
		mk.mki_size = (unsigned)mki_len;
		pol.keys = keys;
		pol.num_master_keys = 1;
	}
	rc = create(s, suite, key, key_len, &pol, why);
	if(rc == 0)
		s->mki_len = mki_len;
	return rc;
}

static int count(media_srtp_t *s, srtp_err_status_t st)
{
	switch(st) {
		case srtp_err_status_ok:
			s->ok++;
			return 0;
		case srtp_err_status_auth_fail:
			s->auth_fail++;
			break;
		case srtp_err_status_replay_fail:
		case srtp_err_status_replay_old:
			s->replay++;
			break;
		default:
			s->other++;
	}
	s->last_status = (int)st;
	return (int)st;
}

static int ours(media_srtp_t *s, int status)
{
	s->other++;
	s->last_status = status;
	return status;
}

/* the packet's length as libsrtp's int, and room for what protecting adds */
static int room(media_srtp_t *s, size_t len, size_t cap, int *n)
{
	if(s->ctx == NULL)
		return ours(s, MEDIA_SRTP_NO_CTX);
	if(len > INT_MAX - MEDIA_SRTP_TRAILER_MAX || cap < len + MEDIA_SRTP_TRAILER_MAX)
		return ours(s, MEDIA_SRTP_NO_ROOM);
	*n = (int)len;
	return 0;
}

int media_srtp_protect(media_srtp_t *s, uint8_t *pkt, size_t *len, size_t cap)
{
	int n, rc;

	if((rc = room(s, *len, cap, &n)) != 0)
		return rc;
	rc = count(s, srtp_protect((srtp_t)s->ctx, pkt, &n));
	if(rc == 0)
		*len = (size_t)n;
	return rc;
}

int media_srtp_protect_rtcp(media_srtp_t *s, uint8_t *pkt, size_t *len, size_t cap)
{
	int n, rc;

	if((rc = room(s, *len, cap, &n)) != 0)
		return rc;
	rc = count(s, srtp_protect_rtcp((srtp_t)s->ctx, pkt, &n));
	if(rc == 0)
		*len = (size_t)n;
	return rc;
}

int media_srtp_unprotect(media_srtp_t *s, uint8_t *pkt, size_t *len)
{
	int n, rc;

	if((rc = room(s, *len, SIZE_MAX, &n)) != 0)
		return rc;
	rc = count(s, s->mki_len ? srtp_unprotect_mki((srtp_t)s->ctx, pkt, &n, 1)
							 : srtp_unprotect((srtp_t)s->ctx, pkt, &n));
	if(rc == 0)
		*len = (size_t)n;
	return rc;
}

int media_srtp_unprotect_rtcp(media_srtp_t *s, uint8_t *pkt, size_t *len)
{
	int n, rc;

	if((rc = room(s, *len, SIZE_MAX, &n)) != 0)
		return rc;
	rc = count(s, s->mki_len ? srtp_unprotect_rtcp_mki((srtp_t)s->ctx, pkt, &n, 1)
							 : srtp_unprotect_rtcp((srtp_t)s->ctx, pkt, &n));
	if(rc == 0)
		*len = (size_t)n;
	return rc;
}

void media_srtp_free(media_srtp_t *s)
{
	if(s->ctx)
		srtp_dealloc((srtp_t)s->ctx);
	s->ctx = NULL;
}

const char *media_srtp_reason(int status)
{
	switch(status) {
		case srtp_err_status_ok:
			return "ok";
		case srtp_err_status_auth_fail:
			return "authentication failed";
		case srtp_err_status_replay_fail:
			return "replayed packet";
		case srtp_err_status_replay_old:
			return "packet older than the replay window";
		case srtp_err_status_bad_param:
			return "bad parameter";
		case srtp_err_status_alloc_fail:
			return "out of memory";
		case srtp_err_status_init_fail:
			return "initialisation failed";
		case srtp_err_status_cipher_fail:
			return "cipher failure";
		case srtp_err_status_no_ctx:
			return "no context for this SSRC";
		case srtp_err_status_key_expired:
			return "key expired";
		case srtp_err_status_bad_mki:
			return "unknown MKI";
		case srtp_err_status_parse_err:
			return "malformed packet";
		case srtp_err_status_algo_fail:
			return "algorithm self-test failed";
		case srtp_err_status_pkt_idx_old:
		case srtp_err_status_pkt_idx_adv:
			return "packet index out of range";
		case MEDIA_SRTP_NO_ROOM:
			return "no room for the SRTP trailer";
		case MEDIA_SRTP_NO_CTX:
			return "no SRTP context";
	}
	return "SRTP failure";
}
