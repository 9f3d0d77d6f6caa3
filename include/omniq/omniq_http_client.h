/*
 * omniq_http_client.h - one bounded, blocking HTTP request to a provider's API from an
 * outbound sender's own process (never a SIP worker, never omniq_ws' loop): what every
 * channel module that talks to a provider needs, written once. libcurl does the work; the
 * answer's body lands in pkg memory, capped so a provider gone wrong cannot fill it.
 *
 *   CURL *c = omniq_http_handle(5000);                 once, in the sender's init()
 *   omniq_http_answer_t a;
 *   if(omniq_http_call(c, url, hdrs, body, len, NULL, &a) < 0) -> a.why: no answer at all
 *   else a.status, a.body (NUL-terminated, a.len bytes), a.retry_after_s
 *   omniq_http_answer_free(&a);
 *
 * The module links -lcurl. Header-only (static inline) because Kamailio modules share no
 * code but through headers.
 */
#ifndef OMNIQ_HTTP_CLIENT_H
#define OMNIQ_HTTP_CLIENT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "core/mem/mem.h"

#define OMNIQ_HTTP_ANSWER_MAX (1024 * 1024) /* an API answer larger than this is no answer */

typedef struct omniq_http_answer {
	long status;         /* the HTTP status; 0 when no answer came */
	char *body;          /* pkg memory, NUL-terminated, or NULL for an empty answer */
	size_t len, size;
	long retry_after_s;  /* the answer's Retry-After in seconds (0: none or a date) */
	char type[128];      /* its Content-Type, "" when none */
	size_t max;          /* the most of an answer taken */
	int over;            /* the answer passed max */
	char why[256];       /* when no answer came: curl's words */
} omniq_http_answer_t;

static inline size_t omniq_http_take_(char *data, size_t sz, size_t n, void *arg)
{
	omniq_http_answer_t *a = (omniq_http_answer_t *)arg;
	size_t len = sz * n;

	if(a->len + len > a->max) {
		a->over = 1;
		return 0; /* curl stops */
	}
	if(a->len + len + 1 > a->size) {
		size_t size = a->size ? a->size : 4096;
		char *p;
		while(size < a->len + len + 1)
			size *= 2;
		if((p = (char *)pkg_realloc(a->body, size)) == NULL)
			return 0;
		a->body = p;
		a->size = size;
	}
	memcpy(a->body + a->len, data, len);
	a->len += len;
	a->body[a->len] = '\0';
	return len;
}

static inline size_t omniq_http_header_(char *data, size_t sz, size_t n, void *arg)
{
	omniq_http_answer_t *a = (omniq_http_answer_t *)arg;
	size_t len = sz * n;

	if(len > 12 && len < 40 && !strncasecmp(data, "Retry-After:", 12)) {
		char num[32];
		memcpy(num, data + 12, len - 12);
		num[len - 12] = '\0';
		a->retry_after_s = strtol(num, NULL, 10);
		if(a->retry_after_s < 0 || a->retry_after_s > 86400)
			a->retry_after_s = 0;
	}
	return len;
}

/* A handle for such requests: http(s) only, no redirects, connected within 3 s (or
 * timeout_ms if shorter), done within timeout_ms. NULL when libcurl cannot start. */
static inline CURL *omniq_http_handle(int timeout_ms)
{
	CURL *c;

	if(curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || (c = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_ms < 3000 ? timeout_ms : 3000));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, omniq_http_take_);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, omniq_http_header_);
	return c;
}

/* GET (body NULL) or POST (body, len bytes) of url with the extra headers (NULL-ended
 * list, may be NULL) and HTTP Basic credentials userpwd ("user:password", may be NULL),
 * taking at most max bytes of answer (a file's download; omniq_http_call: an API answer's
 * OMNIQ_HTTP_ANSWER_MAX). 0 with an answer in a (free it), or -1 when none came (a->why;
 * nothing to free). */
static inline int omniq_http_call_mime(CURL *c, const char *url, const char *const *headers,
		const char *body, size_t len, curl_mime *mime, const char *userpwd, size_t max,
		omniq_http_answer_t *a);

static inline int omniq_http_call_max(CURL *c, const char *url, const char *const *headers,
		const char *body, size_t len, const char *userpwd, size_t max, omniq_http_answer_t *a)
{
	return omniq_http_call_mime(c, url, headers, body, len, NULL, userpwd, max, a);
}

/* The same, a multipart/form-data POST of mime (curl_mime_init's, the caller's to free)
 * when it is not NULL: a file upload. */
static inline int omniq_http_call_mime(CURL *c, const char *url, const char *const *headers,
		const char *body, size_t len, curl_mime *mime, const char *userpwd, size_t max,
		omniq_http_answer_t *a)
{
	struct curl_slist *h = NULL, *n;
	char *ct = NULL;
	CURLcode cc;
	int i;

	memset(a, 0, sizeof(*a));
	a->max = max;
	for(i = 0; headers && headers[i]; i++) {
		if((n = curl_slist_append(h, headers[i])) == NULL) {
			curl_slist_free_all(h);
			snprintf(a->why, sizeof(a->why), "out of memory for the request's headers");
			return -1;
		}
		h = n;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
	if(mime) {
		curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	} else if(body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	cc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_USERPWD, NULL);
	if(mime)
		curl_easy_setopt(c, CURLOPT_MIMEPOST, NULL);
	curl_slist_free_all(h);
	if(cc != CURLE_OK) {
		if(a->over)
			snprintf(a->why, sizeof(a->why), "an answer over %zu bytes", a->max);
		else
			snprintf(a->why, sizeof(a->why), "%s", curl_easy_strerror(cc));
		pkg_free(a->body);
		a->body = NULL;
		a->len = a->size = 0;
		a->status = 0;
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	if(curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		snprintf(a->type, sizeof(a->type), "%s", ct);
	return 0;
}

static inline int omniq_http_call(CURL *c, const char *url, const char *const *headers,
		const char *body, size_t len, const char *userpwd, omniq_http_answer_t *a)
{
	return omniq_http_call_max(c, url, headers, body, len, userpwd, OMNIQ_HTTP_ANSWER_MAX, a);
}

static inline void omniq_http_answer_free(omniq_http_answer_t *a)
{
	if(a->body)
		pkg_free(a->body);
	a->body = NULL;
	a->len = a->size = 0;
}

#endif
