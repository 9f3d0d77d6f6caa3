/*
 * enqueue.c - a new session for a customer contact: OMNIQ.ENQUEUE (the whole of oq_enqueue
 * but a reopen, which the library does) and OMNIQ.LIB.ENQUEUE (the same once the library
 * has validated the contact and found its customer: oq_ingest's way in).
 *
 * Order, as everywhere in the engine: every argument checked, everything the step decides
 * on read (the customer, where the session goes: route.c), then the writes - the session's
 * id and hash, the customer's record and history, its node, the counters and events, then
 * the offer (deadline, the agent's load and indexes), the park or the wait index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "args.h"
#include "call.h"
#include "cfg.h"
#include "customer.h"
#include "engine.h"
#include "oq_limits.h"
#include "oq_validate.h"
#include "route.h"
#include "wait.h"
#include "repl.h"
#include "sla.h"
#include "value.h"

typedef struct contact {
	RedisModuleString *channel, *class, *ident, *canon, *skills, *prio_s, *queue, *ext, *node;
	RedisModuleString *cid;       /* the customer; "" for a new one */
	RedisModuleString *pref;      /* the agent it goes back to; "" for none */
	int cls;
	long long prio;
} contact;

/* What a customer who waits is told to expect: the queue's wait average (P:stat
 * qew:<queue>), else the tenant's (a queue that never offered yet), in ms as the estimate of a
 * new session is (lua/04_ctx.lua X.wait_avg), "0" before any wait was seen. */
static RedisModuleString *promise(oqe_call *c, RedisModuleString *queue)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, oqe_key(c, ":stat", NULL, 0),
			REDISMODULE_READ);
	RedisModuleString *qv = NULL, *tv = NULL;
	double d;

	if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH)
		return oqe_name("0");
	RedisModule_HashGet(k, REDISMODULE_HASH_NONE, oqe_qew_field(c, queue), &qv,
			oqe_name("wait_ewma_ms"), &tv, NULL);
	if (qv && RedisModule_StringToDouble(qv, &d) == REDISMODULE_OK && d >= 0)
		return RedisModule_CreateStringFromLongLong(c->ctx, (long long)d);
	if (tv && RedisModule_StringToDouble(tv, &d) == REDISMODULE_OK && d >= 0)
		return RedisModule_CreateStringFromLongLong(c->ctx, (long long)d);
	return oqe_name("0");
}

/* Does queue q keep business hours (P:bhq, 32_hours.lua)? A call to it is the library's,
 * which refuses it while the queue is closed: one SISMEMBER, for calls only. */
static int has_hours(oqe_call *c, RedisModuleString *q)
{
	RedisModuleString *bhq = oqe_key(c, ":bhq", "", 0);
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, bhq, REDISMODULE_READ);
	RedisModuleCallReply *r;
	int t = RedisModule_KeyType(k);

	RedisModule_CloseKey(k);
	if (t == REDISMODULE_KEYTYPE_EMPTY)
		return 0; /* no queue keeps hours: a RedisModule_Call costs a cycle's tenth */
	r = RedisModule_Call(c->ctx, "SISMEMBER", "ss", bhq, q);
	return r && RedisModule_CallReplyType(r) == REDISMODULE_REPLY_INTEGER
		   && RedisModule_CallReplyInteger(r) == 1;
}

/* When a message of queue q waits for q's opening (lua/32_hours.lua BH.hold_until): the
 * opening, ms, while q is closed; 0 when it is open or keeps no hours. A tenant with neither
 * hours nor policies pays nothing more than its clocks' look (oqe_sla_on); one with them a
 * key lookup, a SISMEMBER with hours (a RedisModule_Call costs a cycle's tenth), and three
 * reads for a queue with hours. */
static long long hold_until(oqe_call *c, RedisModuleString *q)
{
	RedisModuleCallReply *r;
	RedisModuleString *until = NULL, *iv;
	RedisModuleKey *k;
	const char *s;
	char from[32];
	long long u, a;
	size_t ql;

	if (!oqe_sla_on(c))
		return 0; /* neither policies nor hours: the look the session's clocks make anyway */
	if (!has_hours(c, q))
		return 0;
	s = RedisModule_StringPtrLen(q, &ql);
	k = RedisModule_OpenKey(c->ctx, oqe_key(c, ":bh:", s, ql), REDISMODULE_READ);
	if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH)
		RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, "until", &until, NULL);
	if (!until || RedisModule_StringToLongLong(until, &u) != REDISMODULE_OK || c->now >= u)
		return 0; /* no hours known: open */
	/* the first open interval that ends after now: "<start>|<end>|<label>", scored by end */
	snprintf(from, sizeof from, "(%lld", c->now);
	r = RedisModule_Call(c->ctx, "ZRANGEBYSCORE", "scccll", oqe_key(c, ":bhi:", s, ql), from,
			"+inf", "LIMIT", 0LL, 1LL);
	if (!r || RedisModule_CallReplyType(r) != REDISMODULE_REPLY_ARRAY
			|| RedisModule_CallReplyLength(r) == 0)
		return u; /* none before what is known ends: closed until then */
	iv = RedisModule_CreateStringFromCallReply(RedisModule_CallReplyArrayElement(r, 0));
	s = RedisModule_StringPtrLen(iv, NULL);
	a = strtoll(s, NULL, 10);
	return a > c->now ? a : 0;
}

/* Where the session goes, then every write; replies [sid, state, agent, position, cid]. */
static int open_session(oqe_call *c, const oqe_cfg *cfg, contact *k)
{
	RedisModuleCtx *ctx = c->ctx;
	RedisModuleString *agent = NULL, *sid, *skey, *cid = k->cid, *home = NULL, *h[2 * 21];
	RedisModuleKey *s;
	oqe_agent a;
	oqe_waiting w;
	oqe_route_req req;
	char expires[32];
	const char *p;
	size_t len;
	long long sidn, pos = 0, opens = 0;
	int d, offer, park, n = 0, i;
	oqe_value v;

	/* the customer's tier and region: more priority, more skills required */
	v.skills = k->skills;
	v.prio = k->prio;
	if (oqe_value_apply(c, cfg, k->cid, k->canon, k->queue, &v) < 0)
		return REDISMODULE_OK;
	if (v.queue) {
		/* its region's queue: it waits there, and goes home when it is widened */
		home = k->queue;
		k->queue = v.queue;
	}
	if (v.skills != k->skills || v.prio != k->prio) {
		k->skills = v.skills;
		k->prio = v.prio;
		k->prio_s = RedisModule_CreateStringFromLongLong(ctx, v.prio);
	}
	memset(&req, 0, sizeof req);
	req.cls = k->cls;
	req.skills = RedisModule_StringPtrLen(k->skills, &req.skills_len);
	/* a message of a closed queue waits for its opening, offered to nobody (a call to one
	 * is the library's, which refuses it) */
	if (k->cls != OQE_VOICE && (opens = hold_until(c, k->queue)) > 0) {
		d = OQE_PARK;
		agent = oqe_name(OQE_OPENING);
	} else if ((d = oqe_route_decide(c, cfg, &req, k->pref, 1, &agent, &a)) < 0) {
		return REDISMODULE_OK;
	}
	offer = d == OQE_OFFER;
	park = d == OQE_PARK;
	if (offer && oqe_zset_ok(c, oqe_key(c, ":offers", NULL, 0)) < 0)
		return REDISMODULE_OK;
	if (!oqe_empty(cid) && oqe_customer_check(c, cid) < 0)
		return REDISMODULE_OK;
	memset(&w, 0, sizeof w);
	w.cls = k->cls;
	w.skills = req.skills;
	w.skills_len = req.skills_len;
	w.score = (1000 - k->prio) * 4398046511104LL + c->now;
	w.wait_from = c->now;
	w.queue = k->queue;
	if (!offer && oqe_wait_check(c, &w) < 0)
		return REDISMODULE_OK;
	if (park) {
		p = RedisModule_StringPtrLen(agent, &len);
		if (oqe_zset_ok(c, oqe_key(c, ":aw:", p, len)) < 0)
			return REDISMODULE_OK;
	}

	/* the writes */
	if ((sidn = oqe_incr(c, oqe_key(c, ":seq:s", NULL, 0))) < 0)
		return oqe_fail(c, "INTERNAL", "%.*s:seq:s is not a counter", (int)c->plen, c->p);
	sid = RedisModule_CreateStringFromLongLong(ctx, sidn);
	w.sid = sid;
	if (!oqe_empty(cid))
		oqe_customer_add_session(c, cid, k->ident, sid);
	else
		oqe_customer_create(c, k->ident, k->canon, sid, &cid);
#define H(f, v) (h[n++] = oqe_name(f), h[n++] = (v))
	H("id", sid); H("channel", k->channel); H("class", k->class); H("queue", k->queue);
	H("customer", cid); H("identity", k->ident); H("skills", k->skills);
	H("priority", k->prio_s);
	H("state", offer ? oqe_name("offered") : oqe_name("queued"));
	H("agent", offer ? agent : oqe_name(""));
	H("created", c->ns); H("updated", c->ns); H("enq", c->ns);
	H("offers", offer ? oqe_name("1") : oqe_name("0"));
	H("ext", k->ext);
	if (offer) {
		snprintf(expires, sizeof expires, "%lld", c->now + cfg->offer_timeout * 1000);
		H("offer_exp", RedisModule_CreateString(ctx, expires, strlen(expires)));
	} else if (park) {
		H("affinity", agent);
	}
	if (v.region[0])
		H("region", RedisModule_CreateString(ctx, v.region, strlen(v.region)));
	if (home)
		H("home_queue", home);
	/* the wait the customer is told now: the tenant's recent wait (its average), or none
	 * when an agent has it at once; kept beside the wait it turns out to be (answered) */
	H("promised", offer ? oqe_name("0") : promise(c, k->queue));
	if (!oqe_empty(k->node)) {
		p = RedisModule_StringPtrLen(k->node, &len);
		H("node", k->node);
		RedisModuleString *nk = oqe_key(c, ":node:", p, len);
		RedisModuleCallReply *r = RedisModule_Call(ctx, "SADD", "ss", nk, sid);

		if (r && RedisModule_CallReplyType(r) != REDISMODULE_REPLY_ERROR)
			oqe_rep(ctx, "SADD", "ss", nk, sid);
		else
			RedisModule_Log(ctx, "warning", "omniq engine: SADD of session %s to node %.*s "
					"failed", RedisModule_StringPtrLen(sid, NULL), (int)len, p);
	}
#undef H
	p = RedisModule_StringPtrLen(sid, &len);
	skey = oqe_key(c, ":s:", p, len);
	s = RedisModule_OpenKey(ctx, skey, REDISMODULE_READ | REDISMODULE_WRITE);
	/* every field in one call (the list ends at the first NULL field): a call per field
	 * cost its own key checks 18 times */
	for (i = n; i < (int)(sizeof h / sizeof h[0]); i++)
		h[i] = NULL;
	RedisModule_HashSet(s, REDISMODULE_HASH_NONE, h[0], h[1], h[2], h[3], h[4], h[5], h[6],
			h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15], h[16], h[17], h[18],
			h[19], h[20], h[21], h[22], h[23], h[24], h[25], h[26], h[27], h[28], h[29], h[30],
			h[31], h[32], h[33], h[34], h[35], h[36], h[37], h[38], h[39], h[40], h[41], NULL);
	oqe_rep(ctx, "HSET", "sv", skey, h, (size_t)n);
	oqe_queue_seen(c, k->queue);
	oqe_count(c, "enqueued", 1);
	oqe_emit(c, "enqueue", sid, "queued", NULL, k->channel, k->ext);
	oqe_sla_new(c, sid);
	oqe_value_opened(c, cfg, &v, sid);
	if (offer) {
		oqe_offers_add(c, c->now + cfg->offer_timeout * 1000, sid);
		oqe_agent_take(c, &a, sid, k->cls);
		oqe_count(c, "offered", 1);
		oqe_wait_sample(c, k->queue, 0);
		oqe_emit(c, "offer", sid, "offered", agent, k->channel, k->ext);
		oqe_agent_save(c, cfg, &a);
	} else if (park) {
		oqe_wait_park(c, cfg, &w, agent, opens);
		oqe_emit(c, "park", sid, "queued", agent, k->channel, k->ext);
	} else {
		oqe_wait_insert(c, cfg, &w);
	}
	oqe_finish(c);
	if (!offer) {
		RedisModuleKey *q;
		double score;

		p = RedisModule_StringPtrLen(k->queue, &len);
		q = RedisModule_OpenKey(ctx, oqe_key(c, ":q:", p, len), REDISMODULE_READ);
		/* its place in its queue (1-based) */
		if (RedisModule_KeyType(q) == REDISMODULE_KEYTYPE_ZSET
				&& RedisModule_ZsetScore(q, sid, &score) == REDISMODULE_OK) {
			RedisModuleCallReply *r = RedisModule_Call(ctx, "ZRANK", "ss",
					oqe_key(c, ":q:", p, len), sid);

			if (r && RedisModule_CallReplyType(r) == REDISMODULE_REPLY_INTEGER)
				pos = RedisModule_CallReplyInteger(r) + 1;
		}
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

/* the internal arguments' checks: what ends up in key names and lists must be well
 * formed whoever calls (the library passes what it validated) */
static int check_text(oqe_call *c, RedisModuleString *v, const char *what, size_t max)
{
	size_t len, i;
	const char *s = RedisModule_StringPtrLen(v, &len);

	if (len == 0 || len > max)
		return oqe_fail(c, "ARG", "%s: empty or longer than %zu bytes", what, max), -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 32 || s[i] == 127 || s[i] == ',')
			return oqe_fail(c, "ARG", "%s: control characters or commas", what), -1;
	return 0;
}

/* OMNIQ.LIB.ENQUEUE P channel class identity canonical skills priority queue ext node cid
 *                   pref
 * A step of the library (oq_ingest), which alone calls it after it has validated the
 * contact and found its customer (cid; "" for a new one) and the agent the customer goes
 * back to (pref; "" for none). Reply as OMNIQ.ENQUEUE's. */
int oqe_cmd_lib_enqueue(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	oqe_call c;
	contact k;
	char why[OQ_WHY_MAX], canon_skills[OQ_SKILLS_BUF];
	const char *p;
	size_t len;

	if (oqe_begin(&c, ctx, argv, argc, 11, "channel class identity canonical skills priority "
				"queue ext node cid pref") < 0)
		return REDISMODULE_OK;
	memset(&k, 0, sizeof k);
	k.channel = argv[2]; k.class = argv[3]; k.ident = argv[4]; k.canon = argv[5];
	k.skills = argv[6]; k.prio_s = argv[7]; k.queue = argv[8]; k.ext = argv[9];
	k.node = argv[10]; k.cid = argv[11]; k.pref = argv[12];
	p = RedisModule_StringPtrLen(k.channel, &len);
	if (oq_check_channel(p, len, NULL, why) < 0)
		return oqe_fail(&c, "ARG", "channel: %s", why);
	p = RedisModule_StringPtrLen(k.class, &len);
	if ((k.cls = oqe_class_of(p, len)) < 0)
		return oqe_fail(&c, "ARG", "class must be voice, chat or email");
	if (check_text(&c, k.ident, "identity", OQ_IDENTITY_MAX) < 0
			|| check_text(&c, k.canon, "canonical identity", OQE_CANON_MAX) < 0
			|| oqe_check_id(&c, k.queue, "queue") < 0)
		return REDISMODULE_OK;
	p = RedisModule_StringPtrLen(k.skills, &len);
	if (oq_skills_canon(p, len, canon_skills, sizeof canon_skills, why) < 0)
		return oqe_fail(&c, "ARG", "skills: %s", why);
	if (strlen(canon_skills) != len || memcmp(canon_skills, p, len) != 0)
		return oqe_fail(&c, "ARG", "skills must be canonical (sorted, lowercase): %s",
				canon_skills);
	if (oqe_arg_int(&c, "priority", k.prio_s, 0, OQ_PRIORITY_MAX, &k.prio) < 0
			|| oqe_arg_text(&c, "ext", k.ext, OQ_TEXT_MAX) < 0)
		return REDISMODULE_OK;
	if (!oqe_empty(k.node) && oqe_check_id(&c, k.node, "node") < 0)
		return REDISMODULE_OK;
	if (!oqe_empty(k.cid) && oqe_check_sid(&c, k.cid, "customer id") < 0)
		return REDISMODULE_OK;
	if (!oqe_empty(k.pref) && oqe_check_id(&c, k.pref, "agent id") < 0)
		return REDISMODULE_OK;
	return open_session(&c, oqe_cfg_get(&c), &k);
}

/* A stored number (a timestamp) or -1 after replying OQ_INTERNAL; "" and none are dflt. */
static int stored_num(oqe_call *c, RedisModuleString *v, const char *what, long long dflt,
		long long *out)
{
	double d;

	if (!v || oqe_empty(v)) {
		*out = dflt;
		return 0;
	}
	if (RedisModule_StringToDouble(v, &d) != REDISMODULE_OK)
		return oqe_fail(c, "INTERNAL", "%s is not a number: %s", what,
				RedisModule_StringPtrLen(v, NULL)), -1;
	*out = (long long)d;
	return 0;
}

/* The customer of an identity (lua/10_customer.lua C.for_contact): *cid "" when unknown;
 * *pref its last agent within affinity_window, else "". -1 after replying. */
static int for_contact(oqe_call *c, const oqe_cfg *cfg, RedisModuleString *canon,
		RedisModuleString **cid, RedisModuleString **pref)
{
	RedisModuleKey *ik = RedisModule_OpenKey(c->ctx, oqe_key(c, ":ident", NULL, 0),
			REDISMODULE_READ);
	RedisModuleString *id = NULL, *live, *la;
	RedisModuleKey *ck;
	long long at;
	size_t len;
	const char *s;

	*cid = RedisModule_CreateString(c->ctx, "", 0);
	*pref = *cid;
	if (RedisModule_KeyType(ik) == REDISMODULE_KEYTYPE_HASH)
		RedisModule_HashGet(ik, REDISMODULE_HASH_NONE, canon, &id, NULL);
	else if (RedisModule_KeyType(ik) != REDISMODULE_KEYTYPE_EMPTY)
		return oqe_fail(c, "INTERNAL", "%.*s:ident is not a hash", (int)c->plen, c->p), -1;
	if (!id)
		return 0;
	if (oqe_customer_resolve(c, id, &live) < 0)
		return -1;
	*cid = live ? live : id;
	s = RedisModule_StringPtrLen(*cid, &len);
	if (!(ck = oqe_hash(c, oqe_key(c, ":c:", s, len))))
		return -1;
	if (!oqe_hget(ck, "id") || cfg->affinity_window <= 0)
		return 0;
	la = oqe_hget(ck, "last_agent");
	if (!la || oqe_empty(la))
		return 0;
	if (stored_num(c, oqe_hget(ck, "last_agent_at"), "last_agent_at", 0, &at) < 0)
		return -1;
	if (c->now - at <= cfg->affinity_window * 1000)
		*pref = la;
	return 0;
}

/* With reopen_window on: is the customer's latest session on this channel (among its last
 * `lookahead` in its history) closed within the window? Then the library reopens it.
 * 1 yes, 0 no, -1 replied. */
static int reopens(oqe_call *c, const oqe_cfg *cfg, RedisModuleString *cid,
		RedisModuleString *channel)
{
	RedisModuleKey *hk;
	size_t len, hl;
	const char *s = RedisModule_StringPtrLen(cid, &len), *h, *p;
	long long n = 0, updated;
	RedisModuleString *name;

	if (cfg->reopen_window <= 0 || len == 0)
		return 0;
	name = oqe_key(c, ":c:", s, len);
	RedisModule_StringAppendBuffer(c->ctx, name, ":h", 2);
	hk = RedisModule_OpenKey(c->ctx, name, REDISMODULE_READ);
	if (RedisModule_KeyType(hk) != REDISMODULE_KEYTYPE_STRING)
		return 0;
	h = RedisModule_StringDMA(hk, &hl, REDISMODULE_READ);
	/* newest last: ",sid,sid..." read backwards */
	for (p = h + hl; p > h && n < cfg->lookahead; n++) {
		const char *q = p;
		RedisModuleKey *sk;
		RedisModuleString *ch, *st;

		while (q > h && q[-1] != ',')
			q--;
		if (q == p) {
			p = q - 1;
			continue;
		}
		if (!(sk = oqe_hash(c, oqe_key(c, ":s:", q, (size_t)(p - q)))))
			return -1;
		ch = oqe_hget(sk, "channel");
		if (ch && oqe_same(ch, channel)) {
			st = oqe_hget(sk, "state");
			if (stored_num(c, oqe_hget(sk, "updated"), "updated", 0, &updated) < 0)
				return -1;
			return st && oqe_is(st, "closed")
					&& c->now - updated <= cfg->reopen_window * 1000;
		}
		p = q > h ? q - 1 : h;
	}
	return 0;
}


/* OMNIQ.ENQUEUE P channel class identity skills priority queue ext [node]
 * oq_enqueue: a customer contact opens a session and it is routed. Reply
 * [sid, state, agent, position, cid]; ["library"] with nothing written when the contact
 * reopens the customer's recent session (reopen_window), or is a call to a queue that keeps
 * business hours, which the library does. */
int oqe_cmd_enqueue(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	oqe_call c;
	contact k;
	const oqe_cfg *cfg;
	char canon[OQE_CANON_MAX + 1];
	size_t cl;
	int r;

	if (oqe_begin(&c, ctx, argv, argc == 10 ? 10 : argc, argc == 10 ? 8 : 7,
				"channel class identity skills priority queue ext [node]") < 0)
		return REDISMODULE_OK;
	memset(&k, 0, sizeof k);
	k.channel = argv[2]; k.class = argv[3]; k.ident = argv[4]; k.skills = argv[5];
	k.prio_s = argv[6]; k.queue = argv[7]; k.ext = argv[8];
	k.node = argc == 10 ? argv[9] : RedisModule_CreateString(ctx, "", 0);
	if (!oqe_empty(k.node) && oqe_check_id(&c, k.node, "node") < 0)
		return REDISMODULE_OK;
	if (oqe_arg_channel(&c, k.channel, k.class, &k.cls) < 0
			|| oqe_arg_identity(&c, k.ident, canon, &cl) < 0
			|| oqe_arg_session_skills(&c, k.skills) < 0
			|| oqe_arg_int(&c, "priority", k.prio_s, 0, OQ_PRIORITY_MAX, &k.prio) < 0)
		return REDISMODULE_OK;
	if (oqe_empty(k.queue))
		k.queue = RedisModule_CreateString(ctx, "default", 7);
	else if (oqe_check_id(&c, k.queue, "queue") < 0)
		return REDISMODULE_OK;
	if (oqe_arg_text(&c, "ext", k.ext, OQ_TEXT_MAX) < 0)
		return REDISMODULE_OK;
	k.class = RedisModule_CreateString(ctx, oqe_class_name(k.cls), strlen(oqe_class_name(k.cls)));
	k.canon = RedisModule_CreateString(ctx, canon, cl);
	k.prio_s = RedisModule_CreateStringFromLongLong(ctx, k.prio);
	cfg = oqe_cfg_get(&c);
	if (for_contact(&c, cfg, k.canon, &k.cid, &k.pref) < 0)
		return REDISMODULE_OK;
	if ((r = reopens(&c, cfg, k.cid, k.channel)) < 0)
		return REDISMODULE_OK;
	if (!r && k.cls == OQE_VOICE)
		r = has_hours(&c, k.queue);
	if (r) {
		RedisModule_ReplyWithArray(ctx, 1);
		return RedisModule_ReplyWithCString(ctx, "library");
	}
	return open_session(&c, cfg, &k);
}
