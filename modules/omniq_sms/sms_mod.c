/*
 * sms_mod.c - the omniq_sms module: the SMS channel, in over SIP MESSAGE, Kannel and
 * Twilio-style webhooks, replies out the same way.
 *
 *   loadmodule "sl.so"; loadmodule "tm.so"            (tm for sip gateways' replies)
 *   loadmodule "omniq.so"; loadmodule "omniq_ws.so"   (omniq_ws for the HTTP gateways)
 *   loadmodule "omniq_sms.so"
 *   modparam("omniq_sms", "gateway", "name=carrier;type=sip;uri=sip:gw.example:5060;from=+8610086")
 *   request_route { if (is_method("MESSAGE")) { sms_receive("carrier"); exit; } }
 *
 * docs/admin-sms.md is the admin's reference.
 */
#include <stdio.h>
#include <string.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/kemi.h"
#include "core/rpc.h"
#include "core/timer_proc.h"

#include "omniq/omniq_api.h"
#include "omniq/omniq_module.h"

#include "sms_desk.h"
#include "sms_flood.h"
#include "sms_gateway.h"
#include "sms_http.h"
#include "sms_inbound.h"
#include "sms_sender.h"
#include "sms_sip.h"
#include "sms_stats.h"

MODULE_VERSION

static omniq_api_t oq;
static sms_sender_cfg_t sender_cfg = {5000, 8, 2000, 10000};
static int flood_limit = 20, flood_window = 10, parts_interval = 10;

static int gateway_param(modparam_t type, void *val)
{
	return sms_gw_add((const char *)val);
}

/* ---- sms_receive([gateway]) ---- */

static int ki_sms_receive(sip_msg_t *msg)
{
	return sms_sip_receive(msg, NULL);
}

static int ki_sms_receive_gw(sip_msg_t *msg, str *gw)
{
	return sms_sip_receive(msg, gw);
}

static int w_sms_receive(sip_msg_t *msg, char *p1, char *p2)
{
	str gw;

	if(p1 == NULL)
		return sms_sip_receive(msg, NULL);
	if(fixup_get_svalue(msg, (gparam_t *)p1, &gw) < 0) {
		LM_ERR("sms_receive: cannot evaluate its gateway\n");
		return -3;
	}
	return sms_sip_receive(msg, &gw);
}

/* ---- sms.send: a message to a number now, outside any session (a staff alert) ---- */

static const char *rpc_send_doc[] = {
		"An SMS to a number now, outside any session: gateway number text; answers its "
		"delivery id (omniq.outbound shows the queue)",
		0};
static void rpc_send(rpc_t *rpc, void *c)
{
	char to[OMNIQ_TEXT_MAX + 1], did[32];
	const sms_gw_t *g;
	str gw, num, text, t;
	int rc;

	if(rpc->scan(c, "SSS", &gw, &num, &text) < 3)
		return;
	if((g = sms_gw_find(&gw)) == NULL) {
		rpc->fault(c, 404, "no gateway '%.*s'", gw.len, gw.s);
		return;
	}
	if(num.len < 1 || num.len > 32 || memchr(num.s, ':', num.len)) {
		rpc->fault(c, 400, "the number must be 1..32 characters, no ':'");
		return;
	}
	snprintf(to, sizeof(to), "%s:%.*s", g->name, num.len, num.s);
	t = omniq_str(to);
	if(g->tenant[0] && oq.tenant_use(omniq_cstr(g->tenant)) < 0) {
		rpc->fault(c, 500, "gateway %s's tenant %s is not served here", g->name, g->tenant);
		return;
	}
	rc = oq.outbound_add(&sms_channel, &t, NULL, &text, NULL, did, sizeof(did));
	oq.tenant_use_index(0);
	if(rc < 0) {
		rpc->fault(c, omniq_http_status(rc), "%s", oq.last_error());
		return;
	}
	rpc->add(c, "s", did);
}

static const char *rpc_gateways_doc[] = {
		"The SMS gateways this node serves: name, type, tenant, queue, from, and the HTTP path "
		"of those that call us",
		0};
static void rpc_gateways(rpc_t *rpc, void *c)
{
	char path[SMS_NAME_MAX + 16];
	const sms_gw_t *g;
	void *h;
	int i;

	for(i = 0; (g = sms_gw_at(i)) != NULL; i++) {
		snprintf(path, sizeof(path), g->type == SMS_GW_SIP ? "(sms_receive)" : "/hooks/sms/%s",
				g->name);
		if(rpc->add(c, "{", &h) < 0)
			return;
		rpc->struct_add(h, "ssssssd", "name", g->name, "type", sms_gw_type_name(g->type),
				"tenant", g->tenant[0] ? g->tenant : "(default)", "queue",
				g->queue[0] ? g->queue : "default", "from", g->from, "path", path, "rate",
				g->rate);
	}
}

static rpc_export_t rpcs[] = {
	{"sms.send", rpc_send, rpc_send_doc, 0},
	{"sms.gateways", rpc_gateways, rpc_gateways_doc, RET_ARRAY},
	{0, 0, 0, 0}
};

static int tenants_ok(void)
{
	sms_gw_t *g;
	int i;

	for(i = 0; (g = sms_gw_at(i)) != NULL; i++)
		if(!omniq_tenant_served(&oq, g->tenant)) {
			LM_ERR("modparam gateway %s: tenant %s is not one of omniq's (modparam tenant)\n",
					g->name, g->tenant);
			return -1;
		}
	return 0;
}

static void parts_tick(unsigned int ticks, void *param)
{
	oq.stop_check("omniq_sms parts");
	sms_inbound_parts_due();
}

static int mod_init(void)
{
	static const omniq_int_param_t p[] = {
		{"api_timeout", &sender_cfg.timeout_ms, 500, 60000},
		{"attempts", &sender_cfg.attempts, 1, 100},
		{"retry_interval", &sender_cfg.backoff_ms, 100, 3600000},
		{"sip_wait", &sender_cfg.sip_wait_ms, 1000, 120000},
		{"flood_limit", &flood_limit, 0, 100000},
		{"flood_window", &flood_window, 1, 3600},
		{"parts_timeout", &sms_parts_timeout, 10, 86400},
		{"parts_interval", &parts_interval, 1, 3600},
	};

	if(omniq_module_init("omniq_sms", sms_stat_exports, rpcs, p,
			   (int)(sizeof(p) / sizeof(p[0])), &oq)
			< 0)
		return -1;
	if(sms_gw_count() == 0)
		LM_WARN("no modparam gateway: omniq_sms serves no SMS gateway\n");
	if(tenants_ok() < 0 || sms_sip_init() < 0 || sms_flood_init(flood_limit, flood_window) < 0)
		return -1;
	sms_inbound_init(&oq);
	if(sms_http_routes(&oq) < 0 || sms_desk_route(&oq) < 0
			|| sms_sender_register(&oq, &sender_cfg) < 0)
		return -1;
	return register_basic_timers(1);
}

static int child_init(int rank)
{
	if(rank != PROC_MAIN)
		return 0;
	return fork_basic_timer(PROC_TIMER, "omniq_sms parts", 1, parts_tick, NULL,
				   (unsigned)parts_interval)
						   < 0
				   ? -1
				   : 0;
}

/* clang-format off */
static cmd_export_t cmds[] = {
	{"sms_receive", (cmd_function)w_sms_receive, 0, 0, 0, REQUEST_ROUTE},
	{"sms_receive", (cmd_function)w_sms_receive, 1, fixup_spve_null, fixup_free_spve_null, REQUEST_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"gateway", PARAM_STRING | PARAM_USE_FUNC, (void *)gateway_param},
	{"api_timeout", PARAM_INT, &sender_cfg.timeout_ms},
	{"attempts", PARAM_INT, &sender_cfg.attempts},
	{"retry_interval", PARAM_INT, &sender_cfg.backoff_ms},
	{"sip_wait", PARAM_INT, &sender_cfg.sip_wait_ms},
	{"flood_limit", PARAM_INT, &flood_limit},
	{"flood_window", PARAM_INT, &flood_window},
	{"parts_timeout", PARAM_INT, &sms_parts_timeout},
	{"parts_interval", PARAM_INT, &parts_interval},
	{0, 0, 0}
};

struct module_exports exports = {
	"omniq_sms",
	DEFAULT_DLFLAGS,
	cmds,
	params,
	0,              /* RPC methods: registered in mod_init */
	0, 0,
	mod_init,
	child_init, 0
};

static sr_kemi_t kemi_exports[] = {
	{ str_init("omniq_sms"), str_init("receive"),
		SR_KEMIP_INT, ki_sms_receive,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("omniq_sms"), str_init("receive_gw"),
		SR_KEMIP_INT, ki_sms_receive_gw,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(kemi_exports);
	return 0;
}
