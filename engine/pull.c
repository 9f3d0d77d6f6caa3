/*
 * pull.c - agent -> session (see pull.h).
 *
 * Where waiting sessions are (wait.h): each in one routing index P:w:<class>:<idx>, whose
 * first HEAD entries P:wk:<class> keeps as one string per index ("<16-digit score>|<sid>|
 * <skills past the first two>|<x when it has decliners>", space-separated, a last "+" when
 * the index holds more). An agent may draw from the indexes "*", each of its skills and
 * each pair of them: every head entry of those is checked against its skills (and its
 * decliners), then, for indexes whose listed entries it cannot take, the entries behind
 * them, best first, at most 16*lookahead in all (8*lookahead per index; 16 times that
 * for the sweep's rescue), until none can beat the best found.
 */
#include "pull.h"

#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oq_limits.h"
#include "sess.h"
#include "wait.h"
#include "repl.h"

#define HEAD 4
#define ENTRY_MAX (17 + 21 + 2 + OQ_SESSION_SKILLS_MAX * (OQ_SKILL_NAME_MAX + 1) + 2)
#define SCORE_LEN 16

/* ---- the agent's skills ------------------------------------------------------------ */

typedef struct skillset {
	int n;
	const char *name[OQ_AGENT_SKILLS_MAX];
	size_t len[OQ_AGENT_SKILLS_MAX];
} skillset;

/* "en:5,sales:3" -> the names */
static void skills_of(oqe_agent *a, skillset *sk)
{
	RedisModuleString *v = oqe_hget(a->k, "skills");
	size_t l;
	const char *s = v ? RedisModule_StringPtrLen(v, &l) : "", *p, *end;

	if (!v)
		l = 0;
	sk->n = 0;
	for (p = s, end = s + l; p < end && sk->n < OQ_AGENT_SKILLS_MAX;) {
		const char *comma = memchr(p, ',', end - p), *colon;
		const char *e = comma ? comma : end;

		colon = memchr(p, ':', e - p);
		sk->name[sk->n] = p;
		sk->len[sk->n] = colon ? (size_t)(colon - p) : (size_t)(e - p);
		sk->n++;
		p = comma ? comma + 1 : end;
	}
}

static int has(const skillset *sk, const char *s, size_t l)
{
	int i;

	for (i = 0; i < sk->n; i++)
		if (sk->len[i] == l && memcmp(sk->name[i], s, l) == 0)
			return 1;
	return 0;
}

/* every skill of a comma list */
static int has_all(const skillset *sk, const char *s, size_t l)
{
	const char *p = s, *end = s + l;

	while (p < end) {
		const char *comma = memchr(p, ',', end - p);
		size_t n = comma ? (size_t)(comma - p) : (size_t)(end - p);

		if (!has(sk, p, n))
			return 0;
		p = comma ? comma + 1 : end;
	}
	return 1;
}

/* may an agent with these skills draw from wait index `name` ("*", "a", "a,b")? */
static int index_fits(const skillset *sk, const char *name, size_t l)
{
	if (l == 1 && name[0] == '*')
		return 1;
	return has_all(sk, name, l);
}

/* ---- the search ---------------------------------------------------------------------- */

typedef struct best {
	char e[ENTRY_MAX];          /* the best entry so far ("" none) */
	RedisModuleString *head;    /* its index's P:wk value */
	int cls;
} best;

/* e = "<score>|<sid>|<rest>|<x>": may the agent take it? */
static int takes(oqe_call *c, const skillset *sk, oqe_agent *a, const char *e, size_t l)
{
	const char *b1 = memchr(e, '|', l), *b2, *b3;

	if (!b1 || !(b2 = memchr(b1 + 1, '|', e + l - (b1 + 1)))
			|| !(b3 = memchr(b2 + 1, '|', e + l - (b2 + 1))))
		return 0;
	if (b3 > b2 + 1 && !has_all(sk, b2 + 1, (size_t)(b3 - b2 - 1)))
		return 0;
	if (b3 + 1 < e + l) {
		RedisModuleString *sid = RedisModule_CreateString(c->ctx, b1 + 1, (size_t)(b2 - b1 - 1));

		return !oqe_declined(c, sid, a->id);
	}
	return 1;
}

/* The first entry of a P:wk value the agent can take that beats the best so far; *more
 * when the value ends in "+" with none taken. */
static int scan(oqe_call *c, const skillset *sk, oqe_agent *a, const char *v, size_t l,
		const best *b, char out[ENTRY_MAX], int *more)
{
	const char *p = v, *end = v + l;

	*more = 0;
	while (p < end) {
		const char *sp = memchr(p, ' ', end - p);
		size_t el = sp ? (size_t)(sp - p) : (size_t)(end - p);

		if (el == 1 && p[0] == '+') {
			*more = 1;
			return 0;
		}
		if (b->e[0] && el >= SCORE_LEN && memcmp(p, b->e, SCORE_LEN) >= 0)
			return 0;
		if (el < ENTRY_MAX && takes(c, sk, a, p, el)) {
			memcpy(out, p, el);
			out[el] = '\0';
			return 1;
		}
		p = sp ? sp + 1 : end;
	}
	return 0;
}

/* strcmp of a RedisModuleString value with a C string */
static int cmp_v(RedisModuleString *v, const char *s)
{
	size_t l, sl = strlen(s);
	const char *p = RedisModule_StringPtrLen(v, &l);
	int r = memcmp(p, s, l < sl ? l : sl);

	return r ? r : (l < sl ? -1 : l > sl);
}

typedef struct later {
	RedisModuleString *head, *key;
	int cls;
} later;

#define LATER_MAX 512

typedef struct search {
	oqe_call *c;
	const skillset *sk;
	oqe_agent *a;
	best *b;
	later *l;
	int nl;
	int cls;
	RedisModuleString *wkname;
} search;

/* one index and its head value */
static void look(search *S, RedisModuleString *name, RedisModuleString *v)
{
	size_t vl, nl;
	const char *vs = RedisModule_StringPtrLen(v, &vl), *ns = RedisModule_StringPtrLen(name, &nl);
	char e[ENTRY_MAX];
	int more;
	char suffix[16];

	if (S->b->e[0] && cmp_v(v, S->b->e) >= 0)
		return;
	if (scan(S->c, S->sk, S->a, vs, vl, S->b, e, &more)) {
		strcpy(S->b->e, e);
		S->b->head = v;
		S->b->cls = S->cls;
	} else if (more && S->nl < LATER_MAX) {
		snprintf(suffix, sizeof suffix, ":w:%s:", oqe_class_name(S->cls));
		S->l[S->nl].head = v;
		S->l[S->nl].key = oqe_key(S->c, suffix, ns, nl);
		S->l[S->nl].cls = S->cls;
		S->nl++;
	}
}

static void each_field(RedisModuleKey *key, RedisModuleString *field, RedisModuleString *value,
		void *priv)
{
	search *S = priv;
	size_t l;
	const char *f = RedisModule_StringPtrLen(field, &l);

	(void)key;
	if (index_fits(S->sk, f, l))
		look(S, RedisModule_CreateStringFromString(S->c->ctx, field),
				RedisModule_CreateStringFromString(S->c->ctx, value));
}

/* the head entries of the class's indexes the agent may draw from */
static void class_heads(search *S, RedisModuleKey *wk)
{
	size_t hlen = RedisModule_ValueLength(wk), names = 1 + S->sk->n
			+ (size_t)S->sk->n * (S->sk->n - 1) / 2;
	int i, j;
	RedisModuleString *v;

	if (hlen >= names) {
		/* the agent's names: "*", each skill, each pair (sorted: "a,b") */
		char buf[2 * OQ_SKILL_NAME_MAX + 2];
		RedisModuleString *n = RedisModule_CreateString(S->c->ctx, "*", 1);

		v = NULL;
		RedisModule_HashGet(wk, REDISMODULE_HASH_NONE, n, &v, NULL);
		if (v)
			look(S, n, v);
		for (i = 0; i < S->sk->n; i++) {
			n = RedisModule_CreateString(S->c->ctx, S->sk->name[i], S->sk->len[i]);
			v = NULL;
			RedisModule_HashGet(wk, REDISMODULE_HASH_NONE, n, &v, NULL);
			if (v)
				look(S, n, v);
			for (j = i + 1; j < S->sk->n; j++) {
				int k = snprintf(buf, sizeof buf, "%.*s,%.*s", (int)S->sk->len[i],
						S->sk->name[i], (int)S->sk->len[j], S->sk->name[j]);

				n = RedisModule_CreateString(S->c->ctx, buf, (size_t)k);
				v = NULL;
				RedisModule_HashGet(wk, REDISMODULE_HASH_NONE, n, &v, NULL);
				if (v)
					look(S, n, v);
			}
		}
	} else {
		RedisModuleScanCursor *cur = RedisModule_ScanCursorCreate();

		while (RedisModule_ScanKey(wk, cur, each_field, S))
			;
		RedisModule_ScanCursorDestroy(cur);
	}
}

/* Behind the listed entries of the indexes kept for later, best head first, entries the
 * agent can take may still beat the best: walk them, bounded. */
static void walk(search *S, long depth, long budget)
{
	char e[ENTRY_MAX];
	double bs = S->b->e[0] ? strtod(S->b->e, NULL) : -1;

	while (budget > 0) {
		int bj = -1, j;
		RedisModuleString *bh = NULL;
		RedisModuleKey *k;
		long pos = 0;
		double sc;

		for (j = 0; j < S->nl; j++) {
			RedisModuleString *h = S->l[j].head;

			if (!h)
				continue;
			if (S->b->e[0] && cmp_v(h, S->b->e) >= 0)
				continue;
			if (!bh || cmp_v(h, RedisModule_StringPtrLen(bh, NULL)) < 0) {
				bj = j;
				bh = h;
			}
		}
		if (bj < 0)
			break;
		S->l[bj].head = NULL;
		k = RedisModule_OpenKey(S->c->ctx, S->l[bj].key, REDISMODULE_READ);
		if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_ZSET
				|| RedisModule_ZsetFirstInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
						REDISMODULE_POSITIVE_INFINITE, 0, 0) != REDISMODULE_OK) {
			RedisModule_CloseKey(k);
			continue;
		}
		while (!RedisModule_ZsetRangeEndReached(k) && pos < depth && budget > 0) {
			RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, &sc);

			if (pos++ >= HEAD) {
				size_t ml;
				const char *ms = RedisModule_StringPtrLen(m, &ml);
				int n;

				if (bs >= 0 && sc >= bs)
					break;
				budget--;
				n = snprintf(e, sizeof e, "%016.0f|%.*s", sc, (int)ml, ms);
				if (n > 0 && (size_t)n < sizeof e && takes(S->c, S->sk, S->a, e, (size_t)n)) {
					strcpy(S->b->e, e);
					S->b->head = bh;
					S->b->cls = S->l[bj].cls;
					bs = sc;
					break;
				}
			}
			if (!RedisModule_ZsetRangeNext(k))
				break;
		}
		RedisModule_ZsetRangeStop(k);
		/* the offer that follows may empty this index, and Redis frees an emptied key
		 * under any handle still open on it */
		RedisModule_CloseKey(k);
	}
}

/* The best waiting session the agent may take now (loaded into *s): 1, 0 none, -1
 * replied. *where: 'w' (a wait index; *head its P:wk value) or 'a' (parked for it). */
static int find(oqe_call *c, const oqe_cfg *cfg, oqe_agent *a, const skillset *sk,
		const char *avx, int deep, oqe_sess *s, char *where, RedisModuleString **head)
{
	static later lbuf[LATER_MAX];
	best b;
	search S;
	int cls, r;
	size_t l;
	const char *p;

	*head = NULL;
	if (cfg->affinity_wait > 0) {
		/* parked for it: the first `lookahead` */
		RedisModuleKey *k;
		double sc;
		long n = 0;

		p = RedisModule_StringPtrLen(a->id, &l);
		k = RedisModule_OpenKey(c->ctx, oqe_key(c, ":aw:", p, l), REDISMODULE_READ);
		if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET
				&& RedisModule_ZsetFirstInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
						REDISMODULE_POSITIVE_INFINITE, 0, 0) == REDISMODULE_OK) {
			RedisModuleString *ids[256];
			long m = 0, i;

			while (!RedisModule_ZsetRangeEndReached(k) && m < cfg->lookahead && m < 256) {
				ids[m++] = RedisModule_ZsetRangeCurrentElement(k, &sc);
				if (!RedisModule_ZsetRangeNext(k))
					break;
			}
			RedisModule_ZsetRangeStop(k);
			/* closed before anything is written: an offer may empty P:aw:<aid>, and Redis
			 * frees an emptied key under a handle still open on it (valgrind: a read of
			 * freed memory when the command's keys are closed) */
			RedisModule_CloseKey(k);
			k = NULL;
			for (i = 0; i < m; i++, n++) {
				size_t sl;
				const char *ss;
				char av[OQE_AVX_MAX];

				if ((r = oqe_sess_load(c, ids[i], s)) < 0)
					return -1;
				if (r == 0 || !s->state || !oqe_is(s->state, "queued"))
					continue;
				snprintf(av, sizeof av, "%s", avx);
				if (!strstr(av, oqe_class_name(s->cls)))
					continue;
				ss = RedisModule_StringPtrLen(s->skills, &sl);
				if (!has_all(sk, ss, sl) || (s->offers > 0 && oqe_declined(c, s->id, a->id)))
					continue;
				*where = 'a';
				return 1;
			}
		}
		RedisModule_CloseKey(k);
	}
	memset(&b, 0, sizeof b);
	memset(&S, 0, sizeof S);
	S.c = c;
	S.sk = sk;
	S.a = a;
	S.b = &b;
	S.l = lbuf;
	for (cls = 0; cls < OQE_CLASSES; cls++) {
		char suffix[16];
		RedisModuleKey *wk;

		if (!strstr(avx, oqe_class_name(cls)))
			continue;
		snprintf(suffix, sizeof suffix, ":wk:%s", oqe_class_name(cls));
		wk = RedisModule_OpenKey(c->ctx, oqe_key(c, suffix, NULL, 0), REDISMODULE_READ);
		if (RedisModule_KeyType(wk) != REDISMODULE_KEYTYPE_HASH)
			continue;
		S.cls = cls;
		class_heads(&S, wk);
		/* its heads are strings of their own: the handle goes before an offer rewrites (or
		 * empties, and Redis frees) P:wk:<class> */
		RedisModule_CloseKey(wk);
	}
	walk(&S, (deep ? 128 : 8) * cfg->lookahead, (deep ? 256 : 16) * cfg->lookahead);
	if (!b.e[0])
		return 0;
	{
		const char *b1 = strchr(b.e, '|'), *b2 = b1 ? strchr(b1 + 1, '|') : NULL;
		RedisModuleString *sid;

		if (!b2)
			return 0;
		sid = RedisModule_CreateString(c->ctx, b1 + 1, (size_t)(b2 - b1 - 1));
		if ((r = oqe_sess_load(c, sid, s)) <= 0)
			return r;
		if (!s->state || !oqe_is(s->state, "queued"))
			return 0;
	}
	*where = 'w';
	*head = b.head;
	return 1;
}

/* ---- the offer ----------------------------------------------------------------------- */

/* queued -> offered to a (lua/35_route.lua R.offer) */
static void offer(oqe_call *c, const oqe_cfg *cfg, oqe_sess *s, oqe_agent *a, char where,
		RedisModuleString *head)
{
	long long exp = c->now + cfg->offer_timeout * 1000, from;
	RedisModuleString *exps = RedisModule_CreateStringFromLongLong(c->ctx, exp);

	oqe_wait_remove(c, cfg, s, where, head);
	s->offers++;
	oqe_hset(c, s->k, s->key, 5, "state", oqe_name("offered"),
			"agent", a->id, "offer_exp", exps,
			"offers", RedisModule_CreateStringFromLongLong(c->ctx, s->offers), "updated", c->ns);
	oqe_offers_add(c, exp, s->id);
	oqe_agent_take(c, a, s->id, s->cls);
	oqe_count(c, "offered", 1);
	from = s->enq > s->transfer_at ? s->enq : s->transfer_at;
	oqe_wait_sample(c, s->queue, c->now > from ? c->now - from : 0);
	oqe_emit(c, "offer", s->id, "offered", a->id, s->channel, s->ext);
}

int oqe_pull(oqe_call *c, const oqe_cfg *cfg, oqe_agent *a, long limit, int deep,
		RedisModuleString **out, int outmax)
{
	long n = oqe_agent_room(a), i;
	char avx[OQE_AVX_MAX];
	skillset sk;
	int got = 0;

	if (limit >= 0 && limit < n)
		n = limit;
	if (n > 0) {
		oqe_agent_avx(cfg, a, avx);
		if (avx[0] && oqe_agent_work_waits(c, cfg, a, avx)) {
			skills_of(a, &sk);
			for (i = 0; i < n; i++) {
				oqe_sess s;
				char where;
				RedisModuleString *head;
				int r = find(c, cfg, a, &sk, avx, deep, &s, &where, &head);

				if (r < 0)
					return -1;
				if (r == 0)
					break;
				offer(c, cfg, &s, a, where, head);
				if (got < outmax)
					out[got] = s.id;
				got++;
				oqe_agent_avx(cfg, a, avx);
				if (!avx[0])
					break;
			}
		}
	}
	oqe_agent_save(c, cfg, a);
	return got;
}

/* OMNIQ.LIB.PULL P aid limit deep: the library's R.pull, after it has saved the agent's
 * row (its presence, skills or capacity may have changed): at most limit ("" for its
 * room) waiting sessions offered to the agent, deep 1 for the sweep's rescue. Reply: the
 * offered session ids. */
int oqe_cmd_lib_pull(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	oqe_call c;
	oqe_agent a;
	long long limit = -1;
	RedisModuleString *out[OQ_CAP_MAX + 1];
	int got, r, i;

	if (oqe_begin(&c, ctx, argv, argc, 3, "aid limit deep") < 0)
		return REDISMODULE_OK;
	if (oqe_check_id(&c, argv[2], "agent id") < 0)
		return REDISMODULE_OK;
	if (!oqe_empty(argv[3]) && (RedisModule_StringToLongLong(argv[3], &limit) != REDISMODULE_OK
				|| limit < 0))
		return oqe_fail(&c, "ARG", "limit must be a count or empty");
	if ((r = oqe_agent_load(&c, argv[2], &a)) < 0)
		return REDISMODULE_OK;
	if (r == 0)
		return RedisModule_ReplyWithArray(ctx, 0);
	got = oqe_pull(&c, oqe_cfg_get(&c), &a, (long)limit, oqe_is(argv[4], "1"), out,
			OQ_CAP_MAX + 1);
	if (got < 0)
		return REDISMODULE_OK;
	oqe_finish(&c);
	if (got > OQ_CAP_MAX + 1)
		got = OQ_CAP_MAX + 1;
	RedisModule_ReplyWithArray(ctx, got);
	for (i = 0; i < got; i++)
		RedisModule_ReplyWithString(ctx, out[i]);
	return REDISMODULE_OK;
}
