/*
 * email_imap.h - mail taken from a mailbox the company already has (support@ at a mail
 * provider, or its own server) over IMAP, for a site whose MTA cannot hand mail to omniq.
 *
 * One reader per mailbox across every node (api.chan_lease "imap:<mailbox>", renewed each
 * round and run out imap_poll * 2 + 10 s after its reader stopped: then another node's
 * reader, or the same node's started again, takes over); each round
 * it asks the folder for the UIDs after the last one taken (api.chan_get
 * "imap:<mailbox>:at" = "<UIDVALIDITY> <last UID>"), reads each in UID order, stores it as
 * a mail from the MTA would be (email_inbound_deliver), and only then moves the last UID on
 * and marks the message \Seen (or moves it to imap_move). A message that cannot be stored
 * now (Redis down) ends the round: it is read again next round. One that never can be (no
 * sender address) is flagged \Flagged for a person and passed. A new UIDVALIDITY (the
 * folder was rebuilt) starts again from its first UID: what was stored before is found by
 * its Message-ID and not stored twice.
 *
 * libcurl speaks IMAP (TLS or STARTTLS, LOGIN or an OAuth2 bearer). A message is read on a
 * connection where the folder is EXAMINEd (read-only), so reading it marks nothing; what
 * decides what is taken is the UID kept in Redis, never a flag.
 *
 * Runs in a process of its own ("omniq_email imap"), a round every imap_poll seconds, and
 * at once when an IDLE connection (email_idle.h) says a message came.
 */
#ifndef OMNIQ_EMAIL_IMAP_H
#define OMNIQ_EMAIL_IMAP_H

#include "omniq/omniq_api.h"

typedef struct email_imap_cfg {
	int poll_s;     /* seconds between rounds (modparam imap_poll) */
	int timeout_ms; /* one IMAP request (modparam smtp_timeout's sibling: imap_timeout) */
	size_t max_msg; /* bytes of one mail (modparam max_message) */
} email_imap_cfg_t;

/* Whether a mailbox reads IMAP (from mod_init: a process is forked then). */
int email_imap_wanted(void);

/* The process' loop (never returns). */
void email_imap_serve(omniq_api_t *api, const email_imap_cfg_t *cfg);

#endif
