/*
 * unit.h - a deliberately tiny test harness for omniq's pure-C parts.
 *
 * The project test runner counts lines, so each case prints exactly one line:
 *   PASS unit/<case>
 *   FAIL unit/<case>: <first failure, file:line> (+N more)
 * and the process exits 1 if any case failed. A case that ran no CHECK at all fails too
 * ("no CHECK ran"): it asserted nothing, whatever it did (tests/unit/self/ shows it). Every failure is also written to stderr
 * in full, so a failing run can be read without rerunning it.
 *
 * Usage:
 *   #include "unit.h"
 *   TEST(parses_numbers) { CHECK(1 + 1 == 2); CHECK_EQ_INT(f(), 0); CHECK_EQ_STR(buf, "x"); }
 *   UNIT_MAIN()
 * Cases register themselves (a constructor per case) and run in source order. Arguments
 * to the binary, if any, select cases by exact name.
 *
 * Header-only and static on purpose: each test_*.c is one binary, no library to link.
 */
#ifndef OQ_UNIT_H
#define OQ_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iconv.h>

#define UNIT_MAX_CASES 256
#define UNIT_MSG_MAX 512

typedef void (*unit_fn)(void);

static struct {
	const char *names[UNIT_MAX_CASES];
	unit_fn fns[UNIT_MAX_CASES];
	int lines[UNIT_MAX_CASES];
	int count;
	const char *current;
	int checks;              /* CHECKs run in the current case, passed or not */
	int failures;            /* in the current case */
	char first[UNIT_MSG_MAX]; /* first failure of the current case */
} unit_state;

static void unit_register(const char *name, unit_fn fn, int line)
{
	int at;

	if (unit_state.count == UNIT_MAX_CASES) {
		fprintf(stderr, "unit.h: more than %d cases, raise UNIT_MAX_CASES\n",
				UNIT_MAX_CASES);
		exit(2);
	}
	/* Constructors fire in no promised order; keep the list sorted by source line. */
	for (at = unit_state.count; at > 0 && unit_state.lines[at - 1] > line; at--) {
		unit_state.names[at] = unit_state.names[at - 1];
		unit_state.fns[at] = unit_state.fns[at - 1];
		unit_state.lines[at] = unit_state.lines[at - 1];
	}
	unit_state.names[at] = name;
	unit_state.fns[at] = fn;
	unit_state.lines[at] = line;
	unit_state.count++;
}

/* Failures inside loops (fuzzing) would flood the log; the count still says how many. */
#define UNIT_STDERR_PER_CASE 20

static void unit_fail(const char *file, int line, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

static void unit_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[UNIT_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* A truncated first message is still useful; the check just silences the warning. */
	if (unit_state.failures == 0
			&& snprintf(unit_state.first, sizeof unit_state.first, "%s at %s:%d", msg,
					file, line) >= (int)sizeof unit_state.first)
		unit_state.first[sizeof unit_state.first - 1] = '\0';
	if (unit_state.failures < UNIT_STDERR_PER_CASE)
		fprintf(stderr, "%s:%d: %s: %s\n", file, line, unit_state.current, msg);
	unit_state.failures++;
}

#define CHECK(cond)                                                                    \
	do {                                                                           \
		unit_state.checks++;                                                   \
		if (!(cond))                                                           \
			unit_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond);      \
	} while (0)

/* Like CHECK, with a printf-style explanation of what was seen. */
#define CHECK_MSG(cond, ...)                                                           \
	do {                                                                           \
		unit_state.checks++;                                                   \
		if (!(cond))                                                           \
			unit_fail(__FILE__, __LINE__, __VA_ARGS__);                    \
	} while (0)

#define CHECK_EQ_INT(actual, expected)                                                 \
	do {                                                                           \
		long long unit_a_ = (long long)(actual), unit_e_ = (long long)(expected);      \
		unit_state.checks++;                                                   \
		if (unit_a_ != unit_e_)                                                \
			unit_fail(__FILE__, __LINE__, "%s is %lld, expected %lld",     \
					#actual, unit_a_, unit_e_);                    \
	} while (0)

#define CHECK_EQ_STR(actual, expected)                                                 \
	do {                                                                           \
		const char *unit_a_ = (actual), *unit_e_ = (expected);                 \
		unit_state.checks++;                                                   \
		if (unit_a_ == NULL || strcmp(unit_a_, unit_e_) != 0)                  \
			unit_fail(__FILE__, __LINE__, "%s is \"%s\", expected \"%s\"", \
					#actual, unit_a_ ? unit_a_ : "(null)", unit_e_);   \
	} while (0)

/* Is `needle` somewhere in `hay`: reasons are checked for naming the offending part. */
#define CHECK_CONTAINS(hay, needle)                                                    \
	do {                                                                           \
		const char *unit_h_ = (hay), *unit_n_ = (needle);                      \
		unit_state.checks++;                                                   \
		if (unit_h_ == NULL || strstr(unit_h_, unit_n_) == NULL)               \
			unit_fail(__FILE__, __LINE__, "%s is \"%s\", lacks \"%s\"",    \
					#hay, unit_h_ ? unit_h_ : "(null)", unit_n_);  \
	} while (0)

#define TEST(name)                                                                     \
	static void unit_case_##name(void);                                            \
	__attribute__((constructor)) static void unit_register_##name(void)            \
	{                                                                              \
		unit_register(#name, unit_case_##name, __LINE__);                      \
	}                                                                              \
	static void unit_case_##name(void)

static int unit_selected(int argc, char **argv, const char *name)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static int unit_run(int argc, char **argv)
{
	int i, failed = 0;

	for (i = 0; i < unit_state.count; i++) {
		if (!unit_selected(argc, argv, unit_state.names[i]))
			continue;
		unit_state.current = unit_state.names[i];
		unit_state.checks = 0;
		unit_state.failures = 0;
		unit_state.first[0] = '\0';
		unit_state.fns[i]();
		if (unit_state.checks == 0) {
			failed++;
			printf("FAIL unit/%s: no CHECK ran\n", unit_state.names[i]);
		} else if (unit_state.failures == 0) {
			printf("PASS unit/%s\n", unit_state.names[i]);
		} else {
			failed++;
			if (unit_state.failures > 1)
				printf("FAIL unit/%s: %s (+%d more)\n", unit_state.names[i],
						unit_state.first, unit_state.failures - 1);
			else
				printf("FAIL unit/%s: %s\n", unit_state.names[i], unit_state.first);
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}

#define UNIT_MAIN()                                                                    \
	int main(int argc, char **argv)                                                \
	{                                                                              \
		return unit_run(argc, argv);                                           \
	}

/* Whether s (len bytes) is well-formed UTF-8, judged by glibc's iconv rather than by the
 * code under test: what a channel makes of a provider's bytes must be text the core takes. */
static inline int unit_valid_utf8(const char *s, size_t len)
{
	iconv_t cd = iconv_open("UTF-32LE", "UTF-8");
	size_t inleft = len, outleft = 4 * len + 4;
	char *in = (char *)s, *buf = malloc(outleft), *o = buf;
	int ok;

	if(cd == (iconv_t)-1 || buf == NULL) {
		if(cd != (iconv_t)-1)
			iconv_close(cd);
		free(buf);
		return 0;
	}
	ok = iconv(cd, &in, &inleft, &o, &outleft) != (size_t)-1 && inleft == 0;
	iconv_close(cd);
	free(buf);
	return ok;
}

#endif
