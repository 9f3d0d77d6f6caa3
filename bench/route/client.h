/*
 * client.h - bench/route's one connection to Redis (hiredis) and what it reads about the
 * server: FCALL commands built as argv, pipelining, INFO fields, the server's own clock,
 * and redis-server's CPU time from /proc.
 */
#ifndef ROUTE_CLIENT_H
#define ROUTE_CLIENT_H

#include <hiredis/hiredis.h>
#include "stats.h"

extern redisContext *rc;

/* FCALL <fn> 1 <tenant> args... as an argv (hiredis sends it without formatting) */
struct cmd {
	int argc;
	const char *argv[24];
	char buf[24][320];
};

void rb_connect(const char *host, int port);
void rb_die(const char *what, const redisReply *r) __attribute__((noreturn));

/* fn: a function of the library, or one whose step runs in the engine (sent as the
 * engine's command, as omniq's Kamailio module sends it: omniq/omniq_engine_steps.h) */
void cmd_fcall(struct cmd *c, const char *fn, const char *tenant);
/* the same for a command of the omniq engine (OMNIQ.*): name, then the tenant's prefix, as
 * omniq's Kamailio module sends the steps that run in the engine whole */
void cmd_engine(struct cmd *c, const char *name, const char *tenant);
void cmd_arg(struct cmd *c, const char *s);
void cmd_argf(struct cmd *c, const char *fmt, long v);
/* the command as one line, for an error message that names the exact call */
const char *cmd_text(const struct cmd *c);

void rb_append(const struct cmd *c);            /* pipelined: the reply comes later */
redisReply *rb_reply(void);                     /* the next reply, in order */
redisReply *rb_call(const struct cmd *c);       /* one round trip */
/* rb_call, dying with the exact call on an error reply */
redisReply *rb_call_ok(const struct cmd *c);

/* a command answered with an integer (DBSIZE, ZCARD key); dies on anything else */
long long rb_integer(const char *command);

/* monotonic wall clock, seconds */
double rb_now(void);
void rb_sleep(double s);
/* a field of INFO <section> as a number; dies when it is missing */
double rb_info_num(const char *section, const char *field);
void rb_cmdstats(struct cmdstats *out);
/* redis-server's CPU seconds (utime + stime of all its threads, /proc/<pid>/stat), or -1
 * when the server is not a local process this bench can see */
double rb_server_cpu_s(void);

#endif
