/*
 * delivery.c - bench/ws' per-step accounting of messages by sequence number (delivery.h
 * says what each count means and why).
 */
#include <stdlib.h>
#include <string.h>
#include "delivery.h"

enum { WS_SENT = 1, WS_ARRIVED = 2 };

static void step_free(ws_step_t *s)
{
	free(s->flags);
	free(s->lag);
	free(s->from_due.us);
	free(s->from_send.us);
}

ws_step_t *ws_run_step(ws_run_t *r, long long rate, int seconds, int64_t t0, int64_t drain_ns)
{
	ws_step_t *s;

	if(rate < 1 || seconds < 1)
		return NULL;
	if(r->n == r->cap) {
		int cap = r->cap ? r->cap * 2 : 8;
		ws_step_t *ns = realloc(r->steps, (size_t)cap * sizeof(*ns));
		if(ns == NULL)
			return NULL;
		r->steps = ns;
		r->cap = cap;
	}
	s = &r->steps[r->n];
	memset(s, 0, sizeof(*s));
	s->rate = rate;
	s->n = rate * seconds;
	s->t0 = t0;
	s->window_end = t0 + (int64_t)seconds * 1000000000;
	s->deadline = s->window_end + drain_ns;
	s->flags = calloc((size_t)s->n, 1);
	s->lag = malloc((size_t)s->n * sizeof(*s->lag));
	s->from_due.us = malloc((size_t)s->n * sizeof(uint32_t));
	s->from_send.us = malloc((size_t)s->n * sizeof(uint32_t));
	if(s->flags == NULL || s->lag == NULL || s->from_due.us == NULL || s->from_send.us == NULL) {
		step_free(s);
		return NULL;
	}
	r->n++;
	return s;
}

void ws_run_free(ws_run_t *r)
{
	int i;

	for(i = 0; i < r->n; i++)
		step_free(&r->steps[i]);
	free(r->steps);
	memset(r, 0, sizeof(*r));
}

int64_t ws_step_sched(const ws_step_t *s, long long seq)
{
	/* in two parts, so that seq x 1e9 cannot overflow for any step a run can hold */
	return s->t0 + (int64_t)(seq / s->rate) * 1000000000
		   + (int64_t)(seq % s->rate) * 1000000000 / s->rate;
}

/* how many of the step's messages are due at now: seq is due once its time has come */
static long long due_by(const ws_step_t *s, int64_t now)
{
	long long due;

	if(now < s->t0)
		return 0;
	due = (long long)((now - s->t0) / 1000000000) * s->rate
		  + (long long)((now - s->t0) % 1000000000) * s->rate / 1000000000 + 1;
	return due > s->n ? s->n : due;
}

/* microseconds from a to b, within uint32_t (0 when b is before a) */
static uint32_t us_between(int64_t a, int64_t b)
{
	int64_t us = (b - a) / 1000;
	return us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void lat_add(ws_lat_t *l, uint32_t us)
{
	l->us[l->n++] = us;
	l->sorted = 0;
}

long long ws_run_tick(ws_run_t *r, int64_t now, ws_send_fn send, void *arg)
{
	ws_step_t *s = r->n ? &r->steps[r->n - 1] : NULL;
	long long due, sent = 0;

	if(s == NULL)
		return 0;
	due = due_by(s, now);
	while(s->next < due) {
		int64_t due_at = ws_step_sched(s, s->next);
		int rc = send(arg, r->n - 1, s->next, due_at);
		if(rc == WS_SEND_LATER)
			break;
		if(rc == WS_SEND_OK) {
			s->flags[s->next] |= WS_SENT;
			s->lag[s->next] = us_between(due_at, now);
			s->sent++;
			sent++;
		} else {
			s->skipped++;
		}
		s->next++;
	}
	return sent;
}

void ws_run_stop_sending(ws_run_t *r)
{
	ws_step_t *s = r->n ? &r->steps[r->n - 1] : NULL;

	if(s) {
		s->skipped += s->n - s->next;
		s->next = s->n;
	}
}

enum ws_arrival ws_run_arrival(ws_run_t *r, int step, long long seq, int64_t sched_ns,
		int64_t now)
{
	ws_step_t *s;
	uint32_t us;

	if(step < 0 || step >= r->n) {
		r->bogus++;
		return WS_BOGUS;
	}
	s = &r->steps[step];
	if(seq < 0 || seq >= s->n || !(s->flags[seq] & WS_SENT)
			|| sched_ns != ws_step_sched(s, seq)) {
		s->bogus++;
		return WS_BOGUS;
	}
	if(s->flags[seq] & WS_ARRIVED) {
		s->dup++;
		return WS_DUP;
	}
	s->flags[seq] |= WS_ARRIVED;
	if(now > s->deadline) {
		s->late++;
		return WS_LATE;
	}
	s->delivered++;
	if(now <= s->window_end)
		s->in_window++;
	us = us_between(sched_ns, now);
	lat_add(&s->from_due, us);
	lat_add(&s->from_send, us - (us < s->lag[seq] ? us : s->lag[seq]));
	return WS_DELIVERED;
}

long long ws_step_lost(const ws_step_t *s)
{
	return s->sent - s->delivered - s->late;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

double ws_latency_ms(ws_lat_t *l, double p)
{
	if(l->n == 0)
		return -1;
	if(!l->sorted) {
		qsort(l->us, (size_t)l->n, sizeof(*l->us), cmp_u32);
		l->sorted = 1;
	}
	return l->us[(long long)(p * (double)(l->n - 1) + 0.5)] / 1000.0;
}
