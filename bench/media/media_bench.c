/*
 * media_bench.c - bench/media: what one 20 ms SRTP announcement packet costs the CPU, for
 * omniq_media's sending path (modules/omniq_media: media_rtp builds the packet from a
 * prompt, media_srtp protects it) against the minimal version of the same work in the same
 * run (a template packet copied, its sequence number and timestamp written, srtp_protect()
 * of libsrtp called directly), each over S concurrent streams of their own keys, 20 ms of
 * G.711 (160 bytes) a packet, per suite.
 *
 * The figure is CPU time (CLOCK_PROCESS_CPUTIME_ID) per packet, the best of ROUNDS rounds,
 * and what it makes on one core: packets/s and 20 ms streams (packets/s / 50). Issue 29's
 * targets: >= 2,000 streams (100,000 packets/s) on one core, omniq >= 0.7 of the raw rate.
 * Sending (a UDP socket per stream, the media processes' pacing) is not here yet: there is
 * no media process yet; this is the part of a packet's cost the foundation decides.
 *
 *   media_bench [streams] [ticks]        defaults 2000 streams, 50 ticks (1 s of audio)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include <arpa/inet.h>
#include <srtp2/srtp.h>

#include "media_g711.h"
#include "media_rtp.h"
#include "media_srtp.h"
#include "media_suite.h"

#define ROUNDS 3
#define PAYLOAD 160
#define PROMPT_S 4 /* seconds of prompt, wrapped round */
#define CAP 512

static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static uint8_t prompt[8000 * PROMPT_S];
static volatile size_t sink; /* so that no packet is optimised away */

/* A prompt: a 440 Hz tone then a 660 Hz one, µ-law */
static void make_prompt(void)
{
	static int16_t pcm[8000 * PROMPT_S];
	size_t i;

	for(i = 0; i < sizeof(pcm) / sizeof(pcm[0]); i++)
		pcm[i] = (int16_t)(8000 * sin(2 * M_PI * (i < 16000 ? 440 : 660) * i / 8000.0));
	media_g711_encode(0, pcm, sizeof(pcm) / sizeof(pcm[0]), prompt);
}

typedef struct {
	media_rtp_tx_t tx;
	media_srtp_t s;
	srtp_t raw;
	uint8_t tmpl[12 + PAYLOAD];
	uint16_t seq;
	uint32_t ts;
} stream_t;

static int setup(stream_t *st, int n, media_suite_t suite)
{
	unsigned char key[MEDIA_KEY_MAX];
	int i, kl = media_suite_keysalt_len(suite);
	char why[160];
	srtp_policy_t p;

	for(i = 0; i < n; i++) {
		if(media_suite_new_key(suite, key, sizeof(key), why) < 0
				|| media_rtp_tx_init(&st[i].tx, 0, 8000, mono_ns()) < 0
				|| media_srtp_tx_create(&st[i].s, suite, key, kl, st[i].tx.ssrc, why) < 0) {
			fprintf(stderr, "media_bench: stream %d: %s\n", i, why);
			return -1;
		}
		/* the raw side: the same suite and key, libsrtp's own policy calls */
		memset(&p, 0, sizeof(p));
		switch(suite) {
			case MEDIA_AEAD_AES_128_GCM:
				srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
				break;
			default:
				srtp_crypto_policy_set_rtp_default(&p.rtp);
				break;
		}
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
		p.ssrc.type = ssrc_specific;
		p.ssrc.value = st[i].tx.ssrc + 1;
		p.key = key;
		p.window_size = 128;
		if(srtp_create(&st[i].raw, &p) != srtp_err_status_ok) {
			fprintf(stderr, "media_bench: srtp_create of stream %d failed\n", i);
			return -1;
		}
		memset(st[i].tmpl, 0, 12);
		st[i].tmpl[0] = 0x80;
		*(uint32_t *)(st[i].tmpl + 8) = htonl(st[i].tx.ssrc + 1);
		memcpy(st[i].tmpl + 12, prompt, PAYLOAD);
		st[i].seq = 1;
		st[i].ts = 0;
	}
	return 0;
}

/* omniq's path: the packet built from the prompt, then protected */
static double run_ours(stream_t *st, int n, int ticks, long *pkts)
{
	uint8_t buf[CAP];
	double t0 = cpu_now();
	int t, i, len;
	size_t l, off;

	for(t = 0; t < ticks; t++) {
		off = ((size_t)t * PAYLOAD) % sizeof(prompt);
		for(i = 0; i < n; i++) {
			len = media_rtp_tx_packet(&st[i].tx, prompt + off, PAYLOAD, PAYLOAD, 0, buf,
					sizeof(buf));
			l = (size_t)len;
			if(len < 0 || media_srtp_protect(&st[i].s, buf, &l, sizeof(buf)) != 0) {
				fprintf(stderr, "media_bench: ours failed at stream %d\n", i);
				exit(1);
			}
			sink += l;
			(*pkts)++;
		}
	}
	return cpu_now() - t0;
}

/* the floor: a template copied, seq and ts written, srtp_protect() */
static double run_raw(stream_t *st, int n, int ticks, long *pkts)
{
	uint8_t buf[CAP];
	double t0 = cpu_now();
	int t, i, len;
	size_t off;

	for(t = 0; t < ticks; t++) {
		off = ((size_t)t * PAYLOAD) % sizeof(prompt);
		for(i = 0; i < n; i++) {
			memcpy(buf, st[i].tmpl, 12);
			memcpy(buf + 12, prompt + off, PAYLOAD);
			*(uint16_t *)(buf + 2) = htons(st[i].seq++);
			*(uint32_t *)(buf + 4) = htonl(st[i].ts += PAYLOAD);
			len = 12 + PAYLOAD;
			if(srtp_protect(st[i].raw, buf, &len) != srtp_err_status_ok) {
				fprintf(stderr, "media_bench: raw failed at stream %d\n", i);
				exit(1);
			}
			sink += (size_t)len;
			(*pkts)++;
		}
	}
	return cpu_now() - t0;
}

int main(int argc, char **argv)
{
	static const media_suite_t suites[] = {MEDIA_AES_CM_128_HMAC_SHA1_80, MEDIA_AEAD_AES_128_GCM};
	int n = argc > 1 ? atoi(argv[1]) : 2000, ticks = argc > 2 ? atoi(argv[2]) : 50;
	char why[160];
	unsigned k;
	int r;

	if(n < 1 || n > 100000 || ticks < 1 || ticks > 100000) {
		fprintf(stderr, "usage: media_bench [streams 1..100000] [ticks 1..100000]\n");
		return 2;
	}
	if(media_srtp_init(why) < 0) {
		fprintf(stderr, "media_bench: %s\n", why);
		return 1;
	}
	media_g711_init();
	make_prompt();
	printf("streams %d, %d packets of 20 ms each (%d s of audio), best of %d rounds, CPU time\n",
			n, ticks, ticks / 50, ROUNDS);
	printf("%-24s %14s %14s %12s %12s %8s\n", "suite", "omniq ns/pkt", "raw ns/pkt",
			"omniq pkt/s", "streams/core", "ratio");
	for(k = 0; k < sizeof(suites) / sizeof(suites[0]); k++) {
		stream_t *st = calloc((size_t)n, sizeof(*st));
		double best_o = 1e9, best_r = 1e9, o, rw;
		long po, pr;
		int i;

		if(st == NULL || setup(st, n, suites[k]) < 0)
			return 1;
		for(r = 0; r < ROUNDS; r++) { /* interleaved: the machine's noise falls on both */
			po = pr = 0;
			o = run_ours(st, n, ticks, &po) / po;
			rw = run_raw(st, n, ticks, &pr) / pr;
			best_o = o < best_o ? o : best_o;
			best_r = rw < best_r ? rw : best_r;
		}
		printf("%-24s %14.0f %14.0f %12.0f %12.0f %8.2f\n", media_suite_name(suites[k]),
				best_o * 1e9, best_r * 1e9, 1 / best_o, 1 / best_o / 50, best_r / best_o);
		for(i = 0; i < n; i++) {
			media_srtp_free(&st[i].s);
			srtp_dealloc(st[i].raw);
		}
		free(st);
	}
	media_srtp_shutdown();
	return 0;
}
