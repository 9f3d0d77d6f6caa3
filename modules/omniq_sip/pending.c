/*
 * pending.c - see pending.h.
 */
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"
#include "core/timer_proc.h"
#include "core/pt.h"

#include "os.h"
#include "pending.h"
#include "dial.h"
#include "xfer.h"

#define PER_TICK 256 /* tried a second at most, one round trip each: a full list drains in 16 s */

typedef struct pend {
	os_pend_op_t op;
	int tenant;
	char sid[OMNIQ_SID_MAX];
	char agent[OMNIQ_ID_MAX + 1];
	int code;     /* OS_PEND_NOANSWER: the dial's final answer */
	int deferred; /* os_pending_defer's: 1 (logged at INFO when made), 2 once it found Redis
	               * away and said so */
} pend_t;

/* per os_pend_op_t: what it was, and the session's state once Redis has taken it */
static const struct {
	const char *what, *state;
} ops[] = {{"answer", "active"}, {"cancel", "abandoned"}, {"end", "closed"},
		{"no answer", "closed (no_answer)"}};

typedef struct pending {
	gen_lock_t lock;
	int n;
	unsigned long dropped;
	pend_t item[OS_PENDING_MAX];
} pending_t;

static pending_t *pl = NULL;

int os_pending_init(void)
{
	pl = shm_malloc(sizeof(*pl));
	if(pl == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(pl, 0, sizeof(*pl));
	if(lock_init(&pl->lock) == NULL) {
		LM_ERR("cannot init the lock of the pending call ends\n");
		return -1;
	}
	return register_basic_timers(1);
}

/* Appended under the lock; 1 when the list is full (then dropped). */
static int append(os_pend_op_t op, const char *sid, const char *agent, int code, int deferred)
{
	pend_t *p;

	if(pl->n >= OS_PENDING_MAX) {
		pl->dropped++;
		return 1;
	}
	p = &pl->item[pl->n++];
	p->op = op;
	p->tenant = os_oq.tenant_index();
	snprintf(p->sid, sizeof(p->sid), "%s", sid);
	snprintf(p->agent, sizeof(p->agent), "%s", agent ? agent : "");
	p->code = code;
	p->deferred = deferred;
	return 0;
}

void os_pending_add(os_pend_op_t op, const char *sid, const char *agent)
{
	int full;

	lock_get(&pl->lock);
	full = append(op, sid, agent, 0, 0);
	lock_release(&pl->lock);
	if(full)
		LM_ERR("call %s: its %s found Redis unavailable and %d others already wait for it: "
			   "dropped, the session stays as it is\n", sid, ops[op].what, OS_PENDING_MAX);
	else
		LM_NOTICE("call %s: its %s found Redis unavailable: made again when Redis answers\n",
				sid, ops[op].what);
}

void os_pending_defer(os_pend_op_t op, const char *sid, const char *agent, int code)
{
	int full;

	lock_get(&pl->lock);
	full = append(op, sid, agent, code, 1);
	lock_release(&pl->lock);
	if(full)
		LM_ERR("call %s: its %s waits behind %d operations kept for Redis: dropped, the "
			   "session stays as it is\n",
				sid, ops[op].what, OS_PENDING_MAX);
}

int os_pending_behind(os_pend_op_t op, const char *sid, const char *agent)
{
	int i, t = os_oq.tenant_index(), full = 0;
	os_pend_op_t before = OS_PEND_ACCEPT;
	int kept = 0;

	lock_get(&pl->lock);
	/* an item leaves the list only once Redis has taken it (retry_tick): one still here
	 * is not made yet, or is being made now - either way, this one goes after it */
	for(i = 0; i < pl->n; i++)
		if(pl->item[i].tenant == t && strcmp(pl->item[i].sid, sid) == 0) {
			kept = 1;
			before = pl->item[i].op;
			break;
		}
	if(kept)
		full = append(op, sid, agent, 0, 0);
	lock_release(&pl->lock);
	if(!kept)
		return 0;
	if(full)
		LM_ERR("call %s: its %s waits behind its %s kept for Redis, and %d others already "
			   "wait: dropped, the session stays as it is\n", sid, ops[op].what,
				ops[before].what, OS_PENDING_MAX);
	else
		LM_NOTICE("call %s: its %s waits behind its %s kept for Redis: made after it\n", sid,
				ops[op].what, ops[before].what);
	return 1;
}

/* This node's lease renewed; the sessions of nodes whose lease ran out are ended then. */
static void renew_lease(void)
{
	int n = os_oq.node_lease(&os_cfg.node, os_cfg.lease_s * 1000, 0);

	if(n > 0) {
		LM_NOTICE("%d sessions of calls on nodes whose lease ran out ended (node_lost)\n", n);
		os_stat_add(OS_ST_NODE_LOST, n);
	} else if(n < 0 && n != OMNIQ_EREDIS)
		LM_ERR("node %.*s: lease not renewed: %s\n", os_cfg.node.len, os_cfg.node.s,
				os_oq.last_error());
}

/* One kept operation made again, as the tenant it was made for: the API's answer. */
static int make(const pend_t *p)
{
	str sid = {(char *)p->sid, (int)strlen(p->sid)};
	str agent = {(char *)p->agent, (int)strlen(p->agent)};
	int rc;

	os_oq.tenant_use_index(p->tenant);
	switch(p->op) {
		case OS_PEND_ACCEPT:
			rc = os_oq.accept(&sid, &agent);
			break;
		case OS_PEND_ABANDON:
			rc = os_oq.abandon(&sid);
			break;
		case OS_PEND_NOANSWER: {
			str out = str_init("no_answer"), note;
			char nb[48];
			note.len = snprintf(nb, sizeof(nb),
					p->code ? "the call got %d" : "the call could not be sent", p->code);
			note.s = nb;
			/* the fid rides in agent; made again after a close that found Redis away, it
			 * is ESTATE (recorded already): the close goes on whatever it says */
			rc = agent.len ? os_oq.followup_done(&agent, &out, &note) : 0;
			if(rc < 0 && rc != OMNIQ_EREDIS && rc != OMNIQ_ESTATE)
				LM_NOTICE("call %s: follow-up %s: no_answer not recorded: %s\n", p->sid,
						p->agent, os_oq.last_error());
			if(rc != OMNIQ_EREDIS)
				rc = os_oq.close(&sid, &out);
			break;
		}
		default:
			rc = os_oq.close(&sid, NULL);
	}
	os_oq.tenant_use_index(0);
	return rc;
}

/* Each second: the lease, then the first kept, made again in order until one finds Redis
 * still away; those done (or refused: found changed or gone meanwhile) leave the list. */
static void retry_tick(unsigned int ticks, void *param)
{
	pend_t batch[PER_TICK];
	int i, k, rc, done = 0;

	os_oq.stop_check("omniq_sip pending");
	renew_lease();
	os_dial_tick();
	os_xfer_tick();
	lock_get(&pl->lock);
	k = pl->n < PER_TICK ? pl->n : PER_TICK;
	memcpy(batch, pl->item, (size_t)k * sizeof(batch[0]));
	lock_release(&pl->lock);
	for(i = 0; i < k; i++, done++) {
		if((rc = make(&batch[i])) == OMNIQ_EREDIS) {
			if(batch[i].deferred == 1) {
				/* a deferred one meets Redis away: said once, as a kept one is */
				lock_get(&pl->lock);
				pl->item[i].deferred = 2; /* still at i: this process alone removes */
				lock_release(&pl->lock);
				LM_NOTICE("call %s: its %s found Redis unavailable: made again when Redis "
						  "answers\n",
						batch[i].sid, ops[batch[i].op].what);
			}
			break;
		}
		if(rc < 0)
			LM_NOTICE("call %s: its %s reached Redis: %s\n", batch[i].sid,
					ops[batch[i].op].what, os_oq.last_error());
		else if(batch[i].deferred == 1)
			LM_INFO("call %s: its %s made, the session is %s\n", batch[i].sid,
					ops[batch[i].op].what, ops[batch[i].op].state);
		else
			LM_NOTICE("call %s: its %s reached Redis, the session is %s\n", batch[i].sid,
					ops[batch[i].op].what, ops[batch[i].op].state);
	}
	if(done == 0)
		return;
	/* only appends happened meanwhile: the done ones are still the first */
	lock_get(&pl->lock);
	memmove(pl->item, pl->item + done, (size_t)(pl->n - done) * sizeof(pl->item[0]));
	pl->n -= done;
	lock_release(&pl->lock);
}

int os_pending_fork(void)
{
	return fork_basic_timer(PROC_TIMER, "omniq_sip pending", 1, retry_tick, NULL, 1) < 0
				   ? -1
				   : 0;
}
