/*
 * sms_sip.h - SIP MESSAGE (RFC 3428) from an SMS gateway or a carrier: the cfg function
 * sms_receive([gateway]) stores the text as the customer's SMS and answers the request
 * itself - 200 only once the message is stored, a 4xx or 5xx saying what was wrong.
 */
#ifndef OMNIQ_SMS_SIP_H
#define OMNIQ_SMS_SIP_H

#include "core/parser/msg_parser.h"
#include "core/str.h"

/* From mod_init: binds sl (the replies). 0 or -1. */
int sms_sip_init(void);
/* The cfg function: 1 stored (or a retransmission of one stored), -1 refused (4xx
 * answered), -2 not stored now (5xx answered: the gateway retries), -3 no answer could be
 * sent or not a MESSAGE. gateway NULL: the first sip gateway. */
int sms_sip_receive(sip_msg_t *msg, const str *gateway);

#endif
