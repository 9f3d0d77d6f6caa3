/*
 * engine.h - the commands of the omniq engine, a Redis module (engine.c registers them).
 */
#ifndef OQE_ENGINE_H
#define OQE_ENGINE_H

#include "redismodule.h"

int oqe_cmd_accept(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int oqe_cmd_enqueue(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int oqe_cmd_lib_enqueue(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int oqe_cmd_lib_decide(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int oqe_cmd_close(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int oqe_cmd_append(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int oqe_cmd_append_once(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int oqe_cmd_append_many(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int oqe_cmd_reply(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);
int oqe_cmd_lib_pull(RedisModuleCtx *ctx, RedisModuleString **argv, int argc);

#endif
