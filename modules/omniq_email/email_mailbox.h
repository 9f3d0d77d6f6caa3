/*
 * email_mailbox.h - the support mailboxes this node serves (modparam mailbox, repeatable):
 * each a company address ("support@example.com") and where its mail goes (tenant, queue,
 * skills, priority). A recipient is the mailbox's address or the address with a "+" part
 * ("support+omniq-12-<sig>@example.com": the reply address that names a session), compared
 * without regard to case.
 */
#ifndef OMNIQ_EMAIL_MAILBOX_H
#define OMNIQ_EMAIL_MAILBOX_H

#include "email_mime.h"

#define EMAIL_MAILBOXES_MAX 16
#define EMAIL_NAME_MAX 32

typedef struct email_mailbox {
	char name[EMAIL_NAME_MAX + 1]; /* [A-Za-z0-9_-]: in ext, logs, RPC */
	char local[65];                /* "support" (lower case) */
	char domain[256];              /* "example.com" (lower case) */
	char tenant[64];               /* "": the default tenant */
	char queue[64], skills[128];
	int priority;
	char from_name[128];           /* the display name of replies, "" none */
	char ack[1024];                /* the acknowledgement of a new conversation, "" none */
	/* replies: an SMTP submission server ("smtp://mail.example.com:587": STARTTLS unless
	 * smtp_tls=none; "smtps://...:465": TLS), its login, whether its certificate is checked */
	char smtp[256], smtp_user[128], smtp_password[128];
	int smtp_starttls, smtp_verify;
	/* taking mail from IMAP instead of (or besides) the MTA: "imaps://host/INBOX" or
	 * "imap://host:143/INBOX" (STARTTLS unless imap_tls=none), a login or an OAuth2
	 * bearer token, the folder a stored message is moved to ("" marks it \Seen) */
	char imap[256], imap_user[128], imap_password[128], imap_bearer[2048], imap_move[128];
	char imap_sent[128];           /* the folder a copy of each reply is put in, "" none */
	int imap_starttls, imap_verify;
} email_mailbox_t;

/* From the modparam: "name=support;address=support@example.com[;tenant=..][;queue=..]
 * [;skills=..][;priority=..][;from_name=..][;ack=..][;smtp=smtp://host:587][;smtp_user=..]
 * [;smtp_password=..][;smtp_tls=starttls|none][;smtp_verify=1|0][;imap=imaps://host/INBOX]
 * [;imap_user=..;imap_password=..|imap_bearer=..][;imap_tls=..][;imap_verify=..]
 * [;imap_move=Processed][;imap_sent=Sent]". 0, or -1 logged. */
int email_mailbox_add(const char *val);
int email_mailbox_count(void);
const email_mailbox_t *email_mailbox_at(int i);
const email_mailbox_t *email_mailbox_named(const char *name, size_t len);

/* The mailbox rcpt is for, or NULL; the "+" part (without the '+', NUL-terminated, "" when
 * none) into plus (size bytes, cut to fit). */
const email_mailbox_t *email_mailbox_for(const char *rcpt, char *plus, size_t size);

#endif
