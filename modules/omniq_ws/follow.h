/*
 * follow.h - which sockets of this process follow which events.
 *
 * A socket follows keys: a session id (a customer's chat, or a session in an agent's inbox)
 * or "a:<agent id>" (everything offered to or taken from that agent), of its tenant: the
 * same id in another tenant is another key. Following a key also
 * tells the event thread to keep that key's events (ws_events_watch). ws_follow_deliver()
 * runs in the lws loop when the thread has items and hands each item once to every socket
 * that follows its session or its agent (the customer's own messages and typing not to
 * the customers' sockets: they were acknowledged, the widget shows them); a "resync" item (the thread lost events of a
 * tenant) goes to every follower of that tenant, which re-reads from state what it shows.
 */
#ifndef OMNIQ_WS_FOLLOW_H
#define OMNIQ_WS_FOLLOW_H

#include "events.h"

typedef struct ws_follow_node ws_follow_node_t;

typedef struct ws_follower {
	/* called with the item's tenant current */
	void (*on_item)(struct ws_follower *f, const ws_item_t *it);
	int tenant;             /* whose session ids and agent ids the keys are: set first */
	int no_inbound;         /* set first: a customer's socket, which is not handed the
	                         * customer's own messages and typing (ws_item_inbound) */
	ws_follow_node_t *keys; /* the keys this follower follows (internal) */
	unsigned seen;          /* internal: the last item handed to it */
} ws_follower_t;

/* 0, or -1 when out of memory. Following a key twice is a no-op. */
int ws_follow(ws_follower_t *f, const char *key);
/* Follow exactly keys[0..n-1]: the new ones first, then the others are dropped. 0, or -1
 * when out of memory (what could be followed is). */
int ws_follow_only(ws_follower_t *f, const char *const *keys, int n);
/* On close: every key of f. */
void ws_unfollow_all(ws_follower_t *f);
/* The event thread's items, to their followers (LWS_CALLBACK_EVENT_WAIT_CANCELLED). */
void ws_follow_deliver(void);

#endif
