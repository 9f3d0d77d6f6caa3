/*
 * events.h - the tenants' event streams, as one omniq_ws process needs them.
 *
 * A thread of the process blocks on every tenant's <prefix>:events (its own Redis connection; the lws loop
 * never waits for Redis there) and keeps the events of the sessions this process has
 * sockets for (by session id, or by agent as "a:<id>"), with the message bodies read from
 * the transcript. It wakes the lws loop with lws_cancel_service(); the loop takes the items
 * (LWS_CALLBACK_EVENT_WAIT_CANCELLED) and hands them to their followers (follow.c). Events
 * of other sessions cost two hash lookups each, and so do the customer's own messages and
 * typing ("in") when only customers' sockets follow the session here (they do not show
 * them; ws_item_inbound). When the thread lost events of a tenant (it
 * was away longer than the stream keeps them), an item of type "resync" stands where they
 * were: every follower of that tenant re-reads what it shows from state.
 */
#ifndef OMNIQ_WS_EVENTS_H
#define OMNIQ_WS_EVENTS_H

#include <libwebsockets.h>
#include "omniq/omniq_api.h"

typedef struct ws_item {
	struct ws_item *next;
	int tenant;                    /* index (api.tenant_at) of the stream it came from */
	char type[16];                 /* offer accept wrapup close message ... resync */
	char sid[OMNIQ_SID_MAX];
	char state[16];                /* new state, the direction of a message, or the state
	                                  of a delivery (queued, sent, delivered, failed) */
	char agent[OMNIQ_ID_MAX + 1];
	char from[OMNIQ_ID_MAX + 1];   /* message, typing: who writes */
	char id[48];                   /* message, delivery: transcript entry id; followup: its
	                                  id */
	char *body;                    /* message: malloc'd, NUL-terminated; delivery: its
	                                  reason, when it has one */
	long long wait_ms;             /* sla1..sla3: how long the customer has waited */
	int asked;                     /* events.c: its body is asked for */
	omniq_events_gap_t gap;        /* resync: what was lost */
} ws_item_t;

/* Start the reader thread for this process's lws context (rank: which omniq_ws process). */
int ws_events_start(struct lws_context *ctx, int rank);
/* The log line and statistic of a "resync" item (the loop's thread: api.events_gap). */
void ws_events_report(const ws_item_t *it);
/* Sockets of this process follow key: "<tenant index>|" and a session id or "a:<agent id>"
 * (counted: one per socket; follow.c does the counting for the sockets); inbound: whether
 * that socket wants the customer's own messages and typing (an agent's desk does, the
 * customer's socket does not). */
void ws_events_watch(const char *key, int inbound);
void ws_events_unwatch(const char *key, int inbound);
/* Is it the customer's own message or typing ("in"), which only agents' sockets show? */
int ws_item_inbound(const char *type, size_t type_len, const char *state, size_t state_len);
/* The items gathered since the last call, oldest first; free each with ws_item_free. */
ws_item_t *ws_events_take(void);
void ws_item_free(ws_item_t *it);

#endif
