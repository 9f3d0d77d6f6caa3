/*
 * wechat_inbound.c - see wechat_inbound.h.
 *
 * A message is stored with api.ingest: the customer wechat:<appid>:<openid>, its session's
 * ext oa:<appid>:<openid> (where the sender sends the agent's replies), and the cid that
 * makes WeChat's retries of one callback (up to three, inside its 5-second deadline, from
 * any of its servers to any of our nodes) one message. A subscribe links the customer to
 * wechat:union:<unionid> when WeChat gives the UnionID, so one person following several of
 * the company's accounts is one customer. A template message's TEMPLATESENDJOBFINISH is the
 * delivery report of a staff alert.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/dprint.h"

#include "omniq/omniq_clock.h"

#include "wechat_inbound.h"
#include "wechat_media.h"
#include "wechat_stats.h"
#include "wechat_message.h"

static omniq_api_t *oq;
static wx_xml_t msg;             /* large: one per process, the handler runs in one thread */
static wx_inbound_t in;

/* Refusals are counted, and logged at most once per interval with their number: a flood
 * of forged callbacks is a few lines, not one per request. */
#define REFUSAL_LOG_MS 10000
static long long refused_logged_at;
static int refused_since;

static void answer(omniq_http_resp_t *rs, int status, const char *code, const char *message)
{
	json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
	size_t n = j ? json_dumpb(j, rs->body, (size_t)rs->size, JSON_COMPACT) : 0;

	json_decref(j);
	rs->status = status;
	snprintf(rs->type, sizeof(rs->type), "application/json");
	rs->len = n <= (size_t)rs->size ? (int)n : 0;
}

static void refuse(const omniq_http_req_t *rq, omniq_http_resp_t *rs, const wx_conf_t *a,
		int status, const char *why)
{
	long long now = omniq_mono_ms();

	wx_stat_inc(WX_ST_REFUSED);
	refused_since++;
	if(refused_logged_at == 0 || now - refused_logged_at >= REFUSAL_LOG_MS) {
		LM_NOTICE("account %s: %d callback(s) refused in the last %d s; this one from %.*s: "
				  "%d %s\n",
				a->name, refused_since, REFUSAL_LOG_MS / 1000, rq->peer.len, rq->peer.s, status,
				why);
		refused_logged_at = now;
		refused_since = 0;
	}
	answer(rs, status, status == 403 ? "forbidden" : "bad_request", why);
}

static void failed(omniq_http_resp_t *rs, const wx_conf_t *a, int rc, const char *what)
{
	const char *err = oq->last_error();

	wx_stat_inc(WX_ST_FAILED);
	LM_ERR("account %s: %s not stored, WeChat will retry: %s\n", a->name, what, err);
	answer(rs, omniq_http_status(rc) == 503 ? 503 : 500, "not_stored", err);
}

static void success(omniq_http_resp_t *rs)
{
	rs->status = 200;
	snprintf(rs->type, sizeof(rs->type), "text/plain; charset=utf-8");
	rs->len = snprintf(rs->body, (size_t)rs->size, "success");
}

/* the query argument name, or NULL when absent (buf holds it) */
static const char *arg(const omniq_http_req_t *rq, const char *name, char *buf, int size)
{
	return rq->arg(rq, name, buf, size) >= 0 ? buf : NULL;
}

/* the query parameters WeChat signs and sends, read into b; a parameter too long for its
 * buffer is taken as absent (and so refused) */
typedef struct query_buf {
	char sig[64], msig[64], ts[32], nonce[64], etype[16], echostr[1024];
} query_buf_t;

static void read_query(const omniq_http_req_t *rq, query_buf_t *b, wx_query_t *q)
{
	memset(q, 0, sizeof(*q));
	q->signature = arg(rq, "signature", b->sig, sizeof(b->sig));
	q->msg_signature = arg(rq, "msg_signature", b->msig, sizeof(b->msig));
	q->timestamp = arg(rq, "timestamp", b->ts, sizeof(b->ts));
	q->nonce = arg(rq, "nonce", b->nonce, sizeof(b->nonce));
	q->encrypt_type = arg(rq, "encrypt_type", b->etype, sizeof(b->etype));
	q->echostr = arg(rq, "echostr", b->echostr, sizeof(b->echostr));
}

static int store_message(const wx_conf_t *a, omniq_http_resp_t *rs, const char *ident,
		const char *ext)
{
	omniq_inbound_t m;
	omniq_session_info_t s;
	char link[OMNIQ_ID_MAX + OMNIQ_MEDIA_KEY + 16];
	int rc;

	memset(&m, 0, sizeof(m));
	m.channel = wx_channel;
	m.identity = omniq_str((char *)ident);
	m.skills = omniq_str((char *)a->skills);
	m.queue = omniq_str((char *)a->queue);
	m.priority = a->priority;
	m.ext = omniq_str((char *)ext);
	/* a photo, voice message or video: a link the agent opens it by (wechat_media.h) */
	if(in.media_id && *in.media_id
			&& wx_media_link(a, in.media_id, link, sizeof(link)) == 0
			&& in.body_len + strlen(link) <= WX_BODY_MAX) {
		memcpy(in.body + in.body_len, link, strlen(link) + 1);
		in.body_len += strlen(link);
	}
	m.body.s = in.body;
	m.body.len = (int)in.body_len;
	m.cid = omniq_str(in.cid);
	rc = oq->ingest(&m, &s, NULL, 0);
	if(rc < 0)
		return rc;
	if(rc == 1)
		wx_stat_inc(WX_ST_DUPLICATES);
	return 0;
}

/* a subscribe: the customer exists from now on, and is one across the company's accounts
 * when WeChat gives the UnionID */
static int link_customer(const char *ident)
{
	char uid[160];
	str a = omniq_str((char *)ident), b = a;

	if(in.unionid) {
		if(snprintf(uid, sizeof(uid), "wechat:union:%s", in.unionid) >= (int)sizeof(uid))
			return OMNIQ_EARG;
		b = omniq_str(uid);
	}
	return oq->link(&a, &b, NULL, 0);
}

static int template_report(void)
{
	char pid[48];
	str id, state, reason;
	int ok = in.report_status && !strcmp(in.report_status, "success");

	snprintf(pid, sizeof(pid), "tpl:%s", in.report_msgid);
	id = omniq_str(pid);
	state = omniq_str(ok ? "delivered" : "failed");
	reason = omniq_str((char *)(in.report_status ? in.report_status : "no status"));
	return oq->delivery_report(&wx_channel, &id, &state, ok ? NULL : &reason);
}

/* a WeCom customer-service callback only says that messages wait: the sender's process
 * fetches them (kf/sync_msg) - a network call the web loop must not make */
static int kf_wake(const wx_conf_t *a)
{
	char to[WX_ID_MAX * 2 + 8];
	str t, body;

	if(!a->cb.wecom || !in.kf_open_kfid || !*in.kf_open_kfid
			|| strlen(in.kf_open_kfid) > WX_ID_MAX || strchr(in.kf_open_kfid, ':')) {
		return OMNIQ_EARG; /* refused below, with this module's reason */
	}
	snprintf(to, sizeof(to), "sync:%s:%s", a->appid, in.kf_open_kfid);
	t = omniq_str(to);
	body = omniq_str((char *)(in.kf_token && *in.kf_token ? in.kf_token : "-"));
	return oq->outbound_add(&wx_channel, &t, NULL, &body, NULL, NULL, 0);
}

static int post(const omniq_http_req_t *rq, omniq_http_resp_t *rs, wx_conf_t *a)
{
	char why[WX_WHY_MAX], ident[WX_ID_MAX * 2 + 16], ext[WX_ID_MAX * 2 + 16];
	query_buf_t b;
	wx_query_t q;
	int status, enc, rc;

	read_query(rq, &b, &q);
	status = wx_open_callback(&a->cb, &q, rq->body.s, (size_t)rq->body.len,
			omniq_wall_ms() / 1000, &msg, &enc, why);
	if(status != 200) {
		refuse(rq, rs, a, status, why);
		return 0;
	}
	if(wx_message(&msg, &in, why) < 0) {
		refuse(rq, rs, a, 400, why);
		return 0;
	}
	/* a WeCom corp's own members writing to its application (an internal helpdesk) are
	 * answered as application messages; an Official Account's followers by custom/send */
	if(strlen(in.openid) > WX_ID_MAX || strchr(in.openid, ':')) {
		refuse(rq, rs, a, 400, "FromUserName too long or with ':'");
		return 0;
	}
	snprintf(ident, sizeof(ident), "wechat:%s:%s", a->appid, in.openid);
	snprintf(ext, sizeof(ext), "%s:%s:%s", a->cb.wecom ? "app" : "oa", a->appid, in.openid);
	if(a->tenant[0] && (rc = oq->tenant_use(omniq_cstr(a->tenant))) < 0) {
		failed(rs, a, OMNIQ_EINTERNAL, "a callback (its tenant is not served here)");
		return 0;
	}
	switch(in.kind) {
		case WX_MESSAGE:
			rc = *in.openid ? store_message(a, rs, ident, ext) : OMNIQ_EARG;
			if(rc == 0 && in.unionid)
				rc = link_customer(ident);
			break;
		case WX_CUSTOMER:
			rc = in.event && !strcasecmp(in.event, "subscribe") ? link_customer(ident) : 0;
			break;
		case WX_REPORT:
			rc = template_report();
			if(rc == OMNIQ_ENOTFOUND)
				rc = 0; /* an alert sent by something else than omniq: nothing to move */
			break;
		case WX_KF_WAKE:
			if((rc = kf_wake(a)) == OMNIQ_EARG) {
				refuse(rq, rs, a, 400,
						a->cb.wecom ? "kf_msg_or_event without a usable OpenKfId"
									: "a WeCom customer-service event to an Official Account");
				return 0;
			}
			break;
		default:
			rc = OMNIQ_EINTERNAL;
	}
	if(rc == OMNIQ_EARG) {
		refuse(rq, rs, a, 400, oq->last_error());
		return 0;
	}
	if(rc < 0) {
		failed(rs, a, rc, in.kind == WX_MESSAGE ? "a message" : "an event");
		return 0;
	}
	wx_stat_inc(WX_ST_TAKEN);
	success(rs);
	return 0;
}

static int get(const omniq_http_req_t *rq, omniq_http_resp_t *rs, wx_conf_t *a)
{
	char why[WX_WHY_MAX], echo[1024];
	query_buf_t b;
	wx_query_t q;
	int status;

	read_query(rq, &b, &q);
	status = wx_verify_url(&a->cb, &q, omniq_wall_ms() / 1000, echo, sizeof(echo), why);
	if(status != 200) {
		refuse(rq, rs, a, status, why);
		return 0;
	}
	LM_INFO("account %s: WeChat verified the callback URL (from %.*s)\n", a->name,
			rq->peer.len, rq->peer.s);
	rs->status = 200;
	snprintf(rs->type, sizeof(rs->type), "text/plain; charset=utf-8");
	rs->len = snprintf(rs->body, (size_t)rs->size, "%s", echo);
	return 0;
}

static int handle(const omniq_http_req_t *rq, omniq_http_resp_t *rs, void *param)
{
	wx_conf_t *a = param;

	if(rq->rest.len != 0) {
		answer(rs, 404, "not_found", "no such WeChat account URL");
		return 0;
	}
	if(rq->method.len == 3 && !memcmp(rq->method.s, "GET", 3))
		return get(rq, rs, a);
	if(rq->method.len == 4 && !memcmp(rq->method.s, "POST", 4))
		return post(rq, rs, a);
	answer(rs, 405, "method_not_allowed", "WeChat calls this URL with GET and POST only");
	return 0;
}

int wx_inbound_route(omniq_api_t *api, wx_conf_t *a)
{
	static char paths[WX_ACCOUNTS_MAX][WX_NAME_MAX + 16];
	static int n;
	omniq_http_route_t r;

	oq = api;
	if(n == WX_ACCOUNTS_MAX)
		return -1;
	snprintf(paths[n], sizeof(paths[n]), "/hooks/wechat/%s", a->name);
	memset(&r, 0, sizeof(r));
	r.path = omniq_str(paths[n]);
	r.max_body = WX_XML_MAX;
	r.handle = handle;
	r.param = a;
	if(api->register_http_route(&r) < 0) {
		LM_ERR("account %s: cannot serve %s: %s\n", a->name, paths[n], api->last_error());
		return -1;
	}
	n++;
	return 0;
}
