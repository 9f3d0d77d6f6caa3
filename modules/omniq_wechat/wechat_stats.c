/*
 * wechat_stats.c - see wechat_stats.h.
 */
#include "wechat_stats.h"

static stat_var *st[WX_ST_COUNT];

stat_export_t wx_stat_exports[] = {
	{"callbacks_taken", 0, &st[WX_ST_TAKEN]},
	{"callbacks_duplicate", 0, &st[WX_ST_DUPLICATES]},
	{"callbacks_refused", 0, &st[WX_ST_REFUSED]},
	{"callbacks_failed", 0, &st[WX_ST_FAILED]},
	{"sent", 0, &st[WX_ST_SENT]},
	{"send_failed", 0, &st[WX_ST_SEND_FAILED]},
	{"tokens_fetched", 0, &st[WX_ST_TOKENS]},
	{0, 0, 0}
};

void wx_stat_inc(wx_stat_t which)
{
	if(which >= 0 && which < WX_ST_COUNT && st[which])
		update_stat(st[which], 1);
}
