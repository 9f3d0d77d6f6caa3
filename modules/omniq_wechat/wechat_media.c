/*
 * wechat_media.c - see wechat_media.h.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/dprint.h"
#include "core/mem/mem.h"

#include "wechat_api.h"
#include "wechat_media.h"
#include "wechat_token.h"

static omniq_api_t *oq;

void wx_media_init(omniq_api_t *api)
{
	oq = api;
}

int wx_media_link(const wx_conf_t *a, const char *media_id, char *out, size_t size)
{
	char ref[OMNIQ_TEXT_MAX + 1], key[OMNIQ_MEDIA_KEY + 1], path[OMNIQ_MEDIA_PATH_SIZE];
	str r;
	int n;

	n = snprintf(ref, sizeof(ref), "%s:%s", a->appid, media_id);
	if(n < 0 || (size_t)n >= sizeof(ref))
		return -1;
	r = omniq_str(ref);
	if(oq->media_ref(&wx_channel, &r, WX_MEDIA_TTL_MS, key, sizeof(key)) < 0) {
		LM_NOTICE("account %s: no link to media %s for the agent: %s\n", a->name, media_id,
				oq->last_error());
		return -1;
	}
	if(omniq_media_path(oq, key, path, sizeof(path)) < 0)
		return -1;
	n = snprintf(out, size, "\n%s", path);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

void wx_media_fetch(const char *key, const str *ref, omniq_send_result_t *res)
{
	char buf[OMNIQ_TEXT_MAX + 1], path[OMNIQ_TEXT_MAX + 64], *colon;
	const wx_conf_t *a;
	wx_answer_t ans;
	str k = omniq_str(key), appid, type, data, why;
	int rc;

	res->outcome = OMNIQ_FAILED;
	if(ref->len < 3 || ref->len >= (int)sizeof(buf)
			|| (colon = memchr(ref->s, ':', ref->len)) == NULL) {
		snprintf(res->reason, sizeof(res->reason), "no WeChat media reference");
		return;
	}
	memcpy(buf, ref->s, ref->len);
	buf[ref->len] = '\0';
	colon = buf + (colon - ref->s);
	*colon = '\0';
	appid = omniq_str(buf);
	if((a = wx_account_by_appid(&appid)) == NULL) {
		snprintf(res->reason, sizeof(res->reason), "no WeChat account %s on this node", buf);
		return;
	}
	snprintf(path, sizeof(path), "/cgi-bin/media/get?media_id=%s", colon + 1);
	rc = wx_call_with_token(a, 0, path, NULL, &(wx_opts_t){.want_file = 1}, &ans);
	if(rc == 0 && ans.file) {
		type = omniq_str(ans.file_type);
		data.s = ans.file;
		data.len = (int)ans.file_len;
		rc = oq->media_put(&k, &type, &data, NULL, WX_MEDIA_TTL_MS);
		pkg_free(ans.file);
		if(rc < 0) {
			res->outcome = rc == OMNIQ_ENOTFOUND ? OMNIQ_FAILED : OMNIQ_RETRY;
			snprintf(res->reason, sizeof(res->reason), "fetched, not kept: %s",
					oq->last_error());
			return;
		}
		res->outcome = OMNIQ_SENT;
		snprintf(res->reason, sizeof(res->reason), "fetched %zu bytes", ans.file_len);
		return;
	}
	if(rc < 0 || ans.errcode == -1 || ans.errcode == 45009 || ans.errcode == 45011
			|| wx_token_refused(ans.errcode)) {
		res->outcome = OMNIQ_RETRY; /* WeChat busy, or no answer: later */
		snprintf(res->reason, sizeof(res->reason), "%s", ans.why);
		json_decref(ans.json);
		return;
	}
	/* WeChat's verdict on the file (40007: it is gone, after 3 days): the agent sees it */
	why = omniq_str(ans.why);
	if(oq->media_put(&k, NULL, NULL, &why, WX_MEDIA_TTL_MS) < 0)
		LM_NOTICE("media %s: cannot keep WeChat's answer: %s\n", key, oq->last_error());
	snprintf(res->reason, sizeof(res->reason), "%s", ans.why);
	json_decref(ans.json);
}
