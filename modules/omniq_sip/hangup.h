/*
 * hangup.h - a live call whose session was closed elsewhere (an agent's desk, a supervisor's
 * `kamcmd omniq.close`, the REST API) is ended: BYE on both legs through its dialog, by the
 * node that holds it, when its dispatcher reads the session's close (or wrap-up) event.
 * Otherwise the agent, freed in Redis, could be offered a second call while still talking.
 */
#ifndef OS_HANGUP_H
#define OS_HANGUP_H

#include "omniq/omniq_api.h"

/* The dialog of a session is h_entry/h_id (the last two numbers of the session's ext, see
 * call.c): ends it when it is still up. From the dispatcher's event hook. */
void os_hangup(const omniq_event_t *ev, unsigned int h_entry, unsigned int h_id);

#endif
