/*
 * repl.c - the engine's writes propagated at the end of each command (see repl.h).
 */
#include "repl.h"

#include "call.h"

#include <stdarg.h>
#include <string.h>

/* What a replica runs for a command's writes: ARGV is n1 cmd1 args1... n2 cmd2 args2...
 * (n: the command's length with its name). Every call is one the engine made on the
 * master, with the values it wrote: a replica reaches the same state. */
#define APPLY_SCRIPT \
	"local a, i = ARGV, 1 " \
	"while a[i] do local n = tonumber(a[i]) redis.call(unpack(a, i + 1, i + n)) " \
	"i = i + n + 1 end"

/* the queue: kept across commands (Redis runs one at a time), grown as needed */
static RedisModuleString **q;
static size_t qlen, qcap;
static int ncmds;
static const char *first_cmd;   /* the name of the first queued command */
static size_t first_at;         /* where its arguments start in q */

/* the counts (a command's length) as strings, made once */
#define COUNTS_MAX 256
static RedisModuleString *counts[COUNTS_MAX];
static RedisModuleString *script, *one, *zero;

static void push(RedisModuleString *s)
{
	if (qlen == qcap) {
		qcap = qcap ? 2 * qcap : 256;
		q = RedisModule_Realloc(q, qcap * sizeof *q);
	}
	q[qlen++] = s;
}

static RedisModuleString *count_str(RedisModuleCtx *ctx, size_t n)
{
	if (n >= COUNTS_MAX)
		return RedisModule_CreateStringFromLongLong(ctx, (long long)n);
	if (!counts[n])
		counts[n] = RedisModule_CreateStringFromLongLong(NULL, (long long)n);
	return counts[n];
}

void oqe_rep(RedisModuleCtx *ctx, const char *cmd, const char *fmt, ...)
{
	size_t at, i, n;
	va_list ap;

	/* the slot of the count, filled once the arguments are in */
	push(NULL);
	at = qlen;
	push(oqe_name(cmd));   /* a literal: made once */
	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt == 's') {
			push(va_arg(ap, RedisModuleString *));
		} else if (*fmt == 'c') {
			const char *s = va_arg(ap, const char *);

			push(RedisModule_CreateString(ctx, s, strlen(s)));
		} else if (*fmt == 'l') {
			push(RedisModule_CreateStringFromLongLong(ctx, va_arg(ap, long long)));
		} else if (*fmt == 'v') {
			RedisModuleString **v = va_arg(ap, RedisModuleString **);

			n = va_arg(ap, size_t);
			for (i = 0; i < n; i++)
				push(v[i]);
		} else {
			/* a bad format is a bug of the caller: the write stays on this server */
			RedisModule_Log(ctx, "warning", "omniq engine: %s not propagated (format '%c')",
					cmd, *fmt);
			qlen = at - 1;
			va_end(ap);
			return;
		}
	}
	va_end(ap);
	q[at - 1] = count_str(ctx, qlen - at);
	if (ncmds++ == 0) {
		first_cmd = cmd;
		first_at = at + 1;
	}
}

void oqe_rep_flush(RedisModuleCtx *ctx, RedisModuleString *prefix)
{
	int rc;

	if (ncmds == 0)
		return;
	if (ncmds == 1) {
		rc = RedisModule_Replicate(ctx, first_cmd, "v", q + first_at, qlen - first_at);
	} else {
		if (!script) {
			script = RedisModule_CreateString(NULL, APPLY_SCRIPT, strlen(APPLY_SCRIPT));
			one = RedisModule_CreateString(NULL, "1", 1);
			zero = RedisModule_CreateString(NULL, "0", 1);
		}
		/* EVAL script 1 <prefix> n1 cmd1 ... : the tenant prefix declared, as the
		 * library's FCALLs declare it */
		rc = prefix ? RedisModule_Replicate(ctx, "EVAL", "sssv", script, one, prefix, q, qlen)
					: RedisModule_Replicate(ctx, "EVAL", "ssv", script, zero, q, qlen);
	}
	if (rc != REDISMODULE_OK)
		RedisModule_Log(ctx, "warning", "omniq engine: %d write(s) not propagated to the "
				"AOF and replicas", ncmds);
	qlen = 0;
	ncmds = 0;
}
