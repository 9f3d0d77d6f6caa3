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
#include "core/parser/parse_param.h"

#include "ws.h"
#include "outbox.h"
#include "channels.h"

static ws_channel_t channels[WS_CHANNELS_MAX];
static int n_channels;

static int valid_name(const str *s)
{
	int i;
	if(s->len < 1 || s->len > 32 || s->s[0] < 'a' || s->s[0] > 'z')
		return 0;
	for(i = 1; i < s->len; i++)
		if(!strchr("abcdefghijklmnopqrstuvwxyz0123456789_-", s->s[i]))
			return 0;
	return 1;
}

static int valid_url(const str *s)
{
	int i;
	if(s->len > WS_URL_MAX
			|| !((s->len > 7 && !strncmp(s->s, "http://", 7))
					|| (s->len > 8 && !strncmp(s->s, "https://", 8))))
		return 0;
	for(i = 0; i < s->len; i++)
		if((unsigned char)s->s[i] <= ' ' || (unsigned char)s->s[i] >= 0x7f)
			return 0;
	return 1;
}

/* name, url, secret and class from the parsed list into c; 0, or -1 (logged) */
static int channel_of(param_t *list, ws_channel_t *c)
{
	str name = STR_NULL, url = STR_NULL, secret = STR_NULL, cls = STR_NULL;
	param_t *p;

	for(p = list; p; p = p->next) {
		str *v = NULL;
		if(p->name.len == 4 && !strncmp(p->name.s, "name", 4))
			v = &name;
		else if(p->name.len == 3 && !strncmp(p->name.s, "url", 3))
			v = &url;
		else if(p->name.len == 6 && !strncmp(p->name.s, "secret", 6))
			v = &secret;
		else if(p->name.len == 5 && !strncmp(p->name.s, "class", 5))
			v = &cls;
		if(v == NULL || v->s != NULL) {
			LM_ERR("modparam channel: %s '%.*s' (the keys are name, url, secret, class)\n",
					v ? "repeated key" : "unknown key", p->name.len, p->name.s);
			return -1;
		}
		*v = p->body;
	}
	if(name.s == NULL || !valid_name(&name)) {
		LM_ERR("modparam channel: name must match [a-z][a-z0-9_-]{0,31}\n");
		return -1;
	}
	if(url.s == NULL || !valid_url(&url)) {
		LM_ERR("modparam channel %.*s: url must be an http:// or https:// URL of at most %d "
			   "bytes without blanks\n", name.len, name.s, WS_URL_MAX);
		return -1;
	}
	if(secret.s == NULL || secret.len < 16 || secret.len > 128) {
		LM_ERR("modparam channel %.*s: secret of 16..128 bytes required (it signs the "
			   "webhook)\n", name.len, name.s);
		return -1;
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
	str s = omniq_str((const char *)val);
	param_hooks_t hooks;
	param_t *list = NULL;
	int rc;

	if(n_channels == WS_CHANNELS_MAX) {
		LM_ERR("modparam channel: more than %d channels\n", WS_CHANNELS_MAX);
		return -1;
	}
	/* parse_params stops at the end of s; a trailing ';' is tolerated */
	if(s.len && s.s[s.len - 1] == ';')
		s.len--;
	if(parse_params(&s, CLASS_ANY, &hooks, &list) < 0 || s.len != 0) {
		LM_ERR("modparam channel: cannot parse '%s' (name=..;url=..;secret=..)\n",
				(const char *)val);
		free_params(list);
		return -1;
	}
	rc = channel_of(list, &channels[n_channels]);
	free_params(list);
	if(rc < 0)
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
