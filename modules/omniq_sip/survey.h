/*
 * survey.h - the survey on the call itself (issue 29's IVR survey): when an answered call's
 * agent hangs up and its queue's survey asks calls by voice (the survey's `voice`), the
 * caller is not hung up. omniq answers the agent's BYE, closes the session as the BYE would
 * have, and takes the agent's place in the dialog: an INVITE without an offer to the
 * caller's phone, whose 200 carries one; omniq_media answers it in the ACK and asks CSAT
 * 1-5 by keypad (omniq_media_call_t.survey); once answered (or not, after two asks) omniq
 * BYEs the caller. A caller who hangs up during it gets 200; nothing else is sent.
 *
 * Why a re-INVITE without an offer: omniq_media answers offers only (the path of every
 * queued call), and the caller's phone knows best what it can play.
 */
#ifndef OS_SURVEY_H
#define OS_SURVEY_H

#include <stdint.h>

#include "core/parser/msg_parser.h"
#include "omniq/omniq_media.h"

/* The stream tags of survey streams (omniq_media_call_t.tag): this bit and the slot. */
#define OS_SURVEY_TAG (1ULL << 63)

/* Surveys on calls at once, per node; one more: the call ends as it would without. */
#define OS_SURVEY_MAX 256

/* mod_init: the shared table. 0 or -1. */
int os_survey_init(void);

/* omniq_survey(): a BYE in an answered call's dialog - the agent's (the survey begins: 1),
 * the caller's while surveyed (200, the survey ends: 1). -1 for anything else: the cfg
 * routes it on as before. */
int os_survey_request(sip_msg_t *msg);

/* The survey stream of the call msg (an in-dialog request: a SIP INFO key) is in: 1 with its
 * session (OMNIQ_SID_MAX bytes) and *handle, or 0. */
int os_survey_stream(sip_msg_t *msg, char *sid, unsigned int *handle);

/* Whether dialog dh/di is surveyed now (its session's close must not hang it up). */
int os_survey_holds(unsigned int dh, unsigned int di);

/* omniq_media: the survey stream of tag ended on its own (said, or the caller silent or
 * gone): the caller is hung up. From the media control process. */
void os_survey_media_end(uint64_t tag, const char *sid, omniq_media_end_t why);

#endif
