/*
 * chat.h - the customers' web chat socket (see chat.c for the protocol).
 */
#ifndef OMNIQ_WS_CHAT_H
#define OMNIQ_WS_CHAT_H

#include <stddef.h>
#include <libwebsockets.h>

extern const size_t ws_chat_pss_size;
int ws_chat_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len);

#endif
