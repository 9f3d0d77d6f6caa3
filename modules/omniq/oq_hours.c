/*
 * oq_hours.c - business hours into open intervals (see oq_hours.h).
 */
#include "oq_hours.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define ZONEINFO "/usr/share/zoneinfo/"

static const char *const DAYS[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* H. Hinnant's days_from_civil / civil_from_days (proleptic Gregorian) */
static int days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int z, int *y, int *m, int *d)
{
	int era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp + (mp < 10 ? 3 : -9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int fail(char *why, size_t wsize, const char *fmt, const char *what, int len)
{
	snprintf(why, wsize, fmt, len, what);
	return -1;
}

/* ---- the timezone --------------------------------------------------------------- */

static int tz_ok(const char *tz, char *why, size_t wsize)
{
	char path[sizeof(ZONEINFO) + OQ_HOURS_TZ_MAX];
	struct stat st;
	size_t i, n = strlen(tz);

	if(n == 0 || n >= OQ_HOURS_TZ_MAX)
		return fail(why, wsize, "timezone must be 1..%d bytes%.0s", "", OQ_HOURS_TZ_MAX - 1);
	for(i = 0; i < n; i++)
		if(!isalnum((unsigned char)tz[i]) && !strchr("/_+-", tz[i]))
			return fail(why, wsize, "timezone '%.*s' is no IANA name (such as Asia/Shanghai)",
					tz, (int)n);
	if(tz[0] == '/' || strstr(tz, "..") || strstr(tz, "//"))
		return fail(why, wsize, "timezone '%.*s' is no IANA name (such as Asia/Shanghai)",
				tz, (int)n);
	snprintf(path, sizeof(path), ZONEINFO "%s", tz);
	if(stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return fail(why, wsize, "timezone '%.*s' is not in " ZONEINFO " (tzdata)", tz, (int)n);
	return 0;
}

/* TZ set to tz for the time of a call, and put back */
typedef struct tz_saved {
	char *was;
	int had;
} tz_saved_t;

static void tz_enter(const char *tz, tz_saved_t *s)
{
	const char *v = getenv("TZ");

	s->had = v != NULL;
	s->was = v ? strdup(v) : NULL;
	setenv("TZ", tz, 1);
	tzset();
}

static void tz_leave(tz_saved_t *s)
{
	if(s->had && s->was)
		setenv("TZ", s->was, 1);
	else
		unsetenv("TZ");
	free(s->was);
	tzset();
}

/* ---- the texts ------------------------------------------------------------------ */

typedef struct cur {
	const char *p, *end;
} cur_t;

static void skip_space(cur_t *c)
{
	while(c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* "HH:MM": minutes, 0..1440 (24:00 only as an end: the caller checks) */
static int hhmm(cur_t *c)
{
	int h, m;

	if(c->end - c->p < 5 || !isdigit((unsigned char)c->p[0]) || !isdigit((unsigned char)c->p[1])
			|| c->p[2] != ':' || !isdigit((unsigned char)c->p[3])
			|| !isdigit((unsigned char)c->p[4]))
		return -1;
	h = (c->p[0] - '0') * 10 + c->p[1] - '0';
	m = (c->p[3] - '0') * 10 + c->p[4] - '0';
	if(m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	c->p += 5;
	return h * 60 + m;
}

/* the spans of one day, up to the next ';' or the end: n, or -1 */
static int spans(cur_t *c, oq_span_t *out, char *why, size_t wsize)
{
	int n = 0, a, b;

	for(;;) {
		skip_space(c);
		if(c->p >= c->end || *c->p == ';')
			break;
		if(n == OQ_HOURS_SPANS_MAX)
			return fail(why, wsize, "at most %d spans a day%.0s", "", OQ_HOURS_SPANS_MAX);
		a = hhmm(c);
		if(a < 0 || a == 1440 || c->p >= c->end || *c->p++ != '-' || (b = hhmm(c)) < 0)
			return fail(why, wsize, "a span is HH:MM-HH:MM, at '%.*s'", c->p,
					(int)(c->end - c->p > 20 ? 20 : c->end - c->p));
		if(b <= a || (n > 0 && a < out[n - 1].to))
			return fail(why, wsize, "spans must end after they start and rise without "
									"overlapping, at '%.*s'", c->p - 11, 11);
		out[n].from = (short)a;
		out[n].to = (short)b;
		n++;
	}
	return n;
}

static int day(cur_t *c)
{
	int i;

	for(i = 0; i < 7; i++)
		if(c->end - c->p >= 3 && !strncasecmp(c->p, DAYS[i], 3)) {
			c->p += 3;
			return i;
		}
	return -1;
}

/* YYYY-MM-DD: days since 1970-01-01, or INT_MIN-ish -1000000 */
static int date(cur_t *c)
{
	int y, m, d, i;
	const char *p = c->p;

	if(c->end - p < 10 || p[4] != '-' || p[7] != '-')
		return -1000000;
	for(i = 0; i < 10; i++)
		if(i != 4 && i != 7 && !isdigit((unsigned char)p[i]))
			return -1000000;
	y = atoi(p);
	m = (p[5] - '0') * 10 + p[6] - '0';
	d = (p[8] - '0') * 10 + p[9] - '0';
	if(y < 1970 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1000000;
	i = days_from_civil(y, m, d);
	{
		int yy, mm, dd;
		civil_from_days(i, &yy, &mm, &dd);
		if(mm != m) /* 2026-02-30 */
			return -1000000;
	}
	c->p += 10;
	return i;
}

static int parse_week(oq_hours_t *h, const char *s, char *why, size_t wsize)
{
	cur_t c = {s, s + strlen(s)};
	oq_span_t sp[OQ_HOURS_SPANS_MAX];
	int a, b, n, i;

	for(;;) {
		skip_space(&c);
		if(c.p >= c.end)
			return 0;
		if((a = day(&c)) < 0)
			return fail(why, wsize, "week: a day is mon..sun, at '%.*s'", c.p,
					(int)(c.end - c.p > 20 ? 20 : c.end - c.p));
		b = a;
		if(c.p < c.end && *c.p == '-') {
			c.p++;
			if((b = day(&c)) < 0 || b < a)
				return fail(why, wsize, "week: a range of days is such as mon-fri, at '%.*s'",
						c.p, (int)(c.end - c.p > 20 ? 20 : c.end - c.p));
		}
		if((n = spans(&c, sp, why, wsize)) < 0)
			return -1;
		if(n == 0)
			return fail(why, wsize, "week: %.*s has no spans (leave a closed day out)", DAYS[a], 3);
		for(i = a; i <= b; i++) {
			if(h->nweek[i])
				return fail(why, wsize, "week: %.*s is given twice", DAYS[i], 3);
			memcpy(h->week[i], sp, sizeof(sp[0]) * (size_t)n);
			h->nweek[i] = n;
		}
		if(c.p < c.end)
			c.p++; /* ';' */
	}
}

static int parse_except(oq_hours_t *h, const char *s, char *why, size_t wsize)
{
	cur_t c = {s, s + strlen(s)};
	int a, b, n;

	for(;;) {
		skip_space(&c);
		if(c.p >= c.end)
			return 0;
		if(h->nexc == OQ_HOURS_EXCEPT_MAX)
			return fail(why, wsize, "at most %d exceptions%.0s", "", OQ_HOURS_EXCEPT_MAX);
		if((a = date(&c)) == -1000000)
			return fail(why, wsize, "exceptions: a date is YYYY-MM-DD, at '%.*s'", c.p,
					(int)(c.end - c.p > 20 ? 20 : c.end - c.p));
		b = a;
		if(c.end - c.p >= 2 && c.p[0] == '.' && c.p[1] == '.') {
			c.p += 2;
			if((b = date(&c)) == -1000000 || b < a || b - a > 366)
				return fail(why, wsize, "exceptions: a range is such as 2026-10-01..2026-10-07 "
										"(a year at most), at '%.*s'", c.p,
						(int)(c.end - c.p > 20 ? 20 : c.end - c.p));
		}
		skip_space(&c);
		if(c.end - c.p >= 6 && !strncasecmp(c.p, "closed", 6)) {
			c.p += 6;
			n = 0;
			skip_space(&c);
			if(c.p < c.end && *c.p != ';')
				return fail(why, wsize, "exceptions: nothing may follow closed, at '%.*s'", c.p,
						(int)(c.end - c.p > 20 ? 20 : c.end - c.p));
		} else if((n = spans(&c, h->exc[h->nexc].spans, why, wsize)) < 0) {
			return -1;
		} else if(n == 0) {
			return fail(why, wsize, "exceptions: a date needs closed or its spans%.*s", "", 0);
		}
		h->exc[h->nexc].from = a;
		h->exc[h->nexc].to = b;
		h->exc[h->nexc].n = n;
		h->nexc++;
		if(c.p < c.end)
			c.p++;
	}
}

int oq_hours_parse(oq_hours_t *h, const char *tz, const char *week, const char *except,
		char *why, size_t wsize)
{
	int i;

	memset(h, 0, sizeof(*h));
	if(tz == NULL || week == NULL || except == NULL)
		return fail(why, wsize, "timezone, week and exceptions are needed%.*s", "", 0);
	if(strlen(week) > OQ_HOURS_SPEC_MAX || strlen(except) > OQ_HOURS_SPEC_MAX)
		return fail(why, wsize, "week and exceptions are at most %d bytes each%.0s", "",
				OQ_HOURS_SPEC_MAX);
	if(tz_ok(tz, why, wsize) < 0)
		return -1;
	snprintf(h->tz, sizeof(h->tz), "%s", tz);
	if(parse_week(h, week, why, wsize) < 0 || parse_except(h, except, why, wsize) < 0)
		return -1;
	for(i = 0; i < 7 && h->nweek[i] == 0; i++)
		;
	if(i == 7 && h->nexc == 0)
		return fail(why, wsize, "the hours never open: give the week's opening hours%.*s", "", 0);
	return 0;
}

/* ---- intervals ------------------------------------------------------------------ */

/* the spans of local date d */
static int spans_of(const oq_hours_t *h, int d, const oq_span_t **out)
{
	int i;

	for(i = h->nexc - 1; i >= 0; i--) /* a later exception wins */
		if(d >= h->exc[i].from && d <= h->exc[i].to) {
			*out = h->exc[i].spans;
			return h->exc[i].n;
		}
	i = ((d % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday: index 3 */
	*out = h->week[i];
	return h->nweek[i];
}

/* local date d at minute m (0..1440) in UTC ms (TZ set) */
static long long local_ms(int d, int m)
{
	struct tm tm;
	int y, mo, dd;

	if(m == 1440) {
		d++;
		m = 0;
	}
	civil_from_days(d, &y, &mo, &dd);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = dd;
	tm.tm_hour = m / 60;
	tm.tm_min = m % 60;
	tm.tm_isdst = -1;
	return (long long)mktime(&tm) * 1000;
}

static int local_date(long long t_ms)
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	return days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int oq_hours_open(const oq_hours_t *h, long long from_ms, long long to_ms, oq_open_t *out,
		int max)
{
	const oq_span_t *sp;
	tz_saved_t saved;
	long long a, b;
	int d, d0, d1, n = 0, k, i;

	if(from_ms >= to_ms)
		return 0;
	tz_enter(h->tz, &saved);
	d0 = local_date(from_ms) - 1;
	d1 = local_date(to_ms) + 1;
	for(d = d0; d <= d1; d++) {
		k = spans_of(h, d, &sp);
		for(i = 0; i < k; i++) {
			a = local_ms(d, sp[i].from);
			b = local_ms(d, sp[i].to);
			if(a < from_ms)
				a = from_ms;
			if(b > to_ms)
				b = to_ms;
			if(a >= b)
				continue;
			if(n > 0 && a <= out[n - 1].end) { /* adjacent: one interval */
				if(b > out[n - 1].end)
					out[n - 1].end = b;
				continue;
			}
			if(n == max) {
				tz_leave(&saved);
				return -1;
			}
			out[n].start = a;
			out[n].end = b;
			n++;
		}
	}
	tz_leave(&saved);
	return n;
}

void oq_hours_local(const oq_hours_t *h, long long t_ms, char out[20])
{
	tz_saved_t saved;
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;

	tz_enter(h->tz, &saved);
	localtime_r(&t, &tm);
	tz_leave(&saved);
	strftime(out, 20, "%Y-%m-%d %H:%M", &tm);
}
