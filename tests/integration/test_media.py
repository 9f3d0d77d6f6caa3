"""Queued-call media (omniq_media): a caller who waits hears early media - 183 Session
Progress with omniq_media's SDP answer, then a greeting, its place and expected wait, and
music - over RTP or SDES-SRTP, checked by rtpfar (tests/tools/rtpfar, built on libsrtp
alone, none of omniq_media's code): every packet authenticated and decoded, the audio
compared code for code with the prompts, sequence numbers and timestamps continuous, RTCP
sender reports and a BYE when the stream ends."""
import base64
import os
import re
import socket
import struct
import subprocess
import time
import wave

import baresip
from harness import TOP, test, wait_for
import ports
from rtpfar import RtpFar, free_udp_pair
from sipraw import Caller, offer, answer

P = "oq:{default}"
FRAME = 160

# every prompt a language may ask for (media_say.h): a tone of its own each, short
PROMPTS = (["greeting", "music", "pos_pre", "pos_post", "wait_pre", "wait_minute",
            "wait_minutes", "wait_short", "wait_over", "callback_offer", "callback_ok",
            "closed", "sla3"] + ["digit_%d" % i for i in range(10)]
           + ["ten", "hundred", "thousand", "ten_thousand", "two_alt"]
           + ["eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
              "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
              "eighty", "ninety", "and", "survey_ask", "survey_thanks", "survey_nps"])


def make_prompts(d):
    """A WAV (8 kHz mono 16-bit) per prompt: a tone of its own, 0.1-0.3 s (the greeting
    0.5 s, the music 0.7 s), lengths that are no multiple of 20 ms (the padding is checked
    too). Returns {name: samples}."""
    os.makedirs(d, exist_ok=True)
    out = {}
    for k, name in enumerate(PROMPTS):
        n = {"greeting": 4000, "music": 5600}.get(name, 800 + 97 * (k % 13))
        f = 300.0 + 37.0 * k
        import math
        s = [int(8000 * math.sin(2 * math.pi * f * i / 8000.0) * (0.5 + 0.5 * ((i // 400) % 2)))
             for i in range(n)]
        with wave.open(os.path.join(d, name + ".wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(struct.pack("<%dh" % n, *s))
        out[name] = s
    return out


def ulaw(s):
    """G.711 µ-law of a 16-bit sample, as ITU-T G.191's ulaw_compress computes it."""
    a = (~s if s < 0 else s) >> 2
    a = min(a + 33, 0x1FFF)
    seg, i = 1, a >> 6
    while i:
        seg, i = seg + 1, i >> 1
    code = ((8 - seg) << 4) | (0xF - ((a >> seg) & 0xF))
    return code | 0x80 if s >= 0 else code


def alaw(s):
    """G.711 A-law, as G.191's alaw_compress."""
    ix = (~s if s < 0 else s) >> 4
    if ix > 15:
        e = 1
        while ix > 16 + 15:
            ix, e = ix >> 1, e + 1
        ix = ix - 16 + (e << 4)
    if s >= 0:
        ix |= 0x80
    return ix ^ 0x55


def coded(samples, law):
    """A prompt as the stream must carry it: encoded, padded with silence to whole frames."""
    enc = ulaw if law == "PCMU" else alaw
    codes = bytes(enc(x) for x in samples)
    pad = (-len(codes)) % FRAME
    return codes + bytes([enc(0)]) * pad


def media_port_range(n=20):
    """An even port range of n ports nobody uses now, for a test's kamailio of its own."""
    return ports.free_udp_range(n)


def media_kam(ctx, rs, **more):
    ctx.prompts = make_prompts(os.path.join(ctx.dir, "prompts"))
    lo, hi = media_port_range()
    ctx.media_ports = (lo, hi)
    d = {"OMNIQ_MEDIA_PROMPTS": '"%s"' % os.path.join(ctx.dir, "prompts"),
         "OMNIQ_MEDIA_PORT_MIN": str(lo), "OMNIQ_MEDIA_PORT_MAX": str(hi)}
    d.update({k: str(v) for k, v in more.items()})
    return ctx.kamailio("omniq.cfg", rs.port, defines=d)


def sockets_in(lo, hi):
    """UDP sockets bound in [lo, hi] on this machine now (ss), whoever holds them."""
    out = subprocess.run(["ss", "-Huan"], capture_output=True, text=True).stdout
    ports = []
    for line in out.splitlines():
        m = re.search(r":(\d+)\s", line.split()[3] + " ")
        if m and lo <= int(m.group(1)) <= hi:
            ports.append(int(m.group(1)))
    return ports


def ports_in_use(k):
    return int(k.rpc_struct("omniq_media.ports")["in_use"])


def phone_pair():
    """The caller phone's RTP and RTCP sockets, bound before it offers them (as a phone's
    are): rtpfar takes them over (--fds), nothing sent meanwhile is lost. A pair taken by
    someone else between the look and the bind (other tests, a media port range) is given
    up for another."""
    for attempt in range(20):
        rtp, _ = free_udp_pair()
        socks = []
        try:
            for p in (rtp, rtp + 1):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return rtp, socks
        except OSError:
            for s in socks:
                s.close()
    raise AssertionError("no free pair of UDP ports for the caller's RTP in 20 tries")


def queued_call(ctx, k, offer_kw=None, send=False, user="+8613800138000", **far):
    """A caller queued with an offer (offer()'s keywords) of its own bound pair, the 183 read,
    and rtpfar taking the caller's sockets with far's keywords: it hears with the answer's
    SRTP key unless given one, and sends to omniq_media's port when send. (caller, answer of
    the 183, rtpfar)."""
    rtp, socks = phone_pair()
    c = Caller(k.sip_port, user=user)
    c.invite(offer(rtp, **(offer_kw or {})))
    a = answer(c.wait_code(183).body)
    if a["crypto"] and "key" not in far:
        far.update(suite=a["crypto"][1], key=a["crypto"][2])
    if send:
        far["send_to"] = ("127.0.0.1", a["port"])
    f = RtpFar(workdir=ctx.dir).start("127.0.0.1", rtp, socks=socks, **far)
    ctx.servers.append(f)
    return c, a, f


def key():
    return base64.b64encode(os.urandom(30)).decode()


# what the first caller of an empty queue is told after the greeting: "您排在第一位，预计等待
# 不到一分钟" (no history: the wait is short), "press 1 for a callback"; then the music
FIRST = ["pos_pre", "digit_1", "pos_post", "wait_pre", "wait_short", "callback_offer", "music"]


def expected_start(ctx, law, words):
    """The codes the stream must begin with: the greeting, then words (prompt names)."""
    return b"".join(coded(ctx.prompts[w], law) for w in ["greeting"] + words)


def check_stream(rep, payload, start, what, tail=b""):
    """rep/payload (rtpfar's) are a clean stream beginning with the codes start (all of
    them, or as much as it lasted) and, when given, ending with tail (what was said last,
    cutting off the rest)."""
    rep = {k: v for k, v in rep.items() if k != "pkts"}     # the packets: too long to show
    assert rep["packets"] > 0, (what, rep)
    assert rep["auth_fail"] == 0 and rep["other_err"] == 0, (what, rep)
    assert len(rep["ssrcs"]) == 1, (what, rep)
    assert rep["seq_gaps"] == 0 and rep["seq_dups"] == 0, (what, rep)
    # the clock moves 160 a packet; when the media process was held up (a loaded machine)
    # it jumps forward with the marker bit set, as after silence - nothing else
    assert rep["ts_errors"] == 0, (what, rep)
    assert rep["markers"][:1] == [rep["first_seq"]], (what, rep)
    assert rep["ts_jumps"] == len(rep["markers"]) - 1, (what, rep)
    assert len(payload) == rep["packets"] * FRAME, (what, len(payload), rep["packets"])
    if tail:
        assert payload.endswith(tail), "%s: the stream does not end with its last words" % what
        payload = payload[:-len(tail)]
    n = min(len(start), len(payload))
    if payload[:n] != start[:n]:
        i = next(i for i in range(n) if payload[i] != start[i])
        raise AssertionError("%s: the audio differs from the prompts at byte %d (frame %d)"
                             % (what, i, i // FRAME))


@test
def test_media_a_queued_caller_hears_greeting_place_and_music_over_srtp(ctx):
    """No agent is free: the caller's SRTP offer (AES_CM_128_HMAC_SHA1_80) is answered by a
    183 with omniq_media's own key; the stream decodes to the greeting, "you are number 1",
    then the music, code for code; one SSRC, no sequence gap, timestamps 160 apart, the
    marker on the first packet, sender reports; our packets (with the offer's key) are
    authenticated and latched. The CANCEL ends it: RTCP BYE, both ports free again."""
    rs = ctx.redis()
    k = media_kam(ctx, rs)
    lo, hi = ctx.media_ports
    rtp, socks = phone_pair()
    ours = key()
    c = Caller(k.sip_port)
    c.invite(offer(rtp, savp=True, crypto=["1 AES_CM_128_HMAC_SHA1_80 inline:" + ours]))
    r183 = c.wait_code(183)
    a = answer(r183.body)
    assert r183.header("content-type") == "application/sdp", r183.headers
    assert a["proto"] == "RTP/SAVP" and a["pt"] == 0 and lo <= a["port"] <= hi, a
    assert a["crypto"][0] == 1 and a["crypto"][1] == "AES_CM_128_HMAC_SHA1_80", a
    assert a["crypto"][2] != ours, "the answer must carry a key of its own"
    far = RtpFar(workdir=ctx.dir).start("127.0.0.1", rtp, suite=a["crypto"][1], key=a["crypto"][2],
                                         send_to=("127.0.0.1", a["port"]),
                                         send_suite="AES_CM_128_HMAC_SHA1_80", send_key=ours,
                                         duration_ms=5000, until_bye=True, socks=socks)
    ctx.servers.append(far)
    time.sleep(4.5)
    st = k.rpc("omniq_media.streams")[1]
    assert "latched: 1" in st and "auth_failures: 0" in st, st
    assert ports_in_use(k) == 1
    assert sorted(sockets_in(lo, hi)) == [a["port"], a["port"] + 1]
    c.cancel()
    c.wait_code(487)
    rep, payload = far.wait()
    check_stream(rep, payload, expected_start(ctx, "PCMU", FIRST),
                 "SRTP PCMU")
    assert rep["packets"] >= 150, rep      # 4.5 s at 50 packets a second, less start-up
    assert rep["rtcp"]["sr"] >= 1 and rep["rtcp"]["bye"], rep
    assert rep["rtcp"]["last_sr"]["packets"] <= rep["packets"], rep
    wait_for(lambda: ports_in_use(k) == 0, timeout=3, what="the ports freed")
    assert sockets_in(lo, hi) == []
    assert k.stat("omniq_media:started") == 1 and k.stat("omniq_sip:early_media") == 1


def session_states(r):
    """Every session's state, in creation order (test_sip.sessions' sessions)."""
    from test_sip import sessions
    return [s["state"] for s in sessions(r)]


@test
def test_media_plain_rtp_in_pcma_when_that_is_what_the_caller_offers(ctx):
    """An offer of plain RTP/AVP with PCMA only: answered in PCMA without a=crypto; the
    A-law stream decodes to the prompts; the caller's source address is latched."""
    rs = ctx.redis()
    k = media_kam(ctx, rs)
    c, a, far = queued_call(ctx, k, {"pt": (8, 101)}, send=True, send_pt=8, duration_ms=3000,
                            until_bye=True)
    assert a["proto"] == "RTP/AVP" and a["pt"] == 8 and a["crypto"] is None, a
    time.sleep(2)
    c.cancel()
    c.wait_code(487)
    rep, payload = far.wait()
    check_stream(rep, payload, expected_start(ctx, "PCMA", FIRST),
                 "RTP PCMA")
    assert rep["rtcp"]["bye"], rep["rtcp"]
    wait_for(lambda: ports_in_use(k) == 0, timeout=3, what="the ports freed")


@test
def test_media_the_agent_answers_and_the_announcements_stop(ctx):
    """The caller waits hearing the queue; an agent becomes available, her phone rings and
    answers: the caller gets the agent's 200 (the agent's own SDP), omniq_media's stream ends
    with an RTCP BYE and its ports are free; the call then ends as any other."""
    from sipcall import Phone
    from test_sip import agent
    rs = ctx.redis()
    k = media_kam(ctx, rs)
    r = rs.client()
    agent(k, "olga", skills="sales:5", state="away")
    phone = Phone(ctx, k, "olga", "agent_answer.xml")
    c, a, far = queued_call(ctx, k, {"savp": True, "crypto": [
        "1 AES_CM_128_HMAC_SHA1_32 inline:" + key()]}, duration_ms=8000, until_bye=True)
    assert a["crypto"][1] == "AES_CM_128_HMAC_SHA1_32", a
    time.sleep(1.5)
    assert ports_in_use(k) == 1
    assert k.rpc("omniq.agent_state", "olga", "available")[0] == 0
    ok = c.wait_code(200, timeout=15)
    assert "o=agent" in ok.body, ok.body          # the agent's answer, not omniq_media's
    c.ack(ok)
    rep, payload = far.wait()
    check_stream(rep, payload, expected_start(ctx, "PCMU", FIRST),
                 "SRTP PCMU _32")
    assert rep["rtcp"]["bye"], rep["rtcp"]
    wait_for(lambda: ports_in_use(k) == 0, timeout=3, what="the ports freed")
    assert session_states(r) == ["active"], session_states(r)
    c.bye(ok)
    c.wait_code(200, method="BYE")
    phone.wait(15)


@test
def test_media_offers_it_cannot_play_are_refused_with_a_warning_and_nothing_is_stored(ctx):
    """A malformed SDP gets 400, an offer of nothing omniq_media can play 488 (SRTP of an
    unknown suite only, a key of the wrong length, DTLS-SRTP, GSM only); each with a Warning that
    says why (RFC 3261 399), before any session is written or any port bound."""
    rs = ctx.redis()
    k = media_kam(ctx, rs)
    r = rs.client()
    rtp, _ = free_udp_pair()
    cases = [
        ("v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio notaport RTP/AVP 0\r\n", 400),
        (offer(rtp, savp=True, crypto=["1 F8_128_HMAC_SHA1_80 inline:" + key()]), 488),
        (offer(rtp, savp=True, crypto=["1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ="]), 488),
        (offer(rtp).replace("RTP/AVP", "UDP/TLS/RTP/SAVPF"), 488),
        (offer(rtp, pt=(3,)), 488),             # GSM only
    ]
    for sdp, code in cases:
        c = Caller(k.sip_port)
        c.invite(sdp)
        fin = c.wait_final()
        assert fin.code == code, (fin, sdp)
        w = fin.header("warning")
        assert w and re.match(r'399 \S+ "[^"]{8,}"$', w), (fin.headers, sdp)
        c.ack(fin)
        c.close()
    assert r.get(P + ":seq:s") is None, "a refused call wrote a session"
    assert ports_in_use(k) == 0 and k.stat("omniq_media:refused") == len(cases)


@test
def test_media_a_silent_caller_is_ended_and_its_ports_freed(ctx):
    """A caller whose phone stops sending (gone without a BYE or CANCEL: a dead phone, a lost
    network) is ended after idle_timeout: 408 to its INVITE, its session abandoned, the
    ports free. While it sends, it is kept."""
    rs = ctx.redis()
    k = media_kam(ctx, rs, OMNIQ_MEDIA_IDLE=2)
    r = rs.client()
    c, a, far = queued_call(ctx, k, send=True, stop_send_after_ms=3000, duration_ms=9000,
                            until_bye=True)
    t0 = time.time()
    fin = c.wait_final(timeout=12)
    took = time.time() - t0
    assert fin.code == 408, fin
    assert 4.5 <= took <= 8, took        # 3 s of packets, then 2 s of silence (+ a tick)
    c.ack(fin)
    rep, _ = far.wait()
    assert rep["rtcp"]["bye"], rep["rtcp"]
    wait_for(lambda: session_states(r) == ["abandoned"], timeout=5,
             what="the session abandoned: %s" % session_states(r))
    assert ports_in_use(k) == 0
    assert k.stat("omniq_media:idle_ended") == 1 and k.stat("omniq_sip:media_lost") == 1


@test
def test_media_a_wrong_key_is_counted_and_nothing_is_heard(ctx):
    """Packets under a key that is not the offer's fail authentication in omniq_media
    (counted in the stream and the statistics, the address never latched, nothing crashes);
    a far end with a wrong key cannot read omniq_media's stream either."""
    rs = ctx.redis()
    k = media_kam(ctx, rs)
    def gcm_key():
        return base64.b64encode(os.urandom(28)).decode()
    c, a, far = queued_call(ctx, k, {"savp": True, "crypto": ["7 AEAD_AES_128_GCM inline:"
                                                               + gcm_key()]},
                            send=True, suite="AEAD_AES_128_GCM", key=gcm_key(),
                            send_suite="AEAD_AES_128_GCM", send_key=gcm_key(), duration_ms=1500)
    assert a["crypto"][:2] == (7, "AEAD_AES_128_GCM"), a
    rep, _ = far.wait()
    assert rep["packets"] == 0 and rep["auth_fail"] >= 50, {x: rep[x] for x in rep if x != "pkts"}
    st = k.rpc_struct("omniq_media.streams")
    assert st["latched"] == "0" and int(st["auth_failures"]) >= 50, st
    assert k.stat("omniq_media:srtp_auth_failures") >= 50
    c.cancel()
    c.wait_code(487)
    wait_for(lambda: ports_in_use(k) == 0, timeout=3, what="the ports freed")


@test
def test_media_settings_it_cannot_work_with_stop_kamailio_with_the_reason(ctx):
    """A prompts directory without a required prompt, a file it cannot play, an odd first
    port, an unknown language: kamailio does not start, and its log says what and why."""
    rs = ctx.redis()
    good = os.path.join(ctx.dir, "prompts")
    make_prompts(good)
    missing = os.path.join(ctx.dir, "missing")
    make_prompts(missing)
    os.unlink(os.path.join(missing, "pos_pre.wav"))
    stereo = os.path.join(ctx.dir, "stereo")
    make_prompts(stereo)
    with wave.open(os.path.join(stereo, "greeting.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(b"\0\0" * 2 * 441)
    lo, hi = media_port_range()
    cases = [({"OMNIQ_MEDIA_PROMPTS": '"%s"' % missing}, "pos_pre.wav"),
             ({"OMNIQ_MEDIA_PROMPTS": '"%s"' % stereo}, "44100 Hz stereo"),
             ({"OMNIQ_MEDIA_PROMPTS": '"%s"' % good, "OMNIQ_MEDIA_PORT_MIN": str(lo + 1)},
              "modparam port_min = %d must be even" % (lo + 1)),
             ({"OMNIQ_MEDIA_PROMPTS": '"%s"' % good, "OMNIQ_MEDIA_LANGUAGE": '"fr"'},
              "modparam language 'fr': zh or en")]
    for i, (d, says) in enumerate(cases):
        defines = {"OMNIQ_MEDIA_PORT_MIN": str(lo), "OMNIQ_MEDIA_PORT_MAX": str(hi)}
        defines.update(d)
        k = ctx.kamailio("omniq.cfg", rs.port, start=False, name="bad%d" % i, defines=defines)
        k.start(expect_ready=False)
        assert k.wait_exit(20) != 0, d
        assert says in k.text(), (says, k.tail())


@test
def test_media_a_caller_who_presses_1_is_called_back_and_keeps_the_place(ctx):
    """"Press 1 for a callback" ends each announcement; the caller presses 1 (RFC 4733
    telephone-event): the session becomes a callback to the caller's number in Redis, the
    caller hears the confirmation (the stream's last words, then its BYE), the INVITE ends
    with 480 Will Call You Back, and the session keeps its place - no abandon. Its turn comes
    as a callback on the desk (test_sip.py's callback test follows that part)."""
    rs = ctx.redis()
    k = media_kam(ctx, rs)
    r = rs.client()
    c, _, far = queued_call(ctx, k, send=True, dtmf="1@1500", dtmf_pt=101, duration_ms=8000,
                            until_bye=True)
    fin = c.wait_final(timeout=10)
    assert (fin.code, fin.reason) == (480, "Will Call You Back"), fin
    c.ack(fin)
    rep, payload = far.wait()
    assert rep["rtcp"]["bye"], rep["rtcp"]
    check_stream(rep, payload, expected_start(ctx, "PCMU", FIRST), "callback",
                 tail=coded(ctx.prompts["callback_ok"], "PCMU"))
    s = r.hgetall(P + ":s:1")
    assert s["state"] == "queued" and s["callback_to"] == s["identity"] != "", s
    assert k.stat("omniq_media:callbacks") == 1 and k.stat("omniq_media:dtmf") == 1
    assert k.stat("omniq:abandoned") == 0 and k.stat("omniq_sip:abandoned") == 0
    wait_for(lambda: ports_in_use(k) == 0, timeout=3, what="the ports freed")


@test
def test_media_a_caller_who_presses_1_by_sip_info_is_called_back(ctx):
    """A phone that sends its keys by SIP INFO (nothing in the audio) presses 1 while queued:
    the INFO comes in the early dialog of omniq's 183, whose Contact is the node;
    omniq_dtmf() answers it 200 and the key reaches the announcements as an RFC 4733 one
    would - the callback, its confirmation, 480. Before that, an INFO of another package
    gets 415 and a DTMF body without a key 400, and neither changes anything."""
    rs = ctx.redis()
    k = media_kam(ctx, rs)
    r = rs.client()
    c, _, far = queued_call(ctx, k, duration_ms=8000, until_bye=True)
    early = [x for x in c.responses if x.code == 183][0]
    assert re.match(r"<sip:127\.0\.0\.1:%d>" % k.sip_port, early.header("contact") or ""), \
        early.headers
    c.info(early, "<media_control/>", "application/media_control+xml", cseq=2)
    assert "application/dtmf-relay" in (c.wait_code(415, "INFO").header("accept") or "")
    c.info(early, "Duration=160\r\n", cseq=3)
    c.wait_code(400, "INFO")
    assert r.hget(P + ":s:1", "state") == "queued" and not r.hget(P + ":s:1", "callback_to")
    c.info(early, "Signal=1\r\nDuration=160\r\n", cseq=4)
    c.wait_code(200, "INFO")
    fin = c.wait_final(timeout=10)
    assert (fin.code, fin.reason) == (480, "Will Call You Back"), fin
    c.ack(fin)
    rep, payload = far.wait()
    check_stream(rep, payload, expected_start(ctx, "PCMU", []), "callback by INFO",
                 tail=coded(ctx.prompts["callback_ok"], "PCMU"))
    s = r.hgetall(P + ":s:1")
    assert s["state"] == "queued" and s["callback_to"] == s["identity"] != "", s
    assert k.stat("omniq_media:callbacks") == 1 and k.stat("omniq_media:dtmf") == 1
    assert k.stat("omniq_sip:info_keys") == 1
    assert "the caller pressed 1 (SIP INFO)" in k.text()
    wait_for(lambda: ports_in_use(k) == 0, timeout=3, what="the ports freed")


def surveyed_call(ctx, k, r, kind="csat"):
    """A caller (raw, its media rtpfar's) answered by alice, who hangs up after 1.5 s while
    the queue's survey asks calls by voice: omniq's INVITE without an offer comes to the
    caller instead of a BYE; the caller's 200 offers its media, omniq's ACK answers it.
    Returns (caller, the answer in the ACK, rtp port, its sockets, alice's phone, the call's
    200)."""
    from sipcall import Phone
    from test_sip import agent
    rc, out = k.rpc("omniq.survey_set", "*", "kind", kind, "voice", "1")
    assert rc == 0 and "error" not in out, out
    agent(k, "alice")
    alice = Phone(ctx, k, "alice", "agent_hangs_up.xml", keys=[("unused", "-")])
    rtp, socks = phone_pair()
    c = Caller(k.sip_port)
    c.invite(offer(rtp))
    fin = c.wait_final(timeout=15)
    assert fin.code == 200, fin
    c.ack(fin)
    inv = c.wait_request("INVITE", timeout=15)
    assert inv.body == "" and inv.header("call-id") == c.call_id, (inv, inv.body)
    assert (inv.header("contact") or "").startswith("<sip:127.0.0.1:"), inv.headers
    c.respond(inv, 200, "OK", offer(rtp))
    ack = c.wait_request("ACK", timeout=5)
    return c, answer(ack.body), rtp, socks, alice, fin


def surveyed_far(ctx, kind="csat", **far):
    """surveyed_call on a kamailio of its own, alice's BYE answered, then the caller's media
    (rtpfar, far: its keys and length) sent to the survey's stream until omniq's BYE.
    Returns (kamailio, redis client, caller, rtpfar, the call's 200)."""
    rs = ctx.redis()
    k = media_kam(ctx, rs)
    r = rs.client()
    c, a, rtp, socks, alice, fin = surveyed_call(ctx, k, r, kind)
    assert alice.wait(10) == 0, "alice's BYE was not answered"
    return k, r, c, RtpFar(workdir=ctx.dir).start(
        "127.0.0.1", rtp, socks=socks, send_to=("127.0.0.1", a["port"]), until_bye=True,
        **far), fin


@test
def test_media_a_call_is_surveyed_on_the_line_after_the_agent_hangs_up(ctx):
    """The queue's survey asks calls by voice: alice hangs up, her BYE is answered by omniq,
    the session closes as it would have, and the caller stays on the line: omniq takes her
    place (an INVITE without an offer; the caller's 200 offers, omniq's ACK answers) and
    asks the survey; the caller presses 4 (RFC 4733): CSAT 4 on the session, the thanks,
    then omniq's BYE. No SMS is sent for it."""
    k, r, c, far, _ = surveyed_far(ctx, dtmf="4@1000", dtmf_pt=101, duration_ms=10000)
    bye = c.wait_request("BYE", timeout=20)
    c.respond(bye, 200, "OK")
    rep, payload = far.wait()
    check_stream(rep, payload, coded(ctx.prompts["survey_ask"], "PCMU"), "survey",
                 tail=coded(ctx.prompts["survey_thanks"], "PCMU"))
    s = r.hgetall(P + ":s:1")
    assert (s["csat"], s["survey"], s["sv_ch"]) == ("4", "answered", "voice"), s
    wait_for(lambda: r.hget(P + ":s:1", "state") in ("wrapup", "closed"), timeout=5,
             what="the session closed as alice hung up")
    assert k.stat("omniq_media:surveys") == 1
    assert "agent alice hung up; the caller stays for the survey" in k.text()
    wait_for(lambda: "the survey is over (said): the caller is hung up" in k.text(), timeout=5,
             what="the log line of the survey's end (written after its BYE)")
    wait_for(lambda: ports_in_use(k) == 0, timeout=3, what="the ports freed")


@test
def test_media_a_caller_answers_the_survey_on_the_call_by_sip_info(ctx):
    """The same survey answered by a phone that sends its keys by SIP INFO, in the call's
    dialog (omniq in the agent's place): omniq_dtmf() takes it (200) and the key is CSAT 5."""
    k, r, c, far, fin = surveyed_far(ctx, duration_ms=10000)
    c.info(fin, "Signal=5\r\nDuration=160\r\n", cseq=3)
    c.wait_code(200, "INFO")
    bye = c.wait_request("BYE", timeout=20)
    c.respond(bye, 200, "OK")
    far.wait()
    s = r.hgetall(P + ":s:1")
    assert (s["csat"], s["survey"]) == ("5", "answered"), s
    assert k.stat("omniq_sip:info_keys") == 1 and k.stat("omniq_media:surveys") == 1


@test
def test_media_a_survey_of_both_kinds_asks_csat_then_nps_and_10_is_1_then_0(ctx):
    """The queue's survey asks both scores by voice: the caller hears the CSAT question and
    presses 4, then the NPS question ("0 to 10; for 10 press 1 then 0") and presses 1 and 0:
    CSAT 4 and NPS 10 on the session, one at a time (the CSAT kept while the NPS is asked),
    then the thanks and omniq's BYE."""
    k, r, c, far, _ = surveyed_far(ctx, "both", dtmf="4@1000,1@2500,0@3000", dtmf_pt=101,
                                   duration_ms=12000)
    bye = c.wait_request("BYE", timeout=20)
    c.respond(bye, 200, "OK")
    rep, payload = far.wait()
    check_stream(rep, payload, coded(ctx.prompts["survey_ask"], "PCMU"), "survey of both",
                 tail=coded(ctx.prompts["survey_thanks"], "PCMU"))
    assert coded(ctx.prompts["survey_nps"], "PCMU") in payload, "the NPS question was not asked"
    s = r.hgetall(P + ":s:1")
    assert (s["csat"], s["nps"], s["survey"], s["sv_kind"]) == ("4", "10", "answered", "both"), s
    assert k.stat("omniq_media:surveys") == 2
    assert "the caller's CSAT 4 by keypad is recorded" in k.text()
    assert "the caller's NPS 10 by keypad is recorded" in k.text()
    wait_for(lambda: ports_in_use(k) == 0, timeout=3, what="the ports freed")


@test
def test_media_an_nps_survey_takes_a_lone_1_by_sip_info_once_no_0_follows(ctx):
    """The queue's survey asks NPS only, by voice: the NPS question at once; the caller's
    phone sends 1 by SIP INFO and nothing after it: NPS 1 once 2.5 s have passed without a
    0, then the thanks. A key that is no score (#) before it changes nothing."""
    k, r, c, far, fin = surveyed_far(ctx, "nps", duration_ms=12000)
    c.info(fin, "Signal=#\r\nDuration=160\r\n", cseq=3)
    c.wait_code(200, "INFO")
    c.info(fin, "Signal=1\r\nDuration=160\r\n", cseq=4)
    c.wait_code(200, "INFO")
    time.sleep(1.5)
    assert "nps" not in r.hgetall(P + ":s:1"), "the 1 was taken before its 0 could come"
    bye = c.wait_request("BYE", timeout=20)
    c.respond(bye, 200, "OK")
    rep, payload = far.wait()
    check_stream(rep, payload, coded(ctx.prompts["survey_nps"], "PCMU"), "NPS survey",
                 tail=coded(ctx.prompts["survey_thanks"], "PCMU"))
    s = r.hgetall(P + ":s:1")
    assert (s["nps"], s["survey"], s["sv_kind"]) == ("1", "answered", "nps") and "csat" not in s, s
    assert k.stat("omniq_media:surveys") == 1 and k.stat("omniq_sip:info_keys") == 2


@test
def test_media_a_caller_who_hangs_up_during_the_survey_gets_200_and_nothing_is_recorded(ctx):
    """The caller leaves as the survey's question plays: their BYE is answered 200 by omniq
    (not relayed to alice's phone, which is gone), the stream stops, no score is written,
    and the dialog's record ends by itself."""
    rs = ctx.redis()
    k = media_kam(ctx, rs)
    r = rs.client()
    c, a, rtp, socks, alice, _ = surveyed_call(ctx, k, r)
    assert alice.wait(10) == 0
    for s_ in socks:
        s_.close()
    c.bye(c.responses[-1] if c.responses[-1].code == 200 else
          [x for x in c.responses if x.code == 200][0])
    c.wait_code(200, "BYE")
    wait_for(lambda: ports_in_use(k) == 0, timeout=3, what="the survey's stream stopped")
    s = r.hgetall(P + ":s:1")
    assert s["survey"] == "asked" and "csat" not in s, s
    assert "the caller hung up during the survey" in k.text()
    assert k.stat("omniq_media:surveys") == 0
    # both phones are done: the dialog's record ends by itself within seconds, quietly (no
    # BYE to either phone: the session's close hangs up nothing)
    wait_for(lambda: c.call_id not in k.rpc("dlg.list")[1], timeout=6,
             what="the dialog's record ended")
    assert "hung up, BYE on both legs" not in k.text()
    try:
        extra = c.wait_request("BYE", timeout=1.5)
    except AssertionError:
        extra = None
    assert extra is None, "a BYE to the caller after its own: %r" % extra


@test
def test_media_streams_of_two_media_processes_each_reach_their_own_caller(ctx):
    """omniq_media with two media processes (slot i is process i % 2): three callers queued
    at once each hear their own stream from the start, the second one's key (its stream in
    the other process than the first's) makes its callback alone, the others wait on; their
    hang-ups free every port."""
    rs = ctx.redis()
    k = media_kam(ctx, rs, OMNIQ_MEDIA_PROCESSES=2)
    r = rs.client()
    assert len(k.pids("omniq_media stream")) == 2, k.psx()
    calls = [queued_call(ctx, k, user="+861380013800%d" % i, send=(i == 1),
                         duration_ms=6000, until_bye=True,
                         **({"dtmf": "1@1500", "dtmf_pt": 101} if i == 1 else {}))
             for i in range(3)]
    ports = [a["port"] for _, a, _ in calls]
    assert len(set(ports)) == 3, ports
    fin = calls[1][0].wait_final(timeout=10)
    assert (fin.code, fin.reason) == (480, "Will Call You Back"), fin
    calls[1][0].ack(fin)
    time.sleep(1)
    for i in (0, 2):
        calls[i][0].cancel()
        calls[i][0].wait_code(487)
    for i, (c, a, far) in enumerate(calls):
        rep, payload = far.wait()
        # the greeting, then each its own place (the first: FIRST's words)
        check_stream(rep, payload, expected_start(ctx, "PCMU", FIRST if i == 0 else []),
                     "caller %d" % i, tail=coded(ctx.prompts["callback_ok"], "PCMU")
                     if i == 1 else b"")
    sids = {r.hget(P + ":s:%d" % n, "identity"): str(n) for n in (1, 2, 3)}
    assert r.hget(P + ":s:" + sids["phone:+8613800138001"], "callback_to"), sids
    assert k.stat("omniq_media:callbacks") == 1
    wait_for(lambda: ports_in_use(k) == 0, timeout=3, what="every port freed")


def read_prompts(d):
    out = {}
    for f in os.listdir(d):
        if f.endswith(".wav"):
            with wave.open(os.path.join(d, f)) as w:
                assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000), f
                out[f[:-4]] = list(struct.unpack("<%dh" % w.getnframes(),
                                                 w.readframes(w.getnframes())))
    return out


@test
def test_media_make_prompts_speaks_both_languages_and_a_caller_hears_them(ctx):
    """scripts/prompts.sh (make prompts, what make run loads) speaks every prompt of zh and
    en with espeak-ng; omniq_media takes either directory, and a caller queued with the zh
    one hears the greeting, "您排在第一位，预计等待不到一分钟", "如需回电，请按一", then the
    music, code for code; with the en one the greeting."""
    out = os.path.join(ctx.dir, "spoken")
    subprocess.run([os.path.join(TOP, "scripts", "prompts.sh"), out], check=True,
                   capture_output=True, timeout=120)
    for lang, seconds, words in (("zh", 19, FIRST), ("en", 3, [])):
        rs = ctx.redis()
        ctx.prompts = read_prompts(os.path.join(out, lang))
        lo, hi = media_port_range()
        k = ctx.kamailio("omniq.cfg", rs.port, name="kam_" + lang, defines={
            "OMNIQ_MEDIA_PROMPTS": '"%s"' % os.path.join(out, lang),
            "OMNIQ_MEDIA_LANGUAGE": '"%s"' % lang,
            "OMNIQ_MEDIA_PORT_MIN": str(lo), "OMNIQ_MEDIA_PORT_MAX": str(hi)})
        c, _, far = queued_call(ctx, k, duration_ms=seconds * 1000 + 3000, until_bye=True)
        time.sleep(seconds)
        c.cancel()
        c.wait_code(487)
        rep, payload = far.wait()
        start = expected_start(ctx, "PCMU", words)
        if words:
            # all of it heard, up to the music
            assert len(payload) >= len(start) - len(coded(ctx.prompts["music"], "PCMU")), \
                (lang, len(payload), len(start))
        check_stream(rep, payload, start, "spoken " + lang)


def tones_heard(samples, names):
    """Which of the test prompts (each a tone of its own, make_prompts) a recording holds, in
    order: each 60 ms window named by the strongest of their frequencies (Goertzel), runs of
    one name kept when they last 3 windows or more, silence left out."""
    import math
    freqs = {n: 300.0 + 37.0 * PROMPTS.index(n) for n in names}
    coef = {n: 2 * math.cos(2 * math.pi * f / 8000.0) for n, f in freqs.items()}
    win, step, labels = 480, 160, []
    for at in range(0, len(samples) - win, step):
        w = samples[at:at + win]
        if max(abs(x) for x in w) < 500:
            labels.append(None)
            continue
        best, power = None, 0.0
        for n, c in coef.items():
            s1 = s2 = 0.0
            for x in w:
                s1, s2 = x + c * s1 - s2, s1
            p = s1 * s1 + s2 * s2 - c * s1 * s2
            if p > power:
                best, power = n, p
        labels.append(best)
    runs = []
    for lab in labels:
        if runs and runs[-1][0] == lab:
            runs[-1][1] += 1
        else:
            runs.append([lab, 1])
    out = []
    for lab, n in runs:
        if lab is not None and n >= 3 and (not out or out[-1] != lab):
            out.append(lab)
    return out


def decoded(dumps):
    """What baresip heard: the samples of the one decoded WAV sndfile wrote in dumps, at
    8 kHz."""
    dec = [f for f in os.listdir(dumps) if f.endswith("-dec.wav")]
    assert len(dec) == 1, os.listdir(dumps)
    with wave.open(os.path.join(dumps, dec[0])) as w:
        assert w.getnchannels() == 1 and w.getframerate() in (8000, 16000), w.getparams()
        samples = struct.unpack("<%dh" % w.getnframes(), w.readframes(w.getnframes()))
        if w.getframerate() == 16000:
            samples = samples[::2]     # G.722's decoder runs at 16 kHz: the tones are far below 4 kHz
    return samples


def baresip_hears_the_queue(ctx, account_params, modules, suites):
    """Debian's baresip dials the queue (account_params: its SRTP and codec choice): what it
    hears (its decoded audio, written to a WAV file) is the greeting, its place and wait, the
    callback offer, then the music, tone by tone. It sends its own audio (its microphone, a
    sine) in early media all along, so it is not taken for gone (idle_timeout 2 s); its
    hang-up (CANCEL) ends the call and frees the ports. The stream's SRTP suite is one of suites (None: plain RTP)."""
    rs = ctx.redis()
    k = media_kam(ctx, rs, OMNIQ_MEDIA_IDLE=2)
    r = rs.client()
    cons = ports.free_port(socket.SOCK_DGRAM)
    bs = baresip.Caller(ctx, k, "sales", "13800000199", account_params, modules,
                        ["cons_listen 127.0.0.1:%d" % cons, "module cons.so"])
    dumps = bs.dumps
    wait_for(lambda: ports_in_use(k) == 1 and k.rpc_struct("omniq_media.streams")["state"]
             == "active", timeout=10, what="baresip's call queued, its stream playing")
    st = k.rpc_struct("omniq_media.streams")
    assert (None if st["srtp"] == "none" else st["srtp"]) in suites, st
    time.sleep(4)                                 # twice idle_timeout: still there
    assert ports_in_use(k) == 1 and r.hget(P + ":s:1", "state") == "queued"
    bs.hang_up()                                  # baresip hangs up (CANCEL) as it quits
    wait_for(lambda: r.hget(P + ":s:1", "state") == "abandoned", timeout=10,
             what="the session abandoned on the CANCEL")
    wait_for(lambda: ports_in_use(k) == 0, timeout=3, what="the ports freed")
    heard = tones_heard(decoded(dumps), ["greeting"] + FIRST)
    assert heard[:len(FIRST) + 1] == ["greeting"] + FIRST, heard
    return st


@test
def test_media_baresip_a_real_phone_hears_the_queue_over_srtp(ctx):
    """baresip offering SRTP only (mediaenc=srtp-mand) in PCMU: see baresip_hears_the_queue."""
    st = baresip_hears_the_queue(ctx, "mediaenc=srtp-mand;audio_codecs=PCMU",
                                 ["g711.so", "srtp.so"],
                                 ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"))
    assert st["codec"] == "PCMU", st


@test
def test_media_baresip_offering_g722_first_is_answered_in_g722(ctx):
    """baresip preferring G.722 (then PCMU) over plain RTP: answered in G.722 (the prompts
    encoded by spandsp at load), and baresip's G.722 decoder hears the queue tone by tone."""
    st = baresip_hears_the_queue(ctx, "audio_codecs=G722/16000/1,PCMU", ["g722.so", "g711.so"], (None,))
    assert st["codec"] == "G722", st

@test
def test_media_baresip_presses_1_while_queued_and_is_called_back(ctx):
    """Debian's baresip dials the queue over SRTP and, while it hears the queue, its user
    presses 1 (baresip's "/sndcode 1" by its UDP console: an RFC 4733 telephone-event in its
    early-media stream): the session becomes a callback to its number and keeps its place,
    baresip hears the confirmation and its call ends with 480 Will Call You Back."""
    rs = ctx.redis()
    k = media_kam(ctx, rs)
    r = rs.client()
    cons = ports.free_port(socket.SOCK_DGRAM)
    bs = baresip.Caller(ctx, k, "sales", "13800000198", "mediaenc=srtp-mand;audio_codecs=PCMU",
                        ["g711.so", "srtp.so"], ["cons_listen 127.0.0.1:%d" % cons, "module cons.so"])
    wait_for(lambda: ports_in_use(k) == 1 and k.rpc_struct("omniq_media.streams")["state"]
             == "active", timeout=10, what="baresip's call queued, its stream playing")
    time.sleep(2)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"/sndcode 1\n", ("127.0.0.1", cons))
    wait_for(lambda: r.hget(P + ":s:1", "callback_to"), timeout=10, what="the callback kept")
    wait_for(lambda: "480" in bs.text(), timeout=15, what="baresip's call ended with 480")
    s = r.hgetall(P + ":s:1")
    assert s["state"] == "queued" and s["callback_to"] == s["identity"] == "phone:+8613800000198", s
    assert k.stat("omniq_media:callbacks") == 1 and k.stat("omniq_media:dtmf") == 1
    assert k.stat("omniq:abandoned") == 0 and k.stat("omniq_sip:abandoned") == 0
    wait_for(lambda: ports_in_use(k) == 0, timeout=5, what="the ports freed")
    assert "send DTMF digit: '1'" in bs.text()
    bs.hang_up()                                  # its dump of what it heard is complete
    heard = tones_heard(decoded(bs.dumps), ["greeting", "callback_ok"] + FIRST)
    assert heard[:2] == ["greeting", "pos_pre"] and heard[-1] == "callback_ok", heard


def sipp_caller(ctx, k, name, parts, timeout=30):
    """A sipp caller running scenario parts (sipcall's pieces) to the sales queue: its exit
    code (0: every message as the scenario says) and its error file's end."""
    import sipp_ports
    from sipcall import _sipp_common, write_scenario
    sc = write_scenario(ctx.dir, name, parts)
    media = ports.free_port(socket.SOCK_DGRAM)
    argv = ["sipp", "127.0.0.1:%d" % k.sip_port, "-sf", sc, "-s", "sales", "-m", "1",
            "-i", "127.0.0.1", "-mi", "127.0.0.1", "-mp", str(media), "-timeout", str(timeout),
            "-timeout_error"] + _sipp_common(ctx.dir, name)
    rc, _ = sipp_ports.run(argv, ctx.dir, name, timeout + 30)
    err = os.path.join(ctx.dir, name + "_err.log")
    return rc, open(err, errors="replace").read()[-800:] if os.path.exists(err) else ""


def sipp_invite(media_line, attrs):
    from sipcall import invite
    return invite("13800000177", media=[media_line] + attrs)


@test
def test_media_sipp_offers_srtp_and_presses_1_in_rfc4733(ctx):
    """sipp as the caller, as an admin would test with it: an SRTP offer is answered by a 183
    with RTP/SAVP and omniq_media's own a=crypto line (checked by sipp's regular
    expressions); a caller offering plain RTP plays Debian's sipp pcap of an RFC 4733 "1"
    (dtmf_2833_1.pcap) into the stream and gets 480 Will Call You Back: a callback kept in
    its place."""
    from sipcall import ack_failure, cancel
    rs = ctx.redis()
    k = media_kam(ctx, rs)
    r = rs.client()
    check = ('  <recv response="183">\n    <action>\n'
             '      <ereg regexp="m=audio [0-9]+ RTP/SAVP 0" search_in="body" check_it="true" assign_to="m"/>\n'
             '      <ereg regexp="a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}" '
             'search_in="body" check_it="true" assign_to="c"/>\n'
             '    </action>\n  </recv>\n  <Reference variables="m,c"/>\n')
    rc, err = sipp_caller(ctx, k, "sipp_srtp", [
        sipp_invite("m=audio [media_port] RTP/SAVP 0", [
            "a=rtpmap:0 PCMU/8000",
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"]),
        '  <recv response="100" optional="true"/>\n', check,
        '  <pause milliseconds="1000"/>\n', cancel(), '  <recv response="200"/>\n',
        '  <recv response="487"/>\n', ack_failure()])
    assert rc == 0, err
    rc, err = sipp_caller(ctx, k, "sipp_dtmf", [
        sipp_invite("m=audio [media_port] RTP/AVP 0 101", [
            "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"]),
        '  <recv response="100" optional="true"/>\n', '  <recv response="183"/>\n',
        '  <nop>\n    <action>\n      <exec play_pcap_audio="/usr/share/sip-tester/'
        'dtmf_2833_1.pcap"/>\n    </action>\n  </nop>\n',
        '  <recv response="480"/>\n', ack_failure()])
    assert rc == 0, err
    s = r.hgetall(P + ":s:2")
    assert s["state"] == "queued" and s["callback_to"] == "phone:+8613800000177", s
    assert r.hget(P + ":s:1", "state") == "abandoned"
    assert k.stat("omniq_media:callbacks") == 1
    wait_for(lambda: ports_in_use(k) == 0, timeout=3, what="the ports freed")


@test
def test_media_a_call_outside_business_hours_hears_closed_then_480_with_retry_after(ctx):
    """A queue outside its hours: the caller hears closed.wav (183, one prompt, no greeting)
    and then gets the queue's answer, 480 Closed with its Retry-After, as without media;
    nothing is written. A caller who hangs up during the message gets 487 and frees the
    ports."""
    import datetime
    rs = ctx.redis()
    k = media_kam(ctx, rs)
    r = rs.client()
    today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()
    shut = "%s..%s closed" % (today.isoformat(), (today + datetime.timedelta(days=1)).isoformat())
    rc, out = k.rpc("omniq.hours_set", "sales", "Asia/Shanghai", "mon-sun 09:00-18:00", shut)
    assert rc == 0 and out.strip() == "ok", out
    c, a, far = queued_call(ctx, k, duration_ms=6000, until_bye=True)
    fin = c.wait_final(timeout=10)
    assert (fin.code, fin.reason) == (480, "Closed") and int(fin.header("retry-after")) > 0, \
        (fin, fin.headers)
    c.ack(fin)
    rep, payload = far.wait()
    check_stream(rep, payload, coded(ctx.prompts["closed"], "PCMU"), "closed")
    assert len(payload) == len(coded(ctx.prompts["closed"], "PCMU")), "closed.wav once, alone"
    assert rep["rtcp"]["bye"], rep["rtcp"]
    assert r.get(P + ":seq:s") is None, "a closed queue's call wrote a session"
    # hung up while it is said
    rtp, socks = phone_pair()
    c = Caller(k.sip_port)
    c.invite(offer(rtp))
    c.wait_code(183)
    c.cancel()
    c.wait_code(487)
    wait_for(lambda: ports_in_use(k) == 0, timeout=3, what="the ports freed")
    assert k.stat("omniq_sip:closed") == 2


@test
def test_media_plain_rtp_from_a_stranger_cannot_steer_the_stream_or_press_keys(ctx):
    """An attacker who finds the media port (a raw socket on another address, 127.0.0.2)
    sends plain RTP with an RFC 4733 "1" first: omniq_media drops it (counted as strangers),
    does not latch to it, takes no key from it; the caller's stream still goes to the
    caller, who receives it whole."""
    rs = ctx.redis()
    k = media_kam(ctx, rs)
    rtp, socks = phone_pair()
    c = Caller(k.sip_port)
    c.invite(offer(rtp))
    a = answer(c.wait_code(183).body)
    evil_port, _ = free_udp_pair("127.0.0.2")
    evil = RtpFar(workdir=ctx.dir).start("127.0.0.2", evil_port, send_to=("127.0.0.1", a["port"]),
                                          dtmf="1@100", duration_ms=1500)
    ctx.servers.append(evil)
    erep, _ = evil.wait()
    assert erep["sent"] > 20 and erep["packets"] == 0, {x: erep[x] for x in erep if x != "pkts"}
    far = RtpFar(workdir=ctx.dir).start("127.0.0.1", rtp, send_to=("127.0.0.1", a["port"]),
                                         duration_ms=1500, socks=socks)
    ctx.servers.append(far)
    rep, payload = far.wait()
    st = k.rpc_struct("omniq_media.streams")
    assert int(st["strangers"]) >= erep["sent"] and st["dtmf"] == "0", st
    assert st["latched"] == "1" and int(st["received"]) > 20, st
    assert k.stat("omniq_media:callbacks") == 0 and k.stat("omniq_media:rtp_strangers") > 20
    check_stream(rep, payload, expected_start(ctx, "PCMU", FIRST), "the caller's")
    assert rep["packets"] >= 70, rep["packets"]     # 3 s from the start: nothing went astray
    c.cancel()
    c.wait_code(487)


@test
def test_media_a_caller_past_the_level_3_alert_hears_the_apology_once(ctx):
    """The queue's service level (omniq.sla_set: first response in 2 s, alerts at 25/50/75 %)
    slips for a waiting caller: once its level-3 alert fires, the caller hears sla3.wav (the
    control process reads the alert level with the session's figures), once, and the queue's
    music goes on."""
    rs = ctx.redis()
    k = media_kam(ctx, rs, OMNIQ_MEDIA_INTERVAL=2)
    rc, out = k.rpc("omniq.sla_set", "calls", "queue", "sales", "first", "2", "levels",
                    "25,50,75")
    assert rc == 0 and not out.startswith("error"), out
    c, _, far = queued_call(ctx, k, duration_ms=9000, until_bye=True)
    r = rs.client()
    wait_for(lambda: (r.hget(P + ":s:1", "sla_f") or "0") == "3", timeout=10,
             what="the level-3 alert of the call's first response")
    time.sleep(3)
    c.cancel()
    c.wait_code(487)
    rep, payload = far.wait()
    sorry = coded(ctx.prompts["sla3"], "PCMU")
    at = payload.find(sorry)
    assert at >= 0 and at % FRAME == 0, "sla3.wav was not said whole"
    assert payload.find(sorry, at + 1) < 0, "sla3.wav said twice"
    music = coded(ctx.prompts["music"], "PCMU")
    assert payload[at + len(sorry):at + len(sorry) + FRAME] in \
        [music[i:i + FRAME] for i in range(0, len(music), FRAME)], "no music after the apology"


@test
def test_media_callers_keep_hearing_the_queue_while_redis_is_down(ctx):
    """Redis stops while a caller waits: the stream goes on without a gap (the media process
    never waits on Redis; the control process gives up a round of positions at the first
    failure and says so), the caller's hang-up is answered 487 and frees the ports; the
    session leaves the queue once Redis is back."""
    rs = ctx.redis()
    ctx.expect_redis_down(rs)
    ctx.expect_log(r"omniq_media \[media_ctl\.c:\d+\]: refresh\(\): positions not read \(Redis: "
                   r".*\): the last ones are said until it is back", optional=True)
    ctx.expect_log(r"omniq_sip \[call\.c:\d+\]: abandon_session\(\): call 1 cancelled by the "
                   r"caller; abandon failed, tried again when its transaction ends: .*",
                   optional=True)
    k = media_kam(ctx, rs, OMNIQ_MEDIA_INTERVAL=2)
    c, _, far = queued_call(ctx, k, duration_ms=9000, until_bye=True)
    time.sleep(1)
    rs.stop()
    time.sleep(4)                           # two refresh rounds of the control process
    c.cancel()
    c.wait_code(487)
    rep, payload = far.wait()
    check_stream(rep, payload, expected_start(ctx, "PCMU", FIRST), "through the outage")
    assert rep["packets"] >= 200, rep["packets"]      # 5 s at 50 a second, no gap
    wait_for(lambda: ports_in_use(k) == 0, timeout=3, what="the ports freed")
    rs.start()
    r = rs.client()
    wait_for(lambda: r.hget(P + ":s:1", "state") == "abandoned", timeout=15,
             what="the session abandoned once Redis is back")
