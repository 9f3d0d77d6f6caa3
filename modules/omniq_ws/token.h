/*
 * token.h - signed identities: "<id>.<hex HMAC-SHA256(secret, purpose "|" id)>".
 *
 * A visitor gets a random id signed by the site secret, so it cannot be guessed or forged;
 * a site's backend signs a known customer's identity the same way so the chat joins that
 * customer's history; a resume token ties a visitor to its session. The purpose keeps one
 * kind of token from being replayed as another. Plain C over OpenSSL: tests/unit checks it.
 */
#ifndef OMNIQ_WS_TOKEN_H
#define OMNIQ_WS_TOKEN_H

#include <stddef.h>

#define WS_TOKEN_ID_MAX 200
#define WS_TOKEN_MAX (WS_TOKEN_ID_MAX + 1 + 64 + 1)

/* 0, or -1 when id is empty or longer than WS_TOKEN_ID_MAX, or out is too small. The id may
 * contain '.': the signature is what follows the last one. */
int ws_token_make(const char *secret, const char *purpose, const char *id, char *out,
		size_t outlen);
/* 0 and the id copied to id_out when the signature matches, else -1. Constant time in the
 * signature comparison. */
int ws_token_check(const char *secret, const char *purpose, const char *token, char *id_out,
		size_t id_outlen);
/* A token whose id is "<id>/<expiry unix seconds>" (desk logins, app users): 0 and <id>
 * in id_out when the signature matches and the expiry is not before now; -2 when it has
 * expired; -1 when it is forged, malformed or <id> does not fit id_outlen. */
int ws_token_check_until(const char *secret, const char *purpose, const char *token,
		long long now, char *id_out, size_t id_outlen);
/* The same, and -3 when the expiry is more than longest seconds after now (a token made to
 * last for ever: what the app's backend signs must be short-lived, to be renewed). */
int ws_token_check_within(const char *secret, const char *purpose, const char *token,
		long long now, long long longest, char *id_out, size_t id_outlen);
/* hex HMAC-SHA256(secret, data): the signature of a webhook body. 0, or -1. */
int ws_hmac_hex(const char *secret, const void *data, size_t len, char hex[65]);
/* A fresh random visitor id: 32 hex characters. 0, or -1 when no randomness. */
int ws_token_random_id(char out[33]);

#endif
