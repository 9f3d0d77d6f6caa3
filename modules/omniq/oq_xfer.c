/*
 * oq_xfer.c - transfers across nodes (lua/47_transfer.lua, oq_xfer_*): a call REFERred on
 * one node whose caller's INVITE reaches another. The REFER's node notes the transfer under
 * a token it puts in the Refer-To (api.xfer_note), the node the INVITE reaches moves the
 * session with it (api.transfer_token), and the REFER's node learns that it moved
 * (api.xfer_moved): omniq_sip's xfer.c.
 */
#include <stdio.h>
#include <string.h>

#include "oq_core.h"
#include "oq_validate.h"

/* What lua/47_transfer.lua's T.xkey takes: 16-64 letters and digits. */
static int check_token(const str *t)
{
	int i;

	if(t == NULL || t->s == NULL || t->len < OQ_XFER_TOKEN_MIN || t->len > OQ_XFER_TOKEN_MAX)
		return oq_bad_arg("token", "must be 16-64 letters and digits");
	for(i = 0; i < t->len; i++)
		if(!((t->s[i] >= '0' && t->s[i] <= '9') || (t->s[i] >= 'a' && t->s[i] <= 'z')
				   || (t->s[i] >= 'A' && t->s[i] <= 'Z')))
			return oq_bad_arg("token", "must be 16-64 letters and digits");
	return 0;
}

static int check_id(const char *what, const str *v)
{
	char why[OQ_WHY_MAX];

	if(v == NULL || v->s == NULL)
		return oq_bad_arg(what, "missing");
	if(oq_check_id(v->s, v->len, why) < 0)
		return oq_bad_arg(what, why);
	return 0;
}

int oq_xfer_note(const str *token, const str *sid, const str *agent, const str *target,
		int wait_ms)
{
	char why[OQ_WHY_MAX], ms[16];
	redisReply *r;
	str a[5];
	int rc;

	if((rc = check_token(token)) < 0)
		return rc;
	if(sid == NULL || sid->s == NULL || oq_check_sid(sid->s, sid->len, why) < 0)
		return oq_bad_arg("session", sid && sid->s ? why : "missing");
	if((rc = check_id("agent", agent)) < 0 || (rc = check_id("target", target)) < 0)
		return rc;
	if(wait_ms < 1000 || wait_ms > 3600000)
		return oq_bad_arg("wait_ms", "must be 1000-3600000");
	a[0] = *token; a[1] = *sid; a[2] = *agent; a[3] = *target;
	a[4].s = ms;
	a[4].len = snprintf(ms, sizeof(ms), "%d", wait_ms);
	if((r = oq_call("oq_xfer_note", 5, a, &rc)) == NULL)
		return rc;
	freeReplyObject(r);
	return OMNIQ_OK;
}

int oq_transfer_token(const str *token, const str *kind, const str *target, const str *ext,
		const str *node, omniq_session_info_t *out)
{
	redisReply *r;
	str a[5];
	int rc;

	if((rc = check_token(token)) < 0)
		return rc;
	if(kind == NULL || kind->len != 5
			|| (memcmp(kind->s, "agent", 5) != 0 && memcmp(kind->s, "queue", 5) != 0))
		return oq_bad_arg("kind", "must be agent or queue");
	if((rc = check_id("target", target)) < 0 || (rc = check_id("node", node)) < 0)
		return rc;
	if(ext == NULL || ext->len <= 0)
		return oq_bad_arg("ext", "missing: the new contact's reference");
	if((rc = oq_text_arg(OQ_TEXT_EXT, ext)) < 0)
		return rc;
	a[0] = *token; a[1] = *kind; a[2] = *target; a[3] = *ext; a[4] = *node;
	if((r = oq_call("oq_xfer_take", 5, a, &rc)) == NULL)
		return rc;
	return oq_session_reply("oq_xfer_take", r, 1, out);
}

int oq_xfer_moved(const str *tokens, int n, int *moved)
{
	redisReply *r;
	int rc, i;

	if(n < 1 || n > OQ_XFER_MOVED_MAX || tokens == NULL || moved == NULL)
		return oq_bad_arg("tokens", "1-256 of them");
	for(i = 0; i < n; i++)
		if((rc = check_token(&tokens[i])) < 0)
			return rc;
	if((r = oq_call("oq_xfer_moved", n, tokens, &rc)) == NULL)
		return rc;
	if(r->type != REDIS_REPLY_ARRAY || (int)r->elements != n) {
		rc = oq_bad_reply("oq_xfer_moved", r, "one node or '' per token");
		freeReplyObject(r);
		return rc;
	}
	for(i = 0; i < n; i++)
		moved[i] = r->element[i]->type == REDIS_REPLY_STRING && r->element[i]->len > 0;
	freeReplyObject(r);
	return OMNIQ_OK;
}
