/*
 * desk_followup.h - an agent's follow-ups on its desk socket (desk_followup.c): the list of
 * its due and coming ones, one scheduled, an outcome recorded.
 */
#ifndef OMNIQ_WS_DESK_FOLLOWUP_H
#define OMNIQ_WS_DESK_FOLLOWUP_H

#include <jansson.h>

#include "sock.h"

/* A desk request whose type starts with "followup" (followups, followup_add,
 * followup_done) of agent `agent`, answered on s. */
void ws_desk_followup(ws_sock_t *s, const char *agent, const char *type, json_t *m, json_t *rid);

#endif
