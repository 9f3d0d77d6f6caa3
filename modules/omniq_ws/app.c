/*
 * app.c - the mobile app channel: WebSocket /ws/app, sub-protocol "omniq-app".
 *
 * Client → server (JSON text frames):
 *   {"type":"hello", "tenant":name?, "token":..., "session":sid?, "last":id?}   first
 *   {"type":"message", "text":"...", "cid":"..."}     cid (1..64 bytes) is required
 *   {"type":"typing"}
 *   {"type":"survey", "csat":1..5?, "nps":0..10?, "comment":"..."?}   the survey's answer
 * Server → client:
 *   {"type":"welcome", "user":..., "session":sid|null, "state":..., "agent":...,
 *    "agent_name":..., "position":n, "est_wait_s":n}
 *   {"type":"missed", "session":sid, "messages":[{id,dir,from,text}...]}  zero or more
 *   {"type":"synced", "session":sid|null, "last":id|null}   the missed ones are all sent
 *   {"type":"session", "session":sid, "state":..., "position":n, "est_wait_s":n}
 *   {"type":"ack", "cid":..., "id":..., "duplicate":true|false}
 *   {"type":"message", "session":sid, "dir":"out"|"sys", "from":..., "text":..., "id":...}
 *   {"type":"state", "session":sid, "event":..., "state":..., "agent":..., "agent_name":...}
 *                                   event "resync": see below
 *   {"type":"typing", "session":sid, "from":...}
 *   {"type":"survey", "session":sid, "state":"asked", "ask":"csat"|"nps"|"both"}  ended: how
 *                                                   was it? ("answered", "thanks": recorded)
 *   {"type":"error", "code":..., "message":...}
 * Close codes: 1007 invalid JSON or no hello first, 1008 bad or expired token, a tenant
 * without an app channel or rate limit, 1009 frame larger than max_frame, 1011 Redis
 * unavailable at hello or server error.
 *
 * The tenant is the company whose app it is (the default one when the hello names none;
 * its settings in sites.h). The token is "<user>/<expiry>" signed by the app's backend with
 * the tenant's app secret (purpose "app"); the user is the omniq identity
 * "app:<app_id>:<user>" in that tenant. Nothing is lost and nothing comes
 * twice across reconnects:
 *   - customer → agent: a message is acked with its transcript id only once it is in
 *     Redis; a client resends what was not acked with the same cid, and the core appends
 *     a cid once per session (api.append_many_write with the cid, in this process's appends
 *     batches: appends.h), acking the resend with the first id;
 *   - agent → customer: the hello names the session and the last id the client saw; the
 *     socket follows the session first, then sends every later transcript entry, then
 *     live messages with a greater id only. The customer's own messages are not echoed
 *     live (the ack is their receipt); a resume returns them too, with their ids.
 * When this process lost events of the tenant (events.h, "resync"), the socket sends what it
 * missed of its session as on a resume ("missed" frames after its last id, the customer's own
 * messages included) and a "state" frame with event "resync" of the session as it is now;
 * when Redis fails meanwhile it closes (1011) for the app to resume.
 * The user counts as online while any socket of it holds a presence lease (renewed every
 * LEASE_MS / 3 by this process, so a dead process stops counting within LEASE_MS); an
 * agent's reply to a user who is not online goes to the outbox as a push notification for
 * the tenant's app backend (its push_url; see outbox.c).
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <libwebsockets.h>

#include "core/dprint.h"

#include "ws.h"
#include "token.h"
#include "sock.h"
#include "admit.h"
#include "follow.h"
#include "customer.h"
#include "app.h"
#include "push.h"
#include "sites.h"
#include "appends.h"

#define LEASE_MS 60000
#define HISTORY_LOOK "50"        /* sessions of the customer looked at for its open one */
#define PAGE 1000                /* transcript entries read per Redis call */
#define MISSED_MAX 100           /* messages per "missed" frame ... */
#define MISSED_BYTES (256 * 1024) /* ... or fewer when they are long */

typedef struct app {
	ws_sock_t sock;
	ws_follower_t fol;          /* follows its open session */
	struct app *prev, *next;    /* this process's sockets with a lease */
	int hello;
	int tenant;                 /* from the hello: current while serving this socket */
	const ws_app_site_t *site;  /* that tenant's app channel */
	char user[OMNIQ_ID_MAX + 1];
	char identity[2 * OMNIQ_ID_MAX + 8]; /* app:<app_id>:<user> */
	char conn[48];              /* lease id: unique per process and socket */
	char sid[OMNIQ_SID_MAX];    /* the open session, or "" */
	int over;                   /* ... over for the user (ws_cust_over): the next message
	                             * starts a new one */
	char last[48];              /* greatest transcript id of sid sent to the client */
} app_t;

const size_t ws_app_pss_size = sizeof(app_t);

static app_t *leased;            /* this process's sockets after hello */
static char proc_tag[16];        /* random per process: lease ids differ across nodes */
static unsigned long conn_serial;
static lws_sorted_usec_list_t renew_sul;
static struct lws_context *renew_ctx;

/* a > b as transcript ids; an id that does not parse is never greater (and "" is below
 * every id) */
static int id_after(const char *a, const char *b)
{
	return omniq_stream_id_cmp(a, b) > 0;
}

/* ---- presence leases ---------------------------------------------------------------- */

static void lease(app_t *a, int ttl)
{
	str p[2];
	int rc;
	p[0] = omniq_str(a->identity);
	p[1] = omniq_str(a->conn);
	ws_oq.tenant_use_index(a->tenant); /* CLOSED comes on the default tenant */
	if((rc = ws_oq.presence(1, p, ttl)) < 0)
		LM_WARN("app %s: presence %s: %s\n", a->identity, ttl ? "lease" : "end",
				ws_oq.last_error());
	ws_oq.tenant_use_index(0);
}

/* Every LEASE_MS / 3: this process's sockets, tenant by tenant, in calls of up to 1000
 * leases each. */
static void renew(lws_sorted_usec_list_t *sul)
{
	static str p[2 * 1000];
	app_t *a;
	int n, t;

	for(t = 0; t < OMNIQ_TENANTS_MAX; t++) {
		if(ws_app_site(t) == NULL)
			continue;
		ws_oq.tenant_use_index(t);
		for(a = leased, n = 0; a; a = a->next) {
			if(a->tenant != t)
				continue;
			p[2 * n] = omniq_str(a->identity);
			p[2 * n + 1] = omniq_str(a->conn);
			if(++n == 1000) {
				if(ws_oq.presence(n, p, LEASE_MS) < 0)
					LM_WARN("app presence renewal of %d sockets: %s\n", n, ws_oq.last_error());
				n = 0;
			}
		}
		if(n > 0 && ws_oq.presence(n, p, LEASE_MS) < 0)
			LM_WARN("app presence renewal of %d sockets: %s\n", n, ws_oq.last_error());
	}
	ws_oq.tenant_use_index(0);
	lws_sul_schedule(renew_ctx, 0, &renew_sul, renew, (lws_usec_t)LEASE_MS / 3 * 1000);
}

static void leased_add(app_t *a, struct lws *wsi)
{
	if(renew_ctx == NULL) {
		char rnd[33];
		renew_ctx = lws_get_context(wsi);
		if(ws_token_random_id(rnd) < 0)
			snprintf(rnd, sizeof(rnd), "%d", (int)getpid());
		snprintf(proc_tag, sizeof(proc_tag), "%.12s", rnd);
		lws_sul_schedule(renew_ctx, 0, &renew_sul, renew, (lws_usec_t)LEASE_MS / 3 * 1000);
	}
	snprintf(a->conn, sizeof(a->conn), "%s.%lu", proc_tag, ++conn_serial);
	a->next = leased;
	if(leased)
		leased->prev = a;
	leased = a;
	lease(a, LEASE_MS);
}

static void leased_del(app_t *a)
{
	if(a->prev)
		a->prev->next = a->next;
	else if(leased == a)
		leased = a->next;
	else
		return; /* never leased */
	if(a->next)
		a->next->prev = a->prev;
	a->prev = a->next = NULL;
	lease(a, 0);
}

/* ---- answers -------------------------------------------------------------------------- */

static void follow_session(app_t *a, const char *sid)
{
	const char *k[1] = {sid};
	snprintf(a->sid, sizeof(a->sid), "%s", sid);
	a->last[0] = '\0';
	a->over = 0;
	if(ws_follow_only(&a->fol, k, 1) < 0)
		LM_ERR("app %s cannot follow session %s (out of memory)\n", a->identity, sid);
}

/* ---- resume ----------------------------------------------------------------------------- */

/* The customer's sessions, newest first (query "history"): its open app session, and
 * whether `want` is one of its sessions at all. */
typedef struct find {
	const char *want;
	int want_ok;
	char open[OMNIQ_SID_MAX];
} find_t;

static int find_row(void *arg, int n, const str *it)
{
	find_t *f = (find_t *)arg;
	json_t *row = json_object();
	const char *sid, *ch, *st;

	ws_row_merge(row, n, it);
	sid = json_string_value(json_object_get(row, "sid"));
	ch = json_string_value(json_object_get(row, "channel"));
	st = json_string_value(json_object_get(row, "state"));
	if(sid && strlen(sid) < OMNIQ_SID_MAX && ch && !strcmp(ch, "app") && st) {
		if(f->want && !strcmp(f->want, sid))
			f->want_ok = 1;
		if(f->open[0] == '\0' && !ws_cust_terminal(st))
			snprintf(f->open, sizeof(f->open), "%s", sid);
	}
	json_decref(row);
	return 0;
}

typedef struct page {
	app_t *a;
	json_t *msgs;
	size_t bytes;
	char sid[OMNIQ_SID_MAX];
	char last[48];
	int n;
} page_t;

static void flush_page(page_t *pg)
{
	if(json_array_size(pg->msgs) == 0)
		return;
	ws_sock_send(&pg->a->sock, json_pack("{s:s,s:s,s:o}", "type", "missed", "session", pg->sid,
									   "messages", pg->msgs));
	pg->msgs = json_array();
	pg->bytes = 0;
}

static void page_entry(void *arg, const str *id, const str *dir, const str *from,
		const str *body)
{
	page_t *pg = (page_t *)arg;
	ws_cust_tx_append(pg->msgs, id, dir, from, body); /* an agents' note is not the user's */
	pg->bytes += (size_t)body->len + 64;
	pg->n++;
	if(id->len < (int)sizeof(pg->last)) {
		memcpy(pg->last, id->s, id->len);
		pg->last[id->len] = '\0';
	}
	if(json_array_size(pg->msgs) >= MISSED_MAX || pg->bytes >= MISSED_BYTES)
		flush_page(pg);
}

/* Every entry of sid after `after`, in "missed" frames. Returns the last id sent in
 * last_out ("" when none), or -1 when Redis failed. */
static int send_missed(app_t *a, const char *sid, const char *after, char *last_out)
{
	page_t pg;
	str s = omniq_str(sid), from;
	int rc;

	memset(&pg, 0, sizeof(pg));
	pg.a = a;
	pg.msgs = json_array();
	snprintf(pg.sid, sizeof(pg.sid), "%s", sid);
	snprintf(pg.last, sizeof(pg.last), "%s", after ? after : "");
	do {
		pg.n = 0;
		from = omniq_str(pg.last);
		rc = ws_oq.transcript(&s, &from, PAGE, page_entry, &pg);
	} while(rc == PAGE && pg.n == PAGE);
	flush_page(&pg);
	json_decref(pg.msgs);
	if(rc < 0) {
		LM_WARN("app %s: transcript of %s: %s\n", a->identity, sid, ws_oq.last_error());
		return -1;
	}
	snprintf(last_out, 48, "%s", pg.last);
	return 0;
}

/* A resume cut short (Redis lost mid-way): the app must not count itself synced, so the
 * socket closes and the app reconnects with the last id it got. */
static int resume_failed(app_t *a)
{
	return ws_sock_close(&a->sock, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
			"service unavailable, reconnect");
}

/* A user id the app's backend signs is a name, not a path: 1..64 (OMNIQ_ID_MAX) of
 * [A-Za-z0-9_.@+=-], and not "." or ".." (no '/', no ':', no blank, nothing that could read as
 * another identity); a longer one does not fit a->user and is a bad token already. */
static int valid_user(const char *u)
{
	size_t i, n = strlen(u);

	if(n == 0 || n > OMNIQ_ID_MAX || !strcmp(u, ".") || !strcmp(u, ".."))
		return 0;
	for(i = 0; i < n; i++)
		if(!((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= 'A' && u[i] <= 'Z')
				   || (u[i] >= '0' && u[i] <= '9') || strchr("_.@+=-", u[i])))
			return 0;
	return 1;
}

static int on_hello(app_t *a, json_t *m, struct lws *wsi)
{
	const char *tok = json_string_value(json_object_get(m, "token"));
	const char *want = json_string_value(json_object_get(m, "session"));
	const char *last = json_string_value(json_object_get(m, "last"));
	char after[48] = "", sent[48] = "";
	omniq_session_info_t info;
	find_t f;
	str q[2];
	json_t *w;
	int rc;

	if((rc = ws_hello_tenant(json_object_get(m, "tenant"))) < 0
			|| (a->site = ws_app_site(rc)) == NULL)
		return ws_sock_close(&a->sock, LWS_CLOSE_STATUS_POLICY_VIOLATION,
				"no app channel for this tenant");
	a->tenant = a->fol.tenant = rc;
	rc = tok ? ws_token_check_within(a->site->secret, "app", tok, (long long)time(NULL),
					   ws_cfg.app_token_max_ttl, a->user, sizeof(a->user))
			 : -1;
	if(rc == -2)
		return ws_sock_close(&a->sock, LWS_CLOSE_STATUS_POLICY_VIOLATION, "token expired");
	if(rc == -3)
		return ws_sock_close(&a->sock, LWS_CLOSE_STATUS_POLICY_VIOLATION,
				"token expiry too far ahead");
	if(rc < 0)
		return ws_sock_close(&a->sock, LWS_CLOSE_STATUS_POLICY_VIOLATION, "bad token");
	if(!valid_user(a->user))
		return ws_sock_close(&a->sock, LWS_CLOSE_STATUS_POLICY_VIOLATION, "bad user id");
	if((want && (strlen(want) == 0 || strlen(want) >= OMNIQ_SID_MAX))
			|| (last && strlen(last) >= sizeof(after))) {
		ws_sock_error(&a->sock, "bad_argument", "'session' or 'last' is malformed", NULL);
		want = last = NULL;
	}
	if(snprintf(a->identity, sizeof(a->identity), "app:%s:%s", a->site->app_id, a->user)
			>= (int)sizeof(a->identity))
		return ws_sock_close(&a->sock, LWS_CLOSE_STATUS_POLICY_VIOLATION, "user id too long");

	memset(&f, 0, sizeof(f));
	f.want = want;
	q[0] = omniq_str(a->identity);
	q[1] = omniq_str(HISTORY_LOOK);
	rc = ws_oq.query("history", 2, q, find_row, &f);
	if(rc < 0 && rc != OMNIQ_ENOTFOUND) /* a first contact has no customer yet */
		return resume_failed(a);
	a->hello = 1;
	ws_admit_known(a->sock.wsi);
	leased_add(a, wsi);

	/* follow before reading: whatever is written from here on is either in the
	 * transcript read below or comes as an event with a greater id */
	w = json_pack("{s:s,s:s}", "type", "welcome", "user", a->user);
	if(f.open[0]) {
		str s = omniq_str(f.open);
		follow_session(a, f.open);
		if(ws_oq.get(&s, &info) == OMNIQ_OK) {
			a->over = ws_cust_over(info.state); /* in wrap-up: shown, not written to */
			ws_cust_state(w, &info);
			if(info.agent[0])
				ws_cust_agent_name(w, info.agent);
		}
		json_object_set_new(w, "session", json_string(f.open));
	} else {
		json_object_set_new(w, "session", json_null());
	}
	ws_sock_send(&a->sock, w);

	/* the session the client knows (when it is the customer's) after its last id; then
	 * the open one from the start when the client did not know it */
	if(want && f.want_ok) {
		snprintf(after, sizeof(after), "%s", last ? last : "");
		if(send_missed(a, want, after, sent) < 0)
			return resume_failed(a);
		if(!strcmp(want, a->sid))
			snprintf(a->last, sizeof(a->last), "%s", sent[0] ? sent : after);
	} else if(want) {
		ws_sock_error(&a->sock, "not_found", "no such session of this user", NULL);
	}
	if(a->sid[0] && !(want && f.want_ok && !strcmp(want, a->sid))) {
		if(send_missed(a, a->sid, "", sent) < 0)
			return resume_failed(a);
		snprintf(a->last, sizeof(a->last), "%s", sent);
	}
	w = json_pack("{s:s}", "type", "synced");
	json_object_set_new(w, "session", a->sid[0] ? json_string(a->sid) : json_null());
	json_object_set_new(w, "last", a->last[0] ? json_string(a->last) : json_null());
	ws_sock_send(&a->sock, w);
	return 0;
}

/* The answer to a message's append: its ack with the transcript id, or why not. */
static void appended(void *owner, json_t *cid, int rc, const char *why, const char *id)
{
	app_t *a = (app_t *)owner;

	if(rc < 0) {
		ws_sock_error_for(&a->sock, ws_omniq_code(rc), why, cid);
		return;
	}
	ws_sock_send(&a->sock, json_pack("{s:s,s:O,s:s,s:b}", "type", "ack", "cid", cid, "id",
								   id ? id : "", "duplicate", rc == 1));
}

static int catch_up(app_t *a);

static int on_message(app_t *a, json_t *m)
{
	json_t *text = json_object_get(m, "text"), *cid = json_object_get(m, "cid"), *v;
	omniq_session_info_t info;
	str channel = str_init("app"), ident, skills, queue, body;
	int rc;

	if(!json_is_string(text) || json_string_length(text) == 0) {
		ws_sock_error(&a->sock, "bad_argument", "'text' must be a non-empty string", NULL);
		return 0;
	}
	if(!json_is_string(cid) || json_string_length(cid) < 1
			|| json_string_length(cid) > OMNIQ_CID_MAX) {
		char msg[64];
		snprintf(msg, sizeof(msg), "'cid' must be a string of 1..%d bytes", OMNIQ_CID_MAX);
		ws_sock_error(&a->sock, "bad_argument", msg, NULL);
		return 0;
	}
	if(a->sid[0] == '\0' || a->over) {
		ident = omniq_str(a->identity);
		skills = omniq_str(a->site->skills);
		queue = omniq_str(a->site->queue);
		/* the user's live conversation when another of its devices opened one meanwhile
		 * (one token may serve several sockets: docs/admin-ws.md), else a new one */
		rc = ws_oq.open_live(&channel, &ident, &skills, 0, &queue, &ident, NULL, &info);
		if(rc < 0) {
			ws_sock_error_for(&a->sock, ws_omniq_code(rc), ws_oq.last_error(), cid);
			return 0;
		}
		follow_session(a, info.sid);
		v = json_pack("{s:s,s:s}", "type", "session", "session", info.sid);
		ws_cust_state(v, &info);
		if(rc == 1 && info.agent[0])
			ws_cust_agent_name(v, info.agent);
		ws_sock_send(&a->sock, v);
		/* joined: what the other device has seen so far, as on a resume */
		if(rc == 1 && catch_up(a) < 0)
			return 0;
	}
	body.s = (char *)json_string_value(text);
	body.len = (int)json_string_length(text);
	/* appended in this process's batches (appends.h), the loop not waiting; acknowledged after */
	if(ws_append_later(a, appended, a->tenant, a->sid, a->identity, &body, cid, 1) < 0)
		ws_sock_error_for(&a->sock, "unavailable", "out of memory", cid);
	return 0;
}

static int on_frame(app_t *a, json_t *m, struct lws *wsi)
{
	const char *type = json_string_value(json_object_get(m, "type"));

	if(type && !strcmp(type, "hello") && !a->hello)
		return on_hello(a, m, wsi);
	if(!a->hello)
		return ws_sock_close(&a->sock, LWS_CLOSE_STATUS_INVALID_PAYLOAD, "hello first");
	if(type && !strcmp(type, "message"))
		return on_message(a, m);
	if(type && !strcmp(type, "survey")) {
		ws_cust_survey(&a->sock, a->sid, m);
		return 0;
	}
	if(type && !strcmp(type, "typing")) {
		str sid = omniq_str(a->sid), dir = str_init("in"), who = omniq_str(a->identity);
		if(a->sid[0] && ws_oq.typing(&sid, &dir, &who) < 0)
			LM_DBG("typing on %s: %s\n", a->sid, ws_oq.last_error());
		return 0;
	}
	ws_sock_error(&a->sock, "bad_argument", "unknown message type", NULL);
	return 0;
}

/* The session's entries after the last id sent, in "missed" frames as on a resume: 0, or
 * -1 when Redis failed, and the socket is closed for the app to resume. */
static int catch_up(app_t *a)
{
	char sent[48];

	if(send_missed(a, a->sid, a->last, sent) < 0) {
		ws_sock_close_later(&a->sock, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
				"service unavailable, reconnect");
		return -1;
	}
	if(sent[0])
		snprintf(a->last, sizeof(a->last), "%s", sent);
	return 0;
}

/* Events of its session may have been lost: what a resume would send, then its state. */
static void resync(app_t *a)
{
	json_t *v;
	int ended;

	if(a->sid[0] == '\0' || catch_up(a) < 0)
		return;
	if((v = ws_cust_state_now(a->sid, 1, &ended)) == NULL) {
		ws_sock_close_later(&a->sock, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
				"service unavailable, reconnect");
		return;
	}
	if(ended)
		a->over = 1; /* as on_item: the next message opens a new session */
	ws_sock_send(&a->sock, v);
}

/* An event of the followed session (lws loop). */
static void on_item(ws_follower_t *f, const ws_item_t *it)
{
	app_t *a = (app_t *)((char *)f - offsetof(app_t, fol));
	json_t *v;

	if(!strcmp(it->type, "resync")) {
		resync(a);
		return;
	}
	if(strcmp(it->sid, a->sid))
		return;
	if(!strcmp(it->type, "message")) {
		if(!id_after(it->id, a->last))
			return; /* sent with the missed ones already */
		if(it->body == NULL && strcmp(it->state, "in")) {
			catch_up(a); /* the thread could not read its body: from the transcript */
			return;
		}
		if(strcmp(it->state, "in"))
			snprintf(a->last, sizeof(a->last), "%s", it->id);
	}
	if((v = ws_cust_frame(it, 1)) == NULL)
		return;
	if(strcmp(it->type, "message") && strcmp(it->type, "typing") && ws_cust_over(it->state))
		a->over = 1; /* over (wrap-up or ended): the next message opens a new one */
	ws_sock_send(&a->sock, v);
}

int ws_app_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len)
{
	app_t *a = (app_t *)user;
	json_t *m;
	int rc;

	switch(reason) {
		case LWS_CALLBACK_ESTABLISHED:
			memset(a, 0, sizeof(*a));
			a->fol.on_item = on_item;
			a->sock.who = a->identity;
			if(ws_sock_open(&a->sock, wsi, "/ws/app", ws_cfg.chat_rate) < 0)
				return -1;
			if(!ws_app_any())
				return ws_sock_close(&a->sock, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
						"app channel not configured");
			return 0;

		case LWS_CALLBACK_RECEIVE:
			rc = ws_sock_rx(&a->sock, in, len, &m);
			if(rc <= 0)
				return rc;
			ws_oq.tenant_use_index(a->tenant); /* http.c goes back to the default after */
			rc = on_frame(a, m, wsi);
			json_decref(m);
			return rc;

		case LWS_CALLBACK_SERVER_WRITEABLE:
			return ws_sock_writable(&a->sock);

		case LWS_CALLBACK_TIMER:
			return ws_sock_late(&a->sock);

		case LWS_CALLBACK_CLOSED:
			ws_append_forget(a);
			if(a->hello)
				leased_del(a);
			ws_unfollow_all(&a->fol);
			ws_sock_free(&a->sock);
			return 0;

		default:
			return 0;
	}
}

/* ---- the channel driver: an agent's reply to a user who is not connected -------------- */

static int deliver(const omniq_delivery_t *d, void *param)
{
	/* the process that took the reply made the session's tenant current */
	const ws_app_site_t *site = ws_app_site(ws_oq.tenant_index());
	const str *ext = &d->ext;
	const char *user;
	json_t *p;
	int pre;

	/* ext is the identity this channel opened the session with: app:<app_id>:<user> */
	if(site == NULL || site->push_url == NULL)
		return 0; /* no push configured for this tenant */
	pre = 5 + (int)strlen(site->app_id);
	if(ext->len <= pre || memcmp(ext->s, "app:", 4) || memcmp(ext->s + 4, site->app_id, pre - 5)
			|| ext->s[pre - 1] != ':')
		return 0; /* not a session this channel opened */
	user = ext->s + pre;
	/* sid and body, as the REST API names them; session and text, the names before them,
	 * until API v2 (docs/integrator.md, "One vocabulary") */
	p = json_pack("{s:s,s:s,s:s%,s:s%,s:s%,s:s%,s:s%,s:s%,s:I}", "type", "reply", "app",
			site->app_id, "user", user, (size_t)(ext->len - pre), "sid", d->sid.s,
			(size_t)d->sid.len, "session", d->sid.s, (size_t)d->sid.len, "from", d->from.s,
			(size_t)d->from.len, "body", d->body.s, (size_t)d->body.len, "text", d->body.s,
			(size_t)d->body.len, "ts", (json_int_t)time(NULL));
	return ws_push_queue(ext, &d->sid, &d->from, p);
}

int ws_app_register(void)
{
	omniq_driver_t d;

	memset(&d, 0, sizeof(d));
	d.channel = omniq_str("app");
	d.cls = OMNIQ_CLASS_CHAT;
	d.caps = OMNIQ_CAP_TEXT;
	d.deliver = deliver;
	d.owner = "omniq_ws (the app channel)";
	return ws_oq.register_driver(&d) < 0 ? -1 : 0;
}
