/*
 * oq_redis.c - the per-process (per-thread) Redis connection (see oq_redis.h for the rules).
 *
 * Kamailio forks its workers after mod_init, and a hiredis context must never cross a fork:
 * mod_init connects only to check Redis and load the library, closes, and every child opens
 * its own connection in child_init. The library text is generated at build time from
 * the files under lua/ (oq_lualib.c), so the running module and the functions it calls always match.
 */
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <hiredis/sds.h>

#include "core/dprint.h"

#include "oq_redis.h"
#include "oq_resp.h"
#include "oq_events.h"
#include "oq_core.h"
#include "omniq/omniq_clock.h"
#include "omniq/omniq_engine_steps.h"

extern const char oq_lualib[];

oq_redis_cfg_t oq_redis_cfg = {"127.0.0.1", 6379, 1000, 1000, 1000, NULL, 0};

/* per thread: a module's own thread (omniq_ws' appender) gets a connection of its own */
static __thread redisContext *ctx = NULL;
static __thread long long last_attempt_ms = 0;
static __thread int ever_connected = 0;
static __thread unsigned long n_reconnects = 0;
static __thread char last_error[160] = "";
/* An outage as this process sees it: connects that failed in a row, since when, when last
 * said. A failed connect is said when the outage starts and then once per OQ_LOG_REPEAT_MS
 * while it lasts (each process tries once per reconnect_interval: an outage of ten minutes
 * made 600 lines a process); the reconnect says how long it was. */
static __thread unsigned long down_fails = 0;
static __thread long long down_since = 0, down_said = 0;

static struct timeval ms_to_tv(int ms)
{
	struct timeval tv;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

static void remember_error(const char *what, const char *detail)
{
	snprintf(last_error, sizeof(last_error), "%s: %s", what, detail ? detail : "unknown");
}

/* A new socket of family connected to sa within timeout_ms and made blocking: its fd, or
 * -1 with why. */
static int connect_to(int family, const struct sockaddr *sa, socklen_t salen, int timeout_ms,
		char *why, size_t size)
{
	struct pollfd p;
	socklen_t len = sizeof(int);
	int fd, err = 0, n = 1;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if(fd < 0) {
		snprintf(why, size, "%s", strerror(errno));
		return -1;
	}
	if(connect(fd, sa, salen) < 0) {
		if(errno != EINPROGRESS && errno != EAGAIN) {
			snprintf(why, size, "%s", strerror(errno));
			close(fd);
			return -1;
		}
		p.fd = fd;
		p.events = POLLOUT;
		do
			n = poll(&p, 1, timeout_ms);
		while(n < 0 && errno == EINTR);
		if(n > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
			n = -1;
	}
	if(n <= 0) {
		if(n == 0)
			snprintf(why, size, "connect timed out after %d ms", timeout_ms);
		else
			snprintf(why, size, "%s", strerror(err ? err : errno));
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if(family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &n, sizeof(n));
	return fd;
}

/* A blocking socket connected to host:port, or to the unix socket host (a path), within
 * timeout_ms: the fd, or -1 with why. Ours rather than hiredis' connect, which (0.14)
 * aborts the process when it cannot allocate there (hi_strdup, hi_malloc). */
static int connect_socket(const char *host, int port, int timeout_ms, char *why, size_t size)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_un sun;
	char ps[8];
	int fd = -1, rc;

	if(host[0] == '/') {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if(strlen(host) >= sizeof(sun.sun_path)) {
			snprintf(why, size, "unix socket path too long");
			return -1;
		}
		strcpy(sun.sun_path, host);
		return connect_to(AF_UNIX, (struct sockaddr *)&sun, sizeof(sun), timeout_ms, why, size);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%d", port);
	if((rc = getaddrinfo(host, ps, &hints, &res)) != 0) {
		snprintf(why, size, "%s", rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for(ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = connect_to(ai->ai_family, ai->ai_addr, ai->ai_addrlen, timeout_ms, why, size);
	freeaddrinfo(res);
	return fd;
}

int oq_redis_flush(redisContext *c)
{
	size_t off = 0, len;
	ssize_t n;

	if(c->err)
		return REDIS_ERR;
	/* what was appended, written here: hiredis 0.14's own write swaps the written buffer for
	 * sdsempty() and reads it unchecked, which crashes when that allocation fails; emptied
	 * in place, the buffer needs none */
	for(len = sdslen(c->obuf); off < len; off += (size_t)n) {
		n = write(c->fd, c->obuf + off, len - off);
		if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* a non-blocking socket (a module's loop polls it): wait for room, as a
			 * blocking one would within its send timeout */
			struct pollfd p = {.fd = c->fd, .events = POLLOUT};
			int ready = poll(&p, 1, oq_redis_cfg.command_timeout_ms);

			if(ready == 0) {
				c->err = REDIS_ERR_IO;
				snprintf(c->errstr, sizeof(c->errstr), "Redis took nothing for %d ms",
						oq_redis_cfg.command_timeout_ms);
				return REDIS_ERR;
			}
			n = 0;
			if(ready > 0 || errno == EINTR)
				continue;
			n = -1; /* poll failed: said below, not tried again for ever */
		}
		if(n < 0 && errno != EINTR) {
			c->err = REDIS_ERR_IO;
			snprintf(c->errstr, sizeof(c->errstr), "%s", strerror(errno));
			return REDIS_ERR;
		} else if(n < 0)
			n = 0;
	}
	sdsclear(c->obuf);
	return REDIS_OK;
}

int oq_redis_get_reply(redisContext *c, redisReply **reply)
{
	*reply = NULL;
	if(oq_redis_flush(c) != REDIS_OK)
		return REDIS_ERR;
	return redisGetReply(c, (void **)reply);
}

/* One command (redisCommand's format) and its reply, or NULL with c->errstr. */
static redisReply *command(redisContext *c, const char *fmt, const char *arg)
{
	redisReply *r;
	return redisAppendCommand(c, fmt, arg) == REDIS_OK && oq_redis_get_reply(c, &r) == REDIS_OK
				   ? r
				   : NULL;
}

/* One command of argc arguments and its reply, or NULL with c->errstr. */
static redisReply *command_argv(redisContext *c, int argc, const char **argv,
		const size_t *argvlen)
{
	redisReply *r;
	return oq_redis_append_argv(c, argc, argv, argvlen) == REDIS_OK
						   && oq_redis_get_reply(c, &r) == REDIS_OK
				   ? r
				   : NULL;
}

/* A simple command during connection setup (AUTH, SELECT); 0 when the reply is not an error. */
static int setup_command(redisContext *c, const char *fmt, const char *arg, char *why,
		size_t size)
{
	redisReply *r = command(c, fmt, arg);
	int ok = (r != NULL && r->type != REDIS_REPLY_ERROR);
	if(!ok)
		snprintf(why, size, "%s: %s", fmt[0] == 'A' ? "AUTH" : "SELECT", r ? r->str : c->errstr);
	if(r)
		freeReplyObject(r);
	return ok ? 0 : -1;
}

redisContext *oq_redis_open(const char *host, int port, const char *password, int db,
		int connect_timeout_ms, char *why, size_t size)
{
	redisContext *c;
	char dbs[16];
	int fd = connect_socket(host, port, connect_timeout_ms, why, size);

	if(fd < 0)
		return NULL;
	if((c = redisConnectFd(fd)) == NULL) {
		close(fd);
		snprintf(why, size, "out of memory");
		return NULL;
	}
	snprintf(dbs, sizeof(dbs), "%d", db);
	/* AUTH and SELECT within the connect timeout; then none: the caller sets its own */
	if(redisSetTimeout(c, ms_to_tv(connect_timeout_ms)) != REDIS_OK)
		snprintf(why, size, "%s", c->errstr);
	else if((password && password[0] && setup_command(c, "AUTH %s", password, why, size) < 0)
			|| (db > 0 && setup_command(c, "SELECT %s", dbs, why, size) < 0))
		; /* why says which */
	else if(redisSetTimeout(c, ms_to_tv(0)) != REDIS_OK)
		snprintf(why, size, "%s", c->errstr);
	else
		return c;
	redisFree(c);
	return NULL;
}

int oq_redis_connect(void)
{
	struct timeval rt = ms_to_tv(oq_redis_cfg.command_timeout_ms);
	char why[128];

	oq_redis_close();
	last_attempt_ms = omniq_wall_ms();
	ctx = oq_redis_open(oq_redis_cfg.host, oq_redis_cfg.port, oq_redis_cfg.password,
			oq_redis_cfg.db, oq_redis_cfg.connect_timeout_ms, why, sizeof(why));
	if(ctx == NULL) {
		remember_error("connect", why);
		if(down_fails++ == 0) {
			down_since = down_said = last_attempt_ms;
			LM_ERR("cannot connect to Redis at %s:%d: %s\n", oq_redis_cfg.host,
					oq_redis_cfg.port, why);
		} else if(last_attempt_ms - down_said >= OQ_LOG_REPEAT_MS) {
			down_said = last_attempt_ms;
			LM_ERR("still cannot connect to Redis at %s:%d: %s (%lu attempts in a row have "
				   "failed, for %lld s)\n",
					oq_redis_cfg.host, oq_redis_cfg.port, why, down_fails,
					(last_attempt_ms - down_since) / 1000);
		}
		return -1;
	}
	if(redisSetTimeout(ctx, rt) != REDIS_OK) {
		remember_error("timeout", ctx->errstr);
		oq_redis_close();
		return -1;
	}
	if(ever_connected)
		n_reconnects++;
	ever_connected = 1;
	return 0;
}

void oq_redis_close(void)
{
	if(ctx)
		redisFree(ctx);
	ctx = NULL;
}

void oq_redis_detach(void)
{
	oq_redis_close();
	last_attempt_ms = 0;
	ever_connected = 0;
}

/* Whether the server has closed this idle connection (a restart, a failover, its idle
 * timeout): a peek that finds the end of the stream or an error. Bytes waiting would be a
 * reply nobody asked for: the connection is out of step, as good as closed. One recv()
 * that never blocks, before every request: a request sent on such a connection would fail
 * after it was written, and could not be retried, since it might have run. */
static int closed_by_server(redisContext *c)
{
	char b;
	ssize_t n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	return n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Connected, or reconnected now if the last attempt is old enough; otherwise fail fast.
 * A connection the server closed while it was idle is made again at once: that says
 * nothing of Redis being down (when the new one cannot be made, it is). */
static int ensure_connected(void)
{
	if(ctx && closed_by_server(ctx)) {
		LM_NOTICE("Redis at %s:%d closed this process's idle connection (a restart?): "
				  "connecting again\n",
				oq_redis_cfg.host, oq_redis_cfg.port);
		oq_redis_close();
		last_attempt_ms = 0;
	}
	if(ctx)
		return 0;
	if(omniq_wall_ms() - last_attempt_ms < oq_redis_cfg.reconnect_interval_ms) {
		remember_error("unreachable", "Redis is down, waiting before the next reconnect");
		return -1;
	}
	if(oq_redis_connect() < 0)
		return -1;
	if(down_fails)
		LM_NOTICE("reconnected to Redis at %s:%d, after %lu failed attempts in %lld s\n",
				oq_redis_cfg.host, oq_redis_cfg.port, down_fails,
				(last_attempt_ms - down_since) / 1000);
	else if(n_reconnects)
		LM_NOTICE("reconnected to Redis at %s:%d\n", oq_redis_cfg.host, oq_redis_cfg.port);
	down_fails = 0;
	return 0;
}

/* A NULL reply means the connection is broken: drop it so the next call reconnects. */
static redisReply *finish(redisReply *r)
{
	if(r == NULL) {
		remember_error("io", ctx ? ctx->errstr : "not connected");
		LM_ERR("Redis request failed (%s); connection dropped, will reconnect\n", last_error);
		oq_redis_close();
		last_attempt_ms = omniq_wall_ms();
	}
	return r;
}

static int function_load(void);

/* "ERR Function not found": Redis has no omniq library (a FUNCTION FLUSH, a replica
 * promoted without it), so nothing of that call ran. */
static int function_missing(const redisReply *r)
{
	static const char e[] = "ERR Function not found";
	return r && r->type == REDIS_REPLY_ERROR && r->str
		   && strncmp(r->str, e, sizeof(e) - 1) == 0;
}

/* The library's functions whose whole step runs in the omniq engine (engine/, a Redis
 * module): sent as the engine's command (the prefix its one key), which spares the
 * function's own call (about 5 us of Redis time each); logs keep the function's name. */
#define OQ_ENGINE_STEP(fn, cmd) {fn, cmd},
static const struct {
	const char *fn, *cmd;
} engine_steps[] = {OMNIQ_ENGINE_STEPS(OQ_ENGINE_STEP)};
#undef OQ_ENGINE_STEP

static const char *engine_cmd(const char *fn)
{
	size_t i;

	for(i = 0; i < sizeof(engine_steps) / sizeof(engine_steps[0]); i++)
		if(strcmp(engine_steps[i].fn, fn) == 0)
			return engine_steps[i].cmd;
	return NULL;
}

/* ["library"]: the engine handed the step back with nothing written (a reopen, an
 * abandon); the function does it. */
static int handed_back(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]
		   && r->element[0]->type == REDIS_REPLY_STRING && r->element[0]->len == 7
		   && memcmp(r->element[0]->str, "library", 7) == 0;
}

/* Writes fn for each command i whose out[i] is NULL (FCALL fn 1 prefix args, or the
 * engine's command prefix args when cmd is not NULL), then reads their replies into out[i]
 * in order; stops at a broken connection (dropped), the rest left NULL. */
static void fcall_batch(const char *fn, const char *cmd, const char *prefix, int prefixlen,
		int n, const int *argc, const char *const *argv, const size_t *argvlen,
		redisReply **out)
{
	const char *av[OQ_FCALL_MAX_ARGS + 4];
	size_t al[OQ_FCALL_MAX_ARGS + 4];
	redisReply *r;
	int i, head, sent = 0;

	if(cmd) {
		av[0] = cmd; al[0] = strlen(cmd);
		av[1] = prefix; al[1] = (size_t)prefixlen;
		head = 2;
	} else {
		av[0] = "FCALL"; al[0] = 5;
		av[1] = fn; al[1] = strlen(fn);
		av[2] = "1"; al[2] = 1;
		av[3] = prefix; al[3] = (size_t)prefixlen;
		head = 4;
	}
	/* hiredis only buffers here: the first oq_redis_get_reply() writes the whole batch */
	for(i = 0; i < n; argv += argc[i], argvlen += argc[i], i++) {
		if(out[i])
			continue;
		memcpy(av + head, argv, (size_t)argc[i] * sizeof(*argv));
		memcpy(al + head, argvlen, (size_t)argc[i] * sizeof(*argvlen));
		if(oq_redis_append_argv(ctx, argc[i] + head, av, al) != REDIS_OK) {
			finish(NULL);
			return;
		}
		sent++;
	}
	for(i = 0; i < n && sent > 0; i++) {
		if(out[i])
			continue;
		if(oq_redis_get_reply(ctx, &r) != REDIS_OK || r == NULL) {
			finish(NULL);
			return;
		}
		out[i] = r;
		sent--;
	}
}

int oq_redis_fcall_many(const char *fn, const char *prefix, int prefixlen, int n,
		const int *argc, const char *const *argv, const size_t *argvlen, redisReply **out)
{
	int i, missing = 0, back = 0, got = 0;
	const char *cmd = engine_cmd(fn);

	for(i = 0; i < n; i++)
		out[i] = NULL;
	for(i = 0; i < n; i++)
		if(argc[i] < 0 || argc[i] > OQ_FCALL_MAX_ARGS) {
			LM_BUG("FCALL %s with %d arguments\n", fn, argc[i]);
			return 0;
		}
	if(n <= 0 || ensure_connected() < 0)
		return 0;
	fcall_batch(fn, cmd, prefix, prefixlen, n, argc, argv, argvlen, out);
	/* the steps the engine handed back: the library's function does them */
	for(i = 0; cmd && i < n; i++)
		if(handed_back(out[i])) {
			freeReplyObject(out[i]);
			out[i] = NULL;
			back++;
		}
	if(back && ctx)
		fcall_batch(fn, NULL, prefix, prefixlen, n, argc, argv, argvlen, out);
	for(i = 0; i < n; i++)
		missing += function_missing(out[i]);
	/* the calls that found no library did nothing: load it again and make them once more
	 * (a second miss is answered as it is) */
	if(missing) {
		LM_NOTICE("the omniq function library was missing from Redis at %s:%d (FUNCTION "
				  "FLUSH, or a replica promoted without it): loading it again\n",
				oq_redis_cfg.host, oq_redis_cfg.port);
		if(function_load() == 0 && ctx) {
			for(i = 0; i < n; i++)
				if(function_missing(out[i])) {
					freeReplyObject(out[i]);
					out[i] = NULL;
				}
			fcall_batch(fn, NULL, prefix, prefixlen, n, argc, argv, argvlen, out);
		}
	}
	for(i = 0; i < n; i++)
		got += out[i] != NULL;
	return got;
}

redisReply *oq_redis_fcall(const char *fn, const char *prefix, int prefixlen, int argc,
		const char **argv, const size_t *argvlen)
{
	redisReply *r;
	oq_redis_fcall_many(fn, prefix, prefixlen, 1, &argc, argv, argvlen, &r);
	return r;
}

redisReply *oq_redis_command(int argc, const char **argv, const size_t *argvlen)
{
	if(ensure_connected() < 0)
		return NULL;
	return finish(command_argv(ctx, argc, argv, argvlen));
}

redisReply *oq_redis_command_block(int argc, const char **argv, const size_t *argvlen,
		int block_ms)
{
	redisReply *r;

	if(ensure_connected() < 0)
		return NULL;
	redisSetTimeout(ctx, ms_to_tv(block_ms + oq_redis_cfg.command_timeout_ms));
	r = finish(command_argv(ctx, argc, argv, argvlen));
	if(ctx) /* finish() drops a connection that failed */
		redisSetTimeout(ctx, ms_to_tv(oq_redis_cfg.command_timeout_ms));
	return r;
}

/* Each info[0..n-1] freed and NULL. */
static void drop_replies(int n, redisReply **info)
{
	int i;
	for(i = 0; info && i < n; i++) {
		if(info[i])
			freeReplyObject(info[i]);
		info[i] = NULL;
	}
}

redisReply *oq_redis_xread(int n, const char *const *keys, const char *const *ids,
		const int *check, redisReply **info, int block_ms, int count)
{
	int i;
	redisReply *r = NULL;
	struct timeval rt;

	for(i = 0; info && i < n && i < OQ_TENANTS_MAX; i++)
		info[i] = NULL;
	if(n < 1 || n > OQ_TENANTS_MAX || ensure_connected() < 0)
		return NULL;
	/* hiredis only buffers here: the first reply read writes them all */
	if(oq_events_read(ctx, n, keys, ids, check, block_ms, count) != REDIS_OK)
		return finish(NULL);
	/* the blocking read needs a socket timeout longer than the block itself */
	rt = ms_to_tv(block_ms + oq_redis_cfg.command_timeout_ms);
	redisSetTimeout(ctx, rt);
	for(i = 0; check && i < n; i++)
		if(check[i] && (oq_redis_get_reply(ctx, &info[i]) != REDIS_OK || info[i] == NULL)) {
			drop_replies(n, info);
			return finish(NULL);
		}
	if(oq_redis_get_reply(ctx, &r) != REDIS_OK)
		r = NULL;
	if(finish(r) == NULL) {
		drop_replies(n, info);
		return NULL;
	}
	rt = ms_to_tv(oq_redis_cfg.command_timeout_ms);
	redisSetTimeout(ctx, rt);
	return r;
}

_Static_assert(OQ_TENANTS_MAX <= OQ_EVENTS_READ_MAX, "a read takes every tenant's stream");

unsigned long oq_redis_connects(void)
{
	return n_reconnects + (unsigned long)ever_connected;
}

/* The omniq engine (engine/, a Redis module) runs the routing steps the library calls:
 * without it, or with another version of it, nothing would work, so say what to load. */
static int engine_check(void)
{
	redisReply *r = oq_redis_command(1, (const char *[]){"OMNIQ.VERSION"}, (size_t[]){13});
	int ok = r && r->type == REDIS_REPLY_INTEGER && r->integer == OQ_ENGINE_VERSION;

	if(!ok) {
		if(r && r->type == REDIS_REPLY_INTEGER)
			LM_ERR("Redis at %s:%d has omniq engine version %lld; this omniq needs version %d: "
				   "load the omniq_engine.so built with these modules\n",
					oq_redis_cfg.host, oq_redis_cfg.port, r->integer, OQ_ENGINE_VERSION);
		else
			LM_ERR("Redis at %s:%d has no omniq engine (%s): add `loadmodule "
				   "/usr/local/lib/omniq/omniq_engine.so` to its redis.conf, or start it with "
				   "--loadmodule (docs/admin.md, \"Redis\")\n",
					oq_redis_cfg.host, oq_redis_cfg.port,
					r ? (r->type == REDIS_REPLY_ERROR ? r->str : "an unexpected reply")
					  : oq_redis_last_error());
	}
	if(r)
		freeReplyObject(r);
	return ok ? 0 : -1;
}

int oq_redis_library_missing(const redisReply *r)
{
	return function_missing(r);
}

int oq_redis_library_load_on(redisContext *c, char *why, size_t size)
{
	const char *lv[4] = {"FUNCTION", "LOAD", "REPLACE", oq_lualib};
	size_t ll[4] = {8, 4, 7, strlen(oq_lualib)};
	redisReply *r = command_argv(c, 4, lv, ll);
	int ok = r && r->type != REDIS_REPLY_ERROR;

	if(!ok)
		snprintf(why, size, "%s", r ? r->str : c->errstr);
	if(r)
		freeReplyObject(r);
	return ok ? 0 : -1;
}

/* FUNCTION LOAD REPLACE of the embedded library: 0, or -1 logged. */
static int function_load(void)
{
	const char *lv[4] = {"FUNCTION", "LOAD", "REPLACE", oq_lualib};
	size_t ll[4] = {8, 4, 7, strlen(oq_lualib)};
	redisReply *r = oq_redis_command(4, lv, ll);

	if(r == NULL || r->type == REDIS_REPLY_ERROR) {
		LM_ERR("Redis refused the omniq function library: %s\n",
				r ? r->str : oq_redis_last_error());
		if(r)
			freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	return 0;
}

int oq_redis_load_library(void)
{
	redisReply *r;
	int major = 0;

	r = oq_redis_command(1, (const char *[]){"INFO"}, (size_t[]){4});
	if(r && r->type == REDIS_REPLY_STRING) {
		const char *v = strstr(r->str, "redis_version:");
		if(v)
			major = atoi(v + 14);
	}
	if(r)
		freeReplyObject(r);
	if(major < 7) {
		LM_ERR("Redis at %s:%d is version %d; omniq needs Redis 7 or later (functions)\n",
				oq_redis_cfg.host, oq_redis_cfg.port, major);
		return -1;
	}
	if(engine_check() < 0)
		return -1;
	return function_load();
}

const char *oq_redis_last_error(void)
{
	return last_error;
}
