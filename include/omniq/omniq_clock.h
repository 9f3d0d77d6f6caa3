/*
 * omniq_clock.h - the two clocks of omniq's C side, each defined once (the Redis library has
 * its own: Redis TIME, lua/00_clock.lua).
 *
 * omniq_wall_ms: the time of day in ms (gettimeofday), for what a process compares with
 * times from elsewhere or keeps across restarts: token expiry, deadlines, the age of an
 * outage in a log line.
 * omniq_mono_ms: monotonic ms (CLOCK_MONOTONIC), for intervals within one process that must
 * not jump with the clock: it never goes back, and goes on while the process is stopped.
 *
 * Plain C, no Kamailio headers.
 */
#ifndef OMNIQ_CLOCK_H
#define OMNIQ_CLOCK_H

#include <sys/time.h>
#include <time.h>

static inline long long omniq_wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static inline long long omniq_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
