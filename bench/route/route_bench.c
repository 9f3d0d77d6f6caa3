/*
 * route_bench.c - bench/route's driver: connects to a redis-server that has the omniq
 * library (and floor.lua) loaded and runs one scenario, printing what it measured and a
 * RESULT line of raw counts that figures.py turns into the bench's figures.
 *
 *   route_bench HOST PORT cycles LABEL engine|floor AGENTS SKILLS CYCLES BATCH
 *   route_bench HOST PORT latency AGENTS QUEUED SAMPLES
 *   route_bench HOST PORT soak-prep POOL
 *   route_bench HOST PORT soak SESSIONS POOL
 *
 * run.sh starts the servers and runs them in order; see there and in each scenario's file.
 * BENCH_SEED (environment) changes every random draw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"
#include "measure.h"
#include "population.h"

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {{"cycles", cmd_cycles}, {"latency", cmd_latency},
			{"soak-prep", cmd_soak_prep}, {"soak", cmd_soak}};
	if(argc < 4) {
		fprintf(stderr, "usage: %s HOST PORT cycles|latency|soak-prep|soak ARGS...\n", argv[0]);
		return 2;
	}
	if(getenv("BENCH_SEED"))
		rng_seed(strtoull(getenv("BENCH_SEED"), NULL, 10));
	for(size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if(strcmp(argv[3], cmds[i].name))
			continue;
		rb_connect(argv[1], atoi(argv[2]));
		setvbuf(stdout, NULL, _IOLBF, 0);
		return cmds[i].fn(argc - 3, argv + 3);
	}
	fprintf(stderr, "%s: unknown scenario %s\n", argv[0], argv[3]);
	return 2;
}
