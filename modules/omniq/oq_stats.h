/*
 * oq_stats.h - Kamailio statistics of this node (kamcmd stats.get_statistics omniq:).
 * Counters of what this node did; the tenant-wide picture (queued now, agents available)
 * comes from Redis through `kamcmd omniq.stats`.
 */
#ifndef OQ_STATS_H
#define OQ_STATS_H

#include "core/counters.h"

enum {
	OQ_ST_ENQUEUED, OQ_ST_ACCEPTED, OQ_ST_DECLINED, OQ_ST_CLOSED, OQ_ST_ABANDONED,
	OQ_ST_MESSAGES, OQ_ST_OFFERS_EXPIRED, OQ_ST_WRAPUPS_ENDED, OQ_ST_EXPIRED, OQ_ST_RETIRED, OQ_ST_EVENTS,
	OQ_ST_EVENT_GAPS, OQ_ST_ERRORS,
	OQ_ST_REDIS_ERRORS, OQ_ST_OUT_SENT, OQ_ST_OUT_RETRIES, OQ_ST_OUT_FAILED, OQ_ST_SLA_ALERTS, OQ_ST_FOLLOWUPS,
	OQ_ST_ARCHIVED, OQ_ST_ARCHIVE_FAILURES, OQ_ST_COUNT
};

extern stat_export_t oq_stat_exports[];
void oq_stat_inc(int which);
void oq_stat_add(int which, int n);

#endif
