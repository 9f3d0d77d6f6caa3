/*
 * omniq_mod.c - the Kamailio face of omniq: parameters, cfg functions, KEMI exports,
 * pseudo-variables, statistics, the dispatcher process. The work itself is in oq_core.c
 * (operations), oq_redis.c (connection), lua/ (the routing engine, inside Redis),
 * oq_dispatch.c (events and sweeps), oq_rpc.c (kamcmd).
 */
#include <string.h>
#include <stdlib.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/kemi.h"
#include "core/rpc_lookup.h"
#include "core/pt.h"
#include "core/cfg/cfg_struct.h"
#include "core/fmsg.h"

#include "oq_core.h"
#include "omniq/omniq_params.h"
#include "omniq/omniq_proc.h"
#include "oq_redis.h"
#include "oq_validate.h"
#include "oq_pv.h"
#include "oq_stats.h"
#include "oq_dispatch.h"
#include "oq_outbound.h"
#include "oq_rpc.h"
#include "oq_node.h"
#include "oq_followup.h"
#include "oq_hours_sync.h"
#include "oq_archive.h"
#include "oq_stop.h"

MODULE_VERSION

int bind_omniq(omniq_api_t *api);

static char *capacity_param = "voice=1,chat=4,email=8,total=10";

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);

/* Every cfg function returns 1 on success (omniq_enqueue: 1 offered, 2 queued) and the
 * OMNIQ_* code (-1..-7) on failure, with the reason in $oq(error) and in the log. */
static int cfg_result(const char *fn, int rc, const omniq_session_info_t *info)
{
	oq_pv_set(rc, info);
	if(rc == OMNIQ_OK)
		return 1;
	oq_stat_inc(OQ_ST_ERRORS);
	if(rc == OMNIQ_EREDIS || rc == OMNIQ_EINTERNAL)
		LM_ERR("%s: %s\n", fn, oq_last_error());
	else
		LM_NOTICE("%s refused: %s\n", fn, oq_last_error());
	return rc;
}

static int get_str(sip_msg_t *msg, char *p, str *out, const char *what)
{
	if(fixup_get_svalue(msg, (gparam_t *)p, out) < 0) {
		LM_ERR("cannot evaluate the %s parameter\n", what);
		return -1;
	}
	return 0;
}

/* ---- omniq_enqueue(channel, identity, skills, priority [, queue]) ---- */

static int ki_omniq_enqueue_q(sip_msg_t *msg, str *ch, str *id, str *sk, int prio, str *queue)
{
	omniq_session_info_t info;
	int rc = oq_enqueue(ch, id, sk, prio, queue, NULL, &info);
	if(rc < 0)
		return cfg_result("omniq_enqueue", rc, NULL);
	cfg_result("omniq_enqueue", rc, &info);
	return strcmp(info.state, "offered") == 0 ? 1 : 2;
}

static int ki_omniq_enqueue(sip_msg_t *msg, str *ch, str *id, str *sk, int prio)
{
	return ki_omniq_enqueue_q(msg, ch, id, sk, prio, NULL);
}

static int enqueue_params(sip_msg_t *msg, char *p1, char *p2, char *p3, char *p4, char *p5)
{
	str ch, id, sk, pr, q = STR_NULL;
	long prio;
	char why[OQ_WHY_MAX];

	if(get_str(msg, p1, &ch, "channel") < 0 || get_str(msg, p2, &id, "identity") < 0
			|| get_str(msg, p3, &sk, "skills") < 0 || get_str(msg, p4, &pr, "priority") < 0)
		return -1;
	if(p5 && get_str(msg, p5, &q, "queue") < 0)
		return -1;
	if(oq_parse_int(pr.s, pr.len, 0, OQ_PRIORITY_MAX, &prio, why) < 0) {
		oq_set_error(OMNIQ_EARG, "priority: %s", why);
		return cfg_result("omniq_enqueue", OMNIQ_EARG, NULL);
	}
	return ki_omniq_enqueue_q(msg, &ch, &id, &sk, (int)prio, p5 ? &q : NULL);
}

static int w_omniq_enqueue4(sip_msg_t *msg, char *p1, char *p2, char *p3, char *p4)
{
	return enqueue_params(msg, p1, p2, p3, p4, NULL);
}

static int w_omniq_enqueue5(sip_msg_t *msg, char *p1, char *p2, char *p3, char *p4, char *p5)
{
	return enqueue_params(msg, p1, p2, p3, p4, p5);
}

/* ---- session operations ---- */

static int ki_omniq_append(sip_msg_t *msg, str *sid, str *dir, str *from, str *body)
{
	return cfg_result("omniq_append", oq_append(sid, dir, from, body), NULL);
}

static int w_omniq_append(sip_msg_t *msg, char *p1, char *p2, char *p3, char *p4)
{
	str sid, dir, from, body;
	if(get_str(msg, p1, &sid, "session") < 0 || get_str(msg, p2, &dir, "direction") < 0
			|| get_str(msg, p3, &from, "from") < 0 || get_str(msg, p4, &body, "body") < 0)
		return -1;
	return ki_omniq_append(msg, &sid, &dir, &from, &body);
}

static int ki_omniq_reply(sip_msg_t *msg, str *sid, str *from, str *body)
{
	return cfg_result("omniq_reply", oq_reply(sid, from, body), NULL);
}

static int w_omniq_reply(sip_msg_t *msg, char *p1, char *p2, char *p3)
{
	str sid, from, body;
	if(get_str(msg, p1, &sid, "session") < 0 || get_str(msg, p2, &from, "from") < 0
			|| get_str(msg, p3, &body, "body") < 0)
		return -1;
	return ki_omniq_reply(msg, &sid, &from, &body);
}

static int ki_omniq_accept(sip_msg_t *msg, str *sid, str *agent)
{
	return cfg_result("omniq_accept", oq_accept(sid, agent), NULL);
}

static int ki_omniq_decline(sip_msg_t *msg, str *sid, str *agent)
{
	return cfg_result("omniq_decline", oq_decline(sid, agent), NULL);
}

static int ki_omniq_close(sip_msg_t *msg, str *sid, str *disposition)
{
	return cfg_result("omniq_close", oq_close(sid, disposition), NULL);
}

static int ki_omniq_abandon(sip_msg_t *msg, str *sid)
{
	int rc = oq_abandon(sid);

	/* 1: kept for the callback its customer asked for: done as asked */
	return cfg_result("omniq_abandon", rc > 0 ? OMNIQ_OK : rc, NULL);
}

static int ki_omniq_session(sip_msg_t *msg, str *sid)
{
	omniq_session_info_t info;
	int rc = oq_get(sid, &info);
	return cfg_result("omniq_session", rc, rc == OMNIQ_OK ? &info : NULL);
}

static int ki_omniq_agent_state(sip_msg_t *msg, str *aid, str *state)
{
	return cfg_result("omniq_agent_state", oq_agent_state(aid, state), NULL);
}

static int ki_omniq_agent_set(sip_msg_t *msg, str *aid, str *name, str *skills, str *caps)
{
	return cfg_result("omniq_agent_set", oq_agent_set(aid, name, skills, caps, NULL), NULL);
}

/* Two-parameter native wrappers share one shape: (str, str) → ki function. */
typedef int (*ki_ss_f)(sip_msg_t *, str *, str *);
static int w_ss(sip_msg_t *msg, char *p1, char *p2, ki_ss_f f)
{
	str a, b = STR_NULL;
	if(get_str(msg, p1, &a, "first") < 0 || (p2 && get_str(msg, p2, &b, "second") < 0))
		return -1;
	return f(msg, &a, &b);
}

static int w_omniq_accept(sip_msg_t *msg, char *p1, char *p2)
{
	return w_ss(msg, p1, p2, ki_omniq_accept);
}

static int w_omniq_decline(sip_msg_t *msg, char *p1, char *p2)
{
	return w_ss(msg, p1, p2, ki_omniq_decline);
}

static int w_omniq_close(sip_msg_t *msg, char *p1, char *p2)
{
	return w_ss(msg, p1, p2, ki_omniq_close);
}

static int w_omniq_agent_state(sip_msg_t *msg, char *p1, char *p2)
{
	return w_ss(msg, p1, p2, ki_omniq_agent_state);
}

static int w_omniq_abandon(sip_msg_t *msg, char *p1, char *p2)
{
	str sid;
	if(get_str(msg, p1, &sid, "session") < 0)
		return -1;
	return ki_omniq_abandon(msg, &sid);
}

static int ki_omniq_callback(sip_msg_t *msg, str *sid, str *to)
{
	return cfg_result("omniq_callback", oq_callback(sid, to), NULL);
}

static int w_omniq_callback(sip_msg_t *msg, char *p1, char *p2)
{
	return w_ss(msg, p1, p2, ki_omniq_callback);
}

static int w_omniq_session(sip_msg_t *msg, char *p1, char *p2)
{
	str sid;
	if(get_str(msg, p1, &sid, "session") < 0)
		return -1;
	return ki_omniq_session(msg, &sid);
}

static int w_omniq_agent_set(sip_msg_t *msg, char *p1, char *p2, char *p3, char *p4)
{
	str aid, name, sk, caps;
	if(get_str(msg, p1, &aid, "agent") < 0 || get_str(msg, p2, &name, "name") < 0
			|| get_str(msg, p3, &sk, "skills") < 0 || get_str(msg, p4, &caps, "capacity") < 0)
		return -1;
	return ki_omniq_agent_set(msg, &aid, &name, &sk, &caps);
}

/* clang-format off */
static cmd_export_t cmds[] = {
	{"omniq_enqueue", (cmd_function)w_omniq_enqueue4, 4, fixup_spve_all, fixup_free_spve_all, ANY_ROUTE},
	{"omniq_enqueue", (cmd_function)w_omniq_enqueue5, 5, fixup_spve_all, fixup_free_spve_all, ANY_ROUTE},
	{"omniq_append", (cmd_function)w_omniq_append, 4, fixup_spve_all, fixup_free_spve_all, ANY_ROUTE},
	{"omniq_reply", (cmd_function)w_omniq_reply, 3, fixup_spve_all, fixup_free_spve_all, ANY_ROUTE},
	{"omniq_accept", (cmd_function)w_omniq_accept, 2, fixup_spve_spve, fixup_free_spve_spve, ANY_ROUTE},
	{"omniq_decline", (cmd_function)w_omniq_decline, 2, fixup_spve_spve, fixup_free_spve_spve, ANY_ROUTE},
	{"omniq_close", (cmd_function)w_omniq_close, 1, fixup_spve_null, fixup_free_spve_null, ANY_ROUTE},
	{"omniq_close", (cmd_function)w_omniq_close, 2, fixup_spve_spve, fixup_free_spve_spve, ANY_ROUTE},
	{"omniq_abandon", (cmd_function)w_omniq_abandon, 1, fixup_spve_null, fixup_free_spve_null, ANY_ROUTE},
	{"omniq_session", (cmd_function)w_omniq_session, 1, fixup_spve_null, fixup_free_spve_null, ANY_ROUTE},
	{"omniq_callback", (cmd_function)w_omniq_callback, 2, fixup_spve_spve, fixup_free_spve_spve, ANY_ROUTE},
	{"omniq_agent_state", (cmd_function)w_omniq_agent_state, 2, fixup_spve_spve, fixup_free_spve_spve, ANY_ROUTE},
	{"omniq_agent_set", (cmd_function)w_omniq_agent_set, 4, fixup_spve_all, fixup_free_spve_all, ANY_ROUTE},
	{"bind_omniq", (cmd_function)bind_omniq, 0, 0, 0, 0},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"redis_host", PARAM_STRING, &oq_redis_cfg.host},
	{"redis_port", PARAM_INT, &oq_redis_cfg.port},
	{"redis_password", PARAM_STRING, &oq_redis_cfg.password},
	{"redis_db", PARAM_INT, &oq_redis_cfg.db},
	{"redis_connect_timeout", PARAM_INT, &oq_redis_cfg.connect_timeout_ms},
	{"redis_timeout", PARAM_INT, &oq_redis_cfg.command_timeout_ms},
	{"reconnect_interval", PARAM_INT, &oq_redis_cfg.reconnect_interval_ms},
	{"tenant", PARAM_STRING | PARAM_USE_FUNC, (void *)oq_tenant_param},
	{"default_cc", PARAM_STRING, &oq_settings.default_cc},
	/* the tenant settings: one modparam per cfg line of limits.def */
#define OQ_CFG_MODPARAM(name, def, min, max) {#name, PARAM_INT, &oq_settings.name},
	OQ_CFG_EACH(OQ_CFG_MODPARAM)
#undef OQ_CFG_MODPARAM
	{"policy", PARAM_STRING, &oq_settings.policy},
	{"capacity", PARAM_STRING, &capacity_param},
	{"sweep_interval", PARAM_INT, &oq_dispatch_cfg.sweep_interval_ms},
	{"dispatcher", PARAM_INT, &oq_dispatch_cfg.enabled},
	{"event_callback", PARAM_STR, &oq_dispatch_cfg.kemi_callback},
	{"event_read_gap", PARAM_INT, &oq_dispatch_cfg.event_read_gap_us},
	{"archive_db_url", PARAM_STR, &oq_archive_cfg.db_url},
	{"archive_batch", PARAM_INT, &oq_archive_cfg.batch},
	{"archive_interval", PARAM_INT, &oq_archive_cfg.interval_ms},
	{"archive_reports_interval", PARAM_INT, &oq_archive_cfg.reports_s},
	{0, 0, 0}
};

static pv_export_t mod_pvs[] = {
	{{"oq", sizeof("oq") - 1}, PVT_OTHER, pv_get_oq, 0, pv_parse_oq_name, 0, 0, 0},
	{{0, 0}, 0, 0, 0, 0, 0, 0, 0}
};

struct module_exports exports = {
	"omniq",
	DEFAULT_DLFLAGS,
	cmds,
	params,
	0,              /* RPC methods: registered in mod_init (oq_rpc.c) */
	mod_pvs,
	0,              /* response function */
	mod_init,
	child_init,
	mod_destroy
};
/* clang-format on */

/* Range checks of the integer modparams: refuse to start rather than run with nonsense. */
static int check_int_params(void)
{
	static const omniq_int_param_t p[] = {
		{"redis_port", &oq_redis_cfg.port, 0, 65535},
		{"redis_connect_timeout", &oq_redis_cfg.connect_timeout_ms, 10, 60000},
		{"redis_timeout", &oq_redis_cfg.command_timeout_ms, 10, 60000},
		{"reconnect_interval", &oq_redis_cfg.reconnect_interval_ms, 0, 600000},
#define OQ_CFG_RANGE(name, def, min, max) {#name, &oq_settings.name, min, max},
		OQ_CFG_EACH(OQ_CFG_RANGE)
#undef OQ_CFG_RANGE
		{"sweep_interval", &oq_dispatch_cfg.sweep_interval_ms, 10, 60000},
		{"event_read_gap", &oq_dispatch_cfg.event_read_gap_us, 0, OMNIQ_EVENT_READ_GAP_MAX},
	};
	return omniq_check_int_params(p, (int)(sizeof(p) / sizeof(p[0])));
}

static int mod_init(void)
{
	char why[OQ_WHY_MAX];

	/* the group by literal name: `exports` may resolve to a module loaded RTLD_GLOBAL
	 * before this one (app_lua does so), not to ours */
	if(register_module_stats("omniq", oq_stat_exports) != 0) {
		LM_ERR("cannot register statistics\n");
		return -1;
	}
	if(oq_rpc_register() < 0 || oq_rpc_sla_register() < 0 || oq_rpc_hours_register() < 0
			|| oq_rpc_followup_register() < 0 || oq_rpc_value_register() < 0
			|| oq_rpc_measures_register() < 0)
		return -1;
	if(oq_node_token_init() < 0 || oq_stop_init() < 0)
		return -1;
	if(check_int_params() < 0)
		return -1;
	/* before the settings go to Redis: a database turns `archive` on */
	if(oq_archive_mod_init() < 0)
		return -1;
	/* an agent's capacities when none are given: read as any agent's, so a class left
	 * out is 0 and a total left out the sum */
	if(oq_caps_parse(capacity_param, strlen(capacity_param), NULL, oq_settings.cap_default,
			   why) < 0) {
		LM_ERR("modparam capacity: %s\n", why);
		return -1;
	}
	if(oq_settings.default_cc && oq_settings.default_cc[0]) {
		const char *c;
		for(c = oq_settings.default_cc; *c; c++)
			if(*c < '0' || *c > '9' || c - oq_settings.default_cc >= 3) {
				LM_ERR("modparam default_cc must be 1-3 digits (e.g. \"86\"), not '%s'\n",
						oq_settings.default_cc);
				return -1;
			}
	}
	if(oq_core_init() < 0)
		return -1;

	/* Redis is the only source of truth: without it there is nothing to serve. */
	if(oq_redis_connect() < 0) {
		LM_CRIT("omniq cannot reach Redis at %s:%d (%s): not starting. Start redis-server or "
				"fix modparam(\"omniq\", \"redis_host\"/\"redis_port\")\n",
				oq_redis_cfg.host, oq_redis_cfg.port, oq_redis_last_error());
		return -1;
	}
	if(oq_redis_load_library() < 0 || oq_push_config() < 0 || oq_survey_keys() < 0) {
		LM_CRIT("omniq cannot prepare Redis at %s:%d: not starting\n", oq_redis_cfg.host,
				oq_redis_cfg.port);
		oq_redis_detach();
		return -1;
	}
	oq_redis_detach();
	LM_INFO("omniq ready: %d tenant(s), default '%.*s', Redis %s:%d\n", oq_tenant_count(),
			oq_prefix()->len - 5, oq_prefix()->s + 4, oq_redis_cfg.host, oq_redis_cfg.port);

	if(oq_dispatch_mod_init() < 0)
		return -1;
	return 0;
}

static int child_init(int rank)
{
	omniq_proc_cfg_ready(); /* see omniq_proc.h: a SIGTERM at the wrong moment hangs it */
	if(rank == PROC_INIT) {
		/* in the main process before the first fork: a connection another module's mod_init
		 * made through the API (omniq_sip's node lease) must not cross it */
		oq_redis_detach();
		return 0;
	}
	if(rank == PROC_MAIN)
		return oq_outbound_fork() < 0 || oq_archive_fork() < 0 ? -1 : oq_dispatch_fork();
	/* other processes connect lazily on their first call */
	return 0;
}

static void mod_destroy(void)
{
	oq_redis_close();
}

/* clang-format off */
static sr_kemi_t sr_kemi_omniq_exports[] = {
	{ str_init("omniq"), str_init("enqueue"), SR_KEMIP_INT, ki_omniq_enqueue,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ str_init("omniq"), str_init("enqueue_queue"), SR_KEMIP_INT, ki_omniq_enqueue_q,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_STR, SR_KEMIP_NONE } },
	{ str_init("omniq"), str_init("append"), SR_KEMIP_INT, ki_omniq_append,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ str_init("omniq"), str_init("reply"), SR_KEMIP_INT, ki_omniq_reply,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ str_init("omniq"), str_init("accept"), SR_KEMIP_INT, ki_omniq_accept,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ str_init("omniq"), str_init("decline"), SR_KEMIP_INT, ki_omniq_decline,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ str_init("omniq"), str_init("close"), SR_KEMIP_INT, ki_omniq_close,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ str_init("omniq"), str_init("abandon"), SR_KEMIP_INT, ki_omniq_abandon,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ str_init("omniq"), str_init("session"), SR_KEMIP_INT, ki_omniq_session,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ str_init("omniq"), str_init("callback"), SR_KEMIP_INT, ki_omniq_callback,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ str_init("omniq"), str_init("agent_state"), SR_KEMIP_INT, ki_omniq_agent_state,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ str_init("omniq"), str_init("agent_set"), SR_KEMIP_INT, ki_omniq_agent_set,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(sr_kemi_omniq_exports);
	return 0;
}
