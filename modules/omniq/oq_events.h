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

/* the most streams one read takes: more than the tenants one kamailio serves
 * (OMNIQ_TENANTS_MAX, checked where both are known: oq_redis.c) */
#define OQ_EVENTS_READ_MAX 64

/* One read of n tenants' event streams appended to c (sent with the next reply read):
 * first XINFO STREAM keys[i] for each i with check[i] (check NULL: none), then
 * XREAD COUNT count BLOCK block_ms STREAMS keys... ids... (n at most OQ_EVENTS_READ_MAX).
 * The replies come in that order: the checks' for oq_events_check, then the read's. The one
 * place a reader's XREAD is made: the dispatcher's, and omniq_ws' event threads' through
 * api.events_read. REDIS_OK, or REDIS_ERR with c->errstr. Thread-safe. */
int oq_events_read(redisContext *c, int n, const char *const *keys, const char *const *ids,
		const int *check, int block_ms, int count);

#endif
