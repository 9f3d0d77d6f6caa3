/*
 * media_start.c - the API's start and stop, run by SIP workers: the caller's offer read and
 * answered, a port pair bound, the stream handed to its media process. Nothing here waits
 * on the network: a bind and one datagram on a local socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "core/dprint.h"
#include "core/mem/pkg.h"

#include "media_g711.h"
#include "media_mod.h"
#include "media_prompts.h"
#include "media_sdp.h"
#include "media_slot.h"
#include "media_suite.h"

/* G.722 too: every prompt is held in it (media_prompts.h) */
#define MEDIA_CODECS_OURS (MEDIA_CODEC_PCMU | MEDIA_CODEC_PCMA | MEDIA_CODEC_G722)

#define BIND_TRIES 8 /* ports of the range taken by other programs passed over per start */

static void say(char *why, int why_len, const char *fmt, const char *detail)
{
	if(why && why_len > 0)
		snprintf(why, why_len, fmt, detail);
}

/* a numeric address and port into a socket address: 0, or -1 */
static int sockaddr_of(const char *ip, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if(inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return 0;
	}
	if(inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return 0;
	}
	return -1;
}

static int bound_socket(const struct sockaddr_storage *at, socklen_t len, int port)
{
	struct sockaddr_storage a = *at;
	int fd = socket(a.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if(fd < 0)
		return -1;
	if(a.ss_family == AF_INET)
		((struct sockaddr_in *)&a)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&a)->sin6_port = htons(port);
	if(bind(fd, (struct sockaddr *)&a, len) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* a slot whose two ports we could bind: its index, fds[0..1]; -1 when none (errno) */
static int take_ports(const struct sockaddr_storage *at, socklen_t len, int fds[2])
{
	int tries, i;

	for(tries = 0; tries < BIND_TRIES; tries++) {
		if((i = media_slot_take()) < 0) {
			errno = ENOSPC;
			return -1;
		}
		fds[0] = bound_socket(at, len, media_slot_port(i));
		fds[1] = fds[0] < 0 ? -1 : bound_socket(at, len, media_slot_port(i) + 1);
		if(fds[1] >= 0)
			return i;
		if(fds[0] >= 0)
			close(fds[0]);
		media_slot_release(i);
		if(errno != EADDRINUSE)
			return -1;
		LM_NOTICE("media port %d or %d is taken by another program: passed over\n",
				media_slot_port(i), media_slot_port(i) + 1);
	}
	errno = EADDRINUSE;
	return -1;
}

static int hand_over(int i, int fds[2])
{
	media_msg_start_t m = {.slot = i, .gen = media_slots->slot[i].gen};
	char ctl[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	struct msghdr mh;
	struct cmsghdr *cm;

	memset(&mh, 0, sizeof(mh));
	memset(ctl, 0, sizeof(ctl));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, 2 * sizeof(int));
	/* never waits: a media process that is this far behind gets no more calls */
	return sendmsg(media_to_proc[media_slot_proc(i)][1], &mh, MSG_DONTWAIT | MSG_NOSIGNAL)
						   == (ssize_t)sizeof(m)
				   ? 0
				   : -1;
}

/* what the answer and the media process need, from the offer and our choice */
static int fill(media_slot_t *s, const media_offer_t *o, const media_choice_t *ch,
		const omniq_media_call_t *c, char *why, int why_len)
{
	media_suite_t suite = MEDIA_SUITE_NONE;
	char w[MEDIA_SUITE_WHY_MAX];

	s->tag = c->tag;
	snprintf(s->sid, sizeof(s->sid), "%.*s", c->sid.len, c->sid.s);
	s->codec = ch->codec;
	s->law = ch->codec == MEDIA_CODEC_PCMA	  ? MEDIA_ALAW
			 : ch->codec == MEDIA_CODEC_G722 ? MEDIA_G722
											 : MEDIA_ULAW;
	s->pt = ch->pt;
	s->te_pt = ch->te_pt;
	s->dir = ch->dir;
	s->position = c->position;
	s->est_wait_s = c->est_wait_s;
	s->only = -1;
	s->survey = c->survey & (OMNIQ_SURVEY_CSAT | OMNIQ_SURVEY_NPS);
	if(c->survey && !s->survey) {
		say(why, why_len, "a survey that asks %s", "no score");
		return 500;
	}
	if((s->survey & OMNIQ_SURVEY_CSAT)
			&& media_prompt_frame_count(&media_prompts, MP_SURVEY_ASK) == 0) {
		say(why, why_len, "no %s.wav among the prompts", "survey_ask");
		return 404;
	}
	if((s->survey & OMNIQ_SURVEY_NPS)
			&& media_prompt_frame_count(&media_prompts, MP_SURVEY_NPS) == 0) {
		say(why, why_len, "no %s.wav among the prompts", "survey_nps");
		return 404;
	}
	if(c->only) {
		int id;
		for(id = 0; id < MP_COUNT; id++)
			if(media_prompt_name(id) && strcmp(media_prompt_name(id), c->only) == 0
					&& media_prompt_frame_count(&media_prompts, id) > 0)
				break;
		if(id == MP_COUNT) {
			say(why, why_len, "no %s.wav among the prompts", c->only);
			return 404;
		}
		s->only = id;
	}
	if(ch->crypto >= 0) {
		const media_crypto_t *cr = &o->crypto[ch->crypto];
		suite = cr->suite;
		memcpy(s->rx_key, cr->key, cr->key_len);
		s->rx_key_len = cr->key_len;
		s->rx_mki = cr->mki;
		s->rx_mki_len = cr->mki_len;
		s->rx_wsh = cr->wsh;
		if((s->tx_key_len = media_suite_new_key(suite, s->tx_key, sizeof(s->tx_key), w)) < 0) {
			say(why, why_len, "no key for SRTP: %s", w);
			return 500;
		}
	}
	s->suite = suite;
	if(c->source_ip.len > 0 && c->source_ip.len < MEDIA_SDP_ADDR_MAX) {
		char ip[MEDIA_SDP_ADDR_MAX];
		socklen_t l;

		memcpy(ip, c->source_ip.s, c->source_ip.len);
		ip[c->source_ip.len] = '\0';
		if(sockaddr_of(ip, 0, &s->sig, &l) < 0)
			s->sig.ss_family = AF_UNSPEC;
	}
	/* c=0.0.0.0 (or ::): the caller does not say where yet; its first packet will */
	if(sockaddr_of(o->addr, o->port, &s->peer, &s->peer_len) < 0
			|| strcmp(o->addr, "0.0.0.0") == 0 || strcmp(o->addr, "::") == 0)
		s->peer_len = 0;
	else {
		socklen_t l;
		sockaddr_of(o->addr, o->rtcp_mux ? o->port : o->rtcp_port, &s->peer_rtcp, &l);
	}
	return 0;
}

/* The offer read and our choice made from it, the same for check and start: 0 with *op
 * (pkg, the caller's to free), or the SIP status with why (a refusal counted). */
static int read_offer(const str *offer, media_offer_t **op, media_choice_t *ch, char *why,
		int why_len)
{
	char w[MEDIA_WHY_MAX];
	media_offer_t *o = pkg_malloc(sizeof(*o));
	int rc;

	*op = NULL;
	if(o == NULL) {
		PKG_MEM_ERROR;
		say(why, why_len, "%s", "out of memory");
		return 500;
	}
	if((rc = media_sdp_parse(offer->s, offer->len, o, w)) != 0
			|| (rc = media_sdp_choose(o, MEDIA_CODECS_OURS, media_cfg.prefer, ch, w)) != 0) {
		say(why, why_len, "%s", w);
		media_stat_add(MEDIA_ST_REFUSED, 1);
		pkg_free(o);
		return rc;
	}
	*op = o;
	return 0;
}

int media_api_start(const omniq_media_call_t *c, char *sdp, int size, unsigned int *handle,
		char *why, int why_len)
{
	char w[MEDIA_WHY_MAX], addr[MEDIA_SDP_ADDR_MAX];
	struct sockaddr_storage at;
	socklen_t at_len;
	media_offer_t *o = NULL;
	media_choice_t ch;
	media_local_t l;
	unsigned char nonce[8];
	int rc, i = -1, fds[2] = {-1, -1};

	*handle = 0;
	if(media_cfg.media_addr[0])
		snprintf(addr, sizeof(addr), "%s", media_cfg.media_addr);
	else
		snprintf(addr, sizeof(addr), "%.*s", c->local_ip.len, c->local_ip.s);
	if(sockaddr_of(addr, 0, &at, &at_len) < 0) {
		say(why, why_len, "no media address (%s is none)", addr);
		return 500;
	}
	if((rc = read_offer(&c->offer, &o, &ch, why, why_len)) != 0)
		return rc;
	if((i = take_ports(&at, at_len, fds)) < 0) {
		say(why, why_len, "%s", errno == ENOSPC ? "every media port is in use"
											   : "no media port could be bound");
		LM_WARN("no media port for session %.*s: %s (%s)\n", c->sid.len, c->sid.s,
				errno == ENOSPC ? "the range is full" : "bind failed", strerror(errno));
		media_stat_add(MEDIA_ST_NO_PORT, 1);
		rc = 503;
		goto out;
	}
	if((rc = fill(&media_slots->slot[i], o, &ch, c, why, why_len)) != 0)
		goto out;
	memset(&l, 0, sizeof(l));
	l.addr = addr;
	l.port = media_slot_port(i);
	media_random(nonce, sizeof(nonce));
	memcpy(&l.sess_id, nonce, sizeof(l.sess_id));
	l.sess_id &= 0x7fffffffffffffffULL; /* o= wants a number that fits a signed 64 bits */
	l.sess_ver = 1;
	l.key = media_slots->slot[i].tx_key;
	l.key_len = media_slots->slot[i].tx_key_len;
	if(media_sdp_answer(o, &ch, &l, sdp, size, w) < 0) {
		say(why, why_len, "%s", w);
		rc = 500;
		goto out;
	}
	if(hand_over(i, fds) < 0) {
		LM_WARN("media process %d takes no more streams (%s): session %.*s not played to\n",
				media_slot_proc(i), strerror(errno), c->sid.len, c->sid.s);
		say(why, why_len, "%s", "the media process is overloaded");
		media_stat_add(MEDIA_ST_NO_PORT, 1);
		rc = 503;
		goto out;
	}
	*handle = media_handle(i, media_slots->slot[i].gen);
	media_stat_add(MEDIA_ST_STARTED, 1);
	LM_INFO("session %.*s: %s%s on %s:%d\n", c->sid.len, c->sid.s, media_codec_name(ch.codec),
			ch.crypto >= 0 ? " SRTP" : "", addr, l.port);
	rc = 0;
	i = -1; /* the media process's now */
out:
	if(fds[0] >= 0)
		close(fds[0]);
	if(fds[1] >= 0)
		close(fds[1]);
	if(i >= 0)
		media_slot_release(i);
	pkg_free(o);
	return rc;
}

int media_api_check(const str *offer, char *why, int why_len)
{
	media_offer_t *o;
	media_choice_t ch;
	int rc = read_offer(offer, &o, &ch, why, why_len);

	if(rc == 0)
		pkg_free(o);
	return rc;
}

void media_api_rebind(unsigned int handle, const str *sid, int position, int est_wait_s)
{
	media_slot_rebind(handle, sid->s, sid->len, position, est_wait_s);
}

int media_api_can_survey(void)
{
	return (media_prompt_frame_count(&media_prompts, MP_SURVEY_ASK) > 0 ? OMNIQ_SURVEY_CSAT : 0)
		   | (media_prompt_frame_count(&media_prompts, MP_SURVEY_NPS) > 0 ? OMNIQ_SURVEY_NPS
																		   : 0);
}

int media_api_key(unsigned int handle, char digit)
{
	if(handle == 0 || !strchr("0123456789*#ABCD", digit) || digit == '\0')
		return -1;
	return media_slot_key(handle, digit);
}

void media_api_stop(unsigned int handle)
{
	if(handle)
		media_slot_stop(handle);
}
