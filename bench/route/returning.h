/*
 * returning.h - the cycles of returning customers, with and without routing by value and
 * region (issue 24: tiers and regions "keep the engine's per-cycle cost within its bench
 * target"). Both scenarios draw the same customers: a pool of phone numbers made before
 * the clock starts, each coming back again and again, so that the difference between the
 * two is what the tiers and regions cost, not a customer's first contact.
 */
#ifndef ROUTE_RETURNING_H
#define ROUTE_RETURNING_H

#include "population.h"

/* the pool's size: customers made before the timed cycles */
#define RETURNING_POOL 2000

/* The skills every agent has in the value scenario: both regions (sorting before sk00) */
#define RETURNING_REGIONS "r-east:5,r-west:5"

/* The tenant's customers: RETURNING_POOL phone numbers writing SMS (+10..., +11...: regions
 * east and west by prefix), each contacted once (offered and closed, or abandoned when no agent
 * was free); with `value`, the tenant's tiers (gold, silver), region prefixes and
 * region_wait are set, and one customer in three is gold, one in three silver, one in
 * ten has a region in its profile instead. reopen_window stays 0: a return is a new
 * session, as in the other scenarios. */
void returning_make(const struct population *p, const char *tenant, int value);

/* the identity of session i: a pool customer's number */
void identity_returning(void *arg, long i, char *buf, size_t size);

#endif
