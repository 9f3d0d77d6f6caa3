/*
 * desk_token.h - an agent's desk token checked, wherever the desk presents it (its socket's
 * hello, a file it uploads): "<tenant>|<agent>#<epoch>/<expiry unix seconds>", signed with
 * desk_secret, purpose "agent" (desk_login.c), good while the epoch is still the agent's
 * (api.agent_token: a logout or a new password moved it on). A token of before epochs
 * ("<tenant>|<agent>/...") is of epoch 0. One Redis round trip.
 */
#ifndef OMNIQ_WS_DESK_TOKEN_H
#define OMNIQ_WS_DESK_TOKEN_H

#include <stddef.h>

enum {
	WS_DESK_OK = 0,
	WS_DESK_BAD = -1,        /* forged, malformed, another tenant's, a deleted agent */
	WS_DESK_EXPIRED = -2,
	WS_DESK_LOGGED_OUT = -3, /* its epoch is over */
	WS_DESK_UNAVAILABLE = -4 /* not checked: Redis */
};

/* tok's tenant (made current: the caller switches back) and agent. */
int ws_desk_token(const char *tok, int *tenant, char *agent, size_t asize, long long *epoch);

#endif
