/*
 * omniq_echo - the smallest useful omniq channel module, the worked example of
 * docs/integrator.md.
 *
 * Channel "echo" (class chat): a cfg script opens sessions with echo_open(identity, skills,
 * text), and a customer's message may also arrive over HTTP (POST /hooks/echo, served by
 * omniq_ws); agents' replies are "delivered" by appending a line to the file named by the
 * `outbox` modparam; every session event of this channel is written there too. A real
 * channel does the same things: open/append sessions from its inbound traffic, deliver
 * replies, react to events - with a real protocol instead of a file.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/kemi.h"

#include "omniq/omniq_api.h"

MODULE_VERSION

static omniq_api_t oq;
static char *outbox = "/tmp/omniq_echo.out";
/* The HTTP paths served (modparam hook, repeatable; none: /hooks/echo). The room for more
 * than the core's limit is on purpose: the core, not each module, enforces it. */
#define ECHO_HOOKS_MAX 40
static char *hooks[ECHO_HOOKS_MAX];
static int n_hooks = 0;
static str channel = str_init("echo");

static void outbox_line(const char *fmt, const str *a, const str *b, const str *c)
{
	FILE *f = fopen(outbox, "a");
	if(f == NULL) {
		LM_ERR("cannot open outbox %s\n", outbox);
		return;
	}
	fprintf(f, fmt, a->len, a->s, b->len, b->s, c->len, c->s);
	fclose(f);
}

/* Agent → customer: a real channel sends here (SMPP, HTTP API, WebSocket...). */
static int echo_deliver(const str *sid, const str *ext, const str *from, const str *body,
		void *param)
{
	outbox_line("reply %.*s from %.*s: %.*s\n", sid, from, body);
	return 0;
}

/* Session events of this channel, in the omniq dispatcher process of every node. */
static void echo_event(const omniq_event_t *ev, void *param)
{
	outbox_line("event %.*s session %.*s agent %.*s\n", &ev->type, &ev->sid, &ev->agent);
}

static int answer(omniq_http_resp_t *rs, int status, const char *fmt, const char *a)
{
	int n = snprintf(rs->body, rs->size, fmt, a);
	rs->status = status;
	rs->len = n < 0 ? 0 : (n < rs->size ? n : rs->size - 1);
	return 0;
}

/* POST /hooks/echo[/<tenant>]?identity=web:x with the message as a text/plain body;
 * X-Echo-Id names the message, so that a POST the sender retries is appended once. A real
 * provider's hook checks its signature here before anything else. param: the route's path,
 * told back to the sender. */
static int echo_hook(const omniq_http_req_t *rq, omniq_http_resp_t *rs, void *param)
{
	static const char *const how[] = {"appended", "duplicate", "opened"};
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
	rs->status = rc == 2 ? 201 : 200;
	rs->len = snprintf(rs->body, rs->size,
			"{\"sid\":\"%s\",\"state\":\"%s\",\"how\":\"%s\",\"route\":\"%s\"}", info.sid,
			info.state, how[rc], (const char *)param);
	return 0;
}

static int ki_echo_open(sip_msg_t *msg, str *identity, str *skills, str *text)
{
	static str in = str_init("in");
	omniq_session_info_t info;
	int rc;

	rc = oq.open(&channel, identity, skills, 0, NULL, NULL, &info);
	if(rc < 0) {
		LM_NOTICE("echo_open refused: %s (%s)\n", oq.strerror(rc), oq.last_error());
		return rc;
	}
	str sid = {info.sid, (int)strlen(info.sid)};
	if(text->len > 0 && (rc = oq.append(&sid, &in, identity, text)) < 0)
		return rc;
	LM_INFO("echo session %s is %s\n", info.sid, info.state);
	return 1;
}

static int w_echo_open(sip_msg_t *msg, char *p1, char *p2, char *p3)
{
	str id, sk, text;
	if(fixup_get_svalue(msg, (gparam_t *)p1, &id) < 0
			|| fixup_get_svalue(msg, (gparam_t *)p2, &sk) < 0
			|| fixup_get_svalue(msg, (gparam_t *)p3, &text) < 0)
		return -1;
	return ki_echo_open(msg, &id, &sk, &text);
}

static int mod_init(void)
{
	omniq_driver_t drv;
	omniq_http_route_t route;
	int i;

	if(omniq_load_api(&oq) < 0)
		return -1;
	memset(&drv, 0, sizeof(drv));
	drv.channel.s = "echo";
	drv.channel.len = 4;
	drv.cls = OMNIQ_CLASS_CHAT;
	drv.caps = OMNIQ_CAP_TEXT;
	drv.deliver = echo_deliver;
	drv.event = echo_event;
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
	{"echo_open", (cmd_function)w_echo_open, 3, fixup_spve_all, fixup_free_spve_all, ANY_ROUTE},
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
	{ str_init("omniq_echo"), str_init("echo_open"), SR_KEMIP_INT, ki_echo_open,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE } },
	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(kemi_exports);
	return 0;
}
