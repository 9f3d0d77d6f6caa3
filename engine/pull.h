/*
 * pull.h - agent -> session: an agent that freed room (or came available) takes the best
 * waiting sessions it may take, up to the room that opened (lua/35_route.lua said how
 * before it moved here; docs/redis-model.md, "Routing details").
 */
#ifndef OQE_PULL_H
#define OQE_PULL_H

#include "agent.h"
#include "call.h"
#include "cfg.h"

/* At most limit (-1: its room) sessions offered to the agent `a` (loaded, its row
 * current), each the best waiting one it may take: those parked for it first, then by
 * priority and age across the classes it has room in. deep: the sweep's rescue, which
 * walks 16 times further past the head entries. The agent is saved. The offered session
 * ids go to out (at most outmax). Returns how many were offered, or -1 after replying
 * OQ_INTERNAL (a stored value that does not read; nothing written for that session). */
int oqe_pull(oqe_call *c, const oqe_cfg *cfg, oqe_agent *a, long limit, int deep,
		RedisModuleString **out, int outmax);

#endif
