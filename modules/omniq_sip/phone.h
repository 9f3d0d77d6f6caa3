/*
 * phone.h - whether an agent has a phone registered anywhere (see phone.c).
 */
#ifndef OS_PHONE_H
#define OS_PHONE_H

#include "modules/usrloc/usrloc.h"

/* mod_init: agent_aor's user part understood, usrloc's new-contact callback registered
 * (before the fork). 0, or -1 logged. */
int os_phone_init(usrloc_api_t *ul);

/* A call found no registered contact for agent: the core keeps her out of calls until one
 * registers. 0, or the OMNIQ_* error of the core (Redis). */
int os_phone_none(const char *agent);

#endif
