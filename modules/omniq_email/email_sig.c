/*
 * email_sig.c - see email_sig.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "omniq/omniq_urlenc.h"

#include "email_sig.h"

/* HMAC-SHA256 of "<purpose>:<id>" under secret, its first EMAIL_SIG_LEN hex digits: a
 * purpose each, so that a signature made for one thing never passes for another */
static int mac(const char *secret, const char *purpose, const char *id,
		char out[EMAIL_SIG_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char msg[96];
	size_t len = 0;
	int n;

	out[0] = '\0';
	if(secret == NULL || secret[0] == '\0' || id == NULL)
		return -1;
	n = snprintf(msg, sizeof(msg), "%s:%s", purpose, id);
	if(n < 0 || n >= (int)sizeof(msg))
		return -1;
	if(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
			   (const unsigned char *)msg, (size_t)n, md, sizeof(md), &len)
					== NULL
			|| len < EMAIL_SIG_LEN / 2)
		return -1;
	omniq_hex_encode(md, EMAIL_SIG_LEN / 2, out);
	return 0;
}

static int same_sig(const char *want, const char *sig, size_t len)
{
	char got[EMAIL_SIG_LEN + 1];
	size_t i;

	if(len != EMAIL_SIG_LEN)
		return 0;
	for(i = 0; i < EMAIL_SIG_LEN; i++)
		got[i] = (char)tolower((unsigned char)sig[i]);
	return CRYPTO_memcmp(want, got, EMAIL_SIG_LEN) == 0;
}

int email_sig(const char *secret, const char *sid, char out[EMAIL_SIG_LEN + 1])
{
	return mac(secret, "omniq-email-thread", sid, out);
}

int email_sig_ok(const char *secret, const char *sid, const char *sig)
{
	char want[EMAIL_SIG_LEN + 1];

	return sig != NULL && mac(secret, "omniq-email-thread", sid, want) == 0
		   && same_sig(want, sig, strlen(sig));
}

int email_reply_mid(const char *secret, const char *did, const char *domain, char *out,
		size_t size)
{
	char sg[EMAIL_SIG_LEN + 1];
	int n;

	if(mac(secret, "omniq-email-reply", did, sg) < 0)
		return -1;
	n = snprintf(out, size, "omniq-%s-%s@%s", did, sg, domain);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int email_reply_mid_did(const char *secret, const char *local, size_t len, char *did,
		size_t dsize)
{
	char want[EMAIL_SIG_LEN + 1];
	const char *dash;
	size_t n;

	if(dsize == 0)
		return -1;
	did[0] = '\0';
	if(len < 6 + 1 + 1 + EMAIL_SIG_LEN || strncmp(local, "omniq-", 6))
		return -1;
	dash = local + len - EMAIL_SIG_LEN - 1;
	n = (size_t)(dash - (local + 6));
	if(*dash != '-' || n == 0 || n >= dsize)
		return -1;
	memcpy(did, local + 6, n);
	did[n] = '\0';
	if(mac(secret, "omniq-email-reply", did, want) < 0 || !same_sig(want, dash + 1, EMAIL_SIG_LEN)) {
		did[0] = '\0';
		return -1;
	}
	return 0;
}

int email_hash(const char *s, size_t len, char out[EMAIL_HASH_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if(EVP_Digest(s, len, md, &n, EVP_sha1(), NULL) != 1 || n != EMAIL_HASH_LEN / 2)
		return -1;
	omniq_hex_encode(md, n, out);
	return 0;
}
