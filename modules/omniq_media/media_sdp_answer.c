/*
 * media_sdp_answer.c - the choice made from a parsed offer and the SDP answer written from
 * it; see media_sdp_choose() and media_sdp_answer() in media_sdp.h for the rules.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "media_sdp.h"
#include "media_text.h"

#define W MEDIA_WHY_MAX
#define OUR_PTIME 20
#define OUR_EVENTS "0-15" /* the DTMF digits 0-9 * # A-D */

static const int ranking[] = {MEDIA_CODEC_G722, MEDIA_CODEC_PCMU, MEDIA_CODEC_PCMA};

const char *media_codec_name(int codec)
{
	switch(codec) {
		case MEDIA_CODEC_PCMU:
			return "PCMU";
		case MEDIA_CODEC_PCMA:
			return "PCMA";
		case MEDIA_CODEC_G722:
			return "G722";
	}
	return "none";
}

/* A codec of ours at the 8000 Hz RTP clock (G.722's too, RFC 3551 §4.5.2), mono. */
static int codec_of(const media_fmt_t *f)
{
	int i;

	if(f->rate != 8000 || f->channels != 1)
		return 0;
	for(i = 0; i < 3; i++)
		if(strcasecmp(f->name, media_codec_name(ranking[i])) == 0)
			return ranking[i];
	return 0;
}

/* Whether telephone-event's event list ("0-15", "0-16,32-36", "" for the default 0-15)
 * covers the digits 0-15. A list that does not parse covers nothing. */
static int covers_digits(const char *list)
{
	const char *p = list, *comma, *dash, *end;
	uint64_t lo, hi;
	unsigned covered = 0;

	if(*list == '\0')
		return 1;
	while(*p) {
		comma = strchr(p, ',');
		end = comma ? comma : p + strlen(p);
		dash = memchr(p, '-', (size_t)(end - p));
		if(media_num(p, (size_t)((dash ? dash : end) - p), 255, &lo) < 0)
			return 0;
		hi = lo;
		if(dash && media_num(dash + 1, (size_t)(end - dash - 1), 255, &hi) < 0)
			return 0;
		for(; lo <= hi && lo < 16; lo++)
			covered |= 1u << lo;
		p = comma ? comma + 1 : end;
	}
	return covered == 0xffff;
}

static int choose_codec(const media_offer_t *o, int allowed, int prefer, media_choice_t *c)
{
	int i, r, k;

	if(prefer == MEDIA_PREFER_OURS) {
		for(r = 0; r < 3; r++)
			for(i = 0; i < o->nfmt; i++)
				if((ranking[r] & allowed) && codec_of(&o->fmt[i]) == ranking[r]) {
					c->codec = ranking[r];
					c->pt = o->fmt[i].pt;
					return 0;
				}
		return -1;
	}
	for(i = 0; i < o->nfmt; i++)
		if((k = codec_of(&o->fmt[i])) & allowed) {
			c->codec = k;
			c->pt = o->fmt[i].pt;
			return 0;
		}
	return -1;
}

static int no_codec(const media_offer_t *o, int allowed, char *why)
{
	media_buf_t b;
	char q[MEDIA_CLIP_MAX];
	int i, r;

	media_buf_init(&b, why, W);
	media_put(&b, "no common codec: offered");
	for(i = 0; i < o->nfmt && i < 6; i++) {
		media_clip(o->fmt[i].name, strlen(o->fmt[i].name), q);
		if(o->fmt[i].name[0])
			media_put(&b, " %s/%d", q, o->fmt[i].rate);
		else
			media_put(&b, " %d", o->fmt[i].pt);
	}
	if(o->nfmt > 6)
		media_put(&b, " ...");
	media_put(&b, "; we take");
	for(r = 0; r < 3; r++)
		if(ranking[r] & allowed)
			media_put(&b, " %s/8000", media_codec_name(ranking[r]));
	return 488; /* a reason cut short at the buffer's end still says it */
}

int media_sdp_choose(const media_offer_t *o, int allowed, int prefer, media_choice_t *c,
		char *why)
{
	static const media_dir_t answer_dir[] = {
			[MEDIA_SENDRECV] = MEDIA_SENDRECV, [MEDIA_SENDONLY] = MEDIA_RECVONLY,
			[MEDIA_RECVONLY] = MEDIA_SENDONLY, [MEDIA_INACTIVE] = MEDIA_INACTIVE};
	int i;

	memset(c, 0, sizeof *c);
	c->te_pt = c->crypto = -1;
	if(why)
		why[0] = '\0';
	if(choose_codec(o, allowed, prefer, c) < 0)
		return no_codec(o, allowed, why);
	if(o->maxptime && o->maxptime < OUR_PTIME)
		return media_why(why, W, 488, "a=maxptime:%d is below our %d ms packets",
				o->maxptime, OUR_PTIME);
	for(i = 0; i < o->nfmt && c->te_pt < 0; i++)
		if(strcasecmp(o->fmt[i].name, "telephone-event") == 0 && o->fmt[i].rate == 8000
				&& covers_digits(o->fmt[i].fmtp))
			c->te_pt = o->fmt[i].pt;
	if(o->secure) {
		for(i = 0; i < o->ncrypto && c->crypto < 0; i++)
			if(o->crypto[i].usable)
				c->crypto = i;
		if(o->ncrypto == 0)
			return media_why(why, W, 488,
					"RTP/SAVP without a=crypto: SRTP is keyed by SDES only (RFC 4568)");
		if(c->crypto < 0)
			return media_why(why, W, 488, "no usable a=crypto line; %s", o->crypto_why);
	}
	c->dir = answer_dir[o->dir];
	return 0;
}

int media_sdp_answer(const media_offer_t *o, const media_choice_t *c, const media_local_t *l,
		char *out, size_t size, char *why)
{
	const media_crypto_t *cr = c->crypto >= 0 ? &o->crypto[c->crypto] : NULL;
	const char *ip;
	unsigned char bin[16];
	char key[MEDIA_KEY_B64_MAX];
	media_buf_t b;
	int i;

	if(l->addr == NULL || l->port <= 0 || l->port > 65535)
		return media_why(why, W, -1, "our address and port are not set");
	if(inet_pton(AF_INET, l->addr, bin) == 1)
		ip = "IP4";
	else if(inet_pton(AF_INET6, l->addr, bin) == 1)
		ip = "IP6";
	else
		return media_why(why, W, -1, "our address is not an IPv4 or IPv6 literal");
	if(cr && (l->key == NULL || l->key_len != media_suite_keysalt_len(cr->suite)
					 || media_b64_encode(l->key, (size_t)l->key_len, key, sizeof key) < 0))
		return media_why(why, W, -1, "our key is not one of %s",
				media_suite_name(cr->suite));
	media_buf_init(&b, out, size);
	media_put(&b, "v=0\r\no=omniq %llu %llu IN %s %s\r\ns=omniq\r\nc=IN %s %s\r\nt=0 0\r\n",
			(unsigned long long)l->sess_id, (unsigned long long)l->sess_ver, ip, l->addr, ip,
			l->addr);
	for(i = 0; i < o->nm; i++) {
		const media_mline_t *m = &o->m[i];

		if(i != o->audio) {
			/* RFC 3264 §6: a stream refused keeps its place, port 0, a format */
			media_put(&b, "m=%s 0 %s %s\r\n", m->media, m->proto, m->fmt);
			continue;
		}
		media_put(&b, "m=audio %d %s %d", l->port, m->proto, c->pt);
		if(c->te_pt >= 0)
			media_put(&b, " %d", c->te_pt);
		media_put(&b, "\r\na=rtpmap:%d %s/8000\r\n", c->pt, media_codec_name(c->codec));
		if(c->te_pt >= 0)
			media_put(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d " OUR_EVENTS "\r\n",
					c->te_pt, c->te_pt);
		media_put(&b, "a=ptime:%d\r\na=%s\r\n", OUR_PTIME, media_dir_name(c->dir));
		if(cr)
			media_put(&b, "a=crypto:%lu %s inline:%s\r\n", cr->tag,
					media_suite_name(cr->suite), key);
	}
	explicit_bzero(key, sizeof key);
	if(b.over)
		return media_why(why, W, -1, "the answer does not fit %zu bytes", size);
	return (int)b.len;
}
