/*
 * survey_page.c - a mailed survey link's answer (see survey_page.h).
 */
#include <string.h>
#include <stdio.h>

#include "core/dprint.h"

#include "ws.h"
#include "survey_page.h"

/* "/survey/<tenant>/<sid>/<token>": its three parts, each non-empty, in out[3] (pointers
 * into buf, a copy of path); -1 when the path is not one. */
static int parts(const char *path, char *buf, size_t size, char *out[3])
{
	char *p;
	int i;

	if(strncmp(path, "/survey/", 8) || strlen(path + 8) >= size)
		return -1;
	strcpy(buf, path + 8);
	for(i = 0, p = buf; i < 3; i++) {
		out[i] = p;
		p = strchr(p, '/');
		if(i < 2) {
			if(p == NULL)
				return -1;
			*p++ = '\0';
		} else if(p != NULL) {
			return -1;
		}
		if(out[i][0] == '\0')
			return -1;
	}
	return 0;
}

/* a score member: absent or null (-1), or an integer lo..hi; -2 when it is neither */
static int score(json_t *body, const char *name, int lo, int hi)
{
	json_t *v = json_object_get(body, name);

	if(v == NULL || json_is_null(v))
		return -1;
	if(!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -2;
	return (int)json_integer_value(v);
}

void ws_survey_post(const char *path, json_t *body, ws_resp_t *rs)
{
	char buf[512], thanks[1100], *part[3]; /* a path: http.c keeps at most 511 bytes */
	str tenant, sid, token, comment = STR_NULL;
	json_t *cm = body ? json_object_get(body, "comment") : NULL;
	int csat, nps, rc;

	if(parts(path, buf, sizeof(buf), part) < 0) {
		ws_error(rs, 404, "not_found", "no survey for this link");
		return;
	}
	if(body == NULL) {
		ws_error(rs, 400, "bad_argument", "send the answer as JSON: {\"csat\":1..5, \"nps\":"
										  "0..10, \"comment\":\"...\"}");
		return;
	}
	csat = score(body, "csat", 1, 5);
	nps = score(body, "nps", 0, 10);
	if(csat == -2 || nps == -2 || (cm && !json_is_null(cm) && !json_is_string(cm))) {
		ws_error(rs, 400, "bad_argument", "'csat' must be 1..5, 'nps' 0..10 and 'comment' text");
		return;
	}
	if(cm && json_is_string(cm)) {
		comment.s = (char *)json_string_value(cm);
		comment.len = (int)json_string_length(cm);
	}
	/* a session id and a token as the library makes them, else no survey's link (the
	 * library then refuses only what the visitor chose: a score, a comment) */
	if(strspn(part[1], "0123456789") != strlen(part[1]) || strlen(part[1]) > 20
			|| strlen(part[2]) != 40 || strspn(part[2], "0123456789abcdefABCDEF") != 40) {
		ws_error(rs, 404, "not_found", "no survey for this link");
		return;
	}
	tenant = omniq_str(part[0]);
	sid = omniq_str(part[1]);
	token = omniq_str(part[2]);
	/* the link names its tenant: unknown here, a link of no survey */
	if(ws_oq.tenant_use(&tenant) < 0) {
		ws_error(rs, 404, "not_found", "no survey for this link");
		return;
	}
	rc = ws_oq.survey_answer(&sid, &token, csat, nps, &comment, thanks, sizeof(thanks));
	if(rc < 0) {
		LM_INFO("survey link of session %s (tenant %s): %s\n", part[1], part[0],
				ws_oq.last_error());
		if(rc == OMNIQ_ENOTFOUND) {
			ws_error(rs, 404, "not_found", "no survey for this link");
		} else if(rc == OMNIQ_EARG) {
			ws_error(rs, 400, "bad_argument", "%s", ws_oq.last_error());
		} else if(rc == OMNIQ_ESTATE) {
			ws_error(rs, 409, "answered", "this survey takes no answer any more: answered "
										  "already, or its time is over");
		} else {
			ws_omniq_error(rs, rc);
		}
		return;
	}
	rs->status = 200;
	rs->json = json_pack("{s:s}", "thanks", thanks);
}
