/*
 * desk_login.h - POST /api/v1/desk/login: an agent's password for a desk token. A check is
 * a Redis read and a PBKDF2 run (tens of milliseconds of CPU), so it runs on a checker
 * thread of the process and the request is answered on the lws loop when it is done: the
 * loop's other sockets never wait for a password. The lws loop only, apart from the checker
 * inside desk_login.c.
 */
#ifndef OMNIQ_WS_DESK_LOGIN_H
#define OMNIQ_WS_DESK_LOGIN_H

#include <libwebsockets.h>
#include "ws.h"

/* Answer rs now (a refusal: bad body, the login guard, no such tenant) or set rs->later
 * and answer rq->conn with ws_http_answer() once the password is checked. */
void ws_desk_login(const ws_req_t *rq, ws_resp_t *rs);
/* Answer the logins whose checks are done: when the checker wakes the loop
 * (LWS_CALLBACK_EVENT_WAIT_CANCELLED). */
void ws_desk_login_pump(void);
/* conn closed before its answer: the check still counts for the login guard. */
void ws_desk_login_forget(void *conn);
/* Start the checker thread of this process; it wakes ctx's loop. 0 or -1. */
int ws_desk_login_start(struct lws_context *ctx);

#endif
