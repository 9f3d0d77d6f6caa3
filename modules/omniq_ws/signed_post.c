/*
 * signed_post.c - see signed_post.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ws.h"
#include "token.h"
#include "signed_post.h"

static size_t discard(char *p, size_t sz, size_t n, void *u)
{
	return sz * n;
}

CURL *ws_post_handle(void)
{
	CURL *c;

	if(curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || (c = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ws_cfg.webhook_timeout * 1000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	return c;
}

/* The signature a receiver checks: HMAC-SHA256 over "<t>." and the body, so that a
 * delivery captured once cannot be replayed later with a fresh timestamp. */
static int sign_at(const char *secret, long long t, const char *body, size_t len, char hex[65])
{
	char head[24];
	size_t hl = (size_t)snprintf(head, sizeof(head), "%lld.", t);
	char *m = malloc(hl + len + 1);
	int rc;

	if(m == NULL)
		return -1;
	memcpy(m, head, hl);
	memcpy(m + hl, body, len);
	rc = ws_hmac_hex(secret, m, hl + len, hex);
	free(m);
	return rc;
}

int ws_signed_post(CURL *curl, const ws_post_t *p, long *status, long *retry_after_s,
		char *why, size_t size)
{
	struct curl_slist *h = NULL, *n;
	char hdr[256], sig[65], sig2[65];
	long long t = (long long)time(NULL);
	curl_off_t ra = 0;
	CURLcode cc;
	int ok = 1;

	*status = 0;
	*retry_after_s = 0;
	if(ws_hmac_hex(p->secret, p->body, p->len, sig) < 0
			|| sign_at(p->secret, t, p->body, p->len, sig2) < 0) {
		snprintf(why, size, "cannot sign the request");
		return -1;
	}
#define HDR(...)                                        \
	do {                                                \
		snprintf(hdr, sizeof(hdr), __VA_ARGS__);        \
		if(ok && (n = curl_slist_append(h, hdr)) != NULL) \
			h = n;                                      \
		else                                            \
			ok = 0;                                     \
	} while(0)
	HDR("Content-Type: application/json");
	HDR("X-Omniq-Kind: %s", p->kind);
	HDR("X-Omniq-Delivery: %s", p->delivery);
	if(p->channel)
		HDR("X-Omniq-Channel: %s", p->channel);
	HDR("X-Omniq-Tenant: %.*s", p->tenant.len, p->tenant.s);
	HDR("X-Omniq-Timestamp: %lld", t);
	HDR("X-Omniq-Signature-V2: t=%lld,sha256=%s", t, sig2);
	/* the body alone: deprecated (a captured delivery verifies for ever), kept for the
	 * receivers written before V2 */
	HDR("X-Omniq-Signature: sha256=%s", sig);
#undef HDR
	if(!ok) {
		curl_slist_free_all(h);
		snprintf(why, size, "out of memory for the request's headers");
		return -1;
	}
	curl_easy_setopt(curl, CURLOPT_URL, p->url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, p->body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)p->len);
	cc = curl_easy_perform(curl);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	if(cc != CURLE_OK) {
		snprintf(why, size, "%s", curl_easy_strerror(cc));
		return -1;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	if(curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
		*retry_after_s = ra > 86400 ? 86400 : (long)ra;
	return 0;
}

void ws_post_outcome(CURL *curl, const ws_post_t *p, const char *what,
		omniq_send_result_t *res)
{
	long status, retry_after;
	char why[160];

	if(ws_signed_post(curl, p, &status, &retry_after, why, sizeof(why)) < 0) {
		res->outcome = OMNIQ_RETRY;
		snprintf(res->reason, sizeof(res->reason), "no answer from %s: %s", what, why);
	} else if(status >= 200 && status < 300) {
		res->outcome = OMNIQ_SENT;
	} else if(status >= 400 && status < 500 && status != 408 && status != 429) {
		res->outcome = OMNIQ_FAILED;
		snprintf(res->reason, sizeof(res->reason), "%s refused it: HTTP %ld", what, status);
	} else {
		res->outcome = OMNIQ_RETRY;
		res->retry_after_ms = (int)retry_after * 1000;
		snprintf(res->reason, sizeof(res->reason), "%s answered HTTP %ld", what, status);
	}
}

void ws_post_sender_settings(omniq_sender_t *s)
{
	s->attempts = ws_cfg.webhook_attempts;
	s->backoff_ms = ws_cfg.webhook_retry * 1000;
	s->backoff_max_ms = s->backoff_ms > 600000 ? s->backoff_ms : 600000;
	s->lease_ms = (ws_cfg.webhook_timeout + 30) * 1000;
}
