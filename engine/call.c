/*
 * call.c - the engine's per-command context (see call.h): prefix, clock, errors, writes
 * with their replication, counters and events.
 */
#include "call.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oq_digits.h"
#include "oq_limits.h"
#include "oq_validate.h"
#include "repl.h"

int oqe_testclock;

/* the longest prefix the library takes (lua/04_ctx.lua X.check_key) */
#define PREFIX_MAX 300
/* An event's fields: type sid agent state channel ext, name and value each. */
#define EVENT_ARGS 12
/* P:events is trimmed to events_keep seconds by the sweep and, should no sweep run, on
 * every this-many-th event of this process (the library does the same in its Lua state). */
#define EVENTS_TRIM_EVERY 1000

static int prefix_ok(const char *p, size_t len)
{
	size_t i;

	/* oq:{tenant}: no brace inside, at least one byte of tenant */
	if (len < 6 || len > PREFIX_MAX || memcmp(p, "oq:{", 4) != 0 || p[len - 1] != '}')
		return 0;
	for (i = 4; i < len - 1; i++)
		if (p[i] == '{' || p[i] == '}')
			return 0;
	return 1;
}

static long long test_offset(RedisModuleCtx *ctx)
{
	RedisModuleString *name = RedisModule_CreateString(ctx, "oq:test:clock", 13);
	RedisModuleKey *k = RedisModule_OpenKey(ctx, name, REDISMODULE_READ);
	long long off = 0;
	size_t len;
	const char *s;
	char buf[32];

	if (k && RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_STRING) {
		s = RedisModule_StringDMA(k, &len, REDISMODULE_READ);
		if (s && len > 0 && len < sizeof buf) {
			memcpy(buf, s, len);
			buf[len] = '\0';
			off = strtoll(buf, NULL, 10);
		}
	}
	return off;
}

int oqe_begin(oqe_call *c, RedisModuleCtx *ctx, RedisModuleString **argv, int argc,
		int nargs, const char *usage)
{
	int t;

	memset(c, 0, sizeof *c);
	c->ctx = ctx;
	RedisModule_AutoMemory(ctx);
	if (argc < 2) {
		RedisModule_WrongArity(ctx);
		return -1;
	}
	c->p = RedisModule_StringPtrLen(argv[1], &c->plen);
	if (!prefix_ok(c->p, c->plen)) {
		oqe_fail(c, "ARG", "exactly one key, the tenant prefix oq:{tenant}");
		return -1;
	}
	if (nargs >= 0 && argc - 2 != nargs) {
		oqe_fail(c, "ARG", "wrong number of arguments, expected: %s", usage);
		return -1;
	}
	c->now = RedisModule_Milliseconds();
	if (oqe_testclock)
		c->now += test_offset(ctx);
	c->ns = RedisModule_CreateStringFromLongLong(ctx, c->now);
	/* every command writes an event: refuse before any write when it could not */
	t = RedisModule_KeyType(RedisModule_OpenKey(ctx, oqe_key(c, ":events", NULL, 0),
			REDISMODULE_READ));
	if (t != REDISMODULE_KEYTYPE_EMPTY && t != REDISMODULE_KEYTYPE_STREAM) {
		oqe_fail(c, "INTERNAL", "%.*s:events is not a stream", (int)c->plen, c->p);
		return -1;
	}
	return 0;
}

int oqe_fail(oqe_call *c, const char *code, const char *fmt, ...)
{
	char msg[512];
	int n;
	va_list ap;

	n = snprintf(msg, sizeof msg, "OQ_%s ", code);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof msg - n, fmt, ap);
	va_end(ap);
	return RedisModule_ReplyWithError(c->ctx, msg);
}

/* the literals' strings, looked up by address in an open-addressing table: the engine's
 * code has a fixed set of them (about 100, some twice: each file has its own copy of a
 * literal), the table room for four times that. A cycle looks some 200 up: a scan of a
 * list cost more than the rest of the lookup's caller. */
#define NAMES_SLOTS 1024
static const char *name_lit[NAMES_SLOTS];
static RedisModuleString *name_str[NAMES_SLOTS];
static int names_n;

RedisModuleString *oqe_name(const char *lit)
{
	size_t i = (size_t)(((uintptr_t)lit * 0x9E3779B97F4A7C15ULL) >> 54) % NAMES_SLOTS;

	while (name_lit[i] && name_lit[i] != lit)
		i = (i + 1) % NAMES_SLOTS;
	if (name_lit[i])
		return name_str[i];
	RedisModule_Assert(names_n < NAMES_SLOTS / 2);
	names_n++;
	name_lit[i] = lit;
	name_str[i] = RedisModule_CreateString(NULL, lit, strlen(lit));
	return name_str[i];
}

RedisModuleString *oqe_key(oqe_call *c, const char *suffix, const char *id, size_t idlen)
{
	char buf[512];
	size_t sl = strlen(suffix), n = c->plen + sl + (id ? idlen : 0);
	RedisModuleString *s;

	if (n > sizeof buf) {
		/* a long id (the prefix is at most PREFIX_MAX): built in pieces */
		s = RedisModule_CreateString(c->ctx, c->p, c->plen);
		RedisModule_StringAppendBuffer(c->ctx, s, suffix, sl);
		if (id)
			RedisModule_StringAppendBuffer(c->ctx, s, id, idlen);
		return s;
	}
	memcpy(buf, c->p, c->plen);
	memcpy(buf + c->plen, suffix, sl);
	if (id)
		memcpy(buf + c->plen + sl, id, idlen);
	return RedisModule_CreateString(c->ctx, buf, n);
}

/* name opened for reading and writing when it holds type or nothing, else NULL after
 * replying OQ_INTERNAL ("<name> is not a <what>") */
static RedisModuleKey *open_typed(oqe_call *c, RedisModuleString *name, int type,
		const char *what)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, name, REDISMODULE_READ | REDISMODULE_WRITE);
	int t = RedisModule_KeyType(k);

	if (t != REDISMODULE_KEYTYPE_EMPTY && t != type) {
		oqe_fail(c, "INTERNAL", "%s is not a %s", RedisModule_StringPtrLen(name, NULL), what);
		return NULL;
	}
	return k;
}

RedisModuleKey *oqe_hash(oqe_call *c, RedisModuleString *name)
{
	return open_typed(c, name, REDISMODULE_KEYTYPE_HASH, "hash");
}

RedisModuleKey *oqe_stream(oqe_call *c, RedisModuleString *name)
{
	return open_typed(c, name, REDISMODULE_KEYTYPE_STREAM, "stream");
}

RedisModuleString *oqe_hget(RedisModuleKey *k, const char *field)
{
	RedisModuleString *v = NULL;

	if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH)
		return NULL;
	/* the field's name made once (oqe_name), not for every read as HASH_CFIELDS would */
	RedisModule_HashGet(k, REDISMODULE_HASH_NONE, oqe_name(field), &v, NULL);
	return v;
}

#define HSET_PAIRS_MAX 16

void oqe_hset(oqe_call *c, RedisModuleKey *k, RedisModuleString *name, int npairs, ...)
{
	RedisModuleString *args[2 * HSET_PAIRS_MAX];
	va_list ap;
	int i;

	if (npairs > HSET_PAIRS_MAX)
		npairs = HSET_PAIRS_MAX;
	va_start(ap, npairs);
	for (i = 0; i < npairs; i++) {
		const char *f = va_arg(ap, const char *);
		RedisModuleString *v = va_arg(ap, RedisModuleString *);

		args[2 * i] = oqe_name(f);
		args[2 * i + 1] = v;
		RedisModule_HashSet(k, REDISMODULE_HASH_NONE, args[2 * i], v, NULL);
	}
	va_end(ap);
	oqe_rep(c->ctx, "HSET", "sv", name, args,
			(size_t)(2 * npairs));
}

void oqe_offers_add(oqe_call *c, long long exp, RedisModuleString *sid)
{
	RedisModuleString *name = oqe_key(c, ":offers", NULL, 0);
	RedisModuleString *exps = RedisModule_CreateStringFromLongLong(c->ctx, exp);
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, name, REDISMODULE_READ | REDISMODULE_WRITE);

	/* the callers checked the type (oqe_zset_ok) before their first write */
	if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_EMPTY) {
		RedisModuleString *sentinel = oqe_name(OQE_SENTINEL);

		RedisModule_ZsetAdd(k, 1.0 / 0.0, sentinel, NULL);
		oqe_rep(c->ctx, "ZADD", "scs", name, "+inf", sentinel);
	}
	RedisModule_ZsetAdd(k, (double)exp, sid, NULL);
	oqe_rep(c->ctx, "ZADD", "sss", name, exps, sid);
}

void oqe_lpush_capped(oqe_call *c, RedisModuleString *name, RedisModuleString *value, long max)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, name, REDISMODULE_READ | REDISMODULE_WRITE);
	RedisModuleString *gone;
	int t = RedisModule_KeyType(k);

	if (t != REDISMODULE_KEYTYPE_EMPTY && t != REDISMODULE_KEYTYPE_LIST)
		return;
	if (RedisModule_ListPush(k, REDISMODULE_LIST_HEAD, value) != REDISMODULE_OK)
		return;
	oqe_rep(c->ctx, "LPUSH", "ss", name, value);
	if ((long)RedisModule_ValueLength(k) > max
			&& (gone = RedisModule_ListPop(k, REDISMODULE_LIST_TAIL)) != NULL) {
		oqe_rep(c->ctx, "RPOP", "s", name);
		RedisModule_FreeString(c->ctx, gone);
	}
}

void oqe_zrem(oqe_call *c, RedisModuleString *name, RedisModuleString *member)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, name, REDISMODULE_READ | REDISMODULE_WRITE);
	int deleted = 0;

	if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_ZSET) {
		RedisModule_CloseKey(k);
		return;
	}
	RedisModule_ZsetRem(k, member, &deleted);
	/* closed at once, as every handle of a key a command may empty: the last ZREM of a
	 * zset deletes it, and Redis frees it under any other handle still open on it (two
	 * offers from one queue in one pull: tests/redis/test_engine_memcheck.py) */
	RedisModule_CloseKey(k);
	if (deleted)
		oqe_rep(c->ctx, "ZREM", "ss", name, member);
}

void oqe_count(oqe_call *c, const char *field, long long n)
{
	int i;

	for (i = 0; i < c->ncounts; i++)
		if (strcmp(c->counts[i].field, field) == 0) {
			c->counts[i].n += n;
			return;
		}
	if (c->ncounts < OQE_COUNTS_MAX) {
		c->counts[c->ncounts].field = field;
		c->counts[c->ncounts].n = n;
		c->ncounts++;
	}
}

void oqe_wait_sample(oqe_call *c, RedisModuleString *queue, long long ms)
{
	if (c->nsamples < OQE_COUNTS_MAX) {
		c->samples[c->nsamples].ms = ms;
		c->samples[c->nsamples].queue = queue;
		c->nsamples++;
	}
}

/* old (a wait average as stored; NULL or unreadable: none yet) after this call's samples
 * (alpha 1/8), of every queue (queue NULL) or of one */
static long long ewma(oqe_call *c, RedisModuleString *old, RedisModuleString *queue)
{
	double e = 0;
	int have = 0, i;

	if (old && RedisModule_StringToDouble(old, &e) == REDISMODULE_OK)
		have = 1;
	for (i = 0; i < c->nsamples; i++) {
		if (queue && RedisModule_StringCompare(queue, c->samples[i].queue) != 0)
			continue;
		if (!have) {
			e = (double)c->samples[i].ms;
			have = 1;
		} else {
			e = e + ((double)c->samples[i].ms - e) / 8;
		}
	}
	return (long long)floor(e + 0.5);
}

RedisModuleString *oqe_qew_field(oqe_call *c, RedisModuleString *q)
{
	size_t ql;
	const char *qs = RedisModule_StringPtrLen(q, &ql);
	RedisModuleString *f = RedisModule_CreateString(c->ctx, "qew:", 4);

	RedisModule_StringAppendBuffer(c->ctx, f, qs, ql);
	return f;
}

/* P:stat's counters and wait averages (the tenant's, and each queue's in "qew:<queue>"):
 * read in this call and written back in one HSET (the library adds to the same counters
 * with HINCRBY in calls of its own; nothing here keeps a value across calls) */
void oqe_finish(oqe_call *c)
{
	RedisModuleString *name, *args[2 * (2 * OQE_COUNTS_MAX + 1)];
	RedisModuleKey *k;
	int i, j, n = 0;

	if (c->ncounts == 0 && c->nsamples == 0)
		return;
	name = oqe_key(c, ":stat", NULL, 0);
	k = RedisModule_OpenKey(c->ctx, name, REDISMODULE_READ | REDISMODULE_WRITE);
	if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_EMPTY
			&& RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH) {
		RedisModule_Log(c->ctx, "warning", "omniq: %s is not a hash, counters not kept",
				RedisModule_StringPtrLen(name, NULL));
		return;
	}
	for (i = 0; i < c->ncounts; i++) {
		RedisModuleString *f = oqe_name(c->counts[i].field);
		RedisModuleString *old = NULL;
		long long v = 0;

		RedisModule_HashGet(k, REDISMODULE_HASH_NONE, f, &old, NULL);
		if (old && RedisModule_StringToLongLong(old, &v) != REDISMODULE_OK)
			v = 0; /* HINCRBY would refuse it; a counter is never worth a failed call */
		args[n++] = f;
		args[n++] = RedisModule_CreateStringFromLongLong(c->ctx, v + c->counts[i].n);
	}
	if (c->nsamples) {
		RedisModuleString *old = NULL;

		RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, "wait_ewma_ms", &old, NULL);
		args[n++] = oqe_name("wait_ewma_ms");
		args[n++] = RedisModule_CreateStringFromLongLong(c->ctx, ewma(c, old, NULL));
	}
	for (i = 0; i < c->nsamples; i++) {
		RedisModuleString *old = NULL, *q = c->samples[i].queue, *f;

		for (j = 0; j < i; j++)
			if (RedisModule_StringCompare(q, c->samples[j].queue) == 0)
				break;
		if (j < i)
			continue; /* this queue's samples were folded with its first */
		f = oqe_qew_field(c, q);
		RedisModule_HashGet(k, REDISMODULE_HASH_NONE, f, &old, NULL);
		args[n++] = f;
		args[n++] = RedisModule_CreateStringFromLongLong(c->ctx, ewma(c, old, q));
	}
	for (i = 0; i < n; i += 2)
		RedisModule_HashSet(k, REDISMODULE_HASH_NONE, args[i], args[i + 1], NULL);
	oqe_rep(c->ctx, "HSET", "sv", name, args, (size_t)n);
}

/* events_keep as the tenant's settings say (P:cfg), within its limits */
static long long events_keep(oqe_call *c)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, oqe_key(c, ":cfg", NULL, 0), REDISMODULE_READ);
	RedisModuleString *v = NULL;
	long long n;

	if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH)
		RedisModule_HashGet(k, REDISMODULE_HASH_CFIELDS, "events_keep", &v, NULL);
	if (v && RedisModule_StringToLongLong(v, &n) == REDISMODULE_OK
			&& n >= OQ_CFG_EVENTS_KEEP_MIN && n <= OQ_CFG_EVENTS_KEEP_MAX)
		return n;
	return OQ_CFG_EVENTS_KEEP_DEF;
}

/* The library's X.trim_events: entries older than events_keep by Redis' own clock (the
 * stream ids are made from it). Rare, so through RedisModule_Call, which propagates it
 * apart from the command's other writes (repl.h): as Redis rewrites an approximate trim,
 * so that a replica removes exactly what this server did. */
static void trim_events(oqe_call *c, RedisModuleString *name)
{
	char minid[32];
	RedisModuleCallReply *r;

	snprintf(minid, sizeof minid, "%lld-0",
			RedisModule_Milliseconds() - events_keep(c) * 1000);
	r = RedisModule_Call(c->ctx, "XTRIM", "!sccc", name, "MINID", "~", minid);
	if (r && RedisModule_CallReplyType(r) == REDISMODULE_REPLY_ERROR)
		RedisModule_Log(c->ctx, "warning", "omniq: XTRIM of %s failed: %s",
				RedisModule_StringPtrLen(name, NULL),
				RedisModule_CallReplyStringPtr(r, NULL));
}

static RedisModuleString *or_empty(oqe_call *c, RedisModuleString *s)
{
	return s ? s : RedisModule_CreateString(c->ctx, "", 0);
}

void oqe_emit(oqe_call *c, const char *type, RedisModuleString *sid, const char *state,
		RedisModuleString *agent, RedisModuleString *channel, RedisModuleString *ext)
{
	oqe_emit_x(c, type, sid, state, agent, channel, ext, NULL, 0);
}

RedisModuleString *oqe_emit_x(oqe_call *c, const char *type, RedisModuleString *sid,
		const char *state, RedisModuleString *agent, RedisModuleString *channel,
		RedisModuleString *ext, RedisModuleString **extra, int nextra)
{
	static unsigned since_trim;
	static RedisModuleString *names[EVENT_ARGS / 2];
	RedisModuleString *name = oqe_key(c, ":events", NULL, 0);
	RedisModuleString *f[EVENT_ARGS + OQE_EVENT_EXTRA_MAX];
	RedisModuleString *ids;
	RedisModuleKey *k;
	RedisModuleStreamID id;
	char buf[48];
	int i;

	if (nextra < 0 || nextra > OQE_EVENT_EXTRA_MAX || nextra % 2) {
		RedisModule_Log(c->ctx, "warning", "omniq engine: event %s with %d extra values "
				"(a bug)", type, nextra);
		nextra = 0;
	}
	if (++since_trim >= EVENTS_TRIM_EVERY) {
		since_trim = 0;
		trim_events(c, name);
	}
	if (!names[0]) {
		/* the field names, made once and kept */
		static const char *const n[] = { "type", "sid", "agent", "state", "channel", "ext" };

		for (i = 0; i < EVENT_ARGS / 2; i++)
			names[i] = RedisModule_CreateString(NULL, n[i], strlen(n[i]));
	}
	/* type and state are literals: made once (oqe_name) */
	f[0] = names[0];
	f[1] = oqe_name(type);
	f[2] = names[1];
	f[3] = sid;
	f[4] = names[2];
	f[5] = or_empty(c, agent);
	f[6] = names[3];
	f[7] = oqe_name(state);
	f[8] = names[4];
	f[9] = or_empty(c, channel);
	f[10] = names[5];
	f[11] = or_empty(c, ext);
	for (i = 0; i < nextra; i++)
		f[EVENT_ARGS + i] = extra[i];
	k = RedisModule_OpenKey(c->ctx, name, REDISMODULE_READ | REDISMODULE_WRITE);
	if (RedisModule_StreamAdd(k, REDISMODULE_STREAM_ADD_AUTOID, &id, f,
				(EVENT_ARGS + nextra) / 2) != REDISMODULE_OK) {
		/* oqe_begin checked the type: only a bug gets here */
		RedisModule_Log(c->ctx, "warning", "omniq: event %s of session %s not written to %s",
				type, RedisModule_StringPtrLen(sid, NULL),
				RedisModule_StringPtrLen(name, NULL));
		return NULL;
	}
	ids = oqe_stream_id(c, &id, buf);
	oqe_rep(c->ctx, "XADD", "ssv", name, ids, f, (size_t)(EVENT_ARGS + nextra));
	return ids;
}

RedisModuleString *oqe_stream_id(oqe_call *c, const RedisModuleStreamID *id, char buf[48])
{
	char *p = oq_put_u64(buf, id->ms);

	*p++ = '-';
	p = oq_put_u64(p, id->seq);
	return RedisModule_CreateString(c->ctx, buf, (size_t)(p - buf));
}

long long oqe_incr(oqe_call *c, RedisModuleString *name)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, name, REDISMODULE_READ | REDISMODULE_WRITE);
	long long v = 0;
	size_t len;
	const char *s;
	char buf[24];

	if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_STRING) {
		s = RedisModule_StringDMA(k, &len, REDISMODULE_READ);
		if (len == 0 || len >= sizeof buf)
			return -1;
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (strspn(buf, "0123456789") != len)
			return -1;
		v = strtoll(buf, NULL, 10);
	} else if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_EMPTY) {
		return -1;
	}
	v++;
	RedisModule_StringSet(k, RedisModule_CreateStringFromLongLong(c->ctx, v));
	oqe_rep(c->ctx, "INCR", "s", name);
	return v;
}

void oqe_set(oqe_call *c, RedisModuleString *name, RedisModuleString *value)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, name, REDISMODULE_READ | REDISMODULE_WRITE);

	RedisModule_StringSet(k, value);
	oqe_rep(c->ctx, "SET", "ss", name, value);
}

/* (tenant prefix, queue) -> the second it was last added; started again past SEEN_MAX */
#define SEEN_MAX 4096
static RedisModuleDict *seen;

void oqe_queue_seen(oqe_call *c, RedisModuleString *queue)
{
	char key[PREFIX_MAX + OQ_ID_MAX + 2];
	size_t ql, kl;
	const char *q = RedisModule_StringPtrLen(queue, &ql);
	long long sec = c->now / 1000;
	void *got;
	RedisModuleCallReply *r;
	RedisModuleString *qk;

	if (c->plen + 1 + ql > sizeof key)
		return;
	memcpy(key, c->p, c->plen);
	key[c->plen] = '\0';
	memcpy(key + c->plen + 1, q, ql);
	kl = c->plen + 1 + ql;
	if (!seen || RedisModule_DictSize(seen) >= SEEN_MAX) {
		if (seen)
			RedisModule_FreeDict(NULL, seen);
		seen = RedisModule_CreateDict(NULL);
	}
	got = RedisModule_DictGetC(seen, key, kl, NULL);
	if (got && (long long)(intptr_t)got == sec)
		return;
	qk = oqe_key(c, ":queues", NULL, 0);
	r = RedisModule_Call(c->ctx, "SADD", "ss", qk, queue);
	if (!r || RedisModule_CallReplyType(r) == REDISMODULE_REPLY_ERROR)
		RedisModule_Log(c->ctx, "warning", "omniq engine: SADD %.*s:queues failed",
				(int)c->plen, c->p);
	else
		oqe_rep(c->ctx, "SADD", "ss", qk, queue);
	RedisModule_DictReplaceC(seen, key, kl, (void *)(intptr_t)sec);
}

static int check(oqe_call *c, RedisModuleString *v, const char *what,
		int (*fn)(const char *, size_t, char *))
{
	char why[OQ_WHY_MAX];
	size_t len;
	const char *s = RedisModule_StringPtrLen(v, &len);

	if (fn(s, len, why) == 0)
		return 0;
	oqe_fail(c, "ARG", "%s: %s", what, why);
	return -1;
}

int oqe_check_sid(oqe_call *c, RedisModuleString *v, const char *what)
{
	return check(c, v, what, oq_check_sid);
}

int oqe_check_id(oqe_call *c, RedisModuleString *v, const char *what)
{
	return check(c, v, what, oq_check_id);
}

int oqe_same(RedisModuleString *a, RedisModuleString *b)
{
	size_t la, lb;
	const char *sa = RedisModule_StringPtrLen(a, &la), *sb = RedisModule_StringPtrLen(b, &lb);

	return la == lb && memcmp(sa, sb, la) == 0;
}

int oqe_is(RedisModuleString *a, const char *s)
{
	size_t la;
	const char *sa = RedisModule_StringPtrLen(a, &la);

	return la == strlen(s) && memcmp(sa, s, la) == 0;
}

int oqe_zset_ok(oqe_call *c, RedisModuleString *key)
{
	int t = RedisModule_KeyType(RedisModule_OpenKey(c->ctx, key, REDISMODULE_READ));

	if (t == REDISMODULE_KEYTYPE_EMPTY || t == REDISMODULE_KEYTYPE_ZSET)
		return 0;
	oqe_fail(c, "INTERNAL", "%s is not a zset", RedisModule_StringPtrLen(key, NULL));
	return -1;
}

int oqe_empty(RedisModuleString *a)
{
	size_t len;

	RedisModule_StringPtrLen(a, &len);
	return len == 0;
}
