/*
 * sms_gateway.h - the SMS gateways omniq_sms serves (modparam gateway, repeatable): each is
 * one way in and out for one tenant - a SIP MESSAGE peer, a Kannel, or a Twilio-compatible
 * provider - with its secrets, where its customers queue, and the number we send from.
 *
 *   modparam("omniq_sms", "gateway", "name=gw;type=kannel;tenant=acme;from=+8610086;
 *       secret=...;sendsms=http://kannel:13013/cgi-bin/sendsms;username=..;password=..;
 *       public=http://omniq.example.com:8080")
 *
 * A customer's session remembers its gateway in ext ("<gateway>:<number>"), so a reply goes
 * back the way the customer came.
 */
#ifndef OMNIQ_SMS_GATEWAY_H
#define OMNIQ_SMS_GATEWAY_H

#include "core/str.h"

#define SMS_GATEWAYS_MAX 16
#define SMS_NAME_MAX 32
#define SMS_NUMBER_MAX 32 /* E.164 is 15 digits; alphanumeric sender ids are 11 */
#define SMS_URL_MAX 512
#define SMS_SECRET_MAX 128

typedef enum sms_gw_type { SMS_GW_SIP = 0, SMS_GW_KANNEL, SMS_GW_TWILIO } sms_gw_type_t;

typedef struct sms_gw {
	char name[SMS_NAME_MAX + 1];
	sms_gw_type_t type;
	char tenant[64];            /* "": the default tenant */
	char queue[64], skills[128];
	int priority;
	char from[SMS_NUMBER_MAX + 1];  /* our number (or sender id) replies leave from */
	char country[8];            /* digits: a national number's country code ("86"), or "" */
	int rate;                   /* messages a second per from number this node sends, 1..1000 */
	/* sip: where a reply's MESSAGE goes (its request URI's host part, "sip:gw.example:5060") */
	char uri[SMS_URL_MAX + 1];
	/* kannel: the sms-service's and the dlr-url's shared secret; sendsms URL and user */
	char secret[SMS_SECRET_MAX + 1];
	char sendsms[SMS_URL_MAX + 1], username[64], password[SMS_SECRET_MAX + 1], smsc[64];
	/* twilio: API base, account SID, auth token */
	char api[SMS_URL_MAX + 1], account[64], token[SMS_SECRET_MAX + 1];
	/* kannel and twilio: our base URL as the provider reaches it ("https://omniq.example"),
	 * for the dlr-url / StatusCallback we hand out and for Twilio's signatures */
	char public[SMS_URL_MAX + 1];
	int intermediate;           /* kannel: ask for buffered / SMSC reports too */
} sms_gw_t;

/* modparam gateway: 0, or -1 logged (a line naming what is wrong) */
int sms_gw_add(const char *val);
int sms_gw_count(void);
sms_gw_t *sms_gw_at(int i);
sms_gw_t *sms_gw_find(const str *name);
const char *sms_gw_type_name(sms_gw_type_t t);

#endif
