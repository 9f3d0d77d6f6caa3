#ifndef OQE_VALUE_H
#define OQE_VALUE_H

#include "call.h"
#include "cfg.h"

/*
 * value.c - routing by customer value and region (lua/75_value.lua keeps the settings): a
 * new session's customer tier adds its priority and the skills it requires (a VIP waits less
 * and may need senior agents), and its region (the customer's profile, else its phone
 * number's prefix) requires the skill r-<region> until region_wait has passed, when the
 * sweep widens it to any agent. A queue may have a regional queue per region (P:rgq:
 * "<queue>/<region>" -> queue: the region's own team, hours, service levels and figures):
 * the session waits there, and goes back to its queue when it is widened. Only a tenant
 * that has tiers or region_wait pays for it: one key lookup per enqueue otherwise.
 */

typedef struct oqe_value {
	RedisModuleString *skills;   /* the session's skills with the tier's and the region's */
	long long prio;              /* with the tier's */
	char region[64];             /* "" for none */
	RedisModuleString *queue;    /* its region's queue instead of the contact's; NULL: none */
} oqe_value;

/* cid: the customer ("" for a new one), canon: its canonical identity, queue: the queue it
 * came to. v->skills and v->prio start as the contact's. 0, or -1 when it replied (an
 * error). */
int oqe_value_apply(oqe_call *c, const oqe_cfg *cfg, RedisModuleString *cid,
		RedisModuleString *canon, RedisModuleString *queue, oqe_value *v);

/* The session opened (sid, waiting or not): its region's widening deadline. */
void oqe_value_opened(oqe_call *c, const oqe_cfg *cfg, const oqe_value *v,
		RedisModuleString *sid);

#endif
