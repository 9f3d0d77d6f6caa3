/*
 * oq_rpc.c - kamcmd / JSON-RPC commands. Answers are structures (rpc->add "{"), so kamcmd,
 * kamcli and JSON-RPC clients all read them. Write commands go through oq_core.c exactly like
 * the cfg functions; read commands turn the library's flat [field, value, ...] replies into
 * structs generically, so a new field in Redis shows up without touching this file.
 */
#include <string.h>
#include <stdlib.h>

#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/dprint.h"

#include "oq_rpc.h"
#include "oq_core.h"
#include "oq_outbound.h"
#include "oq_validate.h"
#include "omniq/omniq_stream.h"

static const char *rpc_enqueue_doc[] = {
	"Open a session and route it: channel identity skills [priority [queue]]", 0};
static void rpc_enqueue(rpc_t *rpc, void *c)
{
	str ch, id, sk, q = STR_NULL;
	int prio = 0, rc;
	omniq_session_info_t info;
	void *st;

	if(rpc->scan(c, ".S.S.S", &ch, &id, &sk) < 3)
		return;
	if(rpc->scan(c, "*d", &prio) < 1)
		prio = 0;
	if(rpc->scan(c, "*.S", &q) < 1)
		q.len = 0;
	rc = oq_enqueue(&ch, &id, &sk, prio, q.len ? &q : NULL, NULL, &info);
	if(rc < 0) {
		oq_rpc_fail(rpc, c, rc);
		return;
	}
	if(rpc->add(c, "{", &st) < 0)
		return;
	rpc->struct_add(st, "sssdd", "sid", info.sid, "state", info.state, "agent", info.agent,
			"position", info.position, "customer", atoi(info.customer));
}

/* One session id argument, forwarded to a library reader. */
#define RPC_READER_1(name, fn, doc)                                 \
	static const char *name##_doc[] = {doc, 0};                     \
	static void name(rpc_t *rpc, void *c)                           \
	{                                                               \
		str a;                                                      \
		if(rpc->scan(c, ".S", &a) < 1)                               \
			return;                                                 \
		oq_rpc_struct(rpc, c, fn, 1, &a);                             \
	}

RPC_READER_1(rpc_session, "oq_session_get", "Show a session: sid")
RPC_READER_1(rpc_agent, "oq_agent_get", "Show an agent: agent_id")
RPC_READER_1(rpc_customer, "oq_customer_get", "Show a customer: identity or customer id")

static const char *rpc_transcript_doc[] = {"Transcript of a session: sid [count]", 0};
static void rpc_transcript(rpc_t *rpc, void *c)
{
	str a[3];
	int count = 100;
	char cnt[16];
	if(rpc->scan(c, ".S", &a[0]) < 1)
		return;
	if(rpc->scan(c, "*d", &count) < 1)
		count = 100;
	a[1].s = "-"; a[1].len = 1;
	a[2].len = snprintf(cnt, sizeof(cnt), "%d", count); a[2].s = cnt;
	oq_rpc_list(rpc, c, "oq_transcript", 3, a);
}

static const char *rpc_stats_doc[] = {"Tenant-wide counters and current load", 0};
static void rpc_stats(rpc_t *rpc, void *c)
{
	oq_rpc_struct_ex(rpc, c, "oq_stats", 0, NULL, 0);
}

static const char *rpc_queues_doc[] = {"Waiting sessions per named queue", 0};
static void rpc_queues(rpc_t *rpc, void *c)
{
	oq_rpc_struct_ex(rpc, c, "oq_queue_list", 0, NULL, 0);
}

/* Optional [start [count]] of a listing, as the two string arguments out[0..1]. */
static void scan_window(rpc_t *rpc, void *c, int default_count, str out[2], char buf[2][16])
{
	int start = 0, count = default_count;
	if(rpc->scan(c, "*d", &start) < 1)
		start = 0;
	else if(rpc->scan(c, "*d", &count) < 1)
		count = default_count;
	out[0].len = snprintf(buf[0], 16, "%d", start);
	out[0].s = buf[0];
	out[1].len = snprintf(buf[1], 16, "%d", count);
	out[1].s = buf[1];
}

static const char *rpc_queue_doc[] = {"Waiting sessions of a queue: name [start [count]]", 0};
static void rpc_queue(rpc_t *rpc, void *c)
{
	str a[3];
	char b[2][16];
	if(rpc->scan(c, ".S", &a[0]) < 1)
		return;
	scan_window(rpc, c, 50, &a[1], b);
	oq_rpc_list(rpc, c, "oq_queue_get", 3, a);
}

static const char *rpc_agents_doc[] = {"List agents with state and load: [start [count]]", 0};
static void rpc_agents(rpc_t *rpc, void *c)
{
	str a[2];
	char b[2][16];
	scan_window(rpc, c, 1000, a, b);
	oq_rpc_struct_ex(rpc, c, "oq_agent_list", 2, a, 0);
}

static const char *rpc_agent_set_doc[] = {
	"Create or update an agent: id name skills capacity [contact]", 0};
static void rpc_agent_set(rpc_t *rpc, void *c)
{
	str aid, name, sk, caps, contact = STR_NULL;
	if(rpc->scan(c, ".S.S.S.S", &aid, &name, &sk, &caps) < 4)
		return;
	if(rpc->scan(c, "*.S", &contact) < 1)
		contact.len = 0;
	oq_rpc_done(rpc, c, oq_agent_set(&aid, &name, &sk, &caps, contact.len ? &contact : NULL));
}

static const char *rpc_agent_state_doc[] = {
	"Set an agent's presence (login = available, logout = offline): id state", 0};
static void rpc_agent_state(rpc_t *rpc, void *c)
{
	str aid, state;
	if(rpc->scan(c, ".S.S", &aid, &state) < 2)
		return;
	oq_rpc_done(rpc, c, oq_agent_state(&aid, &state));
}

static const char *rpc_agent_password_doc[] = {
	"Set an agent's desk password (8-128 bytes; stored as a salted PBKDF2 hash): id password",
	0};
static void rpc_agent_password(rpc_t *rpc, void *c)
{
	str aid, pw;
	if(rpc->scan(c, ".S.S", &aid, &pw) < 2)
		return;
	oq_rpc_done(rpc, c, oq_agent_password(&aid, &pw));
}

static const char *rpc_agent_del_doc[] = {"Delete an agent holding no sessions: id", 0};
static void rpc_agent_del(rpc_t *rpc, void *c)
{
	str aid;
	if(rpc->scan(c, ".S", &aid) < 1)
		return;
	oq_rpc_done(rpc, c, oq_agent_del(&aid));
}

/* Session commands with (sid, agent) or (sid [, arg]). */
static const char *rpc_accept_doc[] = {"Agent accepts an offer: sid agent", 0};
static void rpc_accept(rpc_t *rpc, void *c)
{
	str sid, agent;
	if(rpc->scan(c, ".S.S", &sid, &agent) < 2)
		return;
	oq_rpc_done(rpc, c, oq_accept(&sid, &agent));
}

static const char *rpc_decline_doc[] = {"Agent declines an offer: sid agent", 0};
static void rpc_decline(rpc_t *rpc, void *c)
{
	str sid, agent;
	if(rpc->scan(c, ".S.S", &sid, &agent) < 2)
		return;
	oq_rpc_done(rpc, c, oq_decline(&sid, &agent));
}

static const char *rpc_close_doc[] = {"Close a session: sid [disposition]", 0};
static void rpc_close(rpc_t *rpc, void *c)
{
	str sid, disp = STR_NULL;
	if(rpc->scan(c, ".S", &sid) < 1)
		return;
	if(rpc->scan(c, "*.S", &disp) < 1)
		disp.len = 0;
	oq_rpc_done(rpc, c, oq_close(&sid, disp.len ? &disp : NULL));
}

static const char *rpc_transfer_doc[] = {
	"Hand an active session on: sid agent agent|queue target [skills] (\"referring\": a "
	"live call, whose node REFERs the caller; the session moves with its new call)", 0};
static void rpc_transfer(rpc_t *rpc, void *c)
{
	str sid, agent, kind, target, skills = STR_NULL;
	int rc;
	if(rpc->scan(c, ".S.S.S.S", &sid, &agent, &kind, &target) < 4)
		return;
	if(rpc->scan(c, "*.S", &skills) < 1)
		skills.len = 0;
	if((rc = oq_transfer(&sid, &agent, &kind, &target, &skills)) == OMNIQ_REFERRING)
		rpc->rpl_printf(c, "referring"); /* a live call: its node REFERs the caller */
	else
		oq_rpc_done(rpc, c, rc);
}

static const char *rpc_pick_doc[] = {
	"Give a waiting session to an agent (a supervisor's or an admin's choice): sid agent", 0};
static void rpc_pick(rpc_t *rpc, void *c)
{
	str sid, agent;
	if(rpc->scan(c, ".S.S", &sid, &agent) < 2)
		return;
	oq_rpc_done(rpc, c, oq_pick(&sid, &agent, NULL));
}

static const char *rpc_agent_role_doc[] = {
	"Set an agent's desk role: agent_id agent|supervisor", 0};
static void rpc_agent_role(rpc_t *rpc, void *c)
{
	str aid, role;
	if(rpc->scan(c, ".S.S", &aid, &role) < 2)
		return;
	oq_rpc_done(rpc, c, oq_agent_role(&aid, &role));
}

static const char *rpc_canned_set_doc[] = {
	"Save a reply every agent of the tenant can pick in the desk: name text (empty text "
	"deletes it)", 0};
static void rpc_canned_set(rpc_t *rpc, void *c)
{
	str name, text = STR_NULL;
	if(rpc->scan(c, ".S", &name) < 1)
		return;
	if(rpc->scan(c, "*.S", &text) < 1)
		text.len = 0;
	oq_rpc_done(rpc, c, oq_canned_set(NULL, &name, &text));
}

static const char *rpc_abandon_doc[] = {"Customer left a waiting session: sid", 0};
static void rpc_abandon(rpc_t *rpc, void *c)
{
	str sid;
	if(rpc->scan(c, ".S", &sid) < 1)
		return;
	oq_rpc_done(rpc, c, oq_abandon(&sid));
}

static const char *rpc_append_doc[] = {"Add a transcript message: sid dir(in|out|sys) from body", 0};
static void rpc_append(rpc_t *rpc, void *c)
{
	str sid, dir, from, body;
	if(rpc->scan(c, ".S.S.S.S", &sid, &dir, &from, &body) < 4)
		return;
	oq_rpc_done(rpc, c, oq_append(&sid, &dir, &from, &body));
}

static const char *rpc_reply_doc[] = {
	"Agent reply to the customer (transcript + channel delivery): sid from body", 0};
static void rpc_reply(rpc_t *rpc, void *c)
{
	str sid, from, body;
	if(rpc->scan(c, ".S.S.S", &sid, &from, &body) < 3)
		return;
	oq_rpc_done(rpc, c, oq_reply(&sid, &from, &body));
}

static const char *rpc_delivery_report_doc[] = {
	"A provider's delivery report: channel provider_id state(delivered|failed|sent) [reason]",
	0};
static void rpc_delivery_report(rpc_t *rpc, void *c)
{
	str ch, pid, state, reason = str_init("");
	int rc;
	if(rpc->scan(c, ".S.S.S", &ch, &pid, &state) < 3)
		return;
	oq_rpc_opt(rpc, c, &reason); /* optional: "" when not given */
	if((rc = oq_delivery_report(&ch, &pid, &state, &reason)) == 1) {
		rpc->add(c, "s", "kept: no message is known by that id yet; the report applies when "
						 "a sender records it (10 minutes)");
		return;
	}
	oq_rpc_done(rpc, c, rc);
}

static const char *rpc_outbound_add_doc[] = {
	"A message of no session for a channel's outbound senders (a staff alert): channel to "
	"body [from]; answers its delivery id", 0};
static void rpc_outbound_add(rpc_t *rpc, void *c)
{
	str ch, to, body, from = str_init("");
	char did[32];
	int rc;
	if(rpc->scan(c, ".S.S.S", &ch, &to, &body) < 3)
		return;
	oq_rpc_opt(rpc, c, &from); /* optional */
	if((rc = oq_outbound_add(&ch, &to, &from, &body, NULL, did, sizeof(did))) < 0) {
		oq_rpc_fail(rpc, c, rc);
		return;
	}
	rpc->add(c, "s", did);
}

/* [channel, queued, due, oldest_ms, ...]: each channel a channel's name, the rest counts */
static int outbound_status_ok(const redisReply *r)
{
	char why[OQ_WHY_MAX];
	oq_class_t cls;
	size_t i, j;

	if(r->type != REDIS_REPLY_ARRAY || r->elements % 4)
		return 0;
	for(i = 0; i < r->elements; i += 4) {
		for(j = i; j < i + 4; j++)
			if(r->element[j]->type != REDIS_REPLY_STRING || r->element[j]->len < 1
					|| (j > i && (r->element[j]->len > 15
							|| strspn(r->element[j]->str, "0123456789") != r->element[j]->len)))
				return 0;
		if(oq_check_channel(r->element[i]->str, r->element[i]->len, &cls, why) < 0)
			return 0;
	}
	return 1;
}

static const char *rpc_outbound_doc[] = {
	"The outbound queue of each channel with senders: channel, queued (waiting or being "
	"sent), due (waiting now: a backlog), oldest_due_s", 0};
static void rpc_outbound(rpc_t *rpc, void *c)
{
	redisReply *r;
	void *arr, *st;
	size_t i;
	int rc;

	r = oq_call("oq_ob_status", 0, NULL, &rc);
	if(r == NULL) {
		oq_rpc_fail(rpc, c, rc);
		return;
	}
	if(!outbound_status_ok(r)) {
		oq_rpc_fail(rpc, c, oq_bad_reply("oq_ob_status", r, "[channel, queued, due, oldest_ms, ...]"));
		freeReplyObject(r);
		return;
	}
	if(rpc->add(c, "[", &arr) < 0) {
		freeReplyObject(r);
		return;
	}
	for(i = 0; i < r->elements; i += 4)
		if(rpc->array_add(arr, "{", &st) < 0
				|| rpc->struct_add(st, "sddd", "channel", r->element[i]->str, "queued",
						   atoi(r->element[i + 1]->str), "due", atoi(r->element[i + 2]->str),
						   "oldest_due_s", (int)(atoll(r->element[i + 3]->str) / 1000)) < 0) {
			oq_rpc_too_large(rpc, c, "oq_ob_status", r->elements);
			break;
		}
	freeReplyObject(r);
}

static const char *rpc_session_set_doc[] = {
	"Set session fields: sid field value [field value ...] (tags, csat 1-5, nps 0-10, "
	"disposition)", 0};
static void rpc_session_set(rpc_t *rpc, void *c)
{
	str a[9];
	int n = 1;
	if(rpc->scan(c, ".S.S.S", &a[0], &a[1], &a[2]) < 3)
		return;
	n = 3;
	while(n + 1 < 9 && rpc->scan(c, "*.S.S", &a[n], &a[n + 1]) == 2)
		n += 2;
	oq_rpc_done(rpc, c, oq_call_checked("oq_session_set", n, a, OQ_R_OK));
}

static const char *rpc_customer_set_doc[] = {
	"Set a customer's profile field: cid field(name|tier|language|region) value", 0};
static void rpc_customer_set(rpc_t *rpc, void *c)
{
	str a[3];
	if(rpc->scan(c, ".S.S.S", &a[0], &a[1], &a[2]) < 3)
		return;
	oq_rpc_done(rpc, c, oq_customer_set(&a[0], &a[1], &a[2]));
}

static const char *rpc_link_doc[] = {"Link two identities to one customer: identity identity", 0};
static void rpc_link(rpc_t *rpc, void *c)
{
	str a[2];
	char cid[OMNIQ_SID_MAX];
	int rc;
	if(rpc->scan(c, ".S.S", &a[0], &a[1]) < 2)
		return;
	if((rc = oq_link(&a[0], &a[1], cid, sizeof(cid))) < 0)
		oq_rpc_fail(rpc, c, rc);
	else
		rpc->rpl_printf(c, "%s", cid[0] ? cid : "ok");
}

static const char *rpc_merge_doc[] = {"Merge customer cid_from into cid_into", 0};
static void rpc_merge(rpc_t *rpc, void *c)
{
	str a[2];
	if(rpc->scan(c, ".S.S", &a[0], &a[1]) < 2)
		return;
	oq_rpc_done(rpc, c, oq_merge(&a[0], &a[1]));
}

static const char *rpc_sweep_doc[] = {"Run the expiry sweep now", 0};
static void rpc_sweep(rpc_t *rpc, void *c)
{
	int n[OQ_SWEEP_COUNTS];
	void *st;
	int rc = oq_sweep(1000, n);
	if(rc < 0) {
		oq_rpc_fail(rpc, c, rc);
		return;
	}
	if(rpc->add(c, "{", &st) < 0)
		return;
	rpc->struct_add(st, "ddddddd", "offers_expired", n[0], "wrapups_ended", n[1],
			"affinity_released", n[2], "sessions_expired", n[3], "sessions_retired", n[4],
			"sla_alerts", n[5], "followups_opened", n[6]);
}

/* clang-format off */
static rpc_export_t rpc_cmds[] = {
	{"omniq.enqueue", rpc_enqueue, rpc_enqueue_doc, 0},
	{"omniq.session", rpc_session, rpc_session_doc, 0},
	{"omniq.transcript", rpc_transcript, rpc_transcript_doc, 0},
	{"omniq.session_set", rpc_session_set, rpc_session_set_doc, 0},
	{"omniq.append", rpc_append, rpc_append_doc, 0},
	{"omniq.reply", rpc_reply, rpc_reply_doc, 0},
	{"omniq.delivery_report", rpc_delivery_report, rpc_delivery_report_doc, 0},
	{"omniq.outbound_add", rpc_outbound_add, rpc_outbound_add_doc, 0},
	{"omniq.outbound", rpc_outbound, rpc_outbound_doc, 0},
	{"omniq.accept", rpc_accept, rpc_accept_doc, 0},
	{"omniq.decline", rpc_decline, rpc_decline_doc, 0},
	{"omniq.close", rpc_close, rpc_close_doc, 0},
	{"omniq.abandon", rpc_abandon, rpc_abandon_doc, 0},
	{"omniq.transfer", rpc_transfer, rpc_transfer_doc, 0},
	{"omniq.pick", rpc_pick, rpc_pick_doc, 0},
	{"omniq.canned_set", rpc_canned_set, rpc_canned_set_doc, 0},
	{"omniq.agents", rpc_agents, rpc_agents_doc, 0},
	{"omniq.agent", rpc_agent, rpc_agent_doc, 0},
	{"omniq.agent_set", rpc_agent_set, rpc_agent_set_doc, 0},
	{"omniq.agent_state", rpc_agent_state, rpc_agent_state_doc, 0},
	{"omniq.agent_role", rpc_agent_role, rpc_agent_role_doc, 0},
	{"omniq.agent_del", rpc_agent_del, rpc_agent_del_doc, 0},
	{"omniq.agent_password", rpc_agent_password, rpc_agent_password_doc, 0},
	{"omniq.customer", rpc_customer, rpc_customer_doc, 0},
	{"omniq.customer_set", rpc_customer_set, rpc_customer_set_doc, 0},
	{"omniq.link", rpc_link, rpc_link_doc, 0},
	{"omniq.merge", rpc_merge, rpc_merge_doc, 0},
	{"omniq.queues", rpc_queues, rpc_queues_doc, 0},
	{"omniq.queue", rpc_queue, rpc_queue_doc, 0},
	{"omniq.stats", rpc_stats, rpc_stats_doc, 0},
	{"omniq.sweep", rpc_sweep, rpc_sweep_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */

int oq_rpc_register(void)
{
	if(rpc_register_array(rpc_cmds) != 0) {
		LM_ERR("cannot register RPC commands\n");
		return -1;
	}
	return 0;
}
