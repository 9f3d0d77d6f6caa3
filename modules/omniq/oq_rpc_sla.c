/*
 * oq_rpc_sla.c - kamcmd omniq.sla_* and the people alerts reach (lua/80_sla.lua,
 * docs/admin.md "Service levels").
 */
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/dprint.h"

#include "oq_core.h"
#include "oq_rpc.h"

#define OQ_STR_(x) #x
#define OQ_STR(x) OQ_STR_(x)

/* name field value [field value ...]: every field a policy has, once */
#define SLA_SET_ARGS (1 + 2 * OQ_SLA_FIELDS_MAX)

int oq_sla_set(const str *name, int n, const str *fields, const str *values)
{
	str a[SLA_SET_ARGS];
	int i;

	if(name == NULL || n < 1 || 1 + 2 * n > SLA_SET_ARGS)
		return oq_bad_arg("policy", "a name and 1.." OQ_STR(OQ_SLA_FIELDS_MAX) " fields");
	a[0] = *name;
	for(i = 0; i < n; i++) {
		a[1 + 2 * i] = fields[i];
		a[2 + 2 * i] = values[i];
	}
	return oq_call_checked("oq_sla_set", 1 + 2 * n, a, OQ_R_OK);
}

static const char *rpc_sla_set_doc[] = {
	"Make or change a service-level policy: name field value [field value ...]", 0};
static void rpc_sla_set(rpc_t *rpc, void *c)
{
	oq_rpc_named_set(rpc, c, "oq_sla_set", OQ_SLA_FIELDS_MAX);
}

static const char *rpc_sla_del_doc[] = {"Remove a service-level policy: name", 0};
static void rpc_sla_del(rpc_t *rpc, void *c)
{
	oq_rpc_delete(rpc, c, "oq_sla_del", "policy");
}

static const char *rpc_sla_list_doc[] = {"The service-level policies, in matching order", 0};
static void rpc_sla_list(rpc_t *rpc, void *c)
{
	oq_rpc_list(rpc, c, "oq_sla_list", 0, NULL);
}

static const char *rpc_sla_doc[] = {
	"A session's service levels: its policy, the levels fired and its alert history: sid", 0};
static void rpc_sla(rpc_t *rpc, void *c)
{
	str a;
	int rc;
	redisReply *r;
	void *st, *arr;

	if(rpc->scan(c, ".S", &a) < 1)
		return;
	if((r = oq_call("oq_sla_get", 1, &a, &rc)) == NULL) {
		oq_rpc_fail(rpc, c, rc);
		return;
	}
	if(r->type != REDIS_REPLY_ARRAY || r->elements != 2
			|| !oq_reply_is(r->element[0], OQ_R_FLAT)
			|| r->element[1]->type != REDIS_REPLY_ARRAY) {
		oq_rpc_fail(rpc, c, oq_bad_reply("oq_sla_get", r, "{state, history}"));
		freeReplyObject(r);
		return;
	}
	if(rpc->add(c, "{", &st) < 0 || oq_rpc_flat(rpc, st, r->element[0]) < 0
			|| rpc->struct_add(st, "[", "history", &arr) < 0
			|| oq_rpc_records(rpc, arr, r->element[1]) < 0)
		LM_ERR("the alert history of session %.*s did not fit this RPC transport's answer\n",
				a.len, a.s);
	freeReplyObject(r);
}

int oq_sla_ack(const str *sid, const str *agent, int told)
{
	str a[3];

	if(sid == NULL || agent == NULL)
		return oq_bad_arg("sid and agent", "missing");
	a[0] = *sid;
	a[1] = *agent;
	a[2] = told ? omniq_str("1") : omniq_str("0");
	return oq_call_checked("oq_sla_ack", 3, a, OQ_R_ID);
}

static const char *rpc_sla_ack_doc[] = {
	"An agent takes a session's alert in hand: sid aid (kept in its history)", 0};
static void rpc_sla_ack(rpc_t *rpc, void *c)
{
	str a[2];

	if(rpc->scan(c, ".S.S", &a[0], &a[1]) < 2)
		return;
	oq_rpc_done(rpc, c, oq_sla_ack(&a[0], &a[1], 0));
}

static const char *rpc_queue_roles_doc[] = {
	"Who alerts of a queue reach: queue [owner supervisor manager] (agent ids, - none)", 0};
static void rpc_queue_roles(rpc_t *rpc, void *c)
{
	str a[4];
	int n;

	if(rpc->scan(c, ".S", &a[0]) < 1)
		return;
	n = 1 + rpc->scan(c, "*.S.S.S", &a[1], &a[2], &a[3]);
	if(n == 1) {
		oq_rpc_struct(rpc, c, "oq_queue_roles", 1, a);
		return;
	}
	if(n != 4) {
		rpc->fault(c, 400, "expected: queue [owner supervisor manager]");
		return;
	}
	for(n = 1; n < 4; n++)
		oq_rpc_dash(&a[n]);
	oq_rpc_done(rpc, c, oq_call_checked("oq_queue_roles", 4, a, OQ_R_OK));
}

static const char *rpc_agent_notify_doc[] = {
	"Where an agent is told of alerts: aid targets (desk, <channel>:<address>, comma "
	"separated; - the desk only)", 0};
static void rpc_agent_notify(rpc_t *rpc, void *c)
{
	str a[2];

	if(rpc->scan(c, ".S.S", &a[0], &a[1]) < 2)
		return;
	oq_rpc_dash(&a[1]);
	oq_rpc_done(rpc, c, oq_call_checked("oq_agent_notify", 2, a, OQ_R_OK));
}

/* clang-format off */
static rpc_export_t rpc_sla_cmds[] = {
	{"omniq.sla_set", rpc_sla_set, rpc_sla_set_doc, 0},
	{"omniq.sla_del", rpc_sla_del, rpc_sla_del_doc, 0},
	{"omniq.sla_list", rpc_sla_list, rpc_sla_list_doc, 0},
	{"omniq.sla", rpc_sla, rpc_sla_doc, 0},
	{"omniq.sla_ack", rpc_sla_ack, rpc_sla_ack_doc, 0},
	{"omniq.queue_roles", rpc_queue_roles, rpc_queue_roles_doc, 0},
	{"omniq.agent_notify", rpc_agent_notify, rpc_agent_notify_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */

int oq_rpc_sla_register(void)
{
	if(rpc_register_array(rpc_sla_cmds) != 0) {
		LM_ERR("cannot register the service-level RPC commands\n");
		return -1;
	}
	return 0;
}
