/*
 * channels.h - integrators' channels: a channel named in the cfg, fed through the REST
 * ingest and answered through a signed webhook (see channels.c).
 */
#ifndef OMNIQ_WS_CHANNELS_H
#define OMNIQ_WS_CHANNELS_H

#include "core/sr_module.h"

#define WS_CHANNELS_MAX 16
#define WS_URL_MAX 1024

typedef struct ws_channel {
	char name[33];              /* [a-z][a-z0-9_-]{0,31} */
	char url[WS_URL_MAX + 1];   /* where agents' replies are POSTed */
	char secret[129];           /* signs them */
	int cls;                    /* OMNIQ_CLASS_CHAT or OMNIQ_CLASS_EMAIL */
} ws_channel_t;

/* modparam("omniq_ws", "channel", "name=..;url=..;secret=..[;class=chat|email]"), repeatable */
int ws_channel_param(modparam_t type, void *val);
/* mod_init: a channel driver and an outbound sender (its webhook) for each configured
 * channel. 0, or -1 (logged). */
int ws_channels_register(void);
/* The configured channel of that name (len bytes), or NULL. */
const ws_channel_t *ws_channel_find(const char *name, size_t len);

#endif
