/*
 * rtpfar: the caller's phone's media side, for omniq's integration tests of a module that
 * streams RTP/SRTP to queued callers. Built on libsrtp2 and nothing of omniq's own, so that
 * what it reports is an independent check of the module.
 *
 * It binds RTP on PORT and RTCP on PORT+1, receives for --duration-ms (or until an RTCP BYE
 * with --until-bye), unprotects with the given key, parses RTP and RTCP itself, bounded by
 * the lengths received, and writes a summary in JSON (--out) and the payloads (--payload).
 * With --send-to it also sends a stream of its own from the RTP socket (symmetric RTP):
 * silence, RFC 4733 telephone-events (--send-dtmf), an RTCP SR+SDES+BYE (--send-bye).
 * Once bound it prints "ready RTP-ADDR RTCP-ADDR" on stdout. SIGTERM/SIGINT end the run early
 * (the JSON is still written). Exit: 0 with the JSON written, 2 bad arguments, 1 socket or
 * file error. Usage: rtpfar --help; tests/integration/rtpfar.py wraps it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <srtp2/srtp.h>

#define MAX_PKT 2048      /* larger datagrams are truncated by recvfrom and counted as other_err */
#define MAX_SSRC 32       /* streams analysed (seq/ts); more are counted but not analysed */
#define MAX_PTS 128
#define MAX_RECS (1 << 20)
#define MAX_DTMF 16
#define FRAME 160         /* 20 ms of 8 kHz G.711 */

static const char usage_text[] =
    "usage: rtpfar --bind IP:PORT --duration-ms N --out FILE.json [options]\n"
    "  --bind IP:PORT            RTP on PORT, RTCP on PORT+1 (IPv6: [addr]:port)\n"
    "  --fds N,M                 the two sockets, already bound to --bind's ports by the\n"
    "                            caller (a phone binds before it offers: nothing is lost)\n"
    "  --suite NAME --key B64    SRTP suite and key (key||salt, base64) we receive with\n"
    "                            AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_32 AEAD_AES_128_GCM\n"
    "                            AEAD_AES_256_GCM AES_256_CM_HMAC_SHA1_80\n"
    "  --duration-ms N           receive for N ms\n"
    "  --until-bye               end earlier, when an RTCP BYE arrives\n"
    "  --out FILE.json           the summary;  --payload FILE.bin  the payloads, concatenated\n"
    "  --ts-step N               expected ts step per seq step (default 160)\n"
    "  --send-to IP:PORT         send our own stream there, from the bound RTP socket\n"
    "  --send-suite NAME --send-key B64   protect it (SRTP)\n"
    "  --send-pt N               payload type (default 0 PCMU, silence 0xFF; 8 PCMA, 0xD5)\n"
    "  --send-every-ms N         packet interval (default 20)\n"
    "  --send-dtmf D@MS[,D@MS..] RFC 4733 events: digit D at MS ms into the run\n"
    "  --dtmf-pt N               telephone-event payload type (default 101)\n"
    "  --stop-send-after-ms N    stop sending after N ms\n"
    "  --send-bye                when sending stops, send RTCP SR+SDES+BYE to the port+1\n";

struct rec { uint32_t ts, ssrc; uint16_t seq, len; uint8_t m, pt, sidx; int64_t ext; double ms; };
struct stream { uint32_t ssrc; int64_t max_ext, prev_ext; uint32_t prev_ts; };
struct dtmf { int event, state; long at_ms; uint32_t ts; };
struct errs { unsigned long auth, replay, other; int said; };

static struct {
    int fd[2], fam;                          /* RTP, RTCP */
    srtp_t rx, tx;
    double t0;
    long ts_step;
    /* received RTP */
    unsigned long packets, unrecorded;
    struct errs rtp_err, rtcp_err;
    struct rec *recs; size_t nrecs, cap;
    struct stream streams[MAX_SSRC]; int nstreams;
    int pts[MAX_PTS], npts;
    char src[64];
    FILE *payload;
    /* received RTCP */
    unsigned long rtcp_pkts, sr, rr;
    int have_sr, bye;
    uint32_t sr_ssrc, sr_rtp, sr_packets, sr_octets; uint64_t sr_ntp;
    char cname[256]; int have_cname;
    /* our stream */
    int send_on, send_pt, every_ms, dtmf_pt, ndtmf, want_bye;
    long stop_ms;
    struct sockaddr_storage to, to_rtcp; socklen_t tolen;
    uint32_t ssrc, ts, octets, npkts; uint16_t seq;
    unsigned long sent, send_err;
    double next_send;
    struct dtmf dtmf[MAX_DTMF];
} g;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static void fail(int code, const char *fmt, ...)
{
    va_list ap;
    fputs("rtpfar: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(code == 2 ? " (rtpfar --help)\n" : "\n", stderr);
    exit(code);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static long num(const char *opt, const char *s, long lo, long hi)
{
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (errno || e == s || *e || v < lo || v > hi)
        fail(2, "%s: expected a whole number in %ld..%ld, got '%s'", opt, lo, hi, s);
    return v;
}

/* "1.2.3.4:5", "[::1]:5" (or "::1:5"): the last colon separates the port */
static socklen_t parse_addr(const char *opt, const char *arg, struct sockaddr_storage *ss)
{
    char host[128];
    const char *c = strrchr(arg, ':');
    size_t hl = c ? (size_t)(c - arg) : 0;
    if (!c || hl == 0 || hl >= sizeof host)
        fail(2, "%s: expected IP:PORT, got '%s'", opt, arg);
    memcpy(host, arg, hl);
    host[hl] = 0;
    if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
    }
    int port = (int)num(opt, c + 1, 1, 65535);
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        return sizeof *a4;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        return sizeof *a6;
    }
    fail(2, "%s: '%s' is not an IPv4 or IPv6 address", opt, host);
    return 0;
}

static int addr_port(const struct sockaddr_storage *ss)
{
    return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
                                          : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void set_port(struct sockaddr_storage *ss, int port)
{
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static void fmt_addr(const struct sockaddr_storage *ss, char *out, size_t n)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof ip);
        snprintf(out, n, "%s:%d", ip, addr_port(ss));
    } else {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof ip);
        snprintf(out, n, "[%s]:%d", ip, addr_port(ss));
    }
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 with optional padding; -1 if malformed or longer than max bytes. */
static int b64decode(const char *s, size_t slen, unsigned char *out, int max)
{
    uint32_t acc = 0;
    int bits = 0, n = 0, pad = 0;
    for (size_t i = 0; i < slen; i++) {
        if (s[i] == '=') { pad++; continue; }
        int v = b64val((unsigned char)s[i]);
        if (v < 0 || pad)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= max)
                return -1;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return pad > 2 ? -1 : n;
}

typedef void (*policy_fn)(srtp_crypto_policy_t *);
static const struct suite { const char *name; policy_fn rtp, rtcp; int keylen; } suites[] = {
    /* RFC 4568 6.2.2: the _32 suite keeps the 80-bit tag on SRTCP */
    {"AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default,
     srtp_crypto_policy_set_rtcp_default, 30},
    {"AES_CM_128_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
     srtp_crypto_policy_set_rtcp_default, 30},
    {"AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth,
     srtp_crypto_policy_set_aes_gcm_128_16_auth, 28},
    {"AEAD_AES_256_GCM", srtp_crypto_policy_set_aes_gcm_256_16_auth,
     srtp_crypto_policy_set_aes_gcm_256_16_auth, 44},
    {"AES_256_CM_HMAC_SHA1_80", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
     srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, 46},
};

/* An SRTP session for suite/key; the key may be SDES's "inline:KEY|lifetime" (no MKI). */
static srtp_t make_srtp(const char *opt, const char *name, const char *key, srtp_ssrc_type_t type)
{
    const struct suite *s = NULL;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (!strcmp(suites[i].name, name))
            s = &suites[i];
    if (!s)
        fail(2, "%s: unknown suite '%s'", opt, name);
    if (!strncmp(key, "inline:", 7))
        key += 7;
    const char *bar = strchr(key, '|');
    if (bar && strchr(bar, ':'))
        fail(2, "%s key: MKI is not supported", opt);
    unsigned char raw[SRTP_MAX_KEY_LEN];
    int n = b64decode(key, bar ? (size_t)(bar - key) : strlen(key), raw, sizeof raw);
    if (n != s->keylen)
        fail(2, "%s key: %s needs %d bytes of key and salt in base64, got %s%d", opt, name,
             s->keylen, n < 0 ? "malformed base64 " : "", n < 0 ? 0 : n);
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    s->rtp(&p.rtp);
    s->rtcp(&p.rtcp);
    p.ssrc.type = type;
    p.key = raw;
    p.window_size = 128;
    srtp_t ctx;
    srtp_err_status_t e = srtp_create(&ctx, &p);
    if (e)
        fail(2, "%s: srtp_create(%s) failed (error %d): not supported by this libsrtp?", opt,
             name, (int)e);
    return ctx;
}

static void parse_dtmf(const char *arg)
{
    const char *digits = "0123456789*#ABCD", *p = arg;
    while (*p) {
        const char *d = *p ? strchr(digits, *p) : NULL;
        if (!d || p[1] != '@' || g.ndtmf >= MAX_DTMF)
            fail(2, "--send-dtmf: expected D@MS[,D@MS...] (D one of %s, at most %d), got '%s'",
                 digits, MAX_DTMF, arg);
        char ms[16];
        size_t n = strcspn(p + 2, ",");
        if (n == 0 || n >= sizeof ms)
            fail(2, "--send-dtmf: bad time in '%s'", arg);
        memcpy(ms, p + 2, n);
        ms[n] = 0;
        g.dtmf[g.ndtmf].event = (int)(d - digits);
        g.dtmf[g.ndtmf++].at_ms = num("--send-dtmf", ms, 0, 86400000);
        p += 2 + n;
        if (*p == ',')
            p++;
    }
}

static void put16(unsigned char *b, uint32_t v) { b[0] = v >> 8; b[1] = v; }
static void put32(unsigned char *b, uint32_t v) { put16(b, v >> 16); put16(b + 2, v); }
static uint16_t get16(const unsigned char *b) { return (uint16_t)(b[0] << 8 | b[1]); }
static uint32_t get32(const unsigned char *b) { return (uint32_t)get16(b) << 16 | get16(b + 2); }

static void send_rtp(int marker, int pt, uint32_t ts, const unsigned char *pl, int plen)
{
    unsigned char b[12 + FRAME + SRTP_MAX_TRAILER_LEN];
    b[0] = 0x80;
    b[1] = (unsigned char)((marker ? 0x80 : 0) | pt);
    put16(b + 2, g.seq++);
    put32(b + 4, ts);
    put32(b + 8, g.ssrc);
    memcpy(b + 12, pl, plen);
    int len = 12 + plen;
    srtp_err_status_t e = g.tx ? srtp_protect(g.tx, b, &len) : srtp_err_status_ok;
    if (e || sendto(g.fd[0], b, len, 0, (struct sockaddr *)&g.to, g.tolen) < 0) {
        if (g.send_err++ < 3)
            fprintf(stderr, "rtpfar: sending RTP failed: %s\n",
                    e ? "srtp_protect" : strerror(errno));
        return;
    }
    g.sent++;
    g.npkts++;
    g.octets += plen;
}

/* One packet interval of our stream: silence, or the next packet of a due telephone-event
 * (RFC 4733 2.5: same ts all through, marker on the first, 5 packets 20 ms apart, then the
 * end packet (E bit) three times). */
static void send_tick(double at)
{
    struct dtmf *d = NULL;
    for (int i = 0; i < g.ndtmf && !d; i++)
        if (g.dtmf[i].state >= 1 && g.dtmf[i].state <= 6)
            d = &g.dtmf[i];
    for (int i = 0; i < g.ndtmf && !d; i++)
        if (g.dtmf[i].state == 0 && at - g.t0 >= g.dtmf[i].at_ms) {
            d = &g.dtmf[i];
            d->state = 1;
            d->ts = g.ts;
        }
    if (d) {
        unsigned char ev[4] = {(unsigned char)d->event, 10, 0, 0};   /* volume -10 dBm0 */
        if (d->state <= 5) {
            put16(ev + 2, FRAME * d->state);
            send_rtp(d->state == 1, g.dtmf_pt, d->ts, ev, 4);
            d->state++;
        } else {
            ev[1] |= 0x80;
            put16(ev + 2, FRAME * 5);
            for (int k = 0; k < 3; k++)
                send_rtp(0, g.dtmf_pt, d->ts, ev, 4);
            d->state = 7;
        }
    } else {
        unsigned char silence[FRAME];
        memset(silence, g.send_pt == 8 ? 0xD5 : 0xFF, sizeof silence);
        send_rtp(0, g.send_pt, g.ts, silence, FRAME);
    }
    g.ts += FRAME;
}

/* RTCP SR + SDES CNAME + BYE, from the RTCP socket to the peer's port+1 */
static void send_bye(void)
{
    unsigned char b[56 + SRTP_MAX_TRAILER_LEN + 4];
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    memset(b, 0, sizeof b);
    b[0] = 0x80, b[1] = 200, put16(b + 2, 6), put32(b + 4, g.ssrc);
    put32(b + 8, (uint32_t)(rt.tv_sec + 2208988800UL));
    put32(b + 12, (uint32_t)(((uint64_t)rt.tv_nsec << 32) / 1000000000));
    put32(b + 16, g.ts), put32(b + 20, g.npkts), put32(b + 24, g.octets);
    b[28] = 0x81, b[29] = 202, put16(b + 30, 4), put32(b + 32, g.ssrc);
    b[36] = 1, b[37] = 6, memcpy(b + 38, "rtpfar", 6);          /* then a zero item, padding */
    b[48] = 0x81, b[49] = 203, put16(b + 50, 1), put32(b + 52, g.ssrc);
    int len = 56;
    srtp_err_status_t e = g.tx ? srtp_protect_rtcp(g.tx, b, &len) : srtp_err_status_ok;
    if (e || sendto(g.fd[1], b, len, 0, (struct sockaddr *)&g.to_rtcp, g.tolen) < 0) {
        g.send_err++;
        fprintf(stderr, "rtpfar: sending RTCP BYE failed: %s\n",
                e ? "srtp_protect_rtcp" : strerror(errno));
    }
}

/* count an unprotect failure; say the first few of each kind on stderr */
static int srtp_failed(struct errs *c, const char *what, srtp_err_status_t e)
{
    if (e == srtp_err_status_ok)
        return 0;
    if (e == srtp_err_status_auth_fail)
        c->auth++;
    else if (e == srtp_err_status_replay_fail || e == srtp_err_status_replay_old)
        c->replay++;
    else
        c->other++;
    if (c->said++ < 5)
        fprintf(stderr, "rtpfar: %s: libsrtp error %d (counted)\n", what, (int)e);
    return 1;
}

static int bad(struct errs *c, const char *what, const char *why)
{
    c->other++;
    if (c->said++ < 5)
        fprintf(stderr, "rtpfar: %s dropped: %s (counted)\n", what, why);
    return -1;
}

/* the fixed header, CSRCs and extension: its length, or -1 if it doesn't fit in len */
static int rtp_header_len(const unsigned char *b, int len)
{
    if (len < 12 || b[0] >> 6 != 2)
        return -1;
    int hl = 12 + 4 * (b[0] & 0x0f);
    if (b[0] & 0x10) {
        if (hl + 4 > len)
            return -1;
        hl += 4 + 4 * get16(b + hl + 2);
    }
    return hl > len ? -1 : hl;
}

/* a (compound) RTCP packet: 0, or -1 if dropped (counted) */
static int on_rtcp(unsigned char *b, int len)
{
    if (len < 8 || b[0] >> 6 != 2)
        return bad(&g.rtcp_err, "RTCP", "not RTCP version 2");
    if (g.rx && srtp_failed(&g.rtcp_err, "RTCP", srtp_unprotect_rtcp(g.rx, b, &len)))
        return -1;
    for (int off = 0; off + 4 <= len;) {
        const unsigned char *p = b + off;
        int plen = 4 * (get16(p + 2) + 1);
        if (p[0] >> 6 != 2 || off + plen > len)
            return bad(&g.rtcp_err, "RTCP", "compound packet overruns its length");
        if (p[1] == 200 && plen >= 28) {
            g.sr++, g.have_sr = 1, g.sr_ssrc = get32(p + 4);
            g.sr_ntp = (uint64_t)get32(p + 8) << 32 | get32(p + 12);
            g.sr_rtp = get32(p + 16), g.sr_packets = get32(p + 20), g.sr_octets = get32(p + 24);
        } else if (p[1] == 201) {
            g.rr++;
        } else if (p[1] == 202) {
            int q = 4, end = plen;
            for (int chunk = 0; chunk < (p[0] & 0x1f) && q + 4 <= end; chunk++) {
                q += 4;                                   /* SSRC/CSRC, then the items */
                while (q < end && p[q] != 0) {
                    if (q + 2 > end || q + 2 + p[q + 1] > end)
                        return bad(&g.rtcp_err, "RTCP", "SDES item overruns its packet");
                    if (p[q] == 1 && !g.have_cname) {
                        memcpy(g.cname, p + q + 2, p[q + 1]);
                        g.cname[p[q + 1]] = 0;
                        g.have_cname = 1;
                    }
                    q += 2 + p[q + 1];
                }
                q = (q + 4) & ~3;                         /* the null item, padding to 32 bits */
            }
        } else if (p[1] == 203) {
            g.bye = 1;
        }
        off += plen;
    }
    g.rtcp_pkts++;                 /* a whole compound packet; one that overran is other_err */
    return 0;
}

static struct stream *stream_of(uint32_t ssrc, uint16_t seq, int *idx)
{
    for (int i = 0; i < g.nstreams; i++)
        if (g.streams[i].ssrc == ssrc)
            return &g.streams[*idx = i];
    if (g.nstreams == MAX_SSRC)
        return NULL;
    struct stream *s = &g.streams[*idx = g.nstreams++];
    s->ssrc = ssrc, s->max_ext = 65536 + seq, s->prev_ext = -1;
    return s;
}

static int on_rtp(unsigned char *b, int len, const struct sockaddr_storage *from, double t)
{
    if (len >= 2 && b[1] >= 192 && b[1] <= 223)          /* RTCP on the RTP port (RFC 5761) */
        return on_rtcp(b, len);
    if (rtp_header_len(b, len) < 0)
        return bad(&g.rtp_err, "RTP", "not RTP version 2, or its header overruns it");
    if (g.rx && srtp_failed(&g.rtp_err, "RTP", srtp_unprotect(g.rx, b, &len)))
        return -1;
    int hl = rtp_header_len(b, len), end = len;
    if (hl < 0)
        return bad(&g.rtp_err, "RTP", "header longer than the packet");
    if (b[0] & 0x20) {
        if (end <= hl || b[end - 1] == 0 || b[end - 1] > end - hl)
            return bad(&g.rtp_err, "RTP", "padding count out of bounds");
        end -= b[end - 1];
    }
    struct rec r = {.seq = get16(b + 2), .ts = get32(b + 4), .ssrc = get32(b + 8),
                    .m = b[1] >> 7, .pt = b[1] & 0x7f, .len = (uint16_t)(end - hl), .ms = t - g.t0};
    if (g.packets++ == 0)
        fmt_addr(from, g.src, sizeof g.src);
    int known = 0, idx = MAX_SSRC;
    for (int i = 0; i < g.npts; i++)
        known |= g.pts[i] == r.pt;
    if (!known && g.npts < MAX_PTS)
        g.pts[g.npts++] = r.pt;
    struct stream *s = stream_of(r.ssrc, r.seq, &idx);
    r.sidx = (uint8_t)idx;
    if (s) {
        r.ext = s->max_ext + (int16_t)(r.seq - (uint16_t)s->max_ext);
        if (r.ext > s->max_ext)
            s->max_ext = r.ext;
    }
    if (g.payload && end > hl && fwrite(b + hl, 1, end - hl, g.payload) != (size_t)(end - hl))
        fail(1, "writing the payload file: %s", strerror(errno));
    if (g.nrecs == g.cap) {
        size_t cap = g.cap ? 2 * g.cap : 1024;
        struct rec *n = cap <= MAX_RECS ? realloc(g.recs, cap * sizeof *n) : NULL;
        if (!n) {
            g.unrecorded++;
            return 0;
        }
        g.recs = n, g.cap = cap;
    }
    g.recs[g.nrecs++] = r;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c);          /* bytes beyond ASCII shown as Latin-1 */
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void errs_json(FILE *f, const struct errs *c)
{
    fprintf(f, "\"auth_fail\": %lu, \"replay\": %lu, \"other_err\": %lu", c->auth, c->replay,
            c->other);
}

static void write_json(const char *path)
{
    /* seq gaps and dups per stream, from the sorted extended seqs: wrap- and order-proof */
    unsigned long gaps = 0, dups = 0, ts_err = 0, ts_jumps = 0;
    int64_t *ext = malloc((g.nrecs ? g.nrecs : 1) * sizeof *ext);
    if (!ext)
        fail(1, "out of memory");
    for (int s = 0; s < g.nstreams; s++) {
        size_t n = 0;
        for (size_t i = 0; i < g.nrecs; i++)
            if (g.recs[i].sidx == s)
                ext[n++] = g.recs[i].ext;
        qsort(ext, n, sizeof *ext, cmp_i64);
        for (size_t i = 1; i < n; i++) {
            if (ext[i] == ext[i - 1])
                dups++;
            else
                gaps += (unsigned long)(ext[i] - ext[i - 1] - 1);
        }
    }
    free(ext);
    /* ts against the previous packet of the stream, in arrival order */
    for (size_t i = 0; i < g.nrecs; i++) {
        struct rec *r = &g.recs[i];
        if (r->sidx >= g.nstreams)
            continue;
        struct stream *s = &g.streams[r->sidx];
        if (s->prev_ext >= 0) {
            int64_t want = g.ts_step * (r->ext - s->prev_ext), got = (int32_t)(r->ts - s->prev_ts);
            if (got != want && r->m && got > want)
                ts_jumps++;
            else if (got != want)
                ts_err++;
        }
        s->prev_ext = r->ext, s->prev_ts = r->ts;
    }
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        fail(2, "--out: path too long");
    FILE *f = fopen(tmp, "w");
    if (!f)
        fail(1, "%s: %s", tmp, strerror(errno));
    fprintf(f, "{\"packets\": %lu, ", g.packets);
    errs_json(f, &g.rtp_err);
    fputs(", \"ssrcs\": [", f);
    for (int i = 0; i < g.nstreams; i++)
        fprintf(f, "%s%u", i ? ", " : "", g.streams[i].ssrc);
    fputs("], \"pts\": [", f);
    for (int i = 0; i < g.npts; i++)
        fprintf(f, "%s%d", i ? ", " : "", g.pts[i]);
    fputs("], \"first_seq\": ", f);
    g.nrecs ? fprintf(f, "%u", g.recs[0].seq) : fputs("null", f);
    fprintf(f, ", \"seq_gaps\": %lu, \"seq_dups\": %lu, \"ts_errors\": %lu, \"ts_jumps\": %lu, "
            "\"markers\": [", gaps, dups, ts_err, ts_jumps);
    for (size_t i = 0, k = 0; i < g.nrecs; i++)
        if (g.recs[i].m)
            fprintf(f, "%s%u", k++ ? ", " : "", g.recs[i].seq);
    fprintf(f, "], \"rtcp\": {\"packets\": %lu, \"sr\": %lu, \"rr\": %lu, \"last_sr\": ",
            g.rtcp_pkts, g.sr, g.rr);
    if (g.have_sr)
        fprintf(f, "{\"ssrc\": %u, \"packets\": %u, \"octets\": %u, \"rtp_ts\": %u, \"ntp\": %llu}",
                g.sr_ssrc, g.sr_packets, g.sr_octets, g.sr_rtp, (unsigned long long)g.sr_ntp);
    else
        fputs("null", f);
    fputs(", \"cname\": ", f);
    g.have_cname ? json_str(f, g.cname) : (void)fputs("null", f);
    fprintf(f, ", \"bye\": %s, ", g.bye ? "true" : "false");
    errs_json(f, &g.rtcp_err);
    fputs("}, \"src\": ", f);
    g.packets ? json_str(f, g.src) : (void)fputs("null", f);
    if (g.nrecs)
        fprintf(f, ", \"first_ms\": %.3f, \"last_ms\": %.3f", g.recs[0].ms,
                g.recs[g.nrecs - 1].ms);
    else
        fputs(", \"first_ms\": null, \"last_ms\": null", f);
    fprintf(f, ", \"sent\": %lu, \"send_err\": %lu, \"ssrc_sent\": %u, \"unrecorded\": %lu, "
            "\"pkts\": [", g.sent, g.send_err, g.ssrc, g.unrecorded);
    for (size_t i = 0; i < g.nrecs; i++) {
        struct rec *r = &g.recs[i];
        fprintf(f, "%s\n  {\"seq\": %u, \"ts\": %u, \"m\": %u, \"pt\": %u, \"ssrc\": %u, "
                "\"len\": %u, \"ms\": %.3f}", i ? "," : "", r->seq, r->ts, r->m, r->pt, r->ssrc,
                r->len, r->ms);
    }
    fputs("]}\n", f);
    if (ferror(f) | fclose(f) || rename(tmp, path) < 0)
        fail(1, "writing %s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
    enum { O_BIND = 1, O_SUITE, O_KEY, O_SEND_TO, O_SEND_SUITE, O_SEND_KEY, O_SEND_PT,
           O_EVERY, O_DTMF, O_DTMF_PT, O_STOP, O_DURATION, O_BYE, O_OUT, O_PAYLOAD, O_TS_STEP,
           O_SEND_BYE, O_FDS, O_HELP };
    static const struct option opts[] = {
        {"bind", 1, 0, O_BIND}, {"suite", 1, 0, O_SUITE}, {"key", 1, 0, O_KEY},
        {"send-to", 1, 0, O_SEND_TO}, {"send-suite", 1, 0, O_SEND_SUITE},
        {"send-key", 1, 0, O_SEND_KEY}, {"send-pt", 1, 0, O_SEND_PT},
        {"send-every-ms", 1, 0, O_EVERY}, {"send-dtmf", 1, 0, O_DTMF},
        {"dtmf-pt", 1, 0, O_DTMF_PT}, {"stop-send-after-ms", 1, 0, O_STOP},
        {"duration-ms", 1, 0, O_DURATION}, {"until-bye", 0, 0, O_BYE}, {"out", 1, 0, O_OUT},
        {"payload", 1, 0, O_PAYLOAD}, {"ts-step", 1, 0, O_TS_STEP},
        {"send-bye", 0, 0, O_SEND_BYE}, {"fds", 1, 0, O_FDS}, {"help", 0, 0, O_HELP},
        {0, 0, 0, 0}};
    const char *bind_arg = NULL, *suite = NULL, *key = NULL, *send_to = NULL, *out = NULL;
    const char *send_suite = NULL, *send_key = NULL, *payload = NULL;
    long duration = -1;
    int given[2] = {-1, -1};
    int until_bye = 0, c;
    g.send_pt = 0, g.every_ms = 20, g.dtmf_pt = 101, g.stop_ms = -1, g.ts_step = FRAME;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_BIND: bind_arg = optarg; break;
        case O_SUITE: suite = optarg; break;
        case O_KEY: key = optarg; break;
        case O_SEND_TO: send_to = optarg; break;
        case O_SEND_SUITE: send_suite = optarg; break;
        case O_SEND_KEY: send_key = optarg; break;
        case O_SEND_PT: g.send_pt = (int)num("--send-pt", optarg, 0, 127); break;
        case O_EVERY: g.every_ms = (int)num("--send-every-ms", optarg, 1, 10000); break;
        case O_DTMF: parse_dtmf(optarg); break;
        case O_DTMF_PT: g.dtmf_pt = (int)num("--dtmf-pt", optarg, 0, 127); break;
        case O_STOP: g.stop_ms = num("--stop-send-after-ms", optarg, 0, 86400000); break;
        case O_DURATION: duration = num("--duration-ms", optarg, 0, 86400000); break;
        case O_BYE: until_bye = 1; break;
        case O_OUT: out = optarg; break;
        case O_PAYLOAD: payload = optarg; break;
        case O_TS_STEP: g.ts_step = num("--ts-step", optarg, 0, 1 << 20); break;
        case O_SEND_BYE: g.want_bye = 1; break;
        case O_FDS:
            if (sscanf(optarg, "%d,%d", &given[0], &given[1]) != 2 || given[0] < 0 || given[1] < 0)
                fail(2, "--fds: two descriptors, N,M");
            break;
        case O_HELP: fputs(usage_text, stdout); return 0;
        default:
            fail(2, "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        fail(2, "unexpected argument '%s'", argv[optind]);
    if (!bind_arg || duration < 0 || !out)
        fail(2, "--bind, --duration-ms and --out are required");
    if (!suite != !key)
        fail(2, "--suite and --key go together");
    if (!send_suite != !send_key)
        fail(2, "--send-suite and --send-key go together");
    if (!send_to && (send_suite || g.ndtmf || g.stop_ms >= 0 || g.want_bye))
        fail(2, "--send-suite, --send-dtmf, --stop-send-after-ms and --send-bye need --send-to");

    struct sockaddr_storage local[2];
    socklen_t alen = parse_addr("--bind", bind_arg, &local[0]);
    int port = addr_port(&local[0]);
    if (port > 65534)
        fail(2, "--bind: the port must be below 65535 (RTCP takes port+1)");
    local[1] = local[0];
    set_port(&local[1], port + 1);
    g.fam = local[0].ss_family;
    if (send_to) {
        g.tolen = parse_addr("--send-to", send_to, &g.to);
        if (g.to.ss_family != g.fam)
            fail(2, "--send-to: address family differs from --bind's");
        if (addr_port(&g.to) > 65534)
            fail(2, "--send-to: the port must be below 65535 (RTCP goes to port+1)");
        g.to_rtcp = g.to;
        set_port(&g.to_rtcp, addr_port(&g.to) + 1);
        g.send_on = 1;
    }
    if (key || send_key) {
        if (srtp_init())
            fail(1, "srtp_init failed");
        if (key)
            g.rx = make_srtp("--suite", suite, key, ssrc_any_inbound);
        if (send_key)
            g.tx = make_srtp("--send-suite", send_suite, send_key, ssrc_any_outbound);
    }
    if (payload && !(g.payload = fopen(payload, "wb")))
        fail(1, "%s: %s", payload, strerror(errno));

    char names[2][64];
    for (int i = 0; i < 2; i++) {
        int one = 1;
        fmt_addr(&local[i], names[i], sizeof names[i]);
        if (given[i] >= 0) {
            struct sockaddr_storage at;
            socklen_t atl = sizeof at;
            if (getsockname(given[i], (struct sockaddr *)&at, &atl) < 0
                    || addr_port(&at) != addr_port(&local[i]))
                fail(2, "--fds: descriptor %d is not a socket bound to %s", given[i], names[i]);
            g.fd[i] = given[i];
            continue;
        }
        if ((g.fd[i] = socket(g.fam, SOCK_DGRAM, 0)) < 0)
            fail(1, "socket: %s", strerror(errno));
        if (g.fam == AF_INET6)
            setsockopt(g.fd[i], IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(g.fd[i], (struct sockaddr *)&local[i], alen) < 0)
            fail(1, "bind %s: %s", names[i], strerror(errno));
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigset_t block, unblocked;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &unblocked);

    srand((unsigned)(time(NULL) ^ getpid()));
    g.ssrc = (uint32_t)rand() << 16 ^ (uint32_t)rand();
    g.seq = (uint16_t)rand(), g.ts = (uint32_t)rand() << 8;
    printf("ready %s %s\n", names[0], names[1]);
    fflush(stdout);

    g.t0 = g.next_send = now_ms();
    double end = g.t0 + duration;
    while (!stop_flag && !(until_bye && g.bye)) {
        double t = now_ms();
        if (g.send_on && g.stop_ms >= 0 && t - g.t0 >= g.stop_ms) {
            g.send_on = 0;
            if (g.want_bye)
                send_bye();
        }
        if (t >= end)
            break;
        if (g.send_on && t >= g.next_send) {
            send_tick(g.next_send);
            g.next_send += g.every_ms;
            if (t - g.next_send > 10.0 * g.every_ms)        /* far behind (stopped?): resync */
                g.next_send = t;
        }
        double wake = g.send_on && g.next_send < end ? g.next_send : end;
        if (g.send_on && g.stop_ms >= 0 && g.t0 + g.stop_ms < wake)
            wake = g.t0 + g.stop_ms;
        struct pollfd pf[2] = {{g.fd[0], POLLIN, 0}, {g.fd[1], POLLIN, 0}};
        double wait = wake > t ? wake - t : 0;
        struct timespec ts = {(time_t)(wait / 1e3), (long)(wait * 1e6) % 1000000000L};
        int n = ppoll(pf, 2, &ts, &unblocked);            /* signals arrive only in here */
        if (n < 0 && errno != EINTR)
            fail(1, "poll: %s", strerror(errno));
        for (int i = 0; i < 2 && n > 0; i++) {
            if (!(pf[i].revents & (POLLIN | POLLERR)))
                continue;
            unsigned char buf[MAX_PKT + SRTP_MAX_TRAILER_LEN + 4];
            struct sockaddr_storage from;
            socklen_t flen = sizeof from;
            ssize_t len = recvfrom(g.fd[i], buf, MAX_PKT, MSG_TRUNC, (struct sockaddr *)&from,
                                   &flen);
            if (len < 0) {
                if (errno == EINTR || errno == EAGAIN || errno == ECONNREFUSED)
                    continue;
                fail(1, "recvfrom: %s", strerror(errno));
            }
            if (len > MAX_PKT)
                bad(i ? &g.rtcp_err : &g.rtp_err, i ? "RTCP" : "RTP", "datagram too long");
            else if (i == 0)
                on_rtp(buf, (int)len, &from, now_ms());
            else
                on_rtcp(buf, (int)len);
        }
    }
    if (g.send_on && g.want_bye)
        send_bye();
    if (g.payload && fclose(g.payload))
        fail(1, "%s: %s", payload, strerror(errno));
    write_json(out);
    close(g.fd[0]), close(g.fd[1]);
    free(g.recs);
    if (g.rx)
        srtp_dealloc(g.rx);
    if (g.tx)
        srtp_dealloc(g.tx);
    if (key || send_key)
        srtp_shutdown();
    return 0;
}
