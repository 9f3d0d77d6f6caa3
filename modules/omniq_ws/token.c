/*
 * token.c - see token.h.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "omniq/omniq_urlenc.h"

#include "token.h"

int ws_hmac_hex(const char *secret, const void *data, size_t len, char hex[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if(HMAC(EVP_sha256(), secret, (int)strlen(secret), data, len, mac, &maclen) == NULL
			|| maclen != 32)
		return -1;
	omniq_hex_encode(mac, 32, hex);
	return 0;
}

static int sign(const char *secret, const char *purpose, const char *id, size_t idlen,
		char hex[65])
{
	unsigned char msg[WS_TOKEN_ID_MAX + 64];
	size_t pl = strlen(purpose);

	if(pl + 1 + idlen > sizeof(msg))
		return -1;
	memcpy(msg, purpose, pl);
	msg[pl] = '|';
	memcpy(msg + pl + 1, id, idlen);
	return ws_hmac_hex(secret, msg, pl + 1 + idlen, hex);
}

int ws_token_make(const char *secret, const char *purpose, const char *id, char *out,
		size_t outlen)
{
	char hex[65];
	size_t n = strlen(id);

	if(n == 0 || n > WS_TOKEN_ID_MAX || n + 1 + 64 + 1 > outlen)
		return -1;
	if(sign(secret, purpose, id, n, hex) < 0)
		return -1;
	memcpy(out, id, n);
	out[n] = '.';
	memcpy(out + n + 1, hex, 65);
	return 0;
}

int ws_token_check(const char *secret, const char *purpose, const char *token, char *id_out,
		size_t id_outlen)
{
	const char *dot = strrchr(token, '.');
	char hex[65];
	unsigned char d = 0;
	size_t n, i;

	if(dot == NULL || strlen(dot + 1) != 64)
		return -1;
	n = (size_t)(dot - token);
	if(n == 0 || n > WS_TOKEN_ID_MAX || n + 1 > id_outlen)
		return -1;
	if(sign(secret, purpose, token, n, hex) < 0)
		return -1;
	for(i = 0; i < 64; i++)
		d |= (unsigned char)(hex[i] ^ dot[1 + i]);
	if(d != 0)
		return -1;
	memcpy(id_out, token, n);
	id_out[n] = '\0';
	return 0;
}

int ws_token_check_until(const char *secret, const char *purpose, const char *token,
		long long now, char *id_out, size_t id_outlen)
{
	return ws_token_check_within(secret, purpose, token, now, 0, id_out, id_outlen);
}

int ws_token_check_within(const char *secret, const char *purpose, const char *token,
		long long now, long long longest, char *id_out, size_t id_outlen)
{
	char id[WS_TOKEN_ID_MAX + 1], *slash, *end;
	long long exp;

	if(ws_token_check(secret, purpose, token, id, sizeof(id)) < 0
			|| (slash = strrchr(id, '/')) == NULL || slash == id
			|| (size_t)(slash - id) + 1 > id_outlen)
		return -1;
	exp = strtoll(slash + 1, &end, 10);
	if(slash[1] == '\0' || *end != '\0' || exp <= 0)
		return -1;
	if(exp < now)
		return -2;
	if(longest > 0 && exp - now > longest)
		return -3;
	memcpy(id_out, id, (size_t)(slash - id));
	id_out[slash - id] = '\0';
	return 0;
}

int ws_token_random_id(char out[33])
{
	unsigned char r[16];
	if(RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	omniq_hex_encode(r, sizeof(r), out);
	return 0;
}
