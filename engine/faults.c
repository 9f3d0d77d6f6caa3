/*
 * faults.c - the engine made wrong on demand, for the Kamailio side's fault tests only
 * (tests/integration/test_faults.py; built into build/test-modules/omniq_engine_faults.so
 * with -DOQE_FAULTS, never into the module admins load). What badlib.lua does for the
 * function library: while key bad:engine exists, each step the Kamailio side sends to the
 * engine notes its function's name in list bad:calls and, when hash bad:mode holds a shape
 * for it (or under "*"), answers that malformed reply and does nothing else.
 */
#include <string.h>

#include "redismodule.h"

#define HUGE_N 4611686018427387904LL /* 2^62, as badlib.lua's */

static int str(RedisModuleCtx *ctx, const char *s)
{
	return RedisModule_ReplyWithStringBuffer(ctx, s, strlen(s));
}

static void strs(RedisModuleCtx *ctx, const char *const *v, int n)
{
	int i;

	RedisModule_ReplyWithArray(ctx, n);
	for (i = 0; i < n; i++)
		str(ctx, v[i]);
}

static int shape(RedisModuleCtx *ctx, const char *fn, const char *m)
{
	int i;

	if (!strcmp(m, "nil"))
		return RedisModule_ReplyWithNull(ctx);
	if (!strcmp(m, "int"))
		return RedisModule_ReplyWithLongLong(ctx, 7);
	if (!strcmp(m, "huge"))
		return RedisModule_ReplyWithLongLong(ctx, HUGE_N);
	if (!strcmp(m, "negative"))
		return RedisModule_ReplyWithLongLong(ctx, -HUGE_N);
	if (!strcmp(m, "string"))
		return str(ctx, "garbage");
	if (!strcmp(m, "empty_string"))
		return str(ctx, "");
	if (!strcmp(m, "status"))
		return RedisModule_ReplyWithSimpleString(ctx, "QUEUED");
	if (!strcmp(m, "empty"))
		return RedisModule_ReplyWithArray(ctx, 0);
	if (!strcmp(m, "short")) {
		static const char *const v[] = { "1" };
		strs(ctx, v, 1);
		return REDISMODULE_OK;
	}
	if (!strcmp(m, "ints")) {
		RedisModule_ReplyWithArray(ctx, 8);
		RedisModule_ReplyWithLongLong(ctx, HUGE_N);
		RedisModule_ReplyWithLongLong(ctx, -HUGE_N);
		for (i = 0; i < 6; i++)
			RedisModule_ReplyWithLongLong(ctx, HUGE_N);
		return REDISMODULE_OK;
	}
	if (!strcmp(m, "nested")) {
		RedisModule_ReplyWithArray(ctx, 8);
		RedisModule_ReplyWithArray(ctx, 1);
		str(ctx, "1");
		RedisModule_ReplyWithArray(ctx, 1);
		str(ctx, "queued");
		RedisModule_ReplyWithArray(ctx, 1);
		RedisModule_ReplyWithArray(ctx, 0);
		for (i = 0; i < 5; i++)
			RedisModule_ReplyWithArray(ctx, 0);
		return REDISMODULE_OK;
	}
	if (!strcmp(m, "nils")) {
		RedisModule_ReplyWithArray(ctx, 8);
		for (i = 0; i < 8; i++)
			RedisModule_ReplyWithNull(ctx);
		return REDISMODULE_OK;
	}
	if (!strcmp(m, "long")) {
		RedisModule_ReplyWithArray(ctx, 5000);
		for (i = 1; i <= 5000; i++)
			RedisModule_ReplyWithString(ctx, RedisModule_CreateStringFromLongLong(ctx, i));
		return REDISMODULE_OK;
	}
	if (!strcmp(m, "bigstr")) {
		static char big[1000000];

		memset(big, '9', sizeof big);
		return RedisModule_ReplyWithStringBuffer(ctx, big, sizeof big);
	}
	if (!strcmp(m, "binary")) {
		RedisModule_ReplyWithArray(ctx, 5);
		RedisModule_ReplyWithStringBuffer(ctx, "1\0\377", 3);
		str(ctx, "queued\n");
		RedisModule_ReplyWithStringBuffer(ctx, "\0", 1);
		str(ctx, "0");
		RedisModule_ReplyWithStringBuffer(ctx, "\377", 1);
		return REDISMODULE_OK;
	}
	if (!strcmp(m, "odd")) {
		static const char *const v[] = { "id", "1", "state" };
		strs(ctx, v, 3);
		return REDISMODULE_OK;
	}
	if (!strcmp(m, "badsid")) {
		static const char *const v[] = { "12ab", "offered", "alice", "0", "1", "1-0", "0" };
		strs(ctx, v, 7);
		return REDISMODULE_OK;
	}
	if (!strcmp(m, "longsid")) {
		static char sid[41];
		const char *v[] = { sid, "offered", "alice", "0", "1", "1-0", "0" };

		memset(sid, '7', 40);
		strs(ctx, v, 7);
		return REDISMODULE_OK;
	}
	if (!strcmp(m, "longagent")) {
		static char agent[301];
		const char *v[] = { "1", "offered", agent, "0", "1", "1-0", "0" };

		memset(agent, 'a', 300);
		strs(ctx, v, 7);
		return REDISMODULE_OK;
	}
	if (!strcmp(m, "nostate")) {
		static const char *const v[] = { "1", "", "", "0", "1", "1-0", "0" };
		strs(ctx, v, 7);
		return REDISMODULE_OK;
	}
	if (!strcmp(m, "badflag")) {
		static const char *const v[] = { "1", "queued", "", "1", "1", "1-0", "9" };
		strs(ctx, v, 7);
		return REDISMODULE_OK;
	}
	if (!strcmp(m, "error_oq"))
		return RedisModule_ReplyWithError(ctx, "ERR OQ_"); /* as the library's reads */
	if (!strcmp(m, "raise")) {
		/* a step failing in the middle, as the library's would read */
		char e[160];

		RedisModule_Assert(strlen(fn) < 64);
		strcpy(e, "ERR user_function:1: a runtime failure script: ");
		strcat(e, fn);
		strcat(e, ", on @user_function:1.");
		return RedisModule_ReplyWithError(ctx, e);
	}
	return RedisModule_ReplyWithError(ctx, "something broke");
}

int oqe_fault(RedisModuleCtx *ctx, const char *fn)
{
	RedisModuleCallReply *r;
	const char *m;
	size_t len;
	char mode[32];

	r = RedisModule_Call(ctx, "EXISTS", "c", "bad:engine");
	if (!r || RedisModule_CallReplyInteger(r) != 1)
		return 0;
	RedisModule_Call(ctx, "RPUSH", "!cc", "bad:calls", fn);
	r = RedisModule_Call(ctx, "HGET", "cc", "bad:mode", fn);
	if (!r || RedisModule_CallReplyType(r) != REDISMODULE_REPLY_STRING)
		r = RedisModule_Call(ctx, "HGET", "cc", "bad:mode", "*");
	if (!r || RedisModule_CallReplyType(r) != REDISMODULE_REPLY_STRING)
		return 0;
	m = RedisModule_CallReplyStringPtr(r, &len);
	if (len >= sizeof mode)
		len = sizeof mode - 1;
	memcpy(mode, m, len);
	mode[len] = '\0';
	if (!strcmp(mode, "real"))
		return 0;
	shape(ctx, fn, mode);
	return 1;
}
