/*
 * wechat_sender.c - see wechat_sender.h.
 *
 * WeChat's verdicts, as the agent sees them:
 *   0                       sent (a template message's msgid is its id for the report)
 *   45015                   failed: the customer has not written for 48 hours, after which
 *                           WeChat takes no customer-service message; another channel of
 *                           theirs may reach them
 *   40001, 42001, 40014     the access token was refused or expired: a new one, and the
 *                           same request once more
 *   -1, 45009, 45011        WeChat busy or rate-limited: later (45009 after a minute)
 *   no answer, HTTP errors  later
 *   any other errcode       failed, in WeChat's words
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/dprint.h"

#include "wechat_sender.h"
#include "wechat_account.h"
#include "wechat_api.h"
#include "wechat_stats.h"
#include "wechat_kf.h"
#include "wechat_media.h"
#include "wechat_token.h"

static omniq_api_t *oq;
static wx_sender_cfg_t *cfg;

/* an address "kind:a:b[:c]" split in place into parts: how many, or -1 */
static int split(const str *addr, char *buf, size_t size, char **part, int max)
{
	int n = 0;
	char *p, *colon;

	if(addr->len < 1 || (size_t)addr->len >= size || memchr(addr->s, '\0', addr->len))
		return -1;
	memcpy(buf, addr->s, addr->len);
	buf[addr->len] = '\0';
	for(p = buf; n < max; p = colon + 1) {
		part[n++] = p;
		if((colon = strchr(p, ':')) == NULL)
			break;
		if(n == max)
			return -1;
		*colon = '\0';
	}
	for(int i = 0; i < n; i++)
		if(*part[i] == '\0')
			return -1;
	return n;
}

static void result(omniq_send_result_t *res, omniq_send_outcome_t o, int retry_ms,
		const char *fmt, const char *arg)
{
	res->outcome = o;
	res->retry_after_ms = retry_ms;
	snprintf(res->reason, sizeof(res->reason), fmt, arg);
	if(o == OMNIQ_FAILED)
		wx_stat_inc(WX_ST_SEND_FAILED);
}

/* the verdict of an answer (ans->errcode) as res */
static void verdict(const wx_answer_t *ans, int called, omniq_send_result_t *res)
{
	if(called < 0) {
		result(res, OMNIQ_RETRY, 0, "%s", ans->why);
		return;
	}
	switch(ans->errcode) {
		case 0:
			res->outcome = OMNIQ_SENT;
			wx_stat_inc(WX_ST_SENT);
			return;
		case 45015:
			result(res, OMNIQ_FAILED, 0,
					"%s: the customer has not written for 48 hours, and WeChat takes no "
					"reply after that: reach them on another channel",
					ans->why);
			return;
		case 45047:
			result(res, OMNIQ_FAILED, 0,
					"%s: too many replies since the customer's last message (WeChat allows 20)",
					ans->why);
			return;
		case 43004:
		case 43019:
			result(res, OMNIQ_FAILED, 0, "%s: the customer does not follow the account", ans->why);
			return;
		case 45009:
			result(res, OMNIQ_RETRY, 60000, "%s", ans->why);
			return;
		case -1:
		case 45011:
			result(res, OMNIQ_RETRY, 0, "%s", ans->why);
			return;
		default:
			result(res, wx_token_refused(ans->errcode) ? OMNIQ_RETRY : OMNIQ_FAILED, 0, "%s",
					ans->why);
	}
}

/* one message of an address's kind: its JSON, or NULL when the kind is unknown */
static json_t *message_json(const char *kind, char **part, const wx_conf_t *a, const str *body)
{
	json_t *text = json_pack("{s:s%}", "content", body->s, (size_t)body->len);

	if(!strcmp(kind, "oa"))
		return json_pack("{s:s,s:s,s:o}", "touser", part[2], "msgtype", "text", "text", text);
	if(!strcmp(kind, "kf"))
		return json_pack("{s:s,s:s,s:s,s:o}", "touser", part[3], "open_kfid", part[2],
				"msgtype", "text", "text", text);
	if(!strcmp(kind, "app"))
		return json_pack("{s:s,s:s,s:i,s:o}", "touser", part[2], "msgtype", "text", "agentid",
				a->agentid, "text", text);
	if(!strcmp(kind, "tpl")) {
		json_decref(text);
		return json_pack("{s:s,s:s,s:{s:{s:s%}}}", "touser", part[2], "template_id",
				a->template_id, "data", a->template_field, "value", body->s, (size_t)body->len);
	}
	json_decref(text);
	return NULL;
}

/* A file an agent sends (m->type image or voice, m->body its /media/<tenant>/<key>):
 * uploaded to WeChat (media/upload, a temporary file) and the message naming its media_id
 * into *out; NULL with res set when it cannot be. */
static void media_json(const omniq_outbound_t *m, char **part, const wx_conf_t *a,
		omniq_send_result_t *res, json_t **out)
{
	char path[64], type[8], name[32];
	omniq_media_t f;
	wx_opts_t up = {0};
	wx_answer_t ans;
	json_t *id;
	str key;
	int rc;

	*out = NULL;
	snprintf(type, sizeof(type), "%.*s", m->type.len, m->type.s);
	if(strcmp(type, "image") && strcmp(type, "voice")) {
		result(res, OMNIQ_FAILED, 0,
				"WeChat replies carry text, photos and voice messages: a %s is not sent", type);
		return;
	}
	if(strcmp(part[0], "oa") && strcmp(part[0], "kf")) {
		result(res, OMNIQ_FAILED, 0, "%s", "a staff alert is text only");
		return;
	}
	if(m->body.len < OMNIQ_MEDIA_KEY) {
		result(res, OMNIQ_FAILED, 0, "%s", "no file named by the reply");
		return;
	}
	key.s = m->body.s + m->body.len - OMNIQ_MEDIA_KEY;
	key.len = OMNIQ_MEDIA_KEY;
	if((rc = oq->media_open(&key, &f)) < 0 || f.state != OMNIQ_MEDIA_READY) {
		if(rc == OMNIQ_EREDIS)
			result(res, OMNIQ_RETRY, 0, "%s", oq->last_error());
		else
			result(res, OMNIQ_FAILED, 0, "%s", "the file is no longer kept (3 days)");
		oq->media_free(&f);
		return;
	}
	snprintf(path, sizeof(path), "/cgi-bin/media/upload?type=%s", type);
	snprintf(name, sizeof(name), "%s.%s", type,
			!strcmp(f.type, "image/png") ? "png" : !strcmp(f.type, "image/gif") ? "gif"
					: !strcmp(type, "voice") ? "amr" : "jpg");
	up.up_data = f.data;
	up.up_len = f.len;
	up.up_type = f.type;
	up.up_name = name;
	rc = wx_call_with_token(a, 0, path, NULL, &up, &ans);
	oq->media_free(&f);
	id = ans.json ? json_object_get(ans.json, "media_id") : NULL;
	if(rc < 0 || ans.errcode != 0 || !json_is_string(id)) {
		verdict(&ans, rc < 0 ? rc : (ans.errcode == 0 ? -1 : 0), res);
		if(rc == 0 && ans.errcode == 0)
			result(res, OMNIQ_RETRY, 0, "%s", "WeChat's upload answer has no media_id");
		json_decref(ans.json);
		return;
	}
	if(!strcmp(part[0], "oa"))
		*out = json_pack("{s:s,s:s,s:{s:s}}", "touser", part[2], "msgtype", type, type,
				"media_id", json_string_value(id));
	else
		*out = json_pack("{s:s,s:s,s:s,s:{s:s}}", "touser", part[3], "open_kfid", part[2],
				"msgtype", type, type, "media_id", json_string_value(id));
	json_decref(ans.json);
	if(*out == NULL)
		result(res, OMNIQ_RETRY, 0, "%s", "out of memory building the request");
}

static const char *path_of(const char *kind)
{
	return !strcmp(kind, "oa")	  ? "/cgi-bin/message/custom/send"
		   : !strcmp(kind, "kf")  ? "/cgi-bin/kf/send_msg"
		   : !strcmp(kind, "app") ? "/cgi-bin/message/send"
								  : "/cgi-bin/message/template/send";
}

static void send_one(const omniq_outbound_t *m, omniq_send_result_t *res, void *param)
{
	char buf[OMNIQ_TEXT_MAX + 1], *part[4], *body;
	const wx_conf_t *a;
	wx_answer_t ans;
	json_t *j, *id;
	str appid;
	int n, rc;

	n = split(&m->ext, buf, sizeof(buf), part, 4);
	if(n == 2 && !strcmp(part[0], "media")) { /* an agent opened a file (wechat_media.h) */
		wx_media_fetch(part[1], &m->body, res);
		return;
	}
	if(n < 3 || !((!strcmp(part[0], "oa") && n == 3) || (!strcmp(part[0], "tpl") && n == 3)
				   || (!strcmp(part[0], "app") && n == 3) || (!strcmp(part[0], "kf") && n == 4)
				   || (!strcmp(part[0], "sync") && n == 3)
				   || (!strcmp(part[0], "state") && n == 4))) {
		result(res, OMNIQ_FAILED, 0, "no WeChat address: '%s' (see docs/admin-wechat.md)",
				m->ext.len < 200 ? buf : "(too long)");
		return;
	}
	appid = omniq_str(part[1]);
	if((a = wx_account_by_appid(&appid)) == NULL) {
		result(res, OMNIQ_FAILED, 0, "no WeChat account %s on this node's modparams", part[1]);
		return;
	}
	if(!strcmp(part[0], "sync")) {
		wx_kf_sync(a, part[2], &m->body, res);
		return;
	}
	if(!strcmp(part[0], "state")) {
		wx_kf_state(a, part[2], part[3], &m->body, res);
		return;
	}
	if((!strcmp(part[0], "tpl") && !a->template_id[0])
			|| (!strcmp(part[0], "app") && a->agentid == 0)) {
		result(res, OMNIQ_FAILED, 0, "account %s has no template or agentid for staff alerts",
				a->name);
		return;
	}
	if(m->type.len && !(m->type.len == 4 && !memcmp(m->type.s, "text", 4))) {
		media_json(m, part, a, res, &j);
		if(j == NULL)
			return; /* res says why */
	} else if((j = message_json(part[0], part, a, &m->body)) == NULL) {
		/* jansson takes UTF-8 only: a body that is not (from an RPC) cannot be sent as it is */
		result(res, OMNIQ_FAILED, 0, "%s", "the message is not valid UTF-8 text");
		return;
	}
	if((body = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		result(res, OMNIQ_RETRY, 0, "%s", "out of memory building the request");
		return;
	}
	json_decref(j);
	rc = wx_call_with_token(a, !strcmp(part[0], "app"), path_of(part[0]), body, NULL, &ans);
	free(body);
	verdict(&ans, rc, res);
	if(res->outcome == OMNIQ_RETRY && m->attempt >= cfg->attempts)
		wx_stat_inc(WX_ST_SEND_FAILED); /* the last: omniq fails it now */
	if(res->outcome == OMNIQ_SENT && ans.json) {
		id = json_object_get(ans.json, "msgid");
		if(json_is_integer(id))
			snprintf(res->provider_id, sizeof(res->provider_id), "tpl:%lld",
					(long long)json_integer_value(id));
		else if(json_is_string(id) && json_string_length(id) <= 100)
			snprintf(res->provider_id, sizeof(res->provider_id), "%.8s:%.100s", part[0],
					json_string_value(id));
	}
	json_decref(ans.json);
}

static int sender_init(void *param)
{
	return wx_api_open(cfg->oa_base, cfg->wecom_base, cfg->timeout_ms);
}

int wx_sender_register(omniq_api_t *api, wx_sender_cfg_t *c)
{
	omniq_driver_t d;

	oq = api;
	cfg = c;
	wx_token_init(api);
	wx_kf_init(api);
	wx_media_init(api);
	memset(&d, 0, sizeof(d));
	d.channel = wx_channel;
	d.cls = OMNIQ_CLASS_CHAT;
	d.caps = OMNIQ_CAP_TEXT;
	d.event = wx_kf_event;
	d.owner = "omniq_wechat";
	if(api->register_driver(&d) < 0) {
		LM_ERR("cannot register the WeChat channel: %s\n", api->last_error());
		return -1;
	}
	/* a lease past a token refresh and two requests, each bounded by the timeout */
	if(omniq_register_sender(api, &wx_channel, sender_init, send_one, c->attempts,
			   c->backoff_ms, 4 * c->timeout_ms + 20000)
			< 0) {
		LM_ERR("cannot register the WeChat sender: %s\n", api->last_error());
		return -1;
	}
	return 0;
}
