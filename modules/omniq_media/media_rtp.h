/*
 * media_rtp.h - RTP as omniq_media sends it (RFC 3550): the sender's state for one stream,
 * its RTCP sender reports, and the parsing of what the caller sends that we act upon,
 * RFC 4733 telephone-events (DTMF).
 *
 * The sender: SSRC, first sequence number and first timestamp random (getrandom(2)), as
 * RFC 3550 §5.1 asks so that streams cannot be guessed; one packet per 20 ms of 160
 * samples at 8 kHz (the caller passes payload and sample count, so G.722's 160 codes per
 * 20 ms fit as well). The sequence number grows by one per packet and wraps; the timestamp
 * grows by the samples of each packet and, across the silence between prompts, by the
 * time that passed (media_rtp_tx_skip), so the caller's jitter buffer sees one clock. The
 * marker bit is on the first packet of the stream and on the first packet of every
 * talkspurt (a prompt after silence: media_rtp_tx_talkspurt).
 *
 * RTCP (media_rtcp_report): a compound packet of a sender report (NTP time from the wall
 * clock, the RTP timestamp of the same instant extrapolated from the last packet, packet
 * and payload-octet counts), an SDES CNAME item, and a BYE when the stream ends. Reports
 * are due every 5 s times a random factor in [0.5, 1.5] (RFC 3550 §6.3.1, the first one at
 * half that); no report blocks yet (the caller's stream is not measured).
 *
 * Times are nanoseconds: `now_ns` from CLOCK_MONOTONIC, `wall_ns` from CLOCK_REALTIME.
 *
 * DTMF receive (media_dtmf_rx_feed): an event is identified by its RTP timestamp (the
 * same in every packet of the event, RFC 4733 §2.5.1.2). It is reported once, when its
 * first end packet arrives; the two redundant end packets that follow (§2.5.1.4) and late
 * packets of an event already reported are ignored. When the end packets are lost, the
 * event is reported (end_seen = 0) as soon as the next event begins, or by
 * media_dtmf_rx_idle when the caller decides that the stream has gone quiet.
 *
 * Pure C, no Kamailio, no allocation.
 */
#ifndef OMNIQ_MEDIA_RTP_H
#define OMNIQ_MEDIA_RTP_H

#include <stddef.h>
#include <stdint.h>

#define MEDIA_RTP_HDR 12
#define MEDIA_RTP_SAMPLES 160 /* 20 ms at 8000 Hz */
#define MEDIA_RTCP_INTERVAL_NS 5000000000ULL
#define MEDIA_CNAME_MAX 255

typedef struct media_rtp_tx {
	uint32_t ssrc;
	uint16_t seq;		   /* of the next packet */
	uint32_t ts;		   /* of the next packet */
	uint8_t pt;
	int rate;			   /* RTP clock, Hz */
	int marker;			   /* the next packet begins a talkspurt */
	uint32_t packets;	   /* sent so far (RFC 3550: wraps) */
	uint32_t octets;	   /* payload octets sent so far (wraps) */
	int sent;			   /* a packet has been sent */
	uint32_t last_ts;	   /* timestamp of the last packet sent */
	uint64_t last_ns;	   /* and when it was sent */
	uint64_t rtcp_next_ns; /* when the next report is due */
	uint64_t rnd;		   /* xorshift state for the report interval */
} media_rtp_tx_t;

/* A new stream of payload type pt at clock rate Hz: 0, or -1 with errno (getrandom). */
int media_rtp_tx_init(media_rtp_tx_t *tx, int pt, int rate, uint64_t now_ns);

/* Fixed first SSRC, sequence number and timestamp instead of random ones (tests). */
void media_rtp_tx_seed(media_rtp_tx_t *tx, uint32_t ssrc, uint16_t seq, uint32_t ts);

/* The next packet begins a talkspurt: marker bit set. */
void media_rtp_tx_talkspurt(media_rtp_tx_t *tx);

/* samples of time pass without a packet (silence): the timestamp moves on, the sequence
 * number does not. */
void media_rtp_tx_skip(media_rtp_tx_t *tx, uint32_t samples);

/* The next packet: header and payload (n bytes, `samples` of time) into out (size bytes,
 * which SRTP needs room beyond): its length, or -1 when it does not fit. */
int media_rtp_tx_packet(media_rtp_tx_t *tx, const uint8_t *payload, size_t n,
		uint32_t samples, uint64_t now_ns, uint8_t *out, size_t size);

/* Whether a report is due at now_ns. */
int media_rtcp_due(const media_rtp_tx_t *tx, uint64_t now_ns);

/* The compound report SR + SDES CNAME (+ BYE when bye) into out (size bytes): its length,
 * or -1 when it does not fit or cname is longer than MEDIA_CNAME_MAX. Schedules the next
 * report. */
int media_rtcp_report(media_rtp_tx_t *tx, uint64_t wall_ns, uint64_t now_ns,
		const char *cname, int bye, uint8_t *out, size_t size);

/* Unix time in ns as the 64-bit NTP timestamp of RFC 3550 §4 (seconds since 1900 in the
 * high half). */
uint64_t media_ntp_of(uint64_t wall_ns);

typedef struct media_rtp_hdr {
	int marker, pt;
	uint16_t seq;
	uint32_t ts, ssrc;
	const uint8_t *payload; /* into the packet, after CSRCs, extension */
	size_t payload_len;		/* without padding */
} media_rtp_hdr_t;

/* Reads the RTP packet buf (len bytes): 0, or -1 when it is not RTP version 2 or its
 * CSRC list, header extension or padding run past its end. */
int media_rtp_parse(const uint8_t *buf, size_t len, media_rtp_hdr_t *h);

typedef struct media_dtmf {
	int event;	  /* 0-9 digits, 10 '*', 11 '#', 12-15 A-D, 16 flash, ... */
	int duration; /* in RTP clock units, the longest seen */
	int end_seen; /* 0 when its end packets were lost */
} media_dtmf_t;

typedef struct media_dtmf_rx {
	int active;		  /* an event is being received */
	uint32_t ssrc, ts; /* of that event */
	int event, duration;
	int done;		  /* an event was reported: */
	uint32_t done_ssrc, done_ts; /* its source and timestamp */
} media_dtmf_rx_t;

/* Feeds a telephone-event packet (h parsed by media_rtp_parse, of the negotiated
 * telephone-event payload type): how many events are complete now (0, 1 or 2: an event
 * whose end was lost and a new one that ended in its first packet), into out; or -1 when
 * the payload is shorter than 4 bytes. */
int media_dtmf_rx_feed(media_dtmf_rx_t *rx, const media_rtp_hdr_t *h, media_dtmf_t out[2]);

/* The event under way, if any, as complete (end_seen 0): 1 into out, or 0. */
int media_dtmf_rx_idle(media_dtmf_rx_t *rx, media_dtmf_t *out);

/* '0'..'9', '*', '#', 'A'..'D', or '?' for other events. */
char media_dtmf_char(int event);

#endif
