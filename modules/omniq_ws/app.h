/*
 * app.h - the mobile app socket /ws/app and the "app" channel driver (see app.c).
 */
#ifndef OMNIQ_WS_APP_H
#define OMNIQ_WS_APP_H

#include <stddef.h>
#include <libwebsockets.h>

extern const size_t ws_app_pss_size;
int ws_app_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len);
/* mod_init, when app_secret is set: agent replies to app users who are not connected
 * become push notifications in the outbox (when push_url is set). */
int ws_app_register(void);

#endif
