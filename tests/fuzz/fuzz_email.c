/*
 * fuzz_email.c - libFuzzer on what reaches omniq_email from the network: a whole mail as an
 * MTA hands it over (parsed with GMime: headers, encoded words, the MIME tree, charsets,
 * HTML reduced to text, the quoted history, attachments read), its subject's session token
 * and the reply subject made from it, and the same bytes spoken to the LMTP server as a
 * client would (commands, pipelining, data). Any crash, sanitizer report, leak or hang is a
 * failure; refusals are what is expected. What the parse returns is checked for what
 * email_mime.h promises: a From address, text within its bound, quote_at within the text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "email_lmtp.h"
#include "email_mime.h"
#include "email_token.h"

static void parse(const uint8_t *data, size_t size)
{
	char why[EMAIL_WHY_MAX], subj[1200];
	unsigned char buf[4096];
	email_opts_t o = {NULL, 64 * 1024};
	email_msg_t m;
	email_token_t t;
	size_t i, len;

	if(email_mime_parse((const char *)data, size, &o, &m, why) == 0) {
		if(m.from.addr == NULL || m.text == NULL || m.text_len > EMAIL_TEXT_MAX
				|| m.quote_at > m.text_len || strlen(m.text) != m.text_len)
			abort();
		for(i = 0; i < m.n_att; i++)
			email_mime_attachment(&m, i, buf, sizeof(buf), &len, why);
		if(email_token_find(m.subject, strlen(m.subject), &t))
			email_token_format(t.sid, t.sig, subj, sizeof(subj), why);
		email_reply_subject(m.subject, "[#omniq-1-0123456789abcdef]", subj, sizeof(subj), why);
	}
	email_mime_free(&m);
}

static int rcpt(void *arg, const char *addr, char *reply, size_t size)
{
	(void)arg;
	if(strchr(addr, 'x'))
		return 0;
	snprintf(reply, size, "550 5.1.1 <%s> no", addr);
	return -1;
}

static void deliver(void *arg, const char *from, const char *to, const char *msg, size_t len,
		char *reply, size_t size)
{
	(void)arg;
	(void)from;
	(void)to;
	if(strlen(msg) > len)
		abort(); /* msg is len bytes and a NUL */
	snprintf(reply, size, len % 2 ? "250 2.0.0 ok" : "451 4.3.0 later\r\nforged");
}

static void lmtp(const uint8_t *data, size_t size)
{
	static const email_lmtp_ops_t ops = {rcpt, deliver};
	email_lmtp_t l;
	size_t at = 0, n;

	if(email_lmtp_init(&l, "fuzz", 4096, &ops, NULL) < 0)
		return;
	/* in pieces of varying size, as a socket gives them */
	while(at < size) {
		n = 1 + (data[at] % 64);
		if(n > size - at)
			n = size - at;
		if(email_lmtp_feed(&l, (const char *)data + at, n) != 0)
			break;
		email_lmtp_written(&l, l.out_len);
		at += n;
	}
	email_lmtp_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if(size > 256 * 1024)
		return 0;
	parse(data, size);
	lmtp(data, size);
	return 0;
}
