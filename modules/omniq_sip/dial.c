/*
 * dial.c - click-to-dial (see dial.h): the phone call of a follow-up or a callback.
 *
 * The mechanism is RFC 3725 third-party call control, flow I, from tm's UAC API: this node
 * sends the agent's phone an INVITE without SDP (From shows the customer's number and
 * "follow-up" or "callback"); her phone's 200 carries its offer; the customer is called
 * through `dial_uri` with that offer; the customer's 200 carries the answer, which goes
 * to the agent's phone in the ACK of her 200. From then on each phone talks to the other
 * directly (media never passes here) and this node holds the two dialogs: a BYE from
 * either is answered and relayed to the other, and the session closes as an inbound
 * call's does; a close elsewhere (desk, kamcmd omniq.close, REST) sends BYE to both.
 *
 * Why not REFER (RFC 3515, RFC 5359 click-to-dial): the phone would then call the customer
 * itself, which needs phones that take an out-of-dialog REFER without asking (few do by
 * default), and a second call to tie back to the session; with third-party call control any
 * phone that answers an INVITE without SDP works (RFC 3261 requires it), and the customer's
 * call is this node's own request from the start. The price, RFC 3725 says it: the agent's
 * 200 waits for its ACK while the customer's phone rings, and a phone gives up after 64*T1
 * (32 s) without one - so the customer rings at most `dial_timeout` (at most 30 s), and the
 * agent hears silence meanwhile.
 *
 * Who acts where:
 *   the dispatcher (os_dial_offer)   claims the offer in Redis (one round trip: exactly one
 *                                    node dials), finds the agent's phone in usrloc, sends
 *                                    the INVITE (tm's t_uac works from any process that has
 *                                    the SIP sockets: the dialog module sends its BYEs from
 *                                    its timer and RPC processes the same way)
 *   a SIP worker (tm callbacks)      the agent's answer: accept in Redis (one round trip),
 *                                    INVITE the customer; the customer's answer: ACK the
 *                                    agent; her failure: a miss (one round trip); the
 *                                    customer's: handed to the timer process (below)
 *   a SIP worker (pre-script hook)   BYE from either phone: BYE to the other, the close
 *   the dispatcher (os_dial_closed)  a close made elsewhere: hang up
 *   "omniq_sip pending" (pending.c)  the customer's no_answer and the close (two round
 *                                    trips), what found Redis away, dials up too long
 * One lock guards the table of dials; no I/O is done under it, and a dial's tm dialogs are
 * freed only by whoever takes them out of it under the lock. A tm callback carries the
 * dial's id, not a pointer, so that a dial ended meanwhile is simply not found.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"
#include "core/rand/kam_rand.h"
#include "core/script_cb.h"
#include "core/socket_info.h"
#include "core/timer.h"
#include "core/timer_ticks.h"
#include "modules/tm/h_table.h"
#include "modules/tm/dlg.h"
#include "modules/tm/t_hooks.h"

#include "os.h"
#include "phone.h"
#include "dial.h"
#include "dial_text.h"
#include "pending.h"

#define DIAL_MAX 256
#define DIAL_CALLID "omniq-dial-"
#define DIAL_SDP_MAX 4096
#define DIAL_FR_MS 5000 /* no reply at all within this: the peer is down */

typedef enum {
	D_FREE = 0,
	D_AGENT,    /* the agent's phone rings */
	D_CUSTOMER, /* she answered: the customer's phone rings, her 200 waits for our ACK */
	D_UP        /* both talk */
} dstate_t;

typedef struct os_dial {
	unsigned int id; /* 0: free; else what the tm callbacks carry */
	dstate_t state;
	time_t since; /* when it came to its state */
	int hangup; /* closed elsewhere: a failure now is no miss and no no_answer */
	int tenant;
	char sid[OMNIQ_SID_MAX];
	char agent[OMNIQ_ID_MAX + 1];
	char to[OMNIQ_IDENTITY_MAX + 1];
	char kind[16];
	char fid[24];
	dlg_t *adlg, *cdlg;			   /* the agent's and the customer's dialogs (tm, shm) */
	unsigned int ahi, alabel, chi, clabel; /* their INVITE transactions */
	int offer_len;
	char offer[DIAL_SDP_MAX]; /* the agent phone's SDP offer */
} os_dial_t;

typedef struct dial_table {
	gen_lock_t lock;
	unsigned int next_id;
	os_dial_t d[DIAL_MAX];
} dial_table_t;

static dial_table_t *dt = NULL;

static const str s_invite = str_init("INVITE");
static const str s_ack = str_init("ACK");
static const str s_bye = str_init("BYE");

static void on_agent_reply(struct cell *t, int type, struct tmcb_params *ps);
static void on_customer_reply(struct cell *t, int type, struct tmcb_params *ps);
static int dial_request(sip_msg_t *msg, unsigned int flags, void *param);

/* ---- settings ---- */

int os_dial_init(void)
{
	char why[320];

	if(os_dial_uri_check(os_cfg.dial_uri, why, sizeof(why)) < 0) {
		LM_ERR("modparam dial_uri %s\n", why);
		return -1;
	}
	dt = shm_malloc(sizeof(*dt));
	if(dt == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(dt, 0, sizeof(*dt));
	if(lock_init(&dt->lock) == NULL) {
		LM_ERR("cannot init the lock of the dials\n");
		return -1;
	}
	if(register_script_cb(dial_request, PRE_SCRIPT_CB | REQUEST_CB, 0) < 0) {
		LM_ERR("cannot register the hook of the dials' requests\n");
		return -1;
	}
	return 0;
}

/* ---- the table ---- */

/* A free slot, claimed for sid (with the lock): NULL when all are in use. */
static os_dial_t *dial_new(const char *sid)
{
	int i;

	for(i = 0; i < DIAL_MAX; i++)
		if(dt->d[i].id == 0) {
			os_dial_t *d = &dt->d[i];
			memset(d, 0, sizeof(*d) - sizeof(d->offer));
			if(++dt->next_id == 0)
				dt->next_id = 1;
			d->id = dt->next_id;
			d->since = time(NULL);
			snprintf(d->sid, sizeof(d->sid), "%s", sid);
			return d;
		}
	return NULL;
}

static os_dial_t *dial_by_id(unsigned int id)
{
	int i;

	for(i = 0; i < DIAL_MAX && id; i++)
		if(dt->d[i].id == id)
			return &dt->d[i];
	return NULL;
}

static os_dial_t *dial_by_sid(const str *sid)
{
	int i;

	for(i = 0; i < DIAL_MAX; i++)
		if(dt->d[i].id && (int)strlen(dt->d[i].sid) == sid->len
				&& memcmp(dt->d[i].sid, sid->s, sid->len) == 0)
			return &dt->d[i];
	return NULL;
}

/* The dial with a leg of Call-ID cid; *agent_leg says which. */
static os_dial_t *dial_by_callid(const str *cid, int *agent_leg)
{
	int i;

	for(i = 0; i < DIAL_MAX; i++) {
		os_dial_t *d = &dt->d[i];
		if(d->id == 0)
			continue;
		if(d->adlg && d->adlg->id.call_id.len == cid->len
				&& memcmp(d->adlg->id.call_id.s, cid->s, cid->len) == 0) {
			*agent_leg = 1;
			return d;
		}
		if(d->cdlg && d->cdlg->id.call_id.len == cid->len
				&& memcmp(d->cdlg->id.call_id.s, cid->s, cid->len) == 0) {
			*agent_leg = 0;
			return d;
		}
	}
	return NULL;
}

/* Under the lock: the slot freed; its dialogs are handed back to be freed outside it. */
static void dial_free(os_dial_t *d, dlg_t **a, dlg_t **c)
{
	*a = d->adlg;
	*c = d->cdlg;
	d->adlg = d->cdlg = NULL;
	d->id = 0;
	d->state = D_FREE;
}

static void free_dlgs(dlg_t *a, dlg_t *c)
{
	if(a)
		os_tmb.free_dlg(a);
	if(c)
		os_tmb.free_dlg(c);
}

/* Dial id ended (if it is still there: a hang-up may have ended it first). */
static void dial_end(unsigned int id)
{
	os_dial_t *d;
	dlg_t *x = NULL, *y = NULL;

	lock_get(&dt->lock);
	if((d = dial_by_id(id)) != NULL)
		dial_free(d, &x, &y);
	lock_release(&dt->lock);
	free_dlgs(x, y);
}

/* What a tm callback of dial id needs of it, copied under the lock. */
typedef struct dial_copy {
	char sid[OMNIQ_SID_MAX];
	char agent[OMNIQ_ID_MAX + 1];
	char to[OMNIQ_IDENTITY_MAX + 1];
	char fid[24];
	int hangup, tenant;
	dlg_t *adlg, *cdlg;
} dial_copy_t;

/* Dial id in state st, copied into c and returned with the lock held; NULL (unlocked) when
 * it ended or moved on meanwhile. */
static os_dial_t *dial_take(unsigned int id, dstate_t st, dial_copy_t *c)
{
	os_dial_t *d;

	lock_get(&dt->lock);
	d = dial_by_id(id);
	if(d == NULL || d->state != st) {
		lock_release(&dt->lock);
		return NULL;
	}
	c->hangup = d->hangup;
	c->tenant = d->tenant;
	snprintf(c->sid, sizeof(c->sid), "%s", d->sid);
	snprintf(c->agent, sizeof(c->agent), "%s", d->agent);
	snprintf(c->to, sizeof(c->to), "%s", d->to);
	snprintf(c->fid, sizeof(c->fid), "%s", d->fid);
	c->adlg = d->adlg;
	c->cdlg = d->cdlg;
	return d;
}

/* ---- SIP helpers ---- */

/* This node's address for Contact and From: its first listening socket. */
static int local_hostport(char *out, int size)
{
	struct socket_info *si = get_first_socket();
	int n;

	if(si == NULL)
		return -1;
	n = snprintf(out, size, "%.*s:%d", si->address_str.len, si->address_str.s,
			(int)si->port_no);
	return n > 0 && n < size ? 0 : -1;
}

/* A new dialog of ours: Call-ID "omniq-dial-<id>-<leg>-<random>@<host>", a random tag. */
static dlg_t *new_dlg(unsigned int id, char leg, const char *luri, const char *ruri)
{
	char cid[128], tag[32], host[80];
	str scid, stag, sl, sr;
	dlg_t *dlg = NULL;

	if(local_hostport(host, sizeof(host)) < 0)
		return NULL;
	scid.len = snprintf(cid, sizeof(cid), DIAL_CALLID "%u-%c-%08x%08x@%s", id, leg,
			kam_rand(), kam_rand(), host);
	stag.len = snprintf(tag, sizeof(tag), "%08x%08x", kam_rand(), kam_rand());
	scid.s = cid;
	stag.s = tag;
	sl = omniq_str(luri);
	sr = omniq_str(ruri);
	if(os_tmb.new_dlg_uac(&scid, &stag, 1, &sl, &sr, &dlg) < 0) {
		LM_ERR("cannot create a dialog for %s\n", ruri);
		return NULL;
	}
	return dlg;
}

/* An INVITE on dlg (body NULL: none; extra: more header lines, each ending in CRLF), its
 * transaction's FR-INV timer set to ring_ms (tm
 * gives a local INVITE its global fr_inv_timer: set at once after the send, before any
 * provisional reply can come back and arm it). 0 or -1. */
static int send_invite(dlg_t *dlg, const str *body, const char *extra, int dont_ack,
		transaction_cb *cb, unsigned int id, int ring_ms, unsigned int *hi, unsigned int *label)
{
	char hbuf[768], host[80];
	str hdrs;
	uac_req_t uac_r;
	struct cell *t = NULL, *cur;
	int branch;

	if(local_hostport(host, sizeof(host)) < 0)
		return -1;
	hdrs.len = snprintf(hbuf, sizeof(hbuf),
			"Contact: <sip:omniq@%s>\r\nMax-Forwards: 70\r\n%s%s", host,
			body ? "Content-Type: application/sdp\r\n" : "", extra ? extra : "");
	if(hdrs.len <= 0 || hdrs.len >= (int)sizeof(hbuf))
		return -1;
	hdrs.s = hbuf;
	set_uac_req(&uac_r, (str *)&s_invite, &hdrs, (str *)body, dlg,
			TMCB_LOCAL_COMPLETED | (dont_ack ? TMCB_DONT_ACK : 0), cb,
			(void *)(unsigned long)id);
	if(os_tmb.t_uac_with_ids(&uac_r, hi, label) < 0)
		return -1;
	/* t_lookup_ident makes what it finds the process's current transaction: the one this
	 * process handles (a reply's, in a tm callback) is put back, or tm would unref ours
	 * for it at the end of the reply */
	cur = os_tmb.t_gett();
	branch = os_tmb.t_gett_branch();
	if(os_tmb.t_lookup_ident(&t, *hi, *label) > 0 && t) {
		t->fr_inv_timeout = MS_TO_TICKS(ring_ms);
		/* a phone or a gateway that does not even say 100 Trying is down: known within
		 * DIAL_FR_MS, not tm's fr_timer (30 s, longer than the agent's 200 waits) */
		t->fr_timeout = MS_TO_TICKS(ring_ms < DIAL_FR_MS ? ring_ms : DIAL_FR_MS);
		/* the request's timer was armed with the old value at the send: its expiry moved
		 * too (the retransmission timer sees it at its next turn, T2 = 4 s at most) */
		t->uac[0].request.fr_expire = get_ticks_raw() + t->fr_timeout;
		os_tmb.unref_cell(t);
	}
	os_tmb.t_sett(cur, branch);
	return 0;
}

/* An ACK (with body: an SDP answer) or a BYE within dlg. */
static int send_within(dlg_t *dlg, const str *method, const str *body)
{
	char hbuf[256];
	str hdrs;
	uac_req_t uac_r;

	if(dlg == NULL)
		return -1;
	hdrs.len = snprintf(hbuf, sizeof(hbuf), "Max-Forwards: 70\r\n%s",
			body && body->len ? "Content-Type: application/sdp\r\n" : "");
	hdrs.s = hbuf;
	set_uac_req(&uac_r, (str *)method, &hdrs, body && body->len ? (str *)body : NULL, dlg, 0,
			NULL, NULL);
	return os_tmb.t_request_within(&uac_r);
}

/* The agent's 200 acknowledged with no media, then a BYE: the customer was not reached, or
 * the session was closed while her phone rang back. */
static void agent_leg_end(dlg_t *adlg, const char *offer, int offer_len)
{
	char buf[DIAL_SDP_MAX];
	str body = STR_NULL;
	int n = os_dial_reject_answer(offer, offer_len, buf, sizeof(buf));

	if(n > 0) {
		body.s = buf;
		body.len = n;
	}
	send_within(adlg, &s_ack, &body);
	send_within(adlg, &s_bye, NULL);
}

/* ---- the offer (dispatcher) ---- */

/* The newest of an agent's contacts, copied (os_phone_each). */
typedef struct pick {
	time_t at;
	int found;
	char *uri, *dst;
	int usize, dsize;
	struct socket_info **sock;
} pick_t;

static int keep_newest(ucontact_t *c, void *arg)
{
	pick_t *p = arg;

	if(p->found && c->last_modified <= p->at)
		return 0;
	p->found = 1;
	p->at = c->last_modified;
	snprintf(p->uri, p->usize, "%.*s", c->c.len, c->c.s);
	snprintf(p->dst, p->dsize, "%.*s", c->received.len, c->received.s);
	*p->sock = c->sock;
	return 0;
}

/* agent's newest valid contact: 1, 0 when she has none, -1 on error. */
static int agent_contact(const char *agent, char *uri, int usize, char *dst, int dsize,
		struct socket_info **sock)
{
	pick_t p = {0, 0, uri, dst, usize, dsize, sock};

	if(os_phone_each(agent, keep_newest, &p) < 0)
		return -1;
	return p.found;
}

/* The agent could not be rung or did not answer: as for an inbound call. */
static void agent_unreachable(const char *sid, const char *agent, int nophone)
{
	int rc = os_agent_not_taken(sid, agent, nophone);

	if(rc < 0 && rc != OMNIQ_ESTATE && rc != OMNIQ_EAGENT)
		LM_ERR("dial %s: the agent's failure could not be told (%s): the offer lapses at the "
			   "core's offer_timeout\n",
				sid, os_oq.last_error());
}

int os_dial_offer(const omniq_event_t *ev)
{
	char sid[OMNIQ_SID_MAX], agent[OMNIQ_ID_MAX + 1], to[OMNIQ_IDENTITY_MAX + 1], kind[16],
			fid[24];
	char contact[256], dst[256], luri[160], pai[256], host[80];
	const char *num;
	struct socket_info *sock = NULL;
	os_dial_t *d;
	dlg_t *adlg, *x, *y;
	unsigned int id;
	str s, a;
	int rc;

	if(ev->channel.len != 5 || memcmp(ev->channel.s, "phone", 5) != 0)
		return 0;
	if(ev->ext.len > 0
			&& (ev->ext.len < 6 || memmem(ev->ext.s, ev->ext.len, "/dial/", 6) == NULL))
		return 0; /* an inbound call's */
	if(ev->sid.len <= 0 || ev->sid.len >= (int)sizeof(sid) || ev->agent.len <= 0
			|| ev->agent.len >= (int)sizeof(agent))
		return 1;
	memcpy(sid, ev->sid.s, ev->sid.len);
	sid[ev->sid.len] = '\0';
	memcpy(agent, ev->agent.s, ev->agent.len);
	agent[ev->agent.len] = '\0';
	s = omniq_str(sid);
	a = omniq_str(agent);
	rc = os_oq.dial_claim(&s, &a, &os_cfg.node, to, sizeof(to), kind, sizeof(kind), fid,
			sizeof(fid));
	if(rc == OMNIQ_ESTATE || rc == OMNIQ_ENOTFOUND)
		return 1; /* another node dials it, or the offer stands no more */
	if(rc < 0) {
		LM_ERR("dial %s: the offer to %s could not be claimed (%s): the offer lapses at the "
			   "core's offer_timeout and comes again\n",
				sid, agent, os_oq.last_error());
		return 1;
	}
	if((num = os_dial_number(to)) == NULL) {
		LM_NOTICE("dial %s: %s is no phone number: the agent dials it from the desk\n", sid, to);
		return 1;
	}
	rc = agent_contact(agent, contact, sizeof(contact), dst, sizeof(dst), &sock);
	if(rc <= 0) {
		LM_NOTICE("dial %s: agent %s has no registered phone: no calls for her until one "
				  "registers\n",
				sid, agent);
		agent_unreachable(sid, agent, 1);
		return 1;
	}
	if(local_hostport(host, sizeof(host)) < 0)
		return 1;
	snprintf(luri, sizeof(luri), "sip:%s@%s", num, host);
	/* what her phone shows: tm 5.6 prints no From display name (dlg_add_extra's is kept,
	 * never written), so the caller's name goes in P-Asserted-Identity, which phones show
	 * from a trusted proxy */
	snprintf(pai, sizeof(pai), "P-Asserted-Identity: \"%s %s\" <%s>\r\n", num,
			strcmp(kind, "callback") == 0 ? "callback" : "follow-up", luri);
	lock_get(&dt->lock);
	d = dial_new(sid);
	if(d) {
		id = d->id;
		d->tenant = os_oq.tenant_index();
		d->state = D_AGENT;
		snprintf(d->agent, sizeof(d->agent), "%s", agent);
		snprintf(d->to, sizeof(d->to), "%s", to);
		snprintf(d->kind, sizeof(d->kind), "%s", kind);
		snprintf(d->fid, sizeof(d->fid), "%s", fid);
	}
	lock_release(&dt->lock);
	if(d == NULL) {
		LM_ERR("dial %s: %d dials at once already: this offer lapses at the core's "
			   "offer_timeout\n",
				sid, DIAL_MAX);
		return 1;
	}
	{
		char aor[256];
		snprintf(aor, sizeof(aor), os_cfg.agent_aor, agent);
		adlg = new_dlg(id, 'a', luri, aor);
	}
	if(adlg) {
		str t = omniq_str(contact), du = omniq_str(dst);
		if(os_tmb.set_dlg_target(adlg, &t, dst[0] ? &du : NULL) < 0) {
			os_tmb.free_dlg(adlg);
			adlg = NULL;
		} else
			adlg->send_sock = sock;
	}
	lock_get(&dt->lock);
	d->adlg = adlg;
	lock_release(&dt->lock);
	if(adlg == NULL
			|| send_invite(adlg, NULL, pai, 1, on_agent_reply, id, os_cfg.ring_timeout_ms,
					   &d->ahi, &d->alabel)
					   < 0) {
		LM_ERR("dial %s: the INVITE to agent %s's phone (%s) could not be sent\n", sid, agent,
				contact);
		lock_get(&dt->lock);
		dial_free(d, &x, &y);
		lock_release(&dt->lock);
		free_dlgs(x, y);
		os_stat_inc(OS_ST_DIALS_FAILED);
		agent_unreachable(sid, agent, 0);
		return 1;
	}
	os_stat_inc(OS_ST_DIALS);
	LM_INFO("dial %s (%s %s%s%s): ringing agent %s at %s\n", sid, kind, to, fid[0] ? ", follow-up " : "",
			fid, agent, contact);
	return 1;
}

/* ---- the agent's phone answers (a SIP worker) ---- */

/* The customer was not reached (code: the final response; 0: the INVITE could not be sent):
 * the follow-up's outcome no_answer (tried again after its retry interval while retries are
 * left), and the session closed with disposition no_answer. */
static void not_reached(const char *sid, const char *fid, const char *to, int code, int tenant)
{
	os_stat_inc(OS_ST_DIALS_FAILED);
	LM_NOTICE("dial %s: %s was not reached (%d): no_answer%s%s\n", sid, to, code,
			fid[0] ? " for follow-up " : "", fid);
	/* two round trips (the outcome, the close): made by the timer process, not this
	 * SIP worker, in a second - or when Redis is back */
	os_oq.tenant_use_index(tenant);
	os_pending_defer(OS_PEND_NOANSWER, sid, fid, code);
	os_oq.tenant_use_index(0);
}

/* A local INVITE's final reply: the 2xx's SDP copied into buf. */
static int sdp_of(sip_msg_t *rpl, char *buf, int size)
{
	char *b;
	int len;

	if(rpl == NULL || rpl == FAKED_REPLY || (b = get_body(rpl)) == NULL)
		return 0;
	len = (int)(rpl->buf + rpl->len - b);
	if(len <= 0 || len >= size)
		return len <= 0 ? 0 : -1;
	memcpy(buf, b, len);
	buf[len] = '\0';
	return len;
}

static void on_agent_reply(struct cell *t, int type, struct tmcb_params *ps)
{
	unsigned int id = (unsigned int)(unsigned long)*ps->param;
	char ruri[300] = "", luri[160], host[80], sdp[DIAL_SDP_MAX];
	const char *num;
	os_dial_t *d;
	dlg_t *cdlg = NULL;
	dial_copy_t c;
	int len, rc;
	str s, a, body;

	if(ps->code < 200 || (d = dial_take(id, D_AGENT, &c)) == NULL)
		return;
	if(ps->code >= 300) {
		lock_release(&dt->lock);
		dial_end(id);
		if(c.hangup)
			return;
		LM_INFO("dial %s: agent %s did not answer (%d): a miss, the session goes back to "
				"routing\n",
				c.sid, c.agent, ps->code);
		os_oq.tenant_use_index(c.tenant);
		agent_unreachable(c.sid, c.agent, 0);
		os_oq.tenant_use_index(0);
		return;
	}
	/* 2xx: her phone's offer */
	if(os_tmb.dlg_response_uac(c.adlg, ps->rpl, IS_TARGET_REFRESH) < 0)
		LM_ERR("dial %s: the agent's 200 does not fit her dialog\n", c.sid);
	len = sdp_of(ps->rpl, sdp, sizeof(sdp));
	if(len > 0) {
		memcpy(d->offer, sdp, len);
		d->offer_len = len;
	}
	d->state = D_CUSTOMER;
	d->since = time(NULL);
	lock_release(&dt->lock);
	s = omniq_str(c.sid);
	a = omniq_str(c.agent);
	if(c.hangup || len <= 0) {
		if(len <= 0)
			LM_ERR("dial %s: agent %s's phone answered without an SDP offer (%d): hung up\n",
					c.sid, c.agent, len);
		agent_leg_end(c.adlg, sdp, len > 0 ? len : 0);
		dial_end(id);
		if(!c.hangup) {
			os_oq.tenant_use_index(c.tenant);
			os_oq.miss(&s, &a, 0);
			os_oq.tenant_use_index(0);
		}
		return;
	}
	/* the session is the agent's now, as an inbound call's when her phone answers */
	os_stat_inc(OS_ST_ANSWERED);
	os_oq.tenant_use_index(c.tenant);
	rc = os_oq.accept(&s, &a);
	os_oq.tenant_use_index(0);
	if(rc == OMNIQ_EREDIS)
		os_pending_add(OS_PEND_ACCEPT, c.sid, c.agent); /* made when Redis is back */
	else if(rc < 0) {
		/* closed or offered elsewhere meanwhile (the core's offer_timeout): no call */
		LM_NOTICE("dial %s: answered by %s but the session refused it (%s): hung up\n",
				c.sid, c.agent, os_oq.last_error());
		agent_leg_end(c.adlg, sdp, len);
		dial_end(id);
		return;
	}
	/* the customer, with her offer */
	num = os_dial_number(c.to);
	if(local_hostport(host, sizeof(host)) == 0 && num) {
		snprintf(luri, sizeof(luri), "sip:omniq@%s", host);
		if(os_dial_uri_expand(os_cfg.dial_uri, num, ruri, sizeof(ruri)) > 0)
			cdlg = new_dlg(id, 'c', luri, ruri);
	}
	body.s = sdp;
	body.len = len;
	lock_get(&dt->lock);
	if((d = dial_by_id(id)) != NULL)
		d->cdlg = cdlg;
	lock_release(&dt->lock);
	if(d == NULL) { /* hung up meanwhile, before the customer's leg was there */
		agent_leg_end(c.adlg, sdp, len);
		if(cdlg)
			os_tmb.free_dlg(cdlg);
		return;
	}
	if(cdlg == NULL
			|| send_invite(cdlg, &body, NULL, 0, on_customer_reply, id,
					   os_cfg.dial_timeout_ms, &d->chi, &d->clabel)
					   < 0) {
		LM_ERR("dial %s: the INVITE to the customer %s (%s) could not be sent\n", c.sid, c.to,
				cdlg ? ruri : "no URI");
		agent_leg_end(c.adlg, sdp, len);
		dial_end(id);
		not_reached(c.sid, c.fid, c.to, 0, c.tenant);
		return;
	}
	LM_INFO("dial %s: agent %s answered; calling %s at %s\n", c.sid, c.agent, c.to, ruri);
}

/* ---- the customer's phone answers (a SIP worker) ---- */

static void on_customer_reply(struct cell *t, int type, struct tmcb_params *ps)
{
	unsigned int id = (unsigned int)(unsigned long)*ps->param;
	char offer[DIAL_SDP_MAX], sdp[DIAL_SDP_MAX];
	os_dial_t *d;
	dial_copy_t c;
	int len, olen;
	str body;

	if(ps->code < 200 || (d = dial_take(id, D_CUSTOMER, &c)) == NULL)
		return;
	olen = d->offer_len;
	memcpy(offer, d->offer, olen);
	if(ps->code >= 300) {
		lock_release(&dt->lock);
		if(!(t->uac[0].request.flags & F_RB_REPLIED) && !c.hangup)
			LM_WARN("dial %s: the gateway of dial_uri sent nothing in %d ms (%d): is it down?\n",
					c.sid, DIAL_FR_MS, ps->code);
		agent_leg_end(c.adlg, offer, olen);
		dial_end(id);
		if(!c.hangup)
			not_reached(c.sid, c.fid, c.to, ps->code, c.tenant);
		return;
	}
	if(os_tmb.dlg_response_uac(c.cdlg, ps->rpl, IS_TARGET_REFRESH) < 0)
		LM_ERR("dial %s: the customer's 200 does not fit the dialog\n", c.sid);
	/* still D_CUSTOMER while her ACK goes out: in that state nothing else frees the
	 * dialogs (a close or a BYE meanwhile only marks it hung up), so they are safe to use
	 * outside the lock; it is looked at again after */
	lock_release(&dt->lock);
	len = sdp_of(ps->rpl, sdp, sizeof(sdp));
	body.s = sdp;
	body.len = len > 0 ? len : 0;
	if(len <= 0 || send_within(c.adlg, &s_ack, &body) < 0) {
		LM_ERR("dial %s: the customer's answer could not be passed to agent %s (%d): hung "
			   "up\n",
				c.sid, c.agent, len);
		if(len <= 0)
			agent_leg_end(c.adlg, offer, olen);
		c.hangup = 1;
	}
	lock_get(&dt->lock);
	if((d = dial_by_id(id)) != NULL && !c.hangup && !d->hangup) {
		d->state = D_UP;
		d->since = time(NULL);
		d = NULL;
	} else if(d)
		dial_free(d, &c.adlg, &c.cdlg);
	lock_release(&dt->lock);
	if(d) {
		/* closed while the customer's phone rang or answered, or broken: both legs end */
		if(len > 0)
			send_within(c.adlg, &s_bye, NULL);
		send_within(c.cdlg, &s_bye, NULL);
		free_dlgs(c.adlg, c.cdlg);
		return;
	}
	os_stat_inc(OS_ST_DIALS_ANSWERED);
	LM_INFO("dial %s: %s answered: talking with agent %s\n", c.sid, c.to, c.agent);
}

/* ---- requests within a dial's dialogs (a SIP worker, before the script) ---- */

/* A reply through a transaction of its own (a retransmitted BYE gets the same 200). The
 * script does not run for this request, nor the post-script callbacks that would release
 * the transaction for it (tm's w_t_unref): released here. */
static void reply_to(sip_msg_t *msg, int code, char *reason)
{
	if(os_tmb.t_newtran(msg) > 0)
		os_tmb.t_reply(msg, code, reason);
	os_tmb.t_unref(msg); /* also the transaction a retransmission found (t_newtran 0) */
}

static int dial_request(sip_msg_t *msg, unsigned int flags, void *param)
{
	char sid[OMNIQ_SID_MAX];
	os_dial_t *d;
	dlg_t *other, *x, *y;
	int agent_leg = 0, tenant, rc;
	str s;

	if(msg->first_line.type != SIP_REQUEST
			|| parse_headers(msg, HDR_CALLID_F | HDR_TO_F | HDR_CSEQ_F, 0) < 0
			|| msg->callid == NULL
			|| msg->callid->body.len < (int)sizeof(DIAL_CALLID) - 1
			|| memcmp(msg->callid->body.s, DIAL_CALLID, sizeof(DIAL_CALLID) - 1) != 0)
		return 1;
	if(msg->REQ_METHOD == METHOD_ACK)
		return 0; /* of a re-INVITE refused below: nothing to do */
	lock_get(&dt->lock);
	d = dial_by_callid(&msg->callid->body, &agent_leg);
	if(d == NULL || msg->REQ_METHOD != METHOD_BYE) {
		lock_release(&dt->lock);
		if(d == NULL)
			reply_to(msg, 481, "Call/Transaction Does Not Exist");
		else if(msg->REQ_METHOD == METHOD_INVITE)
			reply_to(msg, 488, "Not Acceptable Here");
		else
			reply_to(msg, 501, "Not Implemented");
		return 0;
	}
	/* a BYE: the other leg ends too, and the session */
	tenant = d->tenant;
	snprintf(sid, sizeof(sid), "%s", d->sid);
	if(d->state == D_CUSTOMER) {
		/* she hung up while the customer's phone rang (her 200 timed out unacknowledged),
		 * or the customer as soon as they answered: the customer's INVITE is cancelled (if
		 * it still rings), and its final answer's callback ends both legs */
		unsigned int hi = d->chi, label = d->clabel;
		d->hangup = 1;
		lock_release(&dt->lock);
		reply_to(msg, 200, "OK");
		os_tmb.t_cancel_uac(NULL, NULL, hi, label, NULL, NULL);
	} else {
		int up = d->state == D_UP;
		dial_free(d, &x, &y);
		lock_release(&dt->lock);
		reply_to(msg, 200, "OK");
		other = agent_leg ? y : x;
		if(up && other)
			send_within(other, &s_bye, NULL);
		free_dlgs(x, y);
	}
	os_stat_inc(OS_ST_ENDED);
	if(os_pending_behind(OS_PEND_CLOSE, sid, NULL))
		return 0;
	s = omniq_str(sid);
	os_oq.tenant_use_index(tenant);
	rc = os_oq.close(&s, NULL);
	os_oq.tenant_use_index(0);
	if(rc == OMNIQ_EREDIS)
		os_pending_add(OS_PEND_CLOSE, sid, NULL);
	else if(rc < 0 && rc != OMNIQ_ESTATE)
		LM_NOTICE("dial %s ended (BYE from the %s); close: %s\n", sid,
				agent_leg ? "agent" : "customer", os_oq.last_error());
	else
		LM_INFO("dial %s ended (BYE from the %s)\n", sid, agent_leg ? "agent" : "customer");
	return 0;
}

/* ---- closed elsewhere (dispatcher) ---- */

void os_dial_closed(const omniq_event_t *ev)
{
	os_dial_t *d;
	dlg_t *x = NULL, *y = NULL;
	dstate_t st;
	unsigned int ahi, alabel, chi, clabel;
	int talking;

	lock_get(&dt->lock);
	d = dial_by_sid(&ev->sid);
	if(d == NULL || d->hangup) {
		lock_release(&dt->lock);
		return;
	}
	d->hangup = 1;
	st = d->state;
	ahi = d->ahi;
	alabel = d->alabel;
	chi = d->chi;
	clabel = d->clabel;
	talking = st == D_UP;
	if(talking) /* taken now: a BYE handled meanwhile finds it gone */
		dial_free(d, &x, &y);
	lock_release(&dt->lock);
	if(st == D_AGENT)
		os_tmb.t_cancel_uac(NULL, NULL, ahi, alabel, NULL, NULL); /* its 487 frees it */
	else if(st == D_CUSTOMER)
		os_tmb.t_cancel_uac(NULL, NULL, chi, clabel, NULL, NULL); /* its 487 ends her leg */
	else {
		send_within(x, &s_bye, NULL);
		send_within(y, &s_bye, NULL);
		free_dlgs(x, y);
	}
	os_stat_inc(OS_ST_HUNG_UP);
	LM_INFO("dial %.*s: its session was closed (%.*s): hung up\n", ev->sid.len, ev->sid.s,
			ev->type.len, ev->type.s);
}

/* ---- the dials' own timer (the process "omniq_sip pending", each second) ---- */

void os_dial_tick(void)
{
	time_t now = time(NULL);
	/* ringing: tm's timers end it long before; this only frees a slot a lost callback left */
	int ring_s = (os_cfg.ring_timeout_ms + os_cfg.dial_timeout_ms) / 1000 + 60;
	char sid[OMNIQ_SID_MAX];
	dlg_t *x, *y;
	char offer[DIAL_SDP_MAX];
	int i, tenant, up, answered, olen = 0;
	str s;

	if(dt == NULL)
		return;
	for(i = 0; i < DIAL_MAX; i++) {
		os_dial_t *d = &dt->d[i];
		lock_get(&dt->lock);
		up = d->state == D_UP;
		if(d->id == 0 || now - d->since < (up ? os_cfg.dial_max_s : ring_s)) {
			lock_release(&dt->lock);
			continue;
		}
		tenant = d->tenant;
		snprintf(sid, sizeof(sid), "%s", d->sid);
		answered = d->state == D_CUSTOMER; /* her session is active */
		if(answered) {
			olen = d->offer_len;
			memcpy(offer, d->offer, olen);
		}
		dial_free(d, &x, &y);
		lock_release(&dt->lock);
		if(up || answered) {
			/* a BYE lost, or a call that never ends: as the dialog timeout of a call */
			if(up)
				LM_NOTICE("dial %s: up for %d s (dial_max_time): hung up\n", sid,
						os_cfg.dial_max_s);
			else
				LM_ERR("dial %s: no final answer from the customer's side in %d s: hung "
					   "up\n",
						sid, ring_s);
			if(up) {
				send_within(x, &s_bye, NULL);
				send_within(y, &s_bye, NULL);
			} else
				agent_leg_end(x, offer, olen); /* the customer's leg never came up */
			os_stat_inc(OS_ST_ENDED);
			s = omniq_str(sid);
			os_oq.tenant_use_index(tenant);
			if(os_oq.close(&s, NULL) == OMNIQ_EREDIS)
				os_pending_add(OS_PEND_CLOSE, sid, NULL);
			os_oq.tenant_use_index(0);
		} else /* the offer lapses at the core's offer_timeout */
			LM_ERR("dial %s: no final answer from the agent's phone in %d s: forgotten\n", sid,
					ring_s);
		free_dlgs(x, y);
	}
}
