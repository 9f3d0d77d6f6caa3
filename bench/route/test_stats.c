/*
 * test_stats.c - self-test of bench/route's readings (stats.c): INFO commandstats as
 * Redis 7.0 prints it (recorded from this bench's server after one enqueue, accept and
 * close), the difference of two readings, and the nearest-rank percentile that the
 * enqueue p99 comes from. Built and run by bench/selftest.py; prints PASS/FAIL <case>.
 */
#include <stdio.h>
#include <string.h>
#include "selftest.h"
#include "stats.h"

static const char BEFORE[] =
		"# Commandstats\r\n"
		"cmdstat_hset:calls=9,usec=31,usec_per_call=3.44,rejected_calls=0,failed_calls=0\r\n"
		"cmdstat_config|resetstat:calls=1,usec=70,usec_per_call=70.00,rejected_calls=0,"
		"failed_calls=0\r\n"
		"cmdstat_xadd:calls=4,usec=18,usec_per_call=4.50,rejected_calls=0,failed_calls=0\r\n"
		"cmdstat_fcall:calls=3,usec=590,usec_per_call=196.67,rejected_calls=0,"
		"failed_calls=0\r\n"
		"cmdstat_info:calls=2,usec=90,usec_per_call=45.00,rejected_calls=0,failed_calls=0\r\n";

/* later: 3 more FCALLs, their HSETs and XADDs, a first ZADD; CONFIG untouched */
static const char AFTER[] =
		"# Commandstats\r\n"
		"cmdstat_hset:calls=12,usec=40,usec_per_call=3.33,rejected_calls=0,failed_calls=0\r\n"
		"cmdstat_zadd:calls=1,usec=4,usec_per_call=4.00,rejected_calls=0,failed_calls=0\r\n"
		"cmdstat_config|resetstat:calls=1,usec=70,usec_per_call=70.00,rejected_calls=0,"
		"failed_calls=0\r\n"
		"cmdstat_xadd:calls=8,usec=40,usec_per_call=5.00,rejected_calls=0,failed_calls=0\r\n"
		"cmdstat_fcall:calls=6,usec=1200,usec_per_call=200.00,rejected_calls=0,"
		"failed_calls=0\r\n"
		"cmdstat_info:calls=3,usec=130,usec_per_call=43.33,rejected_calls=0,failed_calls=0\r\n";

static void commandstats_are_read_by_name_with_calls_and_usec(void)
{
	static struct cmdstats s;
	const struct cmdstat *f;
	CHECK(cmdstats_parse(BEFORE, &s) == 0);
	CHECK(s.n == 5);
	f = cmdstats_find(&s, "fcall");
	CHECK(f && f->calls == 3 && f->usec == 590);
	f = cmdstats_find(&s, "config|resetstat");
	CHECK(f && f->calls == 1 && f->usec == 70);
	CHECK(cmdstats_find(&s, "zadd") == NULL);
}

static void a_line_not_understood_gives_no_figure(void)
{
	static struct cmdstats s;
	CHECK(cmdstats_parse("cmdstat_fcall:calls=3,usec_per_call=1.0\r\n", &s) < 0);
	CHECK(cmdstats_parse("cmdstat_fcall\r\n", &s) < 0);
	CHECK(cmdstats_parse("# Commandstats\r\n", &s) == 0 && s.n == 0);
}

static void the_difference_has_what_ran_in_between_the_most_time_first(void)
{
	static struct cmdstats a, b, d;
	const struct cmdstat *e;
	CHECK(cmdstats_parse(BEFORE, &a) == 0 && cmdstats_parse(AFTER, &b) == 0);
	cmdstats_diff(&a, &b, &d);
	CHECK(d.n == 5); /* fcall info xadd hset zadd: CONFIG did not run in between */
	CHECK(!strcmp(d.e[0].name, "fcall") && d.e[0].calls == 3 && d.e[0].usec == 610);
	CHECK(!strcmp(d.e[1].name, "info") && d.e[1].usec == 40);
	CHECK(!strcmp(d.e[2].name, "xadd") && d.e[2].calls == 4 && d.e[2].usec == 22);
	CHECK(!strcmp(d.e[3].name, "hset") && d.e[3].calls == 3 && d.e[3].usec == 9);
	e = cmdstats_find(&d, "zadd"); /* absent before: counted from 0 */
	CHECK(e && e->calls == 1 && e->usec == 4);
	CHECK(cmdstats_find(&d, "config|resetstat") == NULL);
}

static void the_p99_is_the_nearest_rank(void)
{
	static double v[1000];
	for(int i = 0; i < 1000; i++)
		v[i] = 999 - i; /* unsorted: sort_doubles puts them in order */
	sort_doubles(v, 1000);
	CHECK(v[0] == 0 && v[999] == 999);
	/* 990 of 1,000 values are <= the 990th smallest; v[(long)(n * 0.99)], what the
	 * bench used before, is the 991st */
	CHECK(percentile(v, 1000, .99) == 989);
	CHECK(percentile(v, 100, .99) == 98); /* 1..100th: the 99th, not the maximum */
	CHECK(percentile(v, 100, .5) == 49);
	CHECK(percentile(v, 10, .99) == 9);   /* fewer than 100 values: the largest */
	CHECK(percentile(v, 1, .99) == 0);
	CHECK(percentile(v, 0, .99) == 0);
}

static void the_steps_are_the_fcalls_and_the_engine_commands(void)
{
	static struct cmdstats s;
	struct cmdstat t;
	CHECK(cmdstats_parse("cmdstat_fcall:calls=2,usec=300,usec_per_call=150.00,rejected_calls=0,"
						 "failed_calls=0\r\n"
						 "cmdstat_omniq.accept:calls=1,usec=7,usec_per_call=7.00,"
						 "rejected_calls=0,failed_calls=0\r\n"
						 "cmdstat_hset:calls=9,usec=20,usec_per_call=2.22,rejected_calls=0,"
						 "failed_calls=0\r\n", &s) == 0);
	cmdstats_steps(&s, &t);
	/* the FCALLs and OMNIQ.ACCEPT, not the HSETs inside them */
	CHECK(t.calls == 3 && t.usec == 307 && !strcmp(t.name, "steps"));
}

int main(void)
{
	int failures = 0;

	RUN(commandstats_are_read_by_name_with_calls_and_usec);
	RUN(a_line_not_understood_gives_no_figure);
	RUN(the_difference_has_what_ran_in_between_the_most_time_first);
	RUN(the_p99_is_the_nearest_rank);
	RUN(the_steps_are_the_fcalls_and_the_engine_commands);
	return failures != 0;
}
