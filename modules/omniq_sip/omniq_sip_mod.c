/*
 * omniq_sip_mod.c - the phone channel's Kamailio face: parameters, omniq_call() and its KEMI
 * export, statistics, binding tm / registrar / dialog / omniq. The call itself is call.c.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/kemi.h"
#include "core/mem/pkg.h"
#include "core/socket_info.h"

#include "modules/usrloc/usrloc.h"
#include "phone.h"

#include "os.h"
#include "queue.h"
#include "xfer.h"
#include "call.h"
#include "omniq/omniq_params.h"
#include "pending.h"
#include "hangup.h"
#include "indialog.h"
#include "dtmf.h"
#include "survey.h"
#include "dial.h"

MODULE_VERSION

struct tm_binds os_tmb;
registrar_api_t os_regb;
struct dlg_binds os_dlgb;
omniq_api_t os_oq;
cmd_function os_dlg_manage = NULL;
omniq_media_api_t os_media;
int os_media_on = 0;

os_settings_t os_cfg = {
	.node = STR_NULL,
	.location = str_init("location"),
	.agent_aor = "sip:%s@localhost",
	.ring_timeout_ms = 15000,
	.max_msg_size = 8192,
	.max_hops = 3,
	.lease_s = 10,
	.dial_uri = NULL,
	.dial_timeout_ms = 25000,
	.dial_max_s = 14400,
	.transfer_wait_ms = OS_XFER_WAIT_MS,
};

static char *node_param = NULL;
static char *location_param = NULL;
static char queue_errors[256] = "";

static int mod_init(void);
static int child_init(int rank);

static int queue_param(modparam_t type, void *val)
{
	char why[256];
	if(os_queue_add((char *)val, why, sizeof(why)) < 0) {
		LM_ERR("modparam queue: %s\n", why);
		snprintf(queue_errors, sizeof(queue_errors), "%s", why);
		return -1;
	}
	return 0;
}

static int phone_deliver(const omniq_delivery_t *d, void *param)
{
	LM_NOTICE("session %.*s is a phone call: text replies cannot be delivered\n", d->sid.len,
			d->sid.s);
	return -1;
}

/* ---- omniq_call(queue [, caller]) ---- */

static int ki_omniq_call_caller(sip_msg_t *msg, str *queue, str *caller)
{
	return os_call_start(msg, queue, os_queue_find(queue->s, queue->len), caller);
}

static int ki_omniq_call(sip_msg_t *msg, str *queue)
{
	return os_call_start(msg, queue, os_queue_find(queue->s, queue->len), NULL);
}

static int w_omniq_call(sip_msg_t *msg, char *p1, char *p2)
{
	str queue, caller = STR_NULL;
	if(fixup_get_svalue(msg, (gparam_t *)p1, &queue) < 0) {
		LM_ERR("cannot evaluate the queue parameter\n");
		return -1;
	}
	if(p2 && fixup_get_svalue(msg, (gparam_t *)p2, &caller) < 0) {
		LM_ERR("cannot evaluate the caller parameter\n");
		return -1;
	}
	return os_call_start(msg, &queue, os_queue_find(queue.s, queue.len), p2 ? &caller : NULL);
}

/* omniq_media: a stream ended on its own - a survey's (survey.h), else a waiting call's */
static void media_ended(uint64_t tag, const char *sid, omniq_media_end_t why)
{
	if(tag & OS_SURVEY_TAG)
		os_survey_media_end(tag, sid, why);
	else
		os_call_media_end(tag, sid, why);
}

static int w_omniq_dtmf(sip_msg_t *msg, char *p1, char *p2)
{
	return os_dtmf_request(msg);
}

static int ki_omniq_dtmf(sip_msg_t *msg)
{
	return os_dtmf_request(msg);
}

static int w_omniq_survey(sip_msg_t *msg, char *p1, char *p2)
{
	return os_survey_request(msg);
}

static int ki_omniq_survey(sip_msg_t *msg)
{
	return os_survey_request(msg);
}

/* clang-format off */
static cmd_export_t cmds[] = {
	{"omniq_call", (cmd_function)w_omniq_call, 1, fixup_spve_null, fixup_free_spve_null, REQUEST_ROUTE},
	{"omniq_call", (cmd_function)w_omniq_call, 2, fixup_spve_spve, fixup_free_spve_spve, REQUEST_ROUTE},
	{"omniq_dtmf", (cmd_function)w_omniq_dtmf, 0, 0, 0, REQUEST_ROUTE},
	{"omniq_survey", (cmd_function)w_omniq_survey, 0, 0, 0, REQUEST_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"queue", PARAM_STRING | PARAM_USE_FUNC, (void *)queue_param},
	{"node", PARAM_STRING, &node_param},
	{"location", PARAM_STRING, &location_param},
	{"agent_aor", PARAM_STRING, &os_cfg.agent_aor},
	{"ring_timeout", PARAM_INT, &os_cfg.ring_timeout_ms},
	{"max_msg_size", PARAM_INT, &os_cfg.max_msg_size},
	{"max_overflows", PARAM_INT, &os_cfg.max_hops},
	{"lease_time", PARAM_INT, &os_cfg.lease_s},
	{"dial_uri", PARAM_STRING, &os_cfg.dial_uri},
	{"dial_timeout", PARAM_INT, &os_cfg.dial_timeout_ms},
	{"dial_max_time", PARAM_INT, &os_cfg.dial_max_s},
	{"transfer_wait", PARAM_INT, &os_cfg.transfer_wait_ms},
	{0, 0, 0}
};

struct module_exports exports = {
	"omniq_sip",
	DEFAULT_DLFLAGS,
	cmds,
	params,
	0,              /* RPC methods */
	0,              /* pseudo-variables */
	0,              /* response function */
	mod_init,
	child_init,     /* the timer process of what waits for Redis (pending.c) */
	0               /* nothing to destroy: see os_call_init() */
};
/* clang-format on */

static int check_params(void)
{
	static const omniq_int_param_t ints[] = {
		{"ring_timeout", &os_cfg.ring_timeout_ms, 1000, 600000},
		{"max_msg_size", &os_cfg.max_msg_size, 0, 65535},
		{"max_overflows", &os_cfg.max_hops, 0, 16},
		{"lease_time", &os_cfg.lease_s, 3, 3600},
		/* at most 30 s: the agent's answer waits for its ACK while the customer's phone
		 * rings, and a phone gives that up after 64*T1 = 32 s (RFC 3261 13.3.1.4) */
		{"dial_timeout", &os_cfg.dial_timeout_ms, 1000, 30000},
		{"dial_max_time", &os_cfg.dial_max_s, 2, 86400},
		{"transfer_wait", &os_cfg.transfer_wait_ms, 1000, 120000},
	};
	const char *p;
	int n = 0;

	if(omniq_check_int_params(ints, (int)(sizeof(ints) / sizeof(ints[0]))) < 0)
		return -1;
	/* agent_aor: one %s and no other conversion */
	for(p = os_cfg.agent_aor; (p = strchr(p, '%')) != NULL; p += 2) {
		if(p[1] != 's') {
			LM_ERR("modparam agent_aor '%s': only %%s (the agent id) may appear\n",
					os_cfg.agent_aor);
			return -1;
		}
		n++;
	}
	if(n != 1 || (strncmp(os_cfg.agent_aor, "sip:", 4) && strncmp(os_cfg.agent_aor, "sips:", 5))) {
		LM_ERR("modparam agent_aor '%s' must be a sip: URI with one %%s for the agent id\n",
				os_cfg.agent_aor);
		return -1;
	}
	return 0;
}

/* The usrloc table must exist before the children fork. A native cfg's save("location")
 * creates it through its fixup; a KEMI script has no fixups, so do it here. And agents'
 * phones that register are told to the core from here on (phone.c). */
static int register_location(void)
{
	bind_usrloc_t bind_usrloc;
	usrloc_api_t ul;
	udomain_t *d;

	bind_usrloc = (bind_usrloc_t)find_export("ul_bind_usrloc", 1, 0);
	if(bind_usrloc == NULL || bind_usrloc(&ul) < 0) {
		LM_ERR("omniq_sip needs the usrloc module (agents' phones register there)\n");
		return -1;
	}
	if(ul.register_udomain(os_cfg.location.s, &d) < 0) {
		LM_ERR("cannot register usrloc table '%.*s'\n", os_cfg.location.len,
				os_cfg.location.s);
		return -1;
	}
	if(os_phone_init(&ul) < 0)
		return -1;
	if(os_cfg.dial_uri && os_cfg.dial_uri[0] == '\0')
		os_cfg.dial_uri = NULL;
	return os_cfg.dial_uri ? os_dial_init() : 0;
}

static int mod_init(void)
{
	char why[256], host[128];
	omniq_driver_t drv;
	int n;

	/* by literal name: `exports` may resolve to an RTLD_GLOBAL module's (app_lua) */
	if(register_module_stats("omniq_sip", os_stat_exports) != 0) {
		LM_ERR("cannot register statistics\n");
		return -1;
	}
	if(check_params() < 0)
		return -1;
	if(os_queue_at(0) == NULL) {
		LM_ERR("no queue defined: add modparam(\"omniq_sip\", \"queue\", \"<name>; skills=...\")\n");
		return -1;
	}
	if(os_queue_check(why, sizeof(why)) < 0) {
		LM_ERR("modparam queue: %s\n", why);
		return -1;
	}
	if(load_tm_api(&os_tmb) < 0) {
		LM_ERR("omniq_sip needs the tm module\n");
		return -1;
	}
	if(registrar_load_api(&os_regb) < 0) {
		LM_ERR("omniq_sip needs the registrar module (agents' phones register there)\n");
		return -1;
	}
	if(load_dlg_api(&os_dlgb) < 0
			|| (os_dlg_manage = find_export("dlg_manage", 0, 0)) == NULL) {
		LM_ERR("omniq_sip needs the dialog module (a call ends on BYE or dialog timeout)\n");
		return -1;
	}
	if(omniq_load_api(&os_oq) < 0)
		return -1;
	if((n = omniq_media_load_api(&os_media)) < 0)
		return -1;
	if((os_media_on = (n == 0)))
		os_media.on_end(media_ended);
	if(location_param) {
		os_cfg.location.s = location_param;
		os_cfg.location.len = strlen(location_param);
	}
	if(register_location() < 0)
		return -1;
	if(node_param && node_param[0]) {
		os_cfg.node.s = node_param;
		os_cfg.node.len = strlen(node_param);
	} else {
		/* unique per instance and the same after a restart (the restarted node ends the
		 * calls it held before): the host and the port of its first listening socket */
		struct socket_info *si = get_first_socket();
		if(gethostname(host, sizeof(host)) < 0)
			strcpy(host, "node");
		host[sizeof(host) - 1] = '\0';
		os_cfg.node.s = pkg_malloc(sizeof(host) + 16);
		if(os_cfg.node.s == NULL) {
			PKG_MEM_ERROR;
			return -1;
		}
		os_cfg.node.len = snprintf(os_cfg.node.s, sizeof(host) + 16, "%.48s.%d", host,
				si ? (int)si->port_no : 0);
	}
	if(strchr(os_cfg.node.s, '/') || os_cfg.node.len > 64) {
		LM_ERR("modparam node '%.*s' must be at most 64 bytes without '/'\n", os_cfg.node.len,
				os_cfg.node.s);
		return -1;
	}
	if(os_call_init() < 0 || os_pending_init() < 0 || os_indialog_init() < 0 || os_xfer_init() < 0
			|| os_survey_init() < 0)
		return -1;

	memset(&drv, 0, sizeof(drv));
	drv.channel.s = "phone";
	drv.channel.len = 5;
	drv.cls = OMNIQ_CLASS_VOICE;
	drv.caps = OMNIQ_CAP_VOICE | OMNIQ_CAP_REFER; /* a desk's transfer REFERs the caller */
	drv.deliver = phone_deliver;
	drv.event = os_call_event;
	drv.owner = "omniq_sip";
	if(os_oq.register_driver(&drv) < 0)
		return -1;
	/* this node holds calls from now on: its lease, and what it held before it (re)started
	 * ended (before any worker takes a call: the workers are forked after this) */
	if((n = os_oq.node_lease(&os_cfg.node, os_cfg.lease_s * 1000, 1)) < 0) {
		LM_ERR("cannot take node %.*s's lease in Redis: %s\n", os_cfg.node.len, os_cfg.node.s,
				os_oq.last_error());
		return -1;
	}
	if(n > 0) {
		LM_NOTICE("node %.*s started again: %d sessions of the calls it held before ended\n",
				os_cfg.node.len, os_cfg.node.s, n);
		os_stat_add(OS_ST_NODE_LOST, n);
	}
	LM_INFO("omniq_sip ready: node %.*s, agents at %s in usrloc table %.*s, queued callers "
			"hear %s\n", os_cfg.node.len, os_cfg.node.s, os_cfg.agent_aor, os_cfg.location.len,
			os_cfg.location.s, os_media_on ? "omniq_media's announcements" : "their ringback");
	return 0;
}

static int child_init(int rank)
{
	return rank == PROC_MAIN ? os_pending_fork() : 0;
}

/* clang-format off */
static sr_kemi_t sr_kemi_omniq_sip_exports[] = {
	{ str_init("omniq_sip"), str_init("call"), SR_KEMIP_INT, ki_omniq_call,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ str_init("omniq_sip"), str_init("call_caller"), SR_KEMIP_INT, ki_omniq_call_caller,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ str_init("omniq_sip"), str_init("dtmf"), SR_KEMIP_INT, ki_omniq_dtmf,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ str_init("omniq_sip"), str_init("survey"), SR_KEMIP_INT, ki_omniq_survey,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(sr_kemi_omniq_sip_exports);
	return 0;
}
