/*
 * signed_post.h - one signed JSON POST to a receiver of omniq_ws' notifications: an app's
 * push_url (outbox.c) or an integrator channel's webhook (channel_send.c). The headers:
 *   Content-Type: application/json
 *   X-Omniq-Kind: push | webhook
 *   X-Omniq-Channel: <channel>        (webhooks)
 *   X-Omniq-Tenant: <tenant>          whose customer it is
 *   X-Omniq-Delivery: <id>            the same on every retry: a receiver drops duplicates
 *   X-Omniq-Signature: sha256=<hex HMAC-SHA256(secret, body)>
 * Blocking (a sender's own thread or process), bounded by webhook_timeout.
 */
#ifndef OMNIQ_WS_SIGNED_POST_H
#define OMNIQ_WS_SIGNED_POST_H

#include <stddef.h>
#include <curl/curl.h>

#include "core/str.h"
#include "omniq/omniq_api.h"

typedef struct ws_post {
	const char *url, *secret, *kind, *delivery;
	const char *channel;        /* NULL: no X-Omniq-Channel */
	str tenant;
	const char *body;
	size_t len;
} ws_post_t;

/* A curl handle set up for such posts (timeouts, http(s) only, the answer's body dropped);
 * NULL when libcurl cannot start. */
CURL *ws_post_handle(void);

/* The POST: 0 with *status (and *retry_after_s, the receiver's Retry-After, 0 for none), or
 * -1 when no answer came (why: curl's words). */
int ws_signed_post(CURL *curl, const ws_post_t *p, long *status, long *retry_after_s,
		char *why, size_t size);

/* The retry settings of a sender of such POSTs (the channels' webhooks, the pushes):
 * webhook_attempts tries, the first retry after webhook_retry doubling up to 10 minutes,
 * a lease that outlasts one post (the connect's 3 s and webhook_timeout). */
void ws_post_sender_settings(omniq_sender_t *s);

/* An outbound sender's outcome of such a POST (what: "the webhook", "the push_url"): 2xx
 * sent; a 4xx other than 408 and 429 refused for good; anything else, or no answer, a
 * retry (after the receiver's Retry-After when it gave one). */
void ws_post_outcome(CURL *curl, const ws_post_t *p, const char *what,
		omniq_send_result_t *res);

#endif
