/*
 * xfer.h - calls transferred by REFER (blind transfer, RFC 3515 / RFC 5589 section 6).
 *
 * omniq is a proxy: the agent's phone REFERs the caller's UA (in the dialog, through this
 * node), and the caller's UA INVITEs the Refer-To target itself: a queue or an agent, which
 * the cfg hands to omniq_call() like any call. What only this node sees is that the two
 * belong together, so the REFER is kept here for a while; the INVITE that comes from the
 * same caller for the same target takes it, and the session moves to the new call
 * (api.transfer_call) instead of a new session being opened. The old call then ends without
 * closing the session; if it ends and no INVITE comes, the session is closed after all.
 *
 * Across nodes: the Refer-To names the node the REFER went through, but a phone's outbound
 * proxy or a dispatcher in front may send the INVITE to another node. So a kept REFER is
 * also noted in Redis under a random token that its Refer-To's URI carries (xfer_token.h:
 * inserted into the agent phone's REFER as it is relayed; in omniq's own); the node that
 * gets an INVITE with a token no REFER of its own matches moves the session with it
 * (api.transfer_token), and the REFER's node asks Redis about its noted REFERs
 * (api.xfer_moved: omniq's own each second, to hang up its first call; the others once
 * their wait is over, so that their call's end closes nothing that lives elsewhere).
 *
 * Attended transfer (RFC 5589 section 7) is the same here: the agent first calls her
 * colleague (an agent's call, agentcall.h), then REFERs the caller with a Refer-To that
 * names the colleague and carries Replaces; the caller's INVITE to the colleague takes the
 * session (offered to her, as any transfer to an agent) and is relayed to her phone with
 * its Replaces, which swaps the consultation for the caller.
 */
#ifndef OS_XFER_H
#define OS_XFER_H

#include "core/str.h"
#include "core/parser/msg_parser.h"
#include "modules/dialog/dlg_hash.h"
#include "omniq/omniq_api.h"

/* REFERs kept at once; one more is logged and not kept (the call stays with its agent's
 * session as before: the new INVITE opens a session of its own). */
#define OS_XFER_MAX 256
/* How long the caller's INVITE may take after the REFER, by default (modparam transfer_wait):
 * tm's Timer B (64 * T1), after which the REFER's own transaction has failed anyway. */
#define OS_XFER_WAIT_MS 32000

/* mod_init: the shared table. 0 or -1. */
int os_xfer_init(void);

/* A request within the dialog of an answered call (the dialog module's DLGCB_REQ_WITHIN):
 * a REFER from the agent's side is kept for the caller's INVITE. tenant, sid, agent, ident:
 * the call's; dh, di: its dialog. */
void os_xfer_request(sip_msg_t *req, int from_callee, int tenant, const char *sid,
		const char *agent, const char *ident, unsigned int dh, unsigned int di);

/* omniq_call() of an INVITE from caller ident (or ident_uri, when the call was queued by
 * its URI) for target, carrying token (its Request-URI's, xfer_token.h; "" for none): the
 * REFER of this node it completes, taken (1: sid and agent filled, sizes OMNIQ_SID_MAX and
 * OMNIQ_ID_MAX + 1), or 0. The REFER's own token matches whoever calls; else an INVITE
 * with a Referred-By must name the REFER's. */
int os_xfer_take(sip_msg_t *msg, const char *ident, const char *ident_uri, const str *target,
		const char *token, char *sid, char *agent);

/* The move failed (the target busy, unknown, Redis): the REFER is kept again, as before
 * os_xfer_take. */
void os_xfer_untake(const char *sid);

/* The dialog dh/di of session sid ended: 1 when its close is not the dialog's to make (the
 * session moved to a new call, or a REFER of it waits for its INVITE: closed by
 * os_xfer_tick when none comes), else 0. */
int os_xfer_ended(const char *sid, unsigned int dh, unsigned int di);

/* Event "refer" (a transfer from a desk or RPC, OMNIQ_CAP_REFER) for the answered call of
 * dialog dlg, whose session it is (tenant, caller ident: the call's): omniq takes the
 * agent's phone's place and REFERs the caller's phone to the target on this node (Refer-To
 * and Referred-By naming this node), keeping the REFER as os_xfer_request does; its INVITE
 * then moves the session (os_xfer_take). What cannot be made (the REFER refused or not
 * answered, not sent) leaves the call with its agent and says why in the transcript. From
 * the dispatcher process. */
void os_xfer_ask(const omniq_event_t *ev, dlg_cell_t *dlg, int tenant, const char *ident);

/* Event "refer" this node cannot act on (the call ended, is not answered, is a
 * click-to-dial): why, in the transcript and the log. */
void os_xfer_not_asked(const omniq_event_t *ev, const char *why);

/* Session sid has moved to the caller's new call (after os_xfer_take): when omniq sent the
 * REFER (os_xfer_ask), the first call is hung up here, as the transferor's phone would
 * have done (BYE on both legs). */
void os_xfer_moved(const char *sid);

/* Each second, from the module's timer process: noted REFERs taken on another node become
 * moved (omniq's own: the first call hung up), REFERs whose INVITE did not come within
 * transfer_wait are dropped, and the session of one whose call has ended meanwhile is
 * closed. */
void os_xfer_tick(void);

#endif
