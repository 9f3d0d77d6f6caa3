/*
 * ratelog.h - a log line that may come by the thousand in an attack (a refused login, a
 * socket closed for what it sent, a request over its rate): said at most once per interval
 * per process, the first of that interval, with how many were held back since the last
 * line. Never log per event under load; count, and say it once in a while. For the lws
 * loop's thread only (no lock).
 */
#ifndef OMNIQ_WS_RATELOG_H
#define OMNIQ_WS_RATELOG_H

typedef struct ws_ratelog {
	int every_ms;            /* the interval */
	long long said;          /* ms of the last line (monotonic), 0: none yet */
	unsigned long held;      /* events since that were not said */
} ws_ratelog_t;

#define WS_RATELOG(ms) {(ms), 0, 0}

/* 1: say this one now, *held being how many were not said since the last line (then
 * counted from 0 again); 0: count it only. */
int ws_ratelog_due(ws_ratelog_t *r, unsigned long *held);

#endif
