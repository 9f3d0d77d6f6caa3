/*
 * media_slot.h - the streams of this node in shared memory, one slot per RTP/RTCP port
 * pair of the range: slot i is ports port_min + 2i (RTP) and + 2i + 1 (RTCP).
 *
 * Why a slot is a port pair: a stream holds its ports exactly as long as its slot, so no
 * path can free one and leak the other, and "ports in use" is a count of slots that are
 * not free (kamcmd omniq_media.ports; the tests count the sockets too).
 *
 * A slot's life: a SIP worker takes a FREE slot (STARTING), binds its two sockets, fills
 * in the call and hands the sockets to the slot's media process (i % processes), which
 * makes it ACTIVE; anyone may ask it to stop (`stop`, read by the media process every
 * 20 ms); the media process alone frees it (FREE, generation + 1), after closing the
 * sockets. A handle names a slot and its generation: a stale handle (the stream ended,
 * the slot reused) stops nothing.
 */
#ifndef OMNIQ_MEDIA_SLOT_H
#define OMNIQ_MEDIA_SLOT_H

#include <stdint.h>
#include <sys/socket.h>

#include "omniq/omniq_limits.h"
#include "omniq/omniq_media.h"
#include "media_suite.h"
#include "media_sdp.h"

enum { MS_FREE = 0, MS_STARTING, MS_ACTIVE };

typedef struct media_slot {
	/* under the table's lock */
	int state;
	unsigned short gen;
	long long started_ms;
	/* written by the worker that starts it, before the hand-off; read-only after */
	uint64_t tag;
	char sid[OMNIQ_SID_MAX];
	int law, pt, te_pt, codec;
	int only;                             /* a prompt id said alone, or -1 */
	int survey;                           /* the survey's OMNIQ_SURVEY_* bits (0: none) */
	media_dir_t dir;
	media_suite_t suite;                  /* MEDIA_SUITE_NONE: plain RTP */
	unsigned char tx_key[MEDIA_KEY_MAX];  /* ours (the answer's) */
	int tx_key_len;
	unsigned char rx_key[MEDIA_KEY_MAX];  /* the caller's (the offer's) */
	int rx_key_len, rx_mki_len, rx_wsh;
	uint32_t rx_mki;
	struct sockaddr_storage peer, peer_rtcp; /* from the offer, until latched */
	socklen_t peer_len;
	struct sockaddr_storage sig;          /* where the INVITE came from (port 0), or AF_UNSPEC */
	/* any process */
	volatile int stop;
	/* a key the caller pressed that reached a SIP worker, not this stream (SIP INFO,
	 * omniq_sip): the media process takes it as an RFC 4733 one, then clears it */
	volatile char key;
	/* the control process: the latest position and wait (0 / -1 not known) */
	volatile int position, est_wait_s;
	/* the control process made the callback the caller asked for: the media process plays
	 * the confirmation and ends the stream (OMNIQ_MEDIA_END_CALLBACK) */
	volatile int callback_made;
	/* the control process recorded the survey's score of this step (MEDIA_SCORE_*): the
	 * media process asks the next one (NPS after CSAT), or thanks and ends */
	volatile int survey_done;
	/* the control process saw the session's level-3 alert (its wait is far too long): the
	 * media process says sla3.wav once */
	volatile int sla3;
	/* the media process, for omniq_media.streams */
	volatile unsigned long sent, received, auth_fail, replay, dtmf;
	volatile unsigned long strangers;     /* plain RTP/RTCP from an address not the caller's */
	volatile int latched;
} media_slot_t;

typedef struct media_slots {
	int n;            /* port pairs of the range */
	int port_min;
	int procs;        /* media processes */
	int next;         /* where the next search for a free slot begins */
	int in_use;
	media_slot_t slot[];
} media_slots_t;

extern media_slots_t *media_slots;

/* mod_init: the table for the port range [port_min, port_max] (even port_min). */
int media_slots_init(int port_min, int port_max, int procs);

/* A free slot taken (STARTING, a new generation): its index, or -1 when all are in use. */
int media_slot_take(void);
/* Back to FREE (the media process, after closing the sockets; or the worker whose
 * hand-off failed). */
void media_slot_release(int i);
/* STARTING -> ACTIVE (the media process took it): 0, or -1 when it is no longer that
 * generation's. */
int media_slot_activate(int i, unsigned short gen);

static inline unsigned int media_handle(int i, unsigned short gen)
{
	return ((unsigned int)gen << 16) | (unsigned int)(i + 1);
}
/* Asks the stream of handle to stop, if it is still current (under the lock: a handle of a
 * stream that ended never stops the next caller's in the same slot). */
void media_slot_stop(unsigned int handle);
/* A key pressed by SIP INFO for the stream of handle: 0 when it is current (the media
 * process acts on it within 20 ms), -1 when it has ended. */
int media_slot_key(unsigned int handle, char digit);
/* The stream of handle now plays for session sid (len bytes), if it is still current. */
void media_slot_rebind(unsigned int handle, const char *sid, int len, int position,
		int est_wait_s);

static inline int media_slot_port(int i)
{
	return media_slots->port_min + 2 * i;
}

static inline int media_slot_proc(int i)
{
	return i % media_slots->procs;
}

#endif
