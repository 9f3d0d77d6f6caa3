/*
 * population.c - the agents and session skills of population.h, from one xorshift
 * generator (seeded, so a run can be repeated draw for draw).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"
#include "population.h"

static unsigned long long rng_state = 88172645463325252ULL;

void rng_seed(unsigned long long seed)
{
	rng_state = 88172645463325252ULL ^ (seed * 2654435761ULL);
	if(!rng_state)
		rng_state = 1;
}

unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

const char *agent_id(int i, char *buf, size_t size)
{
	snprintf(buf, size, "ag%05d", i);
	return buf;
}

/* agents' rows are created and made available this many at a time (2 calls each) */
#define AGENT_BATCH 256

void population_make(struct population *p, int agents, int per_agent, const char *tenant,
		const char *extra)
{
	struct cmd c;
	long inflight = 0;
	memset(p, 0, sizeof *p);
	p->agents = agents;
	p->per_agent = per_agent;
	p->universe = 3 * per_agent;
	if(p->universe > SKILLS_MAX) {
		fprintf(stderr, "route_bench: at most %d skills per agent\n", SKILLS_MAX / 3);
		exit(1);
	}
	for(int i = 0; i < agents; i++) {
		unsigned char has[SKILLS_MAX] = {0};
		char sk[SKILLS_MAX * 8 + 256] = "", id[16];
		size_t n = extra ? (size_t)snprintf(sk, 256, "%s", extra) : 0;
		for(int k = 0; k < per_agent; k++) {
			int v;
			do
				v = rnd(p->universe);
			while(has[v]);
			has[v] = 1;
		}
		/* in name order, as the library stores them */
		for(int v = 0; v < p->universe; v++) {
			if(!has[v])
				continue;
			n += snprintf(sk + n, sizeof sk - n, "%ssk%02d:%u", n ? "," : "", v, 1 + rnd(10));
			for(int w = 0; w < p->universe; w++)
				if(has[w])
					p->pair[v * p->universe + w] = 1;
		}
		if(!tenant)
			continue;
		cmd_fcall(&c, "oq_agent_set", tenant);
		cmd_arg(&c, agent_id(i, id, sizeof id));
		cmd_argf(&c, "Agent %ld", i);
		cmd_arg(&c, sk);
		cmd_arg(&c, AGENT_CAPS);
		cmd_arg(&c, "");
		rb_append(&c);
		cmd_fcall(&c, "oq_agent_state", tenant);
		cmd_arg(&c, id);
		cmd_arg(&c, "available");
		rb_append(&c);
		inflight += 2;
		if(inflight >= 2 * AGENT_BATCH || i + 1 == agents) {
			for(; inflight; inflight--) {
				redisReply *r = rb_reply();
				if(r->type == REDIS_REPLY_ERROR)
					rb_die("oq_agent_set / oq_agent_state", r);
				freeReplyObject(r);
			}
		}
	}
}

void session_skills(const struct population *p, char *buf, size_t size)
{
	int u = p->universe, a, b;
	if(rnd(4)) {
		do
			a = rnd(u);
		while(!p->pair[a * u + a]);
		snprintf(buf, size, "sk%02d", a);
		return;
	}
	do {
		a = rnd(u);
		b = rnd(u);
	} while(a == b || !p->pair[a * u + b]);
	if(b < a) {
		int t = a;
		a = b;
		b = t;
	}
	snprintf(buf, size, "sk%02d,sk%02d", a, b);
}
