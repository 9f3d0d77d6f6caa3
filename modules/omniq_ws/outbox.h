/*
 * outbox.h - the webhook sender thread (see outbox.c).
 */
#ifndef OMNIQ_WS_OUTBOX_H
#define OMNIQ_WS_OUTBOX_H

/* In omniq_ws process 0 of a node: starts the sender when a receiver is configured
 * (push_url). 0, or -1 when it cannot start. */
int ws_outbox_start(void);

#endif
