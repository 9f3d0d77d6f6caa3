/*
 * call.h - a phone call in a queue: from the INVITE to the agent's answer, and the end of the
 * dialog. The session lives in Redis (omniq core); what lives here is what only this node can
 * act on: the INVITE transaction, suspended while the caller waits.
 */
#ifndef OS_CALL_H
#define OS_CALL_H

#include "core/parser/msg_parser.h"
#include "omniq/omniq_api.h"
#include "omniq/omniq_media.h"
#include "queue.h"
#include "modules/dialog/dlg_hash.h"
#include "os.h"

/* mod_init: the shared call table. It is never destroyed: at shutdown tm goes after this
 * module and still runs the destroy callbacks of the transactions left, which unlink their
 * calls from it; it goes with the rest of shared memory when Kamailio exits. */
int os_call_init(void);

/* omniq_call(): takes the INVITE into queue q (name: as the cfg gave it, q NULL when no queue
 * has it). The caller's INVITE after a REFER of its call takes the session along instead
 * (xfer.h), to the queue or to the agent name names. Always answers the caller in the end:
 * the INVITE is relayed to an agent, waits (182 Queued), or gets a final error response.
 * Returns 1 when the call is in the queue's hands, <0 when it was refused (already replied). */
int os_call_start(sip_msg_t *msg, const str *name, const os_queue_t *q, const str *caller);

/* The driver's event hook, in the omniq dispatcher process of every node: an offer for a
 * call suspended on this node resumes its transaction (t_continue) towards the agent; a
 * "resync" (events were lost) has every waiting or ringing call re-read its session and
 * take the offer it may have missed. */
void os_call_event(const omniq_event_t *ev, void *param);

/* omniq_media's control process: the stream of a waiting call ended on its own - the caller
 * sent nothing for its idle_timeout (the call ends as if the caller had hung up: 408), or
 * pressed the callback key and heard the confirmation (480, the session keeps its place). */
void os_call_media_end(uint64_t tag, const char *sid, omniq_media_end_t why);

/* The waiting call (queued, ringing an agent, saying a message) whose early dialog msg is in
 * (its Call-ID and From tag: a SIP INFO the caller's phone sends after our 183): 1 with its
 * session (sid, OMNIQ_SID_MAX bytes) and omniq_media's stream (*handle, 0: none), or 0. */
int os_call_stream(sip_msg_t *msg, char *sid, unsigned int *handle);

/* What an answered call is, as its dialog keeps it (the reference of its dialog callbacks):
 * read under the dialog's lock. */
typedef struct os_call_ref {
	char sid[OMNIQ_SID_MAX];
	char agent[OMNIQ_ID_MAX + 1];  /* who answered */
	char ident[OS_IDENT_MAX];      /* the caller */
	int tenant;
} os_call_ref_t;

/* dlg's call: 1 (out filled), or 0 when dlg is no call of omniq's (or no longer holds a
 * session: it moved to a transfer's new call). */
int os_call_ref(dlg_cell_t *dlg, os_call_ref_t *out);

#endif
