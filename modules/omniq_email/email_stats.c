/*
 * email_stats.c - see email_stats.h.
 */
#include "email_stats.h"

static stat_var *st[EMAIL_ST_N];

stat_export_t email_stat_exports[] = {
	{"received", 0, &st[EMAIL_ST_RECEIVED]},
	{"received_duplicate", 0, &st[EMAIL_ST_DUPLICATE]},
	{"refused", 0, &st[EMAIL_ST_REFUSED]},
	{"deferred", 0, &st[EMAIL_ST_DEFERRED]},
	{"bounced", 0, &st[EMAIL_ST_BOUNCED]},
	{"acknowledged", 0, &st[EMAIL_ST_ACKED]},
	{"sent", 0, &st[EMAIL_ST_SENT]},
	{"send_failed", 0, &st[EMAIL_ST_SEND_FAILED]},
	{0, 0, 0}
};

void email_stat(email_stat_t which)
{
	if(which < EMAIL_ST_N && st[which])
		update_stat(st[which], 1);
}
