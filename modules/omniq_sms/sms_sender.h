/*
 * sms_sender.h - agents' replies to SMS customers, out through the gateway the customer
 * came by (the session's ext, "<gateway>:<number>"): the outbound sender "omniq sender sms"
 * (api.register_sender), so a slow gateway never holds a SIP worker or the web loop.
 *
 *   sip     a MESSAGE through tm to the gateway's uri; its final answer is the verdict (2xx
 *           sent; 408, 480, 5xx, no answer later; other 4xx-6xx failed, in its words)
 *   kannel  GET sendsms (its dlr-url back to /hooks/sms/<gateway>/dlr); 202 sent, 503 later,
 *           4xx failed in Kannel's words; delivery reports move it on
 *   twilio  POST Messages.json (StatusCallback /hooks/sms/<gateway>/status); 201 sent,
 *           429/5xx/no answer later, 4xx failed with Twilio's code and words
 *
 * Before any of them: a customer who opted out (STOP) gets nothing (failed, and the agent
 * is told why); a text longer than 255 SMS parts is failed; replies from one gateway leave
 * at most `rate` a second (this node).
 */
#ifndef OMNIQ_SMS_SENDER_H
#define OMNIQ_SMS_SENDER_H

#include "omniq/omniq_api.h"

typedef struct sms_sender_cfg {
	int timeout_ms;  /* a provider request's limit (modparam api_timeout) */
	int attempts;    /* modparam attempts */
	int backoff_ms;  /* modparam retry_interval */
	int sip_wait_ms; /* how long a MESSAGE's final answer is waited for */
} sms_sender_cfg_t;

/* From mod_init. 0 or -1. */
int sms_sender_register(omniq_api_t *api, sms_sender_cfg_t *cfg);

#endif
