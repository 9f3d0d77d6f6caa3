/*
 * media_sdp.h - the caller's SDP offer read, a codec and crypto suite chosen from it, and
 * the SDP answer omniq_media sends back (in the 183 Session Progress of a queued call).
 *
 * What is read (RFC 4566), bounded: at most MEDIA_SDP_MAX bytes, lines ending in CRLF or a
 * bare LF (the last line may lack its end), "<letter>=<value>" each, v=0 first, one o= line;
 * empty lines are skipped. No NUL, no other control character but TAB, no CR outside a line
 * end. Of the media descriptions, the first m=audio line with a port other than 0 is ours;
 * every m= line is remembered so the answer can refuse the others (RFC 3264 §6: as many m=
 * lines as the offer, in its order, port 0 for those refused); a media, transport or first
 * format token longer than these fields is refused (400) rather than cut.
 *
 * Of our audio stream: the connection address (c= at media level, else at session level;
 * an IPv4 or IPv6 literal, unicast), the port (a=rtcp's RTCP port, a=rtcp-mux), the
 * formats with their a=rtpmap / a=fmtp (static 0 PCMU, 8 PCMA, 9 G722 need no rtpmap),
 * a=ptime / a=maxptime, the direction (media level over session level, sendrecv when
 * neither says), the transport (RTP/AVP, RTP/AVPF, RTP/SAVP, RTP/SAVPF; DTLS-SRTP's
 * UDP/TLS/RTP/SAVP[F] is refused: omniq_media keys SRTP by SDES only) and its a=crypto
 * lines (RFC 4568, see media_sdp_crypto_parse). a=crypto under plain RTP/AVP is ignored:
 * the answer is plain RTP then, as the offer's profile asks.
 *
 * Errors are numbers a SIP reply can carry: 400 when the SDP is malformed (the grammar is
 * broken), 488 Not Acceptable Here when it is well formed but offers nothing we can take
 * (or is beyond our bounds: over MEDIA_SDP_MAX bytes, MEDIA_SDP_M_MAX m= lines or 128
 * formats on the audio line);
 * `why` (MEDIA_WHY_MAX bytes) is a sentence for a Warning header: printable ASCII without
 * '"' or '\', whatever bytes the offer held (quoted parts of the offer are sanitized).
 *
 * The choice (media_sdp_choose):
 *  - codec: of the codecs the caller allows (a mask: the module allows PCMU, PCMA and
 *    G.722, whose prompts spandsp encodes at load), by default the first one in the offer's
 *    order (MEDIA_PREFER_OFFER: RFC 3264 §6.1 asks the answerer to honour the offerer's
 *    preference); with MEDIA_PREFER_OURS, our ranking G722 > PCMU > PCMA among those
 *    offered. Either way a format counts only at an 8000 Hz RTP clock, one channel.
 *  - DTMF: the first telephone-event/8000 whose events (a=fmtp, "0-15" when absent) cover
 *    the digits 0-15; none is no error (SIP INFO may still carry DTMF).
 *  - crypto (RTP/SAVP[F] only): the first a=crypto line in the offer's order that is
 *    usable (a suite of ours, a key of its length, parameters we honour).
 *  - direction: sendrecv answers sendrecv, sendonly recvonly, recvonly sendonly, inactive
 *    inactive.
 *
 * The answer (media_sdp_answer): our address and port, the chosen codec and
 * telephone-event (fmtp 0-15), ptime 20, the direction, and for SRTP our own fresh key of
 * the chosen suite under the offer's tag; o= carries the session id and version given.
 *
 * Pure C (no Kamailio, no allocation); the offer is about 17 KB, keep it off small stacks.
 */
#ifndef OMNIQ_MEDIA_SDP_H
#define OMNIQ_MEDIA_SDP_H

#include <stddef.h>
#include <stdint.h>

#include "media_suite.h"

#define MEDIA_SDP_MAX 8192	  /* bytes of an offer */
#define MEDIA_WHY_MAX 160	  /* bytes of a reason, NUL included */
#define MEDIA_SDP_FMT_MAX 128 /* formats of our audio m= line: payload types are 0..127 */
#define MEDIA_SDP_CRYPTO_MAX 16 /* a=crypto lines of our stream that are kept */
#define MEDIA_SDP_M_MAX 16		/* m= lines of an offer */
#define MEDIA_SDP_ADDR_MAX 46	/* an IPv6 literal, NUL included (INET6_ADDRSTRLEN) */

/* codecs, as bits of an allowed mask */
#define MEDIA_CODEC_PCMU 1
#define MEDIA_CODEC_PCMA 2
#define MEDIA_CODEC_G722 4

enum media_prefer { MEDIA_PREFER_OFFER = 0, MEDIA_PREFER_OURS = 1 };

typedef enum media_dir {
	MEDIA_SENDRECV = 0,
	MEDIA_SENDONLY,
	MEDIA_RECVONLY,
	MEDIA_INACTIVE
} media_dir_t;

typedef struct media_fmt {
	int pt;			 /* payload type, 0..127 */
	char name[32];	 /* encoding name from a=rtpmap or the static table; "" unknown */
	int rate;		 /* RTP clock rate, 0 unknown */
	int channels;	 /* 1 unless a=rtpmap says otherwise */
	char fmtp[64];	 /* a=fmtp parameters as given ("" none), cut to fit */
} media_fmt_t;

typedef struct media_crypto {
	unsigned long tag; /* 0..999999999 */
	media_suite_t suite; /* MEDIA_SUITE_NONE when not one of ours */
	int usable;		  /* 0: see media_offer's crypto_why for the first such line */
	unsigned char key[MEDIA_KEY_MAX]; /* master key || salt */
	int key_len;
	uint64_t lifetime; /* packets the key may protect, 0 when not given (the default) */
	uint32_t mki;	   /* master key identifier, when mki_len > 0 */
	int mki_len;	   /* bytes of the MKI in every packet, 0 without one (1..4) */
	int wsh;		   /* replay window size hint, 0 when not given */
} media_crypto_t;

typedef struct media_mline {
	char media[16]; /* audio, video, image, application, ... */
	char proto[32]; /* RTP/AVP, udptl, UDP/DTLS/SCTP, ... */
	char fmt[32];	/* the first format, what a refusing m= line repeats */
} media_mline_t;

typedef struct media_offer {
	uint64_t sess_id, sess_ver; /* the offer's o= line */
	int nm;
	media_mline_t m[MEDIA_SDP_M_MAX]; /* every m= line, in order */
	int audio;						  /* index in m[] of our audio stream */
	int family;						  /* 4 or 6 */
	char addr[MEDIA_SDP_ADDR_MAX];	  /* the connection address as written */
	int port, rtcp_port, rtcp_mux;	  /* rtcp_port: a=rtcp, or port + 1 */
	int secure;						  /* RTP/SAVP or RTP/SAVPF */
	int nfmt;
	media_fmt_t fmt[MEDIA_SDP_FMT_MAX]; /* in the m= line's order */
	int ptime, maxptime;				/* 0 when not given */
	media_dir_t dir;
	int ncrypto;
	media_crypto_t crypto[MEDIA_SDP_CRYPTO_MAX];
	char crypto_why[MEDIA_WHY_MAX]; /* why the first unusable a=crypto line is unusable */
} media_offer_t;

typedef struct media_choice {
	int codec;		 /* MEDIA_CODEC_* */
	int pt;			 /* its payload type in the offer */
	int te_pt;		 /* telephone-event's payload type, -1 when none */
	int crypto;		 /* index into offer->crypto, -1 for plain RTP */
	media_dir_t dir; /* the answer's direction */
} media_choice_t;

/* What the answer says about us. */
typedef struct media_local {
	const char *addr;		  /* our IPv4 or IPv6 literal */
	int port;				  /* our RTP port (RTCP on port + 1) */
	uint64_t sess_id, sess_ver; /* o= line: fixed for the call, version +1 per change */
	const unsigned char *key; /* our key||salt for the chosen suite (SRTP only) */
	int key_len;
} media_local_t;

/* Reads the offer sdp (len bytes) into o: 0, or 400 / 488 with why (see above). */
int media_sdp_parse(const char *sdp, size_t len, media_offer_t *o, char *why);

/* Reads one a=crypto value, what follows "a=crypto:" (n bytes), into c (RFC 4568):
 * "<tag> <suite> inline:<base64 key||salt>[|<lifetime>][|<MKI>:<length>] [<param>...]".
 * 0 when the line is usable; -1 with why when it is not: no tag, a suite not ours, a key
 * that is not base64 or not of the suite's length, several keys, a lifetime over 2^48,
 * an MKI longer than 4 bytes, a session parameter we do not honour (any but WSH=, KDR=0
 * and those marked optional with '-'). The tag and suite are filled in either way. */
int media_sdp_crypto_parse(const char *s, size_t n, media_crypto_t *c, char *why);

/* Chooses from o what we answer with: 0, or 488 with why (no codec of `allowed` offered,
 * RTP/SAVP without a usable a=crypto line, a maxptime below our 20 ms). */
int media_sdp_choose(const media_offer_t *o, int allowed, int prefer, media_choice_t *c,
		char *why);

/* Writes the answer to o as chosen by c for l into out (size bytes, NUL-terminated): its
 * length, or -1 with why when l is incomplete (no address, a key of the wrong length for
 * the suite) or the answer does not fit. */
int media_sdp_answer(const media_offer_t *o, const media_choice_t *c, const media_local_t *l,
		char *out, size_t size, char *why);

/* "sendrecv", ... */
const char *media_dir_name(media_dir_t d);

/* "PCMU", "PCMA", "G722", or "none" */
const char *media_codec_name(int codec);

#endif
