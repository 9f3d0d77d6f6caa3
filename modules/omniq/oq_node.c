/*
 * oq_node.c - this node's token (see oq_node.h).
 */
#include <stdio.h>
#include <openssl/rand.h>

#include "core/dprint.h"

#include "oq_node.h"

static char token[OQ_NODE_TOKEN_LEN + 1];

int oq_node_token_init(void)
{
	unsigned char rnd[OQ_NODE_TOKEN_LEN / 2];
	int i;

	if(RAND_bytes(rnd, sizeof(rnd)) != 1) {
		LM_ERR("no random bytes for this node's token\n");
		return -1;
	}
	for(i = 0; i < (int)sizeof(rnd); i++)
		snprintf(token + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

const char *oq_node_token(void)
{
	return token;
}
