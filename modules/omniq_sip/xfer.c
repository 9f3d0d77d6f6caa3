/*
 * xfer.c - see xfer.h.
 */
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"
#include "core/parser/parse_refer_to.h"
#include "core/parser/parse_uri.h"
#include "core/parser/parse_from.h"
#include "core/socket_info.h"
#include "modules/tm/t_hooks.h"

#include "omniq/omniq_clock.h"
#include "os.h"
#include "indialog.h"
#include "pending.h"
#include "xfer.h"
#include "xfer_token.h"

typedef enum { XF_FREE, XF_REFERRED, XF_MOVED } xf_state_t;

typedef struct xf {
	xf_state_t state;
	int ended;           /* the REFERring call ended (REFERRED: close when no INVITE comes) */
	int refused;         /* its INVITE came and the move was refused: the call stays */
	int asked;           /* omniq REFERred the caller itself (a desk's transfer): it ends
	                      * the old call once the session has moved (os_xfer_moved) */
	int noted;           /* noted in Redis under token (its Refer-To carries it): the
	                      * caller's INVITE may take it on another node (os_xfer_tick asks) */
	int tenant;
	long long at_ms;     /* the REFER (REFERRED), the move (MOVED and after) */
	unsigned int dh, di; /* the REFERring call's dialog */
	char sid[OMNIQ_SID_MAX];
	char agent[OMNIQ_ID_MAX + 1];
	char ident[OS_IDENT_MAX];
	char target[OMNIQ_ID_MAX + 1];
	char by[OMNIQ_ID_MAX + 1]; /* the user of the REFER's Referred-By (else its From) */
	char token[OS_XFER_TOKEN_LEN + 1];
} xf_t;

typedef struct xfers {
	gen_lock_t lock;
	int referred;       /* entries REFERRED: 0 spares every INVITE the lock (os_xfer_take) */
	unsigned long full; /* REFERs not kept: the table was full */
	xf_t item[OS_XFER_MAX];
} xfers_t;

/* A moved session's old call that has not ended after this long is forgotten (its end then
 * finds no entry and closes nothing it does not hold: see os_xfer_ended). */
#define MOVED_KEEP_MS (3600 * 1000LL)

static xfers_t *xt = NULL;

/* x's state becomes st (the lock held), the count of REFERRED entries kept with it. */
static void set_state(xf_t *x, xf_state_t st)
{
	int d = (st == XF_REFERRED) - (x->state == XF_REFERRED);

	x->state = st;
	if(d)
		__atomic_add_fetch(&xt->referred, d, __ATOMIC_RELEASE);
}

int os_xfer_init(void)
{
	xt = shm_malloc(sizeof(*xt));
	if(xt == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(xt, 0, sizeof(*xt));
	if(lock_init(&xt->lock) == NULL) {
		LM_ERR("cannot init the lock of the transfers\n");
		return -1;
	}
	return 0;
}

/* Whether a URI's headers (RFC 3261 19.1.1: "?h1=v1&h2=v2") hold a Replaces (RFC 3891: an
 * attended transfer). */
static int has_replaces(str h)
{
	char *amp;

	while(h.len >= 9) {
		if(strncasecmp(h.s, "Replaces=", 9) == 0)
			return 1;
		if((amp = memchr(h.s, '&', h.len)) == NULL)
			break;
		h.len -= (int)(amp - h.s) + 1;
		h.s = amp + 1;
	}
	return 0;
}

/* The user part of uri (a Refer-To's, a Referred-By's, a From's) into out: 0, or -1 when it
 * has none or it does not fit. *replaces (may be NULL): has_replaces of its headers. */
static int uri_user(const str *uri, char *out, int size, int *replaces)
{
	struct sip_uri u;

	if(parse_uri(uri->s, uri->len, &u) < 0 || u.user.len <= 0 || u.user.len >= size)
		return -1;
	memcpy(out, u.user.s, u.user.len);
	out[u.user.len] = '\0';
	if(replaces)
		*replaces = has_replaces(u.headers);
	return 0;
}

/* The user of msg's Referred-By (RFC 3892: a name-addr, parsed as a To is) into out: 1, 0
 * when it has none, -1 when it is malformed. */
static int referred_by(sip_msg_t *msg, char *out, int size)
{
	struct hdr_field *h;
	struct to_body tb;
	int rc;

	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return -1;
	for(h = msg->headers; h; h = h->next) {
		if(h->type != HDR_REFERREDBY_T)
			continue;
		memset(&tb, 0, sizeof(tb));
		parse_to(h->body.s, h->body.s + h->body.len + 1, &tb); /* as parse_refer_to_header */
		rc = tb.error == PARSE_OK && uri_user(&tb.uri, out, size, NULL) == 0 ? 1 : -1;
		free_to_params(&tb);
		return rc;
	}
	return 0;
}

/* What the REFER's transaction callback finds its entry by. */
typedef struct refer_ref {
	unsigned int dh, di;
	long long at_ms;
} refer_ref_t;

static void free_ref(void *p)
{
	shm_free(p);
}

/* The entry of REFER r, refused with code: forgotten (the call stays with its agent and
 * nothing is awaited). 1 with a copy of it in *out, or 0 when it is gone already. */
static int drop(const refer_ref_t *r, xf_t *out)
{
	int i, found = 0;
	xf_t *x;

	lock_get(&xt->lock);
	for(i = 0; i < OS_XFER_MAX; i++) {
		x = &xt->item[i];
		if(x->state == XF_REFERRED && x->dh == r->dh && x->di == r->di && x->at_ms == r->at_ms) {
			*out = *x;
			set_state(x, XF_FREE);
			found = 1;
		}
	}
	lock_release(&xt->lock);
	return found;
}

/* The REFER's final answer went back to the agent's phone: refused (the caller's UA does
 * not transfer, or was not reached), the call stays with its agent and nothing is awaited. */
static void on_refer_reply(struct cell *t, int type, struct tmcb_params *ps)
{
	refer_ref_t *r = (refer_ref_t *)*ps->param;
	xf_t x;

	if(r == NULL || ps->code < 300 || !drop(r, &x))
		return;
	LM_INFO("call %s: the caller's phone answered the transfer to %s with %d: the call stays "
			"with %s\n",
			x.sid, x.target, ps->code, x.agent);
}

/* A REFER of call dh/di kept for the caller's INVITE (the lock not held), under token
 * (xfer_token.h; "" for none): its time, or -1 when the table is full (logged). */
static long long keep(int tenant, const char *sid, const char *agent, const char *ident,
		const char *target, const char *by, unsigned int dh, unsigned int di, int asked,
		const char *token)
{
	int i, slot = -1;
	long long at;
	xf_t *x;

	lock_get(&xt->lock);
	for(i = 0; i < OS_XFER_MAX; i++) {
		x = &xt->item[i];
		if(x->state == XF_REFERRED && x->dh == dh && x->di == di) {
			slot = i; /* a second REFER of the same call: the newest target counts */
			break;
		}
		if(x->state == XF_FREE && slot < 0)
			slot = i;
	}
	if(slot < 0) {
		xt->full++;
		lock_release(&xt->lock);
		LM_WARN("call %s: %d transfers wait already: this one to %s is not followed (its "
				"INVITE opens a session of its own)\n",
				sid, OS_XFER_MAX, target);
		return -1;
	}
	x = &xt->item[slot];
	set_state(x, XF_FREE);
	memset(x, 0, sizeof(*x));
	set_state(x, XF_REFERRED);
	x->tenant = tenant;
	x->at_ms = at = omniq_mono_ms();
	x->dh = dh;
	x->di = di;
	snprintf(x->sid, sizeof(x->sid), "%s", sid);
	snprintf(x->agent, sizeof(x->agent), "%s", agent);
	snprintf(x->ident, sizeof(x->ident), "%s", ident);
	snprintf(x->target, sizeof(x->target), "%s", target);
	snprintf(x->by, sizeof(x->by), "%s", by);
	snprintf(x->token, sizeof(x->token), "%s", token);
	x->asked = asked;
	lock_release(&xt->lock);
	return at;
}

/* The kept REFER of token (at: its time) is noted in Redis for every node (api.xfer_note):
 * its entry polled from then on (os_xfer_tick). A failure leaves the transfer to this
 * node's INVITEs (logged). One round trip. */
static void note(int tenant, const char *sid, const char *agent, const char *target,
		const char *token, long long at)
{
	str t = omniq_str(token), s = omniq_str(sid), a = omniq_str(agent), g = omniq_str(target);
	int i, rc, prev = os_oq.tenant_index();

	os_oq.tenant_use_index(tenant);
	rc = os_oq.xfer_note(&t, &s, &a, &g, os_cfg.transfer_wait_ms);
	os_oq.tenant_use_index(prev);
	if(rc < 0) {
		LM_NOTICE("call %s: its transfer to %s is followed on this node only (%s)\n", sid,
				target, os_oq.last_error());
		return;
	}
	lock_get(&xt->lock);
	for(i = 0; i < OS_XFER_MAX; i++)
		if(xt->item[i].state == XF_REFERRED && xt->item[i].at_ms == at
				&& strcmp(xt->item[i].token, token) == 0)
			xt->item[i].noted = 1;
	lock_release(&xt->lock);
}

void os_xfer_request(sip_msg_t *req, int from_callee, int tenant, const char *sid,
		const char *agent, const char *ident, unsigned int dh, unsigned int di)
{
	char target[OMNIQ_ID_MAX + 1], by[OMNIQ_ID_MAX + 1], token[OS_XFER_TOKEN_LEN + 1];
	int replaces = 0;
	refer_ref_t *ref;
	long long at;

	if(req == NULL || req->first_line.type != SIP_REQUEST || req->REQ_METHOD != METHOD_REFER)
		return;
	if(!from_callee) {
		LM_INFO("call %s: the caller sent a REFER: relayed, the session stays with %s\n", sid,
				agent);
		return;
	}
	if(parse_refer_to_header(req) != 0 || req->refer_to == NULL
			|| uri_user(&get_refer_to(req)->uri, target, sizeof(target), &replaces) < 0) {
		LM_NOTICE("call %s: a REFER from agent %s without a usable Refer-To: relayed, the "
				  "session stays\n",
				sid, agent);
		return;
	}
	if(referred_by(req, by, sizeof(by)) <= 0) {
		/* the transferee makes one from the REFER's From (RFC 3892 section 3) */
		if(parse_from_header(req) < 0
				|| uri_user(&get_from(req)->uri, by, sizeof(by), NULL) < 0)
			by[0] = '\0';
	}
	if(os_xfer_token_new(token) < 0)
		token[0] = '\0';
	if((at = keep(tenant, sid, agent, ident, target, by, dh, di, 0, token)) < 0)
		return;
	/* the caller's INVITE may reach another node: the Refer-To carries the token there */
	if(token[0] && os_xfer_token_put(req, &get_refer_to(req)->uri, token) == 0)
		note(tenant, sid, agent, target, token, at);
	else
		LM_DBG("call %s: the Refer-To cannot carry a token: followed on this node only\n",
				sid);
	/* attended (RFC 5589 section 7: a Replaces naming her call with the target): the same
	 * for this node, the caller's INVITE replaces the consultation at the target's phone */
	LM_INFO("call %s: agent %s transfers it to %s (REFER%s): the caller's INVITE is "
			"awaited\n",
			sid, agent, target, replaces ? " with Replaces, attended" : "");
	/* on the transaction t_relay makes of the REFER next (tm keeps it for the message) */
	if((ref = shm_malloc(sizeof(*ref))) == NULL) {
		SHM_MEM_ERROR;
		return;
	}
	ref->dh = dh;
	ref->di = di;
	ref->at_ms = at;
	if(os_tmb.register_tmcb(req, 0, TMCB_RESPONSE_OUT, on_refer_reply, ref, free_ref) <= 0) {
		shm_free(ref);
		LM_NOTICE("call %s: the REFER's answer will not be watched (a refusal then keeps the "
				  "session waiting for the caller's INVITE for %d ms)\n",
				sid, os_cfg.transfer_wait_ms);
	}
}

int os_xfer_take(sip_msg_t *msg, const char *ident, const char *ident_uri, const str *target,
		const char *token, char *sid, char *agent)
{
	char by[OMNIQ_ID_MAX + 1];
	long long now = omniq_mono_ms(), best_at = -1;
	int i, best = -1, t = os_oq.tenant_index(), has_by;
	xf_t *x;

	/* every INVITE comes here: no REFER waits, nothing parsed and no lock taken */
	if(target == NULL || target->len <= 0 || target->len > OMNIQ_ID_MAX
			|| __atomic_load_n(&xt->referred, __ATOMIC_ACQUIRE) == 0)
		return 0;
	if((has_by = referred_by(msg, by, sizeof(by))) < 0)
		return 0; /* a Referred-By that cannot be read matches no REFER */
	lock_get(&xt->lock);
	for(i = 0; i < OS_XFER_MAX; i++) {
		x = &xt->item[i];
		if(x->state != XF_REFERRED || x->tenant != t || now - x->at_ms > os_cfg.transfer_wait_ms
				|| (int)strlen(x->target) != target->len
				|| memcmp(x->target, target->s, target->len) != 0)
			continue;
		/* its own token, or the same caller (by the same agent's REFER) */
		if(!(token && token[0] && strcmp(x->token, token) == 0)
				&& (!(strcmp(x->ident, ident) == 0
							|| (ident_uri && ident_uri[0] && strcmp(x->ident, ident_uri) == 0))
						|| (has_by && x->by[0] && strcmp(x->by, by) != 0)))
			continue;
		if(x->at_ms > best_at) {
			best = i;
			best_at = x->at_ms;
		}
	}
	if(best >= 0) {
		x = &xt->item[best];
		set_state(x, XF_MOVED);
		x->at_ms = now;
		snprintf(sid, OMNIQ_SID_MAX, "%s", x->sid);
		snprintf(agent, OMNIQ_ID_MAX + 1, "%s", x->agent);
	}
	lock_release(&xt->lock);
	return best >= 0;
}

void os_xfer_untake(const char *sid)
{
	int i;

	lock_get(&xt->lock);
	for(i = 0; i < OS_XFER_MAX; i++)
		if(xt->item[i].state == XF_MOVED && strcmp(xt->item[i].sid, sid) == 0) {
			set_state(&xt->item[i], XF_REFERRED);
			xt->item[i].refused = 1;
			break;
		}
	lock_release(&xt->lock);
}

int os_xfer_ended(const char *sid, unsigned int dh, unsigned int di)
{
	int i, kept = 0;
	xf_t *x;

	lock_get(&xt->lock);
	for(i = 0; i < OS_XFER_MAX; i++) {
		x = &xt->item[i];
		if(x->state == XF_FREE || x->dh != dh || x->di != di || strcmp(x->sid, sid) != 0)
			continue;
		if(x->state == XF_MOVED) {
			set_state(x, XF_FREE); /* the session is the new call's: this one is done */
			kept = 1;
		} else if(x->refused) {
			set_state(x, XF_FREE); /* the transfer failed, the call stayed: its end closes */
		} else {
			x->ended = 1; /* os_xfer_tick closes it when no INVITE comes */
			kept = 1;
		}
	}
	lock_release(&xt->lock);
	return kept;
}

/* Whether noted REFER x (REFERRED) is to be asked about now: an asked one each tick (omniq
 * hangs up its first call once it moved), any other once its wait is over, before it is
 * let go - its call's end must not close a session that lives on another node now. */
static int to_poll(const xf_t *x, long long now)
{
	return x->state == XF_REFERRED && x->noted
		   && (x->asked || now - x->at_ms > os_cfg.transfer_wait_ms);
}

/* The noted REFERs that another node's INVITE may have taken (to_poll): one api.xfer_moved
 * round trip per tenant with any (the timer process). Those taken become MOVED, as a take
 * here makes them, and an asked one's first call is hung up. held[i] is set for those
 * whose ask failed (Redis away): kept for the next tick, not let go. */
static void poll_moved(long long now, char *held)
{
	char tk[OS_XFER_MAX][OS_XFER_TOKEN_LEN + 1], sids[OS_XFER_MAX][OMNIQ_SID_MAX];
	int idx[OS_XFER_MAX], ten[OS_XFER_MAX], moved[OS_XFER_MAX];
	str toks[OS_XFER_MAX];
	int i, j, k, n = 0, m, nh = 0, rc;
	xf_t *x;

	lock_get(&xt->lock);
	for(i = 0; i < OS_XFER_MAX; i++) {
		x = &xt->item[i];
		if(!to_poll(x, now))
			continue;
		memcpy(tk[n], x->token, sizeof(tk[n]));
		idx[n] = i;
		ten[n++] = x->tenant;
	}
	lock_release(&xt->lock);
	for(i = 0; i < n; i++) {
		if(ten[i] < 0)
			continue; /* asked with its tenant's */
		for(j = i, m = 0; j < n; j++)
			if(ten[j] == ten[i]) {
				toks[m].s = tk[j];
				toks[m++].len = OS_XFER_TOKEN_LEN;
			}
		os_oq.tenant_use_index(ten[i]);
		rc = os_oq.xfer_moved(toks, m, moved);
		for(j = i, k = 0; j < n; j++) {
			if(ten[j] != ten[i])
				continue;
			if(rc < 0)
				held[idx[j]] = 1;
			else if(moved[k]) {
				lock_get(&xt->lock);
				x = &xt->item[idx[j]];
				if(x->state == XF_REFERRED && strcmp(x->token, tk[j]) == 0) {
					set_state(x, XF_MOVED);
					x->at_ms = now;
					memcpy(sids[nh], x->sid, OMNIQ_SID_MAX);
					nh++;
				}
				lock_release(&xt->lock);
			}
			k++;
			if(j != i)
				ten[j] = -1;
		}
		if(rc < 0)
			LM_NOTICE("%d transfer(s) could not be asked about (%s): asked again in a "
					  "second\n",
					m, os_oq.last_error());
	}
	os_oq.tenant_use_index(0);
	for(i = 0; i < nh; i++) {
		LM_INFO("call %s: its caller's INVITE took the transfer on another node: the session "
				"lives there now\n",
				sids[i]);
		os_xfer_moved(sids[i]); /* omniq's own REFER: its first call ends */
	}
}

void os_xfer_tick(void)
{
	char sids[OS_XFER_MAX][OMNIQ_SID_MAX], held[OS_XFER_MAX];
	int tenants[OS_XFER_MAX];
	long long now = omniq_mono_ms();
	int i, n = 0;
	xf_t *x;

	if(xt == NULL)
		return;
	memset(held, 0, sizeof(held));
	if(__atomic_load_n(&xt->referred, __ATOMIC_ACQUIRE) > 0)
		poll_moved(now, held);
	lock_get(&xt->lock);
	for(i = 0; i < OS_XFER_MAX; i++) {
		x = &xt->item[i];
		if(held[i] && now - x->at_ms < MOVED_KEEP_MS)
			continue;
		if(x->state == XF_REFERRED && now - x->at_ms > os_cfg.transfer_wait_ms) {
			if(x->ended) {
				memcpy(sids[n], x->sid, OMNIQ_SID_MAX);
				tenants[n++] = x->tenant;
			}
			set_state(x, XF_FREE);
		} else if(x->state == XF_MOVED
				  && now - x->at_ms > (x->ended ? os_cfg.transfer_wait_ms : MOVED_KEEP_MS)) {
			set_state(x, XF_FREE);
		}
	}
	lock_release(&xt->lock);
	for(i = 0; i < n; i++) {
		LM_NOTICE("call %s: transferred, but no INVITE of the caller came within %d ms and "
				  "the call has ended: the session is closed\n",
				sids[i], os_cfg.transfer_wait_ms);
		os_oq.tenant_use_index(tenants[i]);
		os_pending_defer(OS_PEND_CLOSE, sids[i], NULL, 0);
	}
	os_oq.tenant_use_index(0);
}

/* ---- a transfer asked of this node (event "refer": a desk's, an RPC's) ---- */

/* A transfer asked of this node that is not made: the agent reads why in the session's
 * transcript (a "sys" line, the desk shows it at once), the admin in the log. */
static void not_made(int tenant, const char *sid, const char *agent, const char *target,
		const char *why)
{
	char body[512];
	str s = omniq_str(sid), dir = str_init("sys"), from = omniq_str(agent), b;
	int n;

	os_stat_inc(OS_ST_TRANSFER_ASK_FAILED);
	LM_NOTICE("call %s: the transfer to %s asked by %s is not made: %s; the call stays with "
			  "%s\n",
			sid, target, agent, why, agent);
	n = snprintf(body, sizeof(body), "The transfer to %s was not made: %s. The call stays "
			"with %s.", target, why, agent);
	b.s = body;
	b.len = n < (int)sizeof(body) ? n : (int)sizeof(body) - 1;
	os_oq.tenant_use_index(tenant);
	if(os_oq.append(&s, &dir, &from, &b) < 0)
		LM_ERR("call %s: the transcript could not say why the transfer was not made: %s\n",
				sid, os_oq.last_error());
	os_oq.tenant_use_index(0);
}

/* ev's field into out (size bytes with its NUL): 0, or -1 when empty or too long. */
static int ev_copy(const str *f, char *out, int size)
{
	if(f->len <= 0 || f->len >= size)
		return -1;
	memcpy(out, f->s, f->len);
	out[f->len] = '\0';
	return 0;
}

void os_xfer_not_asked(const omniq_event_t *ev, const char *why)
{
	char sid[OMNIQ_SID_MAX], agent[OMNIQ_ID_MAX + 1], target[OMNIQ_ID_MAX + 1];

	if(ev_copy(&ev->sid, sid, sizeof(sid)) < 0 || ev_copy(&ev->agent, agent, sizeof(agent)) < 0
			|| ev_copy(&ev->target, target, sizeof(target)) < 0) {
		LM_ERR("a transfer event without a usable sid, agent or target: ignored\n");
		return;
	}
	not_made(os_oq.tenant_index(), sid, agent, target, why);
}

/* The caller's phone answered omniq's REFER (or tm gave up: 408). */
static void on_asked_done(struct cell *t, int type, struct tmcb_params *ps)
{
	refer_ref_t *r = (refer_ref_t *)*ps->param;
	char why[96];
	xf_t x;

	if(r == NULL)
		return;
	*ps->param = NULL;
	if(ps->code >= 300 && drop(r, &x)) {
		if(ps->code == 408)
			snprintf(why, sizeof(why), "the caller's phone did not answer its REFER");
		else
			snprintf(why, sizeof(why), "the caller's phone refused it (%d)", ps->code);
		not_made(x.tenant, x.sid, x.agent, x.target, why);
	} else if(ps->code < 300) {
		LM_INFO("the caller's phone accepted a transfer (%d): its INVITE is awaited\n",
				ps->code);
	}
	shm_free(r);
}

/* Whether a queue's or an agent's id can stand as a SIP URI's user as it is (RFC 3261
 * 25.1: unreserved and user-unreserved characters): ids with others are not REFERred. */
static int uri_user_safe(const char *s)
{
	for(; *s; s++)
		if(!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')
				   || strchr("-_.!~*'()&=+$,;?/", *s)))
			return 0;
	return 1;
}

void os_xfer_ask(const omniq_event_t *ev, dlg_cell_t *dlg, int tenant, const char *ident)
{
	static str refer = str_init("REFER");
	char sid[OMNIQ_SID_MAX], agent[OMNIQ_ID_MAX + 1], target[OMNIQ_ID_MAX + 1], hdrs[1024];
	char to[OMNIQ_ID_MAX + 160], by[OMNIQ_ID_MAX + 160], token[OS_XFER_TOKEN_LEN + 1];
	refer_ref_t *ref;
	str h;
	int n;

	if(ev_copy(&ev->sid, sid, sizeof(sid)) < 0 || ev_copy(&ev->agent, agent, sizeof(agent)) < 0
			|| ev_copy(&ev->target, target, sizeof(target)) < 0) {
		LM_ERR("a transfer event without a usable sid, agent or target: ignored\n");
		return;
	}
	if(!uri_user_safe(target) || !uri_user_safe(agent)) {
		not_made(tenant, sid, agent, target, "its name cannot stand in a SIP URI");
		return;
	}
	/* the Refer-To names this node as the caller's phone reaches it, so that its INVITE
	 * comes back here, and carries the token that lets another node take it (xfer.h) */
	if(os_xfer_token_new(token) < 0)
		token[0] = '\0';
	os_dlg_lock(dlg);
	if(os_dlg_here(dlg, DLG_CALLER_LEG, target, to, sizeof(to)) < 0
			|| os_dlg_here(dlg, DLG_CALLER_LEG, agent, by, sizeof(by)) < 0
			|| dlg->contact[DLG_CALLEE_LEG].len <= 0) {
		os_dlg_unlock(dlg);
		not_made(tenant, sid, agent, target, "the call has no socket or contact to use");
		return;
	}
	n = snprintf(hdrs, sizeof(hdrs),
			"Refer-To: <%s%s%s>\r\nReferred-By: <%s>\r\nContact: <%.*s>\r\n", to,
			token[0] ? ";" OS_XFER_TOKEN_PARAM "=" : "", token, by, dlg->contact[DLG_CALLEE_LEG].len,
			dlg->contact[DLG_CALLEE_LEG].s);
	os_dlg_unlock(dlg);
	if(n < 0 || n >= (int)sizeof(hdrs)) {
		not_made(tenant, sid, agent, target, "the agent's contact is too long for a REFER");
		return;
	}
	h.s = hdrs;
	h.len = n;
	if((ref = shm_malloc(sizeof(*ref))) == NULL) {
		SHM_MEM_ERROR;
		not_made(tenant, sid, agent, target, "this node is out of memory");
		return;
	}
	ref->dh = dlg->h_entry;
	ref->di = dlg->h_id;
	if((ref->at_ms = keep(tenant, sid, agent, ident, target, agent, ref->dh, ref->di, 1, token))
			< 0) {
		shm_free(ref);
		not_made(tenant, sid, agent, target, "too many transfers wait on this node");
		return;
	}
	if(token[0])
		note(tenant, sid, agent, target, token, ref->at_ms);
	if(os_dlg_send(dlg, DLG_CALLER_LEG, &refer, &h, on_asked_done, ref, 0) < 0) {
		xf_t x;
		drop(ref, &x);
		shm_free(ref);
		not_made(tenant, sid, agent, target, "the REFER could not be sent to the caller's phone");
		return;
	}
	os_stat_inc(OS_ST_TRANSFER_ASKED);
	LM_INFO("call %s: %s transfers it to %s from the desk: REFER sent to the caller's phone, "
			"its INVITE is awaited\n",
			sid, agent, target);
}

void os_xfer_moved(const char *sid)
{
	unsigned int dh = 0, di = 0;
	dlg_cell_t *dlg;
	int i, asked = 0;
	xf_t *x;

	lock_get(&xt->lock);
	for(i = 0; i < OS_XFER_MAX; i++) {
		x = &xt->item[i];
		if(x->state == XF_MOVED && x->asked && strcmp(x->sid, sid) == 0) {
			x->asked = 0;
			dh = x->dh;
			di = x->di;
			asked = 1;
			break;
		}
	}
	lock_release(&xt->lock);
	if(!asked || (dlg = os_dlg_find(dh, di)) == NULL)
		return; /* the agent's phone REFERred: it hangs up itself; or the call has ended */
	os_dlg_lock(dlg); /* both BYEs out before a reply to the first is handled (hangup.c) */
	if((dlg->state == DLG_STATE_CONFIRMED_NA || dlg->state == DLG_STATE_CONFIRMED)
			&& os_dlgb.terminate_dlg(dlg, NULL) < 0)
		LM_ERR("call %s: moved to the caller's new call, but its first call could not be "
			   "hung up\n",
				sid);
	else
		LM_INFO("call %s: moved to the caller's new call; its first call is hung up (BYE on "
				"both legs)\n",
				sid);
	os_dlg_unlock(dlg);
	os_dlgb.release_dlg(dlg);
}
