/*
 * admit.h - which connections an omniq_ws process takes and keeps, so that idle or hostile
 * clients cannot take the web surface from the customers and agents using it.
 *
 * Each process accepts its own connections (http.c's listener). A connection whose client has
 * not yet said what it wants - no HTTP request read, no WebSocket hello - is *pending*:
 *   - it has hello_timeout seconds to do so, then it is closed (a WebSocket with 1008);
 *   - one client address holds at most max_pending_per_address pending connections: more
 *     are closed as they come;
 *   - when the process holds max_connections (by default what its open-files limit leaves),
 *     the oldest pending connection makes way for a new one; with none pending, the new one
 *     is closed.
 * Connections that said what they want (a request, an authenticated socket) are not touched.
 * When accept() runs out of descriptors a spare one is given up to take and close the
 * connection, so the listener never spins. Nothing of this is logged per connection: what
 * was refused or closed is counted and said once per report interval.
 * Runs in the process's lws loop only (one thread): no locks.
 */
#ifndef OMNIQ_WS_ADMIT_H
#define OMNIQ_WS_ADMIT_H

#include <libwebsockets.h>
#include <uv.h>

/* At the start of a service process's loop: the limits (max_connections resolved against
 * RLIMIT_NOFILE), the spare descriptor, the deadline and report timers. 0, or -1 logged. */
int ws_admit_start(uv_loop_t *loop, int rank, struct lws_vhost *vh, int listen_fd);

/* The listening descriptor's own wsi (adopted as a raw file), rested when no descriptor is
 * left even to refuse a client. */
void ws_admit_listener(struct lws *wsi);

/* The listener is readable: accept what waits and adopt what is admitted. */
void ws_admit_accept(void);

/* The client of wsi said what it wants (an HTTP request's headers are in, a socket's hello
 * was taken): no deadline, no longer counted against its address. */
void ws_admit_known(struct lws *wsi);

/* wsi became a WebSocket (LWS_CALLBACK_ESTABLISHED): a deadline closes it with 1008. */
void ws_admit_websocket(struct lws *wsi);

/* A WebSocket's timer callback: the reason to close it with (1008) when it was given up
 * (made way, deadline), else NULL. */
const char *ws_admit_doomed(struct lws *wsi);

/* LWS_CALLBACK_WSI_DESTROY: the connection is gone. */
void ws_admit_gone(struct lws *wsi);

#endif
