/*
 * session.c - a session's steps that the engine runs (docs/redis-model.md, "The engine"):
 * the answer of an offer (OMNIQ.ACCEPT) and the close of a session an agent holds
 * (OMNIQ.LIB.CLOSE, a step of the library's oq_close); the library's lua/40_session.lua
 * runs the others until they move here.
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
#include "route.h"
#include "wait.h"

static int same(RedisModuleString *a, RedisModuleString *b)
{
	size_t la, lb;
	const char *sa = RedisModule_StringPtrLen(a, &la), *sb = RedisModule_StringPtrLen(b, &lb);

	return la == lb && memcmp(sa, sb, la) == 0;
}

static int is(RedisModuleString *a, const char *s)
{
	size_t la;
	const char *sa = RedisModule_StringPtrLen(a, &la);

	return la == strlen(s) && memcmp(sa, s, la) == 0;
}

/* OMNIQ.ACCEPT P sid aid: the agent the session is offered to takes it. The session becomes
 * active, its offer deadline goes, the customer's last agent is this one, the agent's run
 * of missed offers ends; one event (accept). Reply "OK"; OQ_NOTFOUND, OQ_STATE (not
 * offered) or OQ_AGENT (offered to someone else) with nothing written. */
int oqe_cmd_accept(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	oqe_call c;
	RedisModuleString *sid, *aid, *skey, *akey, *state, *agent, *cust, *channel, *ext;
	RedisModuleString *misses, *live = NULL;
	RedisModuleKey *s, *a;
	const char *sp;
	size_t sl;

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
	if (!is(state, "offered"))
		return oqe_fail(&c, "STATE", "session %s is %s, not offered", sp,
				RedisModule_StringPtrLen(state, NULL));
	agent = oqe_hget(s, "agent");
	if (!agent || !same(agent, aid))
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

	/* decided: from here on only writes */
	oqe_zrem(&c, oqe_key(&c, ":offers", NULL, 0), sid);
	oqe_hset(&c, s, skey, 3, "state", RedisModule_CreateString(ctx, "active", 6),
			"updated", c.ns, "offer_exp", RedisModule_CreateString(ctx, "", 0));
	if (live)
		oqe_customer_last_agent(&c, live, aid);
	/* misses counts *consecutive* lapses: a taken offer proves presence */
	if (misses && !is(misses, "0"))
		oqe_hset(&c, a, akey, 1, "misses", RedisModule_CreateString(ctx, "0", 1));
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
	RedisModuleString *closed = RedisModule_CreateString(ctx, "closed", 6);
	RedisModuleKey *k;
	RedisModuleString *key;
	char score[32];

	if (disp)
		oqe_hset(c, s, skey, 3, "state", closed, "updated", c->ns, "disposition", disp);
	else
		oqe_hset(c, s, skey, 2, "state", closed, "updated", c->ns);
	if (node && RedisModule_StringPtrLen(node, NULL)[0]) {
		size_t nl;
		const char *n = RedisModule_StringPtrLen(node, &nl);
		RedisModuleCallReply *r = RedisModule_Call(ctx, "SREM", "!ss",
				oqe_key(c, ":node:", n, nl), sid);

		if (!r || RedisModule_CallReplyType(r) == REDISMODULE_REPLY_ERROR)
			RedisModule_Log(ctx, "warning", "omniq engine: SREM of session %s from node %s "
					"failed", RedisModule_StringPtrLen(sid, NULL), n);
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
	RedisModule_Replicate(ctx, "ZADD", "scs", key, score, sid);
	oqe_emit(c, "close", sid, "closed", agent, channel, ext);
}

static int type_is_zset_or_empty(oqe_call *c, RedisModuleString *key)
{
	int t = RedisModule_KeyType(RedisModule_OpenKey(c->ctx, key, REDISMODULE_READ));

	if (t == REDISMODULE_KEYTYPE_EMPTY || t == REDISMODULE_KEYTYPE_ZSET)
		return 0;
	oqe_fail(c, "INTERNAL", "%s is not a zset", RedisModule_StringPtrLen(key, NULL));
	return -1;
}

static int zset_or_empty(oqe_call *c, const char *suffix)
{
	RedisModuleString *key = oqe_key(c, suffix, NULL, 0);
	int t = RedisModule_KeyType(RedisModule_OpenKey(c->ctx, key, REDISMODULE_READ));

	if (t == REDISMODULE_KEYTYPE_EMPTY || t == REDISMODULE_KEYTYPE_ZSET)
		return 0;
	oqe_fail(c, "INTERNAL", "%s is not a zset", RedisModule_StringPtrLen(key, NULL));
	return -1;
}

/* OMNIQ.LIB.CLOSE P sid disposition: the close of a session an agent holds (active, or in
 * wrap-up), a step of the library's oq_close, which alone calls it. active with
 * wrapup_time: into wrap-up; else closed, the agent's slot given back. Replies
 *   [sid, state]                 done
 *   [sid, state, aid, limit]     done; sessions wait that the agent may take: the library
 *                                pulls for it (R.pull, up to limit), in the same FCALL
 *   ["library"]                  nothing written: the session is queued or offered, the
 *                                library closes it (an abandon)
 * or an OQ_ error with nothing written. */
int oqe_cmd_lib_close(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	oqe_call c;
	const oqe_cfg *cfg;
	RedisModuleString *sid, *disp, *skey, *state, *agent, *cls, *channel, *ext, *node;
	RedisModuleKey *s;
	oqe_agent a;
	const char *sp, *cl;
	size_t sl, cll;
	int cid, have_agent = 0, wrapup;
	char avx[OQE_AVX_MAX];
	long limit;

	if (oqe_begin(&c, ctx, argv, argc, 2, "sid disposition") < 0)
		return REDISMODULE_OK;
	sid = argv[2];
	disp = argv[3];
	if (oqe_check_sid(&c, sid, "session id") < 0)
		return REDISMODULE_OK;
	if (RedisModule_StringPtrLen(disp, NULL)[0] == '\0')
		disp = NULL;
	else if (oqe_check_id(&c, disp, "disposition") < 0)
		return REDISMODULE_OK;
	sp = RedisModule_StringPtrLen(sid, &sl);
	skey = oqe_key(&c, ":s:", sp, sl);
	if (!(s = oqe_hash(&c, skey)))
		return REDISMODULE_OK;
	if (!(state = oqe_hget(s, "state")))
		return oqe_fail(&c, "NOTFOUND", "session %s", sp);
	if (is(state, "queued") || is(state, "offered")) {
		RedisModule_ReplyWithArray(ctx, 1);
		return RedisModule_ReplyWithCString(ctx, "library");
	}
	wrapup = is(state, "wrapup");
	if (!wrapup && !is(state, "active"))
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
	if (zset_or_empty(&c, ":wu") < 0 || zset_or_empty(&c, ":ret") < 0
			|| zset_or_empty(&c, ":arq") < 0)
		return REDISMODULE_OK;

	if (!wrapup && cfg->wrapup_time > 0) {
		/* active -> wrapup: the agent keeps the slot until the wrap-up ends */
		RedisModuleString *wu = oqe_key(&c, ":wu", NULL, 0);
		RedisModuleKey *k;
		char score[32];

		if (disp)
			oqe_hset(&c, s, skey, 3, "state", RedisModule_CreateString(ctx, "wrapup", 6),
					"updated", c.ns, "disposition", disp);
		else
			oqe_hset(&c, s, skey, 2, "state", RedisModule_CreateString(ctx, "wrapup", 6),
					"updated", c.ns);
		snprintf(score, sizeof score, "%lld", c.now + cfg->wrapup_time * 1000);
		k = RedisModule_OpenKey(ctx, wu, REDISMODULE_READ | REDISMODULE_WRITE);
		RedisModule_ZsetAdd(k, (double)(c.now + cfg->wrapup_time * 1000), sid, NULL);
		RedisModule_Replicate(ctx, "ZADD", "scs", wu, score, sid);
		oqe_emit(&c, "wrapup", sid, "wrapup", agent, channel, ext);
		RedisModule_ReplyWithArray(ctx, 2);
		RedisModule_ReplyWithString(ctx, sid);
		return RedisModule_ReplyWithCString(ctx, "wrapup");
	}

	/* wrapup/active -> closed: the agent's work is over, its slot pulls the next */
	if (agent && RedisModule_StringPtrLen(agent, NULL)[0]) {
		if ((have_agent = oqe_agent_load(&c, agent, &a)) < 0)
			return REDISMODULE_OK;
	}
	if (wrapup)
		oqe_zrem(&c, oqe_key(&c, ":wu", NULL, 0), sid);
	terminate(&c, cfg, s, skey, sid, disp, node, agent, channel, ext);
	limit = 0;
	if (have_agent) {
		oqe_agent_release(&c, &a, sid, cid);
		limit = oqe_agent_freed_room(cfg, &a, cid);
		if (limit > oqe_agent_room(&a))
			limit = oqe_agent_room(&a);
		oqe_agent_avx(cfg, &a, avx);
		if (limit <= 0 || avx[0] == '\0' || !oqe_agent_work_waits(&c, cfg, &a, avx))
			limit = 0;
		oqe_agent_save(&c, cfg, &a);
	}
	oqe_finish(&c);
	RedisModule_ReplyWithArray(ctx, limit > 0 ? 4 : 2);
	RedisModule_ReplyWithString(ctx, sid);
	RedisModule_ReplyWithCString(ctx, "closed");
	if (limit > 0) {
		RedisModule_ReplyWithString(ctx, agent);
		RedisModule_ReplyWithLongLong(ctx, limit);
	}
	return REDISMODULE_OK;
}

/* the internal arguments' checks: what ends up in key names and lists must be well
 * formed whoever calls (the library passes what it validated) */
static int check_text(oqe_call *c, RedisModuleString *v, const char *what, size_t max,
		int empty_ok)
{
	size_t len, i;
	const char *s = RedisModule_StringPtrLen(v, &len);

	if ((!empty_ok && len == 0) || len > max)
		return oqe_fail(c, "ARG", "%s: empty or longer than %zu bytes", what, max), -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 32 || s[i] == 127 || s[i] == ',')
			return oqe_fail(c, "ARG", "%s: control characters or commas", what), -1;
	return 0;
}

/* OMNIQ.LIB.ENQUEUE P channel class identity canonical skills priority queue ext node cid
 *                   pref
 * A new session, a step of the library's oq_enqueue, which alone calls it after it has
 * validated the contact and found its customer (cid; "" for a new one) and the agent the
 * customer goes back to (pref; "" for none): where the session goes (route.c: offered to
 * pref or the best agent with room, parked for pref, or waiting), then its id and hash,
 * the customer's record and history, its node, the counters and events, then the offer
 * (deadline, the agent's load and indexes), the park or the wait index.
 * Reply [sid, state, agent, position, cid], as oq_enqueue's. */
int oqe_cmd_lib_enqueue(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	oqe_call c;
	const oqe_cfg *cfg;
	RedisModuleString *channel, *class, *ident, *canon, *skills, *queue, *ext, *node, *cid,
			*pref, *agent = NULL, *sid, *skey;
	RedisModuleString *prio_s, *zero, *one, *h[2 * 20];
	RedisModuleKey *s;
	RedisModuleCallReply *r;
	oqe_agent a;
	oqe_waiting w;
	oqe_route_req req;
	char why[OQ_WHY_MAX], canon_skills[OQ_SKILLS_BUF], expires[32];
	const char *p;
	size_t len, ql;
	long long prio, sidn = 0, pos = 0;
	int cls, offer, park, d, n = 0, i;

	if (oqe_begin(&c, ctx, argv, argc, 11, "channel class identity canonical skills priority "
				"queue ext node cid pref") < 0)
		return REDISMODULE_OK;
	channel = argv[2]; class = argv[3]; ident = argv[4]; canon = argv[5]; skills = argv[6];
	prio_s = argv[7]; queue = argv[8]; ext = argv[9]; node = argv[10]; cid = argv[11];
	pref = argv[12];

	p = RedisModule_StringPtrLen(channel, &len);
	if (oq_check_channel(p, len, NULL, why) < 0)
		return oqe_fail(&c, "ARG", "channel: %s", why);
	p = RedisModule_StringPtrLen(class, &len);
	if ((cls = oqe_class_of(p, len)) < 0)
		return oqe_fail(&c, "ARG", "class must be voice, chat or email");
	if (check_text(&c, ident, "identity", OQ_IDENTITY_MAX, 0) < 0
			|| check_text(&c, canon, "canonical identity", OQ_IDENTITY_MAX + 16, 0) < 0
			|| oqe_check_id(&c, queue, "queue") < 0)
		return REDISMODULE_OK;
	p = RedisModule_StringPtrLen(skills, &len);
	if (oq_skills_canon(p, len, canon_skills, sizeof canon_skills, why) < 0)
		return oqe_fail(&c, "ARG", "skills: %s", why);
	if (strlen(canon_skills) != len || memcmp(canon_skills, p, len) != 0)
		return oqe_fail(&c, "ARG", "skills must be canonical (sorted, lowercase): %s",
				canon_skills);
	if (RedisModule_StringToLongLong(prio_s, &prio) != REDISMODULE_OK || prio < 0
			|| prio > OQ_PRIORITY_MAX)
		return oqe_fail(&c, "ARG", "priority must be 0..%d", OQ_PRIORITY_MAX);
	p = RedisModule_StringPtrLen(ext, &len);
	if (oq_check_text(OQ_TEXT_EXT, p, len, why) < 0)
		return oqe_fail(&c, "ARG", "ext: %s", why);
	if (RedisModule_StringPtrLen(node, NULL)[0] && oqe_check_id(&c, node, "node") < 0)
		return REDISMODULE_OK;
	if (RedisModule_StringPtrLen(cid, NULL)[0] && oqe_check_sid(&c, cid, "customer id") < 0)
		return REDISMODULE_OK;
	if (RedisModule_StringPtrLen(pref, NULL)[0] && oqe_check_id(&c, pref, "agent id") < 0)
		return REDISMODULE_OK;

	/* everything read, checked and decided before the first write */
	cfg = oqe_cfg_get(&c);
	memset(&req, 0, sizeof req);
	req.cls = cls;
	req.skills = RedisModule_StringPtrLen(skills, &req.skills_len);
	if ((d = oqe_route_decide(&c, cfg, &req, pref, 1, &agent, &a)) < 0)
		return REDISMODULE_OK;
	offer = d == OQE_OFFER;
	park = d == OQE_PARK;
	if (offer && zset_or_empty(&c, ":offers") < 0)
		return REDISMODULE_OK;
	if (RedisModule_StringPtrLen(cid, NULL)[0] && oqe_customer_check(&c, cid) < 0)
		return REDISMODULE_OK;
	memset(&w, 0, sizeof w);
	w.cls = cls;
	w.skills = RedisModule_StringPtrLen(skills, &w.skills_len);
	w.score = (1000 - prio) * 4398046511104LL + c.now;
	w.wait_from = c.now;
	w.queue = queue;
	if (!offer && oqe_wait_check(&c, &w) < 0)
		return REDISMODULE_OK;
	if (park) {
		p = RedisModule_StringPtrLen(agent, &len);
		if (type_is_zset_or_empty(&c, oqe_key(&c, ":aw:", p, len)) < 0)
			return REDISMODULE_OK;
	}

	/* the writes */
	r = RedisModule_Call(ctx, "INCR", "!s", oqe_key(&c, ":seq:s", NULL, 0));
	if (!r || RedisModule_CallReplyType(r) != REDISMODULE_REPLY_INTEGER)
		return oqe_fail(&c, "INTERNAL", "%.*s:seq:s is not a counter", (int)c.plen, c.p);
	sidn = RedisModule_CallReplyInteger(r);
	sid = RedisModule_CreateStringFromLongLong(ctx, sidn);
	w.sid = sid;
	if (RedisModule_StringPtrLen(cid, NULL)[0])
		oqe_customer_add_session(&c, cid, ident, sid);
	else
		oqe_customer_create(&c, ident, canon, sid, &cid);
	zero = RedisModule_CreateString(ctx, "0", 1);
	one = RedisModule_CreateString(ctx, "1", 1);
#define H(f, v) (h[n++] = RedisModule_CreateString(ctx, f, strlen(f)), h[n++] = (v))
	H("id", sid); H("channel", channel); H("class", class); H("queue", queue);
	H("customer", cid); H("identity", ident); H("skills", skills); H("priority", prio_s);
	H("state", RedisModule_CreateString(ctx, offer ? "offered" : "queued",
			offer ? 7 : 6));
	H("agent", offer ? agent : RedisModule_CreateString(ctx, "", 0));
	H("created", c.ns); H("updated", c.ns); H("enq", c.ns); H("offers", offer ? one : zero);
	H("ext", ext);
	if (offer) {
		snprintf(expires, sizeof expires, "%lld", c.now + cfg->offer_timeout * 1000);
		H("offer_exp", RedisModule_CreateString(ctx, expires, strlen(expires)));
	} else if (park) {
		H("affinity", agent);
	}
	if (RedisModule_StringPtrLen(node, NULL)[0]) {
		p = RedisModule_StringPtrLen(node, &len);
		H("node", node);
		RedisModule_Call(ctx, "SADD", "!ss", oqe_key(&c, ":node:", p, len), sid);
	}
#undef H
	p = RedisModule_StringPtrLen(sid, &len);
	skey = oqe_key(&c, ":s:", p, len);
	s = RedisModule_OpenKey(ctx, skey, REDISMODULE_READ | REDISMODULE_WRITE);
	for (i = 0; i < n; i += 2)
		RedisModule_HashSet(s, REDISMODULE_HASH_NONE, h[i], h[i + 1], NULL);
	RedisModule_Replicate(ctx, "HSET", "sv", skey, h, (size_t)n);
	oqe_queue_seen(&c, queue);
	oqe_count(&c, "enqueued", 1);
	oqe_emit(&c, "enqueue", sid, "queued", NULL, channel, ext);
	if (offer) {
		RedisModuleString *offers = oqe_key(&c, ":offers", NULL, 0);
		RedisModuleKey *k = RedisModule_OpenKey(ctx, offers, REDISMODULE_READ | REDISMODULE_WRITE);

		RedisModule_ZsetAdd(k, (double)(c.now + cfg->offer_timeout * 1000), sid, NULL);
		RedisModule_Replicate(ctx, "ZADD", "scs", offers, expires, sid);
		oqe_agent_take(&c, &a, sid, cls);
		oqe_count(&c, "offered", 1);
		oqe_wait_sample(&c, 0);
		oqe_emit(&c, "offer", sid, "offered", agent, channel, ext);
		oqe_agent_save(&c, cfg, &a);
	} else if (park) {
		oqe_wait_park(&c, cfg, &w, agent);
		oqe_emit(&c, "park", sid, "queued", agent, channel, ext);
	} else {
		oqe_wait_insert(&c, cfg, &w);
	}
	oqe_finish(&c);
	if (!offer) {
		p = RedisModule_StringPtrLen(queue, &ql);
		r = RedisModule_Call(ctx, "ZRANK", "ss", oqe_key(&c, ":q:", p, ql), sid);
		if (r && RedisModule_CallReplyType(r) == REDISMODULE_REPLY_INTEGER)
			pos = RedisModule_CallReplyInteger(r) + 1;
	}
	RedisModule_ReplyWithArray(ctx, 5);
	RedisModule_ReplyWithString(ctx, sid);
	RedisModule_ReplyWithCString(ctx, offer ? "offered" : "queued");
	if (offer)
		RedisModule_ReplyWithString(ctx, agent);
	else
		RedisModule_ReplyWithCString(ctx, "");
	RedisModule_ReplyWithString(ctx, RedisModule_CreateStringFromLongLong(ctx, pos));
	return RedisModule_ReplyWithString(ctx, cid);
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

	if (argc >= 6 && argc - 6 <= OQE_DECLINED_MAX) {
		/* the decliners are a list of any length: checked here, not by count */
		if (oqe_begin(&c, ctx, argv, 6, 4, "class skills pref park [declined...]") < 0)
			return REDISMODULE_OK;
	} else {
		if (oqe_begin(&c, ctx, argv, argc, 4, "class skills pref park [declined...]") < 0)
			return REDISMODULE_OK;
		return oqe_fail(&c, "ARG", "at most %d decliners", OQE_DECLINED_MAX);
	}
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
	if (RedisModule_StringPtrLen(argv[4], NULL)[0] && oqe_check_id(&c, argv[4], "agent id") < 0)
		return REDISMODULE_OK;
	for (i = 6; i < argc; i++)
		if (oqe_check_id(&c, argv[i], "decliner") < 0)
			return REDISMODULE_OK;
	req.declined = argv + 6;
	req.ndeclined = argc - 6;
	cfg = oqe_cfg_get(&c);
	d = oqe_route_decide(&c, cfg, &req, argv[4], is(argv[5], "1"), &agent, &a);
	if (d < 0)
		return REDISMODULE_OK;
	RedisModule_ReplyWithArray(ctx, 2);
	RedisModule_ReplyWithCString(ctx, d == OQE_OFFER ? "offer" : d == OQE_PARK ? "park" : "wait");
	if (agent)
		return RedisModule_ReplyWithString(ctx, agent);
	return RedisModule_ReplyWithCString(ctx, "");
}
