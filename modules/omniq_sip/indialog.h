/*
 * indialog.h - what omniq_sip uses of the dialog module beyond its API (dlg_binds): a dialog
 * found by its id, its entry lock, and a request of our own sent in it. The dialog module
 * keeps these global but does not bind them; they are found among its symbols at mod_init,
 * so that a Kamailio without them refuses to start instead of failing a call later.
 */
#ifndef OS_INDIALOG_H
#define OS_INDIALOG_H

#include "core/str.h"
#include "modules/dialog/dlg_hash.h"
#include "modules/tm/t_hooks.h"

/* mod_init: the symbols. 0, or -1 (logged). */
int os_indialog_init(void);

/* The dialog h_entry/h_id with a reference taken (os_dlgb.release_dlg), or NULL when it has
 * ended. */
dlg_cell_t *os_dlg_find(unsigned int h_entry, unsigned int h_id);

/* Its entry's lock (re-entrant in one process): its fields read or changed together. */
void os_dlg_lock(dlg_cell_t *dlg);
void os_dlg_unlock(dlg_cell_t *dlg);

/* A request of ours in the confirmed dialog, as the other leg's UA would send it, to leg
 * (DLG_CALLER_LEG: the caller's phone): method, hdrs (each line CRLF-ended, NULL: none), cb
 * with param once the transaction completes (TMCB_LOCAL_COMPLETED; cb frees param). The
 * CSeq is the lowest that is valid (the other leg's last + 1: the phone whose place omniq
 * takes numbers its next request above it), and the dialog keeps it, so that its own BYE
 * comes after. 0, or -1 (logged; cb is not called). */
int os_dlg_send(dlg_cell_t *dlg, int leg, str *method, str *hdrs, transaction_cb *cb,
		void *param, int flags);

/* flags of os_dlg_send: an INVITE whose 2xx omniq ACKs itself (tm's ack_local_uac: an offer
 * in the 2xx is answered in the ACK); cb is also called (TMCB_LOCAL_RESPONSE_IN) with each
 * reply as it comes, before tm keeps it (see survey.c own_ack) */
#define OS_DLG_OWN_ACK 1

/* BYE to leg only, through the dialog module (its state follows: the dialog ends with the
 * answer). 0 or -1. */
int os_dlg_bye(dlg_cell_t *dlg, int leg);

/* The dialog ends quietly in a second (no BYE: both legs are over already). */
void os_dlg_expire(dlg_cell_t *dlg);

/* This node as leg's phone reaches it: "sip:[user@]host:port[;transport=...]" into out
 * (user NULL: none); the length, or -1 (no socket, too long). The dialog locked or not. */
int os_dlg_here(dlg_cell_t *dlg, int leg, const char *user, char *out, int size);

/* The same for socket si (a request's bind address): -1 when si is NULL or it is too long. */
int os_sock_uri(struct socket_info *si, const char *user, char *out, int size);

#endif
