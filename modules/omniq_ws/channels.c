/*
 * channels.c - integrators' channels, without C:
 *
 *   modparam("omniq_ws", "channel", "name=line;url=https://hooks.example.com/omniq;secret=<16..128>")
 *   modparam("omniq_ws", "channel", "name=tickets;url=\"https://t.example.com/in?a=1,2\";secret=..;class=email")
 *
 * (Kamailio's parameter syntax: quote a value that holds ';', ',' or blanks.) Each one is a
 * channel driver of the core, class chat unless given. Customers' messages come in through
 * the REST ingest (POST /api/v1/channels/{name}/messages, api.c); an agent's reply, from
 * any process and any path (desk, REST, cfg), is queued in the outbox with kind "webhook"
 * and target the channel, and the sender (outbox.c) POSTs it to url, signed with secret,
 * retried until the receiver takes it. The payload:
 *
 *   {"type":"message","channel":"line","session":"12","ext":"<conversation>",
 *    "from":"<agent>","text":"...","ts":<unix s>}
 *
 * ext is what the integrator gave when the session was opened; the ingest gives the
 * customer's identity when it gave nothing, so that the receiver always knows whom to
 * answer.
 */
#include <string.h>
#include <stdio.h>
#include <time.h>

#include "core/dprint.h"

#include "ws.h"
#include "outbox.h"
#include "channels.h"
#include "examples.h"
#include "kvparam.h"

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

	if(ws_kv_parse("channel", val, keys, v, 4) < 0)
		return -1;
	name = v[0], url = v[1], secret = v[2], cls = v[3];
	if(name.s == NULL || !valid_name(&name)) {
		LM_ERR("modparam channel: name must match [a-z][a-z0-9_-]{0,31}\n");
		return -1;
	}
	if(url.s == NULL || !ws_valid_url(&url, WS_URL_MAX)) {
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

int ws_channels_count(void)
{
	return n_channels;
}

/* The channel driver: an agent's reply goes to the outbox, for the webhook. */
static int deliver(const str *sid, const str *ext, const str *from, const str *body,
		void *param)
{
	const ws_channel_t *c = param;
	str target = omniq_str(c->name);
	json_t *p;

	p = json_pack("{s:s,s:s,s:s%,s:s%,s:s%,s:s%,s:I}", "type", "message", "channel", c->name,
			"session", sid->s, (size_t)sid->len, "ext", ext ? ext->s : "",
			(size_t)(ext ? ext->len : 0), "from", from ? from->s : "",
			(size_t)(from ? from->len : 0), "text", body->s, (size_t)body->len, "ts",
			(json_int_t)time(NULL));
	return ws_outbox_queue("webhook", &target, NULL, p, sid);
}

int ws_channels_register(void)
{
	omniq_driver_t d;
	int i;

	for(i = 0; i < n_channels; i++) {
		memset(&d, 0, sizeof(d));
		d.channel = omniq_str(channels[i].name);
		d.cls = channels[i].cls;
		d.caps = OMNIQ_CAP_TEXT;
		d.deliver = deliver;
		d.param = &channels[i];
		if(ws_oq.register_driver(&d) < 0)
			return -1;
		LM_INFO("channel %s: replies to %s\n", channels[i].name, channels[i].url);
	}
	return 0;
}
