/*
 * soak.c - `route_bench soak-prep POOL` then `route_bench soak SESSIONS POOL`: does Redis
 * give back what ended sessions took, and never before their retention?
 *
 * The tenant keeps ended sessions for the shortest retention (60 s) and its events 10 s.
 * soak-prep makes 100 idle agents and a pool of POOL customers, each served once (so
 * that every customer record has what serving it adds: its last agent). Customers stay
 * in Redis by design; sessions must not. run.sh runs the other scenarios while the pool's
 * sessions wait out their retention; then `soak`:
 *   1. sweeps (oq_sweep, as the module's dispatcher does: every 200 ms, at most 1000 of
 *      each kind) until every session of soak-prep has left, and reads used_memory: the
 *      start;
 *   2. runs SESSIONS cycles (cycle.c) for customers drawn from the pool, sweeping every
 *      200 ms. Every SESSIONS/2000-th session is a sample: read right after its close
 *      (its `updated` is when it closed), then after every sweep until it is gone. A
 *      sample gone after a sweep that ended before its closing time plus the retention
 *      was removed early;
 *   3. keeps sweeping until every session has left, and reads used_memory again: the end.
 * Redis shrinks its hash tables in its own timer after mass deletions, so both readings
 * are taken once used_memory has stopped moving (at most 10 s), and the first reading of
 * the end is printed too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"
#include "cycle.h"
#include "measure.h"

#define TENANT "oq:{soak}"
#define AGENTS 100
#define SKILLS 10
#define BATCH 32
#define RETENTION_S 60
#define SWEEP_EVERY_S 0.2
#define SWEEP_MAX "1000"
#define SAMPLES 2000

struct sample {
	char sid[24];
	long long due; /* closing time + retention, ms of Redis' clock */
	int gone;
};

static struct soak {
	long pool;
	double last_sweep;
	long long retired, lapsed_offers; /* the sweeps' 5th and 1st counts */
	struct sample *samples;
	long nsamples, cap, pending; /* pending: read at close, not yet seen gone */
	long early;                  /* gone after a sweep that ended before their due time */
	long long max_late_ms;       /* the longest a sample stayed past its due time */
} sk;

static void identity_pool(void *arg, long i, char *buf, size_t size)
{
	(void)arg;
	(void)i;
	snprintf(buf, size, "web:p%u", rnd(sk.pool));
}

static void identity_each(void *arg, long i, char *buf, size_t size)
{
	(void)arg;
	snprintf(buf, size, "web:p%ld", i);
}

static void config(void)
{
	struct cmd c;
	cmd_fcall(&c, "oq_config", TENANT);
	cmd_arg(&c, "retention");
	cmd_argf(&c, "%ld", RETENTION_S);
	cmd_arg(&c, "events_keep");
	cmd_arg(&c, "10");
	freeReplyObject(rb_call_ok(&c));
}

/* the value of `field` in a flat [field, value, ...] reply, or NULL */
static const char *field_of(const redisReply *r, const char *field)
{
	for(size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2)
		if(r->element[i]->type == REDIS_REPLY_STRING && !strcmp(r->element[i]->str, field))
			return r->element[i + 1]->str;
	return NULL;
}

static void on_sample(void *arg, const char *sid, const redisReply *session)
{
	const char *updated = field_of(session, "updated");
	(void)arg;
	if(!updated || strcmp(field_of(session, "state") ?: "", "closed")) {
		fprintf(stderr, "route_bench: soak sample %s right after its close: ", sid);
		rb_die("not a closed session", session);
	}
	if(sk.nsamples == sk.cap) {
		sk.cap = sk.cap ? 2 * sk.cap : 1024;
		sk.samples = realloc(sk.samples, sk.cap * sizeof *sk.samples);
		if(!sk.samples)
			rb_die("out of memory", NULL);
	}
	snprintf(sk.samples[sk.nsamples].sid, sizeof sk.samples[0].sid, "%s", sid);
	sk.samples[sk.nsamples].due = atoll(updated) + RETENTION_S * 1000LL;
	sk.samples[sk.nsamples].gone = 0;
	sk.nsamples++;
	sk.pending++;
}

static long long time_ms(const redisReply *r)
{
	if(r->type != REDIS_REPLY_ARRAY || r->elements != 2)
		rb_die("TIME", r);
	return atoll(r->element[0]->str) * 1000 + atoll(r->element[1]->str) / 1000;
}

/* One sweep, bracketed by Redis' clock (its own clock reading lies between the two), then
 * every pending sample looked at. */
static void sweep(void)
{
	struct cmd c;
	redisReply *r;
	long long before, after;
	long checked = 0;
	redisAppendCommand(rc, "TIME");
	cmd_fcall(&c, "oq_sweep", TENANT);
	cmd_arg(&c, SWEEP_MAX);
	rb_append(&c);
	redisAppendCommand(rc, "TIME");
	r = rb_reply();
	before = time_ms(r);
	freeReplyObject(r);
	r = rb_reply();
	/* [lapsed, wrapped up, affinity, expired, retired, ...]: later counts (alerts,
	 * follow-ups) are not the soak's */
	if(r->type != REDIS_REPLY_ARRAY || r->elements < 5)
		rb_die("oq_sweep", r);
	sk.lapsed_offers += atoll(r->element[0]->str);
	sk.retired += atoll(r->element[4]->str);
	freeReplyObject(r);
	r = rb_reply();
	after = time_ms(r);
	freeReplyObject(r);
	sk.last_sweep = rb_now();

	for(long i = 0; i < sk.nsamples; i++) {
		if(sk.samples[i].gone)
			continue;
		cmd_fcall(&c, "oq_session_get", TENANT);
		cmd_arg(&c, sk.samples[i].sid);
		rb_append(&c);
		checked++;
	}
	for(long i = 0; checked && i < sk.nsamples; i++) {
		struct sample *s = &sk.samples[i];
		if(s->gone)
			continue;
		r = rb_reply();
		if(r->type == REDIS_REPLY_ERROR) {
			if(strncmp(r->str, "OQ_NOTFOUND", 11))
				rb_die("oq_session_get of a soak sample", r);
			s->gone = 1;
			sk.pending--;
			if(s->due > after)
				sk.early++;
			if(before - s->due > sk.max_late_ms)
				sk.max_late_ms = before - s->due;
		}
		freeReplyObject(r);
	}
}

static void sweep_when_due(void *arg)
{
	(void)arg;
	if(rb_now() - sk.last_sweep >= SWEEP_EVERY_S)
		sweep();
}

/* Sweep every 200 ms until no ended session is left in P:ret (the retention index, read
 * directly: no function counts it) and no sample is pending. Stops with an error when the
 * sweeps stop retiring while sessions past their retention remain. */
static void sweep_until_empty(const char *what)
{
	double stalled_since = 0;
	long long seen = -1;
	for(;;) {
		long long left = rb_integer("ZCARD " TENANT ":ret");
		if(left == 0 && sk.pending == 0)
			return;
		if(left != seen) {
			seen = left;
			stalled_since = rb_now();
		} else if(rb_now() - stalled_since > RETENTION_S + 30) {
			fprintf(stderr, "route_bench: %s: %lld ended sessions and %ld samples still in "
					"Redis %d s after the last was retired\n", what, left, sk.pending,
					RETENTION_S + 30);
			exit(1);
		}
		rb_sleep(sk.last_sweep + SWEEP_EVERY_S - rb_now());
		sweep();
	}
}

/* used_memory once it has stopped moving: read every 200 ms until five readings in a row
 * are within 0.1 % of each other, at most 10 s; *first gets the first reading */
static double settled_memory(double *first)
{
	double last = rb_info_num("memory", "used_memory"), t0 = rb_now();
	int still = 0;
	if(first)
		*first = last;
	while(still < 5 && rb_now() - t0 < 10) {
		double m;
		rb_sleep(0.2);
		m = rb_info_num("memory", "used_memory");
		still = (m > last ? m - last : last - m) <= last / 1000 ? still + 1 : 0;
		last = m;
	}
	return last;
}

int cmd_soak_prep(int argc, char **argv)
{
	static struct population pop;
	struct cycle_driver d = {0};
	if(argc != 2 || atol(argv[1]) < 1) {
		fprintf(stderr, "usage: route_bench host port soak-prep POOL\n");
		return 2;
	}
	sk.pool = atol(argv[1]);
	config();
	population_make(&pop, AGENTS, SKILLS, TENANT, NULL);
	d.tenant = TENANT;
	d.pop = &pop;
	d.identity = identity_each;
	run_cycles(&d, 0, sk.pool, BATCH);
	printf("soak prepared: %d agents, %ld customers served once each (retention %d s)\n",
			AGENTS, sk.pool, RETENTION_S);
	return 0;
}

/* The agents' lists of past sessions (P:a:<aid>:past, PAST_MAX entries at most, for the
 * desk's search): how many there are, and their bytes (MEMORY USAGE). They are agent state
 * that grows to its cap as agents serve, not memory the sessions left behind, and in the
 * quick form the soak is where most of them fill: the memory figure is read without them
 * (and printed with them). */
static void past_lists(long long *keys, double *bytes)
{
	char cmd[80], id[16];
	redisReply *r;

	*keys = 0;
	*bytes = 0;
	for(int i = 0; i < AGENTS; i++) {
		snprintf(cmd, sizeof cmd, "MEMORY USAGE %s:a:%s:past", TENANT, agent_id(i, id, sizeof id));
		r = redisCommand(rc, cmd);
		if(!r)
			rb_die(cmd, NULL);
		if(r->type == REDIS_REPLY_INTEGER) {
			(*keys)++;
			*bytes += (double)r->integer;
		} else if(r->type != REDIS_REPLY_NIL)
			rb_die(cmd, r);
		freeReplyObject(r);
	}
}

int cmd_soak(int argc, char **argv)
{
	static struct population pop;
	struct cycle_driver d = {0};
	long sessions;
	long long keys0, keys1, pastk0, pastk1;
	double mem0, mem1, mem1_first, t0, t_pass, t_end, peak, past0, past1;

	if(argc != 3 || atol(argv[1]) < 1 || atol(argv[2]) < 1) {
		fprintf(stderr, "usage: route_bench host port soak SESSIONS POOL\n");
		return 2;
	}
	sessions = atol(argv[1]);
	sk.pool = atol(argv[2]);
	population_make(&pop, AGENTS, SKILLS, NULL, NULL); /* soak-prep's agents, drawn again */
	t0 = rb_now();
	sweep_until_empty("the pool's first sessions");
	mem0 = settled_memory(NULL);
	keys0 = rb_integer("DBSIZE");
	past_lists(&pastk0, &past0);
	sk.retired = 0;

	d.tenant = TENANT;
	d.pop = &pop;
	d.identity = identity_pool;
	d.between = sweep_when_due;
	d.sample_every = sessions / SAMPLES > 1 ? sessions / SAMPLES : 1;
	d.on_sample = on_sample;
	t0 = rb_now();
	run_cycles(&d, sk.pool, sessions, BATCH);
	t_pass = rb_now() - t0;
	sweep_until_empty("after the soak");
	t_end = rb_now() - t0;
	mem1 = settled_memory(&mem1_first);
	keys1 = rb_integer("DBSIZE");
	past_lists(&pastk1, &past1);
	peak = rb_info_num("memory", "used_memory_peak");

	printf("== memory soak: %ld sessions (%.0f/s) for %ld customers, %d idle agents, "
		   "retention %d s, events kept 10 s, oq_sweep every %.0f ms (max %s); every "
		   "session gone %.0f s after the start\n", sessions, sessions / t_pass, sk.pool,
			AGENTS, RETENTION_S, SWEEP_EVERY_S * 1e3, SWEEP_MAX, t_end);
	printf("used_memory          %.0f KB before the first session, %.0f KB at the end "
		   "(%.0f KB right after the last sweep), peak %.0f KB: ratio %.3f\n", mem0 / 1024,
			mem1 / 1024, mem1_first / 1024, peak / 1024, mem1 / mem0);
	printf("agents' past lists   %lld lists of %.0f KB before, %lld of %.0f KB after (capped "
		   "agent state, not the sessions': the ratio without them %.3f)\n", pastk0,
			past0 / 1024, pastk1, past1 / 1024, (mem1 - past1) / (mem0 - past0));
	printf("keys                 %lld before, %lld after\n", keys0, keys1);
	printf("retention            %lld sessions retired by the sweeps; %ld samples, %ld "
		   "removed before their retention, the latest %.1f s after it\n", sk.retired,
			sk.nsamples, sk.early, sk.max_late_ms / 1e3);
	if(sk.lapsed_offers)
		printf("offers lapsed        %lld (the sweep found offers past their deadline)\n",
				sk.lapsed_offers);
	printf("RESULT soak_sessions=%ld soak_pool=%ld soak_mem_start=%.0f soak_mem_end=%.0f "
		   "soak_mem_end_first=%.0f soak_mem_peak=%.0f soak_keys_start=%lld "
		   "soak_keys_end=%lld soak_retired=%lld soak_samples=%ld soak_early=%ld "
		   "soak_max_late_ms=%lld soak_pass_s=%.3f soak_past_keys_start=%lld "
		   "soak_past_keys_end=%lld soak_past_start=%.0f soak_past_end=%.0f\n", sessions,
			sk.pool, mem0, mem1, mem1_first, peak, keys0, keys1, sk.retired, sk.nsamples,
			sk.early, sk.max_late_ms, t_pass, pastk0, pastk1, past0, past1);
	free(sk.samples);
	return 0;
}
