/*
 * push.c - pushes for app users who are not connected: an agent's reply to such a user is
 * queued by the core for the "push" channel's senders (api.outbound_add, skipped when the
 * user holds a live connection lease: app.c leases them), and the sender process of each
 * node POSTs it to its tenant's push_url, signed with that tenant's app secret
 * (signed_post.h: X-Omniq-Kind push, X-Omniq-Delivery the delivery id), retried with
 * backoff from webhook_retry, doubling up to 10 minutes or the receiver's Retry-After, up to
 * webhook_attempts; a 4xx other than 408 and 429 refuses it for good. It waits in Redis
 * across restarts; any node's sender takes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "core/dprint.h"

#include "ws.h"
#include "sites.h"
#include "signed_post.h"
#include "push.h"

static CURL *curl; /* the sender process's own */

static int sender_init(void *param)
{
	if((curl = ws_post_handle()) == NULL) {
		LM_ERR("push sender: cannot initialise libcurl\n");
		return -1;
	}
	return 0;
}

static void send_push(const omniq_outbound_t *m, omniq_send_result_t *res, void *param)
{
	const ws_app_site_t *site = ws_app_site(m->tenant);
	char did[32];
	ws_post_t p;

	memset(&p, 0, sizeof(p));
	ws_oq.tenant_at(m->tenant, &p.tenant, NULL);
	if(site == NULL || site->push_url == NULL) {
		res->outcome = OMNIQ_FAILED;
		snprintf(res->reason, sizeof(res->reason), "tenant %.*s has no push_url here",
				p.tenant.len, p.tenant.s);
		return;
	}
	snprintf(did, sizeof(did), "%.*s", m->did.len, m->did.s);
	p.url = site->push_url;
	p.secret = site->secret;
	p.kind = "push";
	p.delivery = did;
	p.body = m->body.s;
	p.len = (size_t)m->body.len;
	ws_post_outcome(curl, &p, "the push_url", res);
}

int ws_push_register(void)
{
	omniq_sender_t s;

	if(!ws_push_any())
		return 0;
	memset(&s, 0, sizeof(s));
	s.channel = omniq_str(WS_PUSH_CHANNEL);
	s.init = sender_init;
	s.send = send_push;
	ws_post_sender_settings(&s);
	return ws_oq.register_sender(&s) < 0 ? -1 : 0;
}

int ws_push_queue(const str *ext, const str *sid, const str *from, json_t *payload)
{
	static const str channel = str_init(WS_PUSH_CHANNEL);
	char *txt = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	str body;
	int rc;

	json_decref(payload);
	if(txt == NULL) {
		LM_ERR("push for session %.*s: out of memory\n", sid->len, sid->s);
		return -1;
	}
	body = omniq_str(txt);
	rc = ws_oq.outbound_add(&channel, ext, from, &body, ext, NULL, 0);
	free(txt);
	if(rc < 0) {
		LM_ERR("push for session %.*s (%.*s) not queued: %s\n", sid->len, sid->s, ext->len,
				ext->s, ws_oq.last_error());
		return -1;
	}
	LM_DBG("push for session %.*s (%.*s): %s\n", sid->len, sid->s, ext->len, ext->s,
			rc == 1 ? "user online, none" : "queued");
	return 0;
}
