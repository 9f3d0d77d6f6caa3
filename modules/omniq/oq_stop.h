/*
 * oq_stop.h - kamailio is stopping: omniq's own processes (the core's senders, dispatcher and
 * archive; the channel modules' through api.stop_check) end even if their SIGTERM never came.
 *
 * Why: once in thousands of stops a sender stayed in its BLPOP after kamailio's main process
 * had signalled every child, nothing pending, nothing logged, and kamailio waited its whole
 * exit timeout for it (CI, test_ws). The main process says it is stopping in shared memory
 * before it signals (Kamailio's app_shutdown core callback); a loop that still runs a grace
 * period later says so and exits, and stopping takes one loop turn more, not a minute.
 */
#ifndef OQ_STOP_H
#define OQ_STOP_H

/* the grace period: a SIGTERM sent as the flag was set lands well within it */
#define OQ_STOP_GRACE_MS 3000

/* mod_init: the shared flag and the callback (chained to one set before, e.g. systemdops). */
int oq_stop_init(void);

/* Each loop turn of a process of the core's own: exits (0) when kamailio began stopping more
 * than OQ_STOP_GRACE_MS ago, saying which process missed its signal. what: the process. */
void oq_stop_check(const char *what);

#endif
