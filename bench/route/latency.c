/*
 * latency.c - `route_bench latency AGENTS QUEUED SAMPLES`: how long one enqueue takes a
 * client at a busy hour. AGENTS agents (10 skills each, as in the cycles) are available
 * but busy: each holds as many active chats as its chat capacity (4), so no chat can be
 * offered; QUEUED chat sessions wait (pipelined in); then SAMPLES enqueues are made one
 * call at a time, each timed from send to reply, every one still queued behind the
 * others. A PING is timed before each enqueue on the same connection: the round trip with
 * nothing to do, on the machine as it was at that moment, is the baseline.
 *
 * Then the other side of a busy hour: SAMPLES of the agents' chats are closed (pipelined),
 * each freeing room for one chat, which its agent fills at once with the best waiting
 * session it may take: the function time of a close that pulls, with that many queued.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"
#include "cycle.h"
#include "measure.h"

#define TENANT "oq:{lat}"
#define CHUNK 512 /* pipelined calls in flight while filling */
#define CHATS_PER_AGENT 4 /* AGENT_CAPS' chat capacity */

static void enqueue_cmd(struct cmd *c, long i, const char *skills)
{
	char ident[32];
	snprintf(ident, sizeof ident, "web:l%ld", i);
	cmd_fcall(c, "oq_enqueue", TENANT);
	cmd_arg(c, "web");
	cmd_arg(c, "");
	cmd_arg(c, ident);
	cmd_arg(c, skills);
	cmd_argf(c, "%ld", rnd(10));
	cmd_arg(c, "");
	cmd_arg(c, "");
}

/* the state an enqueue answered (its reply's 2nd element), or we stop */
static const char *state_of(const redisReply *r, long i)
{
	if(r->type != REDIS_REPLY_ARRAY || r->elements != 5) {
		fprintf(stderr, "route_bench: enqueue of session %ld: ", i);
		rb_die("unexpected reply", r);
	}
	return r->element[1]->str;
}

/* Every agent takes CHATS_PER_AGENT chats without skills, and accepts them. Returns the
 * (sid, agent) of each, for the caller to free. */
typedef char offer_t[2][24];

static offer_t *make_busy(int agents)
{
	long n = (long)agents * CHATS_PER_AGENT;
	offer_t *offer = malloc(n * sizeof *offer);
	struct cmd c;
	if(!offer)
		rb_die("out of memory", NULL);
	for(long i = 0; i < n; i += CHUNK) {
		long m = n - i < CHUNK ? n - i : CHUNK;
		for(long j = 0; j < m; j++) {
			enqueue_cmd(&c, i + j, "");
			rb_append(&c);
		}
		for(long j = 0; j < m; j++) {
			redisReply *r = rb_reply();
			if(strcmp(state_of(r, i + j), "offered")) {
				fprintf(stderr, "route_bench: filling %d agents' chat capacity, session %s "
						"was %s: an agent with room was passed over\n", agents,
						r->element[0]->str, r->element[1]->str);
				exit(1);
			}
			snprintf(offer[i + j][0], sizeof offer[0][0], "%s", r->element[0]->str);
			snprintf(offer[i + j][1], sizeof offer[0][1], "%s", r->element[2]->str);
			freeReplyObject(r);
		}
	}
	for(long i = 0; i < n; i += CHUNK) {
		long m = n - i < CHUNK ? n - i : CHUNK;
		for(long j = 0; j < m; j++) {
			cmd_fcall(&c, "oq_accept", TENANT);
			cmd_arg(&c, offer[i + j][0]);
			cmd_arg(&c, offer[i + j][1]);
			rb_append(&c);
		}
		for(long j = 0; j < m; j++) {
			redisReply *r = rb_reply();
			if(r->type == REDIS_REPLY_ERROR)
				rb_die("oq_accept while filling", r);
			freeReplyObject(r);
		}
	}
	return offer;
}

/* Close the first n of the busy chats, pipelined; each must answer closed. */
static void close_some(offer_t *offer, long n)
{
	struct cmd c;
	for(long i = 0; i < n; i += CHUNK) {
		long m = n - i < CHUNK ? n - i : CHUNK;
		for(long j = 0; j < m; j++) {
			cmd_fcall(&c, "oq_close", TENANT);
			cmd_arg(&c, offer[i + j][0]);
			cmd_arg(&c, "");
			rb_append(&c);
		}
		for(long j = 0; j < m; j++) {
			redisReply *r = rb_reply();
			if(r->type != REDIS_REPLY_ARRAY || r->elements != 2
					|| strcmp(r->element[1]->str, "closed"))
				rb_die("oq_close of a busy agent's chat", r);
			freeReplyObject(r);
		}
	}
}

static void must_queue(redisReply *r, long i)
{
	if(strcmp(state_of(r, i), "queued")) {
		fprintf(stderr, "route_bench: session %s was %s while every agent's chat capacity "
				"is taken\n", r->element[0]->str, r->element[1]->str);
		exit(1);
	}
}

int cmd_latency(int argc, char **argv)
{
	static struct population pop;
	struct cmd c;
	struct cmdstats s0, s1, diff;
	const struct cmdstat *fcc;
	struct cmdstat fcs, fccs;
	offer_t *offer;
	char skills[32];
	long queued, samples, first, closes;
	int agents;
	double t0, t_queue, *lat, *ping;

	if(argc != 4) {
		fprintf(stderr, "usage: route_bench host port latency AGENTS QUEUED SAMPLES\n");
		return 2;
	}
	agents = atoi(argv[1]);
	queued = atol(argv[2]);
	samples = atol(argv[3]);
	if(agents < 1 || queued < 0 || samples < 1) {
		fprintf(stderr, "route_bench latency: bad arguments\n");
		return 2;
	}
	lat = malloc(samples * sizeof *lat);
	ping = malloc(samples * sizeof *ping);
	if(!lat || !ping)
		rb_die("out of memory", NULL);

	population_make(&pop, agents, 10, TENANT, NULL);
	offer = make_busy(agents);
	first = (long)agents * CHATS_PER_AGENT;
	t0 = rb_now();
	for(long i = 0; i < queued; i += CHUNK) {
		long m = queued - i < CHUNK ? queued - i : CHUNK;
		for(long j = 0; j < m; j++) {
			session_skills(&pop, skills, sizeof skills);
			enqueue_cmd(&c, first + i + j, skills);
			rb_append(&c);
		}
		for(long j = 0; j < m; j++) {
			redisReply *r = rb_reply();
			must_queue(r, first + i + j);
			freeReplyObject(r);
		}
	}
	t_queue = rb_now() - t0;
	first += queued;

	rb_cmdstats(&s0);
	for(long i = 0; i < samples; i++) {
		redisReply *r;
		double a = rb_now();
		r = redisCommand(rc, "PING");
		ping[i] = (rb_now() - a) * 1e3;
		if(!r || r->type != REDIS_REPLY_STATUS)
			rb_die("PING", r);
		freeReplyObject(r);
		session_skills(&pop, skills, sizeof skills);
		enqueue_cmd(&c, first + i, skills);
		a = rb_now();
		r = rb_call(&c);
		lat[i] = (rb_now() - a) * 1e3;
		must_queue(r, first + i);
		freeReplyObject(r);
	}
	rb_cmdstats(&s1);
	cmdstats_diff(&s0, &s1, &diff);
	cmdstats_steps(&diff, &fcs);
	long long enq_usec = fcs.usec;

	closes = samples < (long)agents * CHATS_PER_AGENT ? samples : (long)agents * CHATS_PER_AGENT;
	rb_cmdstats(&s0);
	close_some(offer, closes);
	rb_cmdstats(&s1);
	cmdstats_diff(&s0, &s1, &diff);
	cmdstats_steps(&diff, &fccs);
	fcc = &fccs;
	free(offer);
	sort_doubles(lat, samples);
	sort_doubles(ping, samples);

	printf("== enqueue latency: %d agents x 10 skills, every one busy (its %d chats "
		   "active), %ld sessions queued (pipelined in %.1f s, %.0f/s), then %ld enqueues "
		   "one call at a time, each queued\n", agents, CHATS_PER_AGENT, queued, t_queue,
			queued / t_queue, samples);
	printf("enqueue, one call    p50 %.3f ms, p99 %.3f ms, max %.3f ms (send to reply)\n",
			percentile(lat, samples, .5), percentile(lat, samples, .99), lat[samples - 1]);
	printf("PING before each     p50 %.3f ms, p99 %.3f ms, max %.3f ms (the round trip "
		   "alone, same connection)\n", percentile(ping, samples, .5),
			percentile(ping, samples, .99), ping[samples - 1]);
	printf("Redis function time  %.1f us per enqueue (INFO commandstats)\n",
			(double)enq_usec / samples);
	printf("close, busy hour     %.1f us of Redis function time per close (%ld chats closed, "
		   "each agent pulling the best of the %ld waiting that it may take)\n",
			fcc ? (double)fcc->usec / closes : 0.0, closes, queued + samples);
	printf("RESULT lat_agents=%d lat_queued=%ld lat_samples=%ld lat_p50_ms=%.3f "
		   "lat_p99_ms=%.3f lat_max_ms=%.3f lat_ping_p50_ms=%.3f lat_ping_p99_ms=%.3f "
		   "lat_fcall_us=%lld lat_closes=%ld lat_close_fcall_us=%lld\n", agents, queued,
			samples, percentile(lat, samples, .5), percentile(lat, samples, .99),
			lat[samples - 1], percentile(ping, samples, .5), percentile(ping, samples, .99),
			enq_usec, closes, fcc ? fcc->usec : 0);
	free(lat);
	free(ping);
	return 0;
}
