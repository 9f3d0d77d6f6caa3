/*
 * client.c - the connection, command building and server readings of client.h. One
 * connection for everything: the functions run on Redis' one thread, so a second
 * connection would add parallelism the server does not have; pipelining keeps the client
 * from being what limits it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "client.h"
#include "omniq/omniq_engine_steps.h"

redisContext *rc;
static int server_pid = -1; /* -1: not looked up yet, 0: not a local process */

void rb_connect(const char *host, int port)
{
	rc = redisConnect(host, port);
	if(!rc || rc->err) {
		fprintf(stderr, "route_bench: cannot connect to %s:%d: %s\n", host, port,
				rc ? rc->errstr : "out of memory");
		exit(1);
	}
	if(strcmp(host, "127.0.0.1") && strcmp(host, "localhost"))
		server_pid = 0;
}

void rb_die(const char *what, const redisReply *r)
{
	fprintf(stderr, "route_bench: %s: %s\n", what,
			r ? (r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply")
			  : (rc->errstr[0] ? rc->errstr : "no reply"));
	exit(1);
}

void cmd_engine(struct cmd *c, const char *name, const char *tenant)
{
	c->argc = 0;
	c->argv[c->argc++] = name;
	c->argv[c->argc++] = tenant;
}

#define RB_ENGINE_STEP(fn, cmd) {fn, cmd},
static const struct {
	const char *fn, *cmd;
} engine_steps[] = {OMNIQ_ENGINE_STEPS(RB_ENGINE_STEP)};
#undef RB_ENGINE_STEP

void cmd_fcall(struct cmd *c, const char *fn, const char *tenant)
{
	for(size_t i = 0; i < sizeof engine_steps / sizeof engine_steps[0]; i++)
		if(strcmp(engine_steps[i].fn, fn) == 0) {
			cmd_engine(c, engine_steps[i].cmd, tenant);
			return;
		}
	c->argc = 0;
	c->argv[c->argc++] = "FCALL";
	c->argv[c->argc++] = fn;
	c->argv[c->argc++] = "1";
	c->argv[c->argc++] = tenant;
}

void cmd_arg(struct cmd *c, const char *s)
{
	if(c->argc == (int)(sizeof c->argv / sizeof c->argv[0]))
		rb_die("too many arguments", NULL);
	if(snprintf(c->buf[c->argc], sizeof c->buf[0], "%s", s) >= (int)sizeof c->buf[0])
		rb_die("argument too long", NULL);
	c->argv[c->argc] = c->buf[c->argc];
	c->argc++;
}

void cmd_argf(struct cmd *c, const char *fmt, long v)
{
	char s[96];
	snprintf(s, sizeof s, fmt, v);
	cmd_arg(c, s);
}

const char *cmd_text(const struct cmd *c)
{
	static char line[1024];
	size_t n = 0;
	line[0] = 0;
	for(int i = 0; i < c->argc && n < sizeof line; i++)
		n += snprintf(line + n, sizeof line - n, i ? " '%s'" : "%s", c->argv[i]);
	return line;
}

void rb_append(const struct cmd *c)
{
	if(redisAppendCommandArgv(rc, c->argc, (const char **)c->argv, NULL) != REDIS_OK)
		rb_die("append", NULL);
}

redisReply *rb_reply(void)
{
	void *r = NULL;
	if(redisGetReply(rc, &r) != REDIS_OK || !r)
		rb_die("reply", NULL);
	return r;
}

redisReply *rb_call(const struct cmd *c)
{
	redisReply *r = redisCommandArgv(rc, c->argc, (const char **)c->argv, NULL);
	if(!r)
		rb_die(cmd_text(c), NULL);
	return r;
}

redisReply *rb_call_ok(const struct cmd *c)
{
	redisReply *r = rb_call(c);
	if(r->type == REDIS_REPLY_ERROR)
		rb_die(cmd_text(c), r);
	return r;
}

double rb_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void rb_sleep(double s)
{
	struct timespec ts;
	if(s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

long long rb_integer(const char *command)
{
	redisReply *r = redisCommand(rc, command);
	long long n;
	if(!r || r->type != REDIS_REPLY_INTEGER)
		rb_die(command, r);
	n = r->integer;
	freeReplyObject(r);
	return n;
}

static char *info(const char *section)
{
	redisReply *r = redisCommand(rc, "INFO %s", section);
	char *s;
	if(!r || r->type != REDIS_REPLY_STRING)
		rb_die("INFO", r);
	s = strdup(r->str);
	freeReplyObject(r);
	return s;
}

double rb_info_num(const char *section, const char *field)
{
	char *s = info(section), key[96];
	const char *p;
	double v;
	snprintf(key, sizeof key, "\n%s:", field);
	p = strstr(s, key);
	if(!p) {
		fprintf(stderr, "route_bench: INFO %s has no %s\n", section, field);
		exit(1);
	}
	v = atof(p + strlen(key));
	free(s);
	return v;
}

void rb_cmdstats(struct cmdstats *out)
{
	char *s = info("commandstats");
	if(cmdstats_parse(s, out) < 0) {
		fprintf(stderr, "route_bench: INFO commandstats not understood:\n%s\n", s);
		exit(1);
	}
	free(s);
}

double rb_server_cpu_s(void)
{
	char path[64], buf[1024];
	unsigned long ut, st;
	FILE *f;
	const char *p;
	if(server_pid < 0)
		server_pid = (int)rb_info_num("server", "process_id");
	if(server_pid == 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/stat", server_pid);
	f = fopen(path, "r");
	if(!f)
		return -1;
	p = fgets(buf, sizeof buf, f);
	fclose(f);
	/* fields after the command name in parentheses: state is the 3rd, utime the 14th */
	if(!p || !(p = strrchr(buf, ')'))
			|| sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st)
					   != 2)
		return -1;
	return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}
