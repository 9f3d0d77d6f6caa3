/*
 * survey.c - see survey.h.
 */
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/ip_addr.h"
#include "core/locking.h"
#include "core/mem/shm_mem.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_from.h"
#include "core/parser/contact/parse_contact.h"
#include "modules/tm/h_table.h"
#include "modules/tm/t_hooks.h"

#include "omniq/omniq_clock.h"
#include "os.h"
#include "call.h"
#include "dial_text.h"
#include "indialog.h"
#include "pending.h"
#include "survey.h"

typedef enum { SV_FREE, SV_INVITING, SV_ASKING } sv_state_t;

typedef struct sv {
	sv_state_t state;
	unsigned int gen;    /* a slot's use: a late callback of an earlier one is no this */
	unsigned int dh, di; /* the call's dialog */
	unsigned int media;  /* omniq_media's stream once asking */
	int tenant;
	int kind;            /* what is asked: OMNIQ_SURVEY_* bits (api.survey_voice) */
	char sid[OMNIQ_SID_MAX];
} sv_t;

typedef struct svs {
	gen_lock_t lock;
	sv_t item[OS_SURVEY_MAX];
} svs_t;

static svs_t *st = NULL;

int os_survey_init(void)
{
	if((st = shm_malloc(sizeof(*st))) == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(st, 0, sizeof(*st));
	if(lock_init(&st->lock) == NULL) {
		LM_ERR("cannot init the lock of the surveys\n");
		return -1;
	}
	return 0;
}

/* The slot of dialog dh/di's survey (the lock held), or -1. */
static int find_locked(unsigned int dh, unsigned int di)
{
	int i;

	for(i = 0; i < OS_SURVEY_MAX; i++)
		if(st->item[i].state != SV_FREE && st->item[i].dh == dh && st->item[i].di == di)
			return i;
	return -1;
}

/* Slot i of generation gen freed (its copy in *out when given): 1, or 0 when it was not
 * that any more. */
static int release(int i, unsigned int gen, sv_t *out)
{
	int was = 0;

	lock_get(&st->lock);
	if(i >= 0 && i < OS_SURVEY_MAX && st->item[i].state != SV_FREE && st->item[i].gen == gen) {
		if(out)
			*out = st->item[i];
		st->item[i].state = SV_FREE;
		was = 1;
	}
	lock_release(&st->lock);
	return was;
}

/* The caller of dialog dh/di is hung up (BYE to the caller's leg only: the agent's phone
 * has gone already). */
static void hang_up_caller(const sv_t *s, const char *why)
{
	dlg_cell_t *dlg = os_dlg_find(s->dh, s->di);

	if(dlg == NULL)
		return;
	if(os_dlg_bye(dlg, DLG_CALLER_LEG) < 0)
		LM_ERR("call %s: the survey is over (%s) but the caller could not be hung up\n",
				s->sid, why);
	else
		LM_INFO("call %s: the survey is over (%s): the caller is hung up\n", s->sid, why);
	os_dlgb.release_dlg(dlg);
}

/* Which slot and use a callback is about (shm: the tm callback's param). */
typedef struct sv_ref {
	int i;
	unsigned int gen;
} sv_ref_t;

/* tm's ack_local_uac for t, from t's own callback: it drops a reference to t (taken by
 * t_lookup_ident, which also makes t tm's current transaction: what was current is put
 * back, so that the reply's processing goes on as it was). It reads the Contact of the 2xx
 * tm keeps (a copy in shared memory): every header was parsed before tm copied it
 * (on_invite_done, TMCB_LOCAL_RESPONSE_IN), so that none is added to the copy from this
 * process' memory, and the Contact's body it parses here is freed here. */
static int own_ack(struct cell *t, str *hdrs, str *body)
{
	struct cell *cur = os_tmb.t_gett(), *ref = NULL;
	sip_msg_t *kept = t->uac[0].reply;
	int branch = os_tmb.t_gett_branch(), rc;

	if(os_tmb.t_lookup_ident(&ref, t->hash_index, t->label) < 0 || ref == NULL)
		rc = -1;
	else if(ref != t) {
		os_tmb.unref_cell(ref); /* not ours to ACK (cannot be: the same ident) */
		rc = -1;
	} else
		rc = os_tmb.ack_local_uac(t, hdrs, body);
	if(kept && kept != FAKED_REPLY && kept->contact && kept->contact->parsed)
		free_contact((contact_body_t **)&kept->contact->parsed);
	os_tmb.t_sett(cur, branch);
	return rc;
}

/* The caller's phone answered omniq's INVITE: its 2xx carries the offer, which
 * omniq_media answers in the ACK (tm leaves that ACK to us: OS_DLG_OWN_ACK). */
static void on_invite_done(struct cell *t, int type, struct tmcb_params *ps)
{
	static str ctype = str_init("Content-Type: application/sdp\r\n");
	char sdp[OMNIQ_MEDIA_SDP_MAX], why[OMNIQ_MEDIA_WHY_MAX];
	sv_ref_t *r = (sv_ref_t *)*ps->param;
	omniq_media_call_t mc;
	struct socket_info *si;
	sip_msg_t *rpl = ps->rpl;
	unsigned int handle = 0;
	str offer = STR_NULL, body;
	sv_t s;
	int rc = -1;

	if(type & TMCB_LOCAL_RESPONSE_IN) {
		/* a reply, before tm keeps its copy: all its headers parsed now (own_ack) */
		if(ps->rpl && ps->rpl != FAKED_REPLY && parse_headers(ps->rpl, HDR_EOH_F, 0) < 0)
			LM_NOTICE("a reply to a survey's INVITE could not be parsed\n");
		return;
	}
	if(r == NULL)
		return;
	*ps->param = NULL;
	lock_get(&st->lock);
	s = st->item[r->i];
	lock_release(&st->lock);
	if(s.state != SV_INVITING || s.gen != r->gen) {
		shm_free(r);
		return; /* the caller hung up meanwhile */
	}
	if(ps->code >= 300 || rpl == NULL || rpl == FAKED_REPLY) {
		release(r->i, r->gen, NULL);
		LM_NOTICE("call %s: the caller's phone answered the survey's INVITE %d: hung up\n",
				s.sid, ps->code);
		hang_up_caller(&s, "the caller's phone refused it");
		shm_free(r);
		return;
	}
	if(parse_headers(rpl, HDR_EOH_F, 0) == 0 && rpl->content_type
			&& (offer.s = get_body(rpl)) != NULL)
		offer.len = rpl->len - (int)(offer.s - rpl->buf);
	si = t->uac[0].request.dst.send_sock;
	memset(&mc, 0, sizeof(mc));
	mc.offer = offer;
	mc.sid = omniq_str(s.sid);
	mc.local_ip = si ? si->address_str : (str)str_init("127.0.0.1");
	mc.source_ip = omniq_str(ip_addr2a(&rpl->rcv.src_ip));
	mc.est_wait_s = -1;
	mc.tag = OS_SURVEY_TAG | (uint64_t)r->i;
	mc.survey = s.kind;
	why[0] = '\0';
	if(offer.len > 0)
		rc = os_media.start(&mc, sdp, sizeof(sdp), &handle, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "its 200 has no offer");
	if(rc != 0 && offer.len > 0) {
		/* the offer refused in the ACK (every stream at port 0), then the BYE */
		if(os_dial_reject_answer(offer.s, offer.len, sdp, sizeof(sdp)) < 0)
			sdp[0] = '\0';
	}
	body.s = sdp;
	body.len = rc == 0 || offer.len > 0 ? (int)strlen(sdp) : 0;
	if(own_ack(t, body.len ? &ctype : NULL, body.len ? &body : NULL) < 0)
		LM_ERR("call %s: the ACK of the survey's INVITE could not be sent\n", s.sid);
	if(rc != 0) {
		release(r->i, r->gen, NULL);
		LM_NOTICE("call %s: no survey stream (%d %s): hung up\n", s.sid, rc, why);
		hang_up_caller(&s, "no stream");
		shm_free(r);
		return;
	}
	lock_get(&st->lock);
	if(st->item[r->i].state == SV_INVITING && st->item[r->i].gen == r->gen) {
		st->item[r->i].state = SV_ASKING;
		st->item[r->i].media = handle;
		handle = 0;
	}
	lock_release(&st->lock);
	if(handle)
		os_media.stop(handle); /* the caller hung up as it started */
	else
		LM_INFO("call %s: the caller is asked the survey\n", s.sid);
	shm_free(r);
}

/* The agent's BYE of an answered call whose queue surveys calls by voice: 1 when the
 * survey begins (the BYE answered), -1 when the call ends as before. */
static int agent_bye(sip_msg_t *msg, dlg_cell_t *dlg)
{
	static str invite = str_init("INVITE");
	char why[160], contact[OMNIQ_ID_MAX + 200];
	os_call_ref_t ref;
	sv_ref_t *r;
	int i, rc, kind = 0, prev = os_oq.tenant_index();
	str sid, h;

	if(!os_call_ref(dlg, &ref) || ref.agent[0] == '\0')
		return -1;
	sid = omniq_str(ref.sid);
	os_oq.tenant_use_index(ref.tenant);
	rc = os_oq.survey_voice(&sid, os_media.can_survey(), &kind, why, sizeof(why));
	os_oq.tenant_use_index(prev);
	if(rc != OMNIQ_OK) {
		if(rc == OMNIQ_ESTATE)
			LM_DBG("call %s: no survey on the call: %s\n", ref.sid, why);
		else
			LM_NOTICE("call %s: no survey on the call (%s)\n", ref.sid, os_oq.last_error());
		return -1;
	}
	if((r = shm_malloc(sizeof(*r))) == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	lock_get(&st->lock);
	for(i = 0; i < OS_SURVEY_MAX && st->item[i].state != SV_FREE; i++)
		;
	if(i < OS_SURVEY_MAX) {
		st->item[i].state = SV_INVITING;
		st->item[i].gen++;
		st->item[i].dh = dlg->h_entry;
		st->item[i].di = dlg->h_id;
		st->item[i].media = 0;
		st->item[i].tenant = ref.tenant;
		st->item[i].kind = kind;
		snprintf(st->item[i].sid, sizeof(st->item[i].sid), "%s", ref.sid);
		r->i = i;
		r->gen = st->item[i].gen;
	}
	lock_release(&st->lock);
	if(i == OS_SURVEY_MAX) {
		shm_free(r);
		LM_WARN("call %s: %d surveys on calls at once already: hung up without one\n",
				ref.sid, OS_SURVEY_MAX);
		return -1;
	}
	/* the agent's phone is done: its BYE answered here (and never sent it by the dialog
	 * module), the session closed as its relay would have closed it (in the timer process:
	 * this worker has made its round trip) */
	if(os_tmb.t_newtran(msg) < 0 || os_tmb.t_reply(msg, 200, "OK") < 0)
		LM_NOTICE("call %s: the agent's BYE could not be answered\n", ref.sid);
	os_dlg_lock(dlg);
	dlg->dflags |= DLG_FLAG_CALLEEBYE;
	os_dlg_unlock(dlg);
	os_oq.tenant_use_index(ref.tenant);
	os_pending_defer(OS_PEND_CLOSE, ref.sid, NULL, 0);
	os_oq.tenant_use_index(prev);
	/* omniq in the agent's place: an INVITE without an offer to the caller's phone */
	h.s = contact;
	h.len = 0;
	if((rc = os_dlg_here(dlg, DLG_CALLER_LEG, NULL, contact + 10, sizeof(contact) - 14)) > 0) {
		memcpy(contact, "Contact: <", 10);
		memcpy(contact + 10 + rc, ">\r\n", 3);
		h.len = 10 + rc + 3;
	}
	if(h.len == 0
			|| os_dlg_send(dlg, DLG_CALLER_LEG, &invite, &h, on_invite_done, r, OS_DLG_OWN_ACK)
					   < 0) {
		sv_t s;
		if(release(r->i, r->gen, &s))
			hang_up_caller(&s, "its INVITE could not be sent");
		shm_free(r);
		return 1;
	}
	LM_INFO("call %s: agent %s hung up; the caller stays for the survey\n", ref.sid, ref.agent);
	return 1;
}

/* The caller hung up during the survey: 200, the stream stopped, the dialog's record ends
 * quietly (both phones are done). */
static int caller_bye(sip_msg_t *msg, dlg_cell_t *dlg)
{
	sv_t s;
	int i;

	lock_get(&st->lock);
	i = find_locked(dlg->h_entry, dlg->h_id);
	if(i >= 0) {
		s = st->item[i];
		st->item[i].state = SV_FREE;
	}
	lock_release(&st->lock);
	if(i < 0)
		return -1;
	if(os_tmb.t_newtran(msg) < 0 || os_tmb.t_reply(msg, 200, "OK") < 0)
		LM_NOTICE("call %s: the caller's BYE could not be answered\n", s.sid);
	if(s.media)
		os_media.stop(s.media);
	/* both legs have said BYE: no one (a close's hang-up: hangup.c) sends one again */
	os_dlg_lock(dlg);
	dlg->dflags |= DLG_FLAG_CALLERBYE | DLG_FLAG_CALLEEBYE;
	os_dlg_unlock(dlg);
	os_dlg_expire(dlg);
	LM_INFO("call %s: the caller hung up during the survey\n", s.sid);
	return 1;
}

int os_survey_stream(sip_msg_t *msg, char *sid, unsigned int *handle)
{
	dlg_cell_t *dlg;
	int i, found = 0;

	if(st == NULL || (dlg = os_dlgb.get_dlg(msg)) == NULL)
		return 0;
	lock_get(&st->lock);
	if((i = find_locked(dlg->h_entry, dlg->h_id)) >= 0 && st->item[i].state == SV_ASKING) {
		snprintf(sid, OMNIQ_SID_MAX, "%s", st->item[i].sid);
		*handle = st->item[i].media;
		found = 1;
	}
	lock_release(&st->lock);
	os_dlgb.release_dlg(dlg);
	return found;
}

int os_survey_holds(unsigned int dh, unsigned int di)
{
	int i;

	if(st == NULL)
		return 0;
	lock_get(&st->lock);
	i = find_locked(dh, di);
	lock_release(&st->lock);
	return i >= 0;
}

int os_survey_request(sip_msg_t *msg)
{
	dlg_cell_t *dlg;
	str ftag;
	int rc = -1;

	if(msg->first_line.type != SIP_REQUEST || msg->REQ_METHOD != METHOD_BYE || st == NULL
			|| !os_media_on || !os_media.can_survey())
		return -1;
	if(parse_from_header(msg) < 0 || (dlg = os_dlgb.get_dlg(msg)) == NULL)
		return -1;
	ftag = get_from(msg)->tag_value;
	if(dlg->state == DLG_STATE_CONFIRMED_NA || dlg->state == DLG_STATE_CONFIRMED) {
		if(ftag.len == dlg->tag[DLG_CALLEE_LEG].len
				&& memcmp(ftag.s, dlg->tag[DLG_CALLEE_LEG].s, ftag.len) == 0) {
			int surveyed;
			lock_get(&st->lock);
			surveyed = find_locked(dlg->h_entry, dlg->h_id) >= 0;
			lock_release(&st->lock);
			rc = surveyed ? -1 : agent_bye(msg, dlg);
		} else {
			rc = caller_bye(msg, dlg);
		}
	}
	os_dlgb.release_dlg(dlg);
	return rc;
}

void os_survey_media_end(uint64_t tag, const char *sid, omniq_media_end_t why)
{
	int i = (int)(tag & 0xffff);
	sv_t s;

	if(i < 0 || i >= OS_SURVEY_MAX)
		return;
	lock_get(&st->lock);
	s = st->item[i];
	if(s.state == SV_ASKING && strcmp(s.sid, sid) == 0)
		st->item[i].state = SV_FREE;
	else
		s.state = SV_FREE;
	lock_release(&st->lock);
	if(s.state == SV_ASKING)
		hang_up_caller(&s, why == OMNIQ_MEDIA_END_SAID ? "said" : "the caller's media stopped");
}
