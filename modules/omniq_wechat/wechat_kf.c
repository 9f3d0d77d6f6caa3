/*
 * wechat_kf.c - see wechat_kf.h.
 *
 * A customer is wechat:<corpid>:<external_userid>; their session's ext
 * kf:<corpid>:<open_kfid>:<external_userid> is where the agent's replies go (kf/send_msg).
 * Only the customers' messages (origin 3) are stored: WeCom's system events (origin 4) and
 * the servicers' own messages sent from WeCom (origin 5) are not the customer speaking.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/dprint.h"

#include "wechat_kf.h"
#include "wechat_media.h"
#include "wechat_api.h"
#include "wechat_stats.h"
#include "wechat_message.h"
#include "wechat_token.h"

#define LEASE_MS 60000
#define CURSOR_MAX 256

static omniq_api_t *oq;
static char body[WX_BODY_MAX + 1];

void wx_kf_init(omniq_api_t *api)
{
	oq = api;
}

static const char *field(json_t *o, const char *path1, const char *path2)
{
	json_t *v = json_object_get(o, path1);

	if(path2)
		v = json_is_object(v) ? json_object_get(v, path2) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* what the agent reads of one msg_list item (the parts composed raw, then made safe and
 * cut once) */
static void text_of(json_t *m, const char *type)
{
	static char raw[2 * WX_BODY_MAX];
	char prefix[64];
	const char *v;

	if(!strcmp(type, "text")) {
		wx_body_text(body, NULL, field(m, "text", "content"));
	} else if(!strcmp(type, "image") || !strcmp(type, "voice") || !strcmp(type, "video")
			  || !strcmp(type, "file")) {
		snprintf(prefix, sizeof(prefix), "[%s] ", type);
		wx_body_text(body, prefix, field(m, type, "media_id"));
	} else if(!strcmp(type, "location")) {
		json_t *l = json_object_get(m, "location");
		v = field(m, "location", "name");
		snprintf(raw, sizeof(raw), "%s (%.6f, %.6f)", v ? v : "",
				json_number_value(json_object_get(l, "latitude")),
				json_number_value(json_object_get(l, "longitude")));
		wx_body_text(body, "[location] ", raw);
	} else if(!strcmp(type, "link")) {
		const char *url = field(m, "link", "url");
		v = field(m, "link", "title");
		snprintf(raw, sizeof(raw), "%s %s", v ? v : "", url ? url : "");
		wx_body_text(body, "[link] ", raw);
	} else {
		snprintf(prefix, sizeof(prefix), "[%.40s]", type);
		wx_body_text(body, prefix, NULL);
	}
	if(body[0] == '\0')
		wx_body_text(body, "[empty message]", NULL);
}

/* one customer's message stored: 0, or <0 (not stored: the fetch is retried) */
static int store(const wx_conf_t *a, const char *open_kfid, json_t *m, char *why, size_t wsize)
{
	const char *user = field(m, "external_userid", NULL), *id = field(m, "msgid", NULL);
	const char *type = field(m, "msgtype", NULL);
	char ident[WX_ID_MAX * 2 + 16], ext[WX_ID_MAX * 4], cid[OMNIQ_CID_MAX + 1];
	char link[OMNIQ_ID_MAX + OMNIQ_MEDIA_KEY + 16];
	const char *media;
	omniq_inbound_t in;
	int rc;

	if(!user || !id || !type || !*user || !*id || strlen(user) > WX_ID_MAX
			|| strlen(id) > OMNIQ_CID_MAX - 3) {
		LM_WARN("account %s: a kf message without external_userid, msgid or msgtype (or "
				"too long) skipped\n",
				a->name);
		return 0;
	}
	snprintf(ident, sizeof(ident), "wechat:%s:%s", a->appid, user);
	snprintf(ext, sizeof(ext), "kf:%s:%s:%s", a->appid, open_kfid, user);
	snprintf(cid, sizeof(cid), "kf:%s", id);
	text_of(m, type);
	if((media = field(m, type, "media_id")) != NULL && *media
			&& wx_media_link(a, media, link, sizeof(link)) == 0
			&& strlen(body) + strlen(link) <= WX_BODY_MAX)
		strcat(body, link);
	memset(&in, 0, sizeof(in));
	in.channel = wx_channel;
	in.identity = omniq_str(ident);
	in.skills = omniq_str((char *)a->skills);
	in.queue = omniq_str((char *)a->queue);
	in.priority = a->priority;
	in.ext = omniq_str(ext);
	in.body = omniq_str(body);
	in.cid = omniq_str(cid);
	if((rc = oq->ingest(&in, NULL, NULL, 0)) < 0)
		snprintf(why, wsize, "a WeCom message not stored: %s", oq->last_error());
	if(rc == 1)
		wx_stat_inc(WX_ST_DUPLICATES);
	else if(rc >= 0)
		wx_stat_inc(WX_ST_TAKEN);
	return rc < 0 ? rc : 0;
}

/* one page from cursor: 1 more to fetch, 0 done, -1 with why (-2: WeChat refused it) */
static int page(const wx_conf_t *a, const char *open_kfid, const str *token, char *cursor,
		char *why, size_t wsize)
{
	wx_answer_t ans;
	json_t *req, *list, *m, *next, *more;
	char *rq;
	size_t i;
	int rc;

	req = json_pack("{s:s,s:i}", "open_kfid", open_kfid, "limit", 1000);
	if(req && *cursor)
		json_object_set_new(req, "cursor", json_string(cursor));
	if(req && token->len > 0 && !(token->len == 1 && token->s[0] == '-'))
		json_object_set_new(req, "token", json_stringn(token->s, (size_t)token->len));
	rq = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if(rq == NULL) {
		snprintf(why, wsize, "out of memory building kf/sync_msg");
		return -1;
	}
	rc = wx_call_with_token(a, 0, "/cgi-bin/kf/sync_msg", rq, NULL, &ans);
	free(rq);
	if(rc < 0 || ans.errcode != 0) {
		snprintf(why, wsize, "kf/sync_msg: %s", ans.why);
		json_decref(ans.json);
		return rc < 0 ? -1 : -2;
	}
	list = json_object_get(ans.json, "msg_list");
	next = json_object_get(ans.json, "next_cursor");
	more = json_object_get(ans.json, "has_more");
	if(!json_is_array(list) || !json_is_string(next) || json_string_length(next) >= CURSOR_MAX) {
		snprintf(why, wsize, "kf/sync_msg answered without msg_list or next_cursor");
		json_decref(ans.json);
		return -1;
	}
	json_array_foreach(list, i, m)
	{
		json_t *origin = json_object_get(m, "origin");
		if(json_is_integer(origin) && json_integer_value(origin) == 3
				&& store(a, open_kfid, m, why, wsize) < 0) {
			json_decref(ans.json);
			return -1;
		}
	}
	/* everything of the page stored: the cursor may move past it */
	if(json_string_length(next) > 0)
		memcpy(cursor, json_string_value(next), json_string_length(next) + 1);
	rc = json_is_integer(more) && json_integer_value(more) ? 1 : 0;
	json_decref(ans.json);
	return rc;
}

void wx_kf_sync(const wx_conf_t *a, const char *open_kfid, const str *token,
		omniq_send_result_t *res)
{
	char cname[WX_ID_MAX * 2 + 16], lname[WX_ID_MAX * 2 + 16], owner[96];
	char cursor[CURSOR_MAX], saved[CURSOR_MAX];
	static const str no_token = {"", 0};
	str cn, ln, ow, cv;
	long long left = 0;
	int rc, pages;

	snprintf(cname, sizeof(cname), "cursor:%s:%s", a->appid, open_kfid);
	snprintf(lname, sizeof(lname), "sync:%s:%s", a->appid, open_kfid);
	wx_holder(owner, sizeof(owner));
	cn = omniq_str(cname);
	ln = omniq_str(lname);
	ow = omniq_str(owner);
	rc = oq->chan_lease(&wx_channel, &ln, &ow, LEASE_MS, &left);
	if(rc != OMNIQ_OK) {
		res->outcome = OMNIQ_RETRY;
		res->retry_after_ms = rc == 1 && left > 0 && left < LEASE_MS ? (int)left : 1000;
		snprintf(res->reason, sizeof(res->reason), "%s",
				rc == 1 ? "another node fetches this account's messages"
						: oq->last_error());
		return;
	}
	rc = oq->chan_get(&wx_channel, &cn, cursor, sizeof(cursor), NULL);
	if(rc < 0 && rc != OMNIQ_ENOTFOUND) {
		res->outcome = OMNIQ_RETRY;
		snprintf(res->reason, sizeof(res->reason), "%s", oq->last_error());
		oq->chan_lease(&wx_channel, &ln, &ow, 0, NULL);
		return;
	}
	if(rc == OMNIQ_ENOTFOUND)
		cursor[0] = '\0';
	res->outcome = OMNIQ_SENT;
	for(pages = 0; pages < WX_KF_PAGES_MAX; pages++) {
		memcpy(saved, cursor, sizeof(saved));
		rc = page(a, open_kfid, token, cursor, res->reason, sizeof(res->reason));
		/* the callback's Token lives 10 minutes: a job retried later fetches without it
		 * (WeCom allows that, at a lower rate) */
		if(rc == -2 && token->len > 0) {
			token = &no_token;
			rc = page(a, open_kfid, token, cursor, res->reason, sizeof(res->reason));
		}
		if(rc >= 0 && strcmp(saved, cursor)) {
			cv = omniq_str(cursor);
			if(oq->chan_set(&wx_channel, &cn, &cv, 0) < 0) {
				snprintf(res->reason, sizeof(res->reason), "the cursor not kept: %s",
						oq->last_error());
				rc = -1;
			}
		}
		if(rc <= 0)
			break;
	}
	/* more than the pages of one job wait: the same job, at once */
	if(rc < 0 || pages == WX_KF_PAGES_MAX) {
		res->outcome = OMNIQ_RETRY;
		if(rc >= 0)
			snprintf(res->reason, sizeof(res->reason), "more messages wait");
		else
			LM_WARN("account %s: fetching %s's messages: %s\n", a->name, open_kfid,
					res->reason);
	}
	oq->chan_lease(&wx_channel, &ln, &ow, 0, NULL);
}

/* the once-marker of a state change across nodes: every node's dispatcher sees the event */
#define ONCE_MS 3600000

void wx_kf_event(const omniq_event_t *ev, void *param)
{
	char once[OMNIQ_CID_MAX + 16], owner[96], to[OMNIQ_TEXT_MAX + 1];
	const char *state = NULL;
	str on, ow, t, body;

	if(ev->ext.len < 4 || memcmp(ev->ext.s, "kf:", 3) || ev->ext.len > OMNIQ_TEXT_MAX - 3)
		return;
	if(ev->type.len == 6 && !memcmp(ev->type.s, "accept", 6))
		state = "1";
	else if((ev->state.len == 6 && !memcmp(ev->state.s, "closed", 6))
			|| (ev->state.len == 9 && !memcmp(ev->state.s, "abandoned", 9))
			|| (ev->state.len == 7 && !memcmp(ev->state.s, "expired", 7)))
		state = "4";
	if(state == NULL || ev->sid.len > OMNIQ_CID_MAX)
		return;
	snprintf(once, sizeof(once), "state:%.*s:%s", ev->sid.len, ev->sid.s, state);
	wx_holder(owner, sizeof(owner));
	on = omniq_str(once);
	ow = omniq_str(owner);
	if(oq->chan_lease(&wx_channel, &on, &ow, ONCE_MS, NULL) != OMNIQ_OK)
		return; /* another node's (or Redis is down: the session's state stays WeCom's) */
	snprintf(to, sizeof(to), "state:%.*s", ev->ext.len - 3, ev->ext.s + 3);
	t = omniq_str(to);
	body = omniq_str((char *)state);
	if(oq->outbound_add(&wx_channel, &t, NULL, &body, NULL, NULL, 0) < 0)
		LM_WARN("session %.*s: WeCom not told of service state %s: %s\n", ev->sid.len,
				ev->sid.s, state, oq->last_error());
}

void wx_kf_state(const wx_conf_t *a, const char *open_kfid, const char *user,
		const str *state, omniq_send_result_t *res)
{
	wx_answer_t ans;
	json_t *req;
	char *rq;
	int rc, n = state->len == 1 && (state->s[0] == '1' || state->s[0] == '4') ? state->s[0] - '0'
																			  : -1;

	if(n < 0) {
		res->outcome = OMNIQ_FAILED;
		snprintf(res->reason, sizeof(res->reason), "no service state: '%.*s'",
				state->len < 16 ? state->len : 16, state->s);
		return;
	}
	req = json_pack("{s:s,s:s,s:i}", "open_kfid", open_kfid, "external_userid", user,
			"service_state", n);
	rq = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if(rq == NULL) {
		res->outcome = OMNIQ_RETRY;
		snprintf(res->reason, sizeof(res->reason), "out of memory");
		return;
	}
	rc = wx_call_with_token(a, 0, "/cgi-bin/kf/service_state/trans", rq, NULL, &ans);
	free(rq);
	if(rc < 0 || ans.errcode == -1) {
		res->outcome = OMNIQ_RETRY;
	} else if(ans.errcode == 0) {
		res->outcome = OMNIQ_SENT;
	} else {
		/* e.g. 95016, a transition WeCom does not allow: the customer's conversation ended
		 * on WeCom's side first. Nothing to retry. */
		res->outcome = OMNIQ_FAILED;
	}
	snprintf(res->reason, sizeof(res->reason), "%s", ans.why);
	json_decref(ans.json);
}
