/*
 * oq_dispatch.h - the omniq dispatcher: one process per node that follows the tenant's event
 * stream in Redis and runs event_route[omniq:<type>] (or the KEMI event_callback) and the
 * channel drivers' event hooks, and sweeps expired offers, wrap-ups and affinity waits.
 * When it lost events (it fell further behind than the stream keeps them), it says so and
 * hands the tenant's "resync" to event_route[omniq:resync] and every driver instead.
 *
 * Events travel through Redis, not through this node's memory, so an offer made on one node
 * reaches the driver that owns the customer's connection on another. Sweeping here keeps
 * SIP workers free of periodic work; several nodes sweeping at once is harmless because each
 * sweep is one atomic Redis function.
 */
#ifndef OQ_DISPATCH_H
#define OQ_DISPATCH_H

#include "core/str.h"
#include "omniq/omniq_events.h"

typedef struct oq_dispatch_cfg {
	int enabled;
	int sweep_interval_ms;
	str kemi_callback;
	int event_read_gap_us; /* after a read that brought events (omniq_events.h) */
} oq_dispatch_cfg_t;

extern oq_dispatch_cfg_t oq_dispatch_cfg;

int oq_dispatch_mod_init(void);
int oq_dispatch_fork(void);

/* A reader (reader: which, "the omniq dispatcher", "omniq_ws process 2") of tenant t's
 * event stream lost events: the one WARNING line and the statistic events_gaps
 * (api.events_gap). From a process's main thread. */
void oq_events_gap_report(int t, const omniq_events_gap_t *gap, const char *reader);

#endif
