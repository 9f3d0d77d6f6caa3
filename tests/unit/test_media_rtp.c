/*
 * test_media_rtp.c - RTP as omniq_media sends it (media_rtp.c): header layout, random
 * starting values, sequence and timestamp wrap, the marker bit per talkspurt, timestamps
 * continuous across prompts and silence, RTCP sender reports (NTP time, RTP time of the
 * same instant, counts, SDES CNAME, BYE) and their interval; RTP parsing of what a caller
 * sends; RFC 4733 telephone-events with redundant and lost end packets.
 */
#include "unit.h"
#include "../../modules/omniq_media/media_rtp.h"

#define MS 1000000ULL

static uint8_t pkt[1500];

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

TEST(rtp_random_start)
{
	media_rtp_tx_t a, b;

	CHECK_EQ_INT(media_rtp_tx_init(&a, 0, 8000, 0), 0);
	CHECK_EQ_INT(media_rtp_tx_init(&b, 0, 8000, 0), 0);
	/* 80 random bits alike twice would mean no randomness at all */
	CHECK(a.ssrc != b.ssrc || a.seq != b.seq || a.ts != b.ts);
	CHECK_EQ_INT(a.marker, 1);
	CHECK_EQ_INT(a.packets, 0);
}

TEST(rtp_header_layout)
{
	media_rtp_tx_t tx;
	uint8_t payload[160];
	int n;

	memset(payload, 0xd5, sizeof payload);
	media_rtp_tx_init(&tx, 8, 8000, 0);
	media_rtp_tx_seed(&tx, 0x11223344, 0x0102, 0xa0b0c0d0);
	n = media_rtp_tx_packet(&tx, payload, 160, 160, 0, pkt, sizeof pkt);
	CHECK_EQ_INT(n, 172);
	CHECK_EQ_INT(pkt[0], 0x80);
	CHECK_EQ_INT(pkt[1], 0x80 | 8); /* marker on the stream's first packet */
	CHECK_EQ_INT(be16(pkt + 2), 0x0102);
	CHECK_EQ_INT(be32(pkt + 4), 0xa0b0c0d0);
	CHECK_EQ_INT(be32(pkt + 8), 0x11223344);
	CHECK(memcmp(pkt + 12, payload, 160) == 0);
	n = media_rtp_tx_packet(&tx, payload, 160, 160, 20 * MS, pkt, sizeof pkt);
	CHECK_EQ_INT(pkt[1], 8);
	CHECK_EQ_INT(be16(pkt + 2), 0x0103);
	CHECK_EQ_INT(be32(pkt + 4), 0xa0b0c0d0 + 160);
	CHECK_EQ_INT(tx.packets, 2);
	CHECK_EQ_INT(tx.octets, 320);
	/* no room: nothing written, nothing counted */
	CHECK_EQ_INT(media_rtp_tx_packet(&tx, payload, 160, 160, 0, pkt, 171), -1);
	CHECK_EQ_INT(media_rtp_tx_packet(&tx, payload, 0, 0, 0, pkt, 11), -1);
	CHECK_EQ_INT(tx.packets, 2);
	CHECK_EQ_INT(tx.seq, 0x0104);
}

TEST(rtp_sequence_and_timestamp_wrap)
{
	media_rtp_tx_t tx;
	uint8_t payload[160] = {0};
	uint16_t want_seq = 65533;
	uint32_t want_ts = 0u - 2 * 160; /* two packets before the wrap */
	int i, bad = 0;

	media_rtp_tx_init(&tx, 0, 8000, 0);
	media_rtp_tx_seed(&tx, 1, want_seq, want_ts);
	for(i = 0; i < 6; i++) {
		media_rtp_tx_packet(&tx, payload, 160, 160, 0, pkt, sizeof pkt);
		bad += be16(pkt + 2) != want_seq || be32(pkt + 4) != want_ts;
		want_seq++;
		want_ts += 160;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(be16(pkt + 2), 2);			   /* 65533 .. 65535, 0, 1, 2 */
	CHECK_EQ_INT(be32(pkt + 4), 3 * 160);	 /* -320, -160, 0, 160, 320, 480 */
}

TEST(rtp_talkspurts_and_silence)
{
	media_rtp_tx_t tx;
	uint8_t payload[160] = {0};
	int i, markers = 0;
	uint32_t ts0;

	media_rtp_tx_init(&tx, 0, 8000, 0);
	ts0 = tx.ts;
	/* prompt 1: 5 packets; 1 s of silence; prompt 2: 5 packets */
	for(i = 0; i < 5; i++) {
		media_rtp_tx_packet(&tx, payload, 160, 160, 0, pkt, sizeof pkt);
		markers += pkt[1] >> 7;
		CHECK_EQ_INT(pkt[1] >> 7, i == 0);
	}
	media_rtp_tx_skip(&tx, 8000);
	media_rtp_tx_talkspurt(&tx);
	for(i = 0; i < 5; i++) {
		media_rtp_tx_packet(&tx, payload, 160, 160, 0, pkt, sizeof pkt);
		markers += pkt[1] >> 7;
		if(i == 0) {
			CHECK_EQ_INT(be32(pkt + 4), ts0 + 5 * 160 + 8000);
			CHECK_EQ_INT(be16(pkt + 2), (uint16_t)(tx.seq - 1)); /* no gap in sequence */
		}
	}
	CHECK_EQ_INT(markers, 2);
	CHECK_EQ_INT(tx.packets, 10);
}

TEST(rtcp_ntp_timestamps)
{
	CHECK(media_ntp_of(0) == 2208988800ULL << 32);
	CHECK(media_ntp_of(500000000ULL) == (2208988800ULL << 32 | 0x80000000ULL));
	/* 2024-01-01T00:00:00.25Z */
	CHECK(media_ntp_of(1704067200ULL * 1000000000ULL + 250000000ULL)
			== ((1704067200ULL + 2208988800ULL) << 32 | 0x40000000ULL));
}

TEST(rtcp_sender_report)
{
	media_rtp_tx_t tx;
	uint8_t payload[160] = {0};
	uint64_t wall = 1704067200ULL * 1000000000ULL, now = 1000 * MS;
	int i, n;

	media_rtp_tx_init(&tx, 0, 8000, now);
	media_rtp_tx_seed(&tx, 0xcafebabe, 100, 50000);
	for(i = 0; i < 250; i++) /* 5 s of audio */
		media_rtp_tx_packet(&tx, payload, 160, 160, now + (uint64_t)i * 20 * MS, pkt,
				sizeof pkt);
	/* 30 ms after the last packet: its timestamp + 240 samples */
	n = media_rtcp_report(&tx, wall, now + 249 * 20 * MS + 30 * MS, "omniq@10.0.0.1", 0, pkt,
			sizeof pkt);
	CHECK_EQ_INT(n, 28 + 28); /* SR; SDES 8 + 2 + 14 + 1 rounded up to 28 */
	CHECK_EQ_INT(pkt[0], 0x80);
	CHECK_EQ_INT(pkt[1], 200);
	CHECK_EQ_INT(be16(pkt + 2), 6);
	CHECK_EQ_INT(be32(pkt + 4), 0xcafebabe);
	CHECK_EQ_INT(be32(pkt + 8), 1704067200u + 2208988800u);
	CHECK_EQ_INT(be32(pkt + 12), 0);
	CHECK_EQ_INT(be32(pkt + 16), 50000 + 249 * 160 + 240);
	CHECK_EQ_INT(be32(pkt + 20), 250);
	CHECK_EQ_INT(be32(pkt + 24), 250 * 160);
	CHECK_EQ_INT(pkt[28], 0x81);
	CHECK_EQ_INT(pkt[29], 202);
	CHECK_EQ_INT(be16(pkt + 30), 28 / 4 - 1);
	CHECK_EQ_INT(be32(pkt + 32), 0xcafebabe);
	CHECK_EQ_INT(pkt[36], 1);
	CHECK_EQ_INT(pkt[37], 14);
	CHECK(memcmp(pkt + 38, "omniq@10.0.0.1", 14) == 0);
	CHECK(pkt[52] == 0 && pkt[53] == 0 && pkt[54] == 0 && pkt[55] == 0);
	/* with BYE */
	n = media_rtcp_report(&tx, wall, now, "c", 1, pkt, sizeof pkt);
	CHECK_EQ_INT(n, 28 + 12 + 8);
	CHECK_EQ_INT(pkt[40], 0x81);
	CHECK_EQ_INT(pkt[41], 203);
	CHECK_EQ_INT(be16(pkt + 42), 1);
	CHECK_EQ_INT(be32(pkt + 44), 0xcafebabe);
	/* a CNAME whose length is a multiple of 4 still gets its terminating zero octets */
	n = media_rtcp_report(&tx, wall, now, "abcd@efgh.ij", 0, pkt, sizeof pkt);
	CHECK_EQ_INT(n, 28 + 24);
	CHECK_EQ_INT(pkt[28 + 10 + 12], 0);
	/* bounds */
	CHECK_EQ_INT(media_rtcp_report(&tx, wall, now, "omniq@10.0.0.1", 1, pkt, 63), -1);
	{
		char longname[300];
		memset(longname, 'x', sizeof longname - 1);
		longname[sizeof longname - 1] = '\0';
		CHECK_EQ_INT(media_rtcp_report(&tx, wall, now, longname, 0, pkt, sizeof pkt), -1);
	}
}

TEST(rtcp_report_before_any_packet)
{
	media_rtp_tx_t tx;
	int n;

	media_rtp_tx_init(&tx, 0, 8000, 0);
	media_rtp_tx_seed(&tx, 7, 1, 1234);
	n = media_rtcp_report(&tx, 0, 5000 * MS, "x", 0, pkt, sizeof pkt);
	CHECK(n > 0);
	CHECK_EQ_INT(be32(pkt + 16), 1234);
	CHECK_EQ_INT(be32(pkt + 20), 0);
}

TEST(rtcp_interval_is_about_five_seconds)
{
	media_rtp_tx_t tx;
	uint64_t now = 0, lo = ~0ULL, hi = 0, d, sum = 0;
	int i;

	media_rtp_tx_init(&tx, 0, 8000, 0);
	CHECK(!media_rtcp_due(&tx, 0));
	CHECK(tx.rtcp_next_ns >= 1250 * MS && tx.rtcp_next_ns < 3750 * MS);
	CHECK(media_rtcp_due(&tx, 3750 * MS));
	for(i = 0; i < 200; i++) {
		media_rtcp_report(&tx, 0, now, "x", 0, pkt, sizeof pkt);
		d = tx.rtcp_next_ns - now;
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		sum += d;
		now = tx.rtcp_next_ns;
	}
	CHECK(lo >= 2500 * MS && hi < 7500 * MS);
	CHECK(hi - lo > 2000 * MS); /* spread, not a fixed beat */
	CHECK(sum / 200 > 4500 * MS && sum / 200 < 5500 * MS);
}

TEST(rtp_parse_what_callers_send)
{
	media_rtp_hdr_t h;
	uint8_t p[64] = {0x80, 0xe5, 0x12, 0x34, 0, 0, 1, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4};

	CHECK_EQ_INT(media_rtp_parse(p, 16, &h), 0);
	CHECK_EQ_INT(h.marker, 1);
	CHECK_EQ_INT(h.pt, 101);
	CHECK_EQ_INT(h.seq, 0x1234);
	CHECK_EQ_INT(h.ts, 256);
	CHECK_EQ_INT(h.ssrc, 0xdeadbeef);
	CHECK_EQ_INT(h.payload_len, 4);
	CHECK(h.payload == p + 12);
	/* two CSRCs, an extension of one word, 2 bytes of padding */
	{
		uint8_t q[40] = {0xb2, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, /* V=2 P X CC=2 */
				0, 0, 0, 1, 0, 0, 0, 2,							  /* CSRCs */
				0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0,				  /* extension */
				9, 9, 9, 0, 2};
		CHECK_EQ_INT(media_rtp_parse(q, 33, &h), 0);
		CHECK(h.payload == q + 28);
		CHECK_EQ_INT(h.payload_len, 3);
		CHECK_EQ_INT(media_rtp_parse(q, 27, &h), -1); /* extension past the end */
		q[32] = 6;									 /* more padding than payload */
		CHECK_EQ_INT(media_rtp_parse(q, 33, &h), -1);
		q[32] = 0;
		CHECK_EQ_INT(media_rtp_parse(q, 33, &h), -1);
		CHECK_EQ_INT(media_rtp_parse(q, 19, &h), -1); /* CSRCs past the end */
	}
	CHECK_EQ_INT(media_rtp_parse(p, 11, &h), -1);
	p[0] = 0x40; /* version 1 */
	CHECK_EQ_INT(media_rtp_parse(p, 16, &h), -1);
}

/* one telephone-event packet, parsed as the media process would */
static int te(media_dtmf_rx_t *rx, uint32_t ssrc, uint32_t ts, int event, int end, int dur,
		media_dtmf_t out[2])
{
	uint8_t p[16] = {0x80, 101, 0, 0, (uint8_t)(ts >> 24), (uint8_t)(ts >> 16),
			(uint8_t)(ts >> 8), (uint8_t)ts, (uint8_t)(ssrc >> 24), (uint8_t)(ssrc >> 16),
			(uint8_t)(ssrc >> 8), (uint8_t)ssrc, (uint8_t)event, (uint8_t)(end ? 0x8a : 0x0a),
			(uint8_t)(dur >> 8), (uint8_t)dur};
	media_rtp_hdr_t h;

	if(media_rtp_parse(p, sizeof p, &h) < 0)
		return -9;
	return media_dtmf_rx_feed(rx, &h, out);
}

TEST(dtmf_one_digit_with_redundant_ends)
{
	media_dtmf_rx_t rx = {0};
	media_dtmf_t ev[2];
	int d, n = 0;

	/* '1': updates every 50 ms (400 samples), then the end packet three times */
	for(d = 400; d <= 1600; d += 400)
		n += te(&rx, 5, 8000, 1, 0, d, ev);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(te(&rx, 5, 8000, 1, 1, 1760, ev), 1);
	CHECK_EQ_INT(ev[0].event, 1);
	CHECK_EQ_INT(ev[0].duration, 1760);
	CHECK_EQ_INT(ev[0].end_seen, 1);
	CHECK_EQ_INT(media_dtmf_char(ev[0].event), '1');
	CHECK_EQ_INT(te(&rx, 5, 8000, 1, 1, 1760, ev), 0);
	CHECK_EQ_INT(te(&rx, 5, 8000, 1, 1, 1760, ev), 0);
	/* a late update of the same event: nothing */
	CHECK_EQ_INT(te(&rx, 5, 8000, 1, 0, 1200, ev), 0);
	/* '#' next */
	CHECK_EQ_INT(te(&rx, 5, 16000, 11, 0, 160, ev), 0);
	CHECK_EQ_INT(te(&rx, 5, 16000, 11, 1, 800, ev), 1);
	CHECK_EQ_INT(media_dtmf_char(ev[0].event), '#');
	CHECK_EQ_INT(media_dtmf_rx_idle(&rx, ev), 0);
}

TEST(dtmf_lost_ends)
{
	media_dtmf_rx_t rx = {0};
	media_dtmf_t ev[2];

	/* '5' whose end packets were all lost, then '9' begins: '5' is reported */
	CHECK_EQ_INT(te(&rx, 5, 1000, 5, 0, 400, ev), 0);
	CHECK_EQ_INT(te(&rx, 5, 1000, 5, 0, 800, ev), 0);
	CHECK_EQ_INT(te(&rx, 5, 9000, 9, 0, 400, ev), 1);
	CHECK_EQ_INT(ev[0].event, 5);
	CHECK_EQ_INT(ev[0].duration, 800);
	CHECK_EQ_INT(ev[0].end_seen, 0);
	/* only the last end packet of '0' arrived, while '9' had no end: both at once */
	CHECK_EQ_INT(te(&rx, 5, 17000, 0, 1, 960, ev), 2);
	CHECK_EQ_INT(ev[0].event, 9);
	CHECK_EQ_INT(ev[0].end_seen, 0);
	CHECK_EQ_INT(ev[1].event, 0);
	CHECK_EQ_INT(ev[1].end_seen, 1);
	/* a quiet stream: the event under way is flushed once */
	CHECK_EQ_INT(te(&rx, 5, 25000, 10, 0, 160, ev), 0);
	CHECK_EQ_INT(media_dtmf_rx_idle(&rx, ev), 1);
	CHECK_EQ_INT(media_dtmf_char(ev[0].event), '*');
	CHECK_EQ_INT(media_dtmf_rx_idle(&rx, ev), 0);
	CHECK_EQ_INT(te(&rx, 5, 25000, 10, 1, 400, ev), 0); /* its late end: already told */
}

TEST(dtmf_new_source_and_bad_packets)
{
	media_dtmf_rx_t rx = {0};
	media_dtmf_t ev[2];
	media_rtp_hdr_t h = {0};
	uint8_t three[3] = {1, 0x80, 0};

	CHECK_EQ_INT(te(&rx, 5, 1000, 3, 0, 400, ev), 0);
	/* the caller's phone restarted its stream (new SSRC), same timestamp even */
	CHECK_EQ_INT(te(&rx, 6, 1000, 4, 1, 400, ev), 2);
	CHECK_EQ_INT(ev[0].event, 3);
	CHECK_EQ_INT(ev[1].event, 4);
	h.payload = three;
	h.payload_len = 3;
	CHECK_EQ_INT(media_dtmf_rx_feed(&rx, &h, ev), -1);
	CHECK_EQ_INT(media_dtmf_char(16), '?');
	CHECK_EQ_INT(media_dtmf_char(-1), '?');
	CHECK_EQ_INT(media_dtmf_char(15), 'D');
}

UNIT_MAIN()
