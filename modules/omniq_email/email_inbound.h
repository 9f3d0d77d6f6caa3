/*
 * email_inbound.h - one mail for one of our mailboxes, as the MTA hands it over (LMTP):
 * parsed (email_mime.h), the conversation it continues found, stored through the core's
 * API, and the answer the MTA gets for it - 250 once it is stored (or was before: a
 * redelivery), 4xx when it could not be stored now (the MTA keeps it and tries again:
 * nothing is lost), 5xx when it never can be (the MTA bounces it to its sender, who is
 * told why).
 *
 * The conversation, most certain first: the session token of the reply address
 * ("support+omniq-<sid>-<sig>@"), a token in the subject or in the quoted history
 * ("[#omniq-<sid>-<sig>]", email_token.h), each believed only when its signature is ours
 * (email_sig.h); then In-Reply-To and References, each Message-ID we stored or sent
 * remembered for EMAIL_THREAD_TTL_MS. None: a new session (api.ingest_thread, "new").
 * First of all the mail's own Message-ID: a redelivery goes to the session that took it
 * (even after the customer's later mails), whose record of it (the cid) makes it a
 * duplicate.
 *
 * What the agent reads (the message body): the subject, the new text (the quoted history
 * folded away: counted, not repeated: the thread's earlier mails are in the transcript),
 * and a line per attachment with the link that opens it (kept through api.media_ref /
 * media_put up to attach_max bytes each, EMAIL_ATTACH_TTL_MS); for a mail whose text was
 * reduced from HTML, a link to the original as it came (message/rfc822, up to
 * OMNIQ_MEDIA_MAX); machine-sent mail marked.
 *
 * Runs in the module's LMTP (or IMAP) process, never in a SIP worker: three Redis round
 * trips per mail - every Message-ID it names looked up at once (api.chan_get_first), the
 * store, its Message-ID and thread kept at once (api.chan_set_many) - and two per
 * attachment kept (and for the original), one for the acknowledgement of a new one.
 */
#ifndef OMNIQ_EMAIL_INBOUND_H
#define OMNIQ_EMAIL_INBOUND_H

#include <stddef.h>

#include "omniq/omniq_api.h"

#define EMAIL_THREAD_TTL_MS (31LL * 24 * 3600 * 1000) /* chan_set's longest */
#define EMAIL_ATTACH_TTL_MS (31LL * 24 * 3600 * 1000)

extern const str email_channel; /* "email" */

typedef struct email_inbound_cfg {
	const char *secret;   /* the tokens' key (modparam secret) */
	size_t attach_max;    /* bytes of one attachment kept (modparam attach_max) */
	const char *fallback; /* charsets tried on unlabelled text (modparam charset_fallback) */
} email_inbound_cfg_t;

void email_inbound_init(omniq_api_t *api, const email_inbound_cfg_t *cfg);

/* LMTP's RCPT: 0 for an address of one of our mailboxes, else -1 with the reply line. */
int email_inbound_rcpt(const char *rcpt, char *reply, size_t size);

/* LMTP's delivery of msg (len bytes, NUL-terminated) to rcpt: the reply line into reply. */
void email_inbound_deliver(const char *from, const char *rcpt, const char *msg, size_t len,
		char *reply, size_t size);

/* What a reply needs of its session's mail thread (P:ch:email:v:t:<sid>, kept
 * EMAIL_THREAD_TTL_MS): the customer's subject, their last mail's id, the thread's first.
 * Kept by each mail stored (with its Message-ID, in one round trip); read by the sender:
 * 1 with the three pointing into buf (each may be NULL or ""), 0 when none is kept, -1
 * Redis failed. */
int email_thread_get(const char *sid, char *buf, size_t size, const char **subject,
		const char **last, const char **root);

/* A Message-ID (ours, a reply sent) that names session sid, for the answers to it. */
void email_remember_id(const char *mid, const char *sid);

#endif
