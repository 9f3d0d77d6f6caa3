/*
 * selftest.h - the checks of the benches' C self-tests (bench/<dir>/test_<name>.c), which
 * bench/selftest.py builds with this directory on the include path and runs: a case is a
 * function, CHECK() notes its first failed condition, RUN() prints its PASS or FAIL line
 * and counts it in `failures` (main's exit status).
 */
#ifndef BENCH_SELFTEST_H
#define BENCH_SELFTEST_H

#include <stdio.h>

static int failed_checks;
static const char *current;

#define CHECK(cond)                                                                     \
	do {                                                                                \
		if(!(cond)) {                                                                   \
			if(!failed_checks++)                                                        \
				printf("FAIL %s: %s (line %d)\n", current, #cond, __LINE__);            \
		}                                                                               \
	} while(0)

#define RUN(fn)                                                                         \
	do {                                                                                \
		current = #fn;                                                                  \
		failed_checks = 0;                                                              \
		fn();                                                                           \
		if(!failed_checks)                                                              \
			printf("PASS %s\n", #fn);                                                   \
		failures += failed_checks != 0;                                                 \
	} while(0)

#endif
