/*
 * loop_conn.c - see loop_conn.h.
 */
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/socket.h>

#include "core/dprint.h"

#include "loop_conn.h"
#include "omniq/omniq_clock.h"

#define WS_LOOP_RECONNECT_MS 1000

static void poll_closed(uv_handle_t *h)
{
	free(h);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	ws_loop_conn_t *c = h->data;

	(void)events;
	if(c->poll != h || c->rc == NULL)
		return;
	if(status < 0)
		ws_loop_conn_drop(c, uv_strerror(status));
	c->readable(c, status);
}

void ws_loop_conn_init(ws_loop_conn_t *c)
{
	ws_oq.conn_info(&c->info);
	c->rc = NULL;
	c->poll = NULL;
	c->connect_after = 0;
	c->dropped[0] = '\0';
}

int ws_loop_conn_open(ws_loop_conn_t *c)
{
	if(c->rc)
		return 0;
	if(omniq_mono_ms() < c->connect_after)
		return -1;
	if((c->rc = ws_redis_connect(&c->info)) == NULL) {
		/* Redis down is said by the core; a connect that hangs is the loop's time */
		c->connect_after = omniq_mono_ms() + WS_LOOP_RECONNECT_MS;
		return -1;
	}
	if((c->poll = malloc(sizeof(*c->poll))) == NULL
			|| uv_poll_init_socket(c->loop, c->poll, c->rc->fd) != 0) {
		free(c->poll);
		c->poll = NULL;
		ws_loop_conn_drop(c, "no memory for the connection's poll");
		return -1;
	}
	c->poll->data = c;
	if(uv_poll_start(c->poll, UV_READABLE, on_poll) != 0) {
		/* libuv grows its table of descriptors here: no answer would ever be read */
		ws_loop_conn_drop(c, "cannot watch the connection (out of memory)");
		return -1;
	}
	return 0;
}

void ws_loop_conn_drop(ws_loop_conn_t *c, const char *why)
{
	LM_WARN("%s: %s: reconnecting to Redis\n", c->name, why);
	snprintf(c->dropped, sizeof(c->dropped), "%s", why);
	if(c->poll) {
		uv_poll_stop(c->poll);
		uv_close((uv_handle_t *)c->poll, poll_closed);
		c->poll = NULL;
	}
	if(c->rc) {
		redisFree(c->rc);
		c->rc = NULL;
	}
}

int ws_loop_conn_read(ws_loop_conn_t *c, int wait_ms)
{
	char buf[16384], why[96];
	ssize_t n;

	if(c->rc == NULL)
		return -1;
	/* the socket is non-blocking (libuv's poll made it so): a wait is a poll */
	if(wait_ms > 0) {
		struct pollfd p = {.fd = c->rc->fd, .events = POLLIN};
		int ready = poll(&p, 1, wait_ms);

		if(ready < 0 && errno == EINTR)
			return 0;
		if(ready < 0) {
			ws_loop_conn_drop(c, strerror(errno));
			return -1;
		}
		if(ready == 0)
			return 0;
	}
	n = recv(c->rc->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if(n <= 0 || redisReaderFeed(c->rc->reader, buf, (size_t)n) != REDIS_OK) {
		snprintf(why, sizeof(why), "%s",
				n == 0 ? "Redis closed the connection"
				: n < 0 ? strerror(errno) : "no memory for a reply");
		ws_loop_conn_drop(c, why);
		return -1;
	}
	return 1;
}
