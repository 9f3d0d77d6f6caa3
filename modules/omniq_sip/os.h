/*
 * os.h - what the parts of omniq_sip share: the bound APIs, the settings, the statistics.
 * Internal to the module.
 */
#ifndef OS_H
#define OS_H

#include "core/str.h"
#include "core/counters.h"
#include "modules/tm/tm_load.h"
#include "modules/registrar/api.h"
#include "modules/dialog/dlg_load.h"
#include "omniq/omniq_api.h"
#include "omniq/omniq_media.h"

extern struct tm_binds os_tmb;
extern registrar_api_t os_regb;
extern struct dlg_binds os_dlgb;
extern omniq_api_t os_oq;
extern cmd_function os_dlg_manage;
/* omniq_media, when it is loaded: queued callers hear early media (183) instead of 182 */
extern omniq_media_api_t os_media;
extern int os_media_on;

/* a caller's identity (a number, or the URI it called from), NUL included */
#define OS_IDENT_MAX (OMNIQ_IDENTITY_MAX + 1)

typedef struct os_settings {
	str node;             /* this kamailio instance, in every call's ext */
	str location;         /* usrloc table agents register in */
	char *agent_aor;      /* printf format, %s = agent id */
	int ring_timeout_ms;  /* how long an agent's phone may ring */
	int max_msg_size;     /* larger INVITEs are refused with 513 */
	int max_hops;         /* overflows from queue to queue for one call */
	int lease_s;          /* the node's lease in Redis: renewed each second, this long */
	char *dial_uri;       /* click-to-dial: where a customer is called, {number}; NULL: off */
	int dial_timeout_ms;  /* how long the customer's phone may ring on a dial */
	int dial_max_s;       /* a dial up longer than this is hung up (a lost BYE) */
	int transfer_wait_ms; /* how long a REFERred caller's INVITE may take (xfer.h) */
} os_settings_t;
extern os_settings_t os_cfg;

enum {
	OS_ST_CALLS,       /* INVITEs taken into a queue */
	OS_ST_QUEUED,      /* times a call waited suspended (182 Queued) */
	OS_ST_RELAYED,     /* INVITEs relayed to an agent's phone */
	OS_ST_ANSWERED,
	OS_ST_AGENT_FAILED,/* agent phone rejected, did not answer or was not registered */
	OS_ST_ABANDONED,   /* caller CANCEL while waiting or ringing */
	OS_ST_OVERFLOWED,  /* max wait passed */
	OS_ST_REFUSED,     /* bad input: error reply, nothing written */
	OS_ST_ENDED,       /* dialogs ended (BYE or dialog timeout) */
	OS_ST_NODE_LOST,   /* sessions of dead nodes (or of this one before it restarted) ended */
	OS_ST_HUNG_UP,     /* live calls ended because their session was closed (desk, RPC) */
	OS_ST_CLOSED,      /* calls that came while their queue was outside its business hours */
	OS_ST_DIALS,       /* click-to-dial: agents' phones rung for a follow-up or a callback */
	OS_ST_DIALS_ANSWERED, /* ... whose customer answered */
	OS_ST_DIALS_FAILED,   /* ... whose customer was not reached (or not called: gateway) */
	OS_ST_MEDIA,       /* queued calls answered with early media (183 and omniq_media's SDP) */
	OS_ST_MEDIA_LOST,  /* queued calls ended because the caller's media stopped */
	OS_ST_TRANSFERRED, /* calls whose session moved to the caller's INVITE after a REFER */
	OS_ST_TRANSFER_FAILED, /* ... whose move was refused (target busy or unknown): error reply */
	OS_ST_TRANSFER_ASKED,  /* REFERs omniq sent to callers for a desk's (RPC's) transfer */
	OS_ST_TRANSFER_ASK_FAILED, /* ... not sent, or refused / not answered by the phone */
	OS_ST_AGENT_CALLS, /* calls between agents' phones relayed (agentcall.h): no session */
	OS_ST_INFO_KEYS,   /* keys waiting callers sent by SIP INFO (dtmf.h) */
	OS_ST_COUNT
};
extern stat_export_t os_stat_exports[];
void os_stat_inc(int which);
void os_stat_add(int which, int n);

#endif
