/*
 * ws.h - what the parts of omniq_ws share. Internal to the module.
 */
#ifndef OMNIQ_WS_H
#define OMNIQ_WS_H

#include <stddef.h>
#include <jansson.h>
#include "omniq/omniq_api.h"

extern omniq_api_t ws_oq;

#include "flood.h"
#define WS_KEYS_MAX WS_FLOOD_KEYS

typedef struct ws_settings {
	char *listen_addr;     /* "127.0.0.1" */
	int port;              /* 8080 */
	int processes;         /* lws service processes */
	int max_body;          /* bytes of one request body */
	char *cert, *key;      /* TLS when both are set */
	char *site_secret;     /* signs visitor, user and resume tokens; chat needs it */
	char *desk_secret;     /* signs agent desk tokens (random per start when unset) */
	int desk_token_ttl;    /* seconds an agent login lasts */
	int desk_rate;         /* desk socket messages per second (burst: twice that) */
	int login_fails;       /* failed desk logins per address and agent within login_window */
	int login_window;      /* seconds */
	int login_rate;        /* desk password checks per second per process, and waiting */
	int login_address_fails; /* failed desk logins per address, any agent, within login_window */
	char *chat_skills;     /* skills of a web chat session */
	char *chat_queue;
	int chat_rate;         /* frames per second per socket (burst: twice that) */
	int max_frame;         /* bytes of one WebSocket message */
	int max_connections;   /* per process (0: what its open-files limit leaves); admit.h */
	int max_pending_per_address; /* connections of one address not yet saying what they want */
	int hello_timeout;     /* seconds to say it (a request, a hello) and to finish a message */
	int api_rate;          /* requests per second per API key (burst: twice that) */
	int hook_rate;         /* requests per second per address: /hooks/, unauthenticated */
	char *app_secret;      /* the app backend signs user tokens with it; app needs it */
	char *app_id;          /* identities are app:<app_id>:<user> */
	int app_token_max_ttl; /* seconds an app user token may still have to run, at most */
	char *app_skills;      /* skills of an app session */
	char *app_queue;
	char *push_url;        /* the app backend's push webhook (none: no pushes) */
	int webhook_retry;        /* seconds before an undelivered push is tried again */
	int webhook_attempts;     /* deliveries before it is dropped */
	int webhook_timeout;      /* seconds for one webhook request */
	int event_read_gap;       /* us between two reads of the events that brought some */
	int n_keys;
	char key_name[WS_KEYS_MAX][65];
	char key_secret[WS_KEYS_MAX][129];
	char key_tenant[WS_KEYS_MAX][65];  /* the tenant a key works for ("" the default) */
	int key_tidx[WS_KEYS_MAX];         /* its index (api.tenant_at), set in mod_init */
} ws_settings_t;
extern ws_settings_t ws_cfg;

/* One HTTP request, as the API handlers see it. */
typedef struct ws_req {
	const char *method;    /* GET POST PUT DELETE */
	const char *path;      /* "/api/v1/sessions/12" */
	const char *query;     /* "start=0&count=50", or "" */
	json_t *body;          /* parsed JSON object, or NULL for no body */
	const char *key_name;  /* authenticated API key, or NULL */
	int tenant;            /* its tenant, current while the request is handled */
	const char *peer;      /* the client's address */
	void *conn;            /* its connection, for an answer given later (ws_http_answer) */
} ws_req_t;

/* A response: status and a JSON value (owned; the writer frees it). */
typedef struct ws_resp {
	int status;
	json_t *json;
	int retry_after;       /* > 0: a Retry-After header (seconds) */
	int later;             /* set by a handler that answers later, with ws_http_answer() */
} ws_resp_t;

/* http.c: the answer to a request whose handler set rs->later, on the lws loop; conn is the
 * request's (rq->conn) and still open: a closed connection is forgotten by its handler's
 * module (http.c tells it). rs->json is taken. */
void ws_http_answer(void *conn, ws_resp_t *rs);

/* api.c: answers one authenticated /api/v1 request. */
void ws_api_handle(const ws_req_t *rq, ws_resp_t *rs);
/* A JSON error body {"error":{"code":..,"message":..}} with its status. */
void ws_error(ws_resp_t *rs, int status, const char *code, const char *fmt, ...);
/* A string member of the body: required, or optional (out->s NULL when absent). 0, or -1
 * with the 400 answer set. */
int ws_body_str(const ws_req_t *rq, ws_resp_t *rs, const char *name, int required, str *out);
/* An integer query argument lo..hi (def when absent). 0, or -1 with the 400 answer set. */
int ws_arg_num(const ws_req_t *rq, ws_resp_t *rs, const char *name, long long def,
		long long lo, long long hi, long long *out);
int ws_arg_int(const ws_req_t *rq, ws_resp_t *rs, const char *name, int def, int lo, int hi,
		int *out);
/* PUT of a record: the body's members named in fields[0..n-1] (strings; JSON integers too
 * for the fields whose bit is set in numeric), each set in that order with set(id, field,
 * value); nothing else may be in the body. 0, or -1 with the error answer set (fields before
 * a refused one stay set: each is one call). */
#define WS_FIELDS_MAX 8
int ws_set_fields(const ws_req_t *rq, ws_resp_t *rs, const str *id, const char *const *fields,
		int n, unsigned numeric, int (*set)(const str *, const str *, const str *));
/* The REST resources besides sessions (api_resources.c); rest is the path after /api/v1/.
 * 0 when it answered, -1 when the path is not one of its resources. */
int ws_api_resources(const ws_req_t *rq, ws_resp_t *rs, const char *rest);
/* api_resources.c's helpers for the REST files: 1 when the request's method is m (else a
 * 405 naming what); one record of reader `what` as the JSON object; its rows as
 * {"<key>": [...]} */
int ws_method_is(const ws_req_t *rq, ws_resp_t *rs, const char *m, const char *what);
void ws_read_one(ws_resp_t *rs, const char *what, int argc, const str *argv);
void ws_read_list(ws_resp_t *rs, const char *key, const char *what, int argc, const str *argv);
/* api_settings.c: /api/v1/sla[/{name}] and /api/v1/queues/{queue}/hours */
void ws_api_sla(const ws_req_t *rq, ws_resp_t *rs, const char *name);
void ws_api_hours(const ws_req_t *rq, ws_resp_t *rs, const char *queue);
/* api_settings.c: /api/v1/tiers[/{name}] and /api/v1/regions[/{prefix}] */
void ws_api_tiers(const ws_req_t *rq, ws_resp_t *rs, const char *name);
void ws_api_regions(const ws_req_t *rq, ws_resp_t *rs, const char *prefix);
void ws_api_region_queue(const ws_req_t *rq, ws_resp_t *rs, const char *queue, const char *region);
/* api_reports.c: GET /api/v1/reports */
void ws_api_reports(const ws_req_t *rq, ws_resp_t *rs);
/* Map an OMNIQ_* result to a response (error) and return 0 for OMNIQ_OK. ws_omniq_fail:
 * the same with the error's message given (a result made on another thread). */
int ws_omniq_error(ws_resp_t *rs, int rc);
int ws_omniq_fail(ws_resp_t *rs, int rc, const char *why);
/* The error code word of an OMNIQ_* result ("not_found" ...), for socket error frames. */
const char *ws_omniq_code(int rc);

/* rows.c: omniq_row_cb callbacks building JSON from api.query() rows (flat key, value, ...).
 * ws_row_append: each row as an object appended to the json array arg.
 * ws_row_merge: the first row's pairs set into the json object arg. */
int ws_row_append(void *arr, int n, const str *items);
int ws_row_merge(void *obj, int n, const str *items);
/* A socket request's string member: NULL when absent or null, *bad set when it is there
 * and no string. */
const char *ws_json_str(json_t *m, const char *name, int *bad);
/* An omniq_tx_cb: each transcript entry as {id, dir, from, text} appended to arr. */
void ws_tx_append(void *arr, const str *id, const str *dir, const str *from, const str *body);
/* The same for api.transcript_read, with "delivery" and "reason" on an agent's message
 * sent through its channel's senders (the desk's view) */
void ws_tx_entry_append(void *arr, const omniq_tx_entry_t *e);

#include "key_hash.h" /* ws_key_hash() */

/* redis_conn.c: a connection (connect timeout 2 s, AUTH, SELECT) to conn, or NULL. For
 * threads only: the lws loop uses the core's API. */
struct redisContext;
struct redisContext *ws_redis_connect(const omniq_conn_info_t *conn);
/* redisCommand() and redisCommandArgv() on such a connection, the reply read with
 * api.redis_reply (hiredis 0.14's own write crashes when an allocation fails there). */
struct redisReply;
struct redisReply *ws_redis_command(struct redisContext *c, const char *fmt, ...);
struct redisReply *ws_redis_command_argv(struct redisContext *c, int argc, const char **argv);
/* thread.c: start run(NULL) on a detached thread of this process, for its whole life (the
 * event reader, the login checker, the outbox sender), named "ws <what>" (at
 * most 15 characters: top -H, ps -L and /proc show it). 0, or -1 with what logged. */
int ws_thread_start(void *(*run)(void *), const char *what);
/* Stream i of an XREAD / XREADGROUP reply over keys[0..n-1] (one per tenant): its index in
 * keys, with *entries its entry list; -1 when it is malformed or none of them. */
struct redisReply;
int ws_xread_stream(const struct redisReply *r, size_t i, const char *const *keys, int n,
		struct redisReply **entries);

/* http.c: the lws server loop of one process (never returns). */
void ws_http_loop(int rank);

#endif
