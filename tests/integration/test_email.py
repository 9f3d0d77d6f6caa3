"""The email channel (modules/omniq_email): mail handed over LMTP as an MTA hands it, joined
to the session it answers or opening one, stored once, refused in words.

An MTA's side of LMTP is spoken here over a raw socket (lmtp()), so that every reply line -
one per recipient after the data - is seen as Postfix sees it. Postfix itself delivers in
test_email_postfix.py.
"""
import hashlib
import hmac
import re
import socket
import threading
import time
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import make_msgid

from harness import free_port, settled_keys, test, wait_for
from test_desk import agent
from test_wechat import delivery_states, ok_rpc, transcript

P = "oq:{default}"
SECRET = "test-email-secret-0123456789abcdef"


# modparams the shipped cfg has no define for: tests/integration/cfg/email.cfg (the shipped
# cfg and these) sets each from its define
EMAIL_PARAMS = {"attach_max": "OMNIQ_EMAIL_ATTACH_MAX", "charset_fallback":
                "OMNIQ_EMAIL_CHARSET_FALLBACK", "attempts": "OMNIQ_EMAIL_ATTEMPTS",
                "retry_interval": "OMNIQ_EMAIL_RETRY_INTERVAL",
                "smtp_timeout": "OMNIQ_EMAIL_SMTP_TIMEOUT", "mailbox2": "OMNIQ_EMAIL_MAILBOX2",
                "reopen_window": "OMNIQ_REOPEN_WINDOW", "wrapup_time": "OMNIQ_WRAPUP_TIME"}


def email_params(params):
    """(cfg, defines) of a kamailio with omniq_email's and omniq's modparams params (names
    of EMAIL_PARAMS: attach_max=2000, charset_fallback="BIG5", mailbox2="name=..."): the
    shipped cfg when there are none"""
    if not params:
        return "omniq.cfg", {}
    return "email.cfg", {EMAIL_PARAMS[k]: str(v) if isinstance(v, int) else '"%s"' % v
                         for k, v in params.items()}


def email_kam(ctx, redis=None, mailbox="name=support;address=support@example.com;queue=mail",
              params=None, name="kam", **defines):
    """redis and kamailio with omniq_email's LMTP listener (k.lmtp_port); params: more
    modparams (email_params)"""
    rs = redis or ctx.redis()
    port = free_port()
    d = {"OMNIQ_EMAIL_LMTP": '"127.0.0.1:%d"' % port, "OMNIQ_EMAIL_SECRET": '"%s"' % SECRET,
         "OMNIQ_EMAIL_MAILBOX": '"%s"' % mailbox}
    cfg, more = email_params(params)
    d.update(more)
    d.update(defines)
    k = ctx.kamailio(cfg, rs.port, name=name, defines=d)
    k.lmtp_port = port
    wait_for(lambda: _accepts(port), what="the LMTP listener")
    return rs, k


def _accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _read_reply(f):
    lines = []
    while True:
        line = f.readline().decode("utf-8", "replace")
        assert line, "connection closed by the server after %r" % lines
        lines.append(line.rstrip("\r\n"))
        if len(line) < 4 or line[3] != "-":
            return lines


def lmtp(port, mail_from, rcpts, data, lhlo="mta.test"):
    """One LMTP transaction: {'lhlo': lines, 'mail': line, 'rcpt': [line per rcpt],
    'data': [line per accepted rcpt]} (data None when no recipient was accepted)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    f = s.makefile("rb")
    out = {}
    try:
        assert _read_reply(f)[0].startswith("220 ")
        s.sendall(b"LHLO " + lhlo.encode() + b"\r\n")
        out["lhlo"] = _read_reply(f)
        s.sendall(b"MAIL FROM:<" + mail_from.encode() + b">\r\n")
        out["mail"] = _read_reply(f)[0]
        out["rcpt"] = []
        for r in rcpts:
            s.sendall(b"RCPT TO:<" + r.encode() + b">\r\n")
            out["rcpt"].append(_read_reply(f)[0])
        ok = sum(1 for r in out["rcpt"] if r.startswith("250"))
        out["data"] = None
        if ok:
            s.sendall(b"DATA\r\n")
            assert _read_reply(f)[0].startswith("354")
            body = data if isinstance(data, bytes) else data.encode()
            body = body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            body = re.sub(rb"(?m)^\.", b"..", body)
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            s.sendall(body + b".\r\n")
            out["data"] = [_read_reply(f)[0] for _ in range(ok)]
        s.sendall(b"QUIT\r\n")
        _read_reply(f)
    finally:
        s.close()
    return out


def sig(sid):
    return hmac.new(SECRET.encode(), ("omniq-email-thread:%s" % sid).encode(),
                    hashlib.sha256).hexdigest()[:16]


def mail(sender="li.lei@customer.example", subject="发票抬头错了", text="你好，发票抬头写错了。",
         msgid=None, in_reply_to=None, references=None, to="support@example.com", name="李雷",
         charset="utf-8", extra=None):
    m = MIMEText(text, "plain", charset)
    m["From"] = "%s <%s>" % (Header(name, charset).encode(), sender)
    m["To"] = to
    m["Subject"] = Header(subject, charset)
    m["Message-ID"] = msgid or make_msgid(domain="customer.example")
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
    if references:
        m["References"] = references
    for k, v in (extra or {}).items():
        m[k] = v
    return m


def stored_sid(reply):
    m = re.match(r"250 2\.0\.0 stored(?: before)? in session (\d+)$", reply)
    assert m, reply
    return m.group(1)


def deliver(k, m, rcpt="support@example.com", mail_from=None):
    r = lmtp(k.lmtp_port, mail_from if mail_from is not None else "bounce@customer.example",
             [rcpt], m.as_bytes() if hasattr(m, "as_bytes") else m)
    assert r["rcpt"] == ["250 2.1.5 OK"], r
    return r["data"][0]


@test
def test_email_a_new_mail_opens_a_session_of_the_sender_and_answers_join_it(ctx):
    """A customer's mail (Chinese, GBK) opens a session of the customer found from the
    sender; the answer (In-Reply-To) joins it, a second new mail opens another, and a
    colleague's answer on the thread joins the thread in the colleague's name."""
    rs, k = email_kam(ctx)
    r = rs.client()
    first = mail(charset="gbk")
    a = stored_sid(deliver(k, first))
    s = r.hgetall("%s:s:%s" % (P, a))
    assert (s["channel"], s["identity"], s["queue"]) == \
        ("email", "email:li.lei@customer.example", "mail"), s
    assert s["ext"] == "support:li.lei@customer.example", s
    assert transcript(r, P, a) == [("in", "Subject: 发票抬头错了\n\n你好，发票抬头写错了。")]
    assert r.xrange("%s:s:%s:tx" % (P, a))[0][1]["from"] == "李雷"
    # the customer answers (their client keeps In-Reply-To and quotes us)
    ans = mail(subject="Re: 发票抬头错了", text="抬头是：北京某某公司\n\n在 2026年12月6日，support 写道：\n> 请告诉我们正确的抬头",
               in_reply_to=first["Message-ID"], references=first["Message-ID"])
    assert stored_sid(deliver(k, ans)) == a
    got = transcript(r, P, a)[1]
    assert got == ("in", "Subject: Re: 发票抬头错了\n\n抬头是：北京某某公司\n\n"
                         "[2 quoted line(s) of the mail it answers, folded]"), got
    # a new mail while that session lives: a session of its own
    b = stored_sid(deliver(k, mail(subject="快递没到", text="订单 12345 还没到")))
    assert b != a
    # a colleague answers the first thread (References only)
    c = mail(sender="han.meimei@customer.example", name="韩梅梅", subject="Re: 发票抬头错了",
             text="我来补充：税号 91110000", references="%s %s" % (first["Message-ID"], ans["Message-ID"]))
    assert stored_sid(deliver(k, c)) == a
    assert r.xrange("%s:s:%s:tx" % (P, a))[-1][1]["from"] == "韩梅梅"
    assert len(transcript(r, P, b)) == 1


class Monitor:
    """Redis' MONITOR while it is open: the FCALLs each client made, as
    {client address: [function name, ...]}."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.s.sendall(b"MONITOR\r\n")
        self.f = self.s.makefile("rb")
        assert self.f.readline() == b"+OK\r\n"
        self.lines = []
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        try:
            for line in self.f:
                self.lines.append(line.decode("utf-8", "replace"))
        except (OSError, ValueError):
            pass

    def fcalls(self):
        out = {}
        for line in list(self.lines):
            m = re.match(r'\+[\d.]+ \[\d+ ([^\]]+)\] "FCALL" "(\w+)"', line)
            if m:
                out.setdefault(m.group(1), []).append(m.group(2))
        return out

    def close(self):
        self.s.shutdown(socket.SHUT_RDWR)
        self.s.close()
        self.t.join(5)


@test
def test_email_a_mail_costs_three_redis_round_trips(ctx):
    """A mail without attachments is three calls to Redis, however many Message-IDs it names:
    every one of them looked up at once, the store, its Message-ID and thread kept at once."""
    rs, k = email_kam(ctx)
    first = mail()
    mon = Monitor(rs.port)
    try:
        a = stored_sid(deliver(k, first))
        refs = " ".join([make_msgid(domain="x.example") for _ in range(5)]
                        + [first["Message-ID"]])
        b = stored_sid(deliver(k, mail(subject="Re: 1", in_reply_to=first["Message-ID"],
                                       references=refs)))
        time.sleep(0.3)
        calls = mon.fcalls()
    finally:
        mon.close()
    assert a == b
    mine = [c for c in calls.values() if "oq_ingest" in c]
    assert mine == [["oq_chan_get", "oq_ingest", "oq_chan_set"] * 2], calls


@test
def test_email_session_tokens_join_only_when_signed_by_us(ctx):
    """The reply address (support+omniq-<sid>-<sig>@) and the subject token
    ([#omniq-<sid>-<sig>]) join the session they name when the signature is ours; a forged
    or copied-with-another-number token opens a session of the sender instead."""
    rs, k = email_kam(ctx)
    r = rs.client()
    a = stored_sid(deliver(k, mail()))
    # no In-Reply-To (a client that drops it): the token in the subject
    t = mail(subject="回复: 发票 [#omniq-%s-%s]" % (a, sig(a)), text="补充一下")
    assert stored_sid(deliver(k, t)) == a
    # the plus address
    p = mail(subject="another", text="via the reply address")
    assert stored_sid(deliver(k, p, rcpt="support+omniq-%s-%s@example.com" % (a, sig(a)))) == a
    assert [b.split("\n\n", 1)[1] for _, b in transcript(r, P, a)][1:] == \
        ["补充一下", "via the reply address"]
    # forged: a signature that is not ours, or ours for another session
    for subject in ("Re: [#omniq-%s-%s]" % (a, "0" * 16), "Re: [#omniq-%s-%s]" % (a, sig(int(a) + 1))):
        x = stored_sid(deliver(k, mail(sender="mallory@evil.example", subject=subject, text="hi")))
        assert x != a, subject
    assert len(transcript(r, P, a)) == 3
    ctx.expect_log(r"whose signature is not ours", optional=True)


@test
def test_email_a_redelivered_mail_is_stored_once(ctx):
    """The MTA delivers again what it is not sure we took (a connection lost after the
    data): the same Message-ID is the same mail, answered 250 again, stored once."""
    rs, k = email_kam(ctx)
    r = rs.client()
    m = mail()
    first = deliver(k, m)
    again = deliver(k, m)
    sid = stored_sid(first)
    assert again == "250 2.0.0 stored before in session %s" % sid, again
    assert len(transcript(r, P, sid)) == 1
    # after the customer's next mail (another session, the latest): still the first's
    later = stored_sid(deliver(k, mail(subject="另一件事")))
    assert later != sid and deliver(k, m) == again
    assert len(transcript(r, P, sid)) == 1 and len(transcript(r, P, later)) == 1
    # one mail to two of our addresses in one transaction: one reply each, stored once
    m2 = mail(subject="two addresses")
    out = lmtp(k.lmtp_port, "x@customer.example", ["support@example.com", "Support+x@Example.com"],
               m2.as_bytes())
    assert out["rcpt"] == ["250 2.1.5 OK"] * 2 and len(out["data"]) == 2, out
    assert {stored_sid(d) for d in out["data"]} == {stored_sid(out["data"][0])}
    assert out["data"][1].startswith("250 2.0.0 stored before"), out
    assert (k.stat("omniq_email:received"), k.stat("omniq_email:received_duplicate")) == (3, 3)


@test
def test_email_refusals_say_why_and_store_nothing(ctx):
    """An address that is no mailbox of ours is refused at RCPT (550 5.1.1); a mail with no
    sender address or nothing to parse is refused after the data (5xx: the MTA bounces it
    to its sender with our words); Redis down is 451 (the MTA keeps it and tries again)."""
    rs, k = email_kam(ctx)
    r = rs.client()
    before = len(settled_keys(r))      # once its start-up writes are over
    out = lmtp(k.lmtp_port, "a@b.example", ["sales@example.com", "support@elsewhere.example"], "x")
    assert all(x.startswith("550 5.1.1 ") for x in out["rcpt"]) and out["data"] is None, out
    no_from = b"To: support@example.com\r\nSubject: x\r\n\r\nno sender\r\n"
    assert deliver(k, no_from).startswith("550 5.6.0 "), no_from
    garbage = b"\x00\x01 not a mail at all"
    assert deliver(k, garbage).startswith("550 5.6.0 ")
    assert r.dbsize() == before, sorted(r.keys("*"))
    # Redis down: 451, and once it is back the MTA's retry is stored
    m = mail(subject="while Redis is down")
    ctx.expect_redis_down(rs)
    ctx.expect_log(r"omniq_email \[email_inbound\.c:\d+]: deliver\(\): mail from "
                   r"<li\.lei@customer\.example> to support not stored: .*")
    rs.stop()
    reply = deliver(k, m)
    assert reply.startswith("451 4.3.0 "), reply
    rs.start()
    wait_for(lambda: deliver(k, m).startswith("250 2.0.0 stored in session"), timeout=20,
             what="the retry stored")
    assert k.stat("omniq_email:refused") == 2 and k.stat("omniq_email:deferred") >= 1
    assert k.stat("omniq_email:received") == 1


@test
def test_email_attachments_are_kept_and_listed_for_the_agent(ctx):
    """Attachments (a Chinese file name, RFC 2231) are kept as media and listed with the
    link that opens them; one over attach_max (2000 bytes here) is listed as such, and no
    media is kept for it."""
    rs, k = email_kam(ctx, params={"attach_max": 2000})
    r = rs.client()
    m = MIMEMultipart()
    m["From"] = "wang@customer.example"
    m["To"] = "support@example.com"
    m["Subject"] = "报价单"
    m["Message-ID"] = make_msgid()
    m.attach(MIMEText("见附件", "plain", "utf-8"))
    pdf = MIMEApplication(b"%PDF-1.4 test" * 100, "pdf")
    pdf.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "报价单.pdf"))
    m.attach(pdf)
    photo = MIMEApplication(b"\xff\xd8\xff" + b"J" * 4997, "jpeg")
    photo.replace_header("Content-Type", "image/jpeg")
    photo.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "现场照片.jpg"))
    m.attach(photo)
    sid = stored_sid(deliver(k, m))
    body = transcript(r, P, sid)[0][1]
    g = re.search(r"\[attachment\] 报价单\.pdf \(application/pdf, 1300 bytes\) /media/default/([0-9a-f]{32})\n",
                  body)
    assert g, body
    assert body.endswith("\n[attachment] 现场照片.jpg (image/jpeg, 5000 bytes): over the 2000 "
                         "bytes kept, see the mailbox"), body
    # the one kept, nothing of the other
    assert r.keys("%s:md:*" % P) == ["%s:md:%s" % (P, g.group(1))], r.keys("%s:md:*" % P)
    # delivered again (an MTA's retry): stored before, its attachment not kept twice
    kept = sorted(r.keys("%s:md:*" % P))
    assert deliver(k, m) == "250 2.0.0 stored before in session %s" % sid
    assert sorted(r.keys("%s:md:*" % P)) == kept
    # attach_max 0: every attachment listed, none kept
    _, k0 = email_kam(ctx, redis=rs, params={"attach_max": 0}, name="kam0")
    m.replace_header("Message-ID", make_msgid())
    body = transcript(r, P, stored_sid(deliver(k0, m)))[0][1]
    assert body.endswith("\n\n[attachment] 报价单.pdf (application/pdf, 1300 bytes): over the 0 bytes "
                         "kept, see the mailbox\n[attachment] 现场照片.jpg (image/jpeg, 5000 bytes): "
                         "over the 0 bytes kept, see the mailbox"), body
    assert sorted(r.keys("%s:md:*" % P)) == kept


def redis_bytes(rs):
    import redis
    return redis.Redis(port=rs.port)


def _raw(headers, body):
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


@test
def test_email_a_corpus_of_real_world_shaped_mail_each_stored_or_refused_in_words(ctx):
    """Mail as clients, servers and lists really send it, through LMTP: each becomes the
    session and the text expected, or a refusal that says why (and nothing is stored)."""
    rs, k = email_kam(ctx)
    r = rs.client()
    alt = MIMEMultipart("alternative")
    alt["From"] = "Zhang San <zhang@customer.example>"
    alt["To"] = "support@example.com"
    alt["Subject"] = "multipart/alternative"
    alt["Message-ID"] = make_msgid()
    alt.attach(MIMEText("plain part wins", "plain", "utf-8"))
    alt.attach(MIMEText("<p>html <b>part</b></p>", "html", "utf-8"))
    html_only = MIMEText("<html><body><p>只有 <b>HTML</b></p><script>alert(1)</script>"
                         "<p>第二段</p></body></html>", "html", "utf-8")
    html_only["From"] = "html@customer.example"
    html_only["Subject"] = "html only"
    html_only["Message-ID"] = make_msgid()
    big5 = mail(sender="chen@customer.example", subject="繁體中文主旨", text="請問退貨流程？",
                charset="big5")
    big = mail(sender="big@customer.example", subject="a 10 MB mail", text="x")
    big_raw = big.as_bytes() + b"\r\n" + (b"A" * 76 + b"\r\n") * (10 * 1024 * 1024 // 78)
    cases = [
        # (name, bytes, expected start of the reply, expected text in the stored body)
        ("multipart/alternative", alt.as_bytes(), "250 ", "Subject: multipart/alternative\n\nplain part wins"),
        ("HTML only, script dropped", html_only.as_bytes(), "250 ", "只有 HTML"),
        ("Big5", big5.as_bytes(), "250 ", "請問退貨流程？"),
        ("a 10 MB mail", big_raw, "250 ", "Subject: a 10 MB mail"),
        ("a header block only", _raw(["From: hdr@customer.example", "Subject: no body"], b""),
         "250 ", "(no text)"),
        ("broken MIME: a multipart without its boundary", _raw(
            ["From: broken@customer.example", "Subject: broken", "MIME-Version: 1.0",
             "Content-Type: multipart/mixed; boundary=NEVER"], b"just text\r\n"), "250 ", "just text"),
        ("an auto-reply", _raw(["From: away@customer.example", "Subject: Out of office",
                                "Auto-Submitted: auto-replied"], b"I am away"),
         "250 ", "[sent by a machine (an auto-reply)"),
        ("a mailing list", _raw(["From: list@customer.example", "Subject: [news] weekly",
                                 "List-Id: <news.customer.example>", "Precedence: list"], b"news"),
         "250 ", "[sent by a machine (a mailing list)"),
        ("a DSN not about our replies", _raw(
            ["From: MAILER-DAEMON@customer.example", "Subject: Undelivered Mail",
             "Content-Type: multipart/report; report-type=delivery-status; boundary=B"],
            b"--B\r\nContent-Type: text/plain\r\n\r\nA mail could not be delivered.\r\n"
            b"--B\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--B--\r\n"),
         "250 ", "[delivery report"),
        ("no From", _raw(["To: support@example.com", "Subject: anonymous"], b"who am I"),
         "550 5.6.0 ", None),
        ("a From without an address", _raw(["From: just a name", "Subject: x"], b"x"),
         "550 5.6.0 ", None),
    ]
    settled_keys(r)     # kamailio's start-up writes are over before the first count
    for name, raw, want, text in cases:
        before = r.dbsize()
        got = deliver(k, raw)
        assert got.startswith(want), (name, got)
        if text is None:
            assert r.dbsize() == before, (name, "stored something")
            continue
        sid = stored_sid(got)
        body = transcript(r, P, sid)[-1][1]
        assert text in body, (name, body[:300])
        if name == "multipart/alternative":
            # its text is the sender's own plain part: the HTML twin is not kept
            assert "html" not in body and "[original mail]" not in body, body
        if name.startswith("HTML only"):
            assert "alert" not in body and "第二段" in body, body
            # the text was reduced from HTML: the mail as it came is kept for the agent
            g = re.search(r"\[original mail\] /media/default/([0-9a-f]{32})$", body)
            assert g, body
            rb = redis_bytes(rs)
            kept = rb.hmget("%s:md:%s" % (P, g.group(1)), "st", "type", "data")
            sent = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")   # as lmtp() sends it
            sent += b"" if sent.endswith(b"\r\n") else b"\r\n"
            assert kept[:2] == [b"ready", b"message/rfc822"] and kept[2] == sent, kept
    # the 10 MB mail's text is cut to the body limit, whole characters
    big_sid = [s for s in (str(i) for i in range(1, 20))
               if r.hget("%s:s:%s" % (P, s), "identity") == "email:big@customer.example"][0]
    assert len(transcript(r, P, big_sid)[0][1].encode()) <= 65536


def rpc_structs(out):
    """kamcmd's answer of an array of structs: [{key: value}] (harness.parse_kamcmd keeps
    one struct's keys)"""
    out_list, cur = [], None
    for line in out.splitlines():
        line = line.strip()
        if line == "{":
            cur = {}
            out_list.append(cur)
        elif line == "}":
            cur = None
        elif cur is not None and ":" in line:
            key, _, value = line.partition(":")
            cur[key.strip()] = value.strip()
    return out_list


@test
def test_email_the_mailboxes_rpc_names_each_mailbox_and_where_its_mail_comes_and_goes(ctx):
    """kamcmd email.mailboxes: one struct per mailbox, in the order given - its name,
    address, tenant, queue, skills, the LMTP listener and its SMTP server (or that replies
    are not sent) - and never a password."""
    second = ("name=sales;address=sales@example.com;queue=presales;skills='cn,vip';priority=5;"
              "smtp=smtp://127.0.0.1:2587;smtp_user=sales@example.com;smtp_password=s3cret-pw")
    rs, k = email_kam(ctx, params={"mailbox2": second})
    rc, out = k.rpc("email.mailboxes")
    assert rc == 0, out
    assert rpc_structs(out) == [
        {"name": "support", "address": "support@example.com", "tenant": "(default)",
         "queue": "mail", "skills": "", "lmtp": "127.0.0.1:%d" % k.lmtp_port,
         "smtp": "(none: replies are not sent)"},
        {"name": "sales", "address": "sales@example.com", "tenant": "(default)",
         "queue": "presales", "skills": "cn,vip", "lmtp": "127.0.0.1:%d" % k.lmtp_port,
         "smtp": "smtp://127.0.0.1:2587"}], out
    assert "s3cret-pw" not in out


def session(r, sid):
    return r.hgetall("%s:s:%s" % (P, sid))


def taken_by(k, r, sid, aid):
    """session sid offered to agent aid, who accepts it"""
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "agent") == aid, what="the offer of %s" % sid)
    ok_rpc(k, "omniq.accept", sid, aid)


def mail_agent(k, aid="mei"):
    """an available agent who takes the support mailbox's mail (queue mail)"""
    agent(k, aid, skills="mail:5", caps="chat=4,email=8")
    ok_rpc(k, "omniq.agent_state", aid, "available")


@test
def test_email_a_subject_alone_threads_nothing(ctx):
    """Threading is by the reply address, a signed token, In-Reply-To or References, never
    by the subject: "Re: <the same subject>" with none of them, from a customer whose
    session is closed, opens a new session (the closed one is not reopened, though
    reopen_window reopens it for an answer on its thread), and the same from another
    sender never joins that customer's session."""
    rs, k = email_kam(ctx, params={"reopen_window": 3600, "wrapup_time": 0})
    r = rs.client()
    mail_agent(k)
    first = mail()
    a = stored_sid(deliver(k, first))
    taken_by(k, r, a, "mei")
    ok_rpc(k, "omniq.close", a)
    assert session(r, a)["state"] == "closed"
    # the customer writes again under the same subject, as a new mail
    b = stored_sid(deliver(k, mail(subject="Re: 发票抬头错了", text="发票还是没收到")))
    assert b != a and session(r, a)["state"] == "closed", (a, b, session(r, a))
    # another customer, the same subject: a session of their own
    c = stored_sid(deliver(k, mail(sender="wang.fang@customer.example", name="王芳",
                                   subject="Re: 发票抬头错了", text="我的发票也错了")))
    assert c not in (a, b)
    assert session(r, c)["customer"] != session(r, a)["customer"]
    assert session(r, c)["identity"] == "email:wang.fang@customer.example"
    # the first customer again, the subject of the session open now: not joined either
    d = stored_sid(deliver(k, mail(subject="Re: 发票抬头错了", text="第三封")))
    assert d not in (a, b, c)
    assert [len(transcript(r, P, x)) for x in (a, b, c, d)] == [1, 1, 1, 1]
    # an answer on the closed session's thread (In-Reply-To) reopens it
    ans = mail(subject="Re: 发票抬头错了", text="补充", in_reply_to=first["Message-ID"])
    assert stored_sid(deliver(k, ans)) == a
    assert session(r, a)["state"] in ("queued", "offered"), session(r, a)
    assert len(transcript(r, P, a)) == 2


@test
def test_email_a_customer_known_by_phone_writes_as_the_same_customer(ctx):
    """A customer who called first, their email address linked to their phone number
    (omniq.link): their mail's session is that customer's, however the address is cased,
    and the customer's history holds both."""
    rs, k = email_kam(ctx)
    r = rs.client()
    call = k.rpc_struct("omniq.enqueue", "phone", "phone:+8613800138000", "", 0)
    cid = session(r, call["sid"])["customer"]
    assert cid, call
    ok_rpc(k, "omniq.link", "phone:+8613800138000", "email:li.lei@customer.example")
    sid = stored_sid(deliver(k, mail(sender="Li.Lei@Customer.Example")))
    assert sid != call["sid"]
    s = session(r, sid)
    assert (s["customer"], s["identity"]) == (cid, "email:li.lei@customer.example"), s
    c = k.rpc_struct("omniq.customer", "phone:+8613800138000")
    assert sorted(c["history"].split(",")) == sorted([call["sid"], sid]), c
    assert c["identities"] == "email:li.lei@customer.example,phone:+8613800138000", c


@test
def test_email_unlabelled_text_is_read_with_charset_fallback(ctx):
    """charset_fallback decides how text with no charset label is read: with BIG5,WINDOWS-1252
    (a site whose customers write Big5) an unlabelled Big5 mail reads as Big5 - the default
    list, GB18030 first, reads the same bytes as other characters - and a Latin-1 one, whose
    bytes are not all Big5, as Windows-1252."""
    rs, k = email_kam(ctx, params={"charset_fallback": "BIG5,WINDOWS-1252"})
    r = rs.client()

    def unlabelled(sender, subject, text, charset):
        return (b"From: " + sender.encode() + b"\r\nTo: support@example.com\r\nSubject: "
                + subject.encode(charset) + b"\r\nMessage-ID: " + make_msgid().encode()
                + b"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
                b"Content-Transfer-Encoding: 8bit\r\n\r\n" + text.encode(charset) + b"\r\n")
    big5 = unlabelled("chen@customer.example", "退貨", "請問退貨流程？", "big5")
    # the test means something: GB18030 takes these bytes, as other characters
    assert "請問退貨流程？".encode("big5").decode("gb18030") != "請問退貨流程？"
    sid = stored_sid(deliver(k, big5))
    assert transcript(r, P, sid) == [("in", "Subject: 退貨\n\n請問退貨流程？")], transcript(r, P, sid)
    latin = unlabelled("marie@customer.example", "Facture", "Café crème, s'il vous plaît",
                       "latin-1")
    sid = stored_sid(deliver(k, latin))
    assert transcript(r, P, sid)[0][1] == "Subject: Facture\n\nCafé crème, s'il vous plaît"


class SilentServer:
    """A TCP server that takes connections and never says a word (an SMTP server that
    hangs): conns, [accepted, closed] times of each connection, closed when the client
    gave up; close() stops listening (then no connection is taken)."""

    def __init__(self):
        self.port = free_port()
        self.sock = socket.create_server(("127.0.0.1", self.port))
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            times = [time.time(), None]
            self.conns.append(times)
            threading.Thread(target=self._hold, args=(c, times), daemon=True).start()

    @staticmethod
    def _hold(c, times):
        try:
            while c.recv(4096):
                pass
        except OSError:
            pass
        times[1] = time.time()
        c.close()

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)   # wakes the accept(), which close() does not
        except OSError:
            pass
        self.sock.close()

    stop = close


@test
def test_email_a_reply_to_a_server_that_hangs_or_is_gone_is_tried_again_then_fails(ctx):
    """The submission server takes the connection and never answers: each attempt gives up
    after smtp_timeout (1 s here, not the 30 s default), the reply is tried again after
    retry_interval and fails after `attempts` (2) with the reason; the same when nothing
    listens any more."""
    srv = SilentServer()
    ctx.servers.append(srv)
    rs, k = email_kam(ctx, mailbox="name=support;address=support@example.com;queue=mail;"
                      "smtp=smtp://127.0.0.1:%d;smtp_tls=none" % srv.port,
                      params={"smtp_timeout": 1000, "attempts": 2, "retry_interval": 100})
    r = rs.client()
    mail_agent(k)
    sid = stored_sid(deliver(k, mail()))
    taken_by(k, r, sid, "mei")
    ok_rpc(k, "omniq.reply", sid, "mei", "请稍等")
    wait_for(lambda: [s for s, _ in delivery_states(rs, P, sid)] == ["failed"], timeout=20,
             what="the reply failed")
    (_, why), = delivery_states(rs, P, sid)
    assert re.search(r"did not take it: .*timed out after 10\d\d milliseconds", why), why
    assert why.endswith("(2 attempts)"), why
    wait_for(lambda: len(srv.conns) == 2 and srv.conns[1][1], timeout=5, what="both given up")
    held = [c - a for a, c in srv.conns]
    assert all(0.9 < h < 5 for h in held), held
    # nothing listens: each attempt refused at once, the same end
    srv.close()
    ok_rpc(k, "omniq.reply", sid, "mei", "还在吗")
    wait_for(lambda: [s for s, _ in delivery_states(rs, P, sid)] == ["failed", "failed"],
             timeout=20, what="the second reply failed")
    why = delivery_states(rs, P, sid)[1][1]
    assert "did not take it" in why and "connect" in why and why.endswith("(2 attempts)"), why
    assert len(srv.conns) == 2
    # given up after its attempts, not refused (send_failed counts refusals): the core's count
    assert (k.stat("omniq_email:send_failed"), k.stat("omniq_email:sent")) == (0, 0)
    assert (k.stat("omniq:outbound_failed"), k.stat("omniq:outbound_retries")) == (2, 4)
