/*
 * wechat_mod.c - the omniq_wechat module: the WeChat channel, Official Accounts (公众号) and
 * WeCom customer service (企业微信 微信客服), both directions, and staff alerts over WeChat.
 *
 *   loadmodule "omniq_wechat.so"     (after omniq.so and omniq_ws.so)
 *   modparam("omniq_wechat", "account", "name=acme;appid=wx..;secret=..;token=..;aeskey=..")
 *
 * Callbacks come in at /hooks/wechat/<account> on omniq_ws' HTTP port (wechat_inbound.c);
 * replies and alerts leave through the sender process "omniq sender wechat"
 * (wechat_sender.c). docs/admin-wechat.md is the admin's reference.
 */
#include <stdio.h>
#include <string.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/kemi.h"
#include "core/rpc.h"

#include "omniq/omniq_api.h"
#include "omniq/omniq_kvparam.h"
#include "omniq/omniq_module.h"

#include "wechat_account.h"
#include "wechat_inbound.h"
#include "wechat_stats.h"
#include "wechat_sender.h"

MODULE_VERSION

#define URL_MAX 512

static omniq_api_t oq;
static wx_sender_cfg_t sender_cfg = {"https://api.weixin.qq.com", "https://qyapi.weixin.qq.com",
		5000, 8, 2000};

static int account_param(modparam_t type, void *val)
{
	return wx_account_add((const char *)val);
}

/* ---- staff alerts: wechat_alert(account, to, text) / wechat.alert ---- */

/* Queues an alert for the sender: OMNIQ_OK with its delivery id, or the API's code (why in
 * oq.last_error(), or in why for what this module refuses). */
static int alert(const str *account, const str *to, const str *text, char *did, int size,
		char *why, int wsize)
{
	char addr[OMNIQ_TEXT_MAX + 1];
	wx_conf_t *a = NULL;
	str t;
	int i, rc;

	for(i = 0; (a = wx_account_at(i)) != NULL; i++)
		if(account->len == (int)strlen(a->name) && !memcmp(account->s, a->name, account->len))
			break;
	if(a == NULL) {
		snprintf(why, wsize, "no WeChat account '%.*s'", account->len, account->s);
		return OMNIQ_ENOTFOUND;
	}
	if(a->cb.wecom ? a->agentid == 0 : a->template_id[0] == '\0') {
		snprintf(why, wsize, "account %s has no %s: it cannot send staff alerts", a->name,
				a->cb.wecom ? "agentid" : "template");
		return OMNIQ_EARG;
	}
	if(to->len < 1 || to->len > WX_ID_MAX || memchr(to->s, ':', to->len)) {
		snprintf(why, wsize, "the recipient must be 1..%d characters, no ':' (an openid, or a "
							 "WeCom userid)",
				WX_ID_MAX);
		return OMNIQ_EARG;
	}
	snprintf(addr, sizeof(addr), "%s:%s:%.*s", a->cb.wecom ? "app" : "tpl", a->appid, to->len,
			to->s);
	t = omniq_str(addr);
	if(a->tenant[0] && oq.tenant_use(omniq_cstr(a->tenant)) < 0) {
		snprintf(why, wsize, "account %s's tenant %s is not served here", a->name, a->tenant);
		return OMNIQ_EARG;
	}
	rc = oq.outbound_add(&wx_channel, &t, NULL, text, NULL, did, size);
	if(rc < 0)
		snprintf(why, wsize, "%s", oq.last_error());
	oq.tenant_use_index(0);
	return rc;
}

static int ki_wechat_alert(sip_msg_t *msg, str *account, str *to, str *text)
{
	char did[32], why[256];
	int rc = alert(account, to, text, did, sizeof(did), why, sizeof(why));

	if(rc < 0) {
		LM_NOTICE("wechat_alert to %.*s of %.*s refused: %s\n", to->len, to->s, account->len,
				account->s, why);
		return rc;
	}
	return 1;
}

static int w_wechat_alert(sip_msg_t *msg, char *p1, char *p2, char *p3)
{
	str a, t, x;

	if(fixup_get_svalue(msg, (gparam_t *)p1, &a) < 0
			|| fixup_get_svalue(msg, (gparam_t *)p2, &t) < 0
			|| fixup_get_svalue(msg, (gparam_t *)p3, &x) < 0) {
		LM_ERR("wechat_alert: cannot evaluate its parameters\n");
		return -1;
	}
	return ki_wechat_alert(msg, &a, &t, &x);
}

static const char *rpc_alert_doc[] = {
		"A staff alert over WeChat now: account recipient text (an openid for an Official "
		"Account's template message, a userid for a WeCom application message); answers its "
		"delivery id (omniq.outbound shows the queue)",
		0};
static void rpc_alert(rpc_t *rpc, void *c)
{
	str a, t, x;
	char did[32], why[256];
	int rc;

	if(rpc->scan(c, "SSS", &a, &t, &x) < 3)
		return;
	if((rc = alert(&a, &t, &x, did, sizeof(did), why, sizeof(why))) < 0) {
		rpc->fault(c, omniq_http_status(rc), "%s", why);
		return;
	}
	rpc->add(c, "s", did);
}

static const char *rpc_accounts_doc[] = {
		"The WeChat accounts this node serves: name, type, appid, callback path, mode, tenant, "
		"queue, staff alerts",
		0};
static void rpc_accounts(rpc_t *rpc, void *c)
{
	void *h;
	char path[WX_NAME_MAX + 16];
	wx_conf_t *a;
	int i;

	for(i = 0; (a = wx_account_at(i)) != NULL; i++) {
		snprintf(path, sizeof(path), "/hooks/wechat/%s", a->name);
		if(rpc->add(c, "{", &h) < 0)
			return;
		rpc->struct_add(h, "sssssssd", "name", a->name, "type", a->cb.wecom ? "wecom" : "oa",
				"appid", a->appid, "path", path, "mode",
				a->cb.wecom || a->cb.safe_only ? "safe" : a->cb.has_key ? "compat" : "plain",
				"tenant", a->tenant[0] ? a->tenant : "(default)", "queue",
				a->queue[0] ? a->queue : "default", "alerts",
				a->cb.wecom ? a->agentid != 0 : a->template_id[0] != '\0');
	}
}

static rpc_export_t rpcs[] = {
	{"wechat.alert", rpc_alert, rpc_alert_doc, 0},
	{"wechat.accounts", rpc_accounts, rpc_accounts_doc, RET_ARRAY},
	{0, 0, 0, 0}
};

/* every account's tenant is one omniq serves */
static int tenants_ok(void)
{
	wx_conf_t *a;
	int i;

	for(i = 0; (a = wx_account_at(i)) != NULL; i++)
		if(!omniq_tenant_served(&oq, a->tenant)) {
			LM_ERR("modparam account %s: tenant %s is not one of omniq's (modparam tenant)\n",
					a->name, a->tenant);
			return -1;
		}
	return 0;
}

static int mod_init(void)
{
	static const omniq_int_param_t p[] = {
		{"api_timeout", &sender_cfg.timeout_ms, 500, 60000},
		{"attempts", &sender_cfg.attempts, 1, 100},
		{"retry_interval", &sender_cfg.backoff_ms, 100, 3600000},
	};
	str u;
	int i;

	if(omniq_module_init("omniq_wechat", wx_stat_exports, rpcs, p,
			   (int)(sizeof(p) / sizeof(p[0])), &oq)
			< 0)
		return -1;
	u = omniq_str(sender_cfg.oa_base);
	if(!omniq_valid_url(&u, URL_MAX)) {
		LM_ERR("modparam api_base '%s' is no http(s) URL\n", sender_cfg.oa_base);
		return -1;
	}
	u = omniq_str(sender_cfg.wecom_base);
	if(!omniq_valid_url(&u, URL_MAX)) {
		LM_ERR("modparam wecom_api_base '%s' is no http(s) URL\n", sender_cfg.wecom_base);
		return -1;
	}
	if(wx_account_count() == 0)
		LM_WARN("no modparam account: omniq_wechat serves no WeChat account\n");
	if(tenants_ok() < 0)
		return -1;
	for(i = 0; i < wx_account_count(); i++)
		if(wx_inbound_route(&oq, wx_account_at(i)) < 0)
			return -1;
	return wx_sender_register(&oq, &sender_cfg);
}

/* clang-format off */
static cmd_export_t cmds[] = {
	{"wechat_alert", (cmd_function)w_wechat_alert, 3, fixup_spve_all, fixup_free_spve_all, ANY_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"account", PARAM_STRING | PARAM_USE_FUNC, (void *)account_param},
	{"api_base", PARAM_STRING, &sender_cfg.oa_base},
	{"wecom_api_base", PARAM_STRING, &sender_cfg.wecom_base},
	{"api_timeout", PARAM_INT, &sender_cfg.timeout_ms},
	{"attempts", PARAM_INT, &sender_cfg.attempts},
	{"retry_interval", PARAM_INT, &sender_cfg.backoff_ms},
	{0, 0, 0}
};

struct module_exports exports = {
	"omniq_wechat",
	DEFAULT_DLFLAGS,
	cmds,
	params,
	0,              /* RPC methods: registered in mod_init */
	0, 0,
	mod_init,
	0, 0
};

static sr_kemi_t kemi_exports[] = {
	{ str_init("omniq_wechat"), str_init("alert"),
		SR_KEMIP_INT, ki_wechat_alert,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR,
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
