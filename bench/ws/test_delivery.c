/*
 * test_delivery.c - self-test of bench/ws' per-step accounting (delivery.c), on synthetic
 * runs: a client that sends and a server that delivers, late, twice, or not at all, as the
 * case says. Built and run by bench/selftest.py; prints PASS/FAIL <case> lines.
 */
#include <stdio.h>
#include <string.h>
#include "selftest.h"
#include "delivery.h"

#define MS 1000000LL
#define S 1000000000LL

/* the client: every message goes out; what went out is kept for the server to deliver */
typedef struct out {
	int step[4096];
	long long seq[4096];
	int64_t sched[4096];
	int n;
	int refuse_from; /* a message with this seq or above is skipped (its queue is full) */
} out_t;

static int send_all(void *arg, int step, long long seq, int64_t sched)
{
	out_t *o = arg;
	if(o->refuse_from && seq >= o->refuse_from)
		return WS_SEND_SKIP;
	o->step[o->n] = step;
	o->seq[o->n] = seq;
	o->sched[o->n] = sched;
	o->n++;
	return WS_SEND_OK;
}

/* a step of `rate` msg/s for 1 s, its tick every ms until the window's end */
static ws_step_t *step_sent_on_time(ws_run_t *r, out_t *o, long long rate, int64_t t0)
{
	ws_step_t *s = ws_run_step(r, rate, 1, t0, 3 * S);
	int64_t t;
	for(t = t0; t <= t0 + S; t += MS)
		ws_run_tick(r, t, send_all, o);
	return s;
}

static void deliver(ws_run_t *r, out_t *o, int i, int64_t at)
{
	ws_run_arrival(r, o->step[i], o->seq[i], o->sched[i], at);
}

static void a_late_message_of_one_step_does_not_hide_a_loss_of_the_next(void)
{
	ws_run_t r = {0};
	out_t a = {0}, b = {0};
	ws_step_t *s0, *s1;
	int i;

	s0 = step_sent_on_time(&r, &a, 10, 0);
	for(i = 0; i < a.n; i++) /* all but the last delivered at once */
		if(i != 9)
			deliver(&r, &a, i, a.sched[i] + MS);
	s1 = step_sent_on_time(&r, &b, 10, 5 * S);
	s0 = &r.steps[0];
	for(i = 0; i < b.n; i++) /* all but the first delivered at once */
		if(i != 0)
			deliver(&r, &b, i, b.sched[i] + MS);
	deliver(&r, &a, 9, 5 * S + 500 * MS); /* step 0's last, during step 1 */
	CHECK(a.n == 10 && b.n == 10);
	CHECK(s0->sent == 10 && s0->delivered == 9 && s0->late == 1 && ws_step_lost(s0) == 0);
	CHECK(s1->sent == 10 && s1->delivered == 9 && s1->late == 0 && ws_step_lost(s1) == 1);
	ws_run_free(&r);
}

static void a_duplicate_does_not_hide_a_loss(void)
{
	ws_run_t r = {0};
	out_t a = {0};
	ws_step_t *s;
	int i;

	s = step_sent_on_time(&r, &a, 10, 0);
	for(i = 0; i < a.n; i++)
		if(i != 7)
			deliver(&r, &a, i, a.sched[i] + MS);
	deliver(&r, &a, 3, a.sched[3] + 2 * MS);
	CHECK(s->sent == 10 && s->delivered == 9 && s->dup == 1 && ws_step_lost(s) == 1);
	ws_run_free(&r);
}

static void latency_counts_from_the_schedule_when_the_client_falls_behind(void)
{
	ws_run_t r = {0};
	out_t a = {0};
	ws_step_t *s = ws_run_step(&r, 1000, 1, 0, 3 * S);
	int i;

	/* the client's loop stalls for 100 ms after its first tick, then catches up */
	ws_run_tick(&r, 0, send_all, &a);
	ws_run_tick(&r, 100 * MS, send_all, &a);
	for(i = 0; i < a.n; i++) /* each at its desk 1 ms after the tick that sent it */
		deliver(&r, &a, i, (i == 0 ? 0 : 100 * MS) + MS);
	CHECK(ws_latency_ms(&s->from_due, 0.0) == 1.0); /* seq 0, sent on time */
	CHECK(ws_latency_ms(&s->from_due, 0.5) > 45 && ws_latency_ms(&s->from_due, 0.5) < 55);
	CHECK(ws_latency_ms(&s->from_due, 1.0) == 100.0); /* seq 1: due at 1 ms, at its desk at 101 */
	CHECK(a.n == 101 && s->delivered == 101); /* 0..100 due by 100 ms */
	/* from the send, every one took 1 ms: what the bench measured before */
	CHECK(ws_latency_ms(&s->from_send, 0.0) == 1.0 && ws_latency_ms(&s->from_send, 1.0) == 1.0);
	ws_run_free(&r);
}

static void what_the_client_never_sent_counts_as_skipped(void)
{
	ws_run_t r = {0};
	out_t a = {0};
	ws_step_t *s = ws_run_step(&r, 100, 1, 0, 3 * S);
	int i;

	a.refuse_from = 80; /* the sockets' queues are full from seq 80 on */
	ws_run_tick(&r, 500 * MS, send_all, &a);
	ws_run_tick(&r, 900 * MS, send_all, &a); /* then the loop stalls past the deadline */
	ws_run_stop_sending(&r);
	for(i = 0; i < a.n; i++)
		deliver(&r, &a, i, 950 * MS);
	CHECK(a.n == 80 && s->sent == 80);
	CHECK(s->skipped == 20); /* 80..90 refused, 91..99 never handed over */
	CHECK(s->delivered == 80 && ws_step_lost(s) == 0);
	ws_run_free(&r);
}

static void a_message_never_sent_or_altered_is_bogus(void)
{
	ws_run_t r = {0};
	out_t a = {0};
	ws_step_t *s = step_sent_on_time(&r, &a, 10, 0);

	CHECK(ws_run_arrival(&r, 0, 3, a.sched[3] + 1, S) == WS_BOGUS); /* its time altered */
	CHECK(ws_run_arrival(&r, 0, 10, ws_step_sched(s, 10), S) == WS_BOGUS); /* past n */
	CHECK(ws_run_arrival(&r, 1, 0, 0, S) == WS_BOGUS); /* no such step */
	CHECK(s->bogus == 2 && r.bogus == 1 && s->delivered == 0 && ws_step_lost(s) == 10);
	ws_run_free(&r);
}

int main(void)
{
	int failures = 0;

	RUN(a_late_message_of_one_step_does_not_hide_a_loss_of_the_next);
	RUN(a_duplicate_does_not_hide_a_loss);
	RUN(latency_counts_from_the_schedule_when_the_client_falls_behind);
	RUN(what_the_client_never_sent_counts_as_skipped);
	RUN(a_message_never_sent_or_altered_is_bogus);
	return failures != 0;
}
