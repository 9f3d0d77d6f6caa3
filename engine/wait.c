/*
 * wait.c - where a queued session waits (see wait.h and lua/30_wait.lua, whose W.insert
 * and W.park these are).
 */
#include "wait.h"

#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "sess.h"
#include "repl.h"

/* P:wk keeps the first HEAD entries of each index (W.HEAD) */
#define HEAD 4
/* an entry: 16 digits, '|', the member (sid, '|', skills past the first two, '|', x) */
#define ENTRY_MAX (17 + 21 + 2 + OQ_SESSION_SKILLS_MAX * (OQ_SKILL_NAME_MAX + 1) + 2)

/* the index name: the first two skills, the only one, or "*" */
static size_t idx_len(const oqe_waiting *w, int *two)
{
	const char *c1 = memchr(w->skills, ',', w->skills_len), *c2;

	*two = 0;
	if (w->skills_len == 0)
		return 0;
	if (!c1)
		return w->skills_len;
	c2 = memchr(c1 + 1, ',', w->skills + w->skills_len - (c1 + 1));
	*two = 1;
	return c2 ? (size_t)(c2 - w->skills) : w->skills_len;
}

static RedisModuleString *idx_name(oqe_call *c, const oqe_waiting *w)
{
	int two;
	size_t n = idx_len(w, &two);

	return n ? RedisModule_CreateString(c->ctx, w->skills, n)
			 : RedisModule_CreateString(c->ctx, "*", 1);
}

/* sid|<skills after the first two>|<x> */
static RedisModuleString *member(oqe_call *c, const oqe_waiting *w)
{
	int two;
	size_t n = idx_len(w, &two), sl;
	const char *sid = RedisModule_StringPtrLen(w->sid, &sl);
	const char *rest = n < w->skills_len ? w->skills + n + 1 : "";
	size_t rl = n < w->skills_len ? w->skills_len - n - 1 : 0;
	char buf[ENTRY_MAX];
	int len = snprintf(buf, sizeof buf, "%.*s|%.*s|%s", (int)sl, sid, (int)rl, rest,
			w->offered_before ? "x" : "");

	return RedisModule_CreateString(c->ctx, buf, (size_t)len);
}

static RedisModuleString *class_key(oqe_call *c, const char *kind, int cls,
		RedisModuleString *idx)
{
	char suffix[32];
	size_t il = 0;
	const char *is = idx ? RedisModule_StringPtrLen(idx, &il) : NULL;

	snprintf(suffix, sizeof suffix, ":%s:%s%s", kind, oqe_class_name(cls), idx ? ":" : "");
	return oqe_key(c, suffix, is, il);
}

static int type_ok(oqe_call *c, RedisModuleString *key, int type)
{
	int t = RedisModule_KeyType(RedisModule_OpenKey(c->ctx, key, REDISMODULE_READ));

	if (t == REDISMODULE_KEYTYPE_EMPTY || t == type)
		return 0;
	oqe_fail(c, "INTERNAL", "%s holds a %s", RedisModule_StringPtrLen(key, NULL),
			type == REDISMODULE_KEYTYPE_ZSET ? "value that is no zset" : "value that is no hash");
	return -1;
}

int oqe_wait_check(oqe_call *c, const oqe_waiting *w)
{
	size_t ql;
	const char *q = RedisModule_StringPtrLen(w->queue, &ql);

	if (type_ok(c, class_key(c, "w", w->cls, idx_name(c, w)), REDISMODULE_KEYTYPE_ZSET) < 0
			|| type_ok(c, class_key(c, "wk", w->cls, NULL), REDISMODULE_KEYTYPE_HASH) < 0
			|| type_ok(c, oqe_key(c, ":q:", q, ql), REDISMODULE_KEYTYPE_ZSET) < 0
			|| type_ok(c, oqe_key(c, ":qx", NULL, 0), REDISMODULE_KEYTYPE_ZSET) < 0
			|| type_ok(c, oqe_key(c, ":awx", NULL, 0), REDISMODULE_KEYTYPE_ZSET) < 0)
		return -1;
	return 0;
}

static void zadd(oqe_call *c, RedisModuleString *key, long long score, RedisModuleString *m)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, key, REDISMODULE_READ | REDISMODULE_WRITE);
	char s[32];

	snprintf(s, sizeof s, "%lld", score);
	RedisModule_ZsetAdd(k, (double)score, m, NULL);
	RedisModule_CloseKey(k); /* a later ZREM of the command may empty it (oqe_zrem) */
	oqe_rep(c->ctx, "ZADD", "scs", key, s, m);
}

/* listed: P:q:<queue> and, with max_wait, its deadline in P:qx */
static void listed(oqe_call *c, const oqe_cfg *cfg, const oqe_waiting *w)
{
	size_t ql;
	const char *q = RedisModule_StringPtrLen(w->queue, &ql);

	zadd(c, oqe_key(c, ":q:", q, ql), w->score, w->sid);
	if (cfg->max_wait > 0)
		zadd(c, oqe_key(c, ":qx", NULL, 0), w->wait_from + cfg->max_wait * 1000, w->sid);
}

/* the head entries of a P:wk value: tokens split by ' ', a last '+' saying "more" */
static int wk_parse(const char *v, size_t len, char list[HEAD + 1][ENTRY_MAX], int *more)
{
	int n = 0;
	const char *p = v, *end = v + len;

	*more = 0;
	while (p < end) {
		const char *sp = memchr(p, ' ', end - p);
		size_t tl = sp ? (size_t)(sp - p) : (size_t)(end - p);

		if (tl == 1 && *p == '+')
			*more = 1;
		else if (tl > 0 && tl < ENTRY_MAX && n < HEAD + 1) {
			memcpy(list[n], p, tl);
			list[n][tl] = '\0';
			n++;
		}
		if (!sp)
			break;
		p = sp + 1;
	}
	return n;
}

void oqe_wait_insert(oqe_call *c, const oqe_cfg *cfg, const oqe_waiting *w)
{
	RedisModuleString *idx = idx_name(c, w), *m = member(c, w);
	RedisModuleString *wk = class_key(c, "wk", w->cls, NULL), *cur;
	RedisModuleKey *k;
	char list[HEAD + 1][ENTRY_MAX], e[ENTRY_MAX], out[(HEAD + 1) * ENTRY_MAX + 4];
	size_t ml, cl;
	const char *ms = RedisModule_StringPtrLen(m, &ml);
	int n, more, i, changed = 1, o;

	zadd(c, class_key(c, "w", w->cls, idx), w->score, m);
	snprintf(e, sizeof e, "%016lld|%.*s", w->score, (int)ml, ms);
	k = RedisModule_OpenKey(c->ctx, wk, REDISMODULE_READ | REDISMODULE_WRITE);
	cur = NULL;
	if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH)
		RedisModule_HashGet(k, REDISMODULE_HASH_NONE, idx, &cur, NULL);
	if (!cur) {
		snprintf(out, sizeof out, "%s", e);
	} else {
		const char *cs = RedisModule_StringPtrLen(cur, &cl);

		n = wk_parse(cs, cl, list, &more);
		if (n < HEAD || strcmp(e, list[n - 1]) < 0) {
			/* the newcomer among the first HEAD: in order, the last one out */
			i = n;
			while (i >= 1 && strcmp(e, list[i - 1]) < 0) {
				strcpy(list[i], list[i - 1]);
				i--;
			}
			strcpy(list[i], e);
			n++;
			if (n > HEAD) {
				n = HEAD;
				more = 1;
			}
		} else if (!more) {
			more = 1;
		} else {
			changed = 0;
		}
		for (i = 0, o = 0; i < n; i++)
			o += snprintf(out + o, sizeof out - o, "%s%s", i ? " " : "", list[i]);
		if (more)
			snprintf(out + o, sizeof out - o, " +");
	}
	if (changed) {
		RedisModuleString *v = RedisModule_CreateString(c->ctx, out, strlen(out));

		RedisModule_HashSet(k, REDISMODULE_HASH_NONE, idx, v, NULL);
		oqe_rep(c->ctx, "HSET", "sss", wk, idx, v);
	}
	listed(c, cfg, w);
}

void oqe_wait_park(oqe_call *c, const oqe_cfg *cfg, const oqe_waiting *w,
		RedisModuleString *aid, long long until)
{
	size_t al;
	const char *a = RedisModule_StringPtrLen(aid, &al);

	zadd(c, oqe_key(c, ":aw:", a, al), w->score, w->sid);
	zadd(c, oqe_key(c, ":awx", NULL, 0), until > 0 ? until : c->now + cfg->affinity_wait * 1000,
			w->sid);
	listed(c, cfg, w);
}

/* P:wk's entry of an index, rewritten from the index itself */
static void wk_refresh(oqe_call *c, RedisModuleString *wk, RedisModuleString *name,
		RedisModuleString *key)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, key, REDISMODULE_READ);
	RedisModuleKey *h = RedisModule_OpenKey(c->ctx, wk, REDISMODULE_READ | REDISMODULE_WRITE);
	char out[(HEAD + 1) * ENTRY_MAX + 4];
	size_t o = 0;
	int n = 0, more = 0;
	double sc;

	if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET
			&& RedisModule_ZsetFirstInScoreRange(k, REDISMODULE_NEGATIVE_INFINITE,
					REDISMODULE_POSITIVE_INFINITE, 0, 0) == REDISMODULE_OK) {
		while (!RedisModule_ZsetRangeEndReached(k)) {
			RedisModuleString *m = RedisModule_ZsetRangeCurrentElement(k, &sc);
			size_t ml;
			const char *ms = RedisModule_StringPtrLen(m, &ml);

			if (n == HEAD) {
				more = 1;
				break;
			}
			o += snprintf(out + o, sizeof out - o, "%s%016.0f|%.*s", n ? " " : "", sc,
					(int)ml, ms);
			n++;
			if (!RedisModule_ZsetRangeNext(k))
				break;
		}
		RedisModule_ZsetRangeStop(k);
	}
	RedisModule_CloseKey(k); /* the index may be emptied later in the command */
	if (n == 0) {
		RedisModule_HashSet(h, REDISMODULE_HASH_NONE, name, REDISMODULE_HASH_DELETE, NULL);
		oqe_rep(c->ctx, "HDEL", "ss", wk, name);
		return;
	}
	if (more)
		o += snprintf(out + o, sizeof out - o, " +");
	{
		RedisModuleString *v = RedisModule_CreateString(c->ctx, out, o);

		RedisModule_HashSet(h, REDISMODULE_HASH_NONE, name, v, NULL);
		oqe_rep(c->ctx, "HSET", "sss", wk, name, v);
	}
}

void oqe_wait_remove(oqe_call *c, const oqe_cfg *cfg, oqe_sess *s, char where, RedisModuleString *head)
{
	size_t l;
	const char *p;

	if (where == 'w') {
		RedisModuleString *key = oqe_sess_wkey(c, s), *m = oqe_sess_member(c, s), *wk, *name;
		char suffix[16], e[ENTRY_MAX];
		size_t sl, hl;
		const char *sk = RedisModule_StringPtrLen(s->skills, &sl), *hv;
		size_t il = oqe_idx_len(sk, sl);
		RedisModuleKey *h;

		oqe_zrem(c, key, m);
		snprintf(suffix, sizeof suffix, ":wk:%s", oqe_class_name(s->cls));
		wk = oqe_key(c, suffix, NULL, 0);
		name = il ? RedisModule_CreateString(c->ctx, sk, il) : RedisModule_CreateString(c->ctx, "*", 1);
		if (!head) {
			h = RedisModule_OpenKey(c->ctx, wk, REDISMODULE_READ);
			if (RedisModule_KeyType(h) == REDISMODULE_KEYTYPE_HASH)
				RedisModule_HashGet(h, REDISMODULE_HASH_NONE, name, &head, NULL);
			/* closed before wk_refresh rewrites it: emptied, Redis frees the key under
			 * any handle still open on it (valgrind found this one) */
			RedisModule_CloseKey(h);
		}
		if (head) {
			int listed = 0, more = 0, n = 0;
			const char *q, *end;

			p = RedisModule_StringPtrLen(m, &l);
			snprintf(e, sizeof e, "%016lld|%.*s", oqe_sess_score(s), (int)l, p);
			hv = RedisModule_StringPtrLen(head, &hl);
			for (q = hv, end = hv + hl; q < end;) {
				const char *sp = memchr(q, ' ', end - q);
				size_t el = sp ? (size_t)(sp - q) : (size_t)(end - q);

				if (el == 1 && q[0] == '+')
					more = 1;
				else {
					n++;
					if (el == strlen(e) && memcmp(q, e, el) == 0)
						listed = 1;
				}
				q = sp ? sp + 1 : end;
			}
			if (listed) {
				wk_refresh(c, wk, name, key);
			} else if (more) {
				RedisModuleKey *z = RedisModule_OpenKey(c->ctx, key, REDISMODULE_READ);
				size_t zn = RedisModule_ValueLength(z);

				RedisModule_CloseKey(z);
				if (zn <= (size_t)n && hl >= 2) {
					/* the "+" goes: what is listed is all there is */
					RedisModuleString *v = RedisModule_CreateString(c->ctx, hv, hl - 2);

					h = RedisModule_OpenKey(c->ctx, wk, REDISMODULE_READ | REDISMODULE_WRITE);
					RedisModule_HashSet(h, REDISMODULE_HASH_NONE, name, v, NULL);
					oqe_rep(c->ctx, "HSET", "sss", wk, name, v);
				}
			}
		}
	} else if (where == 'a') {
		p = RedisModule_StringPtrLen(s->affinity ? s->affinity : oqe_name(""), &l);
		oqe_zrem(c, oqe_key(c, ":aw:", p, l), s->id);
		oqe_zrem(c, oqe_key(c, ":awx", NULL, 0), s->id);
	}
	p = RedisModule_StringPtrLen(s->queue, &l);
	oqe_zrem(c, oqe_key(c, ":q:", p, l), s->id);
	if (cfg->max_wait > 0)
		oqe_zrem(c, oqe_key(c, ":qx", NULL, 0), s->id);
}

