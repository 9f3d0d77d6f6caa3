/*
 * phone.h - whether an agent has a phone registered anywhere (see phone.c).
 */
#ifndef OS_PHONE_H
#define OS_PHONE_H

#include "core/parser/msg_parser.h"
#include "modules/usrloc/usrloc.h"

/* mod_init: agent_aor's user part understood, usrloc's new-contact callback registered
 * (before the fork). 0, or -1 logged. */
int os_phone_init(usrloc_api_t *ul);

/* Agent's valid registered contacts, each to cb (usrloc's lock held: copy what is kept)
 * until cb returns non-zero: that value; 0 when none did or she has none, -1 when her AOR
 * cannot be made (agent_aor). From any process after mod_init. */
int os_phone_each(const char *agent, int (*cb)(ucontact_t *c, void *arg), void *arg);

/* msg's destination set made agent's registered contacts (registrar's lookup of her AOR,
 * agent_aor; the branches before cleared): 1 when she has one, else registrar's answer
 * (<= 0), -9 when her AOR cannot be made (logged). */
int os_phone_lookup(sip_msg_t *msg, const char *agent);

/* A call found no registered contact for agent: the core keeps her out of calls until one
 * registers. 0, or the OMNIQ_* error of the core (Redis). */
int os_phone_none(const char *agent);

/* The agent did not take the offer of session sid that her phone was rung for (an inbound
 * call, call.c; a dial, dial.c): her phone rejected or did not answer - a miss, she is set
 * away, the session re-routed - or she has none registered (nophone: kept out of calls,
 * os_phone_none, and the session declined: not set away, her chats go on). Counted in
 * agent_failed. The core's answer: OMNIQ_ESTATE/EAGENT when the offer was no longer this. */
int os_agent_not_taken(const char *sid, const char *agent, int nophone);

#endif
