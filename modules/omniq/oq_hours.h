/*
 * oq_hours.h - a queue's business hours: a timezone, weekly opening hours and dated
 * exceptions (public holidays closed, the working weekends that come with them in China
 * open), turned into the open intervals of a stretch of time in UTC.
 *
 * Why in C: the library in Redis has no timezone database; glibc has (tzdata). The node
 * works the intervals out (a month ahead, renewed by the dispatcher) and Redis keeps them
 * (lua/82_hours.lua), where the service-level clocks and the channels read them.
 *
 * Pure C (no Kamailio), so that tests/unit runs it. Not thread-safe: it sets TZ for the
 * time of a call (the RPC and dispatcher processes, one thread each).
 */
#ifndef OQ_HOURS_H
#define OQ_HOURS_H

#include <stddef.h>

#include "oq_limits.h" /* OQ_HOURS_SPEC_MAX: bytes of a week or an exceptions text */

#define OQ_HOURS_TZ_MAX 64
#define OQ_HOURS_SPANS_MAX 8     /* opening spans in one day */
#define OQ_HOURS_EXCEPT_MAX 64   /* dated exceptions */

typedef struct oq_span {
	short from, to; /* minutes of the local day, from < to <= 1440 */
} oq_span_t;

typedef struct oq_hours {
	char tz[OQ_HOURS_TZ_MAX];
	oq_span_t week[7][OQ_HOURS_SPANS_MAX]; /* 0 Monday .. 6 Sunday */
	int nweek[7];
	struct {
		int from, to; /* local dates, days since 1970-01-01, inclusive */
		oq_span_t spans[OQ_HOURS_SPANS_MAX];
		int n;        /* 0: closed all day */
	} exc[OQ_HOURS_EXCEPT_MAX];
	int nexc;
} oq_hours_t;

typedef struct oq_open {
	long long start, end; /* UTC ms */
} oq_open_t;

/* tz: an IANA name found under /usr/share/zoneinfo ("Asia/Shanghai"); week:
 * "mon-fri 09:00-12:00 13:00-18:00; sat 10:00-14:00" (days mon..sun, a day or a range;
 * spans HH:MM-HH:MM, 24:00 as an end, rising, not overlapping); except:
 * "2026-10-01..2026-10-07 closed; 2026-10-10 09:00-18:00" (a date or a range, then closed
 * or its own spans in place of the week's; a later one wins where they overlap). 0, or -1
 * with why filled. */
int oq_hours_parse(oq_hours_t *h, const char *tz, const char *week, const char *except,
		char *why, size_t wsize);

/* The open intervals within [from_ms, to_ms), in order, adjacent ones joined (a span to
 * 24:00 and the next day's from 00:00 are one): how many, at most max; -1 when more did
 * not fit or the timezone could not be loaded. */
int oq_hours_open(const oq_hours_t *h, long long from_ms, long long to_ms, oq_open_t *out,
		int max);

/* "YYYY-MM-DD HH:MM" of t_ms in the hours' timezone (what a customer is told: back at ...) */
void oq_hours_local(const oq_hours_t *h, long long t_ms, char out[20]);

#endif
