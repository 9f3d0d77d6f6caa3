/*
 * media_rtp.c - see media_rtp.h.
 */
#include <string.h>

#include "media_rtp.h"
#include "media_suite.h"

#define NTP_UNIX_OFFSET 2208988800ULL /* seconds from 1900 to 1970 */
#define RTCP_SR 200
#define RTCP_SDES 202
#define RTCP_BYE 203
#define SDES_CNAME 1

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* xorshift64*: the report interval needs spread, not secrecy */
static uint64_t next_rnd(media_rtp_tx_t *tx)
{
	tx->rnd ^= tx->rnd >> 12;
	tx->rnd ^= tx->rnd << 25;
	tx->rnd ^= tx->rnd >> 27;
	return tx->rnd * 0x2545f4914f6cdd1dULL;
}

/* base times a random factor in [0.5, 1.5) */
static uint64_t spread(media_rtp_tx_t *tx, uint64_t base)
{
	double u = (double)(next_rnd(tx) >> 11) / 9007199254740992.0; /* [0, 1) */

	return base / 2 + (uint64_t)((double)base * u);
}

int media_rtp_tx_init(media_rtp_tx_t *tx, int pt, int rate, uint64_t now_ns)
{
	struct {
		uint32_t ssrc, ts;
		uint16_t seq;
		uint64_t rnd;
	} r;

	memset(tx, 0, sizeof *tx);
	if(media_random(&r, sizeof r) < 0)
		return -1;
	tx->ssrc = r.ssrc;
	tx->seq = r.seq;
	tx->ts = r.ts;
	tx->rnd = r.rnd ? r.rnd : 0x9e3779b97f4a7c15ULL; /* xorshift must not start at 0 */
	tx->pt = (uint8_t)(pt & 0x7f);
	tx->rate = rate;
	tx->marker = 1;
	tx->rtcp_next_ns = now_ns + spread(tx, MEDIA_RTCP_INTERVAL_NS / 2);
	return 0;
}

void media_rtp_tx_seed(media_rtp_tx_t *tx, uint32_t ssrc, uint16_t seq, uint32_t ts)
{
	tx->ssrc = ssrc;
	tx->seq = seq;
	tx->ts = ts;
}

void media_rtp_tx_talkspurt(media_rtp_tx_t *tx)
{
	tx->marker = 1;
}

void media_rtp_tx_skip(media_rtp_tx_t *tx, uint32_t samples)
{
	tx->ts += samples;
}

int media_rtp_tx_packet(media_rtp_tx_t *tx, const uint8_t *payload, size_t n,
		uint32_t samples, uint64_t now_ns, uint8_t *out, size_t size)
{
	if(size < MEDIA_RTP_HDR || n > size - MEDIA_RTP_HDR)
		return -1;
	out[0] = 0x80; /* version 2, no padding, extension or CSRC */
	out[1] = (uint8_t)((tx->marker ? 0x80 : 0) | tx->pt);
	put16(out + 2, tx->seq);
	put32(out + 4, tx->ts);
	put32(out + 8, tx->ssrc);
	if(n)
		memcpy(out + MEDIA_RTP_HDR, payload, n);
	tx->marker = 0;
	tx->last_ts = tx->ts;
	tx->last_ns = now_ns;
	tx->sent = 1;
	tx->seq++;
	tx->ts += samples;
	tx->packets++;
	tx->octets += (uint32_t)n;
	return (int)(MEDIA_RTP_HDR + n);
}

int media_rtcp_due(const media_rtp_tx_t *tx, uint64_t now_ns)
{
	return now_ns >= tx->rtcp_next_ns;
}

uint64_t media_ntp_of(uint64_t wall_ns)
{
	uint64_t sec = wall_ns / 1000000000ULL, ns = wall_ns % 1000000000ULL;

	return (sec + NTP_UNIX_OFFSET) << 32 | (ns << 32) / 1000000000ULL;
}

/* the RTP timestamp of now: the last packet's, plus the time since at the RTP clock */
static uint32_t rtp_now(const media_rtp_tx_t *tx, uint64_t now_ns)
{
	uint64_t d;

	if(!tx->sent)
		return tx->ts;
	d = now_ns > tx->last_ns ? now_ns - tx->last_ns : 0;
	return tx->last_ts + (uint32_t)(d / 1000 * (uint64_t)tx->rate / 1000000ULL);
}

int media_rtcp_report(media_rtp_tx_t *tx, uint64_t wall_ns, uint64_t now_ns,
		const char *cname, int bye, uint8_t *out, size_t size)
{
	size_t cn = strlen(cname), sdes, need;
	uint64_t ntp = media_ntp_of(wall_ns);
	uint8_t *p;

	if(cn > MEDIA_CNAME_MAX)
		return -1;
	/* SDES: header, SSRC, CNAME type/length/text, then zero octets ending the item list
	 * and padding it to a 32-bit boundary (at least one) */
	sdes = (8 + 2 + cn + 4) & ~(size_t)3;
	need = 28 + sdes + (bye ? 8 : 0);
	if(need > size)
		return -1;
	memset(out, 0, need);
	out[0] = 0x80; /* V=2, no report blocks */
	out[1] = RTCP_SR;
	put16(out + 2, 28 / 4 - 1);
	put32(out + 4, tx->ssrc);
	put32(out + 8, (uint32_t)(ntp >> 32));
	put32(out + 12, (uint32_t)ntp);
	put32(out + 16, rtp_now(tx, now_ns));
	put32(out + 20, tx->packets);
	put32(out + 24, tx->octets);
	p = out + 28;
	p[0] = 0x81; /* one chunk */
	p[1] = RTCP_SDES;
	put16(p + 2, (uint32_t)(sdes / 4 - 1));
	put32(p + 4, tx->ssrc);
	p[8] = SDES_CNAME;
	p[9] = (uint8_t)cn;
	memcpy(p + 10, cname, cn);
	if(bye) {
		p = out + 28 + sdes;
		p[0] = 0x81;
		p[1] = RTCP_BYE;
		put16(p + 2, 1);
		put32(p + 4, tx->ssrc);
	}
	tx->rtcp_next_ns = now_ns + spread(tx, MEDIA_RTCP_INTERVAL_NS);
	return (int)need;
}

int media_rtp_parse(const uint8_t *buf, size_t len, media_rtp_hdr_t *h)
{
	size_t off, end = len;

	if(len < MEDIA_RTP_HDR || buf[0] >> 6 != 2)
		return -1;
	off = MEDIA_RTP_HDR + 4 * (size_t)(buf[0] & 0x0f);
	if(off > len)
		return -1;
	if(buf[0] & 0x10) {
		if(off + 4 > len)
			return -1;
		off += 4 + 4 * (size_t)get16(buf + off + 2);
		if(off > len)
			return -1;
	}
	if(buf[0] & 0x20) {
		if(len == off || buf[len - 1] == 0 || buf[len - 1] > len - off)
			return -1;
		end -= buf[len - 1];
	}
	h->marker = buf[1] >> 7;
	h->pt = buf[1] & 0x7f;
	h->seq = get16(buf + 2);
	h->ts = get32(buf + 4);
	h->ssrc = get32(buf + 8);
	h->payload = buf + off;
	h->payload_len = end - off;
	return 0;
}

static int report(media_dtmf_rx_t *rx, int end_seen, media_dtmf_t *out)
{
	out->event = rx->event;
	out->duration = rx->duration;
	out->end_seen = end_seen;
	rx->active = 0;
	rx->done = 1;
	rx->done_ssrc = rx->ssrc;
	rx->done_ts = rx->ts;
	return 1;
}

int media_dtmf_rx_feed(media_dtmf_rx_t *rx, const media_rtp_hdr_t *h, media_dtmf_t out[2])
{
	const uint8_t *p = h->payload;
	int n = 0, end, dur;

	if(h->payload_len < 4)
		return -1;
	end = p[1] & 0x80;
	dur = p[2] << 8 | p[3];
	if(rx->active && rx->ssrc == h->ssrc && h->ts != rx->ts) {
		if((int32_t)(h->ts - rx->ts) < 0)
			return 0; /* a late packet of an older event */
		n += report(rx, 0, &out[n]); /* a new event: the one under way lost its end */
	} else if(rx->active && rx->ssrc != h->ssrc)
		n += report(rx, 0, &out[n]);
	if(!rx->active) {
		/* the redundant end packets, and late ones, of an event already reported */
		if(rx->done && rx->done_ssrc == h->ssrc && (int32_t)(h->ts - rx->done_ts) <= 0)
			return n;
		rx->active = 1;
		rx->ssrc = h->ssrc;
		rx->ts = h->ts;
		rx->event = p[0];
		rx->duration = 0;
	}
	if(dur > rx->duration)
		rx->duration = dur;
	if(end)
		n += report(rx, 1, &out[n]);
	return n;
}

int media_dtmf_rx_idle(media_dtmf_rx_t *rx, media_dtmf_t *out)
{
	return rx->active ? report(rx, 0, out) : 0;
}

char media_dtmf_char(int event)
{
	static const char digits[] = "0123456789*#ABCD";

	return event >= 0 && event < 16 ? digits[event] : '?';
}
