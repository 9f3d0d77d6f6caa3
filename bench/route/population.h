/*
 * population.h - who the bench's contact centre is made of: agents with skills drawn
 * from a universe of skills, and the skills a new session asks for. Shared by every
 * scenario so that they all route the same kind of traffic.
 */
#ifndef ROUTE_POPULATION_H
#define ROUTE_POPULATION_H

#include <stddef.h>

#define SKILLS_MAX 100   /* skill names sk00..sk99 sort like their numbers */
#define AGENT_CAPS "voice=1,chat=4,email=8,total=10"

struct population {
	int agents, per_agent, universe;
	/* pair[a * universe + b]: some agent has both skills a and b (a == b: the skill) */
	unsigned char pair[SKILLS_MAX * SKILLS_MAX];
};

void rng_seed(unsigned long long seed);
unsigned rnd(unsigned n);

/* Draw `agents` agents of `per_agent` distinct skills from a universe of 3 x per_agent
 * (levels 1..10). With `tenant` they are created there and made available (pipelined);
 * with NULL only drawn (the floor needs their names, not their rows). `extra` (or NULL):
 * skills every agent has besides, canonical and sorting before sk00 (the regions of the
 * value scenario: "r-east:5,r-west:5"). */
void population_make(struct population *p, int agents, int per_agent, const char *tenant,
		const char *extra);

/* The agent id of agent i. */
const char *agent_id(int i, char *buf, size_t size);

/* The skills of a new session, canonical (sorted, comma-separated): one skill in 3 of 4
 * sessions, else two, always a set some agent has, so that with agents idle every session
 * can be offered at once. */
void session_skills(const struct population *p, char *buf, size_t size);

#endif
