/*
 * xfer_token.c - see xfer_token.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "core/data_lump.h"
#include "core/dprint.h"
#include "core/mem/pkg.h"
#include "core/parser/parse_param.h"
#include "core/parser/parse_uri.h"

#include "xfer_token.h"

int os_xfer_token_new(char *out)
{
	static const char abc[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	unsigned char rnd[OS_XFER_TOKEN_LEN];
	int i;

	if(getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		LM_ERR("no random bytes for a transfer's token: %s\n", strerror(errno));
		return -1;
	}
	for(i = 0; i < OS_XFER_TOKEN_LEN; i++)
		out[i] = abc[rnd[i] % 62]; /* 256 = 4 * 62 + 8: a bias of 1/32 on 8 of 62 letters */
	out[OS_XFER_TOKEN_LEN] = '\0';
	return 0;
}

int os_xfer_token_put(sip_msg_t *req, const str *uri, const char *token)
{
	struct sip_uri u;
	struct lump *anchor;
	char *at, *s;
	int len = (int)(sizeof(";" OS_XFER_TOKEN_PARAM "=") - 1) + OS_XFER_TOKEN_LEN;

	if(uri->s <= req->buf || uri->s[-1] != '<' || uri->s + uri->len >= req->buf + req->len
			|| uri->s[uri->len] != '>' || parse_uri(uri->s, uri->len, &u) < 0)
		return -1;
	at = u.headers.len > 0 ? u.headers.s - 1 : uri->s + uri->len; /* its '?', or its '>' */
	if((anchor = anchor_lump(req, (int)(at - req->buf), 0, 0)) == NULL)
		return -1;
	if((s = pkg_malloc(len + 1)) == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	memcpy(s, ";" OS_XFER_TOKEN_PARAM "=", sizeof(";" OS_XFER_TOKEN_PARAM "=") - 1);
	memcpy(s + sizeof(";" OS_XFER_TOKEN_PARAM "=") - 1, token, OS_XFER_TOKEN_LEN);
	if(insert_new_lump_after(anchor, s, len, 0) == NULL) {
		pkg_free(s);
		return -1;
	}
	return 0;
}

int os_xfer_token_of(sip_msg_t *msg, char *out)
{
	param_hooks_t hooks;
	param_t *params = NULL, *p;
	str ps;
	int i, found = 0;

	if(parse_sip_msg_uri(msg) < 0 || msg->parsed_uri.params.len <= 0)
		return 0;
	ps = msg->parsed_uri.params;
	/* a cheap look first: almost no INVITE carries one */
	for(i = 0; i + 3 < ps.len && strncasecmp(ps.s + i, OS_XFER_TOKEN_PARAM "=", 4) != 0; i++)
		;
	if(i + 3 >= ps.len || parse_params(&ps, CLASS_ANY, &hooks, &params) < 0)
		return 0;
	for(p = params; p; p = p->next) {
		if(p->name.len != 3 || strncasecmp(p->name.s, OS_XFER_TOKEN_PARAM, 3) != 0)
			continue;
		if(p->body.len >= OMNIQ_XFER_TOKEN_MIN && p->body.len <= OMNIQ_XFER_TOKEN_MAX) {
			for(i = 0; i < p->body.len; i++)
				if(!((p->body.s[i] >= '0' && p->body.s[i] <= '9')
						   || (p->body.s[i] >= 'a' && p->body.s[i] <= 'z')
						   || (p->body.s[i] >= 'A' && p->body.s[i] <= 'Z')))
					break;
			if(i == p->body.len) {
				memcpy(out, p->body.s, p->body.len);
				out[p->body.len] = '\0';
				found = 1;
			}
		}
		break;
	}
	free_params(params);
	return found;
}
