/*
 * repl.h - how the engine's writes reach the AOF and the replicas: each write is queued as
 * the plain Redis command it amounts to (with its resolved values: an XADD with the id
 * Redis chose, a ZADD with the score written), and when the command that made them ends,
 * the queue is propagated at once - as that one command when there is one, else as one
 * EVAL that runs them in order.
 *
 * Why one EVAL: RedisModule_Replicate costs ~3,000 machine instructions a call, half of it
 * looking the command's name up, and a routing cycle makes some 27 writes: a fifth of the
 * cycle's time went to propagating them one by one. A replica or an AOF replay runs the
 * EVAL's script, which only calls the queued commands: it needs neither the engine nor
 * the omniq function library, and decides nothing again.
 */
#ifndef OQE_REPL_H
#define OQE_REPL_H

#include "redismodule.h"

/* Queue the propagation of a write already made: cmd (a string literal) and its arguments,
 * fmt as RedisModule_Replicate's: 's' a RedisModuleString (kept until the command ends:
 * auto memory or made once), 'c' a C string, 'l' a long long, 'v' a RedisModuleString
 * vector and its length (size_t). */
void oqe_rep(RedisModuleCtx *ctx, const char *cmd, const char *fmt, ...);

/* At the end of every write command (engine.c): propagate what it queued and empty the
 * queue. prefix: the tenant prefix, the key the EVAL declares. */
void oqe_rep_flush(RedisModuleCtx *ctx, RedisModuleString *prefix);

#endif
