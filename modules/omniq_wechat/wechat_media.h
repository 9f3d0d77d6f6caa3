/*
 * wechat_media.h - the photos, voice messages and videos WeChat customers send: WeChat keeps
 * them three days under a MediaId. A customer's message names the file by a core media key
 * (api.media_ref) as "/media/<tenant>/<key>", which the desk shows as a link; the first time
 * an agent opens it, omniq_ws asks this channel's sender ("media:<key>", body
 * "<appid>:<media_id>"), which fetches it (media/get) and hands the bytes to the core.
 */
#ifndef OMNIQ_WECHAT_MEDIA_H
#define OMNIQ_WECHAT_MEDIA_H

#include "omniq/omniq_api.h"

#include "wechat_account.h"

#define WX_MEDIA_TTL_MS (3LL * 24 * 3600 * 1000) /* WeChat keeps a temporary file 3 days */

void wx_media_init(omniq_api_t *api);

/* A link for the agent to account a's file media_id, "\n/media/<tenant>/<key>", into out
 * (on the current tenant, which must be a's): 0, or -1 (nothing written: the message is
 * stored without it, and says the file's kind as before). One Redis round trip. */
int wx_media_link(const wx_conf_t *a, const char *media_id, char *out, size_t size);

/* The sender's fetch of one file: key, and the ref "<appid>:<media_id>" as body. */
void wx_media_fetch(const char *key, const str *ref, omniq_send_result_t *res);

#endif
