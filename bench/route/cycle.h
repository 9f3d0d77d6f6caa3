/*
 * cycle.h - the unit of work of bench/route: one assignment cycle. A session arrives
 * (enqueue, offered at once to an idle agent), the agent accepts it and closes it, which
 * frees its capacity and makes the engine look for a waiting session (close with pull).
 * Cycles run in batches on one connection: one round trip carries the accepts and the
 * closes of the previous batch, then the enqueues of this one, so that Redis runs every
 * enqueue while all agents are idle again.
 */
#ifndef ROUTE_CYCLE_H
#define ROUTE_CYCLE_H

#include <hiredis/hiredis.h>
#include "population.h"

struct cycle_driver {
	const char *tenant;
	const struct population *pop;
	/* floor.lua's functions instead of the engine's: they take the agent as one more
	 * argument of the enqueue, since they do no routing */
	int floor;
	/* the channel of every session: "web" when NULL */
	const char *channel;
	/* the identity of the customer of session number i */
	void (*identity)(void *arg, long i, char *buf, size_t size);
	/* after each round trip (the soak sweeps there), or NULL */
	void (*between)(void *arg);
	/* every sample_every-th session (0: none) is read with oq_session_get right after
	 * its close, in the same pipeline, and handed to on_sample */
	long sample_every;
	void (*on_sample)(void *arg, const char *sid, const redisReply *session);
	void *arg;
};

/* Cycles number first .. first+n-1, `batch` sessions a round trip. Dies, naming the exact
 * call, on an error reply, or when a session is not offered at once (with idle agents that
 * have its skills, that is the engine misbehaving). */
void run_cycles(const struct cycle_driver *d, long first, long n, int batch);

/* The same cycles step by step, the commandstats read after each step of each batch: the
 * FCALL microseconds of the enqueues, the accepts and the closes (where a cycle's time
 * goes), added to us[0..2]. */
void split_cycles(const struct cycle_driver *d, long first, long n, int batch, double us[3]);

/* a new customer for every session: web:v<i> */
void identity_new(void *arg, long i, char *buf, size_t size);

#endif
