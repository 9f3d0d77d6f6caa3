/*
 * oq_media.c - media a channel's provider keeps, fetched when an agent opens it:
 * api.media_ref, media_open, media_free, media_put over lua/76_media.lua. One round trip
 * each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/dprint.h"

#include "oq_core.h"
#include "oq_validate.h"

static int key_arg(const str *key)
{
	int i;

	if(key == NULL || key->len != OMNIQ_MEDIA_KEY)
		return oq_bad_arg("key", "must be 32 lower-case hex digits");
	for(i = 0; i < key->len; i++)
		if(!((key->s[i] >= '0' && key->s[i] <= '9') || (key->s[i] >= 'a' && key->s[i] <= 'f')))
			return oq_bad_arg("key", "must be 32 lower-case hex digits");
	return 0;
}

static int ttl_arg(long long ttl_ms, char *buf, size_t size, str *out)
{
	if(ttl_ms < 1 || ttl_ms > OQ_MEDIA_TTL_MAX)
		return oq_bad_arg("ttl_ms", "must be 1 ms..31 days");
	out->s = buf;
	out->len = snprintf(buf, size, "%lld", ttl_ms);
	return 0;
}

int oq_media_ref(const str *channel, const str *ref, long long ttl_ms, char *key_out, int size)
{
	unsigned char rnd[OMNIQ_MEDIA_KEY / 2];
	char key[OMNIQ_MEDIA_KEY + 1], ttl[24], why[OQ_WHY_MAX];
	oq_class_t cls;
	str a[4];
	int i, rc;

	if(channel == NULL || oq_check_channel(channel->s, channel->len, &cls, why) < 0)
		return oq_bad_arg("channel", channel ? why : "missing");
	if(ref == NULL || ref->len < 1 || oq_text_arg(OQ_TEXT_FROM, ref) < 0)
		return oq_bad_arg("ref", "must be 1..256 bytes of text");
	if(key_out == NULL || size <= OMNIQ_MEDIA_KEY)
		return oq_bad_arg("key_out", "must hold 33 bytes");
	if((rc = ttl_arg(ttl_ms, ttl, sizeof(ttl), &a[3])) < 0)
		return rc;
	if(RAND_bytes(rnd, sizeof(rnd)) != 1) {
		oq_set_error(OMNIQ_EINTERNAL, "no random bytes for a media key");
		return OMNIQ_EINTERNAL;
	}
	for(i = 0; i < (int)sizeof(rnd); i++)
		sprintf(key + 2 * i, "%02x", rnd[i]);
	a[0].s = key;
	a[0].len = OMNIQ_MEDIA_KEY;
	a[1] = *channel;
	a[2] = *ref;
	if((rc = oq_call_checked("oq_media_ref", 4, a, OQ_R_OK)) < 0)
		return rc;
	memcpy(key_out, key, OMNIQ_MEDIA_KEY + 1);
	return OMNIQ_OK;
}

static void copy(char *dst, size_t size, const redisReply *r)
{
	size_t n = r->len < size - 1 ? r->len : size - 1;

	memcpy(dst, r->str, n);
	dst[n] = '\0';
}

/* [state, channel, ref, type, reason, ask(, data)] */
int oq_media_open(const str *key, omniq_media_t *m)
{
	redisReply *r;
	size_t i;
	int rc;

	memset(m, 0, sizeof(*m));
	if((rc = key_arg(key)) < 0)
		return rc;
	if((r = oq_call("oq_media_open", 1, key, &rc)) == NULL)
		return rc;
	if(r->type != REDIS_REPLY_ARRAY || r->elements < 6 || r->elements > 7
			|| r->element[5]->type != REDIS_REPLY_INTEGER) {
		rc = oq_bad_reply("oq_media_open", r, "[state, channel, ref, type, reason, ask(, data)]");
		freeReplyObject(r);
		return rc;
	}
	for(i = 0; i < r->elements; i++)
		if(i != 5 && r->element[i]->type != REDIS_REPLY_STRING) {
			rc = oq_bad_reply("oq_media_open", r, "strings");
			freeReplyObject(r);
			return rc;
		}
	m->state = !strcmp(r->element[0]->str, "ready")	 ? OMNIQ_MEDIA_READY
			   : !strcmp(r->element[0]->str, "failed") ? OMNIQ_MEDIA_FAILED
													   : OMNIQ_MEDIA_PENDING;
	copy(m->channel, sizeof(m->channel), r->element[1]);
	copy(m->ref, sizeof(m->ref), r->element[2]);
	copy(m->type, sizeof(m->type), r->element[3]);
	copy(m->reason, sizeof(m->reason), r->element[4]);
	m->ask = r->element[5]->integer == 1;
	if(r->elements == 7) {
		m->data = r->element[6]->str;
		m->len = r->element[6]->len;
		m->priv_ = r; /* media_free frees it */
	} else {
		freeReplyObject(r);
	}
	return OMNIQ_OK;
}

void oq_media_free(omniq_media_t *m)
{
	if(m && m->priv_)
		freeReplyObject((redisReply *)m->priv_);
	if(m) {
		m->priv_ = NULL;
		m->data = NULL;
		m->len = 0;
	}
}

int oq_media_put(const str *key, const str *type, const str *data, const str *reason,
		long long ttl_ms)
{
	char ttl[24];
	str a[5];
	int rc;

	if((rc = key_arg(key)) < 0)
		return rc;
	if(data && data->len > 0) {
		if(data->len > OMNIQ_MEDIA_MAX)
			return oq_bad_arg("data", "longer than 10 MiB");
		if(type == NULL || type->len < 3 || type->len > OQ_MEDIA_TYPE_MAX
				|| memchr(type->s, '/', type->len) == NULL)
			return oq_bad_arg("type", "must be a media type such as image/jpeg");
	} else if(reason == NULL || reason->len < 1 || oq_text_arg(OQ_TEXT_FROM, reason) < 0) {
		return oq_bad_arg("reason", "a failure needs the provider's words");
	}
	if((rc = ttl_arg(ttl_ms, ttl, sizeof(ttl), &a[4])) < 0)
		return rc;
	a[0] = *key;
	a[1] = type && data && data->len ? *type : (str){"", 0};
	a[2] = data && data->len ? *data : (str){"", 0};
	a[3] = reason && !(data && data->len) ? *reason : (str){"", 0};
	return oq_call_checked("oq_media_put", 5, a, OQ_R_OK);
}
