/*
 * email_idle.c - see email_idle.h.
 */
#define _GNU_SOURCE /* strcasestr */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "email_idle.h"
#include "email_imap_login.h"

struct email_idle {
	CURL *h;
	curl_socket_t fd;
	int timeout_ms;
	time_t since; /* the IDLE began */
	char buf[EMAIL_IDLE_LINE_MAX + 1];
	size_t len;
	int skipping; /* a line over the limit: dropped to its end */
	int tag;
};

/* wait until fd is readable (or writable), within ms */
static int wait_fd(curl_socket_t fd, int out, int ms)
{
	struct pollfd p = {fd, (short)(out ? POLLOUT : POLLIN), 0};

	return poll(&p, 1, ms) > 0 ? 0 : -1;
}

static int send_all(email_idle_t *d, const char *s)
{
	size_t n = strlen(s), sent;
	CURLcode rc;

	while(n) {
		rc = curl_easy_send(d->h, s, n, &sent);
		if(rc == CURLE_AGAIN) {
			if(wait_fd(d->fd, 1, d->timeout_ms) < 0)
				return -1;
			continue;
		}
		if(rc != CURLE_OK)
			return -1;
		s += sent;
		n -= sent;
	}
	return 0;
}

/* The next whole line (CRLF taken off) into line; 1 got one, 0 none yet (would block),
 * -1 gone. Lines over the limit are dropped. */
static int next_line(email_idle_t *d, char *line)
{
	char *nl;
	size_t got, n;
	CURLcode rc;

	for(;;) {
		if((nl = memchr(d->buf, '\n', d->len)) != NULL) {
			n = (size_t)(nl - d->buf);
			memcpy(line, d->buf, n);
			line[n && line[n - 1] == '\r' ? n - 1 : n] = '\0';
			memmove(d->buf, nl + 1, d->len - n - 1);
			d->len -= n + 1;
			if(d->skipping) {
				d->skipping = 0;
				continue;
			}
			return 1;
		}
		if(d->len == EMAIL_IDLE_LINE_MAX) { /* no line end in a full buffer */
			d->len = 0;
			d->skipping = 1;
		}
		rc = curl_easy_recv(d->h, d->buf + d->len, EMAIL_IDLE_LINE_MAX - d->len, &got);
		if(rc == CURLE_AGAIN)
			return 0;
		if(rc != CURLE_OK || got == 0)
			return -1;
		d->len += got;
	}
}

/* lines until the one starting with want (a tag's completion, or "+"), within the
 * timeout: 0 it said OK (or "+"), -1 otherwise; *exists set when "* n EXISTS" passed */
static int until(email_idle_t *d, const char *want, int *exists, int *has_idle)
{
	char line[EMAIL_IDLE_LINE_MAX + 1];
	size_t wl = strlen(want);
	int rc;

	for(;;) {
		rc = next_line(d, line);
		if(rc < 0)
			return -1;
		if(rc == 0) {
			if(wait_fd(d->fd, 0, d->timeout_ms) < 0)
				return -1;
			continue;
		}
		if(exists && line[0] == '*' && strstr(line, " EXISTS"))
			*exists = 1;
		if(has_idle && strcasestr(line, "CAPABILITY") && strcasestr(line, " IDLE"))
			*has_idle = 1;
		if(want[0] == '+' || want[0] == '*') { /* a continuation, the greeting */
			if(!strncmp(line, want, wl))
				return 0;
		} else if(!strncmp(line, want, wl) && line[wl] == ' ')
			return !strncasecmp(line + wl, " OK", 3) ? 0 : -1;
	}
}

/* an IMAP quoted string of s into out (RFC 3501: \ and " escaped) */
static int quoted(const char *s, char *out, size_t size)
{
	size_t o = 0;

	if(size < 3)
		return -1;
	out[o++] = '"';
	for(; *s; s++) {
		if(o + 3 >= size || *s == '\r' || *s == '\n')
			return -1;
		if(*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o++] = '"';
	out[o] = '\0';
	return 0;
}

static int start_idle(email_idle_t *d)
{
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "i%d IDLE\r\n", ++d->tag);
	if(send_all(d, cmd) < 0 || until(d, "+", NULL, NULL) < 0)
		return -1;
	d->since = time(NULL);
	return 0;
}

email_idle_t *email_idle_open(const email_mailbox_t *b, int timeout_ms, char *why, size_t wsize)
{
	char url[300], folder[300], cmd[1024];
	const char *host = strstr(b->imap, "://") + 3, *path = strchr(host, '/');
	email_idle_t *d;
	curl_socket_t fd = CURL_SOCKET_BAD;
	int has_idle = 0;

	if((d = calloc(1, sizeof(*d))) == NULL || (d->h = curl_easy_init()) == NULL) {
		free(d);
		snprintf(why, wsize, "out of memory");
		return NULL;
	}
	d->timeout_ms = timeout_ms;
	snprintf(url, sizeof(url), "%.*s/", (int)(path - b->imap), b->imap);
	curl_easy_setopt(d->h, CURLOPT_URL, url);
	curl_easy_setopt(d->h, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(d->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(d->h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	email_imap_login(d->h, b);
	if(curl_easy_perform(d->h) != CURLE_OK
			|| curl_easy_getinfo(d->h, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK
			|| fd == CURL_SOCKET_BAD) {
		snprintf(why, wsize, "cannot connect");
		goto fail;
	}
	d->fd = fd;
	if(quoted(path + 1, folder, sizeof(folder)) < 0) {
		snprintf(why, wsize, "a folder name IMAP cannot quote");
		goto fail;
	}
	/* libcurl's connect-only has done IMAP's connection phase as a round's does
	 * (email_imap_login): the greeting read, STARTTLS when asked, the login made with the
	 * password or the OAuth2 bearer (XOAUTH2); what follows goes over that TLS */
	snprintf(cmd, sizeof(cmd), "i1 CAPABILITY\r\n");
	if(send_all(d, cmd) < 0 || until(d, "i1", NULL, &has_idle) < 0) {
		snprintf(why, wsize, "no CAPABILITY answer");
		goto fail;
	}
	if(!has_idle) {
		snprintf(why, wsize, "the server has no IDLE");
		goto fail;
	}
	snprintf(cmd, sizeof(cmd), "i4 EXAMINE %s\r\n", folder);
	if(send_all(d, cmd) < 0 || until(d, "i4", NULL, NULL) < 0) {
		snprintf(why, wsize, "the folder cannot be opened");
		goto fail;
	}
	d->tag = 4;
	if(start_idle(d) < 0) {
		snprintf(why, wsize, "IDLE refused");
		goto fail;
	}
	return d;
fail:
	email_idle_close(d);
	return NULL;
}

int email_idle_fd(const email_idle_t *d)
{
	return (int)d->fd;
}

int email_idle_keep(email_idle_t *d)
{
	char tag[16];

	if(time(NULL) - d->since < EMAIL_IDLE_RENEW_S)
		return 0;
	snprintf(tag, sizeof(tag), "i%d", d->tag);
	if(send_all(d, "DONE\r\n") < 0 || until(d, tag, NULL, NULL) < 0)
		return -1;
	return start_idle(d);
}

int email_idle_read(email_idle_t *d)
{
	char line[EMAIL_IDLE_LINE_MAX + 1];
	int rc, news = 0;

	while((rc = next_line(d, line)) == 1)
		if(line[0] == '*' && strstr(line, " EXISTS"))
			news = 1;
		else if(!strncmp(line, "* BYE", 5))
			return -1;
	if(rc < 0)
		return -1;
	return email_idle_keep(d) < 0 ? -1 : news;
}

void email_idle_close(email_idle_t *d)
{
	if(d == NULL)
		return;
	if(d->h)
		curl_easy_cleanup(d->h);
	free(d);
}
