/*
 * email_lmtp.c - see email_lmtp.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "email_lmtp.h"

/* where the data reader is in a line: its start, within it, after a CR, after a dot at
 * the start, after that dot's CR */
enum { D_BOL = 0, D_MID, D_CR, D_DOT, D_DOT_CR };

/* a message buffer kept between transactions up to this size; a bigger one is freed */
#define KEEP_MSG_BUF (1024 * 1024)

static void out_add(email_lmtp_t *l, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if(l->oom)
		return;
	if(l->out_len + n > l->out_cap) {
		cap = l->out_cap ? l->out_cap : 512;
		while(cap < l->out_len + n)
			cap *= 2;
		if((p = realloc(l->out, cap)) == NULL) {
			l->oom = 1;
			return;
		}
		l->out = p;
		l->out_cap = cap;
	}
	memcpy(l->out + l->out_len, s, n);
	l->out_len += n;
}

/* one reply line, CRLF added */
static void reply(email_lmtp_t *l, const char *fmt, ...)
{
	char buf[EMAIL_LMTP_REPLY_MAX + 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, EMAIL_LMTP_REPLY_MAX, fmt, ap);
	va_end(ap);
	if(n < 0)
		return;
	if(n >= EMAIL_LMTP_REPLY_MAX)
		n = EMAIL_LMTP_REPLY_MAX - 1;
	buf[n++] = '\r';
	buf[n++] = '\n';
	out_add(l, buf, (size_t)n);
}

/* a line a callback wrote: CR, LF and controls become spaces, a 3-digit code is required */
static void reply_line(email_lmtp_t *l, char *line, const char *fallback)
{
	size_t i;

	for(i = 0; line[i]; i++)
		if((unsigned char)line[i] < ' ' || line[i] == 0x7f)
			line[i] = ' ';
	if(i < 4 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9'
			|| line[2] < '0' || line[2] > '9' || line[3] != ' ')
		line = (char *)fallback;
	reply(l, "%s", line);
}

static void reset_tx(email_lmtp_t *l)
{
	l->from[0] = '\0';
	l->n_rcpt = 0;
	l->msg_len = 0;
	l->msg_over = 0;
	if(l->msg_cap > KEEP_MSG_BUF) {
		free(l->msg);
		l->msg = NULL;
		l->msg_cap = 0;
	}
	if(l->state != EMAIL_LMTP_GREET && l->state != EMAIL_LMTP_CLOSED)
		l->state = EMAIL_LMTP_READY;
}

int email_lmtp_init(email_lmtp_t *l, const char *host, size_t max_msg,
		const email_lmtp_ops_t *ops, void *arg)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->host, sizeof(l->host), "%s", host && host[0] ? host : "omniq");
	l->max_msg = max_msg == 0 || max_msg > EMAIL_MSG_MAX ? EMAIL_MSG_MAX : max_msg;
	l->ops = ops;
	l->arg = arg;
	l->state = EMAIL_LMTP_GREET;
	reply(l, "220 %s LMTP omniq ready", l->host);
	return l->oom ? -1 : 0;
}

void email_lmtp_free(email_lmtp_t *l)
{
	free(l->msg);
	free(l->out);
	memset(l, 0, sizeof(*l));
}

void email_lmtp_written(email_lmtp_t *l, size_t n)
{
	if(n >= l->out_len) {
		l->out_len = 0;
		return;
	}
	memmove(l->out, l->out + n, l->out_len - n);
	l->out_len -= n;
}

void email_lmtp_timeout(email_lmtp_t *l)
{
	reply(l, "421 4.4.2 %s idle for too long, closing", l->host);
	l->state = EMAIL_LMTP_CLOSED;
}

/* a syntax error: counted; too many close the connection */
static void bad(email_lmtp_t *l, const char *line)
{
	reply(l, "%s", line);
	if(++l->errors >= EMAIL_LMTP_ERRORS_MAX) {
		reply(l, "421 4.7.0 %s too many errors, closing", l->host);
		l->state = EMAIL_LMTP_CLOSED;
	}
}

/* "<addr>" at s into out; what follows it in *rest. 0, or -1 with the reply code to give:
 * no '<', no '>', an address over EMAIL_ADDR_MAX, controls or blanks in it. Quoted local
 * parts may hold '>' and blanks. */
static int path(const char *s, char *out, const char **rest)
{
	const char *p;
	size_t n = 0;
	int q = 0;

	while(*s == ' ')
		s++;
	if(*s != '<')
		return -1;
	for(p = s + 1; *p; p++) {
		if(*p == '"' && (p == s + 1 || p[-1] != '\\'))
			q = !q;
		else if(*p == '>' && !q)
			break;
		if((unsigned char)*p < ' ' || *p == 0x7f || (*p == ' ' && !q))
			return -1;
		if(n >= EMAIL_ADDR_MAX)
			return -1;
		out[n++] = *p;
	}
	if(*p != '>')
		return -1;
	out[n] = '\0';
	*rest = p + 1;
	return 0;
}

/* MAIL's parameters: SIZE=n, BODY=7BIT|8BITMIME, SMTPUTF8 (RFC 1870, 6152, 6531) */
static int mail_params(email_lmtp_t *l, const char *p)
{
	char kw[32];
	unsigned long long size;
	char *end;
	size_t n;

	for(;;) {
		while(*p == ' ')
			p++;
		if(*p == '\0')
			return 0;
		for(n = 0; p[n] && p[n] != ' ' && p[n] != '='; n++)
			;
		if(n == 0 || n >= sizeof(kw)) {
			bad(l, "555 5.5.4 unrecognised MAIL parameter");
			return -1;
		}
		memcpy(kw, p, n);
		kw[n] = '\0';
		p += n;
		if(!strcasecmp(kw, "SIZE") && *p == '=') {
			size = strtoull(p + 1, &end, 10);
			if(end == p + 1 || (*end && *end != ' ')) {
				bad(l, "501 5.5.4 SIZE takes a number");
				return -1;
			}
			if(size > l->max_msg) {
				reply(l, "552 5.3.4 message size exceeds the limit of %zu bytes", l->max_msg);
				return -1;
			}
			p = end;
		} else if(!strcasecmp(kw, "BODY") && *p == '=') {
			p++;
			if(!strncasecmp(p, "7BIT", 4) && (p[4] == '\0' || p[4] == ' '))
				p += 4;
			else if(!strncasecmp(p, "8BITMIME", 8) && (p[8] == '\0' || p[8] == ' '))
				p += 8;
			else {
				bad(l, "555 5.5.4 BODY must be 7BIT or 8BITMIME");
				return -1;
			}
		} else if(!strcasecmp(kw, "SMTPUTF8") && *p != '=') {
			/* UTF-8 addresses and headers: the parser reads them */
		} else {
			bad(l, "555 5.5.4 unrecognised MAIL parameter");
			return -1;
		}
	}
}

static void cmd_mail(email_lmtp_t *l, const char *args)
{
	char addr[EMAIL_ADDR_MAX + 1];
	const char *rest;

	if(l->state == EMAIL_LMTP_GREET) {
		bad(l, "503 5.5.1 LHLO first");
		return;
	}
	if(l->state != EMAIL_LMTP_READY) {
		bad(l, "503 5.5.1 a transaction is open: RSET first");
		return;
	}
	if(strncasecmp(args, "FROM:", 5) != 0 || path(args + 5, addr, &rest) < 0) {
		bad(l, "501 5.1.7 MAIL FROM:<address> (at most 320 bytes, no blanks or controls)");
		return;
	}
	if(mail_params(l, rest) < 0)
		return;
	memcpy(l->from, addr, strlen(addr) + 1);
	l->state = EMAIL_LMTP_MAIL;
	reply(l, "250 2.1.0 OK");
}

static void cmd_rcpt(email_lmtp_t *l, const char *args)
{
	char addr[EMAIL_ADDR_MAX + 1], line[EMAIL_LMTP_REPLY_MAX];
	const char *rest;

	if(l->state != EMAIL_LMTP_MAIL && l->state != EMAIL_LMTP_RCPT) {
		bad(l, "503 5.5.1 MAIL first");
		return;
	}
	if(strncasecmp(args, "TO:", 3) != 0 || path(args + 3, addr, &rest) < 0 || addr[0] == '\0'
			|| !strchr(addr, '@')) {
		bad(l, "501 5.1.3 RCPT TO:<mailbox@domain>");
		return;
	}
	while(*rest == ' ')
		rest++;
	if(*rest) {
		bad(l, "555 5.5.4 RCPT takes no parameters here");
		return;
	}
	if(l->n_rcpt >= EMAIL_LMTP_RCPT_MAX) {
		reply(l, "452 4.5.3 too many recipients in one transaction (%d)", EMAIL_LMTP_RCPT_MAX);
		return;
	}
	line[0] = '\0';
	if(l->ops->rcpt(l->arg, addr, line, sizeof(line)) < 0) {
		reply_line(l, line, "550 5.1.1 no such mailbox here");
		return;
	}
	memcpy(l->rcpt[l->n_rcpt++], addr, strlen(addr) + 1);
	l->state = EMAIL_LMTP_RCPT;
	reply(l, "250 2.1.5 OK");
}

static void command(email_lmtp_t *l, char *line)
{
	char *args;
	size_t n;

	n = strlen(line);
	if(n && line[n - 1] == '\r')
		line[--n] = '\0';
	args = strchr(line, ' ');
	if(args)
		*args++ = '\0';
	else
		args = line + n;

	if(!strcasecmp(line, "LHLO")) {
		if(*args == '\0') {
			bad(l, "501 5.5.4 LHLO <your host name>");
			return;
		}
		l->state = EMAIL_LMTP_READY;
		reset_tx(l);
		reply(l, "250-%s", l->host);
		reply(l, "250-PIPELINING");
		reply(l, "250-ENHANCEDSTATUSCODES");
		reply(l, "250-8BITMIME");
		reply(l, "250-SMTPUTF8");
		reply(l, "250 SIZE %zu", l->max_msg);
	} else if(!strcasecmp(line, "HELO") || !strcasecmp(line, "EHLO")) {
		bad(l, "500 5.5.1 this is LMTP (RFC 2033): LHLO, not HELO or EHLO");
	} else if(!strcasecmp(line, "MAIL")) {
		cmd_mail(l, args);
	} else if(!strcasecmp(line, "RCPT")) {
		cmd_rcpt(l, args);
	} else if(!strcasecmp(line, "DATA")) {
		if(*args)
			bad(l, "501 5.5.4 DATA takes no argument");
		else if(l->state == EMAIL_LMTP_MAIL)
			reply(l, "503 5.5.1 no valid recipients");
		else if(l->state != EMAIL_LMTP_RCPT)
			bad(l, "503 5.5.1 MAIL and RCPT first");
		else {
			l->state = EMAIL_LMTP_DATA;
			l->data_st = D_BOL;
			reply(l, "354 go ahead, end with <CRLF>.<CRLF>");
		}
	} else if(!strcasecmp(line, "RSET")) {
		reset_tx(l);
		reply(l, "250 2.0.0 OK");
	} else if(!strcasecmp(line, "NOOP")) {
		reply(l, "250 2.0.0 OK");
	} else if(!strcasecmp(line, "VRFY")) {
		reply(l, "252 2.5.2 cannot VRFY; send the mail and see");
	} else if(!strcasecmp(line, "QUIT")) {
		reply(l, "221 2.0.0 %s closing", l->host);
		l->state = EMAIL_LMTP_CLOSED;
	} else {
		bad(l, "500 5.5.2 unknown command");
	}
}

static void put(email_lmtp_t *l, char c)
{
	char *p;
	size_t cap;

	if(l->msg_over)
		return;
	if(l->msg_len + 1 > l->max_msg) {
		l->msg_over = 1;
		return;
	}
	if(l->msg_len + 2 > l->msg_cap) { /* room for the NUL after it */
		cap = l->msg_cap ? l->msg_cap * 2 : 64 * 1024;
		if(cap > l->max_msg + 1)
			cap = l->max_msg + 1;
		if((p = realloc(l->msg, cap)) == NULL) {
			l->oom = 1;
			l->msg_over = 1;
			return;
		}
		l->msg = p;
		l->msg_cap = cap;
	}
	l->msg[l->msg_len++] = c;
}

/* the final dot came: one reply per recipient */
static void data_end(email_lmtp_t *l)
{
	char line[EMAIL_LMTP_REPLY_MAX];
	int i;

	if(l->msg)
		l->msg[l->msg_len] = '\0';
	for(i = 0; i < l->n_rcpt; i++) {
		if(l->oom) {
			reply(l, "451 4.3.0 out of memory: try again later");
			continue;
		}
		if(l->msg_over) {
			reply(l, "552 5.3.4 message over the limit of %zu bytes", l->max_msg);
			continue;
		}
		line[0] = '\0';
		l->ops->deliver(l->arg, l->from, l->rcpt[i], l->msg ? l->msg : "", l->msg_len, line,
				sizeof(line));
		reply_line(l, line, "451 4.3.0 the message was not stored: try again later");
	}
	l->state = EMAIL_LMTP_READY;
	reset_tx(l);
}

/* one byte of the data; 1 at the final dot's line end */
static int data_byte(email_lmtp_t *l, char c)
{
	switch(l->data_st) {
		case D_BOL:
			if(c == '.') {
				l->data_st = D_DOT;
				return 0;
			}
			/* fall through */
		case D_MID:
			put(l, c);
			l->data_st = c == '\r' ? D_CR : c == '\n' ? D_BOL : D_MID;
			return 0;
		case D_CR:
			put(l, c);
			l->data_st = c == '\n' ? D_BOL : c == '\r' ? D_CR : D_MID;
			return 0;
		case D_DOT:
			if(c == '\r') {
				l->data_st = D_DOT_CR;
				return 0;
			}
			if(c == '\n')
				return 1;
			/* a stuffed dot: dropped (RFC 5321 4.5.2) */
			put(l, c);
			l->data_st = D_MID;
			return 0;
		default: /* D_DOT_CR */
			if(c == '\n')
				return 1;
			put(l, '\r');
			put(l, c);
			l->data_st = c == '\r' ? D_CR : D_MID;
			return 0;
	}
}

int email_lmtp_feed(email_lmtp_t *l, const char *in, size_t len)
{
	size_t i;
	char c;

	for(i = 0; i < len && l->state != EMAIL_LMTP_CLOSED; i++) {
		c = in[i];
		if(l->state == EMAIL_LMTP_DATA) {
			if(data_byte(l, c))
				data_end(l);
			continue;
		}
		if(c != '\n') {
			if(l->line_len < EMAIL_LMTP_LINE_MAX)
				l->line[l->line_len++] = c;
			else
				l->line_over = 1;
			continue;
		}
		l->line[l->line_len] = '\0';
		if(l->line_over)
			bad(l, "500 5.5.2 line too long");
		else if(memchr(l->line, '\0', l->line_len))
			bad(l, "500 5.5.2 NUL in a command");
		else
			command(l, l->line);
		l->line_len = 0;
		l->line_over = 0;
	}
	if(l->oom && l->state != EMAIL_LMTP_DATA)
		return -1;
	return l->state == EMAIL_LMTP_CLOSED ? 1 : 0;
}
