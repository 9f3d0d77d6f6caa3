/*
 * value.c - a new session's tier and region (see value.h). The settings: P:tiers (hash:
 * tier -> "<priority added>|<skills required>", oq_tier_set), P:rgp (hash: digits of a
 * phone number's start -> region, oq_region_prefix_set), region_wait (P:cfg). The widening
 * deadline of a session that prefers its region: P:rgx (zset: sid -> ms), the library's
 * sweep takes it (lua/75_value.lua). Regional queues: P:rgq (hash: "<queue>/<region>" ->
 * queue, oq_region_queue_set).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"
#include "oq_limits.h"
#include "oq_validate.h"
#include "repl.h"

/* the longest phone-number prefix looked up, in digits */
#define PREFIX_MAX 8

static RedisModuleString *field_of(oqe_call *c, const char *suffix, const char *id,
		size_t idlen, const char *field, RedisModuleKey **kout)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, oqe_key(c, suffix, id, idlen),
			REDISMODULE_READ);

	if (kout)
		*kout = k;
	if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH)
		return NULL;
	return oqe_hget(k, field);
}

/* "r-<region>" as a skill name, lowercased; -1 when the region makes none */
static int region_skill(const char *r, size_t len, char out[64])
{
	size_t i;

	if (len == 0 || len + 2 > OQ_SKILL_NAME_MAX || len + 3 > 64)
		return -1;
	out[0] = 'r';
	out[1] = '-';
	for (i = 0; i < len; i++) {
		char ch = r[i] >= 'A' && r[i] <= 'Z' ? (char)(r[i] - 'A' + 'a') : r[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')
					|| (i > 0 && ch != '\0' && strchr(OQ_SKILL_CHARS, ch))))
			return -1;
		out[2 + i] = ch;
	}
	out[2 + len] = '\0';
	return 0;
}

/* the region of a phone number by its longest known prefix ("tel:+8610..." -> digits) */
static RedisModuleString *region_by_prefix(oqe_call *c, RedisModuleString *canon)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, oqe_key(c, ":rgp", NULL, 0),
			REDISMODULE_READ);
	RedisModuleString *r = NULL;
	size_t len, n;
	const char *s = RedisModule_StringPtrLen(canon, &len);

	if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH || len < 6
			|| memcmp(s, "tel:+", 5) != 0)
		return NULL;
	s += 5;
	len -= 5;
	for (n = len < PREFIX_MAX ? len : PREFIX_MAX; n > 0 && r == NULL; n--) {
		RedisModuleString *p = RedisModule_CreateString(c->ctx, s, n);

		RedisModule_HashGet(k, REDISMODULE_HASH_NONE, p, &r, NULL);
	}
	return r;
}

/* skills a and b (each canonical or empty) as one canonical list into out */
static int merge(const char *a, size_t al, const char *b, size_t bl, char *out, size_t outsz,
		char *why)
{
	char both[2 * OQ_SKILLS_BUF + 2];

	if (al + bl + 2 > sizeof both)
		return snprintf(why, OQ_WHY_MAX, "too many skills"), -1;
	memcpy(both, a, al);
	both[al] = ',';
	memcpy(both + al + 1, b, bl);
	if (al == 0)
		return oq_skills_canon(b, bl, out, outsz, why);
	if (bl == 0)
		return oq_skills_canon(a, al, out, outsz, why);
	return oq_skills_canon(both, al + 1 + bl, out, outsz, why);
}

/* the queue that serves region (lowercase, as its skill) for sessions coming to queue, or
 * NULL */
static RedisModuleString *region_queue(oqe_call *c, RedisModuleString *queue, const char *region)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, oqe_key(c, ":rgq", NULL, 0),
			REDISMODULE_READ);
	RedisModuleString *f, *q = NULL;
	size_t ql;
	const char *qs;

	if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_HASH)
		return NULL;
	qs = RedisModule_StringPtrLen(queue, &ql);
	f = RedisModule_CreateString(c->ctx, qs, ql);
	RedisModule_StringAppendBuffer(c->ctx, f, "/", 1);
	RedisModule_StringAppendBuffer(c->ctx, f, region, strlen(region));
	RedisModule_HashGet(k, REDISMODULE_HASH_NONE, f, &q, NULL);
	return q && !oqe_empty(q) ? q : NULL;
}

int oqe_value_apply(oqe_call *c, const oqe_cfg *cfg, RedisModuleString *cid,
		RedisModuleString *canon, RedisModuleString *queue, oqe_value *v)
{
	RedisModuleString *tier = NULL, *region = NULL, *t;
	RedisModuleKey *tk;
	char skills[OQ_SKILLS_BUF], add[OQ_SKILLS_BUF + 64], why[OQ_WHY_MAX];
	const char *s, *bar, *cur;
	size_t len, cl, curl, addl = 0;
	long long more;

	v->region[0] = '\0';
	v->queue = NULL;
	tk = RedisModule_OpenKey(c->ctx, oqe_key(c, ":tiers", NULL, 0), REDISMODULE_READ);
	if (RedisModule_KeyType(tk) == REDISMODULE_KEYTYPE_EMPTY && cfg->region_wait <= 0)
		return 0; /* the tenant uses neither */
	s = RedisModule_StringPtrLen(cid, &cl);
	if (cl > 0) {
		RedisModuleKey *ck;

		tier = field_of(c, ":c:", s, cl, "tier", &ck);
		if (cfg->region_wait > 0 && RedisModule_KeyType(ck) == REDISMODULE_KEYTYPE_HASH)
			region = oqe_hget(ck, "region");
	}
	add[0] = '\0';
	/* the tier: "<priority>|<skills>" */
	if (tier && !oqe_empty(tier) && RedisModule_KeyType(tk) == REDISMODULE_KEYTYPE_HASH) {
		t = NULL;
		RedisModule_HashGet(tk, REDISMODULE_HASH_NONE, tier, &t, NULL);
		s = t ? RedisModule_StringPtrLen(t, &len) : NULL;
		bar = s ? memchr(s, '|', len) : NULL;
		if (bar) {
			more = strtoll(s, NULL, 10);
			v->prio += more;
			if (v->prio > OQ_PRIORITY_MAX)
				v->prio = OQ_PRIORITY_MAX;
			if (v->prio < 0)
				v->prio = 0;
			addl = (size_t)(len - (size_t)(bar + 1 - s));
			if (addl >= sizeof add)
				addl = 0;
			memcpy(add, bar + 1, addl);
			add[addl] = '\0';
		}
	}
	/* the region: the profile's, else the phone number's prefix */
	if (cfg->region_wait > 0) {
		char rs[64];

		if (!region || oqe_empty(region))
			region = region_by_prefix(c, canon);
		s = region ? RedisModule_StringPtrLen(region, &len) : NULL;
		if (s && region_skill(s, len, rs) == 0 && addl + strlen(rs) + 2 < sizeof add) {
			snprintf(v->region, sizeof v->region, "%s", rs + 2);
			if (addl)
				add[addl++] = ',';
			memcpy(add + addl, rs, strlen(rs) + 1);
			addl += strlen(rs);
		}
	}
	if (addl == 0)
		return 0;
	cur = RedisModule_StringPtrLen(v->skills, &curl);
	if (merge(cur, curl, add, addl, skills, sizeof skills, why) < 0) {
		/* a tier's skills that cannot join the contact's (too many): routed without them,
		 * and said */
		RedisModule_Log(c->ctx, "warning", "omniq engine: %.*s: the tier's and region's "
				"skills (%s) do not join the session's (%.*s): %s", (int)c->plen, c->p, add,
				(int)curl, cur, why);
		v->region[0] = '\0';
		return 0;
	}
	v->skills = RedisModule_CreateString(c->ctx, skills, strlen(skills));
	if (v->region[0])
		v->queue = region_queue(c, queue, v->region);
	return 0;
}

void oqe_value_opened(oqe_call *c, const oqe_cfg *cfg, const oqe_value *v,
		RedisModuleString *sid)
{
	RedisModuleString *name, *at;
	RedisModuleKey *k;

	if (!v->region[0] || cfg->region_wait <= 0)
		return;
	name = oqe_key(c, ":rgx", NULL, 0);
	k = RedisModule_OpenKey(c->ctx, name, REDISMODULE_READ | REDISMODULE_WRITE);
	if (RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_EMPTY
			&& RedisModule_KeyType(k) != REDISMODULE_KEYTYPE_ZSET)
		return;
	at = RedisModule_CreateStringFromLongLong(c->ctx, c->now + cfg->region_wait * 1000);
	RedisModule_ZsetAdd(k, (double)(c->now + cfg->region_wait * 1000), sid, NULL);
	oqe_rep(c->ctx, "ZADD", "sss", name, at, sid);
}
