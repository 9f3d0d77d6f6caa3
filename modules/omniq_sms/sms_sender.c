/*
 * sms_sender.c - see sms_sender.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/dprint.h"
#include "core/mem/shm_mem.h"
#include "core/parser/msg_parser.h"
#include "modules/tm/tm_load.h"

#include "omniq/omniq_clock.h"
#include "omniq/omniq_http_client.h"
#include "omniq/omniq_urlenc.h"

#include "sms_gateway.h"
#include "sms_inbound.h"
#include "sms_kannel.h"
#include "sms_number.h"
#include "sms_sender.h"
#include "sms_stats.h"
#include "sms_text.h"

#define TWILIO_BODY_MAX 1600 /* characters (UTF-16 units) Twilio takes in one Body */

static omniq_api_t *oq;
static sms_sender_cfg_t *cfg;
static struct tm_binds tmb;
static int have_tm;
static CURL *curl;
static long long last_sent_ms[SMS_GATEWAYS_MAX];

static void outcome(omniq_send_result_t *res, omniq_send_outcome_t o, int retry_ms,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void outcome(omniq_send_result_t *res, omniq_send_outcome_t o, int retry_ms,
		const char *fmt, ...)
{
	va_list ap;

	res->outcome = o;
	res->retry_after_ms = retry_ms;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	if(o == OMNIQ_SENT || o == OMNIQ_FAILED)
		sms_stat_sent(o == OMNIQ_SENT);
}

/* ---- SIP MESSAGE through tm ---- */

/* The verdict of one MESSAGE, shared by the sender (which waits for it) and the SIP
 * worker that gets the final reply (tm's callback). state: 0 waiting, 1 answered, 2 the
 * sender stopped waiting (the callback frees it then). */
typedef struct sip_wait {
	volatile int state;
	int code;
	char reason[128];
} sip_wait_t;

static void sip_done(struct cell *t, int type, struct tmcb_params *ps)
{
	sip_wait_t *w = *ps->param;
	int n = 0;

	if(w == NULL)
		return;
	*ps->param = NULL;
	w->code = ps->code;
	if(ps->rpl && ps->rpl != FAKED_REPLY)
		n = ps->rpl->first_line.u.reply.reason.len;
	if(n > (int)sizeof(w->reason) - 1)
		n = (int)sizeof(w->reason) - 1;
	if(n > 0)
		memcpy(w->reason, ps->rpl->first_line.u.reply.reason.s, n);
	else if(ps->code == 408)
		n = snprintf(w->reason, sizeof(w->reason), "no answer from the gateway");
	w->reason[n < 0 ? 0 : n] = '\0';
	__sync_synchronize();
	if(!__sync_bool_compare_and_swap(&w->state, 0, 1))
		shm_free(w); /* the sender gave up on it */
}

static void send_sip(const sms_gw_t *gw, const omniq_outbound_t *m, const char *number,
		omniq_send_result_t *res)
{
	char ruri[SMS_URL_MAX + 64], to[SMS_URL_MAX + 72], from[SMS_URL_MAX + 72];
	char callid[96], *host;
	str s_ruri, s_to, s_from, s_cid, s_body, method = str_init("MESSAGE");
	str hdrs = str_init("Content-Type: text/plain;charset=UTF-8\r\n");
	uac_req_t uac;
	sip_wait_t *w;
	long long until;
	int code;

	if(!have_tm) {
		outcome(res, OMNIQ_FAILED, 0, "tm is not loaded: a sip gateway cannot send");
		return;
	}
	/* sip:host[:port][;params] -> sip:<number>@host... */
	host = strchr(gw->uri, ':') + 1;
	if(strchr(host, '@'))
		host = strchr(host, '@') + 1;
	snprintf(ruri, sizeof(ruri), "%.*s:%s@%s", (int)(strchr(gw->uri, ':') - gw->uri), gw->uri,
			number, host);
	snprintf(to, sizeof(to), "<%s>", ruri);
	snprintf(from, sizeof(from), "<sip:%s@%s>", gw->from[0] ? gw->from : "omniq", host);
	snprintf(callid, sizeof(callid), "%.*s-%d@omniq-sms", m->did.len, m->did.s, m->attempt);
	if((w = shm_malloc(sizeof(*w))) == NULL) {
		outcome(res, OMNIQ_RETRY, 0, "no shared memory to send the MESSAGE");
		return;
	}
	memset(w, 0, sizeof(*w));
	s_ruri = omniq_str(ruri);
	s_to = omniq_str(to);
	s_from = omniq_str(from);
	s_cid = omniq_str(callid);
	s_body = m->body;
	set_uac_req(&uac, &method, &hdrs, &s_body, NULL, TMCB_LOCAL_COMPLETED, sip_done, w);
	uac.callid = &s_cid;
	if(tmb.t_request(&uac, &s_ruri, &s_to, &s_from, NULL) < 0) {
		shm_free(w);
		outcome(res, OMNIQ_RETRY, 0, "the MESSAGE to %s could not be sent", ruri);
		return;
	}
	until = omniq_mono_ms() + cfg->sip_wait_ms;
	while(w->state == 0 && omniq_mono_ms() < until)
		usleep(10000);
	if(w->state == 0 && __sync_bool_compare_and_swap(&w->state, 0, 2)) {
		outcome(res, OMNIQ_RETRY, 0, "no final answer from %s within %d ms", gw->uri,
				cfg->sip_wait_ms);
		return;
	}
	__sync_synchronize();
	code = w->code;
	if(code >= 200 && code < 300)
		outcome(res, OMNIQ_SENT, 0, "%d %s", code, w->reason);
	else if(code == 408 || code == 480 || (code >= 500 && code < 600))
		outcome(res, OMNIQ_RETRY, 0, "the gateway answered %d %s", code, w->reason);
	else
		outcome(res, OMNIQ_FAILED, 0, "the gateway answered %d %s", code, w->reason);
	shm_free(w);
}

/* ---- Kannel sendsms ---- */

static void send_kannel(const sms_gw_t *gw, const omniq_outbound_t *m, const char *number,
		const sms_plan_t *plan, omniq_send_result_t *res)
{
	static char query[4 * OMNIQ_BODY_MAX], url[4 * OMNIQ_BODY_MAX + SMS_URL_MAX + 8];
	char dlr[SMS_URL_MAX * 2], did[64], base[SMS_URL_MAX + 64], why[SMS_WHY_MAX];
	char text[OMNIQ_BODY_MAX + 1];
	sms_kannel_send_t s;
	omniq_http_answer_t a;

	snprintf(did, sizeof(did), "%.*s", m->did.len, m->did.s);
	snprintf(base, sizeof(base), "%s/hooks/sms/%s/dlr", gw->public, gw->name);
	if(sms_kannel_dlr_url(base, gw->secret, did, dlr, sizeof(dlr), why) < 0) {
		outcome(res, OMNIQ_FAILED, 0, "no dlr-url: %s", why);
		return;
	}
	snprintf(text, sizeof(text), "%.*s", m->body.len, m->body.s);
	memset(&s, 0, sizeof(s));
	s.username = gw->username;
	s.password = gw->password;
	s.from = gw->from;
	s.to = number;
	s.text = text;
	s.text_len = strlen(text);
	s.coding = plan->coding == SMS_GSM7 ? 0 : 2;
	s.smsc = gw->smsc;
	s.dlr_mask = sms_kannel_dlr_mask(gw->intermediate);
	s.dlr_url = dlr;
	if(sms_kannel_sendsms(&s, query, sizeof(query), why) < 0) {
		outcome(res, OMNIQ_FAILED, 0, "cannot build the sendsms request: %s", why);
		return;
	}
	snprintf(url, sizeof(url), "%s%s%s", gw->sendsms, strchr(gw->sendsms, '?') ? "&" : "?",
			query);
	if(omniq_http_call(curl, url, NULL, NULL, 0, NULL, &a) < 0) {
		outcome(res, OMNIQ_RETRY, 0, "Kannel did not answer: %s", a.why);
		return;
	}
	/* "0: Accepted for delivery" (202), "3: Queued for later delivery" (202) */
	if((a.status == 202 || a.status == 200) && a.body && (a.body[0] == '0' || a.body[0] == '3')) {
		snprintf(res->provider_id, sizeof(res->provider_id), "%s", did);
		outcome(res, OMNIQ_SENT, 0, "Kannel: %.200s", a.body);
	} else if(a.status == 503 || a.status >= 500 || a.status == 429) {
		outcome(res, OMNIQ_RETRY, (int)a.retry_after_s * 1000, "Kannel answered %ld: %.200s",
				a.status, a.body ? a.body : "");
	} else {
		outcome(res, OMNIQ_FAILED, 0, "Kannel answered %ld: %.200s", a.status,
				a.body ? a.body : "");
	}
	omniq_http_answer_free(&a);
}

/* ---- Twilio-compatible Messages API ---- */

static int form_add(char *out, size_t size, size_t *len, const char *name, const char *v,
		size_t vlen)
{
	int n = snprintf(out + *len, size - *len, "%s%s=", *len ? "&" : "", name);

	if(n < 0 || (size_t)n >= size - *len)
		return -1;
	*len += (size_t)n;
	if((n = omniq_url_encode(v, vlen, out + *len, size - *len)) < 0)
		return -1;
	*len += (size_t)n;
	return 0;
}

static void send_twilio(const sms_gw_t *gw, const omniq_outbound_t *m, const char *number,
		const sms_plan_t *plan, omniq_send_result_t *res)
{
	static char body[3 * OMNIQ_BODY_MAX + 4096];
	static const char *const hdrs[] = {
			"Content-Type: application/x-www-form-urlencoded; charset=utf-8", NULL};
	char url[SMS_URL_MAX + 128], status_url[SMS_URL_MAX + 64], auth[256];
	omniq_http_answer_t a;
	json_t *j = NULL, *v;
	size_t len = 0;

	if(plan->units > TWILIO_BODY_MAX) {
		outcome(res, OMNIQ_FAILED, 0, "longer than the %d characters the provider takes",
				TWILIO_BODY_MAX);
		return;
	}
	snprintf(url, sizeof(url), "%s/2010-04-01/Accounts/%s/Messages.json", gw->api, gw->account);
	snprintf(status_url, sizeof(status_url), "%s/hooks/sms/%s/status", gw->public, gw->name);
	snprintf(auth, sizeof(auth), "%s:%s", gw->account, gw->token);
	if(form_add(body, sizeof(body), &len, "To", number, strlen(number)) < 0
			|| form_add(body, sizeof(body), &len, "From", gw->from, strlen(gw->from)) < 0
			|| form_add(body, sizeof(body), &len, "Body", m->body.s, (size_t)m->body.len) < 0
			|| form_add(body, sizeof(body), &len, "StatusCallback", status_url,
					   strlen(status_url))
					   < 0) {
		outcome(res, OMNIQ_FAILED, 0, "the request does not fit %zu bytes", sizeof(body));
		return;
	}
	if(omniq_http_call(curl, url, hdrs, body, len, auth, &a) < 0) {
		outcome(res, OMNIQ_RETRY, 0, "the provider did not answer: %s", a.why);
		return;
	}
	if(a.body)
		j = json_loadb(a.body, a.len, 0, NULL);
	if(a.status == 201 || a.status == 200) {
		v = json_object_get(j, "sid");
		if(!json_is_string(v)) {
			outcome(res, OMNIQ_RETRY, 0, "the provider answered %ld without a message sid",
					a.status);
		} else {
			snprintf(res->provider_id, sizeof(res->provider_id), "%s", json_string_value(v));
			outcome(res, OMNIQ_SENT, 0, "%s", "");
		}
	} else if(a.status == 429 || a.status >= 500) {
		outcome(res, OMNIQ_RETRY, (int)a.retry_after_s * 1000, "the provider answered %ld%s%s",
				a.status, json_is_string(json_object_get(j, "message")) ? ": " : "",
				json_is_string(json_object_get(j, "message"))
						? json_string_value(json_object_get(j, "message"))
						: "");
	} else {
		v = json_object_get(j, "message");
		outcome(res, OMNIQ_FAILED, 0, "the provider answered %ld, error %lld: %.200s", a.status,
				json_is_integer(json_object_get(j, "code"))
						? (long long)json_integer_value(json_object_get(j, "code"))
						: 0LL,
				json_is_string(v) ? json_string_value(v) : (a.body ? a.body : ""));
	}
	json_decref(j);
	omniq_http_answer_free(&a);
}

/* ---- every message ---- */

static int opted_out(const char *number, char *since, int size)
{
	char key[SMS_NUMBER_MAX + 1], name[64];
	str n;

	sms_number_key(number, key, sizeof(key));
	snprintf(name, sizeof(name), "optout:%s", key);
	n = omniq_str(name);
	return oq->chan_get(&sms_channel, &n, since, size, NULL) == OMNIQ_OK;
}

/* replies from one gateway at most gw->rate a second on this node */
static void pace(int i, const sms_gw_t *gw)
{
	long long gap = 1000 / gw->rate, now = omniq_mono_ms();

	if(last_sent_ms[i] && now < last_sent_ms[i] + gap)
		usleep((useconds_t)((last_sent_ms[i] + gap - now) * 1000));
	last_sent_ms[i] = omniq_mono_ms();
}

static void sms_send(const omniq_outbound_t *m, omniq_send_result_t *res, void *param)
{
	char ext[OMNIQ_TEXT_MAX + 1], text[OMNIQ_BODY_MAX + 1], since[32], *colon;
	const sms_gw_t *gw;
	sms_plan_t plan;
	str gn;
	int i;

	if(m->type.len && !(m->type.len == 4 && !memcmp(m->type.s, "text", 4))) {
		outcome(res, OMNIQ_FAILED, 0, "SMS carries text only: the %.*s was not sent",
				m->type.len, m->type.s);
		return;
	}
	snprintf(ext, sizeof(ext), "%.*s", m->ext.len, m->ext.s);
	if((colon = strchr(ext, ':')) == NULL || colon[1] == '\0') {
		outcome(res, OMNIQ_FAILED, 0, "no number to send to (the session's ext is '%s')", ext);
		return;
	}
	gn.s = ext;
	gn.len = (int)(colon - ext);
	for(i = 0; (gw = sms_gw_at(i)) != NULL; i++)
		if(gn.len == (int)strlen(gw->name) && !memcmp(gn.s, gw->name, gn.len))
			break;
	if(gw == NULL) {
		outcome(res, OMNIQ_FAILED, 0, "gateway %.*s is not configured on this node", gn.len,
				gn.s);
		return;
	}
	if(opted_out(colon + 1, since, sizeof(since))) {
		outcome(res, OMNIQ_FAILED, 0,
				"the customer opted out of SMS (STOP): nothing goes to them by SMS until they "
				"send START");
		return;
	}
	snprintf(text, sizeof(text), "%.*s", m->body.len, m->body.s);
	if(sms_parts(text, &plan) < 0) {
		outcome(res, OMNIQ_FAILED, 0, "%s", plan.parts > SMS_PARTS_MAX
						? "longer than the 255 parts an SMS may have"
						: "an empty or ill-formed text");
		return;
	}
	pace(i, gw);
	switch(gw->type) {
		case SMS_GW_SIP:
			send_sip(gw, m, colon + 1, res);
			break;
		case SMS_GW_KANNEL:
			send_kannel(gw, m, colon + 1, &plan, res);
			break;
		case SMS_GW_TWILIO:
			send_twilio(gw, m, colon + 1, &plan, res);
			break;
	}
	if(res->outcome != OMNIQ_SENT)
		LM_NOTICE("sms %.*s to %s via %s (attempt %d): %s\n", m->did.len, m->did.s, colon + 1,
				gw->name, m->attempt, res->reason);
}

static int sender_init(void *param)
{
	if((curl = omniq_http_handle(cfg->timeout_ms)) == NULL) {
		LM_ERR("libcurl cannot start: no SMS can be sent through Kannel or Twilio\n");
		return -1;
	}
	return 0;
}

int sms_sender_register(omniq_api_t *api, sms_sender_cfg_t *c)
{
	oq = api;
	cfg = c;
	for(int i = 0; i < sms_gw_count(); i++)
		if(sms_gw_at(i)->type == SMS_GW_SIP && !have_tm) {
			if(load_tm_api(&tmb) < 0) {
				LM_ERR("gateway %s is a sip one: load tm.so before omniq_sms.so\n",
						sms_gw_at(i)->name);
				return -1;
			}
			have_tm = 1;
		}
	return omniq_register_sender(oq, &sms_channel, sender_init, sms_send, cfg->attempts,
			cfg->backoff_ms, cfg->timeout_ms + cfg->sip_wait_ms + 60000);
}
