/*
 * sms_flood.c - see sms_flood.h. A fixed table of counters indexed by a hash of the number:
 * a number that lands on a slot another number holds takes it and counts afresh: one number's
 * flood is always held to the limit; many numbers that share slots at once may pass more.
 */
#include <string.h>
#include <time.h>

#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"

#include "sms_flood.h"

#define SLOTS 4096

typedef struct slot {
	unsigned hash;
	time_t start;
	unsigned count;
} slot_t;

static slot_t *table;
static gen_lock_t *lock;
static int flood_limit, flood_window;

int sms_flood_init(int limit, int window)
{
	flood_limit = limit;
	flood_window = window;
	if(limit == 0)
		return 0;
	table = shm_malloc(sizeof(slot_t) * SLOTS);
	lock = lock_alloc();
	if(table == NULL || lock == NULL || lock_init(lock) == NULL) {
		LM_ERR("no shared memory for the flood counters\n");
		return -1;
	}
	memset(table, 0, sizeof(slot_t) * SLOTS);
	return 0;
}

static unsigned fnv1a(const char *s)
{
	unsigned h = 2166136261u;

	for(; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

int sms_flood_allow(const char *key, int *wait)
{
	unsigned h;
	slot_t *s;
	time_t now = time(NULL);
	int ok = 1;

	*wait = 0;
	if(flood_limit == 0 || table == NULL)
		return 1;
	h = fnv1a(key);
	s = &table[h % SLOTS];
	lock_get(lock);
	if(s->hash != h || now - s->start >= flood_window) {
		s->hash = h;
		s->start = now;
		s->count = 0;
	}
	if(s->count >= (unsigned)flood_limit) {
		ok = 0;
		*wait = (int)(s->start + flood_window - now);
		if(*wait < 1)
			*wait = 1;
	} else {
		s->count++;
	}
	lock_release(lock);
	return ok;
}
