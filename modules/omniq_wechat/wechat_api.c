/*
 * wechat_api.c - see wechat_api.h.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "core/dprint.h"
#include "core/mem/mem.h"

#include "wechat_api.h"

static CURL *curl;
static const char *bases[2];

typedef struct buf {
	char *p;
	size_t len, size;
	int over;
} buf_t;

static size_t take(char *data, size_t sz, size_t n, void *arg)
{
	buf_t *b = arg;
	size_t len = sz * n;

	if(b->len + len > WX_ANSWER_MAX) {
		b->over = 1;
		return 0; /* curl stops: an answer this large is no API answer */
	}
	if(b->len + len + 1 > b->size) {
		size_t size = b->size ? b->size : 4096;
		char *p;
		while(size < b->len + len + 1)
			size *= 2;
		if((p = pkg_realloc(b->p, size)) == NULL)
			return 0;
		b->p = p;
		b->size = size;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

int wx_api_open(const char *oa_base, const char *wecom_base, int timeout_ms)
{
	if(curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || (curl = curl_easy_init()) == NULL) {
		LM_ERR("libcurl cannot start: no WeChat message can be sent\n");
		return -1;
	}
	bases[0] = oa_base;
	bases[1] = wecom_base;
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_ms < 3000 ? timeout_ms : 3000));
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, take);
	return 0;
}

int wx_api_call(int wecom, const char *path, const char *query, const char *body,
		wx_answer_t *ans)
{
	char url[2048];
	struct curl_slist *h = NULL;
	buf_t b = {NULL, 0, 0, 0};
	json_error_t jerr;
	json_t *code, *msg;
	CURLcode cc;

	memset(ans, 0, sizeof(*ans));
	if(snprintf(url, sizeof(url), "%s%s%s%s", bases[wecom ? 1 : 0], path, *query ? "?" : "",
			   query)
			>= (int)sizeof(url)) {
		snprintf(ans->why, sizeof(ans->why), "the request URL is too long");
		return -1;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	if(body) {
		h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	}
	cc = curl_easy_perform(curl);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	if(cc != CURLE_OK) {
		snprintf(ans->why, sizeof(ans->why), "WeChat did not answer: %s",
				b.over ? "an answer over 1 MiB" : curl_easy_strerror(cc));
		pkg_free(b.p);
		return -1;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &ans->http);
	ans->json = b.p ? json_loadb(b.p, b.len, 0, &jerr) : NULL;
	pkg_free(b.p);
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

int wx_url_encode(const char *s, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for(; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
				|| c == '-' || c == '_' || c == '.' || c == '~') {
			if(n + 1 >= size)
				return -1;
			out[n++] = (char)c;
		} else {
			if(n + 3 >= size)
				return -1;
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	if(n >= size)
		return -1;
	out[n] = '\0';
	return (int)n;
}
