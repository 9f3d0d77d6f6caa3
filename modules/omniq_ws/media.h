/*
 * media.h - GET /media/<tenant>/<key>: a file a channel's provider keeps (a WeChat voice
 * message or photo, an MMS picture), named in a customer's message by a key the channel got
 * from api.media_ref. The key is the capability: whoever holds it may see the file, as the
 * agents who read the conversation do.
 *
 *   ready    200, the bytes; an image, audio or video type as it is, anything else as
 *            application/octet-stream (never a type a browser would run from our origin)
 *   pending  202, a page that reloads itself; the first open (then one a minute) asks the
 *            channel's sender to fetch it (api.outbound_add to "media:<key>", body the ref)
 *   failed   404, text/plain with the provider's reason (the file is gone)
 *   unknown  404 (expired, or never given)
 */
#ifndef OMNIQ_WS_MEDIA_H
#define OMNIQ_WS_MEDIA_H

#include <stddef.h>

typedef struct ws_media_answer {
	int status;
	char type[136];
	const char *data; /* the body, len bytes: m's data, or text */
	size_t len;
	char text[640];
	void *m;          /* what ws_media_done frees */
} ws_media_answer_t;

/* The answer to GET path ("/media/<tenant>/<key>"); ws_media_done(a) once it is sent. */
void ws_media_answer(const char *path, ws_media_answer_t *a);
void ws_media_done(ws_media_answer_t *a);

#endif
