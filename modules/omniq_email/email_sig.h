/*
 * email_sig.h - what proves a session reference in a mail was written by us: the token's
 * signature (email_token.h), an HMAC of the session id under the module's secret, so that
 * a sender cannot make their mail join another customer's session by writing its number;
 * the signed Message-ID of our replies, which a delivery report must name to fail one;
 * and the short hashes that key a Message-ID (in Redis and as ingest's cid) whatever its
 * length.
 */
#ifndef OMNIQ_EMAIL_SIG_H
#define OMNIQ_EMAIL_SIG_H

#include <stddef.h>

#include "omniq/omniq_limits.h"

#define EMAIL_SIG_LEN 16  /* hex digits of a token's signature: 64 bits */
#define EMAIL_HASH_LEN 40 /* hex digits of a Message-ID's key (SHA-1) */

/* The signature of sid under secret (EMAIL_SIG_LEN hex digits and a NUL). 0, or -1. */
int email_sig(const char *secret, const char *sid, char out[EMAIL_SIG_LEN + 1]);

/* Whether sig (any case) is sid's signature; compared in constant time. */
int email_sig_ok(const char *secret, const char *sid, const char *sig);

/* The Message-ID (without <>) of our reply of delivery did: "omniq-<did>-<sig>@<domain>",
 * sig an HMAC of did, so that a delivery report naming it can be believed (dids are
 * counted: anyone could write "omniq-<n>@" for every n and fail every reply). 0, or -1
 * when it does not fit in size. */
int email_reply_mid(const char *secret, const char *did, const char *domain, char *out,
		size_t size);

/* The longest mailbox domain whose replies' Message-IDs fit in a delivery's provider id
 * (OMNIQ_PROVIDER_ID_MAX): "omniq-" + a did of up to 20 digits + "-" + the signature + "@". */
#define EMAIL_MID_DOMAIN_MAX (OMNIQ_PROVIDER_ID_MAX - 6 - 20 - 1 - EMAIL_SIG_LEN - 1)

/* The did of local (len bytes, "omniq-<did>-<sig>", a Message-ID's part before @) into did
 * when its signature is ours: 0; else -1 and did empty. */
int email_reply_mid_did(const char *secret, const char *local, size_t len, char *did,
		size_t dsize);

/* SHA-1 of s (len bytes) in lower-case hex (EMAIL_HASH_LEN and a NUL). 0, or -1. */
int email_hash(const char *s, size_t len, char out[EMAIL_HASH_LEN + 1]);

#endif
