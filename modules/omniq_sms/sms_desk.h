/*
 * sms_desk.h - the agent desk's SMS part counter, served at /hooks/sms/desk.js (the desk
 * loads it; without omniq_sms it is a 404 and the desk counts nothing). The script is
 * written at start from sms_text.c's own tables and sizes, so the count an agent sees as
 * she types is the count the sender cuts the reply into.
 */
#ifndef OMNIQ_SMS_DESK_H
#define OMNIQ_SMS_DESK_H

#include "omniq/omniq_api.h"

/* From mod_init. 0 or -1. */
int sms_desk_route(omniq_api_t *api);

#endif
