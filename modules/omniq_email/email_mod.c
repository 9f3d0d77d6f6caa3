/*
 * email_mod.c - the omniq_email module: the email channel. A site's support mailboxes
 * reach omniq through its MTA (Postfix's lmtp: transport, email_lmtp_server.h); each mail
 * joins the session it answers or opens one (email_inbound.h).
 *
 *   loadmodule "omniq.so"; loadmodule "omniq_ws.so"   (omniq_ws: the desk, /media/)
 *   loadmodule "omniq_email.so"
 *   modparam("omniq_email", "mailbox", "name=support;address=support@example.com;queue=support")
 *   modparam("omniq_email", "lmtp_listen", "127.0.0.1:2424")
 *   modparam("omniq_email", "secret", "<32+ random characters>")
 *
 * docs/admin-email.md is the admin's reference.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/pt.h"
#include "core/rpc.h"
#include "core/cfg/cfg_struct.h"

#include "omniq/omniq_api.h"
#include "omniq/omniq_module.h"
#include "omniq/omniq_proc.h"

#include "email_inbound.h"
#include "email_imap.h"
#include "email_lmtp_server.h"
#include "email_mailbox.h"
#include "email_mime.h"
#include "email_sender.h"
#include "email_stats.h"

MODULE_VERSION

#define SECRET_MIN 16

static omniq_api_t oq;
static char *lmtp_listen = "";
static char *lmtp_host = "";
static char *secret = "";
static char *charset_fallback = "";
static int attach_max = 10 * 1024 * 1024;
static int max_message = 25 * 1024 * 1024;
static email_sender_cfg_t sender_cfg = {NULL, 30000, 8, 5000};
static email_imap_cfg_t imap_cfg = {30, 30000, 0};
static int imap_on;

/* an LMTP listener on 127.0.0.0/8, [::1] or localhost (or none) */
static int loopback(const char *addr)
{
	return addr[0] == '\0' || !strncmp(addr, "127.", 4) || !strncmp(addr, "[::1]:", 6)
		   || !strncmp(addr, "localhost:", 10);
}

static int mailbox_param(modparam_t type, void *val)
{
	return email_mailbox_add((const char *)val);
}

static const char *rpc_mailboxes_doc[] = {
		"The support mailboxes this node takes mail for: name, address, tenant, queue, and "
		"where the MTA delivers (the LMTP listener)",
		0};
static void rpc_mailboxes(rpc_t *rpc, void *c)
{
	const email_mailbox_t *b;
	char addr[400];
	void *h;
	int i;

	for(i = 0; (b = email_mailbox_at(i)) != NULL; i++) {
		snprintf(addr, sizeof(addr), "%s@%s", b->local, b->domain);
		if(rpc->add(c, "{", &h) < 0)
			return;
		rpc->struct_add(h, "sssssss", "name", b->name, "address", addr, "tenant",
				b->tenant[0] ? b->tenant : "(default)", "queue",
				b->queue[0] ? b->queue : "default", "skills", b->skills, "lmtp",
				lmtp_listen[0] ? lmtp_listen : "(off)", "smtp",
				b->smtp[0] ? b->smtp : "(none: replies are not sent)");
	}
}

static rpc_export_t rpcs[] = {
	{"email.mailboxes", rpc_mailboxes, rpc_mailboxes_doc, RET_ARRAY},
	{0, 0, 0, 0}
};

static int mod_init(void)
{
	static const omniq_int_param_t p[] = {
		{"attach_max", &attach_max, 0, OMNIQ_MEDIA_MAX},
		{"max_message", &max_message, 64 * 1024, (int)EMAIL_MSG_MAX},
		{"smtp_timeout", &sender_cfg.timeout_ms, 1000, 600000},
		{"attempts", &sender_cfg.attempts, 1, 100},
		{"retry_interval", &sender_cfg.backoff_ms, 100, 3600000},
		{"imap_poll", &imap_cfg.poll_s, 1, 3600},
		{"imap_timeout", &imap_cfg.timeout_ms, 1000, 600000},
	};
	email_inbound_cfg_t ic;
	const email_mailbox_t *b;
	int i;

	if(omniq_module_init("omniq_email", email_stat_exports, rpcs, p,
			   (int)(sizeof(p) / sizeof(p[0])), &oq)
			< 0)
		return -1;
	if(email_mailbox_count() == 0)
		LM_WARN("no modparam mailbox: omniq_email takes no mail\n");
	for(i = 0; (b = email_mailbox_at(i)) != NULL; i++)
		if(!omniq_tenant_served(&oq, b->tenant)) {
			LM_ERR("modparam mailbox %s: tenant %s is not one of omniq's (modparam tenant)\n",
					b->name, b->tenant);
			return -1;
		}
	if(strlen(secret) < SECRET_MIN) {
		LM_ERR("modparam secret: at least %d characters are needed (it signs the session "
			   "tokens of reply addresses and subjects; e.g. openssl rand -hex 32)\n",
				SECRET_MIN);
		return -1;
	}
	if(!strncmp(secret, "example-", 8) || strstr(secret, "change-me")) {
		if(!loopback(lmtp_listen)) {
			LM_ERR("modparam secret is an example anyone can know, and lmtp_listen '%s' is "
				   "not loopback: set your own (e.g. openssl rand -hex 32)\n",
					lmtp_listen);
			return -1;
		}
		LM_WARN("modparam secret is an example anyone can know: fine on loopback, set your "
				"own before real mail comes (e.g. openssl rand -hex 32)\n");
	}
	ic.secret = secret;
	ic.attach_max = (size_t)attach_max;
	ic.fallback = charset_fallback[0] ? charset_fallback : NULL;
	email_inbound_init(&oq, &ic);
	sender_cfg.secret = secret;
	if(email_sender_register(&oq, &sender_cfg) < 0)
		return -1;
	/* GMime's tables once, in the main process, shared by the children it forks */
	email_mime_init();
	if(lmtp_listen[0]) {
		if(email_lmtp_listen(lmtp_listen) < 0)
			return -1;
		register_procs(1);
		cfg_register_child(1);
	}
	imap_cfg.max_msg = (size_t)max_message;
	if((imap_on = email_imap_wanted())) {
		register_procs(1);
		cfg_register_child(1);
	}
	return 0;
}

/* the processes of this module's own (omniq_fork_loop) */
/* each turn of the LMTP loop: api.stop_check */
static void lmtp_turn(void)
{
	oq.stop_check("omniq_email lmtp");
}

static void lmtp_loop(void *arg)
{
	email_lmtp_serve(lmtp_host[0] ? lmtp_host : "omniq", (size_t)max_message, lmtp_turn);
}

static void imap_loop(void *arg)
{
	email_imap_serve(&oq, &imap_cfg);
}

static int child_init(int rank)
{
	if(rank != PROC_MAIN)
		return 0;
	if(lmtp_listen[0] && omniq_fork_loop("omniq_email lmtp", lmtp_loop, NULL) < 0)
		return -1;
	if(imap_on && omniq_fork_loop("omniq_email imap", imap_loop, NULL) < 0)
		return -1;
	return 0;
}

static void mod_destroy(void)
{
	email_mime_shutdown();
}

/* clang-format off */
static param_export_t params[] = {
	{"mailbox", PARAM_STRING | PARAM_USE_FUNC, (void *)mailbox_param},
	{"lmtp_listen", PARAM_STRING, &lmtp_listen},
	{"lmtp_host", PARAM_STRING, &lmtp_host},
	{"secret", PARAM_STRING, &secret},
	{"charset_fallback", PARAM_STRING, &charset_fallback},
	{"attach_max", PARAM_INT, &attach_max},
	{"max_message", PARAM_INT, &max_message},
	{"smtp_timeout", PARAM_INT, &sender_cfg.timeout_ms},
	{"attempts", PARAM_INT, &sender_cfg.attempts},
	{"retry_interval", PARAM_INT, &sender_cfg.backoff_ms},
	{"imap_poll", PARAM_INT, &imap_cfg.poll_s},
	{"imap_timeout", PARAM_INT, &imap_cfg.timeout_ms},
	{0, 0, 0}
};

struct module_exports exports = {
	"omniq_email",
	DEFAULT_DLFLAGS,
	0,              /* cfg functions: none yet (mail does not come through SIP) */
	params,
	0,              /* RPC methods: registered in mod_init */
	0, 0,
	mod_init,
	child_init,
	mod_destroy
};
/* clang-format on */
