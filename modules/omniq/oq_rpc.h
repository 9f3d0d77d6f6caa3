/* oq_rpc.h - kamcmd omniq.* commands (see docs/admin.md for each). */
#ifndef OQ_RPC_H
#define OQ_RPC_H
int oq_rpc_register(void);
#endif
