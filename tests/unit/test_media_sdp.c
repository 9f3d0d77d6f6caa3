/*
 * test_media_sdp.c - the caller's SDP offer (omniq_media media_sdp*.c): offers as real
 * phones, softphones, PBXes, gateways and SBCs send them (written after their public
 * examples; keys made up), each with the codec, telephone-event, crypto suite and
 * direction we must choose; malformed and unacceptable offers, each with its SIP status
 * and reason; the answer we build, parsed back by our own parser; reasons always safe to
 * quote in a Warning header; cut and corrupted offers never crash.
 */
#include "unit.h"
#include "../../modules/omniq_media/media_sdp.h"

#define L(x) x "\r\n"

/* key||salt texts of the lengths each suite needs (made up), and their first bytes */
#define K30A "QABa3oWr+BXcKoaG7Sc9rS1PG8qQlh2zh1ZtLMos" /* 40 00 5a de */
#define K30B "ALdgNfcanTSSO4bYQthWMPJtIKwFIuGn36fx+due"
#define K30C "ML6whwI3+5SgFR/+83SGtTrqf6YFJw4sGOgEt9Lv" /* 30 be b0 87 */
#define K30D "47oX4yJAX39Yh7NQ99OYqxxB/F96dYt6qzW/I7E2"
#define K46A "Tc4Si4MFAXobTXxtFAk6GTdcEEHAXU/KZ5mXR9uTvOdvWfqgzR1QB4ggfSCdSA=="
#define K46B "/818Im1+EJ8eFkmYZ11G8CKtkUcRznY2d6i2OsR9F9LiPcovW+x7bPc8d14iwQ=="
#define K28A "eUNCAYMy9lNJO5T4+8lY9E3yvtokwvYYf45owQ==" /* 79 43 42 01 */
#define K44A "PEDEnu/0HkWBDbMk3PtPWPZ9bMAEiou0b7dZNNCLq2VAwpeUz+jsc12mypU=" /* 3c 40 c4 9e */
#define K44B "Q/e/mi/m8IwyrjUQG4aN9HqQuo/Ed9aLv7biplnBb0+6QPaVTPVUQiVjK48="

#define G711 (MEDIA_CODEC_PCMU | MEDIA_CODEC_PCMA)
#define ALL (G711 | MEDIA_CODEC_G722)

static media_offer_t o, back;
static media_choice_t ch, ch2;
static char why[MEDIA_WHY_MAX], ans[4096];

/* a reason must be quotable as it is: printable ASCII, no '"' or '\' */
static int safe(const char *s)
{
	for(; *s; s++)
		if(*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

static int parse(const char *sdp)
{
	int rc = media_sdp_parse(sdp, strlen(sdp), &o, why);

	CHECK_MSG(safe(why), "reason not safe to quote: %s", why);
	return rc;
}

/* parse and choose: 0, or the status of whichever refused */
static int take(const char *sdp, int allowed, int prefer)
{
	int rc = parse(sdp);

	if(rc == 0)
		rc = media_sdp_choose(&o, allowed, prefer, &ch, why);
	CHECK_MSG(safe(why), "reason not safe to quote: %s", why);
	return rc;
}

/* Our answer to o as chosen, parsed back by our parser: it must offer exactly what was
 * chosen, under our address, port and key, with every other m= line refused. */
static void answer_round_trip(const char *addr, int port)
{
	media_local_t l = {addr, port, 4242, 1, NULL, 0};
	unsigned char key[MEDIA_KEY_MAX];
	const media_crypto_t *cr = ch.crypto >= 0 ? &o.crypto[ch.crypto] : NULL;
	int n, i, expect_dir[] = {MEDIA_SENDRECV, MEDIA_SENDONLY, MEDIA_RECVONLY, MEDIA_INACTIVE};

	if(cr) {
		CHECK(media_suite_new_key(cr->suite, key, sizeof key, why) > 0);
		l.key = key;
		l.key_len = media_suite_keysalt_len(cr->suite);
	}
	n = media_sdp_answer(&o, &ch, &l, ans, sizeof ans, why);
	CHECK_MSG(n > 0 && (size_t)n == strlen(ans), "answer: %s", why);
	CHECK_EQ_INT(media_sdp_parse(ans, (size_t)n, &back, why), 0);
	CHECK_EQ_INT(media_sdp_choose(&back, ALL, MEDIA_PREFER_OFFER, &ch2, why), 0);
	CHECK_EQ_INT(back.nm, o.nm);
	CHECK_EQ_INT(back.audio, o.audio);
	CHECK_EQ_STR(back.addr, addr);
	CHECK_EQ_INT(back.port, port);
	CHECK(back.sess_id == 4242 && back.sess_ver == 1);
	CHECK_EQ_INT(back.nfmt, ch.te_pt >= 0 ? 2 : 1);
	CHECK_EQ_INT(ch2.codec, ch.codec);
	CHECK_EQ_INT(ch2.pt, ch.pt);
	CHECK_EQ_INT(ch2.te_pt, ch.te_pt);
	CHECK_EQ_INT(back.ptime, 20);
	CHECK_EQ_INT(back.secure, o.secure);
	CHECK_EQ_STR(back.m[back.audio].proto, o.m[o.audio].proto);
	/* the answer's direction is the offer's seen from our side */
	CHECK_EQ_INT(back.dir, expect_dir[ch.dir]);
	for(i = 0; i < o.nm; i++)
		if(i != o.audio) {
			CHECK(strstr(ans, "m=") != NULL);
			CHECK_EQ_STR(back.m[i].media, o.m[i].media);
			CHECK_EQ_STR(back.m[i].fmt, o.m[i].fmt);
		}
	if(cr) {
		CHECK_EQ_INT(back.ncrypto, 1);
		CHECK_EQ_INT(ch2.crypto, 0);
		CHECK_EQ_INT(back.crypto[0].tag, cr->tag);
		CHECK_EQ_INT(back.crypto[0].suite, cr->suite);
		CHECK_EQ_INT(back.crypto[0].key_len, l.key_len);
		CHECK(memcmp(back.crypto[0].key, key, (size_t)l.key_len) == 0);
		CHECK_EQ_INT(back.crypto[0].mki_len, 0);
		CHECK(back.crypto[0].lifetime == 0);
	} else
		CHECK_EQ_INT(back.ncrypto, 0);
	CHECK(strstr(ans, "\r\n\r\n") == NULL);
	CHECK(n >= 2 && ans[n - 2] == '\r' && ans[n - 1] == '\n');
}

static const char baresip[] =
		L("v=0")
		L("o=- 1734028452 2734028452 IN IP4 192.168.1.10")
		L("s=-")
		L("c=IN IP4 192.168.1.10")
		L("t=0 0")
		L("m=audio 10000 RTP/AVP 96 97 9 0 8 101")
		L("b=AS:512")
		L("a=rtpmap:96 opus/48000/2")
		L("a=fmtp:96 stereo=1;sprop-stereo=1")
		L("a=rtpmap:97 L16/8000")
		L("a=rtpmap:9 G722/8000")
		L("a=rtpmap:0 PCMU/8000")
		L("a=rtpmap:8 PCMA/8000")
		L("a=rtpmap:101 telephone-event/8000")
		L("a=fmtp:101 0-15")
		L("a=sendrecv")
		L("a=label:1")
		L("a=ssrc:2964541542 cname:e6d7c6d8-8dc1-4b80-b1cd-2bdbf5f5d9ab")
		L("a=rtcp-rsize")
		L("a=ptime:20");

TEST(sdp_baresip_plain)
{
	CHECK_EQ_INT(take(baresip, G711, MEDIA_PREFER_OFFER), 0);
	CHECK_EQ_STR(o.addr, "192.168.1.10");
	CHECK_EQ_INT(o.family, 4);
	CHECK_EQ_INT(o.port, 10000);
	CHECK_EQ_INT(o.rtcp_port, 10001);
	CHECK_EQ_INT(o.nfmt, 6);
	CHECK_EQ_STR(o.fmt[0].name, "opus");
	CHECK_EQ_INT(o.fmt[0].channels, 2);
	CHECK_EQ_STR(o.fmt[0].fmtp, "stereo=1;sprop-stereo=1");
	CHECK_EQ_INT(o.ptime, 20);
	CHECK_EQ_INT(o.secure, 0);
	CHECK(o.sess_id == 1734028452ULL && o.sess_ver == 2734028452ULL);
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_PCMU);
	CHECK_EQ_INT(ch.pt, 0);
	CHECK_EQ_INT(ch.te_pt, 101);
	CHECK_EQ_INT(ch.crypto, -1);
	CHECK_EQ_INT(ch.dir, MEDIA_SENDRECV);
	answer_round_trip("203.0.113.10", 30000);
	/* with G.722 allowed, the offer lists it before PCMU */
	CHECK_EQ_INT(take(baresip, ALL, MEDIA_PREFER_OFFER), 0);
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_G722);
	CHECK_EQ_INT(ch.pt, 9);
	answer_round_trip("203.0.113.10", 30000);
	CHECK(strstr(ans, "m=audio 30000 RTP/AVP 9 101\r\na=rtpmap:9 G722/8000\r\n") != NULL);
	CHECK(strstr(ans, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n") != NULL);
	CHECK(strstr(ans, "a=ptime:20\r\na=sendrecv\r\n") != NULL);
	CHECK(strstr(ans, "o=omniq 4242 1 IN IP4 203.0.113.10\r\n") != NULL);
}

static const char baresip_srtp[] =
		L("v=0")
		L("o=- 2890844526 2890844527 IN IP4 10.1.2.3")
		L("s=-")
		L("c=IN IP4 10.1.2.3")
		L("t=0 0")
		L("m=audio 20004 RTP/SAVP 0 8 101")
		L("a=rtpmap:0 PCMU/8000")
		L("a=rtpmap:8 PCMA/8000")
		L("a=rtpmap:101 telephone-event/8000")
		L("a=fmtp:101 0-15")
		L("a=sendrecv")
		L("a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" K30A)
		L("a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" K30B)
		L("a=crypto:3 AEAD_AES_256_GCM inline:" K44A)
		L("a=crypto:4 AEAD_AES_128_GCM inline:" K28A)
		L("a=ptime:20");

TEST(sdp_baresip_srtp_mandatory)
{
	CHECK_EQ_INT(take(baresip_srtp, G711, MEDIA_PREFER_OFFER), 0);
	CHECK_EQ_INT(o.secure, 1);
	CHECK_EQ_INT(o.ncrypto, 4);
	CHECK_EQ_INT(ch.crypto, 0); /* the offerer's first */
	CHECK_EQ_INT(o.crypto[0].suite, MEDIA_AES_CM_128_HMAC_SHA1_32);
	CHECK_EQ_INT(o.crypto[0].key_len, 30);
	CHECK(memcmp(o.crypto[0].key, "\x40\x00\x5a\xde", 4) == 0);
	CHECK_EQ_INT(o.crypto[2].suite, MEDIA_AEAD_AES_256_GCM);
	CHECK_EQ_INT(o.crypto[2].key_len, 44);
	CHECK(memcmp(o.crypto[2].key, "\x3c\x40\xc4\x9e", 4) == 0);
	CHECK_EQ_INT(o.crypto[3].suite, MEDIA_AEAD_AES_128_GCM);
	CHECK(memcmp(o.crypto[3].key, "\x79\x43\x42\x01", 4) == 0);
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_PCMU);
	answer_round_trip("198.51.100.1", 40000);
	CHECK(strstr(ans, "m=audio 40000 RTP/SAVP 0 101\r\n") != NULL);
	CHECK(strstr(ans, "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:") != NULL);
}

static const char linphone[] =
		L("v=0")
		L("o=alice 2214 1286 IN IP4 192.168.0.5")
		L("s=Talk")
		L("c=IN IP4 192.168.0.5")
		L("t=0 0")
		L("a=ice-pwd:31ec21eb38b2ec6d36e8dc7b")
		L("a=ice-ufrag:0a8c4d1f")
		L("a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics")
		L("a=record:off")
		L("m=audio 7078 RTP/SAVP 96 97 98 0 8 18 101 99 100")
		L("a=rtpmap:96 opus/48000/2")
		L("a=fmtp:96 useinbandfec=1")
		L("a=rtpmap:97 speex/16000")
		L("a=fmtp:97 vbr=on")
		L("a=rtpmap:98 speex/8000")
		L("a=fmtp:98 vbr=on")
		L("a=fmtp:18 annexb=yes")
		L("a=rtpmap:101 telephone-event/48000")
		L("a=rtpmap:99 telephone-event/16000")
		L("a=rtpmap:100 telephone-event/8000")
		L("a=rtcp:7079")
		L("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30C)
		L("a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" K30D)
		L("a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:" K46A)
		L("a=crypto:4 AES_256_CM_HMAC_SHA1_32 inline:" K46B)
		L("a=candidate:1 1 UDP 2130706431 192.168.0.5 7078 typ host")
		L("a=candidate:1 2 UDP 2130706430 192.168.0.5 7079 typ host")
		L("a=rtcp-fb:* trr-int 1000")
		L("a=rtcp-fb:* ccm tmmbr")
		L("m=video 9078 RTP/SAVP 96 97")
		L("a=rtpmap:96 VP8/90000")
		L("a=rtpmap:97 H264/90000")
		L("a=fmtp:97 profile-level-id=42801F")
		L("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30D)
		L("a=rtcp:9079");

TEST(sdp_linphone_srtp_with_video)
{
	CHECK_EQ_INT(take(linphone, G711, MEDIA_PREFER_OFFER), 0);
	CHECK_EQ_INT(o.nm, 2);
	CHECK_EQ_INT(o.audio, 0);
	CHECK_EQ_INT(o.rtcp_port, 7079);
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_PCMU);
	CHECK_EQ_INT(ch.te_pt, 100); /* the 8000 Hz one, not 48000 or 16000 */
	CHECK_EQ_INT(o.ncrypto, 4);	 /* the video's a=crypto is not ours */
	CHECK_EQ_INT(ch.crypto, 0);
	CHECK(memcmp(o.crypto[0].key, "\x30\xbe\xb0\x87", 4) == 0);
	CHECK_EQ_INT(o.crypto[2].suite, MEDIA_AES_256_CM_HMAC_SHA1_80);
	CHECK_EQ_INT(o.crypto[2].key_len, 46);
	CHECK_EQ_INT(o.crypto[3].usable, 1);
	answer_round_trip("192.0.2.7", 16000);
	CHECK(strstr(ans, "m=video 0 RTP/SAVP 96\r\n") != NULL);
	/* nothing after the refused video line */
	CHECK(strstr(strstr(ans, "m=video"), "a=") == NULL);
}

static const char zoiper[] =
		L("v=0")
		L("o=Z 0 0 IN IP4 192.168.1.5")
		L("s=Z")
		L("c=IN IP4 192.168.1.5")
		L("t=0 0")
		L("m=audio 52400 RTP/AVP 106 9 98 101 0 8 3")
		L("a=rtpmap:106 opus/48000/2")
		L("a=fmtp:106 sprop-maxcapturerate=16000; minptime=20; useinbandfec=1")
		L("a=rtpmap:98 telephone-event/48000")
		L("a=fmtp:98 0-16")
		L("a=rtpmap:101 telephone-event/8000")
		L("a=fmtp:101 0-16")
		L("a=sendrecv")
		L("a=rtcp-mux");

TEST(sdp_zoiper)
{
	CHECK_EQ_INT(take(zoiper, G711, MEDIA_PREFER_OFFER), 0);
	CHECK(o.sess_id == 0 && o.sess_ver == 0);
	CHECK_EQ_INT(o.rtcp_mux, 1);
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_PCMU);
	CHECK_EQ_INT(ch.te_pt, 101);
	CHECK_EQ_STR(o.fmt[6].name, "GSM"); /* static 3, no rtpmap */
	answer_round_trip("192.0.2.8", 10002);
	CHECK(strstr(ans, "rtcp-mux") == NULL); /* RTCP on its own port: always allowed */
}

static const char asterisk[] =
		L("v=0")
		L("o=- 1577836800 1577836801 IN IP4 203.0.113.5")
		L("s=Asterisk")
		L("c=IN IP4 203.0.113.5")
		L("t=0 0")
		L("m=audio 17210 RTP/SAVP 0 8 101")
		L("a=rtpmap:0 PCMU/8000")
		L("a=rtpmap:8 PCMA/8000")
		L("a=rtpmap:101 telephone-event/8000")
		L("a=fmtp:101 0-16")
		L("a=ptime:20")
		L("a=maxptime:150")
		L("a=sendrecv")
		L("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A);

TEST(sdp_asterisk_srtp)
{
	CHECK_EQ_INT(take(asterisk, G711, MEDIA_PREFER_OFFER), 0);
	CHECK_EQ_INT(o.maxptime, 150);
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_PCMU);
	CHECK_EQ_INT(ch.crypto, 0);
	CHECK_EQ_INT(o.crypto[0].suite, MEDIA_AES_CM_128_HMAC_SHA1_80);
	answer_round_trip("203.0.113.99", 20000);
}

static const char freeswitch[] =
		L("v=0")
		L("o=FreeSWITCH 1700000000 1700000001 IN IP4 198.51.100.7")
		L("s=FreeSWITCH")
		L("c=IN IP4 198.51.100.7")
		L("t=0 0")
		L("m=audio 24680 RTP/SAVP 8 9 0 101 13")
		L("a=rtpmap:8 PCMA/8000")
		L("a=rtpmap:9 G722/8000")
		L("a=rtpmap:0 PCMU/8000")
		L("a=rtpmap:101 telephone-event/8000")
		L("a=fmtp:101 0-16")
		L("a=rtpmap:13 CN/8000")
		L("a=ptime:20")
		L("a=sendrecv")
		L("a=crypto:1 AEAD_AES_256_GCM_8 inline:" K44B)
		L("a=crypto:2 AEAD_AES_128_GCM_8 inline:" K28A)
		L("a=crypto:3 AES_CM_256_HMAC_SHA1_80 inline:" K46A)
		L("a=crypto:4 AES_CM_192_HMAC_SHA1_80 inline:" K30B)
		L("a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:" K30C)
		L("a=crypto:6 AES_CM_128_HMAC_SHA1_32 inline:" K30D);

TEST(sdp_freeswitch_suites_not_ours_are_skipped)
{
	CHECK_EQ_INT(take(freeswitch, G711, MEDIA_PREFER_OFFER), 0);
	CHECK_EQ_INT(o.ncrypto, 6);
	CHECK_EQ_INT(o.crypto[0].usable, 0);
	CHECK_EQ_INT(o.crypto[2].usable, 0);
	CHECK_CONTAINS(o.crypto_why, "a=crypto:1 suite 'AEAD_AES_256_GCM_8' is not supported");
	CHECK_EQ_INT(ch.crypto, 4);
	CHECK_EQ_INT(o.crypto[4].tag, 5);
	/* the offer's order: PCMA first */
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_PCMA);
	CHECK_EQ_INT(ch.pt, 8);
	answer_round_trip("198.51.100.200", 30010);
	CHECK(strstr(ans, "a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:") != NULL);
	/* our ranking instead: G.722 when allowed, else PCMU before PCMA */
	CHECK_EQ_INT(take(freeswitch, ALL, MEDIA_PREFER_OURS), 0);
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_G722);
	CHECK_EQ_INT(take(freeswitch, G711, MEDIA_PREFER_OURS), 0);
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_PCMU);
	CHECK_EQ_INT(ch.pt, 0);
	CHECK_EQ_INT(take(freeswitch, MEDIA_CODEC_PCMA, MEDIA_PREFER_OURS), 0);
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_PCMA);
}

static const char cisco[] =
		L("v=0")
		L("o=Cisco-SIPUA 12345 0 IN IP4 10.10.10.20")
		L("s=SIP Call")
		L("b=AS:4064")
		L("t=0 0")
		L("m=audio 25346 RTP/SAVP 114 9 124 0 8 116 18 101")
		L("c=IN IP4 10.10.10.20")
		L("b=TIAS:64000")
		L("a=rtpmap:114 opus/48000/2")
		L("a=fmtp:114 maxplaybackrate=16000;sprop-maxcapturerate=16000;maxaveragebitrate="
		  "64000;stereo=0;sprop-stereo=0;usedtx=0")
		L("a=rtpmap:9 G722/8000")
		L("a=rtpmap:124 iLBC/8000")
		L("a=fmtp:124 mode=20")
		L("a=rtpmap:0 PCMU/8000")
		L("a=rtpmap:8 PCMA/8000")
		L("a=rtpmap:116 iLBC/8000")
		L("a=fmtp:116 mode=30")
		L("a=rtpmap:18 G729/8000")
		L("a=fmtp:18 annexb=yes")
		L("a=rtpmap:101 telephone-event/8000")
		L("a=fmtp:101 0-15")
		L("a=crypto:1 AEAD_AES_256_GCM inline:" K44A)
		L("a=crypto:2 AEAD_AES_128_GCM inline:" K28A)
		L("a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" K30A)
		L("a=crypto:4 AES_CM_128_HMAC_SHA1_32 inline:" K30B)
		L("a=sendrecv");

TEST(sdp_cisco_phone_media_level_c_and_gcm)
{
	CHECK_EQ_INT(take(cisco, G711, MEDIA_PREFER_OFFER), 0);
	CHECK_EQ_STR(o.addr, "10.10.10.20");
	CHECK(strlen(o.fmt[0].fmtp) == sizeof o.fmt[0].fmtp - 1); /* long fmtp cut to fit */
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_PCMU);
	CHECK_EQ_INT(ch.crypto, 0);
	CHECK_EQ_INT(o.crypto[0].suite, MEDIA_AEAD_AES_256_GCM);
	answer_round_trip("10.0.0.1", 16384);
	CHECK(strstr(ans, "a=crypto:1 AEAD_AES_256_GCM inline:") != NULL);
}

static const char polycom[] =
		L("v=0")
		L("o=- 1603372380 1603372380 IN IP4 192.168.10.44")
		L("s=Polycom IP Phone")
		L("c=IN IP4 192.168.10.44")
		L("t=0 0")
		L("a=sendrecv")
		L("m=audio 2222 RTP/SAVP 9 102 0 8 127")
		L("a=rtpmap:9 G722/8000")
		L("a=rtpmap:102 G7221/16000")
		L("a=fmtp:102 bitrate=32000")
		L("a=rtpmap:0 PCMU/8000")
		L("a=rtpmap:8 PCMA/8000")
		L("a=rtpmap:127 telephone-event/8000")
		L("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30B "|2^31")
		L("a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" K30C "|2^31");

TEST(sdp_polycom_lifetimes_and_session_direction)
{
	CHECK_EQ_INT(take(polycom, G711, MEDIA_PREFER_OFFER), 0);
	CHECK_EQ_INT(ch.te_pt, 127); /* no fmtp: RFC 4733's default 0-15 */
	CHECK_EQ_INT(ch.crypto, 0);
	CHECK(o.crypto[0].lifetime == 1ULL << 31);
	CHECK_EQ_INT(ch.dir, MEDIA_SENDRECV);
	answer_round_trip("192.168.10.1", 20002);
	CHECK(strstr(ans, "|") == NULL); /* our key: default lifetime, no MKI */
}

static const char sbc[] =
		L("v=0")
		L("o=AudiocodesGW 1234 5678 IN IP4 192.0.2.50")
		L("s=Phone-Call")
		L("c=IN IP4 192.0.2.50")
		L("t=0 0")
		L("m=audio 6010 RTP/SAVP 8 18 0 101")
		L("c=IN IP4 192.0.2.51")
		L("a=rtpmap:8 PCMA/8000")
		L("a=rtpmap:18 G729/8000")
		L("a=fmtp:18 annexb=no")
		L("a=rtpmap:0 PCMU/8000")
		L("a=rtpmap:101 telephone-event/8000")
		L("a=fmtp:101 0-15")
		L("a=ptime:20")
		L("a=sendrecv")
		L("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A "|2^31|1:1")
		L("a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" K30B "|2^31");

TEST(sdp_sbc_two_crypto_lines_with_mki)
{
	CHECK_EQ_INT(take(sbc, G711, MEDIA_PREFER_OFFER), 0);
	CHECK_EQ_STR(o.addr, "192.0.2.51"); /* media level over session level */
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_PCMA);
	CHECK_EQ_INT(ch.crypto, 0);
	CHECK_EQ_INT(o.crypto[0].mki_len, 1);
	CHECK_EQ_INT(o.crypto[0].mki, 1);
	CHECK(o.crypto[0].lifetime == 1ULL << 31);
	CHECK_EQ_INT(o.crypto[1].mki_len, 0);
	answer_round_trip("192.0.2.1", 6000);
	CHECK_EQ_INT(take(sbc, G711, MEDIA_PREFER_OURS), 0);
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_PCMU);
}

static const char ipv6[] =
		L("v=0")
		L("o=- 3912345678 3912345678 IN IP6 2001:db8::10")
		L("s=-")
		L("c=IN IP6 2001:db8::10")
		L("t=0 0")
		L("m=audio 40000 RTP/AVP 8 0 101")
		L("a=rtpmap:101 telephone-event/8000")
		L("a=fmtp:101 0-16")
		L("a=ptime:20");

TEST(sdp_ipv6)
{
	CHECK_EQ_INT(take(ipv6, G711, MEDIA_PREFER_OFFER), 0);
	CHECK_EQ_INT(o.family, 6);
	CHECK_EQ_STR(o.addr, "2001:db8::10");
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_PCMA);
	CHECK_EQ_STR(o.fmt[0].name, "PCMA"); /* static, no rtpmap */
	answer_round_trip("2001:db8::1", 50000);
	CHECK(strstr(ans, "c=IN IP6 2001:db8::1\r\n") != NULL);
}

/* the SDP of `base` with its audio direction line replaced */
static const char *with(const char *base, const char *from, const char *to)
{
	static char buf[MEDIA_SDP_MAX + 64];
	const char *at = strstr(base, from);
	size_t n;

	CHECK_MSG(at != NULL, "the test's offer lacks '%s'", from);
	if(at == NULL)
		return base;
	n = (size_t)(at - base);
	snprintf(buf, sizeof buf, "%.*s%s%s", (int)n, base, to, at + strlen(from));
	return buf;
}

TEST(sdp_directions)
{
	CHECK_EQ_INT(take(with(asterisk, "a=sendrecv", "a=sendonly"), G711, 0), 0);
	CHECK_EQ_INT(ch.dir, MEDIA_RECVONLY);
	answer_round_trip("192.0.2.1", 6000);
	CHECK(strstr(ans, "a=recvonly\r\n") != NULL);
	CHECK_EQ_INT(take(with(asterisk, "a=sendrecv", "a=recvonly"), G711, 0), 0);
	CHECK_EQ_INT(ch.dir, MEDIA_SENDONLY);
	answer_round_trip("192.0.2.1", 6000);
	CHECK_EQ_INT(take(with(asterisk, "a=sendrecv", "a=inactive"), G711, 0), 0);
	CHECK_EQ_INT(ch.dir, MEDIA_INACTIVE);
	answer_round_trip("192.0.2.1", 6000);
	/* media level over session level */
	CHECK_EQ_INT(take(with(polycom, "a=rtpmap:9 ", "a=inactive\r\na=rtpmap:9 "), G711, 0), 0);
	CHECK_EQ_INT(ch.dir, MEDIA_INACTIVE);
	/* hold the old way (RFC 2543): c=0.0.0.0 is taken, the media process decides */
	CHECK_EQ_INT(take(with(asterisk, "c=IN IP4 203.0.113.5", "c=IN IP4 0.0.0.0"), G711, 0),
			0);
	CHECK_EQ_STR(o.addr, "0.0.0.0");
}

TEST(sdp_line_endings)
{
	char lf[2048], *d = lf;
	const char *s;

	/* bare LF throughout */
	for(s = asterisk; *s; s++)
		if(*s != '\r')
			*d++ = *s;
	*d = '\0';
	CHECK_EQ_INT(take(lf, G711, 0), 0);
	CHECK_EQ_INT(o.ncrypto, 1);
	CHECK_EQ_INT(o.crypto[0].usable, 1);
	/* no line end after the last line, either way */
	CHECK_EQ_INT(media_sdp_parse(asterisk, strlen(asterisk) - 2, &o, why), 0);
	CHECK_EQ_INT(o.crypto[0].usable, 1);
	CHECK_EQ_INT(media_sdp_parse(lf, strlen(lf) - 1, &o, why), 0);
	CHECK_EQ_INT(o.crypto[0].usable, 1);
	/* blank lines and a trailing CRLF CRLF are skipped */
	CHECK_EQ_INT(take(with(asterisk, "t=0 0\r\n", "t=0 0\r\n\r\n"), G711, 0), 0);
}

/* status and reason of an offer that must be refused */
#define REFUSED(sdp, status, text)                                                     \
	do {                                                                           \
		CHECK_EQ_INT(take((sdp), G711, MEDIA_PREFER_OFFER), (status));         \
		CHECK_CONTAINS(why, (text));                                           \
	} while(0)

static const char minimal[] =
		L("v=0")
		L("o=- 1 1 IN IP4 192.0.2.9")
		L("s=-")
		L("c=IN IP4 192.0.2.9")
		L("t=0 0")
		L("m=audio 4000 RTP/AVP 0");

TEST(sdp_malformed_is_400)
{
	REFUSED("", 400, "empty SDP");
	REFUSED(L("o=- 1 1 IN IP4 1.2.3.4") L("v=0"), 400, "the SDP must begin with v=0");
	REFUSED(L("v=1") L("o=- 1 1 IN IP4 1.2.3.4"), 400, "must begin with v=0");
	REFUSED(with(minimal, "o=- 1 1 IN IP4 192.0.2.9\r\n", ""), 400, "no o= line");
	REFUSED(with(minimal, "o=- 1 1 IN", "o=- 1 x IN"), 400,
			"line 2: o= session id and version must be numbers, not '1 x'");
	REFUSED(with(minimal, "o=- 1 1 IN IP4 192.0.2.9", "o=- 1 1 IN IP4"), 400,
			"o= needs 6 fields");
	REFUSED(with(minimal, "s=-", "o=- 1 1 IN IP4 192.0.2.9"), 400, "a second o= line");
	REFUSED(with(minimal, "s=-", "v=0"), 400, "a second v= line");
	REFUSED(with(minimal, "s=-", "hello world"), 400,
			"line 3 is not <letter>=<value>: 'hello world'");
	REFUSED(with(minimal, "s=-", "S=-"), 400, "line 3 is not <letter>=<value>");
	REFUSED(with(minimal, "m=audio 4000", "m=audio abc"), 400,
			"line 6: m= port 'abc' is not a number from 0 to 65535");
	REFUSED(with(minimal, "m=audio 4000", "m=audio 70000"), 400, "port '70000'");
	REFUSED(with(minimal, "m=audio 4000", "m=audio -1"), 400, "port '-1'");
	REFUSED(with(minimal, "m=audio 4000 RTP/AVP 0", "m=audio 4000 RTP/AVP"), 400,
			"m= needs <media> <port> <transport> <format>");
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 0 128"), 400,
			"m=audio format '128' is no RTP payload type");
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 0 PCMU"), 400, "format 'PCMU'");
	REFUSED(with(minimal, "c=IN IP4 192.0.2.9\r\n", ""), 400,
			"no c= line for the audio stream");
	REFUSED(with(minimal, "c=IN IP4 192.0.2.9", "c=IN IP4"), 400,
			"c= must be IN IP4 <address>");
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 0\r\na=rtpmap:0 PCMU"), 400,
			"line 7: a=rtpmap must be <payload type> <name>/<rate>");
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 0\r\na=rtpmap:0 PCMU/0"), 400, "a=rtpmap");
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 0\r\na=rtpmap:0 /8000"), 400, "a=rtpmap");
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 0\r\na=rtpmap:x PCMU/8000"), 400, "a=rtpmap");
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 0\r\na=fmtp:zz 0-15"), 400, "a=fmtp must");
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 0\r\na=ptime:twenty"), 400,
			"a=ptime:twenty is not a number of ms");
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 0\r\na=rtcp:0"), 400, "a=rtcp must start");
	/* an rtpmap of a format not listed is not ours to judge */
	CHECK_EQ_INT(take(with(minimal, "RTP/AVP 0", "RTP/AVP 0\r\na=rtpmap:96 junk"), G711, 0),
			0);
	CHECK_EQ_INT(take(with(minimal, "RTP/AVP 0", "RTP/AVP 0\r\na=ptime:20.0"), G711, 0), 0);
	CHECK_EQ_INT(o.ptime, 20);
}

TEST(sdp_bytes_that_do_not_belong)
{
	char buf[256];
	size_t n = strlen(minimal);

	memcpy(buf, minimal, n);
	buf[20] = '\0';
	CHECK_EQ_INT(media_sdp_parse(buf, n, &o, why), 400);
	CHECK_CONTAINS(why, "line 2: a NUL byte");
	memcpy(buf, minimal, n);
	buf[n - 2] = '\0'; /* in place of the last CR */
	CHECK_EQ_INT(media_sdp_parse(buf, n, &o, why), 400);
	CHECK_CONTAINS(why, "NUL byte");
	REFUSED(with(minimal, "s=-\r\n", "s=-\rt=0 0\r\n"), 400, "line 3: a CR that ends no line");
	REFUSED(with(minimal, "s=-", "s=\x1b[31m"), 400, "line 3: control character 0x1b");
	REFUSED(with(minimal, "s=-", "s=\x7f"), 400, "control character 0x7f");
	/* UTF-8 in s= is fine */
	CHECK_EQ_INT(take(with(minimal, "s=-", "s=\xe5\x91\xbc\xe5\x8f\xab"), G711, 0), 0);
	/* a reason quoting the offer quotes it safely */
	REFUSED(with(minimal, "s=-", "\"\\\xff\xfe zz\""), 400, "line 3 is not <letter>=<value>: '??");
}

TEST(sdp_too_large)
{
	static char big[9001];

	memset(big, 'x', sizeof big);
	memcpy(big, minimal, strlen(minimal));
	CHECK_EQ_INT(media_sdp_parse(big, 9000, &o, why), 488);
	CHECK_CONTAINS(why, "SDP of 9000 bytes; at most 8192 are read");
	CHECK_EQ_INT(media_sdp_parse(big, MEDIA_SDP_MAX + 1, &o, why), 488);
}

TEST(sdp_500_payload_types)
{
	static char sdp[4096];
	size_t n;
	int i;

	n = (size_t)snprintf(sdp, sizeof sdp, "%s", with(minimal, "RTP/AVP 0", "RTP/AVP"));
	n -= 2;
	for(i = 0; i < 500; i++)
		n += (size_t)snprintf(sdp + n, sizeof sdp - n, " %d", i % 128);
	snprintf(sdp + n, sizeof sdp - n, "\r\n");
	REFUSED(sdp, 488, "m=audio lists more than 128 formats");
	/* every payload type once, then repeats: the repeats are ignored */
	n = (size_t)snprintf(sdp, sizeof sdp, "%s", with(minimal, "RTP/AVP 0", "RTP/AVP"));
	n -= 2;
	for(i = 0; i < 128; i++)
		n += (size_t)snprintf(sdp + n, sizeof sdp - n, " %d", (i + 100) % 128);
	snprintf(sdp + n, sizeof sdp - n, "\r\n");
	CHECK_EQ_INT(take(sdp, G711, 0), 0);
	CHECK_EQ_INT(o.nfmt, 128);
	CHECK_EQ_INT(ch.pt, 0);
	CHECK_EQ_INT(take(with(minimal, "RTP/AVP 0", "RTP/AVP 0 0 0 8"), G711, 0), 0);
	CHECK_EQ_INT(o.nfmt, 2);
}

TEST(sdp_unacceptable_is_488)
{
	REFUSED(L("v=0") L("o=- 1 1 IN IP4 1.2.3.4") L("s=-") L("c=IN IP4 1.2.3.4") L("t=0 0"),
			488, "no m= line");
	REFUSED(with(minimal, "m=audio 4000", "m=audio 0"), 488, "no audio stream");
	REFUSED(with(minimal, "m=audio 4000 RTP/AVP 0", "m=video 4000 RTP/AVP 96"), 488,
			"no audio stream");
	REFUSED(with(minimal, "m=audio 4000", "m=audio 4000/2"), 488,
			"m=audio asks for 2 ports");
	REFUSED(with(minimal, "RTP/AVP", "UDP/TLS/RTP/SAVPF"), 488,
			"UDP/TLS/RTP/SAVPF is DTLS-SRTP, which is not supported; offer SDES");
	REFUSED(with(minimal, "RTP/AVP", "UDP/TLS/RTP/SAVP"), 488, "DTLS-SRTP");
	REFUSED(with(minimal, "RTP/AVP", "TCP/RTP/AVP"), 488,
			"m=audio transport 'TCP/RTP/AVP' is not supported");
	REFUSED(with(minimal, "c=IN IP4 192.0.2.9", "c=IN IP4 pbx.example.com"), 488,
			"c= pbx.example.com is not an IPv4 address literal");
	REFUSED(with(minimal, "c=IN IP4 192.0.2.9", "c=IN IP6 192.0.2.9"), 488,
			"is not an IPv6 address literal");
	REFUSED(with(minimal, "c=IN IP4 192.0.2.9", "c=IN IP4 224.2.1.1/127"), 488,
			"multicast");
	REFUSED(with(minimal, "c=IN IP4 192.0.2.9", "c=IN IP4 239.1.1.1"), 488, "multicast");
	REFUSED(with(minimal, "c=IN IP4 192.0.2.9", "c=IN IP6 ff02::1"), 488, "multicast");
	REFUSED(with(minimal, "c=IN IP4 192.0.2.9", "c=ATM NSAP 47.0091"), 488,
			"network type is not IN");
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 0\r\nc=IN IP4 1.1.1.1\r\nc=IN IP4 2.2.2.2"),
			488, "a second c= line");
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 18 96\r\na=rtpmap:96 opus/48000/2"), 488,
			"no common codec: offered G729/8000 opus/48000; we take PCMU/8000 PCMA/8000");
	/* PCMU at a clock it does not have, or in stereo, is not PCMU */
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 96\r\na=rtpmap:96 PCMU/16000"), 488,
			"no common codec");
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 96\r\na=rtpmap:96 PCMU/8000/2"), 488,
			"no common codec");
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 0\r\na=maxptime:10"), 488,
			"a=maxptime:10 is below our 20 ms packets");
	REFUSED(with(minimal, "RTP/AVP", "RTP/SAVP"), 488,
			"RTP/SAVP without a=crypto: SRTP is keyed by SDES only");
	/* G.722 only, not allowed */
	REFUSED(with(minimal, "RTP/AVP 0", "RTP/AVP 9"), 488, "offered G722/8000; we take PCMU");
	CHECK_EQ_INT(take(with(minimal, "RTP/AVP 0", "RTP/AVP 9"), ALL, 0), 0);
	/* a dynamic payload type for PCMU, in any case */
	CHECK_EQ_INT(take(with(minimal, "RTP/AVP 0", "RTP/AVP 97\r\na=rtpmap:97 pcmu/8000"), G711,
						 0),
			0);
	CHECK_EQ_INT(ch.pt, 97);
}

TEST(sdp_only_the_first_active_audio_is_ours)
{
	const char *two = L("v=0") L("o=- 1 1 IN IP4 192.0.2.9") L("s=-") L("t=0 0")
			L("m=audio 0 RTP/SAVP 0") L("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:bad")
			L("m=audio 5000 RTP/AVP 8") L("c=IN IP4 192.0.2.10")
			L("m=audio 5002 RTP/AVP 0") L("c=IN IP4 192.0.2.11")
			L("m=image 5004 udptl t38")
			L("m=application 5006 UDP/DTLS/SCTP webrtc-datachannel");

	CHECK_EQ_INT(take(two, G711, 0), 0);
	CHECK_EQ_INT(o.nm, 5);
	CHECK_EQ_INT(o.audio, 1);
	CHECK_EQ_STR(o.addr, "192.0.2.10");
	CHECK_EQ_INT(o.ncrypto, 0);
	CHECK_EQ_INT(ch.codec, MEDIA_CODEC_PCMA);
	answer_round_trip("192.0.2.1", 7000);
	CHECK(strstr(ans, "m=audio 0 RTP/SAVP 0\r\nm=audio 7000 RTP/AVP 8\r\n") != NULL);
	CHECK(strstr(ans, "m=audio 0 RTP/AVP 0\r\nm=image 0 udptl t38\r\n"
					  "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n")
			!= NULL);
	/* a token longer than the answer could repeat is refused, not cut */
	REFUSED(with(two, "webrtc-datachannel", "webrtc-datachannel-with-a-much-longer-name"), 400,
			"line 12: m= field 'webrtc-datachannel-with-a-much-l...' is too long (42 bytes)");
}

TEST(sdp_too_many_m_lines)
{
	char sdp[2048];
	size_t n = (size_t)snprintf(sdp, sizeof sdp, "%s", minimal);
	int i;

	for(i = 0; i < 16; i++)
		n += (size_t)snprintf(sdp + n, sizeof sdp - n, "m=video %d RTP/AVP 96\r\n", 5000 + i);
	REFUSED(sdp, 488, "more than 16 m= lines");
}

/* an SRTP offer with one a=crypto line */
static const char *srtp_with(const char *crypto)
{
	static char buf[1024];

	if(snprintf(buf, sizeof buf, "%s%s\r\n", with(minimal, "RTP/AVP", "RTP/SAVP"), crypto)
			>= (int)sizeof buf)
		buf[0] = '\0';
	return buf;
}

TEST(sdp_crypto_lines_refused_with_reason)
{
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QABa3oWr+BXcKoaG7Sc9rS1PG8qQ"
					  "lh2zh1ZtLMo$"),
			488, "no usable a=crypto line; line 7: a=crypto:1 key is not base64");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QABa3oWr+BXcKoaG7Sc9rS1PG8qQ"),
			488, "a=crypto:1 key||salt of 21 bytes; AES_CM_128_HMAC_SHA1_80 needs 30 (16 "
				 "key + 14 salt)");
	REFUSED(srtp_with("a=crypto:2 AEAD_AES_128_GCM inline:" K30A), 488,
			"a=crypto:2 key||salt of 30 bytes; AEAD_AES_128_GCM needs 28 (16 key + 12 salt)");
	REFUSED(srtp_with("a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:" K44A), 488,
			"AES_256_CM_HMAC_SHA1_80 needs 46");
	REFUSED(srtp_with("a=crypto:1 F8_128_HMAC_SHA1_80 inline:" K30A), 488,
			"a=crypto:1 suite 'F8_128_HMAC_SHA1_80' is not supported");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A "|2^20|1:5"), 488,
			"a=crypto:1 MKI of 5 bytes is not supported (1-4)");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A "|1:0"), 488,
			"MKI must be <value>:<length 1-128>");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A "|256:1"), 488,
			"MKI value does not fit 1 bytes");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A "|2^49"), 488,
			"lifetime '2^49' must be 2^n or a number, at most 2^48");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A "|0"), 488,
			"lifetime '0'");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A "|1:4|2^20"), 488,
			"lifetime '2^20' must be 2^n or a number, at most 2^48, before the MKI");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A "|2^20|1:4|x"), 488,
			"more than lifetime and MKI");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A "|1:4|2:4"), 488,
			"two MKIs");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A "|2^20|1:4;inline:" K30B
					  "|2^20|2:4"),
			488, "a=crypto:1 offers several keys");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A " UNENCRYPTED_SRTP"),
			488, "a=crypto:1 session parameter 'UNENCRYPTED_SRTP' is not supported");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A " KDR=24"), 488,
			"session parameter 'KDR=24'");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A " WSH=32"), 488,
			"session parameter 'WSH=32'");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K30A " WSH=32768"), 488,
			"session parameter 'WSH=32768'"); /* libsrtp's window ends at 32767 */
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K46A K46A K46A), 488,
			"a=crypto:1 key is longer than any suite's");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:https://kms/" K30A), 488,
			"key 'uri:https://kms/");
	REFUSED(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80"), 488, "needs a suite and a key");
	REFUSED(srtp_with("a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:" K30A), 488,
			"a=crypto must begin with a tag of 1 to 9 digits");
	REFUSED(srtp_with("a=crypto:1234567890 AES_CM_128_HMAC_SHA1_80 inline:" K30A), 488,
			"tag of 1 to 9 digits");
	REFUSED(srtp_with("a=crypto:"), 488, "tag of 1 to 9 digits");
	/* the reason names the first line; a later usable one is taken */
	CHECK_EQ_INT(take(srtp_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:@@@@\r\n"
								"a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" K30C),
						 G711, 0),
			0);
	CHECK_EQ_INT(ch.crypto, 1);
	CHECK_EQ_INT(o.crypto[0].key_len, 0); /* an unusable line keeps no key */
	CHECK_CONTAINS(o.crypto_why, "a=crypto:1 key is not base64");
}

TEST(sdp_crypto_lines_taken)
{
	media_crypto_t c;
	const char *s;

	s = "7 AES_CM_128_HMAC_SHA1_80 inline:" K30A "|2^20|1:4 WSH=256 KDR=0 -FEC_KEY=x";
	CHECK_EQ_INT(media_sdp_crypto_parse(s, strlen(s), &c, why), 0);
	CHECK_EQ_INT(c.tag, 7);
	CHECK(c.lifetime == 1ULL << 20);
	CHECK_EQ_INT(c.mki, 1);
	CHECK_EQ_INT(c.mki_len, 4);
	CHECK_EQ_INT(c.wsh, 256);
	s = "2 AEAD_AES_256_GCM inline:" K44A " WSH=32767";
	CHECK_EQ_INT(media_sdp_crypto_parse(s, strlen(s), &c, why), 0);
	CHECK_EQ_INT(c.wsh, 32767);
	s = "1 AES_CM_128_HMAC_SHA1_32 INLINE:" K30A "|1048576|4294967295:4";
	CHECK_EQ_INT(media_sdp_crypto_parse(s, strlen(s), &c, why), 0);
	CHECK(c.lifetime == 1048576);
	CHECK(c.mki == 4294967295u);
	/* padding may be left out */
	s = "1 AES_256_CM_HMAC_SHA1_80 inline:Tc4Si4MFAXobTXxtFAk6GTdcEEHAXU/KZ5mXR9uTvOdvWfqgzR1QB4g"
		"gfSCdSA";
	CHECK_EQ_INT(media_sdp_crypto_parse(s, strlen(s), &c, why), 0);
	CHECK_EQ_INT(c.key_len, 46);
	/* but a broken padding is not base64 */
	s = "1 AES_256_CM_HMAC_SHA1_80 inline:Tc4Si4MFAXobTXxtFAk6GTdcEEHAXU/KZ5mXR9uTvOdvWfqgzR1QB4g"
		"gfSCdSA=";
	CHECK_EQ_INT(media_sdp_crypto_parse(s, strlen(s), &c, why), -1);
	CHECK_CONTAINS(why, "not base64");
	s = "1 AES_CM_128_HMAC_SHA1_80 inline:QABa3oWr+BXcKoaG=7Sc9rS1PG8qQlh2zh1ZtLMos";
	CHECK_EQ_INT(media_sdp_crypto_parse(s, strlen(s), &c, why), -1);
	CHECK_EQ_INT(c.usable, 0);
}

TEST(sdp_answer_errors)
{
	media_local_t l = {"192.0.2.1", 6000, 1, 1, NULL, 0};
	unsigned char key[MEDIA_KEY_MAX] = {0};

	CHECK_EQ_INT(take(asterisk, G711, 0), 0);
	CHECK_EQ_INT(media_sdp_answer(&o, &ch, &l, ans, sizeof ans, why), -1);
	CHECK_CONTAINS(why, "our key is not one of AES_CM_128_HMAC_SHA1_80");
	l.key = key;
	l.key_len = 28;
	CHECK_EQ_INT(media_sdp_answer(&o, &ch, &l, ans, sizeof ans, why), -1);
	l.key_len = 30;
	CHECK(media_sdp_answer(&o, &ch, &l, ans, sizeof ans, why) > 0);
	CHECK_EQ_INT(media_sdp_answer(&o, &ch, &l, ans, 100, why), -1);
	CHECK_CONTAINS(why, "the answer does not fit 100 bytes");
	CHECK(strlen(ans) < 100);
	l.addr = "pbx.example.com";
	CHECK_EQ_INT(media_sdp_answer(&o, &ch, &l, ans, sizeof ans, why), -1);
	CHECK_CONTAINS(why, "not an IPv4 or IPv6 literal");
	l.addr = NULL;
	CHECK_EQ_INT(media_sdp_answer(&o, &ch, &l, ans, sizeof ans, why), -1);
	l.addr = "192.0.2.1";
	l.port = 0;
	CHECK_EQ_INT(media_sdp_answer(&o, &ch, &l, ans, sizeof ans, why), -1);
	CHECK_CONTAINS(why, "our address and port are not set");
}

TEST(sdp_fresh_keys)
{
	unsigned char a[MEDIA_KEY_MAX], b[MEDIA_KEY_MAX];
	char text[MEDIA_KEY_B64_MAX];
	unsigned char dec[MEDIA_KEY_MAX];
	int s;

	for(s = MEDIA_AES_CM_128_HMAC_SHA1_80; s < MEDIA_SUITE_COUNT; s++) {
		int n = media_suite_new_key((media_suite_t)s, a, sizeof a, why);
		CHECK_EQ_INT(n, media_suite_keysalt_len((media_suite_t)s));
		CHECK_EQ_INT(media_suite_new_key((media_suite_t)s, b, sizeof b, why), n);
		CHECK(memcmp(a, b, (size_t)n) != 0);
		CHECK(media_b64_encode(a, (size_t)n, text, sizeof text) > 0);
		CHECK_EQ_INT(media_b64_decode(text, strlen(text), dec, sizeof dec), n);
		CHECK(memcmp(a, dec, (size_t)n) == 0);
		CHECK(media_suite_by_name(media_suite_name((media_suite_t)s),
					  strlen(media_suite_name((media_suite_t)s)))
				== (media_suite_t)s);
	}
	CHECK_EQ_INT(media_suite_new_key(MEDIA_SUITE_NONE, a, sizeof a, why), -1);
	CHECK_EQ_INT(media_suite_new_key(MEDIA_AEAD_AES_256_GCM, a, 20, why), -1);
	CHECK_CONTAINS(why, "AEAD_AES_256_GCM needs 44 bytes of key, room for 20");
	CHECK_EQ_STR(media_suite_name((media_suite_t)99), "none");
	CHECK_EQ_INT(media_b64_encode(a, 30, text, 40), -1);
	CHECK_EQ_INT(media_b64_decode("QQ==", 4, dec, 0), -1);
	CHECK_EQ_INT(media_b64_decode("Q", 1, dec, 8), -1);
	CHECK_EQ_INT(media_b64_decode("QQ=", 3, dec, 8), -1);
	CHECK_EQ_INT(media_b64_decode("QUJD", 4, dec, 8), 3);
	CHECK(memcmp(dec, "ABC", 3) == 0);
}

/* Every prefix of every real offer, and every offer with each byte in turn replaced by
 * bytes that matter to the grammar: a status of 0, 400 or 488, a safe reason, no crash
 * (the sanitizers watch). */
TEST(sdp_cut_and_corrupted_offers_never_crash)
{
	static const char *const offers[] = {baresip, baresip_srtp, linphone, zoiper, asterisk,
			freeswitch, cisco, polycom, sbc, ipv6};
	static const char swaps[] = {'\0', '\r', '\n', ' ', ':', '/', '|', '=', '9', 'x', '\xff'};
	char buf[4096];
	size_t i, k, n, len, bad = 0, runs = 0;
	int rc;

	for(i = 0; i < sizeof offers / sizeof offers[0]; i++) {
		len = strlen(offers[i]);
		for(n = 0; n <= len; n++) {
			rc = media_sdp_parse(offers[i], n, &o, why);
			if(rc == 0)
				rc = media_sdp_choose(&o, ALL, 0, &ch, why);
			bad += !(rc == 0 || rc == 400 || rc == 488) || !safe(why);
			runs++;
		}
		for(n = 0; n < len; n += 3)
			for(k = 0; k < sizeof swaps; k++) {
				memcpy(buf, offers[i], len);
				buf[n] = swaps[k];
				rc = media_sdp_parse(buf, len, &o, why);
				if(rc == 0)
					rc = media_sdp_choose(&o, ALL, 1, &ch, why);
				bad += !(rc == 0 || rc == 400 || rc == 488) || !safe(why);
				runs++;
			}
	}
	CHECK_MSG(bad == 0, "%zu of %zu runs gave an unknown status or unsafe reason", bad, runs);
	CHECK(runs > 10000);
}

UNIT_MAIN()
