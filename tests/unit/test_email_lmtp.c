/*
 * test_email_lmtp.c - the LMTP server's protocol as an MTA (Postfix's lmtp client) and a
 * hostile client meet it: the dialogue, one reply per recipient after the data, the data
 * dot-unstuffed and bounded, pipelined commands, and every refusal with its code.
 */
#include "unit.h"
#include "email_lmtp.h"

typedef struct rec {
	int n;
	char from[64], rcpt[4][64];
	char msg[4096];
	size_t len;
	const char *answer; /* deliver's reply; NULL: 250 */
} rec_t;

static int rcpt_cb(void *arg, const char *addr, char *reply, size_t size)
{
	(void)arg;
	if(strstr(addr, "@example.com"))
		return 0;
	snprintf(reply, size, "550 5.1.1 <%s>: no such mailbox\r\nINJECTED 250", addr);
	return -1;
}

static void deliver_cb(void *arg, const char *from, const char *rcpt, const char *msg,
		size_t len, char *reply, size_t size)
{
	rec_t *r = arg;

	if(r->n < 4)
		snprintf(r->rcpt[r->n], sizeof(r->rcpt[0]), "%s", rcpt);
	r->n++;
	snprintf(r->from, sizeof(r->from), "%s", from);
	r->len = len < sizeof(r->msg) - 1 ? len : sizeof(r->msg) - 1;
	memcpy(r->msg, msg, r->len);
	r->msg[r->len] = '\0';
	snprintf(reply, size, "%s", r->answer ? r->answer : "250 2.0.0 stored");
}

static const email_lmtp_ops_t ops = {rcpt_cb, deliver_cb};

/* feed s; the replies since the last call, NUL-terminated, into out */
static int feed(email_lmtp_t *l, const char *s, char *out, size_t size)
{
	int rc = email_lmtp_feed(l, s, strlen(s));
	size_t n = l->out_len < size - 1 ? l->out_len : size - 1;

	memcpy(out, l->out, n);
	out[n] = '\0';
	email_lmtp_written(l, l->out_len);
	return rc;
}

TEST(lmtp_a_whole_dialogue_as_postfix_speaks_it)
{
	email_lmtp_t l;
	rec_t r = {0};
	char out[2048];

	CHECK_EQ_INT(email_lmtp_init(&l, "mx.omniq", 1000000, &ops, &r), 0);
	feed(&l, "", out, sizeof(out));
	CHECK_EQ_STR(out, "220 mx.omniq LMTP omniq ready\r\n");
	CHECK_EQ_INT(feed(&l, "LHLO postfix.example\r\n", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "250-mx.omniq\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n"
					  "250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 1000000\r\n");
	/* pipelined: every reply in order */
	CHECK_EQ_INT(feed(&l, "MAIL FROM:<li@customer.example> SIZE=120 BODY=8BITMIME\r\n"
						  "RCPT TO:<support@example.com>\r\nRCPT TO:<nobody@elsewhere.org>\r\n"
						  "RCPT TO:<support+omniq-12-abcdef0123@example.com>\r\nDATA\r\n",
						 out, sizeof(out)),
			0);
	CHECK_EQ_STR(out, "250 2.1.0 OK\r\n250 2.1.5 OK\r\n"
					  /* a callback's line: its CR LF cannot inject a second reply */
					  "550 5.1.1 <nobody@elsewhere.org>: no such mailbox  INJECTED 250\r\n"
					  "250 2.1.5 OK\r\n354 go ahead, end with <CRLF>.<CRLF>\r\n");
	/* the data in pieces, a dot-stuffed line, a line of one dot that is not the end */
	feed(&l, "Subject: hi\r\n\r\n..leading dot\r\n.", out, sizeof(out));
	CHECK_EQ_STR(out, "");
	feed(&l, "x\r\nlast\r\n", out, sizeof(out));
	CHECK_EQ_STR(out, "");
	CHECK_EQ_INT(feed(&l, ".\r\n", out, sizeof(out)), 0);
	/* LMTP: one reply per accepted recipient */
	CHECK_EQ_STR(out, "250 2.0.0 stored\r\n250 2.0.0 stored\r\n");
	CHECK_EQ_INT(r.n, 2);
	CHECK_EQ_STR(r.from, "li@customer.example");
	CHECK_EQ_STR(r.rcpt[0], "support@example.com");
	CHECK_EQ_STR(r.rcpt[1], "support+omniq-12-abcdef0123@example.com");
	CHECK_EQ_STR(r.msg, "Subject: hi\r\n\r\n.leading dot\r\nx\r\nlast\r\n");
	/* a second transaction on the same connection; the null sender of a bounce */
	r.answer = "451 4.3.0 Redis unavailable";
	CHECK_EQ_INT(feed(&l, "MAIL FROM:<>\r\nRCPT TO:<support@example.com>\r\nDATA\r\n"
						  "From: MAILER-DAEMON\r\n\r\nbounce\r\n.\r\n",
						 out, sizeof(out)),
			0);
	CHECK_EQ_STR(out, "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 go ahead, end with <CRLF>.<CRLF>\r\n"
					  "451 4.3.0 Redis unavailable\r\n");
	CHECK_EQ_STR(r.from, "");
	CHECK_EQ_INT(feed(&l, "NOOP\r\nRSET\r\nQUIT\r\nMAIL FROM:<x@y>\r\n", out, sizeof(out)), 1);
	CHECK_EQ_STR(out, "250 2.0.0 OK\r\n250 2.0.0 OK\r\n221 2.0.0 mx.omniq closing\r\n");
	email_lmtp_free(&l);
}

TEST(lmtp_commands_out_of_order_and_bad_ones_are_refused)
{
	email_lmtp_t l;
	rec_t r = {0};
	char out[2048], big[1200];

	email_lmtp_init(&l, "h", 1000, &ops, &r);
	email_lmtp_written(&l, l.out_len);
	feed(&l, "MAIL FROM:<a@b>\r\n", out, sizeof(out));
	CHECK_EQ_STR(out, "503 5.5.1 LHLO first\r\n");
	feed(&l, "EHLO x\r\n", out, sizeof(out));
	CHECK_CONTAINS(out, "500 5.5.1 this is LMTP");
	feed(&l, "LHLO\r\n", out, sizeof(out));
	CHECK_CONTAINS(out, "501 5.5.4");
	feed(&l, "LHLO x\r\nRCPT TO:<support@example.com>\r\nDATA\r\n", out, sizeof(out));
	CHECK_CONTAINS(out, "503 5.5.1 MAIL first\r\n503 5.5.1 MAIL and RCPT first\r\n");
	feed(&l, "MAIL FROM:<a@b> SIZE=1001\r\n", out, sizeof(out));
	CHECK_EQ_STR(out, "552 5.3.4 message size exceeds the limit of 1000 bytes\r\n");
	feed(&l, "MAIL FROM:<a@b> AUTH=x\r\nMAIL FROM:a@b\r\nMAIL FROM:<a b@c>\r\n", out, sizeof(out));
	CHECK_CONTAINS(out, "555 5.5.4 unrecognised MAIL parameter\r\n501 5.1.7");
	/* the tenth bad command closes the connection with 421 */
	CHECK_EQ_INT(feed(&l, "MAIL FROM:<a@b>\r\nMAIL FROM:<a@b>\r\nDATA\r\nRCPT TO:<>\r\nNOOP\r\n",
						 out, sizeof(out)),
			1);
	CHECK_EQ_STR(out, "250 2.1.0 OK\r\n503 5.5.1 a transaction is open: RSET first\r\n"
					  "503 5.5.1 no valid recipients\r\n501 5.1.3 RCPT TO:<mailbox@domain>\r\n"
					  "421 4.7.0 h too many errors, closing\r\n");
	email_lmtp_free(&l);

	/* a command line over the limit, then one with a NUL */
	email_lmtp_init(&l, "h", 1000, &ops, &r);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	feed(&l, big, out, sizeof(out));
	CHECK_EQ_STR(out, "220 h LMTP omniq ready\r\n");
	feed(&l, "\r\n", out, sizeof(out));
	CHECK_EQ_STR(out, "500 5.5.2 line too long\r\n");
	CHECK_EQ_INT(email_lmtp_feed(&l, "NO\0OP\r\n", 7), 0);
	CHECK_EQ_INT((int)l.out_len, 28);
	CHECK(!memcmp(l.out, "500 5.5.2 NUL in a command\r\n", 28));
	email_lmtp_written(&l, l.out_len);
	CHECK_EQ_INT(feed(&l, "LHLO x\r\nQUIT\r\n", out, sizeof(out)), 1);
	CHECK_CONTAINS(out, "221 2.0.0 h closing");
	CHECK_EQ_INT(r.n, 0);
	email_lmtp_free(&l);
}

TEST(lmtp_data_over_the_limit_is_read_to_its_end_and_refused_per_recipient)
{
	email_lmtp_t l;
	rec_t r = {0};
	char out[2048];
	int i;

	email_lmtp_init(&l, "h", 100, &ops, &r);
	feed(&l, "LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<s@example.com>\r\nRCPT TO:<t@example.com>\r\n"
			 "DATA\r\n",
			out, sizeof(out));
	for(i = 0; i < 50; i++)
		feed(&l, "0123456789\r\n", out, sizeof(out));
	CHECK_EQ_INT(feed(&l, ".\r\nNOOP\r\n", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "552 5.3.4 message over the limit of 100 bytes\r\n"
					  "552 5.3.4 message over the limit of 100 bytes\r\n250 2.0.0 OK\r\n");
	CHECK_EQ_INT(r.n, 0);
	/* exactly the limit is taken; bare LF line ends end the data too */
	feed(&l, "MAIL FROM:<a@b>\r\nRCPT TO:<s@example.com>\r\nDATA\r\n", out, sizeof(out));
	for(i = 0; i < 10; i++)
		feed(&l, "012345678\n", out, sizeof(out));
	CHECK_EQ_INT(feed(&l, ".\n", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "250 2.0.0 stored\r\n");
	CHECK_EQ_INT((int)r.len, 100);
	/* too many recipients: 452 for the one over, the others kept */
	feed(&l, "MAIL FROM:<a@b>\r\n", out, sizeof(out));
	for(i = 0; i < EMAIL_LMTP_RCPT_MAX; i++)
		feed(&l, "RCPT TO:<s@example.com>\r\n", out, sizeof(out));
	feed(&l, "RCPT TO:<s@example.com>\r\n", out, sizeof(out));
	CHECK_CONTAINS(out, "452 4.5.3 too many recipients");
	email_lmtp_timeout(&l);
	CHECK_CONTAINS(l.out, "421 4.4.2 h idle for too long");
	CHECK_EQ_INT(email_lmtp_feed(&l, "QUIT\r\n", 6), 1);
	email_lmtp_free(&l);
}

UNIT_MAIN()
