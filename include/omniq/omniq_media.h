/*
 * omniq_media.h - what a module that queues calls (omniq_sip, or a phone channel of yours)
 * asks of omniq_media: early media for a caller while the call waits - a greeting, the
 * caller's place and expected wait, music between - over RTP or SDES-SRTP.
 *
 * Why an API of its own and not a cfg function: the stream belongs to the queued INVITE's
 * life, which only the queuing module knows (an agent answers, the caller cancels, the
 * call overflows); the cfg script never sees those moments.
 *
 * Bind it in mod_init with omniq_media_load_api(): it answers 1 when omniq_media is not
 * loaded (the node then keeps answering queued calls with 182 Queued, as without media).
 *
 * Who calls what, in which process:
 *  - start() and stop() from any SIP worker or the process that resumes a transaction:
 *    neither waits on the network (a socket bound, a datagram to a media process);
 *  - the `ended` callback runs in omniq_media's control process, where one blocking Redis
 *    round trip (api.abandon) is allowed: media processes never wait on anything.
 */
#ifndef OMNIQ_MEDIA_H
#define OMNIQ_MEDIA_H

#include <stdint.h>

#include "core/str.h"
#include "core/sr_module.h"

#define OMNIQ_MEDIA_SDP_MAX 2048 /* an answer, with room: ~400 bytes with SRTP */
#define OMNIQ_MEDIA_WHY_MAX 160  /* a reason, for a Warning header and the log */

/* Why a media process ended a stream on its own (the `ended` callback). */
typedef enum omniq_media_end {
	OMNIQ_MEDIA_END_IDLE = 1,  /* the caller sent no RTP or RTCP for idle_timeout */
	OMNIQ_MEDIA_END_FAILED = 2, /* the stream could not go on (its socket failed) */
	OMNIQ_MEDIA_END_CALLBACK = 3, /* the caller pressed callback_digit: the session keeps its
	                               * place as a callback (api.callback made), the caller heard
	                               * the confirmation; the call ends, the session is no abandon */
	OMNIQ_MEDIA_END_SAID = 4     /* a stream started for one prompt (`only`) has said it */
} omniq_media_end_t;

/* A stream's owner is told that it ended on its own; tag is what start() was given. */
typedef void (*omniq_media_end_cb)(uint64_t tag, const char *sid, omniq_media_end_t why);

/* What start() is asked for one call: zero it first (memset), then fill in what you know;
 * fields added later are zero for callers that do not know them. */
typedef struct omniq_media_call {
	str offer;          /* the INVITE's SDP body */
	str sid;            /* the call's session: position and wait are read for it */
	str local_ip;       /* the address the INVITE came to: ours when media_addr is unset */
	str source_ip;      /* the address the INVITE came from: plain RTP is taken from it or
	                     * from the SDP's address only (no one else can steer the stream or
	                     * press keys for the caller); empty: the SDP's only */
	int position;       /* the place open() answered (0: not known yet) */
	int est_wait_s;     /* the wait open() estimated (-1: not known) */
	uint64_t tag;       /* the owner's, handed back to its `ended` callback */
	const char *only;   /* NULL: the queue's announcements; else one prompt's name
	                     * ("closed"): said once, then the stream ends (OMNIQ_MEDIA_END_SAID) */
	int survey;         /* OMNIQ_SURVEY_* bits (omniq_api.h; 0: none): the survey after the
	                     * agent hung up, instead: survey_ask (CSAT 1-5) and/or survey_nps
	                     * (NPS 0-10, 10 as 1 then 0), CSAT first, each score recorded as
	                     * given (api.survey_answer), then survey_thanks; each question
	                     * asked twice at most; then OMNIQ_MEDIA_END_SAID. start() answers 404
	                     * when the directory lacks a question asked */
} omniq_media_call_t;

typedef struct omniq_media_api {
	/* Whether start() could answer this offer, before anything is written for the call:
	 * 0, or 400 / 488 with why (a malformed offer, nothing in it we can take). */
	int (*check)(const str *offer, char *why, int why_len);
	/* A stream answering c->offer: 0 with the SDP answer in sdp (NUL-terminated, size
	 * bytes, OMNIQ_MEDIA_SDP_MAX is enough) and *handle; else the SIP status to answer the
	 * INVITE with and why: 400 (a malformed offer), 488 (nothing in it we can take), 503
	 * (no media port or process free), 404 (c->only names no prompt the directory holds),
	 * 500. */
	int (*start)(const omniq_media_call_t *c, char *sdp, int size, unsigned int *handle,
			char *why, int why_len);
	/* The announcements end (the agent answered, the caller hung up, the call left the
	 * queue): the stream says RTCP BYE, its ports are freed. Safe to call twice, and for
	 * a stream that ended on its own; handle 0 is no stream. */
	void (*stop)(unsigned int handle);
	/* The call moved to another session (an overflow to another queue): its position and
	 * wait are read for sid from now on. */
	void (*rebind)(unsigned int handle, const str *sid, int position, int est_wait_s);
	/* The one callback told of streams that end on their own (mod_init; NULL: none). */
	void (*on_end)(omniq_media_end_cb cb);
	/* The caller pressed digit (0-9 * # A-D) and it reached the signalling, not the stream
	 * (SIP INFO): the stream acts on it as on an RFC 4733 one (the callback key). 0, or
	 * -1 when the stream has ended or the digit is none. Any process. */
	int (*key)(unsigned int handle, char digit);
	/* What a survey stream could ask (OMNIQ_SURVEY_CSAT when the prompts hold
	 * survey_ask.wav, OMNIQ_SURVEY_NPS for survey_nps.wav; 0: no survey): asked before a call
	 * is kept for its survey, and handed to api.survey_voice. */
	int (*can_survey)(void);
} omniq_media_api_t;

typedef int (*omniq_media_bind_f)(omniq_media_api_t *api);

/* 0 bound, 1 omniq_media is not loaded, -1 it is but cannot be bound (logged). */
static inline int omniq_media_load_api(omniq_media_api_t *api)
{
	omniq_media_bind_f bind = (omniq_media_bind_f)find_export("omniq_media_bind", 0, 0);

	if(bind == NULL)
		return 1;
	return bind(api) < 0 ? -1 : 0;
}

#endif
