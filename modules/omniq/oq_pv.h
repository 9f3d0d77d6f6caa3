/*
 * oq_pv.h - $oq(name): the session the last omniq call in this process worked on
 * (sid, state, agent, customer, channel, position, est_wait, rc, error), and in
 * event_route[omniq:*] the event being handled (plus type).
 */
#ifndef OQ_PV_H
#define OQ_PV_H

#include "core/pvar.h"
#include "omniq/omniq_api.h"

int pv_parse_oq_name(pv_spec_t *sp, str *in);
int pv_get_oq(struct sip_msg *msg, pv_param_t *param, pv_value_t *res);

/* Record the outcome of a call (info may be NULL when the call had none). */
void oq_pv_set(int rc, const omniq_session_info_t *info);
/* Record the event being dispatched. */
void oq_pv_set_event(const omniq_event_t *ev);

#endif
