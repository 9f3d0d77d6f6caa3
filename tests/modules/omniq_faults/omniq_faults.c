/*
 * omniq_faults - a test fixture: makes allocations fail on demand, to show that every path
 * that allocates answers a clean error (tests/integration/test_faults.py, docs/testing.md).
 * Not for use in production. Load it first (kamailio --loadmodule=.../omniq_faults.so), so
 * that it sees the allocations of every module:
 *
 *   pkg   Kamailio's per-process memory: _pkg_root's allocating functions are wrapped from
 *         mod_register on (the origin is the module name each pkg_malloc passes)
 *   shm   shared memory: _shm_root's, from mod_init on (shm exists only from then)
 *   malloc libc's, for hiredis, jansson, libwebsockets, libcurl, OpenSSL and our threads:
 *         only with build/test-modules/libomniq_failmalloc.so preloaded (LD_PRELOAD), which
 *         this module hands the rules to (the origin is the shared object that called malloc)
 *
 * RPC commands (any process may be the target; the rules are in shared memory):
 *   faults.alloc pool nth [target [scope [count]]]   arm: of target's allocations (a pid,
 *        every thread of it, or a thread id; 0 any process) from the origins in scope (parts
 *        of names, comma-separated; "-" any), counted from now, the nth and count - 1 after it
 *        fail (count 1 by default, -1 every one from the nth on)
 *   faults.off [pool]       disarm one or every pool
 *   faults.status pool      {armed, seen, failed}: matching allocations counted, failures made
 *   faults.sites            where the last failures were made, oldest first
 *   faults.live pid         the malloc'd blocks process pid holds (libomniq_failmalloc.so's
 *                           count, read from that process's memory): a leak shows as growth
 * and, for the C API members no shipped face calls, api_face.c's faults.append_once ...
 * Each failure is also logged (NOTICE "injected ... failure"), so a test's log shows which
 * allocation failed before the error it caused.
 *
 * modparam "alloc" (repeatable) arms a rule from the start, before any process is forked,
 * for what happens once at start (a library's initialisation): "pool nth [target [scope
 * [count]]]", scope "-" for any, e.g. --modparam=omniq_faults:alloc:s:"malloc 1 0 libcurl".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/mem/pkg.h"
#include "core/mem/shm.h"
#include <errno.h>

#include "fault_ctl.h"
#include "api_face.h"

MODULE_VERSION

static oqf_ctl_t *ctl; /* shared memory, from mod_init */
static sr_pkg_api_t pkg_real;
static sr_shm_api_t shm_real;
static oqf_ctl_t **malloc_ctl; /* the preloaded library's pointer to the rules, or NULL */
static long *malloc_live;      /* its count of blocks: at the same address in every process */

/* Whether this pkg or shm allocation fails; logs and records it when it does. */
static int fails(int pool, const char *file, const char *func, unsigned int line,
		const char *mname)
{
	char where[OQF_SITE_MAX];

	if(ctl == NULL || !oqf_targets_me(&ctl->rule[pool]) || !oqf_count(&ctl->rule[pool], mname))
		return 0;
	snprintf(where, sizeof(where), "%s:%u %s()", file, line, func);
	oqf_record(ctl, pool, mname, where);
	LM_NOTICE("injected %s allocation failure at %s\n", oqf_pool_names[pool], where);
	return 1;
}

#define WRAP_MALLOC(name, pool, real, fn)                                                  \
	static void *name(void *mbp, size_t size, const char *file, const char *func,         \
			unsigned int line, const char *mname)                                          \
	{                                                                                      \
		if(fails(pool, file, func, line, mname))                                           \
			return NULL;                                                                   \
		return real.fn(mbp, size, file, func, line, mname);                                \
	}
#define WRAP_REALLOC(name, pool, real, fn)                                                 \
	static void *name(void *mbp, void *p, size_t size, const char *file, const char *func, \
			unsigned int line, const char *mname)                                          \
	{                                                                                      \
		if(fails(pool, file, func, line, mname))                                           \
			return NULL;                                                                   \
		return real.fn(mbp, p, size, file, func, line, mname);                             \
	}

/* reallocxf frees the old block when it fails: so does its injected failure */
#define WRAP_REALLOCXF(name, pool, real)                                                   \
	static void *name(void *mbp, void *p, size_t size, const char *file, const char *func, \
			unsigned int line, const char *mname)                                          \
	{                                                                                      \
		if(fails(pool, file, func, line, mname)) {                                         \
			if(p)                                                                          \
				real.xfree(mbp, p, file, func, line, mname);                               \
			return NULL;                                                                   \
		}                                                                                  \
		return real.xreallocxf(mbp, p, size, file, func, line, mname);                     \
	}

WRAP_MALLOC(pkg_malloc_w, OQF_PKG, pkg_real, xmalloc)
WRAP_MALLOC(pkg_mallocxz_w, OQF_PKG, pkg_real, xmallocxz)
WRAP_REALLOC(pkg_realloc_w, OQF_PKG, pkg_real, xrealloc)
WRAP_REALLOCXF(pkg_reallocxf_w, OQF_PKG, pkg_real)
WRAP_MALLOC(shm_malloc_w, OQF_SHM, shm_real, xmalloc)
WRAP_MALLOC(shm_mallocxz_w, OQF_SHM, shm_real, xmallocxz)
WRAP_MALLOC(shm_malloc_unsafe_w, OQF_SHM, shm_real, xmalloc_unsafe)
WRAP_REALLOC(shm_realloc_w, OQF_SHM, shm_real, xrealloc)
WRAP_REALLOC(shm_resize_w, OQF_SHM, shm_real, xresize)
WRAP_REALLOCXF(shm_reallocxf_w, OQF_SHM, shm_real)

static int pool_index(const char *s, int len)
{
	int i;
	for(i = 0; i < OQF_POOLS; i++)
		if(len == (int)strlen(oqf_pool_names[i]) && !memcmp(s, oqf_pool_names[i], len))
			return i;
	return -1;
}

static int pool_of(rpc_t *rpc, void *c, str *name)
{
	int i = pool_index(name->s, name->len);
	if(i < 0)
		rpc->fault(c, 400, "pool must be pkg, shm or malloc");
	return i;
}

/* Arm pool's rule (the RPC command and the modparam). */
static void arm(int p, long nth, int target, const char *scope, int scope_len, long count)
{
	oqf_rule_t *r = &ctl->rule[p];

	__atomic_store_n(&r->armed, 0, __ATOMIC_RELEASE);
	r->target = target;
	snprintf(r->scope, sizeof(r->scope), "%.*s", scope_len, scope);
	r->nth = nth;
	r->count = count;
	__atomic_store_n(&r->seen, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&r->failed, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&r->armed, 1, __ATOMIC_RELEASE);
}

static const char *rpc_alloc_doc[] = {
		"Arm: pool(pkg|shm|malloc) nth [target_pid_or_tid [scope [count]]]", 0};
static void rpc_alloc(rpc_t *rpc, void *c)
{
	str pool, scope = STR_NULL;
	int p, nth, target = 0, count = 1;

	if(rpc->scan(c, ".Sd", &pool, &nth) < 2 || (p = pool_of(rpc, c, &pool)) < 0)
		return;
	if(rpc->scan(c, "*d", &target) == 1 && rpc->scan(c, "*.S", &scope) == 1)
		rpc->scan(c, "*d", &count);
	if(nth < 1 || scope.len >= OQF_SCOPE_MAX || count == 0 || count < -1) {
		rpc->fault(c, 400, "nth >= 1, scope < %d bytes, count >= 1 or -1", OQF_SCOPE_MAX);
		return;
	}
	if(p == OQF_MALLOC && malloc_ctl == NULL) {
		rpc->fault(c, 501, "libomniq_failmalloc.so is not preloaded into this kamailio");
		return;
	}
	if(scope.len == 1 && scope.s[0] == '-')
		scope.len = 0;
	arm(p, nth, target, scope.len ? scope.s : "", scope.len, count);
	rpc->rpl_printf(c, "ok");
}

static const char *rpc_off_doc[] = {"Disarm: [pool]", 0};
static void rpc_off(rpc_t *rpc, void *c)
{
	str pool;
	int p, i;

	if(rpc->scan(c, "*.S", &pool) == 1) {
		if((p = pool_of(rpc, c, &pool)) < 0)
			return;
		__atomic_store_n(&ctl->rule[p].armed, 0, __ATOMIC_RELEASE);
	} else {
		for(i = 0; i < OQF_POOLS; i++)
			__atomic_store_n(&ctl->rule[i].armed, 0, __ATOMIC_RELEASE);
	}
	rpc->rpl_printf(c, "ok");
}

static const char *rpc_status_doc[] = {"A pool's rule: pool", 0};
static void rpc_status(rpc_t *rpc, void *c)
{
	str pool;
	int p;
	void *st;
	oqf_rule_t *r;

	if(rpc->scan(c, ".S", &pool) < 1 || (p = pool_of(rpc, c, &pool)) < 0)
		return;
	r = &ctl->rule[p];
	if(rpc->add(c, "{", &st) < 0)
		return;
	rpc->struct_add(st, "ddd", "armed", __atomic_load_n(&r->armed, __ATOMIC_ACQUIRE),
			"seen", (int)__atomic_load_n(&r->seen, __ATOMIC_ACQUIRE), "failed",
			(int)__atomic_load_n(&r->failed, __ATOMIC_ACQUIRE));
}

static const char *rpc_sites_doc[] = {"Where the last failures were made, oldest first", 0};
static void rpc_sites(rpc_t *rpc, void *c)
{
	long n = __atomic_load_n(&ctl->n_sites, __ATOMIC_ACQUIRE), i;

	for(i = n > OQF_SITES ? n - OQF_SITES : 0; i < n; i++)
		rpc->rpl_printf(c, "%s", ctl->sites[i % OQF_SITES]);
}

static const char *rpc_live_doc[] = {"The malloc'd blocks a process holds: pid", 0};
static void rpc_live(rpc_t *rpc, void *c)
{
	struct iovec here, there;
	long live = 0;
	int pid;

	if(rpc->scan(c, "d", &pid) < 1)
		return;
	if(malloc_live == NULL) {
		rpc->fault(c, 501, "libomniq_failmalloc.so is not preloaded into this kamailio");
		return;
	}
	here.iov_base = &live;
	here.iov_len = sizeof(live);
	there.iov_base = malloc_live;
	there.iov_len = sizeof(live);
	if(process_vm_readv(pid, &here, 1, &there, 1, 0) != (ssize_t)sizeof(live)) {
		rpc->fault(c, 500, "cannot read process %d: %s", pid, strerror(errno));
		return;
	}
	rpc->rpl_printf(c, "%ld", live);
}

static rpc_export_t rpc_cmds[] = {
	{"faults.alloc", rpc_alloc, rpc_alloc_doc, 0},
	{"faults.off", rpc_off, rpc_off_doc, 0},
	{"faults.status", rpc_status, rpc_status_doc, 0},
	{"faults.sites", rpc_sites, rpc_sites_doc, RET_ARRAY},
	{"faults.live", rpc_live, rpc_live_doc, 0},
	{0, 0, 0, 0}
};

static char at_start[OQF_POOLS][OQF_SCOPE_MAX + 64];
static int n_at_start;

/* a copy: --modparam hands over a buffer that does not last until mod_init */
static int alloc_param(modparam_t type, void *val)
{
	if(n_at_start == OQF_POOLS) {
		LM_ERR("modparam alloc: one rule per pool\n");
		return -1;
	}
	snprintf(at_start[n_at_start++], sizeof(at_start[0]), "%s", (char *)val);
	return 0;
}

/* "pool nth [target [scope [count]]]" of modparam alloc, armed. */
static int arm_at_start(const char *rule)
{
	char pool[16], scope[OQF_SCOPE_MAX] = "-";
	long nth = 0, count = 1;
	int target = 0, p, n;

	n = sscanf(rule, "%15s %ld %d %127s %ld", pool, &nth, &target, scope, &count);
	if(n < 2 || (p = pool_index(pool, (int)strlen(pool))) < 0 || nth < 1
			|| (p == OQF_MALLOC && malloc_ctl == NULL)) {
		LM_ERR("modparam alloc '%s': pool nth [target [scope [count]]] (malloc needs "
			   "libomniq_failmalloc.so preloaded)\n", rule);
		return -1;
	}
	if(!strcmp(scope, "-"))
		scope[0] = '\0';
	arm(p, nth, target, scope, (int)strlen(scope), count);
	return 0;
}

static param_export_t params[] = {
	{"alloc", PARAM_STRING | PARAM_USE_FUNC, (void *)alloc_param},
	{0, 0, 0}
};

/* Kamailio calls it right after loading the module: pkg exists, shm not yet. */
int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	pkg_real = _pkg_root;
	_pkg_root.xmalloc = pkg_malloc_w;
	_pkg_root.xmallocxz = pkg_mallocxz_w;
	_pkg_root.xrealloc = pkg_realloc_w;
	_pkg_root.xreallocxf = pkg_reallocxf_w;
	return 0;
}

static int mod_init(void)
{
	int i;

	ctl = shm_mallocxz(sizeof(*ctl));
	if(ctl == NULL) {
		LM_ERR("no shared memory for the fault rules\n");
		return -1;
	}
	shm_real = _shm_root;
	_shm_root.xmalloc = shm_malloc_w;
	_shm_root.xmallocxz = shm_mallocxz_w;
	_shm_root.xmalloc_unsafe = shm_malloc_unsafe_w;
	_shm_root.xrealloc = shm_realloc_w;
	_shm_root.xreallocxf = shm_reallocxf_w;
	_shm_root.xresize = shm_resize_w;
	malloc_ctl = dlsym(RTLD_DEFAULT, "omniq_failmalloc_ctl");
	malloc_live = dlsym(RTLD_DEFAULT, "omniq_failmalloc_live");
	if(malloc_ctl)
		*malloc_ctl = ctl;
	for(i = 0; i < n_at_start; i++)
		if(arm_at_start(at_start[i]) < 0)
			return -1;
	if(rpc_register_array(rpc_cmds) != 0 || oqf_api_face_init() < 0) {
		LM_ERR("cannot register the faults.* RPC commands\n");
		return -1;
	}
	LM_INFO("allocation faults on demand: pkg, shm%s\n",
			malloc_ctl ? ", malloc" : " (malloc: libomniq_failmalloc.so not preloaded)");
	return 0;
}

/* The main process, stopping: the rules go with shared memory, which Kamailio unmaps next,
 * and its exit() then still runs the libraries' destructors, which may call malloc (GnuTLS',
 * which libcurl brings in with omniq_ws, did: the preloaded library read the unmapped rules,
 * and kamailio died of SIGSEGV at its stop). From here every allocation goes through. */
static void mod_destroy(void)
{
	if(malloc_ctl)
		__atomic_store_n(malloc_ctl, NULL, __ATOMIC_RELEASE);
	ctl = NULL;
}

struct module_exports exports = {
	"omniq_faults", DEFAULT_DLFLAGS, 0, params, 0, 0, 0, mod_init, 0, mod_destroy
};
