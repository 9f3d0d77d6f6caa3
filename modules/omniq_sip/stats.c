/*
 * stats.c - omniq_sip statistics (kamcmd stats.get_statistics omniq_sip:).
 */
#include "os.h"

static stat_var *st[OS_ST_COUNT];

stat_export_t os_stat_exports[] = {
	{"calls", 0, &st[OS_ST_CALLS]},
	{"queued", 0, &st[OS_ST_QUEUED]},
	{"relayed", 0, &st[OS_ST_RELAYED]},
	{"answered", 0, &st[OS_ST_ANSWERED]},
	{"agent_failed", 0, &st[OS_ST_AGENT_FAILED]},
	{"abandoned", 0, &st[OS_ST_ABANDONED]},
	{"overflowed", 0, &st[OS_ST_OVERFLOWED]},
	{"refused", 0, &st[OS_ST_REFUSED]},
	{"ended", 0, &st[OS_ST_ENDED]},
	{"node_lost", 0, &st[OS_ST_NODE_LOST]},
	{"hung_up", 0, &st[OS_ST_HUNG_UP]},
	{"closed", 0, &st[OS_ST_CLOSED]},
	{"dials", 0, &st[OS_ST_DIALS]},
	{"dials_answered", 0, &st[OS_ST_DIALS_ANSWERED]},
	{"dials_failed", 0, &st[OS_ST_DIALS_FAILED]},
	{"early_media", 0, &st[OS_ST_MEDIA]},
	{"media_lost", 0, &st[OS_ST_MEDIA_LOST]},
	{"transferred", 0, &st[OS_ST_TRANSFERRED]},
	{"transfers_failed", 0, &st[OS_ST_TRANSFER_FAILED]},
	{"transfers_asked", 0, &st[OS_ST_TRANSFER_ASKED]},
	{"transfers_asked_failed", 0, &st[OS_ST_TRANSFER_ASK_FAILED]},
	{"agent_calls", 0, &st[OS_ST_AGENT_CALLS]},
	{"info_keys", 0, &st[OS_ST_INFO_KEYS]},
	{0, 0, 0}
};

void os_stat_inc(int which)
{
	os_stat_add(which, 1);
}

void os_stat_add(int which, int n)
{
	if(which >= 0 && which < OS_ST_COUNT && st[which] && n > 0)
		update_stat(st[which], n);
}
