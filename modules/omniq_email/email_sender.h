/*
 * email_sender.h - agents' replies to email sessions, sent from the core's sender process
 * "omniq sender email" (api.register_sender: queued in Redis with the reply, retried with
 * backoff, queued / sent / failed shown to the agent), never from a SIP worker or the web
 * loop. Each reply is one mail (email_reply.h) submitted to the session's mailbox's SMTP
 * server (libcurl: STARTTLS or TLS, login), To the address the customer wrote from (or
 * their Reply-To), its Message-ID remembered so that their answer joins the session.
 * A 5xx from the server fails the reply with its words; a 4xx or no connection is retried.
 */
#ifndef OMNIQ_EMAIL_SENDER_H
#define OMNIQ_EMAIL_SENDER_H

#include "omniq/omniq_api.h"

typedef struct email_sender_cfg {
	const char *secret; /* the tokens' key */
	int timeout_ms;     /* one SMTP submission (modparam smtp_timeout) */
	int attempts;       /* modparam attempts */
	int backoff_ms;     /* modparam retry_interval */
} email_sender_cfg_t;

/* From mod_init. 0, or -1 logged. */
int email_sender_register(omniq_api_t *api, const email_sender_cfg_t *cfg);

#endif
