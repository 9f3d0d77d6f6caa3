/*
 * omniq_asan - a test fixture for the sanitizer build (scripts/asan.sh, docs/testing.md):
 * loaded first (kamailio --loadmodule) into a kamailio started with libasan preloaded, it
 * makes ASan see what Kamailio otherwise hides from it. Not for use in production.
 *
 * pkg memory. Kamailio serves pkg_malloc from one big block per process (q_malloc or tlsf),
 * which ASan sees as a single live object: an overflow from one pkg object into the next, a
 * use after pkg_free or a double free goes unnoticed. From mod_register on, pkg_malloc and
 * friends call the libc allocator, which ASan replaces: every pkg object has its redzones and
 * its freed memory stays poisoned. What was allocated from the pool before (the cfg parser's
 * first objects) is freed and resized in the pool still: the pointer's address tells which.
 * Kamailio itself stays Debian's binary (not instrumented), so its own reads and writes are
 * not checked, but its allocations, and every access our instrumented modules make to them,
 * are.
 *
 * Leaks in children. Kamailio's children leave with _exit() on SIGTERM, which skips the
 * leak check LeakSanitizer runs at exit: the handler installed here (inherited by every child,
 * forked after mod_init) runs it first (see on_term). The main process keeps Kamailio's own
 * handler and is checked at its exit as usual.
 *
 * Kamailio's cfg parse. From this module's mod_register to its mod_init (the first of every
 * module's: it is loaded first) Kamailio parses the cfg and loads the modules, and LeakSanitizer
 * is told to leave what is allocated then out of its checks (__lsan_disable): the parser drops
 * pointers to objects it made (strings of its lexer, case statements, folded expressions,
 * module paths), and every child inherits them, so each child would report a hundred leaks
 * not ours. They cannot be suppressed by name (scripts/asan-leaks.supp): the functions that
 * allocate them are static in Debian's stripped binary, and its code has no frame pointers,
 * so the stack LeakSanitizer keeps ends at that nameless frame. What is left out with them:
 * our modules' mod_register (the KEMI tables) and modparams, parsed in that window too. What
 * is allocated then and referenced by a leaked object later still counts as referenced
 * (LeakSanitizer scans ignored objects), so the fixups' parameters, made after, are not
 * reported either. Our mod_init, child_init and everything after are checked.
 *
 * Shared memory is not changed: one mapping shared by every process, while ASan's shadow
 * memory is each process's own, so a shm object freed in one process could not be poisoned
 * in the others. Debian's q_malloc keeps guarding it (overwritten fragment ends, double
 * frees: the harness fails a test on its "BUG:" lines).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/globals.h"
#include "core/mem/pkg.h"

MODULE_VERSION

/* libasan's, when it is preloaded (weak: the module loads without it, and then does nothing) */
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));
extern void *__asan_region_is_poisoned(void *beg, size_t size) __attribute__((weak));
extern void __lsan_disable(void) __attribute__((weak));
extern void __lsan_enable(void) __attribute__((weak));

static sr_pkg_api_t pool;       /* the pool's own functions */
static char *pool_start, *pool_end;
static pid_t main_pid;
static struct sigaction kamailio_term;

static int in_pool(const void *p)
{
	return (const char *)p >= pool_start && (const char *)p < pool_end;
}

static void *m_malloc(void *mbp, size_t size, const char *file, const char *func,
		unsigned int line, const char *mname)
{
	return malloc(size);
}

static void *m_mallocxz(void *mbp, size_t size, const char *file, const char *func,
		unsigned int line, const char *mname)
{
	return calloc(1, size);
}

static void m_free(void *mbp, void *p, const char *file, const char *func, unsigned int line,
		const char *mname)
{
	if(in_pool(p))
		pool.xfree(mbp, p, file, func, line, mname);
	else
		free(p);
}

static void *m_realloc(void *mbp, void *p, size_t size, const char *file, const char *func,
		unsigned int line, const char *mname)
{
	if(in_pool(p))
		return pool.xrealloc(mbp, p, size, file, func, line, mname);
	return realloc(p, size);
}

static void *m_reallocxf(void *mbp, void *p, size_t size, const char *file, const char *func,
		unsigned int line, const char *mname)
{
	void *n;

	if(in_pool(p))
		return pool.xreallocxf(mbp, p, size, file, func, line, mname);
	n = realloc(p, size);
	if(n == NULL && size)
		free(p);
	return n;
}

/* The check runs in the SIGTERM handler, where Kamailio's own handler would _exit(): a
 * child's loops take an interrupted call for an error, so the handler must not return. But
 * the check is not async-signal-safe: it takes the locks of libasan's allocator, and if the
 * signal came while the interrupted thread held one, it waits forever (the likely cause of a
 * stop of the sanitizer suite that hung once under load, a child not gone in 15 s). After
 * CHECK_WITHIN seconds the child says so and goes: that one stop of that child is not
 * checked, and the log shows it. */
#define CHECK_WITHIN 8
static void on_stuck_check(int sig)
{
	static const char why[] = "omniq_asan: a child's leak check did not end within 8 s (its "
							  "SIGTERM came inside the allocator?): that child is not checked\n";
	ssize_t n = write(2, why, sizeof(why) - 1);

	(void)n; /* nowhere else to say it */
	_exit(0);
}

/* A child's SIGTERM: its leaks reported (into the log: stderr), then Kamailio's _exit(0). */
static void on_term(int sig)
{
	struct sigaction sa;

	if(getpid() == main_pid) {
		if(kamailio_term.sa_handler != SIG_DFL && kamailio_term.sa_handler != SIG_IGN)
			kamailio_term.sa_handler(sig);
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stuck_check;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(CHECK_WITHIN);
	__lsan_do_recoverable_leak_check();
	_exit(0);
}

/* Kamailio calls it right after loading the module (--loadmodule: before the cfg is read). */
int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	if(__asan_region_is_poisoned == NULL) {
		LM_ERR("omniq_asan needs libasan preloaded (LD_PRELOAD): scripts/asan.sh does it\n");
		return -1;
	}
	pool = _pkg_root;
	pool_start = _pkg_root.mem_pool;
	pool_end = pool_start + pkg_mem_size;
	_pkg_root.xmalloc = m_malloc;
	_pkg_root.xmallocxz = m_mallocxz;
	_pkg_root.xfree = m_free;
	_pkg_root.xrealloc = m_realloc;
	_pkg_root.xreallocxf = m_reallocxf;
	__lsan_disable(); /* until mod_init: Kamailio's cfg parse (see the top) */
	return 0;
}

static int mod_init(void)
{
	struct sigaction sa;

	main_pid = getpid();
	__lsan_enable();
	if(__lsan_do_recoverable_leak_check == NULL)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	if(sigaction(SIGTERM, &sa, &kamailio_term) < 0) {
		LM_ERR("cannot install the leak check of SIGTERM\n");
		return -1;
	}
	LM_INFO("pkg memory in the libc allocator (ASan), leak check in every child at SIGTERM\n");
	return 0;
}

struct module_exports exports = {
	"omniq_asan", DEFAULT_DLFLAGS, 0, 0, 0, 0, 0, mod_init, 0, 0
};
