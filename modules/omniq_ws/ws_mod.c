/*
 * ws_mod.c - the Kamailio face of omniq_ws: parameters, binding omniq, forking the web
 * server processes. The server is http.c, the REST API api.c.
 *
 * The server runs in processes of its own (modparam "processes"), never in SIP workers:
 * a slow browser or a flood of HTTP requests cannot hold up a SIP transaction.
 */
#include <stdint.h>
#include <string.h>
#include <stdio.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/pt.h"
#include "core/cfg/cfg_struct.h"
#include "core/mod_fix.h"

#include "ws.h"
#include "token.h"
#include "app.h"
#include "channels.h"
#include "push.h"
#include "omniq/omniq_kvparam.h"
#include "sites.h"
#include "login_guard.h"
#include "examples.h"
#include "omniq/omniq_params.h"
#include "omniq/omniq_proc.h"

MODULE_VERSION

omniq_api_t ws_oq;

ws_settings_t ws_cfg = {
	.listen_addr = "127.0.0.1",
	.port = 8080,
	.processes = 1,
	.max_body = 65536,
	.cert = NULL,
	.key = NULL,
	.site_secret = NULL,
	.desk_secret = NULL,
	.desk_token_ttl = 43200,
	.desk_rate = 20,
	.login_fails = 5,
	.login_window = 300,
	.login_rate = 10,
	.login_address_fails = 20,
	.chat_skills = "",
	.chat_queue = "web",
	.chat_rate = 5,
	.max_frame = 16384,
	.max_connections = 0,
	.max_pending_per_address = 64,
	.hello_timeout = 10,
	.api_rate = 200,
	.hook_rate = 200,
	.app_secret = NULL,
	.app_id = "main",
	.app_token_max_ttl = 2592000,
	.app_skills = "",
	.app_queue = "app",
	.push_url = NULL,
	.webhook_retry = 10,
	.webhook_attempts = 8,
	.webhook_timeout = 5,
	.event_read_gap = OMNIQ_EVENT_READ_GAP_DEF,
	.n_keys = 0,
};

static int mod_init(void);
static int child_init(int rank);

/* modparam("omniq_ws", "api_key", "[<tenant>/]<name>:<secret>"), repeatable */
static int api_key_param(modparam_t type, void *val)
{
	const char *v = (const char *)val, *colon = strchr(v, ':'), *slash = strchr(v, '/');
	size_t nl, tl = 0;

	if(ws_cfg.n_keys == WS_KEYS_MAX) {
		LM_ERR("modparam api_key: more than %d keys\n", WS_KEYS_MAX);
		return -1;
	}
	if(slash && colon && slash < colon) {
		tl = (size_t)(slash - v);
		v = slash + 1;
	}
	nl = colon ? (size_t)(colon - v) : 0;
	if(colon == NULL || nl == 0 || nl > 64 || tl > OMNIQ_ID_MAX
			|| (slash && slash < colon && tl == 0) || strlen(colon + 1) < 16
			|| strlen(colon + 1) > 128 || strchr(colon + 1, ':')) {
		LM_ERR("modparam api_key must be [<tenant>/]<name>:<secret> with a name of 1-64 bytes "
			   "and a secret of 16-128 bytes without ':'\n");
		return -1;
	}
	memcpy(ws_cfg.key_tenant[ws_cfg.n_keys], (const char *)val, tl);
	ws_cfg.key_tenant[ws_cfg.n_keys][tl] = '\0';
	memcpy(ws_cfg.key_name[ws_cfg.n_keys], v, nl);
	ws_cfg.key_name[ws_cfg.n_keys][nl] = '\0';
	snprintf(ws_cfg.key_secret[ws_cfg.n_keys], sizeof(ws_cfg.key_secret[0]), "%s", colon + 1);
	{
		char what[96];
		snprintf(what, sizeof(what), "api_key %s", ws_cfg.key_name[ws_cfg.n_keys]);
		ws_example_note(what, colon + 1, (int)strlen(colon + 1));
	}
	ws_cfg.n_keys++;
	return 0;
}

/* Each key's tenant must be one the omniq module serves. */
static int key_tenants(void)
{
	str t;
	int i;

	for(i = 0; i < ws_cfg.n_keys; i++) {
		if(ws_cfg.key_tenant[i][0] == '\0') {
			ws_cfg.key_tidx[i] = 0;
			continue;
		}
		t = omniq_str(ws_cfg.key_tenant[i]);
		if((ws_cfg.key_tidx[i] = ws_oq.tenant_use(&t)) < 0) {
			LM_ERR("modparam api_key %s/%s: the omniq module serves no tenant '%s' (modparam "
				   "tenant)\n", ws_cfg.key_tenant[i], ws_cfg.key_name[i], ws_cfg.key_tenant[i]);
			return -1;
		}
	}
	ws_oq.tenant_use_index(0);
	return 0;
}

/* clang-format off */
static param_export_t params[] = {
	{"listen", PARAM_STRING, &ws_cfg.listen_addr},
	{"port", PARAM_INT, &ws_cfg.port},
	{"processes", PARAM_INT, &ws_cfg.processes},
	{"max_body", PARAM_INT, &ws_cfg.max_body},
	{"tls_certificate", PARAM_STRING, &ws_cfg.cert},
	{"tls_private_key", PARAM_STRING, &ws_cfg.key},
	{"api_key", PARAM_STRING | PARAM_USE_FUNC, (void *)api_key_param},
	{"site_secret", PARAM_STRING, &ws_cfg.site_secret},
	{"desk_secret", PARAM_STRING, &ws_cfg.desk_secret},
	{"desk_token_ttl", PARAM_INT, &ws_cfg.desk_token_ttl},
	{"desk_rate", PARAM_INT, &ws_cfg.desk_rate},
	{"login_fails", PARAM_INT, &ws_cfg.login_fails},
	{"login_window", PARAM_INT, &ws_cfg.login_window},
	{"login_rate", PARAM_INT, &ws_cfg.login_rate},
	{"login_address_fails", PARAM_INT, &ws_cfg.login_address_fails},
	{"chat_skills", PARAM_STRING, &ws_cfg.chat_skills},
	{"chat_queue", PARAM_STRING, &ws_cfg.chat_queue},
	{"chat_rate", PARAM_INT, &ws_cfg.chat_rate},
	{"max_frame", PARAM_INT, &ws_cfg.max_frame},
	{"max_connections", PARAM_INT, &ws_cfg.max_connections},
	{"max_pending_per_address", PARAM_INT, &ws_cfg.max_pending_per_address},
	{"hello_timeout", PARAM_INT, &ws_cfg.hello_timeout},
	{"api_rate", PARAM_INT, &ws_cfg.api_rate},
	{"hook_rate", PARAM_INT, &ws_cfg.hook_rate},
	{"app_secret", PARAM_STRING, &ws_cfg.app_secret},
	{"app_id", PARAM_STRING, &ws_cfg.app_id},
	{"app_token_max_ttl", PARAM_INT, &ws_cfg.app_token_max_ttl},
	{"app_skills", PARAM_STRING, &ws_cfg.app_skills},
	{"app_queue", PARAM_STRING, &ws_cfg.app_queue},
	{"push_url", PARAM_STRING, &ws_cfg.push_url},
	{"webhook_retry", PARAM_INT, &ws_cfg.webhook_retry},
	{"webhook_attempts", PARAM_INT, &ws_cfg.webhook_attempts},
	{"webhook_timeout", PARAM_INT, &ws_cfg.webhook_timeout},
	{"event_read_gap", PARAM_INT, &ws_cfg.event_read_gap},
	{"channel", PARAM_STRING | PARAM_USE_FUNC, (void *)ws_channel_param},
	{"tenant_chat", PARAM_STRING | PARAM_USE_FUNC, (void *)ws_tenant_chat_param},
	{"tenant_app", PARAM_STRING | PARAM_USE_FUNC, (void *)ws_tenant_app_param},
	{0, 0, 0}
};

struct module_exports exports = {
	"omniq_ws",
	DEFAULT_DLFLAGS,
	0,              /* cfg functions */
	params,
	0,              /* RPC methods */
	0,              /* pseudo-variables */
	0,              /* response function */
	mod_init,
	child_init,
	0
};
/* clang-format on */

/* The integer modparams and their ranges: outside them kamailio does not start. */
static int check_ranges(void)
{
	static const omniq_int_param_t r[] = {
		{"port", &ws_cfg.port, 1, 65535},
		{"processes", &ws_cfg.processes, 1, 64},
		{"max_body", &ws_cfg.max_body, 1024, 16 * 1024 * 1024},
		{"desk_token_ttl", &ws_cfg.desk_token_ttl, 60, 30 * 86400},
		{"desk_rate", &ws_cfg.desk_rate, 1, 1000},
		{"login_fails", &ws_cfg.login_fails, 1, 1000},
		{"login_window", &ws_cfg.login_window, 1, 86400},
		{"login_rate", &ws_cfg.login_rate, 1, 1000},
		{"login_address_fails", &ws_cfg.login_address_fails, 1, 100000},
		{"chat_rate", &ws_cfg.chat_rate, 1, 1000},
		{"max_frame", &ws_cfg.max_frame, 256, 1048576},
		{"max_connections", &ws_cfg.max_connections, 0, 1000000},
		{"max_pending_per_address", &ws_cfg.max_pending_per_address, 1, 100000},
		{"hello_timeout", &ws_cfg.hello_timeout, 1, 300},
		{"api_rate", &ws_cfg.api_rate, 1, 100000},
		{"hook_rate", &ws_cfg.hook_rate, 1, 100000},
		{"webhook_retry", &ws_cfg.webhook_retry, 1, 3600},
		{"webhook_attempts", &ws_cfg.webhook_attempts, 1, 100},
		{"webhook_timeout", &ws_cfg.webhook_timeout, 1, 60},
		{"event_read_gap", &ws_cfg.event_read_gap, 0, OMNIQ_EVENT_READ_GAP_MAX},
		{"app_token_max_ttl", &ws_cfg.app_token_max_ttl, 60, 31536000},
	};
	return omniq_check_int_params(r, (int)(sizeof(r) / sizeof(r[0])));
}

static int mod_init(void)
{
	if(check_ranges() < 0)
		return -1;
	if((ws_cfg.cert == NULL) != (ws_cfg.key == NULL)) {
		LM_ERR("TLS needs both tls_certificate and tls_private_key\n");
		return -1;
	}
	if(ws_cfg.site_secret && strlen(ws_cfg.site_secret) < 16) {
		LM_ERR("modparam site_secret must be at least 16 bytes\n");
		return -1;
	}
	if(ws_cfg.desk_secret && strlen(ws_cfg.desk_secret) < 16) {
		LM_ERR("modparam desk_secret must be at least 16 bytes\n");
		return -1;
	}
	{
		static const struct {
			const char *name;
			const char *const *v;
		} own[] = {{"site_secret", (const char *const *)&ws_cfg.site_secret},
				{"desk_secret", (const char *const *)&ws_cfg.desk_secret},
				{"app_secret", (const char *const *)&ws_cfg.app_secret}};
		int i;
		for(i = 0; i < 3; i++)
			if(*own[i].v)
				ws_example_note(own[i].name, *own[i].v, (int)strlen(*own[i].v));
		if(ws_examples_check(ws_cfg.listen_addr) < 0)
			return -1;
	}
	if(ws_cfg.desk_secret == NULL) {
		/* forked processes inherit it: good for one node; several nodes need the modparam */
		static char rnd[65];
		if(ws_token_random_id(rnd) < 0 || ws_token_random_id(rnd + 32) < 0) {
			LM_ERR("no randomness for the desk token secret\n");
			return -1;
		}
		ws_cfg.desk_secret = rnd;
		LM_INFO("no desk_secret: agent logins last until this kamailio restarts\n");
	}
	ws_login_limits(ws_cfg.login_fails, ws_cfg.login_window, ws_cfg.login_rate,
			ws_cfg.login_address_fails);
	ws_flood_limits(ws_cfg.api_rate, ws_cfg.hook_rate);
	if(ws_cfg.app_secret && strlen(ws_cfg.app_secret) < 16) {
		LM_ERR("modparam app_secret must be at least 16 bytes\n");
		return -1;
	}
	if(!ws_valid_app_id(ws_cfg.app_id)) {
		LM_ERR("modparam app_id must be 1..64 of [a-z0-9_.-]\n");
		return -1;
	}
	if(ws_cfg.push_url) {
		str u = omniq_str(ws_cfg.push_url);
		if(ws_cfg.app_secret == NULL || !omniq_valid_url(&u, WS_URL_MAX)) {
			LM_ERR("modparam push_url must be an http:// or https:// URL of at most %d bytes "
				   "without blanks, and needs app_secret (it signs the pushes)\n", WS_URL_MAX);
			return -1;
		}
	}
	if(omniq_load_api(&ws_oq) < 0 || ws_sites_init() < 0)
		return -1;
	if(ws_app_any() && ws_app_register() < 0)
		return -1;
	if(ws_channels_register() < 0 || ws_push_register() < 0 || key_tenants() < 0)
		return -1;
	if(ws_cfg.n_keys == 0)
		LM_WARN("no api_key: every /api/v1 request will be refused with 401\n");
	register_procs(ws_cfg.processes);
	cfg_register_child(ws_cfg.processes);
	return 0;
}

/* the web server process of rank arg (omniq_fork_loop) */
static void http_loop(void *arg)
{
	ws_http_loop((int)(intptr_t)arg);
}

static int child_init(int rank)
{
	int i;
	char desc[32];

	if(rank != PROC_MAIN)
		return 0;
	for(i = 0; i < ws_cfg.processes; i++) {
		snprintf(desc, sizeof(desc), "omniq_ws http %d", i);
		if(omniq_fork_loop(desc, http_loop, (void *)(intptr_t)i) < 0)
			return -1;
	}
	return 0;
}
