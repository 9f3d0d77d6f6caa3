/*
 * email_lmtp.h - the server side of LMTP (RFC 2033: SMTP's commands, RFC 5321, with LHLO
 * for EHLO and one reply per recipient after the data), one connection's worth: bytes in,
 * reply lines out. Postfix (and any MTA) hands a site's mail to omniq this way: its
 * `lmtp:` transport keeps a message queued while we answer 4xx, so that a mail we could not
 * store is retried later, never lost.
 *
 * Every input is bounded: a command line is at most EMAIL_LMTP_LINE_MAX bytes (then 500),
 * an address EMAIL_ADDR_MAX, a transaction EMAIL_LMTP_RCPT_MAX recipients (then 452), a
 * message max_msg bytes (SIZE= over it is refused at MAIL; data over it is read to its end
 * and refused per recipient with 552), and EMAIL_LMTP_ERRORS_MAX bad commands close the
 * connection (421). The data is dot-unstuffed and kept with its line ends as they came.
 *
 * Pure (no sockets, no Kamailio, no Redis): the server loop (email_lmtp_server.c) feeds it
 * and writes what it answers; the unit tests drive it alone. malloc'd memory only.
 */
#ifndef OMNIQ_EMAIL_LMTP_H
#define OMNIQ_EMAIL_LMTP_H

#include <stddef.h>

#include "email_mime.h"

#define EMAIL_LMTP_LINE_MAX 1000  /* a command line with its CRLF (RFC 5321 allows 512) */
#define EMAIL_LMTP_RCPT_MAX 32    /* recipients of one transaction (RFC 5321 asks for 100:
									 one mailbox's addresses never need that many) */
#define EMAIL_LMTP_ERRORS_MAX 10  /* bad commands before 421 */
#define EMAIL_LMTP_REPLY_MAX 512  /* one reply line the callbacks write, CRLF added */

typedef struct email_lmtp_ops {
	/* RCPT TO:<addr>: 0 to accept it (250), or -1 with the whole reply line in reply
	 * ("550 5.1.1 <x@y>: no such mailbox here"). */
	int (*rcpt)(void *arg, const char *addr, char *reply, size_t size);
	/* After the data, once per accepted recipient in their order: the whole reply line
	 * for it in reply ("250 2.0.0 ...", "451 4.3.0 ...", "550 5.6.0 ..."). from is ""
	 * for the null reverse path (a bounce); msg is len bytes, NUL-terminated. */
	void (*deliver)(void *arg, const char *from, const char *rcpt, const char *msg,
			size_t len, char *reply, size_t size);
} email_lmtp_ops_t;

typedef enum email_lmtp_state {
	EMAIL_LMTP_GREET = 0, /* before LHLO */
	EMAIL_LMTP_READY,     /* LHLO done, no transaction */
	EMAIL_LMTP_MAIL,      /* MAIL FROM taken */
	EMAIL_LMTP_RCPT,      /* at least one recipient taken */
	EMAIL_LMTP_DATA,      /* reading the message */
	EMAIL_LMTP_CLOSED     /* QUIT answered, or 421: write what is out, then close */
} email_lmtp_state_t;

typedef struct email_lmtp {
	email_lmtp_state_t state;
	const email_lmtp_ops_t *ops;
	void *arg;
	char host[64];
	size_t max_msg;
	int errors;
	/* the command line being read */
	char line[EMAIL_LMTP_LINE_MAX + 1];
	size_t line_len;
	int line_over;
	/* the transaction */
	char from[EMAIL_ADDR_MAX + 1];
	char rcpt[EMAIL_LMTP_RCPT_MAX][EMAIL_ADDR_MAX + 1];
	int n_rcpt;
	/* the data: dot-unstuffed, max_msg bytes at most kept */
	char *msg;
	size_t msg_len, msg_cap;
	int msg_over, data_st;
	/* replies not yet written: out[0..out_len) */
	char *out;
	size_t out_len, out_cap;
	int oom;
} email_lmtp_t;

/* A connection's state, its greeting ("220 <host> LMTP omniq ready") already in out. host
 * names this server in replies (cut at 63 bytes); max_msg is the message limit in bytes
 * (at most EMAIL_MSG_MAX). -1 when out of memory. */
int email_lmtp_init(email_lmtp_t *l, const char *host, size_t max_msg,
		const email_lmtp_ops_t *ops, void *arg);
void email_lmtp_free(email_lmtp_t *l);

/* Bytes from the client. Replies are appended to out (the caller writes them and calls
 * email_lmtp_written). 0: go on; 1: the session is over (write out, then close); -1: out
 * of memory (close now). Bytes after QUIT are ignored. */
int email_lmtp_feed(email_lmtp_t *l, const char *in, size_t len);

/* n bytes of out were written. */
void email_lmtp_written(email_lmtp_t *l, size_t n);

/* The connection is closed on the client for idleness: a 421 line into out (best effort). */
void email_lmtp_timeout(email_lmtp_t *l);

#endif
