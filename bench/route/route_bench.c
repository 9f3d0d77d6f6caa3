/*
 * route_bench.c — throughput of the omniq routing functions in Redis.
 *
 * Talks to an already running redis-server with the omniq library loaded
 * (run.sh starts one, with AOF, and loads the library the way the build
 * embeds it). Scenario:
 *
 *   1. N agents (default 10,000), 100 skills, 5-15 skills per agent with
 *      levels 1-10, caps voice=1,chat=4,email=8,total=10, all available.
 *   2. M sessions (default 100,000) with 1-3 random skills across the three
 *      classes. The first S (default 10,000) are enqueued one call at a time
 *      to measure latency (p50/p99); the rest are pipelined for throughput.
 *      Sessions that find a free skilled agent are offered at once; the rest
 *      queue.
 *   3. Drain: every offered session is accepted and closed by its agent, and
 *      each close pulls the agent's next waiting session inside the same
 *      call. New offers are learnt the way the Kamailio module learns them,
 *      from the P:events stream. The drain's clock covers the accept and the
 *      close of every session it carries, those offered on arrival (phase 2)
 *      and those its closes pull, so its rate counts them all (figures.py).
 *
 * Why one connection and pipelining: the functions run on Redis' single
 * thread; the question is how much of that thread one assignment costs, so
 * the client must never be the bottleneck and must not add parallelism the
 * server does not have. Each timed phase also reports what Redis spent in it
 * (INFO cpu, and INFO commandstats' FCALL time), so that its cost per
 * operation can be compared with the floor's whatever the pipelining. Only
 * the single calls of phase 2a compare with the single-connection round-trip
 * ceiling (redis-benchmark PING -c 1) that run.sh measures beside.
 *
 *   4. Steady state (default M/2 more sessions): arrivals and completions
 *      interleaved, pipelined in rounds; offers/s counts offers made at
 *      enqueue and those pulled by closes (the "assignments/s
 *      under load"), learnt from P:events.
 *
 * Usage: route_bench host port [agents sessions sample seed steady]
 * It prints what it measured (counts, seconds, Redis' CPU seconds) and a
 * RESULT line of the same; figures.py derives the rates and ratios from them
 * and says what each means.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <hiredis/hiredis.h>

#define TENANT "oq:{bench}"
#define NSKILLS 100
#define BATCH 512          /* pipelined commands in flight per round */

static redisContext *rc;
static unsigned long long rng_state = 88172645463325252ULL;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, redisReply *r)
{
	fprintf(stderr, "route_bench: %s: %s\n", what,
		r ? (r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply")
		  : (rc->errstr[0] ? rc->errstr : "no reply"));
	exit(1);
}

/* argv for FCALL name 1 TENANT args... */
struct cmd {
	int argc;
	const char *argv[16];
	char buf[16][64];
};

static void cmd_init(struct cmd *c, const char *fn)
{
	c->argc = 0;
	c->argv[c->argc++] = "FCALL";
	c->argv[c->argc++] = fn;
	c->argv[c->argc++] = "1";
	c->argv[c->argc++] = TENANT;
}

static void cmd_arg(struct cmd *c, const char *s)
{
	c->argv[c->argc++] = s;
}

static void cmd_argf(struct cmd *c, const char *fmt, long v)
{
	snprintf(c->buf[c->argc], sizeof c->buf[0], fmt, v);
	c->argv[c->argc] = c->buf[c->argc];
	c->argc++;
}

static void append(struct cmd *c)
{
	if (redisAppendCommandArgv(rc, c->argc, c->argv, NULL) != REDIS_OK)
		die("append", NULL);
}

static redisReply *get_reply(void)
{
	void *r = NULL;
	if (redisGetReply(rc, &r) != REDIS_OK)
		die("reply", NULL);
	return r;
}

static redisReply *call(struct cmd *c)
{
	redisReply *r = redisCommandArgv(rc, c->argc, c->argv, NULL);
	if (!r)
		die("call", NULL);
	return r;
}

/* What Redis spent up to now: its CPU seconds (INFO cpu: used_cpu_sys +
 * used_cpu_user) and its FCALLs, with the microseconds spent in them, the
 * commands they run included (INFO commandstats). */
struct use {
	double cpu_s, fcall_us;
	long fcalls;
};

static double info_num(const char *info, const char *key)
{
	const char *p = strstr(info, key);
	return p ? atof(p + strlen(key)) : 0;
}

static struct use redis_use(void)
{
	struct use u = {0, 0, 0};
	redisReply *r = redisCommand(rc, "INFO cpu");
	if (!r || r->type != REDIS_REPLY_STRING)
		die("info cpu", r);
	u.cpu_s = info_num(r->str, "used_cpu_sys:") + info_num(r->str, "used_cpu_user:");
	freeReplyObject(r);
	r = redisCommand(rc, "INFO commandstats");
	if (!r || r->type != REDIS_REPLY_STRING)
		die("info commandstats", r);
	const char *f = strstr(r->str, "cmdstat_fcall:");
	if (f && sscanf(f, "cmdstat_fcall:calls=%ld,usec=%lf", &u.fcalls, &u.fcall_us) != 2)
		die("info commandstats: cmdstat_fcall", r);
	freeReplyObject(r);
	return u;
}

static struct use used_since(struct use a)
{
	struct use b = redis_use();
	b.cpu_s -= a.cpu_s;
	b.fcall_us -= a.fcall_us;
	b.fcalls -= a.fcalls;
	return b;
}

static void print_use(const char *phase, struct use u)
{
	printf("  redis in %-9s cpu %.2f s, %ld FCALL, %.2f s in them\n", phase, u.cpu_s,
	       u.fcalls, u.fcall_us / 1e6);
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Offered sessions waiting to be accepted+closed by their agent. */
struct pair {
	long sid;
	char aid[16];
};
static struct pair *pend;
static size_t npend, cappend;

/* An agent taking an offered session and finishing it at once: the drain's unit of work. */
static void append_accept_close(struct cmd *c, const struct pair *p)
{
	cmd_init(c, "oq_accept");
	cmd_argf(c, "%ld", p->sid);
	cmd_arg(c, p->aid);
	append(c);
	cmd_init(c, "oq_close");
	cmd_argf(c, "%ld", p->sid);
	cmd_arg(c, "done");
	append(c);
}

static void push_pair(long sid, const char *aid)
{
	if (npend == cappend) {
		cappend = cappend ? cappend * 2 : 4096;
		pend = realloc(pend, cappend * sizeof *pend);
		if (!pend)
			die("oom", NULL);
	}
	pend[npend].sid = sid;
	snprintf(pend[npend].aid, sizeof pend[npend].aid, "%s", aid);
	npend++;
}

/* Record an enqueue reply [sid, state, agent, position, cid]. */
static long offered_at_enqueue;
static int push_enqueue_offers = 1;   /* phase 4 learns every offer from P:events */
static void note_enqueue(redisReply *r)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 5)
		die("enqueue", r);
	if (strcmp(r->element[1]->str, "offered") == 0) {
		if (push_enqueue_offers)
			push_pair(atol(r->element[0]->str), r->element[2]->str);
		offered_at_enqueue++;
	}
}

static void make_session(struct cmd *c, long i)
{
	static const char *chan[] = {"phone", "web", "email"};
	static char skills[64], ident[32];
	int k = 1 + rnd(3), s[3], n = 0;
	/* distinct sorted skills: names sk00..sk99 sort like their numbers */
	while (n < k) {
		int v = rnd(NSKILLS), dup = 0;
		for (int j = 0; j < n; j++)
			dup |= s[j] == v;
		if (!dup)
			s[n++] = v;
	}
	for (int a = 0; a < n; a++)
		for (int b = a + 1; b < n; b++)
			if (s[b] < s[a]) {
				int t = s[a]; s[a] = s[b]; s[b] = t;
			}
	skills[0] = 0;
	for (int j = 0; j < n; j++)
		sprintf(skills + strlen(skills), "%ssk%02d", j ? "," : "", s[j]);
	snprintf(ident, sizeof ident, "web:b%ld", i);
	cmd_init(c, "oq_enqueue");
	cmd_arg(c, chan[rnd(3)]);
	cmd_arg(c, "");
	cmd_arg(c, ident);
	cmd_arg(c, skills);
	cmd_argf(c, "%ld", rnd(10));
	cmd_arg(c, "bench");
	cmd_arg(c, "");
}

/* Collect offer events after *last; returns how many were read. */
static long read_offers(char *last, size_t lastsz)
{
	long n = 0;
	for (;;) {
		redisReply *r = redisCommand(rc, "XREAD COUNT 20000 STREAMS %s %s",
					     TENANT ":events", last);
		if (!r)
			die("xread", NULL);
		if (r->type == REDIS_REPLY_NIL) {
			freeReplyObject(r);
			return n;
		}
		if (r->type != REDIS_REPLY_ARRAY)
			die("xread", r);
		redisReply *entries = r->element[0]->element[1];
		for (size_t i = 0; i < entries->elements; i++) {
			redisReply *e = entries->element[i];
			redisReply *f = e->element[1];
			const char *type = NULL, *sid = NULL, *agent = NULL;
			for (size_t j = 0; j + 1 < f->elements; j += 2) {
				if (!strcmp(f->element[j]->str, "type"))
					type = f->element[j + 1]->str;
				else if (!strcmp(f->element[j]->str, "sid"))
					sid = f->element[j + 1]->str;
				else if (!strcmp(f->element[j]->str, "agent"))
					agent = f->element[j + 1]->str;
			}
			if (type && !strcmp(type, "offer")) {
				push_pair(atol(sid), agent);
				n++;
			}
			snprintf(last, lastsz, "%s", e->element[0]->str);
		}
		size_t got = entries->elements;
		freeReplyObject(r);
		if (got < 20000)
			return n;
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s host port [agents sessions sample seed steady]\n", argv[0]);
		return 2;
	}
	long nag = argc > 3 ? atol(argv[3]) : 10000;
	long nses = argc > 4 ? atol(argv[4]) : 100000;
	long nsample = argc > 5 ? atol(argv[5]) : 10000;
	if (argc > 6)
		rng_state ^= strtoull(argv[6], NULL, 10) * 2654435761ULL;
	if (nsample > nses)
		nsample = nses;

	rc = redisConnect(argv[1], atoi(argv[2]));
	if (!rc || rc->err)
		die("connect", NULL);

	struct cmd c;
	redisReply *r;
	cmd_init(&c, "oq_config");
	cmd_arg(&c, "offer_timeout"); cmd_arg(&c, "3600");
	cmd_arg(&c, "max_misses"); cmd_arg(&c, "0");
	cmd_arg(&c, "lookahead"); cmd_arg(&c, "16");
	r = call(&c);
	if (r->type == REDIS_REPLY_ERROR)
		die("config", r);
	freeReplyObject(r);

	/* 1. agents */
	double t0 = now_s();
	static char sk[512];
	for (long i = 0; i < nag; i++) {
		int k = 5 + rnd(11), used[NSKILLS] = {0};
		sk[0] = 0;
		for (int j = 0; j < k; j++) {
			int v;
			do v = rnd(NSKILLS); while (used[v]);
			used[v] = 1;
			sprintf(sk + strlen(sk), "%ssk%02d:%u", j ? "," : "", v, 1 + rnd(10));
		}
		cmd_init(&c, "oq_agent_set");
		cmd_argf(&c, "ag%05ld", i);
		cmd_argf(&c, "Agent %ld", i);
		cmd_arg(&c, sk);
		cmd_arg(&c, "voice=1,chat=4,email=8,total=10");
		cmd_arg(&c, "");
		append(&c);
		cmd_init(&c, "oq_agent_state");
		cmd_argf(&c, "ag%05ld", i);
		cmd_arg(&c, "available");
		append(&c);
		if ((i + 1) % (BATCH / 2) == 0 || i + 1 == nag) {
			long n = (i % (BATCH / 2)) + 1;
			for (long j = 0; j < 2 * n; j++) {
				r = get_reply();
				if (r->type == REDIS_REPLY_ERROR)
					die("agent", r);
				freeReplyObject(r);
			}
		}
	}
	double t_agents = now_s() - t0;

	/* 2a. enqueue latency, one call at a time */
	double *lat = malloc(sizeof(double) * (nsample ? nsample : 1));
	t0 = now_s();
	for (long i = 0; i < nsample; i++) {
		make_session(&c, i);
		double a = now_s();
		r = call(&c);
		lat[i] = (now_s() - a) * 1e3;
		note_enqueue(r);
		freeReplyObject(r);
	}
	double t_sample = now_s() - t0;
	qsort(lat, nsample, sizeof *lat, cmpd);

	/* 2b. enqueue throughput, pipelined */
	struct use u0 = redis_use();
	t0 = now_s();
	long inflight = 0;
	for (long i = nsample; i < nses; i++) {
		make_session(&c, i);
		append(&c);
		if (++inflight == BATCH || i + 1 == nses) {
			while (inflight) {
				r = get_reply();
				note_enqueue(r);
				freeReplyObject(r);
				inflight--;
			}
		}
	}
	double t_pipe = now_s() - t0;
	struct use u_pipe = used_since(u0);

	/* 3. drain */
	char last[64];
	r = redisCommand(rc, "XREVRANGE %s + - COUNT 1", TENANT ":events");
	snprintf(last, sizeof last, "%s",
		 (r && r->type == REDIS_REPLY_ARRAY && r->elements) ? r->element[0]->element[0]->str : "0-0");
	freeReplyObject(r);

	int show_stats = getenv("BENCH_STATS") != NULL;
	if (show_stats)
		freeReplyObject(redisCommand(rc, "CONFIG RESETSTAT"));
	long drained = 0, assigned = 0, rounds = 0;
	size_t head = 0;
	u0 = redis_use();
	t0 = now_s();
	while (head < npend) {
		size_t end = npend;
		while (head < end) {
			size_t n = end - head < BATCH / 2 ? end - head : BATCH / 2;
			for (size_t j = 0; j < n; j++)
				append_accept_close(&c, &pend[head + j]);
			for (size_t j = 0; j < 2 * n; j++) {
				r = get_reply();
				if (r->type == REDIS_REPLY_ERROR)
					die("drain", r);
				freeReplyObject(r);
			}
			head += n;
			drained += n;
		}
		assigned += read_offers(last, sizeof last);
		rounds++;
	}
	double t_drain = now_s() - t0;
	struct use u_drain = used_since(u0);
	if (show_stats) {
		/* where the drain's time went: per-command calls and usec */
		r = redisCommand(rc, "INFO commandstats");
		if (r && r->type == REDIS_REPLY_STRING)
			fprintf(stderr, "%s\n", r->str);
		freeReplyObject(r);
	}

	/* 4. steady state: arrivals and completions interleaved. Each round
	 * pipelines BATCH/2 new sessions and accept+close of every session
	 * offered so far; offers (made at enqueue or pulled by a close) are
	 * learnt from P:events like the module does. This is the issue's
	 * "assignments/s under load": sessions offered per second from both
	 * directions, while the queue holds a backlog. */
	long nsteady = argc > 7 ? atol(argv[7]) : nses / 2;
	long steady_offers = 0, steady_enq = 0, steady_closed = 0, steady_calls = 0;
	long enq_offered0 = offered_at_enqueue;
	push_enqueue_offers = 0;
	head = npend;
	{
		r = redisCommand(rc, "XREVRANGE %s + - COUNT 1", TENANT ":events");
		snprintf(last, sizeof last, "%s",
			 (r && r->type == REDIS_REPLY_ARRAY && r->elements) ? r->element[0]->element[0]->str : "0-0");
		freeReplyObject(r);
	}
	u0 = redis_use();
	t0 = now_s();
	while (steady_enq < nsteady || head < npend) {
		long ne = nsteady - steady_enq < BATCH / 2 ? nsteady - steady_enq : BATCH / 2;
		size_t nc = npend - head;
		if (nc > BATCH / 2)
			nc = BATCH / 2;
		for (long j = 0; j < ne; j++) {
			make_session(&c, nses + steady_enq + j);
			append(&c);
		}
		for (size_t j = 0; j < nc; j++)
			append_accept_close(&c, &pend[head + j]);
		for (long j = 0; j < ne; j++) {
			r = get_reply();
			note_enqueue(r);
			freeReplyObject(r);
		}
		for (size_t j = 0; j < 2 * nc; j++) {
			r = get_reply();
			if (r->type == REDIS_REPLY_ERROR)
				die("steady", r);
			freeReplyObject(r);
		}
		steady_enq += ne;
		head += nc;
		steady_closed += nc;
		steady_calls += ne + 2 * nc;
		steady_offers += read_offers(last, sizeof last);
		if (ne == 0 && nc == 0)
			break;
	}
	double t_steady = now_s() - t0;
	struct use u_steady = used_since(u0);

	cmd_init(&c, "oq_stats");
	r = call(&c);
	long queued_left = -1, offered_total = -1;
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
		if (!strcmp(r->element[i]->str, "queued"))
			queued_left = atol(r->element[i + 1]->str);
		if (!strcmp(r->element[i]->str, "offered"))
			offered_total = atol(r->element[i + 1]->str);
	}
	freeReplyObject(r);

	printf("agents            %ld created+available in %.2f s (pipelined)\n", nag, t_agents);
	printf("enqueue, single   %ld calls one at a time in %.2f s: p50 %.3f ms, p99 %.3f ms\n",
	       nsample, t_sample, nsample ? lat[nsample / 2] : 0,
	       nsample ? lat[(long)(nsample * 0.99)] : 0);
	printf("enqueue, pipelined %ld in %.2f s\n", nses - nsample, t_pipe);
	print_use("it", u_pipe);
	printf("offered on arrival %ld of %ld sessions\n", enq_offered0, nses);
	printf("drain             %ld sessions accepted+closed in %.2f s (%ld rounds): %ld offered "
	       "on arrival before it, %ld pulled from the queue by its closes\n", drained, t_drain,
	       rounds, drained - assigned, assigned);
	print_use("the drain", u_drain);
	printf("steady            %ld enqueued + %ld accepted+closed in %.2f s (%ld FCALL); "
	       "%ld offers: %ld at enqueue, %ld pulled by closes\n", steady_enq, steady_closed,
	       t_steady, steady_calls, steady_offers, offered_at_enqueue - enq_offered0,
	       steady_offers - (offered_at_enqueue - enq_offered0));
	print_use("steady", u_steady);
	printf("left queued       %ld (no free agent has all their skills within lookahead)\n",
	       queued_left);
	printf("offers total      %ld\n", offered_total);
	printf("RESULT single_calls=%ld single_s=%.3f enqueue_p50_ms=%.3f enqueue_p99_ms=%.3f "
	       "drain_cycles=%ld drain_pulled=%ld drain_s=%.3f drain_redis_cpu_s=%.3f "
	       "drain_fcall_s=%.3f steady_offers=%ld steady_s=%.3f steady_redis_cpu_s=%.3f "
	       "steady_fcall_s=%.3f\n", nsample, t_sample, nsample ? lat[nsample / 2] : 0,
	       nsample ? lat[(long)(nsample * 0.99)] : 0, drained, assigned, t_drain,
	       u_drain.cpu_s, u_drain.fcall_us / 1e6, steady_offers, t_steady, u_steady.cpu_s,
	       u_steady.fcall_us / 1e6);
	free(lat);
	redisFree(rc);
	return 0;
}
