/*
 * oq_stats.c - the statistics table. Kamailio keeps the counters in shared memory per
 * process and sums them on read, so incrementing is lock-free on the SIP hot path (and
 * atomic, for a module's own thread).
 */
#include "oq_stats.h"

static stat_var *st[OQ_ST_COUNT];

stat_export_t oq_stat_exports[] = {
	{"enqueued", 0, &st[OQ_ST_ENQUEUED]},
	{"accepted", 0, &st[OQ_ST_ACCEPTED]},
	{"declined", 0, &st[OQ_ST_DECLINED]},
	{"closed", 0, &st[OQ_ST_CLOSED]},
	{"abandoned", 0, &st[OQ_ST_ABANDONED]},
	{"messages", 0, &st[OQ_ST_MESSAGES]},
	{"offers_expired", 0, &st[OQ_ST_OFFERS_EXPIRED]},
	{"wrapups_ended", 0, &st[OQ_ST_WRAPUPS_ENDED]},
	{"sessions_retired", 0, &st[OQ_ST_RETIRED]},
	{"expired", 0, &st[OQ_ST_EXPIRED]},
	{"events", 0, &st[OQ_ST_EVENTS]},
	{"events_gaps", 0, &st[OQ_ST_EVENT_GAPS]},
	{"errors", 0, &st[OQ_ST_ERRORS]},
	{"redis_errors", 0, &st[OQ_ST_REDIS_ERRORS]},
	{"outbound_sent", 0, &st[OQ_ST_OUT_SENT]},
	{"outbound_retries", 0, &st[OQ_ST_OUT_RETRIES]},
	{"outbound_failed", 0, &st[OQ_ST_OUT_FAILED]},
	{"sla_alerts", 0, &st[OQ_ST_SLA_ALERTS]},
	{"followups_opened", 0, &st[OQ_ST_FOLLOWUPS]},
	{"archived_sessions", 0, &st[OQ_ST_ARCHIVED]},
	{"archive_failures", 0, &st[OQ_ST_ARCHIVE_FAILURES]},
	{0, 0, 0}
};

void oq_stat_add(int which, int n)
{
	counter_handle_t h;

	if(which < 0 || which >= OQ_ST_COUNT || st[which] == NULL)
		return;
	/* update_stat() without its race: a module's own thread (omniq_api.h, "Threads")
	 * counts in the same per-process slot as the process's main thread */
	h.id = (unsigned short)(unsigned long)st[which];
	__atomic_fetch_add(&counter_pprocess_val(process_no, h), n, __ATOMIC_RELAXED);
}

void oq_stat_inc(int which)
{
	oq_stat_add(which, 1);
}
