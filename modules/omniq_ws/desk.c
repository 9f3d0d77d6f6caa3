/*
 * desk.c - the agents' desk socket: WebSocket /ws/agent, sub-protocol "omniq-agent".
 *
 * Client → server (JSON text frames; "rid" is optional and echoed in the answer):
 *   {"type":"hello", "token":...}                       first (POST /api/v1/desk/login)
 *   {"type":"state", "state":"available"|"away"|"offline"}
 *   {"type":"accept"|"decline", "sid":...}
 *   {"type":"reply", "sid":..., "text":..., "cid":...}
 *   {"type":"reply", "sid":..., "media":"/media/..", "kind":"image"|"voice"|"video"}
 *                                 a file uploaded to POST /api/v1/desk/media (desk_media.h)
 *   {"type":"note", "sid":..., "text":...}              internal: agents only, never the customer
 *   {"type":"close", "sid":..., "disposition":..., "follow_up":"YYYY-MM-DD"?}
 *   {"type":"transfer", "sid":..., "to":"agent"|"queue", "target":..., "skills":...?}
 *                                 ok "state":"moved" | "referring" (a call: its node REFERs)
 *   {"type":"customer", "sid":...}                      profile and history of its customer
 *   {"type":"transcript", "sid":..., "after":id?}
 *   {"type":"typing", "sid":...}                        the agent is writing (throttled)
 *   {"type":"logout"}                                   ends every token of the agent
 *   {"type":"queue"}                    the sessions waiting it may take (a supervisor: all)
 *   {"type":"pick", "sid":..., "agent":...?}   take a waiting one (a call rings the phone);
 *                                       "agent": a supervisor gives it to a colleague
 *   {"type":"directory"}                the tenant's agents and queues (transfer targets)
 *   {"type":"search", "q":...}          its past conversations where q is found (20 newest)
 *   {"type":"canned", "name":...?, "text":...?}   the saved replies it may pick; with a
 *                                       name, its own one saved first (text "": deleted)
 *   {"type":"figures"}, {"type":"board"}   its own figures of the day; a supervisor's
 *                                       wallboard (desk_board.h)
 * Server → client:
 *   {"type":"welcome", "agent":..., "name":..., "state":..., "supervisor":bool,
 *    "inbox":[session...]}
 *   {"type":"inbox", "state":..., "inbox":[session...]}  after any change of its sessions;
 *                                        "resync":true when events of them may have been
 *                                        lost (the desk reads its open transcript again)
 *   {"type":"message", "sid":..., "dir":..., "from":..., "text":..., "id":...}
 *   {"type":"typing", "sid":..., "from":...}            the customer is writing
 *   {"type":"delivery", "sid":..., "id":..., "state":..., "reason":...}   a reply sent
 *                                       through its channel's provider moved on: queued
 *                                       (again, with the reason of a retry), sent,
 *                                       delivered, failed (the provider's reason); a
 *                                       transcript's entries carry the same as "delivery"
 *                                       and "reason"
 *   {"type":"ok", "rid":..., ...} / {"type":"error", "code":..., "message":..., "rid":...}
 * Close codes: 1007 invalid JSON or no hello first, 1008 bad or expired token, "logged out"
 * (a logout or a new password ended its token, on whatever node), or rate limit,
 * 1009 message larger than max_frame.
 *
 * An agent acts only on sessions it holds: the core refuses accept/decline of an offer made to
 * someone else, and this file checks the session's agent before a reply, close, transfer,
 * customer or transcript request. The inbox is re-read from Redis (one round trip) whenever
 * an event concerns the agent or one of its sessions, coalesced per send, so the desk can
 * never drift from the truth; messages are forwarded as they come.
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <libwebsockets.h>

#include "core/dprint.h"

#include "ws.h"
#include "token.h"
#include "sock.h"
#include "admit.h"
#include "follow.h"
#include "desk.h"
#include "desk_followup.h"
#include "desk_board.h"
#include "desk_token.h"

typedef struct desk {
	ws_sock_t sock;
	ws_follower_t fol;       /* "a:<agent>" and every session of the inbox */
	int hello;
	int dirty;               /* the inbox must be re-read before the next send */
	int resync;              /* ... and the desk told that events may have been lost */
	int tenant;              /* the agent's (from the token): current while serving it */
	long long epoch;         /* its token's epoch: a 'revoke' event past it closes the desk */
	char agent[OMNIQ_ID_MAX + 1];
} desk_t;

const size_t ws_desk_pss_size = sizeof(desk_t);

static desk_t *of(ws_follower_t *f)
{
	return (desk_t *)((char *)f - offsetof(desk_t, fol));
}

/* ---- answers ---------------------------------------------------------------------- */

static void error_rc(desk_t *d, int rc, json_t *rid)
{
	ws_sock_fail(&d->sock, rc, rid);
}

static void ok(desk_t *d, json_t *rid, json_t *extra)
{
	ws_sock_ok(&d->sock, rid, extra);
}

/* ---- the inbox ------------------------------------------------------------------- */

static json_t *agent_state(desk_t *d)
{
	json_t *a = json_object();
	str aid = omniq_str(d->agent);
	if(ws_oq.query("agent", 1, &aid, ws_row_merge, a) < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* Follow exactly the sessions of the inbox and the agent itself (new keys first, so no
 * event of a key kept falls into a gap). */
static void follow_inbox(desk_t *d, json_t *inbox)
{
	char akey[OMNIQ_ID_MAX + 3];
	const char *keys[64];
	json_t *s;
	size_t i;
	int n = 0;

	snprintf(akey, sizeof(akey), "a:%s", d->agent);
	keys[n++] = akey;
	json_array_foreach(inbox, i, s)
	{
		if(n < 64 && json_string_value(json_object_get(s, "sid")))
			keys[n++] = json_string_value(json_object_get(s, "sid"));
	}
	if(ws_follow_only(&d->fol, keys, n) < 0)
		LM_ERR("desk of %s cannot follow its sessions (out of memory)\n", d->agent);
}

/* Re-read the inbox and the agent's state and send them as `type`. */
static int send_inbox(desk_t *d, const char *type)
{
	json_t *inbox = json_array(), *a, *v;
	str aid = omniq_str(d->agent);
	int rc;

	rc = ws_oq.query("agent_sessions", 1, &aid, ws_row_append, inbox);
	if(rc < 0) {
		json_decref(inbox);
		if(rc == OMNIQ_ENOTFOUND)
			return ws_sock_close(&d->sock, LWS_CLOSE_STATUS_POLICY_VIOLATION, "agent deleted");
		error_rc(d, rc, NULL);
		d->dirty = 1; /* try again with the next event */
		return 0;
	}
	d->dirty = 0;
	follow_inbox(d, inbox);
	a = agent_state(d);
	v = json_pack("{s:s,s:s,s:o}", "type", type, "agent", d->agent, "inbox", inbox);
	if(v && d->resync)
		json_object_set_new(v, "resync", json_true());
	d->resync = 0;
	if(a) {
		json_object_set(v, "name", json_object_get(a, "name"));
		json_object_set(v, "state", json_object_get(a, "state"));
		json_object_set(v, "presence", json_object_get(a, "presence"));
		json_object_set_new(v, "supervisor",
				json_boolean(!strcmp(json_string_value(json_object_get(a, "role")) ?: "",
						"supervisor")));
		json_decref(a);
	}
	ws_sock_send(&d->sock, v);
	return 0;
}

/* ---- requests --------------------------------------------------------------------- */

/* The session of a request, which this agent must hold (offered, active or wrap-up); its
 * fields in *out when out is not NULL (the caller then owns them). */
static int held_session_get(desk_t *d, json_t *m, str *sid, json_t *rid, json_t **out)
{
	json_t *sess;
	const char *agent;
	int rc;

	sid->s = (char *)json_string_value(json_object_get(m, "sid"));
	if(sid->s == NULL) {
		ws_sock_error(&d->sock, "bad_argument", "'sid' must be a string", rid);
		return -1;
	}
	sid->len = (int)strlen(sid->s);
	sess = json_object();
	rc = ws_oq.query("session", 1, sid, ws_row_merge, sess);
	if(rc < 0) {
		json_decref(sess);
		error_rc(d, rc, rid);
		return -1;
	}
	agent = json_string_value(json_object_get(sess, "agent"));
	if(agent == NULL || strcmp(agent, d->agent) != 0) {
		json_decref(sess);
		/* the same answer as for a session that does not exist: nothing to learn here */
		ws_sock_error(&d->sock, "not_found", "no such session in your inbox", rid);
		return -1;
	}
	if(out)
		*out = sess;
	else
		json_decref(sess);
	return 0;
}

static int held_session(desk_t *d, json_t *m, str *sid, json_t *rid)
{
	return held_session_get(d, m, sid, rid, NULL);
}

/* A session the agent has taken (active or in wrap-up): one only offered to it can be
 * accepted or declined, not answered, closed or handed on (a close would abandon it as if
 * the customer had left). 0, or -1 with the error sent. */
static int taken_session(desk_t *d, json_t *m, str *sid, json_t *rid)
{
	json_t *sess;
	const char *st;
	char msg[96];

	if(held_session_get(d, m, sid, rid, &sess) < 0)
		return -1;
	st = json_string_value(json_object_get(sess, "state"));
	if(st && (!strcmp(st, "active") || !strcmp(st, "wrapup"))) {
		json_decref(sess);
		return 0;
	}
	snprintf(msg, sizeof(msg), "session %.*s is %s: accept or decline it first", sid->len,
			sid->s, st ? st : "?");
	json_decref(sess);
	ws_sock_error(&d->sock, "wrong_state", msg, rid);
	return -1;
}

static void do_state(desk_t *d, json_t *m, json_t *rid)
{
	const char *st = json_string_value(json_object_get(m, "state"));
	str aid = omniq_str(d->agent), p;
	int rc;

	if(st == NULL || (strcmp(st, "available") && strcmp(st, "away") && strcmp(st, "offline"))) {
		ws_sock_error(&d->sock, "bad_argument", "'state' must be available, away or offline",
				rid);
		return;
	}
	p = omniq_str(st);
	if((rc = ws_oq.agent_state(&aid, &p)) < 0) {
		error_rc(d, rc, rid);
		return;
	}
	ok(d, rid, NULL);
	send_inbox(d, "inbox"); /* the new state, and offers it pulled in at once */
}

static void do_offer(desk_t *d, json_t *m, json_t *rid, int accept)
{
	str aid = omniq_str(d->agent), sid;
	int rc;

	sid.s = (char *)json_string_value(json_object_get(m, "sid"));
	if(sid.s == NULL) {
		ws_sock_error(&d->sock, "bad_argument", "'sid' must be a string", rid);
		return;
	}
	sid.len = (int)strlen(sid.s);
	rc = accept ? ws_oq.accept(&sid, &aid) : ws_oq.decline(&sid, &aid);
	if(rc < 0) {
		error_rc(d, rc, rid);
		return;
	}
	ok(d, rid, json_pack("{s:s}", "sid", sid.s));
	send_inbox(d, "inbox");
}

/* A reply to the customer (note 0) or an internal note (note 1: in the transcript for
 * agents - the desk, REST - never shown to the customer nor delivered by its channel,
 * customer.h) on a session the agent has taken. */
static void do_write(desk_t *d, json_t *m, json_t *rid, int note)
{
	json_t *text = json_object_get(m, "text"), *cid = json_object_get(m, "cid");
	json_t *media = json_object_get(m, "media"), *kind = json_object_get(m, "kind");
	str sid, from = omniq_str(d->agent), dir = str_init("note"), body, k;
	int rc;

	/* a file uploaded to /api/v1/desk/media: its path, and the kind that answer said */
	if(!note && media) {
		if(!json_is_string(media) || !json_is_string(kind)) {
			ws_sock_error(&d->sock, "bad_argument", "'media' and 'kind' must be strings", rid);
			return;
		}
		if(taken_session(d, m, &sid, rid) < 0)
			return;
		body.s = (char *)json_string_value(media);
		body.len = (int)json_string_length(media);
		k.s = (char *)json_string_value(kind);
		k.len = (int)json_string_length(kind);
		if((rc = ws_oq.reply_typed(&sid, &from, &k, &body)) < 0) {
			error_rc(d, rc, rid);
			return;
		}
		ok(d, rid, cid && json_is_string(cid) ? json_pack("{s:O}", "cid", cid) : NULL);
		return;
	}
	if(!json_is_string(text) || json_string_length(text) == 0) {
		ws_sock_error(&d->sock, "bad_argument", "'text' must be a non-empty string", rid);
		return;
	}
	if(taken_session(d, m, &sid, rid) < 0)
		return;
	body.s = (char *)json_string_value(text);
	body.len = (int)json_string_length(text);
	rc = note ? ws_oq.append(&sid, &dir, &from, &body) : ws_oq.reply(&sid, &from, &body);
	if(rc < 0) {
		error_rc(d, rc, rid);
		return;
	}
	ok(d, rid, cid && json_is_string(cid) ? json_pack("{s:O}", "cid", cid) : NULL);
}

static void do_close(desk_t *d, json_t *m, json_t *rid)
{
	int bad = 0, rc;
	const char *disp = ws_json_str(m, "disposition", &bad), *fu = ws_json_str(m, "follow_up", &bad);
	str sid, ds, f = str_init("follow_up"), fv;

	if(bad) {
		ws_sock_error(&d->sock, "bad_argument", "'disposition' and 'follow_up' are strings",
				rid);
		return;
	}
	if(taken_session(d, m, &sid, rid) < 0)
		return;
	/* the follow-up date first: a bad date refuses the close before anything changes */
	if(fu && fu[0]) {
		fv = omniq_str(fu);
		if((rc = ws_oq.session_set(&sid, &f, &fv)) < 0) {
			error_rc(d, rc, rid);
			return;
		}
	}
	ds = omniq_str(disp ? disp : "");
	if((rc = ws_oq.close(&sid, &ds)) < 0) {
		error_rc(d, rc, rid);
		return;
	}
	ok(d, rid, json_pack("{s:s}", "sid", sid.s));
	send_inbox(d, "inbox");
}

static void do_transfer(desk_t *d, json_t *m, json_t *rid)
{
	int bad = 0, rc;
	const char *to = ws_json_str(m, "to", &bad), *target = ws_json_str(m, "target", &bad),
			   *skills = ws_json_str(m, "skills", &bad);
	str sid, aid = omniq_str(d->agent), k, t, sk;

	if(bad || to == NULL || target == NULL) {
		ws_sock_error(&d->sock, "bad_argument",
				"'to' (agent or queue) and 'target' are required strings, 'skills' a string",
				rid);
		return;
	}
	if(taken_session(d, m, &sid, rid) < 0)
		return;
	k = omniq_str(to);
	t = omniq_str(target);
	sk = omniq_str(skills ? skills : "");
	if((rc = ws_oq.transfer(&sid, &aid, &k, &t, &sk)) < 0) {
		error_rc(d, rc, rid);
		return;
	}
	/* a call: its node REFERs the caller's phone, the session stays with this agent until
	 * the caller's new call takes it (or the transcript says why it did not) */
	ok(d, rid, json_pack("{s:s,s:s}", "sid", sid.s, "state",
					   rc == OMNIQ_REFERRING ? "referring" : "moved"));
	send_inbox(d, "inbox");
}

static void do_customer(desk_t *d, json_t *m, json_t *rid)
{
	json_t *sess = NULL, *prof = json_object(), *hist = json_array();
	const char *cid;
	str sid, a[2];
	int rc;

	if(held_session_get(d, m, &sid, rid, &sess) < 0)
		goto out;
	cid = json_string_value(json_object_get(sess, "customer"));
	a[0] = omniq_str(cid ? cid : "");
	if((rc = ws_oq.query("customer", 1, a, ws_row_merge, prof)) < 0)
		goto fail;
	a[1] = omniq_str("20");
	if((rc = ws_oq.query("history", 2, a, ws_row_append, hist)) < 0)
		goto fail;
	/* and what the visitor typed about themselves on this session: claims, not identities */
	ok(d, rid, json_pack("{s:s,s:O,s:O,s:{s:s,s:s}}", "sid", sid.s, "customer", prof, "history",
					   hist, "claimed", "name",
					   json_string_value(json_object_get(sess, "claimed_name")) ?: "", "contact",
					   json_string_value(json_object_get(sess, "claimed_contact")) ?: ""));
	goto out;
fail:
	error_rc(d, rc, rid);
out:
	json_decref(sess);
	json_decref(prof);
	json_decref(hist);
}

static void do_transcript(desk_t *d, json_t *m, json_t *rid)
{
	int bad = 0, rc;
	const char *after = ws_json_str(m, "after", &bad);
	json_t *tx;
	str sid, af;

	if(bad) {
		ws_sock_error(&d->sock, "bad_argument", "'after' must be a string", rid);
		return;
	}
	if(held_session(d, m, &sid, rid) < 0)
		return;
	af = omniq_str(after ? after : "");
	tx = json_array();
	if((rc = ws_oq.transcript_read(&sid, &af, 1000, ws_tx_entry_append, tx)) < 0) {
		json_decref(tx);
		error_rc(d, rc, rid);
		return;
	}
	ok(d, rid, json_pack("{s:s,s:o}", "sid", sid.s, "transcript", tx));
}

static void do_typing(desk_t *d, json_t *m)
{
	str sid, dir = str_init("out"), who = omniq_str(d->agent);
	json_t *rid = json_object_get(m, "rid");
	int rc;

	if(held_session(d, m, &sid, rid) < 0)
		return;
	if((rc = ws_oq.typing(&sid, &dir, &who)) < 0)
		error_rc(d, rc, rid);
}

/* The sessions waiting that this agent may take (a supervisor: every one), best first, for
 * the desk's queue view; the page asks again every few seconds while the view is open. */
/* The rows of a reader (api.query), one object each, answered as the array `key`. */
static void answer_rows(desk_t *d, json_t *rid, const char *what, int argc, const str *argv,
		const char *key)
{
	json_t *rows = json_array();
	int rc;

	if((rc = ws_oq.query(what, argc, argv, ws_row_append, rows)) < 0) {
		json_decref(rows);
		error_rc(d, rc, rid);
		return;
	}
	ok(d, rid, json_pack("{s:o}", key, rows));
}

static void do_queue(desk_t *d, json_t *rid)
{
	str a[2] = {omniq_str(d->agent), str_init("50")};

	answer_rows(d, rid, "waiting", 2, a, "waiting");
}

/* The agents (id: "state load/capacity") and queues (name: sessions waiting) of the tenant:
 * the choices of a transfer and of a supervisor's assignment. */
static void do_directory(desk_t *d, json_t *rid)
{
	json_t *ag = json_object(), *qs = json_object();
	str a[2] = {str_init("0"), str_init("1000")};
	int rc;

	if((rc = ws_oq.query("agents", 2, a, ws_row_merge, ag)) < 0
			|| (rc = ws_oq.query("queues", 0, NULL, ws_row_merge, qs)) < 0) {
		json_decref(ag);
		json_decref(qs);
		error_rc(d, rc, rid);
		return;
	}
	ok(d, rid, json_pack("{s:o,s:o}", "agents", ag, "queues", qs));
}

/* The saved replies the agent may pick (its own and the tenant's), or one of its own saved
 * ("name", "text") or deleted ("text" empty). */
static void do_canned(desk_t *d, json_t *m, json_t *rid)
{
	int bad = 0, rc;
	const char *name = ws_json_str(m, "name", &bad), *text = ws_json_str(m, "text", &bad);
	str aid = omniq_str(d->agent), n, t;

	if(bad) {
		ws_sock_error(&d->sock, "bad_argument", "'name' and 'text' are strings", rid);
		return;
	}
	if(name) {
		n = omniq_str(name);
		t = omniq_str(text ? text : "");
		if((rc = ws_oq.canned_set(&aid, &n, &t)) < 0) {
			error_rc(d, rc, rid);
			return;
		}
	}
	answer_rows(d, rid, "canned", 1, &aid, "canned");
}

/* The agent's past conversations where q is found (its customer, disposition, tags or a
 * transcript line), newest first, at most 20. */
static void do_search(desk_t *d, json_t *m, json_t *rid)
{
	int bad = 0;
	const char *q = ws_json_str(m, "q", &bad);
	str a[3];

	if(bad || q == NULL) {
		ws_sock_error(&d->sock, "bad_argument", "'q' is a required string", rid);
		return;
	}
	a[0] = omniq_str(d->agent);
	a[1] = omniq_str(q);
	a[2] = omniq_str("20");
	answer_rows(d, rid, "search", 3, a, "found");
}

/* A waiting session taken by a person: for the agent itself ("agent" absent), which then
 * holds it at once - it chose it, an offer to accept would be a second click - except a
 * call, which rings its phone as any offer does; or, by a supervisor, for a colleague, who
 * gets it as an offer. The library checks the role and the target's room. */
static void do_pick(desk_t *d, json_t *m, json_t *rid)
{
	int bad = 0, rc;
	const char *target = ws_json_str(m, "agent", &bad);
	const char *sids = ws_json_str(m, "sid", &bad);
	str sid, me = omniq_str(d->agent), to;
	omniq_session_info_t info;

	if(bad || sids == NULL) {
		ws_sock_error(&d->sock, "bad_argument", "'sid' is a required string, 'agent' a string",
				rid);
		return;
	}
	sid = omniq_str(sids);
	to = target && target[0] ? omniq_str(target) : me;
	if((rc = ws_oq.pick(&sid, &to, &me)) < 0) {
		error_rc(d, rc, rid);
		return;
	}
	if(to.s == me.s && ws_oq.get(&sid, &info) == 0 && strcmp(info.channel, "phone") != 0
			&& (rc = ws_oq.accept(&sid, &me)) < 0) {
		error_rc(d, rc, rid); /* the offer stands: the inbox shows it to accept */
		send_inbox(d, "inbox");
		return;
	}
	ok(d, rid, json_pack("{s:s}", "sid", sid.s));
	send_inbox(d, "inbox");
}

/* {"type":"alert_ack","sid":".."}: the agent takes in hand the service-level alert of a
 * session it was told of (not another's: OMNIQ_EAGENT) */
static void do_alert_ack(desk_t *d, json_t *m, json_t *rid)
{
	int bad = 0, rc;
	const char *sids = ws_json_str(m, "sid", &bad);
	str sid, me = omniq_str(d->agent);

	if(bad || sids == NULL) {
		ws_sock_error(&d->sock, "bad_argument", "'sid' is a required string", rid);
		return;
	}
	sid = omniq_str(sids);
	if((rc = ws_oq.sla_ack(&sid, &me, 1)) < 0) {
		error_rc(d, rc, rid);
		return;
	}
	ok(d, rid, json_pack("{s:s}", "sid", sids));
}

/* The desk's token (desk_token.h). */
static int on_hello(desk_t *d, json_t *m)
{
	const char *tok = json_string_value(json_object_get(m, "token"));
	int rc = ws_desk_token(tok, &d->tenant, d->agent, sizeof(d->agent), &d->epoch);

	if(rc == WS_DESK_EXPIRED)
		return ws_sock_close(&d->sock, LWS_CLOSE_STATUS_POLICY_VIOLATION, "token expired");
	if(rc == WS_DESK_BAD) {
		d->agent[0] = '\0';
		return ws_sock_close(&d->sock, LWS_CLOSE_STATUS_POLICY_VIOLATION, "bad token");
	}
	if(rc == WS_DESK_UNAVAILABLE)
		return ws_sock_close(&d->sock, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
				"service unavailable, reconnect");
	if(rc == WS_DESK_LOGGED_OUT) {
		d->agent[0] = '\0';
		return ws_sock_close(&d->sock, LWS_CLOSE_STATUS_POLICY_VIOLATION, "logged out");
	}
	d->fol.tenant = d->tenant;
	d->hello = 1;
	ws_admit_known(d->sock.wsi);
	return send_inbox(d, "welcome");
}

/* The agent logs out: every token of it ends, this desk's and its other ones, on every
 * node (the 'revoke' event closes them, this one too). */
static void do_logout(desk_t *d, json_t *rid)
{
	str aid = omniq_str(d->agent);
	long long now;
	int rc = ws_oq.agent_revoke(&aid, d->epoch, &now);

	if(rc < 0) {
		error_rc(d, rc, rid);
		return;
	}
	ok(d, rid, NULL);
}

static int on_message(desk_t *d, json_t *m)
{
	const char *type = json_string_value(json_object_get(m, "type"));
	json_t *rid = json_object_get(m, "rid");

	if(type && !strcmp(type, "hello") && !d->hello)
		return on_hello(d, m);
	if(!d->hello)
		return ws_sock_close(&d->sock, LWS_CLOSE_STATUS_INVALID_PAYLOAD, "hello first");
	if(type == NULL)
		ws_sock_error(&d->sock, "bad_argument", "'type' is required", rid);
	else if(!strcmp(type, "state"))
		do_state(d, m, rid);
	else if(!strcmp(type, "logout"))
		do_logout(d, rid);
	else if(!strcmp(type, "accept") || !strcmp(type, "decline"))
		do_offer(d, m, rid, type[0] == 'a');
	else if(!strcmp(type, "reply") || !strcmp(type, "note"))
		do_write(d, m, rid, type[0] == 'n');
	else if(!strcmp(type, "close"))
		do_close(d, m, rid);
	else if(!strcmp(type, "transfer"))
		do_transfer(d, m, rid);
	else if(!strcmp(type, "customer"))
		do_customer(d, m, rid);
	else if(!strcmp(type, "transcript"))
		do_transcript(d, m, rid);
	else if(!strcmp(type, "typing"))
		do_typing(d, m);
	else if(!strcmp(type, "queue"))
		do_queue(d, rid);
	else if(!strcmp(type, "pick"))
		do_pick(d, m, rid);
	else if(!strcmp(type, "directory"))
		do_directory(d, rid);
	else if(!strcmp(type, "canned"))
		do_canned(d, m, rid);
	else if(!strcmp(type, "search"))
		do_search(d, m, rid);
	else if(!strcmp(type, "alert_ack"))
		do_alert_ack(d, m, rid);
	else if(!strncmp(type, "followup", 8))
		ws_desk_followup(&d->sock, d->agent, type, m, rid);
	else if(!strcmp(type, "figures") || !strcmp(type, "board"))
		ws_desk_board(&d->sock, d->agent, type, m, rid);
	else
		ws_sock_error(&d->sock, "bad_argument", "unknown message type", rid);
	return 0;
}

/* ---- events ----------------------------------------------------------------------- */

static void on_item(ws_follower_t *f, const ws_item_t *it)
{
	desk_t *d = of(f);

	if(!strcmp(it->type, "message") && it->body) {
		ws_sock_send(&d->sock,
				json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", "message", "sid", it->sid, "dir",
						it->state, "from", it->from, "text", it->body, "id", it->id));
		return;
	}
	if(!strcmp(it->type, "delivery")) { /* one of its replies went out, or did not */
		ws_sock_send(&d->sock,
				json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "delivery", "sid", it->sid, "id",
						it->id, "state", it->state, "reason", it->body ? it->body : ""));
		return;
	}
	if(!strcmp(it->type, "revoke")) { /* a logout or a new password: tokens before end */
		if(!strcmp(it->agent, d->agent) && strtoll(it->state, NULL, 10) > d->epoch)
			ws_sock_close_later(&d->sock, LWS_CLOSE_STATUS_POLICY_VIOLATION, "logged out");
		return;
	}
	if(!strcmp(it->type, "followup")) { /* one of its follow-ups moved: the list is stale */
		if(!strcmp(it->agent, d->agent))
			ws_sock_send(&d->sock, json_pack("{s:s,s:s,s:s,s:s}", "type", "followup", "fid",
										   it->id, "state", it->state, "sid", it->sid));
		return;
	}
	if(!strncmp(it->type, "sla", 3)) { /* a service-level alert for this agent */
		if(!strcmp(it->agent, d->agent) && it->type[3] >= '1' && it->type[3] <= '3')
			ws_sock_send(&d->sock, json_pack("{s:s,s:s,s:i,s:s,s:I}", "type", "alert", "sid",
										   it->sid, "level", it->type[3] - '0', "kind",
										   it->state, "wait_ms", (json_int_t)it->wait_ms));
		return;
	}
	if(!strcmp(it->type, "typing")) {
		if(!strcmp(it->state, "in"))
			ws_sock_send(&d->sock, json_pack("{s:s,s:s,s:s}", "type", "typing", "sid", it->sid,
										   "from", it->from));
		return;
	}
	/* an offer, a state change of one of its sessions, events lost (resync) or a message
	 * whose body the thread could not read (the page reads its transcript): re-read before
	 * the next send */
	if(!strcmp(it->type, "resync") || !strcmp(it->type, "message"))
		d->resync = 1;
	d->dirty = 1;
	lws_callback_on_writable(d->sock.wsi);
}

int ws_desk_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len)
{
	desk_t *d = (desk_t *)user;
	json_t *m;
	int rc;

	if(d && d->hello)
		ws_oq.tenant_use_index(d->tenant); /* http.c goes back to the default after */
	switch(reason) {
		case LWS_CALLBACK_ESTABLISHED:
			memset(d, 0, sizeof(*d));
			d->fol.on_item = on_item;
			d->sock.who = d->agent;
			return ws_sock_open(&d->sock, wsi, "/ws/agent", ws_cfg.desk_rate);

		case LWS_CALLBACK_RECEIVE:
			rc = ws_sock_rx(&d->sock, in, len, &m);
			if(rc <= 0)
				return rc;
			rc = on_message(d, m);
			json_decref(m);
			return rc;

		case LWS_CALLBACK_SERVER_WRITEABLE:
			if(d->dirty && d->hello && send_inbox(d, "inbox") < 0)
				return -1;
			return ws_sock_writable(&d->sock);

		case LWS_CALLBACK_TIMER:
			return ws_sock_late(&d->sock);

		case LWS_CALLBACK_CLOSED:
			ws_unfollow_all(&d->fol);
			ws_sock_free(&d->sock);
			return 0;

		default:
			return 0;
	}
}
