/*
 * route.h - where a queued session goes (session -> agent), decided without writing:
 * the customer's preferred agent when it can take the session now (or, full, the session
 * may wait for it: a park), else the best agent with room: every required skill, the
 * highest sum of the required levels, then the least loaded, then the one idle longest,
 * then the lowest id. Exact: every agent that could win is compared (docs/redis-model.md,
 * "Routing details"); the agent's row has the last word on its room, not the indexes.
 */
#ifndef OQE_ROUTE_H
#define OQE_ROUTE_H

#include "agent.h"
#include "call.h"
#include "cfg.h"

/* the agents a session must never be offered to again (its decliners) */
#define OQE_DECLINED_MAX 1024

typedef struct oqe_route_req {
	int cls;
	const char *skills;               /* canonical, sorted "a,b" ("" = none) */
	size_t skills_len;
	RedisModuleString **declined;     /* its decliners (P:s:<sid>:x and any new one) */
	int ndeclined;
} oqe_route_req;

enum oqe_decision { OQE_WAIT, OQE_OFFER, OQE_PARK };

/* Decides for req: OQE_OFFER to *agent (loaded into *a), OQE_PARK for *agent (pref, full
 * now; only when park and affinity_wait), or OQE_WAIT. pref may be NULL. -1 after
 * replying OQ_INTERNAL (a stored value that does not read). */
int oqe_route_decide(oqe_call *c, const oqe_cfg *cfg, const oqe_route_req *req,
		RedisModuleString *pref, int park, RedisModuleString **agent, oqe_agent *a);

#endif
