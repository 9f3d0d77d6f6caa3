/*
 * floor_send.c - the least the media processes' work can be, for bench/media/streams.py to
 * measure beside omniq_media in the same run: N streams, each its own UDP socket and SRTP
 * context (AES_CM_128_HMAC_SHA1_80, the libsrtp build omniq_media links), one 20 ms timer;
 * each tick every stream copies a template packet, writes its sequence number and timestamp,
 * srtp_protect()s it and sendto()s it. No prompts, no RTCP, no receiving.
 *
 *   floor_send N DEST_PORT SECONDS  ->  "FLOOR streams=N packets=P cpu_ns=C"
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <srtp2/srtp.h>

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int n = argc > 3 ? atoi(argv[1]) : 0, port = argc > 3 ? atoi(argv[2]) : 0;
	double secs = argc > 3 ? atof(argv[3]) : 0;
	struct sockaddr_in to = {.sin_family = AF_INET};
	struct itimerspec its = {{0, 20000000}, {0, 20000000}};
	struct rlimit rl;
	uint8_t key[30], pkt[172 + SRTP_MAX_TRAILER_LEN];
	uint64_t ticks, t0, c0, packets = 0, exp;
	int *fd, tfd, i;
	srtp_t *ctx;

	if(n <= 0 || port <= 0 || secs <= 0) {
		fprintf(stderr, "usage: floor_send STREAMS DEST_PORT SECONDS\n");
		return 2;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	srtp_init();
	fd = calloc(n, sizeof(*fd));
	ctx = calloc(n, sizeof(*ctx));
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	to.sin_port = htons(port);
	for(i = 0; i < n; i++) {
		srtp_policy_t p;
		memset(&p, 0, sizeof(p));
		srtp_crypto_policy_set_rtp_default(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
		memset(key, i & 0xff, sizeof(key));
		p.key = key;
		p.ssrc.type = ssrc_specific;
		p.ssrc.value = 0x1000 + i;
		p.window_size = 128;
		if((fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) < 0
				|| srtp_create(&ctx[i], &p) != srtp_err_status_ok) {
			fprintf(stderr, "floor_send: stream %d: socket or srtp_create failed\n", i);
			return 1;
		}
	}
	tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	timerfd_settime(tfd, 0, &its, NULL);
	ticks = (uint64_t)(secs * 50);
	c0 = cpu_ns();
	for(t0 = 0; t0 < ticks;) {
		if(read(tfd, &exp, sizeof(exp)) != sizeof(exp))
			continue;
		t0 += exp;
		for(i = 0; i < n; i++) {
			int len = 172;
			uint16_t seq = (uint16_t)(t0 + i);
			uint32_t ts = (uint32_t)(t0 * 160), ssrc = 0x1000 + i;

			pkt[0] = 0x80;
			pkt[1] = 0;
			memcpy(pkt + 2, &(uint16_t){htons(seq)}, 2);
			memcpy(pkt + 4, &(uint32_t){htonl(ts)}, 4);
			memcpy(pkt + 8, &(uint32_t){htonl(ssrc)}, 4);
			memset(pkt + 12, 0xff, 160);
			if(srtp_protect(ctx[i], pkt, &len) == srtp_err_status_ok
					&& sendto(fd[i], pkt, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to))
							   > 0)
				packets++;
		}
	}
	printf("FLOOR streams=%d packets=%llu cpu_ns=%llu\n", n, (unsigned long long)packets,
			(unsigned long long)(cpu_ns() - c0));
	return 0;
}
