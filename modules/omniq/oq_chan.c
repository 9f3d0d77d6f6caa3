/*
 * oq_chan.c - a channel's own small values in Redis, shared by every process and node of a
 * tenant (a provider's access token, a fetch cursor), and a lease for one holder of them at
 * a time: api.chan_get, chan_set (and chan_get_first, chan_set_many: several names at once),
 * chan_lease over lua/74_chan.lua. One round trip each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"

#include "oq_core.h"
#include "oq_validate.h"

#define NAME_CHARS "._:@-"

static int chan_args(const str *channel, const str *name)
{
	char why[OQ_WHY_MAX];
	oq_class_t cls;
	int i;

	if(channel == NULL || oq_check_channel(channel->s, channel->len, &cls, why) < 0)
		return oq_bad_arg("channel", channel ? why : "missing");
	if(name == NULL || name->len < 1 || name->len > OQ_CHAN_NAME_MAX)
		return oq_bad_arg("name", "must be 1..128 bytes");
	for(i = 0; i < name->len; i++) {
		unsigned char c = (unsigned char)name->s[i];
		if(!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
				   || (c && strchr(NAME_CHARS, c))))
			return oq_bad_arg("name", "may only contain letters, digits and . _ : @ -");
	}
	return 0;
}

static int ttl_arg(long long ttl_ms, char *buf, size_t size, str *out)
{
	if(ttl_ms < 0 || ttl_ms > OQ_CHAN_TTL_MAX)
		return oq_bad_arg("ttl_ms", "must be 0..31 days");
	out->s = buf;
	out->len = snprintf(buf, size, "%lld", ttl_ms);
	return 0;
}

/* a decimal number of at most 15 digits, a '-' first allowed */
static int reply_num(const redisReply *r, long long *v)
{
	char *end;

	if(r->type != REDIS_REPLY_STRING || r->len < 1 || r->len > 16)
		return -1;
	*v = strtoll(r->str, &end, 10);
	return *end == '\0' ? 0 : -1;
}

/* names[0..n-1] (1..OQ_CHAN_NAMES_MAX), each a good name */
static int names_args(const str *channel, int n, const str *names)
{
	int i, rc;

	if(names == NULL || n < 1 || n > OQ_CHAN_NAMES_MAX)
		return oq_bad_arg("n", "must be 1..64 names");
	for(i = 0; i < n; i++)
		if((rc = chan_args(channel, &names[i])) < 0)
			return rc;
	return 0;
}

/* oq_chan_get of n names: the first set, [value, pttl] (and its index from 1 when n > 1) */
static int get_first(const str *channel, int n, const str *names, char *out, int size,
		long long *ttl_ms, int *which)
{
	redisReply *r;
	str a[1 + OQ_CHAN_NAMES_MAX];
	long long ttl = -1;
	size_t want = n > 1 ? 3 : 2;
	int rc;

	if((rc = names_args(channel, n, names)) < 0)
		return rc;
	a[0] = *channel;
	memcpy(a + 1, names, n * sizeof(str));
	if((r = oq_call("oq_chan_get", 1 + n, a, &rc)) == NULL)
		return rc;
	if(r->type != REDIS_REPLY_ARRAY || (r->elements != 0 && r->elements != want)
			|| (r->elements == want
					&& (r->element[0]->type != REDIS_REPLY_STRING
							|| reply_num(r->element[1], &ttl) < 0
							|| (want == 3
									&& (r->element[2]->type != REDIS_REPLY_INTEGER
											|| r->element[2]->integer < 1
											|| r->element[2]->integer > n))))) {
		rc = oq_bad_reply(
				"oq_chan_get", r, n > 1 ? "[] or [value, pttl, i]" : "[] or [value, pttl]");
		freeReplyObject(r);
		return rc;
	}
	if(r->elements == 0) {
		freeReplyObject(r);
		if(n == 1)
			oq_set_error(OMNIQ_ENOTFOUND, "%.*s has no %.*s", channel->len, channel->s,
					names[0].len, names[0].s);
		else
			oq_set_error(OMNIQ_ENOTFOUND, "%.*s has none of the %d names", channel->len,
					channel->s, n);
		return OMNIQ_ENOTFOUND;
	}
	if(out == NULL || r->element[0]->len >= (size_t)size) {
		freeReplyObject(r);
		return oq_bad_arg("size", "the value does not fit the buffer");
	}
	memcpy(out, r->element[0]->str, r->element[0]->len + 1);
	if(ttl_ms)
		*ttl_ms = ttl;
	if(which)
		*which = want == 3 ? (int)r->element[2]->integer - 1 : 0;
	freeReplyObject(r);
	return OMNIQ_OK;
}

int oq_chan_get(const str *channel, const str *name, char *out, int size, long long *ttl_ms)
{
	if(name == NULL)
		return chan_args(channel, name);
	return get_first(channel, 1, name, out, size, ttl_ms, NULL);
}

int oq_chan_get_first(const str *channel, int n, const str *names, char *out, int size,
		int *which)
{
	return get_first(channel, n, names, out, size, NULL, which);
}

/* oq_chan_set channel name value ttl_ms [name value ...]: all checked, then all written */
int oq_chan_set_many(const str *channel, int n, const str *names, const str *values,
		long long ttl_ms)
{
	char ttl[24];
	str a[4 + 2 * (OQ_CHAN_NAMES_MAX - 1)];
	int i, k, rc;

	if((rc = names_args(channel, n, names)) < 0)
		return rc;
	for(i = 0; i < n; i++)
		if(values == NULL || values[i].len < 0 || values[i].len > OQ_CHAN_VALUE_MAX
				|| (values[i].len && memchr(values[i].s, '\0', values[i].len)))
			return oq_bad_arg("value", "must be 0..4096 bytes without NUL");
	if((rc = ttl_arg(ttl_ms, ttl, sizeof(ttl), &a[3])) < 0)
		return rc;
	a[0] = *channel;
	a[1] = names[0];
	a[2] = values[0];
	for(i = 1, k = 4; i < n; i++) {
		a[k++] = names[i];
		a[k++] = values[i];
	}
	return oq_call_checked("oq_chan_set", k, a, OQ_R_OK);
}

int oq_chan_set(const str *channel, const str *name, const str *value, long long ttl_ms)
{
	if(name == NULL)
		return chan_args(channel, name);
	return oq_chan_set_many(channel, 1, name, value, ttl_ms);
}

int oq_chan_lease(const str *channel, const str *name, const str *owner, long long ttl_ms,
		long long *left_ms)
{
	redisReply *r;
	char ttl[24];
	long long held, left;
	str a[4];
	int rc;

	if((rc = chan_args(channel, name)) < 0)
		return rc;
	if(owner == NULL || oq_text_arg(OQ_TEXT_FROM, owner) < 0 || owner->len < 1
			|| owner->len > OQ_CHAN_NAME_MAX)
		return oq_bad_arg("owner", "must be 1..128 bytes of text");
	if((rc = ttl_arg(ttl_ms, ttl, sizeof(ttl), &a[3])) < 0)
		return rc;
	a[0] = *channel;
	a[1] = *name;
	a[2] = *owner;
	if((r = oq_call("oq_chan_lease", 4, a, &rc)) == NULL)
		return rc;
	if(r->type != REDIS_REPLY_ARRAY || r->elements != 2
			|| r->element[0]->type != REDIS_REPLY_INTEGER
			|| reply_num(r->element[1], &left) < 0) {
		rc = oq_bad_reply("oq_chan_lease", r, "[held, pttl]");
		freeReplyObject(r);
		return rc;
	}
	held = r->element[0]->integer;
	freeReplyObject(r);
	if(left_ms)
		*left_ms = left;
	return held ? OMNIQ_OK : 1;
}

/* [1, v1 .. vtotal] complete; [0, have] waiting */
int oq_chan_part(const str *channel, const str *name, int index, int total, const str *value,
		long long ttl_ms, omniq_row_cb cb, void *arg)
{
	redisReply *r;
	char num[2][16], ttl[24];
	str a[6], items[OQ_CHAN_PARTS_MAX];
	size_t i;
	int rc;

	if((rc = chan_args(channel, name)) < 0)
		return rc;
	if(total < 1 || total > OQ_CHAN_PARTS_MAX || index < 1 || index > total)
		return oq_bad_arg("index", "must be 1..total, total 1..255");
	if(value == NULL || value->len < 0 || value->len > OQ_CHAN_VALUE_MAX
			|| (value->len && memchr(value->s, '\0', value->len)))
		return oq_bad_arg("value", "must be 0..4096 bytes without NUL");
	if(ttl_ms < 1 || (rc = ttl_arg(ttl_ms, ttl, sizeof(ttl), &a[5])) < 0)
		return ttl_ms < 1 ? oq_bad_arg("ttl_ms", "must be 1 ms..31 days") : rc;
	a[0] = *channel;
	a[1] = *name;
	a[2].s = num[0];
	a[2].len = snprintf(num[0], sizeof(num[0]), "%d", index);
	a[3].s = num[1];
	a[3].len = snprintf(num[1], sizeof(num[1]), "%d", total);
	a[4] = *value;
	if((r = oq_call("oq_chan_part", 6, a, &rc)) == NULL)
		return rc;
	rc = OMNIQ_OK;
	if(r->type != REDIS_REPLY_ARRAY || r->elements < 2
			|| r->element[0]->type != REDIS_REPLY_INTEGER
			|| (r->element[0]->integer == 1 && r->elements != (size_t)total + 1)) {
		rc = oq_bad_reply("oq_chan_part", r, "[0, have] or [1, part...]");
	} else if(r->element[0]->integer == 0) {
		rc = 1;
	} else {
		for(i = 1; i < r->elements && rc == OMNIQ_OK; i++) {
			if(r->element[i]->type != REDIS_REPLY_STRING)
				rc = oq_bad_reply("oq_chan_part", r, "[1, part...] of strings");
			items[i - 1].s = r->element[i]->str;
			items[i - 1].len = (int)r->element[i]->len;
		}
		if(rc == OMNIQ_OK && cb)
			cb(arg, total, items);
	}
	freeReplyObject(r);
	return rc;
}

/* [name, total, i, v, ...] or [] */
int oq_chan_parts_due(const str *channel, omniq_row_cb cb, void *arg)
{
	redisReply *r;
	str items[2 + 2 * OQ_CHAN_PARTS_MAX];
	size_t i;
	int rc;

	if(channel == NULL || channel->len < 1)
		return oq_bad_arg("channel", "missing");
	if((r = oq_call("oq_chan_parts_due", 1, channel, &rc)) == NULL)
		return rc;
	rc = OMNIQ_OK;
	if(r->type != REDIS_REPLY_ARRAY || r->elements == 1 || r->elements % 2
			|| r->elements > 2 + 2 * OQ_CHAN_PARTS_MAX) {
		rc = oq_bad_reply("oq_chan_parts_due", r, "[] or [name, total, i, v...]");
	} else if(r->elements == 0) {
		oq_set_error(OMNIQ_ENOTFOUND, "no message in parts is due");
		rc = OMNIQ_ENOTFOUND;
	} else {
		for(i = 0; i < r->elements && rc == OMNIQ_OK; i++) {
			if(r->element[i]->type != REDIS_REPLY_STRING)
				rc = oq_bad_reply("oq_chan_parts_due", r, "strings");
			items[i].s = r->element[i]->str;
			items[i].len = (int)r->element[i]->len;
		}
		if(rc == OMNIQ_OK && cb)
			cb(arg, (int)r->elements, items);
	}
	freeReplyObject(r);
	return rc;
}
