/*
 * wechat_token.c - see wechat_token.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "core/dprint.h"

#include "omniq/omniq_clock.h"
#include "omniq/omniq_urlenc.h"

#include "wechat_token.h"
#include "wechat_api.h"
#include "wechat_stats.h"

#define LEASE_MS 15000     /* one refresh: a token request within the API timeout */
#define WAIT_MS 3000       /* how long a process waits for another's refresh */
#define MARGIN_MAX_MS 300000

static omniq_api_t *oq;

void wx_token_init(omniq_api_t *api)
{
	oq = api;
}

void wx_holder(char *out, size_t size)
{
	char host[64];

	if(gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	snprintf(out, size, "%s/%d", host, (int)getpid());
}

static long long margin(long long life_ms)
{
	return life_ms / 10 < MARGIN_MAX_MS ? life_ms / 10 : MARGIN_MAX_MS;
}

/* fetched from WeChat and put in Redis for everyone: 0, or -1 with why */
static int fetch(const wx_conf_t *a, const char *key, const str *name, char *out, size_t size,
		char *why, size_t wsize, long long *life_out)
{
	char id[3 * WX_ID_MAX + 1], secret[3 * WX_ID_MAX + 1], query[512];
	char val[WX_TOKEN_MAX + 32];
	wx_answer_t ans;
	json_t *tok, *exp;
	long long life;
	str v;
	int rc;

	if(omniq_url_encode(a->appid, strlen(a->appid), id, sizeof(id)) < 0
			|| omniq_url_encode(key, strlen(key), secret, sizeof(secret)) < 0)
		return -1;
	if(a->cb.wecom)
		snprintf(query, sizeof(query), "corpid=%s&corpsecret=%s", id, secret);
	else
		snprintf(query, sizeof(query), "grant_type=client_credential&appid=%s&secret=%s", id,
				secret);
	if(wx_api_call(a->cb.wecom, a->cb.wecom ? "/cgi-bin/gettoken" : "/cgi-bin/token", query,
			   NULL, NULL, &ans)
					< 0
			|| ans.errcode != 0) {
		snprintf(why, wsize, "no access token for %s: %s", a->name, ans.why);
		if(ans.errcode != 0 && ans.errcode != WX_NOT_JSON)
			LM_ERR("account %s: WeChat refused an access token (%s): check its appid and "
				   "secret\n",
					a->name, ans.why);
		json_decref(ans.json);
		return -1;
	}
	tok = json_object_get(ans.json, "access_token");
	exp = json_object_get(ans.json, "expires_in");
	if(!json_is_string(tok) || json_string_length(tok) < 1
			|| json_string_length(tok) >= size || !json_is_integer(exp)
			|| json_integer_value(exp) < 10 || json_integer_value(exp) > 30 * 86400) {
		snprintf(why, wsize, "no access token for %s: WeChat's answer had no usable "
							 "access_token and expires_in",
				a->name);
		json_decref(ans.json);
		return -1;
	}
	memcpy(out, json_string_value(tok), json_string_length(tok) + 1);
	life = json_integer_value(exp) * 1000LL;
	json_decref(ans.json);
	wx_stat_inc(WX_ST_TOKENS);
	*life_out = life;
	snprintf(val, sizeof(val), "%lld %s", life, out);
	v = omniq_str(val);
	if((rc = oq->chan_set(&wx_channel, name, &v, life)) < 0)
		LM_WARN("account %s: a new access token not shared (%s): other processes fetch "
				"their own\n",
				a->name, oq->last_error());
	return 0;
}

/* "<life_ms> <token>" from Redis into out and *life: 0, or -1 when it is no such value */
static int parse(const char *v, char *out, size_t size, long long *life)
{
	char *end;
	const char *tok;

	*life = strtoll(v, &end, 10);
	if(end == v || *end != ' ' || *life < 1)
		return -1;
	tok = end + 1;
	if(*tok == '\0' || strlen(tok) >= size)
		return -1;
	memmove(out, tok, strlen(tok) + 1);
	return 0;
}

/* This process's copy of each token it used, good until the refresh window of its life
 * opens (then Redis is asked again, where a refresher may have put a newer one): most sends
 * cost no Redis round trip for their token. A rejected token is never served from here. */
typedef struct cached {
	char appid[WX_ID_MAX + 16]; /* "token:<appid>[:app]" */
	char token[WX_TOKEN_MAX];
	long long until_ms; /* monotonic */
} cached_t;

static cached_t cache[2 * WX_ACCOUNTS_MAX];

static int token_shared(const wx_conf_t *a, int app, const char *rejected, char *out,
		size_t size, char *why, size_t wsize, cached_t *c);

static cached_t *cache_of(const char *tname)
{
	cached_t *c, *free_slot = NULL;
	size_t i;

	for(i = 0; i < sizeof(cache) / sizeof(cache[0]); i++) {
		c = &cache[i];
		if(!strcmp(c->appid, tname))
			return c;
		if(!c->appid[0] && !free_slot)
			free_slot = c;
	}
	if(free_slot)
		snprintf(free_slot->appid, sizeof(free_slot->appid), "%s", tname);
	return free_slot;
}

int wx_token(const wx_conf_t *a, int app, const char *rejected, char *out, size_t size,
		char *why, size_t wsize)
{
	char tname[WX_ID_MAX + 12];
	cached_t *c;
	int rc;

	snprintf(tname, sizeof(tname), "token:%s%s", a->appid, app ? ":app" : "");
	c = cache_of(tname);
	if(c && c->token[0] && omniq_mono_ms() < c->until_ms
			&& !(rejected && !strcmp(c->token, rejected)) && strlen(c->token) < size) {
		memcpy(out, c->token, strlen(c->token) + 1);
		return 0;
	}
	if(c)
		c->token[0] = '\0';
	if((rc = token_shared(a, app, rejected, out, size, why, wsize, c)) == 0 && c
			&& strlen(out) < sizeof(c->token))
		memcpy(c->token, out, strlen(out) + 1);
	return rc;
}

/* The token from Redis, or fetched by the one refresher; c->until_ms (c may be NULL) set to
 * when this process must ask Redis again. */
static int token_shared(const wx_conf_t *a, int app, const char *rejected, char *out,
		size_t size, char *why, size_t wsize, cached_t *c)
{
	char tname[WX_ID_MAX + 12], lname[WX_ID_MAX + 14], owner[96];
	char v[WX_TOKEN_MAX + 32];
	str tn, ln, ow, empty = {"", 0};
	long long ttl = -1, life = 0, until = omniq_mono_ms() + WAIT_MS;
	int rc, found, got;

	snprintf(tname, sizeof(tname), "token:%s%s", a->appid, app ? ":app" : "");
	snprintf(lname, sizeof(lname), "refresh:%s%s", a->appid, app ? ":app" : "");
	wx_holder(owner, sizeof(owner));
	tn = omniq_str(tname);
	ln = omniq_str(lname);
	ow = omniq_str(owner);
	for(;;) {
		rc = oq->chan_get(&wx_channel, &tn, v, (int)sizeof(v), &ttl);
		if(rc < 0 && rc != OMNIQ_ENOTFOUND) {
			snprintf(why, wsize, "no access token for %s: %s", a->name, oq->last_error());
			return -1;
		}
		found = rc == OMNIQ_OK && parse(v, out, size, &life) == 0;
		got = found && !(rejected && !strcmp(out, rejected));
		/* fresh enough (or kept without expiry: set by hand) */
		if(got && (ttl < 0 || ttl > margin(life))) {
			if(c)
				c->until_ms = omniq_mono_ms() + (ttl < 0 ? 60000 : ttl - margin(life));
			return 0;
		}
		rc = oq->chan_lease(&wx_channel, &ln, &ow, LEASE_MS, NULL);
		if(rc < 0) {
			snprintf(why, wsize, "no access token for %s: %s", a->name, oq->last_error());
			return -1;
		}
		if(rc == OMNIQ_OK) {
			if(found && !got)
				oq->chan_set(&wx_channel, &tn, &empty, 0); /* the one WeChat refused */
			rc = fetch(a, app ? a->agent_secret : a->secret, &tn, out, size, why, wsize, &life);
			oq->chan_lease(&wx_channel, &ln, &ow, 0, NULL);
			if(rc == 0 && c)
				c->until_ms = omniq_mono_ms() + life - margin(life);
			/* a failed refresh: the old token, while it lives, is better than none */
			return rc == 0 || got ? 0 : -1;
		}
		/* another process refreshes: the old token serves meanwhile, or wait for the new */
		if(got)
			return 0;
		if(omniq_mono_ms() >= until) {
			snprintf(why, wsize, "no access token for %s: another process is fetching it "
								 "and has not finished",
					a->name);
			return -1;
		}
		{
			struct timespec ts = {0, 100 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
}

int wx_call_with_token(const wx_conf_t *a, int app, const char *path, const char *body,
		const wx_opts_t *opt, wx_answer_t *ans)
{
	char tok[WX_TOKEN_MAX], query[WX_TOKEN_MAX * 3 + 320], enc[WX_TOKEN_MAX * 3], where[256];
	const char *q = strchr(path, '?');
	int rc, again;

	/* "path?more=..." : the token goes first, the path's own query after it */
	if(q && (size_t)(q - path) < sizeof(where) && strlen(q) < 300) {
		memcpy(where, path, (size_t)(q - path));
		where[q - path] = '\0';
		path = where;
		q++;
	} else {
		q = NULL;
	}
	for(again = 0;; again++) {
		if(wx_token(a, app, again ? tok : NULL, tok, sizeof(tok), ans->why, sizeof(ans->why))
				< 0) {
			ans->http = 0;
			ans->json = NULL;
			return -1;
		}
		if(omniq_url_encode(tok, strlen(tok), enc, sizeof(enc)) < 0)
			return -1;
		snprintf(query, sizeof(query), "access_token=%s%s%s", enc, q ? "&" : "", q ? q : "");
		rc = wx_api_call(a->cb.wecom, path, query, body, opt, ans);
		if(rc < 0 || !wx_token_refused(ans->errcode) || again)
			return rc;
		LM_NOTICE("account %s: WeChat refused the access token (%s): a new one\n", a->name,
				ans->why);
		json_decref(ans->json);
		ans->json = NULL;
	}
}
