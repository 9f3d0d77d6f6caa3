/*
 * oq_outbound.h - outbound senders: a process per channel that registered one, sending the
 * channel's queued replies (api.register_sender, api.delivery_report; oq_outbound.c).
 */
#ifndef OQ_OUTBOUND_H
#define OQ_OUTBOUND_H

#include "omniq/omniq_api.h"

int oq_sender_register(const omniq_sender_t *s);           /* mod_init (any module's) */
int oq_outbound_fork(void);                                 /* child_init(PROC_MAIN) */
int oq_outbound_add(const str *channel, const str *to, const str *from, const str *body,
		const str *unless_online, char *did_out, int size);
int oq_delivery_report(const str *channel, const str *provider_id, const str *state,
		const str *reason);

#endif
