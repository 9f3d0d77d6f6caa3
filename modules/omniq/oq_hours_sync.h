/* oq_hours_sync.h - business hours between the node and Redis (oq_hours_sync.c). */
#ifndef OQ_HOURS_SYNC_H
#define OQ_HOURS_SYNC_H

/* the dispatcher, between sweeps: each queue's intervals worked out again before they run
 * out (once a minute at most) */
void oq_hours_renew(void);
int oq_rpc_hours_register(void);

#endif
