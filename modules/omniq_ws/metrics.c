/*
 * metrics.c - GET /metrics: the figures of the API key's tenant in Prometheus' text format
 * (version 0.0.4; docs/admin.md, "Reports"), for a Prometheus that scrapes with the key
 * (authorization: credentials "<name>:<secret>"). Read from Redis at each scrape, one
 * round trip per reader: the tenant's counters (monotonic since its data began), what is
 * live now (sessions by state, waiting per queue, agents available), and today's figures
 * per queue (the reports' intervals since 00:00 UTC).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "ws.h"
#include "metrics.h"

typedef struct out {
	char *buf;
	size_t len, cap;
	int failed;
	char tenant[OMNIQ_ID_MAX * 2 + 1]; /* the label value, escaped */
} out_t;

static void put(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for(;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if(n < 0) {
			o->failed = 1;
			return;
		}
		if((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		char *nb = realloc(o->buf, o->cap * 2 + (size_t)n);
		if(nb == NULL) {
			o->failed = 1;
			return;
		}
		o->buf = nb;
		o->cap = o->cap * 2 + (size_t)n;
	}
}

/* a label value as the format wants it: \ " and newline escaped */
static void label(char *dst, size_t size, const char *s, size_t n)
{
	size_t j = 0, i;

	for(i = 0; i < n && j + 3 < size; i++) {
		if(s[i] == '\\' || s[i] == '"') {
			dst[j++] = '\\';
			dst[j++] = s[i];
		} else if(s[i] == '\n') {
			dst[j++] = '\\';
			dst[j++] = 'n';
		} else {
			dst[j++] = s[i];
		}
	}
	dst[j] = '\0';
}

static int str_is(const str *s, const char *c)
{
	return s->len == (int)strlen(c) && !memcmp(s->s, c, s->len);
}

/* the stats row: counters and what is live */
static int stats_row(void *arg, int n, const str *it)
{
	static const char *const events[] = {"enqueued", "offered", "accepted", "declined",
			"missed", "abandoned", "closed", "expired", "transferred"};
	static const char *const live[][2] = {{"queued", "queued"}, {"pending_offers", "offered"},
			{"active", "active"}, {"wrapup", "wrapup"}};
	out_t *o = arg;
	int i, k;

	put(o, "# HELP omniq_sessions_total Sessions by what happened to them, since the tenant's "
		   "data began.\n# TYPE omniq_sessions_total counter\n");
	for(k = 0; k < 9; k++)
		for(i = 0; i + 1 < n; i += 2)
			if(str_is(&it[i], events[k]))
				put(o, "omniq_sessions_total{tenant=\"%s\",event=\"%s\"} %.*s\n", o->tenant,
						events[k], it[i + 1].len, it[i + 1].s);
	put(o, "# HELP omniq_sessions Sessions now, by state.\n# TYPE omniq_sessions gauge\n");
	for(k = 0; k < 4; k++)
		for(i = 0; i + 1 < n; i += 2)
			if(str_is(&it[i], live[k][0]))
				put(o, "omniq_sessions{tenant=\"%s\",state=\"%s\"} %.*s\n", o->tenant,
						live[k][1], it[i + 1].len, it[i + 1].s);
	for(i = 0; i + 1 < n; i += 2) {
		if(str_is(&it[i], "agents_available"))
			put(o, "# HELP omniq_agents_available Agents available now.\n"
				   "# TYPE omniq_agents_available gauge\n"
				   "omniq_agents_available{tenant=\"%s\"} %.*s\n",
					o->tenant, it[i + 1].len, it[i + 1].s);
		else if(str_is(&it[i], "wait_ewma_ms")) {
			char ms[32];
			snprintf(ms, sizeof(ms), "%.*s", it[i + 1].len, it[i + 1].s);
			put(o, "# HELP omniq_wait_average_seconds The recent average wait for an agent "
				   "(moving average of the offers' waits).\n"
				   "# TYPE omniq_wait_average_seconds gauge\n"
				   "omniq_wait_average_seconds{tenant=\"%s\"} %.3f\n",
					o->tenant, atof(ms) / 1000.0);
		}
	}
	return 1;
}

/* the queues row: queue, waiting, ... */
static int queues_row(void *arg, int n, const str *it)
{
	out_t *o = arg;
	char q[OMNIQ_ID_MAX * 2 + 1];
	int i;

	put(o, "# HELP omniq_queue_waiting Sessions waiting in the queue now.\n"
		   "# TYPE omniq_queue_waiting gauge\n");
	for(i = 0; i + 1 < n; i += 2) {
		label(q, sizeof(q), it[i].s, (size_t)it[i].len);
		put(o, "omniq_queue_waiting{tenant=\"%s\",queue=\"%s\"} %.*s\n", o->tenant, q,
				it[i + 1].len, it[i + 1].s);
	}
	return 1;
}

/* today's figures, a row per queue: each as a gauge family (rates with nothing to divide
 * are left out) */
static const char *const today[][3] = {
		{"offered", "omniq_today_offered", "Sessions that arrived today."},
		{"answered", "omniq_today_answered", "Sessions that arrived today and were answered."},
		{"abandoned", "omniq_today_abandoned", "Sessions that arrived today and were abandoned."},
		{"sl_pct", "omniq_today_service_level_percent",
				"Answered within the service level's target, of those answered."},
		{"asa_s", "omniq_today_answer_seconds_average", "Average speed of answer."},
		{"aht_s", "omniq_today_handle_seconds_average", "Average handle time."},
		{"abandon_pct", "omniq_today_abandon_percent", "Abandoned, short abandons left out."},
		{"csat_avg", "omniq_today_csat_average", "Average CSAT (1-5) of survey answers."},
		{"nps", "omniq_today_nps", "Net promoter score of survey answers."},
		{"fcr_pct", "omniq_today_fcr_percent", "Resolved at first contact, of the verdicts."}};
#define TODAY_N ((int)(sizeof(today) / sizeof(today[0])))

typedef struct rows {
	out_t *o;
	json_t *list; /* each row as an object */
} rows_t;

static int report_row(void *arg, int n, const str *it)
{
	rows_t *r = arg;
	json_t *row = json_object();
	int i;
	char key[64];

	for(i = 0; i + 1 < n; i += 2) {
		snprintf(key, sizeof(key), "%.*s", it[i].len, it[i].s); /* not NUL-terminated */
		json_object_set_new(row, key, json_stringn(it[i + 1].s, it[i + 1].len));
	}
	json_array_append_new(r->list, row);
	return 0;
}

static int today_figures(out_t *o)
{
	struct timeval tv;
	long long now;
	char f[24], t[24], q[OMNIQ_ID_MAX * 2 + 1];
	str a[4];
	rows_t r = {o, json_array()};
	size_t i;
	int k;
	json_t *row;
	const char *v;

	gettimeofday(&tv, NULL);
	now = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	a[0].s = f;
	a[0].len = snprintf(f, sizeof(f), "%lld", now - now % 86400000LL);
	a[1].s = t;
	a[1].len = snprintf(t, sizeof(t), "%lld", now + 1);
	a[2] = omniq_str("86400000");
	a[3] = omniq_str("q");
	if((k = ws_oq.query("report", 4, a, report_row, &r)) < 0) {
		json_decref(r.list);
		return k;
	}
	for(k = 0; k < TODAY_N; k++) {
		put(o, "# HELP %s %s\n# TYPE %s gauge\n", today[k][1], today[k][2], today[k][1]);
		json_array_foreach(r.list, i, row)
		{
			v = json_string_value(json_object_get(row, today[k][0]));
			if(v == NULL || *v == '\0')
				continue;
			v = json_string_value(json_object_get(row, "dim"));
			label(q, sizeof(q), v ? v : "", v ? strlen(v) : 0);
			put(o, "%s{tenant=\"%s\",queue=\"%s\"} %s\n", today[k][1], o->tenant, q,
					json_string_value(json_object_get(row, today[k][0])));
		}
	}
	json_decref(r.list);
	return OMNIQ_OK;
}

int ws_metrics(int tenant, char **text, size_t *len)
{
	out_t o = {malloc(8192), 0, 8192, 0, ""};
	str name, prefix;
	int rc;

	if(o.buf == NULL)
		return OMNIQ_EINTERNAL;
	if(ws_oq.tenant_at(tenant, &name, &prefix) < 0)
		name = (str)str_init("default");
	label(o.tenant, sizeof(o.tenant), name.s, (size_t)name.len);
	if((rc = ws_oq.query("stats", 0, NULL, stats_row, &o)) < 0
			|| (rc = ws_oq.query("queues", 0, NULL, queues_row, &o)) < 0
			|| (rc = today_figures(&o)) < 0 || (o.failed && (rc = OMNIQ_EINTERNAL) < 0)) {
		free(o.buf);
		return rc;
	}
	*text = o.buf;
	*len = o.len;
	return OMNIQ_OK;
}
