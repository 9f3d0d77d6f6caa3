/* oq_followup.h - follow-ups for the API and kamcmd (oq_followup.c; omniq_api.h says what
 * each call does). */
#ifndef OQ_FOLLOWUP_H
#define OQ_FOLLOWUP_H

#include "core/str.h"

int oq_followup_add(const str *sid, const str *cid, const str *due, const str *reason,
		const str *channel, const str *agent, const str *queue, char *fid_out, int size);
int oq_followup_done(const str *fid, const str *outcome, const str *note);
int oq_callback(const str *sid, const str *to);
int oq_dial_claim(const str *sid, const str *agent, const str *node, char *to_out,
		int to_size, char *kind_out, int kind_size, char *fid_out, int fid_size);
int oq_rpc_followup_register(void);

#endif
