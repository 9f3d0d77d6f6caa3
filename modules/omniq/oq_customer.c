/*
 * oq_customer.c - customer profile changes, identity links and merges (lua/10_customer.lua),
 * for the RPC commands and the C API alike.
 */
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"

#include "oq_core.h"
#include "oq_validate.h"

int oq_customer_set(const str *cid, const str *field, const str *value)
{
	str a[3];
	int rc;
	redisReply *r;

	if(cid == NULL || cid->len < 1 || field == NULL || field->len < 1 || value == NULL)
		return oq_bad_arg("customer_set", "cid, field and value are required");
	if((rc = oq_text_arg(OQ_TEXT_PROFILE, value)) < 0)
		return rc;
	a[0] = *cid; a[1] = *field; a[2] = *value;
	r = oq_call("oq_customer_set", 3, a, &rc);
	if(r)
		freeReplyObject(r);
	return rc;
}

/* The reply of oq_link / oq_merge: a cid string or integer, or "OK". */
static int cid_reply(redisReply *r, char *cid_out, int size)
{
	if(cid_out == NULL || size <= 0)
		return OMNIQ_OK;
	cid_out[0] = '\0';
	if(r->type == REDIS_REPLY_STRING && r->len < (size_t)size)
		snprintf(cid_out, size, "%s", r->str);
	else if(r->type == REDIS_REPLY_INTEGER)
		snprintf(cid_out, size, "%lld", r->integer);
	return OMNIQ_OK;
}

int oq_link(const str *a, const str *b, char *cid_out, int size)
{
	char ca[OQ_IDENTITY_BUF], cb[OQ_IDENTITY_BUF], why[OQ_WHY_MAX];
	str arg[2];
	int rc;
	redisReply *r;

	if(a == NULL || b == NULL)
		return oq_bad_arg("identity", "two identities are required");
	if(oq_identity_canon(a->s, a->len, oq_settings.default_cc, ca, sizeof(ca), why) < 0
			|| oq_identity_canon(b->s, b->len, oq_settings.default_cc, cb, sizeof(cb), why) < 0)
		return oq_bad_arg("identity", why);
	arg[0] = omniq_str(ca);
	arg[1] = omniq_str(cb);
	r = oq_call("oq_link", 2, arg, &rc);
	if(r == NULL)
		return rc;
	rc = cid_reply(r, cid_out, size);
	freeReplyObject(r);
	return rc;
}

int oq_merge(const str *from, const str *into)
{
	str arg[2];
	int rc;
	redisReply *r;

	if(from == NULL || into == NULL || from->len < 1 || into->len < 1)
		return oq_bad_arg("customer", "two customer ids are required");
	arg[0] = *from;
	arg[1] = *into;
	r = oq_call("oq_merge", 2, arg, &rc);
	if(r)
		freeReplyObject(r);
	return rc;
}
