/*
 * dtmf.h - omniq_dtmf(): keys a waiting caller's phone sends by SIP INFO (phones set to
 * "DTMF: SIP INFO", which send nothing in the audio). The INFO comes in the early dialog of
 * omniq's 183 (its Contact is this node); the cfg hands it over before its in-dialog routing.
 * The key goes to the call's announcements as an RFC 4733 one would (omniq_media: the
 * callback key), and the INFO is answered here; so does a key of a caller asked the survey
 * on the call (survey.h: a confirmed dialog, omniq in the agent's place).
 */
#ifndef OS_DTMF_H
#define OS_DTMF_H

#include "core/parser/msg_parser.h"

/* An INFO: 1 when it is in a waiting call's early dialog, answered - 200 (the key taken;
 * ignored when the call has no announcements), 400 (a DTMF body without one valid key),
 * 415 (an INFO of another package); -1 when it is no waiting call's (the cfg routes it on,
 * e.g. to an agent's phone in an answered call) or not an INFO. */
int os_dtmf_request(sip_msg_t *msg);

#endif
