/*
 * oq_secret.c - agents' desk passwords, and the count of desk login attempts.
 *
 * Redis keeps "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>" (oq_agent_secret), never
 * the password, so a copy of the data set does not hand out logins. The iteration count is
 * stored with each hash, so it can be raised later without invalidating old ones. Checking
 * costs one Redis read and one PBKDF2 run, also when the agent or its password does not
 * exist, so neither the answer nor its timing tells a login form which agent ids are real.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>

#include "core/dprint.h"

#include "oq_core.h"
#include "oq_validate.h"
#include "omniq/omniq_urlenc.h"

/* ~25 ms on one core of the reference machine: a login is rare, a guess costs the same. */
#define PW_ITER 60000
#define PW_SALT 16
#define PW_HASH 32
#define PW_MIN 8
#define PW_MAX 128

static int unhex(const char *in, size_t n, unsigned char *out)
{
	size_t i;
	unsigned v;
	for(i = 0; i < n; i++) {
		if(sscanf(in + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

static int derive(const str *pw, const unsigned char *salt, int iter, unsigned char *out)
{
	return PKCS5_PBKDF2_HMAC(pw->s, pw->len, salt, PW_SALT, iter, EVP_sha256(), PW_HASH, out)
				   == 1
				   ? 0
				   : -1;
}

static int check_args(const str *aid, const str *pw)
{
	char why[OQ_WHY_MAX];
	if(oq_check_id(aid->s, aid->len, why) < 0) {
		oq_set_error(OMNIQ_EARG, "agent: %s", why);
		return OMNIQ_EARG;
	}
	if(pw == NULL || pw->len < PW_MIN || pw->len > PW_MAX) {
		oq_set_error(OMNIQ_EARG, "password: must be %d..%d bytes", PW_MIN, PW_MAX);
		return OMNIQ_EARG;
	}
	return OMNIQ_OK;
}

int oq_agent_password(const str *aid, const str *pw)
{
	unsigned char salt[PW_SALT], h[PW_HASH];
	char rec[128], sh[2 * PW_SALT + 1], hh[2 * PW_HASH + 1];
	str a[2];
	int rc;

	if((rc = check_args(aid, pw)) < 0)
		return rc;
	if(RAND_bytes(salt, sizeof(salt)) != 1 || derive(pw, salt, PW_ITER, h) < 0) {
		oq_set_error(OMNIQ_EINTERNAL, "no randomness or PBKDF2 failed");
		return OMNIQ_EINTERNAL;
	}
	omniq_hex_encode(salt, PW_SALT, sh);
	omniq_hex_encode(h, PW_HASH, hh);
	a[0] = *aid;
	a[1].s = rec;
	a[1].len = snprintf(rec, sizeof(rec), "pbkdf2-sha256$%d$%s$%s", PW_ITER, sh, hh);
	OPENSSL_cleanse(h, sizeof(h));
	return oq_call_checked("oq_agent_secret", 2, a, OQ_R_OK);
}

int oq_agent_verify(const str *aid, const str *pw)
{
	unsigned char salt[PW_SALT] = {0}, want[PW_HASH] = {0}, got[PW_HASH];
	int rc, iter = PW_ITER, known = 0;
	char *p1, *p2, *p3;
	redisReply *r;

	if((rc = check_args(aid, pw)) < 0) {
		oq_set_error(OMNIQ_EAGENT, "wrong agent or password");
		return OMNIQ_EAGENT;
	}
	r = oq_call("oq_agent_secret_get", 1, aid, &rc);
	if(r == NULL && rc != OMNIQ_ENOTFOUND)
		return rc; /* Redis down: say so, it is not a wrong password */
	if(r && r->type != REDIS_REPLY_STRING) {
		/* not a wrong password either: the library is not ours */
		rc = oq_bad_reply("oq_agent_secret_get", r, "the stored password record");
		freeReplyObject(r);
		return rc;
	}
	if(r && !strncmp(r->str, "pbkdf2-sha256$", 14)) {
		p1 = r->str + 14;
		p2 = strchr(p1, '$');
		p3 = p2 ? strchr(p2 + 1, '$') : NULL;
		iter = atoi(p1);
		if(p2 && p3 && p3 - p2 - 1 == 2 * PW_SALT && strlen(p3 + 1) == 2 * PW_HASH
				&& iter >= 1000 && iter <= 10000000 && unhex(p2 + 1, PW_SALT, salt) == 0
				&& unhex(p3 + 1, PW_HASH, want) == 0)
			known = 1;
		else
			LM_ERR("agent %.*s: stored password record is malformed\n", aid->len, aid->s);
	}
	if(r)
		freeReplyObject(r);
	if(!known)
		iter = PW_ITER;
	if(derive(pw, salt, iter, got) < 0) {
		oq_set_error(OMNIQ_EINTERNAL, "PBKDF2 failed");
		return OMNIQ_EINTERNAL;
	}
	rc = CRYPTO_memcmp(got, want, PW_HASH) == 0 && known ? OMNIQ_OK : OMNIQ_EAGENT;
	OPENSSL_cleanse(got, sizeof(got));
	if(rc < 0)
		oq_set_error(OMNIQ_EAGENT, "wrong agent or password");
	return rc;
}

int oq_login_try(const str *key, int fails, int window, int *wait)
{
	char f[16], w[16];
	redisReply *r;
	str a[3];
	int rc;

	a[0] = *key;
	a[1].s = f;
	a[1].len = snprintf(f, sizeof(f), "%d", fails);
	a[2].s = w;
	a[2].len = snprintf(w, sizeof(w), "%d", window);
	r = oq_call("oq_login_try", 3, a, &rc);
	if(r == NULL)
		return rc;
	if(r->type != REDIS_REPLY_ARRAY || r->elements != 2
			|| r->element[0]->type != REDIS_REPLY_INTEGER
			|| r->element[1]->type != REDIS_REPLY_INTEGER || r->element[0]->integer < 0
			|| r->element[0]->integer > 1 || r->element[1]->integer < 0
			|| r->element[1]->integer > window) {
		rc = oq_bad_reply("oq_login_try", r, "[1 or 0, seconds to wait]");
		freeReplyObject(r);
		return rc;
	}
	rc = r->element[0]->integer == 1;
	*wait = (int)r->element[1]->integer;
	freeReplyObject(r);
	return rc;
}

int oq_login_done(const str *key, int ok)
{
	str a[2];

	if(ok == 0) /* counted by oq_login_try already */
		return OMNIQ_OK;
	a[0] = *key;
	a[1].s = ok > 0 ? "ok" : "unchecked";
	a[1].len = (int)strlen(a[1].s);
	return oq_call_checked("oq_login_done", 2, a, OQ_R_OK);
}

static int bad_id(const str *aid)
{
	char why[OQ_WHY_MAX];

	if(oq_check_id(aid->s, aid->len, why) == 0)
		return 0;
	oq_set_error(OMNIQ_EARG, "agent: %s", why);
	return 1;
}

/* A decimal epoch reply of fn (reply r, freed): *epoch, or the error. */
static int epoch_of(const char *fn, redisReply *r, long long *epoch)
{
	char *end;
	long long v;

	if(r->type != REDIS_REPLY_STRING || r->len == 0 || r->len > 18
			|| (v = strtoll(r->str, &end, 10)) < 0 || *end != '\0') {
		int rc = oq_bad_reply(fn, r, "a token epoch (a decimal)");
		freeReplyObject(r);
		return rc;
	}
	*epoch = v;
	freeReplyObject(r);
	return OMNIQ_OK;
}

int oq_agent_token(const str *aid, long long *epoch)
{
	redisReply *r;
	int rc;

	if(bad_id(aid))
		return OMNIQ_EARG;
	if((r = oq_call("oq_agent_token", 1, aid, &rc)) == NULL)
		return rc;
	if(r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		rc = oq_bad_reply("oq_agent_token", r, "[epoch, n]");
		freeReplyObject(r);
		return rc;
	}
	/* the value out of its array, the array freed without it */
	{
		redisReply *v = r->element[1];
		r->element[1] = NULL;
		r->elements = 1;
		freeReplyObject(r);
		return epoch_of("oq_agent_token", v, epoch);
	}
}

int oq_agent_revoke(const str *aid, long long epoch, long long *now)
{
	char eb[24];
	str a[2];
	redisReply *r;
	int rc;

	if(bad_id(aid))
		return OMNIQ_EARG;
	a[0] = *aid;
	a[1].s = eb;
	a[1].len = epoch < 0 ? 0 : snprintf(eb, sizeof(eb), "%lld", epoch);
	if((r = oq_call("oq_agent_revoke", 2, a, &rc)) == NULL)
		return rc;
	return epoch_of("oq_agent_revoke", r, now);
}
