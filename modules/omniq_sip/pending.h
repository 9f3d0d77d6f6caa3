/*
 * pending.h - what happened to a call that could not reach Redis (Redis down or restarting
 * when the agent answered, the caller cancelled, the BYE came or the dialog timed out). The
 * session would stay as it was - offered while the agent talks, queued for a caller who is
 * gone, active with its agent held by a call that is over - so it is kept in shared memory
 * and made again each second, in order, from a timer process of this module, until Redis
 * takes it. Kept per node: a node that stops meanwhile loses what it kept.
 */
#ifndef OS_PENDING_H
#define OS_PENDING_H

/* At most this many wait; one more is logged and dropped. */
#define OS_PENDING_MAX 4096

/* mod_init: the shared list, and the timer process registered. 0 or -1. */
int os_pending_init(void);

/* child_init(PROC_MAIN): forks the timer process, which also renews this node's lease each
 * second (api.node_lease: the sessions of nodes whose lease ran out are ended then). */
int os_pending_fork(void);

typedef enum os_pend_op {
	OS_PEND_ACCEPT,  /* the agent answered: accept(sid, agent) */
	OS_PEND_ABANDON, /* the caller left before an answer: abandon(sid) */
	OS_PEND_CLOSE,   /* the call ended: close(sid) */
	OS_PEND_NOANSWER /* a dial's customer was not reached: followup_done(agent: the fid,
	                    no_answer) when there is one, then close(sid, no_answer); always
	                    deferred (two round trips: not in the SIP worker) */
} os_pend_op_t;

/* From any process: op on session sid (of the current tenant; agent for an accept) found
 * Redis unavailable; make it again when Redis answers. */
void os_pending_add(os_pend_op_t op, const char *sid, const char *agent);

/* From a SIP worker: op (more than one round trip: OS_PEND_NOANSWER) made by the timer
 * process within a second instead, in order with what is kept for Redis; code: the final
 * answer the dial got (its note). */
void os_pending_defer(os_pend_op_t op, const char *sid, const char *agent, int code);

/* Before op on session sid is made directly: when an earlier op of the same call is still
 * kept (Redis was away when the agent answered, and is back by the BYE), op is kept behind
 * it and 1 returned - made directly it would reach Redis first (the close of a session still
 * offered is an abandon, and the answer made after it is refused). 0: nothing kept for sid. */
int os_pending_behind(os_pend_op_t op, const char *sid, const char *agent);

#endif
