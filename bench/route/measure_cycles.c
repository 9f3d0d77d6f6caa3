/*
 * measure_cycles.c - `route_bench cycles`: what one assignment cycle costs Redis, for the
 * engine (the omniq library, its agents idle) or the floor (floor.lua, no agents), each on
 * its own tenant, driven the same way (cycle.c).
 *
 * The primary figure is Redis' own account of the time spent in the functions: the usec
 * of cmdstat_fcall in INFO commandstats, read before and after, divided by the cycles.
 * On 2 shared cores this stays put where wall time does not. Beside it: redis-server's
 * CPU per cycle from /proc (its network, parsing and AOF writes included), the wall rate
 * (one connection, one round trip per batch: the end-to-end figure), and every command
 * Redis ran per cycle, the functions' own commands included, so that a reader sees where
 * the time goes. After the timed run, a few batches are driven step by step with
 * commandstats read between the steps: the enqueue's, the accept's and the close's share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"
#include "cycle.h"
#include "measure.h"
#include "returning.h"

#define STR_(x) #x
#define STR(x) STR_(x)

#define WARMUP 256 /* cycles before the clock starts: the library's Lua state bound, caches filled */

int cmd_cycles(int argc, char **argv)
{
	static struct population pop;
	struct cycle_driver d = {0};
	struct cmdstats s0, s1, diff;
	char tenant[64];
	const char *label, *mode;
	long cycles, nsplit;
	int agents, per_agent, batch, floor, returning, value;
	double t0, t1, cpu0, cpu1, forks0, forks1, split[3] = {0, 0, 0};
	const struct cmdstat *fc;
	struct cmdstat steps;

	if(argc != 7) {
		fprintf(stderr, "usage: route_bench host port cycles LABEL engine|returning|value|floor AGENTS "
				"SKILLS_PER_AGENT CYCLES BATCH\n");
		return 2;
	}
	label = argv[1];
	mode = argv[2];
	agents = atoi(argv[3]);
	per_agent = atoi(argv[4]);
	cycles = atol(argv[5]);
	batch = atoi(argv[6]);
	floor = !strcmp(mode, "floor");
	value = !strcmp(mode, "value");
	returning = value || !strcmp(mode, "returning");
	if((!floor && !returning && strcmp(mode, "engine")) || agents < 1 || per_agent < 1
			|| cycles < 1) {
		fprintf(stderr, "route_bench cycles: bad arguments\n");
		return 2;
	}
	snprintf(tenant, sizeof tenant, "oq:{%s}", label);
	population_make(&pop, agents, per_agent, floor ? NULL : tenant,
			value ? RETURNING_REGIONS : NULL);
	d.tenant = tenant;
	d.pop = &pop;
	d.floor = floor;
	d.identity = identity_new;
	if(returning) {
		returning_make(&pop, tenant, value);
		d.channel = "sms";
		d.identity = identity_returning;
	}

	run_cycles(&d, 0, WARMUP, batch);
	rb_cmdstats(&s0);
	cpu0 = rb_server_cpu_s();
	forks0 = rb_info_num("stats", "total_forks");
	t0 = rb_now();
	run_cycles(&d, WARMUP, cycles, batch);
	t1 = rb_now();
	cpu1 = rb_server_cpu_s();
	forks1 = rb_info_num("stats", "total_forks");
	rb_cmdstats(&s1);
	cmdstats_diff(&s0, &s1, &diff);
	cmdstats_steps(&diff, &steps);
	fc = &steps;
	if(fc->calls != 3 * cycles) {
		fprintf(stderr, "route_bench: %ld cycles made %lld steps (FCALLs and engine commands), "
				"not 3 each: something else uses this server, or a step called another\n",
				cycles, fc->calls);
		return 1;
	}
	nsplit = cycles / 10 < 2048 ? cycles / 10 : 2048;
	split_cycles(&d, WARMUP + cycles, nsplit, batch, split);

	if(floor)
		printf("== floor (floor.lua): %ld cycles in batches of %d, sessions drawn as for "
			   "%d agents x %d skills; no customer, no agent, no routing, no reads: only "
			   "the session's hash, its 4 events and its id\n", cycles, batch, agents,
				per_agent);
	else
		printf("== engine: %d idle agents x %d skills (of %d, levels 1-10, caps %s), %ld "
			   "cycles in batches of %d, %s, 1-2 skills each%s\n",
				agents, per_agent, pop.universe, AGENT_CAPS, cycles, batch,
				returning ? "SMS of " STR(RETURNING_POOL) " returning customers"
						  : "a new customer per session",
				!returning ? ""
				: value ? "; tiers (1 in 3 gold +200, 1 in 3 silver +50) and regions (by "
						  "number prefix, 1 in 10 by profile; region_wait 60 s; agents serve "
						  "both)"
						: "; no tiers nor regions");
	printf("Redis function time  %.1f us per cycle (INFO commandstats: usec of the FCALLs and "
		   "OMNIQ.* commands / cycles)\n",
			(double)fc->usec / cycles);
	if(nsplit)
		printf("  by step            enqueue %.1f, accept %.1f, close %.1f us (%ld more "
			   "cycles driven step by step)\n", split[0] / nsplit, split[1] / nsplit,
				split[2] / nsplit, nsplit);
	if(cpu0 >= 0)
		printf("redis-server CPU     %.1f us per cycle (/proc utime+stime, all threads: "
			   "network, parsing and AOF writes too)\n", (cpu1 - cpu0) * 1e6 / cycles);
	printf("wall                 %.0f cycles/s (%.2f s, one connection, one round trip a "
		   "batch, AOF as the server is set; %.0f fork(s) for AOF rewrites meanwhile)\n",
			cycles / (t1 - t0), t1 - t0, forks1 - forks0);
	cmdstats_print(&diff, cycles, "cycle");
	printf("RESULT %s_cycles=%ld %s_wall_s=%.3f %s_fcall_us=%lld %s_cpu_s=%.3f %s_forks=%.0f "
		   "%s_split_cycles=%ld %s_enqueue_us=%.0f %s_accept_us=%.0f %s_close_us=%.0f\n",
			label, cycles, label, t1 - t0, label, fc->usec, label,
			cpu0 >= 0 ? cpu1 - cpu0 : -1, label, forks1 - forks0, label, nsplit, label,
			split[0], label, split[1], label, split[2]);
	return 0;
}
