/*
 * failmalloc.c - libomniq_failmalloc.so, a test fixture preloaded into kamailio (LD_PRELOAD):
 * malloc, calloc and realloc that fail on demand, for the libraries Kamailio's pkg and shm do
 * not cover (hiredis, jansson, libwebsockets, libcurl, OpenSSL) and for omniq_ws' threads.
 * The rules come from the omniq_faults module, which sets omniq_failmalloc_ctl in its
 * mod_init (fault_ctl.h); until then, and whenever no malloc rule is armed for the calling
 * process or thread, every call goes straight to glibc's allocator. An allocation's origin
 * is the shared object its caller is in (dladdr of the return address), e.g.
 * "libhiredis.so.0.14" or "omniq_ws.so".
 *
 * It also counts the blocks each process holds (omniq_failmalloc_live: allocated minus
 * freed; every process its own, the copy fork made): omniq_faults reads a process's count
 * (faults.live), so a test sees a block an error path forgot to free. Not for use in
 * production.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fault_ctl.h"

oqf_ctl_t *omniq_failmalloc_ctl;
long omniq_failmalloc_live; /* blocks this process holds */

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static __thread int inside; /* dladdr or the record must not come back here */

static int fails(const void *caller)
{
	oqf_ctl_t *c = __atomic_load_n(&omniq_failmalloc_ctl, __ATOMIC_ACQUIRE);
	const char *who = "?", *base;
	char where[OQF_SITE_MAX];
	Dl_info di;
	int f;

	if(c == NULL || inside || !oqf_targets_me(&c->rule[OQF_MALLOC]))
		return 0;
	inside = 1;
	memset(&di, 0, sizeof(di));
	if(dladdr(caller, &di) && di.dli_fname)
		who = di.dli_fname;
	f = oqf_count(&c->rule[OQF_MALLOC], who);
	if(f) {
		base = strrchr(who, '/') ? strrchr(who, '/') + 1 : who;
		snprintf(where, sizeof(where), "%s+%#lx", di.dli_sname ? di.dli_sname : "?",
				(unsigned long)((const char *)caller
								- (const char *)(di.dli_sname ? di.dli_saddr : di.dli_fbase)));
		oqf_record(c, OQF_MALLOC, base, where);
		errno = ENOMEM;
	}
	inside = 0;
	return f;
}

static void *counted(void *p)
{
	if(p)
		__atomic_add_fetch(&omniq_failmalloc_live, 1, __ATOMIC_RELAXED);
	return p;
}

void *malloc(size_t size)
{
	return fails(__builtin_return_address(0)) ? NULL : counted(__libc_malloc(size));
}

void *calloc(size_t n, size_t size)
{
	return fails(__builtin_return_address(0)) ? NULL : counted(__libc_calloc(n, size));
}

void *realloc(void *p, size_t size)
{
	void *q;

	if(fails(__builtin_return_address(0)))
		return NULL;
	q = __libc_realloc(p, size);
	if(p == NULL)
		counted(q);
	else if(q == NULL && size == 0) /* glibc's realloc(p, 0) frees p */
		__atomic_sub_fetch(&omniq_failmalloc_live, 1, __ATOMIC_RELAXED);
	return q;
}

/* not made to fail, only counted: what free() sees must have been counted */
int posix_memalign(void **out, size_t align, size_t size)
{
	void *p = __libc_memalign(align, size);

	if(p == NULL)
		return ENOMEM;
	*out = counted(p);
	return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
	return counted(__libc_memalign(align, size));
}

void *memalign(size_t align, size_t size)
{
	return counted(__libc_memalign(align, size));
}

void free(void *p)
{
	if(p)
		__atomic_sub_fetch(&omniq_failmalloc_live, 1, __ATOMIC_RELAXED);
	__libc_free(p);
}
