/*
 * test_media_srtp.c - SRTP end to end (omniq_media media_srtp.c with media_sdp, media_rtp,
 * media_wav and media_g711), against a far end built on libsrtp itself:
 *
 *  - for every suite we take: the caller offers it (RTP/SAVP, one a=crypto line); we
 *    answer with a fresh key; our sender streams two prompts (a WAV made here, G.711
 *    encoded) with a second of silence between them, protected by our context; the far
 *    end reads our key out of the answer text with its own base64 decoder (OpenSSL's),
 *    makes its own libsrtp context and unprotects every packet: the payloads are the
 *    prompts' G.711 bytes in order, sequence numbers continuous across a wrap, timestamps
 *    continuous (with the silence), the marker on each prompt's first packet only, one
 *    SSRC, the trailer as long as the suite's tag; then our RTCP sender report, protected,
 *    unprotected by the far end and checked;
 *  - the other way: the far end protects with the key of its offer (with an MKI when the
 *    offer has one), our receiving context unprotects; a replayed packet and one older than
 *    the window are refused and counted; a context with a wrong key fails every packet's
 *    authentication, counts each, and nothing crashes; nor does garbage;
 *  - the far end with a wrong key cannot read our stream either.
 */
#include <openssl/evp.h>
#include <srtp2/srtp.h>

#include "unit.h"
#include "../../modules/omniq_media/media_g711.h"
#include "../../modules/omniq_media/media_rtp.h"
#include "../../modules/omniq_media/media_sdp.h"
#include "../../modules/omniq_media/media_srtp.h"
#include "../../modules/omniq_media/media_wav.h"

#define PKT 1500
#define PROMPT_A 8000 /* samples: 1 s */
#define PROMPT_B 4000
#define SILENCE 8000

static char why[512];
static media_offer_t offer;
static media_choice_t choice;

__attribute__((constructor)) static void init_srtp(void)
{
	if(media_srtp_init(why) < 0) {
		fprintf(stderr, "%s\n", why);
		exit(2);
	}
}

__attribute__((destructor)) static void end_srtp(void)
{
	media_srtp_shutdown();
}

/* ---- the far end: libsrtp used directly, nothing of ours ---- */

static const struct {
	const char *name;
	void (*set)(srtp_crypto_policy_t *);
	int tag; /* bytes of authentication tag after an RTP packet */
} far_suites[] = {
		{"AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default, 10},
		{"AES_CM_128_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, 4},
		{"AES_256_CM_HMAC_SHA1_80", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, 10},
		{"AES_256_CM_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32, 4},
		{"AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth, 16},
		{"AEAD_AES_256_GCM", srtp_crypto_policy_set_aes_gcm_256_16_auth, 16},
};
#define NSUITES (int)(sizeof far_suites / sizeof far_suites[0])

/* RTCP: the AES-CM suites keep their 80-bit tag for SRTCP (RFC 4568 §6.2.2), GCM its 16 */
static void far_rtcp_policy(int i, srtp_crypto_policy_t *p)
{
	if(i == 1)
		srtp_crypto_policy_set_rtp_default(p);
	else if(i == 3)
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(p);
	else
		far_suites[i].set(p);
}

/* The far end's context from a key||salt; with an MKI when mki_len > 0. */
static srtp_t far_ctx(int suite, const unsigned char *key, int inbound, uint32_t mki,
		int mki_len)
{
	srtp_policy_t p;
	srtp_master_key_t mk, *keys[1] = {&mk};
	unsigned char k[64], id[4];
	srtp_t s = NULL;
	int i;

	memset(&p, 0, sizeof p);
	far_suites[suite].set(&p.rtp);
	far_rtcp_policy(suite, &p.rtcp);
	memcpy(k, key, sizeof k);
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.window_size = 128;
	if(mki_len) {
		for(i = 0; i < mki_len; i++)
			id[i] = (unsigned char)(mki >> (8 * (mki_len - 1 - i)));
		mk.key = k;
		mk.mki_id = id;
		mk.mki_size = (unsigned)mki_len;
		p.keys = keys;
		p.num_master_keys = 1;
	} else
		p.key = k;
	if(srtp_create(&s, &p) != srtp_err_status_ok)
		return NULL;
	return s;
}

/* The suite and key of the answer's a=crypto line, read by the far end itself. */
static int far_key_of_answer(const char *ans, int *suite, unsigned char *key, int *tag)
{
	const char *a = strstr(ans, "a=crypto:"), *in, *end;
	unsigned char raw[96];
	int i, n, pad = 0;

	if(a == NULL || (in = strstr(a, " inline:")) == NULL || (end = strstr(in, "\r\n")) == NULL)
		return -1;
	*tag = atoi(a + 9);
	*suite = -1;
	for(i = 0; i < NSUITES; i++)
		if(strncmp(strchr(a, ' ') + 1, far_suites[i].name, strlen(far_suites[i].name)) == 0
				&& strchr(a, ' ')[1 + strlen(far_suites[i].name)] == ' ')
			*suite = i;
	in += 8;
	n = EVP_DecodeBlock(raw, (const unsigned char *)in, (int)(end - in));
	if(n < 0 || *suite < 0)
		return -1;
	for(i = 1; i <= 2; i++)
		pad += end[-i] == '=';
	memcpy(key, raw, (size_t)(n - pad));
	return n - pad;
}

/* ---- the caller's offer, our answer ---- */

static const unsigned char caller_key[64] = {0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
		0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0, 0x01, 0x12, 0x23, 0x34, 0x45, 0x56,
		0x67, 0x78, 0x89, 0x9a, 0xab, 0xbc, 0xcd, 0xde, 0xef, 0xf1, 0x10, 0x20, 0x30, 0x40,
		0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0};

/* An SRTP offer of suite i from the caller_key, PCMA preferred when alaw; parsed and
 * chosen from, our answer written with our_key: the answer's length. */
static int offer_and_answer(int i, int alaw, const char *key_extra, unsigned char *our_key,
		char *ans, size_t size)
{
	char sdp[1024], b64[MEDIA_KEY_B64_MAX];
	media_suite_t s = (media_suite_t)(MEDIA_AES_CM_128_HMAC_SHA1_80 + i);
	int n = media_suite_keysalt_len(s), rc;
	media_local_t l = {"192.0.2.1", 30000, 77, 1, our_key, n};

	media_b64_encode(caller_key, (size_t)n, b64, sizeof b64);
	snprintf(sdp, sizeof sdp,
			"v=0\r\no=caller 1 1 IN IP4 198.51.100.2\r\ns=-\r\nc=IN IP4 198.51.100.2\r\n"
			"t=0 0\r\nm=audio 4000 RTP/SAVP %s 101\r\na=rtpmap:101 telephone-event/8000\r\n"
			"a=crypto:9 %s inline:%s%s\r\n",
			alaw ? "8 0" : "0 8", media_suite_name(s), b64, key_extra);
	if((rc = media_sdp_parse(sdp, strlen(sdp), &offer, why)) != 0
			|| (rc = media_sdp_choose(&offer, MEDIA_CODEC_PCMU | MEDIA_CODEC_PCMA,
						MEDIA_PREFER_OFFER, &choice, why))
					!= 0)
		return -rc;
	if(media_suite_new_key(s, our_key, MEDIA_KEY_MAX, why) != n)
		return -1;
	return media_sdp_answer(&offer, &choice, &l, ans, size, why);
}

/* ---- the prompts ---- */

static uint8_t wav_buf[2 * (PROMPT_A + PROMPT_B) + 64];

/* a WAV of n samples of a shape of its own (seed), made as a recording tool would */
static size_t make_wav(int n, unsigned seed)
{
	uint8_t *p = wav_buf;
	int i;

#define P32(v)                                                                         \
	do {                                                                           \
		uint32_t v_ = (v);                                                     \
		*p++ = (uint8_t)v_, *p++ = (uint8_t)(v_ >> 8), *p++ = (uint8_t)(v_ >> 16), \
		*p++ = (uint8_t)(v_ >> 24);                                            \
	} while(0)
	memcpy(p, "RIFF", 4), p += 4;
	P32((uint32_t)(36 + 2 * n));
	memcpy(p, "WAVEfmt ", 8), p += 8;
	P32(16);
	memcpy(p, "\x01\x00\x01\x00", 4), p += 4;
	P32(8000);
	P32(16000);
	memcpy(p, "\x02\x00\x10\x00", 4), p += 4;
	memcpy(p, "data", 4), p += 4;
	P32((uint32_t)(2 * n));
	for(i = 0; i < n; i++) {
		/* a triangle wave with some noise: every segment of the companding curve */
		int tri = (int)((i * (seed + 37)) % 4000) - 2000;
		int16_t v = (int16_t)(tri * 16 + (int)((i * 2654435761u + seed) >> 24) - 128);
		*p++ = (uint8_t)v, *p++ = (uint8_t)((uint16_t)v >> 8);
	}
#undef P32
	return (size_t)(p - wav_buf);
}

typedef struct stream {
	uint8_t *g711; /* what the far end must hear, in order */
	size_t len;
	int packets;
} stream_t;

/* Our side: prompts A and B (loaded from WAVs, encoded in the chosen law) as SRTP packets
 * into pkts/lens; what they carry into st. The sender starts 40 packets before the
 * sequence number wraps. */
static int our_stream(media_rtp_tx_t *tx, media_srtp_t *ctx, int law, uint8_t pkts[][PKT],
		size_t *lens, stream_t *st)
{
	media_wav_t a, b;
	const media_wav_t *pr[2] = {&a, &b};
	int k, n = 0, rc;
	size_t off, len;

	st->g711 = malloc(PROMPT_A + PROMPT_B);
	st->len = 0;
	if(media_wav_parse(wav_buf, make_wav(PROMPT_A, 1), "a.wav", &a, why) < 0)
		return -1;
	if(media_wav_parse(wav_buf, make_wav(PROMPT_B, 2), "b.wav", &b, why) < 0) {
		media_wav_free(&a);
		return -1;
	}
	media_rtp_tx_seed(tx, tx->ssrc, 65536 - 40, 0xfffff000u);
	for(k = 0; k < 2; k++) {
		if(k == 1) {
			media_rtp_tx_skip(tx, SILENCE);
			media_rtp_tx_talkspurt(tx);
		}
		for(off = 0; off + MEDIA_RTP_SAMPLES <= pr[k]->samples; off += MEDIA_RTP_SAMPLES) {
			uint8_t codes[MEDIA_RTP_SAMPLES];

			media_g711_encode(law, pr[k]->pcm + off, MEDIA_RTP_SAMPLES, codes);
			memcpy(st->g711 + st->len, codes, sizeof codes);
			st->len += sizeof codes;
			rc = media_rtp_tx_packet(tx, codes, sizeof codes, MEDIA_RTP_SAMPLES,
					(uint64_t)n * 20000000ULL, pkts[n], PKT);
			len = (size_t)rc;
			if(rc < 0 || media_srtp_protect(ctx, pkts[n], &len, PKT) != 0)
				break;
			lens[n++] = len;
		}
	}
	media_wav_free(&a);
	media_wav_free(&b);
	st->packets = n;
	return n;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#define NPKT ((PROMPT_A + PROMPT_B) / MEDIA_RTP_SAMPLES)
static uint8_t pkts[NPKT][PKT];
static size_t lens[NPKT];

static void our_stream_heard_by_the_far_end(int i, int law)
{
	unsigned char our_key[MEDIA_KEY_MAX], far_key[64];
	char ans[2048];
	media_rtp_tx_t tx;
	media_srtp_t ctx;
	stream_t st;
	srtp_t far;
	uint8_t *heard = malloc(PROMPT_A + PROMPT_B), buf[PKT];
	size_t heard_len = 0, rlen;
	int k, n, suite = -1, tag = -1, bad_seq = 0, bad_ts = 0, bad_ssrc = 0, bad_mark = 0, bad_len = 0,
			bad_unprotect = 0, same_as_plain = 0, len;
	uint32_t ssrc = 0;

	CHECK_MSG(offer_and_answer(i, law == MEDIA_ALAW, "", our_key, ans, sizeof ans) > 0,
			"%s: %s", far_suites[i].name, why);
	CHECK_EQ_INT(choice.pt, law == MEDIA_ALAW ? 8 : 0);
	n = far_key_of_answer(ans, &suite, far_key, &tag);
	CHECK_EQ_INT(suite, i);
	CHECK_EQ_INT(tag, 9);
	CHECK_EQ_INT(n, media_suite_keysalt_len(offer.crypto[0].suite));
	CHECK(memcmp(far_key, our_key, (size_t)n) == 0);
	far = far_ctx(suite, far_key, 1, 0, 0);
	CHECK(far != NULL);

	CHECK_EQ_INT(media_rtp_tx_init(&tx, choice.pt, 8000, 0), 0);
	CHECK_EQ_INT(media_srtp_tx_create(&ctx, offer.crypto[choice.crypto].suite, our_key,
						 media_suite_keysalt_len(offer.crypto[choice.crypto].suite),
						 tx.ssrc, why),
			0);
	n = our_stream(&tx, &ctx, law, pkts, lens, &st);
	CHECK_EQ_INT(n, NPKT);
	CHECK_EQ_INT(ctx.ok, NPKT);
	for(k = 0; k < n && far; k++) {
		bad_len += lens[k] != (size_t)(MEDIA_RTP_HDR + MEDIA_RTP_SAMPLES + far_suites[i].tag);
		memcpy(buf, pkts[k], lens[k]);
		same_as_plain += memcmp(buf + 12, st.g711 + k * MEDIA_RTP_SAMPLES, 160) == 0;
		len = (int)lens[k];
		if(srtp_unprotect(far, buf, &len) != srtp_err_status_ok
				|| len != MEDIA_RTP_HDR + MEDIA_RTP_SAMPLES) {
			bad_unprotect++;
			continue;
		}
		memcpy(heard + heard_len, buf + 12, 160);
		heard_len += 160;
		if(k == 0)
			ssrc = be32(buf + 8);
		bad_ssrc += be32(buf + 8) != ssrc;
		bad_seq += be16(buf + 2) != (uint16_t)(65536 - 40 + k);
		/* prompt B starts after PROMPT_A's packets and the silence */
		bad_ts += be32(buf + 4)
				  != 0xfffff000u + (uint32_t)(k * 160)
							 + (k >= PROMPT_A / 160 ? SILENCE : 0);
		bad_mark += (buf[1] >> 7) != (k == 0 || k == PROMPT_A / 160);
		bad_mark += (buf[1] & 0x7f) != choice.pt;
	}
	CHECK_EQ_INT(bad_len, 0);
	CHECK_EQ_INT(same_as_plain, 0);
	CHECK_EQ_INT(bad_unprotect, 0);
	CHECK_EQ_INT(bad_ssrc, 0);
	CHECK_EQ_INT(ssrc, tx.ssrc);
	CHECK_EQ_INT(bad_seq, 0);
	CHECK_EQ_INT(bad_ts, 0);
	CHECK_EQ_INT(bad_mark, 0);
	CHECK_EQ_INT(heard_len, st.len);
	CHECK(heard_len == st.len && memcmp(heard, st.g711, st.len) == 0);

	/* the sender report, protected and read back */
	n = media_rtcp_report(&tx, 1704067200ULL * 1000000000ULL, (uint64_t)NPKT * 20000000ULL,
			"omniq@192.0.2.1", 0, buf, sizeof buf);
	CHECK(n > 0);
	rlen = (size_t)n;
	CHECK_EQ_INT(media_srtp_protect_rtcp(&ctx, buf, &rlen, sizeof buf), 0);
	/* SRTCP index, then an 80-bit tag even under the _32 suites, GCM's 16 bytes */
	CHECK_EQ_INT(rlen, (size_t)n + 4 + (i >= 4 ? 16 : 10));
	len = (int)rlen;
	CHECK_EQ_INT(far ? (int)srtp_unprotect_rtcp(far, buf, &len) : -1, srtp_err_status_ok);
	CHECK_EQ_INT(len, n);
	CHECK_EQ_INT(buf[1], 200);
	CHECK_EQ_INT(be32(buf + 4), tx.ssrc);
	CHECK_EQ_INT(be32(buf + 8), 1704067200u + 2208988800u);
	CHECK_EQ_INT(be32(buf + 16), 0xfffff000u + (uint32_t)(NPKT * 160) + SILENCE);
	CHECK_EQ_INT(be32(buf + 20), NPKT);
	CHECK_EQ_INT(be32(buf + 24), NPKT * 160);
	CHECK_EQ_INT(buf[29], 202);
	CHECK(memcmp(buf + 38, "omniq@192.0.2.1", 15) == 0);

	/* a far end with another key hears nothing of it */
	far_key[3] ^= 0x40;
	if(far)
		srtp_dealloc(far);
	far = far_ctx(suite, far_key, 1, 0, 0);
	for(k = 0, bad_unprotect = 0; far && k < NPKT; k++) {
		memcpy(buf, pkts[k], lens[k]);
		len = (int)lens[k];
		bad_unprotect += srtp_unprotect(far, buf, &len) == srtp_err_status_auth_fail;
	}
	CHECK_EQ_INT(bad_unprotect, NPKT);
	if(far)
		srtp_dealloc(far);
	media_srtp_free(&ctx);
	free(st.g711);
	free(heard);
}

TEST(srtp_our_stream_every_suite_pcmu)
{
	int i;

	for(i = 0; i < NSUITES; i++)
		our_stream_heard_by_the_far_end(i, MEDIA_ULAW);
}

TEST(srtp_our_stream_every_suite_pcma)
{
	int i;

	for(i = 0; i < NSUITES; i++)
		our_stream_heard_by_the_far_end(i, MEDIA_ALAW);
}

/* The far end sends 200 packets protected with the offer's key (and MKI); ours reads. */
static void caller_stream_read_by_us(int i, const char *extra)
{
	unsigned char our_key[MEDIA_KEY_MAX], wrong[MEDIA_KEY_MAX];
	char ans[2048];
	const media_crypto_t *c;
	media_srtp_t rx, bad;
	srtp_t far;
	static uint8_t sent[201][PKT];
	uint8_t buf[PKT];
	size_t lens2[201], len;
	int k, n, ok = 0, intact = 0;

	CHECK_MSG(offer_and_answer(i, 0, extra, our_key, ans, sizeof ans) > 0, "%s: %s",
			far_suites[i].name, why);
	c = &offer.crypto[choice.crypto];
	far = far_ctx(i, caller_key, 0, c->mki, c->mki_len);
	CHECK(far != NULL);
	for(k = 0; k < 201 && far; k++) {
		n = 12 + 160;
		memset(sent[k], 0, PKT);
		sent[k][0] = 0x80;
		sent[k][1] = 0;
		sent[k][2] = (uint8_t)(k >> 8);
		sent[k][3] = (uint8_t)k;
		sent[k][7] = (uint8_t)k;
		sent[k][11] = 0x42;
		memset(sent[k] + 12, k, 160);
		CHECK_EQ_INT(c->mki_len ? srtp_protect_mki(far, sent[k], &n, 1, 0)
								: srtp_protect(far, sent[k], &n),
				srtp_err_status_ok);
		lens2[k] = (size_t)n;
	}
	CHECK_EQ_INT(media_srtp_rx_create(&rx, c->suite, c->key, c->key_len, c->mki, c->mki_len,
						 c->wsh, why),
			0);
	for(k = 0; k < 200; k++) {
		memcpy(buf, sent[k], lens2[k]);
		len = lens2[k];
		if(media_srtp_unprotect(&rx, buf, &len) == 0 && len == 172) {
			ok++;
			intact += buf[12] == (uint8_t)k && buf[171] == (uint8_t)k;
		}
	}
	CHECK_EQ_INT(ok, 200);
	CHECK_EQ_INT(intact, 200);
	CHECK_EQ_INT(rx.ok, 200);
	/* a replay of the last packet, and of one older than the window (128) */
	memcpy(buf, sent[199], lens2[199]);
	len = lens2[199];
	CHECK_EQ_INT(media_srtp_unprotect(&rx, buf, &len), srtp_err_status_replay_fail);
	memcpy(buf, sent[10], lens2[10]);
	len = lens2[10];
	CHECK_EQ_INT(media_srtp_unprotect(&rx, buf, &len), srtp_err_status_replay_old);
	CHECK_EQ_INT(rx.replay, 2);
	CHECK_EQ_INT(rx.auth_fail, 0);
	CHECK_EQ_STR(media_srtp_reason(rx.last_status), "packet older than the replay window");
	/* a flipped bit in the payload of a packet not yet seen: authentication fails, and the
	 * forgery does not spoil the genuine packet's place in the replay window */
	memcpy(buf, sent[200], lens2[200]);
	buf[40] ^= 1;
	len = lens2[200];
	CHECK_EQ_INT(media_srtp_unprotect(&rx, buf, &len), srtp_err_status_auth_fail);
	CHECK_EQ_INT(rx.auth_fail, 1);
	memcpy(buf, sent[200], lens2[200]);
	len = lens2[200];
	CHECK_EQ_INT(media_srtp_unprotect(&rx, buf, &len), 0);
	CHECK_EQ_INT(rx.ok, 201);
	/* a context with a wrong key: every packet fails, each counted */
	memcpy(wrong, c->key, (size_t)c->key_len);
	wrong[0] ^= 0x80;
	CHECK_EQ_INT(media_srtp_rx_create(&bad, c->suite, wrong, c->key_len, c->mki, c->mki_len, 0,
						 why),
			0);
	for(k = 0; k < 200; k++) {
		memcpy(buf, sent[k], lens2[k]);
		len = lens2[k];
		media_srtp_unprotect(&bad, buf, &len);
	}
	CHECK_EQ_INT(bad.auth_fail, 200);
	CHECK_EQ_INT(bad.ok, 0);
	CHECK_EQ_STR(media_srtp_reason(bad.last_status), "authentication failed");
	media_srtp_free(&bad);
	media_srtp_free(&rx);
	if(far)
		srtp_dealloc(far);
}

TEST(srtp_caller_stream_every_suite)
{
	int i;

	for(i = 0; i < NSUITES; i++)
		caller_stream_read_by_us(i, "");
}

TEST(srtp_caller_stream_with_mki_and_lifetime)
{
	int i;

	for(i = 0; i < NSUITES; i++) {
		caller_stream_read_by_us(i, "|2^31|1:1");
		CHECK_EQ_INT(offer.crypto[0].mki_len, 1);
		caller_stream_read_by_us(i, "|1:4");
		CHECK_EQ_INT(offer.crypto[0].mki_len, 4);
		caller_stream_read_by_us(i, "|2^48|258:2 WSH=64");
		CHECK_EQ_INT(offer.crypto[0].mki, 258);
		CHECK_EQ_INT(offer.crypto[0].wsh, 64);
	}
}

TEST(srtp_garbage_never_crashes)
{
	media_srtp_t rx;
	uint8_t buf[PKT];
	size_t len, k, j;
	unsigned x = 12345;

	CHECK_EQ_INT(media_srtp_rx_create(&rx, MEDIA_AES_CM_128_HMAC_SHA1_80, caller_key, 30, 0, 0,
						 0, why),
			0);
	for(k = 0; k < 2000; k++) {
		len = k % 300;
		for(j = 0; j < len; j++)
			buf[j] = (uint8_t)((x = x * 1103515245 + 12345) >> 16);
		if(len)
			buf[0] = (uint8_t)((buf[0] & 0x3f) | 0x80); /* version 2 often */
		if(k & 1)
			media_srtp_unprotect(&rx, buf, &len);
		else
			media_srtp_unprotect_rtcp(&rx, buf, &len);
	}
	CHECK_EQ_INT(rx.ok, 0);
	CHECK_EQ_INT(rx.auth_fail + rx.replay + rx.other, 2000);
	media_srtp_free(&rx);
}

TEST(srtp_misuse_is_refused)
{
	media_srtp_t s;
	uint8_t buf[PKT] = {0x80};
	size_t len = 172;

	CHECK_EQ_INT(media_srtp_tx_create(&s, MEDIA_AEAD_AES_128_GCM, caller_key, 30, 1, why), -1);
	CHECK_CONTAINS(why, "AEAD_AES_128_GCM needs a key||salt of 28 bytes, not 30");
	CHECK(s.ctx == NULL);
	CHECK_EQ_INT(media_srtp_tx_create(&s, MEDIA_SUITE_NONE, caller_key, 30, 1, why), -1);
	CHECK_EQ_INT(media_srtp_rx_create(&s, MEDIA_AES_CM_128_HMAC_SHA1_80, caller_key, 30, 1, 5,
						 0, why),
			-1);
	CHECK_EQ_INT(media_srtp_rx_create(&s, MEDIA_AES_CM_128_HMAC_SHA1_80, caller_key, 30, 0, 0,
						 32, why),
			-1);
	CHECK_EQ_INT(media_srtp_rx_create(&s, MEDIA_AES_CM_128_HMAC_SHA1_80, caller_key, 30, 0, 0,
						 32768, why),
			-1);
	CHECK_CONTAINS(why, "window of 32768 packets");
	CHECK_EQ_INT(media_srtp_rx_create(&s, MEDIA_AES_CM_128_HMAC_SHA1_80, caller_key, 30, 0, 0,
						 32767, why),
			0);
	media_srtp_free(&s);
	CHECK_EQ_INT(media_srtp_tx_create(&s, MEDIA_AES_CM_128_HMAC_SHA1_80, caller_key, 30,
						 0x42, why),
			0);
	/* no room for the tag */
	CHECK_EQ_INT(media_srtp_protect(&s, buf, &len, 172 + 10), MEDIA_SRTP_NO_ROOM);
	CHECK_EQ_INT(len, 172);
	CHECK_EQ_STR(media_srtp_reason(s.last_status), "no room for the SRTP trailer");
	/* another SSRC than the context's */
	buf[11] = 0x43;
	CHECK(media_srtp_protect(&s, buf, &len, sizeof buf) != 0);
	CHECK_EQ_INT(s.other, 2);
	media_srtp_free(&s);
	media_srtp_free(&s); /* twice is harmless */
	CHECK_EQ_INT(media_srtp_protect(&s, buf, &len, sizeof buf), MEDIA_SRTP_NO_CTX);
	CHECK_EQ_INT(media_srtp_unprotect(&s, buf, &len), MEDIA_SRTP_NO_CTX);
	CHECK_EQ_STR(media_srtp_reason(MEDIA_SRTP_NO_CTX), "no SRTP context");
	CHECK_EQ_STR(media_srtp_reason(srtp_err_status_replay_fail), "replayed packet");
	CHECK_EQ_STR(media_srtp_reason(12345), "SRTP failure");
}

UNIT_MAIN()
