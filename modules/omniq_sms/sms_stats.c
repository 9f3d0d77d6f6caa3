/*
 * sms_stats.c - see sms_stats.h.
 */
#include "sms_stats.h"

enum { ST_RECEIVED, ST_DUPLICATE, ST_PART, ST_REFUSED, ST_FAILED, ST_LIMITED, ST_OPTOUT, ST_OPTIN, ST_SENT, ST_SEND_FAILED,
	ST_REPORT, ST_N };
static stat_var *st[ST_N];

stat_export_t sms_stat_exports[] = {
	{"received", 0, &st[ST_RECEIVED]},
	{"received_duplicate", 0, &st[ST_DUPLICATE]},
	{"parts_kept", 0, &st[ST_PART]},
	{"refused", 0, &st[ST_REFUSED]},
	{"failed", 0, &st[ST_FAILED]},
	{"rate_limited", 0, &st[ST_LIMITED]},
	{"opt_outs", 0, &st[ST_OPTOUT]},
	{"opt_ins", 0, &st[ST_OPTIN]},
	{"sent", 0, &st[ST_SENT]},
	{"send_failed", 0, &st[ST_SEND_FAILED]},
	{"reports", 0, &st[ST_REPORT]},
	{0, 0, 0}
};

static void inc(int which)
{
	if(st[which])
		update_stat(st[which], 1);
}

void sms_stat_received(int duplicate)
{
	inc(duplicate ? ST_DUPLICATE : ST_RECEIVED);
}
void sms_stat_part(void)
{
	inc(ST_PART);
}
void sms_stat_refused(void)
{
	inc(ST_REFUSED);
}
void sms_stat_failed(void)
{
	inc(ST_FAILED);
}
void sms_stat_limited(void)
{
	inc(ST_LIMITED);
}
void sms_stat_optout(int kw)
{
	inc(kw > 0 ? ST_OPTOUT : ST_OPTIN);
}
void sms_stat_sent(int ok)
{
	inc(ok ? ST_SENT : ST_SEND_FAILED);
}
void sms_stat_report(void)
{
	inc(ST_REPORT);
}
