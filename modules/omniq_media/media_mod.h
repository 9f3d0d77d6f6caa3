/*
 * media_mod.h - what the parts of omniq_media share: its settings, the sockets between
 * processes, the loaded prompts, the statistics. Internal to the module.
 */
#ifndef MEDIA_MOD_H
#define MEDIA_MOD_H

#include <stdint.h>

#include "core/counters.h"
#include "omniq/omniq_api.h"
#include "omniq/omniq_media.h"
#include "media_prompts.h"

typedef struct media_cfg {
	int port_min, port_max;
	char *media_addr;       /* announced and bound; "" : the address the INVITE came to */
	char *prompts_dir;
	char *language;
	int lang;
	int announce_interval;  /* s */
	int idle_timeout;       /* s */
	int processes;
	int prefer;             /* MEDIA_PREFER_OFFER / _OURS */
	char *callback_digit;   /* the key that asks for a callback ("" none) */
	char *prefer_name;
} media_cfg_t;
extern media_cfg_t media_cfg;

extern media_prompts_t media_prompts;
extern omniq_api_t media_oq;
extern omniq_media_end_cb media_end_cb;

/* socketpairs made in mod_init: workers -> media process p: to_proc[p][1] write, [0] read;
 * media processes -> the control process: to_ctl[1] write, [0] read */
extern int (*media_to_proc)[2];
extern int media_to_ctl[2];

/* a media process is handed a stream: this datagram with the two sockets (SCM_RIGHTS) */
typedef struct media_msg_start {
	int slot;
	unsigned short gen;
} media_msg_start_t;

/* a stream ended on its own (why), its caller pressed a key (why 0, digit), or it started
 * (why 0, digit 0: its figures are wanted now): to the control process, which tells the
 * owner, acts on the key, or reads the figures */
typedef struct media_msg_end {
	int slot;
	unsigned short gen;
	int why;               /* omniq_media_end_t, 0 for a key */
	char digit;            /* the callback key */
	int step;              /* a survey's score (why 0, digit 0): MEDIA_SCORE_CSAT or _NPS */
	int score;             /*   and its value */
	uint64_t tag;
	char sid[OMNIQ_SID_MAX];
} media_msg_end_t;

enum {
	MEDIA_ST_STARTED,      /* streams started (183 with our answer) */
	MEDIA_ST_REFUSED,      /* offers refused (400, 488) */
	MEDIA_ST_NO_PORT,      /* starts that found no port or process (503) */
	MEDIA_ST_IDLE,         /* streams ended because the caller sent nothing */
	MEDIA_ST_AUTH_FAIL,    /* SRTP packets of callers that failed authentication */
	MEDIA_ST_REPLAY,       /* ... that were replays */
	MEDIA_ST_DTMF,         /* DTMF digits received */
	MEDIA_ST_CALLBACK,     /* callers who pressed callback_digit and were promised a call */
	MEDIA_ST_SURVEYS,      /* survey scores by keypad recorded (CSAT, NPS: one each) */
	MEDIA_ST_STRANGERS,    /* plain RTP/RTCP packets from addresses not the caller's: dropped */
	MEDIA_ST_PACKETS,      /* RTP packets sent to callers (added once a tick) */
	MEDIA_ST_COUNT
};
extern stat_export_t media_stat_exports[];
void media_stat_add(int which, unsigned long n);

/* the API (media_start.c) */
int media_api_start(const omniq_media_call_t *c, char *sdp, int size, unsigned int *handle,
		char *why, int why_len);
void media_api_stop(unsigned int handle);
int media_api_check(const str *offer, char *why, int why_len);
void media_api_rebind(unsigned int handle, const str *sid, int position, int est_wait_s);
int media_api_key(unsigned int handle, char digit);
int media_api_can_survey(void);

/* the processes' loops (media_proc.c, media_ctl.c) */
void media_proc_loop(void *arg);
void media_ctl_loop(void *arg);

#endif
