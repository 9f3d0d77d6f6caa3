/*
 * sms_inbound.c - see sms_inbound.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dprint.h"

#include "sms_inbound.h"
#include "sms_number.h"
#include "sms_stats.h"
#include "sms_text.h"

const str sms_channel = {"sms", 3};
int sms_parts_timeout = 1800; /* Kannel's sms-combine-concatenated-mo-timeout */

#define OPTOUT_PREFIX "optout:"
/* what stands where a part of a long SMS never came */
#define MISSING_PART "[…]"

static omniq_api_t *oq;

void sms_inbound_init(omniq_api_t *api)
{
	oq = api;
}

static int use_tenant(const sms_gw_t *gw, char *why, int wsize)
{
	if(gw->tenant[0] && oq->tenant_use(omniq_cstr(gw->tenant)) < 0) {
		snprintf(why, wsize, "gateway %s's tenant %s is not served here", gw->name, gw->tenant);
		return OMNIQ_EARG;
	}
	return 0;
}

/* an opt-out keyword remembered for the number (kept until the opt-in) */
static void optout(const char *e164, int kw)
{
	char name[64], key[40], when[24];
	str n, v;

	sms_number_key(e164, key, sizeof(key));
	snprintf(name, sizeof(name), OPTOUT_PREFIX "%s", key);
	n = omniq_str(name);
	snprintf(when, sizeof(when), "%lld", (long long)time(NULL));
	v = kw > 0 ? omniq_str(when) : (str){"", 0};
	if(oq->chan_set(&sms_channel, &n, &v, 0) < 0)
		LM_ERR("sms from %s: cannot remember its opt-%s: %s\n", e164, kw > 0 ? "out" : "in",
				oq->last_error());
	else
		LM_NOTICE("sms from %s: opted %s of SMS\n", e164, kw > 0 ? "out" : "back in");
	sms_stat_optout(kw);
}

int sms_inbound_store(const sms_in_t *in, char *sid, int sid_size, char *why, int wsize)
{
	static char body[OMNIQ_BODY_MAX + 1];
	char num[SMS_NUMBER_MAX + 1], ident[SMS_NUMBER_MAX + 8], ext[SMS_NAME_MAX + SMS_NUMBER_MAX + 2];
	char cid[OMNIQ_CID_MAX + 1], dwhy[SMS_WHY_MAX];
	omniq_inbound_t m;
	omniq_session_info_t si;
	size_t blen = 0;
	int rc, kw;

	if(sms_number(in->from, in->from_len, in->gw->country, num, sizeof(num), why, wsize) < 0)
		return OMNIQ_EARG;
	if(in->len == 0) {
		strcpy(body, "[empty SMS]");
		blen = strlen(body);
	} else if(sms_decode(SMS_UTF8, (const unsigned char *)in->text, in->len, body,
					  sizeof(body), &blen, dwhy) < 0) {
		/* longer than a body: what fitted, whole characters */
		LM_WARN("sms from %s: %s: the text is cut at %zu bytes\n", num, dwhy, blen);
	}
	if((rc = use_tenant(in->gw, why, wsize)) < 0)
		return rc;
	snprintf(ident, sizeof(ident), "sms:%s", num);
	snprintf(ext, sizeof(ext), "%s:%s", in->gw->name, num);
	memset(&m, 0, sizeof(m));
	m.channel = sms_channel;
	m.identity = omniq_str(ident);
	m.ext = omniq_str(ext);
	m.queue = omniq_str(in->gw->queue);
	m.skills = omniq_str(in->gw->skills);
	m.priority = in->gw->priority;
	m.body.s = body;
	m.body.len = (int)blen;
	if(in->id && in->id[0]) {
		snprintf(cid, sizeof(cid), "%s:%s", in->gw->name, in->id);
		m.cid = omniq_str(cid);
	}
	rc = oq->ingest(&m, &si, NULL, 0);
	if(rc >= 0 && rc != 1 && (kw = sms_optout_keyword(body, blen)) != 0)
		optout(num, kw);
	oq->tenant_use_index(0);
	if(rc < 0) {
		snprintf(why, wsize, "%s", oq->last_error());
		return rc;
	}
	if(sid)
		snprintf(sid, sid_size, "%s", si.sid);
	sms_stat_received(rc == 1);
	return rc == 1 ? 1 : 0;
}

/* A message's parts as they came back from Redis: each "<provider id>\n<text>". */
typedef struct joined {
	char text[OMNIQ_BODY_MAX + 1];
	size_t len;
	char id[OMNIQ_CID_MAX + 1]; /* the first part's provider id */
	char name[OMNIQ_CID_MAX * 2];
	int got;
} joined_t;

static joined_t J;

static void join_add(joined_t *j, const str *v, int first)
{
	const char *nl = memchr(v->s, '\n', v->len);
	size_t idlen = nl ? (size_t)(nl - v->s) : 0;
	const char *t = nl ? nl + 1 : v->s;
	size_t n = (size_t)(v->s + v->len - t);

	if(first && idlen < sizeof(j->id)) {
		memcpy(j->id, v->s, idlen);
		j->id[idlen] = '\0';
	}
	if(j->len + n > OMNIQ_BODY_MAX)
		n = OMNIQ_BODY_MAX - j->len; /* cut by sms_decode() on whole characters later */
	memcpy(j->text + j->len, t, n);
	j->len += n;
}

static void join_mark(joined_t *j)
{
	size_t n = strlen(MISSING_PART);

	if(j->len + n <= OMNIQ_BODY_MAX) {
		memcpy(j->text + j->len, MISSING_PART, n);
		j->len += n;
	}
}

static int whole_cb(void *arg, int n, const str *items)
{
	joined_t *j = arg;
	int i;

	j->len = 0;
	j->id[0] = '\0';
	for(i = 0; i < n; i++)
		join_add(j, &items[i], i == 0);
	j->got = 1;
	return 0;
}

int sms_inbound_part(const sms_in_t *in, unsigned ref, unsigned total, unsigned seq,
		char *why, int wsize)
{
	static char value[OMNIQ_CID_MAX + 4096];
	char num[SMS_NUMBER_MAX + 1], key[SMS_NUMBER_MAX + 1], name[128];
	str n, v;
	sms_in_t whole;
	int rc, len;

	if(sms_number(in->from, in->from_len, in->gw->country, num, sizeof(num), why, wsize) < 0)
		return OMNIQ_EARG;
	sms_number_key(num, key, sizeof(key));
	snprintf(name, sizeof(name), "udh:%s:%s:%u:%u", in->gw->name, key, ref, total);
	len = snprintf(value, sizeof(value), "%.64s\n%.*s", in->id ? in->id : "", (int)in->len,
			in->text);
	if(len < 0 || len >= (int)sizeof(value) || memchr(in->text, '\0', in->len)) {
		snprintf(why, wsize, "a part of a long SMS longer than 4 KiB or holding a NUL");
		return OMNIQ_EARG;
	}
	if((rc = use_tenant(in->gw, why, wsize)) < 0)
		return rc;
	n = omniq_str(name);
	v.s = value;
	v.len = len;
	J.got = 0;
	rc = oq->chan_part(&sms_channel, &n, (int)seq, (int)total, &v,
			(long long)sms_parts_timeout * 1000, whole_cb, &J);
	oq->tenant_use_index(0);
	if(rc < 0) {
		snprintf(why, wsize, "%s", oq->last_error());
		return rc;
	}
	if(rc == 1 || !J.got) {
		sms_stat_part();
		return 1;
	}
	whole = *in;
	whole.text = J.text;
	whole.len = J.len;
	whole.id = J.id[0] ? J.id : NULL;
	return sms_inbound_store(&whole, NULL, 0, why, wsize);
}

/* items: name, total, then index and value of each part that came */
static int due_cb(void *arg, int n, const str *items)
{
	joined_t *j = arg;
	int i, total, at = 1;

	j->len = 0;
	j->id[0] = '\0';
	snprintf(j->name, sizeof(j->name), "%.*s", items[0].len, items[0].s);
	total = atoi(items[1].s);
	for(i = 2; i + 1 < n; i += 2) {
		int idx = atoi(items[i].s);
		for(; at < idx; at++)
			join_mark(j);
		join_add(j, &items[i + 1], idx == 1);
		at = idx + 1;
	}
	for(; at <= total; at++)
		join_mark(j);
	j->got = 1;
	return 0;
}

/* "udh:<gateway>:<number key>:<ref>:<total>" back to its gateway and number */
static int due_store(joined_t *j)
{
	char gw[SMS_NAME_MAX + 1], key[SMS_NUMBER_MAX + 1], num[SMS_NUMBER_MAX + 2], why[160];
	const sms_gw_t *g;
	sms_in_t in;
	str gn;
	int rc;

	if(sscanf(j->name, "udh:%32[^:]:%32[^:]:", gw, key) != 2) {
		LM_ERR("parts of an SMS under a name of no gateway (%s): dropped\n", j->name);
		return -1;
	}
	gn = omniq_str(gw);
	if((g = sms_gw_find(&gn)) == NULL) {
		LM_ERR("parts of an SMS of gateway %s, which is no longer configured: dropped\n", gw);
		return -1;
	}
	if(strspn(key, "0123456789") == strlen(key))
		snprintf(num, sizeof(num), "+%s", key);
	else
		snprintf(num, sizeof(num), "%s", key);
	memset(&in, 0, sizeof(in));
	in.gw = g;
	in.from = num;
	in.from_len = strlen(num);
	in.text = j->text;
	in.len = j->len;
	in.id = j->id[0] ? j->id : NULL;
	LM_WARN("sms from %s: not every part of a long SMS came within %d s: stored with %s "
			"where the missing ones belong\n",
			num, sms_parts_timeout, MISSING_PART);
	if((rc = sms_inbound_store(&in, NULL, 0, why, sizeof(why))) < 0) {
		LM_ERR("sms from %s: the parts that came cannot be stored: %s\n", num, why);
		return -1;
	}
	return 0;
}

void sms_inbound_parts_due(void)
{
	str name, prefix;
	int t, rc, n;

	for(t = 0; oq->tenant_at(t, &name, &prefix) == 0; t++) {
		for(n = 0; n < 100; n++) {
			oq->tenant_use_index(t);
			J.got = 0;
			rc = oq->chan_parts_due(&sms_channel, due_cb, &J);
			oq->tenant_use_index(0);
			/* Redis down: the core says so (once per outage), the parts wait in Redis */
			if(rc == OMNIQ_ENOTFOUND || rc == OMNIQ_EREDIS)
				break;
			if(rc < 0) {
				LM_ERR("cannot take the due parts of long SMS of tenant %.*s: %s\n", name.len,
						name.s, oq->last_error());
				break;
			}
			if(J.got)
				due_store(&J);
		}
	}
}
