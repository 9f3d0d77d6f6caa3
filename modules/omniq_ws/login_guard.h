/*
 * login_guard.h - what keeps desk logins from being a way in or a way down. A password
 * check is a PBKDF2 run (tens of milliseconds in the lws loop, which every socket of the
 * process waits for): so each process checks at most login_rate passwords per second, and
 * a client address that failed login_fails times for one agent within login_window seconds
 * is refused for that agent until the window ends, without a check. Keyed by address and
 * agent, so that agents behind one proxy do not lock each other out. Per process (a client
 * may reach each of them): the lws loop only.
 */
#ifndef OMNIQ_WS_LOGIN_GUARD_H
#define OMNIQ_WS_LOGIN_GUARD_H

#include <time.h>

/* The limits (mod_init; modparams login_fails, login_window, login_rate). */
void ws_login_limits(int fails, int window, int rate);
/* Before a check at now: 0 to go on, else the seconds to wait, with *code
 * "too_many_attempts" (this address and agent, 429) or "busy" (this process, 503). */
int ws_login_admit(const char *peer, const char *agent, int agent_len, time_t now,
		const char **code);
/* After the check (only when admitted). */
void ws_login_result(const char *peer, const char *agent, int agent_len, time_t now, int ok);

#endif
