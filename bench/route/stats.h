/*
 * stats.h - the numbers bench/route reads from Redis and from its own clock: INFO
 * commandstats parsed into a table and differenced, and percentiles. No Redis, no
 * hiredis here: bench/selftest.py tests this file alone (test_stats.c).
 */
#ifndef ROUTE_STATS_H
#define ROUTE_STATS_H

#define CMDSTATS_MAX 256

/* one line of INFO commandstats: cmdstat_<name>:calls=<n>,usec=<n>,... */
struct cmdstat {
	char name[64];
	long long calls;
	long long usec;
};

struct cmdstats {
	int n;
	struct cmdstat e[CMDSTATS_MAX];
};

/* Parse the text of INFO commandstats. Returns 0, or -1 when a cmdstat_ line cannot be
 * read (a Redis whose format we do not know: better no figure than a wrong one). */
int cmdstats_parse(const char *info, struct cmdstats *out);

/* What happened between two readings: per command, the calls and usec of `after` less
 * those of `before` (a command absent before counts from 0); only commands called in
 * between, sorted by time, the most first. */
void cmdstats_diff(const struct cmdstats *before, const struct cmdstats *after,
		struct cmdstats *out);

/* The entry of `name` (e.g. "fcall"), or NULL. */
const struct cmdstat *cmdstats_find(const struct cmdstats *s, const char *name);

/* The steps a driver sent: the FCALLs of the function library and the commands of the
 * omniq engine (omniq.*, a Redis module), their calls and usec summed into *out (named
 * "steps"). The drivers send each step at the top level and none of these runs another
 * inside it in the cycles measured, so nothing is counted twice; a driver checks the
 * count (3 a cycle), which a nested call would break loudly. */
void cmdstats_steps(const struct cmdstats *s, struct cmdstat *out);

/* Print each command of a difference with its calls and usec per `per` (e.g. per cycle)
 * over n units, the bench's own INFO readings left out; a function's commands are counted
 * under their own names and their time is inside the function's (fcall). */
void cmdstats_print(const struct cmdstats *diff, long n, const char *per);

/* The p-th percentile (0 < p <= 1) of n values sorted ascending, by nearest rank: the
 * smallest value that at least p of the values do not exceed. */
double percentile(const double *sorted, long n, double p);

/* Sort n doubles ascending. */
void sort_doubles(double *v, long n);

#endif
