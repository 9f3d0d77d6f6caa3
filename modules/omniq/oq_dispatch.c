/*
 * oq_dispatch.c - the dispatcher process (see oq_dispatch.h).
 *
 * The loop blocks in XREAD for at most the time left until the next sweep, so events are
 * handled the moment they are written and sweeps keep their rhythm under any event rate.
 * It starts at "$" (events written from now on): a node that was down has no suspended
 * transactions or connections the missed events could concern; desks and apps that need
 * history read the stream themselves from their last id.
 */
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/time.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/pt.h"
#include "core/cfg/cfg_struct.h"
#include "core/route.h"
#include "core/fmsg.h"
#include "core/kemi.h"
#include "core/receive.h"

#include "oq_dispatch.h"
#include "oq_core.h"
#include "oq_redis.h"
#include "oq_driver.h"
#include "oq_pv.h"
#include "oq_stats.h"

oq_dispatch_cfg_t oq_dispatch_cfg = {1, 200, STR_NULL};

/* Every event type the function library emits (emit() in the lua/ files). */
static const char *event_types[] = {"enqueue", "offer", "park", "unpark", "reopen", "accept",
		"decline", "miss", "wrapup", "close", "abandon", "expire", "presence", "merge",
		"agent_del", "message", "transfer"};
#define OQ_EVENT_TYPES ((int)(sizeof(event_types) / sizeof(event_types[0])))
static int event_rt_idx[OQ_EVENT_TYPES];

static long long now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int oq_dispatch_mod_init(void)
{
	char name[32];
	int i;

	for(i = 0; i < OQ_EVENT_TYPES; i++) {
		snprintf(name, sizeof(name), "omniq:%s", event_types[i]);
		event_rt_idx[i] = route_lookup(&event_rt, name);
		if(event_rt_idx[i] >= 0 && event_rt.rlist[event_rt_idx[i]] == NULL)
			event_rt_idx[i] = -1;
	}
	if(!oq_dispatch_cfg.enabled)
		return 0;
	register_procs(1);
	cfg_register_child(1);
	return 0;
}

/* An event route runs on a faked message of its own, parsed for it and freed after
 * (evapi's way), not on core's shared one: faked_msg_init() parses that one again until a
 * faked_msg_next() has come in the process, so the dispatcher's first event dropped the
 * headers dialog's mod_init had parsed (LeakSanitizer, scripts/asan.sh); and what a route
 * parses or adds to its message goes with it. */
static void run_event_route(const omniq_event_t *ev)
{
	sip_msg_t tmsg, *fmsg = &tmsg;
	sr_kemi_eng_t *keng;
	str evname;
	char namebuf[40];
	int i, rt = -1, backup_rt;

	for(i = 0; i < OQ_EVENT_TYPES; i++)
		if(ev->type.len == (int)strlen(event_types[i])
				&& !strncmp(ev->type.s, event_types[i], ev->type.len))
			rt = event_rt_idx[i];
	keng = sr_kemi_eng_get();
	if(rt < 0 && (keng == NULL || oq_dispatch_cfg.kemi_callback.len <= 0))
		return;
	if(faked_msg_get_new(fmsg) < 0) {
		LM_ERR("no faked message for the event route of %.*s: not run\n", ev->type.len,
				ev->type.s);
		return;
	}
	oq_pv_set_event(ev);
	backup_rt = get_route_type();
	set_route_type(EVENT_ROUTE);
	if(rt >= 0) {
		struct run_act_ctx ctx;
		init_run_actions_ctx(&ctx);
		run_top_route(event_rt.rlist[rt], fmsg, &ctx);
	} else {
		evname.len = snprintf(namebuf, sizeof(namebuf), "omniq:%.*s", ev->type.len, ev->type.s);
		evname.s = namebuf;
		if(sr_kemi_route(keng, fmsg, EVENT_ROUTE, &oq_dispatch_cfg.kemi_callback, &evname) < 0)
			LM_ERR("KEMI event callback failed for %.*s\n", evname.len, evname.s);
	}
	set_route_type(backup_rt);
	free_sip_msg(fmsg);
	ksr_msg_env_reset();
}

static void field(redisReply *fields, const char *name, str *out)
{
	size_t i;
	out->s = "";
	out->len = 0;
	for(i = 0; i + 1 < fields->elements; i += 2) {
		redisReply *k = fields->element[i], *v = fields->element[i + 1];
		if(k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING
				&& !strcmp(k->str, name)) {
			out->s = v->str;
			out->len = (int)v->len;
			return;
		}
	}
}

typedef struct stream {
	char key[OMNIQ_ID_MAX + 32];
	char last[64];
} stream_t;

/* One stream's entries of an XREAD reply ([key, [[id, [f, v, ...]], ...]]), tenant t's:
 * that tenant is current while its event routes and drivers run. Returns entries handled. */
static int handle_events(redisReply *s, int t, stream_t *st)
{
	redisReply *entries, *e;
	omniq_event_t ev;
	size_t i;
	int n = 0;

	if(s->type != REDIS_REPLY_ARRAY || s->elements < 2
			|| s->element[1]->type != REDIS_REPLY_ARRAY)
		return 0;
	entries = s->element[1];
	oq_tenant_at(t, &ev.tenant, NULL);
	for(i = 0; i < entries->elements; i++) {
		e = entries->element[i];
		if(e->type != REDIS_REPLY_ARRAY || e->elements < 2
				|| e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		snprintf(st->last, sizeof(st->last), "%s", e->element[0]->str);
		if(e->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		field(e->element[1], "type", &ev.type);
		if(ev.type.len == 6 && !memcmp(ev.type.s, "typing", 6))
			continue; /* a transient signal for sockets, not a session event */
		field(e->element[1], "sid", &ev.sid);
		field(e->element[1], "state", &ev.state);
		field(e->element[1], "agent", &ev.agent);
		field(e->element[1], "channel", &ev.channel);
		field(e->element[1], "ext", &ev.ext);
		oq_tenant_use_index(t);
		run_event_route(&ev);
		oq_driver_event(&ev);
		oq_tenant_use_index(0);
		n++;
	}
	return n;
}

static void sweep(void)
{
	int c[OQ_SWEEP_COUNTS], t;
	str name;

	for(t = 0; oq_tenant_at(t, &name, NULL) == 0; t++) {
		oq_tenant_use_index(t);
		if(oq_sweep(1000, c) < 0) {
			LM_ERR("sweep of tenant %.*s failed: %s\n", name.len, name.s, oq_last_error());
			continue;
		}
		oq_stat_add(OQ_ST_OFFERS_EXPIRED, c[0]);
		oq_stat_add(OQ_ST_WRAPUPS_ENDED, c[1]);
		oq_stat_add(OQ_ST_EXPIRED, c[3]);
		oq_stat_add(OQ_ST_RETIRED, c[4]);
		if(c[0] || c[1] || c[2] || c[3] || c[4])
			LM_DBG("sweep of %.*s: %d offers expired, %d wrap-ups ended, %d affinity waits "
				   "released, %d sessions expired, %d retired\n", name.len, name.s, c[0], c[1],
					c[2], c[3], c[4]);
	}
	oq_tenant_use_index(0);
}

static void dispatcher_loop(void)
{
	static stream_t st[OQ_TENANTS_MAX];
	const char *keys[OQ_TENANTS_MAX], *ids[OQ_TENANTS_MAX];
	long long next_sweep = 0, now;
	redisReply *r;
	int block, n, t;
	size_t i;
	str prefix;

	for(n = 0; oq_tenant_at(n, NULL, &prefix) == 0; n++) {
		snprintf(st[n].key, sizeof(st[n].key), "%.*s:events", prefix.len, prefix.s);
		snprintf(st[n].last, sizeof(st[n].last), "$");
		keys[n] = st[n].key;
		ids[n] = st[n].last;
	}
	for(;;) {
		cfg_update();
		now = now_ms();
		if(now >= next_sweep) {
			sweep();
			next_sweep = now + oq_dispatch_cfg.sweep_interval_ms;
		}
		block = (int)(next_sweep - now_ms());
		if(block < 1)
			block = 1;
		r = oq_redis_xread(n, keys, ids, block, 100);
		if(r == NULL) {
			/* Redis down: oq_redis already logged; do not spin */
			usleep(100000);
			continue;
		}
		if(r->type == REDIS_REPLY_ERROR)
			LM_ERR("XREAD of the event streams: %s\n", r->str);
		else if(r->type == REDIS_REPLY_ARRAY)
			for(i = 0; i < r->elements; i++) {
				redisReply *s = r->element[i];
				if(s->type != REDIS_REPLY_ARRAY || s->elements < 1
						|| s->element[0]->type != REDIS_REPLY_STRING)
					continue;
				for(t = 0; t < n && strcmp(st[t].key, s->element[0]->str); t++)
					;
				if(t < n)
					oq_stat_add(OQ_ST_EVENTS, handle_events(s, t, &st[t]));
			}
		freeReplyObject(r);
	}
}

int oq_dispatch_fork(void)
{
	int pid;

	if(!oq_dispatch_cfg.enabled)
		return 0;
	pid = fork_process(PROC_NOCHLDINIT, "omniq dispatcher", 1);
	if(pid < 0)
		return -1;
	if(pid == 0) {
		/* child init of the other modules, so event routes may call their functions */
		if(init_child(PROC_RPC) < 0) {
			LM_ERR("child init of the omniq dispatcher failed\n");
			return -1;
		}
		if(cfg_child_init())
			return -1;
		dispatcher_loop();
	}
	return 0;
}
