/*
 * api_reports.c - the service's figures over REST (docs/openapi.yaml; docs/admin.md,
 * "Reports", the same as kamcmd omniq.report):
 *
 *   GET /api/v1/reports?from=<ms>&to=<ms>&step=15m|1h|1d&by=tenant|queue|channel|agent|tag
 *       {"rows": [{"start": "<ms>", "dim": name, "offered": "3", ..., "sl_pct": "80.0", ...}]}
 *       (every value a string, as the other readers give them; "" for a rate of nothing)
 *       from and to: ms since the epoch (to: now when absent, from: 24 h before to); step
 *       1h and by tenant when absent; at most 35 days.
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "ws.h"

/* The query argument name, one of words[0..n-1] (def when absent): its index, or -1 with
 * the 400 answer set. */
static int word_arg(const ws_req_t *rq, ws_resp_t *rs, const char *name,
		const char *const *words, int n, int def, const char *say)
{
	const char *q = rq->query ? rq->query : "", *v;
	size_t nl = strlen(name), wl;
	int i;

	for(v = q; v && *v; v = strchr(v, '&') ? strchr(v, '&') + 1 : NULL) {
		if(strncmp(v, name, nl) || v[nl] != '=')
			continue;
		v += nl + 1;
		wl = strchr(v, '&') ? (size_t)(strchr(v, '&') - v) : strlen(v);
		for(i = 0; i < n; i++)
			if(strlen(words[i]) == wl && !strncmp(v, words[i], wl))
				return i;
		ws_error(rs, 400, "bad_argument", "'%s' must be %s", name, say);
		return -1;
	}
	return def;
}

void ws_api_reports(const ws_req_t *rq, ws_resp_t *rs)
{
	static const char *const steps[] = {"15m", "1h", "1d"}, *const step_ms[] = {"900000",
			"3600000", "86400000"};
	static const char *const bys[] = {"tenant", "queue", "channel", "agent", "tag"},
						*const by_arg[] = {"*", "q", "c", "a", "g"};
	struct timeval tv;
	long long now, from, to;
	char f[24], t[24];
	str a[4];
	int step, by;

	if(!ws_method_is(rq, rs, "GET", "on reports"))
		return;
	gettimeofday(&tv, NULL);
	now = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	if(ws_arg_num(rq, rs, "to", now, 0, 999999999999999LL, &to) < 0
			|| ws_arg_num(rq, rs, "from", to - 86400000LL, 0, 999999999999999LL, &from) < 0
			|| (step = word_arg(rq, rs, "step", steps, 3, 1, "15m, 1h or 1d")) < 0
			|| (by = word_arg(rq, rs, "by", bys, 5, 0, "tenant, queue, channel, agent or tag"))
					   < 0)
		return;
	a[0].s = f;
	a[0].len = snprintf(f, sizeof(f), "%lld", from);
	a[1].s = t;
	a[1].len = snprintf(t, sizeof(t), "%lld", to);
	a[2] = omniq_str((char *)step_ms[step]);
	a[3] = omniq_str((char *)by_arg[by]);
	ws_read_list(rs, "rows", "report", 4, a);
}
