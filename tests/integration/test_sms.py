"""The SMS channel (modules/omniq_sms) with real peers: SIP MESSAGEs from sipp and raw
sockets into the shipped cfg/omniq.cfg, a sipp gateway taking the replies, Kannel from
Debian with its fakesmsc as the phone network (kannel.py), and the Twilio stand-in
(twilio_standin.py) for the Twilio-style provider."""
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import uuid

import sipp_ports
from harness import alone, HERE, TOP, free_port, settled_keys, sipp, test, wait_for
from test_wechat import agent, ok_rpc, transcript

P = "oq:{default}"
CARRIER = "name=carrier;type=sip;uri=sip:127.0.0.1:%d;from=+8610086"


def sms_kam(ctx, gw_port=None, defines=None, redis=None, cfg="omniq.cfg"):
    """kamailio with the shipped cfg/omniq.cfg (or a cfg that includes it) and its SIP
    gateway at gw_port."""
    rs = redis or ctx.redis()
    d = {"OMNIQ_SMS_GATEWAY": '"%s"' % (CARRIER % (gw_port or free_port(socket.SOCK_DGRAM)))}
    d.update(defines or {})
    k = ctx.kamailio(cfg, rs.port, defines=d)
    return rs, k


def message(k, sender, body, ctype="text/plain;charset=UTF-8", callid=None, extra="",
            from_hdr=None):
    """One SIP MESSAGE over UDP as a gateway sends it: (status, reason, headers)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", 0))
        s.settimeout(10)
        tag = uuid.uuid4().hex[:12]
        body = body.encode() if isinstance(body, str) else body
        frm = from_hdr if from_hdr is not None else "<sip:%s@carrier.example>;tag=%s" % (sender, tag)
        head = ("MESSAGE sip:10086@127.0.0.1:%d SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
                "From: %s\r\nTo: <sip:10086@127.0.0.1>\r\n"
                "Call-ID: %s\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\n%s%s"
                "Content-Length: %d\r\n\r\n") % (
            k.sip_port, s.getsockname()[1], uuid.uuid4().hex[:10], frm, callid or tag + "@gw",
            ("Content-Type: %s\r\n" % ctype) if ctype else "", extra, len(body))
        s.sendto(head.encode() + body, ("127.0.0.1", k.sip_port))
        lines = s.recv(65535).decode("utf-8", "replace").split("\r\n")
    finally:
        s.close()
    code, reason = lines[0].split(" ", 2)[1:]
    return int(code), reason, dict(l.split(": ", 1) for l in lines[1:] if ": " in l)


def sms_sessions(r):
    n = int(r.get(P + ":seq:s") or 0)
    return [str(i) for i in range(1, n + 1) if r.hget("%s:s:%d" % (P, i), "channel") == "sms"]


@test
def test_sms_sip_message_joins_the_customers_session_and_is_the_caller_too(ctx):
    """sipp as the SMS gateway: three texts from one number (Chinese, emoji) are one session
    of one customer, the same customer as that number's phone call; each answered 200 only
    once it is stored."""
    rs, k = sms_kam(ctx)
    r = rs.client()
    inf = os.path.join(ctx.dir, "in.csv")
    texts = ["你好，我的订单还没到", "order 12345 😀", "谢谢!"]
    with open(inf, "w", encoding="utf-8") as f:
        f.write("SEQUENTIAL\n")
        for t in texts:
            f.write("+8613800138000;%s\n" % t)
    assert sipp("sms_message.xml", k.sip_port, ctx.dir, calls=3, rate=5, inf=inf) == 0
    sids = sms_sessions(r)
    assert len(sids) == 1, sids
    assert transcript(r, P, sids[0]) == [("in", t) for t in texts], transcript(r, P, sids[0])
    s = r.hgetall("%s:s:%s" % (P, sids[0]))
    assert s["identity"] == "sms:+8613800138000" and s["ext"] == "carrier:+8613800138000", s
    call = k.rpc_struct("omniq.enqueue", "phone", "phone:+86 138-0013-8000", "", 0)
    assert call["customer"] == s["customer"], (call, s)


@test
def test_sms_sip_bad_requests_get_clear_answers_and_store_nothing(ctx):
    rs, k = sms_kam(ctx)
    r = rs.client()
    before = settled_keys(r)
    code, reason, h = message(k, "+8613800000001", "<b>hi</b>", ctype="text/html")
    assert code == 415 and h.get("Accept") == "text/plain, message/cpim", (code, reason, h)
    code, reason, h = message(k, "+8613800000001", "hi", ctype=None)
    assert code == 415, (code, reason)
    code, reason, _ = message(k, "+8613800000001", "")
    assert (code, reason) == (400, "Bad Request - Empty Message")
    code, reason, _ = message(k, "+8613800000001", "hi", ctype="text/plain;charset=x-klingon")
    assert code == 415 and "Charset" in reason, (code, reason)
    code, reason, _ = message(k, "", "hi", from_hdr="<sip:carrier.example>;tag=1")
    assert (code, reason) == (400, "Bad Request - No Sender")
    code, reason, _ = message(k, "+86138+0000", "hi")
    assert (code, reason) == (400, "Bad Request - No Sender")
    code, reason, _ = message(k, "+8613800000001", "From: <sip:x@y>\r\nnot cpim",
                              ctype="message/cpim")
    assert code == 400 and "CPIM" in reason, (code, reason)
    code, reason, _ = message(k, "+8613800000001",
                              "From: <sip:+8613800000002@c>\r\n\r\nContent-Type: text/html\r\n\r\n<b>x</b>",
                              ctype="message/cpim")
    assert code == 415, (code, reason)
    after = sorted(r.keys("*"))
    assert after == before, ("written:", sorted(set(after) - set(before)),
                             "gone:", sorted(set(before) - set(after)))


@test
def test_sms_sip_charsets_cpim_and_a_retransmission_stored_once(ctx):
    rs, k = sms_kam(ctx)
    r = rs.client()
    # GBK from an older gateway; the same MESSAGE again (its 200 was lost): one message
    code, _, h = message(k, "+8613800000005", "你好".encode("gbk"), ctype="text/plain; charset=GBK",
                         callid="gbk-1@gw")
    assert code == 200 and h.get("X-Omniq-Session"), (code, h)
    sid = h["X-Omniq-Session"]
    assert message(k, "+8613800000005", "你好".encode("gbk"), ctype="text/plain; charset=GBK",
                   callid="gbk-1@gw")[0] == 200
    # CPIM: the sender is the CPIM From (the SIP From is the gateway's own)
    cpim = ("From: <sip:+8613800000005@carrier>\r\nTo: <sip:10086@omniq>\r\n"
            "DateTime: 2026-12-06T08:00:00+08:00\r\n\r\n"
            "Content-Type: text/plain;charset=UTF-8\r\n\r\n再见")
    code, _, h = message(k, "gateway", cpim, ctype="message/cpim")
    assert code == 200 and h.get("X-Omniq-Session") == sid, (code, h)
    # a byte that means nothing in UTF-8 becomes U+FFFD; the rest is kept
    assert message(k, "+8613800000005", b"caf\xe9 ok")[0] == 200
    assert transcript(r, P, sid) == [("in", "你好"), ("in", "再见"), ("in", "caf\ufffd ok")]
    assert k.stat("omniq_sms:received_duplicate") == 1


@test
@alone
def test_sms_sip_flood_from_one_number_is_limited_and_others_get_in(ctx):
    """modparam flood_limit (20 in 10 s by default): the 21st MESSAGE of one number gets 503
    with Retry-After and is not stored; another number's goes in."""
    rs, k = sms_kam(ctx)
    r = rs.client()
    codes = [message(k, "+8613900000001", "m%d" % i)[0] for i in range(24)]
    assert codes == [200] * 20 + [503] * 4, codes
    code, reason, h = message(k, "+8613900000001", "again")
    assert code == 503 and 1 <= int(h["Retry-After"]) <= 10, (code, reason, h)
    # the same number written another way is the same number
    assert message(k, "008613900000001", "again")[0] == 503
    assert message(k, "+8613900000002", "another number")[0] == 200
    sid = [s for s in sms_sessions(r) if r.hget("%s:s:%s" % (P, s), "identity") == "sms:+8613900000001"]
    assert len(transcript(r, P, sid[0])) == 20
    assert k.stat("omniq_sms:rate_limited") == 6


@test
def test_sms_sip_redis_down_answers_503_and_the_gateways_retry_is_stored(ctx):
    rs, k = sms_kam(ctx)
    ctx.expect_redis_down(rs)
    rs.stop()
    code, reason, h = message(k, "+8613800000009", "are you there?", callid="down-1@gw")
    assert code == 503 and h.get("Retry-After"), (code, reason, h)
    rs.start()
    wait_for(lambda: message(k, "+8613800000009", "are you there?", callid="down-1@gw")[0] == 200,
             timeout=15, what="the retry stored")
    r = rs.client()
    sids = sms_sessions(r)
    assert len(sids) == 1 and transcript(r, P, sids[0]) == [("in", "are you there?")]


class SippGateway:
    """sipp as the SMS gateway that takes omniq_sms's MESSAGEs (sipp/sms_gateway.xml): each
    answered 202; what came is in its -trace_msg file."""

    def __init__(self, workdir, calls=10):
        self.msgs = os.path.join(workdir, "gateway-msgs.log")
        self.proc, self.port = sipp_ports.start(
            ["sipp", "-sf", os.path.join(HERE, "sipp", "sms_gateway.xml"), "-i", "127.0.0.1",
             "-m", str(calls), "-nostdin", "-trace_msg", "-message_file", self.msgs],
            workdir, "gateway")

    def received(self):
        """The MESSAGEs that came: [(request line, headers dict, body)]."""
        if not os.path.exists(self.msgs):
            return []
        got = []
        text = open(self.msgs, encoding="utf-8", errors="replace").read()
        for m in re.finditer(r"UDP message received \[\d+\] bytes :\n\n(MESSAGE .*?)(?=\n-{5,}|\Z)",
                             text, re.S):
            raw = m.group(1)
            head, _, body = raw.replace("\r\n", "\n").partition("\n\n")
            lines = head.split("\n")
            hdrs = dict(l.split(": ", 1) for l in lines[1:] if ": " in l)
            n = int(hdrs.get("Content-Length", "0"))
            got.append((lines[0], hdrs, body.encode()[:n].decode()))
        return got

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def offered_to(r, sid, aid):
    return r.hget("%s:s:%s" % (P, sid), "agent") == aid


@test
def test_sms_agents_reply_leaves_as_a_sip_message_to_the_gateway_and_shows_sent(ctx):
    gw = SippGateway(ctx.dir)
    ctx.servers.append(gw)
    rs, k = sms_kam(ctx, gw_port=gw.port)
    r = rs.client()
    agent(k, "alice", "sales:5")
    code, _, h = message(k, "+8613800138000", "我的快递到哪了?")
    assert code == 200
    sid = h["X-Omniq-Session"]
    wait_for(lambda: offered_to(r, sid, "alice"), what="the offer")
    ok_rpc(k, "omniq.accept", sid, "alice")
    ok_rpc(k, "omniq.reply", sid, "alice", "您好，您的快递明天到。Thanks!")
    wait_for(lambda: gw.received(), timeout=10, what="the MESSAGE at the gateway")
    line, hdrs, body = gw.received()[0]
    assert line.startswith("MESSAGE sip:+8613800138000@127.0.0.1:%d" % gw.port), line
    assert "<sip:+8610086@" in hdrs["From"] and hdrs["Content-Type"].startswith("text/plain"), hdrs
    assert body == "您好，您的快递明天到。Thanks!", body
    from test_outbound import states
    wait_for(lambda: list(states(rs, sid).values()) == ["sent"], what="sent")
    assert k.stat("omniq_sms:sent") == 1


@test
def test_sms_stop_opts_the_customer_out_until_start(ctx):
    """STOP (or 退订) from a number: the agent's replies to it are not sent, and fail with
    the reason; START lets them through again."""
    gw = SippGateway(ctx.dir)
    ctx.servers.append(gw)
    rs, k = sms_kam(ctx, gw_port=gw.port)
    r = rs.client()
    from test_outbound import states
    agent(k, "alice", "sales:5")
    sid = message(k, "+8613800000077", "退订")[2]["X-Omniq-Session"]
    wait_for(lambda: offered_to(r, sid, "alice"), what="the offer")
    ok_rpc(k, "omniq.accept", sid, "alice")
    ok_rpc(k, "omniq.reply", sid, "alice", "Sorry to see you go")
    wait_for(lambda: list(states(rs, sid).values()) == ["failed"], timeout=10, what="failed")
    flat = r.fcall("oq_deliveries", 1, P, sid)
    assert "opted out of SMS" in flat[3], flat
    assert message(k, "+8613800000077", " start ")[0] == 200
    ok_rpc(k, "omniq.reply", sid, "alice", "Welcome back")
    wait_for(lambda: list(states(rs, sid).values()) == ["failed", "sent"], timeout=10, what="sent")
    assert [b for _, _, b in gw.received()] == ["Welcome back"]
    # a sentence with the word in it is a conversation, not an opt-out
    assert message(k, "+8613800000077", "please stop sending me ads, but answer this")[0] == 200
    ok_rpc(k, "omniq.reply", sid, "alice", "Noted")
    wait_for(lambda: len(gw.received()) == 2, timeout=10, what="the second reply")
    assert k.stat("omniq_sms:opt_outs") == 1 and k.stat("omniq_sms:opt_ins") == 1


TW_SID, TW_TOKEN, TW_FROM = "AC" + "1" * 32, "twilio-auth-token-01", "+15005550006"


def twilio_kam(ctx, auto_report=("sent", "delivered")):
    from twilio_standin import TwilioStandIn
    s = TwilioStandIn().start()
    ctx.servers.append(s)
    s.add_account(TW_SID, TW_TOKEN, numbers=(TW_FROM,), auto_report=auto_report)
    port = free_port()
    gw = ("name=tw;type=twilio;api=%s;account=%s;token=%s;public=http://127.0.0.1:%d;from=%s"
          % (s.url, TW_SID, TW_TOKEN, port, TW_FROM))
    rs, k = sms_kam(ctx, defines={"OMNIQ_HTTP_PORT": str(port), "OMNIQ_SMS_GATEWAY2": '"%s"' % gw})
    return rs, k, s, "http://127.0.0.1:%d/hooks/sms/tw" % port


@test
def test_sms_twilio_inbound_signed_stored_once_forged_refused(ctx):
    rs, k, s, url = twilio_kam(ctx)
    r = rs.client()
    before = settled_keys(r)      # once its start-up writes are over
    # a forged signature, and a request signed with another token: 403, nothing stored
    st, ctype, body = s.inbound(url, TW_SID, "+8613800000021", TW_FROM, "hello", sign=False)
    assert st == 403 and b"forbidden" in body, (st, body)
    st, _, _ = s.inbound(url, TW_SID, "+8613800000021", TW_FROM, "hello", token="not-the-token")
    assert st == 403
    assert sorted(r.keys("*")) == before
    # a good one; Twilio's redelivery of the same MessageSid is one message
    st, ctype, body = s.inbound(url, TW_SID, "+8613800000021", TW_FROM, "你好 from Twilio",
                                message_sid="SM" + "a" * 32)
    assert st == 200 and ctype.startswith("text/xml") and b"<Response>" in body, (st, ctype, body)
    assert s.inbound(url, TW_SID, "+8613800000021", TW_FROM, "你好 from Twilio",
                     message_sid="SM" + "a" * 32)[0] == 200
    # an MMS: its pictures listed for the agent
    st, _, _ = s.inbound(url, TW_SID, "+8613800000021", TW_FROM, "",
                         media=[("https://api.twilio.com/media/ME1", "image/jpeg")])
    assert st == 200
    sid = sms_sessions(r)[0]
    assert transcript(r, P, sid) == [("in", "你好 from Twilio"),
                                     ("in", "[image/jpeg https://api.twilio.com/media/ME1]")]
    assert r.hget("%s:s:%s" % (P, sid), "ext") == "tw:+8613800000021"
    assert not s.violations, s.violations


@test
def test_sms_twilio_reply_sent_and_delivered_by_its_status_callbacks(ctx):
    rs, k, s, url = twilio_kam(ctx)
    r = rs.client()
    from test_outbound import states
    agent(k, "alice", "sales:5")
    assert s.inbound(url, TW_SID, "+8613800000022", TW_FROM, "where is my parcel?")[0] == 200
    sid = sms_sessions(r)[0]
    wait_for(lambda: offered_to(r, sid, "alice"), what="the offer")
    ok_rpc(k, "omniq.accept", sid, "alice")
    long_zh = "您好，" + "您的包裹已经发出，预计明天送达。" * 5
    ok_rpc(k, "omniq.reply", sid, "alice", long_zh)
    wait_for(lambda: s.sent, timeout=10, what="the message at the provider")
    m = s.sent[0]
    assert m["to"] == "+8613800000022" and m["from"] == TW_FROM and m["body"] == long_zh, m
    assert m["num_segments"] == 2 and m["status_callback"] == url + "/status", m
    wait_for(lambda: list(states(rs, sid).values()) == ["delivered"], timeout=10,
             what="delivered after the status callbacks")
    reps = s.wait_reports(2)
    assert [(x["status"], x["answer_status"]) for x in reps] == [("sent", 200), ("delivered", 200)], reps
    assert not s.violations, s.violations


@test
def test_sms_twilio_refusal_fails_with_its_words_and_a_429_is_retried(ctx):
    rs, k, s, url = twilio_kam(ctx, auto_report=())
    r = rs.client()
    from test_outbound import states
    agent(k, "alice", "sales:5")
    assert s.inbound(url, TW_SID, "+8613800000023", TW_FROM, "hi")[0] == 200
    sid = sms_sessions(r)[0]
    wait_for(lambda: offered_to(r, sid, "alice"), what="the offer")
    ok_rpc(k, "omniq.accept", sid, "alice")
    s.fail_next("rate_limit", retry_after=1)
    ok_rpc(k, "omniq.reply", sid, "alice", "first")
    wait_for(lambda: len(s.sent) == 1, timeout=15, what="sent after the 429")
    s.opt_out(TW_SID, "+8613800000023")
    ok_rpc(k, "omniq.reply", sid, "alice", "second")
    wait_for(lambda: sorted(states(rs, sid).values()) == ["failed", "sent"], timeout=15,
             what="the second failed")
    flat = r.fcall("oq_deliveries", 1, P, sid)
    assert "21610" in flat[-1], flat
    # a status callback with a forged signature changes nothing
    from twilio_standin import signature
    import urllib.request
    form = {"MessageSid": s.sent[0]["sid"], "MessageStatus": "failed", "AccountSid": TW_SID}
    req = urllib.request.Request(url + "/status", data=urllib.parse.urlencode(form).encode(),
                                 headers={"X-Twilio-Signature": signature("wrong", url + "/status", form)})
    try:
        urllib.request.urlopen(req, timeout=5)
        raise AssertionError("a forged status callback was taken")
    except urllib.error.HTTPError as e:
        assert e.code == 403
    assert sorted(states(rs, sid).values()) == ["failed", "sent"]
    assert not s.violations, s.violations


COUNTER_CASES = [
    ("", 0, 0, "GSM-7"),
    ("a" * 160, 1, 160, "GSM-7"),
    ("a" * 161, 2, 161, "GSM-7"),
    ("a" * 306, 2, 306, "GSM-7"),
    ("a" * 307, 3, 307, "GSM-7"),
    ("€" * 80, 1, 160, "GSM-7"),            # an extension character costs two septets
    ("a" + "€" * 80, 2, 161, "GSM-7"),
    ("a" * 152 + "€" + "a" * 152, 3, 306, "GSM-7"),  # a € is never split: 152, 154 > 153
    ("你" * 70, 1, 70, "UCS-2"),
    ("你" * 71, 2, 71, "UCS-2"),
    ("😀" * 35, 1, 70, "UCS-2"),           # a surrogate pair costs two units
    ("a" * 66 + "😀" + "a" * 66, 3, 134, "UCS-2"),  # a pair is never split: 66, 68 > 67
    ("é" * 161, 2, 161, "GSM-7"),
    ("ê", 1, 1, "UCS-2"),                   # not in the GSM alphabet
]


@test
def test_sms_desk_counter_counts_as_the_module_cuts(ctx):
    """/hooks/sms/desk.js, written by omniq_sms from its own tables, run in node: the part
    count an agent sees for each text is sms_parts()'s (tests/unit/test_sms_text.c holds
    the C side to the same numbers)."""
    import json
    import urllib.request
    port = free_port()
    rs, k = sms_kam(ctx, defines={"OMNIQ_HTTP_PORT": str(port)})
    with urllib.request.urlopen("http://127.0.0.1:%d/hooks/sms/desk.js" % port, timeout=5) as rsp:
        assert rsp.headers["Content-Type"].startswith("application/javascript")
        js = rsp.read().decode()
    script = os.path.join(ctx.dir, "counter.js")
    with open(script, "w") as f:
        f.write("var window = {}, document = {getElementById: function () { return null; }};\n")
        f.write(js)
        f.write("\nprocess.stdout.write(JSON.stringify(%s.map(function (t) { return window.omniqSms.plan(t); })));\n"
                % json.dumps([c[0] for c in COUNTER_CASES]))
    got = json.loads(subprocess.run(["node", script], capture_output=True, text=True, check=True,
                                    timeout=30).stdout)
    for (text, parts, units, coding), p in zip(COUNTER_CASES, got):
        assert (p["parts"], p["units"], p["coding"]) == (parts, units, coding), (text[:20], p)


@test
def test_sms_gateway_modparam_refusals(ctx):
    """A wrong gateway stops kamailio at start with a line saying what is wrong."""
    rs = ctx.redis()
    kannel = "name=k;type=kannel;secret=0123456789;sendsms=http://127.0.0.1:9/s;username=u;password=p;public=http://x"
    cases = [
        ("name=c;type=sip", "a sip gateway needs uri"),
        ("name=c;type=smpp;uri=sip:x", "type must be sip, kannel or twilio"),
        ("type=sip;uri=sip:x", "name is missing"),
        ("name=c;type=sip;uri=http://x", "uri 'http://x' is no sip: URI"),
        ("name=c;type=sip;uri=sip:x;secret=abc", "secret is no key of a sip gateway"),
        ("name=c;type=sip;uri=sip:x;colour=red", "unknown key 'colour'"),
        ("name=c;type=sip;uri=sip:x;country=+86", "country must be a country calling code"),
        ("name=c;type=sip;uri=sip:x;rate=0", "rate must be a number 1..1000"),
        ("name=c;type=sip;uri=sip:x;tenant=nobody", "tenant nobody is not one of omniq's"),
        ("name=carrier;type=sip;uri=sip:x", "a second gateway of that name"),
        (kannel.replace("secret=0123456789", "secret=short"), "must be at least 8 characters"),
        (kannel.replace("public=http://x", "public=ftp://x"), "public 'ftp://x' is no http(s) URL"),
        (kannel.replace(";password=p", ""), "a kannel gateway needs password"),
        ("name=t;type=twilio;account=AC1;public=http://x", "a twilio gateway needs token"),
    ]
    for i, (gw, says) in enumerate(cases):
        k = ctx.kamailio("omniq.cfg", rs.port, name="bad%d" % i, start=False,
                         defines={"OMNIQ_SMS_GATEWAY2": '"%s"' % gw})
        k.start(expect_ready=False)
        assert k.wait_exit(20) != 0, gw
        assert says in k.text(), (gw, says, k.tail())


@test
def test_sms_send_rpc_and_gateways(ctx):
    """kamcmd sms.send: an SMS outside any session (a staff alert) through a gateway, with
    the same retries and states; sms.gateways lists what this node serves."""
    gw = SippGateway(ctx.dir)
    ctx.servers.append(gw)
    rs, k = sms_kam(ctx, gw_port=gw.port)
    gws = k.rpc_struct("sms.gateways")
    assert "carrier" in str(gws) and "(sms_receive)" in str(gws), gws
    rc, out = k.rpc("sms.send", "carrier", "s:+8613800000099", "机房告警: disk full")
    assert rc == 0 and not out.startswith("error"), out
    wait_for(lambda: gw.received(), timeout=10, what="the alert at the gateway")
    line, _, body = gw.received()[0]
    assert "sip:+8613800000099@" in line and body == "机房告警: disk full", (line, body)
    rc, out = k.rpc("sms.send", "nowhere", "s:+8613800000099", "x")
    assert out.startswith("error") and "no gateway 'nowhere'" in out, out
    rc, out = k.rpc("sms.send", "carrier", "a:b", "x")
    assert out.startswith("error") and "no ':'" in out, out


# ---- Kannel (kannel.py: Debian's bearerbox + smsbox, fakesmsc as the phones) ----

KANNEL_SECRET = "kannel-shared-secret-1"
LOCAL = {"admin-port", "admin-password", "smsbox-port", "box-allow-ip", "log-file",
         "access-log", "bearerbox-host", "sendsms-port", "sendsms-interface"}


def kannel_conf():
    """cfg/kannel.conf's groups as written: {group: {key: value}} (the last group of a name
    wins: the example has one of each)."""
    groups, cur = {}, None
    with open(os.path.join(TOP, "cfg", "kannel.conf")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            k, _, v = (x.strip() for x in line.partition("="))
            v = v[1:-1] if v.startswith('"') and v.endswith('"') else v
            if k == "group":
                cur = groups.setdefault(v, {})
            else:
                cur[k] = v
    return groups


def kannel_kam(ctx, combine_mo=None, extra_defines=None, redis=None, get_url=None,
               cfg="omniq.cfg"):
    """kamailio (the shipped cfg, or cfg that includes it) with a kannel gateway, and a
    Kannel started from cfg/kannel.conf as written: only the ports, the log files, omniq's
    host and the CHANGE-marked secrets made this test's own."""
    from kannel import start_rig
    conf = kannel_conf()
    port = free_port()
    mo_url = (get_url or conf["sms-service"]["post-url"]).replace(
        "omniq.example.com:8080", "127.0.0.1:%d" % port).replace(
        "CHANGE-shared-secret", KANNEL_SECRET)
    extra = {g: {k: v for k, v in conf[g].items() if k not in LOCAL}
             for g in ("core", "smsbox", "sms-service")}
    extra["sms-service"].pop("post-url")
    if combine_mo is not None:
        extra["core"]["sms-combine-concatenated-mo"] = "true" if combine_mo else "false"
    user = conf["sendsms-user"]
    password = user["password"].replace("CHANGE-sendsms-password", "sendsms-pw-1")
    extra["sendsms-user"] = {k: v for k, v in user.items() if k not in ("username", "password")}
    rig = start_rig(ctx, mo_url, combine_mo=extra["core"]["sms-combine-concatenated-mo"] == "true",
                    username=user["username"], password=password, extra=extra,
                    post=get_url is None)
    gw = ("name=kannel;type=kannel;secret=%s;sendsms=%s;username=%s;password=%s;"
          "public=http://127.0.0.1:%d;from=10086" % (KANNEL_SECRET, rig.sendsms_url,
                                                     user["username"], password, port))
    d = {"OMNIQ_HTTP_PORT": str(port), "OMNIQ_SMS_GATEWAY2": '"%s"' % gw}
    d.update(extra_defines or {})
    rs, k = sms_kam(ctx, defines=d, redis=redis, cfg=cfg)
    return rs, k, rig, "http://127.0.0.1:%d/hooks/sms/kannel" % port


@test
def test_sms_kannel_a_phones_sms_reaches_the_agent_and_the_reply_reaches_the_phone(ctx):
    """fakesmsc -> bearerbox -> smsbox -> omniq: Chinese, an emoji, '+' and '%' intact; the
    agent's long Chinese reply -> sendsms -> the phone as 2 concatenated parts; Kannel's
    delivery report moves it to delivered."""
    rs, k, rig, url = kannel_kam(ctx)
    r = rs.client()
    from test_outbound import states
    agent(k, "alice", "sales:5")
    text = "你好 😀 a+b = 100% (ok)\n第二行"
    rig.mo("8613800138001", "10086", text)
    wait_for(lambda: sms_sessions(r), timeout=15, what="the SMS stored")
    sid = sms_sessions(r)[0]
    assert transcript(r, P, sid) == [("in", text)], transcript(r, P, sid)
    s = r.hgetall("%s:s:%s" % (P, sid))
    assert s["identity"] == "sms:+8613800138001" and s["ext"] == "kannel:+8613800138001", s
    wait_for(lambda: offered_to(r, sid, "alice"), what="the offer")
    ok_rpc(k, "omniq.accept", sid, "alice")
    reply = "您好，" + "您的订单已发货，预计明天送达，请保持电话畅通。" * 4 + "谢谢!"
    ok_rpc(k, "omniq.reply", sid, "alice", reply)
    from kannel import join_parts
    parts = rig.wait_mt(2, timeout=20)
    assert len(parts) == 2 and all(p["receiver"] == "8613800138001" or p["receiver"] ==
                                   "+8613800138001" for p in parts), parts
    assert join_parts(parts) == reply, parts
    wait_for(lambda: list(states(rs, sid).values()) == ["delivered"], timeout=20,
             what="delivered by Kannel's report")
    assert k.stat("omniq_sms:reports") >= 1


@test
def test_sms_kannel_parts_that_come_one_by_one_are_one_message(ctx):
    """Kannel set not to join them (sms-combine-concatenated-mo = false): three parts of one
    SMS, out of order, through fakesmsc, are stored as one message once the last comes."""
    rs, k, rig, url = kannel_kam(ctx, combine_mo=False)
    r = rs.client()
    udh = lambda seq: bytes([5, 0, 3, 0x42, 3, seq])
    words = ["Hello, this is the first part ", "and the second ", "and the last."]
    for seq in (2, 3, 1):
        rig.mo_udh("8613800138002", "10086", udh(seq), words[seq - 1], 0)
        if seq != 1:
            wait_for(lambda: k.stat("omniq_sms:parts_kept") >= (1 if seq == 2 else 2),
                     timeout=15, what="part %d kept" % seq)
            assert not sms_sessions(r)
    wait_for(lambda: sms_sessions(r), timeout=15, what="the whole message")
    assert transcript(r, P, sms_sessions(r)[0]) == [("in", "".join(words))]


@test
def test_sms_kannel_a_part_that_never_comes_does_not_lose_the_others(ctx):
    rs, k, rig, url = kannel_kam(ctx, combine_mo=False,
                                 extra_defines={"OMNIQ_SMS_PARTS_TIMEOUT": "10"})
    r = rs.client()
    rig.mo_udh("8613800138003", "10086", bytes([5, 0, 3, 9, 3, 1]), "one ", 0)
    rig.mo_udh("8613800138003", "10086", bytes([5, 0, 3, 9, 3, 3]), " three", 0)
    wait_for(lambda: k.stat("omniq_sms:parts_kept") == 2, timeout=15, what="two parts kept")
    wait_for(lambda: sms_sessions(r), timeout=30, what="what came stored when the time ran out")
    assert transcript(r, P, sms_sessions(r)[0]) == [("in", "one […] three")]
    assert "not every part of a long SMS came within 10 s" in k.text()


@test
def test_sms_kannel_wrong_secret_and_forged_reports_are_refused(ctx):
    import urllib.request
    rs, k, rig, url = kannel_kam(ctx)
    r = rs.client()
    before = settled_keys(r)      # once its start-up writes are over

    def get(u):
        try:
            with urllib.request.urlopen(u, timeout=5) as rsp:
                return rsp.status, rsp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
    st, body = get(url + "?secret=wrong&from=8613800000001&text=hi")
    assert st == 403 and b'"forbidden"' in body, (st, body)
    st, body = get(url + "?from=8613800000001&text=hi")
    assert st == 403, st
    st, body = get(url + "?secret=%s&text=hi" % KANNEL_SECRET)
    assert st == 400 and b"no from" in body, (st, body)
    st, body = get(url + "?secret=%s&from=8613800000001&text=hi&coding=7" % KANNEL_SECRET)
    assert st == 400 and b"coding" in body, (st, body)
    st, body = get(url + "/dlr?id=1-1&sig=" + "0" * 32 + "&type=1")
    assert st == 403, (st, body)
    st, body = get(url + "/nowhere")
    assert st == 404, st
    assert sorted(r.keys("*")) == before


@test
def test_sms_kannel_redis_down_the_sms_waits_in_kannel_and_is_stored_once(ctx):
    """Redis is down when the phone's SMS comes: omniq answers 503, smsbox calls again
    (http-request-retry of cfg/kannel.conf) and the SMS is stored once Redis is back."""
    rs, k, rig, url = kannel_kam(ctx)
    ctx.expect_redis_down(rs)
    rs.stop()
    rig.mo("8613800138004", "10086", "still there?")
    wait_for(lambda: k.stat("omniq_sms:failed") >= 1, timeout=15, what="a 503 to Kannel")
    rs.start()
    r = rs.client()
    wait_for(lambda: sms_sessions(r), timeout=30, what="Kannel's retry stored")
    time.sleep(1)
    assert [transcript(r, P, s) for s in sms_sessions(r)] == [[("in", "still there?")]]


@test
def test_sms_a_providers_redelivery_to_another_node_is_one_message(ctx):
    """Twilio retries a webhook it got no answer to, and behind a load balancer the retry
    may reach the other node: one message either way."""
    rs, k, s, url = twilio_kam(ctx, auto_report=())
    port2 = free_port()
    gw = ("name=tw;type=twilio;api=%s;account=%s;token=%s;public=http://127.0.0.1:%d;from=%s"
          % (s.url, TW_SID, TW_TOKEN, port2, TW_FROM))
    k2 = ctx.kamailio("omniq.cfg", rs.port, name="kam2", defines={
        "OMNIQ_HTTP_PORT": str(port2), "OMNIQ_SMS_GATEWAY": '"%s"' % (CARRIER % free_port(socket.SOCK_DGRAM)),
        "OMNIQ_SMS_GATEWAY2": '"%s"' % gw})
    url2 = "http://127.0.0.1:%d/hooks/sms/tw" % port2
    sid_ = "SM" + "b" * 32
    for u in (url, url2, url, url2):
        assert s.inbound(u, TW_SID, "+8613800000031", TW_FROM, "once, please",
                         message_sid=sid_)[0] == 200
    r = rs.client()
    assert [transcript(r, P, x) for x in sms_sessions(r)] == [[("in", "once, please")]]
    assert k.stat("omniq_sms:received") + k2.stat("omniq_sms:received") == 1
    assert k.stat("omniq_sms:received_duplicate") + k2.stat("omniq_sms:received_duplicate") == 3


@test
@alone
def test_sms_replies_leave_at_the_gateways_rate(ctx):
    """A gateway's rate (2 a second here): four replies at once reach it spread over at least
    1.5 s, none lost."""
    gw = SippGateway(ctx.dir)
    ctx.servers.append(gw)
    rs, k = sms_kam(ctx, defines={"OMNIQ_SMS_GATEWAY": '"%s;rate=2"' % (CARRIER % gw.port)})
    r = rs.client()
    agent(k, "alice", "sales:5")
    sid = message(k, "+8613800000041", "hi")[2]["X-Omniq-Session"]
    wait_for(lambda: offered_to(r, sid, "alice"), what="the offer")
    ok_rpc(k, "omniq.accept", sid, "alice")
    for i in range(4):
        ok_rpc(k, "omniq.reply", sid, "alice", "reply %d" % i)
    wait_for(lambda: len(gw.received()) == 4, timeout=20, what="four replies")
    assert sorted(b for _, _, b in gw.received()) == ["reply %d" % i for i in range(4)]
    stamps = [int(h) * 3600 + int(m) * 60 + float(sec) for h, m, sec in re.findall(
        r"^-+ \S+ (\d+):(\d+):(\d+\.\d+)\nUDP message received \[\d+\] bytes :\n\nMESSAGE ",
        open(gw.msgs).read(), re.M)]
    assert len(stamps) >= 4 and stamps[-1] - stamps[0] >= 1.4, stamps


@test
def test_sms_a_file_reply_is_not_sent_as_text(ctx):
    """An agent attaches a photo to an SMS conversation: SMS carries text only, so the reply
    fails with why instead of texting the customer a path."""
    from test_desk import desk, login, PASSWORD
    from test_outbound import states
    from test_wechat import upload
    from test_ws import Api
    gw = SippGateway(ctx.dir)
    ctx.servers.append(gw)
    port = free_port()
    rs, k = sms_kam(ctx, gw_port=gw.port, defines={"OMNIQ_HTTP_PORT": str(port)})
    r = rs.client()
    agent(k, "alice", "sales:5")
    ok_rpc(k, "omniq.agent_password", "alice", PASSWORD)
    sid = message(k, "+8613800000051", "send me a photo")[2]["X-Omniq-Session"]
    wait_for(lambda: offered_to(r, sid, "alice"), what="the offer")
    ok_rpc(k, "omniq.accept", sid, "alice")

    api = Api(port)
    d = desk(port, api, "alice")
    st, up = upload(port, login(api, "alice")[1]["token"], b"\xff\xd8 photo", "image/jpeg")
    assert st == 201, up
    assert d.request(type="reply", sid=sid, media=up["media"], kind="image")["type"] == "ok"
    wait_for(lambda: list(states(rs, sid).values()) == ["failed"], timeout=10, what="failed")
    assert "SMS carries text only" in r.fcall("oq_deliveries", 1, P, sid)[3]
    time.sleep(0.5)
    assert gw.received() == []


@test
def test_sms_kannel_get_url_takes_a_text_without_line_breaks(ctx):
    """A Kannel set up with get-url instead (text=%b&charset=%C in the query): a one-line
    text, Chinese included, is stored as it came (admin-sms.md: post-url for the rest)."""
    get = ("http://omniq.example.com:8080/hooks/sms/kannel?secret=CHANGE-shared-secret&from=%p"
           "&to=%P&text=%b&time=%T&smsc=%i&id=%I&coding=%c&charset=%C")
    rs, k, rig, url = kannel_kam(ctx, get_url=get)
    r = rs.client()
    rig.mo("8613800138020", "10086", "你好 a+b 100% (get-url)")
    wait_for(lambda: sms_sessions(r), timeout=15, what="the SMS stored")
    assert transcript(r, P, sms_sessions(r)[0]) == [("in", "你好 a+b 100% (get-url)")]


@test
def test_sms_kannel_a_service_level_alert_reaches_the_queue_owners_phone(ctx):
    """The queue's owner is told of a slipping first response by SMS: a message of no
    session queued for the SMS sender, sent through Kannel's sendsms to fakesmsc, once."""
    rs, k, rig, url = kannel_kam(ctx)
    r = rs.client()
    ok_rpc(k, "omniq.agent_set", "sam", "Sam", "other:5", "chat=1")
    ok_rpc(k, "omniq.agent_notify", "sam", "sms:kannel:+8613900000009")
    ok_rpc(k, "omniq.queue_roles", "default", "sam", "", "")
    ok_rpc(k, "omniq.sla_set", "std", "channel", "sms", "first", "4", "levels", "25,50,75")
    rig.mo("8613800138002", "10086", "有人吗")
    wait_for(lambda: sms_sessions(r), timeout=15, what="the SMS stored")
    sid = sms_sessions(r)[0]
    mt = rig.wait_mt(1, timeout=20)
    assert mt[0]["receiver"] in ("8613900000009", "+8613900000009"), mt
    assert ("text [SLA level 1] session %s (sms" % sid) in mt[0]["raw"], mt
    time.sleep(3)          # levels 2 and 3 name nobody: the one SMS
    assert len(rig.wait_mt(1, timeout=5)) == 1
