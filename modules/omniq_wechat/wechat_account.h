/*
 * wechat_account.h - the accounts one kamailio serves (modparam `account`, repeatable): an
 * Official Account (公众号) or a WeCom corp's customer service (企业微信 微信客服), each with
 * its own callback URL below /hooks/wechat/, token, EncodingAESKey, secret, tenant and
 * queue. Read once in mod_init; every process has the table (copied at fork).
 */
#ifndef OMNIQ_WECHAT_ACCOUNT_H
#define OMNIQ_WECHAT_ACCOUNT_H

#include "core/str.h"

#include "wechat_callback.h"

#define WX_ACCOUNTS_MAX 16
#define WX_NAME_MAX 32
#define WX_ID_MAX 64

typedef struct wx_conf {
	char name[WX_NAME_MAX + 1];   /* the URL: /hooks/wechat/<name> */
	char appid[WX_ID_MAX + 1];    /* AppID, or the WeCom CorpID */
	char secret[WX_ID_MAX + 1];   /* AppSecret, or the customer-service Secret */
	char token[WX_ID_MAX + 1];
	char tenant[WX_ID_MAX + 1];   /* "" the default tenant */
	char queue[WX_ID_MAX + 1], skills[256];
	int priority;
	char template_id[WX_ID_MAX + 1]; /* staff alerts of an Official Account */
	char template_field[WX_NAME_MAX + 1]; /* ... the template's field for the text */
	int agentid;                  /* staff alerts of WeCom: the application's AgentId */
	char agent_secret[WX_ID_MAX + 1]; /* ... and that application's own Secret */
	wx_account_t cb;              /* what wechat_callback.c checks (points into the above) */
} wx_conf_t;

/* The channel name, "wechat": identities wechat:<appid>:<openid>. */
extern const str wx_channel;

/* One `account` modparam value, added to the table (mod_init): 0, or -1 logged. */
int wx_account_add(const char *val);
int wx_account_count(void);
wx_conf_t *wx_account_at(int i);
/* The account of an AppID / CorpID, or NULL. */
wx_conf_t *wx_account_by_appid(const str *appid);

#endif
