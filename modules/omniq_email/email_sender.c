/*
 * email_sender.c - see email_sender.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "core/dprint.h"

#include "email_imap_login.h"
#include "email_inbound.h"
#include "email_mailbox.h"
#include "email_reply.h"
#include "email_sender.h"
#include "email_sig.h"
#include "email_stats.h"
#include "email_token.h"

static omniq_api_t *oq;
static const email_sender_cfg_t *cfg;
static CURL *curl;

static void outcome(omniq_send_result_t *res, omniq_send_outcome_t o, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
static void outcome(omniq_send_result_t *res, omniq_send_outcome_t o, const char *fmt, ...)
{
	va_list ap;

	res->outcome = o;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

typedef struct upload {
	const char *p;
	size_t left;
} upload_t;

static size_t read_cb(char *buf, size_t size, size_t n, void *arg)
{
	upload_t *u = arg;
	size_t k = size * n < u->left ? size * n : u->left;

	memcpy(buf, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

/* The server's last refusal, its reply line of a 4xx or 5xx (the 221 to the QUIT after
 * it comes later), from curl's debug callback: in SMTP, CURLINFO_HEADER_IN is what the
 * server said, a line or more at a time. */
typedef struct said {
	char line[200];
} said_t;

static int said_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	said_t *s = arg;
	size_t n;

	if(type != CURLINFO_HEADER_IN)
		return 0;
	while(size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
		size--;
	for(n = size; n > 0 && data[n - 1] != '\n'; n--)
		; /* the last line */
	data += n;
	size -= n;
	if(size < 3 || (data[0] != '4' && data[0] != '5'))
		return 0;
	for(n = 0; n < size && n + 1 < sizeof(s->line); n++)
		s->line[n] = (unsigned char)data[n] < ' ' ? ' ' : data[n];
	s->line[n] = '\0';
	return 0;
}

/* what the server said with its answer code (a reply line that starts with it), or NULL */
static const char *words_of(const said_t *s, long code)
{
	char c[8];

	snprintf(c, sizeof(c), "%ld", code);
	return code >= 400 && !strncmp(s->line, c, 3) && (s->line[3] == ' ' || s->line[3] == '\0')
				   ? s->line
				   : NULL;
}

/* one SMTP submission: the envelope from the mailbox to `to`, the bytes as they are */
static void submit(const email_mailbox_t *mb, const char *to, const char *mail, size_t len,
		omniq_send_result_t *res)
{
	char from[EMAIL_ADDR_MAX + 3], rcpt[EMAIL_ADDR_MAX + 3], err[CURL_ERROR_SIZE];
	struct curl_slist *rcpts;
	upload_t u = {mail, len};
	said_t said = {""};
	const char *words;
	long code = 0;
	CURLcode rc;

	snprintf(from, sizeof(from), "<%s@%s>", mb->local, mb->domain);
	snprintf(rcpt, sizeof(rcpt), "<%s>", to);
	if((rcpts = curl_slist_append(NULL, rcpt)) == NULL) {
		outcome(res, OMNIQ_RETRY, "out of memory");
		return;
	}
	err[0] = '\0';
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, mb->smtp);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, said_cb);
	curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &said);
	curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L); /* the debug callback's condition */
	curl_easy_setopt(curl, CURLOPT_USE_SSL, mb->smtp_starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, mb->smtp_verify ? 1L : 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, mb->smtp_verify ? 2L : 0L);
	if(mb->smtp_user[0]) {
		curl_easy_setopt(curl, CURLOPT_USERNAME, mb->smtp_user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, mb->smtp_password);
	}
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpts);
	if(rc == CURLE_OK) {
		res->outcome = OMNIQ_SENT;
		return;
	}
	/* the server's 5xx (a recipient refused, relaying denied, our login refused) stays
	 * refused: the agent is told, in the server's words; a 4xx, no answer or no
	 * connection is tried again */
	words = words_of(&said, code);
	if(code >= 500 || rc == CURLE_LOGIN_DENIED) {
		if(words)
			outcome(res, OMNIQ_FAILED, "the mail server refused it: %s", words);
		else
			outcome(res, OMNIQ_FAILED, "the mail server refused it (%ld): %s", code,
					err[0] ? err : curl_easy_strerror(rc));
	} else if(words)
		outcome(res, OMNIQ_RETRY, "the mail server did not take it: %s", words);
	else
		outcome(res, OMNIQ_RETRY, "the mail server did not take it%s%.0ld: %s",
				code ? ", " : "", code, err[0] ? err : curl_easy_strerror(rc));
}

/* a copy of a reply sent into the mailbox's imap_sent folder (IMAP APPEND, \Seen): best
 * effort, the reply is sent either way */
static void keep_copy(const email_mailbox_t *mb, const char *sid, const char *mail, size_t len)
{
	char url[400], err[CURL_ERROR_SIZE];
	const char *host = strstr(mb->imap, "://") + 3, *path = strchr(host, '/');
	upload_t u = {mail, len};
	CURLcode rc;

	snprintf(url, sizeof(url), "%.*s/%s", (int)(path - mb->imap), mb->imap, mb->imap_sent);
	err[0] = '\0';
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
	email_imap_login(curl, mb);
	if((rc = curl_easy_perform(curl)) != CURLE_OK)
		LM_WARN("session %s: the reply was sent, its copy not put in %s: %s\n", sid,
				mb->imap_sent, err[0] ? err : curl_easy_strerror(rc));
}

static void send_one(const omniq_outbound_t *m, omniq_send_result_t *res);

static void email_send(const omniq_outbound_t *m, omniq_send_result_t *res, void *param)
{
	send_one(m, res);
	if(res->outcome == OMNIQ_SENT)
		email_stat(EMAIL_ST_SENT);
	else if(res->outcome == OMNIQ_FAILED)
		email_stat(EMAIL_ST_SEND_FAILED);
}

/* The message's text as a C string (malloc'd; free() it), or NULL with the outcome set */
static char *body_text(const omniq_outbound_t *m, omniq_send_result_t *res)
{
	char *text = malloc((size_t)m->body.len + 1);

	if(text == NULL) {
		outcome(res, OMNIQ_RETRY, "out of memory");
		return NULL;
	}
	memcpy(text, m->body.s, m->body.len);
	text[m->body.len] = '\0';
	return text;
}

/* What a reply and a notice share before their own headers: the delivery's signed
 * Message-ID (email_sig.h; the same on every attempt: a receiver that got an attempt we
 * think failed keeps one) into mid, the mailbox as sender into from, and in filled with
 * them and the text (malloc'd: mail_out frees it). 0, or -1 with the outcome set. */
static int prepare(const email_mailbox_t *mb, const omniq_outbound_t *m, char *mid,
		size_t msize, char *from, size_t fsize, email_reply_in_t *in,
		omniq_send_result_t *res)
{
	char did[32];
	char *text;

	if(m->did.len <= 0 || (size_t)m->did.len >= sizeof(did)) {
		outcome(res, OMNIQ_FAILED, "no Message-ID for delivery %.*s", m->did.len, m->did.s);
		return -1;
	}
	memcpy(did, m->did.s, (size_t)m->did.len);
	did[m->did.len] = '\0';
	if(email_reply_mid(cfg->secret, did, mb->domain, mid, msize) < 0) {
		outcome(res, OMNIQ_FAILED, "no Message-ID for delivery %s", did);
		return -1;
	}
	if((text = body_text(m, res)) == NULL)
		return -1;
	snprintf(from, fsize, "%s@%s", mb->local, mb->domain);
	memset(in, 0, sizeof(*in));
	in->from_addr = from;
	in->from_name = mb->from_name[0] ? mb->from_name : NULL;
	in->message_id = mid;
	in->text = text;
	in->date = (int64_t)time(NULL);
	return 0;
}

/* in made into a mail (*mail, malloc'd: free() it) and handed to the mailbox's server; its
 * Message-ID is the delivery's provider id once sent. 0, or -1 when no mail could be made
 * (the outcome set; what: "reply" or "notice"). */
static int mail_out(const email_mailbox_t *mb, const char *to, email_reply_in_t *in,
		const char *what, char **mail, size_t *len, omniq_send_result_t *res)
{
	char why[EMAIL_WHY_MAX];
	int rc = email_reply_build(in, mail, len, why);

	free((char *)in->text);
	if(rc < 0) {
		outcome(res, OMNIQ_FAILED, "the %s cannot be made into a mail: %s", what, why);
		return -1;
	}
	submit(mb, to, *mail, *len, res);
	if(res->outcome == OMNIQ_SENT)
		snprintf(res->provider_id, sizeof(res->provider_id), "%.*s",
				(int)sizeof(res->provider_id) - 1, in->message_id);
	return 0;
}

/* The subject of a notice: its text's first line, at most EMAIL_SUBJECT_MAX bytes, cut
 * where a UTF-8 character starts */
#define EMAIL_SUBJECT_MAX 200

static void first_line(const str *body, char *out, size_t size)
{
	size_t n = 0;

	while(n < (size_t)body->len && body->s[n] != '\n' && body->s[n] != '\r')
		n++;
	if(n > EMAIL_SUBJECT_MAX)
		n = EMAIL_SUBJECT_MAX;
	if(n >= size)
		n = size - 1;
	if(n < (size_t)body->len)
		while(n > 0 && ((unsigned char)body->s[n] & 0xC0) == 0x80)
			n--; /* not inside a character */
	memcpy(out, body->s, n);
	out[n] = '\0';
}

/* A message of no session (a staff alert, a service-level notification): a plain mail from
 * the mailbox to the address, no thread and no token; the reply path of a customer's
 * session is send_one's. */
static void send_notice(const email_mailbox_t *mb, const char *to, const omniq_outbound_t *m,
		omniq_send_result_t *res)
{
	char subject[EMAIL_SUBJECT_MAX + 1], mid[EMAIL_ADDR_MAX], from[EMAIL_ADDR_MAX + 1];
	char *mail = NULL;
	email_reply_in_t in;
	size_t len;

	first_line(&m->body, subject, sizeof(subject));
	if(prepare(mb, m, mid, sizeof(mid), from, sizeof(from), &in, res) < 0)
		return;
	in.to = to;
	in.subject = subject[0] ? subject : "omniq";
	in.notice = 1;
	if(mail_out(mb, to, &in, "notice", &mail, &len, res) < 0)
		return;
	free(mail);
	if(res->outcome == OMNIQ_SENT)
		LM_NOTICE("notice %.*s sent to <%s> through %s\n", m->did.len, m->did.s, to, mb->name);
	else
		LM_NOTICE("notice %.*s to <%s> not sent (attempt %d): %s\n", m->did.len, m->did.s, to,
				m->attempt, res->reason);
}

static void send_one(const omniq_outbound_t *m, omniq_send_result_t *res)
{
	char thread[3 * (EMAIL_LINE_MAX + 1) + 1], sid[OMNIQ_SID_MAX + 1], sg[EMAIL_SIG_LEN + 1];
	char token[EMAIL_TOKEN_MAX + 1], reply_to[EMAIL_ADDR_MAX + 64], mid[EMAIL_ADDR_MAX];
	char to[EMAIL_ADDR_MAX + 1], from[EMAIL_ADDR_MAX + 1], why[EMAIL_WHY_MAX];
	char *mail = NULL;
	const char *subject, *last, *root, *colon;
	const email_mailbox_t *mb;
	email_reply_in_t in;
	size_t len;
	int rc;

	if(m->type.len != 4 || memcmp(m->type.s, "text", 4)) {
		outcome(res, OMNIQ_FAILED, "an email reply carries text only (files: not yet)");
		return;
	}
	colon = m->ext.s ? memchr(m->ext.s, ':', m->ext.len) : NULL;
	if(colon == NULL || (mb = email_mailbox_named(m->ext.s, (size_t)(colon - m->ext.s))) == NULL) {
		outcome(res, OMNIQ_FAILED, "the mailbox (%.*s) is not served here: the address is "
								   "<mailbox>:<address>",
				m->ext.s ? m->ext.len : 0, m->ext.s ? m->ext.s : "");
		return;
	}
	if(mb->smtp[0] == '\0') {
		outcome(res, OMNIQ_FAILED, "mailbox %s has no smtp server set: replies are not sent",
				mb->name);
		return;
	}
	snprintf(to, sizeof(to), "%.*s", (int)(m->ext.len - (colon + 1 - m->ext.s)), colon + 1);
	if(m->sid.len == 0) {
		send_notice(mb, to, m, res);
		return;
	}
	snprintf(sid, sizeof(sid), "%.*s", m->sid.len, m->sid.s);
	if((rc = email_thread_get(sid, thread, sizeof(thread), &subject, &last, &root)) < 0) {
		outcome(res, OMNIQ_RETRY, "the session's thread cannot be read now: %s",
				oq->last_error());
		return;
	}
	if(email_sig(cfg->secret, sid, sg) < 0
			|| email_token_format(sid, sg, token, sizeof(token), why) < 0) {
		outcome(res, OMNIQ_FAILED, "no session token for %s", sid);
		return;
	}
	snprintf(reply_to, sizeof(reply_to), "%s+omniq-%s-%s@%s", mb->local, sid, sg, mb->domain);
	if(prepare(mb, m, mid, sizeof(mid), from, sizeof(from), &in, res) < 0)
		return;
	in.reply_to = reply_to;
	in.to = to;
	in.subject = subject;
	in.token = token;
	in.in_reply_to = last && last[0] ? last : NULL;
	in.root = root && root[0] ? root : NULL;
	if(mail_out(mb, to, &in, "reply", &mail, &len, res) < 0)
		return;
	if(res->outcome == OMNIQ_SENT && mb->imap_sent[0])
		keep_copy(mb, sid, mail, len);
	free(mail);
	if(res->outcome == OMNIQ_SENT) {
		email_remember_id(mid, sid);
		LM_NOTICE("session %s: reply %.*s sent to <%s> through %s\n", sid, m->did.len, m->did.s,
				to, mb->name);
	} else
		LM_NOTICE("session %s: reply %.*s to <%s> not sent (attempt %d): %s\n", sid, m->did.len,
				m->did.s, to, m->attempt, res->reason);
}

static int sender_init(void *param)
{
	if((curl = curl_easy_init()) == NULL) {
		LM_ERR("libcurl cannot start: no email reply can be sent\n");
		return -1;
	}
	return 0;
}

int email_sender_register(omniq_api_t *api, const email_sender_cfg_t *c)
{
	oq = api;
	cfg = c;
	return omniq_register_sender(oq, &email_channel, sender_init, email_send, c->attempts,
			c->backoff_ms, c->timeout_ms * 2 + 60000);
}
