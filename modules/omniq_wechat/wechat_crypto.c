/*
 * wechat_crypto.c - see wechat_crypto.h. OpenSSL does the SHA-1, the AES and the Base64;
 * this file only puts WeChat's framing around them, and checks every length before it
 * trusts it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "wechat_crypto.h"

#define BLOCK 32 /* WeChat pads to 32 bytes, not AES's 16 */
#define PARTS_MAX 4
#define PART_MAX 65536

static void say(char *why, const char *what)
{
	if(why)
		snprintf(why, WX_WHY_MAX, "%s", what);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int wx_signature(const char *token, const char *timestamp, const char *nonce,
		const char *encrypt, char hex[WX_SIG_HEX])
{
	const char *p[PARTS_MAX] = {token, timestamp, nonce, encrypt};
	unsigned char md[SHA_DIGEST_LENGTH];
	EVP_MD_CTX *ctx;
	int n = encrypt ? 4 : 3, i, ok;

	for(i = 0; i < n; i++)
		if(p[i] == NULL || strlen(p[i]) > PART_MAX)
			return -1;
	qsort(p, (size_t)n, sizeof(p[0]), cmp);
	if((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1;
	for(i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, p[i], strlen(p[i])) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, md, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	if(!ok)
		return -1;
	for(i = 0; i < SHA_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int wx_signature_ok(const char *given, const char computed[WX_SIG_HEX])
{
	return given && strlen(given) == WX_SIG_HEX - 1
		   && CRYPTO_memcmp(given, computed, WX_SIG_HEX - 1) == 0;
}

/* Base64 (standard alphabet, padded) into out; the decoded length, or -1. EVP_DecodeBlock
 * counts the padding as data: the '=' at the end are taken off its length. */
static int b64_decode(const char *in, size_t len, unsigned char *out, size_t size)
{
	int n, pad = 0;

	if(len == 0 || len % 4 || len / 4 * 3 > size || len > (size_t)0x7fffffff)
		return -1;
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if(n < 0)
		return -1;
	if(in[len - 1] == '=')
		pad++;
	if(in[len - 2] == '=')
		pad++;
	return n - pad;
}

int wx_aes_key(const char *encoding_aes_key, unsigned char key[WX_KEY_LEN], char *why)
{
	char b64[WX_AESKEY_CHARS + 2];
	unsigned char raw[WX_KEY_LEN + 3];

	if(encoding_aes_key == NULL || strlen(encoding_aes_key) != WX_AESKEY_CHARS) {
		say(why, "EncodingAESKey must be 43 characters");
		return -1;
	}
	memcpy(b64, encoding_aes_key, WX_AESKEY_CHARS);
	b64[WX_AESKEY_CHARS] = '=';
	b64[WX_AESKEY_CHARS + 1] = '\0';
	if(b64_decode(b64, WX_AESKEY_CHARS + 1, raw, sizeof(raw)) != WX_KEY_LEN) {
		say(why, "EncodingAESKey is not Base64 of 32 bytes");
		return -1;
	}
	memcpy(key, raw, WX_KEY_LEN);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

/* AES-256-CBC without OpenSSL's padding (WeChat's is its own), IV = key[0..15]. */
static int aes(const unsigned char key[WX_KEY_LEN], int enc, const unsigned char *in,
		int len, unsigned char *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, ok;

	if(ctx == NULL)
		return -1;
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, key, enc) == 1
		 && EVP_CIPHER_CTX_set_padding(ctx, 0) == 1
		 && EVP_CipherUpdate(ctx, out, &n, in, len) == 1
		 && EVP_CipherFinal_ex(ctx, out + n, &m) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok && n + m == len ? 0 : -1;
}

int wx_decrypt(const unsigned char key[WX_KEY_LEN], const char *b64, size_t b64_len,
		const char *receive_id, char *out, size_t out_size, size_t *msg_len, char *why)
{
	unsigned char *ct = NULL, *pt = NULL;
	size_t id_len = receive_id ? strlen(receive_id) : 0, body;
	int n, rc = -1;
	unsigned pad, len, i;

	if(b64 == NULL || b64_len == 0 || b64_len > 4 * PART_MAX) {
		say(why, "Encrypt is empty or too long");
		return -1;
	}
	if((ct = malloc(b64_len / 4 * 3 + 3)) == NULL || (pt = malloc(b64_len / 4 * 3 + 3)) == NULL) {
		say(why, "out of memory");
		goto out;
	}
	if((n = b64_decode(b64, b64_len, ct, b64_len / 4 * 3 + 3)) < 0) {
		say(why, "Encrypt is not Base64");
		goto out;
	}
	if(n == 0 || n % BLOCK) {
		say(why, "Encrypt is not a whole number of 32-byte blocks");
		goto out;
	}
	if(aes(key, 0, ct, n, pt) < 0) {
		say(why, "AES decryption failed");
		goto out;
	}
	pad = pt[n - 1];
	for(i = 1; pad >= 1 && pad <= BLOCK && i <= pad; i++)
		if(pt[n - i] != pad)
			break;
	if(pad < 1 || pad > BLOCK || i <= pad) {
		say(why, "bad padding (wrong key?)");
		goto out;
	}
	body = (size_t)n - pad;
	if(body < 20) {
		say(why, "too short for its random bytes and length");
		goto out;
	}
	len = (unsigned)pt[16] << 24 | (unsigned)pt[17] << 16 | (unsigned)pt[18] << 8 | pt[19];
	if(len > body - 20) {
		say(why, "message length past the end");
		goto out;
	}
	if(body - 20 - len != id_len || (id_len && memcmp(pt + 20 + len, receive_id, id_len))) {
		say(why, "not for this AppID / CorpID");
		goto out;
	}
	if(len >= out_size) {
		say(why, "message too long");
		goto out;
	}
	memcpy(out, pt + 20, len);
	out[len] = '\0';
	*msg_len = len;
	rc = 0;
out:
	if(pt)
		OPENSSL_cleanse(pt, b64_len / 4 * 3 + 3);
	free(pt);
	free(ct);
	return rc;
}

int wx_encrypt(const unsigned char key[WX_KEY_LEN], const unsigned char random16[16],
		const char *msg, size_t msg_len, const char *receive_id, char *out,
		size_t out_size, char *why)
{
	size_t id_len = receive_id ? strlen(receive_id) : 0, plain = 20 + msg_len + id_len, total;
	unsigned char *pt, *ct;
	unsigned pad;
	int rc = -1;

	if(msg_len > PART_MAX || id_len > 256) {
		say(why, "message too long");
		return -1;
	}
	pad = BLOCK - plain % BLOCK; /* 1..32: a whole block when it fits exactly */
	total = plain + pad;
	if((total + 2) / 3 * 4 + 1 > out_size) {
		say(why, "no room for the Encrypt text");
		return -1;
	}
	pt = malloc(total);
	ct = malloc(total);
	if(pt == NULL || ct == NULL) {
		say(why, "out of memory");
		goto out;
	}
	memcpy(pt, random16, 16);
	pt[16] = (unsigned char)(msg_len >> 24);
	pt[17] = (unsigned char)(msg_len >> 16);
	pt[18] = (unsigned char)(msg_len >> 8);
	pt[19] = (unsigned char)msg_len;
	memcpy(pt + 20, msg, msg_len);
	memcpy(pt + 20 + msg_len, receive_id ? receive_id : "", id_len);
	memset(pt + plain, (int)pad, pad);
	if(aes(key, 1, pt, (int)total, ct) < 0) {
		say(why, "AES encryption failed");
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)out, ct, (int)total);
	rc = 0;
out:
	if(pt)
		OPENSSL_cleanse(pt, total);
	free(pt);
	free(ct);
	return rc;
}
