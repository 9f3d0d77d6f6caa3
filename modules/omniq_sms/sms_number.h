/*
 * sms_number.h - a customer's number as omniq keys it, whatever form the gateway wrote it
 * in, so that a customer who texts and calls from one phone is one customer (the core
 * files sms:+86... and phone:+86... under one identity), and the opt-out keywords.
 *
 * Pure (no Kamailio, no Redis): the unit tests run it alone.
 */
#ifndef OMNIQ_SMS_NUMBER_H
#define OMNIQ_SMS_NUMBER_H

#include <stddef.h>

/* in as E.164 ("+8613800138000") into out (NUL-terminated):
 *   "+86 138-0013.8000", "(+86)13800138000"  separators dropped      -> +8613800138000
 *   "008613800138000"                        international prefix 00 -> +8613800138000
 *   "013800138000" with country "86"         national (trunk 0)      -> +8613800138000
 *   "8613800138000"                          digits: international without the '+'
 *   "ACME", "95588-Bank"                     an alphanumeric sender id, kept as it is
 * 0, or -1 with why (empty, a '+' inside, 16 digits or more, a control or blank-only, no
 * room). A sender id is 1..11 characters of letters, digits, blank, - . _ (GSM 03.40). */
int sms_number(const char *in, size_t len, const char *country, char *out, size_t size,
		char *why, size_t wsize);
/* out's digits only (no '+'), for names in Redis that may not hold '+' */
void sms_number_key(const char *e164, char *out, size_t size);

/* What a whole message says about opt-out: 1 it opts out (STOP, STOPALL, UNSUBSCRIBE,
 * CANCEL, END, QUIT, 退订, 退訂, TD, 取消订阅), -1 it opts back in (START, UNSTOP, 订阅,
 * 恢复订阅), 0 neither. The keyword alone makes it one: blanks around it and a final '.' or
 * '!' (or '。', '！') are allowed, letters in any case; "please stop calling me" is no
 * keyword (a conversation, for the agent). */
int sms_optout_keyword(const char *utf8, size_t len);

#endif
