/*
 * wechat_inbound.h - an account's callback URL, /hooks/wechat/<name>, served by omniq_ws
 * (api.register_http_route): WeChat's URL verification (GET) and its callbacks (POST),
 * checked (wechat_callback.c), mapped (wechat_message.c) and stored through the core's API
 * before the answer, so that "success" means stored, and anything else makes WeChat retry.
 */
#ifndef OMNIQ_WECHAT_INBOUND_H
#define OMNIQ_WECHAT_INBOUND_H

#include "omniq/omniq_api.h"

#include "wechat_account.h"

/* The route of account a (mod_init): 0, or -1 logged. */
int wx_inbound_route(omniq_api_t *api, wx_conf_t *a);

/* What the module counts (its statistics, omniq_wechat.c). */
typedef enum {
	WX_ST_TAKEN,      /* callbacks stored (or known already) and answered success */
	WX_ST_DUPLICATES, /* of which WeChat's retries of one stored before */
	WX_ST_REFUSED,    /* 4xx: a forged or stale signature, malformed XML */
	WX_ST_FAILED,     /* 5xx: not stored (Redis down): WeChat retries */
	WX_ST_SENT,       /* messages WeChat took (replies, alerts) */
	WX_ST_SEND_FAILED,
	WX_ST_TOKENS,     /* access tokens fetched */
	WX_ST_COUNT
} wx_stat_t;
void wx_stat_inc(wx_stat_t which);

/* The channel name, "wechat": identities wechat:<appid>:<openid>. */
extern const str wx_channel;

#endif
