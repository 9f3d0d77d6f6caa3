/*
 * omniq_echo - the smallest useful omniq channel module, the worked example of
 * docs/integrator.md.
 *
 * Channel "echo" (class chat). A customer's message comes in through ingest(): from a cfg
 * script with echo_ingest(identity, skills, text[, cid]), or over HTTP (POST /hooks/echo,
 * served by omniq_ws). ingest() appends it to the customer's live session on the channel,
 * or opens one; a message id (cid) makes a retried message harmless. An agent's reply is
 * "delivered" by appending a line to the outbox file (modparam outbox; by default
 * omniq_echo.out in kamailio's run directory, -Y), and so is every session event of the
 * channel; each line names the process that wrote it. A real channel does the same things
 * with a real protocol instead of a file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/globals.h"
#include "core/mod_fix.h"
#include "core/kemi.h"

#include "omniq/omniq_api.h"

MODULE_VERSION

static omniq_api_t oq;
static char *outbox = NULL; /* NULL: <runtime_dir>/omniq_echo.out, made in mod_init */
static char outbox_default[512];
/* The HTTP paths served (modparam hook, repeatable; none: /hooks/echo). The room for more
 * than the core's limit is on purpose: the core, not each module, enforces it. */
#define ECHO_HOOKS_MAX 40
static char *hooks[ECHO_HOOKS_MAX];
static int n_hooks = 0;
static str channel = str_init("echo");

/* ingest()'s answer (OMNIQ_INGEST_*) as the hook and the log say it */
static const char *how(int rc)
{
	static const char *const words[] = {"appended", "duplicate", "opened", "survey"};
	return rc >= 0 && rc < (int)(sizeof(words) / sizeof(words[0])) ? words[rc] : "taken";
}

/* One line into the outbox file. */
static __attribute__((format(printf, 1, 2))) void outbox_line(const char *fmt, ...)
{
	FILE *f = fopen(outbox, "a");
	va_list ap;

	if(f == NULL) {
		LM_ERR("cannot open outbox %s\n", outbox);
		return;
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* Agent → customer, in the process that called reply() (a SIP worker, an omniq_ws
 * process, the ctl process serving a kamcmd), within that call, with the session's tenant
 * current. A real channel sends here to d->identity (or its own d->ext): one bounded
 * network send at most. */
static int echo_deliver(const omniq_delivery_t *d, void *param)
{
	outbox_line("reply %.*s from %.*s to %.*s (pid %d): %.*s\n", d->sid.len, d->sid.s,
			d->from.len, d->from.s, d->identity.len, d->identity.s, (int)getpid(), d->body.len,
			d->body.s);
	return 0;
}

/* Session events of this channel, in the omniq dispatcher process of every node
 * (docs/integrator.md, "Events": which types come, and what state and agent say). */
static void echo_event(const omniq_event_t *ev, void *param)
{
	outbox_line("event %.*s session %.*s state %.*s agent %.*s (pid %d)\n", ev->type.len,
			ev->type.s, ev->sid.len, ev->sid.s, ev->state.len, ev->state.s, ev->agent.len,
			ev->agent.s, (int)getpid());
}

static int answer(omniq_http_resp_t *rs, int status, const char *fmt, const char *a)
{
	int n = snprintf(rs->body, rs->size, fmt, a);
	rs->status = status;
	rs->len = n < 0 ? 0 : (n < rs->size ? n : rs->size - 1);
	return 0;
}

/* POST /hooks/echo[/<tenant>]?identity=chan:echo:x with the message as a text/plain body;
 * X-Echo-Id names the message, so that a POST the sender retries is appended once. A real
 * provider's hook checks its signature here before anything else. param: the route's path,
 * told back to the sender. */
static int echo_hook(const omniq_http_req_t *rq, omniq_http_resp_t *rs, void *param)
{
	char identity[257], cid[65], type[64];
	omniq_session_info_t info;
	omniq_inbound_t m;
	int rc;

	if(rq->method.len != 4 || memcmp(rq->method.s, "POST", 4) != 0)
		return answer(rs, 405, "%s\n", "POST a message");
	if(rq->header(rq, "Content-Type", type, sizeof(type)) < 0
			|| strncasecmp(type, "text/plain", 10) != 0)
		return answer(rs, 415, "%s\n", "send the message as text/plain");
	if(rq->rest.len > 1) { /* "/<tenant>" */
		str tenant = {rq->rest.s + 1, rq->rest.len - 1};
		if(oq.tenant_use(&tenant) < 0)
			return answer(rs, 404, "%s\n", "no such tenant");
	}
	memset(&m, 0, sizeof(m));
	m.channel = channel;
	if(rq->arg(rq, "identity", identity, sizeof(identity)) <= 0)
		return answer(rs, 400, "%s\n", "the identity argument is missing");
	m.identity = omniq_str(identity);
	m.body = rq->body;
	if(rq->header(rq, "X-Echo-Id", cid, sizeof(cid)) > 0)
		m.cid = omniq_str(cid);
	rc = oq.ingest(&m, &info, NULL, 0);
	if(rc < 0) /* as every surface says it: the sender retries a 503, never a 400 */
		return answer(rs, omniq_http_status(rc), "%s\n", oq.last_error());
	snprintf(rs->type, sizeof(rs->type), "application/json");
	rs->status = rc == OMNIQ_INGEST_OPENED ? 201 : 200;
	rs->len = snprintf(rs->body, rs->size,
			"{\"sid\":\"%s\",\"state\":\"%s\",\"how\":\"%s\",\"route\":\"%s\"}", info.sid,
			info.state, how(rc), (const char *)param);
	return 0;
}

/* A customer's message from the cfg script (or KEMI), in one ingest() call: appended to the
 * customer's live session on this channel, or to a session it opens. cid: the message's
 * own id (a SIP MESSAGE's Call-ID), or empty; a message given again with the same cid is
 * appended once. omniq_ingest_cfg_rc(): 1 appended, 2 duplicate, 3 opened, 4 a survey
 * answer, or the negative OMNIQ_E* code - never 0, which would stop the script. */
static int ki_echo_ingest_cid(sip_msg_t *msg, str *identity, str *skills, str *text, str *cid)
{
	omniq_session_info_t info;
	omniq_inbound_t m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.channel = channel;
	m.identity = *identity;
	m.skills = *skills;
	m.body = *text;
	m.cid = *cid;
	rc = oq.ingest(&m, &info, NULL, 0);
	if(rc < 0) {
		LM_NOTICE("echo_ingest refused: %s (%s)\n", oq.strerror(rc), oq.last_error());
		return rc;
	}
	LM_INFO("echo session %s is %s (%s)\n", info.sid, info.state, how(rc));
	return omniq_ingest_cfg_rc(rc);
}

static int ki_echo_ingest(sip_msg_t *msg, str *identity, str *skills, str *text)
{
	str none = STR_NULL;
	return ki_echo_ingest_cid(msg, identity, skills, text, &none);
}

/* echo_ingest(identity, skills, text[, cid]); echo_open(identity, skills, text), its old
 * name, is the same function (deprecated) */
static int w_echo_ingest(sip_msg_t *msg, char *p1, char *p2, char *p3, char *p4)
{
	str id, sk, text, cid = STR_NULL;
	if(fixup_get_svalue(msg, (gparam_t *)p1, &id) < 0
			|| fixup_get_svalue(msg, (gparam_t *)p2, &sk) < 0
			|| fixup_get_svalue(msg, (gparam_t *)p3, &text) < 0
			|| (p4 != NULL && fixup_get_svalue(msg, (gparam_t *)p4, &cid) < 0))
		return -1;
	return ki_echo_ingest_cid(msg, &id, &sk, &text, &cid);
}

static int w_echo_ingest3(sip_msg_t *msg, char *p1, char *p2, char *p3)
{
	return w_echo_ingest(msg, p1, p2, p3, NULL);
}

static int mod_init(void)
{
	omniq_driver_t drv;
	omniq_http_route_t route;
	int i, n;

	if(omniq_load_api(&oq) < 0)
		return -1;
	if(outbox == NULL) {
		n = snprintf(outbox_default, sizeof(outbox_default), "%s/omniq_echo.out",
				runtime_dir);
		if(n < 0 || n >= (int)sizeof(outbox_default)) {
			LM_ERR("run directory %s is too long for the outbox: set modparam outbox\n",
					runtime_dir);
			return -1;
		}
		outbox = outbox_default;
	}
	LM_INFO("echo outbox: %s\n", outbox);
	memset(&drv, 0, sizeof(drv));
	drv.channel = channel;
	drv.cls = OMNIQ_CLASS_CHAT;
	drv.caps = OMNIQ_CAP_TEXT;
	drv.deliver = echo_deliver;
	drv.event = echo_event;
	drv.owner = "omniq_echo";
	if(oq.register_driver(&drv) < 0)
		return -1;
	if(n_hooks == 0)
		hooks[n_hooks++] = "/hooks/echo";
	for(i = 0; i < n_hooks; i++) {
		memset(&route, 0, sizeof(route));
		route.path = omniq_str(hooks[i]);
		route.max_body = 2048;
		route.handle = echo_hook;
		route.param = hooks[i];
		if(oq.register_http_route(&route) < 0)
			return -1;
	}
	return 0;
}

static int hook_param(modparam_t type, void *val)
{
	if(n_hooks == ECHO_HOOKS_MAX) {
		LM_ERR("modparam hook: more than %d\n", ECHO_HOOKS_MAX);
		return -1;
	}
	hooks[n_hooks++] = (char *)val;
	return 0;
}

/* clang-format off */
static cmd_export_t cmds[] = {
	{"echo_ingest", (cmd_function)w_echo_ingest3, 3, fixup_spve_all, fixup_free_spve_all, ANY_ROUTE},
	{"echo_ingest", (cmd_function)w_echo_ingest, 4, fixup_spve_all, fixup_free_spve_all, ANY_ROUTE},
	/* deprecated: the name before echo_ingest, kept for the cfgs that use it */
	{"echo_open", (cmd_function)w_echo_ingest3, 3, fixup_spve_all, fixup_free_spve_all, ANY_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"outbox", PARAM_STRING, &outbox},
	{"hook", PARAM_STRING | PARAM_USE_FUNC, (void *)hook_param},
	{0, 0, 0}
};

struct module_exports exports = {
	"omniq_echo", DEFAULT_DLFLAGS, cmds, params, 0, 0, 0, mod_init, 0, 0
};

static sr_kemi_t kemi_exports[] = {
	{ str_init("omniq_echo"), str_init("echo_ingest"), SR_KEMIP_INT, ki_echo_ingest,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ str_init("omniq_echo"), str_init("echo_ingest_cid"), SR_KEMIP_INT, ki_echo_ingest_cid,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	/* deprecated: echo_ingest's old name */
	{ str_init("omniq_echo"), str_init("echo_open"), SR_KEMIP_INT, ki_echo_ingest,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(kemi_exports);
	return 0;
}
