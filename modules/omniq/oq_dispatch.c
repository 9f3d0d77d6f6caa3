/*
 * oq_dispatch.c - the dispatcher process (see oq_dispatch.h).
 *
 * The loop blocks in XREAD for at most the time left until the next sweep, so events are
 * handled the moment they are written and sweeps keep their rhythm under any event rate.
 * After a read that brought events it waits event_read_gap before the next, so that under
 * load a read brings many (omniq_events.h): at 10,000 chat messages a second the
 * dispatcher's reads that each brought a few cost it 10 us a message (bench/ws).
 * It starts at the end of each tenant's stream (events written from now on: a node that
 * was down has no suspended transactions or connections the missed events could concern),
 * anchored there by XINFO STREAM before the first read rather than by "$", which would
 * skip whatever comes between two reads that still say "$". From there it reads every
 * entry after the last one read, across pauses and reconnects. A stream keeps its events
 * events_keep seconds: a dispatcher away longer (a stopped process, Redis unreachable) finds
 * entries it never read gone, which the check sent with its reads tells (oq_events.h; every
 * OMNIQ_EVENTS_CHECK_MS, and after a reconnect). It then logs it once, counts it, and
 * resynchronises from state: event_route[omniq:resync] and every driver's event hook with
 * the type "resync", for the drivers to re-read what this node holds.
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
#include "omniq/omniq_clock.h"
#include "omniq/omniq_stream.h"
#include "oq_core.h"
#include "oq_redis.h"
#include "oq_driver.h"
#include "oq_pv.h"
#include "oq_stats.h"
#include "oq_events.h"
#include "oq_node.h"
#include "oq_hours_sync.h"
#include "oq_stop.h"

oq_dispatch_cfg_t oq_dispatch_cfg = {1, 200, STR_NULL, OMNIQ_EVENT_READ_GAP_DEF};

/* Every event type the function library emits (emit() in the lua/ files), and the
 * dispatcher's own resync (events were lost). */
static const char *event_types[] = {"enqueue", "offer", "park", "unpark", "reopen", "accept",
		"decline", "miss", "wrapup", "close", "abandon", "expire", "presence", "merge",
		"agent_del", "revoke", "message", "transfer", "delivery", "sla1", "sla2", "sla3",
		"followup", "callback", "survey", "refer", "resync"};
#define OQ_EVENT_TYPES ((int)(sizeof(event_types) / sizeof(event_types[0])))
static int event_rt_idx[OQ_EVENT_TYPES];


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

/* Every event is every node's, but a service-level alert (sla1..sla3): the first node to
 * claim it (a lease on its event id, in tenant t, held by this node's token: oq_node.h)
 * runs its event_route, so that an admin's action there happens once however many nodes
 * read it, and whichever of them is up. A claim that cannot be made (Redis down) runs
 * nothing: an action twice is worse than one missed, and the alert's own notifications
 * are in the outbox already. */
#define SLA_CLAIM_MS (3600 * 1000)

static int mine(int t, const omniq_event_t *ev, const str *id)
{
	static const str ch = str_init("sla");
	str owner;
	int rc;

	if(ev->type.len != 4 || memcmp(ev->type.s, "sla", 3))
		return 1;
	owner.s = (char *)oq_node_token();
	owner.len = OQ_NODE_TOKEN_LEN;
	oq_tenant_use_index(t);
	rc = oq_chan_lease(&ch, id, &owner, SLA_CLAIM_MS, NULL);
	oq_tenant_use_index(0);
	if(rc < 0)
		LM_ERR("service-level alert %.*s of session %.*s not claimed (%s): its event_route "
			   "is not run on this node\n", id->len, id->s, ev->sid.len, ev->sid.s,
				oq_last_error());
	return rc == OMNIQ_OK;
}

typedef struct stream {
	char key[OMNIQ_ID_MAX + 32];
	omniq_events_pos_t pos;
} stream_t;

/* One stream's entries of an XREAD reply ([key, [[id, [f, v, ...]], ...]]), tenant t's:
 * that tenant is current while its event routes and drivers run. Returns entries handled. */
static int handle_events(redisReply *s, int t, stream_t *st)
{
	const redisReply *entries, *e, *f;
	omniq_event_t ev;
	str id;
	size_t i;
	int n = 0;

	if(s->type != REDIS_REPLY_ARRAY || s->elements < 2
			|| s->element[1]->type != REDIS_REPLY_ARRAY)
		return 0;
	entries = s->element[1];
	oq_tenant_at(t, &ev.tenant, NULL);
	for(i = 0; i < entries->elements; i++) {
		e = entries->element[i];
		if(omniq_stream_id(e, &id) < 0)
			continue;
		omniq_events_read(&st->pos, id.s, (size_t)id.len);
		if(omniq_stream_entry(e, &id, &f) < 0)
			continue;
		omniq_stream_field(f, "type", &ev.type);
		if(ev.type.len == 6 && !memcmp(ev.type.s, "typing", 6))
			continue; /* a transient signal for sockets, not a session event */
		if(!mine(t, &ev, &id))
			continue; /* another node acts on it */
		omniq_stream_field(f, "sid", &ev.sid);
		omniq_stream_field(f, "state", &ev.state);
		omniq_stream_field(f, "agent", &ev.agent);
		omniq_stream_field(f, "channel", &ev.channel);
		omniq_stream_field(f, "ext", &ev.ext);
		omniq_stream_field(f, "target", &ev.target); /* "refer" only: else empty */
		omniq_stream_field(f, "skills", &ev.skills);
		oq_tenant_use_index(t);
		run_event_route(&ev);
		oq_driver_event(&ev);
		oq_tenant_use_index(0);
		n++;
	}
	return n;
}

/* One sweep call handles at most SWEEP_MAX of each kind (a bounded time in Redis); a tenant
 * that had more due (a burst of ended sessions whose retention ends together, a backlog after
 * an outage) gets up to SWEEP_SLICES calls in a row, so that the sweep keeps up with 10,000
 * sessions a second at the default interval without one long call holding Redis. */
#define SWEEP_MAX 1000
#define SWEEP_SLICES 4

static int saturated(const int c[OQ_SWEEP_COUNTS])
{
	int i;
	for(i = 0; i < OQ_SWEEP_COUNTS; i++)
		if(c[i] >= SWEEP_MAX)
			return 1;
	return 0;
}

/* A sweep that keeps failing (Redis down, full, refusing) is said once when it starts to,
 * again every OQ_LOG_REPEAT_MS while it goes on (with the reason of that moment: while Redis
 * is down it alternates between a refused reconnect and the wait before the next), and once
 * when it works again: at 5 sweeps a second, an outage of ten minutes made 3,000 lines a
 * tenant. */

typedef struct sweep_fail {
	unsigned long fails; /* failed sweeps in a row */
	long long since;	 /* when the first of them failed */
	long long said;		 /* when it was last logged */
} sweep_fail_t;

static void sweep_failed(sweep_fail_t *f, const str *name, long long now)
{
	const char *why = oq_last_error();

	if(f->fails++ == 0)
		f->since = now;
	else if(now - f->said < OQ_LOG_REPEAT_MS)
		return;
	if(f->fails == 1)
		LM_ERR("sweep of tenant %.*s failed: %s\n", name->len, name->s, why);
	else
		LM_ERR("sweep of tenant %.*s failed: %s (%lu sweeps in a row have failed, for %lld s)\n",
				name->len, name->s, why, f->fails, (now - f->since) / 1000);
	f->said = now;
}

static void sweep_worked(sweep_fail_t *f, const str *name, long long now)
{
	if(f->fails == 0)
		return;
	LM_NOTICE("sweep of tenant %.*s works again, after %lu failed sweeps in %lld s\n", name->len,
			name->s, f->fails, (now - f->since) / 1000);
	f->fails = 0;
}

static void sweep(long long now)
{
	static sweep_fail_t fail[OQ_TENANTS_MAX];
	int c[OQ_SWEEP_COUNTS], t, slice;
	str name;

	for(t = 0; oq_tenant_at(t, &name, NULL) == 0; t++) {
		oq_tenant_use_index(t);
		for(slice = 0; slice < SWEEP_SLICES; slice++) {
			if(oq_sweep(SWEEP_MAX, c) < 0) {
				sweep_failed(&fail[t], &name, now);
				break;
			}
			sweep_worked(&fail[t], &name, now);
			oq_stat_add(OQ_ST_OFFERS_EXPIRED, c[0]);
			oq_stat_add(OQ_ST_WRAPUPS_ENDED, c[1]);
			oq_stat_add(OQ_ST_EXPIRED, c[3]);
			oq_stat_add(OQ_ST_RETIRED, c[4]);
			oq_stat_add(OQ_ST_SLA_ALERTS, c[5]);
			oq_stat_add(OQ_ST_FOLLOWUPS, c[6]);
			if(c[0] || c[1] || c[2] || c[3] || c[4] || c[5] || c[6])
				LM_DBG("sweep of %.*s: %d offers expired, %d wrap-ups ended, %d affinity waits "
					   "released, %d sessions expired, %d retired, %d alerts, %d follow-ups\n",
						name.len, name.s, c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
			if(!saturated(c))
				break;
		}
	}
	oq_tenant_use_index(0);
}

void oq_events_gap_report(int t, const omniq_events_gap_t *gap, const char *reader)
{
	unsigned long long ms = 0, seq;
	long long ago;
	str name = str_init("?");

	oq_tenant_at(t, &name, NULL);
	oq_stat_inc(OQ_ST_EVENT_GAPS);
	if(gap->replaced) {
		LM_WARN("%s: the event stream of tenant %.*s went back past its last event %s (Redis "
				"restarted from an older copy, or the stream was deleted): events may be lost; "
				"resynchronising from state\n", reader, name.len, name.s, gap->last);
		return;
	}
	/* how long the reader was behind: the age of its last event by this node's clock */
	omniq_stream_id_parse(gap->last, &ms, &seq);
	ago = ms ? omniq_wall_ms() - (long long)ms : 0;
	if(ago < 0)
		ago = 0;
	LM_WARN("%s fell behind the event stream of tenant %.*s: %llu events after %s (written "
			"%lld.%lld s ago) were trimmed before it read them (events_keep is shorter than "
			"that): resynchronising from state\n", reader, name.len, name.s, gap->lost,
			gap->last, ago / 1000, ago % 1000 / 100);
}

/* Events of tenant t were lost: what they would have made happen is made from state. */
static void resync(int t, const omniq_events_gap_t *gap)
{
	const omniq_driver_t *d;
	omniq_event_t ev;
	int i;

	oq_events_gap_report(t, gap, "the omniq dispatcher");
	memset(&ev, 0, sizeof(ev));
	ev.type.s = "resync";
	ev.type.len = 6;
	ev.sid.s = ev.state.s = ev.agent.s = ev.channel.s = ev.ext.s = ev.target.s = ev.skills.s = "";
	oq_tenant_at(t, &ev.tenant, NULL);
	oq_tenant_use_index(t);
	run_event_route(&ev);
	for(i = 0; (d = oq_driver_at(i)) != NULL; i++)
		if(d->event)
			d->event(&ev, d->param);
	oq_tenant_use_index(0);
}

/* Every stream's position anchored at its end (one XINFO STREAM each, before the first
 * read): 0, or -1 when one is not yet (Redis down, a key that is not a stream). */
static int anchor(stream_t *st, int n)
{
	const char *av[3] = {"XINFO", "STREAM", NULL};
	size_t al[3] = {5, 6, 0};
	omniq_events_gap_t gap;
	redisReply *r;
	int t, rc;

	for(t = 0; t < n; t++) {
		if(st[t].pos.anchored)
			continue;
		av[2] = st[t].key;
		al[2] = strlen(st[t].key);
		if((r = oq_redis_command(3, av, al)) == NULL)
			return -1; /* oq_redis logged it */
		rc = oq_events_check(&st[t].pos, r, omniq_mono_ms(), &gap);
		if(rc < 0)
			LM_ERR("XINFO STREAM %s answered %s: the dispatcher cannot read it\n", st[t].key,
					r->type == REDIS_REPLY_ERROR ? r->str : "no stream information");
		freeReplyObject(r);
		if(rc < 0)
			return -1;
	}
	return 0;
}

/* The checks sent with a read: gap[t] filled and 1 in lost[t] for each stream that lost
 * events (its entries in this read are dropped: it reads on from its stream's end). */
/* Redis answers LOADING while it reads its data back after a restart (seconds for a large
 * AOF): no error of ours, and every call is answered at once, so the loop waits instead of
 * spinning, and says so once per OQ_LOG_REPEAT_MS rather than per read. */
static int loading(const redisReply *r)
{
	static long long said;
	long long now;

	if(r == NULL || r->type != REDIS_REPLY_ERROR || strncmp(r->str, "LOADING", 7))
		return 0;
	now = omniq_mono_ms();
	if(said == 0 || now - said >= OQ_LOG_REPEAT_MS) {
		LM_NOTICE("Redis is loading its data (a restart): events are read when it is done\n");
		said = now;
	}
	return 1;
}

static void take_checks(stream_t *st, int n, redisReply **info, int *lost,
		omniq_events_gap_t *gap)
{
	long long now = omniq_mono_ms();
	int t, rc;

	for(t = 0; t < n; t++) {
		lost[t] = 0;
		if(info[t] == NULL)
			continue;
		if(loading(info[t])) {
			/* no answer yet: checked with the next read, whatever the interval */
			st[t].pos.checked_ms = now - OMNIQ_EVENTS_CHECK_MS;
			freeReplyObject(info[t]);
			info[t] = NULL;
			continue;
		}
		rc = oq_events_check(&st[t].pos, info[t], now, &gap[t]);
		if(rc < 0) {
			LM_ERR("XINFO STREAM %s answered %s: events lost there would go unnoticed\n",
					st[t].key,
					info[t]->type == REDIS_REPLY_ERROR ? info[t]->str : "no stream information");
			st[t].pos.checked_ms = now; /* said once per check interval, not per read */
		}
		lost[t] = rc == 1;
		freeReplyObject(info[t]);
		info[t] = NULL;
	}
}

static void dispatcher_loop(void)
{
	static stream_t st[OQ_TENANTS_MAX];
	static omniq_events_gap_t gap[OQ_TENANTS_MAX];
	const char *keys[OQ_TENANTS_MAX], *ids[OQ_TENANTS_MAX];
	redisReply *info[OQ_TENANTS_MAX];
	int check[OQ_TENANTS_MAX], lost[OQ_TENANTS_MAX];
	long long next_sweep = 0, now;
	unsigned long connects = 0;
	redisReply *r;
	int block, n, t, again, came;
	long long wait_us;
	size_t i;
	str prefix;

	for(n = 0; oq_tenant_at(n, NULL, &prefix) == 0; n++) {
		snprintf(st[n].key, sizeof(st[n].key), "%.*s:events", prefix.len, prefix.s);
		keys[n] = st[n].key;
		ids[n] = st[n].pos.last;
	}
	for(;;) {
		cfg_update();
		oq_stop_check("omniq dispatcher");
		/* anchored before the first sweep: what that sweep makes happen (the alerts and
		 * lapses due while this node was down) comes after the anchor and is read */
		if(anchor(st, n) < 0) {
			now = omniq_wall_ms();
			if(now >= next_sweep) { /* Redis down: the sweep says so in its own words */
				sweep(now);
				next_sweep = now + oq_dispatch_cfg.sweep_interval_ms;
			}
			usleep(100000); /* do not spin */
			continue;
		}
		now = omniq_wall_ms();
		if(now >= next_sweep) {
			sweep(now);
			oq_hours_renew();
			next_sweep = now + oq_dispatch_cfg.sweep_interval_ms;
		}
		/* a new connection (Redis restarted, failed over): check with the first read */
		again = oq_redis_connects() != connects;
		now = omniq_mono_ms();
		for(t = 0; t < n; t++)
			check[t] = again || omniq_events_due(&st[t].pos, now);
		block = (int)(next_sweep - omniq_wall_ms());
		if(block < 1)
			block = 1;
		r = oq_redis_xread(n, keys, ids, check, info, block, 100);
		if(r == NULL) {
			/* Redis down: oq_redis already logged; do not spin */
			usleep(100000);
			continue;
		}
		connects = oq_redis_connects();
		take_checks(st, n, info, lost, gap);
		for(t = 0; t < n; t++)
			if(lost[t])
				resync(t, &gap[t]);
		came = r->type == REDIS_REPLY_ARRAY && r->elements > 0;
		if(loading(r))
			usleep(100000);
		else if(r->type == REDIS_REPLY_ERROR)
			LM_ERR("XREAD of the event streams: %s\n", r->str);
		else if(r->type == REDIS_REPLY_ARRAY)
			for(i = 0; i < r->elements; i++) {
				redisReply *s = r->element[i];
				if(s->type != REDIS_REPLY_ARRAY || s->elements < 1
						|| s->element[0]->type != REDIS_REPLY_STRING)
					continue;
				for(t = 0; t < n && strcmp(st[t].key, s->element[0]->str); t++)
					;
				if(t < n && !lost[t])
					oq_stat_add(OQ_ST_EVENTS, handle_events(s, t, &st[t]));
			}
		freeReplyObject(r);
		if(came && oq_dispatch_cfg.event_read_gap_us > 0) {
			/* never past the next sweep */
			wait_us = (next_sweep - omniq_wall_ms()) * 1000;
			if(wait_us > oq_dispatch_cfg.event_read_gap_us)
				wait_us = oq_dispatch_cfg.event_read_gap_us;
			if(wait_us > 0)
				usleep((useconds_t)wait_us);
		}
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
