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

#endif
