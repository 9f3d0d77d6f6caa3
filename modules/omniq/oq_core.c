/*
 * oq_core.c - omniq operations: validate, one FCALL, map the reply.
 *
 * The Redis functions re-check everything (they are the last line of defence and serve the
 * REST API too), but checking here first gives the admin a precise reason in the log at no
 * Redis cost, and keeps garbage off the wire. Replies of the library are flat arrays; errors
 * are "OQ_<CODE> text", mapped back to OMNIQ_* codes.
 */
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <stdlib.h>

#include "core/dprint.h"
#include "core/mem/pkg.h"

#include "oq_core.h"
#include "oq_redis.h"
#include "oq_resp.h"
#include "oq_validate.h"
#include "oq_driver.h"
#include "oq_stats.h"
#include "omniq/omniq_stream.h"

/* cap_default is set from the capacity modparam in mod_init */
oq_settings_t oq_settings = {
	.default_cc = NULL,
#define OQ_CFG_DEFAULT(name, def, min, max) .name = def,
	OQ_CFG_EACH(OQ_CFG_DEFAULT)
#undef OQ_CFG_DEFAULT
	.policy = "blended",
};

typedef struct tenant {
	char name[OQ_ID_MAX + 1];
	char prefix_buf[OQ_ID_MAX + 8];
	str prefix;
} tenant_t;

static tenant_t tenants[OQ_TENANTS_MAX];
static int n_tenants;
/* per thread, like the Redis connection (omniq_api.h, "Threads") */
static __thread int cur;
static __thread char last_err[256];
static __thread int last_code;

const str *oq_prefix(void)
{
	return &tenants[cur].prefix;
}

int oq_tenant_param(modparam_t type, void *val)
{
	char why[OQ_WHY_MAX];
	const char *v = (const char *)val;
	int i;

	if(n_tenants == OQ_TENANTS_MAX) {
		LM_ERR("modparam tenant: more than %d tenants\n", OQ_TENANTS_MAX);
		return -1;
	}
	if(oq_check_id(v, strlen(v), why) < 0) {
		LM_ERR("modparam tenant: %s\n", why);
		return -1;
	}
	for(i = 0; i < n_tenants; i++)
		if(!strcmp(tenants[i].name, v)) {
			LM_ERR("modparam tenant: '%s' is given twice\n", v);
			return -1;
		}
	snprintf(tenants[n_tenants].name, sizeof(tenants[0].name), "%s", v);
	n_tenants++;
	return 0;
}

int oq_tenant_use(const str *name)
{
	int i;
	for(i = 0; name && i < n_tenants; i++)
		if((int)strlen(tenants[i].name) == name->len
				&& !memcmp(tenants[i].name, name->s, name->len)) {
			cur = i;
			return i;
		}
	return oq_bad_arg("tenant", "not served by this kamailio (modparam tenant)");
}

void oq_tenant_use_index(int i)
{
	if(i >= 0 && i < n_tenants)
		cur = i;
}

int oq_tenant_index(void)
{
	return cur;
}

int oq_tenant_count(void)
{
	return n_tenants;
}

int oq_tenant_at(int i, str *name, str *prefix)
{
	if(i < 0 || i >= n_tenants)
		return -1;
	if(name)
		*name = omniq_str(tenants[i].name);
	if(prefix)
		*prefix = tenants[i].prefix;
	return 0;
}

void oq_set_error(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_err, sizeof(last_err), fmt, ap);
	va_end(ap);
	last_code = code;
}

const char *oq_last_error(void)
{
	return last_err;
}

const char *oq_strerror(int code)
{
	switch(code) {
		case OMNIQ_OK: return "ok";
		case OMNIQ_EARG: return "bad argument";
		case OMNIQ_ENOTFOUND: return "not found";
		case OMNIQ_ESTATE: return "illegal state transition";
		case OMNIQ_EAGENT: return "wrong agent";
		case OMNIQ_ECAPACITY: return "no capacity";
		case OMNIQ_EREDIS: return "Redis unavailable";
		case OMNIQ_ECLOSED: return "queue closed";
		default: return "internal error";
	}
}

int oq_core_init(void)
{
	tenant_t *t;
	int i;

	if(n_tenants == 0 && oq_tenant_param(PARAM_STRING, "default") < 0)
		return -1;
	for(i = 0; i < n_tenants; i++) {
		t = &tenants[i];
		t->prefix.s = t->prefix_buf;
		t->prefix.len = snprintf(t->prefix_buf, sizeof(t->prefix_buf), "oq:{%s}", t->name);
	}
	cur = 0;
	if(strcmp(oq_settings.policy, "blended") && strcmp(oq_settings.policy, "voice_exclusive")) {
		LM_ERR("modparam policy must be 'blended' or 'voice_exclusive', not '%s'\n",
				oq_settings.policy);
		return -1;
	}
	return 0;
}

/* Map a library error reply "OQ_STATE session 7 is closed" to a code + reason. */
static int map_error_reply(const char *fn, redisReply *r)
{
	static const struct { const char *tag; int code; } tags[] = {
		{"OQ_ARG ", OMNIQ_EARG}, {"OQ_NOTFOUND ", OMNIQ_ENOTFOUND},
		{"OQ_STATE ", OMNIQ_ESTATE}, {"OQ_AGENT ", OMNIQ_EAGENT},
		{"OQ_CAPACITY ", OMNIQ_ECAPACITY}, {"OQ_CLOSED ", OMNIQ_ECLOSED},
	};
	/* Redis refusing to run a call now (out of memory, a script running too long, loading
	 * its data, a replica that may not write): nothing was written, and the same call may
	 * succeed later, as when Redis is unreachable. */
	static const char *const busy[] = {"OOM ", "BUSY ", "LOADING ", "READONLY ",
			"MASTERDOWN ", "NOREPLICAS ", "TRYAGAIN "};
	unsigned i;
	for(i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t n = strlen(tags[i].tag);
		if(r->len >= n && !strncmp(r->str, tags[i].tag, n)) {
			oq_set_error(tags[i].code, "%s", r->str + n);
			return tags[i].code;
		}
	}
	for(i = 0; i < sizeof(busy) / sizeof(busy[0]); i++)
		if(!strncmp(r->str, busy[i], strlen(busy[i]))) {
			oq_stat_inc(OQ_ST_REDIS_ERRORS);
			oq_set_error(OMNIQ_EREDIS, "Redis refused %s (%s)", fn, r->str);
			LM_WARN("Redis refused %s: %s\n", fn, r->str);
			return OMNIQ_EREDIS;
		}
	oq_set_error(OMNIQ_EINTERNAL, "%s: %s", fn, r->str);
	LM_ERR("Redis function %s failed: %s\n", fn, r->str);
	return OMNIQ_EINTERNAL;
}

/* strs as binary-safe FCALL arguments (a NULL s is empty) */
static void fcall_args(const str *a, int n, const char **av, size_t *al)
{
	int i;
	for(i = 0; i < n; i++) {
		av[i] = a[i].s ? a[i].s : "";
		al[i] = a[i].s ? (size_t)a[i].len : 0;
	}
}

/* What a reply is, for the log line of one that is not what was expected. */
static void reply_kind(const redisReply *r, char *out, size_t size)
{
	switch(r ? r->type : -1) {
		case REDIS_REPLY_STRING: snprintf(out, size, "a string of %zu bytes", r->len); break;
		case REDIS_REPLY_STATUS: snprintf(out, size, "a status '%.32s'", r->str); break;
		case REDIS_REPLY_INTEGER: snprintf(out, size, "the integer %lld", r->integer); break;
		case REDIS_REPLY_ARRAY: snprintf(out, size, "an array of %zu", r->elements); break;
		case REDIS_REPLY_NIL: snprintf(out, size, "nil"); break;
		case REDIS_REPLY_ERROR: snprintf(out, size, "an error"); break;
		default: snprintf(out, size, "nothing"); break;
	}
}

int oq_bad_reply(const char *fn, const redisReply *r, const char *expected)
{
	char got[48];

	reply_kind(r, got, sizeof(got));
	oq_set_error(OMNIQ_EINTERNAL, "%s: unexpected reply (%s, not %s)", fn, got, expected);
	LM_ERR("Redis function %s answered %s where %s was expected: is Redis running the function "
		   "library of this omniq (FUNCTION LIST)? Nothing more is done with the reply\n",
			fn, got, expected);
	return OMNIQ_EINTERNAL;
}

/* A stream entry id "<ms>-<seq>" (a transcript entry, an outbox entry): at most 47 bytes. */
static int entry_id(const redisReply *r)
{
	size_t i, dash = 0;

	if(r->type != REDIS_REPLY_STRING || r->len < 3 || r->len > 47)
		return 0;
	for(i = 0; i < r->len; i++)
		if(r->str[i] == '-' && dash == 0 && i > 0)
			dash = i;
		else if(r->str[i] < '0' || r->str[i] > '9')
			return 0;
	return dash > 0 && dash < r->len - 1;
}

int oq_reply_is(const redisReply *r, oq_reply_kind_t want)
{
	size_t i;

	switch(want) {
		case OQ_R_OK:
			return (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING)
				   && r->len == 2 && !memcmp(r->str, "OK", 2);
		case OQ_R_ID:
			return entry_id(r);
		case OQ_R_STRINGS:
			if(r->type != REDIS_REPLY_ARRAY || r->elements < 2)
				return 0;
			for(i = 0; i < r->elements; i++)
				if(r->element[i]->type != REDIS_REPLY_STRING)
					return 0;
			return 1;
		case OQ_R_FLAT:
			if(r->type != REDIS_REPLY_ARRAY || r->elements % 2)
				return 0;
			for(i = 0; i < r->elements; i += 2)
				if(r->element[i]->type != REDIS_REPLY_STRING)
					return 0;
			return 1;
	}
	return 0;
}

const char *oq_reply_kind_name(oq_reply_kind_t want)
{
	switch(want) {
		case OQ_R_OK: return "OK";
		case OQ_R_ID: return "an entry id";
		case OQ_R_STRINGS: return "an array of strings";
		case OQ_R_FLAT: return "a flat array of names and values";
	}
	return "?";
}

/* The code of fn's reply r (NULL: Redis unreachable or the reply lost), the last error set. */
static int reply_code(const char *fn, redisReply *r)
{
	if(r == NULL) {
		oq_stat_inc(OQ_ST_REDIS_ERRORS);
		oq_set_error(OMNIQ_EREDIS, "Redis unavailable (%s)", oq_redis_last_error());
		return OMNIQ_EREDIS;
	}
	if(r->type == REDIS_REPLY_ERROR)
		return map_error_reply(fn, r);
	return OMNIQ_OK;
}

redisReply *oq_call(const char *fn, int argc, const str *argv, int *rc)
{
	const char *av[OQ_FCALL_MAX_ARGS];
	size_t al[OQ_FCALL_MAX_ARGS];
	redisReply *r;

	if(argc < 0 || argc > OQ_FCALL_MAX_ARGS) {
		LM_BUG("FCALL %s with %d arguments\n", fn, argc);
		*rc = OMNIQ_EINTERNAL;
		oq_set_error(OMNIQ_EINTERNAL, "%s: %d arguments", fn, argc);
		return NULL;
	}
	fcall_args(argv, argc, av, al);
	r = oq_redis_fcall(fn, oq_prefix()->s, oq_prefix()->len, argc, av, al);
	if((*rc = reply_code(fn, r)) < 0) {
		if(r)
			freeReplyObject(r);
		return NULL;
	}
	return r;
}

int oq_call_checked(const char *fn, int argc, const str *argv, oq_reply_kind_t want)
{
	int rc;
	redisReply *r = oq_call(fn, argc, argv, &rc);

	if(r == NULL)
		return rc;
	if(!oq_reply_is(r, want))
		rc = oq_bad_reply(fn, r, oq_reply_kind_name(want));
	freeReplyObject(r);
	return rc;
}

int oq_bad_arg(const char *what, const char *why)
{
	oq_set_error(OMNIQ_EARG, "%s: %s", what, why);
	return OMNIQ_EARG;
}

#define CHECK_ID(what, v)                                             \
	do {                                                              \
		char why_[OQ_WHY_MAX];                                        \
		if(oq_check_id((v)->s, (v)->len, why_) < 0)                   \
			return oq_bad_arg(what, why_);                               \
	} while(0)

int oq_text_arg(oq_text_t kind, const str *v)
{
	char why[OQ_WHY_MAX];
	int given = v && v->s && v->len > 0;

	if(oq_check_text(kind, given ? v->s : "", given ? (size_t)v->len : 0, why) < 0) {
		oq_set_error(OMNIQ_EARG, "%s", why);
		return OMNIQ_EARG;
	}
	return OMNIQ_OK;
}

static void copy_elem(char *dst, size_t dstsz, redisReply *e)
{
	size_t n = 0;
	if(e && (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS)) {
		n = e->len < dstsz - 1 ? e->len : dstsz - 1;
		memcpy(dst, e->str, n);
	} else if(e && e->type == REDIS_REPLY_INTEGER) {
		n = (size_t)snprintf(dst, dstsz, "%lld", e->integer);
		if(n >= dstsz)
			n = dstsz - 1;
	}
	dst[n] = '\0';
}

static long elem_long(redisReply *e)
{
	if(e && e->type == REDIS_REPLY_INTEGER)
		return (long)e->integer;
	if(e && e->type == REDIS_REPLY_STRING)
		return strtol(e->str, NULL, 10);
	return 0;
}

/* The checked arguments a contact opens a session with, as the Redis function takes them. */
typedef struct open_args {
	char ident[OQ_IDENTITY_BUF];
	char sk[OQ_SKILLS_BUF];
	char prio[16];
	oq_class_t cls;
	str a[9]; /* channel class identity skills priority queue ext, then [node] or (oq_open_live) [claimed_name claimed_contact] */
} open_args_t;

static int open_args(const str *channel, const str *identity, const str *skills, int priority,
		const str *queue, const str *ext, open_args_t *o)
{
	char why[OQ_WHY_MAX];
	const omniq_driver_t *drv;
	int rc;

	o->cls = OQ_CLASS_CHAT;
	if(channel == NULL || identity == NULL)
		return oq_bad_arg(channel ? "identity" : "channel", "missing");
	rc = oq_check_channel(channel->s, channel->len, &o->cls, why);
	if(rc < 0)
		return oq_bad_arg("channel", why);
	if(rc == 1) {
		drv = oq_driver_find(channel);
		if(drv == NULL) { /* a well-formed name of no channel here: not found, as a sid */
			oq_set_error(OMNIQ_ENOTFOUND, "channel %.*s: no channel of that name is "
					"configured (no module or modparam registers it)", channel->len, channel->s);
			return OMNIQ_ENOTFOUND;
		}
		o->cls = (oq_class_t)drv->cls;
	}
	if(oq_identity_canon(identity->s, identity->len, oq_settings.default_cc, o->ident,
			   sizeof(o->ident), why) < 0)
		return oq_bad_arg("identity", why);
	if(oq_skills_canon(skills ? skills->s : "", skills ? skills->len : 0, o->sk, sizeof(o->sk),
			   why) < 0)
		return oq_bad_arg("skills", why);
	if(priority < 0 || priority > OQ_PRIORITY_MAX) {
		oq_set_error(OMNIQ_EARG, "priority: must be 0..%d", OQ_PRIORITY_MAX);
		return OMNIQ_EARG;
	}
	if(queue && queue->len)
		CHECK_ID("queue", queue);
	if((rc = oq_text_arg(OQ_TEXT_EXT, ext)) < 0)
		return rc;

	snprintf(o->prio, sizeof(o->prio), "%d", priority);
	o->a[0] = *channel;
	o->a[1] = omniq_str(oq_class_name(o->cls));
	o->a[2] = omniq_str(o->ident);
	o->a[3] = omniq_str(o->sk);
	o->a[4] = omniq_str(o->prio);
	o->a[5] = queue && queue->len ? *queue : omniq_str("default");
	o->a[6] = ext ? *ext : omniq_str("");
	return OMNIQ_OK;
}

/* A reply element of digits (a session or customer id, a position): a string of 1..max
 * digits or an integer 0.. of at most max digits. */
static int digits_elem(const redisReply *e, size_t max)
{
	size_t i;

	char b[24];

	if(e->type == REDIS_REPLY_INTEGER)
		return e->integer >= 0 && (size_t)snprintf(b, sizeof(b), "%lld", e->integer) <= max;
	if(e->type != REDIS_REPLY_STRING || e->len < 1 || e->len > max)
		return 0;
	for(i = 0; i < e->len; i++)
		if(e->str[i] < '0' || e->str[i] > '9')
			return 0;
	return 1;
}

/* A reply element that is a string of at most max bytes (may be empty). */
static int text_elem(const redisReply *e, size_t max)
{
	return e->type == REDIS_REPLY_STRING && e->len <= max;
}

/* A state or channel name: 1..max of [a-z0-9_-], starting with a letter. */
static int name_elem(const redisReply *e, size_t max)
{
	size_t i;

	if(!text_elem(e, max) || e->len == 0 || e->str[0] < 'a' || e->str[0] > 'z')
		return 0;
	for(i = 0; i < e->len; i++)
		if(!((e->str[i] >= 'a' && e->str[i] <= 'z') || (e->str[i] >= '0' && e->str[i] <= '9')
				   || e->str[i] == '_' || e->str[i] == '-'))
			return 0;
	return 1;
}

/* [sid, state, agent, position, customer, ...] as oq_enqueue and oq_ingest answer (at
 * least n elements): the fields the channels act on are there and fit their buffers (a
 * channel keeps the sid and branches on the state). */
static int session_reply_ok(const redisReply *r, size_t n)
{
	return r->type == REDIS_REPLY_ARRAY && r->elements >= n && r->elements >= 5
		   && digits_elem(r->element[0], OMNIQ_SID_MAX - 1)
		   && name_elem(r->element[1], sizeof(((omniq_session_info_t *)0)->state) - 1)
		   && text_elem(r->element[2], OMNIQ_ID_MAX)
		   && digits_elem(r->element[3], 9) && digits_elem(r->element[4], OMNIQ_SID_MAX - 1);
}

/* The session part of an oq_enqueue / oq_ingest reply: sid state agent position customer. */
static void session_of(redisReply *r, const str *channel, omniq_session_info_t *out)
{
	memset(out, 0, sizeof(*out));
	copy_elem(out->sid, sizeof(out->sid), r->element[0]);
	copy_elem(out->state, sizeof(out->state), r->element[1]);
	copy_elem(out->agent, sizeof(out->agent), r->element[2]);
	out->position = (int)elem_long(r->element[3]);
	copy_elem(out->customer, sizeof(out->customer), r->element[4]);
	snprintf(out->channel, sizeof(out->channel), "%.*s", channel->len, channel->s);
}

int oq_enqueue_node(const str *channel, const str *identity, const str *skills, int priority,
		const str *queue, const str *ext, const str *node, omniq_session_info_t *out)
{
	open_args_t o;
	int rc, n = 7;
	redisReply *r;

	if((rc = open_args(channel, identity, skills, priority, queue, ext, &o)) < 0)
		return rc;
	if(node && node->len) {
		CHECK_ID("node", node);
		o.a[n++] = *node;
	}
	r = oq_call("oq_enqueue", n, o.a, &rc);
	if(r == NULL)
		return rc;
	if(!session_reply_ok(r, 5)) {
		rc = oq_bad_reply("oq_enqueue", r, "[sid, state, agent, position, customer]");
		freeReplyObject(r);
		return rc;
	}
	oq_stat_inc(OQ_ST_ENQUEUED);
	if(out)
		session_of(r, channel, out);
	freeReplyObject(r);
	return OMNIQ_OK;
}

int oq_open_live(const str *channel, const str *identity, const str *skills, int priority,
		const str *queue, const str *ext, const str *claimed, omniq_session_info_t *out)
{
	open_args_t o;
	int rc, joined, n = 7;
	redisReply *r;

	if((rc = open_args(channel, identity, skills, priority, queue, ext, &o)) < 0)
		return rc;
	if(claimed) {
		if((rc = oq_text_arg(OQ_TEXT_PROFILE, &claimed[0])) < 0
				|| (rc = oq_text_arg(OQ_TEXT_PROFILE, &claimed[1])) < 0)
			return rc;
		o.a[n++] = claimed[0];
		o.a[n++] = claimed[1];
	}
	r = oq_call("oq_open_live", n, o.a, &rc);
	if(r == NULL)
		return rc;
	if(!session_reply_ok(r, 6) || r->element[5]->type != REDIS_REPLY_STRING
			|| r->element[5]->len != 1) {
		rc = oq_bad_reply("oq_open_live", r, "[sid, state, agent, position, customer, joined]");
		freeReplyObject(r);
		return rc;
	}
	joined = r->element[5]->str[0] == '1';
	if(!joined)
		oq_stat_inc(OQ_ST_ENQUEUED);
	if(out)
		session_of(r, channel, out);
	freeReplyObject(r);
	return joined;
}

int oq_enqueue(const str *channel, const str *identity, const str *skills, int priority,
		const str *queue, const str *ext, omniq_session_info_t *out)
{
	return oq_enqueue_node(channel, identity, skills, priority, queue, ext, NULL, out);
}

int oq_node_lease(const str *node, int ttl_ms, int start)
{
	char ttl[16];
	str a[3];
	redisReply *r;
	int rc;

	if(node == NULL || node->len == 0)
		return oq_bad_arg("node", "missing");
	CHECK_ID("node", node);
	if(ttl_ms < 1000 || ttl_ms > 3600000)
		return oq_bad_arg("lease", "must be 1000..3600000 ms");
	a[0] = *node;
	a[1].len = snprintf(ttl, sizeof(ttl), "%d", ttl_ms);
	a[1].s = ttl;
	a[2] = omniq_str(start ? "1" : "0");
	r = oq_call("oq_node_lease", 3, a, &rc);
	if(r == NULL)
		return rc;
	if(!digits_elem(r, 9)) {
		rc = oq_bad_reply("oq_node_lease", r, "a count of sessions ended");
		freeReplyObject(r);
		return rc;
	}
	rc = (int)elem_long(r);
	freeReplyObject(r);
	return rc;
}

static int check_sid(const str *sid)
{
	char why[OQ_WHY_MAX];

	if(sid == NULL || sid->len < 0)
		return oq_bad_arg("session id", "missing");
	if(oq_check_sid(sid->s, sid->len, why) < 0)
		return oq_bad_arg("session", why);
	return OMNIQ_OK;
}

/* "in", "out", or (with sys: a transcript entry) "sys" and "note" (an agent's internal
 * note, never the customer's to see): who a message or a typing signal comes from. */
static int dir_ok(const str *dir, int sys)
{
	return dir
		   && ((dir->len == 2 && !strncmp(dir->s, "in", 2))
				   || (dir->len == 3 && !strncmp(dir->s, "out", 3))
				   || (sys && dir->len == 3 && !strncmp(dir->s, "sys", 3))
				   || (sys && dir->len == 4 && !strncmp(dir->s, "note", 4)));
}

/* The arguments of oq_append / oq_append_once, checked, into a[0..4]. */
static int append_args(const str *sid, const str *dir, const str *from, const str *body, str *a)
{
	char why[OQ_WHY_MAX];
	int rc;

	if((rc = check_sid(sid)) < 0)
		return rc;
	if(!dir_ok(dir, 1))
		return oq_bad_arg("direction", "must be in, out, sys or note");
	if((rc = oq_text_arg(OQ_TEXT_FROM, from)) < 0)
		return rc;
	if(oq_check_body(body->s, body->len, why) < 0)
		return oq_bad_arg("body", why);
	a[0] = *sid; a[1] = *dir;
	if(from) a[2] = *from; else { a[2].s = ""; a[2].len = 0; }
	a[3].s = "text"; a[3].len = 4;
	a[4] = *body;
	return OMNIQ_OK;
}

int oq_append(const str *sid, const str *dir, const str *from, const str *body)
{
	str a[5];
	int rc;

	if((rc = append_args(sid, dir, from, body, a)) < 0)
		return rc;
	rc = oq_call_checked("oq_append", 5, a, OQ_R_ID);
	if(rc == OMNIQ_OK)
		oq_stat_inc(OQ_ST_MESSAGES);
	return rc;
}

/* An answer {id, "0"|"1"} of oq_append_once or oq_append_many, or its error: OMNIQ_OK
 * (appended), 1 (appended before: nothing written) or the error's code; id_out gets the
 * entry's id. */
static int once_answer(const char *fn, redisReply *r, char *id_out, int id_size)
{
	int rc;

	if((rc = reply_code(fn, r)) < 0)
		return rc;
	if(r->type != REDIS_REPLY_ARRAY || r->elements != 2 || !entry_id(r->element[0])
			|| r->element[0]->len >= (size_t)id_size
			|| !text_elem(r->element[1], 1) || r->element[1]->len != 1
			|| (r->element[1]->str[0] != '0' && r->element[1]->str[0] != '1'))
		return oq_bad_reply(fn, r, "[entry id, \"0\" or \"1\"]");
	memcpy(id_out, r->element[0]->str, r->element[0]->len);
	id_out[r->element[0]->len] = '\0';
	rc = r->element[1]->str[0] == '1' ? 1 : OMNIQ_OK;
	if(rc == OMNIQ_OK)
		oq_stat_inc(OQ_ST_MESSAGES);
	return rc;
}

/* oq_append_many's share of a call's reply r for its c messages x: each message's own
 * answer, or the whole reply's error for all c of them. */
static void append_answers(omniq_append_t **x, int c, redisReply *r)
{
	static const char fn[] = "oq_append_many";
	int i, whole = OMNIQ_OK;

	if(r == NULL || r->type == REDIS_REPLY_ERROR)
		whole = reply_code(fn, r);
	else if(r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)c)
		whole = oq_bad_reply(fn, r, "an answer per message");
	for(i = 0; i < c; i++) {
		x[i]->rc = whole < 0 ? whole
							 : once_answer(fn, r->element[i], x[i]->id, sizeof(x[i]->id));
		if(x[i]->rc < 0)
			snprintf(x[i]->why, sizeof(x[i]->why), "%s", oq_last_error());
	}
}

/* The messages that pass append()'s checks go in calls of OQ_APPEND_PER_CALL (the most
 * oq_append_many takes), all calls in one round trip. */
#define OQ_APPEND_ARGS 6 /* sid dir from type body cid */
#define OQ_APPEND_PER_CALL OQ_APPEND_MANY_MAX
_Static_assert(OQ_APPEND_PER_CALL * OQ_APPEND_ARGS <= OQ_FCALL_MAX_ARGS,
		"a whole oq_append_many call fits the arguments of one FCALL");
#define OQ_APPEND_CALLS_MAX \
	((OMNIQ_APPEND_MANY_MAX + OQ_APPEND_PER_CALL - 1) / OQ_APPEND_PER_CALL)

/* The messages of m[] checked (a refused one answered in its rc and why); the arguments
 * of the others into av/al, in order, and pointers to them into sent[]. Returns how many
 * are to be sent, or OMNIQ_EARG for a bad n. */
static int append_many_args(omniq_append_t *m, int n, const char **av, size_t *al,
		omniq_append_t **sent)
{
	str a[OQ_APPEND_ARGS];
	int i, k = 0;

	if(m == NULL || n < 1 || n > OMNIQ_APPEND_MANY_MAX)
		return oq_bad_arg("append_many", "needs 1..OMNIQ_APPEND_MANY_MAX messages");
	for(i = 0; i < n; i++) {
		m[i].why[0] = '\0';
		m[i].id[0] = '\0';
		m[i].rc = append_args(&m[i].sid, &m[i].dir, &m[i].from, &m[i].body, a);
		if(m[i].rc == OMNIQ_OK && m[i].cid.len != 0)
			m[i].rc = oq_text_arg(OQ_TEXT_CID, &m[i].cid); /* empty: no client id */
		if(m[i].rc < 0) {
			snprintf(m[i].why, sizeof(m[i].why), "%s", oq_last_error());
			continue;
		}
		a[5] = m[i].cid;
		fcall_args(a, OQ_APPEND_ARGS, av + k * OQ_APPEND_ARGS, al + k * OQ_APPEND_ARGS);
		sent[k++] = &m[i];
	}
	return k;
}

/* the arguments of call j of k messages sent */
static int append_call_argc(int j, int k)
{
	int calls = (k + OQ_APPEND_PER_CALL - 1) / OQ_APPEND_PER_CALL;

	return OQ_APPEND_ARGS * (j < calls - 1 ? OQ_APPEND_PER_CALL : k - j * OQ_APPEND_PER_CALL);
}

static int count_done(const omniq_append_t *m, int n)
{
	int i, done = 0;

	for(i = 0; i < n; i++)
		done += m[i].rc == OMNIQ_OK;
	return done;
}

int oq_append_many(omniq_append_t *m, int n)
{
	const char *av[OMNIQ_APPEND_MANY_MAX * OQ_APPEND_ARGS];
	size_t al[OMNIQ_APPEND_MANY_MAX * OQ_APPEND_ARGS];
	omniq_append_t *sent[OMNIQ_APPEND_MANY_MAX]; /* the messages sent, in order */
	redisReply *r[OQ_APPEND_CALLS_MAX];
	int argc[OQ_APPEND_CALLS_MAX];
	int j, k, calls;

	if((k = append_many_args(m, n, av, al, sent)) < 0)
		return k;
	calls = (k + OQ_APPEND_PER_CALL - 1) / OQ_APPEND_PER_CALL;
	for(j = 0; j < calls; j++)
		argc[j] = append_call_argc(j, k);
	oq_redis_fcall_many(
			"oq_append_many", oq_prefix()->s, oq_prefix()->len, calls, argc, av, al, r);
	/* the replies not read are NULL: their messages fail */
	for(j = 0; j < calls; j++) {
		append_answers(sent + j * OQ_APPEND_PER_CALL, argc[j] / OQ_APPEND_ARGS, r[j]);
		if(r[j])
			freeReplyObject(r[j]);
	}
	return count_done(m, n);
}

/* The engine's command for oq_append_many (include/omniq/omniq_engine_steps.h) */
static const char append_many_cmd[] = "OMNIQ.APPEND_MANY";

int oq_append_many_write(redisContext *c, omniq_append_t *m, int n)
{
	const char *av[OMNIQ_APPEND_MANY_MAX * OQ_APPEND_ARGS];
	size_t al[OMNIQ_APPEND_MANY_MAX * OQ_APPEND_ARGS];
	const char *cv[OQ_APPEND_PER_CALL * OQ_APPEND_ARGS + 2]; /* one command */
	size_t cl[OQ_APPEND_PER_CALL * OQ_APPEND_ARGS + 2];
	omniq_append_t *sent[OMNIQ_APPEND_MANY_MAX];
	int i, j, k, calls, argc, from;

	if((k = append_many_args(m, n, av, al, sent)) <= 0)
		return k;
	calls = (k + OQ_APPEND_PER_CALL - 1) / OQ_APPEND_PER_CALL;
	cv[0] = append_many_cmd;
	cl[0] = sizeof(append_many_cmd) - 1;
	cv[1] = oq_prefix()->s;
	cl[1] = (size_t)oq_prefix()->len;
	for(j = 0; j < calls; j++) {
		from = j * OQ_APPEND_PER_CALL;
		argc = append_call_argc(j, k);
		memcpy(cv + 2, av + from * OQ_APPEND_ARGS, (size_t)argc * sizeof(*cv));
		memcpy(cl + 2, al + from * OQ_APPEND_ARGS, (size_t)argc * sizeof(*cl));
		if(oq_redis_append_argv(c, argc + 2, cv, cl) != REDIS_OK) {
			for(i = from; i < k; i++) {
				sent[i]->rc = OMNIQ_EREDIS;
				snprintf(sent[i]->why, sizeof(sent[i]->why), "Redis unavailable (%s)",
						c->errstr[0] ? c->errstr : "no memory for the command");
			}
			/* the calls appended before this one are in the buffer: their replies come */
			return j == 0 ? OMNIQ_EREDIS : j;
		}
		for(i = from; i < k && i < from + OQ_APPEND_PER_CALL; i++)
			sent[i]->rc = OMNIQ_APPEND_SENT;
	}
	return calls;
}

void oq_append_many_read(omniq_append_t *m, int n, int call, redisReply *reply)
{
	omniq_append_t *x[OQ_APPEND_PER_CALL];
	int i, c = 0;

	/* the calls are answered in order, each call's messages as they were sent: this
	 * call's are the first OQ_APPEND_PER_CALL (or fewer, the last call) not answered yet */
	for(i = 0; i < n && c < OQ_APPEND_PER_CALL; i++)
		if(m[i].rc == OMNIQ_APPEND_SENT)
			x[c++] = &m[i];
	if(c == 0) {
		LM_BUG("append_many_read: call %d answers no message\n", call);
		return;
	}
	append_answers(x, c, reply);
}

int oq_append_once(const str *sid, const str *dir, const str *from, const str *body,
		const str *cid, char *id_out, int id_size)
{
	redisReply *r;
	str a[6];
	int rc;

	if((rc = append_args(sid, dir, from, body, a)) < 0)
		return rc;
	if((rc = oq_text_arg(OQ_TEXT_CID, cid)) < 0)
		return rc;
	if(id_out == NULL || id_size < 48)
		return oq_bad_arg("id_out", "needs 48 bytes");
	a[5] = *cid;
	r = oq_call("oq_append_once", 6, a, &rc);
	if(r == NULL)
		return rc;
	rc = once_answer("oq_append_once", r, id_out, id_size);
	freeReplyObject(r);
	return rc;
}

int oq_ingest(const omniq_inbound_t *m, omniq_session_info_t *out, char *id_out, int id_size)
{
	return oq_ingest_thread(m, NULL, out, id_out, id_size);
}

int oq_ingest_thread(const omniq_inbound_t *m, const str *thread, omniq_session_info_t *out,
		char *id_out, int id_size)
{
	char why[OQ_WHY_MAX];
	open_args_t o;
	redisReply *r;
	str a[12];
	int rc, n = 11;

	if(m == NULL)
		return oq_bad_arg("message", "missing");
	if(thread && thread->s && thread->len > 0) {
		if(!(thread->len == 3 && memcmp(thread->s, "new", 3) == 0)
				&& oq_check_sid(thread->s, thread->len, why) < 0)
			return oq_bad_arg("thread", "must be \"new\" or a session id");
		a[11] = *thread;
		n = 12;
	}
	rc = open_args(&m->channel, &m->identity, &m->skills, m->priority, &m->queue, &m->ext, &o);
	if(rc < 0)
		return rc;
	if(o.cls == OQ_CLASS_VOICE)
		return oq_bad_arg("channel", "carries calls, not messages: open() them");
	if((rc = oq_text_arg(OQ_TEXT_FROM, &m->from)) < 0)
		return rc;
	if(oq_check_body(m->body.s, m->body.len, why) < 0)
		return oq_bad_arg("body", why);
	if(m->cid.s && m->cid.len != 0 && (rc = oq_text_arg(OQ_TEXT_CID, &m->cid)) < 0)
		return rc;
	memcpy(a, o.a, sizeof(o.a));
	/* no reference of the channel's own: the identity, so that a driver's deliver() and a
	 * sender always know whom to answer and each customer's replies keep their order */
	if(a[6].len == 0)
		a[6] = omniq_str(o.ident);
	a[7] = m->from.s ? m->from : omniq_str("");
	a[8] = omniq_str("text");
	a[9] = m->body;
	a[10] = m->cid.s ? m->cid : omniq_str("");

	r = oq_call("oq_ingest", n, a, &rc);
	if(r == NULL)
		return rc;
	if(!session_reply_ok(r, 7) || r->elements != 7 || !entry_id(r->element[5])
			|| !text_elem(r->element[6], 1) || r->element[6]->len != 1
			|| r->element[6]->str[0] < '0' || r->element[6]->str[0] > '3') {
		rc = oq_bad_reply("oq_ingest", r,
				"[sid, state, agent, position, customer, entry id, \"0\"..\"3\"]");
		freeReplyObject(r);
		return rc;
	}
	rc = r->element[6]->str[0] - '0';
	if(out)
		session_of(r, &m->channel, out);
	if(id_out && id_size > 0)
		copy_elem(id_out, (size_t)id_size, r->element[5]);
	freeReplyObject(r);
	if(rc == 2)
		oq_stat_inc(OQ_ST_ENQUEUED);
	if(rc != 1 && rc != OMNIQ_INGEST_SURVEY)
		oq_stat_inc(OQ_ST_MESSAGES);
	return rc;
}

static int sid_agent_call(const char *fn, const str *sid, const str *agent, int stat,
		oq_reply_kind_t want)
{
	str a[2];
	int rc;
	if((rc = check_sid(sid)) < 0)
		return rc;
	CHECK_ID("agent", agent);
	a[0] = *sid; a[1] = *agent;
	rc = oq_call_checked(fn, 2, a, want);
	if(rc == OMNIQ_OK)
		oq_stat_inc(stat);
	return rc;
}

int oq_accept(const str *sid, const str *agent)
{
	return sid_agent_call("oq_accept", sid, agent, OQ_ST_ACCEPTED, OQ_R_OK);
}

int oq_decline(const str *sid, const str *agent)
{
	return sid_agent_call("oq_decline", sid, agent, OQ_ST_DECLINED, OQ_R_STRINGS);
}

int oq_miss(const str *sid, const str *agent, int away)
{
	str a[3];
	int rc;
	if((rc = check_sid(sid)) < 0)
		return rc;
	CHECK_ID("agent", agent);
	a[0] = *sid; a[1] = *agent;
	a[2].s = away ? "1" : "0"; a[2].len = 1;
	rc = oq_call_checked("oq_miss", 3, a, OQ_R_STRINGS);
	if(rc == OMNIQ_OK)
		oq_stat_inc(OQ_ST_OFFERS_EXPIRED);
	return rc;
}

int oq_expire(const str *sid)
{
	int rc;
	if((rc = check_sid(sid)) < 0)
		return rc;
	rc = oq_call_checked("oq_expire", 1, sid, OQ_R_OK);
	if(rc == OMNIQ_OK)
		oq_stat_inc(OQ_ST_EXPIRED);
	return rc;
}

/* A step's reply [sid, state] or, with_agent, [sid, state, agent] into *out (may be NULL;
 * position and est_wait_s 0); r freed. OMNIQ_OK, or the bad-reply error naming fn. */
int oq_session_reply(const char *fn, redisReply *r, int with_agent, omniq_session_info_t *out)
{
	int rc;

	if(r->type != REDIS_REPLY_ARRAY || (with_agent ? r->elements != 3 : r->elements < 2)
			|| !digits_elem(r->element[0], OMNIQ_SID_MAX - 1)
			|| !name_elem(r->element[1], sizeof(out->state) - 1)
			|| (with_agent && !text_elem(r->element[2], OMNIQ_ID_MAX))) {
		rc = oq_bad_reply(fn, r, with_agent ? "[sid, state, agent]" : "[sid, state]");
		freeReplyObject(r);
		return rc;
	}
	if(out) {
		memset(out, 0, sizeof(*out));
		copy_elem(out->sid, sizeof(out->sid), r->element[0]);
		copy_elem(out->state, sizeof(out->state), r->element[1]);
		if(with_agent)
			copy_elem(out->agent, sizeof(out->agent), r->element[2]);
	}
	freeReplyObject(r);
	return OMNIQ_OK;
}

int oq_close_info(const str *sid, const str *disposition, omniq_session_info_t *out)
{
	redisReply *r;
	str a[2];
	int rc;
	if((rc = check_sid(sid)) < 0)
		return rc;
	if(disposition && disposition->len)
		CHECK_ID("disposition", disposition);
	a[0] = *sid;
	if(disposition && disposition->len) a[1] = *disposition; else { a[1].s = "resolved"; a[1].len = 8; }
	if((r = oq_call("oq_close", 2, a, &rc)) == NULL)
		return rc;
	/* [sid, state]: wrapup or closed, what the session is now */
	if((rc = oq_session_reply("oq_close", r, 0, out)) == OMNIQ_OK)
		oq_stat_inc(OQ_ST_CLOSED);
	return rc;
}

int oq_close(const str *sid, const str *disposition)
{
	return oq_close_info(sid, disposition, NULL);
}

int oq_abandon(const str *sid)
{
	redisReply *r;
	int rc;
	if((rc = check_sid(sid)) < 0)
		return rc;
	if((r = oq_call("oq_abandon", 1, sid, &rc)) == NULL)
		return rc;
	/* "CALLBACK": the customer asked to be called back and may leave: kept waiting */
	if(r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING) {
		if(r->len == 8 && !memcmp(r->str, "CALLBACK", 8)) {
			freeReplyObject(r);
			return 1;
		}
		if(r->len == 2 && !memcmp(r->str, "OK", 2)) {
			freeReplyObject(r);
			oq_stat_inc(OQ_ST_ABANDONED);
			return OMNIQ_OK;
		}
	}
	rc = oq_bad_reply("oq_abandon", r, "OK or CALLBACK");
	freeReplyObject(r);
	return rc;
}

int oq_transcript_read(const str *sid, const str *after, int count, omniq_tx_entry_cb cb,
		void *arg)
{
	const redisReply *f = NULL;
	omniq_tx_entry_t e;
	redisReply *r;
	char cnt[16];
	str a[3];
	size_t i;
	int rc, n = 0;

	if((rc = check_sid(sid)) < 0)
		return rc;
	if(count < 1 || count > 1000)
		return oq_bad_arg("count", "must be 1..1000");
	a[0] = *sid;
	if(after && after->len) a[1] = *after; else { a[1].s = ""; a[1].len = 0; }
	a[2].len = snprintf(cnt, sizeof(cnt), "%d", count);
	a[2].s = cnt;
	r = oq_call("oq_transcript", 3, a, &rc);
	if(r == NULL)
		return rc;
	/* every entry checked before the first is handed on: a reader gets all or an error */
	for(i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if(omniq_stream_entry(r->element[i], &e.id, &f) < 0 || !entry_id(r->element[i]->element[0]))
			break;
	if(r->type != REDIS_REPLY_ARRAY || i < r->elements) {
		rc = oq_bad_reply("oq_transcript", r, "[[entry id, [name, value, ...]], ...]");
		freeReplyObject(r);
		return rc;
	}
	for(i = 0; i < r->elements; i++) {
		omniq_stream_entry(r->element[i], &e.id, &f);
		omniq_stream_field(f, "dir", &e.dir);
		omniq_stream_field(f, "from", &e.from);
		omniq_stream_field(f, "body", &e.body);
		omniq_stream_field(f, "delivery", &e.delivery);
		omniq_stream_field(f, "delivery_reason", &e.delivery_reason);
		cb(arg, &e);
		n++;
	}
	freeReplyObject(r);
	return n;
}

typedef struct tx_each {
	omniq_tx_cb cb;
	void *arg;
} tx_each_t;

static void each_entry(void *arg, const omniq_tx_entry_t *e)
{
	tx_each_t *t = (tx_each_t *)arg;
	t->cb(t->arg, &e->id, &e->dir, &e->from, &e->body);
}

int oq_transcript_each(const str *sid, const str *after, int count, omniq_tx_cb cb, void *arg)
{
	tx_each_t t = {cb, arg};
	return oq_transcript_read(sid, after, count, each_entry, &t);
}

int oq_get(const str *sid, omniq_session_info_t *out)
{
	redisReply *r;
	size_t i;
	int rc;

	if((rc = check_sid(sid)) < 0)
		return rc;
	r = oq_call("oq_session_get", 1, sid, &rc);
	if(r == NULL)
		return rc;
	if(!oq_reply_is(r, OQ_R_FLAT)) {
		rc = oq_bad_reply("oq_session_get", r, oq_reply_kind_name(OQ_R_FLAT));
		freeReplyObject(r);
		return rc;
	}
	memset(out, 0, sizeof(*out));
	for(i = 0; i + 1 < r->elements; i += 2) {
		redisReply *k = r->element[i], *v = r->element[i + 1];
		if(!strcmp(k->str, "id")) copy_elem(out->sid, sizeof(out->sid), v);
		else if(!strcmp(k->str, "state")) copy_elem(out->state, sizeof(out->state), v);
		else if(!strcmp(k->str, "agent")) copy_elem(out->agent, sizeof(out->agent), v);
		else if(!strcmp(k->str, "customer")) copy_elem(out->customer, sizeof(out->customer), v);
		else if(!strcmp(k->str, "channel")) copy_elem(out->channel, sizeof(out->channel), v);
		else if(!strcmp(k->str, "position")) out->position = (int)elem_long(v);
		else if(!strcmp(k->str, "est_wait_ms")) out->est_wait_s = (int)(elem_long(v) / 1000);
	}
	freeReplyObject(r);
	if(out->sid[0] == '\0') {
		oq_set_error(OMNIQ_ENOTFOUND, "session %.*s not found", sid->len, sid->s);
		return OMNIQ_ENOTFOUND;
	}
	return OMNIQ_OK;
}

/* A file's reply names it as omniq_ws serves it: "/media/<this tenant>/<32 hex digits>" */
static int media_body(const str *body)
{
	str name, prefix;
	int i, n;

	if(oq_tenant_at(oq_tenant_index(), &name, &prefix) < 0)
		return -1;
	n = 7 + name.len + 1;
	if(body->len != n + OMNIQ_MEDIA_KEY || strncmp(body->s, "/media/", 7)
			|| memcmp(body->s + 7, name.s, name.len) || body->s[n - 1] != '/')
		return -1;
	for(i = n; i < body->len; i++)
		if(!((body->s[i] >= '0' && body->s[i] <= '9') || (body->s[i] >= 'a' && body->s[i] <= 'f')))
			return -1;
	return 0;
}

int oq_reply(const str *sid, const str *from, const str *body)
{
	str text = {"text", 4};

	return oq_reply_typed(sid, from, &text, body);
}

/* reply_typed(), and with held reply_held(): from must be the session's agent */
static int reply_send(const str *sid, const str *from, const str *type, const str *body,
		int held)
{
	static const char *const types[] = {"text", "image", "voice", "video", "file", NULL};
	char why[OQ_WHY_MAX];
	const omniq_driver_t *drv;
	omniq_delivery_t d;
	str a[5], prefix;
	redisReply *r;
	int rc, t;

	if((rc = check_sid(sid)) < 0)
		return rc;
	if((rc = oq_text_arg(OQ_TEXT_FROM, from)) < 0)
		return rc;
	for(t = 0; types[t] && type; t++)
		if(type->len == (int)strlen(types[t]) && !memcmp(type->s, types[t], type->len))
			break;
	if(type == NULL || types[t] == NULL)
		return oq_bad_arg("type", "must be text, image, voice, video or file");
	if(oq_check_body(body->s, body->len, why) < 0)
		return oq_bad_arg("body", why);
	if(t > 0 && media_body(body) < 0)
		return oq_bad_arg("body", "a file's reply is its /media/<tenant>/<key> (this tenant's)");
	a[0] = *sid;
	if(from) a[1] = *from; else { a[1].s = ""; a[1].len = 0; }
	a[2] = *type;
	a[3] = *body;
	a[4] = omniq_str(held ? "1" : "0");
	/* stored, and queued for the channel's sender when it has one (lua/72_outbound.lua) */
	r = oq_call("oq_send", 5, a, &rc);
	if(r == NULL)
		return rc;
	/* the channel and its reference decide where the reply is delivered: no guess */
	if(r->type != REDIS_REPLY_ARRAY || r->elements != 5 || !entry_id(r->element[0])
			|| !name_elem(r->element[1], 32) || !text_elem(r->element[2], 256)
			|| r->element[3]->type != REDIS_REPLY_STRING || r->element[3]->len > 20
			|| !text_elem(r->element[4], OQ_IDENTITY_MAX)) {
		rc = oq_bad_reply("oq_send", r,
				"[entry id, channel, channel reference, delivery id, identity]");
		freeReplyObject(r);
		return rc;
	}
	oq_stat_inc(OQ_ST_MESSAGES);
	memset(&d, 0, sizeof(d));
	d.channel.s = r->element[1]->str; d.channel.len = (int)r->element[1]->len;
	/* queued: the channel's sender has it. Else a channel without push delivery: the
	 * customer reads the transcript (web, app) */
	drv = r->element[3]->len ? NULL : oq_driver_find(&d.channel);
	rc = OMNIQ_OK;
	if(drv && drv->deliver) { /* the delivery is made only for a driver that takes one */
		d.sid = *sid;
		d.ext.s = r->element[2]->str; d.ext.len = (int)r->element[2]->len;
		d.identity.s = r->element[4]->str; d.identity.len = (int)r->element[4]->len;
		d.from = a[1];
		d.type = *type;
		d.body = *body;
		oq_tenant_at(oq_tenant_index(), &d.tenant, &prefix);
	}
	if(drv && drv->deliver && drv->deliver(&d, drv->param) < 0) {
		oq_set_error(OMNIQ_EINTERNAL, "channel %.*s could not deliver the reply",
				d.channel.len, d.channel.s);
		rc = OMNIQ_EINTERNAL;
	}
	freeReplyObject(r);
	return rc;
}

int oq_reply_typed(const str *sid, const str *from, const str *type, const str *body)
{
	return reply_send(sid, from, type, body, 0);
}

int oq_reply_held(const str *sid, const str *agent, const str *type, const str *body)
{
	if(agent == NULL || agent->len == 0)
		return oq_bad_arg("agent", "missing: a reply in an agent's name names the agent");
	return reply_send(sid, agent, type, body, 1);
}

/* oq_agent_set, or with keep (update) oq_agent_update: the fields given NULL are left as
 * they are on an existing agent (the defaults are sent for a new one). */
static int agent_write(const str *aid, const str *name, const str *skills, const str *caps,
		const str *contact, int update)
{
	char why[OQ_WHY_MAX], sk[OQ_AGENT_SKILLS_BUF], cp[OQ_CAPS_BUF], keep[8];
	str a[6], *v = a + (update ? 1 : 0);
	int rc, k = 0;

	CHECK_ID("agent", aid);
	if((rc = oq_text_arg(OQ_TEXT_AGENT_NAME, name)) < 0)
		return rc;
	if(oq_agent_skills_canon(skills ? skills->s : "", skills ? skills->len : 0, sk, sizeof(sk),
			   why) < 0)
		return oq_bad_arg("skills", why);
	if(oq_caps_canon(caps ? caps->s : "", caps ? caps->len : 0, oq_settings.cap_default, cp,
			   sizeof(cp), why) < 0)
		return oq_bad_arg("capacity", why);
	if((rc = oq_text_arg(OQ_TEXT_CONTACT, contact)) < 0)
		return rc;
	a[0] = *aid;
	if(name) v[1] = *name; else { v[1].s = ""; v[1].len = 0; }
	v[2].s = sk; v[2].len = strlen(sk);
	v[3].s = cp; v[3].len = strlen(cp);
	if(contact) v[4] = *contact; else { v[4].s = ""; v[4].len = 0; }
	if(!update)
		return oq_call_checked("oq_agent_set", 5, a, OQ_R_OK);
	if(!name) keep[k++] = 'n';
	if(!skills) keep[k++] = 's';
	if(!caps) keep[k++] = 'c';
	if(!contact) keep[k++] = 't';
	keep[k] = '\0';
	a[1].s = keep;
	a[1].len = k;
	return oq_call_checked("oq_agent_update", 6, a, OQ_R_OK);
}

int oq_agent_set(const str *aid, const str *name, const str *skills, const str *caps,
		const str *contact)
{
	return agent_write(aid, name, skills, caps, contact, 0);
}

int oq_agent_update(const str *aid, const str *name, const str *skills, const str *caps,
		const str *contact)
{
	return agent_write(aid, name, skills, caps, contact, 1);
}

int oq_agent_phone(const str *aid, int has)
{
	str a[2];

	CHECK_ID("agent", aid);
	a[0] = *aid;
	a[1].s = has ? "1" : "0";
	a[1].len = 1;
	return oq_call_checked("oq_agent_phone", 2, a, OQ_R_STRINGS);
}

int oq_agent_state(const str *aid, const str *presence)
{
	char why[OQ_WHY_MAX], p[16];
	str a[2];

	CHECK_ID("agent", aid);
	if(oq_check_presence(presence->s, presence->len, p, sizeof(p), why) < 0)
		return oq_bad_arg("state", why);
	a[0] = *aid;
	a[1].s = p; a[1].len = strlen(p);
	return oq_call_checked("oq_agent_state", 2, a, OQ_R_STRINGS);
}

int oq_agent_role(const str *aid, const str *role)
{
	str a[2];

	CHECK_ID("agent", aid);
	if(role == NULL || !((role->len == 5 && !memcmp(role->s, "agent", 5))
							   || (role->len == 10 && !memcmp(role->s, "supervisor", 10))))
		return oq_bad_arg("role", "must be agent or supervisor");
	a[0] = *aid; a[1] = *role;
	return oq_call_checked("oq_agent_role", 2, a, OQ_R_OK);
}

int oq_canned_set(const str *aid, const str *name, const str *text)
{
	str a[3];

	if(aid && aid->len)
		CHECK_ID("agent", aid);
	if(name == NULL)
		return oq_bad_arg("name", "missing");
	CHECK_ID("name", name);
	/* the text's length and bytes: the library's (CANNED_TEXT_MAX) */
	a[0].s = aid ? aid->s : ""; a[0].len = aid ? aid->len : 0;
	a[1] = *name;
	a[2].s = text ? text->s : ""; a[2].len = text ? text->len : 0;
	return oq_call_checked("oq_canned_set", 3, a, OQ_R_OK);
}

int oq_agent_del(const str *aid)
{
	CHECK_ID("agent", aid);
	return oq_call_checked("oq_agent_del", 1, aid, OQ_R_OK);
}

int oq_sweep(int max, int counts[OQ_SWEEP_COUNTS])
{
	char m[16];
	str a;
	redisReply *r;
	int rc, i;

	a.len = snprintf(m, sizeof(m), "%d", max);
	a.s = m;
	r = oq_call("oq_sweep", 1, &a, &rc);
	if(r == NULL)
		return rc;
	for(i = 0; r->type == REDIS_REPLY_ARRAY && r->elements == OQ_SWEEP_COUNTS
			&& i < OQ_SWEEP_COUNTS; i++)
		if(!digits_elem(r->element[i], 9))
			break;
	if(i < OQ_SWEEP_COUNTS) {
		rc = oq_bad_reply("oq_sweep", r, "seven counts");
		freeReplyObject(r);
		return rc;
	}
	for(i = 0; i < OQ_SWEEP_COUNTS; i++)
		counts[i] = (int)elem_long(r->element[i]);
	freeReplyObject(r);
	return OMNIQ_OK;
}

/* Every setting of limits.def (OQ_CFG_EACH) and the policy, as oq_config's field value
 * pairs, to every tenant. */
int oq_push_config(void)
{
	static const char *const names[] = {
#define OQ_CFG_NAME(name, def, min, max) #name,
		OQ_CFG_EACH(OQ_CFG_NAME)
#undef OQ_CFG_NAME
	};
	const int values[] = {
#define OQ_CFG_VALUE(name, def, min, max) oq_settings.name,
		OQ_CFG_EACH(OQ_CFG_VALUE)
#undef OQ_CFG_VALUE
	};
	char v[OQ_CFG_COUNT][16];
	str a[2 * (OQ_CFG_COUNT + 1)];
	int rc, i;

	for(i = 0; i < OQ_CFG_COUNT; i++) {
		a[2 * i] = omniq_str(names[i]);
		a[2 * i + 1].len = snprintf(v[i], sizeof(v[i]), "%d", values[i]);
		a[2 * i + 1].s = v[i];
	}
	a[2 * i] = omniq_str("policy");
	a[2 * i + 1] = omniq_str(oq_settings.policy);
	for(i = 0, rc = OMNIQ_OK; i < n_tenants && rc == OMNIQ_OK; i++) {
		oq_tenant_use_index(i);
		rc = oq_call_checked("oq_config", 2 * (OQ_CFG_COUNT + 1), a, OQ_R_OK);
		if(rc < 0)
			LM_ERR("cannot write omniq settings of tenant %s to Redis: %s\n", tenants[i].name,
					oq_last_error());
	}
	oq_tenant_use_index(0);
	return rc;
}

int oq_session_set(const str *sid, const str *field, const str *value)
{
	static const char *const fields[] = {"tags", "csat", "nps", "disposition", "follow_up",
			"claimed_name", "claimed_contact"};
	str a[3];
	unsigned i;
	int rc;

	if((rc = check_sid(sid)) < 0)
		return rc;
	for(i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if(field && field->len == (int)strlen(fields[i])
				&& !memcmp(field->s, fields[i], field->len))
			break;
	if(i == sizeof(fields) / sizeof(fields[0]))
		return oq_bad_arg("field", "must be tags, csat, nps, disposition, follow_up, "
								   "claimed_name or claimed_contact");
	if(value == NULL || value->len < 0)
		return oq_bad_arg("value", "missing");
	if(!strcmp(fields[i], "tags") && (rc = oq_text_arg(OQ_TEXT_TAGS, value)) < 0)
		return rc;
	if(!strcmp(fields[i], "disposition") && value->len)
		CHECK_ID("disposition", value);
	if(!strncmp(fields[i], "claimed_", 8) && (rc = oq_text_arg(OQ_TEXT_PROFILE, value)) < 0)
		return rc;
	/* csat, nps, follow_up: the library checks their ranges and dates */
	a[0] = *sid; a[1] = *field; a[2] = *value;
	return oq_call_checked("oq_session_set", 3, a, OQ_R_OK);
}

/* oq_transfer's first five arguments into a[] (sk: the skills' buffer). 0 or OMNIQ_EARG. */
static int transfer_args(const str *sid, const str *agent, const str *kind, const str *target,
		const str *skills, char *sk, str *a)
{
	char why[OQ_WHY_MAX];
	int rc;

	if((rc = check_sid(sid)) < 0)
		return rc;
	CHECK_ID("agent", agent);
	if(kind == NULL || !((kind->len == 5 && !memcmp(kind->s, "agent", 5))
							   || (kind->len == 5 && !memcmp(kind->s, "queue", 5))))
		return oq_bad_arg("kind", "must be agent or queue");
	if(target == NULL)
		return oq_bad_arg("target", "missing");
	CHECK_ID(kind->s[0] == 'a' ? "target agent" : "target queue", target);
	if(oq_skills_canon(skills ? skills->s : "", skills ? skills->len : 0, sk, OQ_SKILLS_BUF, why)
			< 0)
		return oq_bad_arg("skills", why);
	a[0] = *sid; a[1] = *agent; a[2] = *kind; a[3] = *target;
	a[4].s = sk; a[4].len = strlen(sk);
	return 0;
}

int oq_transfer(const str *sid, const str *agent, const str *kind, const str *target,
		const str *skills)
{
	char sk[OQ_SKILLS_BUF], refer[OQ_DRIVERS_MAX * (OMNIQ_ID_MAX + 1) + 1];
	omniq_session_info_t info;
	redisReply *r;
	str a[6];
	int rc;

	if((rc = transfer_args(sid, agent, kind, target, skills, sk, a)) < 0)
		return rc;
	/* the channels that move their contact themselves (OMNIQ_CAP_REFER): the library asks
	 * their driver instead of moving the record (47_transfer.lua) */
	if((rc = oq_driver_refer_channels(refer, sizeof(refer))) < 0)
		return OMNIQ_EINTERNAL;
	if(rc == 0)
		return oq_call_checked("oq_transfer", 5, a, OQ_R_STRINGS);
	a[5].s = refer;
	a[5].len = rc;
	if((r = oq_call("oq_transfer", 6, a, &rc)) == NULL)
		return rc;
	if((rc = oq_session_reply("oq_transfer", r, 1, &info)) < 0)
		return rc;
	return strcmp(info.state, "referring") == 0 ? OMNIQ_REFERRING : OMNIQ_OK;
}

int oq_transfer_call(const str *sid, const str *agent, const str *kind, const str *target,
		const str *ext, const str *node, omniq_session_info_t *out)
{
	char sk[OQ_SKILLS_BUF];
	redisReply *r;
	str a[7];
	int rc;

	if((rc = transfer_args(sid, agent, kind, target, NULL, sk, a)) < 0)
		return rc;
	if(ext == NULL || ext->len <= 0)
		return oq_bad_arg("ext", "missing: the new contact's reference");
	if((rc = oq_text_arg(OQ_TEXT_EXT, ext)) < 0)
		return rc;
	CHECK_ID("node", node);
	a[5] = *ext; a[6] = *node;
	if((r = oq_call("oq_transfer", 7, a, &rc)) == NULL)
		return rc;
	return oq_session_reply("oq_transfer", r, 1, out);
}

int oq_pick(const str *sid, const str *agent, const str *by)
{
	str a[3];
	int rc;

	if((rc = check_sid(sid)) < 0)
		return rc;
	CHECK_ID("agent", agent);
	if(by && by->len)
		CHECK_ID("picking agent", by);
	a[0] = *sid; a[1] = *agent;
	a[2].s = by ? by->s : ""; a[2].len = by ? by->len : 0;
	return oq_call_checked("oq_pick", 3, a, OQ_R_STRINGS);
}

int oq_typing(const str *sid, const str *dir, const str *from)
{
	str a[3];
	int rc;

	if((rc = check_sid(sid)) < 0)
		return rc;
	if(!dir_ok(dir, 0))
		return oq_bad_arg("direction", "must be in or out");
	if((rc = oq_text_arg(OQ_TEXT_FROM, from)) < 0)
		return rc;
	a[0] = *sid; a[1] = *dir;
	if(from) a[2] = *from; else { a[2].s = ""; a[2].len = 0; }
	return oq_call_checked("oq_typing", 3, a, OQ_R_OK);
}
