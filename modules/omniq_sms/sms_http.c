/*
 * sms_http.c - see sms_http.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/dprint.h"

#include "sms_http.h"
#include "sms_charset.h"
#include "sms_inbound.h"
#include "sms_kannel.h"
#include "sms_stats.h"
#include "sms_text.h"
#include "sms_twilio.h"

#define KANNEL_ARGS 10
#define ROUTE_MAX (SMS_NAME_MAX + 16)
#define HOOK_BODY_MAX (256 * 1024) /* a Twilio form with ten media URLs is a few KiB */

static omniq_api_t *oq;
static omniq_http_route_t routes[SMS_GATEWAYS_MAX];
static char paths[SMS_GATEWAYS_MAX][ROUTE_MAX];

/* the answer: a JSON error, counted and logged once per request */
static int fail(omniq_http_resp_t *rs, const sms_gw_t *gw, const omniq_http_req_t *rq,
		int status, const char *code, const char *fmt, ...)
{
	char msg[320];
	json_t *j;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	LM_NOTICE("sms gateway %s: %.*s %.*s from %.*s answered %d: %s\n", gw->name,
			rq->method.len, rq->method.s, rq->path.len, rq->path.s, rq->peer.len, rq->peer.s,
			status, msg);
	if(status >= 500)
		sms_stat_failed();
	else
		sms_stat_refused();
	rs->status = status;
	snprintf(rs->type, sizeof(rs->type), "application/json");
	j = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
	n = j ? json_dumpb(j, rs->body, (size_t)rs->size, JSON_COMPACT) : 0;
	json_decref(j);
	rs->len = n <= (size_t)rs->size ? (int)n : 0;
	return 0;
}

static int ok_text(omniq_http_resp_t *rs, const char *type, const char *text)
{
	rs->status = 200;
	snprintf(rs->type, sizeof(rs->type), "%s", type);
	rs->len = snprintf(rs->body, (size_t)rs->size, "%s", text);
	return 0;
}

static int same_secret(const char *given, const char *want)
{
	size_t n = strlen(want);

	return strlen(given) == n && CRYPTO_memcmp(given, want, n) == 0;
}

/* The request's parameters: a form-encoded POST body, else the URL query (the names
 * given). scratch holds their values. */
static int params(const omniq_http_req_t *rq, const char *const *names, sms_form_t *f,
		char *scratch, size_t size, char *why)
{
	char ct[128];
	size_t used = 0;
	int i, len;

	if(rq->header(rq, "Content-Type", ct, sizeof(ct)) > 0
			&& !strncasecmp(ct, "application/x-www-form-urlencoded", 33))
		return sms_form_parse(rq->body.s, (size_t)rq->body.len, scratch, size, f, why);
	f->n = 0;
	for(i = 0; names[i] && f->n < SMS_FORM_PAIRS; i++) {
		len = rq->arg(rq, names[i], scratch + used, (int)(size - used));
		if(len < 0)
			continue;
		f->p[f->n].name = names[i];
		f->p[f->n].value = scratch + used;
		f->p[f->n].value_len = (size_t)len;
		f->n++;
		used += (size_t)len + 1;
	}
	return 0;
}

/* A provider's delivery report of the message it knows as id, on the gateway's tenant. */
static int report(const omniq_http_req_t *rq, omniq_http_resp_t *rs, const sms_gw_t *gw,
		const char *id, const char *state, const char *reason)
{
	str i = omniq_str(id), st = omniq_str(state), r = omniq_str(reason);
	int rc;

	if(gw->tenant[0] && oq->tenant_use(omniq_cstr(gw->tenant)) < 0)
		return fail(rs, gw, rq, 500, "server_error", "tenant %s is not served here", gw->tenant);
	rc = oq->delivery_report(&sms_channel, &i, &st, &r);
	oq->tenant_use_index(0);
	if(rc == OMNIQ_EREDIS)
		return fail(rs, gw, rq, 503, "unavailable", "not stored now: %s", oq->last_error());
	if(rc < 0)
		return fail(rs, gw, rq, 404, "not_found", "%s", oq->last_error());
	sms_stat_report();
	return ok_text(rs, "text/plain; charset=utf-8", "");
}

/* ---- Kannel ---- */

static const char *const kannel_mo_names[] = {"secret", "from", "to", "text", "time", "smsc",
		"id", "coding", "charset", "udh", NULL};

/* Kannel's post-url: the text is the body, in the charset of its Content-Type, and the UDH
 * and coding come as X-Kannel-UDH (URL-encoded) and X-Kannel-Coding, for what the URL's
 * own placeholders do not give. (The text and the UDH are best not in the URL: a line
 * break in a query ends it for our HTTP server, and a UDH always holds a 0 byte.) */
static int post_url(const omniq_http_req_t *rq, sms_form_t *f, char *why)
{
	static char ctype[128], charset[SMS_CHARSET_MAX + 1], type[64], coding[8];
	static char udh_enc[3 * SMS_KANNEL_UDH_MAX + 8], udh_scratch[sizeof(udh_enc)];
	static sms_form_t u;
	int n;

	if(rq->method.len != 4 || memcmp(rq->method.s, "POST", 4) || sms_form_get(f, "text"))
		return 0;
	if(f->n + 4 > SMS_FORM_PAIRS) {
		snprintf(why, SMS_WHY_MAX, "too many parameters");
		return -1;
	}
	f->p[f->n++] = (sms_pair_t){"text", rq->body.s, (size_t)rq->body.len};
	if(!sms_form_get(f, "charset") && rq->header(rq, "Content-Type", ctype, sizeof(ctype)) > 0
			&& sms_content_type(ctype, strlen(ctype), type, sizeof(type), charset,
					   sizeof(charset))
					   == 0
			&& charset[0])
		f->p[f->n++] = (sms_pair_t){"charset", charset, strlen(charset)};
	if(!sms_form_get(f, "coding")
			&& (n = rq->header(rq, "X-Kannel-Coding", coding, sizeof(coding))) > 0)
		f->p[f->n++] = (sms_pair_t){"coding", coding, (size_t)n};
	if(!sms_form_get(f, "udh")
			&& (n = rq->header(rq, "X-Kannel-UDH", udh_enc + 4, (int)sizeof(udh_enc) - 4)) > 0) {
		memcpy(udh_enc, "udh=", 4);
		if(sms_form_parse(udh_enc, (size_t)n + 4, udh_scratch, sizeof(udh_scratch), &u, why) < 0
				|| u.n != 1)
			return -1;
		f->p[f->n++] = u.p[0];
	}
	return 0;
}

static int kannel_mo(const omniq_http_req_t *rq, omniq_http_resp_t *rs, const sms_gw_t *gw)
{
	static char scratch[3 * SMS_FORM_VALUE_MAX], text[OMNIQ_BODY_MAX + 1];
	static sms_form_t f;
	static sms_kannel_mo_t mo;
	const sms_pair_t *s;
	sms_concat_t cc;
	sms_in_t in;
	char why[SMS_WHY_MAX + 160];
	size_t tlen, udh_len;
	const unsigned char *ud;
	int rc;

	if(params(rq, kannel_mo_names, &f, scratch, sizeof(scratch), why) < 0)
		return fail(rs, gw, rq, 400, "bad_request", "%s", why);
	if((s = sms_form_get(&f, "secret")) == NULL || !same_secret(s->value, gw->secret))
		return fail(rs, gw, rq, 403, "forbidden", "a wrong or missing secret");
	if(post_url(rq, &f, why) < 0)
		return fail(rs, gw, rq, 400, "bad_request", "%s", why);
	if(sms_kannel_mo(f.p, f.n, &mo, why) < 0)
		return fail(rs, gw, rq, 400, "bad_request", "%s", why);
	ud = (const unsigned char *)mo.text;
	memset(&cc, 0, sizeof(cc));
	if(mo.udh_len && sms_udh_concat(mo.udh, mo.udh_len, &cc, &udh_len, why) < 0)
		return fail(rs, gw, rq, 400, "bad_request", "udh: %s", why);
	if(sms_decode(mo.charset && !strcasecmp(mo.charset, "UTF-8") ? SMS_UTF8 : mo.coding, ud,
			   mo.text_len, text, sizeof(text), &tlen, why)
			< 0)
		LM_WARN("sms gateway %s: %s: the text is cut at %zu bytes\n", gw->name, why, tlen);
	memset(&in, 0, sizeof(in));
	in.gw = gw;
	in.from = mo.from;
	in.from_len = strlen(mo.from);
	in.text = text;
	in.len = tlen;
	in.id = mo.id;
	if(cc.total > 1)
		rc = sms_inbound_part(&in, cc.ref, cc.total, cc.seq, why, sizeof(why));
	else
		rc = sms_inbound_store(&in, NULL, 0, why, sizeof(why));
	if(rc == OMNIQ_EARG)
		return fail(rs, gw, rq, 400, "bad_request", "%s", why);
	if(rc < 0)
		return fail(rs, gw, rq, 503, "unavailable", "not stored now: %s", why);
	/* with max-messages = 0 Kannel sends no SMS back for this answer */
	return ok_text(rs, "text/plain; charset=utf-8", "");
}

static const char *const kannel_dlr_names[] = {"id", "sig", "type", "reply", "fid", NULL};

static int kannel_dlr(const omniq_http_req_t *rq, omniq_http_resp_t *rs, const sms_gw_t *gw)
{
	static char scratch[2 * SMS_FORM_VALUE_MAX];
	static sms_form_t f;
	sms_kannel_dlr_t d;
	char why[SMS_WHY_MAX + 160], reason[OMNIQ_REASON_MAX + 1];

	if(params(rq, kannel_dlr_names, &f, scratch, sizeof(scratch), why) < 0)
		return fail(rs, gw, rq, 400, "bad_request", "%s", why);
	if(sms_kannel_dlr(f.p, f.n, gw->secret, &d, why) < 0)
		return fail(rs, gw, rq, strstr(why, "sig") ? 403 : 400,
				strstr(why, "sig") ? "forbidden" : "bad_request", "%s", why);
	snprintf(reason, sizeof(reason), "%s%s%s", d.reply ? d.reply : "",
			d.fid && d.fid[0] ? " (SMSC id " : "", d.fid && d.fid[0] ? d.fid : "");
	if(d.fid && d.fid[0])
		strncat(reason, ")", sizeof(reason) - strlen(reason) - 1);
	return report(rq, rs, gw, d.id, d.state, reason);
}

/* ---- Twilio ---- */

/* the URL the provider signed: our public base and the path it called */
static int signed_url(const sms_gw_t *gw, const omniq_http_req_t *rq, char *url, size_t size)
{
	int n = snprintf(url, size, "%s%.*s", gw->public, rq->path.len, rq->path.s);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int twilio_checked(const omniq_http_req_t *rq, omniq_http_resp_t *rs, const sms_gw_t *gw,
		sms_form_t *f, char *scratch, size_t size)
{
	char why[SMS_WHY_MAX], url[SMS_URL_MAX + 128], sig[64];

	if(rq->method.len != 4 || memcmp(rq->method.s, "POST", 4)) {
		fail(rs, gw, rq, 405, "method_not_allowed", "POST only");
		return -1;
	}
	if(sms_form_parse(rq->body.s, (size_t)rq->body.len, scratch, size, f, why) < 0) {
		fail(rs, gw, rq, 400, "bad_request", "%s", why);
		return -1;
	}
	if(signed_url(gw, rq, url, sizeof(url)) < 0
			|| rq->header(rq, "X-Twilio-Signature", sig, sizeof(sig)) < 0
			|| !sms_twilio_verify(gw->token, url, f, sig)) {
		fail(rs, gw, rq, 403, "forbidden", "a wrong or missing X-Twilio-Signature");
		return -1;
	}
	return 0;
}

#define TWIML_EMPTY "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>"

static int twilio_message(const omniq_http_req_t *rq, omniq_http_resp_t *rs, const sms_gw_t *gw)
{
	static char scratch[HOOK_BODY_MAX + 1], text[OMNIQ_BODY_MAX + 1];
	static sms_form_t f;
	sms_twilio_msg_t m;
	sms_in_t in;
	char why[SMS_WHY_MAX + 160];
	size_t tlen;
	int rc, i, n;

	if(twilio_checked(rq, rs, gw, &f, scratch, sizeof(scratch)) < 0)
		return 0;
	if(sms_twilio_message(&f, &m, why) < 0)
		return fail(rs, gw, rq, 400, "bad_request", "%s", why);
	if(sms_decode(SMS_UTF8, (const unsigned char *)m.body, m.body_len, text, sizeof(text),
			   &tlen, why)
			< 0)
		LM_WARN("sms gateway %s: %s: the text is cut at %zu bytes\n", gw->name, why, tlen);
	/* an MMS: its media listed for the agent, each a link the provider serves */
	for(i = 0; i < m.num_media; i++) {
		n = snprintf(text + tlen, sizeof(text) - tlen, "%s[%s %s]", tlen ? "\n" : "",
				m.media_type[i] ? m.media_type[i] : "attachment", m.media_url[i]);
		if(n < 0 || (size_t)n >= sizeof(text) - tlen)
			break;
		tlen += (size_t)n;
	}
	memset(&in, 0, sizeof(in));
	in.gw = gw;
	in.from = m.from;
	in.from_len = strlen(m.from);
	in.text = text;
	in.len = tlen;
	in.id = m.sid;
	rc = sms_inbound_store(&in, NULL, 0, why, sizeof(why));
	if(rc == OMNIQ_EARG)
		return fail(rs, gw, rq, 400, "bad_request", "%s", why);
	if(rc < 0)
		return fail(rs, gw, rq, 503, "unavailable", "not stored now: %s", why);
	return ok_text(rs, "text/xml", TWIML_EMPTY);
}

static int twilio_status(const omniq_http_req_t *rq, omniq_http_resp_t *rs, const sms_gw_t *gw)
{
	static char scratch[2 * SMS_FORM_VALUE_MAX];
	static sms_form_t f;
	sms_twilio_status_t st;
	char why[SMS_WHY_MAX], reason[OMNIQ_REASON_MAX + 1];

	if(twilio_checked(rq, rs, gw, &f, scratch, sizeof(scratch)) < 0)
		return 0;
	if(sms_twilio_status(&f, &st, why) < 0)
		return fail(rs, gw, rq, 400, "bad_request", "%s", why);
	if(!strcmp(st.state, "ignore"))
		return ok_text(rs, "text/plain; charset=utf-8", "");
	snprintf(reason, sizeof(reason), "%s%s%s", st.status, st.error_code ? ", error " : "",
			st.error_code ? st.error_code : "");
	return report(rq, rs, gw, st.sid, st.state, reason);
}

static int handle(const omniq_http_req_t *rq, omniq_http_resp_t *rs, void *param)
{
	const sms_gw_t *gw = param;
	int dlr = rq->rest.len == 4 && !memcmp(rq->rest.s, "/dlr", 4);
	int status = rq->rest.len == 7 && !memcmp(rq->rest.s, "/status", 7);

	if(gw->type == SMS_GW_KANNEL && rq->rest.len == 0)
		return kannel_mo(rq, rs, gw);
	if(gw->type == SMS_GW_KANNEL && dlr)
		return kannel_dlr(rq, rs, gw);
	if(gw->type == SMS_GW_TWILIO && rq->rest.len == 0)
		return twilio_message(rq, rs, gw);
	if(gw->type == SMS_GW_TWILIO && status)
		return twilio_status(rq, rs, gw);
	return fail(rs, gw, rq, 404, "not_found", "no such path of a %s gateway",
			sms_gw_type_name(gw->type));
}

int sms_http_routes(omniq_api_t *api)
{
	sms_gw_t *g;
	int i;

	oq = api;
	for(i = 0; (g = sms_gw_at(i)) != NULL; i++) {
		if(g->type == SMS_GW_SIP)
			continue;
		snprintf(paths[i], ROUTE_MAX, "/hooks/sms/%s", g->name);
		routes[i].path = omniq_str(paths[i]);
		routes[i].max_body = HOOK_BODY_MAX;
		routes[i].handle = handle;
		routes[i].param = g;
		if(oq->register_http_route(&routes[i]) < 0) {
			LM_ERR("gateway %s: cannot serve %s: %s\n", g->name, paths[i], oq->last_error());
			return -1;
		}
	}
	return 0;
}
