/*
 * appends.h - customers' messages appended in batches without the loop waiting for Redis.
 * What the socket callbacks hand over is sent by the loop on a connection of its own
 * (api.append_many_write: OMNIQ_APPEND_MANY_MAX messages a command) and answered when the
 * answers come (api.append_many_read), while the loop goes on serving its sockets; each
 * owner then gets its answer on the loop. Under load many messages share a round trip, so
 * the round trips per message fall as the rate rises; a lone message waits for nothing but
 * its own round trip. A session's messages keep their order. The lws loop only (one
 * thread).
 */
#ifndef OMNIQ_WS_APPENDS_H
#define OMNIQ_WS_APPENDS_H

#include <jansson.h>
#include <libwebsockets.h>
#include "core/str.h"

/* The answer for one message: rc and why as in omniq_append_t (1: a message appended once
 * was there already); cid as handed over; id the message's transcript id when rc >= 0,
 * else NULL. It must not hand over another message. */
typedef void (*ws_appended_f)(void *owner, json_t *cid, int rc, const char *why,
		const char *id);

/* Queue an inbound message of tenant for session sid (sid, from and body are copied, cid
 * is referenced until the answer; it may be NULL). once: cid is a client id (a string of
 * 1..64 bytes) that names the message within its session, so that it is appended once, in
 * the same batches as the rest, for a client that resends what was not acknowledged. When
 * the batch being filled is full (2048 messages or 4 MiB), the loop waits for the
 * answers of the batch in flight first, inside the caller's callback. 0, or -1 when out of memory
 * (nothing queued). */
int ws_append_later(void *owner, ws_appended_f done, int tenant, const char *sid,
		const char *from, const str *body, json_t *cid, int once);
/* The owner is closing: its messages are still appended, but nobody is told. */
void ws_append_forget(void *owner);
/* Send what was queued when nothing is in flight: at the end of each turn of the loop. */
void ws_append_pump(void);
/* Ready the appends of this process on its libuv loop (uv_loop_t *; it connects for the
 * first batch). 0 or -1. */
int ws_append_start(void *uv_loop);

#endif
