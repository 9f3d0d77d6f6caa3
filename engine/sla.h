#ifndef OQE_SLA_H
#define OQE_SLA_H

#include "call.h"

/*
 * sla.c - what the engine's steps note for the service-level clocks (lua/80_sla.lua).
 * The library owns the policies and decides when a level fires; the engine's steps only
 * note the moments those clocks start and stop, so that the hot paths (a chat message,
 * an enqueue) pay one key lookup per call in a tenant without policies and a field or two
 * in one with them.
 */

/* Has the tenant service-level policies or business hours? Looked up once a call (two key
 * lookups): what a tenant with neither pays for both. */
int oqe_sla_on(oqe_call *c);

/* A new session: the sweep looks at it at once (matches a policy, starts its clocks). */
void oqe_sla_new(oqe_call *c, RedisModuleString *sid);

/* A message of the session (hash s, id sp/sl) in direction dir ("in", "out"; others are
 * ignored): "in" starts the reply clock unless one runs (t_in) and asks the sweep to look;
 * "out" stops it and marks the first response (t_out1). */
void oqe_sla_message(oqe_call *c, RedisModuleKey *s, const char *sp, size_t sl,
		RedisModuleString *sid, const char *dir);

/* A session ended (closed by the engine's step) or went into its wrap-up: the sweep looks
 * at it (its figures for the reports, a follow-up rule may make one, one it was opened for
 * ends, its customer is asked the survey once the conversation is over). */
void oqe_sla_ended(oqe_call *c, RedisModuleString *sid);

#endif
