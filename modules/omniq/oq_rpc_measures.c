/*
 * oq_rpc_measures.c - measured service: surveys at the end (lua/77_survey.lua; docs/admin.md,
 * "Surveys at the end"): api.survey_answer, a form's answer (the web chat's, the app's), the
 * tenants' survey keys, kamcmd omniq.survey_set, omniq.survey_del, omniq.surveys and
 * omniq.survey_answer; what dispositions mean (lua/76_disposition.lua): kamcmd
 * omniq.disposition_set, omniq.disposition_del, omniq.dispositions, omniq.lead_channel; and
 * the figures they feed, kamcmd omniq.report (lua/76_report.lua).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/dprint.h"
#include "core/ut.h"

#include "oq_core.h"
#include "oq_rpc.h"
#include "oq_archive.h"

int oq_survey_keys(void)
{
	unsigned char rnd[32];
	char hex[2 * sizeof(rnd) + 1];
	str a;
	int i, t, rc = OMNIQ_OK;
	redisReply *r;

	for(t = 0; t < oq_tenant_count() && rc == OMNIQ_OK; t++) {
		if(RAND_bytes(rnd, sizeof(rnd)) != 1) {
			LM_ERR("no random bytes for a survey key\n");
			rc = OMNIQ_EINTERNAL;
			break;
		}
		for(i = 0; i < (int)sizeof(rnd); i++)
			sprintf(hex + 2 * i, "%02x", rnd[i]);
		a.s = hex;
		a.len = 2 * (int)sizeof(rnd);
		oq_tenant_use_index(t);
		if((r = oq_call("oq_survey_key", 1, &a, &rc)) == NULL) {
			LM_ERR("the survey key of a tenant cannot be kept in Redis: %s\n", oq_last_error());
			break;
		}
		if(r->type != REDIS_REPLY_INTEGER)
			rc = oq_bad_reply("oq_survey_key", r, "1 or 0");
		freeReplyObject(r);
	}
	oq_tenant_use_index(0);
	return rc < 0 ? rc : OMNIQ_OK;
}

int oq_survey_answer(const str *sid, const str *token, int csat, int nps, const str *comment,
		char *thanks, int size)
{
	char cb[8], nb[8];
	redisReply *r;
	str a[5];
	int rc, n = 4;

	if(sid == NULL || sid->len < 1)
		return oq_bad_arg("session", "missing");
	a[0] = *sid;
	a[1].s = cb;
	a[1].len = csat < 0 ? 0 : snprintf(cb, sizeof(cb), "%d", csat);
	a[2].s = nb;
	a[2].len = nps < 0 ? 0 : snprintf(nb, sizeof(nb), "%d", nps);
	a[3] = comment && comment->s ? *comment : (str)STR_NULL;
	if(a[3].s == NULL)
		a[3].s = "";
	if(token && token->s && token->len > 0)
		a[n++] = *token;
	if((r = oq_call("oq_survey_answer", n, a, &rc)) == NULL)
		return rc;
	if(r->type != REDIS_REPLY_STRING) {
		rc = oq_bad_reply("oq_survey_answer", r, "the thanks to show");
		freeReplyObject(r);
		return rc;
	}
	if(thanks && size > 0)
		snprintf(thanks, (size_t)size, "%s", r->str);
	freeReplyObject(r);
	return OMNIQ_OK;
}

int oq_survey_voice(const str *sid, int can, int *kind, char *why, int size)
{
	static const struct {
		const char *name;
		int bits;
	} kinds[] = {{"csat", OMNIQ_SURVEY_CSAT}, {"nps", OMNIQ_SURVEY_NPS},
			{"both", OMNIQ_SURVEY_CSAT | OMNIQ_SURVEY_NPS}};
	char cb[4];
	str a[2];
	redisReply *r;
	int rc, i;

	if(kind)
		*kind = 0;
	if(sid == NULL || sid->len < 1)
		return oq_bad_arg("session", "missing");
	if(can < 1 || can > (OMNIQ_SURVEY_CSAT | OMNIQ_SURVEY_NPS))
		return oq_bad_arg("can", "not a set of OMNIQ_SURVEY_* bits");
	a[0] = *sid;
	a[1].s = cb;
	a[1].len = snprintf(cb, sizeof(cb), "%d", can);
	if((r = oq_call("oq_survey_voice", 2, a, &rc)) == NULL)
		return rc;
	if(r->type != REDIS_REPLY_ARRAY || r->elements != 2
			|| r->element[0]->type != REDIS_REPLY_STRING
			|| r->element[1]->type != REDIS_REPLY_STRING) {
		rc = oq_bad_reply("oq_survey_voice", r, "[kind, why]");
		freeReplyObject(r);
		return rc;
	}
	rc = OMNIQ_ESTATE;
	for(i = 0; r->element[0]->len > 0 && i < (int)(sizeof(kinds) / sizeof(kinds[0])); i++)
		if(strcmp(r->element[0]->str, kinds[i].name) == 0) {
			rc = OMNIQ_OK;
			if(kind)
				*kind = kinds[i].bits;
		}
	if(rc != OMNIQ_OK && r->element[0]->len > 0) {
		rc = oq_bad_reply("oq_survey_voice", r, "a kind of csat, nps or both");
		freeReplyObject(r);
		return rc;
	}
	if(why && size > 0)
		snprintf(why, (size_t)size, "%s", r->element[1]->str);
	freeReplyObject(r);
	return rc;
}

static const char *rpc_survey_set_doc[] = {
		"Make or change a queue's survey ('*': every queue without its own): queue field "
		"value [field value ...]; fields kind (csat, nps, both), window (s), ask, ask_nps, "
		"thanks, sms (a call's gateway), link (the mail link's web address), voice (1: a "
		"call is asked on the call as its agent hangs up)",
		0};
static void rpc_survey_set(rpc_t *rpc, void *c)
{
	oq_rpc_named_set(rpc, c, "oq_survey_set", 8); /* SV.FIELDS (lua/77_survey.lua) */
}

static const char *rpc_survey_del_doc[] = {"Remove a queue's survey: queue", 0};
static void rpc_survey_del(rpc_t *rpc, void *c)
{
	oq_rpc_delete(rpc, c, "oq_survey_del", "survey");
}

static const char *rpc_surveys_doc[] = {"The tenant's surveys, by queue", 0};
static void rpc_surveys(rpc_t *rpc, void *c)
{
	oq_rpc_list(rpc, c, "oq_survey_list", 0, NULL);
}

/* "-" (not given: -1), or lo..hi in *out; -1 when it is neither */
static int score_arg(const str *v, int lo, int hi, int *out)
{
	unsigned int n;

	*out = -1;
	if(v->len == 1 && v->s[0] == '-')
		return 0;
	if(v->len < 1 || v->len > 2 || str2int((str *)v, &n) < 0 || (int)n < lo || (int)n > hi)
		return -1;
	*out = (int)n;
	return 0;
}

static const char *rpc_survey_answer_doc[] = {
		"A customer's answer to a session's survey, as a form gives it: sid csat nps "
		"[comment] (csat 1-5, nps 0-10, - for a score not given): the thanks to show",
		0};
static void rpc_survey_answer(rpc_t *rpc, void *c)
{
	str sid, cs, ns, comment = STR_NULL;
	char thanks[1100];
	int csat, nps, rc;

	if(rpc->scan(c, ".S.S.S", &sid, &cs, &ns) < 3)
		return;
	oq_rpc_opt(rpc, c, &comment);
	if(score_arg(&cs, 1, 5, &csat) < 0) {
		rpc->fault(c, 400, "csat must be 1..5 or -");
		return;
	}
	if(score_arg(&ns, 0, 10, &nps) < 0) {
		rpc->fault(c, 400, "nps must be 0..10 or -");
		return;
	}
	if((rc = oq_survey_answer(&sid, NULL, csat, nps, &comment, thanks, sizeof(thanks))) < 0) {
		oq_rpc_fail(rpc, c, rc);
		return;
	}
	rpc->rpl_printf(c, "%s", thanks);
}

static const char *rpc_report_doc[] = {
		"The service's figures by interval: from_ms to_ms [step [by]] (step 15m, 1h or 1d; "
		"by tenant, queue, channel, agent or tag)",
		0};
/* The index of w among the first words of pairs[0..n-1], or -1 */
static int word_of(const str *w, const char *const pairs[][2], int n)
{
	int i;

	for(i = 0; i < n; i++)
		if(w->len == (int)strlen(pairs[i][0]) && !memcmp(w->s, pairs[i][0], w->len))
			return i;
	return -1;
}

/* omniq.report from_ms to_ms [15m|1h|1d [tenant|queue|channel|agent|tag]] */
static void rpc_report(rpc_t *rpc, void *c)
{
	static const char *const steps[][2] = {
			{"15m", "900000"}, {"1h", "3600000"}, {"1d", "86400000"}};
	static const char *const bys[][2] = {{"tenant", "*"}, {"queue", "q"}, {"channel", "c"},
			{"agent", "a"}, {"tag", "g"}};
	str a[4], w = STR_NULL;
	redisReply *r;
	int i, rc;

	if(rpc->scan(c, ".S.S", &a[0], &a[1]) < 2)
		return;
	a[2] = omniq_str("3600000");
	a[3] = omniq_str("*");
	if(oq_rpc_opt(rpc, c, &w)) {
		if((i = word_of(&w, steps, 3)) < 0) {
			rpc->fault(c, 400, "step must be 15m, 1h or 1d");
			return;
		}
		a[2] = omniq_str((char *)steps[i][1]);
		if(oq_rpc_opt(rpc, c, &w)) {
			if((i = word_of(&w, bys, 5)) < 0) {
				rpc->fault(c, 400, "by must be tenant, queue, channel, agent or tag");
				return;
			}
			a[3] = omniq_str((char *)bys[i][1]);
		}
	}
	r = oq_report_call(4, a, &rc); /* the SQL archive's too, for what Redis let go */
	oq_rpc_list_reply(rpc, c, "oq_report", r, rc);
}

static const char *rpc_disposition_set_doc[] = {
		"What a disposition means: name flags [tags] (flags: resolved, complaint, lead, "
		"comma-separated, or - for none; tags comma-separated)",
		0};
static void rpc_disposition_set(rpc_t *rpc, void *c)
{
	str a[3] = {STR_NULL, STR_NULL, STR_NULL};

	if(rpc->scan(c, ".S.S", &a[0], &a[1]) < 2)
		return;
	oq_rpc_opt(rpc, c, &a[2]);
	oq_rpc_dash(&a[1]);
	oq_rpc_dash(&a[2]);
	oq_rpc_done(rpc, c, oq_call_checked("oq_disposition_set", 3, a, OQ_R_OK));
}

static const char *rpc_disposition_del_doc[] = {
		"The tenant's meaning of a disposition removed (a seed means what it did at first): "
		"name",
		0};
static void rpc_disposition_del(rpc_t *rpc, void *c)
{
	oq_rpc_delete(rpc, c, "oq_disposition_del", "disposition");
}

static const char *rpc_dispositions_doc[] = {
		"The dispositions and what each means (the seeds and the tenant's), and the lead "
		"channel",
		0};
static void rpc_dispositions(rpc_t *rpc, void *c)
{
	oq_rpc_list(rpc, c, "oq_disposition_list", 0, NULL);
}

static const char *rpc_lead_channel_doc[] = {
		"Where sessions closed as leads are forwarded: channel (an integrator's webhook "
		"channel), or - for nowhere",
		0};
static void rpc_lead_channel(rpc_t *rpc, void *c)
{
	str ch;

	if(rpc->scan(c, ".S", &ch) < 1)
		return;
	oq_rpc_dash(&ch);
	oq_rpc_done(rpc, c, oq_call_checked("oq_lead_channel", 1, &ch, OQ_R_OK));
}

/* clang-format off */
static rpc_export_t rpc_measures_cmds[] = {
	{"omniq.survey_set", rpc_survey_set, rpc_survey_set_doc, 0},
	{"omniq.survey_del", rpc_survey_del, rpc_survey_del_doc, 0},
	{"omniq.surveys", rpc_surveys, rpc_surveys_doc, 0},
	{"omniq.survey_answer", rpc_survey_answer, rpc_survey_answer_doc, 0},
	{"omniq.report", rpc_report, rpc_report_doc, 0},
	{"omniq.disposition_set", rpc_disposition_set, rpc_disposition_set_doc, 0},
	{"omniq.disposition_del", rpc_disposition_del, rpc_disposition_del_doc, 0},
	{"omniq.dispositions", rpc_dispositions, rpc_dispositions_doc, 0},
	{"omniq.lead_channel", rpc_lead_channel, rpc_lead_channel_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */

int oq_rpc_measures_register(void)
{
	if(rpc_register_array(rpc_measures_cmds) != 0) {
		LM_ERR("cannot register the surveys' and reports' RPC commands\n");
		return -1;
	}
	return 0;
}
