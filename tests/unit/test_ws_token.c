/*
 * test_ws_token.c - omniq_ws's signed tokens: what verifies, what does not.
 */
#include "unit.h"
#include "token.h"

static const char *S = "site-secret-0123456789";

TEST(token_roundtrip)
{
	char tok[WS_TOKEN_MAX], id[WS_TOKEN_ID_MAX + 1];
	CHECK_EQ_INT(ws_token_make(S, "visitor", "abc123", tok, sizeof tok), 0);
	CHECK_EQ_INT(ws_token_check(S, "visitor", tok, id, sizeof id), 0);
	CHECK_EQ_STR(id, "abc123");
	/* ids with dots (an email identity) */
	CHECK_EQ_INT(ws_token_make(S, "user", "email:bob.smith@example.com", tok, sizeof tok), 0);
	CHECK_EQ_INT(ws_token_check(S, "user", tok, id, sizeof id), 0);
	CHECK_EQ_STR(id, "email:bob.smith@example.com");
}

TEST(token_known_vector)
{
	/* HMAC-SHA256(key "key", "visitor|x"): computed independently with
	 * printf 'visitor|x' | openssl dgst -sha256 -hmac key */
	char tok[WS_TOKEN_MAX];
	CHECK_EQ_INT(ws_token_make("key", "visitor", "x", tok, sizeof tok), 0);
	CHECK_EQ_STR(tok, "x.94c71d9b0c30c9db4b2b356303fde9109b4aca6285317882e2d1dc125cea0304");
}

TEST(token_rejects_forgery)
{
	char tok[WS_TOKEN_MAX], id[WS_TOKEN_ID_MAX + 1], bad[WS_TOKEN_MAX];
	CHECK_EQ_INT(ws_token_make(S, "visitor", "abc123", tok, sizeof tok), 0);
	CHECK_EQ_INT(ws_token_check("other-secret-0123456", "visitor", tok, id, sizeof id), -1);
	CHECK_EQ_INT(ws_token_check(S, "resume", tok, id, sizeof id), -1); /* other purpose */
	strcpy(bad, tok);
	bad[0] = 'b'; /* other id, same signature */
	CHECK_EQ_INT(ws_token_check(S, "visitor", bad, id, sizeof id), -1);
	strcpy(bad, tok);
	bad[strlen(bad) - 1] ^= 1; /* flipped signature bit */
	CHECK_EQ_INT(ws_token_check(S, "visitor", bad, id, sizeof id), -1);
	CHECK_EQ_INT(ws_token_check(S, "visitor", "abc123", id, sizeof id), -1);
	CHECK_EQ_INT(ws_token_check(S, "visitor", ".", id, sizeof id), -1);
	CHECK_EQ_INT(ws_token_check(S, "visitor", "", id, sizeof id), -1);
	bad[0] = '\0';
	strcat(bad, "abc123.");
	CHECK_EQ_INT(ws_token_check(S, "visitor", bad, id, sizeof id), -1); /* short signature */
}

TEST(token_limits)
{
	char tok[WS_TOKEN_MAX], id[8], big[WS_TOKEN_ID_MAX + 2];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK_EQ_INT(ws_token_make(S, "visitor", big, tok, sizeof tok), -1);
	CHECK_EQ_INT(ws_token_make(S, "visitor", "", tok, sizeof tok), -1);
	CHECK_EQ_INT(ws_token_make(S, "visitor", "abc", tok, 10), -1);
	CHECK_EQ_INT(ws_token_make(S, "visitor", "abcdefghijk", tok, sizeof tok), 0);
	CHECK_EQ_INT(ws_token_check(S, "visitor", tok, id, sizeof id), -1); /* id_out too small */
}

TEST(token_with_expiry)
{
	char tok[WS_TOKEN_MAX], id[65];
	CHECK_EQ_INT(ws_token_make(S, "app", "u42/1000", tok, sizeof tok), 0);
	CHECK_EQ_INT(ws_token_check_until(S, "app", tok, 999, id, sizeof id), 0);
	CHECK_EQ_STR(id, "u42");
	CHECK_EQ_INT(ws_token_check_until(S, "app", tok, 1000, id, sizeof id), 0); /* last second */
	CHECK_EQ_INT(ws_token_check_until(S, "app", tok, 1001, id, sizeof id), -2);
	CHECK_EQ_INT(ws_token_check_until(S, "agent", tok, 999, id, sizeof id), -1);
	CHECK_EQ_INT(ws_token_check_until(S, "app", tok, 999, id, 3), -1); /* "u42" does not fit */
	/* no expiry, an empty id, or an expiry that is not a number: refused, not "forever" */
	CHECK_EQ_INT(ws_token_make(S, "app", "u42", tok, sizeof tok), 0);
	CHECK_EQ_INT(ws_token_check_until(S, "app", tok, 0, id, sizeof id), -1);
	CHECK_EQ_INT(ws_token_make(S, "app", "/5000", tok, sizeof tok), 0);
	CHECK_EQ_INT(ws_token_check_until(S, "app", tok, 0, id, sizeof id), -1);
	CHECK_EQ_INT(ws_token_make(S, "app", "u42/12x", tok, sizeof tok), 0);
	CHECK_EQ_INT(ws_token_check_until(S, "app", tok, 0, id, sizeof id), -1);
	CHECK_EQ_INT(ws_token_make(S, "app", "u42/", tok, sizeof tok), 0);
	CHECK_EQ_INT(ws_token_check_until(S, "app", tok, 0, id, sizeof id), -1);
	/* the id may itself contain '/': the expiry is after the last one */
	CHECK_EQ_INT(ws_token_make(S, "app", "org/u7/2000", tok, sizeof tok), 0);
	CHECK_EQ_INT(ws_token_check_until(S, "app", tok, 1500, id, sizeof id), 0);
	/* a bound on how far ahead the expiry may be */
	CHECK_EQ_INT(ws_token_check_within(S, "app", tok, 1500, 500, id, sizeof id), 0);
	CHECK_EQ_INT(ws_token_check_within(S, "app", tok, 1500, 499, id, sizeof id), -3);
	CHECK_EQ_STR(id, "org/u7");
}

TEST(token_random_ids_differ)
{
	char a[33], b[33];
	CHECK_EQ_INT(ws_token_random_id(a), 0);
	CHECK_EQ_INT(ws_token_random_id(b), 0);
	CHECK_EQ_INT((int)strlen(a), 32);
	CHECK(strcmp(a, b) != 0);
}

UNIT_MAIN()
