/*
 * oq_notify.c - connection leases (lua/70_notify.lua).
 *
 * A socket server leases presence for each live connection of a customer identity; a
 * channel that must notify someone who is not connected (a push to an app user) queues it
 * with api.outbound_add(..., unless_online), which checks the leases in the same round
 * trip.
 */
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"

#include "oq_core.h"

#define LEASES_MAX 1000
#define CONN_MAX 128

int oq_presence(int n, const str *pairs, int ttl_ms)
{
	str a[1 + 2 * 64];
	char ttl[16];
	int i, k, chunk, rc;

	if(n < 1 || n > LEASES_MAX || pairs == NULL)
		return oq_bad_arg("presence", "1..1000 connections at a time");
	if(ttl_ms != 0 && (ttl_ms < 1000 || ttl_ms > 600000))
		return oq_bad_arg("presence ttl", "must be 0 or 1000..600000 ms");
	/* identity: what the socket server and the channel agree on, e.g. "app:u42" */
	for(i = 0; i < n; i++) {
		if((rc = oq_text_arg(OQ_TEXT_LEASE, &pairs[2 * i])) < 0)
			return rc;
		if(pairs[2 * i + 1].len < 1 || pairs[2 * i + 1].len > CONN_MAX)
			return oq_bad_arg("presence", "a connection id of 1..128 bytes");
	}
	snprintf(ttl, sizeof(ttl), "%d", ttl_ms);
	a[0].s = ttl;
	a[0].len = (int)strlen(ttl);
	/* in chunks of 64 so that one call never holds Redis for long */
	for(i = 0; i < n; i += chunk) {
		chunk = n - i < 64 ? n - i : 64;
		for(k = 0; k < 2 * chunk; k++)
			a[1 + k] = pairs[2 * i + k];
		if((rc = oq_call_checked("oq_presence", 1 + 2 * chunk, a, OQ_R_OK)) < 0)
			return rc;
	}
	return OMNIQ_OK;
}

int oq_online(const str *identity)
{
	redisReply *r;
	int rc;

	if((rc = oq_text_arg(OQ_TEXT_LEASE, identity)) < 0)
		return rc;
	r = oq_call("oq_online", 1, identity, &rc);
	if(r == NULL)
		return rc;
	if(r->type == REDIS_REPLY_INTEGER && r->integer >= 0 && r->integer <= LEASES_MAX * 1000)
		rc = (int)r->integer;
	else
		rc = oq_bad_reply("oq_online", r, "a count of leases");
	freeReplyObject(r);
	return rc;
}

/* The notification outbox is gone: its one sender (omniq_ws' pushes) became an outbound
 * sender, and an entry queued here would never leave. A module still calling it is told,
 * nothing is written. */
int oq_outbox_add(const str *kind, const str *target, const str *unless_online,
		const str *payload, char *id_out, int id_size)
{
	return oq_bad_arg("outbox_add", "the outbox is gone: queue notifications with "
			"outbound_add() for a channel's registered sender (docs/integrator.md)");
}
