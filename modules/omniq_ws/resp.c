/*
 * resp.c - ws_error (ws.h): the one shape of every error answer of the REST API and the
 * hooks' JSON refusals, {"error": {"code", "message"}}, in a file of its own so that the
 * handlers (api.c, desk_login.c, desk_media.c) and the server (http.c) need not reach into
 * one another for it.
 */
#include <stdarg.h>
#include <stdio.h>

#include "ws.h"

void ws_error(ws_resp_t *rs, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if(rs->json)
		json_decref(rs->json);
	rs->status = status;
	rs->json = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
}
