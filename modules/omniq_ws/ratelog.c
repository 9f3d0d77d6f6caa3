/*
 * ratelog.c - see ratelog.h.
 */
#include "omniq/omniq_clock.h"

#include "ratelog.h"

int ws_ratelog_due(ws_ratelog_t *r, unsigned long *held)
{
	long long now = omniq_mono_ms();

	if(r->said && now - r->said < r->every_ms) {
		r->held++;
		return 0;
	}
	*held = r->held;
	r->held = 0;
	r->said = now;
	return 1;
}
