/*
 * chat.c - the web chat of customers: WebSocket /ws/chat, sub-protocol "omniq-chat".
 *
 * Client → server (JSON text frames):
 *   {"type":"hello", "tenant":name?, "visitor":tok?, "user":tok?, "session":sid?,
 *    "resume":tok?, "name":...?, "contact":...?}                                  first
 *                   name, contact: what the visitor typed about themselves - labels of the
 *                   sessions it opens for the agent, unverified, never identities
 *   {"type":"message", "text":"...", "cid":"...", "name":...?, "contact":...?}
 *                     any time; appended once by its cid (name, contact: as in the hello, on
 *                     a message that opens a session)
 *   {"type":"typing"}                                      the customer is writing (throttled)
 *   {"type":"callback", "phone":"+86 139 ..."}             call me back instead of waiting
 *   {"type":"survey", "csat":1..5?, "nps":0..10?, "comment":"..."?}  the survey's answer
 * Server → client:
 *   {"type":"welcome", "visitor":tok, "identity":..., "session":sid|null, "resume":tok|null,
 *    "state":..., "position":n, "est_wait_s":n, "transcript":[{id,dir,from,text}...]}
 *   {"type":"session", "session":sid, "resume":tok, "state":..., "position":n, "est_wait_s":n}
 *   {"type":"ack", "cid":..., "duplicate":b}   the message is in the transcript (b: already)
 *   {"type":"state", "event":..., "state":..., "agent":..., "agent_name":...}  offered,
 *                                               accepted, closed ...; event "resync" below
 *   {"type":"message", "dir":"out"|"sys", "from":..., "text":..., "id":...}
 *   {"type":"typing", "from":...}               the agent is writing
 *   {"type":"callback", "to":"+86139..."}       the conversation will be called back there
 *   {"type":"survey", "state":"asked", "ask":"csat"|"nps"|"both"}   the conversation has
 *                                               ended: how was it? (its queue's survey)
 *   {"type":"survey", "state":"answered", "thanks":"..."}   the answer is recorded
 *   {"type":"error", "code":..., "message":..., "cid":...?} a refused message or request
 *                                               (cid: which message); the socket stays open
 * Close codes: 1007 invalid JSON or no hello first, 1008 bad token, a tenant without web
 * chat or rate limit, 1009 frame larger than max_frame, 1011 server error.
 *
 * Tenant: the company whose site embeds the widget (its data-tenant), the default one when
 * the hello names none; everything the socket does is in that tenant, with its secret
 * (sites.h). Identity: a visitor token (a random id signed with the tenant's secret, issued
 * here) or a user token signed by the site's backend over an omniq identity
 * ("email:bob@example.com"), so the chat joins that customer's history. The resume token
 * (visitor/identity + session id, signed) lets a reloaded page continue its session and get
 * the transcript again.
 *
 * Each message is sent once, in transcript order: the socket keeps the last transcript id
 * it has sent (or that the welcome's transcript held), and a message event with an id not
 * after it is not sent again. When this process lost events of the tenant (events.h,
 * "resync"), the socket sends what the transcript holds after that id and a "state" frame
 * with event "resync" of the session as it is now, for whatever change it did not hear of.
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <libwebsockets.h>

#include "core/dprint.h"

#include "ws.h"
#include "token.h"
#include "sock.h"
#include "admit.h"
#include "follow.h"
#include "customer.h"
#include "chat.h"
#include "appends.h"
#include "sites.h"

#define CLAIM_MAX 256 /* limits.def TEXT_MAX: a claimed name or contact */

typedef struct chat {
	ws_sock_t sock;
	ws_follower_t fol;   /* follows its session id */
	int hello;
	int tenant;                /* from the hello: current while serving this socket */
	const ws_chat_site_t *site; /* that tenant's web chat */
	char identity[WS_TOKEN_ID_MAX + 8];
	char visitor_tok[WS_TOKEN_MAX];
	char sid[OMNIQ_SID_MAX];
	char last[OMNIQ_STREAM_ID_MAX]; /* the last transcript id of sid sent (or "") */
	int over;                  /* sid's conversation is over for the customer (wrap-up, or
	                            * ended): their next message starts a new one */
	char *claimed[2];          /* name, contact: what the visitor says about themselves (the
	                            * hello or first message): labels of its sessions, never
	                            * identities; malloc'd only when given (most never are) */
} chat_t;

const size_t ws_chat_pss_size = sizeof(chat_t);

static void on_item(ws_follower_t *f, const ws_item_t *it);

static void attach(chat_t *c, const char *sid)
{
	snprintf(c->sid, sizeof(c->sid), "%s", sid);
	c->last[0] = '\0';
	c->over = 0;
	if(ws_follow(&c->fol, sid) < 0)
		LM_ERR("chat of %s cannot follow session %s (out of memory)\n", c->identity, sid);
}

/* The transcript of session sid so far into w ("transcript"), for a customer who comes back
 * to it (a resume, or another tab that opened it; what comes after arrives live: c->last,
 * the last id it holds, when sid is the attached one) or who reloads after it ended. */
static void transcript_into(chat_t *c, const char *sid, json_t *w)
{
	str s = omniq_str(sid);
	json_t *tx = json_array();

	if(ws_oq.transcript(&s, NULL, 1000, ws_cust_tx_append, tx) < 0)
		LM_NOTICE("transcript of %s: %s\n", sid, ws_oq.last_error());
	else if(json_array_size(tx) > 0 && !strcmp(sid, c->sid))
		snprintf(c->last, sizeof(c->last), "%s",
				json_string_value(
						json_object_get(json_array_get(tx, json_array_size(tx) - 1), "id")));
	json_object_set_new(w, "transcript", tx);
}

static void send_json(chat_t *c, json_t *v)
{
	ws_sock_send(&c->sock, v);
}

static void send_error(chat_t *c, const char *code, const char *msg)
{
	ws_sock_error(&c->sock, code, msg, NULL);
}

/* A message the core did not take: "unavailable" when Redis is (the widget sends it again,
 * with the same cid, which appends it once), else "refused" (the chat protocol's two words
 * for it); cid, when the client gave one, says which message. */
static void send_refusal(chat_t *c, int rc, const char *why, json_t *cid)
{
	ws_sock_error_for(&c->sock, rc == OMNIQ_EREDIS ? "unavailable" : "refused", why, cid);
}

static int close_with(chat_t *c, int status, const char *why)
{
	return ws_sock_close(&c->sock, status, why);
}

static int resume_token(const chat_t *c, const char *sid, char *out, size_t outlen)
{
	char id[sizeof(c->identity) + 32];
	if((size_t)snprintf(id, sizeof(id), "%s/%s", c->identity, sid) > WS_TOKEN_ID_MAX)
		return -1;
	return ws_token_make(c->site->secret, "resume", id, out, outlen);
}

/* A claim of the hello or a first message (which = 0 "name", 1 "contact"): a string of at
 * most CLAIM_MAX bytes without control characters, else not taken (and the widget told). */
static void claim(chat_t *c, json_t *m, int which)
{
	json_t *v = json_object_get(m, which ? "contact" : "name");
	const char *s = json_string_value(v);
	char *copy;
	size_t i, n;

	if(v == NULL || json_is_null(v))
		return;
	n = s ? json_string_length(v) : 0;
	for(i = 0; s && i < n; i++)
		if((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			break;
	if(s == NULL || n > CLAIM_MAX || i < n) {
		send_error(c, "bad_argument", "'name' and 'contact' are texts of at most 256 bytes");
		return;
	}
	if((copy = malloc(n + 1)) == NULL) {
		send_error(c, "unavailable", "out of memory");
		return;
	}
	memcpy(copy, s, n + 1);
	free(c->claimed[which]);
	c->claimed[which] = copy;
}

static int on_hello(chat_t *c, json_t *m)
{
	const char *user = json_string_value(json_object_get(m, "user"));
	const char *vis = json_string_value(json_object_get(m, "visitor"));
	const char *sid = json_string_value(json_object_get(m, "session"));
	const char *res = json_string_value(json_object_get(m, "resume"));
	int t;
	char id[WS_TOKEN_ID_MAX + 1], rtok[WS_TOKEN_ID_MAX + 1], rid[sizeof(c->identity) + 32];
	omniq_session_info_t info;
	json_t *w, *ended;
	int got;
	str s;

	if((t = ws_hello_tenant(json_object_get(m, "tenant"))) < 0
			|| (c->site = ws_chat_site(t)) == NULL)
		return close_with(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "no web chat for this tenant");
	c->tenant = c->fol.tenant = t;
	if(user) {
		if(ws_token_check(c->site->secret, "user", user, c->identity, sizeof(c->identity)) < 0)
			return close_with(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "bad user token");
	} else if(vis) {
		if(ws_token_check(c->site->secret, "visitor", vis, id, sizeof(id)) < 0
				|| strlen(id) != 32)
			return close_with(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "bad visitor token");
		snprintf(c->identity, sizeof(c->identity), "web:%s", id);
		snprintf(c->visitor_tok, sizeof(c->visitor_tok), "%s", vis);
	} else {
		char fresh[33];
		if(ws_token_random_id(fresh) < 0
				|| ws_token_make(c->site->secret, "visitor", fresh, c->visitor_tok,
						   sizeof(c->visitor_tok))
						   < 0)
			return close_with(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "no randomness");
		snprintf(c->identity, sizeof(c->identity), "web:%s", fresh);
	}
	c->hello = 1;
	ws_admit_known(c->sock.wsi);
	claim(c, m, 0);
	claim(c, m, 1);
	w = json_pack("{s:s,s:s,s:s}", "type", "welcome", "visitor", c->visitor_tok, "identity",
			c->identity);
	/* resume: the token must be ours for exactly this session, and the session still open;
	 * one that has ended comes back as "ended" (what was said, and that it is over: the
	 * customer's next message starts a new conversation) */
	if(sid && res) {
		snprintf(rid, sizeof(rid), "%s/%s", c->identity, sid);
		if(ws_token_check(c->site->secret, "resume", res, rtok, sizeof(rtok)) == 0
				&& !strcmp(rtok, rid)) {
			s = omniq_str(sid);
			got = ws_oq.get(&s, &info) == OMNIQ_OK;
			if(got && !ws_cust_terminal(info.state)) {
				attach(c, sid);
				c->over = ws_cust_over(info.state); /* wrap-up: its agent is done with it */
				json_object_set_new(w, "session", json_string(sid));
				json_object_set_new(w, "resume", json_string(res));
				ws_cust_state(w, &info);
				if(info.agent[0])
					ws_cust_agent_name(w, info.agent);
				transcript_into(c, sid, w);
			} else if(got && (ended = json_pack("{s:s}", "session", sid)) != NULL) {
				ws_cust_state(ended, &info);
				transcript_into(c, sid, ended);
				json_object_set_new(w, "ended", ended);
			}
		}
	}
	if(json_object_get(w, "session") == NULL)
		json_object_set_new(w, "session", json_null());
	send_json(c, w);
	return 0;
}

/* The answer for a message of on_message(): in the transcript, or why not. */
static void appended(void *owner, json_t *cid, int rc, const char *why, const char *id)
{
	chat_t *c = (chat_t *)owner;
	json_t *ack;

	(void)id;
	if(rc < 0) {
		send_refusal(c, rc, why, cid);
		return;
	}
	ack = json_pack("{s:s,s:b}", "type", "ack", "duplicate", rc == 1);
	if(ack && cid)
		json_object_set(ack, "cid", cid);
	send_json(c, ack);
}

static int on_message(chat_t *c, json_t *m)
{
	json_t *text = json_object_get(m, "text"), *cid = json_object_get(m, "cid"), *ack;
	char rtok[WS_TOKEN_MAX];
	omniq_session_info_t info;
	str channel = str_init("web"), ident, skills, queue, ext, body, claims[2];
	int rc;

	if(!json_is_string(text) || json_string_length(text) == 0) {
		send_error(c, "bad_argument", "'text' must be a non-empty string");
		return 0;
	}
	if(cid && (!json_is_string(cid) || json_string_length(cid) > OMNIQ_CID_MAX)) {
		char msg[64];
		snprintf(msg, sizeof(msg), "'cid' must be a string of at most %d bytes", OMNIQ_CID_MAX);
		send_error(c, "bad_argument", msg);
		return 0;
	}
	if(cid && json_string_length(cid) == 0)
		cid = NULL;
	if(c->sid[0] == '\0' || c->over) {
		/* a first message, or one after the end (the agent closed it, in wrap-up or not, or
		 * it expired): a new conversation, in the customer's history with the old one,
		 * which stays followed for what its agent may still write - or the one another tab
		 * of the same visitor has opened meanwhile (open_live) */
		/* the first message may carry the claims the widget asked for */
		claim(c, m, 0);
		claim(c, m, 1);
		ident = omniq_str(c->identity);
		skills = omniq_str(c->site->skills);
		queue = omniq_str(c->site->queue);
		ext = omniq_str(c->identity);
		claims[0] = omniq_str(c->claimed[0] ? c->claimed[0] : "");
		claims[1] = omniq_str(c->claimed[1] ? c->claimed[1] : "");
		rc = ws_oq.open_live(&channel, &ident, &skills, 0, &queue, &ext,
				claims[0].len || claims[1].len ? claims : NULL, &info);
		if(rc < 0) {
			send_refusal(c, rc, ws_oq.last_error(), cid);
			return 0;
		}
		attach(c, info.sid);
		if(resume_token(c, info.sid, rtok, sizeof(rtok)) < 0)
			rtok[0] = '\0';
		ack = json_pack("{s:s,s:s,s:s}", "type", "session", "session", info.sid, "resume", rtok);
		ws_cust_state(ack, &info);
		if(rc == 1) { /* another tab of the customer's opened it: one conversation */
			if(info.agent[0])
				ws_cust_agent_name(ack, info.agent);
			transcript_into(c, c->sid, ack);
		}
		send_json(c, ack);
	}
	body.s = (char *)json_string_value(text);
	body.len = (int)json_string_length(text);
	/* appended with the other messages of this turn of the loop, once by its cid when it
	 * has one (a resend after "unavailable" or a reconnect); acknowledged after */
	if(ws_append_later(c, appended, c->tenant, c->sid, c->identity, &body, cid, cid != NULL)
			< 0)
		send_refusal(c, OMNIQ_EREDIS, "out of memory", cid);
	return 0;
}

/* {"type":"callback","phone":"+86 139 0000 0001"}: the waiting visitor would rather be called
 * back than wait (the widget's button): the session keeps its place, the visitor may leave,
 * and its turn comes as a callback to that number. The number is what the visitor typed:
 * the callback's address, never one of the customer's identities. */
static int on_callback(chat_t *c, json_t *m)
{
	const char *phone = json_string_value(json_object_get(m, "phone"));
	char to[4 + 1 + 16 + 1];
	str sid = omniq_str(c->sid), tos;
	int n = 0, rc;

	if(c->sid[0] == '\0') {
		send_error(c, "bad_state", "no conversation yet: write first");
		return 0;
	}
	memcpy(to, "tel:+", 5);
	for(; phone && *phone && n <= 16; phone++) {
		if(*phone >= '0' && *phone <= '9')
			to[5 + n++] = *phone;
		else if(!strchr(" -().", *phone) && !(*phone == '+' && n == 0))
			break;
	}
	if(!phone || *phone || n < 7 || n > 15) {
		send_error(c, "bad_argument", "'phone' must be a number with its country code, "
				"such as +86 139 0000 0001");
		return 0;
	}
	to[5 + n] = '\0';
	tos = omniq_str(to);
	if((rc = ws_oq.callback(&sid, &tos)) < 0) {
		LM_INFO("chat %s: callback for %s: %s\n", c->identity, c->sid, ws_oq.last_error());
		if(rc == OMNIQ_ESTATE)
			send_error(c, "bad_state", "only a waiting conversation can be called back");
		else
			send_refusal(c, rc, ws_oq.strerror(rc), NULL);
		return 0;
	}
	send_json(c, json_pack("{s:s,s:s}", "type", "callback", "to", to + 4));
	return 0;
}

/* A complete message (rate limit and JSON checked by sock.c): dispatch. */
static int on_frame(chat_t *c, json_t *m)
{
	const char *type = json_string_value(json_object_get(m, "type"));

	if(type && !strcmp(type, "hello") && !c->hello)
		return on_hello(c, m);
	if(!c->hello)
		return close_with(c, LWS_CLOSE_STATUS_INVALID_PAYLOAD, "hello first");
	if(type && !strcmp(type, "message"))
		return on_message(c, m);
	if(type && !strcmp(type, "callback"))
		return on_callback(c, m);
	if(type && !strcmp(type, "survey")) {
		ws_cust_survey(&c->sock, c->sid, m);
		return 0;
	}
	if(type && !strcmp(type, "typing")) {
		/* before the first message there is no session and nobody to tell */
		str sid = omniq_str(c->sid), dir = str_init("in"), who = omniq_str(c->identity);
		if(c->sid[0] && ws_oq.typing(&sid, &dir, &who) < 0)
			LM_DBG("typing on %s: %s\n", c->sid, ws_oq.last_error());
		return 0;
	}
	send_error(c, "bad_argument", "unknown message type");
	return 0;
}

/* One transcript entry of a resync: sent unless it is the customer's own (acked). */
static void resync_entry(void *arg, const str *id, const str *dir, const str *from,
		const str *body)
{
	chat_t *c = (chat_t *)arg;

	if(id->len < (int)sizeof(c->last)) {
		memcpy(c->last, id->s, id->len);
		c->last[id->len] = '\0';
	}
	if((dir->len != 2 || memcmp(dir->s, "in", 2) != 0) && ws_cust_sees(dir))
		send_json(c, ws_cust_message(dir, from, body, id, NULL));
}

#define RESYNC_PAGE 1000

/* What the transcript holds after the last id sent: 0, or -1 when Redis failed, and the
 * socket is closed (the widget's reconnect brings the whole transcript and state). */
static int catch_up(chat_t *c)
{
	char was[OMNIQ_STREAM_ID_MAX];
	str s = omniq_str(c->sid), after;
	int rc;

	do {
		snprintf(was, sizeof(was), "%s", c->last);
		after = omniq_str(was);
		rc = ws_oq.transcript(&s, &after, RESYNC_PAGE, resync_entry, c);
	} while(rc == RESYNC_PAGE);
	if(rc >= 0)
		return 0;
	LM_NOTICE("chat %s: transcript of %s after %s: %s\n", c->identity, c->sid, was,
			ws_oq.last_error());
	ws_sock_close_later(&c->sock, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
			"service unavailable, reconnect");
	return -1;
}

/* Events of its session may have been lost: what the transcript holds after the last id
 * sent, then the session's state as it is. */
static void resync(chat_t *c)
{
	json_t *v;
	int ended;

	if(c->sid[0] == '\0' || catch_up(c) < 0)
		return;
	if((v = ws_cust_state_now(c->sid, 0, &ended)) != NULL) {
		if(ended)
			c->over = 1;
		send_json(c, v);
		return;
	}
	LM_NOTICE("chat %s: state of %s: %s\n", c->identity, c->sid, ws_oq.last_error());
	ws_sock_close_later(&c->sock, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
			"service unavailable, reconnect");
}

/* An event of the session, from the event thread (lws loop). */
static void on_item(ws_follower_t *f, const ws_item_t *it)
{
	chat_t *c = (chat_t *)((char *)f - offsetof(chat_t, fol));
	json_t *v;

	if(!strcmp(it->type, "resync")) {
		resync(c);
		return;
	}
	if(!strcmp(it->type, "message")) {
		if(omniq_stream_id_cmp(it->id, c->last) <= 0)
			return; /* sent already, by a resync */
		if(it->body == NULL && strcmp(it->state, "in")) {
			catch_up(c); /* the thread could not read its body: from the transcript */
			return;
		}
		snprintf(c->last, sizeof(c->last), "%s", it->id);
	}
	else if(!strcmp(it->sid, c->sid) && strcmp(it->type, "typing") && ws_cust_over(it->state))
		c->over = 1; /* ended for the customer: the widget says so */
	if((v = ws_cust_frame(it, 0)) != NULL)
		send_json(c, v);
}

int ws_chat_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len)
{
	chat_t *c = (chat_t *)user;
	json_t *m;
	int rc;

	switch(reason) {
		case LWS_CALLBACK_ESTABLISHED:
			memset(c, 0, sizeof(*c));
			c->fol.on_item = on_item;
			c->fol.no_inbound = 1; /* the customer's own lines are acknowledged, not echoed */
			c->sock.who = c->identity;
			if(ws_sock_open(&c->sock, wsi, "/ws/chat", ws_cfg.chat_rate) < 0)
				return -1;
			if(!ws_chat_any())
				return close_with(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
						"chat not configured");
			return 0;

		case LWS_CALLBACK_RECEIVE:
			rc = ws_sock_rx(&c->sock, in, len, &m);
			if(rc <= 0)
				return rc;
			ws_oq.tenant_use_index(c->tenant); /* http.c goes back to the default after */
			rc = on_frame(c, m);
			json_decref(m);
			return rc;

		case LWS_CALLBACK_SERVER_WRITEABLE:
			return ws_sock_writable(&c->sock);

		case LWS_CALLBACK_TIMER:
			return ws_sock_late(&c->sock);

		case LWS_CALLBACK_CLOSED:
			ws_append_forget(c);
			ws_unfollow_all(&c->fol);
			ws_sock_free(&c->sock);
			free(c->claimed[0]);
			free(c->claimed[1]);
			c->claimed[0] = c->claimed[1] = NULL;
			return 0;

		default:
			return 0;
	}
}
