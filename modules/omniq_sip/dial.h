/*
 * dial.h - click-to-dial: a phone session with no call of its own (a follow-up's, a
 * callback's) offered to an agent rings the agent's phone, and once she answers this node
 * calls the customer and joins the two (RFC 3725 third-party call control). See dial.c.
 */
#ifndef OS_DIAL_H
#define OS_DIAL_H

#include "core/parser/msg_parser.h"
#include "modules/usrloc/usrloc.h"
#include "omniq/omniq_api.h"

/* mod_init: dial_uri checked ({number} exactly once, a sip: or sips: URI), the table of
 * dials in shared memory, the hook that takes the dials' in-dialog requests. 0 or -1
 * (logged: kamailio does not start). */
int os_dial_init(void);

/* The driver's event hook (the dispatcher), for an offer: 1 when it was a dial's (a phone
 * session with no call of its own: this node dials it if it claims it first), 0 when it is
 * an inbound call's (call.c's). */
int os_dial_offer(const omniq_event_t *ev);

/* A close or wrap-up event whose ext is "<this node>/dial/<sid>": the dial is hung up
 * (its ringing phone cancelled, its talking legs sent BYE). */
void os_dial_closed(const omniq_event_t *ev);

/* Each second, from the process "omniq_sip pending": a dial up longer than dial_max_time
 * (a lost BYE) is hung up and its session closed, as a dialog timeout ends a call. */
void os_dial_tick(void);

#endif
