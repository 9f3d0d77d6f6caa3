/*
 * wechat_api.h - calls to WeChat's HTTP APIs (api.weixin.qq.com for Official Accounts,
 * qyapi.weixin.qq.com for WeCom; both modparams, so tests point them at a stand-in): one
 * bounded, blocking request, made only from the sender's own process. Every answer is
 * WeChat's JSON with an errcode (0, or absent, for success).
 */
#ifndef OMNIQ_WECHAT_API_H
#define OMNIQ_WECHAT_API_H

#include <jansson.h>


typedef struct wx_answer {
	long http;         /* the HTTP status; 0: no answer (timeout, refused: why) */
	int errcode;       /* WeChat's; WX_NOT_JSON when the answer was no JSON object */
	char errmsg[200];
	json_t *json;      /* the answer when it was JSON: the caller's to json_decref */
	char why[320];     /* what went wrong, in words fit for the agent's "Not sent" */
	/* a file (media/get, wx_opts_t.want_file): the answer when it was no JSON */
	char *file;        /* pkg memory, the caller's to pkg_free */
	size_t file_len;
	char file_type[128];
} wx_answer_t;

/* What a call does besides JSON in, JSON out (NULL: nothing else). */
typedef struct wx_opts {
	int want_file;     /* an answer that is no JSON is a file (up to OMNIQ_MEDIA_MAX) */
	/* a file to upload (media/upload): the request is a multipart POST of it as "media" */
	const char *up_data, *up_type, *up_name;
	size_t up_len;
} wx_opts_t;

#define WX_NOT_JSON (-100000)

/* Once in the sender's process: 0, or -1 when libcurl cannot start. */
int wx_api_open(const char *oa_base, const char *wecom_base, int timeout_ms);

/* GET (body NULL) or POST (body JSON); with opt (may be NULL) a file's download or upload
 * (wx_opts_t): a downloaded file is 0 with ans->file. GET (body NULL) or POST (body JSON) of base + path + "?" + query (already URL-encoded;
 * may be ""). 0 with an answer of WeChat's (ans->errcode its verdict), or -1 when none came
 * (ans->why; ans->http the status of a non-JSON answer, 0 for no answer at all). */
int wx_api_call(int wecom, const char *path, const char *query, const char *body,
		const wx_opts_t *opt, wx_answer_t *ans);

#endif
