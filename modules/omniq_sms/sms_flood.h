/*
 * sms_flood.h - how many messages one number may send in a while, on this node: a phone
 * or a gateway gone wild must not fill the queue. Counted in shared memory (no Redis round
 * trip for it in a SIP worker), per node: with N nodes a number may send N times the limit.
 */
#ifndef OMNIQ_SMS_FLOOD_H
#define OMNIQ_SMS_FLOOD_H

/* From mod_init: limit messages per window seconds (limit 0: no limit). 0 or -1. */
int sms_flood_init(int limit, int window);
/* A message from key (the E.164 number): 1 when it may go on, 0 when it is one too many
 * (*wait: the seconds until its window ends). */
int sms_flood_allow(const char *key, int *wait);

#endif
