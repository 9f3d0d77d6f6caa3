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
 *   media_bench [-N] [-x] [-p procs] [-l label] [-r] [streams] [ticks]
 *                                        defaults 2000 streams, 50 ticks (1 s of audio)
 *   -N        NSS initialised by the bench, before srtp_init(), without NSS_INIT_OPTIMIZESPACE
 *             (libsrtp's own NSS_InitContext asks for it: the softoken then hashes its
 *             sessions and objects into 32 buckets instead of 1024; FINDINGS.md). Only in a
 *             build with MEDIA_BENCH_NSS (make's default against Debian's libsrtp2)
 *   -x        each stream also holds the caller's inbound context (media_srtp_rx_create), as
 *             omniq_media's streams do; it is never used here, only held
 *   -p procs  the streams spread over procs processes (streams/procs each, running at the
 *             same time, each initialising libsrtp after the fork as media processes do); the
 *             figure is the CPU of all of them over all their packets
 *   -l label  a name for this build/variant in the rows; -r prints rows for run.sh:
 *             "ROW label procs streams suite omniq_ns raw_ns create_us free_us" ("-" for a
 *             suite the build cannot do, e.g. GCM without a crypto library)
 *
 *   -v        no bench: one packet of each suite protected under a fixed key, in hex (run.sh
 *             checks that every build gives the same bytes)
 *
 * Besides the packets: the CPU to create (srtp_create) and to free (srtp_dealloc) one
 * libsrtp context while the process holds the others, what a call's start and end cost.
 *
 * Which libsrtp2 is measured is the one the binary is linked to (bench/media/Makefile:
 * Debian's with NSS, or one of scripts/libsrtp.sh's under .cache/media-srtp/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include <limits.h>
#include <unistd.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <srtp2/srtp.h>
#ifdef MEDIA_BENCH_NSS
#include <nss.h>
#endif

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

static int with_rx; /* -x */

typedef struct {
	media_rtp_tx_t tx;
	media_srtp_t s;
	media_srtp_t rx;
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
				|| media_srtp_tx_create(&st[i].s, suite, key, kl, st[i].tx.ssrc, why) < 0
				|| (with_rx && media_srtp_rx_create(&st[i].rx, suite, key, kl, 0, 0, 0, why) < 0)) {
			if(i > 0) /* a suite that failed at the first stream is one the build lacks */
				fprintf(stderr, "media_bench: stream %d: %s\n", i, why);
			return i > 0 ? -1 : -2;
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

static const media_suite_t suites[] = {MEDIA_AES_CM_128_HMAC_SHA1_80, MEDIA_AEAD_AES_128_GCM};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

/* one process's figures: best CPU seconds per packet of each side, per suite (0: the build
 * cannot do the suite) */
typedef struct {
	double ours[NSUITES], raw[NSUITES];
	double create[NSUITES], destroy[NSUITES]; /* CPU seconds per libsrtp context */
	int ok[NSUITES];
	int streams; /* the process's, in -p */
} result_t;
_Static_assert(sizeof(result_t) <= PIPE_BUF, "a process's result is one atomic pipe write");

#ifdef MEDIA_BENCH_NSS
static NSSInitContext *nss;
#endif

static int init(int nss_time, char *why)
{
	if(nss_time) {
#ifdef MEDIA_BENCH_NSS
		/* What omniq_media would do before srtp_init(): the first NSS_InitContext of a process
		 * decides the softoken's hash tables (nssinit.c: later ones with NOCERTDB|NOMODDB skip
		 * module init); libsrtp's own ask for NSS_INIT_OPTIMIZESPACE, this one does not. */
		nss = NSS_InitContext("", "", "", "", NULL,
				NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB
						| NSS_INIT_FORCEOPEN);
		if(nss == NULL) {
			snprintf(why, 160, "NSS_InitContext failed");
			return -1;
		}
#else
		snprintf(why, 160, "-N: built without MEDIA_BENCH_NSS");
		return -1;
#endif
	}
	return media_srtp_init(why);
}

static void fini(void)
{
	media_srtp_shutdown();
#ifdef MEDIA_BENCH_NSS
	if(nss != NULL)
		NSS_ShutdownContext(nss);
	nss = NULL;
#endif
}

/* n streams in this process, every suite; res gets the best of ROUNDS of each side */
static int measure(int n, int ticks, result_t *res)
{
	unsigned k;
	int r, i, rc;

	memset(res, 0, sizeof(*res));
	for(k = 0; k < NSUITES; k++) {
		stream_t *st = calloc((size_t)n, sizeof(*st));
		double best_o = 1e9, best_r = 1e9, o, rw, t0 = cpu_now();
		int ctxs = n * (2 + with_rx); /* omniq's tx, the raw one (, the inbound) */
		long po, pr;

		if(st == NULL)
			return -1;
		rc = setup(st, n, suites[k]);
		res->create[k] = (cpu_now() - t0) / ctxs;
		if(rc == -2) { /* not in this build */
			free(st);
			continue;
		}
		if(rc < 0)
			return -1;
		for(r = 0; r < ROUNDS; r++) { /* interleaved: the machine's noise falls on both */
			po = pr = 0;
			o = run_ours(st, n, ticks, &po) / po;
			rw = run_raw(st, n, ticks, &pr) / pr;
			best_o = o < best_o ? o : best_o;
			best_r = rw < best_r ? rw : best_r;
		}
		res->ours[k] = best_o;
		res->raw[k] = best_r;
		res->ok[k] = 1;
		t0 = cpu_now();
		for(i = 0; i < n; i++) {
			media_srtp_free(&st[i].s);
			if(with_rx)
				media_srtp_free(&st[i].rx);
			srtp_dealloc(st[i].raw);
		}
		res->destroy[k] = (cpu_now() - t0) / ctxs;
		free(st);
	}
	return 0;
}

static int read_all(int fd, void *p, size_t len)
{
	ssize_t r;
	size_t got = 0;

	while(got < len) {
		r = read(fd, (char *)p + got, len - got);
		if(r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* procs processes of n/procs streams each (the remainder over the first ones), at the same
 * time: each forks before any libsrtp/NSS state exists and initialises its own, as media
 * processes do; the figure is the mean over all packets, i.e. the processes' CPU summed
 * over the packets they sent (each process sends the same number of packets a stream) */
static int measure_procs(int n, int procs, int ticks, int nss_time, result_t *res)
{
	int out[2], p, status, fail = 0;
	unsigned k;
	pid_t pid;
	result_t one;
	double w, sum_o[NSUITES] = {0}, sum_r[NSUITES] = {0}, sum_c[NSUITES] = {0},
		   sum_d[NSUITES] = {0};

	if(pipe(out) < 0)
		return -1;
	for(p = 0; p < procs; p++) {
		int mine = n / procs + (p < n % procs);

		pid = fork();
		if(pid < 0)
			return -1;
		if(pid == 0) {
			char why[160];

			close(out[0]);
			if(init(nss_time, why) < 0) {
				fprintf(stderr, "media_bench: %s\n", why);
				_exit(1);
			}
			if(measure(mine, ticks, &one) < 0)
				_exit(1);
			fini();
			one.streams = mine; /* one write below PIPE_BUF: whole, never interleaved */
			if(write(out[1], &one, sizeof(one)) != sizeof(one))
				_exit(1);
			_exit(0);
		}
	}
	close(out[1]);
	memset(res, 0, sizeof(*res));
	for(k = 0; k < NSUITES; k++)
		res->ok[k] = 1;
	for(p = 0; p < procs; p++) {
		if(read_all(out[0], &one, sizeof(one)) < 0) {
			fail = 1;
			break;
		}
		w = (double)one.streams / n; /* the share of all packets this process sent */
		for(k = 0; k < NSUITES; k++) {
			sum_o[k] += w * one.ours[k];
			sum_r[k] += w * one.raw[k];
			sum_c[k] += w * one.create[k];
			sum_d[k] += w * one.destroy[k];
			res->ok[k] &= one.ok[k];
		}
	}
	close(out[0]);
	while(wait(&status) > 0)
		if(!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail = 1;
	for(k = 0; k < NSUITES; k++) {
		res->ours[k] = sum_o[k];
		res->raw[k] = sum_r[k];
		res->create[k] = sum_c[k];
		res->destroy[k] = sum_d[k];
	}
	return fail ? -1 : 0;
}

/* -v: one packet of each suite protected with a fixed key, in hex: the same bytes from every
 * build (run.sh compares them), so the variants measured do the same work */
static int vectors(void)
{
	unsigned char key[MEDIA_KEY_MAX];
	uint8_t buf[CAP];
	srtp_policy_t p;
	srtp_t ctx;
	unsigned k;
	int i, len;

	for(k = 0; k < NSUITES; k++) {
		memset(&p, 0, sizeof(p));
		if(suites[k] == MEDIA_AEAD_AES_128_GCM)
			srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
		else
			srtp_crypto_policy_set_rtp_default(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
		for(i = 0; i < (int)sizeof(key); i++)
			key[i] = (unsigned char)(i * 7 + 1);
		p.ssrc.type = ssrc_specific;
		p.ssrc.value = 0x01020304;
		p.key = key;
		p.window_size = 128;
		printf("VEC %s ", media_suite_name(suites[k]));
		if(srtp_create(&ctx, &p) != srtp_err_status_ok) {
			printf("-\n");
			continue;
		}
		memset(buf, 0, 12);
		buf[0] = 0x80;
		*(uint16_t *)(buf + 2) = htons(4711);
		*(uint32_t *)(buf + 4) = htonl(160 * 4711);
		*(uint32_t *)(buf + 8) = htonl(0x01020304);
		memcpy(buf + 12, prompt, PAYLOAD);
		len = 12 + PAYLOAD;
		if(srtp_protect(ctx, buf, &len) != srtp_err_status_ok) {
			printf("failed\n");
			return 1;
		}
		for(i = 0; i < len; i++)
			printf("%02x", buf[i]);
		printf("\n");
		srtp_dealloc(ctx);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: media_bench [-N] [-x] [-p procs] [-l label] [-r] [streams 1..100000] "
			"[ticks 1..100000]\n       media_bench [-N] -v\n");
}

int main(int argc, char **argv)
{
	int n, ticks, procs = 1, nss_time = 0, rows = 0, vectors_only = 0, c;
	const char *label = "libsrtp2";
	char why[160];
	result_t res;
	unsigned k;

	while((c = getopt(argc, argv, "Nxp:l:rv")) != -1) {
		switch(c) {
			case 'v':
				vectors_only = 1;
				break;
			case 'N':
				nss_time = 1;
				break;
			case 'x':
				with_rx = 1;
				break;
			case 'p':
				procs = atoi(optarg);
				break;
			case 'l':
				label = optarg;
				break;
			case 'r':
				rows = 1;
				break;
			default:
				usage();
				return 2;
		}
	}
	n = optind < argc ? atoi(argv[optind]) : 2000;
	ticks = optind + 1 < argc ? atoi(argv[optind + 1]) : 50;
	if(n < 1 || n > 100000 || ticks < 1 || ticks > 100000 || procs < 1 || procs > n
			|| procs > 256) {
		usage();
		return 2;
	}
	media_g711_init();
	make_prompt();
	if(vectors_only) {
		if(init(nss_time, why) < 0) {
			fprintf(stderr, "media_bench: %s\n", why);
			return 1;
		}
		c = vectors();
		fini();
		return c;
	}
	if(procs > 1) {
		if(measure_procs(n, procs, ticks, nss_time, &res) < 0) {
			fprintf(stderr, "media_bench: a process failed\n");
			return 1;
		}
	} else {
		if(init(nss_time, why) < 0) {
			fprintf(stderr, "media_bench: %s\n", why);
			return 1;
		}
		if(measure(n, ticks, &res) < 0)
			return 1;
		fini();
	}
	if(!rows) {
		printf("%s: streams %d over %d process%s, %d packets of 20 ms each (%d s of audio), "
				"best of %d rounds, CPU time\n", label, n, procs, procs > 1 ? "es" : "", ticks,
				ticks / 50, ROUNDS);
		printf("%-24s %14s %14s %12s %12s %8s %10s %10s\n", "suite", "omniq ns/pkt",
				"raw ns/pkt", "omniq pkt/s", "streams/core", "ratio", "create us", "free us");
	}
	for(k = 0; k < NSUITES; k++) {
		if(rows) {
			if(res.ok[k])
				printf("ROW %s %d %d %s %.0f %.0f %.1f %.1f\n", label, procs, n,
						media_suite_name(suites[k]), res.ours[k] * 1e9, res.raw[k] * 1e9,
						res.create[k] * 1e6, res.destroy[k] * 1e6);
			else
				printf("ROW %s %d %d %s - - - -\n", label, procs, n,
						media_suite_name(suites[k]));
		} else if(!res.ok[k])
			printf("%-24s %14s (not in this libsrtp2 build)\n", media_suite_name(suites[k]), "-");
		else
			printf("%-24s %14.0f %14.0f %12.0f %12.0f %8.2f %10.1f %10.1f\n",
					media_suite_name(suites[k]), res.ours[k] * 1e9, res.raw[k] * 1e9,
					1 / res.ours[k], 1 / res.ours[k] / 50, res.raw[k] / res.ours[k],
					res.create[k] * 1e6, res.destroy[k] * 1e6);
	}
	return 0;
}
