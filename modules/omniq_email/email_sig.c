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

int email_sig(const char *secret, const char *sid, char out[EMAIL_SIG_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char msg[64];
	size_t len = 0;
	int n;

	out[0] = '\0';
	if(secret == NULL || secret[0] == '\0' || sid == NULL)
		return -1;
	/* a purpose prefix: the same secret may sign other things one day */
	n = snprintf(msg, sizeof(msg), "omniq-email-thread:%s", sid);
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

int email_sig_ok(const char *secret, const char *sid, const char *sig)
{
	char want[EMAIL_SIG_LEN + 1], got[EMAIL_SIG_LEN + 1];
	size_t i;

	if(sig == NULL || strlen(sig) != EMAIL_SIG_LEN || email_sig(secret, sid, want) < 0)
		return 0;
	for(i = 0; i < EMAIL_SIG_LEN; i++)
		got[i] = (char)tolower((unsigned char)sig[i]);
	got[EMAIL_SIG_LEN] = '\0';
	return CRYPTO_memcmp(want, got, EMAIL_SIG_LEN) == 0;
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
