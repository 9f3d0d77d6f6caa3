/*
 * loop_conn.h - a Redis connection a libuv loop reads when it is readable: no thread, no
 * handoff. The loop's appends (appends.c) have one. The connect itself blocks (within
 * 2 s); one that fails is tried again only after WS_LOOP_RECONNECT_MS. The loop only (one
 * thread).
 */
#ifndef OMNIQ_WS_LOOP_CONN_H
#define OMNIQ_WS_LOOP_CONN_H

#include <uv.h>
#include <hiredis/hiredis.h>

#include "ws.h"

typedef struct ws_loop_conn ws_loop_conn_t;
struct ws_loop_conn {
	const char *name;	/* the log lines' subject: "appends", "event reader" */
	uv_loop_t *loop;
	/* the connection is readable (status 0) or its poll failed (status < 0, the
	 * connection already dropped): called on the loop */
	void (*readable)(ws_loop_conn_t *c, int status);

	/* the module's: */
	redisContext *rc;	/* NULL while not connected */
	uv_poll_t *poll;
	omniq_conn_info_t info;
	long long connect_after;
	char dropped[128]; /* why it was last given up */
};

/* name, loop and readable set first: the core's connection details taken. */
void ws_loop_conn_init(ws_loop_conn_t *c);
/* Connected (0), or not now (-1: the connect failed, or WS_LOOP_RECONNECT_MS after one
 * have not passed). */
int ws_loop_conn_open(ws_loop_conn_t *c);
/* Give the connection up (why: logged once as a warning, kept in c->dropped). */
void ws_loop_conn_drop(ws_loop_conn_t *c, const char *why);
/* What the connection holds, into its reply reader: 1 read, 0 nothing there (a readiness
 * another read took first), -1 broken (dropped, why in c->dropped). wait_ms > 0: wait that
 * long for something first (0 when none came). */
int ws_loop_conn_read(ws_loop_conn_t *c, int wait_ms);

#endif
