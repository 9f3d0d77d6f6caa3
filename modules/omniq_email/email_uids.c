/*
 * email_uids.c - see email_uids.h.
 */
#include <stdlib.h>
#include <string.h>

#include "email_uids.h"

static int cmp_uid(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

int email_uids_keep(unsigned long long *uids, int n, int max, unsigned long long uid)
{
	int i, hi = 0;

	for(i = 0; i < n; i++)
		if(uids[i] == uid)
			return n; /* a server that names a UID twice: read once */
	if(n < max) {
		uids[n] = uid;
		return n + 1;
	}
	for(i = 1; i < n; i++) /* full: uid takes the place of the highest if lower */
		if(uids[i] > uids[hi])
			hi = i;
	if(n > 0 && uid < uids[hi])
		uids[hi] = uid;
	return n;
}

int email_uids_search(const char *answer, unsigned long long after, unsigned long long *uids,
		int max)
{
	unsigned long long uid;
	const char *p;
	char *end;
	int n = 0;

	if((p = strstr(answer, "* SEARCH")) == NULL)
		return 0;
	for(p += 8;; p = end) {
		uid = strtoull(p, &end, 10);
		if(end == p)
			break;
		if(uid > after) /* "n:*" names the last message even when it is below n */
			n = email_uids_keep(uids, n, max, uid);
	}
	qsort(uids, (size_t)n, sizeof(uids[0]), cmp_uid);
	return n;
}
