/*
 * sla.c - the service-level clocks' moments (see sla.h). The same writes as the library's
 * SL.new and SL.message (lua/80_sla.lua), which the library's own steps call.
 */
#include <string.h>

#include "sla.h"
#include "repl.h"

static int exists(oqe_call *c, const char *suffix)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, oqe_key(c, suffix, NULL, 0),
			REDISMODULE_READ);
	int t = RedisModule_KeyType(k);

	RedisModule_CloseKey(k); /* a handle left open dangles once the key is emptied */
	return t != REDISMODULE_KEYTYPE_EMPTY;
}

/* Does the tenant have a policy, or a queue with business hours (whose closed notice the
 * sweep's look at a new session sends)? Looked up once per call (an APPEND_MANY of 32
 * messages looks once). */
int oqe_sla_on(oqe_call *c)
{
	if (c->sla == 0)
		c->sla = exists(c, ":sla:pol") || exists(c, ":bhq") ? 2 : 1;
	return c->sla == 2;
}

/* ZADD P:look LT now sid: looked at by the next sweep, or earlier if it was due earlier */
static void look_now(oqe_call *c, RedisModuleString *sid)
{
	RedisModuleString *name = oqe_key(c, ":look", NULL, 0);
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, name, REDISMODULE_READ | REDISMODULE_WRITE);
	int t = RedisModule_KeyType(k), flags = REDISMODULE_ZADD_LT;

	if (t != REDISMODULE_KEYTYPE_EMPTY && t != REDISMODULE_KEYTYPE_ZSET) {
		RedisModule_Log(c->ctx, "warning", "omniq engine: %.*s:look is not a sorted set: the "
				"service-level clocks of session %s are not noted", (int)c->plen, c->p,
				RedisModule_StringPtrLen(sid, NULL));
		return;
	}
	if (RedisModule_ZsetAdd(k, (double)c->now, sid, &flags) != REDISMODULE_OK)
		return;
	if (flags & (REDISMODULE_ZADD_ADDED | REDISMODULE_ZADD_UPDATED))
		oqe_rep(c->ctx, "ZADD", "scss", name, "LT", c->ns, sid);
}

void oqe_sla_ended(oqe_call *c, RedisModuleString *sid)
{
	/* its figures (lua/76_report.lua), its follow-up rules (lua/79_followup.lua), its
	 * survey (lua/77_survey.lua): the sweep looks at every session that ends */
	look_now(c, sid);
}

void oqe_sla_new(oqe_call *c, RedisModuleString *sid)
{
	if (oqe_sla_on(c))
		look_now(c, sid);
}

void oqe_sla_message(oqe_call *c, RedisModuleKey *s, const char *sp, size_t sl,
		RedisModuleString *sid, const char *dir)
{
	RedisModuleString *t_in, *skey;

	if (!oqe_sla_on(c))
		return; /* a tenant without policies: not even the key's name is made */
	skey = oqe_key(c, ":s:", sp, sl);
	t_in = oqe_hget(s, "t_in");
	if (strcmp(dir, "in") == 0) {
		if (t_in && !oqe_empty(t_in))
			return; /* the reply clock runs since an earlier message */
		oqe_hset(c, s, skey, 1, "t_in", c->ns);
		look_now(c, sid);
	} else if (strcmp(dir, "out") == 0) {
		RedisModuleString *first = oqe_hget(s, "t_out1");

		if (!first || oqe_empty(first))
			oqe_hset(c, s, skey, 1, "t_out1", c->ns);
		if (t_in && !oqe_empty(t_in))
			oqe_hset(c, s, skey, 1, "t_in", oqe_name(""));
	}
}
