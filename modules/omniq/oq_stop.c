/*
 * oq_stop.c - kamailio is stopping: see oq_stop.h.
 */
#include <stdlib.h>
#include <unistd.h>

#include "core/dprint.h"
#include "core/events.h"
#include "core/mem/shm_mem.h"

#include "omniq/omniq_clock.h"
#include "oq_stop.h"

/* the monotonic ms at which the main process began stopping; 0 while it runs */
static long long *stop_ms;
static sr_corecb_void_f next_cb;

static void on_shutdown(void)
{
	if(stop_ms)
		__atomic_store_n(stop_ms, omniq_mono_ms(), __ATOMIC_RELEASE);
	if(next_cb)
		next_cb();
}

int oq_stop_init(void)
{
	sr_corecb_t *cb = sr_corecb_get();

	if(stop_ms)
		return 0;
	stop_ms = shm_mallocxz(sizeof(*stop_ms));
	if(stop_ms == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	if(cb == NULL) {
		LM_ERR("no core callbacks to hook kamailio's stop into\n");
		return -1;
	}
	next_cb = cb->app_shutdown;
	cb->app_shutdown = on_shutdown;
	return 0;
}

void oq_stop_check(const char *what)
{
	long long at = stop_ms ? __atomic_load_n(stop_ms, __ATOMIC_ACQUIRE) : 0;

	if(at == 0 || omniq_mono_ms() - at < OQ_STOP_GRACE_MS)
		return;
	LM_WARN("%s: kamailio is stopping (for %lld ms) and this process had no SIGTERM from "
			"it: it ends now\n",
			what, omniq_mono_ms() - at);
	_exit(0);
}
