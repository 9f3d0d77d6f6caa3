/*
 * fault_ctl.h - the state of allocation fault injection, shared by every process of a
 * kamailio in shared memory: what to fail (a rule per allocator) and where failures were made.
 * The module (omniq_faults.c: the RPC commands and the pkg and shm wrappers) and the preloaded
 * libc wrapper (preload/failmalloc.c) both decide with fault_ctl.c, so a rule means the same
 * for every allocator. Test-only.
 */
#ifndef OQF_FAULT_CTL_H
#define OQF_FAULT_CTL_H

#define OQF_PKG 0
#define OQF_SHM 1
#define OQF_MALLOC 2
#define OQF_POOLS 3

#define OQF_SCOPE_MAX 128
#define OQF_SITES 32
#define OQF_SITE_MAX 160

/* A rule: once armed, the allocations of `target` whose origin matches `scope` are counted;
 * the nth and the count - 1 after it fail (count -1: every one from the nth on). */
typedef struct oqf_rule {
	int armed;
	int target;                 /* a pid (every thread of it) or one thread's id; 0: any */
	char scope[OQF_SCOPE_MAX];  /* comma-separated parts of the origin's name; "": any */
	long nth;
	long count;
	long seen;                  /* matching allocations since the rule was armed */
	long failed;                /* failures made */
} oqf_rule_t;

typedef struct oqf_ctl {
	oqf_rule_t rule[OQF_POOLS];
	long n_sites;                           /* failures recorded, the last OQF_SITES kept */
	char sites[OQF_SITES][OQF_SITE_MAX];    /* "<pool> <origin>: <where>" of each */
} oqf_ctl_t;

extern const char *const oqf_pool_names[OQF_POOLS];

/* Whether the calling process or thread is the rule's target (armed): cheap, first. */
int oqf_targets_me(const oqf_rule_t *r);
/* Counts an allocation from origin `who` (a module name, or the file of a shared object) and
 * answers 1 when it must fail. */
int oqf_count(oqf_rule_t *r, const char *who);
/* Keeps where a failure was made, for faults.sites. */
void oqf_record(oqf_ctl_t *c, int pool, const char *who, const char *where);

#endif
