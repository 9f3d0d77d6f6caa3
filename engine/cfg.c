/*
 * cfg.c - the tenant settings cache (see cfg.h); the library's X.tenant() does the same in
 * its Lua state.
 */
#include "cfg.h"

#include <math.h>
#include <string.h>

typedef struct cached {
	char version[32];
	oqe_cfg cfg;
} cached;

static RedisModuleDict *cache;   /* tenant prefix -> cached */

/* A caller may name any number of prefixes: past this many the cache starts again. */
#define CACHE_MAX 4096

static void cache_reset(void)
{
	RedisModuleDictIter *it;
	void *val;

	if (cache) {
		it = RedisModule_DictIteratorStartC(cache, "^", NULL, 0);
		while (RedisModule_DictNextC(it, NULL, &val))
			RedisModule_Free(val);
		RedisModule_DictIteratorStop(it);
		RedisModule_FreeDict(NULL, cache);
	}
	cache = RedisModule_CreateDict(NULL);
}

static void defaults(oqe_cfg *cfg)
{
#define OQE_CFG_DEF(name, def, min, max) cfg->name = def;
	OQ_CFG_EACH(OQE_CFG_DEF)
#undef OQE_CFG_DEF
	cfg->voice_exclusive = 0;
}

static int is(RedisModuleString *s, const char *c)
{
	size_t len;
	const char *p = RedisModule_StringPtrLen(s, &len);
	return len == strlen(c) && memcmp(p, c, len) == 0;
}

/* one setting from the hash, taken when it is a number within its limits */
static void take(RedisModuleKey *k, const char *field, long long min, long long max,
		long long *out)
{
	RedisModuleString *v = oqe_hget(k, field);
	double d;

	if (v && RedisModule_StringToDouble(v, &d) == REDISMODULE_OK && d >= min && d <= max)
		*out = (long long)floor(d);
}

static void parse(RedisModuleKey *k, oqe_cfg *cfg)
{
	RedisModuleString *pol;

	defaults(cfg);
#define OQE_CFG_TAKE(name, def, min, max) take(k, #name, min, max, &cfg->name);
	OQ_CFG_EACH(OQE_CFG_TAKE)
#undef OQE_CFG_TAKE
	pol = oqe_hget(k, "policy");
	cfg->voice_exclusive = pol && is(pol, "voice_exclusive");
}

const oqe_cfg *oqe_cfg_get(oqe_call *c)
{
	RedisModuleKey *k = RedisModule_OpenKey(c->ctx, oqe_key(c, ":cfg", NULL, 0),
			REDISMODULE_READ);
	RedisModuleString *ver = NULL;
	const char *v = "";
	size_t vlen = 0;
	cached *e;

	if (!cache || RedisModule_DictSize(cache) >= CACHE_MAX)
		cache_reset();
	if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH)
		ver = oqe_hget(k, "version");
	if (ver)
		v = RedisModule_StringPtrLen(ver, &vlen);
	if (vlen >= sizeof e->version)
		vlen = sizeof e->version - 1;
	e = RedisModule_DictGetC(cache, (void *)c->p, c->plen, NULL);
	if (e && RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH && strlen(e->version) == vlen && memcmp(e->version, v, vlen) == 0)
		return &e->cfg;
	if (!e) {
		e = RedisModule_Alloc(sizeof *e);
		RedisModule_DictSetC(cache, (void *)c->p, c->plen, e);
	}
	memcpy(e->version, v, vlen);
	e->version[vlen] = '\0';
	if (RedisModule_KeyType(k) == REDISMODULE_KEYTYPE_HASH)
		parse(k, &e->cfg);
	else
		defaults(&e->cfg);
	return &e->cfg;
}
