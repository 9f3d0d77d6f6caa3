/*
 * chat.c - the web chat of customers: WebSocket /ws/chat, sub-protocol "omniq-chat".
 *
 * Client → server (JSON text frames):
 *   {"type":"hello", "visitor":tok?, "user":tok?, "session":sid?, "resume":tok?}   first
 *   {"type":"message", "text":"...", "cid":"..."}                                   any time
 * Server → client:
 *   {"type":"welcome", "visitor":tok, "identity":..., "session":sid|null, "resume":tok|null,
 *    "state":..., "position":n, "est_wait_s":n, "transcript":[{id,dir,from,text}...]}
 *   {"type":"session", "session":sid, "resume":tok, "state":..., "position":n, "est_wait_s":n}
 *   {"type":"ack", "cid":..., "id":...}         the message is in the transcript
 *   {"type":"state", "state":..., "agent":...}  offered, accepted (the agent), closed ...
 *   {"type":"message", "dir":"out"|"sys", "from":..., "text":..., "id":...}
 *   {"type":"error", "code":..., "message":...} a refused request; the socket stays open
 * Close codes: 1007 invalid JSON or no hello first, 1008 bad token or rate limit,
 * 1009 frame larger than max_frame, 1011 server error.
 *
 * Identity: a visitor token (a random id signed with site_secret, issued here) or a user
 * token signed by the site's backend over an omniq identity ("email:bob@example.com"), so
 * the chat joins that customer's history. The resume token (visitor/identity + session id,
 * signed) lets a reloaded page continue its session and get the transcript again.
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <libwebsockets.h>

#include "core/dprint.h"

#include "ws.h"
#include "token.h"
#include "events.h"
#include "chat.h"

#define CHAT_BUCKETS 4096
#define OUT_MAX 512      /* queued frames per socket before it counts as stuck */

typedef struct out {
	struct out *next;
	size_t len;
	unsigned char buf[]; /* LWS_PRE + payload */
} out_t;

typedef struct chat {
	struct chat *next;   /* in its session's bucket */
	struct lws *wsi;
	int hello;
	char identity[WS_TOKEN_ID_MAX + 8];
	char visitor_tok[WS_TOKEN_MAX];
	char sid[OMNIQ_SID_MAX];
	char *rx;
	size_t rx_len;
	out_t *out_head, *out_tail;
	int out_n;
	double tokens;       /* rate limit bucket */
	long long tokens_at;
} chat_t;

static chat_t *by_sid[CHAT_BUCKETS];
const size_t ws_chat_pss_size = sizeof(chat_t);

static long long now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static unsigned bucket(const char *sid)
{
	return (unsigned)strtoul(sid, NULL, 10) % CHAT_BUCKETS;
}

static void attach(chat_t *c, const char *sid)
{
	snprintf(c->sid, sizeof(c->sid), "%s", sid);
	c->next = by_sid[bucket(sid)];
	by_sid[bucket(sid)] = c;
	ws_events_watch(sid);
}

static void detach(chat_t *c)
{
	chat_t **p;
	if(c->sid[0] == '\0')
		return;
	for(p = &by_sid[bucket(c->sid)]; *p; p = &(*p)->next)
		if(*p == c) {
			*p = c->next;
			break;
		}
	ws_events_unwatch(c->sid);
	c->sid[0] = '\0';
}

/* Queue a JSON value (consumed) for the socket. */
static void send_json(chat_t *c, json_t *v)
{
	char *txt = v ? json_dumps(v, JSON_COMPACT) : NULL;
	size_t n;
	out_t *o;

	if(v)
		json_decref(v);
	if(txt == NULL)
		return;
	n = strlen(txt);
	if(c->out_n >= OUT_MAX || (o = malloc(sizeof(*o) + LWS_PRE + n)) == NULL) {
		free(txt);
		LM_NOTICE("chat socket of %s is not reading: frame dropped, closing\n", c->identity);
		lws_close_reason(c->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
				(unsigned char *)"too slow", 8);
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
		return;
	}
	memcpy(o->buf + LWS_PRE, txt, n);
	o->len = n;
	o->next = NULL;
	free(txt);
	if(c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_n++;
	lws_callback_on_writable(c->wsi);
}

static void send_error(chat_t *c, const char *code, const char *msg)
{
	send_json(c, json_pack("{s:s,s:s,s:s}", "type", "error", "code", code, "message", msg));
}

static int close_with(chat_t *c, int status, const char *why)
{
	LM_INFO("chat socket closed (%d %s)\n", status, why);
	lws_close_reason(c->wsi, (enum lws_close_status)status, (unsigned char *)why, strlen(why));
	return -1;
}

static int resume_token(const chat_t *c, const char *sid, char *out, size_t outlen)
{
	char id[sizeof(c->identity) + 32];
	if((size_t)snprintf(id, sizeof(id), "%s/%s", c->identity, sid) > WS_TOKEN_ID_MAX)
		return -1;
	return ws_token_make(ws_cfg.site_secret, "resume", id, out, outlen);
}

static void add_state(json_t *o, const omniq_session_info_t *s)
{
	json_object_set_new(o, "state", json_string(s->state));
	json_object_set_new(o, "agent", json_string(s->agent));
	json_object_set_new(o, "position", json_integer(s->position));
	json_object_set_new(o, "est_wait_s", json_integer(s->est_wait_s));
}

static void tx_entry(void *arg, const str *id, const str *dir, const str *from, const str *body)
{
	json_array_append_new((json_t *)arg,
			json_pack("{s:s%,s:s%,s:s%,s:s%}", "id", id->s, (size_t)id->len, "dir", dir->s,
					(size_t)dir->len, "from", from->s, (size_t)from->len, "text", body->s,
					(size_t)body->len));
}

static int is_terminal(const char *state)
{
	return !strcmp(state, "closed") || !strcmp(state, "abandoned") || !strcmp(state, "expired");
}

static int on_hello(chat_t *c, json_t *m)
{
	const char *user = json_string_value(json_object_get(m, "user"));
	const char *vis = json_string_value(json_object_get(m, "visitor"));
	const char *sid = json_string_value(json_object_get(m, "session"));
	const char *res = json_string_value(json_object_get(m, "resume"));
	char id[WS_TOKEN_ID_MAX + 1], rtok[WS_TOKEN_ID_MAX + 1], rid[sizeof(c->identity) + 32];
	omniq_session_info_t info;
	json_t *w, *tx;
	str s;

	if(user) {
		if(ws_token_check(ws_cfg.site_secret, "user", user, c->identity, sizeof(c->identity)) < 0)
			return close_with(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "bad user token");
	} else if(vis) {
		if(ws_token_check(ws_cfg.site_secret, "visitor", vis, id, sizeof(id)) < 0
				|| strlen(id) != 32)
			return close_with(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "bad visitor token");
		snprintf(c->identity, sizeof(c->identity), "web:%s", id);
		snprintf(c->visitor_tok, sizeof(c->visitor_tok), "%s", vis);
	} else {
		char fresh[33];
		if(ws_token_random_id(fresh) < 0
				|| ws_token_make(ws_cfg.site_secret, "visitor", fresh, c->visitor_tok,
						   sizeof(c->visitor_tok))
						   < 0)
			return close_with(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "no randomness");
		snprintf(c->identity, sizeof(c->identity), "web:%s", fresh);
	}
	c->hello = 1;
	w = json_pack("{s:s,s:s,s:s}", "type", "welcome", "visitor", c->visitor_tok, "identity",
			c->identity);
	/* resume: the token must be ours for exactly this session, and the session still open */
	if(sid && res) {
		snprintf(rid, sizeof(rid), "%s/%s", c->identity, sid);
		if(ws_token_check(ws_cfg.site_secret, "resume", res, rtok, sizeof(rtok)) == 0
				&& !strcmp(rtok, rid)) {
			s = omniq_str(sid);
			if(ws_oq.get(&s, &info) == OMNIQ_OK && !is_terminal(info.state)) {
				attach(c, sid);
				json_object_set_new(w, "session", json_string(sid));
				json_object_set_new(w, "resume", json_string(res));
				add_state(w, &info);
				tx = json_array();
				if(ws_oq.transcript(&s, NULL, 1000, tx_entry, tx) < 0)
					LM_NOTICE("transcript of %s: %s\n", sid, ws_oq.last_error());
				json_object_set_new(w, "transcript", tx);
			}
		}
	}
	if(json_object_get(w, "session") == NULL)
		json_object_set_new(w, "session", json_null());
	send_json(c, w);
	return 0;
}

static int on_message(chat_t *c, json_t *m)
{
	json_t *text = json_object_get(m, "text"), *cid = json_object_get(m, "cid"), *ack;
	char rtok[WS_TOKEN_MAX];
	omniq_session_info_t info;
	str channel = str_init("web"), ident, skills, queue, ext, sid, dir = str_init("in"), body;
	int rc;

	if(!json_is_string(text) || json_string_length(text) == 0) {
		send_error(c, "bad_argument", "'text' must be a non-empty string");
		return 0;
	}
	if(cid && !json_is_string(cid)) {
		send_error(c, "bad_argument", "'cid' must be a string");
		return 0;
	}
	if(c->sid[0] == '\0') {
		ident = omniq_str(c->identity);
		skills = omniq_str(ws_cfg.chat_skills);
		queue = omniq_str(ws_cfg.chat_queue);
		ext = omniq_str(c->identity);
		rc = ws_oq.open(&channel, &ident, &skills, 0, &queue, &ext, &info);
		if(rc < 0) {
			send_error(c, rc == OMNIQ_EREDIS ? "unavailable" : "refused", ws_oq.last_error());
			return 0;
		}
		attach(c, info.sid);
		if(resume_token(c, info.sid, rtok, sizeof(rtok)) < 0)
			rtok[0] = '\0';
		ack = json_pack("{s:s,s:s,s:s}", "type", "session", "session", info.sid, "resume", rtok);
		add_state(ack, &info);
		send_json(c, ack);
	}
	sid = omniq_str(c->sid);
	body.s = (char *)json_string_value(text);
	body.len = (int)json_string_length(text);
	ident = omniq_str(c->identity);
	rc = ws_oq.append(&sid, &dir, &ident, &body);
	if(rc < 0) {
		send_error(c, rc == OMNIQ_EREDIS ? "unavailable" : "refused", ws_oq.last_error());
		return 0;
	}
	ack = json_pack("{s:s}", "type", "ack");
	if(cid)
		json_object_set(ack, "cid", cid);
	send_json(c, ack);
	return 0;
}

/* A complete frame: rate limit, parse, dispatch. */
static int on_frame(chat_t *c)
{
	json_error_t err;
	json_t *m;
	const char *type;
	long long now = now_ms();
	int rc = 0;

	c->tokens += (now - c->tokens_at) * ws_cfg.chat_rate / 1000.0;
	if(c->tokens > ws_cfg.chat_rate * 2.0)
		c->tokens = ws_cfg.chat_rate * 2.0;
	c->tokens_at = now;
	if(c->tokens < 1.0)
		return close_with(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "rate limit");
	c->tokens -= 1.0;

	m = json_loadb(c->rx, c->rx_len, JSON_REJECT_DUPLICATES, &err);
	if(m == NULL || !json_is_object(m)) {
		if(m)
			json_decref(m);
		return close_with(c, LWS_CLOSE_STATUS_INVALID_PAYLOAD, "invalid JSON");
	}
	type = json_string_value(json_object_get(m, "type"));
	if(type && !strcmp(type, "hello") && !c->hello)
		rc = on_hello(c, m);
	else if(!c->hello)
		rc = close_with(c, LWS_CLOSE_STATUS_INVALID_PAYLOAD, "hello first");
	else if(type && !strcmp(type, "message"))
		rc = on_message(c, m);
	else
		send_error(c, "bad_argument", "unknown message type");
	json_decref(m);
	return rc;
}

/* The event thread's items, in the lws loop: to every socket of the session. */
void ws_chat_deliver(void)
{
	ws_item_t *it = ws_events_take(), *next;
	chat_t *c;
	json_t *v;

	for(; it; it = next) {
		next = it->next;
		for(c = by_sid[bucket(it->sid)]; c; c = c->next) {
			if(strcmp(c->sid, it->sid))
				continue;
			if(!strcmp(it->type, "message")) {
				if(!strcmp(it->state, "in") || it->body == NULL)
					continue; /* the customer's own words are acked, not echoed */
				v = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "message", "dir", it->state,
						"from", it->from, "text", it->body, "id", it->id);
			} else {
				v = json_pack("{s:s,s:s,s:s,s:s}", "type", "state", "event", it->type, "state",
						it->state, "agent", it->agent);
			}
			send_json(c, v);
		}
		ws_item_free(it);
	}
}

int ws_chat_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len)
{
	chat_t *c = (chat_t *)user;
	char uri[64];
	out_t *o;
	char *nb;

	switch(reason) {
		case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
			ws_chat_deliver();
			return 0;

		case LWS_CALLBACK_ESTABLISHED:
			memset(c, 0, sizeof(*c));
			c->wsi = wsi;
			c->tokens = ws_cfg.chat_rate * 2.0;
			c->tokens_at = now_ms();
			if(lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0
					|| strcmp(uri, "/ws/chat") != 0) {
				lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
						(unsigned char *)"wrong path", 10);
				return -1;
			}
			if(ws_cfg.site_secret == NULL) {
				lws_close_reason(wsi, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
						(unsigned char *)"chat not configured", 19);
				return -1;
			}
			return 0;

		case LWS_CALLBACK_RECEIVE:
			if(lws_frame_is_binary(wsi))
				return close_with(c, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, "text frames only");
			if(c->rx_len + len > (size_t)ws_cfg.max_frame)
				return close_with(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
			nb = realloc(c->rx, c->rx_len + len + 1);
			if(nb == NULL)
				return close_with(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
			c->rx = nb;
			memcpy(c->rx + c->rx_len, in, len);
			c->rx_len += len;
			if(!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
				return 0;
			{
				int rc = on_frame(c);
				c->rx_len = 0;
				return rc;
			}

		case LWS_CALLBACK_SERVER_WRITEABLE:
			o = c->out_head;
			if(o == NULL)
				return 0;
			if(lws_write(wsi, o->buf + LWS_PRE, o->len, LWS_WRITE_TEXT) < (int)o->len)
				return -1;
			c->out_head = o->next;
			if(c->out_head == NULL)
				c->out_tail = NULL;
			c->out_n--;
			free(o);
			if(c->out_head)
				lws_callback_on_writable(wsi);
			return 0;

		case LWS_CALLBACK_CLOSED:
			detach(c);
			while((o = c->out_head) != NULL) {
				c->out_head = o->next;
				free(o);
			}
			c->out_tail = NULL;
			free(c->rx);
			c->rx = NULL;
			return 0;

		default:
			return 0;
	}
}
