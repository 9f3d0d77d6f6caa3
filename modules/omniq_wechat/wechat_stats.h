/*
 * wechat_stats.h - what omniq_wechat counts (kamcmd stats.get_statistics omniq_wechat:),
 * from every process of the module: the web processes that take callbacks, the sender.
 */
#ifndef OMNIQ_WECHAT_STATS_H
#define OMNIQ_WECHAT_STATS_H

#include "core/counters.h"

typedef enum {
	WX_ST_TAKEN,      /* callbacks stored (or known already) and answered success */
	WX_ST_DUPLICATES, /* of which WeChat's retries of one stored before */
	WX_ST_REFUSED,    /* 4xx: a forged or stale signature, malformed XML */
	WX_ST_FAILED,     /* 5xx: not stored (Redis down): WeChat retries */
	WX_ST_SENT,       /* messages WeChat took (replies, alerts) */
	WX_ST_SEND_FAILED,
	WX_ST_TOKENS,     /* access tokens fetched */
	WX_ST_COUNT
} wx_stat_t;

extern stat_export_t wx_stat_exports[];

void wx_stat_inc(wx_stat_t which);

#endif
