/*
 * pending.h - the ends of calls that could not reach Redis (Redis down or restarting when
 * the BYE came, or when the dialog timed out). The session would stay `active` and its
 * agent held by a call that is over, so the end is kept in shared memory and made again each
 * second, from a timer process of this module, until Redis takes it. Kept per node: a node
 * that restarts meanwhile loses what it kept (docs/admin-sip.md says what then).
 */
#ifndef OS_PENDING_H
#define OS_PENDING_H

/* At most this many call ends wait; one more is logged and dropped (the dialog is gone). */
#define OS_PENDING_MAX 4096

/* mod_init: the shared list, and the timer process registered. 0 or -1. */
int os_pending_init(void);

/* child_init(PROC_MAIN): forks the timer process. 0 or -1. */
int os_pending_fork(void);

/* From any process: the call of session sid (of the current tenant) has ended; close its
 * session when Redis answers again. */
void os_pending_close(const char *sid);

#endif
