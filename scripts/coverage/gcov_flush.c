/*
 * gcov_flush.c - compiled into each module of the coverage build only (make coverage copies
 * it next to the module's sources), never into the modules admins load.
 *
 * gcov writes a process's counts (.gcda) from an exit handler, at exit(). Kamailio's main
 * process ends with exit() (ksr_exit with the default atexit=yes), but its children do not:
 * on SIGTERM or SIGINT, the handler main installed before forking them (sig_usr in
 * main.c) calls _exit(0), which runs no exit handler, and every SIP worker, timer, RPC and
 * omniq_ws process would leave without a count. So in each child, right after the fork,
 * this file puts a handler of its own in front of that one: it writes the counts
 * (__gcov_dump) and then calls the handler it replaced, which exits as before.
 *
 * Not counted still: a process killed with SIGKILL (the kill -9 tests, a kamailio that
 * does not stop within the harness' 15 s), and one that dies of a crash.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>

extern void __gcov_dump(void);

static struct sigaction prev_term, prev_int;

static void chain(const struct sigaction *prev, int sig, siginfo_t *info, void *uc)
{
	if(prev->sa_flags & SA_SIGINFO)
		prev->sa_sigaction(sig, info, uc);
	else if(prev->sa_handler != SIG_IGN && prev->sa_handler != SIG_DFL)
		prev->sa_handler(sig);
	else if(prev->sa_handler == SIG_DFL) {
		sigaction(sig, prev, NULL);
		raise(sig);
	}
}

static void dump_then_chain(int sig, siginfo_t *info, void *uc)
{
	/* each module of the build links a libgcov of its own and puts its own handler in the
	 * chain, so every module's counts are written; a module already written is not again */
	__gcov_dump();
	chain(sig == SIGTERM ? &prev_term : &prev_int, sig, info, uc);
}

static void in_child(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = dump_then_chain;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, &prev_term);
	sigaction(SIGINT, &sa, &prev_int);
}

static void __attribute__((constructor)) gcov_flush_init(void)
{
	pthread_atfork(NULL, NULL, in_child);
}
