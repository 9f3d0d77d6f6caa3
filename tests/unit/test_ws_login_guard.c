/*
 * test_ws_login_guard.c - omniq_ws's desk login guard: failures counted per address and
 * agent within a window, the per-second cap on password checks, a bounded table.
 */
#include "unit.h"
#include "login_guard.h"

static const char *code;

/* a failed login of agent from peer at t (admitted first, as api.c does) */
static int fail_at(const char *peer, const char *agent, time_t t)
{
	int w = ws_login_admit(peer, agent, (int)strlen(agent), t, &code);
	if(w == 0)
		ws_login_result(peer, agent, (int)strlen(agent), t, 0);
	return w;
}

static int admit(const char *peer, const char *agent, time_t t)
{
	return ws_login_admit(peer, agent, (int)strlen(agent), t, &code);
}

TEST(guard_counts_failures_per_address_and_agent)
{
	time_t t = 1000000;
	ws_login_limits(3, 60, 1000, 1000);
	CHECK_EQ_INT(fail_at("10.0.0.1", "alice", t), 0);
	CHECK_EQ_INT(fail_at("10.0.0.1", "alice", t + 1), 0);
	CHECK_EQ_INT(fail_at("10.0.0.1", "alice", t + 2), 0);
	/* the fourth is refused unchecked, until the window that began at t ends */
	CHECK_EQ_INT(admit("10.0.0.1", "alice", t + 10), 50);
	CHECK_EQ_STR(code, "too_many_attempts");
	CHECK_EQ_INT(admit("10.0.0.1", "alice", t + 59), 1);
	/* another agent from that address, the agent from another address: untouched */
	CHECK_EQ_INT(admit("10.0.0.1", "bob", t + 10), 0);
	CHECK_EQ_INT(admit("10.0.0.2", "alice", t + 10), 0);
	/* the window ended: checked again, and counted afresh */
	CHECK_EQ_INT(fail_at("10.0.0.1", "alice", t + 60), 0);
	CHECK_EQ_INT(fail_at("10.0.0.1", "alice", t + 61), 0);
	CHECK_EQ_INT(fail_at("10.0.0.1", "alice", t + 62), 0);
	CHECK_EQ_INT(admit("10.0.0.1", "alice", t + 64), 56);
}

TEST(guard_success_clears_the_count)
{
	time_t t = 2000000;
	ws_login_limits(3, 60, 1000, 1000);
	CHECK_EQ_INT(fail_at("10.0.1.1", "carol", t), 0);
	CHECK_EQ_INT(fail_at("10.0.1.1", "carol", t), 0);
	CHECK_EQ_INT(admit("10.0.1.1", "carol", t), 0);
	ws_login_result("10.0.1.1", "carol", 5, t, 1);
	CHECK_EQ_INT(fail_at("10.0.1.1", "carol", t + 1), 0);
	CHECK_EQ_INT(fail_at("10.0.1.1", "carol", t + 1), 0);
	CHECK_EQ_INT(admit("10.0.1.1", "carol", t + 1), 0); /* two since the success */
}

TEST(guard_caps_checks_per_second)
{
	time_t t = 3000000;
	int i, ok = 0;
	char agent[16];
	ws_login_limits(3, 60, 4, 1000);
	/* one address gets half of a second's checks: the rest is its own excess (429) */
	for(i = 0; i < 10; i++) {
		snprintf(agent, sizeof agent, "dave%d", i);
		if(admit("10.0.2.1", agent, t) == 0)
			ok++;
	}
	CHECK_EQ_INT(ok, 2);
	CHECK_EQ_STR(code, "rate_limited");
	/* a second address the other half; then the process is busy (503) for everyone */
	CHECK_EQ_INT(admit("10.0.2.2", "dave0", t), 0);
	CHECK_EQ_INT(admit("10.0.2.3", "dave1", t), 0);
	CHECK_EQ_INT(admit("10.0.2.9", "erin", t), 1);
	CHECK_EQ_STR(code, "busy");
	CHECK_EQ_INT(admit("10.0.2.9", "erin", t + 1), 0); /* the next second */
	CHECK_EQ_INT(admit("10.0.2.1", "dave9", t + 1), 0);
}

TEST(guard_spray_from_one_address_locks_out_that_address_only)
{
	time_t t = 3200000;
	int i;
	char agent[16];
	ws_login_limits(5, 60, 10, 8);
	/* one wrong password for each of many agents (below login_fails for each): after 8
	 * failures the address is refused for every agent until its window ends */
	for(i = 0; i < 8; i++) {
		snprintf(agent, sizeof agent, "spray%d", i);
		CHECK_EQ_INT(fail_at("10.0.4.1", agent, t + i / 4), 0);
	}
	CHECK_EQ_INT(admit("10.0.4.1", "spray99", t + 2), 58);
	CHECK_EQ_STR(code, "too_many_attempts");
	CHECK_EQ_INT(admit("10.0.4.1", "carol", t + 2), 58);
	/* carol from her own address is checked, and logs in */
	CHECK_EQ_INT(admit("10.0.4.2", "carol", t + 2), 0);
	ws_login_result("10.0.4.2", "carol", 5, t + 2, 1);
	/* a success from the spraying address does not clear its count */
	CHECK_EQ_INT(fail_at("10.0.4.3", "a0", t), 0);
	CHECK_EQ_INT(admit("10.0.4.3", "mine", t), 0);
	ws_login_result("10.0.4.3", "mine", 4, t, 1);
	for(i = 1; i < 7; i++) {
		snprintf(agent, sizeof agent, "a%d", i);
		CHECK_EQ_INT(fail_at("10.0.4.3", agent, t + 1 + i / 4), 0);
	}
	CHECK_EQ_INT(admit("10.0.4.3", "a9", t + 3), 0);  /* 7 failed: checked */
	CHECK_EQ_INT(admit("10.0.4.3", "a10", t + 3), 1); /* 7 + 1 in flight: wait for it */
	CHECK_EQ_STR(code, "too_many_attempts");
	ws_login_result("10.0.4.3", "a9", 2, t + 3, 0);
	CHECK_EQ_INT(admit("10.0.4.3", "a10", t + 3), 57); /* 8 failed since t */
	/* the window ends: checked again */
	CHECK_EQ_INT(admit("10.0.4.1", "carol", t + 60), 0);
}

TEST(guard_counts_checks_in_flight_as_failures)
{
	time_t t = 3500000;
	int i;
	ws_login_limits(3, 60, 1000, 1000);
	/* five attempts at once: three are checked, the others wait for their results */
	for(i = 0; i < 3; i++)
		CHECK_EQ_INT(admit("10.0.3.1", "gina", t), 0);
	CHECK_EQ_INT(admit("10.0.3.1", "gina", t), 1);
	CHECK_EQ_STR(code, "too_many_attempts");
	/* all three fail: refused for the rest of the window, as one after another would be */
	for(i = 0; i < 3; i++)
		ws_login_result("10.0.3.1", "gina", 4, t, 0);
	CHECK_EQ_INT(admit("10.0.3.1", "gina", t + 1), 59);
	/* one fails, one succeeds while a third is in flight: the success clears the count,
	 * the third still counts until its result */
	CHECK_EQ_INT(admit("10.0.3.2", "gina", t), 0);
	CHECK_EQ_INT(admit("10.0.3.2", "gina", t), 0);
	CHECK_EQ_INT(admit("10.0.3.2", "gina", t), 0);
	ws_login_result("10.0.3.2", "gina", 4, t, 0);
	ws_login_result("10.0.3.2", "gina", 4, t, 1);
	CHECK_EQ_INT(admit("10.0.3.2", "gina", t), 0);     /* 0 failed, 1 in flight */
	CHECK_EQ_INT(admit("10.0.3.2", "gina", t), 0);     /* 0 failed, 2 in flight */
	CHECK_EQ_INT(admit("10.0.3.2", "gina", t), 1);     /* 3 in flight */
	for(i = 0; i < 3; i++)
		ws_login_result("10.0.3.2", "gina", 4, t, 1);
	CHECK_EQ_INT(admit("10.0.3.2", "gina", t), 0);
	/* a window that ends with a check in flight keeps that check's count */
	CHECK_EQ_INT(admit("10.0.3.3", "gina", t), 0);
	ws_login_result("10.0.3.3", "gina", 4, t, 0);
	ws_login_result("10.0.3.3", "gina", 4, t, 0);
	CHECK_EQ_INT(admit("10.0.3.3", "gina", t + 70), 0); /* a fresh window, 1 in flight */
	CHECK_EQ_INT(admit("10.0.3.3", "gina", t + 70), 0);
	CHECK_EQ_INT(admit("10.0.3.3", "gina", t + 70), 0);
	CHECK_EQ_INT(admit("10.0.3.3", "gina", t + 70), 1);
}

TEST(guard_table_stays_bounded_and_keeps_counting)
{
	time_t t = 4000000;
	char peer[32];
	int i;
	ws_login_limits(2, 60, 1000000, 1000000);
	/* a hundred thousand addresses fail once each: the fixed table takes them */
	for(i = 0; i < 100000; i++) {
		snprintf(peer, sizeof peer, "192.168.%d.%d", i / 256, i % 256);
		CHECK_EQ_INT(fail_at(peer, "frank", t), 0);
	}
	/* a key that fails now is counted however full the table is */
	CHECK_EQ_INT(fail_at("172.16.0.1", "frank", t + 1), 0);
	CHECK_EQ_INT(fail_at("172.16.0.1", "frank", t + 1), 0);
	CHECK_EQ_INT(admit("172.16.0.1", "frank", t + 1), 60); /* its window began at t + 1 */
	/* long names are cut, not overflowed */
	{
		char agent[1024];
		memset(agent, 'a', sizeof agent - 1);
		agent[sizeof agent - 1] = '\0';
		CHECK_EQ_INT(fail_at("2001:db8::1:2:3:4:5", agent, t + 2), 0);
	}
}

UNIT_MAIN()
