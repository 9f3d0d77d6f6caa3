/*
 * desk_media.c - see desk_media.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/dprint.h"

#include "desk_media.h"
#include "desk_token.h"

#define UPLOAD_TTL_MS (3LL * 24 * 3600 * 1000) /* as long as WeChat keeps an upload */

/* the kind of reply a media type makes, or NULL for a type not taken */
static const char *kind_of(const char *t)
{
	if(!strcasecmp(t, "image/jpeg") || !strcasecmp(t, "image/png") || !strcasecmp(t, "image/gif"))
		return "image";
	if(!strncasecmp(t, "audio/", 6))
		return "voice";
	if(!strncasecmp(t, "video/", 6))
		return "video";
	return NULL;
}

void ws_desk_media(const char *method, const char *auth, const char *ctype, const char *body,
		size_t len, ws_resp_t *rs)
{
	char agent[OMNIQ_ID_MAX + 1], ref[OMNIQ_ID_MAX + 16], key[OMNIQ_MEDIA_KEY + 1];
	char type[128], path[OMNIQ_ID_MAX + OMNIQ_MEDIA_KEY + 16];
	const char *kind;
	str ch = {"desk", 4}, r, k, t, d, tn, tp;
	long long epoch;
	int tenant, rc;
	size_t n;

	if(strcmp(method, "POST")) {
		ws_error(rs, 405, "method_not_allowed", "%s %s", method, WS_DESK_MEDIA_PATH);
		return;
	}
	rc = auth && !strncasecmp(auth, "Bearer ", 7)
				 ? ws_desk_token(auth + 7, &tenant, agent, sizeof(agent), &epoch)
				 : WS_DESK_BAD;
	if(rc == WS_DESK_UNAVAILABLE) {
		ws_error(rs, 503, "unavailable", "the token cannot be checked now: try again");
		goto out;
	}
	if(rc != WS_DESK_OK) {
		ws_error(rs, 401, "unauthorized", "send Authorization: Bearer <your desk token>");
		goto out;
	}
	/* the media type alone, without parameters */
	n = strcspn(ctype ? ctype : "", "; ");
	snprintf(type, sizeof(type), "%.*s", (int)(n < sizeof(type) ? n : sizeof(type) - 1),
			ctype ? ctype : "");
	if((kind = kind_of(type)) == NULL) {
		ws_error(rs, 415, "unsupported_type",
				"send a photo (image/jpeg, png, gif), audio or video; not '%s'", type);
		goto out;
	}
	if(len == 0) {
		ws_error(rs, 400, "bad_request", "the file is empty");
		goto out;
	}
	snprintf(ref, sizeof(ref), "upload:%s", agent);
	r = omniq_str(ref);
	if((rc = ws_oq.media_ref(&ch, &r, UPLOAD_TTL_MS, key, sizeof(key))) == 0) {
		k = omniq_str(key);
		t = omniq_str(type);
		d.s = (char *)body;
		d.len = (int)len;
		rc = ws_oq.media_put(&k, &t, &d, NULL, UPLOAD_TTL_MS);
	}
	if(rc < 0) {
		ws_error(rs, rc == OMNIQ_EREDIS ? 503 : 400,
				rc == OMNIQ_EREDIS ? "unavailable" : "bad_request", "%s", ws_oq.last_error());
		goto out;
	}
	ws_oq.tenant_at(tenant, &tn, &tp);
	snprintf(path, sizeof(path), "/media/%.*s/%s", tn.len, tn.s, key);
	rs->status = 201;
	rs->json = json_pack("{s:s,s:s}", "media", path, "kind", kind);
out:
	ws_oq.tenant_use_index(0);
}
