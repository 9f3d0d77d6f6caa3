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

	if(cid == NULL || cid->len < 1 || field == NULL || field->len < 1 || value == NULL)
		return oq_bad_arg("customer_set", "cid, field and value are required");
	if((rc = oq_text_arg(OQ_TEXT_PROFILE, value)) < 0)
		return rc;
	a[0] = *cid; a[1] = *field; a[2] = *value;
	return oq_call_checked("oq_customer_set", 3, a, OQ_R_OK);
}

/* The reply of oq_link: the customer id, a string or an integer. */
static int cid_reply(redisReply *r, char *cid_out, int size)
{
	char cid[OMNIQ_SID_MAX];
	size_t i;

	if(r->type == REDIS_REPLY_INTEGER && r->integer > 0)
		snprintf(cid, sizeof(cid), "%lld", r->integer);
	else if(r->type == REDIS_REPLY_STRING && r->len > 0 && r->len < sizeof(cid))
		snprintf(cid, sizeof(cid), "%s", r->str);
	else
		return oq_bad_reply("oq_link", r, "a customer id");
	for(i = 0; cid[i]; i++)
		if(cid[i] < '0' || cid[i] > '9')
			return oq_bad_reply("oq_link", r, "a customer id");
	if(cid_out && size > 0)
		snprintf(cid_out, size, "%s", cid);
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

	if(from == NULL || into == NULL || from->len < 1 || into->len < 1)
		return oq_bad_arg("customer", "two customer ids are required");
	arg[0] = *from;
	arg[1] = *into;
	return oq_call_checked("oq_merge", 2, arg, OQ_R_OK);
}
