/*
 * oq_driver.h - the channel drivers registered by channel modules (include/omniq/omniq_api.h).
 *
 * Registered in mod_init, before Kamailio forks, into private (pkg) memory, so every child
 * has the same table and lookups need no lock.
 */
#ifndef OQ_DRIVER_H
#define OQ_DRIVER_H

#include "omniq/omniq_api.h"

#define OQ_DRIVERS_MAX 32

int oq_driver_register(const omniq_driver_t *drv);
const omniq_driver_t *oq_driver_find(const str *channel);
/* Hand an event to the driver of its channel (dispatcher process). */
void oq_driver_event(const omniq_event_t *ev);
int oq_driver_count(void);
const omniq_driver_t *oq_driver_at(int i);
/* The channels whose driver has OMNIQ_CAP_REFER, comma-separated, into out (NUL-ended):
 * the length (0: none), or -1 when it does not fit size. */
int oq_driver_refer_channels(char *out, int size);

#endif
