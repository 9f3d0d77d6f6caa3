/*
 * wechat_sender.h - the sender of channel "wechat" (api.register_sender): in its own
 * process, every queued message leaves through WeChat's API with the account's access
 * token. What a message is, is in its address (the session's ext, or outbound_add's to):
 *   oa:<appid>:<openid>                      an Official Account's reply (message/custom/send)
 *   tpl:<appid>:<openid>                     a staff alert as the account's template message
 *   app:<corpid>:<userid>                    a staff alert as a WeCom application message
 *   kf:<corpid>:<open_kfid>:<external_userid> a WeCom customer-service reply (kf/send_msg)
 *   sync:<corpid>:<open_kfid>                no message: WeCom said messages wait; they are
 *                                            fetched (kf/sync_msg) and stored
 *   state:<corpid>:<open_kfid>:<external_userid>  no message: the conversation's service
 *                                            state (the body, 1 or 4) told to WeCom
 */
#ifndef OMNIQ_WECHAT_SENDER_H
#define OMNIQ_WECHAT_SENDER_H

#include "omniq/omniq_api.h"

typedef struct wx_sender_cfg {
	char *oa_base, *wecom_base;   /* API base URLs (modparams) */
	int timeout_ms;               /* one API request */
	int attempts, backoff_ms;
} wx_sender_cfg_t;

/* mod_init: 0, or -1 logged. */
int wx_sender_register(omniq_api_t *api, wx_sender_cfg_t *cfg);

#endif
