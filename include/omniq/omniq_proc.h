/*
 * omniq_proc.h - what every process kamailio forks does first when it runs omniq (and what
 * a channel module of yours that forks processes of its own should do in them).
 *
 * Why: in Kamailio 5.6 a forked process makes its first cfg update (its cfg_local is NULL
 * until then) under cfg_global_lock, a futex lock that is not re-entrant, when it handles
 * its first message; a child's SIGTERM handler (main.c sig_usr) makes the same update. A
 * SIGTERM that arrives inside that first update (a SIP worker taking its first packet as
 * kamailio is being stopped) deadlocks the process on the lock it holds, in its handler,
 * with SIGTERM blocked: kamailio does not stop until its exit timeout kills everything (seen
 * in CI about once in 100 stops; reproduced by stopping a worker there under gdb). Made at
 * start with SIGTERM and SIGINT blocked, the update is done before either can land in it,
 * and every later update finds nothing to do unless the cfg is changed at run time
 * (kamcmd cfg.set...), which Kamailio's handler does not survive either.
 */
#ifndef OMNIQ_PROC_H
#define OMNIQ_PROC_H

#include <signal.h>

#include "core/globals.h"
#include "core/cfg/cfg_struct.h"

/* From a module's child_init (any rank) or first thing in a process the module forks with
 * PROC_NOCHLDINIT; does nothing in the main process. */
static inline void omniq_proc_cfg_ready(void)
{
	sigset_t set, old;

	if(_ksr_is_main)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &old);
	cfg_update_no_cbs();
	sigprocmask(SIG_SETMASK, &old, NULL);
}

#endif
