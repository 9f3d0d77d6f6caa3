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

#endif
