/*
 * omniq_media_mod.c - omniq_media's Kamailio face: parameters, the prompts loaded and the
 * port range set up in mod_init, the media processes and the control process forked, the
 * API omniq_sip binds (include/omniq/omniq_media.h), RPC and statistics.
 *
 * The streams themselves: media_start.c (a SIP worker answers the offer and hands the
 * stream over), media_proc.c (the media processes), media_ctl.c (the control process).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mem/pkg.h"
#include "core/pt.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/cfg/cfg_struct.h"

#include "omniq/omniq_module.h"
#include "omniq/omniq_proc.h"
#include "media_g711.h"
#include "media_mod.h"
#include "media_sdp.h"
#include "media_slot.h"
#include "media_suite.h"

MODULE_VERSION

media_cfg_t media_cfg = {
	.port_min = 30000,
	.port_max = 30999,
	.media_addr = "",
	.prompts_dir = NULL,
	.language = "zh",
	.announce_interval = 30,
	.idle_timeout = 30,
	.processes = 1,
	.prefer_name = "offer",
	.callback_digit = "1",
};

media_prompts_t media_prompts;
omniq_api_t media_oq;
omniq_media_end_cb media_end_cb = NULL;
int (*media_to_proc)[2] = NULL;
int media_to_ctl[2] = {-1, -1};

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);

/* ---- the API ---- */

static void api_on_end(omniq_media_end_cb cb)
{
	media_end_cb = cb;
}

static int omniq_media_bind(omniq_media_api_t *api)
{
	if(api == NULL)
		return -1;
	api->check = media_api_check;
	api->start = media_api_start;
	api->rebind = media_api_rebind;
	api->stop = media_api_stop;
	api->key = media_api_key;
	api->can_survey = media_api_can_survey;
	api->on_end = api_on_end;
	return 0;
}

/* ---- statistics ---- */

static stat_var *st[MEDIA_ST_COUNT];

stat_export_t media_stat_exports[] = {
	{"started", 0, &st[MEDIA_ST_STARTED]},
	{"refused", 0, &st[MEDIA_ST_REFUSED]},
	{"no_port", 0, &st[MEDIA_ST_NO_PORT]},
	{"idle_ended", 0, &st[MEDIA_ST_IDLE]},
	{"srtp_auth_failures", 0, &st[MEDIA_ST_AUTH_FAIL]},
	{"srtp_replays", 0, &st[MEDIA_ST_REPLAY]},
	{"dtmf", 0, &st[MEDIA_ST_DTMF]},
	{"callbacks", 0, &st[MEDIA_ST_CALLBACK]},
	{"surveys", 0, &st[MEDIA_ST_SURVEYS]},
	{"rtp_strangers", 0, &st[MEDIA_ST_STRANGERS]},
	{"packets_sent", 0, &st[MEDIA_ST_PACKETS]},
	{0, 0, 0}
};

void media_stat_add(int which, unsigned long n)
{
	if(which >= 0 && which < MEDIA_ST_COUNT && st[which] && n > 0)
		update_stat(st[which], (int)n);
}

/* ---- RPC ---- */

static const char *media_state_name(int state)
{
	return state == MS_ACTIVE ? "active" : state == MS_STARTING ? "starting" : "free";
}

static void rpc_streams(rpc_t *rpc, void *c)
{
	int i;
	void *h;

	for(i = 0; i < media_slots->n; i++) {
		media_slot_t *s = &media_slots->slot[i];
		if(s->state == MS_FREE)
			continue;
		if(rpc->add(c, "{", &h) < 0)
			return;
		rpc->struct_add(h, "sdsssdddddddd", "sid", s->sid, "port", media_slot_port(i),
				"state", media_state_name(s->state), "codec", media_codec_name(s->codec),
				"srtp", media_suite_name(s->suite), "latched", s->latched, "sent",
				(int)s->sent, "received", (int)s->received, "auth_failures",
				(int)s->auth_fail, "replays", (int)s->replay, "strangers", (int)s->strangers,
				"dtmf", (int)s->dtmf, "position", s->position);
	}
}

static void rpc_ports(rpc_t *rpc, void *c)
{
	void *h;

	if(rpc->add(c, "{", &h) < 0)
		return;
	rpc->struct_add(h, "ddddd", "port_min", media_cfg.port_min, "port_max",
			media_slots->port_min + 2 * media_slots->n - 1, "pairs", media_slots->n,
			"in_use", media_slots->in_use, "free", media_slots->n - media_slots->in_use);
}

static const char *rpc_streams_doc[] = {"Streams playing to queued callers now.", 0};
static const char *rpc_ports_doc[] = {"The media port range and how much of it is in use.", 0};

/* clang-format off */
static rpc_export_t rpcs[] = {
	{"omniq_media.streams", rpc_streams, rpc_streams_doc, RET_ARRAY},
	{"omniq_media.ports", rpc_ports, rpc_ports_doc, 0},
	{0, 0, 0, 0}
};

static cmd_export_t cmds[] = {
	{"omniq_media_bind", (cmd_function)omniq_media_bind, 0, 0, 0, 0},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"port_min", PARAM_INT, &media_cfg.port_min},
	{"port_max", PARAM_INT, &media_cfg.port_max},
	{"media_addr", PARAM_STRING, &media_cfg.media_addr},
	{"prompts_dir", PARAM_STRING, &media_cfg.prompts_dir},
	{"language", PARAM_STRING, &media_cfg.language},
	{"announce_interval", PARAM_INT, &media_cfg.announce_interval},
	{"idle_timeout", PARAM_INT, &media_cfg.idle_timeout},
	{"processes", PARAM_INT, &media_cfg.processes},
	{"prefer", PARAM_STRING, &media_cfg.prefer_name},
	{"callback_digit", PARAM_STRING, &media_cfg.callback_digit},
	{0, 0, 0}
};

struct module_exports exports = {
	"omniq_media",
	DEFAULT_DLFLAGS,
	cmds,
	params,
	0,              /* RPC methods: registered in mod_init (omniq_module_init) */
	0,              /* pseudo-variables */
	0,              /* response function */
	mod_init,
	child_init,     /* the media processes and the control process */
	mod_destroy
};
/* clang-format on */

static int check_params(void)
{
	char why[MEDIA_PROMPTS_WHY_MAX];
	struct sockaddr_storage ss;

	if(media_cfg.port_min % 2) {
		LM_ERR("modparam port_min = %d must be even (RTP even, RTCP the odd port after it)\n",
				media_cfg.port_min);
		return -1;
	}
	if(media_cfg.port_max <= media_cfg.port_min) {
		LM_ERR("modparam port_max = %d must be above port_min = %d\n", media_cfg.port_max,
				media_cfg.port_min);
		return -1;
	}
	if(media_cfg.media_addr[0] && inet_pton(AF_INET, media_cfg.media_addr, &ss) != 1
			&& inet_pton(AF_INET6, media_cfg.media_addr, &ss) != 1) {
		LM_ERR("modparam media_addr '%s' is no IPv4 or IPv6 address\n", media_cfg.media_addr);
		return -1;
	}
	if((media_cfg.lang = media_lang_by_name(media_cfg.language)) < 0) {
		LM_ERR("modparam language '%s': zh or en\n", media_cfg.language);
		return -1;
	}
	if(strcmp(media_cfg.prefer_name, "offer") == 0)
		media_cfg.prefer = MEDIA_PREFER_OFFER;
	else if(strcmp(media_cfg.prefer_name, "ours") == 0)
		media_cfg.prefer = MEDIA_PREFER_OURS;
	else {
		LM_ERR("modparam prefer '%s': offer (the caller's order) or ours\n",
				media_cfg.prefer_name);
		return -1;
	}
	if(strlen(media_cfg.callback_digit) > 1
			|| (media_cfg.callback_digit[0]
					&& strchr("0123456789*#", media_cfg.callback_digit[0]) == NULL)) {
		LM_ERR("modparam callback_digit '%s': one of 0-9 * #, or \"\" for none\n",
				media_cfg.callback_digit);
		return -1;
	}
	if(media_cfg.prompts_dir == NULL || media_cfg.prompts_dir[0] == '\0') {
		LM_ERR("modparam prompts_dir is not set: the directory of the WAV prompts (see "
			   "docs/admin-media.md)\n");
		return -1;
	}
	if(media_prompts_load(&media_prompts, media_cfg.prompts_dir, media_cfg.lang, why,
			   sizeof(why)) < 0) {
		LM_ERR("modparam prompts_dir: %s\n", why);
		return -1;
	}
	if(media_prompts_absent(&media_prompts, why, sizeof(why)) > 0)
		LM_NOTICE("prompts in %s without these (skipped; music: silence): %s\n",
				media_cfg.prompts_dir, why);
	return 0;
}

static int mod_init(void)
{
	static const omniq_int_param_t ints[] = {
		{"port_min", &media_cfg.port_min, 1024, 65534},
		{"port_max", &media_cfg.port_max, 1025, 65535},
		{"announce_interval", &media_cfg.announce_interval, 0, 3600},
		{"idle_timeout", &media_cfg.idle_timeout, 0, 3600},
		{"processes", &media_cfg.processes, 1, 64},
	};
	int k;

	if(omniq_module_init("omniq_media", media_stat_exports, rpcs, ints,
			   (int)(sizeof(ints) / sizeof(ints[0])), &media_oq) < 0)
		return -1;
	if(check_params() < 0)
		return -1;
	media_g711_init();
	if(media_slots_init(media_cfg.port_min, media_cfg.port_max, media_cfg.processes) < 0)
		return -1;
	media_to_proc = pkg_malloc(media_cfg.processes * sizeof(*media_to_proc));
	if(media_to_proc == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	for(k = 0; k < media_cfg.processes; k++)
		if(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, media_to_proc[k]) < 0) {
			LM_ERR("socketpair: %s\n", strerror(errno));
			return -1;
		}
	if(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, media_to_ctl) < 0) {
		LM_ERR("socketpair: %s\n", strerror(errno));
		return -1;
	}
	register_procs(media_cfg.processes + 1);
	cfg_register_child(media_cfg.processes + 1);
	LM_INFO("omniq_media ready: %d port pairs from %d, %s prompts from %s, %d media "
			"process(es)\n", media_slots->n, media_cfg.port_min,
			media_lang_name(media_cfg.lang), media_cfg.prompts_dir, media_cfg.processes);
	return 0;
}

static int child_init(int rank)
{
	char desc[32];
	long k;

	if(rank != PROC_MAIN)
		return 0;
	for(k = 0; k < media_cfg.processes; k++) {
		snprintf(desc, sizeof(desc), "omniq_media stream %ld", k);
		if(omniq_fork_loop(desc, media_proc_loop, (void *)k) < 0)
			return -1;
	}
	return omniq_fork_loop("omniq_media control", media_ctl_loop, NULL) < 0 ? -1 : 0;
}

static void mod_destroy(void)
{
	media_prompts_free(&media_prompts);
}
