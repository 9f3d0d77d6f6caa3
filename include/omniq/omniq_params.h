/*
 * omniq_params.h - checking a module's integer modparams against their ranges, the same
 * way in every omniq module (and in a channel module of yours): a value outside its range
 * stops kamailio at start with one line naming the parameter, rather than running with
 * nonsense.
 */
#ifndef OMNIQ_PARAMS_H
#define OMNIQ_PARAMS_H

#include "core/dprint.h"

typedef struct omniq_int_param {
	const char *name;
	int *v;
	int min, max;
} omniq_int_param_t;

/* 0 when every p[0..n-1] is within its range; else -1 after an error line. From mod_init. */
static inline int omniq_check_int_params(const omniq_int_param_t *p, int n)
{
	int i;
	for(i = 0; i < n; i++)
		if(*p[i].v < p[i].min || *p[i].v > p[i].max) {
			LM_ERR("modparam %s = %d is outside %d..%d\n", p[i].name, *p[i].v, p[i].min,
					p[i].max);
			return -1;
		}
	return 0;
}

#endif
