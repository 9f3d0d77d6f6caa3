/*
 * hooks.c - serving other modules' HTTP routes (hooks.h).
 */
#include <string.h>
#include <stdio.h>
#include <strings.h>
#include <ctype.h>
#include <libwebsockets.h>

#include "core/dprint.h"

#include "ws.h"
#include "hooks.h"

#define HOOK_NAME_MAX 64
#define HOOK_FRAG_MAX 512 /* the whole query is shorter (http.c refuses longer) */

static int copy_out(int len, char *buf, int size)
{
	return (len < 0 || len >= size) ? -1 : len;
}

/* A header lws knows by token ("content-type:"), else one it kept by name. */
static int hook_header(const omniq_http_req_t *rq, const char *name, char *buf, int size)
{
	struct lws *wsi = (struct lws *)rq->server;
	char low[HOOK_NAME_MAX + 2];
	size_t n = name ? strlen(name) : 0, i;
	int t, len;

	if(n == 0 || n > HOOK_NAME_MAX || buf == NULL || size <= 0)
		return -1;
	for(t = 0; t < WSI_TOKEN_COUNT; t++) {
		const char *s = (const char *)lws_token_to_string((enum lws_token_indexes)t);
		if(s && !strncasecmp(s, name, n) && s[n] == ':' && s[n + 1] == '\0') {
			len = lws_hdr_total_length(wsi, (enum lws_token_indexes)t);
			if(len <= 0 || len >= size)
				return -1;
			return copy_out(lws_hdr_copy(wsi, buf, size, (enum lws_token_indexes)t), buf,
					size);
		}
	}
	for(i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[n] = ':';
	low[n + 1] = '\0';
	len = lws_hdr_custom_length(wsi, low, (int)n + 1);
	if(len < 0 || len >= size)
		return -1;
	return copy_out(lws_hdr_custom_copy(wsi, buf, size, low, (int)n + 1), buf, size);
}

/* lws keeps the query as URL-decoded "name=value" fragments. */
static int hook_arg(const omniq_http_req_t *rq, const char *name, char *buf, int size)
{
	struct lws *wsi = (struct lws *)rq->server;
	char frag[HOOK_FRAG_MAX];
	size_t n = name ? strlen(name) : 0;
	int i, len;

	if(n == 0 || buf == NULL || size <= 0)
		return -1;
	for(i = 0;; i++) {
		len = lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i);
		if(len < 0)
			return -1;
		if((size_t)len > n && !memcmp(frag, name, n) && frag[n] == '=') {
			len -= (int)n + 1;
			if(len >= size)
				return -1;
			memcpy(buf, frag + n + 1, (size_t)len);
			buf[len] = '\0';
			return len;
		}
	}
}

/* Nothing that would break the header block or lie about the body. */
static const char *unsendable(const omniq_http_resp_t *rs)
{
	size_t i, n = strnlen(rs->type, sizeof(rs->type));

	if(rs->status < 200 || rs->status > 599)
		return "a status outside 200..599";
	if(rs->len < 0 || rs->len > rs->size)
		return "a body length outside the buffer";
	if(n == 0 || n == sizeof(rs->type))
		return "an empty or unterminated Content-Type";
	for(i = 0; i < n; i++)
		if((unsigned char)rs->type[i] < 0x20 || (unsigned char)rs->type[i] > 0x7e)
			return "a control character in the Content-Type";
	return NULL;
}

void ws_hook_serve(struct lws *wsi, const omniq_http_route_t *r, const char *method,
		const char *path, const char *body, size_t len, omniq_http_resp_t *rs)
{
	char peer[64] = "";
	omniq_http_req_t rq;
	const char *bad;
	int rc;

	memset(&rq, 0, sizeof(rq));
	rq.method.s = (char *)method;
	rq.method.len = (int)strlen(method);
	rq.path.s = (char *)path;
	rq.path.len = (int)strlen(path);
	rq.rest.s = rq.path.s + r->path.len;
	rq.rest.len = rq.path.len - r->path.len;
	rq.body.s = (char *)(body ? body : "");
	rq.body.len = body ? (int)len : 0;
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	rq.peer.s = peer;
	rq.peer.len = (int)strlen(peer);
	rq.header = hook_header;
	rq.arg = hook_arg;
	rq.server = wsi;

	rs->status = 200;
	snprintf(rs->type, sizeof(rs->type), "text/plain; charset=utf-8");
	rs->len = 0;
	rs->size = OMNIQ_HTTP_RESP_MAX;
	ws_oq.tenant_use_index(0);
	rc = r->handle(&rq, rs, r->param);
	bad = rc < 0 ? "it failed" : unsendable(rs);
	if(bad) {
		LM_ERR("hook %.*s answered %s %s from %s with %s: 500 instead\n", r->path.len,
				r->path.s, method, path, peer, bad);
		rs->status = 500;
		snprintf(rs->type, sizeof(rs->type), "application/json");
		rs->len = snprintf(rs->body, (size_t)rs->size,
				"{\"error\":{\"code\":\"hook_failed\",\"message\":\"the module serving %.*s "
				"failed: see the server log\"}}",
				r->path.len, r->path.s);
	}
}
