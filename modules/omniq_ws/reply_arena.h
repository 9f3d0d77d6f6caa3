/*
 * reply_arena.h - hiredis replies built in an arena, for a thread that reads many small
 * replies: an XREAD reply of a few hundred events is some twenty objects per event, each a
 * malloc and a free with hiredis' own functions, which cost the event reader more than
 * everything else it does (bench/ws, perf). Attached to a reader, every reply it builds
 * goes into the arena, and ws_arena_reset() frees them all at once. Never freeReplyObject()
 * such a reply. An arena belongs to one thread.
 */
#ifndef OMNIQ_WS_REPLY_ARENA_H
#define OMNIQ_WS_REPLY_ARENA_H

#include <hiredis/read.h>

typedef struct ws_arena ws_arena_t;

/* A new arena (its memory is taken as replies need it), or NULL when out of memory. */
ws_arena_t *ws_arena_new(void);
/* The replies rd builds from now on go into a (rd outlives none of them). */
void ws_arena_attach(ws_arena_t *a, redisReader *rd);
/* Free every reply built in a; its first block is kept for the next ones. No reply may be
 * half read then (as after a whole reply of a blocking context). */
void ws_arena_reset(ws_arena_t *a);
void ws_arena_free(ws_arena_t *a);

#endif
