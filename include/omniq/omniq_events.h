/*
 * omniq_events.h - a reader's place in a tenant's event stream (<prefix>:events), and what
 * it needs to tell that it fell behind further than the stream keeps events.
 *
 * The stream is trimmed by age (events_keep seconds, docs/redis-model.md): a reader that
 * pauses longer finds the entries after its last id gone. XREAD does not say so - it
 * returns what is left - so a reader counts the entries it reads and compares that count
 * with the stream's own (XINFO STREAM: entries-added, length, last-generated-id), which
 * api.events_check() does. Entries leave the stream only from its front (XTRIM MINID), so
 * the entries-added - length oldest are the gone ones: when that is more than the number of
 * the reader's last entry, entries it never read are gone. (XINFO's max-deleted-entry-id
 * would say it in one field, but Redis 7.0 moves it on XDEL only, not on XTRIM.)
 *
 * Plain C with no Kamailio header, so that tests/unit checks the helpers directly.
 */
#ifndef OMNIQ_EVENTS_H
#define OMNIQ_EVENTS_H

#include <stdlib.h>
#include <string.h>
#include "omniq_clock.h" /* the checks' clock: omniq_mono_ms */

#define OMNIQ_STREAM_ID_MAX 48

/* How often a reader that reads at all checks each tenant's stream (api.events_check), at
 * most: less than a quarter of the smallest events_keep (10 s), so that a reader away longer
 * than that - a stopped process, a lost connection - checks with its first read back, and a
 * reader that keeps reading but falls further behind learns it within seconds. */
#define OMNIQ_EVENTS_CHECK_MS 2000

/* A reader whose read brought events waits this long (us) before the next read, so that
 * under load one read brings many: each read wakes Redis and the reader (and whatever the
 * reader hands the events to), and at thousands of messages a second reads that each
 * brought a few were most of the readers' CPU. An idle stream is still read at once (XREAD
 * BLOCK), so an event is delayed by this at most. The default and the largest value of the
 * modparams event_read_gap of omniq (its dispatcher) and omniq_ws (its event readers). */
#define OMNIQ_EVENT_READ_GAP_DEF 1000
#define OMNIQ_EVENT_READ_GAP_MAX 50000

typedef struct omniq_events_pos {
	char last[OMNIQ_STREAM_ID_MAX]; /* the last entry read: XREAD after it */
	unsigned long long n;           /* its number in the stream: entries-added when it came */
	long long checked_ms;           /* when api.events_check last saw the stream
	                                 * (omniq_mono_ms, omniq_clock.h) */
	int anchored;                   /* last and n are known (after the first check) */
} omniq_events_pos_t;

/* What a reader lost, for its one log line (api.events_gap). */
typedef struct omniq_events_gap {
	char last[OMNIQ_STREAM_ID_MAX]; /* the reader's last entry before the gap */
	unsigned long long lost;        /* entries it will never read (0: unknown, see replaced) */
	int replaced;                   /* the stream went back: Redis restarted from an older
	                                 * copy, or the stream was deleted */
} omniq_events_gap_t;

/* A stream id "<ms>-<seq>" as two numbers: 0, or -1 when it is not one. */
static inline int omniq_stream_id_parse(const char *id, unsigned long long *ms,
		unsigned long long *seq)
{
	char *end;
	if(id[0] < '0' || id[0] > '9')
		return -1;
	*ms = strtoull(id, &end, 10);
	if(*end != '-' || end[1] < '0' || end[1] > '9')
		return -1;
	*seq = strtoull(end + 1, &end, 10);
	return *end == '\0' ? 0 : -1;
}

/* <0, 0, >0 as stream id a is before, the same as, after b; what does not parse (and "")
 * is before every id. */
static inline int omniq_stream_id_cmp(const char *a, const char *b)
{
	unsigned long long am = 0, as = 0, bm = 0, bs = 0;
	int pa = omniq_stream_id_parse(a, &am, &as) == 0, pb = omniq_stream_id_parse(b, &bm, &bs) == 0;
	if(!pa || !pb)
		return pa - pb;
	if(am != bm)
		return am < bm ? -1 : 1;
	return as < bs ? -1 : as > bs;
}

/* The reader read one more entry, id (len bytes): every entry of every XREAD reply counts,
 * the ones it skips too. */
static inline void omniq_events_read(omniq_events_pos_t *p, const char *id, size_t len)
{
	if(len >= sizeof(p->last))
		len = sizeof(p->last) - 1;
	memcpy(p->last, id, len);
	p->last[len] = '\0';
	p->n++;
}

/* Should this read be checked (the XINFO STREAM sent with it)? */
static inline int omniq_events_due(const omniq_events_pos_t *p, long long now_ms)
{
	return !p->anchored || now_ms - p->checked_ms >= OMNIQ_EVENTS_CHECK_MS;
}

#endif
