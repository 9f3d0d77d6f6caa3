/*
 * desk_media.h - POST /api/v1/desk/media: a file an agent sends a customer (a photo, a
 * voice message), kept by the core (api.media_ref + media_put) so that the channel's sender
 * can send it; the agent's desk then sends {"type":"reply", "sid", "media", "kind"}.
 *
 *   Authorization: Bearer <desk token>     (the desk's own, not an API key)
 *   Content-Type: image/jpeg | image/png | image/gif | audio/... | video/...
 *   body: the file, 1 byte .. 10 MiB
 *   201 {"media": "/media/<tenant>/<key>", "kind": "image"|"voice"|"video"}
 *   401 a bad, expired or logged-out token; 415 another type; 413 too large; 503 Redis
 */
#ifndef OMNIQ_WS_DESK_MEDIA_H
#define OMNIQ_WS_DESK_MEDIA_H

#include <stddef.h>

#include "ws.h"

#define WS_DESK_MEDIA_PATH "/api/v1/desk/media"

void ws_desk_media(const char *method, const char *auth, const char *ctype, const char *body,
		size_t len, ws_resp_t *rs);

#endif
