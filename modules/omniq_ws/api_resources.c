/*
 * api_resources.c - the REST resources besides sessions (docs/openapi.yaml):
 *
 *   GET   /api/v1/customers/{identity|cid}           profile, identities, recent sessions
 *   PUT   /api/v1/customers/{identity|cid}           sets the fields given: {"name","tier",
 *                                                    "language","region","channel",
 *                                                    "surveys"}
 *   GET   /api/v1/customers/{identity|cid}/history   ?count=1..200 (50): sessions, newest first
 *   POST  /api/v1/customers/link                     {"a","b"}: two identities, one customer
 *   POST  /api/v1/customers/{identity|cid}/merge     {"into": identity or cid}
 *   GET   /api/v1/agents                             ?start=0&count=1..1000 (100)
 *   GET   /api/v1/agents/{aid}                       state, skills, capacity, load
 *   PUT   /api/v1/agents/{aid}                       {"name","skills","caps","contact","role"}
 *   POST  /api/v1/agents/{aid}/state                 {"state"}
 *   POST  /api/v1/agents/{aid}/password              {"password"}: its desk login
 *   GET   /api/v1/agents/{aid}/sessions              what it holds (its desk inbox)
 *   GET   /api/v1/queues                             every queue with its waiting count
 *   GET   /api/v1/queues/{name}                      ?start=0&count=1..1000 (100): waiting sessions
 *   GET   /api/v1/stats                              counters and current figures
 *   .../sla, .../queues/{name}/hours, .../tiers,      service settings: api_settings.c
 *   .../regions
 *   GET   /api/v1/followups                          ?from=&to= (unix ms)&count=1..1000 (100):
 *                                                    sessions closed with a follow-up date
 *   POST  /api/v1/followups                          {"sid" | "customer", "due", "reason",
 *                                                    "channel", "agent", "queue"}: a callback
 *                                                    or return visit scheduled: 201 {"fid"}
 *   GET   /api/v1/followups/{fid}                    one, with its state and outcome
 *   POST  /api/v1/followups/{fid}/done               {"outcome", "note"}: an opened one's end
 *
 * Each read is one api.query() (one Redis round trip) turned into JSON; each write one call
 * of the core, which checks the values and writes nothing when it refuses.
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "ws.h"

#define SEG_MAX 4
#define SEG_LEN 300

typedef struct path {
	int n;
	char seg[SEG_MAX][SEG_LEN];
} path_t;

/* "a/b/c" → segments; -1 when empty segments, too many or too long */
static int split(const char *p, path_t *out)
{
	const char *slash;
	size_t n;

	out->n = 0;
	while(*p) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if(n == 0 || n >= SEG_LEN || out->n == SEG_MAX)
			return -1;
		memcpy(out->seg[out->n], p, n);
		out->seg[out->n][n] = '\0';
		out->n++;
		p += n + (slash ? 1 : 0);
		if(slash && *p == '\0')
			return -1;
	}
	return out->n ? 0 : -1;
}

int ws_method_is(const ws_req_t *rq, ws_resp_t *rs, const char *m, const char *what)
{
	if(!strcmp(rq->method, m))
		return 1;
	ws_error(rs, 405, "method_not_allowed", "%s %s (this takes %s)", rq->method, what, m);
	return 0;
}

/* ---- reads: one query, rows to JSON ------------------------------------------------------ */

/* One object from a one-row reader (session, agent, customer, stats). */
void ws_read_one(ws_resp_t *rs, const char *what, int argc, const str *argv)
{
	json_t *o = json_object();
	int rc = ws_oq.query(what, argc, argv, ws_row_merge, o);
	if(rc < 0) {
		json_decref(o);
		ws_omniq_error(rs, rc);
		return;
	}
	rs->status = 200;
	rs->json = o;
}

/* {"<key>": [row objects]} from a reader with one row per record. */
void ws_read_list(ws_resp_t *rs, const char *key, const char *what, int argc,
		const str *argv)
{
	json_t *arr = json_array();
	int rc = ws_oq.query(what, argc, argv, ws_row_append, arr);
	if(rc < 0) {
		json_decref(arr);
		ws_omniq_error(rs, rc);
		return;
	}
	rs->status = 200;
	rs->json = json_pack("{s:o}", key, arr);
}

/* Readers whose one row is id, value, id, value ...: each pair becomes an object of the
 * array with the names k and v (a value "<state> <load>/<cap>" is split for agents). */
typedef struct pairs {
	json_t *arr;
	const char *k, *v;
} pairs_t;

static int pairs_row(void *arg, int n, const str *it)
{
	pairs_t *p = (pairs_t *)arg;
	char val[128], state[32];
	int i, load, cap;
	json_t *o;

	for(i = 0; i + 1 < n; i += 2) {
		o = json_pack("{s:s%}", p->k, it[i].s, (size_t)it[i].len);
		snprintf(val, sizeof(val), "%.*s", it[i + 1].len, it[i + 1].s);
		if(p->v == NULL) { /* agents */
			if(sscanf(val, "%31s %d/%d", state, &load, &cap) == 3) {
				json_object_set_new(o, "presence", json_string(state));
				json_object_set_new(o, "load", json_integer(load));
				json_object_set_new(o, "capacity", json_integer(cap));
			}
		} else if(!strcmp(p->v, "waiting")) {
			json_object_set_new(o, p->v, json_integer(atoi(val)));
		} else {
			json_object_set_new(o, p->v, json_string(val));
		}
		json_array_append_new(p->arr, o);
	}
	return 0;
}

static void read_pairs(ws_resp_t *rs, const char *key, const char *what, int argc,
		const str *argv, const char *k, const char *v)
{
	pairs_t p = {json_array(), k, v};
	int rc = ws_oq.query(what, argc, argv, pairs_row, &p);
	if(rc < 0) {
		json_decref(p.arr);
		ws_omniq_error(rs, rc);
		return;
	}
	rs->status = 200;
	rs->json = json_pack("{s:o}", key, p.arr);
}

/* start and count query arguments as the two strings a reader takes */
static int range_args(const ws_req_t *rq, ws_resp_t *rs, char b[2][16], str *argv)
{
	int start, count;
	if(ws_arg_int(rq, rs, "start", 0, 0, 1000000000, &start) < 0
			|| ws_arg_int(rq, rs, "count", 100, 1, 1000, &count) < 0)
		return -1;
	snprintf(b[0], 16, "%d", start);
	snprintf(b[1], 16, "%d", count);
	argv[0] = omniq_str(b[0]);
	argv[1] = omniq_str(b[1]);
	return 0;
}

/* ---- customers ------------------------------------------------------------------------- */

/* A customer named in a path or body by an identity or an id: its id in cid (size bytes).
 * An id is taken as it is; an identity is looked up (one round trip: the customer it
 * belongs to now, after merges). 0, or -1 with the answer set (404 for none). */
static int customer_id(ws_resp_t *rs, const str *x, char *cid, size_t size)
{
	json_t *o;
	const char *id;
	int rc, i;

	for(i = 0; i < x->len && x->s[i] >= '0' && x->s[i] <= '9'; i++)
		;
	if(x->len > 0 && i == x->len && (size_t)x->len < size) {
		memcpy(cid, x->s, (size_t)x->len);
		cid[x->len] = '\0';
		return 0;
	}
	if((o = json_object()) == NULL) {
		ws_error(rs, 500, "internal", "out of memory");
		return -1;
	}
	rc = ws_oq.query("customer", 1, x, ws_row_merge, o);
	id = rc < 0 ? NULL : json_string_value(json_object_get(o, "id"));
	if(rc >= 0 && (id == NULL || strlen(id) >= size))
		ws_error(rs, 500, "internal", "the customer record has no id");
	else if(rc < 0)
		ws_omniq_error(rs, rc);
	else
		snprintf(cid, size, "%s", id);
	json_decref(o);
	return rs->json ? -1 : 0;
}

static void customer_put(const ws_req_t *rq, ws_resp_t *rs, const str *cid)
{
	static const char *const fields[] = {
			"name", "tier", "language", "region", "channel", "surveys"};

	if(ws_set_fields(rq, rs, cid, fields, 6, 0, ws_oq.customer_set) == 0)
		ws_read_one(rs, "customer", 1, cid);
}

static void customers(const ws_req_t *rq, ws_resp_t *rs, const path_t *p)
{
	str x, a, b, args[2];
	char cid[OMNIQ_SID_MAX], cnt[16], name[SEG_LEN];
	int count, i;

	if(p->n == 2 && !strcmp(p->seg[1], "link")) {
		if(!ws_method_is(rq, rs, "POST", "/customers/link") || ws_body_str(rq, rs, "a", 1, &a) < 0
				|| ws_body_str(rq, rs, "b", 1, &b) < 0)
			return;
		if(ws_omniq_error(rs, ws_oq.link(&a, &b, cid, sizeof(cid))) < 0)
			return;
		rs->status = 200;
		rs->json = json_pack("{s:s}", "customer", cid);
		return;
	}
	if(p->n < 2) {
		ws_error(rs, 404, "not_found", "name a customer: /api/v1/customers/{identity or id}");
		return;
	}
	/* libwebsockets decodes a '+' of the path as a blank, which no identity holds: a phone
	 * identity written as it is (customers/sms:+86...) is meant, as %2B would be */
	snprintf(name, sizeof(name), "%s", p->seg[1]);
	for(i = 0; name[i]; i++)
		if(name[i] == ' ')
			name[i] = '+';
	x = omniq_str(name);
	if(p->n == 2) {
		if(!strcmp(rq->method, "PUT")) {
			str c;
			if(customer_id(rs, &x, cid, sizeof(cid)) < 0)
				return;
			c = omniq_str(cid);
			customer_put(rq, rs, &c);
		}
		else if(ws_method_is(rq, rs, "GET", "on a customer"))
			ws_read_one(rs, "customer", 1, &x);
	} else if(!strcmp(p->seg[2], "history")) {
		if(!ws_method_is(rq, rs, "GET", "on a customer's history")
				|| ws_arg_int(rq, rs, "count", 50, 1, 200, &count) < 0)
			return;
		snprintf(cnt, sizeof(cnt), "%d", count);
		args[0] = x;
		args[1] = omniq_str(cnt);
		ws_read_list(rs, "sessions", "history", 2, args);
	} else if(!strcmp(p->seg[2], "merge")) {
		char into[OMNIQ_SID_MAX];
		str f, t;
		if(!ws_method_is(rq, rs, "POST", "on a customer merge")
				|| ws_body_str(rq, rs, "into", 1, &b) < 0
				|| customer_id(rs, &x, cid, sizeof(cid)) < 0
				|| customer_id(rs, &b, into, sizeof(into)) < 0)
			return;
		f = omniq_str(cid);
		t = omniq_str(into);
		if(ws_omniq_error(rs, ws_oq.merge(&f, &t)) < 0)
			return;
		rs->status = 200;
		rs->json = json_pack("{s:s,s:s}", "customer", into, "merged", cid);
	} else {
		ws_error(rs, 404, "not_found", "no such customer resource '%s'", p->seg[2]);
	}
}

/* ---- agents ---------------------------------------------------------------------------- */

static void agent_put(const ws_req_t *rq, ws_resp_t *rs, const str *aid)
{
	str name, skills, caps, contact, role;
	if(ws_body_str(rq, rs, "name", 0, &name) < 0 || ws_body_str(rq, rs, "skills", 0, &skills) < 0
			|| ws_body_str(rq, rs, "caps", 0, &caps) < 0
			|| ws_body_str(rq, rs, "contact", 0, &contact) < 0
			|| ws_body_str(rq, rs, "role", 0, &role) < 0)
		return;
	/* a bad role is refused before anything is written */
	if(role.s && !(role.len == 5 && !memcmp(role.s, "agent", 5))
			&& !(role.len == 10 && !memcmp(role.s, "supervisor", 10))) {
		ws_error(rs, 400, "bad_argument", "'role' must be agent or supervisor");
		return;
	}
	if(ws_omniq_error(rs, ws_oq.agent_update(aid, name.s ? &name : NULL,
								  skills.s ? &skills : NULL, caps.s ? &caps : NULL,
								  contact.s ? &contact : NULL))
			< 0)
		return;
	/* a second call: a PUT repeated after a failure here completes it */
	if(role.s && ws_omniq_error(rs, ws_oq.agent_role(aid, &role)) < 0)
		return;
	ws_read_one(rs, "agent", 1, aid);
}

static void agents(const ws_req_t *rq, ws_resp_t *rs, const path_t *p)
{
	char b[2][16];
	str aid, v, args[2];

	if(p->n == 1) {
		if(ws_method_is(rq, rs, "GET", "/agents") && range_args(rq, rs, b, args) == 0)
			read_pairs(rs, "agents", "agents", 2, args, "id", NULL);
		return;
	}
	aid = omniq_str(p->seg[1]);
	if(p->n == 2) {
		if(!strcmp(rq->method, "PUT"))
			agent_put(rq, rs, &aid);
		else if(ws_method_is(rq, rs, "GET", "on an agent"))
			ws_read_one(rs, "agent", 1, &aid);
		return;
	}
	if(!strcmp(p->seg[2], "sessions")) {
		if(ws_method_is(rq, rs, "GET", "on an agent's sessions"))
			ws_read_list(rs, "sessions", "agent_sessions", 1, &aid);
	} else if(!strcmp(p->seg[2], "state")) {
		if(!ws_method_is(rq, rs, "POST", "on an agent's state")
				|| ws_body_str(rq, rs, "state", 1, &v) < 0)
			return;
		if(ws_omniq_error(rs, ws_oq.agent_state(&aid, &v)) < 0)
			return;
		ws_read_one(rs, "agent", 1, &aid);
	} else if(!strcmp(p->seg[2], "password")) {
		if(!ws_method_is(rq, rs, "POST", "on an agent's password")
				|| ws_body_str(rq, rs, "password", 1, &v) < 0)
			return;
		if(ws_omniq_error(rs, ws_oq.agent_password(&aid, &v)) < 0)
			return;
		rs->status = 200;
		rs->json = json_pack("{s:s%,s:s}", "agent", aid.s, (size_t)aid.len, "result",
				"password set");
	} else {
		ws_error(rs, 404, "not_found", "no such agent resource '%s'", p->seg[2]);
	}
}

/* ---- queues, stats, follow-ups ---------------------------------------------------------- */

static void queues(const ws_req_t *rq, ws_resp_t *rs, const path_t *p)
{
	char b[2][16];
	str args[3];

	if(!ws_method_is(rq, rs, "GET", "on queues"))
		return;
	if(p->n == 1) {
		read_pairs(rs, "queues", "queues", 0, NULL, "name", "waiting");
		return;
	}
	if(p->n > 2 || range_args(rq, rs, b, args + 1) < 0) {
		if(p->n > 2)
			ws_error(rs, 404, "not_found", "no such queue resource");
		return;
	}
	args[0] = omniq_str(p->seg[1]);
	ws_read_list(rs, "sessions", "queue", 3, args);
}

static void followups(const ws_req_t *rq, ws_resp_t *rs)
{
	const long long ms_max = 999999999999999LL;
	char b[3][24];
	str args[3];
	long long from, to;
	int count;

	if(!ws_method_is(rq, rs, "GET", "on follow-ups")
			|| ws_arg_int(rq, rs, "count", 100, 1, 1000, &count) < 0
			|| ws_arg_num(rq, rs, "from", -1, 0, ms_max, &from) < 0
			|| ws_arg_num(rq, rs, "to", -1, 0, ms_max, &to) < 0)
		return;
	if(from < 0 || to < 0) {
		ws_error(rs, 400, "bad_argument", "'from' and 'to' (unix milliseconds) are required");
		return;
	}
	snprintf(b[0], sizeof(b[0]), "%lld", from);
	snprintf(b[1], sizeof(b[1]), "%lld", to);
	snprintf(b[2], sizeof(b[2]), "%d", count);
	args[0] = omniq_str(b[0]);
	args[1] = omniq_str(b[1]);
	args[2] = omniq_str(b[2]);
	read_pairs(rs, "followups", "followups", 3, args, "sid", "date");
}

/* a scheduled follow-up (docs/admin.md "Follow-ups"): the core checks every value */
static void followup_add(const ws_req_t *rq, ws_resp_t *rs)
{
	str v[7];
	char fid[24];
	static const char *const names[7] = {"sid", "customer", "due", "reason", "channel", "agent",
			"queue"};
	int i;

	for(i = 0; i < 7; i++)
		if(ws_body_str(rq, rs, names[i], i == 2 || i == 3, &v[i]) < 0)
			return;
	if((v[0].len > 0) == (v[1].len > 0)) {
		ws_error(rs, 400, "bad_argument", "give one of 'sid' and 'customer'");
		return;
	}
	if(ws_omniq_error(rs, ws_oq.followup_add(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
								  fid, sizeof(fid)))
			< 0)
		return;
	rs->status = 201;
	rs->json = json_pack("{s:s}", "fid", fid);
}

static void followup(const ws_req_t *rq, ws_resp_t *rs, const path_t *p)
{
	str fid = omniq_str(p->seg[1]), outcome, note;

	if(p->n == 2) {
		if(ws_method_is(rq, rs, "GET", "on a follow-up"))
			ws_read_one(rs, "followup", 1, &fid);
		return;
	}
	if(p->n != 3 || strcmp(p->seg[2], "done")) {
		ws_error(rs, 404, "not_found", "no such follow-up resource");
		return;
	}
	if(!ws_method_is(rq, rs, "POST", "/followups/{fid}/done")
			|| ws_body_str(rq, rs, "outcome", 1, &outcome) < 0
			|| ws_body_str(rq, rs, "note", 0, &note) < 0
			|| ws_omniq_error(rs, ws_oq.followup_done(&fid, &outcome, &note)) < 0)
		return;
	rs->status = 200;
	rs->json = json_pack("{s:s,s:s}", "fid", fid.s, "outcome", outcome.s);
}

int ws_api_resources(const ws_req_t *rq, ws_resp_t *rs, const char *rest)
{
	path_t p;

	if(split(rest, &p) < 0)
		return -1;
	/* four segments name one resource only: /queues/{q}/regions/{region} */
	if(p.n == SEG_MAX && (strcmp(p.seg[0], "queues") || strcmp(p.seg[2], "regions")))
		return -1;
	if(!strcmp(p.seg[0], "customers"))
		customers(rq, rs, &p);
	else if(!strcmp(p.seg[0], "queues") && p.n == 3 && !strcmp(p.seg[2], "hours"))
		ws_api_hours(rq, rs, p.seg[1]);
	else if(!strcmp(p.seg[0], "queues") && p.n == 4 && !strcmp(p.seg[2], "regions"))
		ws_api_region_queue(rq, rs, p.seg[1], p.seg[3]);
	else if(!strcmp(p.seg[0], "sla") && p.n <= 2)
		ws_api_sla(rq, rs, p.n == 2 ? p.seg[1] : NULL);
	else if(!strcmp(p.seg[0], "tiers") && p.n <= 2)
		ws_api_tiers(rq, rs, p.n == 2 ? p.seg[1] : NULL);
	else if(!strcmp(p.seg[0], "regions") && p.n <= 2)
		ws_api_regions(rq, rs, p.n == 2 ? p.seg[1] : NULL);
	else if(!strcmp(p.seg[0], "reports") && p.n == 1)
		ws_api_reports(rq, rs);
	else if(!strcmp(p.seg[0], "agents"))
		agents(rq, rs, &p);
	else if(!strcmp(p.seg[0], "queues"))
		queues(rq, rs, &p);
	else if(!strcmp(p.seg[0], "stats") && p.n == 1) {
		if(ws_method_is(rq, rs, "GET", "on stats"))
			ws_read_one(rs, "stats", 0, NULL);
	} else if(!strcmp(p.seg[0], "followups") && p.n == 1) {
		if(!strcmp(rq->method, "POST"))
			followup_add(rq, rs);
		else
			followups(rq, rs);
	} else if(!strcmp(p.seg[0], "followups"))
		followup(rq, rs, &p);
	else
		return -1;
	return 0;
}
