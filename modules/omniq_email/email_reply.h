/*
 * email_reply.h - an agent's reply as the mail the customer gets: threaded the way mail
 * clients thread (In-Reply-To the customer's last mail, References back to the thread's
 * first, the subject "Re: <theirs> [#omniq-<sid>-<sig>]"), a Reply-To that names the
 * session (support+omniq-<sid>-<sig>@), UTF-8 headers encoded as RFC 2047 asks, a text part
 * and an HTML part (the text escaped, line breaks kept), CRLF line ends as SMTP wants.
 *
 * Built with GMime (one thread at a time per process, as GMime is); no Kamailio, no Redis:
 * the unit tests build replies and parse them back with email_mime.h.
 */
#ifndef OMNIQ_EMAIL_REPLY_H
#define OMNIQ_EMAIL_REPLY_H

#include <stddef.h>
#include <stdint.h>

typedef struct email_reply_in {
	const char *from_addr;   /* the mailbox: "support@example.com" */
	const char *from_name;   /* its display name, or NULL */
	const char *reply_to;    /* "support+omniq-12-<sig>@example.com", or NULL */
	const char *to;          /* the customer's address */
	const char *subject;     /* the thread's subject as the customer wrote it, or NULL */
	const char *token;       /* "[#omniq-12-<sig>]" (email_token_format) */
	const char *message_id;  /* this mail's id, without <> */
	const char *in_reply_to; /* the customer's last mail's id, or NULL */
	const char *root;        /* the thread's first id, or NULL */
	const char *text;        /* the agent's words, UTF-8 */
	int64_t date;            /* Unix seconds */
	int notice;              /* 1: a mail of no session (a staff alert): the subject as
	                            given, no token, no thread, Auto-Submitted: auto-generated */
} email_reply_in_t;

/* The whole mail into *out (malloc'd, NUL-terminated; free() it), its length in *len.
 * 0, or -1 with why (EMAIL_WHY_MAX bytes): a missing address, id or token, a subject
 * that cannot be made (email_reply_subject), out of memory. */
int email_reply_build(const email_reply_in_t *in, char **out, size_t *len, char *why);

#endif
