/*
 * stats.c - INFO commandstats as a table, the difference of two readings, and
 * percentiles (stats.h). The route bench times Redis functions by what Redis itself
 * counted (cmdstat_fcall's usec), not by the client's clock, which on 2 shared cores
 * measures the machine's noise as much as the engine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats.h"

int cmdstats_parse(const char *info, struct cmdstats *out)
{
	const char *p = info;
	out->n = 0;
	while((p = strstr(p, "cmdstat_")) != NULL) {
		const char *name = p + 8, *colon = strchr(name, ':');
		struct cmdstat *e;
		size_t len;
		if(!colon || out->n == CMDSTATS_MAX)
			return -1;
		len = colon - name;
		if(len == 0 || len >= sizeof e->name)
			return -1;
		e = &out->e[out->n];
		memcpy(e->name, name, len);
		e->name[len] = 0;
		if(sscanf(colon, ":calls=%lld,usec=%lld,", &e->calls, &e->usec) != 2)
			return -1;
		out->n++;
		p = colon;
	}
	return 0;
}

const struct cmdstat *cmdstats_find(const struct cmdstats *s, const char *name)
{
	for(int i = 0; i < s->n; i++)
		if(strcmp(s->e[i].name, name) == 0)
			return &s->e[i];
	return NULL;
}

void cmdstats_steps(const struct cmdstats *s, struct cmdstat *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "steps");
	for(int i = 0; i < s->n; i++)
		if(strcmp(s->e[i].name, "fcall") == 0 || strncmp(s->e[i].name, "omniq.", 6) == 0) {
			out->calls += s->e[i].calls;
			out->usec += s->e[i].usec;
		}
}

static int by_usec_desc(const void *a, const void *b)
{
	const struct cmdstat *x = a, *y = b;
	if(x->usec != y->usec)
		return x->usec < y->usec ? 1 : -1;
	return strcmp(x->name, y->name);
}

void cmdstats_diff(const struct cmdstats *before, const struct cmdstats *after,
		struct cmdstats *out)
{
	out->n = 0;
	for(int i = 0; i < after->n; i++) {
		const struct cmdstat *a = &after->e[i], *b = cmdstats_find(before, a->name);
		struct cmdstat d = *a;
		if(b) {
			d.calls -= b->calls;
			d.usec -= b->usec;
		}
		if(d.calls > 0)
			out->e[out->n++] = d;
	}
	qsort(out->e, out->n, sizeof out->e[0], by_usec_desc);
}

void cmdstats_print(const struct cmdstats *diff, long n, const char *per)
{
	printf("commands per %s (INFO commandstats; the FCALLs' own commands are counted under "
		   "their names and their time is inside the FCALL's):\n", per);
	for(int i = 0; i < diff->n; i++) {
		const struct cmdstat *e = &diff->e[i];
		if(strcmp(e->name, "info"))
			printf("  %-20s %8.3f calls %8.2f us\n", e->name, (double)e->calls / n,
					(double)e->usec / n);
	}
}

double percentile(const double *sorted, long n, double p)
{
	double x = p * n;
	long rank = (long)x;
	if(n <= 0)
		return 0;
	if(x - rank > 1e-6) /* ceil(p * n); p * n may land a hair above a whole number */
		rank++;
	if(rank < 1)
		rank = 1;
	if(rank > n)
		rank = n;
	return sorted[rank - 1];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void sort_doubles(double *v, long n)
{
	qsort(v, n, sizeof *v, cmp_double);
}
