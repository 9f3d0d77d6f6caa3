/*
 * desk_token.c - see desk_token.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dprint.h"

#include "desk_token.h"
#include "token.h"
#include "ws.h"

int ws_desk_token(const char *tok, int *tenant, char *agent, size_t asize, long long *epoch)
{
	char id[2 * OMNIQ_ID_MAX + 64], *bar, *hash, *end;
	str t, aid;
	long long now = 0;
	int rc = tok ? ws_token_check_until(ws_cfg.desk_secret, "agent", tok, (long long)time(NULL),
						   id, sizeof(id))
				 : -1;

	if(rc == -2)
		return WS_DESK_EXPIRED;
	*epoch = 0;
	bar = rc < 0 ? NULL : strchr(id, '|');
	if(bar && (hash = strchr(bar, '#')) != NULL) {
		*hash = '\0';
		*epoch = strtoll(hash + 1, &end, 10);
		if(hash[1] == '\0' || *end != '\0' || *epoch < 0)
			bar = NULL;
	}
	if(bar == NULL || strlen(bar + 1) >= asize)
		return WS_DESK_BAD;
	t.s = id;
	t.len = (int)(bar - id);
	/* signed by us, but for a tenant this kamailio no longer serves */
	if((*tenant = ws_oq.tenant_use(&t)) < 0)
		return WS_DESK_BAD;
	aid = omniq_str(bar + 1);
	rc = ws_oq.agent_token(&aid, &now);
	if(rc == OMNIQ_ENOTFOUND) /* the agent was deleted */
		return WS_DESK_BAD;
	if(rc < 0) {
		LM_NOTICE("desk of %.*s: its token not checked: %s\n", aid.len, aid.s,
				ws_oq.last_error());
		return WS_DESK_UNAVAILABLE;
	}
	if(now != *epoch)
		return WS_DESK_LOGGED_OUT;
	snprintf(agent, asize, "%s", bar + 1);
	return WS_DESK_OK;
}
