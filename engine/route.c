/*
 * route.c - session -> agent (see route.h).
 *
 * Where the candidates come from: the available agents with a skill are P:skl:<skill>
 * (scored by level; its one member scored -inf is the sentinel that keeps it a skiplist, so
 * that an agent's level is a lookup: every range here leaves -inf out), those with room in a class P:fr:<class>, those with room in any
 * class P:fair (in fairness order). A session of skills is matched from the smaller side:
 * the agents of its rarest skill, best level first, until no agent further down can reach
 * the best sum found (its level plus the other skills' best levels); or, when fewer
 * agents have room in its class than have that skill (a busy centre), every agent with
 * room. When many agents share the rarest skill's best level, P:fair is walked first: the
 * first agent with room whose levels reach the best sum any agent can is the answer. A
 * session of no skill takes the first agent in P:fair with room in its class.
 * Each candidate's row decides its room (an index may lag behind a policy change), and
 * its load and idle time (the same order P:fair keeps) break ties of level.
 */
#include "route.h"

#include <stdlib.h>
#include <string.h>

#include "oq_limits.h"

/* agents with room in the class, at most this many: compared all, from P:fr (an index
 * whose walk costs more per agent than a zset's, so only when it is the smaller side) */
#define FR_SIDE_FACTOR 2

typedef struct cand {
	RedisModuleString *aid;
	long long sum;
	long load;
	long long idle;
} cand;

static int declined(const oqe_route_req *req, RedisModuleString *aid)
{
	int i;

	for (i = 0; i < req->ndeclined; i++)
		if (oqe_same(req->declined[i], aid))
			return 1;
	return 0;
}

static long long idle_ms(const oqe_agent *a)
{
	return strtoll(a->idle, NULL, 10);
}

/* better: a higher sum, then less load, then idle longer, then the lower id */
static int better(const cand *x, const cand *best)
{
	size_t lx, lb;
	const char *sx, *sb;
	int cmp;

	if (!best->aid)
		return 1;
	if (x->sum != best->sum)
		return x->sum > best->sum;
	if (x->load != best->load)
		return x->load < best->load;
	if (x->idle != best->idle)
		return x->idle < best->idle;
	sx = RedisModule_StringPtrLen(x->aid, &lx);
	sb = RedisModule_StringPtrLen(best->aid, &lb);
	cmp = memcmp(sx, sb, lx < lb ? lx : lb);
	return cmp < 0 || (cmp == 0 && lx < lb);
}

/* the required skills: their P:skl keys */
typedef struct skills {
	int n;
	RedisModuleKey *k[OQ_SESSION_SKILLS_MAX];
	size_t len[OQ_SESSION_SKILLS_MAX];
	double top[OQ_SESSION_SKILLS_MAX];     /* the best level each has */
} skills;

/* 1: every skill has available agents; 0: one has none (nobody can take the session) */
static int open_skills(oqe_call *c, const oqe_route_req *req, skills *sk)
{
	const char *p = req->skills, *end = req->skills + req->skills_len;

	sk->n = 0;
	while (p < end && sk->n < OQ_SESSION_SKILLS_MAX) {
		const char *comma = memchr(p, ',', end - p);
		size_t len = comma ? (size_t)(comma - p) : (size_t)(end - p);
		RedisModuleKey *k = RedisModule_OpenKey(c->ctx, oqe_key(c, ":skl:", p, len),
				REDISMODULE_READ);
		RedisModuleString *e;

		if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_ZSET)
			return 0;
		sk->k[sk->n] = k;
		sk->len[sk->n] = RedisModule_ValueLength(k);
		/* the best level; none when only the sentinel (-inf) is left */
		if (RedisModule_ZsetLastInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
					REDISMODULE_POSITIVE_INFINITE, 1, 0) != REDISMODULE_OK)
			return 0;
		e = RedisModule_ZsetRangeCurrentElement(k, &sk->top[sk->n]);
		(void)e;
		RedisModule_ZsetRangeStop(k);
		sk->n++;
		p = comma ? comma + 1 : end;
	}
	return 1;
}

/* x's levels in every skill but `skip` added to base; 0 when it lacks one */
static int level_sum(skills *sk, int skip, RedisModuleString *aid, long long base,
		long long *sum)
{
	int i;
	double l;

	*sum = base;
	for (i = 0; i < sk->n; i++) {
		if (i == skip)
			continue;
		if (RedisModule_ZsetScore(sk->k[i], aid, &l) != REDISMODULE_OK)
			return 0;
		*sum += (long long)l;
	}
	return 1;
}

/* The candidate's row: 1 when it has room for the class now (x's load and idle filled),
 * 0 when not, -1 after replying (a row that does not read). */
static int room(oqe_call *c, const oqe_cfg *cfg, const oqe_route_req *req, cand *x,
		oqe_agent *tmp)
{
	int got = oqe_agent_load(c, x->aid, tmp);

	if (got <= 0)
		return got;
	if (!oqe_agent_free(cfg, tmp, req->cls))
		return 0;
	x->load = tmp->load_total;
	x->idle = idle_ms(tmp);
	return 1;
}

/* one candidate with its sum known: kept when it beats the best */
static int consider(oqe_call *c, const oqe_cfg *cfg, const oqe_route_req *req, cand *x,
		cand *best, oqe_agent *tmp)
{
	int r;

	if (best->aid && x->sum < best->sum)
		return 0;
	if ((r = room(c, cfg, req, x, tmp)) <= 0)
		return r;
	if (better(x, best))
		*best = *x;
	return 0;
}

static int from_fair(oqe_call *c, const oqe_cfg *cfg, const oqe_route_req *req,
		skills *sk, long long target, long max, cand *best, oqe_agent *tmp, int *whole);

/* more agents than this at a skill's best level: walk P:fair (at most FAIR_WALK_MAX
 * entries) before reading them in level order */
#define MANY_AT_TOP 16
#define FAIR_WALK_MAX 256

/* how many of a skill's agents have its best level (counted up to MANY_AT_TOP) */
static int top_group(RedisModuleKey *k, double top)
{
	int n = 0;

	if (RedisModule_ZsetFirstInScoreRange(k, top, top, 0, 0) != REDISMODULE_OK)
		return 0;
	while (!RedisModule_ZsetRangeEndReached(k) && n < MANY_AT_TOP) {
		n++;
		if (!RedisModule_ZsetRangeNext(k))
			break;
	}
	RedisModule_ZsetRangeStop(k);
	return n;
}

/* the agents of the rarest skill, best level first */
static int from_skill(oqe_call *c, const oqe_cfg *cfg, const oqe_route_req *req,
		skills *sk, cand *best, oqe_agent *tmp)
{
	int base = 0, i, r = 0;
	double others = 0, l;
	RedisModuleKey *k;

	for (i = 1; i < sk->n; i++)
		if (sk->len[i] < sk->len[base])
			base = i;
	for (i = 0; i < sk->n; i++)
		if (i != base)
			others += sk->top[i];
	k = sk->k[base];
	if (top_group(k, sk->top[base]) >= MANY_AT_TOP) {
		/* many share the best level (a queue whose agents all have one level): in level
		 * order they would all be read and compared; in fairness order the first with the
		 * best sum any agent can reach, and room, is the answer */
		int whole;

		r = from_fair(c, cfg, req, sk, (long long)(sk->top[base] + others), FAIR_WALK_MAX,
				best, tmp, &whole);
		if (r < 0 || best->aid)
			return r;
	}
	/* best level first, down to the lowest: the sentinel (-inf) is out of the range */
	if (RedisModule_ZsetLastInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
				REDISMODULE_POSITIVE_INFINITE, 1, 0) != REDISMODULE_OK)
		return 0;
	while (!RedisModule_ZsetRangeEndReached(k)) {
		cand x = { 0 };

		x.aid = RedisModule_ZsetRangeCurrentElement(k, &l);
		/* nobody from here down can reach the best sum */
		if (best->aid && (long long)(l + others) < best->sum)
			break;
		if (!declined(req, x.aid) && level_sum(sk, base, x.aid, (long long)l, &x.sum)
				&& (r = consider(c, cfg, req, &x, best, tmp)) < 0)
			break;
		if (!RedisModule_ZsetRangePrev(k))
			break;
	}
	RedisModule_ZsetRangeStop(k);
	return r;
}

typedef struct members {
	RedisModuleCtx *ctx;
	RedisModuleString **v;
	size_t n, cap;
} members;

static void collect(RedisModuleKey *key, RedisModuleString *field, RedisModuleString *value,
		void *priv)
{
	members *m = priv;

	(void)key;
	(void)value;
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->v = RedisModule_Realloc(m->v, m->cap * sizeof *m->v);
	}
	m->v[m->n++] = RedisModule_CreateStringFromString(m->ctx, field);
}

/* every agent with room in the class (P:fr:<class>, a set) */
static int from_room(oqe_call *c, const oqe_cfg *cfg, const oqe_route_req *req,
		skills *sk, RedisModuleKey *fr, cand *best, oqe_agent *tmp)
{
	members m = { c->ctx, NULL, 0, 0 };
	RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();
	size_t i;
	int r = 0;

	while (RedisModule_ScanKey(fr, cur, collect, &m))
		;
	RedisModule_ScanCursorDestroy(cur);
	for (i = 0; i < m.n; i++) {
		cand x = { 0 };

		x.aid = m.v[i];
		if (!declined(req, x.aid) && level_sum(sk, -1, x.aid, 0, &x.sum)
				&& (r = consider(c, cfg, req, &x, best, tmp)) < 0)
			break;
	}
	RedisModule_Free(m.v);
	return r;
}

/* P:fair walked from the front (fairness order: least loaded, then idle longest, then id):
 * the first agent with room in the class whose levels sum to target (with sk NULL: any
 * agent). Exact when target is the most any agent can reach (the sum of each skill's best
 * level): no one beats it, and P:fair's order is the tie order. At most max entries
 * (0: all); *whole says whether the walk reached the end of P:fair. */
static int from_fair(oqe_call *c, const oqe_cfg *cfg, const oqe_route_req *req,
		skills *sk, long long target, long max, cand *best, oqe_agent *tmp, int *whole)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, oqe_key(c, ":fair", NULL, 0),
			REDISMODULE_READ);
	double score;
	long seen = 0;
	int r = 0;

	*whole = 1;
	if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_ZSET
			|| RedisModule_ZsetFirstInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
					REDISMODULE_POSITIVE_INFINITE, 0, 0) != REDISMODULE_OK)
		return 0;
	while (!RedisModule_ZsetRangeEndReached(k)) {
		cand x = { 0 };
		size_t al;

		x.aid = RedisModule_ZsetRangeCurrentElement(k, &score);
		/* the sentinel (longer than any agent id) ends P:fair */
		RedisModule_StringPtrLen(x.aid, &al);
		if (al > OQ_ID_MAX)
			break;
		if (max && ++seen > max) {
			*whole = 0;
			break;
		}
		if (!declined(req, x.aid) && (!sk || (level_sum(sk, -1, x.aid, 0, &x.sum)
						&& x.sum == target))) {
			r = room(c, cfg, req, &x, tmp);
			if (r < 0)
				break;
			if (r > 0) {
				*best = x;
				r = 0;
				break;
			}
		}
		if (!RedisModule_ZsetRangeNext(k))
			break;
	}
	RedisModule_ZsetRangeStop(k);
	return r;
}

static const char *const fr_suffix[OQE_CLASSES] = { ":fr:voice", ":fr:chat", ":fr:email" };

/* the best agent with room: 1 (in *best), 0 none, -1 replied */
static int pick(oqe_call *c, const oqe_cfg *cfg, const oqe_route_req *req, cand *best,
		oqe_agent *tmp)
{
	RedisModuleKey *fr = RedisModule_OpenKey(c->ctx, oqe_key(c, fr_suffix[req->cls], NULL, 0),
			REDISMODULE_READ);
	size_t nfr;
	skills sk;
	int r, i;
	size_t rarest;

	memset(best, 0, sizeof *best);
	if (RedisModule_KeyType(fr) != REDISMODULE_KEYTYPE_SET)
		return 0;             /* nobody has room in the class */
	nfr = RedisModule_ValueLength(fr);
	if (req->skills_len == 0) {
		sk.n = 0;
		int whole;

		r = nfr * FR_SIDE_FACTOR <= 64 ? from_room(c, cfg, req, &sk, fr, best, tmp)
				: from_fair(c, cfg, req, NULL, 0, 0, best, tmp, &whole);
	} else {
		if (!open_skills(c, req, &sk))
			return 0;
		for (i = 1, rarest = sk.len[0]; i < sk.n; i++)
			if (sk.len[i] < rarest)
				rarest = sk.len[i];
		r = nfr * FR_SIDE_FACTOR < rarest ? from_room(c, cfg, req, &sk, fr, best, tmp)
				: from_skill(c, cfg, req, &sk, best, tmp);
	}
	if (r < 0)
		return -1;
	return best->aid != NULL;
}

/* does the agent (its hash) have every required skill? */
static int has_skills(oqe_call *c, oqe_agent *a, const oqe_route_req *req)
{
	RedisModuleString *v;
	const char *have, *p = req->skills, *end = req->skills + req->skills_len;
	size_t hl;

	if (req->skills_len == 0)
		return 1;
	if (!(v = oqe_hget(a->k, "skills")))
		return 0;
	have = RedisModule_StringPtrLen(v, &hl);
	while (p < end) {
		const char *comma = memchr(p, ',', end - p);
		size_t len = comma ? (size_t)(comma - p) : (size_t)(end - p);
		const char *q = have, *hend = have + hl;
		int found = 0;

		/* "en:5,sales:3": a name followed by ':' at the start or after a ',' */
		while (q < hend) {
			const char *hc = memchr(q, ',', hend - q);
			size_t il = hc ? (size_t)(hc - q) : (size_t)(hend - q);

			if (il > len && q[len] == ':' && memcmp(q, p, len) == 0) {
				found = 1;
				break;
			}
			q = hc ? hc + 1 : hend;
		}
		if (!found)
			return 0;
		p = comma ? comma + 1 : end;
	}
	return 1;
}

int oqe_route_decide(oqe_call *c, const oqe_cfg *cfg, const oqe_route_req *req,
		RedisModuleString *pref, int park, RedisModuleString **agent, oqe_agent *a)
{
	cand best;
	int r;

	*agent = NULL;
	if (pref && !oqe_empty(pref)) {
		r = oqe_agent_load(c, pref, a);
		if (r < 0)
			return -1;
		if (r > 0 && strcmp(a->presence, "available") == 0 && has_skills(c, a, req)
				&& !declined(req, pref)) {
			if (oqe_agent_free(cfg, a, req->cls)) {
				*agent = pref;
				return OQE_OFFER;
			}
			if (park && cfg->affinity_wait > 0) {
				*agent = pref;
				return OQE_PARK;
			}
		}
	}
	a->id = NULL;
	r = pick(c, cfg, req, &best, a);
	if (r < 0)
		return -1;
	if (r == 0)
		return OQE_WAIT;
	/* a holds the row of the candidate read last: the winner's, unless another was read
	 * after it */
	if (a->id != best.aid) {
		if ((r = oqe_agent_load(c, best.aid, a)) < 0)
			return -1;
		if (r == 0)
			return OQE_WAIT;
	}
	*agent = best.aid;
	return OQE_OFFER;
}
