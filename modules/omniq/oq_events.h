/*
 * oq_events.h - has a reader of a tenant's event stream lost events? (omniq_events.h says
 * how it is told.) One home for every reader: the dispatcher calls it directly, omniq_ws'
 * event threads through api.events_check. Plain C and hiredis, no Kamailio: tests/unit
 * checks it.
 */
#ifndef OQ_EVENTS_H
#define OQ_EVENTS_H

#include <hiredis/hiredis.h>
#include "omniq/omniq_events.h"

/* The reply to XINFO STREAM <prefix>:events (an error "no such key" is a stream not made
 * yet), read at now_ms (the reader's clock, for pos->checked_ms). A position not anchored
 * yet is anchored at the stream's end: the reader reads what comes after (what XREAD's "$"
 * means, without the race of a "$" sent again with each read). Returns 0 when the reader
 * misses nothing; 1 when entries after pos->last are gone for good: gap says what, and pos
 * is moved to the stream's end, for the reader to resynchronise from state and read on
 * from there; -1 when the reply is not one (pos unchanged). Thread-safe. */
int oq_events_check(omniq_events_pos_t *pos, const redisReply *xinfo, long long now_ms,
		omniq_events_gap_t *gap);

#endif
