/*
 * sock.h - what every omniq_ws WebSocket (customer chat, app, agent desk) does the same way:
 * assemble a JSON text message from frames (bounded by max_frame), rate-limit it, queue JSON
 * to send with back-pressure, and close with a code and a reason. The protocol files keep
 * only what is theirs.
 */
#ifndef OMNIQ_WS_SOCK_H
#define OMNIQ_WS_SOCK_H

#include "omniq/omniq_clock.h" /* omniq_wall_ms */
#include <stddef.h>
#include <jansson.h>
#include <libwebsockets.h>
#include "flood.h"

typedef struct ws_out ws_out_t;

typedef struct ws_sock {
	struct lws *wsi;
	const char *who;        /* for log lines: identity or agent id */
	char *rx;
	size_t rx_len;
	ws_out_t *out_head, *out_tail;
	int out_n;
	ws_bucket_t bucket;     /* rate limit: rate per second, burst twice that */
	int rate;
	int rx_timer;           /* a message is begun: it has hello_timeout s to be finished */
	const char *closing;    /* closed from outside its callbacks: the reason, sent from */
	int closing_status;     /* its timer callback (ws_sock_late), and the close code */
} ws_sock_t;


/* LWS_CALLBACK_ESTABLISHED: checks the URI path; -1 (close) when it is not `path`. */
int ws_sock_open(ws_sock_t *s, struct lws *wsi, const char *path, int rate);
/* LWS_CALLBACK_RECEIVE: 1 and *msg (owned by the caller) when a whole message is in, 0 when
 * more frames are due, -1 when the socket must close (the reason is set: binary frame, too
 * large, rate limit, invalid JSON). */
int ws_sock_rx(ws_sock_t *s, const void *in, size_t len, json_t **msg);
/* Queue a JSON value (consumed; NULL: one that could not be built). A client that stops
 * reading is closed (1008), a frame without memory to build or queue it closes the socket
 * (1011): never a message left unanswered in silence. */
void ws_sock_send(ws_sock_t *s, json_t *v);
/* An error frame {"type":"error","code","message"}, with "rid" (a desk request's id) when
 * rid is not NULL; ws_sock_error_for names the message it answers with "cid" instead. */
void ws_sock_error(ws_sock_t *s, const char *code, const char *msg, json_t *rid);
/* A request's success, {"type":"ok", "rid":rid, ...v} (v taken, may be NULL), and its
 * failure with the core's result rc in words (the desk's requests) */
void ws_sock_ok(ws_sock_t *s, json_t *rid, json_t *v);
void ws_sock_fail(ws_sock_t *s, int rc, json_t *rid);
void ws_sock_error_for(ws_sock_t *s, const char *code, const char *msg, json_t *cid);
/* LWS_CALLBACK_TIMER: a socket closed from outside its callbacks (ws_sock_close_later, a
 * client that does not read), one given up (admit.h: made way, said nothing in time) or
 * a message begun and not finished in time closes the socket with its code and reason: -1
 * to close, else 0. */
int ws_sock_late(ws_sock_t *s);
/* LWS_CALLBACK_SERVER_WRITEABLE: one queued message; -1 to close. */
int ws_sock_writable(ws_sock_t *s);
/* Set the close code and reason; returns -1 for the callback to return. */
int ws_sock_close(ws_sock_t *s, int status, const char *why);
/* The same outside the socket's own callbacks (while handing it an event): closed soon. */
void ws_sock_close_later(ws_sock_t *s, int status, const char *why);
/* LWS_CALLBACK_CLOSED: frees the queues. */
void ws_sock_free(ws_sock_t *s);

#endif
