/*
 * customer.h - the customer records the engine's commands touch (P:c:<cid>; the library's
 * lua/10_customer.lua owns the rest until it moves here).
 */
#ifndef OQE_CUSTOMER_H
#define OQE_CUSTOMER_H

#include "call.h"

/* The customer a session's customer id stands for today: merges leave a chain of
 * merged_into links, followed at most 16 deep. *live is NULL when the record is gone.
 * Returns -1 (after replying OQ_INTERNAL) when a record is not a hash. */
int oqe_customer_resolve(oqe_call *c, RedisModuleString *cid, RedisModuleString **live);

/* The agent this customer goes back to (affinity), from now. */
void oqe_customer_last_agent(oqe_call *c, RedisModuleString *cid, RedisModuleString *aid);

/* A new customer with one identity (as given, and canonical in P:ident) and its first
 * session: P:seq:c's next id into *cid. */
void oqe_customer_create(oqe_call *c, RedisModuleString *ident, RedisModuleString *canon,
		RedisModuleString *sid, RedisModuleString **cid);

/* A known customer's new session: in its history (P:c:<cid>:h), and the identity as given
 * among its identities unless it has it (or has IDENTITIES_MAX). Returns -1 (replied
 * OQ_INTERNAL) when the record is not a hash; call it before any write. */
int oqe_customer_check(oqe_call *c, RedisModuleString *cid);
void oqe_customer_add_session(oqe_call *c, RedisModuleString *cid, RedisModuleString *ident,
		RedisModuleString *sid);

#endif
