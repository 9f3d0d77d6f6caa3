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
#include <stdlib.h>

#include "core/dprint.h"
#include "core/globals.h"
#include "core/pt.h"
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

/* A process of a module's own, with its own loop (a server, a mailbox reader), forked the
 * Kamailio way: reserved in mod_init (register_procs(1), cfg_register_child(1)), forked from
 * child_init(PROC_MAIN) with PROC_NOCHLDINIT, so it does here what child_init would have.
 * desc names it in kamailio's process list (ps, kamcmd core.psx); loop(arg) does not return:
 * if it does, the process logs it and exits; each of its turns calls api.stop_check (a
 * process whose SIGTERM never acts still ends with kamailio). In kamailio's main process: 0,
 * or -1 when the fork failed; in the new process, -1 when its cfg cannot start. */
static inline int omniq_fork_loop(const char *desc, void (*loop)(void *arg), void *arg)
{
	int pid = fork_process(PROC_NOCHLDINIT, (char *)desc, 1);

	if(pid != 0)
		return pid < 0 ? -1 : 0;
	omniq_proc_cfg_ready();
	if(cfg_child_init())
		return -1;
	loop(arg);
	LM_CRIT("%s process stopped\n", desc);
	exit(-1);
}

#endif
