/*
 * outbox.h - the webhook sender thread (see outbox.c).
 */
#ifndef OMNIQ_WS_OUTBOX_H
#define OMNIQ_WS_OUTBOX_H

#include <jansson.h>
#include "core/str.h"

/* In omniq_ws process 0 of a node: starts the sender when a receiver is configured
 * (push_url, or a channel). 0, or -1 when it cannot start. */
int ws_outbox_start(void);

/* A notification for the sender, from any process: payload (consumed) queued with
 * api.outbox_add() under kind and target, unless unless_online (may be NULL) is connected.
 * sid names it in log lines. 0 queued or not needed, -1 not queued (logged). */
int ws_outbox_queue(const char *kind, const str *target, const str *unless_online,
		json_t *payload, const str *sid);

#endif
