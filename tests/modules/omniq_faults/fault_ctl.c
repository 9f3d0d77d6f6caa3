/*
 * fault_ctl.c - see fault_ctl.h. Every field is read and written with atomic builtins: the
 * rule lives in shared memory and is consulted by every process and thread at once, without
 * a lock (an allocator must not wait for one). Built into both omniq_faults.so and
 * libomniq_failmalloc.so.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fault_ctl.h"

const char *const oqf_pool_names[OQF_POOLS] = {"pkg", "shm", "malloc"};

int oqf_targets_me(const oqf_rule_t *r)
{
	int target;

	if(!__atomic_load_n(&r->armed, __ATOMIC_ACQUIRE))
		return 0;
	target = r->target;
	return target == 0 || target == getpid() || target == gettid();
}

static int in_scope(const char *scope, const char *who)
{
	char part[OQF_SCOPE_MAX];
	const char *p = scope, *e;
	size_t n;

	if(scope[0] == '\0')
		return 1;
	while(*p) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if(n > 0 && n < sizeof(part)) {
			memcpy(part, p, n);
			part[n] = '\0';
			if(strstr(who, part))
				return 1;
		}
		p += n + (e != NULL);
	}
	return 0;
}

int oqf_count(oqf_rule_t *r, const char *who)
{
	long n;

	if(!in_scope(r->scope, who ? who : ""))
		return 0;
	n = __atomic_add_fetch(&r->seen, 1, __ATOMIC_ACQ_REL);
	if(n < r->nth || (r->count >= 0 && n >= r->nth + r->count))
		return 0;
	__atomic_add_fetch(&r->failed, 1, __ATOMIC_ACQ_REL);
	return 1;
}

void oqf_record(oqf_ctl_t *c, int pool, const char *who, const char *where)
{
	long i = __atomic_fetch_add(&c->n_sites, 1, __ATOMIC_ACQ_REL) % OQF_SITES;

	snprintf(c->sites[i], OQF_SITE_MAX, "%s %s: %s (pid %d, thread %d)", oqf_pool_names[pool],
			who ? who : "?", where ? where : "?", (int)getpid(), (int)gettid());
}
