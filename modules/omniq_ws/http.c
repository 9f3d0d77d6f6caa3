/*
 * http.c - the libwebsockets HTTP server of one omniq_ws process.
 *
 * Every request is read whole (bounded by max_body), authenticated, parsed as JSON and
 * answered with JSON. Everything that is wrong with a request is answered with its HTTP
 * status and an error body; nothing malformed reaches the core. One Redis round trip per
 * request at most, made by the core API in this process.
 */
#define _GNU_SOURCE 1 /* accept4 */
#include <string.h>
#include <stdio.h>
#include <stdarg.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <uv.h>
#include <libwebsockets.h>

#include "core/dprint.h"
#include "core/cfg/cfg_struct.h"

#include "ws.h"
#include "admit.h"
#include "flood.h"
#include "ratelog.h"
#include "sock.h"
#include "chat.h"
#include "desk.h"
#include "app.h"
#include "static.h"
#include "events.h"
#include "follow.h"
#include "hooks.h"
#include "survey_page.h"
#include "metrics.h"
#include "media.h"
#include "desk_media.h"
#include "appends.h"
#include "desk_login.h"

#define WS_PATH_MAX 512

struct pss {
	char method[8];
	char path[WS_PATH_MAX];
	char query[WS_PATH_MAX]; /* "start=0&count=50" (decoded by lws) */
	char *body;            /* request body, malloc'd, bounded by max_body, NUL-terminated */
	size_t body_len;
	int max_body;          /* omniq_ws's, or the hook's own */
	int too_large;
	const omniq_http_route_t *hook; /* another module's route (/hooks/...), or NULL */
	int body_expected;     /* Content-Length > 0: a body follows the headers */
	int answered;          /* a response is queued: nothing more is answered or read */
	int close_after;       /* the connection closes once the response is written */
	/* answered before reading the body (no such page...): sent once the body is read and
	 * dropped, so that its bytes are never taken for the next request */
	int drop_body;
	ws_resp_t early;
	const ws_static_t *early_file;
	int authed;
	int survey;            /* a POST to a survey link (survey_page.h): no key */
	int metrics;           /* GET /metrics (metrics.h): text, not JSON */
	int tenant;            /* the key's */
	int key_idx;           /* its index in ws_cfg's keys */
	char key_name[65];
	unsigned char *out;    /* LWS_PRE + response body */
	size_t out_len;
	int status;
	struct lws *wsi;
	int later;             /* its handler answers later (a desk login's password check) */
};

/* Constant time for equal lengths: an API key is not found by timing the comparison. */
static int secret_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = (unsigned char)(la != lb);
	for(i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* "Authorization: Bearer <name>:<secret>" */
static int authenticate(struct lws *wsi, struct pss *p)
{
	char h[256], *tok, *colon;
	int i, n = lws_hdr_copy(wsi, h, sizeof(h), WSI_TOKEN_HTTP_AUTHORIZATION);

	if(n <= 7 || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	tok = h + 7;
	colon = strchr(tok, ':');
	if(colon == NULL)
		return 0;
	*colon = '\0';
	for(i = 0; i < ws_cfg.n_keys; i++)
		if(!strcmp(ws_cfg.key_name[i], tok) && secret_eq(ws_cfg.key_secret[i], colon + 1)) {
			snprintf(p->key_name, sizeof(p->key_name), "%s", ws_cfg.key_name[i]);
			p->tenant = ws_cfg.key_tidx[i];
			p->key_idx = i;
			return 1;
		}
	return 0;
}

static int method_of(struct lws *wsi, struct pss *p)
{
	static const struct { enum lws_token_indexes tok; const char *name; } m[] = {
		{WSI_TOKEN_GET_URI, "GET"}, {WSI_TOKEN_POST_URI, "POST"},
		{WSI_TOKEN_PUT_URI, "PUT"}, {WSI_TOKEN_DELETE_URI, "DELETE"},
	};
	unsigned i;
	for(i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if(lws_hdr_total_length(wsi, m[i].tok) > 0) {
			snprintf(p->method, sizeof(p->method), "%s", m[i].name);
			return 0;
		}
	return -1;
}

/* The query arguments joined with '&' (lws keeps them as fragments; its own copy joins
 * them with ',', which a value may contain). Fits: the total length was checked. */
static void query_of(struct lws *wsi, struct pss *p)
{
	size_t n = 0;
	int i, len;

	p->query[0] = '\0';
	for(i = 0; n + 1 < sizeof(p->query); i++) {
		len = lws_hdr_copy_fragment(wsi, p->query + n + (n ? 1 : 0),
				(int)(sizeof(p->query) - n - 1), WSI_TOKEN_HTTP_URI_ARGS, i);
		if(len <= 0)
			break;
		if(n)
			p->query[n] = '&';
		n += (size_t)len + (n ? 1 : 0);
	}
	p->query[n < sizeof(p->query) ? n : sizeof(p->query) - 1] = '\0';
}

/* Queue a body with its headers and ask for a writable callback. */
static int send_body(struct lws *wsi, struct pss *p, int status, const char *type,
		const unsigned char *data, size_t n, int cache, int retry_after)
{
	unsigned char hdr[LWS_PRE + 1024], *start = &hdr[LWS_PRE], *q = start,
			*end = &hdr[sizeof(hdr) - 1];
	static const char cc_static[] = "public, max-age=300", cc_api[] = "no-store";
	/* the agent desk's page (and a survey link's) loads its script, style and socket from
	 * here only and is never framed (clickjacking). (The demo page stands for a customer's
	 * site: its own policy.) */
	static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
							  "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
							  "base-uri 'none'; form-action 'self'";
	int page = !strncmp(type, "text/html", 9)
			   && (!strncmp(p->path, "/desk", 5) || !strncmp(p->path, "/survey/", 8));
	char ra[16];

	p->out = malloc(LWS_PRE + n);
	if(p->out == NULL)
		return -1;
	p->answered = 1;
	memcpy(p->out + LWS_PRE, data, n);
	p->out_len = n;
	p->status = status;
	if(lws_add_http_common_headers(wsi, (unsigned int)status, type, n, &q, end)
			|| lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
					   (const unsigned char *)(cache ? cc_static : cc_api),
					   (int)strlen(cache ? cc_static : cc_api), &q, end)
			|| (retry_after > 0
					&& lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_RETRY_AFTER,
							   (const unsigned char *)ra,
							   snprintf(ra, sizeof(ra), "%d", retry_after), &q, end))
			|| lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
					   (const unsigned char *)"nosniff", 7, &q, end)
			|| (page
					&& (lws_add_http_header_by_name(wsi,
								(const unsigned char *)"content-security-policy:",
								(const unsigned char *)csp, (int)strlen(csp), &q, end)
							|| lws_add_http_header_by_name(wsi,
									(const unsigned char *)"x-frame-options:",
									(const unsigned char *)"DENY", 4, &q, end)
							|| lws_add_http_header_by_name(wsi,
									(const unsigned char *)"referrer-policy:",
									(const unsigned char *)"no-referrer", 11, &q, end)))
			|| lws_finalize_write_http_header(wsi, start, &q, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

/* Serialise the response and ask for a writable callback. */
static int respond(struct lws *wsi, struct pss *p, ws_resp_t *rs)
{
	char *txt;
	size_t n;

	if(rs->json == NULL)
		ws_error(rs, 500, "internal", "no response");
	txt = json_dumps(rs->json, JSON_COMPACT);
	json_decref(rs->json);
	rs->json = NULL;
	if(txt == NULL)
		return -1;
	n = strlen(txt);
	{
		int rc = send_body(wsi, p, rs->status, "application/json", (unsigned char *)txt, n, 0,
				rs->retry_after);
		free(txt);
		return rc;
	}
}

/* Over its rate (flood.h): whether the request is refused, with 429 set in rs. The refusals
 * are logged once a second per process at most (ratelog.h): a flood must not become one of
 * the log. */
static int flooding(struct pss *p, const char *peer, ws_resp_t *rs)
{
	static ws_ratelog_t rl = WS_RATELOG(1000);
	long long now = omniq_wall_ms();
	int by_key = p->authed && !p->hook, rate = by_key ? ws_cfg.api_rate : ws_cfg.hook_rate;
	unsigned long held;

	if((by_key ? ws_flood_key(p->key_idx, now) : ws_flood_peer(peer, now)) == 0)
		return 0;
	if(ws_ratelog_due(&rl, &held))
		LM_NOTICE("%s %s from %s%s%s: over %d requests per second, refused (429); %lu more "
				  "refused since the last such line\n",
				p->method, p->path, peer, by_key ? " with key " : "", by_key ? p->key_name : "",
				rate, held);
	ws_error(rs, 429, "rate_limited",
			"more than %d requests per second (burst %d) from this %s: retry after 1 s", rate,
			2 * rate, by_key ? "API key" : "address");
	rs->retry_after = 1;
	return 1;
}

/* Another module's route answers (hooks.c); its bytes as they are, with its type. */
static int handle_hook(struct lws *wsi, struct pss *p, const char *peer)
{
	omniq_http_resp_t rs;
	ws_resp_t er = {0, NULL, 0, 0};
	int rc;

	if(p->too_large) {
		ws_error(&er, 413, "too_large", "request body larger than %d bytes", p->max_body);
		return respond(wsi, p, &er);
	}
	if(flooding(p, peer, &er))
		return respond(wsi, p, &er);
	memset(&rs, 0, sizeof(rs));
	rs.body = malloc(OMNIQ_HTTP_RESP_MAX);
	if(rs.body == NULL)
		return -1;
	ws_hook_serve(wsi, p->hook, p->method, p->path, p->body, p->body_len, &rs);
	LM_DBG("%s %s -> %d (hook %.*s)\n", p->method, p->path, rs.status, p->hook->path.len,
			p->hook->path.s);
	rc = send_body(wsi, p, rs.status, rs.type, (unsigned char *)rs.body, (size_t)rs.len, 0, 0);
	free(rs.body);
	return rc;
}

static int handle(struct lws *wsi, struct pss *p)
{
	ws_resp_t rs = {0, NULL, 0, 0};
	ws_req_t rq;
	json_error_t jerr;
	char peer[64] = "";

	memset(&rq, 0, sizeof(rq));
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	rq.peer = peer;
	rq.conn = p;
	rq.method = p->method;
	rq.path = p->path;
	rq.query = p->query;
	if(p->hook)
		return handle_hook(wsi, p, peer);
	if(!strcmp(p->path, WS_DESK_MEDIA_PATH)) {
		/* a file from an agent's desk: its desk token, its bytes (desk_media.h) */
		char auth[1024], ctype[160];
		if(p->too_large) {
			ws_error(&rs, 413, "too_large", "a file larger than %d bytes", p->max_body);
		} else if(!flooding(p, peer, &rs)) {
			if(lws_hdr_copy(wsi, auth, sizeof(auth), WSI_TOKEN_HTTP_AUTHORIZATION) <= 0)
				auth[0] = '\0';
			if(lws_hdr_copy(wsi, ctype, sizeof(ctype), WSI_TOKEN_HTTP_CONTENT_TYPE) <= 0)
				ctype[0] = '\0';
			ws_desk_media(p->method, auth, ctype, p->body, p->body_len, &rs);
		}
		return respond(wsi, p, &rs);
	}
	if(p->too_large) {
		ws_error(&rs, 413, "too_large", "request body larger than %d bytes", p->max_body);
	} else if(flooding(p, peer, &rs)) {
		/* answered: 429 */
	} else if(p->metrics && p->authed && !strcmp(p->method, "GET")) {
		char *text;
		size_t n;
		int rc;

		ws_oq.tenant_use_index(p->tenant);
		rc = ws_metrics(p->tenant, &text, &n);
		ws_oq.tenant_use_index(0);
		if(rc == OMNIQ_OK) {
			rc = send_body(wsi, p, 200, "text/plain; version=0.0.4; charset=utf-8",
					(const unsigned char *)text, n, 0, 0);
			free(text);
			return rc;
		}
		ws_omniq_error(&rs, rc);
	} else if(p->metrics && p->authed) {
		ws_error(&rs, 405, "method_not_allowed", "GET on /metrics");
	} else if(p->survey) {
		rq.body = p->body_len > 0 ? json_loadb(p->body, p->body_len, JSON_REJECT_DUPLICATES,
											&jerr)
								  : NULL;
		if(p->body_len > 0 && (rq.body == NULL || !json_is_object(rq.body)))
			ws_error(&rs, 400, "invalid_json", "the body must be a JSON object");
		else
			ws_survey_post(p->path, rq.body, &rs);
		if(rq.body)
			json_decref(rq.body);
		ws_oq.tenant_use_index(0);
	} else if(!p->authed && strcmp(p->path, "/api/v1/desk/login") != 0) {
		ws_error(&rs, 401, "unauthorized",
				"send Authorization: Bearer <key name>:<secret> (modparam api_key)");
	} else {
		rq.key_name = p->authed ? p->key_name : NULL; /* NULL: the desk login only */
		rq.tenant = p->authed ? p->tenant : 0;
		ws_oq.tenant_use_index(rq.tenant);
		if(p->body_len > 0) {
			rq.body = json_loadb(p->body, p->body_len, JSON_REJECT_DUPLICATES, &jerr);
			if(rq.body == NULL) {
				ws_error(&rs, 400, "invalid_json", "line %d column %d: %s", jerr.line,
						jerr.column, jerr.text);
			} else if(!json_is_object(rq.body)) {
				ws_error(&rs, 400, "invalid_json", "the body must be a JSON object");
			}
		}
		if(rs.json == NULL)
			ws_api_handle(&rq, &rs);
		if(rq.body)
			json_decref(rq.body);
	}
	if(rs.later) {
		p->later = 1;
		LM_DBG("%s %s -> answered later\n", p->method, p->path);
		return 0;
	}
	LM_DBG("%s %s -> %d\n", p->method, p->path, rs.status);
	return respond(wsi, p, &rs);
}

void ws_http_answer(void *conn, ws_resp_t *rs)
{
	struct pss *p = conn;

	p->later = 0;
	LM_DBG("%s %s -> %d\n", p->method, p->path, rs->status);
	if(respond(p->wsi, p, rs) < 0)
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
}

/* A request refused from its request line (a method or a URI this server takes no request
 * with): a JSON error as the API promises, and the connection closed after it - what
 * follows on it (a body of unknown length) cannot be told apart from a next request. */
static int refuse(struct lws *wsi, struct pss *p, int status, const char *code,
		const char *fmt, ...)
{
	ws_resp_t rs = {0, NULL, 0, 0};
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ws_error(&rs, status, code, "%s", msg);
	p->close_after = 1;
	return respond(wsi, p, &rs) ? -1 : 0;
}

/* Headers: libwebsockets keeps a request's in one buffer (HEADERS_BUF) and closes, without
 * an answer, a request whose headers overflow it. Each header is cut at HEADER_MAX instead
 * (lws' token limits), so that one too long - a swollen cookie - is seen and answered 431;
 * only more than HEADERS_BUF of them in all still closes without one. */
#define HEADER_MAX 8192
#define HEADERS_BUF 16384
static struct lws_token_limits header_limits;

/* The first header of the request that reached HEADER_MAX (so was cut), or NULL. */
static const char *header_too_long(struct lws *wsi)
{
	int t;

	for(t = 0; t < WSI_TOKEN_COUNT; t++)
		if(lws_hdr_total_length(wsi, (enum lws_token_indexes)t) >= HEADER_MAX - 1)
			return (const char *)lws_token_to_string((enum lws_token_indexes)t);
	return NULL;
}

/* An answer known from the headers alone: now, or after the announced body is read. */
static int answer_early(struct lws *wsi, struct pss *p, ws_resp_t *rs, const ws_static_t *f)
{
	if(p->body_expected) {
		p->drop_body = 1;
		p->early = *rs;
		p->early_file = f;
		return 0;
	}
	if(f)
		return send_body(wsi, p, 200, f->type, f->data, f->len, 1, 0);
	return respond(wsi, p, rs);
}

static int cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len)
{
	struct pss *p = (struct pss *)user;
	const char *name;
	char cl[24];

	switch(reason) {
		case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
			/* no answer can be written on the way to a WebSocket: the upgrade is refused
			 * and the connection closed, as with headers over HEADERS_BUF */
			if((name = header_too_long(wsi)) != NULL) {
				static ws_ratelog_t rl = WS_RATELOG(10000);
				unsigned long held;
				if(ws_ratelog_due(&rl, &held))
					LM_INFO("WebSocket upgrade refused: a header (%.32s) longer than %d bytes "
							"(%lu more since the last such line)\n", name, HEADER_MAX - 2, held);
				return -1;
			}
			return 0;
		case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
			ws_follow_deliver();
			ws_append_pump();
			ws_desk_login_pump();
			return 0;
		case LWS_CALLBACK_HTTP:
			ws_admit_known(wsi); /* a request: no longer pending (admit.h) */
			if(p->later) /* lws holds a pipelined request back until the answer; if not, */
				ws_desk_login_forget(p); /* the earlier answer must not go to this one */
			memset(p, 0, sizeof(*p));
			p->wsi = wsi;
			if(method_of(wsi, p) < 0)
				return refuse(wsi, p, 405, "method_not_allowed",
						"GET, POST, PUT and DELETE only");
			if(len >= WS_PATH_MAX)
				return refuse(wsi, p, 414, "uri_too_long", "the path is longer than %d bytes",
						WS_PATH_MAX - 1);
			memcpy(p->path, in, len);
			p->path[len] = '\0';
			if(lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) >= (int)sizeof(p->query))
				return refuse(wsi, p, 414, "uri_too_long",
						"the query is longer than %d bytes", (int)sizeof(p->query) - 1);
			if((name = header_too_long(wsi)) != NULL)
				return refuse(wsi, p, 431, "headers_too_large",
						"a header (%.32s) is longer than %d bytes", name, HEADER_MAX - 2);
			query_of(wsi, p);
			p->max_body = ws_cfg.max_body;
			p->body_expected = lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0
							   && atol(cl) > 0;
			if(lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
				/* lws does not take a chunked request body: say so, and close, since what
				 * follows on the connection cannot be told apart from a next request */
				ws_resp_t rs = {0, NULL, 0, 0};
				ws_error(&rs, 411, "length_required",
						"send the body with Content-Length: a chunked body is not taken");
				p->close_after = 1;
				return respond(wsi, p, &rs) ? -1 : 0;
			}
			if(!strncmp(p->path, "/hooks/", 7)) {
				str sp = {p->path, (int)strlen(p->path)};
				p->hook = ws_oq.http_route_find(&sp);
				if(p->hook == NULL) {
					ws_resp_t rs = {0, NULL, 0, 0};
					ws_error(&rs, 404, "not_found", "no module serves %s", p->path);
					return answer_early(wsi, p, &rs, NULL) ? -1 : 0;
				}
				if(p->hook->max_body > 0)
					p->max_body = p->hook->max_body;
			} else if(!strncmp(p->path, "/media/", 7) && !strcmp(p->method, "GET")) {
				/* a provider's file named in a conversation (media.h): one Redis call */
				ws_media_answer_t ma;
				int rc;
				ws_media_answer(p->path, &ma);
				rc = send_body(wsi, p, ma.status, ma.type, (const unsigned char *)ma.data,
						ma.len, 0, 0);
				ws_media_done(&ma);
				return rc ? -1 : 0;
			} else if(!strcmp(p->path, "/metrics")) {
				/* Prometheus' scrape: the API key's tenant, as the REST API (metrics.h) */
				p->authed = authenticate(wsi, p);
				p->metrics = 1;
			} else if(!strncmp(p->path, "/survey/", 8) && !strcmp(p->method, "POST")) {
				/* a mailed survey link's answer: its token, not a key (survey_page.h) */
				p->survey = 1;
			} else if(strncmp(p->path, "/api/", 5) != 0) {
				/* the widget, the demo page, the desk page, a survey link's page: public,
				 * GET only */
				const ws_static_t *f = ws_static_find(p->path);
				if(strcmp(p->method, "GET") || f == NULL) {
					ws_resp_t rs = {0, NULL, 0, 0};
					ws_error(&rs, strcmp(p->method, "GET") ? 405 : 404,
							strcmp(p->method, "GET") ? "method_not_allowed" : "not_found",
							"no such page");
					return answer_early(wsi, p, &rs, NULL) ? -1 : 0;
				}
				{
					ws_resp_t none = {0, NULL, 0, 0};
					return answer_early(wsi, p, &none, f) ? -1 : 0;
				}
			} else if(!strcmp(p->path, WS_DESK_MEDIA_PATH)) {
				p->max_body = OMNIQ_MEDIA_MAX; /* a file: the desk's token, not a key */
			} else {
				/* the REST API; the hooks authenticate their callers their own way */
				p->authed = authenticate(wsi, p);
			}
			if(p->body_expected && atol(cl) > p->max_body)
				p->too_large = 1;
			if(p->body_expected)
				return 0; /* wait for the body */
			return handle(wsi, p) ? -1 : 0;

		case LWS_CALLBACK_HTTP_BODY:
			if(p->answered || p->drop_body)
				return 0;
			if(p->too_large || p->body_len + len > (size_t)p->max_body) {
				p->too_large = 1;
				return 0; /* keep reading, answer 413 at the end */
			}
			{
				char *nb = realloc(p->body, p->body_len + len + 1);
				if(nb == NULL)
					return -1;
				p->body = nb;
				memcpy(p->body + p->body_len, in, len);
				p->body_len += len;
				p->body[p->body_len] = '\0';
			}
			return 0;

		case LWS_CALLBACK_HTTP_BODY_COMPLETION:
			if(p->answered)
				return 0;
			if(p->drop_body) {
				p->body_expected = 0; /* read: answer now */
				return answer_early(wsi, p, &p->early, p->early_file) ? -1 : 0;
			}
			return handle(wsi, p) ? -1 : 0;

		case LWS_CALLBACK_HTTP_WRITEABLE:
			if(p->out == NULL)
				return 0;
			if(lws_write(wsi, p->out + LWS_PRE, p->out_len, LWS_WRITE_HTTP_FINAL)
					!= (int)p->out_len)
				return -1;
			free(p->out);
			p->out = NULL;
			free(p->body);
			p->body = NULL;
			p->body_len = 0;
			if(p->close_after || lws_http_transaction_completed(wsi))
				return -1;
			return 0;

		case LWS_CALLBACK_CLOSED_HTTP:
		case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
			if(p) {
				if(p->later) /* its answer is not wanted any more */
					ws_desk_login_forget(p);
				p->later = 0;
				free(p->out);
				p->out = NULL;
				free(p->body);
				p->body = NULL;
				if(p->early.json)
					json_decref(p->early.json);
				p->early.json = NULL;
			}
			break;

		default:
			break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/*
 * The listening socket is ours, not lws's: every omniq_ws process opens its own with
 * SO_REUSEPORT on the same address, so the kernel spreads connections over the processes
 * (lws 4.1 sets SO_REUSEPORT nowhere). lws watches it as a raw descriptor; each accepted
 * connection is handed to lws as an HTTP socket (TLS when configured).
 */
static int listen_fd = -1;

static int open_listener(void)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)ws_cfg.port);
	if(inet_pton(AF_INET, ws_cfg.listen_addr, &sa.sin_addr) != 1) {
		LM_CRIT("omniq_ws listen '%s' is not an IPv4 address\n", ws_cfg.listen_addr);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if(fd < 0)
		return -1;
	if(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0
			|| setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0
			|| bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1024) < 0) {
		LM_CRIT("omniq_ws cannot listen on %s:%d: %s\n", ws_cfg.listen_addr, ws_cfg.port,
				strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int cb_listen(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len)
{
	if(reason == LWS_CALLBACK_RAW_RX_FILE)
		ws_admit_accept();
	return 0;
}

/* Every callback ends on the default tenant: a request or a socket message that switched to
 * its own tenant cannot leave the next one, of whoever, on it. */
#define ENDS_ON_DEFAULT_TENANT(name, cb)                                                 \
	static int name(struct lws *wsi, enum lws_callback_reasons reason, void *user,     \
			void *in, size_t len)                                                      \
	{                                                                                  \
		int rc = cb(wsi, reason, user, in, len);                                       \
		ws_oq.tenant_use_index(0);                                                     \
		if(reason == LWS_CALLBACK_WSI_DESTROY)                                         \
			ws_admit_gone(wsi);                                                        \
		return rc;                                                                     \
	}
ENDS_ON_DEFAULT_TENANT(t_http, cb_http)
ENDS_ON_DEFAULT_TENANT(t_chat, ws_chat_callback)
ENDS_ON_DEFAULT_TENANT(t_desk, ws_desk_callback)
ENDS_ON_DEFAULT_TENANT(t_app, ws_app_callback)

static struct lws_protocols protocols[] = {
	{"http", t_http, sizeof(struct pss), 0, 0, NULL, 0},
	{"omniq-chat", t_chat, 0 /* set from ws_chat_pss_size */, 0, 0, NULL, 0},
	{"omniq-agent", t_desk, 0 /* set from ws_desk_pss_size */, 0, 0, NULL, 0},
	{"omniq-app", t_app, 0 /* set from ws_app_pss_size */, 0, 0, NULL, 0},
	{"omniq-listen", cb_listen, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0}
};

static void lws_log(int level, const char *line)
{
	if(level & LLL_ERR)
		LM_ERR("libwebsockets: %s", line);
	else if(level & LLL_WARN)
		LM_WARN("libwebsockets: %s", line);
	else
		LM_DBG("libwebsockets: %s", line);
}

void ws_http_loop(int rank)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct lws *lwsi = NULL;
	lws_sock_file_fd_type fd;
	/* libuv (epoll) under lws, not lws's own poll(): poll() hands the kernel every socket
	 * of the process at each wakeup, which costs more than the traffic once a process holds
	 * thousands of idle customers. Ours, so that the loop runs one turn at a time. */
	static uv_loop_t loop;
	void *foreign[1] = {&loop};
	int i;

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
	listen_fd = open_listener();
	if(listen_fd < 0)
		return;
	protocols[1].per_session_data_size = ws_chat_pss_size;
	protocols[1].rx_buffer_size = (size_t)ws_cfg.max_frame;
	protocols[2].per_session_data_size = ws_desk_pss_size;
	protocols[2].rx_buffer_size = (size_t)ws_cfg.max_frame;
	protocols[3].per_session_data_size = ws_app_pss_size;
	protocols[3].rx_buffer_size = (size_t)ws_cfg.max_frame;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.protocols = protocols;
	/* not lws's "security best practices" headers: their CSP forbids the style element the
	 * chat widget adds to the demo page (and to any site embedding it) */
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_LIBUV;
	info.foreign_loops = foreign;
	for(i = 0; i < WSI_TOKEN_COUNT; i++)
		header_limits.token_limit[i] = HEADER_MAX;
	info.token_limits = &header_limits;
	info.max_http_header_data2 = HEADERS_BUF;
	if(uv_loop_init(&loop) != 0) {
		LM_CRIT("omniq_ws process %d cannot create its event loop\n", rank);
		return;
	}
	if(ws_cfg.cert && ws_cfg.key) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT
						| LWS_SERVER_OPTION_CREATE_VHOST_SSL_CTX;
		info.ssl_cert_filepath = ws_cfg.cert;
		info.ssl_private_key_filepath = ws_cfg.key;
	}
	ctx = lws_create_context(&info);
	vh = ctx ? lws_create_vhost(ctx, &info) : NULL;
	fd.filefd = listen_fd;
	if(vh == NULL
			|| (lwsi = lws_adopt_descriptor_vhost(
						vh, LWS_ADOPT_RAW_FILE_DESC, fd, "omniq-listen", NULL))
					   == NULL
			|| ws_admit_start(&loop, rank, vh, listen_fd) < 0) {
		LM_CRIT("omniq_ws process %d cannot start its HTTP server\n", rank);
		if(ctx)
			lws_context_destroy(ctx);
		return;
	}
	ws_admit_listener(lwsi);
	if(ws_events_start(ctx, rank) < 0 || ws_append_start(&loop) < 0 || ws_desk_login_start(ctx) < 0) {
		lws_context_destroy(ctx);
		return;
	}
	LM_INFO("omniq_ws process %d serving http%s://%s:%d\n", rank,
			ws_cfg.cert ? "s" : "", ws_cfg.listen_addr, ws_cfg.port);
	for(;;) {
		cfg_update();
		ws_oq.stop_check("omniq_ws http");
		uv_run(&loop, UV_RUN_ONCE);
		ws_append_pump(); /* the customers' messages of this turn, to Redis */
	}
}
