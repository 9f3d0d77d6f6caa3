/*
 * wechat_api.c - see wechat_api.h.
 */
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"

#include "omniq/omniq_http_client.h"
#include "omniq/omniq_limits.h"

#include "wechat_api.h"

static CURL *curl;
static const char *bases[2];

int wx_api_open(const char *oa_base, const char *wecom_base, int timeout_ms)
{
	if((curl = omniq_http_handle(timeout_ms)) == NULL) {
		LM_ERR("libcurl cannot start: no WeChat message can be sent\n");
		return -1;
	}
	bases[0] = oa_base;
	bases[1] = wecom_base;
	return 0;
}

int wx_api_call(int wecom, const char *path, const char *query, const char *body,
		const wx_opts_t *opt, wx_answer_t *ans)
{
	static const char *const json_hdr[] = {
			"Content-Type: application/json; charset=utf-8", NULL};
	char url[2048];
	omniq_http_answer_t a;
	json_error_t jerr;
	json_t *code, *msg;

	static const wx_opts_t none;
	curl_mime *mime = NULL;
	curl_mimepart *part;
	int want_file, rc;

	if(opt == NULL)
		opt = &none;
	want_file = opt->want_file;
	memset(ans, 0, sizeof(*ans));
	if(opt->up_data) {
		if((mime = curl_mime_init(curl)) == NULL || (part = curl_mime_addpart(mime)) == NULL
				|| curl_mime_name(part, "media") != CURLE_OK
				|| curl_mime_data(part, opt->up_data, opt->up_len) != CURLE_OK
				|| curl_mime_type(part, opt->up_type) != CURLE_OK
				|| curl_mime_filename(part, opt->up_name) != CURLE_OK) {
			curl_mime_free(mime);
			snprintf(ans->why, sizeof(ans->why), "out of memory for the upload");
			return -1;
		}
	}
	if(snprintf(url, sizeof(url), "%s%s%s%s", bases[wecom ? 1 : 0], path, *query ? "?" : "",
			   query)
			>= (int)sizeof(url)) {
		snprintf(ans->why, sizeof(ans->why), "the request URL is too long");
		curl_mime_free(mime);
		return -1;
	}
	rc = omniq_http_call_mime(curl, url, body ? json_hdr : NULL, body, body ? strlen(body) : 0,
			mime, NULL, want_file ? OMNIQ_MEDIA_MAX : OMNIQ_HTTP_ANSWER_MAX, &a);
	curl_mime_free(mime);
	if(rc < 0) {
		snprintf(ans->why, sizeof(ans->why), "WeChat did not answer: %s", a.why);
		return -1;
	}
	ans->http = a.status;
	/* a file comes with its own type; WeChat's errors as JSON (text/plain or json) */
	if(want_file && a.status == 200 && a.body && strncmp(a.type, "text/plain", 10)
			&& strncmp(a.type, "application/json", 16)) {
		ans->file = a.body;
		ans->file_len = a.len;
		snprintf(ans->file_type, sizeof(ans->file_type), "%s",
				a.type[0] ? a.type : "application/octet-stream");
		return 0;
	}
	ans->json = a.body ? json_loadb(a.body, a.len, 0, &jerr) : NULL;
	omniq_http_answer_free(&a);
	if(ans->json == NULL || !json_is_object(ans->json)) {
		json_decref(ans->json);
		ans->json = NULL;
		ans->errcode = WX_NOT_JSON;
		snprintf(ans->why, sizeof(ans->why), "WeChat answered HTTP %ld without its JSON",
				ans->http);
		return -1;
	}
	code = json_object_get(ans->json, "errcode");
	msg = json_object_get(ans->json, "errmsg");
	ans->errcode = json_is_integer(code) ? (int)json_integer_value(code) : 0;
	snprintf(ans->errmsg, sizeof(ans->errmsg), "%s",
			json_is_string(msg) ? json_string_value(msg) : "");
	if(ans->errcode != 0)
		snprintf(ans->why, sizeof(ans->why), "WeChat %d: %s", ans->errcode, ans->errmsg);
	return 0;
}
