/*
 * omniq_echo - the smallest useful omniq channel module, the worked example of
 * docs/integrator.md.
 *
 * Channel "echo" (class chat): a cfg script opens sessions with echo_open(identity, skills,
 * text); agents' replies are "delivered" by appending a line to the file named by the
 * `outbox` modparam; every session event of this channel is written there too. A real
 * channel does the same three things: open/append sessions from its inbound traffic, deliver
 * replies, react to events - with a real protocol instead of a file.
 */
#include <stdio.h>
#include <string.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/kemi.h"

#include "omniq/omniq_api.h"

MODULE_VERSION

static omniq_api_t oq;
static char *outbox = "/tmp/omniq_echo.out";

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

static int ki_echo_open(sip_msg_t *msg, str *identity, str *skills, str *text)
{
	static str channel = str_init("echo");
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

	if(omniq_load_api(&oq) < 0)
		return -1;
	memset(&drv, 0, sizeof(drv));
	drv.channel.s = "echo";
	drv.channel.len = 4;
	drv.cls = OMNIQ_CLASS_CHAT;
	drv.caps = OMNIQ_CAP_TEXT;
	drv.deliver = echo_deliver;
	drv.event = echo_event;
	return oq.register_driver(&drv) < 0 ? -1 : 0;
}

/* clang-format off */
static cmd_export_t cmds[] = {
	{"echo_open", (cmd_function)w_echo_open, 3, fixup_spve_all, fixup_free_spve_all, ANY_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"outbox", PARAM_STRING, &outbox},
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
