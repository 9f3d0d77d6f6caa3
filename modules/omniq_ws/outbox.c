/*
 * outbox.c - the push sender: a thread of omniq_ws process 0 on every node drains every
 * tenant's outbox <prefix>:outbox (lua/70_notify.lua) in the consumer group "senders" and
 * POSTs each entry's payload, kind "push", to the tenant's push_url, signed with its app
 * secret (app.c, sites.h; the headers: signed_post.h). An integrator channel's replies are
 * not here: they are queued by the core for the channel's own sender (channels.c).
 * A 2xx answer: delivered, the entry is acknowledged and deleted. A 4xx other than 408 and
 * 429: the receiver refuses this entry for good: logged, dropped. Anything else (timeout,
 * connection refused, 5xx): the entry stays pending, and once it has been idle for
 * webhook_retry seconds a sender (this one or another node's) claims it again, up to
 * webhook_attempts deliveries; then it is logged and dropped. A sender that dies mid-way leaves
 * its entries pending: they are claimed the same way. At least once, never lost silently.
 *
 * The thread has its own Redis connection and curl handle and uses malloc only (Kamailio's
 * pkg memory is not thread-safe); the lws loop never waits for a receiver.
 */
#include <string.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <hiredis/hiredis.h>
#include <curl/curl.h>

#include "core/dprint.h"

#include "ws.h"
#include "outbox.h"
#include "signed_post.h"
#include "sites.h"
#include "omniq/omniq_stream.h"

#define GROUP "senders"
#define BATCH 16

static omniq_conn_info_t conn;
static char keys[OMNIQ_TENANTS_MAX][128], prefixes[OMNIQ_TENANTS_MAX][128], me[128];
static str tenant_names[OMNIQ_TENANTS_MAX];
static int n_keys;
static CURL *curl;

typedef struct entry {
	int t;  /* the tenant whose outbox it is in */
	const char *id, *kind, *target, *payload;
	size_t payload_len;
} entry_t;

static int entry_of(redisReply *e, int t, entry_t *out)
{
	const redisReply *f;
	str id, kind, target, payload;

	memset(out, 0, sizeof(*out));
	out->t = t;
	if(omniq_stream_id(e, &id) == 0)
		out->id = id.s; /* a malformed entry with an id is dropped by it */
	/* checked whole; an entry deleted meanwhile comes from XCLAIM with nil fields */
	if(omniq_stream_entry(e, &id, &f) < 0 || omniq_stream_field(f, "kind", &kind) < 0
			|| omniq_stream_field(f, "target", &target) < 0
			|| omniq_stream_field(f, "payload", &payload) < 0)
		return -1;
	out->kind = kind.s;
	out->target = target.s;
	out->payload = payload.s;
	out->payload_len = (size_t)payload.len;
	return 0;
}

/* 1 delivered, 0 retry later, -1 refused for good */
static int post(const entry_t *e)
{
	const ws_app_site_t *site;
	long status, retry_after;
	char why[160];
	ws_post_t p;

	if(strcmp(e->kind, "push")) {
		/* "webhook": a channel's replies go through its own sender since issue 21
		 * (channels.c); an entry of an older omniq is told, not silently lost */
		LM_ERR("outbox entry %s: kind '%.32s' is not sent from the outbox (an integrator "
			   "channel's replies have a sender of their own), dropped\n", e->id, e->kind);
		return -1;
	}
	site = ws_app_site(e->t);
	if(site == NULL || site->push_url == NULL) {
		LM_ERR("outbox entry %s: no push_url for tenant %.*s (modparam), dropped\n", e->id,
				tenant_names[e->t].len, tenant_names[e->t].s);
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.url = site->push_url;
	p.secret = site->secret;
	p.kind = "push";
	p.delivery = e->id;
	p.tenant = tenant_names[e->t];
	p.body = e->payload;
	p.len = e->payload_len;
	if(ws_signed_post(curl, &p, &status, &retry_after, why, sizeof(why)) < 0) {
		LM_WARN("outbox entry %s to %s: %s; retried in %d s\n", e->id, p.url, why,
				ws_cfg.webhook_retry);
		return 0;
	}
	if(status >= 200 && status < 300)
		return 1;
	if(status >= 400 && status < 500 && status != 408 && status != 429) {
		LM_ERR("outbox entry %s: %s answered %ld: refused, dropped\n", e->id, p.url, status);
		return -1;
	}
	LM_WARN("outbox entry %s: %s answered %ld; retried in %d s\n", e->id, p.url, status,
			ws_cfg.webhook_retry);
	return 0;
}

/* Acknowledge and delete, in one round trip: the entry is done with (delivered or dropped). */
static int done(redisContext *rc, int t, const char *id)
{
	redisReply *r;
	int i;

	redisAppendCommand(rc, "XACK %s " GROUP " %s", keys[t], id);
	redisAppendCommand(rc, "XDEL %s %s", keys[t], id);
	for(i = 0; i < 2; i++) {
		if(ws_oq.redis_reply(rc, (void **)&r) != REDIS_OK)
			return -1;
		freeReplyObject(r);
	}
	return 0;
}

/* Entries of tenant t's outbox in list (XREADGROUP's or XCLAIM's): send each. -1 when
 * Redis is lost. */
static int send_all(redisContext *rc, int t, redisReply *list)
{
	entry_t e;
	size_t i;
	int res;

	for(i = 0; i < list->elements; i++) {
		if(entry_of(list->element[i], t, &e) < 0) {
			if(e.id) {
				LM_ERR("outbox entry %s is malformed, dropped\n", e.id);
				if(done(rc, t, e.id) < 0)
					return -1;
			}
			continue;
		}
		res = post(&e);
		if(res != 0 && done(rc, t, e.id) < 0)
			return -1;
	}
	return 0;
}

/* Tenant t's pending entries idle for webhook_retry: dropped after webhook_attempts, else
 * claimed and sent. */
static int retry_due(redisContext *rc, int t)
{
	const char *key = keys[t];
	redisReply *p, *c, *x;
	long long idle_ms = (long long)ws_cfg.webhook_retry * 1000;
	size_t i;
	int res = 0;

	p = ws_redis_command(rc, "XPENDING %s " GROUP " IDLE %lld - + %d", key, idle_ms, BATCH);
	if(p == NULL)
		return -1;
	if(p->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(p);
		return 0;
	}
	for(i = 0; i < p->elements && res == 0; i++) {
		x = p->element[i];
		if(x->type != REDIS_REPLY_ARRAY || x->elements != 4)
			continue;
		if(x->element[3]->integer >= ws_cfg.webhook_attempts) {
			LM_ERR("outbox entry %s: not delivered after %lld attempts, dropped\n",
					x->element[0]->str, x->element[3]->integer);
			res = done(rc, t, x->element[0]->str);
			continue;
		}
		c = ws_redis_command(rc, "XCLAIM %s " GROUP " %s %lld %s", key, me, idle_ms,
				x->element[0]->str);
		if(c == NULL)
			return -1;
		if(c->type == REDIS_REPLY_ARRAY)
			res = send_all(rc, t, c);
		freeReplyObject(c);
	}
	freeReplyObject(p);
	return res;
}

/* Tenant t's group without the consumers of other nodes that have had nothing pending and
 * not read for outbox_forget seconds (a node taken out of service), checked and removed in
 * one step by the core's oq_outbox_forget: a restarted node makes its consumer again with
 * the first entry it reads, and one with entries pending keeps them until a sender claims
 * them. -1 when the connection failed. */
static int forget_gone(redisContext *rc, int t)
{
	redisReply *r;
	size_t i;

	r = ws_redis_command(rc, "FCALL oq_outbox_forget 1 %s %s %lld", prefixes[t], me,
			(long long)ws_cfg.outbox_forget * 1000);
	if(r && ws_oq.library_missing(r)) {
		/* FUNCTION FLUSH, a replica promoted without it: nothing ran; load the library
		 * (this thread's own connection) and ask once more, as the core's calls do */
		char why[128];

		freeReplyObject(r);
		if(ws_oq.library_load(rc, why, sizeof(why)) < 0) {
			LM_ERR("outbox of tenant %.*s: the omniq function library is missing from "
				   "Redis and could not be loaded: %s\n",
					tenant_names[t].len, tenant_names[t].s, why);
			return rc->err ? -1 : 0;
		}
		LM_NOTICE("outbox of tenant %.*s: the omniq function library was missing from "
				  "Redis: loaded again\n", tenant_names[t].len, tenant_names[t].s);
		r = ws_redis_command(rc, "FCALL oq_outbox_forget 1 %s %s %lld", prefixes[t], me,
				(long long)ws_cfg.outbox_forget * 1000);
	}
	if(r == NULL)
		return -1;
	/* [consumer, idle ms, ...]: checked whole before a word of it is logged */
	for(i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if(r->element[i]->type != REDIS_REPLY_STRING)
			break;
	if(r->type == REDIS_REPLY_ERROR)
		LM_ERR("outbox of tenant %.*s: Redis function oq_outbox_forget failed: %s\n",
				tenant_names[t].len, tenant_names[t].s, r->str);
	else if(r->type != REDIS_REPLY_ARRAY || i < r->elements || r->elements % 2)
		LM_ERR("outbox of tenant %.*s: Redis function oq_outbox_forget answered a reply of "
			   "type %d where pairs of sender and idle time were expected: is Redis running "
			   "the function library of this omniq?\n",
				tenant_names[t].len, tenant_names[t].s, r->type);
	else
		for(i = 0; i + 1 < r->elements; i += 2)
			LM_INFO("outbox of tenant %.*s: sender %s idle for %s ms with nothing pending, "
					"removed from the group\n", tenant_names[t].len, tenant_names[t].s,
					r->element[i]->str, r->element[i + 1]->str);
	freeReplyObject(r);
	return 0;
}

/* XREADGROUP's reply: [[key, [entries]], ...], a list per tenant with new entries. */
static int send_read(redisContext *rc, redisReply *r, const char *const *names)
{
	redisReply *entries;
	size_t i;
	int t;

	for(i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if((t = ws_xread_stream(r, i, names, n_keys, &entries)) >= 0
				&& send_all(rc, t, entries) < 0)
			return -1;
	return 0;
}

static void *sender(void *arg)
{
	const char *av[7 + 2 * OMNIQ_TENANTS_MAX];
	redisContext *rc = NULL;
	redisReply *r;
	char count[16];
	int t, lost;
	/* other nodes' senders are looked at twice per outbox_forget, and at least once a minute */
	time_t swept = 0, sweep = ws_cfg.outbox_forget / 2 < 1 ? 1
						 : ws_cfg.outbox_forget / 2 > 60 ? 60 : ws_cfg.outbox_forget / 2;

	snprintf(count, sizeof(count), "%d", BATCH);
	av[0] = "XREADGROUP";
	av[1] = "GROUP";
	av[2] = GROUP;
	av[3] = me;
	av[4] = "COUNT";
	av[5] = count;
	av[6] = "BLOCK";
	av[7] = "1000";
	av[8] = "STREAMS";
	for(t = 0; t < n_keys; t++) {
		av[9 + t] = keys[t];
		av[9 + n_keys + t] = ">";
	}
	for(;;) {
		if(rc == NULL) {
			if((rc = ws_redis_connect(&conn)) == NULL) {
				sleep(1);
				continue;
			}
			for(t = 0; t < n_keys; t++) {
				r = ws_redis_command(rc, "XGROUP CREATE %s " GROUP " 0 MKSTREAM", keys[t]);
				if(r)
					freeReplyObject(r); /* BUSYGROUP: it exists, which is what we want */
			}
		}
		for(t = 0, lost = 0; t < n_keys && !lost; t++)
			lost = retry_due(rc, t) < 0;
		if(!lost && time(NULL) - swept >= sweep) {
			for(t = 0; t < n_keys && !lost; t++)
				lost = forget_gone(rc, t) < 0;
			swept = time(NULL);
		}
		if(lost)
			goto lost;
		r = ws_redis_command_argv(rc, 9 + 2 * n_keys, av);
		if(r == NULL)
			goto lost;
		if(r->type == REDIS_REPLY_ERROR && strstr(r->str, "NOGROUP")) {
			/* a stream was deleted (FLUSHALL): make the groups again */
			freeReplyObject(r);
			goto lost;
		}
		lost = send_read(rc, r, av + 9) < 0;
		freeReplyObject(r);
		if(lost)
			goto lost;
		continue;
	lost:
		/* what was read but not acknowledged stays pending and is retried */
		redisFree(rc);
		rc = NULL;
		sleep(1);
	}
	return NULL;
}

int ws_outbox_start(void)
{
	str prefix;
	char host[64];

	if(!ws_push_any())
		return 0; /* nothing to send to */
	if((curl = ws_post_handle()) == NULL) {
		LM_ERR("cannot initialise libcurl for the outbox sender\n");
		return -1;
	}
	ws_oq.conn_info(&conn);
	for(n_keys = 0; n_keys < OMNIQ_TENANTS_MAX
			&& ws_oq.tenant_at(n_keys, &tenant_names[n_keys], &prefix) == 0;
			n_keys++) {
		snprintf(prefixes[n_keys], sizeof(prefixes[0]), "%.*s", prefix.len, prefix.s);
		snprintf(keys[n_keys], sizeof(keys[0]), "%.*s:outbox", prefix.len, prefix.s);
	}
	if(gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "node");
	host[sizeof(host) - 1] = '\0';
	/* one name per node, the same after a restart: a restarted sender takes up its own
	 * consumer (and what it left pending) instead of adding one more to the group */
	snprintf(me, sizeof(me), "%s:%s:%d", host, ws_cfg.listen_addr, ws_cfg.port);
	if(ws_thread_start(sender, "outbox") < 0)
		return -1;
	LM_INFO("outbox sender %s: app pushes\n", me);
	return 0;
}

int ws_outbox_queue(const char *kind, const str *target, const str *unless_online,
		json_t *payload, const str *sid)
{
	str k = omniq_str(kind), body;
	char *txt = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	int rc;

	json_decref(payload);
	if(txt == NULL) {
		LM_ERR("%s for session %.*s: out of memory\n", kind, sid->len, sid->s);
		return -1;
	}
	body = omniq_str(txt);
	rc = ws_oq.outbox_add(&k, target, unless_online, &body, NULL, 0);
	free(txt);
	if(rc < 0) {
		LM_ERR("%s for session %.*s (%.*s) not queued: %s\n", kind, sid->len, sid->s,
				target->len, target->s, ws_oq.last_error());
		return -1;
	}
	LM_DBG("%s for session %.*s (%.*s): %s\n", kind, sid->len, sid->s, target->len,
			target->s, rc == 1 ? "receiver online, none" : "queued");
	return 0;
}
