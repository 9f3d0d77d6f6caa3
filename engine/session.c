/*
 * session.c - a session's steps that the engine runs (docs/redis-model.md, "The engine"):
 * the answer of an offer (OMNIQ.ACCEPT), the close of a session an agent holds
 * (OMNIQ.CLOSE, with the pull its freed slot makes) and session -> agent for the library's
 * re-queues (OMNIQ.LIB.DECIDE); the library's lua/40_session.lua runs the others until
 * they move here.
 */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "call.h"
#include "cfg.h"
#include "customer.h"
#include "engine.h"
#include "oq_limits.h"
#include "oq_validate.h"
#include "pull.h"
#include "route.h"
#include "wait.h"
#include "repl.h"
#include "sla.h"

/* OMNIQ.ACCEPT P sid aid: the agent the session is offered to takes it. The session becomes
 * active, its offer deadline goes, the customer's last agent is this one, the agent's run
 * of missed offers ends; one event (accept). Reply "OK"; OQ_NOTFOUND, OQ_STATE (not
 * offered) or OQ_AGENT (offered to someone else) with nothing written. */
int oqe_cmd_accept(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	oqe_call c;
	RedisModuleString *sid, *aid, *skey, *akey, *state, *agent, *cust, *channel, *ext;
	RedisModuleString *misses, *answered, *live = NULL;
	RedisModuleKey *s, *a;
	const char *sp;
	size_t sl;
	char past[OQ_ID_MAX + 8];
	int past_len;

	if (oqe_begin(&c, ctx, argv, argc, 2, "sid aid") < 0)
		return REDISMODULE_OK;
	sid = argv[2];
	aid = argv[3];
	if (oqe_check_sid(&c, sid, "session id") < 0 || oqe_check_id(&c, aid, "agent id") < 0)
		return REDISMODULE_OK;
	sp = RedisModule_StringPtrLen(sid, &sl);
	skey = oqe_key(&c, ":s:", sp, sl);
	if (!(s = oqe_hash(&c, skey)))
		return REDISMODULE_OK;
	state = oqe_hget(s, "state");
	if (!state)
		return oqe_fail(&c, "NOTFOUND", "session %s", sp);
	if (!oqe_is(state, "offered"))
		return oqe_fail(&c, "STATE", "session %s is %s, not offered", sp,
				RedisModule_StringPtrLen(state, NULL));
	agent = oqe_hget(s, "agent");
	if (!agent || !oqe_same(agent, aid))
		return oqe_fail(&c, "AGENT", "session %s is not offered to %s", sp,
				RedisModule_StringPtrLen(aid, NULL));
	cust = oqe_hget(s, "customer");
	channel = oqe_hget(s, "channel");
	ext = oqe_hget(s, "ext");
	if (cust && oqe_customer_resolve(&c, cust, &live) < 0)
		return REDISMODULE_OK;
	sp = RedisModule_StringPtrLen(aid, &sl);
	akey = oqe_key(&c, ":a:", sp, sl);
	if (!(a = oqe_hash(&c, akey)))
		return REDISMODULE_OK;
	misses = oqe_hget(a, "misses");
	answered = oqe_hget(s, "answered");

	/* decided: from here on only writes */
	oqe_zrem(&c, oqe_key(&c, ":offers", NULL, 0), sid);
	oqe_hset(&c, s, skey, 3, "state", oqe_name("active"), "updated", c.ns, "offer_exp",
			oqe_name(""));
	/* the first answer: a call's time to answer, the wait a customer really had */
	if (!answered || oqe_empty(answered))
		oqe_hset(&c, s, skey, 1, "answered", c.ns);
	if (live)
		oqe_customer_last_agent(&c, live, aid);
	/* misses counts *consecutive* lapses: a taken offer proves presence */
	if (misses && !oqe_is(misses, "0"))
		oqe_hset(&c, a, akey, 1, "misses", oqe_name("0"));
	/* the sessions the agent has served, for its desk's search (OQ_PAST_MAX newest) */
	past_len = snprintf(past, sizeof past, "%.*s:past", (int)sl, sp);
	oqe_lpush_capped(&c, oqe_key(&c, ":a:", past, (size_t)past_len), sid, OQ_PAST_MAX);
	oqe_count(&c, "accepted", 1);
	oqe_emit(&c, "accept", sid, "active", aid, channel, ext);
	oqe_finish(&c);
	return RedisModule_ReplyWithCString(ctx, "OK");
}

/* The session ends (closed): its state, its node's set, the counter, its retention, the
 * event (lua/40_session.lua S.terminate with retain). */
static void terminate(oqe_call *c, const oqe_cfg *cfg, RedisModuleKey *s, RedisModuleString *skey,
		RedisModuleString *sid, RedisModuleString *disp, RedisModuleString *node,
		RedisModuleString *agent, RedisModuleString *channel, RedisModuleString *ext)
{
	RedisModuleCtx *ctx = c->ctx;
	RedisModuleString *closed = oqe_name("closed");
	RedisModuleKey *k;
	RedisModuleString *key;
	char score[32];

	if (disp)
		oqe_hset(c, s, skey, 3, "state", closed, "updated", c->ns, "disposition", disp);
	else
		oqe_hset(c, s, skey, 2, "state", closed, "updated", c->ns);
	if (node && !oqe_empty(node)) {
		size_t nl;
		const char *n = RedisModule_StringPtrLen(node, &nl);
		RedisModuleString *nk = oqe_key(c, ":node:", n, nl);
		RedisModuleCallReply *r = RedisModule_Call(ctx, "SREM", "ss", nk, sid);

		if (!r || RedisModule_CallReplyType(r) == REDISMODULE_REPLY_ERROR)
			RedisModule_Log(ctx, "warning", "omniq engine: SREM of session %s from node %s "
					"failed", RedisModule_StringPtrLen(sid, NULL), n);
		else
			oqe_rep(ctx, "SREM", "ss", nk, sid);
	}
	oqe_count(c, "closed", 1);
	/* an ended session waits for the sweep to remove it: after its retention, or once
	 * the archive has it */
	if (cfg->archive == 1) {
		key = oqe_key(c, ":arq", NULL, 0);
		snprintf(score, sizeof score, "%lld", c->now);
	} else {
		key = oqe_key(c, ":ret", NULL, 0);
		snprintf(score, sizeof score, "%lld", c->now + cfg->retention * 1000);
	}
	k = RedisModule_OpenKey(ctx, key, REDISMODULE_READ | REDISMODULE_WRITE);
	RedisModule_ZsetAdd(k, (double)(c->now + (cfg->archive == 1 ? 0 : cfg->retention * 1000)),
			sid, NULL);
	oqe_rep(ctx, "ZADD", "scs", key, score, sid);
	oqe_emit(c, "close", sid, "closed", agent, channel, ext);
	oqe_sla_ended(c, sid);
}

/* OMNIQ.CLOSE P sid disposition: oq_close of a session an agent holds (active, or in
 * wrap-up). active with wrapup_time: into wrap-up; else closed, and the agent's slot pulls
 * the best waiting session it may take (pull.c). Replies [sid, state]; ["library"] with
 * nothing written when the session is queued or offered (an abandon, which the library
 * does); an OQ_ error with nothing written. */
int oqe_cmd_close(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	oqe_call c;
	const oqe_cfg *cfg;
	RedisModuleString *sid, *disp, *skey, *state, *agent, *cls, *channel, *ext, *node;
	RedisModuleKey *s;
	oqe_agent a;
	const char *sp, *cl;
	size_t sl, cll;
	int cid, have_agent = 0, wrapup;

	if (oqe_begin(&c, ctx, argv, argc, 2, "sid disposition") < 0)
		return REDISMODULE_OK;
	sid = argv[2];
	disp = argv[3];
	if (oqe_check_sid(&c, sid, "session id") < 0)
		return REDISMODULE_OK;
	if (oqe_empty(disp))
		disp = NULL;
	else if (oqe_check_id(&c, disp, "disposition") < 0)
		return REDISMODULE_OK;
	sp = RedisModule_StringPtrLen(sid, &sl);
	skey = oqe_key(&c, ":s:", sp, sl);
	if (!(s = oqe_hash(&c, skey)))
		return REDISMODULE_OK;
	if (!(state = oqe_hget(s, "state")))
		return oqe_fail(&c, "NOTFOUND", "session %s", sp);
	if (oqe_is(state, "queued") || oqe_is(state, "offered")) {
		RedisModule_ReplyWithArray(ctx, 1);
		return RedisModule_ReplyWithCString(ctx, "library");
	}
	wrapup = oqe_is(state, "wrapup");
	if (!wrapup && !oqe_is(state, "active"))
		return oqe_fail(&c, "STATE", "session %s is already %s", sp,
				RedisModule_StringPtrLen(state, NULL));
	agent = oqe_hget(s, "agent");
	cls = oqe_hget(s, "class");
	channel = oqe_hget(s, "channel");
	ext = oqe_hget(s, "ext");
	node = oqe_hget(s, "node");
	cl = cls ? RedisModule_StringPtrLen(cls, &cll) : "";
	if ((cid = oqe_class_of(cl, cls ? cll : 0)) < 0)
		return oqe_fail(&c, "INTERNAL", "session %s has no class", sp);
	cfg = oqe_cfg_get(&c);
	if (oqe_zset_ok(&c, oqe_key(&c, ":wu", NULL, 0)) < 0
			|| oqe_zset_ok(&c, oqe_key(&c, ":ret", NULL, 0)) < 0
			|| oqe_zset_ok(&c, oqe_key(&c, ":arq", NULL, 0)) < 0)
		return REDISMODULE_OK;

	if (!wrapup && cfg->wrapup_time > 0) {
		/* active -> wrapup: the agent keeps the slot until the wrap-up ends */
		RedisModuleString *wu = oqe_key(&c, ":wu", NULL, 0);
		RedisModuleKey *k;
		char score[32];

		if (disp)
			oqe_hset(&c, s, skey, 3, "state", oqe_name("wrapup"),
					"updated", c.ns, "disposition", disp);
		else
			oqe_hset(&c, s, skey, 2, "state", oqe_name("wrapup"),
					"updated", c.ns);
		snprintf(score, sizeof score, "%lld", c.now + cfg->wrapup_time * 1000);
		k = RedisModule_OpenKey(ctx, wu, REDISMODULE_READ | REDISMODULE_WRITE);
		RedisModule_ZsetAdd(k, (double)(c.now + cfg->wrapup_time * 1000), sid, NULL);
		oqe_rep(ctx, "ZADD", "scs", wu, score, sid);
		oqe_emit(&c, "wrapup", sid, "wrapup", agent, channel, ext);
		/* the conversation is over for the customer: its survey is not held for the
		 * agent's wrap-up (lua/77_survey.lua) */
		oqe_sla_ended(&c, sid);
		RedisModule_ReplyWithArray(ctx, 2);
		RedisModule_ReplyWithString(ctx, sid);
		return RedisModule_ReplyWithCString(ctx, "wrapup");
	}

	/* wrapup/active -> closed: the agent's work is over, its slot pulls the next */
	if (agent && !oqe_empty(agent)) {
		if ((have_agent = oqe_agent_load(&c, agent, &a)) < 0)
			return REDISMODULE_OK;
	}
	if (wrapup)
		oqe_zrem(&c, oqe_key(&c, ":wu", NULL, 0), sid);
	terminate(&c, cfg, s, skey, sid, disp, node, agent, channel, ext);
	if (have_agent) {
		RedisModuleString *out[1];

		oqe_agent_release(&c, &a, sid, cid);
		if (oqe_pull(&c, cfg, &a, oqe_agent_freed_room(cfg, &a, cid), 0, out, 1) < 0)
			return REDISMODULE_OK;
	}
	oqe_finish(&c);
	RedisModule_ReplyWithArray(ctx, 2);
	RedisModule_ReplyWithString(ctx, sid);
	return RedisModule_ReplyWithCString(ctx, "closed");
}

/* OMNIQ.LIB.DECIDE P class skills pref park [declined...]: where a queued session goes
 * (route.c), for the library's own steps that re-queue one (a decline, a lapse, a
 * transfer, a reopen, the sweep); writes nothing. Reply [offer|park|wait, agent]. */
int oqe_cmd_lib_decide(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	oqe_call c;
	const oqe_cfg *cfg;
	oqe_route_req req;
	oqe_agent a;
	RedisModuleString *agent = NULL;
	const char *p;
	size_t len;
	char why[OQ_WHY_MAX], canon_skills[OQ_SKILLS_BUF];
	int d, i;

	/* the decliners are a list of any length: the four fixed arguments are counted */
	if (oqe_begin(&c, ctx, argv, argc < 6 ? argc : 6, 4,
				"class skills pref park [declined...]") < 0)
		return REDISMODULE_OK;
	if (argc - 6 > OQE_DECLINED_MAX)
		return oqe_fail(&c, "ARG", "at most %d decliners", OQE_DECLINED_MAX);
	memset(&req, 0, sizeof req);
	p = RedisModule_StringPtrLen(argv[2], &len);
	if ((req.cls = oqe_class_of(p, len)) < 0)
		return oqe_fail(&c, "ARG", "class must be voice, chat or email");
	p = RedisModule_StringPtrLen(argv[3], &len);
	if (oq_skills_canon(p, len, canon_skills, sizeof canon_skills, why) < 0
			|| strlen(canon_skills) != len || memcmp(canon_skills, p, len) != 0)
		return oqe_fail(&c, "ARG", "skills must be canonical (sorted, lowercase)");
	req.skills = p;
	req.skills_len = len;
	if (!oqe_empty(argv[4]) && oqe_check_id(&c, argv[4], "agent id") < 0)
		return REDISMODULE_OK;
	for (i = 6; i < argc; i++)
		if (oqe_check_id(&c, argv[i], "decliner") < 0)
			return REDISMODULE_OK;
	req.declined = argv + 6;
	req.ndeclined = argc - 6;
	cfg = oqe_cfg_get(&c);
	d = oqe_route_decide(&c, cfg, &req, argv[4], oqe_is(argv[5], "1"), &agent, &a);
	if (d < 0)
		return REDISMODULE_OK;
	RedisModule_ReplyWithArray(ctx, 2);
	RedisModule_ReplyWithCString(ctx, d == OQE_OFFER ? "offer" : d == OQE_PARK ? "park" : "wait");
	if (agent)
		return RedisModule_ReplyWithString(ctx, agent);
	return RedisModule_ReplyWithCString(ctx, "");
}
