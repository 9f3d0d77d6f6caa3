/*
 * appends.h - customers' messages appended in batches. What the socket callbacks of one
 * turn of the lws loop hand over is appended when the turn ends, in one Redis round trip
 * (api.append_many), and each owner then gets its answer. Under load a turn reads many
 * sockets, so the round trips per message fall as the rate rises; a lone message waits for
 * nothing but its own round trip. The lws loop only (one thread).
 */
#ifndef OMNIQ_WS_APPENDS_H
#define OMNIQ_WS_APPENDS_H

#include <jansson.h>
#include "core/str.h"

/* The answer for one message: rc and why as in omniq_append_t; cid as handed over. It must
 * not hand over another message. */
typedef void (*ws_appended_f)(void *owner, json_t *cid, int rc, const char *why);

/* Queue an inbound message of tenant for session sid (sid, from and body are copied, cid
 * is referenced until the answer; it may be NULL). When the batch is full it is appended
 * first, inside the caller's callback. 0, or -1 when out of memory (nothing queued). */
int ws_append_later(void *owner, ws_appended_f done, int tenant, const char *sid,
		const char *from, const str *body, json_t *cid);
/* The owner is closing: its messages are still appended, but nobody is told. */
void ws_append_forget(void *owner);
/* Append everything queued and answer the owners (the end of each turn of the loop). */
void ws_append_flush(void);

#endif
