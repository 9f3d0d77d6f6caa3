/*
 * oq_followup.c - follow-ups (callbacks, return visits: lua/79_followup.lua) for the API
 * (api.followup_add, api.followup_done: a desk's requests) and for kamcmd (omniq.followup*,
 * omniq.fu_rule_*). docs/admin.md, "Follow-ups".
 */
#include <stdio.h>
#include <string.h>

#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/dprint.h"

#include "oq_core.h"
#include "oq_followup.h"
#include "oq_rpc.h"

static const str empty = {"", 0};

static str or_empty(const str *s)
{
	return s && s->s ? *s : empty;
}

int oq_followup_add(const str *sid, const str *cid, const str *due, const str *reason,
		const str *channel, const str *agent, const str *queue, char *fid_out, int size)
{
	redisReply *r;
	str a[7];
	int rc;

	if(due == NULL || due->len < 1)
		return oq_bad_arg("due", "missing: ms since the epoch, or +<seconds> from now");
	if(reason == NULL || reason->len < 1)
		return oq_bad_arg("reason", "missing");
	a[0] = or_empty(sid);
	a[1] = or_empty(cid);
	a[2] = *due;
	a[3] = *reason;
	a[4] = or_empty(channel);
	a[5] = or_empty(agent);
	a[6] = or_empty(queue);
	if((r = oq_call("oq_followup_add", 7, a, &rc)) == NULL)
		return rc;
	if(r->type != REDIS_REPLY_STRING || r->len < 1 || r->len > 20
			|| strspn(r->str, "0123456789") != r->len) {
		rc = oq_bad_reply("oq_followup_add", r, "a follow-up id");
		freeReplyObject(r);
		return rc;
	}
	if(fid_out && size > 0)
		snprintf(fid_out, (size_t)size, "%s", r->str);
	freeReplyObject(r);
	return OMNIQ_OK;
}

int oq_followup_done(const str *fid, const str *outcome, const str *note)
{
	redisReply *r;
	str a[3];
	int rc;

	if(fid == NULL || outcome == NULL)
		return oq_bad_arg("fid and outcome", "missing");
	a[0] = *fid;
	a[1] = *outcome;
	a[2] = or_empty(note);
	if((r = oq_call("oq_followup_done", 3, a, &rc)) == NULL)
		return rc;
	freeReplyObject(r);
	return OMNIQ_OK;
}

int oq_callback(const str *sid, const str *to)
{
	str a[2];

	if(sid == NULL || sid->len < 1)
		return oq_bad_arg("session", "missing");
	a[0] = *sid;
	a[1] = or_empty(to);
	return oq_call_checked("oq_callback", 2, a, OQ_R_OK);
}

int oq_dial_claim(const str *sid, const str *agent, const str *node, char *to_out,
		int to_size, char *kind_out, int kind_size, char *fid_out, int fid_size)
{
	redisReply *r;
	str a[3];
	int rc;

	if(sid == NULL || sid->len < 1 || agent == NULL || agent->len < 1 || node == NULL
			|| node->len < 1)
		return oq_bad_arg("session, agent and node", "missing");
	a[0] = *sid;
	a[1] = *agent;
	a[2] = *node;
	if((r = oq_call("oq_dial_claim", 3, a, &rc)) == NULL)
		return rc;
	if(r->type != REDIS_REPLY_ARRAY || r->elements != 3 || r->element[0]->type != REDIS_REPLY_STRING
			|| r->element[1]->type != REDIS_REPLY_STRING
			|| r->element[2]->type != REDIS_REPLY_STRING) {
		rc = oq_bad_reply("oq_dial_claim", r, "[to, kind, fid]");
		freeReplyObject(r);
		return rc;
	}
	snprintf(to_out, (size_t)to_size, "%s", r->element[0]->str);
	snprintf(kind_out, (size_t)kind_size, "%s", r->element[1]->str);
	snprintf(fid_out, (size_t)fid_size, "%s", r->element[2]->str);
	freeReplyObject(r);
	return OMNIQ_OK;
}

/* ---- kamcmd --------------------------------------------------------------------- */

static const char *rpc_followup_add_doc[] = {
	"Schedule a follow-up: sid cid due reason [channel [agent [queue]]] (one of sid and cid, "
	"the other - ; due +<seconds> or ms since the epoch)", 0};
static void rpc_followup_add(rpc_t *rpc, void *c)
{
	str a[7] = {STR_NULL, STR_NULL, STR_NULL, STR_NULL, STR_NULL, STR_NULL, STR_NULL};
	char fid[24];
	int rc;

	if(rpc->scan(c, ".S.S.S.S", &a[0], &a[1], &a[2], &a[3]) < 4)
		return;
	if(oq_rpc_opt(rpc, c, &a[4]) && oq_rpc_opt(rpc, c, &a[5]))
		oq_rpc_opt(rpc, c, &a[6]);
	oq_rpc_dash(&a[0]);
	oq_rpc_dash(&a[1]);
	if((rc = oq_followup_add(&a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &a[6], fid,
				sizeof(fid))) < 0) {
		oq_rpc_fail(rpc, c, rc);
		return;
	}
	rpc->rpl_printf(c, "%s", fid);
}

static const char *rpc_followup_doc[] = {"A follow-up: fid", 0};
static void rpc_followup(rpc_t *rpc, void *c)
{
	str fid;

	if(rpc->scan(c, ".S", &fid) < 1)
		return;
	oq_rpc_struct(rpc, c, "oq_followup_get", 1, &fid);
}

static const char *rpc_followup_done_doc[] = {
	"The outcome of an opened follow-up: fid reached|no_answer|refused [note]", 0};
static void rpc_followup_done(rpc_t *rpc, void *c)
{
	str a[3] = {STR_NULL, STR_NULL, STR_NULL};

	if(rpc->scan(c, ".S.S", &a[0], &a[1]) < 2)
		return;
	oq_rpc_opt(rpc, c, &a[2]);
	oq_rpc_done(rpc, c, oq_followup_done(&a[0], &a[1], &a[2]));
}

static const char *rpc_followup_cancel_doc[] = {"Cancel a follow-up not yet ended: fid", 0};
static void rpc_followup_cancel(rpc_t *rpc, void *c)
{
	str fid;

	if(rpc->scan(c, ".S", &fid) < 1)
		return;
	oq_rpc_done(rpc, c, oq_call_checked("oq_followup_cancel", 1, &fid, OQ_R_OK));
}

static const char *rpc_followups_of_doc[] = {
	"An agent's follow-ups not yet ended, soonest first: agent [count]", 0};
static void rpc_followups_of(rpc_t *rpc, void *c)
{
	str a[2] = {STR_NULL, str_init("50")};

	if(rpc->scan(c, ".S", &a[0]) < 1)
		return;
	if(!oq_rpc_opt(rpc, c, &a[1]))
		a[1] = (str)str_init("50");
	oq_rpc_list(rpc, c, "oq_followups_of", 2, a);
}

static const char *rpc_callback_doc[] = {
	"A waiting customer asks to be called back, keeping the place: sid [to]", 0};
static void rpc_callback(rpc_t *rpc, void *c)
{
	str a[2] = {STR_NULL, STR_NULL};

	if(rpc->scan(c, ".S", &a[0]) < 1)
		return;
	oq_rpc_opt(rpc, c, &a[1]);
	oq_rpc_done(rpc, c, oq_callback(&a[0], &a[1]));
}

static const char *rpc_callback_words_doc[] = {
	"The words a waiting customer asks for a callback with, and the reply: [words|-|default "
	"[reply|-]] (words |-separated; no argument: as they are)", 0};
static void rpc_callback_words(rpc_t *rpc, void *c)
{
	str a[2] = {STR_NULL, STR_NULL};

	if(!oq_rpc_opt(rpc, c, &a[0])) {
		oq_rpc_struct_all(rpc, c, "oq_callback_words_get", 0, NULL);
		return;
	}
	if(a[0].len == 7 && !memcmp(a[0].s, "default", 7))
		a[0].len = 0;
	if(!oq_rpc_opt(rpc, c, &a[1]))
		a[1] = (str)STR_NULL;
	if(a[1].s == NULL)
		a[1].s = "";
	oq_rpc_done(rpc, c, oq_call_checked("oq_callback_words", 2, a, OQ_R_OK));
}

static const char *rpc_fu_rule_set_doc[] = {
	"Make or change a follow-up rule: name field value [field value ...]", 0};
static void rpc_fu_rule_set(rpc_t *rpc, void *c)
{
	oq_rpc_named_set(rpc, c, "oq_fu_rule_set", 10); /* a rule's fields (79_followup.lua) */
}

static const char *rpc_fu_rule_del_doc[] = {"Remove a follow-up rule: name", 0};
static void rpc_fu_rule_del(rpc_t *rpc, void *c)
{
	oq_rpc_delete(rpc, c, "oq_fu_rule_del", "rule");
}

static const char *rpc_fu_rule_list_doc[] = {"The tenant's follow-up rules", 0};
static void rpc_fu_rule_list(rpc_t *rpc, void *c)
{
	oq_rpc_list(rpc, c, "oq_fu_rule_list", 0, NULL);
}

/* clang-format off */
static rpc_export_t rpc_followup_cmds[] = {
	{"omniq.followup_add", rpc_followup_add, rpc_followup_add_doc, 0},
	{"omniq.followup", rpc_followup, rpc_followup_doc, 0},
	{"omniq.followup_done", rpc_followup_done, rpc_followup_done_doc, 0},
	{"omniq.followup_cancel", rpc_followup_cancel, rpc_followup_cancel_doc, 0},
	{"omniq.followups_of", rpc_followups_of, rpc_followups_of_doc, 0},
	{"omniq.callback", rpc_callback, rpc_callback_doc, 0},
	{"omniq.callback_words", rpc_callback_words, rpc_callback_words_doc, 0},
	{"omniq.fu_rule_set", rpc_fu_rule_set, rpc_fu_rule_set_doc, 0},
	{"omniq.fu_rule_del", rpc_fu_rule_del, rpc_fu_rule_del_doc, 0},
	{"omniq.fu_rule_list", rpc_fu_rule_list, rpc_fu_rule_list_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */

int oq_rpc_followup_register(void)
{
	if(rpc_register_array(rpc_followup_cmds) != 0) {
		LM_ERR("cannot register the follow-up RPC commands\n");
		return -1;
	}
	return 0;
}
