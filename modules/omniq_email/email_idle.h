/*
 * email_idle.h - IMAP IDLE (RFC 2177) on a mailbox, so that a new mail is read when it
 * comes, not at the next poll: a connection of its own (libcurl connects and logs in as a
 * round does: TLS for imaps://, STARTTLS, a password or an OAuth2 bearer; the dialogue
 * after - CAPABILITY, EXAMINE, IDLE - is ours over it) that says when the server announces
 * a new message ("* <n> EXISTS"). It only wakes the reader (email_imap.c), which reads as
 * every round does; a mailbox whose server has no IDLE is polled as before.
 *
 * Bounded: lines up to EMAIL_IDLE_LINE_MAX (longer ones are skipped), the IDLE renewed every
 * EMAIL_IDLE_RENEW_S (servers end an IDLE after 30 minutes), every step within the
 * mailbox's imap_timeout.
 */
#ifndef OMNIQ_EMAIL_IDLE_H
#define OMNIQ_EMAIL_IDLE_H

#include <stddef.h>

#include "email_mailbox.h"

#define EMAIL_IDLE_LINE_MAX 4096
#define EMAIL_IDLE_RENEW_S (25 * 60)

typedef struct email_idle email_idle_t;

/* A connection idling on b's folder, or NULL with why (not possible for this mailbox,
 * the server refused, no IDLE capability). */
email_idle_t *email_idle_open(const email_mailbox_t *b, int timeout_ms, char *why,
		size_t wsize);

/* The socket to poll for readability. */
int email_idle_fd(const email_idle_t *d);

/* What came on the socket: 1 a new message was announced, 0 nothing of note, -1 the
 * connection is gone (close it; open again later). Renews the IDLE when it is old. */
int email_idle_read(email_idle_t *d);

/* Renew the IDLE if it is older than EMAIL_IDLE_RENEW_S: 0, or -1 gone. */
int email_idle_keep(email_idle_t *d);

void email_idle_close(email_idle_t *d);

#endif
