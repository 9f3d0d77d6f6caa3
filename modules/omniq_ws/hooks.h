/*
 * hooks.h - serving the HTTP routes other modules registered with the core (/hooks/...,
 * include/omniq/omniq_api.h "HTTP routes"): the request as the module's handler sees it,
 * its answer checked before it is sent.
 */
#ifndef OMNIQ_WS_HOOKS_H
#define OMNIQ_WS_HOOKS_H

#include <stddef.h>
#include "omniq/omniq_api.h"

struct lws;

/* Call r's handler for this request (body NUL-terminated at body[len]). rs->body must be
 * a buffer of OMNIQ_HTTP_RESP_MAX bytes. Afterwards rs is what to send: the handler's
 * answer, or a 500 when the handler failed or answered something unsendable (logged). */
void ws_hook_serve(struct lws *wsi, const omniq_http_route_t *r, const char *method,
		const char *path, const char *body, size_t len, omniq_http_resp_t *rs);

#endif
