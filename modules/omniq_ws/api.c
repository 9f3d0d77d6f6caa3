/*
 * api.c - the REST API for integrators, /api/v1 (see docs/openapi.yaml).
 *
 *   POST /api/v1/sessions                       open a session on any channel
 *   POST /api/v1/channels/{channel}/messages    a customer's message (generic ingest):
 *                                               to the live session, or one it opens
 *   GET  /api/v1/sessions/{sid}                 state, agent, position, estimated wait
 *   PUT  /api/v1/sessions/{sid}                 sets the fields given: {"tags","csat","nps",
 *                                               "disposition","follow_up"}
 *   GET  /api/v1/sessions/{sid}/messages        the transcript, paged (?after=<id>&limit=n)
 *   POST /api/v1/sessions/{sid}/messages        append a message (dir in | out | sys | note);
 *                                               out is a reply: from the agent who holds
 *                                               the session, or with no from the
 *                                               integration's (api:<key name>)
 *   POST /api/v1/sessions/{sid}/accept          {"agent"}
 *   POST /api/v1/sessions/{sid}/decline         {"agent"}
 *   POST /api/v1/sessions/{sid}/assign          {"agent"}: a waiting one, offered to agent
 *   POST /api/v1/sessions/{sid}/close           {"disposition"}
 *   POST /api/v1/sessions/{sid}/abandon
 *   POST /api/v1/desk/login                     {"agent","password"} → desk token (no API key;
 *                                               desk_login.c)
 *   customers, agents, queues, stats, followups: api_resources.c
 *
 * Every argument is checked here for presence and JSON type, and by the core for content;
 * the core writes nothing for a refused call. Errors are JSON with an HTTP status.
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "ws.h"
#include "desk_login.h"

#define API "/api/v1/"

/* the JSON error code of each return code (its HTTP status: omniq_http_status) */
static const struct { int rc; const char *code; } omniq_map[] = {
	{OMNIQ_EARG, "bad_argument"}, {OMNIQ_ENOTFOUND, "not_found"},
	{OMNIQ_ESTATE, "wrong_state"}, {OMNIQ_EAGENT, "wrong_agent"},
	{OMNIQ_ECAPACITY, "no_capacity"}, {OMNIQ_EREDIS, "unavailable"},
	{OMNIQ_EINTERNAL, "internal"}, {OMNIQ_ECLOSED, "closed"},
};

const char *ws_omniq_code(int rc)
{
	unsigned i;
	for(i = 0; i < sizeof(omniq_map) / sizeof(omniq_map[0]); i++)
		if(omniq_map[i].rc == rc)
			return omniq_map[i].code;
	return "internal";
}

int ws_omniq_fail(ws_resp_t *rs, int rc, const char *why)
{
	unsigned i;
	if(rc == OMNIQ_OK)
		return 0;
	for(i = 0; i < sizeof(omniq_map) / sizeof(omniq_map[0]); i++)
		if(omniq_map[i].rc == rc) {
			ws_error(rs, omniq_http_status(rc), omniq_map[i].code, "%s", why);
			return -1;
		}
	ws_error(rs, 500, "internal", "unexpected result %d", rc);
	return -1;
}

int ws_omniq_error(ws_resp_t *rs, int rc)
{
	return ws_omniq_fail(rs, rc, rc == OMNIQ_OK ? "" : ws_oq.last_error());
}

int ws_body_str(const ws_req_t *rq, ws_resp_t *rs, const char *name, int required, str *out)
{
	json_t *v = rq->body ? json_object_get(rq->body, name) : NULL;
	out->s = NULL;
	out->len = 0;
	if(v == NULL || json_is_null(v)) {
		if(required) {
			ws_error(rs, 400, "bad_argument", "'%s' is required", name);
			return -1;
		}
		return 0;
	}
	if(!json_is_string(v)) {
		ws_error(rs, 400, "bad_argument", "'%s' must be a string", name);
		return -1;
	}
	out->s = (char *)json_string_value(v);
	out->len = (int)json_string_length(v);
	return 0;
}

int ws_arg_num(const ws_req_t *rq, ws_resp_t *rs, const char *name, long long def,
		long long lo, long long hi, long long *out)
{
	const char *q = rq->query ? rq->query : "", *v;
	size_t nl = strlen(name);
	char *end;
	long long x;

	*out = def;
	for(v = q; v && *v; v = strchr(v, '&') ? strchr(v, '&') + 1 : NULL) {
		if(strncmp(v, name, nl) || v[nl] != '=')
			continue;
		x = strtoll(v + nl + 1, &end, 10);
		if(end == v + nl + 1 || (*end && *end != '&') || x < lo || x > hi) {
			ws_error(rs, 400, "bad_argument", "'%s' must be an integer %lld..%lld", name, lo, hi);
			return -1;
		}
		*out = x;
		return 0;
	}
	return 0;
}

int ws_arg_int(const ws_req_t *rq, ws_resp_t *rs, const char *name, int def, int lo, int hi,
		int *out)
{
	long long x;
	if(ws_arg_num(rq, rs, name, def, lo, hi, &x) < 0)
		return -1;
	*out = (int)x;
	return 0;
}

static json_t *session_json(const omniq_session_info_t *s)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:i}", "sid", s->sid, "state", s->state,
			"agent", s->agent, "customer", s->customer, "channel", s->channel, "position",
			s->position, "est_wait_s", s->est_wait_s);
}

/* The optional "priority" member, 0..OMNIQ_PRIORITY_MAX (0 when absent). 0, or -1 with the
 * 400 set. */
static int body_priority(const ws_req_t *rq, ws_resp_t *rs, int *out)
{
	json_t *v = rq->body ? json_object_get(rq->body, "priority") : NULL;

	*out = 0;
	if(v == NULL || json_is_null(v))
		return 0;
	if(!json_is_integer(v) || json_integer_value(v) < 0
			|| json_integer_value(v) > OMNIQ_PRIORITY_MAX) {
		ws_error(rs, 400, "bad_argument", "'priority' must be an integer 0..%d",
				OMNIQ_PRIORITY_MAX);
		return -1;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

/* What opens a session: identity, skills, queue, priority and ext (the identity when
 * absent, so that a webhook always knows whom to answer). 0, or -1 with the 400 set. */
static int open_fields(const ws_req_t *rq, ws_resp_t *rs, str *identity, str *skills,
		str *queue, int *priority, str *ext)
{
	if(ws_body_str(rq, rs, "identity", 1, identity) < 0
			|| ws_body_str(rq, rs, "skills", 0, skills) < 0
			|| ws_body_str(rq, rs, "queue", 0, queue) < 0
			|| ws_body_str(rq, rs, "ext", 0, ext) < 0 || body_priority(rq, rs, priority) < 0)
		return -1;
	if(ext->s == NULL)
		*ext = *identity;
	return 0;
}

static void open_session(const ws_req_t *rq, ws_resp_t *rs)
{
	str channel, identity, skills, queue, ext;
	omniq_session_info_t info;
	int priority;

	if(ws_body_str(rq, rs, "channel", 1, &channel) < 0
			|| open_fields(rq, rs, &identity, &skills, &queue, &priority, &ext) < 0)
		return;
	if(ws_omniq_error(rs, ws_oq.open(&channel, &identity, skills.s ? &skills : NULL, priority,
								  queue.s ? &queue : NULL, &ext, &info))
			< 0)
		return;
	rs->status = 201;
	rs->json = session_json(&info);
}

/* POST /api/v1/channels/{channel}/messages: a customer's message on the integrator's
 * channel, appended to the customer's live session there or to one it opens (api.ingest). */
static void channel_message(const ws_req_t *rq, ws_resp_t *rs, const char *channel, size_t len)
{
	omniq_inbound_t m;
	omniq_session_info_t info;
	char id[48];
	int rc;

	memset(&m, 0, sizeof(m));
	m.channel.s = (char *)channel;
	m.channel.len = (int)len;
	if(open_fields(rq, rs, &m.identity, &m.skills, &m.queue, &m.priority, &m.ext) < 0
			|| ws_body_str(rq, rs, "body", 1, &m.body) < 0
			|| ws_body_str(rq, rs, "from", 0, &m.from) < 0
			|| ws_body_str(rq, rs, "cid", 0, &m.cid) < 0)
		return;
	if(m.cid.s && m.cid.len == 0) {
		ws_error(rs, 400, "bad_argument", "'cid' must not be empty (leave it out instead)");
		return;
	}
	rc = ws_oq.ingest(&m, &info, id, sizeof(id));
	if(rc < 0) {
		ws_omniq_error(rs, rc);
		return;
	}
	rs->status = rc == OMNIQ_INGEST_DUPLICATE ? 200 : 201;
	rs->json = session_json(&info);
	json_object_set_new(rs->json, "id", json_string(id));
	json_object_set_new(rs->json, "opened", json_boolean(rc == OMNIQ_INGEST_OPENED));
	json_object_set_new(rs->json, "duplicate", json_boolean(rc == OMNIQ_INGEST_DUPLICATE));
	json_object_set_new(rs->json, "survey", json_boolean(rc == OMNIQ_INGEST_SURVEY));
}

static void get_session(const str *sid, ws_resp_t *rs)
{
	omniq_session_info_t info;
	if(ws_omniq_error(rs, ws_oq.get(sid, &info)) < 0)
		return;
	rs->status = 200;
	rs->json = session_json(&info);
}

int ws_set_fields(const ws_req_t *rq, ws_resp_t *rs, const str *id, const char *const *fields,
		int n, unsigned numeric, int (*set)(const str *, const str *, const str *))
{
	str v[WS_FIELDS_MAX], f;
	char num[WS_FIELDS_MAX][24];
	int i, given = 0;
	json_t *x;

	for(i = 0; i < n && i < WS_FIELDS_MAX; i++) {
		x = rq->body ? json_object_get(rq->body, fields[i]) : NULL;
		if(json_is_integer(x) && (numeric & (1u << i))) {
			snprintf(num[i], sizeof(num[i]), "%" JSON_INTEGER_FORMAT, json_integer_value(x));
			v[i] = omniq_str(num[i]);
		} else if(ws_body_str(rq, rs, fields[i], 0, &v[i]) < 0) {
			return -1;
		}
		given += v[i].s != NULL;
	}
	if(given == 0 || (size_t)given != json_object_size(rq->body)) {
		char names[WS_FIELDS_MAX * 24] = "";
		for(i = 0; i < n; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
					i ? ", " : "", fields[i]);
		ws_error(rs, 400, "bad_argument", "give one or more of %s, nothing else", names);
		return -1;
	}
	for(i = 0; i < n; i++) {
		if(v[i].s == NULL)
			continue;
		f = omniq_str(fields[i]);
		if(ws_omniq_error(rs, set(id, &f, &v[i])) < 0)
			return -1;
	}
	return 0;
}

/* Fields set after the contact: csat (1..5) and nps (0..10) may be JSON numbers. Each is
 * one call, checked by the core on its own; a refused one stops there (the fields before it
 * in this order stay set). */
static void put_session(const ws_req_t *rq, ws_resp_t *rs, const str *sid)
{
	static const char *const fields[] = {"tags", "csat", "nps", "disposition", "follow_up"};

	if(ws_set_fields(rq, rs, sid, fields, 5, (1u << 1) | (1u << 2), ws_oq.session_set) < 0)
		return;
	rs->status = 200;
	rs->json = json_object();
	if(ws_oq.query("session", 1, sid, ws_row_merge, rs->json) < 0)
		json_object_set_new(rs->json, "sid", json_stringn(sid->s, sid->len));
}

static void ok(ws_resp_t *rs, const str *sid, const char *what)
{
	rs->status = 200;
	rs->json = json_pack("{s:s%,s:s}", "sid", sid->s, (size_t)sid->len, "result", what);
}

/* The request's "dir", or "direction", its name before the one vocabulary (deprecated,
 * still taken; both given must agree). 0, or -1 with the 400 set. */
static int body_dir(const ws_req_t *rq, ws_resp_t *rs, str *dir)
{
	str old;

	if(ws_body_str(rq, rs, "dir", 0, dir) < 0 || ws_body_str(rq, rs, "direction", 0, &old) < 0)
		return -1;
	if(dir->s == NULL)
		*dir = old;
	else if(old.s && (old.len != dir->len || memcmp(old.s, dir->s, dir->len))) {
		ws_error(rs, 400, "bad_argument", "'dir' and 'direction' (its old name) disagree");
		return -1;
	}
	if(dir->s == NULL) {
		ws_error(rs, 400, "bad_argument", "'dir' is required (in, out, sys or note)");
		return -1;
	}
	return 0;
}

/* POST /sessions/{sid}/messages. An agent's words ("out") go through reply(): the channel
 * delivers them (an SMS, a webhook, a push to an app user who is not connected). A reply
 * in an agent's name must come from the agent who holds the session (reply_held: 409
 * wrong_agent otherwise, nothing written); one without "from" is the integration's own,
 * "api:<key name>", as the transcript shows it. */
static void post_message(const ws_req_t *rq, ws_resp_t *rs, const str *sid)
{
	static const str text = {"text", 4};
	char by[80];
	str dir, from, body;
	int rc;

	if(body_dir(rq, rs, &dir) < 0 || ws_body_str(rq, rs, "from", 0, &from) < 0
			|| ws_body_str(rq, rs, "body", 1, &body) < 0)
		return;
	if(dir.len == 3 && !memcmp(dir.s, "out", 3)) {
		if(from.s) {
			rc = ws_oq.reply_held(sid, &from, &text, &body);
		} else {
			snprintf(by, sizeof(by), "api:%s", rq->key_name ? rq->key_name : "");
			from = omniq_str(by);
			rc = ws_oq.reply(sid, &from, &body);
		}
	} else if(from.s == NULL) {
		ws_error(rs, 400, "bad_argument", "'from' is required for a message that is no reply");
		return;
	} else {
		rc = ws_oq.append(sid, &dir, &from, &body);
	}
	if(ws_omniq_error(rs, rc) < 0)
		return;
	ok(rs, sid, "appended");
	json_object_set_new(rs->json, "from", json_stringn(from.s, from.len));
	rs->status = 201;
}

/* GET /sessions/{sid}/messages?after=<id>&limit=<1..200>: the transcript, oldest first,
 * from after the entry id given (none: from the start); "next" is the id to ask after for
 * the next page, null at the end. */
typedef struct {
	json_t *rows;
	char last[48];
} tx_page_t;

static void tx_row(void *arg, const omniq_tx_entry_t *e)
{
	tx_page_t *p = arg;
	json_t *o = json_pack("{s:s%,s:s%,s:s%,s:s%}", "id", e->id.s, (size_t)e->id.len, "dir",
			e->dir.s, (size_t)e->dir.len, "from", e->from.s, (size_t)e->from.len, "body",
			e->body.s, (size_t)e->body.len);

	if(o == NULL)
		return;
	if(e->delivery.len) {
		json_object_set_new(o, "delivery", json_stringn(e->delivery.s, e->delivery.len));
		json_object_set_new(o, "delivery_reason",
				json_stringn(e->delivery_reason.s, e->delivery_reason.len));
	}
	json_array_append_new(p->rows, o);
	snprintf(p->last, sizeof(p->last), "%.*s", e->id.len, e->id.s);
}

/* The query argument name as it stands (no %-decoding: for ids of digits and '-') into out
 * (kept as it was when absent): 0, or -1 when longer than size - 1. */
static int raw_arg(const ws_req_t *rq, const char *name, char *out, size_t size)
{
	const char *q = rq->query ? rq->query : "", *v;
	size_t nl = strlen(name), n;

	for(v = q; v && *v; v = strchr(v, '&') ? strchr(v, '&') + 1 : NULL) {
		if(strncmp(v, name, nl) || v[nl] != '=')
			continue;
		v += nl + 1;
		n = strchr(v, '&') ? (size_t)(strchr(v, '&') - v) : strlen(v);
		if(n >= size)
			return -1;
		memcpy(out, v, n);
		out[n] = '\0';
		return 0;
	}
	return 0;
}

static void get_messages(const ws_req_t *rq, ws_resp_t *rs, const str *sid)
{
	char after[48] = "";
	tx_page_t page;
	str a;
	int limit, rc;

	if(ws_arg_int(rq, rs, "limit", 50, 1, 200, &limit) < 0)
		return;
	if(raw_arg(rq, "after", after, sizeof(after)) < 0
			|| strspn(after, "0123456789-") != strlen(after)) {
		ws_error(rs, 400, "bad_argument", "'after' must be a transcript id (<ms>-<n>)");
		return;
	}
	memset(&page, 0, sizeof(page));
	if((page.rows = json_array()) == NULL) {
		ws_error(rs, 500, "internal", "out of memory");
		return;
	}
	a = omniq_str(after);
	/* one more than asked for: whether there is a next page */
	rc = ws_oq.transcript_read(sid, &a, limit + 1, tx_row, &page); /* how many, or < 0 */
	if(ws_omniq_error(rs, rc > 0 ? OMNIQ_OK : rc) < 0) {
		json_decref(page.rows);
		return;
	}
	rs->status = 200;
	if(json_array_size(page.rows) > (size_t)limit) {
		json_array_remove(page.rows, (size_t)limit);
		rs->json = json_pack("{s:s%,s:o,s:s}", "sid", sid->s, (size_t)sid->len, "messages",
				page.rows, "next", json_string_value(json_object_get(
						json_array_get(page.rows, (size_t)limit - 1), "id")));
	} else {
		rs->json = json_pack("{s:s%,s:o,s:n}", "sid", sid->s, (size_t)sid->len, "messages",
				page.rows, "next");
	}
}

static void session_action(const ws_req_t *rq, ws_resp_t *rs, const str *sid, const char *act)
{
	str a;

	if(!strcmp(act, "messages")) {
		post_message(rq, rs, sid);
	} else if(!strcmp(act, "accept") || !strcmp(act, "decline")) {
		if(ws_body_str(rq, rs, "agent", 1, &a) < 0)
			return;
		if(ws_omniq_error(rs, act[0] == 'a' ? ws_oq.accept(sid, &a) : ws_oq.decline(sid, &a))
				< 0)
			return;
		ok(rs, sid, act[0] == 'a' ? "accepted" : "declined");
	} else if(!strcmp(act, "assign")) {
		/* a waiting session given to an agent by whoever holds the API key: the agent need
		 * not have its skills and may have declined it (api.pick) */
		if(ws_body_str(rq, rs, "agent", 1, &a) < 0)
			return;
		if(ws_omniq_error(rs, ws_oq.pick(sid, &a, NULL)) < 0)
			return;
		ok(rs, sid, "offered");
	} else if(!strcmp(act, "close")) {
		if(ws_body_str(rq, rs, "disposition", 0, &a) < 0)
			return;
		omniq_session_info_t info;

		/* wrapup while the agent finishes (the omniq module's wrapup time), else closed:
		 * what the session is, not what was asked - in the close's own reply */
		if(ws_omniq_error(rs, ws_oq.close_info(sid, a.s ? &a : NULL, &info)) < 0)
			return;
		ok(rs, sid, info.state);
	} else if(!strcmp(act, "abandon")) {
		int rc = ws_oq.abandon(sid);

		/* 1: the customer asked to be called back: it keeps its place */
		if(ws_omniq_error(rs, rc > 0 ? OMNIQ_OK : rc) < 0)
			return;
		ok(rs, sid, rc > 0 ? "kept" : "abandoned");
	} else if(!strcmp(act, "callback")) {
		if(ws_body_str(rq, rs, "to", 0, &a) < 0)
			return;
		if(ws_omniq_error(rs, ws_oq.callback(sid, a.s ? &a : NULL)) < 0)
			return;
		ok(rs, sid, "callback");
	} else {
		ws_error(rs, 404, "not_found", "no such action '%s'", act);
	}
}

void ws_api_handle(const ws_req_t *rq, ws_resp_t *rs)
{
	const char *p = rq->path;
	char sidbuf[OMNIQ_SID_MAX], act[32];
	const char *slash;
	str sid;
	size_t n;

	if(strncmp(p, API, sizeof(API) - 1) != 0) {
		ws_error(rs, 404, "not_found", "no such resource");
		return;
	}
	p += sizeof(API) - 1;
	if(!strcmp(p, "desk/login")) {
		ws_desk_login(rq, rs);
		return;
	}
	if(!strcmp(p, "sessions")) {
		if(strcmp(rq->method, "POST")) {
			ws_error(rs, 405, "method_not_allowed", "%s /api/v1/sessions", rq->method);
			return;
		}
		open_session(rq, rs);
		return;
	}
	if(!strncmp(p, "channels/", 9)) {
		slash = strchr(p + 9, '/');
		if(slash == NULL || strcmp(slash, "/messages")) {
			ws_error(rs, 404, "not_found", "no such resource");
			return;
		}
		if(strcmp(rq->method, "POST")) {
			ws_error(rs, 405, "method_not_allowed", "%s on a channel's messages", rq->method);
			return;
		}
		channel_message(rq, rs, p + 9, (size_t)(slash - (p + 9)));
		return;
	}
	if(strncmp(p, "sessions/", 9) != 0) {
		if(ws_api_resources(rq, rs, p) == 0)
			return;
		ws_error(rs, 404, "not_found", "no such resource");
		return;
	}
	p += 9;
	slash = strchr(p, '/');
	n = slash ? (size_t)(slash - p) : strlen(p);
	if(n == 0 || n >= sizeof(sidbuf) || strspn(p, "0123456789") != n) {
		ws_error(rs, 404, "not_found", "session ids are decimal numbers");
		return;
	}
	memcpy(sidbuf, p, n);
	sidbuf[n] = '\0';
	sid.s = sidbuf;
	sid.len = (int)n;
	if(slash == NULL) {
		if(!strcmp(rq->method, "PUT"))
			put_session(rq, rs, &sid);
		else if(strcmp(rq->method, "GET"))
			ws_error(rs, 405, "method_not_allowed", "%s on a session", rq->method);
		else
			get_session(&sid, rs);
		return;
	}
	if(strlen(slash + 1) >= sizeof(act) || strchr(slash + 1, '/')) {
		ws_error(rs, 404, "not_found", "no such resource");
		return;
	}
	snprintf(act, sizeof(act), "%s", slash + 1);
	if(!strcmp(act, "messages") && !strcmp(rq->method, "GET")) {
		get_messages(rq, rs, &sid);
		return;
	}
	if(strcmp(rq->method, "POST")) {
		ws_error(rs, 405, "method_not_allowed", "%s on a session action", rq->method);
		return;
	}
	session_action(rq, rs, &sid, act);
}
