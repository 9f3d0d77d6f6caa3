/*
 * oq_node.h - this node's token: random, made once at start-up (before the processes
 * fork, so every process of the node says the same). What a node claims in Redis for
 * itself is held in this name: the dispatcher's claim of a service-level alert, so that
 * of all the nodes that read its event one runs its event_route (oq_dispatch.c).
 */
#ifndef OQ_NODE_H
#define OQ_NODE_H

#define OQ_NODE_TOKEN_LEN 32

/* 0, or -1 when no random bytes could be had (mod_init fails) */
int oq_node_token_init(void);
/* OQ_NODE_TOKEN_LEN hex digits */
const char *oq_node_token(void);

#endif
