/*
 * static.h - the web files embedded in the module (web/, by gen_static.sh): the chat widget,
 * its demo page, the agent desk. Served under /static/<name>, /demo.html and /desk/.
 */
#ifndef OMNIQ_WS_STATIC_H
#define OMNIQ_WS_STATIC_H

#include <stddef.h>

typedef struct ws_static {
	const char *name;
	const char *type;
	const unsigned char *data;
	size_t len;
} ws_static_t;

extern const ws_static_t ws_static_files[];

/* The file for a URL path, or NULL. */
const ws_static_t *ws_static_find(const char *path);

#endif
