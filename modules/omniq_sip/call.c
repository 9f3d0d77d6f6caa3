/*
 * call.c - see call.h.
 *
 * A call is in one of these states (os_call_t.state), each change made under the call's
 * bucket lock:
 *
 *   OPENING     a process is talking to Redis for it (open, miss, expire); an offer event that
 *               arrives meanwhile is kept in `pending` and taken when that process is done
 *   WAITING     the INVITE transaction is suspended (t_suspend), the caller has 182 Queued;
 *               its blind branch times out at the queue's max wait
 *   CONTINUING  the dispatcher took an offer and is resuming the transaction (t_continue)
 *   RINGING     the INVITE is relayed to the agent's registered phone
 *   ANSWERED    the agent's phone answered: the session is active; the dialog's end closes it
 *   SAYING      a message before the final answer (closed.wav outside business hours,
 *               omniq_media): the transaction is suspended until it is said
 *   ENDED       final response sent or call left omniq (overflow to a URI)
 *
 * Who may act: the SIP worker that received the INVITE (OPENING → RINGING/WAITING), the
 * dispatcher (WAITING → CONTINUING, then the resumed transaction), tm's failure handling of
 * this transaction (RINGING → OPENING on an agent's failure, WAITING → overflow at max wait),
 * the worker that receives a CANCEL (abandon). A state is claimed under the lock, the work
 * (Redis, SIP) is done outside it. Lock order: the bucket lock is never held while waiting
 * for a tm reply lock (t_reply, t_relay); only t_suspend runs under it, so that a suspended
 * call is never seen WAITING before it really is.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"
#include "core/mem/pkg.h"
#include "core/dset.h"
#include "core/data_lump_rpl.h"
#include "core/parser/parse_content.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_hname2.h"
#include "core/rand/kam_rand.h"
#include "core/route_struct.h"
#include "core/sr_module.h"
#include "modules/tm/h_table.h"
#include "modules/tm/t_hooks.h"
#include "modules/dialog/dlg_hash.h"

#include "os.h"
#include "phone.h"
#include "call.h"
#include "caller.h"
#include "pending.h"
#include "hangup.h"
#include "xfer.h"
#include "xfer_token.h"
#include "indialog.h"
#include "agentcall.h"
#include "dial.h"
#include "omniq/omniq_clock.h"

#define OS_BUCKETS 256
#define OS_RING_ATTEMPTS 8            /* agents tried in a row within one settle() */
#define OS_NO_DEADLINE_MS (24 * 3600 * 1000) /* queue without max_wait: tm's lifetime bounds it */

typedef enum {
	OS_OPENING, OS_WAITING, OS_CONTINUING, OS_RINGING, OS_ANSWERED, OS_SAYING, OS_ENDED
} os_state_t;

/* The session id the dialog callbacks close, and what a REFER in the dialog needs (xfer.h);
 * owned by the dialog (freed with it). */
typedef struct os_dref {
	char sid[OMNIQ_SID_MAX];
	char agent[OMNIQ_ID_MAX + 1]; /* who answered: set with the answer */
	char ident[OS_IDENT_MAX];     /* the caller */
	int tenant;                   /* whose session (an in-dialog request may not say) */
} os_dref_t;

typedef struct os_call {
	struct os_call *next;
	unsigned int hi, label;   /* the INVITE transaction */
	unsigned int dh, di;      /* its dialog (h_entry, h_id): hung up when closed elsewhere */
	os_state_t state;
	int cancelled;
	int abandoned;            /* the session was abandoned for the CANCEL */
	int abandon_due;          /* an abandon failed (Redis, memory): again at the end */
	int qidx;                 /* its queue now (changes on overflow to another queue) */
	int tenant;               /* whose session (api.tenant_index when it came) */
	int hops;                 /* overflows so far */
	unsigned int media;       /* omniq_media's stream while it waits (early media), or 0 */
	uint64_t dkey;            /* its Call-ID and From tag hashed: a request in its early
	                           * dialog (a SIP INFO key) finds it (os_call_stream) */
	int media_gone;           /* the stream ended on its own (omniq_media_end_t): the
	                           * caller is gone, or asked to be called back */
	int position;             /* the place open() answered (for omniq_media's first words) */
	int final_code;           /* SAYING: the answer once the message is said */
	const char *final_text;   /* (a queue's action: read-only after mod_init) */
	int retry_after;          /* its Retry-After, or -1 */
	long long deadline_ms;    /* end of the current queue's max wait, 0 = none */
	char ident[OS_IDENT_MAX];
	char ident_uri[OS_IDENT_MAX]; /* the URI it called from, for when ident is no number */
	char sid[OMNIQ_SID_MAX];
	char agent[OMNIQ_ID_MAX + 1];
	char pending[OMNIQ_ID_MAX + 1];
	os_dref_t *dref;
} os_call_t;

static os_call_t **table = NULL;
static gen_lock_set_t *locks = NULL;

/* the call the dispatcher is resuming (t_continue runs w_resume synchronously) */
static unsigned int resume_hi, resume_label;
static struct action *resume_action = NULL;

static const str phone = str_init("phone");


int os_call_init(void)
{
	table = shm_malloc(OS_BUCKETS * sizeof(*table));
	if(table == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(table, 0, OS_BUCKETS * sizeof(*table));
	locks = lock_set_alloc(OS_BUCKETS);
	if(locks == NULL || lock_set_init(locks) == NULL) {
		LM_ERR("cannot create the call table locks\n");
		return -1;
	}
	return 0;
}

static void lock_c(os_call_t *c)
{
	lock_set_get(locks, c->hi % OS_BUCKETS);
}

static void unlock_c(os_call_t *c)
{
	lock_set_release(locks, c->hi % OS_BUCKETS);
}

/* The call of transaction hi:label, returned with its bucket locked; NULL (unlocked). */
static os_call_t *find_locked(unsigned int hi, unsigned int label)
{
	os_call_t *c;
	lock_set_get(locks, hi % OS_BUCKETS);
	for(c = table[hi % OS_BUCKETS]; c; c = c->next)
		if(c->hi == hi && c->label == label)
			return c;
	lock_set_release(locks, hi % OS_BUCKETS);
	return NULL;
}

static void unlink_call(os_call_t *c)
{
	os_call_t **p;

	/* At shutdown tm frees the transactions it still holds (those in their wait state)
	 * after this module's mod_destroy, modules being destroyed in the reverse order of
	 * loading: their TMCB_DESTROY comes when the table and its locks are gone. */
	if(table == NULL)
		return;
	lock_c(c);
	for(p = &table[c->hi % OS_BUCKETS]; *p; p = &(*p)->next)
		if(*p == c) {
			*p = c->next;
			break;
		}
	unlock_c(c);
}

/* tm's t_reply picks the variant itself: in a failure handler or a resumed (t_continue)
 * transaction the route type is FAILURE_ROUTE and the reply lock is already held.
 * (tm_binds.t_reply_unsafe is never filled in by tm: do not call it.) */
static void reply(sip_msg_t *msg, int in_fail, int code, char *text)
{
	int rc = os_tmb.t_reply(msg, code, text);
	if(rc < 0)
		LM_NOTICE("could not send %d %s (transaction already answered?)\n", code, text);
}

static void set_sid(os_call_t *c, const char *sid)
{
	snprintf(c->sid, sizeof(c->sid), "%s", sid);
	if(c->dref) {
		snprintf(c->dref->sid, sizeof(c->dref->sid), "%s", sid);
		snprintf(c->dref->ident, sizeof(c->dref->ident), "%s", c->ident);
		c->dref->tenant = c->tenant;
	}
}

/* The announcements end (c locked). */
static void stop_media_locked(os_call_t *c)
{
	if(c->media) {
		os_media.stop(c->media);
		c->media = 0;
	}
}

static void end_call(os_call_t *c)
{
	lock_c(c);
	c->state = OS_ENDED;
	stop_media_locked(c);
	unlock_c(c);
}

/* The INVITE's SDP offer, when it has one (Content-Type application/sdp): 1, else 0. */
static int sdp_offer(sip_msg_t *msg, str *body)
{
	if(parse_headers(msg, HDR_EOH_F, 0) < 0 || msg->content_type == NULL
			|| (body->s = get_body(msg)) == NULL)
		return 0;
	body->len = msg->len - (int)(body->s - msg->buf);
	if(msg->content_length)
		body->len = get_content_length(msg) < body->len ? (int)get_content_length(msg)
														: body->len;
	return body->len > 0 && msg->content_type->body.len >= 15
		   && strncasecmp(msg->content_type->body.s, "application/sdp", 15) == 0;
}

/* A reply with a Warning (RFC 3261 20.43: 399, our host, the reason quoted) or an SDP body,
 * from the request route (in_fail 0). The lumps go once the reply is sent: a later reply
 * to the same request (a 487) must not carry them. Not tm's t_reply_with_body: it drops a
 * reference to the transaction it was not given. */
static void reply_more(sip_msg_t *msg, int code, char *text, const char *warning,
		const char *sdp)
{
	static char ctype[] = "Content-Type: application/sdp\r\n";
	char hdr[64 + OMNIQ_MEDIA_WHY_MAX + 80];
	struct socket_info *si = msg->rcv.bind_address;
	struct lump_rpl *h, *b = NULL;
	int n;

	if(warning) {
		n = snprintf(hdr, sizeof(hdr), "Warning: 399 %.*s \"%s\"\r\n",
				si ? si->address_str.len : 9, si ? si->address_str.s : "localhost", warning);
		h = add_lump_rpl(msg, hdr, n < (int)sizeof(hdr) ? n : (int)sizeof(hdr) - 1,
				LUMP_RPL_HDR);
	} else {
		/* the early dialog's Contact (RFC 3261 12.1.1): this node, where the caller's phone
		 * sends what it sends in it - keys by SIP INFO (dtmf.h) */
		char uri[128];

		n = os_sock_uri(si, NULL, uri, sizeof(uri)) < 0
					? snprintf(hdr, sizeof(hdr), "%s", ctype) /* no socket: no Contact */
					: snprintf(hdr, sizeof(hdr), "Contact: <%s>\r\n%s", uri, ctype);
		h = n > 0 && n < (int)sizeof(hdr) ? add_lump_rpl(msg, hdr, n, LUMP_RPL_HDR) : NULL;
		b = h ? add_lump_rpl(msg, (char *)sdp, strlen(sdp), LUMP_RPL_BODY) : NULL;
	}
	if(h == NULL || (!warning && b == NULL))
		LM_ERR("no memory for the %d reply's %s: sent without\n", code,
				warning ? "Warning" : "SDP");
	reply(msg, 0, code, text);
	if(b) {
		unlink_lump_rpl(msg, b);
		free_lump_rpl(b);
	}
	if(h) {
		unlink_lump_rpl(msg, h);
		free_lump_rpl(h);
	}
}

/* What omniq_media is asked for call c's INVITE msg, zeroed first (fields a later
 * omniq_media.h adds stay 0): 1, or 0 when there is no omniq_media or no SDP offer. */
static int media_call(os_call_t *c, sip_msg_t *msg, omniq_media_call_t *mc)
{
	memset(mc, 0, sizeof(*mc));
	if(!os_media_on || !sdp_offer(msg, &mc->offer))
		return 0;
	mc->local_ip = msg->rcv.bind_address ? msg->rcv.bind_address->address_str
										 : (str)str_init("127.0.0.1");
	mc->source_ip = omniq_str(ip_addr2a(&msg->rcv.src_ip));
	mc->est_wait_s = -1; /* not known here */
	mc->tag = ((uint64_t)c->hi << 32) | c->label;
	return 1;
}

/* First wait of a call: early media (183 with omniq_media's answer) when the INVITE has an
 * offer and omniq_media is loaded; else, or when no stream can start, 182 Queued. */
static void tell_queued(os_call_t *c, sip_msg_t *msg, int in_fail)
{
	omniq_media_call_t mc;
	char sdp[OMNIQ_MEDIA_SDP_MAX], why[OMNIQ_MEDIA_WHY_MAX];
	unsigned int handle;
	int rc;

	if(c->media)
		return; /* the announcements go on (an agent's phone failed, the call came back) */
	if(in_fail || !media_call(c, msg, &mc)) {
		reply(msg, in_fail, 182, "Queued");
		return;
	}
	mc.sid = omniq_str(c->sid);
	/* the place open() answered; the wait is read by omniq_media's control process (a SIP
	 * worker makes one Redis round trip per request: the open) */
	mc.position = c->position;
	rc = os_media.start(&mc, sdp, sizeof(sdp), &handle, why, sizeof(why));
	if(rc != 0) {
		LM_NOTICE("call %s waits without announcements (%d %s): 182 Queued\n", c->sid, rc, why);
		reply(msg, in_fail, 182, "Queued");
		return;
	}
	lock_c(c);
	c->media = handle;
	unlock_c(c);
	os_stat_inc(OS_ST_MEDIA);
	reply_more(msg, 183, "Session Progress", NULL, sdp);
}

/* The call is gone (why): its session sidbuf must not wait in a queue for it. When the
 * abandon fails in a way that leaves the session's state unknown (Redis, memory), it is
 * tried again when the transaction ends (retry_abandon). */
static int abandon_session(os_call_t *c, const char *sidbuf, const char *why)
{
	str sid = omniq_str(sidbuf);
	int rc = os_oq.abandon(&sid);

	if(rc == OMNIQ_EREDIS || rc == OMNIQ_EINTERNAL) {
		LM_ERR("call %s %s; abandon failed, tried again when its transaction ends: %s\n",
				sidbuf, why, os_oq.last_error());
		lock_c(c);
		c->abandon_due = 1;
		unlock_c(c);
	} else if(rc < 0)
		LM_NOTICE("call %s %s; session left as it is: %s\n", sidbuf, why, os_oq.last_error());
	else if(rc > 0)
		LM_INFO("call %s %s: the caller asked to be called back: the session keeps its place\n",
				sidbuf, why);
	else
		LM_INFO("call %s %s: session abandoned\n", sidbuf, why);
	return rc;
}

/* The transaction ends with an abandon still due: once more. Not at shutdown: the session
 * stays for the node that comes back (and its queue's max_wait). */
static void retry_abandon(os_call_t *c)
{
	char sidbuf[OMNIQ_SID_MAX];
	int todo;

	lock_c(c);
	todo = c->abandon_due && c->sid[0];
	c->abandon_due = 0;
	snprintf(sidbuf, sizeof(sidbuf), "%s", c->sid);
	unlock_c(c);
	if(todo && !ksr_shutdown_phase()) {
		str sid = omniq_str(sidbuf);
		int rc = os_oq.abandon(&sid);
		if(rc == OMNIQ_EREDIS)
			os_pending_add(OS_PEND_ABANDON, sidbuf, NULL); /* made when Redis is back */
		else if(rc < 0)
			LM_NOTICE("call %s ended; abandon tried again: %s\n", sidbuf, os_oq.last_error());
		else
			LM_INFO("call %s ended: session abandoned (tried again)\n", sidbuf);
	}
}

/* Redis failed mid-call: the caller gets a final answer, the session does not stay queued
 * for a call that no longer exists. */
static void give_up(os_call_t *c, sip_msg_t *msg, int in_fail, int code, char *text)
{
	char sidbuf[OMNIQ_SID_MAX];

	lock_c(c);
	c->state = OS_ENDED;
	stop_media_locked(c);
	snprintf(sidbuf, sizeof(sidbuf), "%s", c->sid);
	unlock_c(c);
	reply(msg, in_fail, code, text);
	if(sidbuf[0])
		abandon_session(c, sidbuf, "given up");
}

/* Rewrite the request to the agent's registered contacts and relay. -2: no phone
 * registered for her, -1: the relay failed. */
static int relay_agent(os_call_t *c, sip_msg_t *msg, const char *agent)
{
	int rc = os_phone_lookup(msg, agent);

	if(rc == -9)
		return -1;
	if(rc != 1) {
		LM_NOTICE("call %s: agent %s has no registered phone (lookup %d): no calls for her "
				  "until one registers\n", c->sid, agent, rc);
		return -2;
	}
	os_tmb.set_fr(msg, os_cfg.ring_timeout_ms, os_cfg.ring_timeout_ms);
	if(os_tmb.t_relay(msg, NULL, NULL) < 0) {
		LM_NOTICE("call %s: relay to agent %s failed\n", c->sid, agent);
		return -1;
	}
	os_stat_inc(OS_ST_RELAYED);
	LM_INFO("call %s ringing agent %s\n", c->sid, agent);
	return 0;
}

/* With the call's lock held: suspend the transaction until an offer (or the max wait). */
static int suspend_locked(os_call_t *c, sip_msg_t *msg)
{
	unsigned int hi, label;
	long long left = c->deadline_ms ? c->deadline_ms - omniq_wall_ms() : OS_NO_DEADLINE_MS;
	int rc;

	if(left < 100)
		left = 100;
	os_tmb.set_fr(msg, 0, (unsigned int)left);
	rc = os_tmb.t_suspend(msg, &hi, &label);
	if(rc == 0)
		c->state = OS_WAITING;
	return rc;
}

/* The agent's phone did not take the call: it rejected or did not answer (a miss in the
 * core, which sets the agent away and re-routes the session), or no phone is registered for
 * her (nophone: the core keeps her out of calls until one registers, phone.c, and the
 * session goes on to the next agent - a decline: she is not set away and keeps her chats).
 * OMNIQ_ESTATE/EAGENT mean the offer was no longer this one (the core lapsed it first): the
 * new offer is followed as any other. -1 when Redis failed and the call was given up. */
static int agent_failed(os_call_t *c, sip_msg_t *msg, int in_fail, const char *sidbuf,
		const char *agent, int nophone)
{
	int rc = os_agent_not_taken(sidbuf, agent, nophone);

	if(rc < 0 && rc != OMNIQ_ESTATE && rc != OMNIQ_EAGENT) {
		LM_ERR("call %s: %s\n", sidbuf, os_oq.last_error());
		give_up(c, msg, in_fail, 503, "Queue Unavailable");
		return -1;
	}
	return 0;
}

/*
 * After a routing step: ring the agent the session is offered to (given, or pending from an
 * offer event), or wait suspended for one. An agent that cannot be reached counts as a miss
 * (set away, session re-routed) and the next offer is taken the same way.
 */
static void settle(os_call_t *c, sip_msg_t *msg, const char *offered, int in_fail)
{
	char agent[OMNIQ_ID_MAX + 1], sidbuf[OMNIQ_SID_MAX];
	int tries = 0, sent182 = 0, rc;

	snprintf(agent, sizeof(agent), "%s", offered ? offered : "");
	while(tries < OS_RING_ATTEMPTS) {
		lock_c(c);
		if(c->cancelled) {
			/* the CANCEL came while this process talked to Redis: the hook could not
			 * abandon a session it did not know yet */
			int todo = !c->abandoned && c->sid[0];
			c->abandoned = 1;
			c->state = OS_ENDED;
			stop_media_locked(c);
			snprintf(sidbuf, sizeof(sidbuf), "%s", c->sid);
			unlock_c(c);
			if(todo)
				abandon_session(c, sidbuf, "cancelled by the caller");
			if(!in_fail)
				reply(msg, in_fail, 487, "Request Terminated");
			return;
		}
		if(agent[0] == '\0' && c->pending[0])
			snprintf(agent, sizeof(agent), "%s", c->pending);
		c->pending[0] = '\0';
		snprintf(sidbuf, sizeof(sidbuf), "%s", c->sid);
		if(agent[0] == '\0') {
			if(!sent182) {
				c->state = OS_OPENING;
				unlock_c(c);
				tell_queued(c, msg, in_fail);
				sent182 = 1;
				continue;
			}
			rc = suspend_locked(c, msg);
			unlock_c(c);
			if(rc == 0) {
				os_stat_inc(OS_ST_QUEUED);
				LM_INFO("call %s queued\n", sidbuf);
				return;
			}
			if(rc == 1) {
				/* tm saw the CANCEL first and answers 487; our hook may not have run yet */
				lock_c(c);
				c->cancelled = 1;
				unlock_c(c);
				continue;
			}
			LM_ERR("call %s: cannot suspend the INVITE (%d)\n", sidbuf, rc);
			give_up(c, msg, in_fail, 500, "Cannot Queue Call");
			return;
		}
		c->state = OS_RINGING;
		snprintf(c->agent, sizeof(c->agent), "%s", agent);
		unlock_c(c);
		if((rc = relay_agent(c, msg, agent)) == 0)
			return;
		tries++;
		lock_c(c);
		c->state = OS_OPENING;
		unlock_c(c);
		if(agent_failed(c, msg, in_fail, sidbuf, agent, rc == -2) < 0)
			return;
		agent[0] = '\0';
	}
	LM_WARN("call %s: %d agents in a row could not be reached\n", sidbuf, tries);
	give_up(c, msg, in_fail, 480, "No Agent Reachable");
}

static void divert(os_call_t *c, sip_msg_t *msg, const os_queue_t *q, const os_action_t *a,
		const char *why, int in_fail, int retry_after);

#define OS_EXT_MAX (OMNIQ_ID_MAX * 2 + 48)

/* The call's ext: node/transaction/dialog. The node that holds the call resumes it on an
 * offer (the transaction) and hangs it up when its session is closed elsewhere (the dialog). */
static str call_ext(const os_call_t *c, char *ext)
{
	snprintf(ext, OS_EXT_MAX, "%.*s/%u/%u/%u/%u", os_cfg.node.len, os_cfg.node.s, c->hi,
			c->label, c->dh, c->di);
	return omniq_str(ext);
}

/* Open a session for the call in queue q and settle it. */
static void open_in_queue(os_call_t *c, sip_msg_t *msg, const os_queue_t *q, int in_fail)
{
	char ext[OS_EXT_MAX];
	omniq_session_info_t info;
	str ident, skills, qname, sext;
	int rc;

	sext = call_ext(c, ext);
	ident = omniq_str(c->ident);
	skills = omniq_str(q->skills);
	qname = omniq_str(q->name);
	lock_c(c);
	c->qidx = os_queue_index(q);
	c->deadline_ms = q->max_wait_s ? omniq_wall_ms() + q->max_wait_s * 1000LL : 0;
	c->state = OS_OPENING;
	unlock_c(c);
	rc = os_oq.open_node(&phone, &ident, &skills, q->priority, &qname, &sext, &os_cfg.node, &info);
	if(rc == OMNIQ_EARG && c->ident_uri[0] && strstr(os_oq.last_error(), "identity")) {
		/* no phone number (sip:alice@example.com, a PBX's extension 1001): the caller is
		 * the URI it called from (nothing was written: the identity is checked first) */
		LM_INFO("caller %s is no phone number (%s): queued as %s\n", c->ident,
				os_oq.last_error(), c->ident_uri);
		lock_c(c);
		memcpy(c->ident, c->ident_uri, sizeof(c->ident));
		c->ident_uri[0] = '\0';
		unlock_c(c);
		ident = omniq_str(c->ident);
		rc = os_oq.open_node(&phone, &ident, &skills, q->priority, &qname, &sext, &os_cfg.node, &info);
	}
	if(rc == OMNIQ_ECLOSED) {
		/* outside the queue's hours: nothing was written; where the queue sends it now */
		const char *in = strstr(os_oq.last_error(), "(in ");
		int secs = -1;

		if(in == NULL || sscanf(in, "(in %d s)", &secs) != 1 || secs < 0)
			secs = -1;
		os_stat_inc(OS_ST_CLOSED);
		LM_INFO("call of %s: %s\n", c->ident, os_oq.last_error());
		divert(c, msg, q, &q->closed, "outside the hours", in_fail, secs);
		return;
	}
	if(rc < 0) {
		end_call(c);
		if(rc == OMNIQ_EARG) {
			LM_NOTICE("call refused: %s\n", os_oq.last_error());
			os_stat_inc(OS_ST_REFUSED);
			reply(msg, in_fail, 400, strstr(os_oq.last_error(), "identity")
											  ? "Bad Caller Number"
											  : "Bad Queue Settings");
		} else {
			LM_ERR("call not queued: %s\n", os_oq.last_error());
			reply(msg, in_fail, rc == OMNIQ_EREDIS ? 503 : 500,
					rc == OMNIQ_EREDIS ? "Queue Unavailable" : "Queue Failure");
		}
		return;
	}
	lock_c(c);
	set_sid(c, info.sid);
	c->position = info.position;
	if(c->media) {
		str ns = omniq_str(info.sid);
		os_media.rebind(c->media, &ns, info.position, info.est_wait_s);
	}
	unlock_c(c);
	if(c->hops == 0)
		os_stat_inc(OS_ST_CALLS);
	LM_INFO("call %s for %s in queue %s: %s %s\n", info.sid, c->ident, q->name, info.state,
			info.agent);
	settle(c, msg, strcmp(info.state, "offered") == 0 ? info.agent : NULL, in_fail);
}

/*
 * The call completes a REFER of agent `from` (xfer.h): session sidbuf moves to it, offered to
 * the target agent (q NULL: name is an agent id) or queued in q, and it is settled as a new
 * call is. Or, with token (sidbuf and from NULL), a REFER another node noted: the session
 * Redis keeps under the token moves (api.transfer_token); when none waits there (its wait
 * over, a token made up), the call is a call as any other. A move refused leaves the session with its agent and answers the INVITE with
 * why (the caller's UA tells the agent's phone in its NOTIFY: a phone that has not hung up
 * keeps the call).
 */
static void move_in(os_call_t *c, sip_msg_t *msg, const os_queue_t *q, const str *name,
		const char *sidbuf, const char *from, const char *token)
{
	static str kq = str_init("queue"), ka = str_init("agent");
	char ext[OS_EXT_MAX];
	omniq_session_info_t info;
	str sid = STR_NULL, agent = STR_NULL, sext, target, tok;
	int rc, code;
	char *text;

	if(token == NULL) {
		sid = omniq_str(sidbuf);
		agent = omniq_str(from);
	}

	sext = call_ext(c, ext);
	target = q ? omniq_str(q->name) : *name;
	lock_c(c);
	c->qidx = q ? os_queue_index(q) : -1;
	c->deadline_ms = q && q->max_wait_s ? omniq_wall_ms() + q->max_wait_s * 1000LL : 0;
	c->state = OS_OPENING;
	if(token == NULL)
		set_sid(c, sidbuf); /* a CANCEL from now on abandons it */
	unlock_c(c);
	if(token) {
		tok = omniq_str(token);
		rc = os_oq.transfer_token(&tok, q ? &kq : &ka, &target, &sext, &os_cfg.node, &info);
		if(rc == OMNIQ_ENOTFOUND) {
			LM_INFO("INVITE of %s for %.*s: its transfer token is known to no node (%s): a "
					"call as any other\n",
					c->ident, target.len, target.s, os_oq.last_error());
			if(q) {
				open_in_queue(c, msg, q, 0);
				return;
			}
			end_call(c);
			os_stat_inc(OS_ST_REFUSED);
			reply(msg, 0, 404, "Unknown Queue");
			return;
		}
		if(rc == OMNIQ_OK) {
			lock_c(c);
			set_sid(c, info.sid);
			unlock_c(c);
			sidbuf = info.sid;
			from = "a REFER of another node";
		}
	} else
		rc = os_oq.transfer_call(&sid, &agent, q ? &kq : &ka, &target, &sext, &os_cfg.node,
				&info);
	if(rc < 0) {
		if(token == NULL)
			os_xfer_untake(sidbuf);
		lock_c(c);
		set_sid(c, ""); /* not the call's: its CANCEL or end must not touch it */
		unlock_c(c);
		end_call(c);
		os_stat_inc(OS_ST_TRANSFER_FAILED);
		switch(rc) {
			case OMNIQ_ECAPACITY: code = 486; text = "Busy Here"; break;
			case OMNIQ_ENOTFOUND: code = 404; text = "Not Found"; break;
			case OMNIQ_EREDIS: code = 503; text = "Queue Unavailable"; break;
			case OMNIQ_ESTATE: case OMNIQ_EAGENT: code = 481; text = "Call Does Not Exist"; break;
			default: code = 500; text = "Transfer Failed";
		}
		LM_NOTICE("call %s: the transfer by %s to %.*s was refused (%s): %d %s\n",
				token ? "of another node" : sidbuf, token ? "a REFER" : from, target.len,
				target.s, os_oq.last_error(), code, text);
		reply(msg, 0, code, text);
		return;
	}
	os_stat_inc(OS_ST_TRANSFERRED);
	LM_INFO("call %s of %s transferred by %s to %s %.*s: %s %s\n", info.sid, c->ident, from,
			q ? "queue" : "agent", target.len, target.s, info.state, info.agent);
	if(token == NULL)
		os_xfer_moved(sidbuf); /* omniq REFERred (a desk's transfer): the first call ends */
	settle(c, msg, strcmp(info.state, "offered") == 0 ? info.agent : NULL, 0);
}

/* ---- tm and dialog hooks ---- */

static void on_cancel(os_call_t *c)
{
	char sidbuf[OMNIQ_SID_MAX];
	os_state_t st;

	lock_c(c);
	c->cancelled = 1;
	st = c->state;
	if(st == OS_SAYING) {
		/* tm answers the suspended INVITE 487 itself */
		c->state = OS_ENDED;
		stop_media_locked(c);
	}
	snprintf(sidbuf, sizeof(sidbuf), "%s", c->sid);
	/* while OPENING the process in Redis abandons it when it is done (settle) */
	if(st == OS_ANSWERED || st == OS_ENDED || st == OS_OPENING || sidbuf[0] == '\0') {
		unlock_c(c);
		return;
	}
	c->abandoned = 1;
	stop_media_locked(c);
	unlock_c(c);
	/* a caller who asked to be called back left as agreed: no abandon */
	if(abandon_session(c, sidbuf, "cancelled by the caller") <= 0)
		os_stat_inc(OS_ST_ABANDONED);
}

/* The final answer of a call that was SAYING (its message said, or out of time): with its
 * Retry-After. From the resumed transaction or its failure handling (in_fail). */
static void final_after_saying(os_call_t *c, sip_msg_t *msg)
{
	char hdr[48];
	int code, retry;
	const char *text;

	lock_c(c);
	c->state = OS_ENDED;
	stop_media_locked(c);
	code = c->final_code;
	text = c->final_text;
	retry = c->retry_after;
	unlock_c(c);
	if(retry >= 0) {
		snprintf(hdr, sizeof(hdr), "Retry-After: %d\r\n", retry);
		if(add_lump_rpl(msg, hdr, strlen(hdr), LUMP_RPL_HDR) == 0)
			LM_ERR("no memory for the Retry-After of a reply\n");
	}
	reply(msg, 1, code, (char *)text);
}

/* The longest message said before an answer: then the answer comes anyway. */
#define OS_SAY_MAX_MS 60000

/* A message (omniq_media's prompt `what`, e.g. closed) before the final answer a gives,
 * when the INVITE offers media and omniq_media has that prompt: 183 with its SDP, the
 * transaction suspended until it is said. 1 when it is under way; 0 when the answer is to
 * be sent as it is (no omniq_media, no offer, no such prompt, no port). */
static int say_then_reply(os_call_t *c, sip_msg_t *msg, const char *what, const os_action_t *a,
		int retry_after)
{
	char sdp[OMNIQ_MEDIA_SDP_MAX], why[OMNIQ_MEDIA_WHY_MAX];
	omniq_media_call_t mc;
	unsigned int handle, hi, label;
	int rc;

	if(!media_call(c, msg, &mc))
		return 0;
	mc.only = what;
	if((rc = os_media.start(&mc, sdp, sizeof(sdp), &handle, why, sizeof(why))) != 0) {
		LM_INFO("call of %s: %s not said (%d %s)\n", c->ident, what, rc, why);
		return 0;
	}
	reply_more(msg, 183, "Session Progress", NULL, sdp);
	lock_c(c);
	c->media = handle;
	c->final_code = a->code;
	c->final_text = a->text;
	c->retry_after = retry_after;
	os_tmb.set_fr(msg, 0, OS_SAY_MAX_MS);
	rc = os_tmb.t_suspend(msg, &hi, &label);
	if(rc == 0)
		c->state = OS_SAYING;
	else
		stop_media_locked(c);
	unlock_c(c);
	if(rc != 0) {
		LM_ERR("call of %s: cannot suspend the INVITE for its message (%d)\n", c->ident, rc);
		return 0;
	}
	LM_INFO("call of %s: saying %s, then %d %s\n", c->ident, what, a->code, a->text);
	return 1;
}

/* The call leaves queue q as action a says (its overflow, or where it goes while q is
 * closed; why: which, for the log): another queue, a URI, or a final reply - with a
 * Retry-After of retry_after seconds when that is known (>= 0). */
static void divert(os_call_t *c, sip_msg_t *msg, const os_queue_t *q, const os_action_t *a,
		const char *why, int in_fail, int retry_after)
{
	const os_queue_t *next;
	char hdr[48];
	str uri;

	switch(a->kind) {
		case OS_OVF_QUEUE:
			next = os_queue_find(a->target, strlen(a->target));
			if(next && ++c->hops <= os_cfg.max_hops) {
				LM_INFO("call of %s: %s of queue %s, moving to queue %s\n", c->ident, why,
						q->name, next->name);
				open_in_queue(c, msg, next, in_fail);
				return;
			}
			LM_NOTICE("call of %s: %s of queue %s: the hop limit is reached\n", c->ident, why,
					q->name);
			end_call(c);
			reply(msg, in_fail, 480, "No Agent Available");
			return;
		case OS_OVF_URI:
			LM_INFO("call of %s: %s of queue %s, relaying to %s\n", c->ident, why, q->name,
					a->target);
			end_call(c);
			uri = omniq_str(a->target);
			clear_branches();
			if(rewrite_uri(msg, &uri) < 0 || os_tmb.t_relay(msg, NULL, NULL) < 0)
				reply(msg, in_fail, 500, "Overflow Failed");
			return;
		case OS_OVF_REPLY:
		default:
			if(a == &q->closed && !in_fail && say_then_reply(c, msg, "closed", a, retry_after))
				return;
			LM_INFO("call of %s: %s of queue %s, answering %d\n", c->ident, why, q->name,
					a->code);
			end_call(c);
			if(retry_after >= 0) {
				snprintf(hdr, sizeof(hdr), "Retry-After: %d\r\n", retry_after);
				if(add_lump_rpl(msg, hdr, strlen(hdr), LUMP_RPL_HDR) == 0)
					LM_ERR("no memory for the Retry-After of a reply\n");
			}
			reply(msg, in_fail, a->code, (char *)a->text);
			return;
	}
}

/* Max wait passed: expire the session, then the queue's overflow (a call moved to an agent
 * has no max wait: move_in). */
static void overflow(os_call_t *c, sip_msg_t *msg)
{
	const os_queue_t *q = os_queue_at(c->qidx);
	char sidbuf[OMNIQ_SID_MAX];
	str sid;
	int rc;


	snprintf(sidbuf, sizeof(sidbuf), "%s", c->sid);
	sid = omniq_str(sidbuf);
	rc = os_oq.expire(&sid);
	if(rc == OMNIQ_ESTATE) {
		/* offered in the meantime: that offer wins over the overflow */
		settle(c, msg, NULL, 1);
		return;
	}
	if(rc < 0) {
		LM_ERR("call %s: %s\n", sidbuf, os_oq.last_error());
		give_up(c, msg, 1, 503, "Queue Unavailable");
		return;
	}
	os_stat_inc(OS_ST_OVERFLOWED);
	divert(c, msg, q, &q->ovf, "max wait", 1, -1);
}

static void on_failure(os_call_t *c, struct cell *t, sip_msg_t *msg, int code)
{
	char agent[OMNIQ_ID_MAX + 1], sidbuf[OMNIQ_SID_MAX];
	os_state_t st;

	lock_c(c);
	st = c->state;
	if(c->cancelled || st == OS_ANSWERED || st == OS_ENDED || st == OS_OPENING) {
		unlock_c(c);
		return;
	}
	snprintf(agent, sizeof(agent), "%s", c->agent);
	snprintf(sidbuf, sizeof(sidbuf), "%s", c->sid);
	c->state = OS_OPENING;
	unlock_c(c);

	if(st == OS_WAITING || st == OS_CONTINUING || st == OS_SAYING) {
		/* the blind branch of t_suspend timed out; tm clears the flag only for a cfg
		 * failure_route, and a transaction flagged suspended drops the agents' replies */
		t->flags &= ~T_ASYNC_SUSPENDED;
	}
	if(st == OS_SAYING || (st == OS_CONTINUING && c->media_gone == OMNIQ_MEDIA_END_SAID)) {
		/* the message outlasted its time (or was just said): the answer now */
		lock_c(c);
		c->media_gone = OMNIQ_MEDIA_END_SAID;
		unlock_c(c);
		final_after_saying(c, msg);
		return;
	}
	if(st == OS_WAITING) {
		overflow(c, msg);
		return;
	}
	if(st == OS_CONTINUING) {
		/* the wait timed out just as an offer came: take the offer */
		settle(c, msg, agent, 1);
		return;
	}
	/* RINGING: the agent's phone rejected, timed out or failed */
	LM_INFO("call %s: agent %s did not take the call (%d)\n", sidbuf, agent, code);
	if(agent_failed(c, msg, 1, sidbuf, agent, 0) < 0)
		return;
	settle(c, msg, NULL, 1);
}

static void on_answer(os_call_t *c)
{
	char agent[OMNIQ_ID_MAX + 1], sidbuf[OMNIQ_SID_MAX];
	str sid, ag;
	int rc;

	lock_c(c);
	if(c->state != OS_RINGING) {
		unlock_c(c);
		return;
	}
	c->state = OS_ANSWERED;
	stop_media_locked(c); /* the caller's media goes to the agent now */
	snprintf(agent, sizeof(agent), "%s", c->agent);
	if(c->dref) /* before the ACK: a REFER of the call comes after it */
		snprintf(c->dref->agent, sizeof(c->dref->agent), "%s", c->agent);
	snprintf(sidbuf, sizeof(sidbuf), "%s", c->sid);
	unlock_c(c);
	os_stat_inc(OS_ST_ANSWERED);
	sid = omniq_str(sidbuf);
	ag = omniq_str(agent);
	rc = os_oq.accept(&sid, &ag);
	if(rc == OMNIQ_EREDIS)
		os_pending_add(OS_PEND_ACCEPT, sidbuf, agent); /* not a miss: made when Redis is back */
	else if(rc < 0)
		LM_ERR("call %s answered by %s but the session refused it: %s\n", sidbuf, agent,
				os_oq.last_error());
	else
		LM_INFO("call %s answered by agent %s\n", sidbuf, agent);
}

/* Whether tm finds no branch of t to cancel: a queued call (only the blind branch of its
 * suspension, rings that have ended). tm then answers the INVITE 487 and only after it the
 * CANCEL 200 (t_fwd.c e2e_cancel), where RFC 3261 section 9.2 answers the CANCEL first. */
static int no_branch_to_cancel(struct cell *t)
{
	int b;

	for(b = 0; b < t->nr_of_outgoings; b++)
		if(!((t->uac[b].flags & TM_UAC_FLAG_BLIND) && t->uac[b].request.buffer == NULL)
				&& t->uac[b].last_received < 200)
			return 0;
	return 1;
}

static void on_tm(struct cell *t, int type, struct tmcb_params *ps)
{
	os_call_t *c = (os_call_t *)*ps->param;

	if(c == NULL)
		return;
	switch(type) {
		case TMCB_E2ECANCEL_IN:
			/* the CANCEL's own transaction is the current one: its 200 goes out here, before
			 * tm's 487 for the INVITE (tm's own 200 then finds it answered: an INFO line) */
			if(ps->req && no_branch_to_cancel(t))
				reply(ps->req, 0, 200, "Canceling");
			on_cancel(c);
			break;
		case TMCB_ON_FAILURE:
			on_failure(c, t, ps->req, ps->code);
			break;
		case TMCB_RESPONSE_OUT:
			if(ps->code >= 200 && ps->code < 300)
				on_answer(c);
			break;
		case TMCB_DESTROY:
			lock_c(c);
			stop_media_locked(c);
			unlock_c(c);
			retry_abandon(c);
			unlink_call(c);
			shm_free(c);
			*ps->param = NULL;
			break;
	}
}

/* BYE from either side, or the dialog timed out (a lost BYE): the agent goes to wrap-up. */
static void on_dialog_end(struct dlg_cell *dlg, int type, struct dlg_cb_params *params)
{
	os_dref_t *d = (os_dref_t *)*params->param;
	str sid;
	int rc;

	if(d == NULL || d->sid[0] == '\0')
		return;
	os_stat_inc(OS_ST_ENDED);
	if(os_xfer_ended(d->sid, dlg->h_entry, dlg->h_id)) {
		LM_INFO("call %s ended (%s) after its transfer: the session goes on\n", d->sid,
				type == DLGCB_EXPIRED ? "dialog timeout" : "BYE");
		d->sid[0] = '\0';
		return;
	}
	if(os_pending_behind(OS_PEND_CLOSE, d->sid, NULL)) {
		d->sid[0] = '\0'; /* made after the answer Redis has not taken yet */
		return;
	}
	sid = omniq_str(d->sid);
	rc = os_oq.close(&sid, NULL);
	if(rc == OMNIQ_EREDIS)
		os_pending_add(OS_PEND_CLOSE, d->sid, NULL); /* made when Redis is back: agent freed */
	else if(rc == OMNIQ_ESTATE) /* closed first (a desk, RPC: hangup.c), or a race */
		LM_INFO("call %s ended (%s); its session was closed already\n", d->sid,
				type == DLGCB_EXPIRED ? "dialog timeout" : "BYE");
	else if(rc < 0)
		LM_NOTICE("call %s ended (%s); close: %s\n", d->sid,
				type == DLGCB_EXPIRED ? "dialog timeout" : "BYE", os_oq.last_error());
	else
		LM_INFO("call %s ended (%s)\n", d->sid,
				type == DLGCB_EXPIRED ? "dialog timeout" : "BYE");
	d->sid[0] = '\0';
}

/* A request within an answered call's dialog: a REFER from the agent's phone is a transfer
 * (xfer.h). */
static void on_dialog_request(struct dlg_cell *dlg, int type, struct dlg_cb_params *params)
{
	os_dref_t *d = (os_dref_t *)*params->param;

	if(d == NULL || d->sid[0] == '\0' || d->agent[0] == '\0' || params->req == NULL)
		return;
	os_xfer_request(params->req, params->direction == DLG_DIR_UPSTREAM, d->tenant, d->sid,
			d->agent, d->ident, dlg->h_entry, dlg->h_id);
}

static void free_dref(void *p)
{
	shm_free(p);
}

static int track_dialog(sip_msg_t *msg, os_call_t *c)
{
	struct dlg_cell *dlg;

	if(os_dlg_manage(msg, NULL, NULL) < 0) {
		LM_ERR("dlg_manage failed: is record_route() done before omniq_call()?\n");
		return -1;
	}
	dlg = os_dlgb.get_dlg(msg);
	if(dlg == NULL) {
		LM_ERR("no dialog for the INVITE\n");
		return -1;
	}
	c->dref = shm_malloc(sizeof(os_dref_t));
	if(c->dref == NULL) {
		os_dlgb.release_dlg(dlg);
		SHM_MEM_ERROR;
		return -1;
	}
	memset(c->dref, 0, sizeof(*c->dref));
	c->dh = dlg->h_entry;
	c->di = dlg->h_id;
	if(os_dlgb.register_dlgcb(dlg, DLGCB_TERMINATED | DLGCB_EXPIRED, on_dialog_end, c->dref,
			   free_dref)
			!= 0) {
		shm_free(c->dref);
		c->dref = NULL;
		os_dlgb.release_dlg(dlg);
		LM_ERR("cannot register dialog callbacks\n");
		return -1;
	}
	/* the dref is freed with the first registration's callbacks */
	if(os_dlgb.register_dlgcb(dlg, DLGCB_REQ_WITHIN, on_dialog_request, c->dref, NULL) != 0)
		LM_WARN("cannot register the in-dialog request callback: REFERs of this call will "
				"not move its session\n");
	os_dlgb.release_dlg(dlg);
	return 0;
}

/* ---- the entry point ---- */

/* A dialog's Call-ID and From tag hashed (FNV-1a, 64 bits): what a request of the early
 * dialog a waiting call's 183 made finds the call by. 0 when msg has neither. */
static uint64_t dialog_key(sip_msg_t *msg)
{
	uint64_t h = 1469598103934665603ULL;
	str parts[2];
	int i, k;

	if(parse_headers(msg, HDR_CALLID_F | HDR_FROM_F, 0) < 0 || msg->callid == NULL
			|| parse_from_header(msg) < 0 || get_from(msg)->tag_value.len <= 0)
		return 0;
	parts[0] = msg->callid->body;
	parts[1] = get_from(msg)->tag_value;
	for(i = 0; i < 2; i++) {
		for(k = 0; k < parts[i].len; k++) {
			h ^= (unsigned char)parts[i].s[k];
			h *= 1099511628211ULL;
		}
		h ^= 0xff; /* no Call-ID and tag run into each other the same */
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

int os_call_stream(sip_msg_t *msg, char *sid, unsigned int *handle)
{
	uint64_t k = dialog_key(msg);
	os_call_t *c;
	int b, found = 0;

	if(k == 0)
		return 0;
	for(b = 0; b < OS_BUCKETS && !found; b++) {
		lock_set_get(locks, b);
		for(c = table[b]; c; c = c->next)
			if(c->dkey == k && !c->cancelled
					&& (c->state == OS_WAITING || c->state == OS_RINGING
							|| c->state == OS_CONTINUING || c->state == OS_SAYING)) {
				snprintf(sid, OMNIQ_SID_MAX, "%s", c->sid);
				*handle = c->media_gone ? 0 : c->media;
				found = 1;
				break;
			}
		lock_set_release(locks, b);
	}
	return found;
}

int os_call_start(sip_msg_t *msg, const str *name, const os_queue_t *q, const str *caller)
{
	char ident[OS_IDENT_MAX], uri[OS_IDENT_MAX], why[OMNIQ_MEDIA_WHY_MAX];
	char xsid[OMNIQ_SID_MAX], xagent[OMNIQ_ID_MAX + 1], xtok[OMNIQ_XFER_TOKEN_MAX + 1];
	struct cell *t;
	os_call_t *c;
	str offer;
	int rc, ac, moved = 0;

	if(msg->first_line.type != SIP_REQUEST || msg->REQ_METHOD != METHOD_INVITE) {
		LM_ERR("omniq_call() takes INVITEs only\n");
		return -1;
	}
	rc = os_tmb.t_newtran(msg);
	if(rc == 0)
		return 1; /* retransmission: tm absorbed it */
	if(rc < 0) {
		LM_ERR("cannot create the INVITE transaction (%d)\n", rc);
		return -1;
	}
	if(os_cfg.max_msg_size > 0 && (int)msg->len > os_cfg.max_msg_size) {
		LM_NOTICE("INVITE of %u bytes refused (max_msg_size %d)\n", msg->len,
				os_cfg.max_msg_size);
		os_stat_inc(OS_ST_REFUSED);
		reply(msg, 0, 513, "Message Too Large");
		return -1;
	}
	rc = os_caller_identity(msg, caller, ident, sizeof(ident), uri, sizeof(uri));
	if(rc == OS_CALLER_TOOLONG) {
		os_stat_inc(OS_ST_REFUSED);
		LM_NOTICE("INVITE for %.*s refused: caller number of over %d bytes\n",
				name ? name->len : 0, name ? name->s : "", OMNIQ_IDENTITY_MAX);
		reply(msg, 0, 400, "Bad Caller Number");
		return -1;
	}
	/* the caller's INVITE after a REFER of its call (xfer.h): to a queue or to an agent; of
	 * this node (moved 1), or maybe of another, when it carries a token (moved 2) */
	if(!os_xfer_token_of(msg, xtok))
		xtok[0] = '\0';
	if(rc == OS_CALLER_OK || xtok[0])
		moved = os_xfer_take(msg, rc == OS_CALLER_OK ? ident : "", rc == OS_CALLER_OK ? uri : "",
				name, xtok, xsid, xagent);
	if(!moved && xtok[0])
		moved = 2;
	if(q == NULL && !moved && (ac = os_agent_call(msg, name)) != 0)
		return ac > 0 ? 1 : -1; /* an agent's phone calling a colleague: relayed, or refused */
	if(q == NULL && !moved) {
		LM_NOTICE("INVITE to %.*s refused: no such queue\n", msg->first_line.u.request.uri.len,
				msg->first_line.u.request.uri.s);
		os_stat_inc(OS_ST_REFUSED);
		reply(msg, 0, 404, "Unknown Queue");
		return -1;
	}
	t = os_tmb.t_gett();
	if(t == NULL || t == T_UNDEFINED) {
		LM_ERR("no transaction after t_newtran\n");
		goto untake;
	}
	if(os_media_on && sdp_offer(msg, &offer)
			&& (rc = os_media.check(&offer, why, sizeof(why))) != 0) {
		/* the caller would hear nothing it can play: said before anything is written */
		LM_NOTICE("INVITE for %.*s refused: %d %s\n", name ? name->len : 0,
				name ? name->s : "", rc, why);
		os_stat_inc(OS_ST_REFUSED);
		reply_more(msg, rc, rc == 400 ? "Bad Session Description" : "Not Acceptable Here",
				why, NULL);
		goto untake;
	}
	if(rc != OS_CALLER_OK) {
		/* withheld (anonymous, restricted) or no user at all: a new customer each call,
		 * whom nothing links to another */
		snprintf(ident, sizeof(ident), "sip:anonymous-%llx-%x-%x-%x@anonymous.invalid",
				omniq_wall_ms(), t->hash_index, t->label, kam_rand());
		uri[0] = '\0';
	}
	c = shm_malloc(sizeof(*c));
	if(c == NULL) {
		SHM_MEM_ERROR;
		reply(msg, 0, 500, "Server Out Of Memory");
		goto untake;
	}
	memset(c, 0, sizeof(*c));
	c->hi = t->hash_index;
	c->label = t->label;
	c->dkey = dialog_key(msg);
	c->tenant = os_oq.tenant_index();
	c->state = OS_OPENING;
	snprintf(c->ident, sizeof(c->ident), "%s", ident);
	snprintf(c->ident_uri, sizeof(c->ident_uri), "%s", uri);
	if(track_dialog(msg, c) < 0) {
		shm_free(c);
		reply(msg, 0, 500, "Dialog Tracking Failed");
		goto untake;
	}
	lock_c(c);
	c->next = table[c->hi % OS_BUCKETS];
	table[c->hi % OS_BUCKETS] = c;
	unlock_c(c);
	if(os_tmb.register_tmcb(msg, t,
			   TMCB_E2ECANCEL_IN | TMCB_ON_FAILURE | TMCB_RESPONSE_OUT | TMCB_DESTROY, on_tm,
			   c, NULL)
			<= 0) {
		LM_ERR("cannot register transaction callbacks\n");
		unlink_call(c);
		shm_free(c);
		reply(msg, 0, 500, "Server Error");
		goto untake;
	}
	if(moved == 1)
		move_in(c, msg, q, name, xsid, xagent, NULL);
	else if(moved == 2)
		move_in(c, msg, q, name, NULL, NULL, xtok);
	else
		open_in_queue(c, msg, q, 0);
	return 1;
untake:
	if(moved == 1)
		os_xfer_untake(xsid);
	return -1;
}

/* ---- the dispatcher side ---- */

static int w_resume(sip_msg_t *msg, char *p1, char *p2)
{
	char agent[OMNIQ_ID_MAX + 1];
	os_call_t *c = find_locked(resume_hi, resume_label);

	if(c == NULL)
		return 1;
	if(c->state != OS_CONTINUING) {
		unlock_c(c);
		return 1;
	}
	if(c->media_gone == OMNIQ_MEDIA_END_SAID) {
		unlock_c(c);
		final_after_saying(c, msg);
		return 1;
	}
	if(c->media_gone) {
		/* the caller's media stopped while it waited (the caller is gone), or the caller
		 * pressed the callback key and heard the confirmation: the call ends; a callback's
		 * session keeps its place (abandon answers 1 for it) */
		char sidbuf[OMNIQ_SID_MAX];
		int cb = c->media_gone == OMNIQ_MEDIA_END_CALLBACK;

		c->state = OS_ENDED;
		c->abandoned = 1;
		snprintf(sidbuf, sizeof(sidbuf), "%s", c->sid);
		unlock_c(c);
		if(!cb)
			os_stat_inc(OS_ST_MEDIA_LOST);
		if(abandon_session(c, sidbuf, cb ? "ended after the callback key"
										 : "silent (no media from the caller)")
				<= 0)
			os_stat_inc(OS_ST_ABANDONED);
		if(cb)
			reply(msg, 1, 480, "Will Call You Back");
		else
			reply(msg, 1, 408, "No Media From Caller");
		return 1;
	}
	snprintf(agent, sizeof(agent), "%s", c->agent);
	c->state = OS_OPENING;
	unlock_c(c);
	settle(c, msg, agent, 1);
	return 1;
}

static cmd_export_t resume_cmd = {"omniq_sip:resume", (cmd_function)w_resume, 0, 0, 0, 0};

/* A session's ext, "<node>/<hi>/<label>/<dh>/<di>", when the node is this one: the numbers
 * read (2 from a node before the dialog's were added, 4 now), or -1 (another node's call). */
static int parse_ext(const str *ext, unsigned int *hi, unsigned int *label, unsigned int *dh,
		unsigned int *di)
{
	char buf[300], *p;
	int n;
	if(ext->len <= os_cfg.node.len + 1 || ext->len >= (int)sizeof(buf)
			|| memcmp(ext->s, os_cfg.node.s, os_cfg.node.len) != 0
			|| ext->s[os_cfg.node.len] != '/')
		return -1; /* another node's call */
	memcpy(buf, ext->s, ext->len);
	buf[ext->len] = '\0';
	p = buf + os_cfg.node.len + 1;
	n = sscanf(p, "%u/%u/%u/%u", hi, label, dh, di);
	return n == 2 || n == 4 ? n : -1;
}

/* An offer of a session this node opened for a call it no longer has: the caller is gone
 * (the call ended, its transaction ended or is about to) while the session waited, which
 * happens when the open's reply was lost after Redis wrote it (the caller got 503, the sid
 * never came back), or when every abandon of it failed. Abandoned now, so that no agent is
 * offered a call that does not exist and then counted a miss for it. */
static void ghost_offer(const omniq_event_t *ev)
{
	char sidbuf[OMNIQ_SID_MAX];
	omniq_session_info_t info;
	str sid;

	if(ev->sid.len <= 0 || ev->sid.len >= (int)sizeof(sidbuf))
		return;
	memcpy(sidbuf, ev->sid.s, ev->sid.len);
	sidbuf[ev->sid.len] = '\0';
	sid = omniq_str(sidbuf);
	/* only while that offer stands: an event read late (a busy dispatcher) may be of a
	 * session answered and ended since, or queued again */
	if(os_oq.get(&sid, &info) < 0 || strcmp(info.state, "offered")
			|| (int)strlen(info.agent) != ev->agent.len
			|| memcmp(info.agent, ev->agent.s, ev->agent.len))
		return;
	if(os_oq.abandon(&sid) < 0)
		LM_NOTICE("session %s offered to %.*s is of a call no longer here; abandon: %s\n",
				sidbuf, ev->agent.len, ev->agent.s, os_oq.last_error());
	else
		LM_NOTICE("session %s offered to %.*s is of a call no longer here: abandoned\n",
				sidbuf, ev->agent.len, ev->agent.s);
}

/* An offer of c's session to agent (c locked; unlocked here): a call that waits is resumed
 * towards the agent, one that rings another agent (or is being handled) takes it next. */
static void take_offer(os_call_t *c, unsigned int hi, unsigned int label, const str *sid,
		const str *agent)
{
	switch(c->state) {
		case OS_WAITING:
			c->state = OS_CONTINUING;
			snprintf(c->agent, sizeof(c->agent), "%.*s", agent->len, agent->s);
			unlock_c(c);
			if(resume_action == NULL) {
				resume_action = mk_action(MODULE0_T, 2, MODEXP_ST, &resume_cmd, NUMBER_ST, 0);
				if(resume_action == NULL) {
					LM_ERR("cannot build the resume action\n");
					return;
				}
			}
			resume_hi = hi;
			resume_label = label;
			if(os_tmb.t_continue(hi, label, resume_action) < 0)
				LM_NOTICE("call %.*s: transaction gone before the offer to %.*s\n", sid->len,
						sid->s, agent->len, agent->s);
			return;
		case OS_OPENING:
			/* not the offer to the agent this call just tried: its event, read late (a
			 * phone found unregistered fails at once, before the dispatcher reads the
			 * offer), is stale - the core never offers a session again to an agent that
			 * missed or declined it */
			if(agent->len != (int)strlen(c->agent) || memcmp(agent->s, c->agent, agent->len) != 0)
				snprintf(c->pending, sizeof(c->pending), "%.*s", agent->len, agent->s);
			unlock_c(c);
			return;
		case OS_RINGING:
		case OS_CONTINUING:
			if(agent->len != (int)strlen(c->agent) || memcmp(agent->s, c->agent, agent->len) != 0)
				snprintf(c->pending, sizeof(c->pending), "%.*s", agent->len, agent->s);
			unlock_c(c);
			return;
		default:
			unlock_c(c);
			return;
	}
}

typedef struct os_held {
	unsigned int hi, label;
	char sid[OMNIQ_SID_MAX];
} os_held_t;

/* The calls of bucket b that wait for an offer or ring an agent, of the current tenant, in
 * *out (pkg, to free): their number, or -1 when out of memory. */
static int calls_of_bucket(int b, os_held_t **out)
{
	int tenant = os_oq.tenant_index(), n = 0, i = 0;
	os_call_t *c;

	*out = NULL;
	lock_set_get(locks, b);
	for(c = table[b]; c; c = c->next)
		n++;
	if(n && (*out = pkg_malloc(n * sizeof(**out))) == NULL) {
		lock_set_release(locks, b);
		PKG_MEM_ERROR;
		return -1;
	}
	for(c = table[b]; c && i < n; c = c->next)
		if(c->tenant == tenant && c->sid[0]
				&& (c->state == OS_WAITING || c->state == OS_RINGING
						|| c->state == OS_CONTINUING)) {
			(*out)[i].hi = c->hi;
			(*out)[i].label = c->label;
			snprintf((*out)[i].sid, sizeof((*out)[i].sid), "%s", c->sid);
			i++;
		}
	lock_set_release(locks, b);
	return i;
}

/* One call of resync(): its session re-read, an offer taken as its event would have been. */
static void resync_call(const os_held_t *h)
{
	omniq_session_info_t info;
	str sid = omniq_str(h->sid), agent;
	os_call_t *c;

	if(os_oq.get(&sid, &info) < 0) {
		LM_ERR("call %s: its session cannot be read after events were lost (%s): it waits "
			   "for the next offer it sees or its queue's max wait\n", h->sid,
				os_oq.last_error());
		return;
	}
	if(strcmp(info.state, "offered") || info.agent[0] == '\0')
		return;
	c = find_locked(h->hi, h->label);
	if(c == NULL)
		return; /* ended meanwhile: its transaction's end takes care of its session */
	if(c->state == OS_OPENING || strcmp(c->sid, h->sid)) {
		/* a process talks to Redis for it (a miss): it acts on what Redis answers */
		unlock_c(c);
		return;
	}
	agent = omniq_str(info.agent);
	LM_INFO("call %s: offered to %s while events were lost\n", h->sid, info.agent);
	take_offer(c, h->hi, h->label, &sid, &agent);
}

/* Events of this tenant were lost (the dispatcher fell further behind than the stream keeps
 * them): every call of this node that waits for an offer or rings an agent re-reads its
 * session and takes the offer it may have missed. A call opening, or whose agent just
 * failed, is left to the process that talks to Redis for it. */
static void resync(void)
{
	os_held_t *held;
	int b, n, i;

	for(b = 0; b < OS_BUCKETS; b++) {
		if((n = calls_of_bucket(b, &held)) < 0) {
			LM_ERR("calls of this node not resynchronised after events were lost: out of "
				   "memory\n");
			continue;
		}
		for(i = 0; i < n; i++)
			resync_call(&held[i]);
		if(held)
			pkg_free(held);
	}
}

/* Event "refer" (a transfer from a desk or RPC: OMNIQ_CAP_REFER) of a call of this node:
 * when it is answered by the agent who asks, omniq REFERs the caller (xfer.c). What the
 * call is (its session, agent, caller, tenant) is the dialog's reference (on_dialog_request's
 * param), read under the dialog's lock. */
int os_call_ref(dlg_cell_t *dlg, os_call_ref_t *out)
{
	struct dlg_callback *cb;
	os_dref_t d;

	d.sid[0] = d.agent[0] = '\0';
	os_dlg_lock(dlg);
	for(cb = dlg->cbs.first; cb; cb = cb->next)
		if(cb->callback == on_dialog_request && cb->param) {
			d = *(os_dref_t *)cb->param;
			break;
		}
	os_dlg_unlock(dlg);
	if(d.sid[0] == '\0')
		return 0;
	memcpy(out->sid, d.sid, sizeof(out->sid));
	memcpy(out->agent, d.agent, sizeof(out->agent));
	memcpy(out->ident, d.ident, sizeof(out->ident));
	out->tenant = d.tenant;
	return 1;
}

static void refer_event(const omniq_event_t *ev, int n, unsigned int dh, unsigned int di)
{
	dlg_cell_t *dlg;
	os_call_ref_t d;

	if(n != 4) {
		os_xfer_not_asked(ev, n == 2 ? "the call is not answered"
									 : "a call omniq dialled (click-to-dial) is not transferred");
		return;
	}
	if((dlg = os_dlg_find(dh, di)) == NULL) {
		os_xfer_not_asked(ev, "the call has ended");
		return;
	}
	if(!os_call_ref(dlg, &d) || ev->sid.len != (int)strlen(d.sid)
			|| memcmp(ev->sid.s, d.sid, ev->sid.len) != 0)
		os_xfer_not_asked(ev, "the call has ended");
	else if(ev->agent.len != (int)strlen(d.agent) || memcmp(ev->agent.s, d.agent, ev->agent.len))
		os_xfer_not_asked(ev, "the call is not answered by the agent who asks");
	else
		os_xfer_ask(ev, dlg, d.tenant, d.ident);
	os_dlgb.release_dlg(dlg);
}

void os_call_event(const omniq_event_t *ev, void *param)
{
	unsigned int hi, label, dh, di;
	os_call_t *c;

	if(ev->type.len == 6 && memcmp(ev->type.s, "resync", 6) == 0) {
		resync();
		return;
	}
	if((ev->type.len == 5 && memcmp(ev->type.s, "close", 5) == 0)
			|| (ev->type.len == 6 && memcmp(ev->type.s, "wrapup", 6) == 0)) {
		if(parse_ext(&ev->ext, &hi, &label, &dh, &di) == 4)
			os_hangup(ev, dh, di); /* a live call whose session was closed elsewhere */
		else if(ev->ext.len > os_cfg.node.len + 6
				&& memcmp(ev->ext.s, os_cfg.node.s, os_cfg.node.len) == 0
				&& memcmp(ev->ext.s + os_cfg.node.len, "/dial/", 6) == 0)
			os_dial_closed(ev); /* a dial of this node */
		return;
	}
	if(ev->type.len == 5 && memcmp(ev->type.s, "refer", 5) == 0) {
		int n = parse_ext(&ev->ext, &hi, &label, &dh, &di);
		if(n > 0)
			refer_event(ev, n, dh, di);
		else if(ev->ext.len > os_cfg.node.len
				&& memcmp(ev->ext.s, os_cfg.node.s, os_cfg.node.len) == 0
				&& ev->ext.s[os_cfg.node.len] == '/')
			refer_event(ev, 0, 0, 0); /* a dial of this node */
		return;
	}
	if(ev->type.len != 5 || memcmp(ev->type.s, "offer", 5) != 0 || ev->agent.len <= 0
			|| ev->agent.len > OMNIQ_ID_MAX)
		return;
	if(os_cfg.dial_uri && os_dial_offer(ev))
		return; /* a session with no call of its own: click-to-dial */
	if(parse_ext(&ev->ext, &hi, &label, &dh, &di) < 0)
		return;
	c = find_locked(hi, label);
	if(c == NULL || c->state == OS_ENDED) {
		/* its transaction gone, or about to go with the call ended */
		if(c)
			unlock_c(c);
		ghost_offer(ev);
		return;
	}
	if(c->sid[0] && (ev->sid.len != (int)strlen(c->sid)
							|| memcmp(ev->sid.s, c->sid, ev->sid.len) != 0)) {
		unlock_c(c);
		return; /* an earlier session of this call (before an overflow) */
	}
	take_offer(c, hi, label, &ev->sid, &ev->agent);
}

void os_call_media_end(uint64_t tag, const char *sid, omniq_media_end_t why)
{
	unsigned int hi = (unsigned int)(tag >> 32), label = (unsigned int)tag;
	os_call_t *c = find_locked(hi, label);


	if(c == NULL)
		return;
	c->media = 0; /* ended already */
	if(c->state == OS_SAYING && why == OMNIQ_MEDIA_END_SAID) {
		/* the message is said: the final answer */
	} else if(c->state != OS_WAITING || strcmp(c->sid, sid) != 0) {
		/* ringing an agent, answered or ending: the call's own path ends it */
		unlock_c(c);
		return;
	}
	c->state = OS_CONTINUING;
	c->media_gone = why;
	unlock_c(c);
	if(resume_action == NULL
			&& (resume_action = mk_action(MODULE0_T, 2, MODEXP_ST, &resume_cmd, NUMBER_ST, 0))
					   == NULL) {
		LM_ERR("cannot build the resume action\n");
		return;
	}
	resume_hi = hi;
	resume_label = label;
	if(os_tmb.t_continue(hi, label, resume_action) < 0)
		LM_NOTICE("call %s: transaction gone before its silence was acted on\n", sid);
}
