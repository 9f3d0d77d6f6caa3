/*
 * delivery.h - bench/ws' accounting of its rate steps: when each message is due, and what
 * became of each message sent, counted once by its step and sequence number.
 *
 * A step schedules rate x seconds messages, seq 0..n-1, message seq due at
 * t0 + seq / rate. The client's tick hands over whatever is due; a client that falls behind
 * hands messages over late, and their latency still counts from when they were due (from
 * the schedule, not from the tick: otherwise the delay of a client that fell behind would
 * be left out, coordinated omission; the latency from the send, what this bench measured
 * before, is kept beside it, so that the two can be told apart). Each message carries its step, seq and scheduled time;
 * the server echoes them unchanged, so an arrival is counted against its own step: the
 * first arrival of a sent seq by the step's deadline (the sending window and a drain after
 * it) is delivered, after it late; a second arrival is a duplicate; a seq never sent, out
 * of range or with another scheduled time is bogus. Lost = sent, never arrived. A late or
 * duplicated message of one step can no longer hide a loss of another.
 *
 * No I/O here and no clock of its own (times are passed in): ws_load drives it, and
 * test_delivery.c feeds it synthetic runs.
 */
#ifndef BENCH_WS_DELIVERY_H
#define BENCH_WS_DELIVERY_H

#include <stdint.h>

typedef struct ws_lat {
	uint32_t *us; /* one per delivered message */
	long long n;
	int sorted;
} ws_lat_t;

typedef struct ws_step {
	long long rate;     /* messages per second */
	long long n;        /* messages scheduled: rate x seconds */
	int64_t t0;         /* ns: when seq 0 is due */
	int64_t window_end; /* ns: t0 + seconds, the end of the sending window */
	int64_t deadline;   /* ns: window_end + the drain; an arrival after it is late */
	long long next;     /* the first seq not yet handed over */
	long long sent, skipped;
	long long delivered, in_window, late, dup, bogus;
	unsigned char *flags; /* per seq: WS_SENT, WS_ARRIVED */
	uint32_t *lag;        /* per seq: us from when it was due to when it was handed over */
	ws_lat_t from_due;    /* the latency: from when each delivered message was due */
	ws_lat_t from_send;   /* and from when it was handed over */
} ws_step_t;

typedef struct ws_run {
	ws_step_t *steps;
	int n, cap;
	long long bogus; /* arrivals naming no step of the run */
} ws_run_t;

/* what send() answers for one due message */
enum { WS_SEND_OK = 0, WS_SEND_SKIP = 1, WS_SEND_LATER = 2 };
typedef int (*ws_send_fn)(void *arg, int step, long long seq, int64_t sched_ns);

enum ws_arrival { WS_DELIVERED, WS_LATE, WS_DUP, WS_BOGUS };

/* Begins the run's next step (its index is the step number messages carry); NULL when out
 * of memory. */
ws_step_t *ws_run_step(ws_run_t *r, long long rate, int seconds, int64_t t0, int64_t drain_ns);
void ws_run_free(ws_run_t *r);

int64_t ws_step_sched(const ws_step_t *s, long long seq);

/* Hands over, through send(), every message of the run's last step due by now and not yet
 * handed over: WS_SEND_OK when it went out, WS_SEND_SKIP when it cannot (counted skipped),
 * WS_SEND_LATER when nothing can take a message now (it and the rest wait for the next
 * tick). Returns the messages sent. */
long long ws_run_tick(ws_run_t *r, int64_t now, ws_send_fn send, void *arg);

/* The sending of the last step is over: what was never handed over counts as skipped. */
void ws_run_stop_sending(ws_run_t *r);

/* A message (step, seq, its scheduled time) arrived at now. */
enum ws_arrival ws_run_arrival(ws_run_t *r, int step, long long seq, int64_t sched_ns,
		int64_t now);

long long ws_step_lost(const ws_step_t *s); /* sent, not arrived (yet) */
/* the p-th fraction (0..1) of the delivered messages' latencies (l: &s->from_due or
 * &s->from_send), ms; -1 when none */
double ws_latency_ms(ws_lat_t *l, double p);

#endif
