/*
 * desk.h - the agents' desk socket (see desk.c for the protocol).
 */
#ifndef OMNIQ_WS_DESK_H
#define OMNIQ_WS_DESK_H

#include <stddef.h>
#include <libwebsockets.h>

extern const size_t ws_desk_pss_size;
int ws_desk_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len);

#endif
