/*
 * customer.c - the customer records the engine's commands touch (see customer.h).
 */
#include "customer.h"

#include <stdio.h>
#include <string.h>

#include "oq_limits.h"
#include "repl.h"

/* the library's C.HIST_MAX: sessions a customer's history keeps in Redis */
#define HIST_MAX 1000

/* the library's C.resolve: as deep as a chain of merges may reach */
#define MERGE_DEPTH 16

static RedisModuleString *ckey(oqe_call *c, RedisModuleString *cid)
{
	size_t len;
	const char *s = RedisModule_StringPtrLen(cid, &len);

	return oqe_key(c, ":c:", s, len);
}

int oqe_customer_resolve(oqe_call *c, RedisModuleString *cid, RedisModuleString **live)
{
	RedisModuleKey *k;
	RedisModuleString *next;
	int i;

	for (i = 0; i < MERGE_DEPTH; i++) {
		if (!(k = oqe_hash(c, ckey(c, cid))))
			return -1;
		if (!oqe_hget(k, "id")) {
			*live = NULL;
			return 0;
		}
		next = oqe_hget(k, "merged_into");
		if (!next || oqe_empty(next))
			break;
		cid = next;
	}
	*live = cid;
	return 0;
}

void oqe_customer_last_agent(oqe_call *c, RedisModuleString *cid, RedisModuleString *aid)
{
	RedisModuleString *name = ckey(c, cid);
	/* a hash: oqe_customer_resolve() found it one in this call */
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, name, REDISMODULE_READ | REDISMODULE_WRITE);

	oqe_hset(c, k, name, 2, "last_agent", aid, "last_agent_at", c->ns);
}

/* P:c:<cid>:h, the customer's sessions still in Redis */
static RedisModuleString *hist_key(oqe_call *c, RedisModuleString *cid)
{
	RedisModuleString *k = ckey(c, cid);

	RedisModule_StringAppendBuffer(c->ctx, k, ":h", 2);
	return k;
}

/* a write through RedisModule_Call, for what the module API has no calls of its own
 * (a string appended to), propagated with the command's other writes (repl.h) */
static RedisModuleCallReply *call_w(oqe_call *c, const char *cmd, RedisModuleString *a,
		RedisModuleString *b)
{
	RedisModuleCallReply *r = RedisModule_Call(c->ctx, cmd, "ss", a, b);

	if (!r || RedisModule_CallReplyType(r) == REDISMODULE_REPLY_ERROR)
		RedisModule_Log(c->ctx, "warning", "omniq engine: %s %s failed: %s", cmd,
				RedisModule_StringPtrLen(a, NULL),
				r ? RedisModule_CallReplyStringPtr(r, NULL) : "no reply");
	else
		oqe_rep(c->ctx, cmd, "ss", a, b);
	return r;
}

void oqe_customer_create(oqe_call *c, RedisModuleString *ident, RedisModuleString *canon,
		RedisModuleString *sid, RedisModuleString **cid)
{
	RedisModuleString *name, *ikey, *h;
	RedisModuleKey *k;
	long long id = 0;
	size_t sl;
	const char *s;

	if ((id = oqe_incr(c, oqe_key(c, ":seq:c", NULL, 0))) < 0) {
		RedisModule_Log(c->ctx, "warning", "omniq engine: %.*s:seq:c is not a counter: "
				"customer id 0 given", (int)c->plen, c->p);
		id = 0;
	}
	*cid = RedisModule_CreateStringFromLongLong(c->ctx, id);
	name = ckey(c, *cid);
	k = RedisModule_OpenKey(c->ctx, name, REDISMODULE_READ | REDISMODULE_WRITE);
	oqe_hset(c, k, name, 3, "id", *cid, "created", c->ns, "ids", ident);
	ikey = oqe_key(c, ":ident", NULL, 0);
	k = RedisModule_OpenKey(c->ctx, ikey, REDISMODULE_READ | REDISMODULE_WRITE);
	RedisModule_HashSet(k, REDISMODULE_HASH_NONE, canon, *cid, NULL);
	oqe_rep(c->ctx, "HSET", "sss", ikey, canon, *cid);
	s = RedisModule_StringPtrLen(sid, &sl);
	h = RedisModule_CreateString(c->ctx, ",", 1);
	RedisModule_StringAppendBuffer(c->ctx, h, s, sl);
	oqe_set(c, hist_key(c, *cid), h);
}

int oqe_customer_check(oqe_call *c, RedisModuleString *cid)
{
	return oqe_hash(c, ckey(c, cid)) ? 0 : -1;
}

/* ident in the comma list ids */
static int list_has(const char *ids, size_t il, const char *x, size_t xl)
{
	const char *p = ids, *end = ids + il;

	while (p <= end) {
		const char *comma = memchr(p, ',', end - p);
		size_t len = comma ? (size_t)(comma - p) : (size_t)(end - p);

		if (len == xl && memcmp(p, x, xl) == 0)
			return 1;
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

static void hist_add(oqe_call *c, RedisModuleString *cid, RedisModuleString *sid)
{
	size_t sl;
	const char *ss = RedisModule_StringPtrLen(sid, &sl);
	RedisModuleString *key = hist_key(c, cid), *item;
	RedisModuleCallReply *r;

	item = RedisModule_CreateString(c->ctx, ",", 1);
	RedisModule_StringAppendBuffer(c->ctx, item, ss, sl);
	r = call_w(c, "APPEND", key, item);
	if (r && RedisModule_CallReplyType(r) == REDISMODULE_REPLY_INTEGER
			&& RedisModule_CallReplyInteger(r) > 22 * HIST_MAX) {
		/* past HIST_MAX the oldest are cut (ids: at most 21 bytes with the comma) */
		RedisModuleKey *k = RedisModule_OpenKey(c->ctx, key, REDISMODULE_READ);
		size_t len, n = 0;
		const char *h = RedisModule_StringDMA(k, &len, REDISMODULE_READ), *p;

		for (p = h + len; p > h; p--)
			if (p[-1] == ',' && ++n == HIST_MAX)
				break;
		if (p > h && n == HIST_MAX)
			call_w(c, "SET", key,
					RedisModule_CreateString(c->ctx, p - 1, (size_t)(h + len - (p - 1))));
	}
}

void oqe_customer_add_session(oqe_call *c, RedisModuleString *cid, RedisModuleString *ident,
		RedisModuleString *sid)
{
	RedisModuleString *name = ckey(c, cid), *ids;
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, name, REDISMODULE_READ | REDISMODULE_WRITE);
	size_t il, xl, n = 0, i;
	const char *is, *xs = RedisModule_StringPtrLen(ident, &xl);

	hist_add(c, cid, sid);
	if (!oqe_hget(k, "id"))
		return;
	ids = oqe_hget(k, "ids");
	is = ids ? RedisModule_StringPtrLen(ids, &il) : "";
	if (!ids)
		il = 0;
	if (list_has(is, il, xs, xl))
		return;
	if (il > 0)
		for (i = 0, n = 1; i < il; i++)
			n += is[i] == ',';
	if (n >= OQ_IDENTITIES_MAX)
		return;
	if (il == 0) {
		oqe_hset(c, k, name, 1, "ids", ident);
	} else {
		RedisModuleString *v = RedisModule_CreateString(c->ctx, is, il);

		RedisModule_StringAppendBuffer(c->ctx, v, ",", 1);
		RedisModule_StringAppendBuffer(c->ctx, v, xs, xl);
		oqe_hset(c, k, name, 1, "ids", v);
	}
}
