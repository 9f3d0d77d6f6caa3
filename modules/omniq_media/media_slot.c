/*
 * media_slot.c - see media_slot.h.
 */
#include <string.h>

#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"

#include "omniq/omniq_clock.h"
#include "media_slot.h"

media_slots_t *media_slots = NULL;
static gen_lock_t *lock = NULL;

int media_slots_init(int port_min, int port_max, int procs)
{
	int n = (port_max - port_min + 1) / 2;

	media_slots = shm_malloc(sizeof(*media_slots) + n * sizeof(media_slot_t));
	lock = lock_alloc();
	if(media_slots == NULL || lock == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(media_slots, 0, sizeof(*media_slots) + n * sizeof(media_slot_t));
	lock_init(lock);
	media_slots->n = n;
	media_slots->port_min = port_min;
	media_slots->procs = procs;
	return 0;
}

int media_slot_take(void)
{
	int k, i = -1;

	lock_get(lock);
	for(k = 0; k < media_slots->n; k++) {
		/* round robin: a port just freed is the last to be used again, so late packets
		 * of the call before do not reach the next caller */
		int j = (media_slots->next + k) % media_slots->n;
		if(media_slots->slot[j].state == MS_FREE) {
			i = j;
			break;
		}
	}
	if(i >= 0) {
		media_slot_t *s = &media_slots->slot[i];
		unsigned short gen = s->gen + 1;

		memset(s, 0, sizeof(*s));
		s->gen = gen ? gen : 1;
		s->state = MS_STARTING;
		s->started_ms = omniq_wall_ms();
		s->est_wait_s = -1;
		media_slots->next = (i + 1) % media_slots->n;
		media_slots->in_use++;
	}
	lock_release(lock);
	return i;
}

void media_slot_release(int i)
{
	lock_get(lock);
	if(media_slots->slot[i].state != MS_FREE) {
		media_slots->slot[i].state = MS_FREE;
		media_slots->in_use--;
	}
	lock_release(lock);
}

int media_slot_activate(int i, unsigned short gen)
{
	int rc = -1;

	lock_get(lock);
	if(media_slots->slot[i].state == MS_STARTING && media_slots->slot[i].gen == gen) {
		media_slots->slot[i].state = MS_ACTIVE;
		rc = 0;
	}
	lock_release(lock);
	return rc;
}

/* The slot of a handle still current, with the lock held (release it); NULL when the
 * stream ended (the slot free or another call's), without the lock. */
static media_slot_t *current_locked(unsigned int handle)
{
	int i = (int)(handle & 0xffff) - 1;
	media_slot_t *s;

	if(media_slots == NULL || i < 0 || i >= media_slots->n)
		return NULL;
	s = &media_slots->slot[i];
	lock_get(lock);
	if(s->gen == (unsigned short)(handle >> 16) && s->state != MS_FREE)
		return s;
	lock_release(lock);
	return NULL;
}

void media_slot_stop(unsigned int handle)
{
	media_slot_t *s = current_locked(handle);

	if(s) {
		s->stop = 1;
		lock_release(lock);
	}
}

int media_slot_key(unsigned int handle, char digit)
{
	media_slot_t *s = current_locked(handle);

	if(s == NULL)
		return -1;
	s->key = digit;
	lock_release(lock);
	return 0;
}

void media_slot_rebind(unsigned int handle, const char *sid, int len, int position,
		int est_wait_s)
{
	media_slot_t *s;

	if(len < 0 || len >= OMNIQ_SID_MAX || (s = current_locked(handle)) == NULL)
		return;
	memcpy(s->sid, sid, len);
	s->sid[len] = '\0';
	s->position = position;
	s->est_wait_s = est_wait_s;
	lock_release(lock);
}
