/*
 * agent.c - the agent row and the load indexes (see agent.h).
 */
#include "agent.h"
#include "oq_digits.h"
#include "repl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const class_names[OQE_CLASSES] = { "voice", "chat", "email" };

int oqe_class_of(const char *s, size_t len)
{
	int i;

	for (i = 0; i < OQE_CLASSES; i++)
		if (len == strlen(class_names[i]) && memcmp(s, class_names[i], len) == 0)
			return i;
	return -1;
}

const char *oqe_class_name(int cls)
{
	return cls >= 0 && cls < OQE_CLASSES ? class_names[cls] : "?";
}

/* the next '|'-separated field of a row: [*p, end) up to the bar, *p moved past it */
static int field(const char **p, const char *end, const char **f, size_t *len)
{
	const char *bar = memchr(*p, '|', end - *p);

	if (!bar)
		return -1;
	*f = *p;
	*len = bar - *p;
	*p = bar + 1;
	return 0;
}

static int number(const char **p, const char *end, long *out)
{
	const char *f;
	size_t len, i;
	long v = 0;

	if (field(p, end, &f, &len) < 0 || len == 0 || len > 4)
		return -1;
	for (i = 0; i < len; i++) {
		if (f[i] < '0' || f[i] > '9')
			return -1;
		v = v * 10 + (f[i] - '0');
	}
	*out = v;
	return 0;
}

static int text(const char **p, const char *end, char *out, size_t outsz, int digits)
{
	const char *f;
	size_t len, i;

	if (field(p, end, &f, &len) < 0 || len >= outsz)
		return -1;
	for (i = 0; i < len; i++)
		if (digits ? (f[i] < '0' || f[i] > '9') : !((f[i] >= 'a' && f[i] <= 'z')
						|| f[i] == ','))
			return -1;
	memcpy(out, f, len);
	out[len] = '\0';
	return 0;
}

static int parse_row(const char *s, size_t len, oqe_agent *a)
{
	const char *p = s, *end = s + len;
	size_t hl;
	int i;

	if (text(&p, end, a->presence, sizeof a->presence, 0) < 0 || a->presence[0] == '\0')
		return -1;
	for (i = 0; i < OQE_CLASSES; i++)
		if (number(&p, end, &a->cap[i]) < 0)
			return -1;
	if (number(&p, end, &a->cap_total) < 0)
		return -1;
	for (i = 0; i < OQE_CLASSES; i++)
		if (number(&p, end, &a->load[i]) < 0)
			return -1;
	if (number(&p, end, &a->load_total) < 0)
		return -1;
	if (text(&p, end, a->idle, sizeof a->idle, 1) < 0
			|| text(&p, end, a->avx, sizeof a->avx, 0) < 0)
		return -1;
	/* the rest is the held list */
	hl = end - p;
	if (hl >= sizeof a->held || memchr(p, '|', hl))
		return -1;
	memcpy(a->held, p, hl);
	a->held[hl] = '\0';
	a->o_load_total = a->load_total;
	strcpy(a->o_idle, a->idle);
	strcpy(a->o_avx, a->avx);
	return 0;
}

int oqe_agent_load(oqe_call *c, RedisModuleString *aid, oqe_agent *a)
{
	RedisModuleString *row, *phone;
	const char *s;
	size_t len;

	a->id = aid;
	s = RedisModule_StringPtrLen(aid, &len);
	a->key = oqe_key(c, ":a:", s, len);
	if (!(a->k = oqe_hash(c, a->key)))
		return -1;
	if (RedisModule_KeyType(a->k) != REDISMODULE_KEYTYPE_HASH)
		return 0;
	/* the row and the phone flag in one call */
	row = phone = NULL;
	RedisModule_HashGet(a->k, REDISMODULE_HASH_NONE, oqe_name("r"), &row, oqe_name("phone"),
			&phone, NULL);
	if (!row)
		return 0;
	a->nophone = phone && oqe_is(phone, "0");
	s = RedisModule_StringPtrLen(row, &len);
	if (parse_row(s, len, a) < 0) {
		oqe_fail(c, "INTERNAL", "agent %s has a malformed row",
				RedisModule_StringPtrLen(aid, NULL));
		return -1;
	}
	return 1;
}

/* s copied to p (no terminator): the end */
static char *put_s(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* a row's number (never negative there) in decimal */
static char *put_n(char *p, long long v)
{
	return oq_put_u64(p, v < 0 ? 0 : (unsigned long long)v);
}

void oqe_agent_avx(const oqe_cfg *cfg, const oqe_agent *a, char out[OQE_AVX_MAX])
{
	int busy, v, ch, e;
	char *p = out;

	out[0] = '\0';
	if (strcmp(a->presence, "available") != 0 || a->load_total >= a->cap_total)
		return;
	busy = a->load[OQE_VOICE] > 0 && cfg->voice_exclusive;
	v = a->load[OQE_VOICE] < a->cap[OQE_VOICE] && !a->nophone;
	ch = a->load[OQE_CHAT] < a->cap[OQE_CHAT] && !busy;
	e = a->load[OQE_EMAIL] < a->cap[OQE_EMAIL] && !busy;
	/* "voice,chat,email" at most: 16 bytes and the terminator */
	if (v)
		p = put_s(p, "voice");
	if (ch)
		p = put_s(p == out ? p : put_s(p, ","), "chat");
	if (e)
		p = put_s(p == out ? p : put_s(p, ","), "email");
	*p = '\0';
}

long oqe_agent_room(const oqe_agent *a)
{
	return a->cap_total > a->load_total ? a->cap_total - a->load_total : 0;
}

/* the held list without sid (U.list_del) */
static void held_del(char *held, const char *sid, size_t sl)
{
	size_t n = strlen(held);
	char *p = held;

	while (p < held + n) {
		char *comma = memchr(p, ',', held + n - p);
		size_t len = comma ? (size_t)(comma - p) : (size_t)(held + n - p);

		if (len == sl && memcmp(p, sid, sl) == 0) {
			if (comma)
				memmove(p, comma + 1, held + n - (comma + 1) + 1);
			else if (p > held)
				p[-1] = '\0';
			else
				p[0] = '\0';
			return;
		}
		if (!comma)
			return;
		p = comma + 1;
	}
}

/* idle_since from now (c->ns: the clock's milliseconds, digits only) */
static void set_idle(oqe_call *c, oqe_agent *a)
{
	size_t len;
	const char *ns = RedisModule_StringPtrLen(c->ns, &len);

	if (len >= sizeof a->idle)
		len = sizeof a->idle - 1;
	memcpy(a->idle, ns, len);
	a->idle[len] = '\0';
}

void oqe_agent_release(oqe_call *c, oqe_agent *a, RedisModuleString *sid, int cls)
{
	size_t sl;
	const char *s = RedisModule_StringPtrLen(sid, &sl);

	held_del(a->held, s, sl);
	if (a->load[cls] > 0)
		a->load[cls]--;
	if (a->load_total > 0)
		a->load_total--;
	set_idle(c, a);
}

int oqe_agent_free(const oqe_cfg *cfg, const oqe_agent *a, int cls)
{
	if (strcmp(a->presence, "available") != 0 || a->load_total >= a->cap_total
			|| a->load[cls] >= a->cap[cls])
		return 0;
	if (cls == OQE_VOICE && a->nophone)
		return 0;     /* no phone registered anywhere: no call */
	return cls == OQE_VOICE || a->load[OQE_VOICE] == 0 || !cfg->voice_exclusive;
}

void oqe_agent_take(oqe_call *c, oqe_agent *a, RedisModuleString *sid, int cls)
{
	size_t sl, hl = strlen(a->held);
	const char *s = RedisModule_StringPtrLen(sid, &sl);

	if (hl + 1 + sl < sizeof a->held) {
		if (hl)
			a->held[hl++] = ',';
		memcpy(a->held + hl, s, sl);
		a->held[hl + sl] = '\0';
	}
	a->load[cls]++;
	a->load_total++;
	set_idle(c, a);
}

long oqe_agent_freed_room(const oqe_cfg *cfg, const oqe_agent *a, int cls)
{
	if (cls == OQE_VOICE && a->load[OQE_VOICE] == 0 && cfg->voice_exclusive)
		return oqe_agent_room(a);
	return 1;
}

static int has_class(const char *avx, int cls)
{
	const char *n = class_names[cls];
	size_t nl = strlen(n);
	const char *p = avx;

	while ((p = strstr(p, n)) != NULL) {
		if ((p == avx || p[-1] == ',') && (p[nl] == ',' || p[nl] == '\0'))
			return 1;
		p += nl;
	}
	return 0;
}

/* SADD / SREM of one member (Redis' module API has no set calls of its own), propagated
 * with the command's other writes (repl.h) */
static void set_cmd(oqe_call *c, const char *cmd, RedisModuleString *key,
		RedisModuleString *member)
{
	RedisModuleCallReply *r = RedisModule_Call(c->ctx, cmd, "ss", key, member);

	if (!r || RedisModule_CallReplyType(r) == REDISMODULE_REPLY_ERROR)
		RedisModule_Log(c->ctx, "warning", "omniq engine: %s %s failed",
				cmd, RedisModule_StringPtrLen(key, NULL));
	else
		oqe_rep(c->ctx, cmd, "ss", key, member);
}

static void fair_set(oqe_call *c, oqe_agent *a)
{
	RedisModuleString *key = oqe_key(c, ":fair", NULL, 0);
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, key, REDISMODULE_READ | REDISMODULE_WRITE);
	char score[48];
	const char *d;
	long long v;
	int t = RedisModule_KeyType(k);

	if (t != REDISMODULE_KEYTYPE_EMPTY && t != REDISMODULE_KEYTYPE_ZSET) {
		RedisModule_Log(c->ctx, "warning", "omniq engine: %s is not a zset",
				RedisModule_StringPtrLen(key, NULL));
		return;
	}
	/* load * 10^13 + idle ms, joined as strings as the library joins them (idle_since is
	 * digits only: parse_row checked), and the same number exactly as a double */
	*put_s(put_n(score, a->load_total), a->idle) = '\0';
	for (v = 0, d = score; *d; d++)
		v = v * 10 + (*d - '0');
	RedisModule_ZsetAdd(k, (double)v, a->id, NULL);
	if (t == REDISMODULE_KEYTYPE_EMPTY) {
		/* a new P:fair: its sentinel with it (the library adds it with every ZADD) */
		RedisModuleString *sentinel = oqe_name(OQE_SENTINEL);

		RedisModule_ZsetAdd(k, 1.0 / 0.0, sentinel, NULL);
		oqe_rep(c->ctx, "ZADD", "scscs", key, score, a->id, "+inf", sentinel);
	} else {
		oqe_rep(c->ctx, "ZADD", "scs", key, score, a->id);
	}
}

void oqe_agent_save(oqe_call *c, const oqe_cfg *cfg, oqe_agent *a)
{
	char avx[OQE_AVX_MAX], row[sizeof a->presence + 8 * 24 + OQE_IDLE_MAX + OQE_AVX_MAX
			+ OQE_HELD_MAX + 16], *p;
	int i;

	oqe_agent_avx(cfg, a, avx);
	if (strcmp(avx, a->o_avx) != 0)
		for (i = 0; i < OQE_CLASSES; i++) {
			int had = has_class(a->o_avx, i), want = has_class(avx, i);

			if (had != want)
				set_cmd(c, want ? "SADD" : "SREM",
						oqe_key(c, i == OQE_VOICE ? ":fr:voice" : i == OQE_CHAT
								? ":fr:chat" : ":fr:email", NULL, 0), a->id);
		}
	if (avx[0]) {
		if (a->o_avx[0] == '\0' || a->o_load_total != a->load_total
				|| strcmp(a->o_idle, a->idle) != 0)
			fair_set(c, a);
	} else if (a->o_avx[0]) {
		RedisModuleString *fair = oqe_key(c, ":fair", NULL, 0);
		RedisModuleKey *k = RedisModule_OpenKey(c->ctx, fair, REDISMODULE_READ | REDISMODULE_WRITE);
		int deleted = 0;

		if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_ZSET)
			RedisModule_ZsetRem(k, a->id, &deleted);
		if (deleted)
			oqe_rep(c->ctx, "ZREM", "ss", fair, a->id);
	}
	strcpy(a->avx, avx);
	/* presence|cap x3|cap:total|load x3|load:total|idle|avx|held: each part bounded by
	 * the struct it comes from, the row by their sum */
	p = put_s(put_s(row, a->presence), "|");
	for (i = 0; i < OQE_CLASSES; i++)
		p = put_s(put_n(p, a->cap[i]), "|");
	p = put_s(put_n(p, a->cap_total), "|");
	for (i = 0; i < OQE_CLASSES; i++)
		p = put_s(put_n(p, a->load[i]), "|");
	p = put_s(put_n(p, a->load_total), "|");
	p = put_s(put_s(put_s(put_s(p, a->idle), "|"), a->avx), "|");
	p = put_s(p, a->held);
	oqe_hset(c, a->k, a->key, 1, "r", RedisModule_CreateString(c->ctx, row,
			(size_t)(p - row)));
	a->o_load_total = a->load_total;
	strcpy(a->o_idle, a->idle);
	strcpy(a->o_avx, a->avx);
}

static int exists(oqe_call *c, RedisModuleString *key)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, key, REDISMODULE_READ);
	int t = RedisModule_KeyType(k);

	/* closed at once: a later write of the command may empty the key, and Redis frees an
	 * emptied key under any handle still open on it */
	RedisModule_CloseKey(k);
	return t != REDISMODULE_KEYTYPE_EMPTY;
}

int oqe_agent_work_waits(oqe_call *c, const oqe_cfg *cfg, const oqe_agent *a,
		const char *avx)
{
	int i;
	size_t len;
	const char *s;

	for (i = 0; i < OQE_CLASSES; i++)
		if (has_class(avx, i) && exists(c, oqe_key(c, i == OQE_VOICE ? ":wk:voice"
						: i == OQE_CHAT ? ":wk:chat" : ":wk:email", NULL, 0)))
			return 1;
	if (cfg->affinity_wait > 0) {
		s = RedisModule_StringPtrLen(a->id, &len);
		return exists(c, oqe_key(c, ":aw:", s, len));
	}
	return 0;
}
