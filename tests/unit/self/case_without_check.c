/*
 * case_without_check.c - unit.h's own test: a case that runs no CHECK must fail.
 *
 * The Makefile's selftest target builds this apart from the test_*.c binaries and
 * expects exactly: checks_nothing FAIL ("no CHECK ran"), checks_in_a_loop_that_never_runs
 * FAIL, checks_something PASS, exit status 1.
 */
#include "unit.h"

TEST(checks_nothing)
{
}

TEST(checks_in_a_loop_that_never_runs)
{
	int i, n = 0;

	for (i = 0; i < n; i++)
		CHECK(i >= 0);
}

TEST(checks_something)
{
	CHECK_EQ_INT(1 + 1, 2);
}

UNIT_MAIN()
