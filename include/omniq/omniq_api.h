/*
 * omniq_api.h - the C API that channel modules bind to (the tm `load_tm_api` pattern).
 *
 * A channel module never links against omniq.so. In its mod_init it calls
 * omniq_load_api(), which finds the `bind_omniq` export of the loaded omniq module, and
 * registers a channel driver: how to deliver an agent's reply to a customer on that channel,
 * and what to do when a session of that channel changes (offered to an agent, closed...).
 * Everything else - customers, queues, routing, capacity - stays in the core, so a new
 * channel is only the code that is really about that channel.
 *
 * Threads: make the calls from a process's main thread. Only append(), append_many(),
 * append_many_write(), append_many_read(), redis_flush(), append_once(), agent_verify(),
 * login_try(), login_done(), agent_token(), agent_revoke(), tenant_use(),
 * tenant_use_index(), tenant_index(), tenant_at(), redis_connect(), redis_reply(),
 * redis_append(), events_read(), library_missing(), library_load(),
 * events_check(), last_error() and strerror() may also be
 * called from a thread that a module
 * started in its own process after fork, to keep its main loop serving while Redis (or a
 * password hash) works: the Redis connection, the current tenant and the last error are
 * the thread's own (it connects on its first call). Every other call may use Kamailio's
 * per-process memory or a channel's driver, neither of which is thread-safe.
 *
 * Compatibility: OMNIQ_API_VERSION changes only when an existing member changes meaning;
 * new members are appended, so a module built against an older header keeps working.
 */
#ifndef OMNIQ_API_H
#define OMNIQ_API_H

#include <stdio.h>
#include <string.h>

#include "core/str.h"
#include "core/sr_module.h"
#include "core/dprint.h"
#include "omniq_events.h"

#include "omniq/omniq_limits.h" /* OMNIQ_SID_MAX, OMNIQ_ID_MAX, ... */

/* 2: omniq_append_t has a client id and the entry id (append_many appends once too).
 * 3: a driver's deliver() takes one omniq_delivery_t (the customer's identity with it) and
 *    omniq_driver_t names its owner. */
#define OMNIQ_API_VERSION 3

/* A NUL-terminated C string as the str every API call takes (no copy). */
static inline str omniq_str(const char *s)
{
	str r;
	r.s = (char *)s;
	r.len = (int)strlen(s);
	return r;
}

/* The same as the const str * an API call takes, for one call's argument:
 * api->tenant_use(omniq_cstr(name)). A compound literal, so it lives until the end of the
 * enclosing block (which is why this is a macro: a function cannot hand out its address). */
#define omniq_cstr(s) (&(str){(char *)(s), (int)strlen(s)})

/* Return codes of every API call (and of the cfg functions, as -1..-7). */
#define OMNIQ_OK 0
#define OMNIQ_REFERRING 1   /* transfer(): asked of the contact's driver (OMNIQ_CAP_REFER) */
#define OMNIQ_EARG -1       /* bad argument: nothing was written */
#define OMNIQ_ENOTFOUND -2  /* no such session / agent / customer / channel */
#define OMNIQ_ESTATE -3     /* illegal transition: nothing was changed */
#define OMNIQ_EAGENT -4     /* not offered to / held by this agent */
#define OMNIQ_ECAPACITY -5  /* agent has no free capacity (or a channel's outbound queue
                               is full: reply()) */
#define OMNIQ_EREDIS -6     /* Redis unreachable or reply lost: not acknowledged */
#define OMNIQ_EINTERNAL -7
#define OMNIQ_ECLOSED -8    /* a call to a queue outside its business hours: nothing was
                             * written; last_error() says when it opens ("(in <n> s)") */

/* The scores a survey asks (bits: kind csat 1, nps 2, both 3): survey_voice()'s `can` and
 * `kind`, omniq_media_call_t.survey. */
#define OMNIQ_SURVEY_CSAT 1 /* 1-5 */
#define OMNIQ_SURVEY_NPS 2  /* 0-10 */

/* The HTTP status of a return code, for every surface that reports one (the REST API, the
 * RPC faults), so that they agree: 200, 400, 404, 409, 503, else 500. */
static inline int omniq_http_status(int rc)
{
	switch(rc) {
		case OMNIQ_OK: return 200;
		case OMNIQ_EARG: return 400;
		case OMNIQ_ENOTFOUND: return 404;
		case OMNIQ_ESTATE: case OMNIQ_EAGENT: case OMNIQ_ECAPACITY: case OMNIQ_ECLOSED:
			return 409;
		case OMNIQ_EREDIS: return 503;
		default: return 500;
	}
}

/* ingest()'s answers (>= 0): appended to the customer's live session, the cid appended
 * before (nothing written), appended to the session it opened, a customer's survey answer
 * (a score after a session ended). */
#define OMNIQ_INGEST_APPENDED 0
#define OMNIQ_INGEST_DUPLICATE 1
#define OMNIQ_INGEST_OPENED 2
#define OMNIQ_INGEST_SURVEY 3

/* What a cfg function (or KEMI) that wraps ingest() returns: Kamailio's script stops at 0,
 * and takes < 0 as false, so each answer becomes a positive value - 1 appended, 2
 * duplicate, 3 opened, 4 survey - and an error stays the negative OMNIQ_E* code. */
static inline int omniq_ingest_cfg_rc(int rc)
{
	return rc < 0 ? rc : rc + 1;
}

/* Capacity classes a channel counts in. */

#define OMNIQ_CLASS_VOICE 0
#define OMNIQ_CLASS_CHAT 1
#define OMNIQ_CLASS_EMAIL 2

/* What a channel can carry (informative for the agent desk). */
#define OMNIQ_CAP_TEXT (1u << 0)
#define OMNIQ_CAP_MEDIA (1u << 1)  /* images, files */
#define OMNIQ_CAP_VOICE (1u << 2)
/* The contact moves itself: a transfer of an active session of this channel (a desk's, an
 * RPC's) does not move the record but asks the driver (event "refer" to every node, the
 * contact's node acts) to move the contact; the driver then moves the session with
 * transfer_call() as the contact moves (a call: omniq REFERs the caller's phone, whose
 * INVITE to the target comes back). Why: the record must follow the audio, never lead it. */
#define OMNIQ_CAP_REFER (1u << 3)

#define OMNIQ_TENANTS_MAX 32  /* tenants one kamailio serves */

typedef struct omniq_session_info {
	char sid[OMNIQ_SID_MAX];
	char state[16];                /* queued offered active wrapup closed abandoned expired */
	char agent[OMNIQ_ID_MAX + 1];  /* empty while queued */
	char customer[OMNIQ_SID_MAX];
	char channel[OMNIQ_ID_MAX + 1];
	int position;                  /* 1-based place in its queue while queued, else 0 */
	int est_wait_s;                /* estimated wait while queued, from recent history */
} omniq_session_info_t;

/* A session event, as the dispatcher process of every node sees it (through Redis). Type
 * "resync" is no event of the stream: the dispatcher fell further behind than the stream
 * keeps events (events_keep) and lost some of this tenant's; sid, state, agent, channel and
 * ext are empty. A driver that acts on events re-reads the state of what this node holds
 * (api.get of its sessions) and does what a missed event would have made it do. */
typedef struct omniq_event {
	/* The type, and what state and agent carry for it (docs/integrator.md, "Events"
	 * has the whole table; a test holds it to the code):
	 *   enqueue queued -; offer offered <agent>; park/unpark queued <agent or ~opening>;
	 *   reopen queued <previous agent or ->; accept active <agent>; decline queued <agent>;
	 *   miss queued <agent>; transfer offered|queued <who handed it on>; wrapup wrapup
	 *   <agent>; close closed <agent>; abandon abandoned <offered agent or ->; expire
	 *   expired -; message in|out|sys|note (its dir) -; delivery queued|sent|delivered|
	 *   failed -; callback queued -; followup scheduled|opened|done|cancelled|failed
	 *   <agent or ->; survey csat|nps|both|answered|optout <agent>; sla1/sla2/sla3
	 *   first|reply|resolve <person told> (one node only); and "resync" (no stream
	 *   event: see above). Events of no channel (presence, agent_del, revoke, merge) and
	 *   typing reach no driver. */
	str type;
	str sid;
	str state;   /* the session's new state */
	str agent;   /* agent concerned, may be empty */
	str channel;
	str ext;     /* the channel's own reference given at open (Call-ID, openid, ...) */
	str tenant;  /* whose session: the dispatcher has made it the current tenant */
	/* "refer" only (a transfer asked of an OMNIQ_CAP_REFER driver): state is the kind
	 * ("agent" or "queue"), agent who hands it on, target the agent or queue it goes to,
	 * skills the required skills asked with a queue (may be empty). Else empty. */
	str target;
	str skills;
} omniq_event_t;

struct redisContext; /* hiredis' (api.redis_connect) */
struct redisReply;   /* hiredis' (api.events_check, api.append_many_read) */

/* Where the default tenant's data lives (api.conn_info; api.tenant_at for the others). */
typedef struct omniq_conn_info {
	const char *host;      /* or a unix socket path when it starts with '/' */
	int port;
	const char *password;  /* NULL: none */
	int db;
	str prefix;            /* "oq:{<tenant>}": every key of the tenant starts with it */
} omniq_conn_info_t;

/* One transcript entry (api.transcript); the strings live until the callback returns. */
typedef void (*omniq_tx_cb)(void *arg, const str *id, const str *dir, const str *from,
		const str *body);

/* One transcript entry for api.transcript_read(); the strings live until the callback
 * returns. */
typedef struct omniq_tx_entry {
	str id, dir, from, body;
	/* an agent's message sent through its channel's senders (register_sender): its state,
	 * queued, sending, sent, delivered or failed, and the provider's words when it failed or
	 * waits for a retry; both empty for every other entry */
	str delivery, delivery_reason;
} omniq_tx_entry_t;

typedef void (*omniq_tx_entry_cb)(void *arg, const omniq_tx_entry_t *e);

/* One row of api.query(); the strings live until the callback returns. Return 0 to go on,
 * anything else to stop early. */
typedef int (*omniq_row_cb)(void *arg, int n, const str *items);

/* A customer's message for api.ingest(). Empty strs (s NULL or len 0) are "not given". */
typedef struct omniq_inbound {
	str channel, identity;     /* as open() */
	str skills, queue, ext;    /* as open(), used when a session has to be opened */
	int priority;              /* 0..OMNIQ_PRIORITY_MAX, likewise */
	str from;                  /* who wrote it (OMNIQ_TEXT_MAX); empty: the identity */
	str body;                  /* 1..OMNIQ_BODY_MAX bytes of UTF-8, no NUL */
	str cid;                   /* the channel's id of this message (OMNIQ_CID_MAX), so that
	                            * a delivery the channel retries is appended once; or empty */
} omniq_inbound_t;

/*
 * HTTP routes: a channel whose provider calls us over HTTP (WeChat, Kannel, an MTA's pipe)
 * registers a route below /hooks/ and omniq_ws serves it, in its own processes, next to
 * the REST API: one listener, one TLS setup, one place for body and rate limits. The handler
 * runs in an omniq_ws process while the request waits, so it may do what a REST handler
 * does - the API calls above, one Redis round trip each - and must not block on anything
 * else (send outbound traffic through outbound_add). It starts on the default tenant and may
 * switch with tenant_use(); the server switches back after it.
 */
typedef struct omniq_http_req omniq_http_req_t;
struct omniq_http_req {
	str method;  /* "GET", "POST", "PUT" or "DELETE" */
	str path;    /* the whole path, "/hooks/wechat/acme" */
	str rest;    /* what follows the route's own path: "" or "/acme" */
	str body;    /* as received, at most the route's max_body; NUL-terminated (s[len] == 0) */
	str peer;    /* the client's address */
	/* Request header name (case-insensitive, "Content-Type"), or URL query argument name
	 * (URL-decoded, "signature"), copied NUL-terminated into buf: its length, or -1 when it
	 * is absent or does not fit size - 1 bytes. */
	int (*header)(const omniq_http_req_t *rq, const char *name, char *buf, int size);
	int (*arg)(const omniq_http_req_t *rq, const char *name, char *buf, int size);
	void *server; /* the server's own */
};

#define OMNIQ_HTTP_RESP_MAX 65536

typedef struct omniq_http_resp {
	int status;    /* 200 unless the handler changes it; 200..599 */
	char type[64]; /* Content-Type, "text/plain; charset=utf-8" unless changed */
	char *body;    /* the server's buffer of size (OMNIQ_HTTP_RESP_MAX) bytes */
	int len;       /* bytes of body to send, 0..size */
	int size;
} omniq_http_resp_t;

/* 0: rs is the answer. <0: the hook failed, the server logs it and answers 500. */
typedef int (*omniq_http_handler)(const omniq_http_req_t *rq, omniq_http_resp_t *rs,
		void *param);

typedef struct omniq_http_route {
	str path;      /* "/hooks/<name>[/<more>...]" (segments of [A-Za-z0-9._-]); it serves
	                * that path and every path below it, the longest registered path wins */
	int max_body;  /* request body limit in bytes; 0: omniq_ws's max_body; at most 16 MiB */
	omniq_http_handler handle;
	void *param;
} omniq_http_route_t;

#define OMNIQ_HTTP_ROUTES_MAX 32
#define OMNIQ_HTTP_BODY_MAX (16 * 1024 * 1024)

/* One message of api.append_many(). In: sid, dir, from, body as append() takes them
 * (from may be empty), and cid: empty, or the client's id for the message (1..64 bytes),
 * which appends it once as append_once() does. Out: rc, OMNIQ_OK (appended), 1 (cid was
 * appended before: nothing written) or the code append() would return; id, the entry's
 * transcript id when rc >= 0; why, the reason when rc < 0 (what last_error() would say). */
typedef struct omniq_append {
	str sid, dir, from, body, cid;
	int rc;
	char id[48];
	char why[160];
} omniq_append_t;

#define OMNIQ_APPEND_MANY_MAX 256

/* An agent's reply handed to a channel without a sender (omniq_driver_t.deliver). The
 * strings live until deliver() returns. */
typedef struct omniq_delivery {
	str sid;
	str channel;
	str ext;       /* the channel's own reference given at open() or ingest() (ingest
	                * gives the identity when the channel gave none); may be empty */
	str identity;  /* the customer's identity on this channel, canonical ("chan:line:U4a",
	                * "tel:+8613800138000"): whom to answer, always set */
	str from;      /* the agent who wrote it, or who the integration named */
	str type;      /* "text", or "image", "voice", "video", "file" (reply_typed: body is
	                * then the file's /media/<tenant>/<key>) */
	str body;
	str tenant;    /* whose session: the current tenant while deliver() runs */
} omniq_delivery_t;

typedef struct omniq_driver {
	str channel;        /* `[a-z][a-z0-9_-]{0,31}`, e.g. "sms" */
	int cls;            /* OMNIQ_CLASS_* */
	unsigned int caps;  /* OMNIQ_CAP_* */
	/* Agent → customer, for a channel without a sender (register_sender): called in the
	 * process that called api.reply() (a SIP worker, an omniq_ws process, the ctl process
	 * of a kamcmd), in that same call, with the session's tenant current; one bounded
	 * network send at most. Return 0 when handed to the channel, <0 to report the reply
	 * undelivered (reply() then answers OMNIQ_EINTERNAL; the reply stays in the
	 * transcript). */
	int (*deliver)(const omniq_delivery_t *d, void *param);
	/* Called in the omniq dispatcher process of every node for events of this channel; a
	 * driver that owns node-local state (a suspended transaction) checks ext. Every driver
	 * also gets the tenant's "resync" (omniq_event_t) when events were lost. May be NULL. */
	void (*event)(const omniq_event_t *ev, void *param);
	void *param;
	/* Who registers it, for the log line when two register one channel ("omniq_sms",
	 * "modparam omniq_ws channel"); NULL: "a module". */
	const char *owner;
} omniq_driver_t;

/* Outbound delivery (docs/redis-model.md, "Outbound delivery"): a channel whose replies
 * leave through a provider (WeChat, SMS, email, a webhook) registers a sender instead of
 * delivering in deliver(): omniq queues each reply in Redis in the same step as it stores
 * it, and runs the sender in a process of its own, so that a slow or failing provider never
 * holds a SIP worker or the web loop, and retries, backoff and the state the agent sees are
 * the same for every channel. */

/* One message handed to a sender. The strings live until send() returns. */
typedef struct omniq_outbound {
	int tenant;        /* index; it is the current tenant while send() runs */
	str did;           /* the delivery: the same on every attempt (a provider's idempotency
	                      key, where it takes one) */
	int attempt;       /* 1, 2, ... */
	str sid, tx;       /* the session and its transcript entry */
	str ext;           /* the customer's address on the channel when the reply was queued */
	str from, type, body;
} omniq_outbound_t;

typedef enum omniq_send_outcome {
	OMNIQ_SENT = 0,     /* handed to the provider (provider_id: its id, may be empty) */
	OMNIQ_DELIVERED,    /* the provider says it reached the customer */
	OMNIQ_RETRY,        /* not this time (reason; retry_after_ms: the provider's wait) */
	OMNIQ_FAILED        /* refused for good (reason, in the provider's words) */
} omniq_send_outcome_t;

typedef struct omniq_send_result {
	omniq_send_outcome_t outcome;
	char provider_id[OMNIQ_PROVIDER_ID_MAX + 1];
	char reason[OMNIQ_REASON_MAX + 1];
	int retry_after_ms;
} omniq_send_result_t;

typedef struct omniq_sender {
	str channel;        /* `[a-z][a-z0-9_-]{0,31}`: its replies are queued for this sender */
	/* In the sender's process ("omniq sender <channel>"), once, before the first send:
	 * open what send() needs (a curl handle). <0 stops kamailio's start. May be NULL. */
	int (*init)(void *param);
	/* One attempt at one message: may block for one bounded provider request (well within
	 * lease_ms). Sets res->outcome and what goes with it; res arrives zeroed. */
	void (*send)(const omniq_outbound_t *m, omniq_send_result_t *res, void *param);
	void *param;
	int attempts;       /* 1..100; 0: 8. The last retry fails the message and tells the agent */
	int lease_ms;       /* 1000..3600000; 0: 60000. A sender that stops for longer loses the
	                       message to another (it is sent again: at least once) */
	int backoff_ms;     /* 0..86400000; 0: 2000. Retry n waits backoff_ms × 2^(n-1) ... */
	int backoff_max_ms; /* ... up to this (0: 600000), or the provider's retry_after_ms */
	int poll_ms;        /* 10..60000; 0: 1000. An idle sender waits in Redis for a queued
	                       message to wake it, this long at most (a retry come due) */
} omniq_sender_t;

/* What media_open() knows of a media key. */
enum { OMNIQ_MEDIA_PENDING = 0, OMNIQ_MEDIA_READY, OMNIQ_MEDIA_FAILED };
typedef struct omniq_media {
	int state;                       /* OMNIQ_MEDIA_* */
	int ask;                         /* 1: queue the fetch now (see media_open) */
	char channel[OMNIQ_CHANNEL_MAX + 1];
	char ref[OMNIQ_TEXT_MAX + 1];    /* the channel's handle of the file */
	char type[129];                  /* ready: its media type, lower case */
	char reason[OMNIQ_REASON_MAX + 1]; /* failed: the provider's words */
	const char *data;                /* ready: the bytes, len of them */
	size_t len;
	void *priv_;
} omniq_media_t;

typedef struct omniq_api {
	int version;
	/* From mod_init only (drivers are copied into every child at fork). */
	int (*register_driver)(const omniq_driver_t *drv);
	/* A customer contact on a channel: finds or creates the customer from identity, opens a
	 * session and routes it at once. skills: "sales,en" or empty; priority 0..1000; queue and
	 * ext (the channel's own reference, at most 256 bytes, handed back in events and
	 * deliver()) may be NULL. */
	int (*open)(const str *channel, const str *identity, const str *skills, int priority,
			const str *queue, const str *ext, omniq_session_info_t *out);
	/* Transcript entry. dir: "in" (customer), "out" (agent), "sys". */
	int (*append)(const str *sid, const str *dir, const str *from, const str *body);
	/* Agent reply: appended as "out" and, in the same round trip, queued for the channel's
	 * sender when it has one (register_sender: sent in the background, its state shown to
	 * the agent; OMNIQ_ECAPACITY when that queue is full, nothing stored), else handed to the
	 * channel driver's deliver(). */
	int (*reply)(const str *sid, const str *from, const str *body);
	int (*accept)(const str *sid, const str *agent);
	int (*decline)(const str *sid, const str *agent);
	/* Agent finished: wrap-up or closed. disposition: resolved, complaint, lead, ... */
	int (*close)(const str *sid, const str *disposition);
	/* Customer left before being served (queued or offered). 1 (no error) when the customer
	 * had asked to be called back (omniq_callback): the session keeps its place. */
	int (*abandon)(const str *sid);
	int (*get)(const str *sid, omniq_session_info_t *out);
	const char *(*strerror)(int code);
	/* Human reason of the last failed call in this process (for a log line or reply). */
	const char *(*last_error)(void);
	/* The agent failed to take an offer the channel delivered (a phone that rejects, does
	 * not answer or is not registered): the session is re-queued and re-routed at once,
	 * never to that agent again; the agent counts a miss and is set away at max_misses, or
	 * at once when away is 1. OMNIQ_ESTATE/OMNIQ_EAGENT: the offer was no longer this one. */
	int (*miss)(const str *sid, const str *agent, int away);
	/* A queued session waited longer than the channel allows (a queue's own maximum wait):
	 * it becomes expired. OMNIQ_ESTATE when it was offered in the meantime. */
	int (*expire)(const str *sid);
	/* For a module that needs a Redis connection of its own, e.g. a thread blocking on the
	 * event stream <prefix>:events (see docs/redis-model.md). Never write keys directly:
	 * every change goes through the calls above. */
	void (*conn_info)(omniq_conn_info_t *out);
	/* Transcript entries after id `after` (NULL or "": from the start), at most count
	 * (1..1000), oldest first, one cb per entry: what a reconnecting client missed. Returns
	 * the number of entries or an OMNIQ_* error. */
	int (*transcript)(const str *sid, const str *after, int count, omniq_tx_cb cb, void *arg);
	/* A read in one Redis round trip, for desks and REST APIs. what / arguments / rows:
	 *   "session" sid, "agent" aid, "customer" identity-or-cid, "stats", "queues",
	 *   "agents" start count, "followups" from_ms to_ms count: one row, flat key, value, ...
	 *   "agent_sessions" aid (the agent's inbox), "queue" name start count,
	 *   "history" identity-or-cid count (the customer's past sessions, newest first):
	 *   one row per record, flat key, value, ...
	 * (docs/redis-model.md describes each reply.) Returns the number of rows or an OMNIQ_*
	 * error; an unknown `what` is OMNIQ_EARG. */
	int (*query)(const char *what, int argc, const str *argv, omniq_row_cb cb, void *arg);
	/* Agents from a desk or REST API: same rules as the omniq.agent_* RPC commands. */
	int (*agent_set)(const str *aid, const str *name, const str *skills, const str *caps,
			const str *contact);
	int (*agent_state)(const str *aid, const str *presence);
	/* An agent hands an active session on: kind "agent" (offered to that agent, who must be
	 * available with room: else OMNIQ_ECAPACITY and nothing changes) or "queue" (re-queued
	 * there, skills replaced unless empty, seniority kept). Never offered back to `agent`.
	 * A session of a channel whose driver has OMNIQ_CAP_REFER (a call) is not moved:
	 * the same checks pass, the driver is asked (event "refer") and OMNIQ_REFERRING comes
	 * back; the session moves when the contact does (or stays, the transcript saying why). */
	int (*transfer)(const str *sid, const str *agent, const str *kind, const str *target,
			const str *skills);
	/* One session field: tags, csat (1..5), nps (0..10), disposition, follow_up (YYYY-MM-DD
	 * or empty to clear: a return visit on that day). */
	int (*session_set)(const str *sid, const str *field, const str *value);
	/* Desk passwords, kept in Redis as a salted PBKDF2-SHA256 hash (never the password).
	 * agent_verify: OMNIQ_OK, or OMNIQ_EAGENT for a wrong password, an unknown agent or an
	 * agent without a password alike (so a login form cannot probe agent ids). */
	int (*agent_password)(const str *aid, const str *password);
	int (*agent_verify)(const str *aid, const str *password);
	/* Someone is writing: dir "in" (the customer) or "out" (the agent). Only an event of
	 * type "typing" for the sockets that follow the session (nothing stored, no
	 * event_route); OMNIQ_ESTATE once the session has ended. */
	int (*typing)(const str *sid, const str *dir, const str *from);
	/* append() for a client that may send one message twice (it resends what was not
	 * acknowledged before its connection dropped): cid, 1..64 bytes, names the message
	 * within the session. The first time: appended, OMNIQ_OK. Every later time: nothing
	 * written, 1. Either way id_out (48 bytes) gets the entry's transcript id. */
	int (*append_once)(const str *sid, const str *dir, const str *from, const str *body,
			const str *cid, char *id_out, int id_size);
	/* Leases of live connections, for "is this customer connected anywhere?" across
	 * processes and nodes. pairs: n × (identity, connection id unique to the server);
	 * ttl_ms 1000..600000 (re)leases them, 0 ends them. A server renews well within the
	 * lease; one that dies stops counting when its leases run out. */
	int (*presence)(int n, const str *pairs, int ttl_ms);
	/* The number of live leases of identity, or an OMNIQ_* error. */
	int (*online)(const str *identity);
	/* Gone: the notification outbox had one sender (omniq_ws' pushes), now an outbound
	 * sender. Kept in its place for the members after it; always OMNIQ_EARG, nothing
	 * written. Use outbound_add() for a registered sender's channel. */
	int (*outbox_add)(const str *kind, const str *target, const str *unless_online,
			const str *payload, char *id_out, int id_size);
	/* A customer's profile field: name, tier, language, region, channel (the one they
	 * prefer to be contacted on: follow-ups use it), surveys ("no": they opted out of
	 * surveys; "": asked) (value up to 256 bytes).
	 * cid may be a merged customer's: the write goes to the one it was merged into. */
	int (*customer_set)(const str *cid, const str *field, const str *value);
	/* Two identities to one customer (created when neither is known; when both are, on two
	 * customers, b's is merged into a's). cid_out (may be NULL) gets the customer id. */
	int (*link)(const str *a, const str *b, char *cid_out, int size);
	/* Customer from into customer into: identities and history move, nothing is lost;
	 * OMNIQ_ESTATE when either is already merged. */
	int (*merge)(const str *from, const str *into);
	/* A customer's message on a messaging channel (SMS, email, an integrator's channel),
	 * in one round trip: appended to the customer's live session on that channel (the
	 * latest one, unless it has ended), else to a session opened - or reopened within
	 * reopen_window - and routed as open() does. out gets the session (may be NULL), id_out
	 * (48 bytes, may be NULL) the transcript id. Returns OMNIQ_OK when appended to the live
	 * session, 2 when appended to the session it opened, 1 when m->cid was appended before
	 * (nothing written; out and id_out name that entry, even if its session has ended),
	 * OMNIQ_INGEST_SURVEY when it answered the survey of the customer's latest session on
	 * the channel, which has ended (recorded there: out names that session, still ended).
	 * Voice channels are refused (OMNIQ_EARG): a call is opened with open(). */
	int (*ingest)(const omniq_inbound_t *m, omniq_session_info_t *out, char *id_out,
			int id_size);
	/* Tenants (modparam tenant, repeatable; the first is the default). Every call above
	 * acts on the current tenant of the calling process, the default one unless switched.
	 * tenant_use() switches: the tenant's index, or OMNIQ_EARG when it is not served here
	 * (nothing changes). A module that serves several tenants switches before each piece
	 * of work (a request, a socket message) and back to 0 after; the dispatcher does so for
	 * the events it hands to drivers. */
	int (*tenant_use)(const str *name);
	/* Tenant i (0 the default): its name and key prefix ("oq:{<name>}"); -1 past the last,
	 * so for(i = 0; api.tenant_at(i, &n, &p) == 0; i++) walks them. */
	int (*tenant_at)(int i, str *name, str *prefix);
	/* Tenant i current (0 ≤ i, past the last: no change). */
	void (*tenant_use_index)(int i);
	/* From mod_init only (copied into every child at fork): serve r->path and below
	 * through omniq_ws. OMNIQ_EARG for a bad path or limit, a path already registered, or
	 * more than OMNIQ_HTTP_ROUTES_MAX routes. */
	int (*register_http_route)(const omniq_http_route_t *r);
	/* The route serving path (the longest registered prefix on a '/' boundary), or NULL:
	 * what omniq_ws asks for every request below /hooks/. */
	const omniq_http_route_t *(*http_route_find)(const str *path);
	/* append() or append_once() for n messages (1..OMNIQ_APPEND_MANY_MAX) in one Redis
	 * round trip instead of n: for a server that reads many customers' messages per turn of
	 * its loop. Each one is checked and answered on its own (m[i].rc, id, why); they are
	 * appended in order, so a session's messages keep theirs. Returns how many were
	 * appended, not counting duplicates (OMNIQ_EARG for a bad n). When the connection fails
	 * midway, those not answered get OMNIQ_EREDIS: as with append(), such a message may
	 * have been written before the reply was lost. */
	int (*append_many)(omniq_append_t *m, int n);
	/* The current tenant's index (see tenant_use): for a driver's deliver(), which runs in
	 * the process that called reply() with the session's tenant current, and its event(),
	 * which the dispatcher calls with the event's tenant current: to pick that tenant's
	 * settings. */
	int (*tenant_index)(void);
	/* Desk login attempts, counted in Redis so that the limit holds across every process
	 * and node. login_try, before a password check: counts the attempt for key (e.g.
	 * "<address> <agent>", 1..256 bytes) and returns 1, or returns 0 with *wait the seconds
	 * left when key already has `fails` attempts within `window` seconds. login_done, after
	 * it: ok 1 (right password) clears key's count, -1 (not checked: Redis, the hash) takes
	 * the attempt back, 0 (wrong) keeps it. Counting up front makes attempts sent all at
	 * once, to any process, get no more checks than attempts sent one after another. */
	int (*login_try)(const str *key, int fails, int window, int *wait);
	int (*login_done)(const str *key, int ok);
	/* A Redis connection of a module's own (a thread blocking on a stream, see conn_info):
	 * hiredis' blocking context on conn, connected within timeout_ms, AUTH and SELECT made,
	 * no command timeout set (redisSetTimeout); NULL with why. Made the way omniq makes its
	 * own: one that cannot allocate fails instead of aborting the process (as hiredis 0.14's
	 * own connect does). */
	struct redisContext *(*redis_connect)(const omniq_conn_info_t *conn, int timeout_ms,
			char *why, int size);
	/* redisGetReply() on such a connection, which writes what was appended itself first:
	 * hiredis 0.14's own write crashes when an allocation fails there. Use it for every
	 * reply (redis_append or redisAppendCommand, then redis_reply; not redisCommand*). */
	int (*redis_reply)(struct redisContext *c, void **reply);
	/* A module's own reader of a tenant's event stream (<prefix>:events, e.g. a thread
	 * blocking on it, see omniq_events.h): has it lost events? xinfo is the reply to XINFO
	 * STREAM <prefix>:events sent with a read when omniq_events_due() says so - written
	 * just before the XREAD, so that the check costs no round trip of its own - and once
	 * before the first read, which anchors pos at the stream's end. Returns 0 (nothing
	 * missed), 1 (entries after pos->last are gone: gap says what, pos is moved to the
	 * stream's end; drop what that read returned of this stream, resynchronise from state
	 * and tell it once with events_gap) or -1 (xinfo is not such a reply: pos unchanged).
	 * Neither Redis nor Kamailio memory: a module's thread may call it. */
	int (*events_check)(omniq_events_pos_t *pos, const struct redisReply *xinfo,
			long long now_ms, omniq_events_gap_t *gap);
	/* The one WARNING log line for a gap of tenant t's stream (reader: who lost it, e.g.
	 * "omniq_ws process 1"), counted in the statistic omniq:events_gaps. From the
	 * process's main thread. */
	void (*events_gap)(int tenant, const omniq_events_gap_t *gap, const char *reader);
	/* open(), for a contact held in a node's memory (a phone call in a kamailio's SIP
	 * transaction and dialog): node (an id, e.g. omniq_sip's `node`) owns the session until
	 * it ends, and the session ends (reason node_lost) when the node's lease runs out. */
	int (*open_node)(const str *channel, const str *identity, const str *skills, int priority,
			const str *queue, const str *ext, const str *node, omniq_session_info_t *out);
	/* node's lease renewed for ttl_ms (1000..3600000; call it well within that); start = 1
	 * when the node starts: the sessions it owned before end (reason node_restarted). Each
	 * call also ends sessions of nodes whose lease ran out (reason node_lost). Returns the
	 * sessions it ended, or an OMNIQ_* error. One round trip. */
	int (*node_lease)(const str *node, int ttl_ms, int start);
	/* redisAppendCommandArgv() on such a connection (redis_connect), without its leak:
	 * hiredis 0.14's loses its command buffer when an allocation fails. argvlen NULL: each
	 * argument's strlen. REDIS_OK, or REDIS_ERR with c->errstr. Any thread may call it. */
	int (*redis_append)(struct redisContext *c, int argc, const char **argv,
			const size_t *argvlen);
	/* One read of n (1..OMNIQ_TENANTS_MAX) event streams appended to such a connection:
	 * XINFO STREAM keys[i] for each check[i] (omniq_events_due: the checks events_check
	 * reads), then XREAD COUNT count BLOCK block_ms STREAMS keys... ids.... Read the replies
	 * with redis_reply, the checks' first. REDIS_OK, or REDIS_ERR with c->errstr. Any
	 * thread may call it. */
	int (*events_read)(struct redisContext *c, int n, const char *const *keys,
			const char *const *ids, const int *check, int block_ms, int count);
	/* A reply that says Redis has no omniq function library (FUNCTION FLUSH, a replica
	 * promoted without it): nothing of that FCALL ran. library_load loads it again on such
	 * a connection (FUNCTION LOAD REPLACE of the library this omniq embeds): 0, or -1 with
	 * why; then make the call once more. Any thread may call both. */
	int (*library_missing)(const struct redisReply *r);
	int (*library_load)(struct redisContext *c, char *why, int size);
	/* Whether the agent has a phone registered anywhere (a telephony channel's registrar):
	 * has 0 keeps her out of voice routing - no call is offered to a phone that cannot
	 * ring, and she is not set away for it; chats and emails as before - has 1 brings calls
	 * back and pulls the waiting calls she has room for. An agent never told is taken to
	 * have one. 0 or an OMNIQ_* error; one round trip. */
	int (*agent_phone)(const str *aid, int has);
	/* Desk tokens: each carries the epoch of its agent it was issued in, and is good only
	 * while that is still the agent's current one. agent_token: the current epoch (0 when
	 * never moved on). agent_revoke: a logout - moves the epoch on, so every token issued
	 * before ends on every node (a 'revoke' event, state the new epoch, closes the desks
	 * open with them); epoch is the token's (-1: any), a token no longer current is
	 * refused (OMNIQ_ESTATE). A new password (agent_password) moves it on too. OMNIQ_OK or
	 * an OMNIQ_* error; one round trip each; any thread may call both. */
	int (*agent_token)(const str *aid, long long *epoch);
	int (*agent_revoke)(const str *aid, long long epoch, long long *now);
	/* agent_set() for a partial update: a field given NULL is left as it is on an existing
	 * agent (a new one gets the defaults), in one call that no concurrent update can
	 * interleave with (a REST PUT naming some fields). */
	int (*agent_update)(const str *aid, const str *name, const str *skills, const str *caps,
			const str *contact);
	/* A waiting session taken by a person rather than by routing, because routing never
	 * offers it again to one who declined it or let its offer lapse, nor to one without
	 * its skills: queued -> offered to agent (available, with room in its class). by: the
	 * agent itself (the desk's queue view), a supervisor (agent_role), or NULL/"" for an
	 * administrator. OMNIQ_EAGENT when by may not, OMNIQ_ESTATE when it no longer waits,
	 * OMNIQ_ECAPACITY when agent cannot take it now. One round trip. */
	int (*pick)(const str *sid, const str *agent, const str *by);
	/* "agent" (the default) or "supervisor": a supervisor sees every waiting session in
	 * the desk and may pick one for a colleague. One round trip. */
	int (*agent_role)(const str *aid, const str *role);
	/* open() for a messaging channel's first message: the customer's live session on this
	 * channel (queued, offered or active) when it has one - 1, *out that session - else a
	 * new one as open() - 0. Two devices or tabs of one customer that write at once end up
	 * in one conversation. claimed: NULL, or {name, contact} a visitor typed about
	 * themselves, set on a new session (claimed_name, claimed_contact) before anyone is
	 * offered it: labels for the agent, never identities. One round trip. */
	int (*open_live)(const str *channel, const str *identity, const str *skills, int priority,
			const str *queue, const str *ext, const str *claimed, omniq_session_info_t *out);
	/* A saved reply: the tenant's (aid NULL or "", every agent picks it) or one agent's own;
	 * text NULL or "" deletes it (OMNIQ_ENOTFOUND when there is none). query("canned",
	 * aid) lists what an agent may pick. OMNIQ_ECAPACITY past CANNED_MAX. One round trip. */
	int (*canned_set)(const str *aid, const str *name, const str *text);
	/* append_many() in two halves, for a module that does the I/O on a connection of its
	 * own (redis_connect) from its event loop instead of blocking a thread on it.
	 * append_many_write checks m[] as append_many does (a refused message gets its rc and
	 * why at once), adds the commands for the rest to c's output buffer (redis_flush
	 * writes it) and marks them OMNIQ_APPEND_SENT; it returns how many replies they will
	 * get (0: nothing to send; OMNIQ_EARG for a bad n; OMNIQ_EREDIS when c cannot take
	 * them: every message then answered so). append_many_read takes those replies in order,
	 * call 0, 1, ... (reply NULL: it never came, the connection failed), and answers the
	 * messages of that call as append_many would (the first ones still marked
	 * OMNIQ_APPEND_SENT); it keeps nothing but what is in m[].
	 * Thread rules as append_many. */
	int (*append_many_write)(struct redisContext *c, omniq_append_t *m, int n);
	void (*append_many_read)(omniq_append_t *m, int n, int call, struct redisReply *reply);
	/* What was added to c's output buffer, written (blocking, within c's send timeout);
	 * REDIS_OK or REDIS_ERR (c->errstr says why). hiredis 0.14's own write crashes when an
	 * allocation fails (see redis_reply). */
	int (*redis_flush)(struct redisContext *c);
	/* From mod_init only: s->send runs in a process of its own for every tenant's replies
	 * on s->channel, which oq_send queues from then on (on every node: Redis keeps which
	 * channels are queued). One sender per channel per kamailio; senders on several nodes
	 * share the queue. OMNIQ_EARG for a bad channel or setting, or one registered twice. */
	int (*register_sender)(const omniq_sender_t *s);
	/* A provider's delivery report for the message it knows as provider_id on channel:
	 * state "delivered", "failed" or "sent" (accepted, buffered), reason its words (may be
	 * NULL). A delivered or failed message stays so. 1 when no sender has recorded that id
	 * yet (a report that beat the answer of the request that sent the message): it is kept
	 * 10 minutes and applies when a sender records the id. OMNIQ_ENOTFOUND when no sender
	 * of channel has ever run. One round trip; any process. */
	int (*delivery_report)(const str *channel, const str *provider_id, const str *state,
			const str *reason);
	/* transcript() with each entry whole, the delivery state of the agent's messages sent
	 * through a sender included: what a desk shows beside each message. */
	int (*transcript_read)(const str *sid, const str *after, int count, omniq_tx_entry_cb cb,
			void *arg);
	/* A message of no session for channel's senders (a staff alert, a push for an app
	 * user): to (the recipient's address on the channel, up to OMNIQ_TEXT_MAX), from (may
	 * be NULL), body. When unless_online (may be NULL) is an identity with a live
	 * connection lease (presence), nothing is queued: 1. Else OMNIQ_OK, did_out (may be
	 * NULL) gets its delivery id, and it goes through the same retries and states as a
	 * reply (delivery events with an empty sid). OMNIQ_ENOTFOUND when no node runs a
	 * sender of channel, OMNIQ_ECAPACITY when its queue is full. One round trip; any
	 * process. */
	int (*outbound_add)(const str *channel, const str *to, const str *from, const str *body,
			const str *unless_online, char *did_out, int size);
	/* A channel's own small values, shared by every process and node of the current
	 * tenant: a provider's access token, a fetch cursor. name: 1..128 bytes of letters,
	 * digits and . _ : @ -. One round trip each; any process.
	 * chan_get: the value NUL-terminated into out, its time to live in *ttl_ms (-1: kept;
	 * may be NULL). OMNIQ_ENOTFOUND when unset or expired, OMNIQ_EARG when it does not
	 * fit size - 1 bytes. */
	int (*chan_get)(const str *channel, const str *name, char *out, int size,
			long long *ttl_ms);
	/* value (0..4096 bytes, no NUL; empty deletes it) kept ttl_ms (0: until changed; at
	 * most 31 days). */
	int (*chan_set)(const str *channel, const str *name, const str *value, long long ttl_ms);
	/* A lease for one holder at a time across processes and nodes (one refresher of a
	 * token, one fetcher of a cursor): OMNIQ_OK when owner holds it now, taken or renewed
	 * for ttl_ms, and 1 when another holds it (*left_ms: for how long; may be NULL).
	 * ttl_ms 0 gives owner's up (OMNIQ_OK). A holder that dies loses it when it runs out. */
	int (*chan_lease)(const str *channel, const str *name, const str *owner,
			long long ttl_ms, long long *left_ms);
	/* One part of a message that comes in parts (an SMS's concatenated parts, each with a
	 * UDH saying which of how many): kept under name (make it unique to the message: the
	 * sender, its reference and the total) until the last of total has come, then handed
	 * to cb once - cb(arg, total, parts in order) - and forgotten: OMNIQ_OK. 1: kept,
	 * others still missing. index 1..total, total 1..255 (1: cb at once, nothing kept),
	 * value as chan_set's; a part given again replaces itself. ttl_ms (1 ms..31 days)
	 * counts from a message's first part: after it, chan_parts_due hands out what came, so
	 * that a part lost on the way never loses the others. OMNIQ_ECAPACITY when
	 * CHAN_PART_SETS_MAX messages wait already. One round trip. */
	int (*chan_part)(const str *channel, const str *name, int index, int total,
			const str *value, long long ttl_ms, omniq_row_cb cb, void *arg);
	/* One message of channel whose parts did not all come within their ttl_ms, taken
	 * from Redis and handed to cb once: cb(arg, n, items), items = name, total, then
	 * index and value of each part that came, in order. OMNIQ_OK, or OMNIQ_ENOTFOUND when
	 * none is due. Call it from a timer until it says ENOTFOUND. One round trip. */
	int (*chan_parts_due)(const str *channel, omniq_row_cb cb, void *arg);
	/* Media a provider keeps (a WeChat voice message or photo, an MMS picture), fetched
	 * only when an agent opens it: the channel names the file in the customer's message by
	 * a key, omniq_ws serves /media/<tenant>/<key> to the agent, and on the first open asks
	 * the channel's sender (outbound_add to "media:<key>", body the ref) to fetch it.
	 * media_ref: a new key (32 hex digits, from a random source: whoever holds it may
	 * see the file) for the channel's own handle of the file (ref, "<appid>:<media_id>"),
	 * kept ttl_ms (1 ms..31 days: as long as the provider keeps the file). */
	int (*media_ref)(const str *channel, const str *ref, long long ttl_ms, char *key_out,
			int size);
	/* What is known of key: OMNIQ_OK with m filled (m->data, when ready, lives until
	 * media_free), OMNIQ_ENOTFOUND when unknown or expired. m->ask is 1 for one caller
	 * a minute while it is pending: that caller queues the fetch. */
	int (*media_open)(const str *key, omniq_media_t *m);
	void (*media_free)(omniq_media_t *m);
	/* From the channel's sender: the fetched bytes (data, at most OMNIQ_MEDIA_MAX, with
	 * their media type), or no data and the provider's reason (the file is gone: the agent
	 * is told why). Kept ttl_ms. OMNIQ_ENOTFOUND when the key expired meanwhile. */
	int (*media_put)(const str *key, const str *type, const str *data, const str *reason,
			long long ttl_ms);
	/* reply() of a file an agent sends (a photo, a voice message): type image, voice, video
	 * or file ("text" is reply()), body "/media/<this tenant>/<key>" of a file kept with
	 * media_ref + media_put. The channel's sender gets the type and the path, opens the file
	 * (media_open) and sends it as its provider takes files; a sender that cannot fails it
	 * and the agent is told. */
	int (*reply_typed)(const str *sid, const str *from, const str *type, const str *body);
	/* ingest() for a channel whose messages say which conversation they continue (email:
	 * In-Reply-To, References, a token in the subject). thread: NULL or empty, as ingest();
	 * "new", a message that continues none (a new session, even while one is live); or the
	 * session id it answers: appended there while that session lives, else that session
	 * reopened within reopen_window, else a new one. A thread that is no session of this
	 * channel any more is taken as "new". A cid seen before on the thread or on the
	 * customer's latest session of the channel is a duplicate (1), as in ingest(). */
	int (*ingest_thread)(const omniq_inbound_t *m, const str *thread,
			omniq_session_info_t *out, char *id_out, int id_size);
	/* chan_get() of the first of n names (1..OMNIQ_CHAN_NAMES_MAX, in the order given) that
	 * is set, in one round trip instead of one per name: for a value that may be under any
	 * of several names (email: the session of a mail's own Message-ID, else of the ones it
	 * answers). OMNIQ_OK with the value in out and its name's index in *which (may be NULL),
	 * OMNIQ_ENOTFOUND when none is set; OMNIQ_EARG as chan_get, for any of the names. */
	int (*chan_get_first)(const str *channel, int n, const str *names, char *out, int size,
			int *which);
	/* chan_set() of n values (1..OMNIQ_CHAN_NAMES_MAX) in one round trip: values[i] under
	 * names[i], each kept ttl_ms. Every one is checked before any is written (OMNIQ_EARG:
	 * none written). */
	int (*chan_set_many)(const str *channel, int n, const str *names, const str *values,
			long long ttl_ms);
	/* A follow-up (a callback, a return visit; docs/admin.md "Follow-ups") of session sid
	 * (its customer, channel, agent and queue unless given) or of customer cid: one of the
	 * two, the other NULL or empty. due: "+<seconds>" from now, or ms since the epoch;
	 * channel, agent, queue NULL or empty for the session's (the customer's last). When due
	 * it becomes a session of the customer, offered to its agent first. Its id into fid_out
	 * (24 bytes hold any). */
	int (*followup_add)(const str *sid, const str *cid, const str *due, const str *reason,
			const str *channel, const str *agent, const str *queue, char *fid_out, int size);
	/* The agent's outcome of an opened follow-up: "reached", "refused", or "no_answer" (tried
	 * again after its retry interval while retries are left); note may be NULL.
	 * OMNIQ_ESTATE when it is not opened. */
	int (*followup_done)(const str *fid, const str *outcome, const str *note);
	/* A waiting customer asks to be called back instead of waiting (a caller's key, a chat
	 * customer's button): the session keeps its place, the customer may leave (abandon()
	 * then answers 1 and keeps it), and its turn comes as a callback to `to` (an identity
	 * such as tel:+86..., NULL or empty for the session's own). OMNIQ_ESTATE when it does
	 * not wait. */
	int (*callback)(const str *sid, const str *to);
	/* An agent takes session sid's service-level alert in hand (its history keeps who and
	 * when). told 1 (an agent's own desk): only someone an alert of it was sent to may
	 * (OMNIQ_EAGENT otherwise); OMNIQ_ESTATE when it has had no alert. */
	int (*sla_ack)(const str *sid, const str *agent, int told);
	/* An administrator's service settings (docs/admin.md "Service levels", "Business
	 * hours"), for a REST or web surface; read them with query("sla_policies") and
	 * query("hours", queue). sla_set: policy `name` made or changed with n (1..OMNIQ_SLA_FIELDS_MAX)
	 * fields[i] = values[i] as omniq.sla_set takes them, every one checked before any is
	 * written (OMNIQ_EARG naming the bad one). hours_set: queue's hours worked out and kept
	 * as omniq.hours_set does (except, notice NULL or empty for none). sla_del, hours_del:
	 * OMNIQ_ENOTFOUND when there was none. */
	int (*sla_set)(const str *name, int n, const str *fields, const str *values);
	int (*sla_del)(const str *name);
	int (*hours_set)(const str *queue, const str *tz, const str *week, const str *except,
			const str *notice);
	int (*hours_del)(const str *queue);
	/* Routing by value and region (docs/admin.md): a customer tier's priority added and
	 * skills required (tier_del: OMNIQ_ENOTFOUND when none), and the region of phone
	 * numbers starting with prefix (region NULL or empty takes it out); read them with
	 * query("tiers") and query("region_prefixes"). */
	int (*tier_set)(const str *name, int priority, const str *skills);
	int (*tier_del)(const str *name);
	int (*region_prefix_set)(const str *prefix, const str *region);
	/* Click-to-dial (omniq_sip, docs/admin-sip.md): a phone session with no call of its
	 * own (a follow-up's, a callback's) offered to agent is dialled by one node, though
	 * every node's driver sees the offer. The first to ask gets OMNIQ_OK with whom to call
	 * in to_out (an identity: tel:+86...), kind_out ("followup", "callback" or "call") and
	 * the follow-up's id in fid_out ("" for none); the session is then node's as
	 * open_node()'s are (it ends when the node's lease runs out) and its ext
	 * "<node>/dial/<sid>". OMNIQ_ESTATE when another node took this offer or it stands no
	 * more; OMNIQ_EARG when the session is no call or has a call of its own. The next offer
	 * of the session (after this agent's miss) is claimed afresh. One round trip. */
	int (*dial_claim)(const str *sid, const str *agent, const str *node, char *to_out,
			int to_size, char *kind_out, int kind_size, char *fid_out, int fid_size);
	/* A regional queue (docs/admin.md, "Routing by value and region"): sessions coming to
	 * queue whose customer is of region wait in target, that region's team's queue, until
	 * they are widened (target NULL or empty takes it out); read with
	 * query("region_queues"). */
	int (*region_queue_set)(const str *queue, const str *region, const str *target);
	/* Calls to queue while it is closed (its business hours) are called back at the
	 * opening (on 1: a phone follow-up of the caller, once per caller and night) or only
	 * refused (on 0); query("hours", queue) says which (`callback`). */
	int (*closed_callback)(const str *queue, int on);
	/* A customer's answer to the survey of session sid as a form gives it (the web chat's
	 * and the app's widgets; docs/admin.md, "Surveys at the end"): csat 1..5 and nps 0..10,
	 * -1 for a score not given (at least one, of those the survey asks), comment NULL or
	 * their words (up to 1,024 bytes). token: NULL for a form the caller trusts to speak for
	 * the session (the customer's own socket), else a mailed link's token (its page): a
	 * token that is not the session's is OMNIQ_ENOTFOUND. thanks (size bytes, may be NULL)
	 * gets what to show them, "" for nothing. OMNIQ_ESTATE when no survey of the session
	 * waits for an answer (none, answered already, opted out, its window over). */
	int (*survey_answer)(const str *sid, const str *token, int csat, int nps,
			const str *comment, char *thanks, int size);
	/* reply_typed() in the name of an agent who must hold the session (its agent, offered,
	 * active or in wrap-up): OMNIQ_EAGENT, nothing written, when agent is someone else or
	 * the session has none. For a surface that takes replies in an agent's name from
	 * outside (the REST API), so that a reply "from mallory" on alice's session is refused.
	 * One round trip, as reply(). */
	int (*reply_held)(const str *sid, const str *agent, const str *type, const str *body);
	/* transfer() of a session whose contact is replaced in the same step: a phone call
	 * transferred by REFER comes back as a new INVITE, maybe at another node. ext and node
	 * (as open_node() takes them) are the new call's before the transfer's events go out,
	 * so its offer (and a later close) reach the node that holds the call now. *out (may be
	 * NULL) gets sid, state ("offered" or "queued") and agent (the one offered it, or "");
	 * position and est_wait_s are 0. One round trip. */
	int (*transfer_call)(const str *sid, const str *agent, const str *kind, const str *target,
			const str *ext, const str *node, omniq_session_info_t *out);
	/* Once per turn of the loop of a process of your module's own (omniq_fork_loop, a basic
	 * timer's tick): when kamailio began stopping more than 3 s ago and this process is still
	 * there (its SIGTERM never acted: seen in CI for processes waiting in poll or a Redis
	 * read), it says so, naming `what`, and exits. Costs an atomic load. */
	void (*stop_check)(const char *what);
	/* A call's agent hung up and the caller is still there: when its queue's survey asks
	 * calls by voice (docs/admin.md, "Surveys at the end": `voice`) and its kind is one
	 * `can` (OMNIQ_SURVEY_* bits: what the node's prompts can ask) holds, the survey is
	 * marked asked now - on the call, answered with survey_answer() within minutes, one
	 * score at a time (a CSAT of kind both leaves it asked for its NPS); no SMS is sent for
	 * it - *kind (may be NULL) gets its OMNIQ_SURVEY_* bits and OMNIQ_OK comes back.
	 * OMNIQ_ESTATE with why (size bytes) when no voice survey applies (none, asked already,
	 * the customer opted out, a kind the prompts cannot ask). One round trip. */
	int (*survey_voice)(const str *sid, int can, int *kind, char *why, int size);
	/* close() that says what the session is now in the same round trip: *out (may be
	 * NULL) gets sid and state ("wrapup" while its agent finishes, or "closed"). */
	int (*close_info)(const str *sid, const str *disposition, omniq_session_info_t *out);
	/* Transfers across nodes: a call REFERred through this node may come back to another
	 * (the caller's phone, or a proxy in front of it, sends the INVITE elsewhere). The
	 * transfer of session sid (active with agent) to target (an agent or a queue id) is
	 * noted under token (OMNIQ_XFER_TOKEN_MIN..MAX letters and digits, random: the
	 * REFER's node puts it in the Refer-To's URI) for wait_ms (1,000-3,600,000). One round
	 * trip. */
	int (*xfer_note)(const str *token, const str *sid, const str *agent, const str *target,
			int wait_ms);
	/* The INVITE carrying token, to target (kind "agent" or "queue"), as contact ext on
	 * node: the noted session moves to it as transfer_call() moves it (*out, may be NULL:
	 * sid, state, agent). OMNIQ_ENOTFOUND when no transfer waits under token for target
	 * (never noted, taken already, its wait over); else transfer_call()'s codes, the
	 * transfer then still waiting. One round trip. */
	int (*transfer_token)(const str *token, const str *kind, const str *target,
			const str *ext, const str *node, omniq_session_info_t *out);
	/* Of n tokens (1..OMNIQ_XFER_MOVED_MAX) this node noted: moved[i] 1 when an INVITE has
	 * taken it, on any node, else 0 (waiting, or its wait over). One round trip. */
	int (*xfer_moved)(const str *tokens, int n, int *moved);
} omniq_api_t;

/* m[i].rc of a message that append_many_write sent, until append_many_read answers it */
#define OMNIQ_APPEND_SENT 2

typedef int (*bind_omniq_f)(omniq_api_t *api);

static inline int omniq_load_api(omniq_api_t *api)
{
	/* through void (*)(void): the generic function pointer type, so -Wextra stays quiet */
	bind_omniq_f bindf =
			(bind_omniq_f)(void (*)(void))find_export("bind_omniq", 0, 0);
	if(bindf == 0) {
		LM_ERR("cannot find bind_omniq: load the omniq module before this one\n");
		return -1;
	}
	if(bindf(api) < 0)
		return -1;
	if(api->version != OMNIQ_API_VERSION) {
		LM_ERR("omniq API version %d, this module was built for %d\n", api->version,
				OMNIQ_API_VERSION);
		return -1;
	}
	return 0;
}

/* api->register_sender() with what a channel decides: the rest (backoff_max_ms, poll_ms)
 * the core's defaults. From mod_init; the core logs why it refuses one. */
static inline int omniq_register_sender(const omniq_api_t *api, const str *channel,
		int (*init)(void *param),
		void (*send)(const omniq_outbound_t *m, omniq_send_result_t *res, void *param),
		int attempts, int backoff_ms, int lease_ms)
{
	omniq_sender_t s;

	memset(&s, 0, sizeof(s));
	s.channel = *channel;
	s.init = init;
	s.send = send;
	s.attempts = attempts;
	s.backoff_ms = backoff_ms;
	s.lease_ms = lease_ms;
	return api->register_sender(&s);
}

/* Whether omniq serves a tenant of that name (modparam tenant; "" is the default one): for
 * a module's mod_init, to refuse a setting that names a tenant omniq does not serve. */
static inline int omniq_tenant_served(const omniq_api_t *api, const char *tenant)
{
	str name, prefix;
	int i;

	if(tenant == NULL || tenant[0] == '\0')
		return 1;
	for(i = 0; api->tenant_at(i, &name, &prefix) == 0; i++)
		if(name.len == (int)strlen(tenant) && !memcmp(name.s, tenant, name.len))
			return 1;
	return 0;
}

/* Where an agent's desk opens media key (kept with media_ref): "/media/<current tenant>/<key>"
 * into out, which omniq_ws serves. A channel writes it into the customer's message in place
 * of the file. 0, or -1 when it does not fit size (OMNIQ_MEDIA_PATH_SIZE always does). */
#define OMNIQ_MEDIA_PATH_SIZE (sizeof("/media//") + OMNIQ_ID_MAX + OMNIQ_MEDIA_KEY)
static inline int omniq_media_path(const omniq_api_t *api, const char *key, char *out,
		size_t size)
{
	str name, prefix;
	int n;

	if(api->tenant_at(api->tenant_index(), &name, &prefix) < 0)
		return -1;
	n = snprintf(out, size, "/media/%.*s/%s", name.len, name.s, key);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

#endif
