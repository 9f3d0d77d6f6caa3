/*
 * oq_outbound.c - outbound senders (api.register_sender, api.delivery_report; see
 * omniq_api.h and docs/redis-model.md, "Outbound delivery").
 *
 * Each registered channel gets a process of its own, "omniq sender <channel>", forked by
 * omniq's child_init like the dispatcher. It says in every tenant that the channel is
 * queued (oq_ob_register), then takes one due message at a time (oq_ob_take, leased),
 * hands it to the channel's send() and records the outcome (oq_ob_done); with nothing due
 * it waits in one BLPOP on every tenant's wake token of the channel, which a queued
 * message pushes, for at most poll_ms (a retry come due is found by the next look). One at a time:
 * a lease covers one provider request, so a slow provider cannot make a taken message wait
 * behind others until its lease runs out and it is sent twice. A result that cannot be
 * recorded (Redis gone) leaves the lease to run out: the message is sent again, never lost.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/dprint.h"
#include "core/pt.h"
#include "core/cfg/cfg_struct.h"
#include "core/sr_module.h"

#include "omniq/omniq_clock.h"

#include "oq_core.h"
#include "oq_redis.h"
#include "oq_stats.h"
#include "oq_outbound.h"
#include "oq_stop.h"

#define SENDERS_MAX 16
#define REDIS_DOWN_WAIT_US 1000000

typedef struct sender {
	omniq_sender_t s;
	char channel[OMNIQ_CHANNEL_MAX + 1];
} sender_t;

static sender_t senders[SENDERS_MAX];
static int n_senders;
static int forked; /* registrations end when the senders are forked */

static int setting(const char *ch, const char *name, int *v, int def, int lo, int hi)
{
	if(*v == 0)
		*v = def;
	if(*v < lo || *v > hi) {
		LM_ERR("sender of channel %s: %s %d is outside %d..%d\n", ch, name, *v, lo, hi);
		return -1;
	}
	return 0;
}

int oq_sender_register(const omniq_sender_t *s)
{
	char why[OQ_WHY_MAX];
	oq_class_t cls;
	sender_t *d;
	int i;

	if(forked) {
		LM_ERR("a sender registered after start-up: register_sender is for mod_init\n");
		return OMNIQ_EARG;
	}
	if(s == NULL || s->channel.s == NULL || s->send == NULL) {
		LM_ERR("a sender without a channel or a send function\n");
		return OMNIQ_EARG;
	}
	if(oq_check_channel(s->channel.s, s->channel.len, &cls, why) < 0) {
		LM_ERR("sender: %s\n", why);
		return OMNIQ_EARG;
	}
	for(i = 0; i < n_senders; i++)
		if(strlen(senders[i].channel) == (size_t)s->channel.len
				&& !memcmp(senders[i].channel, s->channel.s, s->channel.len)) {
			LM_ERR("channel %.*s already has a sender\n", s->channel.len, s->channel.s);
			return OMNIQ_EARG;
		}
	if(n_senders == SENDERS_MAX) {
		LM_ERR("more than %d senders\n", SENDERS_MAX);
		return OMNIQ_EARG;
	}
	d = &senders[n_senders];
	d->s = *s;
	memcpy(d->channel, s->channel.s, s->channel.len);
	d->channel[s->channel.len] = '\0';
	d->s.channel.s = d->channel;
	if(setting(d->channel, "attempts", &d->s.attempts, 8, 1, OQ_OUTBOUND_ATTEMPTS_MAX) < 0
			|| setting(d->channel, "lease_ms", &d->s.lease_ms, 60000, OQ_OUTBOUND_LEASE_MIN,
					   OQ_OUTBOUND_LEASE_MAX) < 0
			|| setting(d->channel, "backoff_ms", &d->s.backoff_ms, 2000, 0,
					   OQ_OUTBOUND_BACKOFF_MAX) < 0
			|| setting(d->channel, "backoff_max_ms", &d->s.backoff_max_ms, 600000, 0,
					   OQ_OUTBOUND_BACKOFF_MAX) < 0
			|| setting(d->channel, "poll_ms", &d->s.poll_ms, 1000, 10, 60000) < 0)
		return OMNIQ_EARG;
	register_procs(1);
	cfg_register_child(1);
	n_senders++;
	LM_INFO("channel %s: replies are queued for its sender (%d attempts, lease %d ms)\n",
			d->channel, d->s.attempts, d->s.lease_ms);
	return OMNIQ_OK;
}

/* Control characters out of what a provider said (the library refuses them in a reason
 * or id): a multi-line error body stays readable on one line. */
static void one_line(char *s, size_t size)
{
	s[size - 1] = '\0';
	for(; *s; s++)
		if((unsigned char)*s < 32 || *s == 127)
			*s = ' ';
}

static str as_str(const char *s)
{
	str r;
	r.s = (char *)s;
	r.len = (int)strlen(s);
	return r;
}

/* What became of attempt m->attempt, recorded; a result that cannot be (Redis gone, the
 * lease lost to another sender) is logged and left: the message is then sent again. */
static void record(sender_t *d, const omniq_outbound_t *m, omniq_send_result_t *res)
{
	static const char *const words[] = {"sent", "delivered", "retry", "failed"};
	char attempt[16], nums[4][16];
	redisReply *r;
	str a[8];
	int n = 4, rc, i;

	if((int)res->outcome < OMNIQ_SENT || (int)res->outcome > OMNIQ_FAILED) {
		LM_BUG("sender of channel %s: outcome %d: taken as a retry\n", d->channel,
				(int)res->outcome);
		res->outcome = OMNIQ_RETRY;
		snprintf(res->reason, sizeof(res->reason), "the sender gave no outcome");
	}
	one_line(res->provider_id, sizeof(res->provider_id));
	one_line(res->reason, sizeof(res->reason));
	if((res->outcome == OMNIQ_RETRY || res->outcome == OMNIQ_FAILED) && !res->reason[0])
		snprintf(res->reason, sizeof(res->reason), "the sender of channel %s gave no reason",
				d->channel);
	snprintf(attempt, sizeof(attempt), "%d", m->attempt);
	a[0] = m->did;
	a[1] = as_str(attempt);
	a[2] = as_str(words[res->outcome]);
	a[3] = as_str(res->outcome <= OMNIQ_DELIVERED ? res->provider_id : res->reason);
	if(res->outcome == OMNIQ_RETRY) {
		int v[4] = {res->retry_after_ms, d->s.attempts, d->s.backoff_ms, d->s.backoff_max_ms};
		if(v[0] < 0 || v[0] > OQ_OUTBOUND_BACKOFF_MAX)
			v[0] = v[0] < 0 ? 0 : OQ_OUTBOUND_BACKOFF_MAX;
		for(i = 0; i < 4; i++) {
			snprintf(nums[i], sizeof(nums[i]), "%d", v[i]);
			a[4 + i] = as_str(nums[i]);
		}
		n = 8;
	}
	switch(res->outcome) {
		case OMNIQ_SENT: oq_stat_inc(OQ_ST_OUT_SENT); break;
		case OMNIQ_DELIVERED: oq_stat_inc(OQ_ST_OUT_SENT); break;
		case OMNIQ_RETRY: oq_stat_inc(OQ_ST_OUT_RETRIES); break;
		case OMNIQ_FAILED: break;
	}
	r = oq_call("oq_ob_done", n, a, &rc);
	if(r == NULL) {
		LM_ERR("channel %s: the outcome of message %.*s (attempt %d, %s) was not recorded, "
			   "it will be sent again: %s\n", d->channel, m->did.len, m->did.s, m->attempt,
				words[res->outcome], oq_last_error());
		return;
	}
	if(r->type != REDIS_REPLY_STRING) {
		oq_bad_reply("oq_ob_done", r, "the state the message was left in");
	} else if(!strcmp(r->str, "failed")) {
		oq_stat_inc(OQ_ST_OUT_FAILED);
		LM_NOTICE("channel %s: message %.*s %s %.*s not sent: %s%s\n", d->channel,
				m->did.len, m->did.s, m->sid.len ? "of session" : "to",
				m->sid.len ? m->sid.len : m->ext.len, m->sid.len ? m->sid.s : m->ext.s,
				res->reason, res->outcome == OMNIQ_RETRY ? " (its last attempt)" : "");
	}
	freeReplyObject(r);
}

static int str_elem(const redisReply *r, str *out)
{
	if(r->type != REDIS_REPLY_STRING)
		return -1;
	out->s = r->str;
	out->len = (int)r->len;
	return 0;
}

/* One due message of the current tenant taken, sent and recorded: 1, 0 when none was due,
 * -1 when Redis could not be asked. */
static int send_one(sender_t *d, const char *consumer)
{
	char lease[16], attempts[16];
	omniq_send_result_t res;
	omniq_outbound_t m;
	redisReply *r, *e;
	str a[5], f[8];
	int rc, i;

	snprintf(lease, sizeof(lease), "%d", d->s.lease_ms);
	snprintf(attempts, sizeof(attempts), "%d", d->s.attempts);
	a[0] = d->s.channel;
	a[1] = as_str(consumer);
	a[2] = as_str("1");
	a[3] = as_str(lease);
	a[4] = as_str(attempts);
	r = oq_call("oq_ob_take", 5, a, &rc);
	if(r == NULL)
		return rc == OMNIQ_EREDIS ? -1 : 0;
	if(r->type != REDIS_REPLY_ARRAY || r->elements > 1) {
		oq_bad_reply("oq_ob_take", r, "at most one message");
		freeReplyObject(r);
		return -1;
	}
	if(r->elements == 0) {
		freeReplyObject(r);
		return 0;
	}
	e = r->element[0];
	memset(&m, 0, sizeof(m));
	for(i = 0; e->type == REDIS_REPLY_ARRAY && e->elements == 8 && i < 8; i++)
		if(str_elem(e->element[i], &f[i]) < 0)
			break;
	if(i < 8 || (m.attempt = atoi(f[1].s)) < 1) {
		oq_bad_reply("oq_ob_take", r, "[did, attempt, sid, tx, ext, from, type, body]");
		freeReplyObject(r);
		return -1;
	}
	m.tenant = oq_tenant_index();
	m.did = f[0];
	m.sid = f[2];
	m.tx = f[3];
	m.ext = f[4];
	m.from = f[5];
	m.type = f[6];
	m.body = f[7];
	memset(&res, 0, sizeof(res));
	d->s.send(&m, &res, d->s.param);
	record(d, &m, &res);
	freeReplyObject(r);
	return 1;
}

/* Until a message is queued for the channel in any tenant (its wake token, lua/72_outbound.lua)
 * or poll_ms have passed (a retry come due): one BLPOP on every tenant's token. -1 when
 * Redis could not be asked. */
static int wait_for_work(sender_t *d)
{
	char keys[OQ_TENANTS_MAX][OQ_ID_MAX + OMNIQ_CHANNEL_MAX + 32], secs[16];
	const char *argv[OQ_TENANTS_MAX + 2];
	size_t len[OQ_TENANTS_MAX + 2];
	redisReply *r;
	str prefix;
	int n;

	argv[0] = "BLPOP";
	len[0] = 5;
	for(n = 0; n < OQ_TENANTS_MAX && oq_tenant_at(n, NULL, &prefix) == 0; n++) {
		len[n + 1] = (size_t)snprintf(keys[n], sizeof(keys[n]), "%.*s:ob:wake:%s", prefix.len,
				prefix.s, d->channel);
		argv[n + 1] = keys[n];
	}
	len[n + 1] = (size_t)snprintf(secs, sizeof(secs), "%.3f", d->s.poll_ms / 1000.0);
	argv[n + 1] = secs;
	r = oq_redis_command_block(n + 2, argv, len, d->s.poll_ms);
	if(r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

/* How often a sender says again that its channel is queued: a Redis that lost its data
 * (FLUSHALL, a replica promoted without it) would otherwise hand the channel's replies to
 * its driver, which has nothing to send them with, until the senders restart. */
#define REGISTER_AGAIN_MS 10000

static void sender_loop(sender_t *d)
{
	char consumer[96], host[64] = "", what[OMNIQ_CHANNEL_MAX + 16];
	long long registered[OQ_TENANTS_MAX] = {0};
	int t, n, busy, down;
	str name;

	snprintf(what, sizeof(what), "omniq sender %s", d->channel);

	if(gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	snprintf(consumer, sizeof(consumer), "%s:%d", host, (int)getpid());
	for(;;) {
		cfg_update();
		oq_stop_check(what);
		busy = down = 0;
		for(t = 0; oq_tenant_at(t, &name, NULL) == 0 && !down; t++) {
			oq_tenant_use_index(t);
			if(omniq_mono_ms() - registered[t] >= REGISTER_AGAIN_MS || !registered[t]) {
				str ch = d->s.channel;
				if(oq_call_checked("oq_ob_register", 1, &ch, OQ_R_OK) < 0) {
					down = 1;
					break;
				}
				registered[t] = omniq_mono_ms();
			}
			/* what is due now, then the next tenant: one tenant's backlog does not stall
			 * the others for longer than one provider request each */
			if((n = send_one(d, consumer)) < 0)
				down = 1;
			busy |= n > 0;
		}
		oq_tenant_use_index(0);
		if(!down && !busy && wait_for_work(d) < 0)
			down = 1;
		if(down)
			usleep(REDIS_DOWN_WAIT_US); /* oq_redis said why, once per outage */
	}
}

int oq_outbound_fork(void)
{
	char desc[64];
	int i, pid;

	forked = 1;
	for(i = 0; i < n_senders; i++) {
		snprintf(desc, sizeof(desc), "omniq sender %s", senders[i].channel);
		pid = fork_process(PROC_NOCHLDINIT, desc, 1);
		if(pid < 0)
			return -1;
		if(pid == 0) {
			/* the other modules' child init, so that send() may use what they opened */
			if(init_child(PROC_RPC) < 0 || cfg_child_init()) {
				LM_ERR("child init of the sender of channel %s failed\n", senders[i].channel);
				exit(-1);
			}
			if(senders[i].s.init && senders[i].s.init(senders[i].s.param) < 0) {
				LM_CRIT("the sender of channel %s could not start\n", senders[i].channel);
				/* kamailio stops when this process exits; exiting at once, while the main
				 * process still forks the others, left its TCP main (signalled mid-start)
				 * spinning on epoll_wait for good, 28 million log lines in a minute: the
				 * others are given the time to start first */
				sleep(2);
				exit(-1);
			}
			sender_loop(&senders[i]);
		}
	}
	return 0;
}

/* A channel name given to the API: 0, or OMNIQ_EARG (why in last_error). */
static int channel_arg(const str *channel)
{
	char why[OQ_WHY_MAX];
	oq_class_t cls;

	if(channel == NULL || oq_check_channel(channel->s, channel->len, &cls, why) < 0)
		return oq_bad_arg("channel", channel ? why : "missing");
	return 0;
}

int oq_outbound_add(const str *channel, const str *to, const str *from, const str *body,
		const str *unless_online, char *did_out, int size)
{
	static const str empty = {"", 0}, text = {"text", 4};
	char why[OQ_WHY_MAX];
	redisReply *r;
	str a[6];
	int rc;

	if((rc = channel_arg(channel)) < 0)
		return rc;
	if(to == NULL || to->len < 1)
		return oq_bad_arg("to", "the recipient's address on the channel is missing");
	if((rc = oq_text_arg(OQ_TEXT_EXT, to)) < 0 || (rc = oq_text_arg(OQ_TEXT_FROM, from)) < 0
			|| (rc = oq_text_arg(OQ_TEXT_UNLESS, unless_online)) < 0)
		return rc;
	if(body == NULL || oq_check_body(body->s, body->len, why) < 0)
		return oq_bad_arg("body", body ? why : "missing");
	a[0] = *channel;
	a[1] = *to;
	a[2] = from ? *from : empty;
	a[3] = text;
	a[4] = *body;
	a[5] = unless_online ? *unless_online : empty;
	r = oq_call("oq_ob_add", 6, a, &rc);
	if(r == NULL)
		return rc;
	/* a delivery id, or "" when the recipient was online */
	if(r->type != REDIS_REPLY_STRING || r->len > 20 || strspn(r->str, "0123456789") != r->len) {
		rc = oq_bad_reply("oq_ob_add", r, "a delivery id or \"\"");
		freeReplyObject(r);
		return rc;
	}
	if(did_out && size > 0)
		snprintf(did_out, (size_t)size, "%s", r->str);
	rc = r->len ? OMNIQ_OK : 1;
	freeReplyObject(r);
	return rc;
}

int oq_delivery_report(const str *channel, const str *provider_id, const str *state,
		const str *reason)
{
	static const str empty = {"", 0};
	redisReply *r;
	str a[4];
	int rc;

	if((rc = channel_arg(channel)) < 0)
		return rc;
	if(provider_id == NULL || provider_id->len < 1 || provider_id->len > OQ_PROVIDER_ID_MAX)
		return oq_bad_arg("provider id", "must be 1..128 bytes");
	if(state == NULL
			|| !((state->len == 9 && !memcmp(state->s, "delivered", 9))
					|| (state->len == 6 && !memcmp(state->s, "failed", 6))
					|| (state->len == 4 && !memcmp(state->s, "sent", 4))))
		return oq_bad_arg("state", "must be delivered, failed or sent");
	if(reason && reason->len > OQ_REASON_MAX)
		return oq_bad_arg("reason", "longer than 512 bytes");
	a[0] = *channel;
	a[1] = *provider_id;
	a[2] = *state;
	a[3] = reason ? *reason : empty;
	r = oq_call("oq_ob_report", 4, a, &rc);
	if(r == NULL)
		return rc;
	if(!oq_reply_is(r, OQ_R_STRINGS) || r->elements != 2)
		rc = oq_bad_reply("oq_ob_report", r, "[delivery id, state]");
	else
		rc = !strcmp(r->element[1]->str, "early") ? 1 : OMNIQ_OK;
	freeReplyObject(r);
	return rc;
}
