/*
 * media_srtp.h - SRTP for one call, a thin layer over libsrtp2: a context that protects
 * our stream (RTP and RTCP) with the key of our SDP answer, another that unprotects the
 * caller's with the key of its offer, in place; failures counted by kind and named.
 *
 * Why two contexts and not one session with two streams: each direction has its own
 * suite parameters (the caller's MKI, its window hint) and its own life (ours is created
 * with the answer, the caller's may be rekeyed by a re-INVITE later), and a failure of
 * one never touches the other.
 *
 * Counting: an authentication failure (a wrong key, a forged or corrupted packet) and a
 * replay (a packet seen before, or older than the replay window) are what a caller's
 * stream shows when something is wrong; they are counted, not logged per packet, so that
 * a flood of bad packets costs a counter increment each. media_srtp_reason() names any
 * libsrtp status in a few words for a log line or an RPC answer.
 *
 * RTCP is protected under the same suite as RTP, except that the _32 suites keep SRTCP's
 * 80-bit tag (RFC 4568 §6.2.2, RFC 6188): a far end that follows the RFCs reads it.
 *
 * libsrtp must be initialised once per process (media_srtp_init) before any context;
 * The module links libsrtp2 built from Debian's source with OpenSSL (scripts/libsrtp.sh;
 * AES-NI, AES-GCM and AES-256; bench/media/FINDINGS.md on why not Debian's NSS build).
 */
#ifndef OMNIQ_MEDIA_SRTP_H
#define OMNIQ_MEDIA_SRTP_H

#include <stddef.h>
#include <stdint.h>

#include "media_suite.h"

/* Room a packet needs after its end: tag + MKI (libsrtp's SRTP_MAX_TRAILER_LEN), and
 * SRTCP's 4-byte index. */
#define MEDIA_SRTP_TRAILER_MAX (16 + 128 + 4)
#define MEDIA_SRTP_WHY_MAX 128

/* statuses of our own, beyond libsrtp's */
#define MEDIA_SRTP_NO_ROOM 1000 /* cap too small for the trailer, or a packet too long */
#define MEDIA_SRTP_NO_CTX 1001	/* the context was never created, or freed */

typedef struct media_srtp {
	void *ctx; /* libsrtp's srtp_t, NULL when there is none */
	media_suite_t suite;
	int mki_len; /* receive: bytes of MKI in the caller's packets, 0 without */
	unsigned long ok;		 /* packets protected or unprotected */
	unsigned long auth_fail; /* authentication failures */
	unsigned long replay;	 /* replayed or too old packets */
	unsigned long other;	 /* any other failure */
	int last_status;		 /* srtp_err_status_t of the last failure, 0 none */
} media_srtp_t;

/* srtp_init() once per process: 0, or -1 with why (MEDIA_SRTP_WHY_MAX bytes). */
int media_srtp_init(char *why);
void media_srtp_shutdown(void);

/* Our sending context: suite, our key||salt (the answer's), our SSRC. 0, or -1 with why. */
int media_srtp_tx_create(media_srtp_t *s, media_suite_t suite, const unsigned char *key,
		int key_len, uint32_t ssrc, char *why);

/* The caller's receiving context: suite, its key||salt (the offer's), its MKI (mki_len 0
 * when none) and replay window (0: 128 packets, else 64 to 32767). 0, or -1 with why. */
int media_srtp_rx_create(media_srtp_t *s, media_suite_t suite, const unsigned char *key,
		int key_len, uint32_t mki, int mki_len, int window, char *why);

/* In place: pkt holds *len bytes and has room for cap (at least *len +
 * MEDIA_SRTP_TRAILER_MAX); *len becomes the new length. 0, or the libsrtp status or
 * one of ours above (counted; media_srtp_reason names it), pkt then unusable. */
int media_srtp_protect(media_srtp_t *s, uint8_t *pkt, size_t *len, size_t cap);
int media_srtp_protect_rtcp(media_srtp_t *s, uint8_t *pkt, size_t *len, size_t cap);
int media_srtp_unprotect(media_srtp_t *s, uint8_t *pkt, size_t *len);
int media_srtp_unprotect_rtcp(media_srtp_t *s, uint8_t *pkt, size_t *len);

void media_srtp_free(media_srtp_t *s);

/* "authentication failed", "replayed packet", ... for a libsrtp status. */
const char *media_srtp_reason(int status);

#endif
