/*
 * channels.c - integrators' channels, without C:
 *
 *   modparam("omniq_ws", "channel", "name=line;url=https://hooks.example.com/omniq;secret=<16..128>")
 *   modparam("omniq_ws", "channel", "name=tickets;url=\"https://t.example.com/in?a=1,2\";secret=..;class=email")
 *
 * (Kamailio's parameter syntax: quote a value that holds ';', ',' or blanks.) Each one is a
 * channel driver of the core, class chat unless given, and an outbound sender
 * (api.register_sender): customers' messages come in through the REST ingest
 * (POST /api/v1/channels/{name}/messages, api.c); an agent's reply, from any process and any
 * path (desk, REST, cfg), is queued by the core for the channel, and the channel's sender
 * process ("omniq sender <name>") POSTs it to url, signed with secret (signed_post.h), tried
 * again with backoff (webhook_retry, doubling up to 10 minutes, or the receiver's
 * Retry-After) until the receiver takes it or webhook_attempts are spent; a 4xx other than
 * 408 and 429 refuses it for good. The agent sees which. The payload:
 *
 *   {"type":"message","channel":"line","sid":"12","ext":"<conversation>","from":"<agent>",
 *    "body":"...","id":"<transcript entry>","ts":<unix s it was written>,"session":"12",
 *    "text":"..."}
 *
 * ("session" and "text" are "sid" and "body" under their names before the one vocabulary:
 * deprecated, sent until the REST API's v2.)
 *
 * ext is what the integrator gave when the session was opened; the ingest gives the
 * customer's identity when it gave nothing, so that the receiver always knows whom to
 * answer. A session closed as a sales lead, on the tenant's lead channel (a CRM):
 *
 *   {"type":"lead","channel":"crm","lead":{"sid","session","customer","name","tier","region",
 *    "identities","channel","queue","agent","disposition","tags","closed"},"id":..,"ts":..}
 */
#include <string.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/dprint.h"

#include "ws.h"
#include "signed_post.h"
#include "channels.h"
#include "examples.h"
#include "omniq/omniq_kvparam.h"

static ws_channel_t channels[WS_CHANNELS_MAX];
static int n_channels;

static int valid_name(const str *s)
{
	int i;
	if(s->len < 1 || s->len > OMNIQ_CHANNEL_MAX || s->s[0] < 'a' || s->s[0] > 'z')
		return 0;
	for(i = 1; i < s->len; i++)
		if(!strchr("abcdefghijklmnopqrstuvwxyz0123456789_-", s->s[i]))
			return 0;
	return 1;
}

/* name, url, secret and class of a "channel" modparam into c; 0, or -1 (logged) */
static int channel_of(const char *val, ws_channel_t *c)
{
	static const char *const keys[] = {"name", "url", "secret", "class"};
	str v[4], name, url, secret, cls;

	if(omniq_kv_parse("channel", val, keys, v, 4) < 0)
		return -1;
	name = v[0], url = v[1], secret = v[2], cls = v[3];
	if(name.s == NULL || !valid_name(&name)) {
		LM_ERR("modparam channel: name must match [a-z][a-z0-9_-]{0,31}\n");
		return -1;
	}
	if(url.s == NULL || !omniq_valid_url(&url, WS_URL_MAX)) {
		LM_ERR("modparam channel %.*s: url must be an http:// or https:// URL of at most %d "
			   "bytes without blanks\n", name.len, name.s, WS_URL_MAX);
		return -1;
	}
	if(secret.s == NULL || secret.len < 16 || secret.len > 128) {
		LM_ERR("modparam channel %.*s: secret of 16..128 bytes required (it signs the "
			   "webhook)\n", name.len, name.s);
		return -1;
	}
	{
		char w[96];
		snprintf(w, sizeof(w), "channel %.*s", name.len, name.s);
		ws_example_note(w, secret.s, secret.len);
	}
	if(cls.s == NULL || (cls.len == 4 && !strncmp(cls.s, "chat", 4)))
		c->cls = OMNIQ_CLASS_CHAT;
	else if(cls.len == 5 && !strncmp(cls.s, "email", 5))
		c->cls = OMNIQ_CLASS_EMAIL;
	else {
		LM_ERR("modparam channel %.*s: class must be chat or email (calls are SIP's)\n",
				name.len, name.s);
		return -1;
	}
	if(ws_channel_find(name.s, name.len)) {
		LM_ERR("modparam channel %.*s: configured twice\n", name.len, name.s);
		return -1;
	}
	snprintf(c->name, sizeof(c->name), "%.*s", name.len, name.s);
	snprintf(c->url, sizeof(c->url), "%.*s", url.len, url.s);
	snprintf(c->secret, sizeof(c->secret), "%.*s", secret.len, secret.s);
	return 0;
}

int ws_channel_param(modparam_t type, void *val)
{
	if(n_channels == WS_CHANNELS_MAX) {
		LM_ERR("modparam channel: more than %d channels\n", WS_CHANNELS_MAX);
		return -1;
	}
	if(channel_of((const char *)val, &channels[n_channels]) < 0)
		return -1;
	n_channels++;
	return 0;
}

const ws_channel_t *ws_channel_find(const char *name, size_t len)
{
	int i;
	for(i = 0; i < n_channels; i++)
		if(strlen(channels[i].name) == len && !memcmp(channels[i].name, name, len))
			return &channels[i];
	return NULL;
}

/* ---- the sender: one process per channel ---------------------------------------- */

static CURL *curl; /* the sender process's own */

static int sender_init(void *param)
{
	if((curl = ws_post_handle()) == NULL) {
		LM_ERR("channel %s: cannot initialise libcurl\n", ((const ws_channel_t *)param)->name);
		return -1;
	}
	return 0;
}

/* One agent's reply to the channel's webhook; or a notice of no session (a staff alert, a
 * service-level notification: type "notice", "to" the address it was queued for). */
static void send_reply(const omniq_outbound_t *m, omniq_send_result_t *res, void *param)
{
	const ws_channel_t *c = param;
	char did[32];
	ws_post_t p;
	json_t *v;
	char *body;

	snprintf(did, sizeof(did), "%.*s", m->did.len, m->did.s);
	if(m->sid.len == 0 && m->type.len == 4 && !memcmp(m->type.s, "lead", 4)) {
		/* a session closed as a sales lead (lua/76_disposition.lua): its record as JSON */
		json_t *lead = json_loadb(m->body.s, (size_t)m->body.len, 0, NULL);
		if(lead == NULL) {
			res->outcome = OMNIQ_FAILED;
			snprintf(res->reason, sizeof(res->reason), "the lead is not JSON");
			return;
		}
		v = json_pack("{s:s,s:s,s:o,s:s,s:I}", "type", "lead", "channel", c->name, "lead", lead,
				"id", did, "ts", (json_int_t)time(NULL));
	} else if(m->sid.len == 0)
		v = json_pack("{s:s,s:s,s:s%,s:s%,s:s%,s:s%,s:s,s:I}", "type", "notice", "channel",
				c->name, "to", m->ext.s, (size_t)m->ext.len, "from", m->from.s,
				(size_t)m->from.len, "body", m->body.s, (size_t)m->body.len, "text", m->body.s,
				(size_t)m->body.len, "id", did, "ts", (json_int_t)time(NULL));
	else /* when the agent wrote it: the transcript entry's milliseconds, the same on a retry */
		v = json_pack("{s:s,s:s,s:s%,s:s%,s:s%,s:s%,s:s%,s:I,s:s%,s:s%}", "type", "message",
				"channel", c->name, "sid", m->sid.s, (size_t)m->sid.len, "ext", m->ext.s,
				(size_t)m->ext.len, "from", m->from.s, (size_t)m->from.len, "body", m->body.s,
				(size_t)m->body.len, "id", m->tx.s, (size_t)m->tx.len, "ts",
				(json_int_t)(strtoll(m->tx.s, NULL, 10) / 1000), "session", m->sid.s,
				(size_t)m->sid.len, "text", m->body.s, (size_t)m->body.len);
	body = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if(body == NULL) {
		res->outcome = OMNIQ_RETRY;
		snprintf(res->reason, sizeof(res->reason), "out of memory for the webhook's body");
		return;
	}
	memset(&p, 0, sizeof(p));
	p.url = c->url;
	p.secret = c->secret;
	p.kind = "webhook";
	p.delivery = did;
	p.channel = c->name;
	ws_oq.tenant_at(m->tenant, &p.tenant, NULL);
	p.body = body;
	p.len = strlen(body);
	ws_post_outcome(curl, &p, "the webhook", res);
	free(body);
}

int ws_channels_register(void)
{
	omniq_driver_t d;
	omniq_sender_t s;
	int i;

	for(i = 0; i < n_channels; i++) {
		memset(&d, 0, sizeof(d));
		d.channel = omniq_str(channels[i].name);
		d.cls = channels[i].cls;
		d.caps = OMNIQ_CAP_TEXT;
		d.param = &channels[i];
		d.owner = "modparam(\"omniq_ws\", \"channel\")";
		if(ws_oq.register_driver(&d) < 0)
			return -1;
		memset(&s, 0, sizeof(s));
		s.channel = d.channel;
		s.init = sender_init;
		s.send = send_reply;
		s.param = &channels[i];
		ws_post_sender_settings(&s);
		if(ws_oq.register_sender(&s) < 0)
			return -1;
		LM_INFO("channel %s: replies to %s\n", channels[i].name, channels[i].url);
	}
	return 0;
}
