/*
 * wait.h - where a queued session waits (lua/30_wait.lua says why each key is as it is):
 * P:w:<class>:<idx> (its routing index: its first two skills, its only one, or *), the
 * head entries of each index in P:wk:<class>, P:aw:<aid> and P:awx when parked for its
 * last agent, and P:q:<queue> (and P:qx with max_wait) for listing.
 */
#ifndef OQE_WAIT_H
#define OQE_WAIT_H

#include "call.h"
#include "cfg.h"

typedef struct oqe_waiting {
	RedisModuleString *sid;
	int cls;
	const char *skills;        /* sorted, comma-separated ("" = none) */
	size_t skills_len;
	long long score;           /* (1000 - priority) * 2^42 + enq */
	long long wait_from;       /* when its present wait began (enq, or a later transfer) */
	int offered_before;        /* it has decliners (P:s:<sid>:x) */
	RedisModuleString *queue;
} oqe_waiting;

/* Checks the keys an insert or a park writes hold what they should: -1 after replying
 * OQ_INTERNAL. Call it before any write. */
int oqe_wait_check(oqe_call *c, const oqe_waiting *w);

/* Into its routing index (and P:wk's head entries, P:q, P:qx). */
void oqe_wait_insert(oqe_call *c, const oqe_cfg *cfg, const oqe_waiting *w);

/* Parked for agent aid (its last agent, full for now) until affinity_wait runs out, or,
 * until > 0, until then (ms: a message of a closed queue parked for OQE_OPENING). */
void oqe_wait_park(oqe_call *c, const oqe_cfg *cfg, const oqe_waiting *w,
		RedisModuleString *aid, long long until);

/* The one a message of a closed queue is parked for until the opening: no agent (ids have
 * no '~'), so nothing offers it (lua/30_wait.lua W.OPENING). */
#define OQE_OPENING "~opening"

/* Out of wherever the session waits: where 'w' (its wait index, keeping P:wk's head
 * entries exact; head: its index's P:wk value when the caller read it, else NULL) or 'a'
 * (parked for its last agent); and out of P:q:<queue> and P:qx. */
struct oqe_sess;
void oqe_wait_remove(oqe_call *c, const oqe_cfg *cfg, struct oqe_sess *s, char where,
		RedisModuleString *head);

#endif
