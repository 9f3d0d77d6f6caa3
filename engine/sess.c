/*
 * sess.c - a waiting session as the engine's pull reads it (see sess.h).
 */
#include "sess.h"

#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "oq_limits.h"

#define ENTRY_MAX (17 + 21 + 2 + OQ_SESSION_SKILLS_MAX * (OQ_SKILL_NAME_MAX + 1) + 2)

static int num(oqe_call *c, RedisModuleString *v, const char *what, long long *out)
{
	double d;

	*out = 0;
	if (!v || oqe_empty(v))
		return 0;
	if (RedisModule_StringToDouble(v, &d) != REDISMODULE_OK)
		return oqe_fail(c, "INTERNAL", "%s is not a number: %s", what,
				RedisModule_StringPtrLen(v, NULL)), -1;
	*out = (long long)d;
	return 0;
}

/* 1 loaded, 0 no such session, -1 replied */
int oqe_sess_load(oqe_call *c, RedisModuleString *sid, oqe_sess *s)
{
	size_t l;
	const char *p = RedisModule_StringPtrLen(sid, &l);
	RedisModuleString *cls;

	memset(s, 0, sizeof *s);
	s->id = sid;
	s->key = oqe_key(c, ":s:", p, l);
	if (!(s->k = oqe_hash(c, s->key)))
		return -1;
	if (!oqe_hget(s->k, "id"))
		return 0;
	s->state = oqe_hget(s->k, "state");
	cls = oqe_hget(s->k, "class");
	p = cls ? RedisModule_StringPtrLen(cls, &l) : "";
	if (!cls || (s->cls = oqe_class_of(p, l)) < 0)
		return oqe_fail(c, "INTERNAL", "session %s has no class",
				RedisModule_StringPtrLen(sid, NULL)), -1;
	s->skills = oqe_hget(s->k, "skills");
	if (!s->skills)
		s->skills = RedisModule_CreateString(c->ctx, "", 0);
	s->queue = oqe_hget(s->k, "queue");
	s->affinity = oqe_hget(s->k, "affinity");
	s->channel = oqe_hget(s->k, "channel");
	s->ext = oqe_hget(s->k, "ext");
	if (num(c, oqe_hget(s->k, "priority"), "priority", &s->priority) < 0
			|| num(c, oqe_hget(s->k, "enq"), "enq", &s->enq) < 0
			|| num(c, oqe_hget(s->k, "offers"), "offers", &s->offers) < 0
			|| num(c, oqe_hget(s->k, "transfer_at"), "transfer_at", &s->transfer_at) < 0)
		return -1;
	return 1;
}

long long oqe_sess_score(const oqe_sess *s)
{
	return (1000 - s->priority) * 4398046511104LL + s->enq;
}

/* the index name (first two skills, the only one, or "*") and the member sid|rest|x */
size_t oqe_idx_len(const char *sk, size_t l)
{
	const char *c1 = memchr(sk, ',', l), *c2;

	if (l == 0)
		return 0;
	if (!c1)
		return l;
	c2 = memchr(c1 + 1, ',', sk + l - (c1 + 1));
	return c2 ? (size_t)(c2 - sk) : l;
}

RedisModuleString *oqe_sess_member(oqe_call *c, const oqe_sess *s)
{
	size_t l, il, sl;
	const char *sk = RedisModule_StringPtrLen(s->skills, &l);
	const char *sid = RedisModule_StringPtrLen(s->id, &sl);
	char buf[ENTRY_MAX];
	int n;

	il = oqe_idx_len(sk, l);
	n = snprintf(buf, sizeof buf, "%.*s|%.*s|%s", (int)sl, sid,
			(int)(il < l ? l - il - 1 : 0), il < l ? sk + il + 1 : "",
			s->offers > 0 ? "x" : "");
	return RedisModule_CreateString(c->ctx, buf, (size_t)n);
}

RedisModuleString *oqe_sess_wkey(oqe_call *c, const oqe_sess *s)
{
	size_t l, il;
	const char *sk = RedisModule_StringPtrLen(s->skills, &l);
	char suffix[16];

	il = oqe_idx_len(sk, l);
	snprintf(suffix, sizeof suffix, ":w:%s:", oqe_class_name(s->cls));
	return il ? oqe_key(c, suffix, sk, il) : oqe_key(c, suffix, "*", 1);
}

/* did the agent decline this session (P:s:<sid>:x)? */
int oqe_declined(oqe_call *c, RedisModuleString *sid, RedisModuleString *aid)
{
	size_t l;
	const char *p = RedisModule_StringPtrLen(sid, &l);
	RedisModuleString *x = oqe_key(c, ":s:", p, l);
	RedisModuleCallReply *r;

	RedisModule_StringAppendBuffer(c->ctx, x, ":x", 2);
	r = RedisModule_Call(c->ctx, "SISMEMBER", "ss", x, aid);
	return r && RedisModule_CallReplyType(r) == REDISMODULE_REPLY_INTEGER
			&& RedisModule_CallReplyInteger(r) == 1;
}

