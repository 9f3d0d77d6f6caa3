/*
 * pending.c - see pending.h.
 */
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"
#include "core/timer_proc.h"
#include "core/pt.h"

#include "os.h"
#include "pending.h"

#define PER_TICK 64 /* ends tried a second at most: one round trip each */

typedef struct pend {
	int tenant;
	char sid[OMNIQ_SID_MAX];
} pend_t;

typedef struct pending {
	gen_lock_t lock;
	int n;
	unsigned long dropped;
	pend_t item[OS_PENDING_MAX];
} pending_t;

static pending_t *pl = NULL;

int os_pending_init(void)
{
	pl = shm_malloc(sizeof(*pl));
	if(pl == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(pl, 0, sizeof(*pl));
	if(lock_init(&pl->lock) == NULL) {
		LM_ERR("cannot init the lock of the pending call ends\n");
		return -1;
	}
	return register_basic_timers(1);
}

void os_pending_close(const char *sid)
{
	int full;

	lock_get(&pl->lock);
	full = pl->n >= OS_PENDING_MAX;
	if(full)
		pl->dropped++;
	else {
		pl->item[pl->n].tenant = os_oq.tenant_index();
		snprintf(pl->item[pl->n].sid, sizeof(pl->item[0].sid), "%s", sid);
		pl->n++;
	}
	lock_release(&pl->lock);
	if(full)
		LM_ERR("call %s ended but %d call ends already wait for Redis: its session stays "
			   "active until closed by hand\n", sid, OS_PENDING_MAX);
	else
		LM_NOTICE("call %s ended while Redis is unavailable: its session is closed when "
				  "Redis answers again\n", sid);
}

/* Each second: the first ends kept, made again in order until one finds Redis still away;
 * those done (closed, or found closed or gone meanwhile) leave the list. */
static void retry_tick(unsigned int ticks, void *param)
{
	pend_t batch[PER_TICK];
	int i, k, rc, done = 0;
	str sid;

	lock_get(&pl->lock);
	k = pl->n < PER_TICK ? pl->n : PER_TICK;
	memcpy(batch, pl->item, (size_t)k * sizeof(batch[0]));
	lock_release(&pl->lock);
	for(i = 0; i < k; i++, done++) {
		sid.s = batch[i].sid;
		sid.len = (int)strlen(batch[i].sid);
		os_oq.tenant_use_index(batch[i].tenant);
		rc = os_oq.close(&sid, NULL);
		os_oq.tenant_use_index(0);
		if(rc == OMNIQ_EREDIS)
			break;
		if(rc < 0)
			LM_NOTICE("call %s: its end reached Redis: %s\n", batch[i].sid, os_oq.last_error());
		else
			LM_NOTICE("call %s: its end reached Redis, the session is closed\n", batch[i].sid);
	}
	if(done == 0)
		return;
	/* only appends happened meanwhile: the done ones are still the first */
	lock_get(&pl->lock);
	memmove(pl->item, pl->item + done, (size_t)(pl->n - done) * sizeof(pl->item[0]));
	pl->n -= done;
	lock_release(&pl->lock);
}

int os_pending_fork(void)
{
	return fork_basic_timer(PROC_TIMER, "omniq_sip call ends", 1, retry_tick, NULL, 1) < 0
				   ? -1
				   : 0;
}
