/*
 * oq_hours_sync.c - a queue's business hours between the node and Redis: kamcmd
 * omniq.hours_set works the open intervals out (oq_hours.c) and hands them to Redis
 * (lua/32_hours.lua); the dispatcher works them out again before they run out. See
 * docs/admin.md, "Business hours".
 */
#include <stdio.h>
#include <string.h>

#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/dprint.h"

#include "omniq/omniq_clock.h"
#include "oq_core.h"
#include "oq_hours.h"
#include "oq_hours_sync.h"
#include "oq_rpc.h"

#define DAY_MS (86400LL * 1000)
/* intervals are worked out this far ahead, and again when less than RENEW is left */
#define AHEAD_DAYS 21
#define RENEW_MS (7 * DAY_MS)

/* Work out queue's intervals from now and send them: 0, or an OMNIQ_E* code (the reason
 * with oq_set_error). */
static int put(const str *queue, const char *tz, const char *week, const char *except,
		const str *notice)
{
	static oq_open_t o[OQ_HOURS_INTERVALS_MAX];
	static char labels[OQ_HOURS_INTERVALS_MAX][20], nums[2 * OQ_HOURS_INTERVALS_MAX + 1][24];
	static str a[6 + 3 * OQ_HOURS_INTERVALS_MAX];
	oq_hours_t h;
	char why[256];
	long long now = omniq_wall_ms(), from = now - DAY_MS, until;
	int n = -1, days, i, k;

	if(oq_hours_parse(&h, tz, week, except, why, sizeof(why)) < 0)
		return oq_bad_arg("hours", why);
	/* a day before now (an interval open now is known whole) to AHEAD_DAYS ahead, or less
	 * when that takes more intervals than one call carries */
	for(days = AHEAD_DAYS; days >= 8 && n < 0; days--) {
		until = now + days * DAY_MS;
		n = oq_hours_open(&h, from, until, o, OQ_HOURS_INTERVALS_MAX);
	}
	if(n < 0)
		return oq_bad_arg("week", "more open spans in 8 days than one call carries");
	a[0] = *queue;
	a[1] = *omniq_cstr(tz);
	a[2] = *omniq_cstr(week);
	a[3] = *omniq_cstr(except);
	a[4] = *notice;
	a[5].s = nums[0];
	a[5].len = snprintf(nums[0], sizeof(nums[0]), "%lld", until);
	for(i = 0, k = 6; i < n; i++) {
		a[k].s = nums[1 + 2 * i];
		a[k++].len = snprintf(nums[1 + 2 * i], sizeof(nums[0]), "%lld", o[i].start);
		a[k].s = nums[2 + 2 * i];
		a[k++].len = snprintf(nums[2 + 2 * i], sizeof(nums[0]), "%lld", o[i].end);
		oq_hours_local(&h, o[i].start, labels[i]);
		a[k++] = *omniq_cstr(labels[i]);
	}
	return oq_call_checked("oq_hours_put", k, a, OQ_R_OK);
}

void oq_hours_renew(void)
{
	static long long next;
	long long now = omniq_wall_ms();
	char horizon[24];
	redisReply *r;
	str a, q, notice, name;
	size_t i;
	int t, rc;

	if(now < next)
		return;
	next = now + 60 * 1000; /* once a minute */
	a.s = horizon;
	a.len = snprintf(horizon, sizeof(horizon), "%lld", RENEW_MS);
	for(t = 0; oq_tenant_at(t, &name, NULL) == 0; t++) {
		oq_tenant_use_index(t);
		r = oq_call("oq_hours_due", 1, &a, &rc);
		for(i = 0; r && r->type == REDIS_REPLY_ARRAY && i + 5 <= r->elements; i += 5) {
			if(r->element[i]->type != REDIS_REPLY_STRING)
				break;
			q.s = r->element[i]->str;
			q.len = (int)r->element[i]->len;
			notice.s = r->element[i + 4]->str;
			notice.len = (int)r->element[i + 4]->len;
			if(put(&q, r->element[i + 1]->str, r->element[i + 2]->str, r->element[i + 3]->str,
					   &notice) < 0)
				LM_ERR("business hours of queue %.*s (tenant %.*s) not renewed: %s\n", q.len,
						q.s, name.len, name.s, oq_last_error());
		}
		if(r)
			freeReplyObject(r);
		else
			next = now + 5 * 1000; /* Redis down: again soon */
	}
	oq_tenant_use_index(0);
}

/* ---- kamcmd --------------------------------------------------------------------- */

int oq_hours_set(const str *q, const str *tz, const str *week, const str *except,
		const str *notice)
{
	static const str none = str_init("");
	char ztz[OQ_HOURS_TZ_MAX], zweek[OQ_HOURS_SPEC_MAX + 1], zexc[OQ_HOURS_SPEC_MAX + 1];

	if(q == NULL || tz == NULL || week == NULL)
		return oq_bad_arg("hours", "a queue, a timezone and a week are required");
	except = except && except->s ? except : &none;
	notice = notice && notice->s ? notice : &none;
	if(tz->len >= (int)sizeof(ztz) || week->len > OQ_HOURS_SPEC_MAX
			|| except->len > OQ_HOURS_SPEC_MAX) {
		oq_set_error(OMNIQ_EARG, "timezone up to %d bytes, week and exceptions up to %d each",
				(int)sizeof(ztz) - 1, OQ_HOURS_SPEC_MAX);
		return OMNIQ_EARG;
	}
	snprintf(ztz, sizeof(ztz), "%.*s", tz->len, tz->s);
	snprintf(zweek, sizeof(zweek), "%.*s", week->len, week->s);
	snprintf(zexc, sizeof(zexc), "%.*s", except->len, except->s);
	return put(q, ztz, zweek, zexc, notice);
}

static const char *rpc_hours_set_doc[] = {
	"A queue's business hours: queue timezone week [exceptions [notice]]", 0};
static void rpc_hours_set(rpc_t *rpc, void *c)
{
	str q, tz, week, except = str_init(""), notice = str_init("");

	if(rpc->scan(c, ".S.S.S", &q, &tz, &week) < 3)
		return;
	if(oq_rpc_opt(rpc, c, &except))
		oq_rpc_opt(rpc, c, &notice);
	oq_rpc_done(rpc, c, oq_hours_set(&q, &tz, &week, &except, &notice));
}

static const char *rpc_hours_doc[] = {
	"A queue's business hours, whether it is open now and when it opens next: queue", 0};
static void rpc_hours(rpc_t *rpc, void *c)
{
	str q;

	if(rpc->scan(c, ".S", &q) < 1)
		return;
	oq_rpc_struct(rpc, c, "oq_hours_get", 1, &q);
}

static const char *rpc_hours_del_doc[] = {"A queue open at all hours again: queue", 0};
static void rpc_hours_del(rpc_t *rpc, void *c)
{
	oq_rpc_delete(rpc, c, "oq_hours_del", "business hours of queue");
}

int oq_closed_callback(const str *queue, int on)
{
	str a[2];

	if(queue == NULL)
		return oq_bad_arg("queue", "missing");
	a[0] = *queue;
	a[1] = on ? (str)str_init("1") : (str)str_init("0");
	return oq_call_checked("oq_closed_callback", 2, a, OQ_R_OK);
}

static const char *rpc_closed_callback_doc[] = {
	"Calls to a queue while it is closed are called back at the opening: queue 1|0", 0};
static void rpc_closed_callback(rpc_t *rpc, void *c)
{
	str a[2];

	if(rpc->scan(c, ".S.S", &a[0], &a[1]) < 2)
		return;
	oq_rpc_done(rpc, c, oq_call_checked("oq_closed_callback", 2, a, OQ_R_OK));
}

/* clang-format off */
static rpc_export_t rpc_hours_cmds[] = {
	{"omniq.hours_set", rpc_hours_set, rpc_hours_set_doc, 0},
	{"omniq.hours", rpc_hours, rpc_hours_doc, 0},
	{"omniq.hours_del", rpc_hours_del, rpc_hours_del_doc, 0},
	{"omniq.closed_callback", rpc_closed_callback, rpc_closed_callback_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */

int oq_rpc_hours_register(void)
{
	if(rpc_register_array(rpc_hours_cmds) != 0) {
		LM_ERR("cannot register the business-hours RPC commands\n");
		return -1;
	}
	return 0;
}
