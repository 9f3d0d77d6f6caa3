/*
 * push.h - pushes for app users who are not connected (see push.c).
 */
#ifndef OMNIQ_WS_PUSH_H
#define OMNIQ_WS_PUSH_H

#include <jansson.h>

#include "core/str.h"

/* The outbound channel of the pushes (a channel of its own: an app user's replies while
 * connected go over the socket, not through a sender). */
#define WS_PUSH_CHANNEL "push"

/* mod_init: the push sender, when a tenant has a push_url. 0, or -1 (logged). */
int ws_push_register(void);

/* An agent's reply to app user ext (app:<app_id>:<user>) of the current tenant, as a push
 * (payload: the JSON body, consumed), unless the user is connected. 0 queued or not
 * needed, -1 not queued (logged). */
int ws_push_queue(const str *ext, const str *sid, const str *from, json_t *payload);

#endif
