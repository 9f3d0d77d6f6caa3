/*
 * sms_stats.h - what omniq_sms counts (kamcmd stats.get_statistics omniq_sms:), from every
 * process of the module: SIP workers (MESSAGE), omniq_ws' processes (Kannel and Twilio
 * hooks), the sender.
 */
#ifndef OMNIQ_SMS_STATS_H
#define OMNIQ_SMS_STATS_H

#include "core/counters.h"

extern stat_export_t sms_stat_exports[];

void sms_stat_received(int duplicate); /* a message stored, or a redelivery of one */
void sms_stat_part(void);              /* a part of a long SMS kept for the rest */
void sms_stat_refused(void);           /* 4xx: malformed, forged, unknown type */
void sms_stat_failed(void);            /* 5xx: not stored now (Redis): the gateway retries */
void sms_stat_limited(void);           /* refused: its number sent more than `flood` allows */
void sms_stat_optout(int kw);          /* an opt-out (1) or opt-in (-1) keyword */
void sms_stat_sent(int ok);            /* a message a gateway took (1) or refused for good */
void sms_stat_report(void);            /* a delivery report taken */

#endif
