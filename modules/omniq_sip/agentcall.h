/*
 * agentcall.h - calls between agents' phones: an agent calls a colleague by her id (to ask
 * before an attended transfer, the consultation of RFC 5589 section 7). No session: it is
 * no customer's call; omniq only relays it to the colleague's registered phones.
 *
 * Only an agent's own phone may: the INVITE's From names an agent, and it comes from the
 * address one of her registered contacts names. A customer who dials an agent's id is
 * refused as before (404: no such queue), so that no one reaches an agent's phone past the
 * queue. (A production cfg authenticates agents' phones too: auth_db before omniq_call.)
 */
#ifndef OS_AGENTCALL_H
#define OS_AGENTCALL_H

#include "core/str.h"
#include "core/parser/msg_parser.h"

/* omniq_call() of an INVITE (its transaction made) to `target`, no queue's name: 0 when it
 * is no agent's call (the caller goes on: 404), 1 when relayed to the colleague's phones,
 * -1 when answered with an error (480: she has no phone registered; 500: the relay failed;
 * 482: an agent calling herself). */
int os_agent_call(sip_msg_t *msg, const str *target);

#endif
