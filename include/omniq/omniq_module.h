/*
 * omniq_module.h - what the mod_init of every channel module (and of a channel module of
 * yours) does first, in one place so that they all do it alike: a module whose statistics,
 * RPC commands, integer modparams or binding to omniq are wrong stops kamailio's start with
 * one line saying which, before it touches anything else.
 */
#ifndef OMNIQ_MODULE_H
#define OMNIQ_MODULE_H

#include "core/counters.h"
#include "core/dprint.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"

#include "omniq/omniq_api.h"
#include "omniq/omniq_params.h"

/* From mod_init: module's statistics (stats, may be NULL) and RPC commands (rpcs, may be
 * NULL) registered, its integer modparams p[0..n-1] checked against their ranges
 * (omniq_params.h), omniq's API bound into api (omniq_load_api). 0, or -1 after an error
 * line. */
static inline int omniq_module_init(const char *module, stat_export_t *stats,
		rpc_export_t *rpcs, const omniq_int_param_t *p, int n, omniq_api_t *api)
{
	if((stats && register_module_stats((char *)module, stats) != 0)
			|| (rpcs && rpc_register_array(rpcs) != 0)) {
		LM_ERR("cannot register statistics or RPC commands\n");
		return -1;
	}
	if(omniq_check_int_params(p, n) < 0)
		return -1;
	return omniq_load_api(api);
}

#endif
