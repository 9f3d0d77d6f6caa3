/*
 * media_proc.c - a media process: the streams of its slots (slot % processes), one epoll
 * loop, one 20 ms timer for all of them.
 *
 * Each tick every stream sends what it owes since the last one (a late tick sends up to
 * MAX_CATCHUP frames; beyond that the RTP clock skips, as across silence, and the caller's
 * jitter buffer sees one clock), its RTCP report when due, and is ended when asked
 * (media_slot_t.stop) or when the caller has sent nothing for idle_timeout. What the
 * caller sends is read as it comes: SRTP authenticated (failures counted), the address of
 * the first good packet latched (symmetric RTP: we send where the caller's packets come
 * from, which is right behind a NAT whatever its SDP said), DTMF taken from RFC 4733
 * packets.
 *
 * Nothing here waits: sockets are non-blocking, a send that would block drops the frame
 * (the caller hears a gap, the process keeps its pace for everyone else).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include "core/dprint.h"
#include "core/mem/pkg.h"

#include "media_mod.h"
#include "media_play.h"
#include "media_rtp.h"
#include "media_score.h"
#include "media_slot.h"
#include "media_srtp.h"

#define FRAME_NS 20000000ULL
#define MAX_CATCHUP 5       /* frames sent at once after a late tick */
#define RX_BURST 64         /* packets read from one socket per wake-up */
#define PKT_MAX 1500

typedef struct stream {
	int slot;
	unsigned short gen;
	int fd[2];                /* RTP, RTCP */
	int sends;                /* the answer's direction lets us send */
	media_rtp_tx_t tx;
	media_srtp_t stx, srx;    /* ours, the caller's (SRTP only) */
	media_play_t play;
	media_dtmf_rx_t dtmf;
	struct sockaddr_storage to, to_rtcp;
	socklen_t to_len;
	int latched, latched_rtcp;
	int callback_asked;       /* the key was pressed: the control process is asking Redis */
	media_score_t score;      /* the survey's question being answered (CSAT, then NPS) */
	int survey_key;           /* its score was entered: the control process records it */
	int survey_asks;          /* times the survey's question was asked */
	uint64_t survey_until_ns; /* no key by then: asked again, or the stream ends */
	int sla3_said;            /* the level-3 apology was said */
	int end_why;              /* why the stream ends once its last words are said */
	int heard;                /* a good RTP packet came from the caller: from then on, a
	                           * silence (no RTP, no RTCP) of idle_timeout means it is gone */
	uint64_t next_ns, last_rx_ns;
	char cname[48];
} stream_t;

static stream_t **streams;    /* by slot index; NULL when not ours or not running */
static int *active, nactive;  /* indexes of the running ones */
static int ep = -1;
static unsigned long ticked; /* packets sent, for the statistic */
static int me;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void send_rtcp(stream_t *s, uint64_t now, int bye)
{
	uint8_t pkt[PKT_MAX];
	size_t len;
	int n;

	if(!s->sends || s->to_len == 0)
		return;
	n = media_rtcp_report(&s->tx, wall_ns(), now, s->cname, bye, pkt,
			sizeof(pkt) - MEDIA_SRTP_TRAILER_MAX);
	if(n < 0)
		return;
	len = (size_t)n;
	if(s->stx.ctx && media_srtp_protect_rtcp(&s->stx, pkt, &len, sizeof(pkt)) != 0)
		return;
	sendto(s->fd[1], pkt, len, MSG_DONTWAIT, (struct sockaddr *)&s->to_rtcp, s->to_len);
}

/* to the control process: the stream ended on its own (why), the callback key (why 0,
 * digit), or a survey's score (why 0, digit 0, step: its kind, score) */
static void tell_ctl_score(stream_t *s, int why, char digit, int step, int score)
{
	media_slot_t *sl = &media_slots->slot[s->slot];
	media_msg_end_t m;

	memset(&m, 0, sizeof(m));
	m.slot = s->slot;
	m.gen = s->gen;
	m.why = why;
	m.digit = digit;
	m.step = step;
	m.score = score;
	m.tag = sl->tag;
	memcpy(m.sid, sl->sid, sizeof(m.sid));
	if(send(media_to_ctl[1], &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		LM_ERR("session %s: the control process cannot be told (%s)\n", sl->sid,
				strerror(errno));
}

static void tell_ctl(stream_t *s, int why, char digit)
{
	tell_ctl_score(s, why, digit, 0, 0);
}

/* the stream ends: BYE, sockets closed, the slot (and so the ports) free; the owner told
 * when it ended on its own */
static void end_stream(stream_t *s, int why)
{
	media_slot_t *sl = &media_slots->slot[s->slot];
	int k;

	send_rtcp(s, mono_ns(), 1);
	for(k = 0; k < nactive; k++)
		if(active[k] == s->slot) {
			active[k] = active[--nactive];
			break;
		}
	for(k = 0; k < 2; k++) {
		epoll_ctl(ep, EPOLL_CTL_DEL, s->fd[k], NULL);
		close(s->fd[k]);
	}
	media_srtp_free(&s->stx);
	media_srtp_free(&s->srx);
	if(why) {
		tell_ctl(s, why, 0);
		if(why == OMNIQ_MEDIA_END_IDLE)
			media_stat_add(MEDIA_ST_IDLE, 1);
	}
	LM_INFO("session %s: stream on port %d ended (%s): %lu packets sent, %lu received\n",
			sl->sid, media_slot_port(s->slot),
			why == OMNIQ_MEDIA_END_IDLE		  ? "the caller sent nothing"
			: why == OMNIQ_MEDIA_END_CALLBACK ? "a callback"
			: why == OMNIQ_MEDIA_END_SAID	  ? "said"
			: why							  ? "failed"
											  : "stopped",
			sl->sent, sl->received);
	streams[s->slot] = NULL;
	k = s->slot;
	pkg_free(s);
	media_slot_release(k);
}

/* The survey's question, now: then silence while the caller answers, for the question's
 * length and SURVEY_WAIT_NS */
#define SURVEY_WAIT_NS (10 * 1000000000ULL)
#define SURVEY_ASKS 2

static void ask_survey(stream_t *s, uint64_t now)
{
	int id = s->score.kind == MEDIA_SCORE_NPS ? MP_SURVEY_NPS : MP_SURVEY_ASK;

	media_play_ask(&s->play, id);
	s->survey_asks++;
	s->survey_until_ns =
			now + SURVEY_WAIT_NS + media_prompt_frame_count(&media_prompts, id) * 20000000ULL;
}

/* The survey's next question (kind), asked now. */
static void next_question(stream_t *s, media_score_kind_t kind, uint64_t now)
{
	media_score_start(&s->score, kind);
	s->survey_key = 0;
	s->survey_asks = 0;
	ask_survey(s, now);
}

/* The score of the question being asked was entered: the control process records it. */
static void scored(stream_t *s, int score)
{
	media_slot_t *sl = &media_slots->slot[s->slot];

	s->survey_key = 1;
	LM_INFO("session %s: the caller's %s is %d\n", sl->sid,
			s->score.kind == MEDIA_SCORE_NPS ? "NPS" : "CSAT", score);
	tell_ctl_score(s, 0, 0, s->score.kind, score);
}

/* a stream handed over by a worker: its sockets in fds */
static void start_stream(const media_msg_start_t *m, int fds[2])
{
	media_slot_t *sl;
	stream_t *s = NULL;
	struct epoll_event ev;
	char why[MEDIA_SRTP_WHY_MAX];
	uint64_t now = mono_ns();
	int k;

	if(m->slot < 0 || m->slot >= media_slots->n || media_slot_proc(m->slot) != me
			|| streams[m->slot] || media_slot_activate(m->slot, m->gen) < 0) {
		LM_ERR("stream of slot %d generation %u is not ours to start\n", m->slot, m->gen);
		goto fail;
	}
	sl = &media_slots->slot[m->slot];
	if((s = pkg_malloc(sizeof(*s))) == NULL) {
		PKG_MEM_ERROR;
		goto release;
	}
	memset(s, 0, sizeof(*s));
	s->slot = m->slot;
	s->gen = m->gen;
	s->fd[0] = fds[0];
	s->fd[1] = fds[1];
	s->sends = sl->dir == MEDIA_SENDRECV || sl->dir == MEDIA_SENDONLY;
	if(media_rtp_tx_init(&s->tx, sl->pt, 8000, now) < 0) {
		LM_ERR("session %s: no random numbers for RTP (%s)\n", sl->sid, strerror(errno));
		goto release;
	}
	if(sl->suite != MEDIA_SUITE_NONE
			&& (media_srtp_tx_create(&s->stx, sl->suite, sl->tx_key, sl->tx_key_len,
						s->tx.ssrc, why) < 0
					|| media_srtp_rx_create(&s->srx, sl->suite, sl->rx_key, sl->rx_key_len,
							sl->rx_mki, sl->rx_mki_len, sl->rx_wsh, why) < 0)) {
		LM_ERR("session %s: SRTP: %s\n", sl->sid, why);
		goto release;
	}
	if(sl->peer_len) {
		s->to = sl->peer;
		s->to_rtcp = sl->peer_rtcp;
		s->to_len = sl->peer_len;
	}
	snprintf(s->cname, sizeof(s->cname), "omniq-media-%d-%d", me, m->slot);
	media_play_init(&s->play, &media_prompts, sl->law, media_cfg.announce_interval,
			sl->position, sl->est_wait_s, media_cfg.callback_digit[0] != '\0', now);
	if(sl->only >= 0) {
		media_play_last(&s->play, sl->only);
		s->end_why = OMNIQ_MEDIA_END_SAID;
	}
	if(sl->survey) {
		next_question(s, (sl->survey & OMNIQ_SURVEY_CSAT) ? MEDIA_SCORE_CSAT : MEDIA_SCORE_NPS,
				now);
		s->end_why = OMNIQ_MEDIA_END_SAID;
	}
	s->next_ns = now;
	s->last_rx_ns = now;
	for(k = 0; k < 2; k++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = ((uint32_t)m->slot << 1) | k;
		if(epoll_ctl(ep, EPOLL_CTL_ADD, fds[k], &ev) < 0) {
			LM_ERR("session %s: epoll: %s\n", sl->sid, strerror(errno));
			if(k)
				epoll_ctl(ep, EPOLL_CTL_DEL, fds[0], NULL);
			goto release;
		}
	}
	streams[m->slot] = s;
	active[nactive++] = m->slot;
	if(sl->sid[0])
		tell_ctl(s, 0, 0); /* the control process reads its figures before the greeting ends */
	return;
release:
	if(s) {
		media_srtp_free(&s->stx);
		media_srtp_free(&s->srx);
		pkg_free(s);
	}
	media_slot_release(m->slot);
fail:
	close(fds[0]);
	close(fds[1]);
}

static void take_starts(void)
{
	media_msg_start_t m;
	char ctl[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	int fds[2], burst;
	ssize_t n;

	for(burst = 0; burst < RX_BURST; burst++) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = &m;
		iov.iov_len = sizeof(m);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		n = recvmsg(media_to_proc[me][0], &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if(n < 0)
			return;
		cm = CMSG_FIRSTHDR(&mh);
		if(cm == NULL || cm->cmsg_type != SCM_RIGHTS
				|| cm->cmsg_len != CMSG_LEN(2 * sizeof(int))) {
			LM_ERR("a start without its two sockets: dropped\n");
			continue;
		}
		memcpy(fds, CMSG_DATA(cm), sizeof(fds));
		if(n != (ssize_t)sizeof(m) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
			LM_ERR("a start of %zd bytes: dropped\n", n);
			close(fds[0]);
			close(fds[1]);
			continue;
		}
		start_stream(&m, fds);
	}
}

/* A key the caller pressed (how: "RFC 4733", "SIP INFO"): the callback key, or a survey's
 * score (media_score.h), goes to the control process (it asks Redis); every key is counted */
static void pressed(stream_t *s, char c, const char *how)
{
	media_slot_t *sl = &media_slots->slot[s->slot];
	int score;

	sl->dtmf++;
	media_stat_add(MEDIA_ST_DTMF, 1);
	LM_INFO("session %s: the caller pressed %c (%s)\n", sl->sid, c, how);
	if(sl->survey) {
		if(!s->survey_key && !s->play.last
				&& (score = media_score_key(&s->score, c, mono_ns())) >= 0)
			scored(s, score);
		return;
	}
	if(c == media_cfg.callback_digit[0] && !s->callback_asked && !s->play.last) {
		s->callback_asked = 1;
		tell_ctl(s, 0, c);
	}
}

/* RFC 4733 digits */
static void dtmf(stream_t *s, const media_rtp_hdr_t *h)
{
	media_dtmf_t d[2];
	int n = media_dtmf_rx_feed(&s->dtmf, h, d), k;

	for(k = 0; k < n; k++)
		pressed(s, media_dtmf_char(d[k].event), "RFC 4733");
}

static int same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if(a->ss_family != b->ss_family)
		return 0;
	if(a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr
			   == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return a->ss_family == AF_INET6
		   && memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
					  &((const struct sockaddr_in6 *)b)->sin6_addr, 16)
					  == 0;
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if(!same_ip(a, b))
		return 0;
	return a->ss_family == AF_INET ? ((const struct sockaddr_in *)a)->sin_port
										  == ((const struct sockaddr_in *)b)->sin_port
								   : ((const struct sockaddr_in6 *)a)->sin6_port
										  == ((const struct sockaddr_in6 *)b)->sin6_port;
}

/* Plain RTP proves nothing about who sends it: before the stream is latched, only the
 * SDP's address or the INVITE's source may latch it; after, only the latched address is
 * heard (RTP, and RTCP once it is latched too). SRTP is proven by its authentication. */
static int from_the_caller(stream_t *s, int rtcp, const struct sockaddr_storage *from)
{
	media_slot_t *sl = &media_slots->slot[s->slot];

	if(s->srx.ctx)
		return 1;
	if(rtcp ? s->latched_rtcp : s->latched)
		return same_addr(from, rtcp ? &s->to_rtcp : &s->to);
	if(s->latched)
		return same_ip(from, &s->to);
	return (sl->peer_len && same_ip(from, &sl->peer)) || same_ip(from, &sl->sig);
}

static void receive(stream_t *s, int rtcp, uint64_t now)
{
	media_slot_t *sl = &media_slots->slot[s->slot];
	uint8_t pkt[PKT_MAX];
	struct sockaddr_storage from;
	socklen_t flen;
	media_rtp_hdr_t h;
	size_t len;
	ssize_t n;
	int burst, rc;

	for(burst = 0; burst < RX_BURST; burst++) {
		flen = sizeof(from);
		n = recvfrom(s->fd[rtcp], pkt, sizeof(pkt), MSG_DONTWAIT, (struct sockaddr *)&from,
				&flen);
		if(n < 0)
			return;
		len = (size_t)n;
		if(!from_the_caller(s, rtcp, &from)) {
			sl->strangers++;
			media_stat_add(MEDIA_ST_STRANGERS, 1);
			continue;
		}
		if(rtcp) {
			if(len < 8 || (pkt[0] >> 6) != 2)
				continue;
			rc = s->srx.ctx ? media_srtp_unprotect_rtcp(&s->srx, pkt, &len) : 0;
		} else {
			if(media_rtp_parse(pkt, len, &h) < 0)
				continue;
			rc = s->srx.ctx ? media_srtp_unprotect(&s->srx, pkt, &len) : 0;
			if(rc == 0 && media_rtp_parse(pkt, len, &h) < 0)
				continue;
		}
		if(rc != 0) {
			if(s->srx.auth_fail != sl->auth_fail)
				media_stat_add(MEDIA_ST_AUTH_FAIL, s->srx.auth_fail - sl->auth_fail);
			if(s->srx.replay != sl->replay)
				media_stat_add(MEDIA_ST_REPLAY, s->srx.replay - sl->replay);
			sl->auth_fail = s->srx.auth_fail;
			sl->replay = s->srx.replay;
			continue;
		}
		s->last_rx_ns = now;
		if(rtcp) {
			if(!s->latched_rtcp || (s->srx.ctx && !same_addr(&from, &s->to_rtcp))) {
				s->to_rtcp = from;
				s->latched_rtcp = 1;
			}
			continue;
		}
		sl->received++;
		s->heard = 1;
		/* SRTP: an authenticated packet from elsewhere is the caller's NAT binding that
		 * changed - follow it */
		if(!s->latched || (s->srx.ctx && !same_addr(&from, &s->to))) {
			/* symmetric RTP: our packets go where the caller's come from */
			s->to = from;
			s->to_len = flen;
			if(!s->latched_rtcp) {
				s->to_rtcp = from;
				if(from.ss_family == AF_INET)
					((struct sockaddr_in *)&s->to_rtcp)->sin_port =
							htons(ntohs(((struct sockaddr_in *)&from)->sin_port) + 1);
				else
					((struct sockaddr_in6 *)&s->to_rtcp)->sin6_port =
							htons(ntohs(((struct sockaddr_in6 *)&from)->sin6_port) + 1);
			}
			s->latched = 1;
			sl->latched = 1;
		}
		if(s->tx.pt != h.pt && sl->te_pt == h.pt)
			dtmf(s, &h);
	}
}

/* 0, or -1 when the stream has said its last */
static int send_frame(stream_t *s, media_slot_t *sl, uint64_t now)
{
	uint8_t pkt[PKT_MAX];
	const uint8_t *f = media_play_next(&s->play, sl->position, sl->est_wait_s, now);
	size_t len;
	int n;

	if(f == NULL)
		return -1;
	n = media_rtp_tx_packet(&s->tx, f, MEDIA_RTP_SAMPLES, MEDIA_RTP_SAMPLES, now, pkt,
			sizeof(pkt) - MEDIA_SRTP_TRAILER_MAX);
	if(n < 0 || s->to_len == 0)
		return 0;
	len = (size_t)n;
	if(s->stx.ctx && media_srtp_protect(&s->stx, pkt, &len, sizeof(pkt)) != 0)
		return 0;
	if(sendto(s->fd[0], pkt, len, MSG_DONTWAIT, (struct sockaddr *)&s->to, s->to_len) > 0) {
		sl->sent++;
		ticked++;
	}
	return 0;
}

static void tick(uint64_t now)
{
	uint64_t idle = (uint64_t)media_cfg.idle_timeout * 1000000000ULL;
	unsigned long before = ticked;
	int k = 0, sent;

	while(k < nactive) {
		stream_t *s = streams[active[k]];
		media_slot_t *sl = &media_slots->slot[s->slot];

		if(sl->stop) {
			end_stream(s, 0);
			continue; /* active[k] is another stream now */
		}
		/* only a caller whose RTP was heard: many phones send no RTP in early media
		 * (baresip: an RTCP report at most), they are there all the same and leave by
		 * CANCEL */
		if(idle && s->heard && now - s->last_rx_ns > idle && !s->play.last) {
			end_stream(s, OMNIQ_MEDIA_END_IDLE);
			continue;
		}
		if(sl->key) {
			char c = sl->key;
			sl->key = 0;
			pressed(s, c, "SIP INFO");
		}
		if(sl->sla3 && !s->sla3_said && !s->play.last) {
			media_play_say(&s->play, MP_SLA3); /* "sorry for the long wait", at once */
			s->sla3_said = 1;
		}
		if(sl->survey && !s->play.last) {
			int score;
			if(sl->survey_done) {
				int done = sl->survey_done;
				sl->survey_done = 0;
				if(done == MEDIA_SCORE_CSAT && (sl->survey & OMNIQ_SURVEY_NPS))
					next_question(s, MEDIA_SCORE_NPS, now); /* kind both: NPS next */
				else
					media_play_last(&s->play, MP_SURVEY_THANKS); /* then the call ends */
			} else if(!s->survey_key && (score = media_score_due(&s->score, now)) >= 0) {
				scored(s, score); /* a "1" of NPS and no "0" after it */
			} else if(!s->survey_key && !s->score.one && now > s->survey_until_ns) {
				if(s->survey_asks < SURVEY_ASKS) {
					ask_survey(s, now);
				} else {
					LM_INFO("session %s: no key for the survey: the call ends\n", sl->sid);
					end_stream(s, OMNIQ_MEDIA_END_SAID);
					continue;
				}
			}
		}
		if(sl->callback_made && !s->play.last) {
			/* Redis has it: the confirmation, then the call ends */
			media_play_last(&s->play, MP_CALLBACK_OK);
			s->end_why = OMNIQ_MEDIA_END_CALLBACK;
		}
		if(s->play.last && !s->sends) {
			end_stream(s, s->end_why); /* nothing can be said to it */
			continue;
		}
		if(s->sends) {
			int over = 0;

			if(now > s->next_ns + MAX_CATCHUP * FRAME_NS) {
				/* the process was held up: the clock jumps, as after silence, and the next
				 * packet begins a talkspurt (marker) so the caller's jitter buffer resyncs */
				uint64_t late = (now - s->next_ns) / FRAME_NS;
				media_rtp_tx_skip(&s->tx, (uint32_t)(late * MEDIA_RTP_SAMPLES));
				media_rtp_tx_talkspurt(&s->tx);
				s->next_ns += late * FRAME_NS;
			}
			for(sent = 0; s->next_ns <= now && sent < MAX_CATCHUP && !over; sent++) {
				over = send_frame(s, sl, now) < 0;
				s->next_ns += FRAME_NS;
			}
			if(over) {
				end_stream(s, s->end_why);
				continue;
			}
			if(media_rtcp_due(&s->tx, now))
				send_rtcp(s, now, 0);
		}
		k++;
	}
	if(ticked != before)
		media_stat_add(MEDIA_ST_PACKETS, ticked - before); /* one atomic add a tick */
}

/* Each stream holds two sockets here: the soft limit of open files goes up to the hard one
 * (systems start processes at 1,024); said when even that is short of this process's share
 * of the range. */
static void open_files(void)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)(2 * ((media_slots->n + media_cfg.processes - 1) / media_cfg.processes)
						   + 64);

	if(getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if(rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if(rl.rlim_cur < want)
		LM_WARN("media process %d may hold %lu sockets, but only %lu files may be open: raise "
				"the hard limit (LimitNOFILE=, ulimit -Hn) or add processes\n",
				me, (unsigned long)want, (unsigned long)rl.rlim_cur);
}

void media_proc_loop(void *arg)
{
	struct epoll_event ev, evs[64];
	struct itimerspec its;
	char why[MEDIA_SRTP_WHY_MAX];
	uint64_t expirations;
	int tfd, n, k;

	me = (int)(long)arg;
	open_files();
	streams = pkg_malloc(media_slots->n * sizeof(*streams));
	active = pkg_malloc(media_slots->n * sizeof(*active));
	if(streams == NULL || active == NULL) {
		PKG_MEM_ERROR;
		return;
	}
	memset(streams, 0, media_slots->n * sizeof(*streams));
	if(media_srtp_init(why) < 0) {
		LM_CRIT("media process %d: libsrtp: %s\n", me, why);
		return;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if(ep < 0 || tfd < 0) {
		LM_CRIT("media process %d: epoll/timerfd: %s\n", me, strerror(errno));
		return;
	}
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_nsec = its.it_value.tv_nsec = FRAME_NS;
	timerfd_settime(tfd, 0, &its, NULL);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = 0xfffffffe; /* the timer */
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	ev.data.u32 = 0xffffffff; /* starts from the workers */
	epoll_ctl(ep, EPOLL_CTL_ADD, media_to_proc[me][0], &ev);
	for(k = 0; k < media_cfg.processes; k++) {
		/* the other processes' ends are theirs */
		if(k != me)
			close(media_to_proc[k][0]);
	}
	close(media_to_ctl[0]);
	LM_INFO("media process %d: ports %d-%d, every %d-th pair\n", me, media_cfg.port_min,
			media_cfg.port_max, media_cfg.processes);
	for(;;) {
		media_oq.stop_check("omniq_media stream");
		n = epoll_wait(ep, evs, 64, 1000);
		if(n < 0 && errno != EINTR) {
			LM_CRIT("media process %d: epoll_wait: %s\n", me, strerror(errno));
			return;
		}
		for(k = 0; k < n; k++) {
			uint32_t d = evs[k].data.u32;
			if(d == 0xfffffffe) {
				if(read(tfd, &expirations, sizeof(expirations)) > 0)
					tick(mono_ns());
			} else if(d == 0xffffffff) {
				take_starts();
			} else if(streams[d >> 1]) {
				receive(streams[d >> 1], d & 1, mono_ns());
			}
		}
	}
}
