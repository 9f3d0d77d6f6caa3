/*
 * wechat_kf.h - WeCom customer service (企业微信 微信客服): its callback only says that
 * messages wait (kf_msg_or_event); they are fetched with kf/sync_msg from a cursor kept in
 * Redis (api.chan_get/chan_set "cursor:<corpid>:<open_kfid>"), by one fetcher per account
 * across nodes (api.chan_lease "sync:<corpid>:<open_kfid>"), in the sender's process
 * (wechat_inbound.c queues the fetch as an outbound job, so a node that dies mid-fetch
 * leaves it to another). Each message is stored with its msgid as cid before the cursor
 * moves past it: a fetch repeated after a failure repeats nothing, skips nothing.
 *
 * Service states: WeCom lets the API send (kf/send_msg) while a conversation is new (0) or
 * "handled by the assistant" (1), not once a WeCom servicer has it (3). omniq's agents answer
 * through the API, so their accepting a session moves it to 1, and its end to 4 (ended):
 * WeCom then shows it handled and ended, and the customer's next message starts anew.
 */
#ifndef OMNIQ_WECHAT_KF_H
#define OMNIQ_WECHAT_KF_H

#include "omniq/omniq_api.h"

#include "wechat_account.h"

#define WX_KF_PAGES_MAX 20  /* pages of up to 1000 messages per fetch; more: fetched again */

void wx_kf_init(omniq_api_t *api);

/* The fetch job of open_kfid (token: the callback's Token, "-" for none): res SENT when
 * everything waiting is stored, RETRY with why otherwise. */
void wx_kf_sync(const wx_conf_t *a, const char *open_kfid, const str *token,
		omniq_send_result_t *res);

/* The dispatcher's events of WeChat sessions (api.register_driver): a WeCom customer-service
 * session accepted by an agent is moved to service state 1, one that ends to 4, through a
 * job for the sender (the dispatcher makes no network call), queued by one node only. */
void wx_kf_event(const omniq_event_t *ev, void *param);

/* The job of address state:<corpid>:<open_kfid>:<external_userid>, body the state. */
void wx_kf_state(const wx_conf_t *a, const char *open_kfid, const char *user,
		const str *state, omniq_send_result_t *res);

#endif
