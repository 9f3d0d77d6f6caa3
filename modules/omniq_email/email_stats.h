/*
 * email_stats.h - the module's statistics (kamcmd stats.get_statistics omniq_email:), counted
 * in every process (Kamailio's shared counters): what came, what MTAs and IMAP were told,
 * what left.
 */
#ifndef OMNIQ_EMAIL_STATS_H
#define OMNIQ_EMAIL_STATS_H

#include "core/counters.h"

typedef enum email_stat {
	EMAIL_ST_RECEIVED = 0, /* a mail stored */
	EMAIL_ST_DUPLICATE,    /* a redelivery of a mail stored before: nothing written */
	EMAIL_ST_REFUSED,      /* 5xx: never storable (no sender, nothing to parse, too big) */
	EMAIL_ST_DEFERRED,     /* 4xx: not stored now (Redis): the MTA or IMAP round tries again */
	EMAIL_ST_BOUNCED,      /* a delivery report of one of our replies: it failed */
	EMAIL_ST_ACKED,        /* a new conversation's acknowledgement queued */
	EMAIL_ST_SENT,         /* a reply the SMTP server took */
	EMAIL_ST_SEND_FAILED,  /* a reply refused for good (5xx, login) */
	EMAIL_ST_N
} email_stat_t;

extern stat_export_t email_stat_exports[];

void email_stat(email_stat_t which);

#endif
