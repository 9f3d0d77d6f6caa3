/*
 * media_sdp.c - see media_sdp.h. One pass over the lines; what belongs to our audio stream
 * is kept as it is read, the rest is looked at only as far as the answer needs (every m=
 * line's media, transport and first format). The connection address and the direction are
 * settled at the end, when it is known whether the media level said anything.
 *
 * Each line is checked before it is read: no control byte but TAB, a letter and '='.
 * Reasons quote the offer only through media_clip().
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "media_sdp.h"
#include "media_text.h"

#define W MEDIA_WHY_MAX

typedef struct parse {
	media_offer_t *o;
	char *why;
	int line;				/* number of the line being read, from 1 */
	int have_v, have_o;
	int in_m;				/* a media description has begun */
	int in_audio;			/* ... and it is our audio stream */
	int have_audio;			/* our audio stream was found */
	int sess_dir, media_dir; /* -1 when not said */
	media_str_t sess_c, media_c; /* c= values, n == 0 when absent */
	int rtcp_port;			/* from a=rtcp, 0 when absent */
} parse_t;

static const struct {
	int pt;
	const char *name;
} statics[] = {{0, "PCMU"}, {3, "GSM"}, {4, "G723"}, {8, "PCMA"}, {9, "G722"}, {13, "CN"},
		{15, "G728"}, {18, "G729"}};

static const char *const dirs[] = {"sendrecv", "sendonly", "recvonly", "inactive"};

const char *media_dir_name(media_dir_t d)
{
	return d >= MEDIA_SENDRECV && d <= MEDIA_INACTIVE ? dirs[d] : "sendrecv";
}

static int dir_of(media_str_t name)
{
	int i;

	for(i = 0; i < 4; i++)
		if(media_str_is(name, dirs[i]))
			return i;
	return -1;
}

/* copies t into a field of the offer, refusing what does not fit rather than cutting it:
 * these fields are written back into the answer */
static int keep(media_str_t t, char *out, size_t size)
{
	if(t.n >= size)
		return -1;
	memcpy(out, t.s, t.n);
	out[t.n] = '\0';
	return 0;
}

static media_fmt_t *fmt_of(media_offer_t *o, uint64_t pt)
{
	int i;

	for(i = 0; i < o->nfmt; i++)
		if((uint64_t)o->fmt[i].pt == pt)
			return &o->fmt[i];
	return NULL;
}

static int parse_o(parse_t *ps, const char *s, const char *e)
{
	media_str_t t[7];
	int n = 0;
	char q[MEDIA_CLIP_MAX];

	if(ps->have_o)
		return media_why(ps->why, W, 400, "line %d: a second o= line", ps->line);
	ps->have_o = 1;
	while(n < 7 && media_tok(&s, e, &t[n]))
		n++;
	if(n != 6)
		return media_why(ps->why, W, 400,
				"line %d: o= needs 6 fields (user id version IN IP4|IP6 address)",
				ps->line);
	if(media_num(t[1].s, t[1].n, UINT64_MAX, &ps->o->sess_id) < 0
			|| media_num(t[2].s, t[2].n, UINT64_MAX, &ps->o->sess_ver) < 0) {
		media_clip(t[1].s, (size_t)(t[2].s + t[2].n - t[1].s), q);
		return media_why(ps->why, W, 400,
				"line %d: o= session id and version must be numbers, not '%s'", ps->line,
				q);
	}
	return 0;
}

/* The formats of our m=audio line: payload types 0..127, a repeat ignored. */
static int parse_fmts(parse_t *ps, const char *s, const char *e)
{
	media_offer_t *o = ps->o;
	media_str_t t;
	media_fmt_t *f;
	uint64_t pt;
	size_t i, listed = 0;
	char q[MEDIA_CLIP_MAX];

	while(media_tok(&s, e, &t)) {
		if(++listed > MEDIA_SDP_FMT_MAX)
			return media_why(ps->why, W, 488,
					"line %d: m=audio lists more than %d formats (payload types are "
					"0-127)",
					ps->line, MEDIA_SDP_FMT_MAX);
		if(t.n > 3 || media_num(t.s, t.n, 127, &pt) < 0) {
			media_clip(t.s, t.n, q);
			return media_why(ps->why, W, 400,
					"line %d: m=audio format '%s' is no RTP payload type (0-127)",
					ps->line, q);
		}
		if(fmt_of(o, pt))
			continue;
		f = &o->fmt[o->nfmt++];
		memset(f, 0, sizeof *f);
		f->pt = (int)pt;
		f->channels = 1;
		for(i = 0; i < sizeof statics / sizeof statics[0]; i++)
			if(statics[i].pt == f->pt) {
				snprintf(f->name, sizeof f->name, "%s", statics[i].name);
				f->rate = 8000;
			}
	}
	return 0;
}

static int profile(parse_t *ps, media_str_t proto)
{
	char q[MEDIA_CLIP_MAX];

	if(media_str_is(proto, "RTP/AVP") || media_str_is(proto, "RTP/AVPF"))
		return 0;
	if(media_str_is(proto, "RTP/SAVP") || media_str_is(proto, "RTP/SAVPF")) {
		ps->o->secure = 1;
		return 0;
	}
	media_clip(proto.s, proto.n, q);
	if(media_str_is(proto, "UDP/TLS/RTP/SAVP") || media_str_is(proto, "UDP/TLS/RTP/SAVPF"))
		return media_why(ps->why, W, 488,
				"line %d: %s is DTLS-SRTP, which is not supported; offer SDES "
				"(RTP/SAVP with a=crypto) or plain RTP/AVP",
				ps->line, q);
	return media_why(ps->why, W, 488,
			"line %d: m=audio transport '%s' is not supported (RTP/AVP, RTP/SAVP)",
			ps->line, q);
}

static int too_long(parse_t *ps, media_str_t t)
{
	char q[MEDIA_CLIP_MAX];

	media_clip(t.s, t.n, q);
	return media_why(ps->why, W, 400, "line %d: m= field '%s' is too long (%zu bytes)",
			ps->line, q, t.n);
}

static int parse_m(parse_t *ps, const char *s, const char *e)
{
	media_offer_t *o = ps->o;
	media_str_t media, port, proto, fmt;
	media_mline_t *m;
	const char *slash;
	uint64_t pv, count = 1;
	char q[MEDIA_CLIP_MAX];
	int rc;

	ps->in_m = 1;
	ps->in_audio = 0;
	if(!media_tok(&s, e, &media) || !media_tok(&s, e, &port) || !media_tok(&s, e, &proto)
			|| !media_tok(&s, e, &fmt))
		return media_why(ps->why, W, 400,
				"line %d: m= needs <media> <port> <transport> <format>...", ps->line);
	if(o->nm == MEDIA_SDP_M_MAX)
		return media_why(ps->why, W, 488, "line %d: more than %d m= lines", ps->line,
				MEDIA_SDP_M_MAX);
	m = &o->m[o->nm];
	if(keep(media, m->media, sizeof m->media) < 0)
		return too_long(ps, media);
	if(keep(proto, m->proto, sizeof m->proto) < 0)
		return too_long(ps, proto);
	if(keep(fmt, m->fmt, sizeof m->fmt) < 0)
		return too_long(ps, fmt);
	slash = memchr(port.s, '/', port.n);
	if(media_num(port.s, slash ? (size_t)(slash - port.s) : port.n, 65535, &pv) < 0
			|| (slash
					&& media_num(slash + 1, (size_t)(port.s + port.n - slash - 1), 65535,
							   &count) < 0)) {
		media_clip(port.s, port.n, q);
		return media_why(ps->why, W, 400,
				"line %d: m= port '%s' is not a number from 0 to 65535", ps->line, q);
	}
	o->nm++;
	if(ps->have_audio || pv == 0 || !media_str_is(media, "audio"))
		return 0;
	/* our stream */
	if(count != 1)
		return media_why(ps->why, W, 488,
				"line %d: m=audio asks for %llu ports; one stream is supported", ps->line,
				(unsigned long long)count);
	if((rc = profile(ps, proto)) != 0)
		return rc;
	ps->in_audio = ps->have_audio = 1;
	o->audio = o->nm - 1;
	o->port = (int)pv;
	return parse_fmts(ps, fmt.s, e);
}

/* "<pt> <name>/<rate>[/<channels>]" */
static int parse_rtpmap(parse_t *ps, const char *s, const char *e)
{
	media_str_t pt, enc;
	media_fmt_t *f;
	uint64_t v, rate, ch = 1;
	const char *a, *b, *end;

	if(!media_tok(&s, e, &pt) || media_num(pt.s, pt.n, 127, &v) < 0
			|| !media_tok(&s, e, &enc))
		goto bad;
	if((f = fmt_of(ps->o, v)) == NULL)
		return 0; /* not one of ours */
	end = enc.s + enc.n;
	a = memchr(enc.s, '/', enc.n);
	if(a == NULL || a == enc.s || a - enc.s >= (long)sizeof f->name)
		goto bad;
	b = memchr(a + 1, '/', (size_t)(end - a - 1));
	if(media_num(a + 1, (size_t)((b ? b : end) - a - 1), 10000000, &rate) < 0 || rate == 0
			|| (b && (media_num(b + 1, (size_t)(end - b - 1), 255, &ch) < 0 || ch == 0)))
		goto bad;
	memcpy(f->name, enc.s, (size_t)(a - enc.s));
	f->name[a - enc.s] = '\0';
	f->rate = (int)rate;
	f->channels = (int)ch;
	return 0;
bad:
	return media_why(ps->why, W, 400,
			"line %d: a=rtpmap must be <payload type> <name>/<rate>[/<channels>]",
			ps->line);
}

static int parse_fmtp(parse_t *ps, const char *s, const char *e)
{
	media_str_t pt;
	media_fmt_t *f;
	uint64_t v;
	size_t n;

	if(!media_tok(&s, e, &pt) || media_num(pt.s, pt.n, 127, &v) < 0)
		return media_why(ps->why, W, 400,
				"line %d: a=fmtp must be <payload type> <parameters>", ps->line);
	if((f = fmt_of(ps->o, v)) == NULL)
		return 0;
	while(s < e && (*s == ' ' || *s == '\t'))
		s++;
	while(e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	n = (size_t)(e - s);
	if(n >= sizeof f->fmtp)
		n = sizeof f->fmtp - 1; /* only telephone-event's short event list is read */
	memcpy(f->fmtp, s, n);
	f->fmtp[n] = '\0';
	return 0;
}

static int parse_ms(parse_t *ps, const char *name, const char *s, const char *e, int *out)
{
	uint64_t v, frac;
	const char *dot = memchr(s, '.', (size_t)(e - s));
	char q[MEDIA_CLIP_MAX];

	/* "20" and, from some gateways, "20.0" */
	if(media_num(s, (size_t)((dot ? dot : e) - s), 10000, &v) < 0 || v == 0
			|| (dot && media_num(dot + 1, (size_t)(e - dot - 1), UINT64_MAX, &frac) < 0)) {
		media_clip(s, (size_t)(e - s), q);
		return media_why(ps->why, W, 400, "line %d: a=%s:%s is not a number of ms",
				ps->line, name, q);
	}
	*out = (int)v;
	return 0;
}

static int parse_audio_attr(parse_t *ps, media_str_t name, const char *s, const char *e)
{
	media_offer_t *o = ps->o;
	media_str_t port;
	uint64_t v;
	int d;

	if((d = dir_of(name)) >= 0)
		ps->media_dir = d;
	else if(media_str_is(name, "rtpmap"))
		return parse_rtpmap(ps, s, e);
	else if(media_str_is(name, "fmtp"))
		return parse_fmtp(ps, s, e);
	else if(media_str_is(name, "ptime"))
		return parse_ms(ps, "ptime", s, e, &o->ptime);
	else if(media_str_is(name, "maxptime"))
		return parse_ms(ps, "maxptime", s, e, &o->maxptime);
	else if(media_str_is(name, "rtcp-mux"))
		o->rtcp_mux = 1;
	else if(media_str_is(name, "rtcp")) {
		if(!media_tok(&s, e, &port) || media_num(port.s, port.n, 65535, &v) < 0 || v == 0)
			return media_why(ps->why, W, 400,
					"line %d: a=rtcp must start with a port from 1 to 65535", ps->line);
		ps->rtcp_port = (int)v;
	} else if(media_str_is(name, "crypto")) {
		media_crypto_t *c;
		char why[W];

		if(o->ncrypto == MEDIA_SDP_CRYPTO_MAX)
			return 0; /* the first ones are the offerer's preference anyway */
		c = &o->crypto[o->ncrypto++];
		if(media_sdp_crypto_parse(s, (size_t)(e - s), c, why) < 0
				&& o->crypto_why[0] == '\0')
			media_why(o->crypto_why, sizeof o->crypto_why, 0, "line %d: %s", ps->line, why);
	}
	return 0;
}

static int parse_a(parse_t *ps, const char *s, const char *e)
{
	const char *colon = memchr(s, ':', (size_t)(e - s));
	media_str_t name = {s, (size_t)((colon ? colon : e) - s)};
	const char *v = colon ? colon + 1 : e;
	int d;

	if(!ps->in_m) {
		if((d = dir_of(name)) >= 0)
			ps->sess_dir = d;
		return 0;
	}
	return ps->in_audio ? parse_audio_attr(ps, name, v, e) : 0;
}

/* "IN IP4 <address>" or "IN IP6 <address>", a unicast literal */
static int parse_c(parse_t *ps, media_str_t c)
{
	media_offer_t *o = ps->o;
	const char *s = c.s, *e = c.s + c.n;
	media_str_t net, type, addr;
	unsigned char bin[16];
	char q[MEDIA_CLIP_MAX];
	int family;

	if(!media_tok(&s, e, &net) || !media_tok(&s, e, &type) || !media_tok(&s, e, &addr)
			|| media_tok(&s, e, &net))
		return media_why(ps->why, W, 400,
				"c= must be IN IP4 <address> or IN IP6 <address>");
	media_clip(addr.s, addr.n, q);
	if(!media_str_is(net, "IN"))
		return media_why(ps->why, W, 488, "c= network type is not IN");
	if(media_str_is(type, "IP4"))
		family = 4;
	else if(media_str_is(type, "IP6"))
		family = 6;
	else
		return media_why(ps->why, W, 488, "c= address type is not IP4 or IP6");
	if(memchr(addr.s, '/', addr.n))
		return media_why(ps->why, W, 488,
				"c= %s is a multicast address; only unicast media is supported", q);
	if(addr.n >= sizeof o->addr || keep(addr, o->addr, sizeof o->addr) < 0
			|| inet_pton(family == 4 ? AF_INET : AF_INET6, o->addr, bin) != 1)
		return media_why(ps->why, W, 488, "c= %s is not an IPv%d address literal", q,
				family);
	if((family == 4 && (bin[0] & 0xf0) == 0xe0) || (family == 6 && bin[0] == 0xff))
		return media_why(ps->why, W, 488,
				"c= %s is a multicast address; only unicast media is supported", q);
	o->family = family;
	return 0;
}

/* One line, s..e without its end: 0 or a status. */
static int parse_line(parse_t *ps, const char *s, const char *e)
{
	const char *p;
	char q[MEDIA_CLIP_MAX];
	char type;

	for(p = s; p < e; p++)
		if(((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			if(*p == '\0')
				return media_why(ps->why, W, 400, "line %d: a NUL byte", ps->line);
			return media_why(ps->why, W, 400,
					*p == '\r' ? "line %d: a CR that ends no line"
							   : "line %d: control character 0x%02x",
					ps->line, (unsigned char)*p);
		}
	if(e - s < 2 || s[0] < 'a' || s[0] > 'z' || s[1] != '=') {
		media_clip(s, (size_t)(e - s), q);
		return media_why(ps->why, W, 400, "line %d is not <letter>=<value>: '%s'",
				ps->line, q);
	}
	type = s[0];
	s += 2;
	if(!ps->have_v) {
		if(type != 'v' || e - s != 1 || s[0] != '0')
			return media_why(ps->why, W, 400, "the SDP must begin with v=0");
		ps->have_v = 1;
		return 0;
	}
	switch(type) {
		case 'v':
			return media_why(ps->why, W, 400, "line %d: a second v= line", ps->line);
		case 'o':
			return parse_o(ps, s, e);
		case 'm':
			return parse_m(ps, s, e);
		case 'a':
			return parse_a(ps, s, e);
		case 'c':
			if(!ps->in_m)
				ps->sess_c = (media_str_t){s, (size_t)(e - s)};
			else if(ps->in_audio) {
				if(ps->media_c.n)
					return media_why(ps->why, W, 488,
							"line %d: a second c= line for the audio stream", ps->line);
				ps->media_c = (media_str_t){s, (size_t)(e - s)};
			}
			return 0;
		default:
			return 0; /* s= t= b= i= and the rest say nothing about our media */
	}
}

static int finish(parse_t *ps)
{
	media_offer_t *o = ps->o;
	int rc;

	if(!ps->have_v)
		return media_why(ps->why, W, 400, "empty SDP");
	if(!ps->have_o)
		return media_why(ps->why, W, 400, "no o= line");
	if(o->nm == 0)
		return media_why(ps->why, W, 488, "no m= line: the offer has no media");
	if(!ps->have_audio)
		return media_why(ps->why, W, 488,
				"no audio stream: no m=audio line with a port other than 0");
	if(ps->media_c.n == 0 && ps->sess_c.n == 0)
		return media_why(ps->why, W, 400, "no c= line for the audio stream");
	if((rc = parse_c(ps, ps->media_c.n ? ps->media_c : ps->sess_c)) != 0)
		return rc;
	o->dir = ps->media_dir >= 0 ? ps->media_dir
								: ps->sess_dir >= 0 ? ps->sess_dir : MEDIA_SENDRECV;
	o->rtcp_port = ps->rtcp_port ? ps->rtcp_port : o->port < 65535 ? o->port + 1 : 0;
	return 0;
}

int media_sdp_parse(const char *sdp, size_t len, media_offer_t *o, char *why)
{
	parse_t ps;
	const char *p = sdp, *end = sdp + len, *nl, *le;
	int rc;

	memset(o, 0, sizeof *o);
	memset(&ps, 0, sizeof ps);
	ps.o = o;
	ps.why = why;
	ps.sess_dir = ps.media_dir = -1;
	if(why)
		why[0] = '\0';
	if(len > MEDIA_SDP_MAX)
		return media_why(why, W, 488, "SDP of %zu bytes; at most %d are read", len,
				MEDIA_SDP_MAX);
	while(p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		le = nl ? nl : end;
		if(le > p && le[-1] == '\r')
			le--;
		ps.line++;
		if(le > p && (rc = parse_line(&ps, p, le)) != 0)
			return rc;
		p = nl ? nl + 1 : end;
	}
	return finish(&ps);
}
