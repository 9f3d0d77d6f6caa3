/*
 * wechat_token.h - each account's access_token, one across every process and node: kept
 * in Redis through the core (api.chan_get/chan_set, "token:<appid>"), refreshed by whoever
 * holds the lease "refresh:<appid>" (api.chan_lease) when less than a tenth of its life (at
 * most 5 minutes) is left, so WeChat never sees two refreshers racing (each refresh ends
 * the token before the last after a few minutes) and a token is never used past its life.
 */
#ifndef OMNIQ_WECHAT_TOKEN_H
#define OMNIQ_WECHAT_TOKEN_H

#include "omniq/omniq_api.h"

#include "wechat_account.h"

#define WX_TOKEN_MAX 512

void wx_token_init(omniq_api_t *api);

/* The account's token into out (app: a WeCom account's application token, of its
 * agent_secret): 0, or -1 with why (the next attempt may do better). When
 * rejected is not NULL, WeChat refused that token (40001, 42001): it is dropped and a new
 * one fetched unless another process has already put a newer one in its place. */
int wx_token(const wx_conf_t *a, int app, const char *rejected, char *out, size_t size,
		char *why, size_t wsize);

/* WeChat's verdicts on a token: refused (40001, 40014) or expired (42001). */
static inline int wx_token_refused(int errcode)
{
	return errcode == 40001 || errcode == 42001 || errcode == 40014;
}

/* This process's name as a lease holder: "<host>/<pid>". */
void wx_holder(char *out, size_t size);

/* POST body (GET: NULL) to path with the account's token (a query of the path's own, as in
 * "/cgi-bin/media/get?media_id=...", follows the token's); a token WeChat refuses is
 * replaced and the request made once more. Returns what wx_api_call does; -1 with ans->why
 * also when no token could be had. */
struct wx_answer;
struct wx_opts;
int wx_call_with_token(const wx_conf_t *a, int app, const char *path, const char *body,
		const struct wx_opts *opt, struct wx_answer *ans);

#endif
