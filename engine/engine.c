/*
 * engine.c - the omniq engine, a Redis module: loaded by redis-server
 * (`loadmodule /usr/local/lib/omniq/omniq_engine.so` in redis.conf, or --loadmodule), it
 * adds the OMNIQ.* commands that the omniq function library and the Kamailio modules call
 * for the routing steps (docs/redis-model.md, "The engine"). Why a module: see call.h.
 *
 * Arguments after the path: `testclock` (the Redis suite's clock, see call.h). Anything
 * else refuses the load with a log line that says which.
 */
#include <string.h>

#include "call.h"
#include "engine.h"
#include "oq_limits.h"
#include "repl.h"

/* OQ_ENGINE_VERSION (limits.def): bumped when a command's arguments or reply change; the
 * Kamailio modules read it (OMNIQ.VERSION) and refuse an engine they do not know. */
#define OQE_VERSION OQ_ENGINE_VERSION

static int cmd_version(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	(void)argv;
	if (argc != 1)
		return RedisModule_WrongArity(ctx);
	return RedisModule_ReplyWithLongLong(ctx, OQE_VERSION);
}

/* Every write command's writes are propagated once it ends (repl.h): the handler's
 * return, whatever it replied, passes through here. */
#define STEP(name, real) \
	static int name(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) \
	{ \
		int r = real(ctx, argv, argc); \
		oqe_rep_flush(ctx, argc > 1 ? argv[1] : NULL); \
		return r; \
	}

#ifdef OQE_FAULTS
/* the test build (faults.c): a step the Kamailio side sends may answer a wrong shape */
int oqe_fault(RedisModuleCtx *ctx, const char *fn);
#define FAULTABLE(name, fn, real) \
	static int name(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) \
	{ \
		return oqe_fault(ctx, fn) ? REDISMODULE_OK : real(ctx, argv, argc); \
	}
FAULTABLE(fault_accept, "oq_accept", oqe_cmd_accept)
FAULTABLE(fault_enqueue, "oq_enqueue", oqe_cmd_enqueue)
FAULTABLE(fault_close, "oq_close", oqe_cmd_close)
FAULTABLE(fault_append, "oq_append", oqe_cmd_append)
FAULTABLE(fault_append_once, "oq_append_once", oqe_cmd_append_once)
FAULTABLE(fault_append_many, "oq_append_many", oqe_cmd_append_many)
FAULTABLE(fault_reply, "oq_reply", oqe_cmd_reply)
STEP(step_accept, fault_accept)
STEP(step_enqueue, fault_enqueue)
STEP(step_close, fault_close)
STEP(step_append, fault_append)
STEP(step_append_once, fault_append_once)
STEP(step_append_many, fault_append_many)
STEP(step_reply, fault_reply)
#else
STEP(step_accept, oqe_cmd_accept)
STEP(step_enqueue, oqe_cmd_enqueue)
STEP(step_close, oqe_cmd_close)
STEP(step_append, oqe_cmd_append)
STEP(step_append_once, oqe_cmd_append_once)
STEP(step_append_many, oqe_cmd_append_many)
STEP(step_reply, oqe_cmd_reply)
#endif
STEP(step_lib_pull, oqe_cmd_lib_pull)
STEP(step_lib_enqueue, oqe_cmd_lib_enqueue)

static const struct {
	const char *name;
	RedisModuleCmdFunc fn;
	const char *flags;
	int firstkey;
} commands[] = {
	{ "omniq.version", cmd_version, "readonly fast allow-loading allow-stale", 0 },
	{ "omniq.accept", step_accept, "write deny-oom", 1 },
	{ "omniq.close", step_close, "write deny-oom", 1 },
	{ "omniq.append", step_append, "write deny-oom", 1 },
	{ "omniq.append_once", step_append_once, "write deny-oom", 1 },
	{ "omniq.append_many", step_append_many, "write deny-oom", 1 },
	{ "omniq.reply", step_reply, "write deny-oom", 1 },
	{ "omniq.lib.pull", step_lib_pull, "write deny-oom", 1 },
	{ "omniq.enqueue", step_enqueue, "write deny-oom", 1 },
	{ "omniq.lib.enqueue", step_lib_enqueue, "write deny-oom", 1 },
	{ "omniq.lib.decide", oqe_cmd_lib_decide, "readonly", 1 },
};

__attribute__((visibility("default")))
int RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv, int argc)
{
	size_t i;

	if (RedisModule_Init(ctx, "omniq", OQE_VERSION, REDISMODULE_APIVER_1) == REDISMODULE_ERR)
		return REDISMODULE_ERR;
	for (i = 0; i < (size_t)argc; i++) {
		const char *a = RedisModule_StringPtrLen(argv[i], NULL);

		if (strcmp(a, "testclock") == 0) {
			oqe_testclock = 1;
		} else {
			RedisModule_Log(ctx, "warning", "omniq engine: unknown argument '%s' "
					"(known: testclock)", a);
			return REDISMODULE_ERR;
		}
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		int k = commands[i].firstkey;

		if (RedisModule_CreateCommand(ctx, commands[i].name, commands[i].fn,
					commands[i].flags, k, k, k ? 1 : 0) == REDISMODULE_ERR) {
			RedisModule_Log(ctx, "warning", "omniq engine: cannot create %s",
					commands[i].name);
			return REDISMODULE_ERR;
		}
	}
	return REDISMODULE_OK;
}
