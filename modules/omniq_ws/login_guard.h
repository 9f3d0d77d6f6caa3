/*
 * login_guard.h - what keeps desk logins from being a way in or a way down. A password
 * check is a PBKDF2 run (tens of milliseconds of CPU, on the process's checker thread): so
 * each process checks at most login_rate passwords per second, and a client address that
 * failed login_fails times for one agent within login_window seconds is refused for that
 * agent until the window ends, without a check. Checks still in flight count as failures
 * until their results come in, so that attempts sent all at once get no more checks than
 * attempts sent one after another. Keyed by address and agent, so that agents behind one
 * proxy do not lock each other out. This table is per process and the lws loop's only: it
 * refuses without a round trip. The count that holds across processes and nodes is kept in
 * Redis under the same key (api.login_try, on the checker thread: desk_login.c).
 */
#ifndef OMNIQ_WS_LOGIN_GUARD_H
#define OMNIQ_WS_LOGIN_GUARD_H

#include <time.h>

/* "<address> <agent>" (at most 64 and 128 bytes of them): what the counts are kept by. */
#define WS_LOGIN_KEY_MAX (64 + 1 + 128 + 1)
void ws_login_key(const char *peer, const char *agent, int agent_len, char *k);

/* The limits (mod_init; modparams login_fails, login_window, login_rate,
 * login_address_fails). */
void ws_login_limits(int fails, int window, int rate, int address_fails);
/* Before a check at now: 0 to go on (the check is then in flight until ws_login_result),
 * else the seconds to wait, with *code "too_many_attempts" (this address and agent, or this
 * address for any agent after login_address_fails failures, 429; 1 s while checks in flight
 * make up the count), "rate_limited" (this address has had half of this second's checks,
 * 429) or "busy" (this process has had all of them, 503). */
int ws_login_admit(const char *peer, const char *agent, int agent_len, time_t now,
		const char **code);
/* After the check, once for each admitted one, whether or not its client still waits: ok 1
 * (the password was right), 0 (it was not), -1 (it was not checked: no failure either). */
void ws_login_result(const char *peer, const char *agent, int agent_len, time_t now, int ok);

#endif
