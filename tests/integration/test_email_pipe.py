"""The email channel behind Postfix's pipe(8) transport: omniq-deliver (tools/omniq_deliver)
takes each mail on stdin, speaks LMTP to omniq_email's listener and turns its answer into the
exit status pipe(8) understands - a mail omniq cannot store now stays in Postfix's queue.

The Postfix tests run the transport of cfg/postfix-omniq-pipe.cf as written (its master.cf
lines with the built program and the test's port) in tests/integration/mailrig.py's real
Postfix; the program's own tests drive it alone against mailrig's LMTP recorder and against
sockets that misbehave.
"""
import email
import email.policy
import os
import re
import socket
import subprocess
import threading
import time

from email.header import Header
from email.utils import make_msgid

import mailrig
from harness import BUILD, TOP, free_port, test, wait_for
from test_email import P
from test_email_postfix import mailbox_defines, sessions
from test_wechat import transcript

EXAMPLE = os.path.join(TOP, "cfg", "postfix-omniq-pipe.cf")
EXAMPLE_BIN = "/usr/local/lib/omniq/omniq-deliver"   # where the example and the docs put it
EXAMPLE_LISTEN = "127.0.0.1:2424"
VALGRIND = "/usr/bin/valgrind"

# <sysexits.h>
EX_OK, EX_USAGE, EX_DATAERR, EX_NOUSER, EX_UNAVAILABLE, EX_TEMPFAIL = 0, 64, 65, 67, 69, 75


def deliver_bin():
    """the omniq-deliver `make` built (build/bin; a coverage run's OMNIQ_BUILD has none)"""
    for d in (BUILD, os.path.join(TOP, "build")):
        path = os.path.join(d, "bin", "omniq-deliver")
        if os.access(path, os.X_OK):
            return path
    raise AssertionError("no omniq-deliver in %s/bin: `make` (its modules target) builds it"
                         % BUILD)


def deliver(args, data=b"", stdin=None, timeout=30, wrap=()):
    """omniq-deliver run with args, the message data on stdin (or the open file stdin):
    (exit status, stdout, stderr, seconds it took)"""
    t0 = time.time()
    r = subprocess.run(list(wrap) + [deliver_bin()] + list(args),
                       input=None if stdin else data, stdin=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return (r.returncode, r.stdout.decode("utf-8", "replace"),
            r.stderr.decode("utf-8", "replace"), time.time() - t0)


def example():
    """cfg/postfix-omniq-pipe.cf: (its master.cf lines, its main.cf settings) - a line that
    starts with a blank, or whose first word has no "=" after it, is master.cf's"""
    master, main = [], {}
    with open(EXAMPLE) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            if line[0].isspace() or not re.match(r"\S+\s*=", line):
                master.append(line)
            else:
                key, _, value = line.partition("=")
                main[key.strip()] = value.strip()
    return master, main


def example_master(port):
    """the example's master.cf lines with the built program and the listener on port"""
    return [l.replace(EXAMPLE_BIN, deliver_bin()).replace(EXAMPLE_LISTEN, "127.0.0.1:%d" % port)
            for l in example()[0]]


def pipe_rig(ctx, port, master=None, **kw):
    """the rig with the example's transport (example_master(port), or master) for every
    address @example.com, and the example's main.cf settings but transport_maps (the rig
    routes the whole domain, and the customers' to Dovecot)"""
    main = example()[1]
    main.pop("transport_maps")
    master = master or example_master(port)
    return mailrig.start_rig(ctx, support_transport="omniq:",
                             extra={"master.cf": master, "main.cf": main}, **kw)


def site(ctx, **defines):
    """redis, kamailio with omniq_email's LMTP listener, and the rig delivering @example.com
    to it through the pipe transport"""
    port = free_port()
    rig = pipe_rig(ctx, port)
    rs = ctx.redis()
    k = ctx.kamailio("omniq.cfg", rs.port, defines=mailbox_defines(
        "queue=mail", OMNIQ_EMAIL_LMTP='"127.0.0.1:%d"' % port, **defines))
    return rig, rs, k


def mail_8bit(subject, text, sender="alice@customer.example", to="support@example.com"):
    """a customer's mail as many clients send it: the subject RFC 2047 encoded, the text
    UTF-8 in 8 bits (no base64: its lines, dots and all, travel as written)"""
    return ("From: =?utf-8?b?54ix5Li95Lid?= <%s>\nTo: %s\nSubject: %s\nMessage-ID: %s\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 8bit\n\n%s\n" % (
                sender, to, Header(subject, "utf-8").encode(),
                make_msgid(domain="customer.example"), text)).encode("utf-8")


def postfix_lines(rig, queue_id):
    """Postfix's log lines of one message"""
    with open(rig.files["postfix.log"], encoding="utf-8", errors="replace") as f:
        return [l for l in f if ": %s: " % queue_id in l]


# ---- through Postfix ----

@test
def test_email_pipe_a_customers_mail_reaches_omniq_through_postfixs_pipe(ctx):
    """alice writes to support@ through Postfix, whose pipe transport runs omniq-deliver:
    a session opens with her mail, its Chinese subject and its text intact - the lines that
    are a lone dot or start with one too - stored once, and Postfix logs it delivered by the
    pipe (status=sent, its queue empty)."""
    rig, rs, k = site(ctx)
    r = rs.client()
    text = "你好，路由器昨天开始无法联网。\n.\n..两个点开头\n.一个点开头\n谢谢"
    qid = rig.send(mail_8bit("路由器无法联网", text), "alice@customer.example",
                   ["support@example.com"])
    wait_for(lambda: sessions(r), timeout=20, what="the mail's session")
    wait_for(lambda: not rig.queue(), timeout=20, what="Postfix's queue empty")
    sid, = sessions(r)
    assert r.hget("%s:s:%s" % (P, sid), "identity") == "email:alice@customer.example"
    assert transcript(r, P, sid) == [("in", "Subject: 路由器无法联网\n\n" + text)], \
        transcript(r, P, sid)
    sent = [l for l in postfix_lines(rig, qid) if "status=sent" in l]
    assert len(sent) == 1 and "relay=omniq" in sent[0] and "delivered via omniq service" in \
        sent[0] and "250 2.0.0 stored in session %s" % sid in sent[0], postfix_lines(rig, qid)
    time.sleep(1)     # nothing more comes: stored once
    assert sessions(r) == [sid] and len(transcript(r, P, sid)) == 1
    assert k.stat("omniq_email:received") == 1


@test
def test_email_pipe_keeps_the_mail_while_omniq_cannot_store_it(ctx):
    """Redis down: omniq answers 451, omniq-deliver exits saying 4.3.0 and Postfix keeps the
    mail in its queue, deferred with omniq's words; Redis back and the queue flushed, the mail
    is stored, once."""
    rig, rs, k = site(ctx)
    r = rs.client()
    ctx.expect_redis_down(rs)
    ctx.expect_log(r"omniq_email \[email_inbound\.c:\d+]: deliver\(\): mail from "
                   r"<alice@customer\.example> to support not stored: .*")
    rs.stop()
    qid = rig.send(mail_8bit("还在吗", "有人吗？"), "alice@customer.example",
                   ["support@example.com"])
    q = rig.wait_queue(lambda q: q and q[0]["queue_name"] == "deferred", timeout=20,
                       what="the mail deferred")
    (m,) = q
    (rc,) = m["recipients"]
    assert rc["address"] == "support@example.com", m
    assert re.match(r"omniq_email at 127\.0\.0\.1:\d+ answered <support@example\.com> after "
                    r"the data: 451 4\.3\.0 ", rc["delay_reason"]), rc
    deferred = [l for l in postfix_lines(rig, qid) if "status=deferred" in l]
    assert deferred and all("relay=omniq" in l and "dsn=4.3.0" in l for l in deferred), deferred
    rs.start()
    rig.flush()
    wait_for(lambda: sessions(r), timeout=30, what="the mail stored on Postfix's retry")
    wait_for(lambda: not rig.queue(), timeout=20, what="Postfix's queue empty")
    time.sleep(1)
    sid, = sessions(r)
    assert transcript(r, P, sid) == [("in", "Subject: 还在吗\n\n有人吗？")], transcript(r, P, sid)
    assert len([l for l in postfix_lines(rig, qid) if "status=sent" in l]) == 1


@test
def test_email_pipe_a_mail_omniq_refuses_bounces_with_its_words(ctx):
    """What omniq refuses for good bounces at once, never deferred: a mail over max_message
    (sent whole, omniq answers 552 5.3.4 after the data) and a mail to an address that is no
    mailbox of omniq (550 5.1.1 at RCPT) come back to alice, each with omniq's words; nothing
    stored."""
    rig, rs, k = site(ctx, OMNIQ_EMAIL_MAX_MESSAGE="65536")
    r = rs.client()
    big = rig.send(mail_8bit("附件太大", "大" * 40000), "alice@customer.example",
                   ["support@example.com"])
    nobody = rig.send(mail_8bit("销售", "你好"), "alice@customer.example",
                      ["sales@example.com"])
    got = rig.wait_mailbox("alice@customer.example", 2, timeout=30)
    reports = {}
    for raw in got:
        b = email.message_from_bytes(raw, policy=email.policy.default)
        assert b["From"].addresses[0].username == "MAILER-DAEMON", b["From"]
        text = " ".join(b.get_body(("plain",)).get_content().split())   # Postfix folds it
        status = [p for p in b.walk() if p.get_content_type() == "message/delivery-status"]
        assert status, raw
        reports[re.search(r"<(\w+)@example\.com>", text).group(1)] = (text, str(
            status[0].get_payload()[1]))
    assert sorted(reports) == ["sales", "support"], reports
    text, dsn = reports["support"]
    assert "552 5.3.4 message over the limit of 65536 bytes" in text, text
    assert "Status: 5.3.4" in dsn and "Action: failed" in dsn, dsn
    text, dsn = reports["sales"]
    assert "550 5.1.1 <sales@example.com>: no mailbox of omniq here" in text, text
    assert "Status: 5.1.1" in dsn, dsn
    for qid in (big, nobody):
        lines = postfix_lines(rig, qid)
        assert any("status=bounced" in l and "relay=omniq" in l for l in lines), lines
        assert not any("status=deferred" in l for l in lines), lines
    assert sessions(r) == [] and rig.queue() == []
    assert k.stat("omniq_email:received") == 0


@test
def test_email_pipe_example_config_as_written(ctx):
    """cfg/postfix-omniq-pipe.cf as written: Postfix's postmap finds its transport for the
    support address; its master.cf lines (with the built program and the test's port) deliver
    a customer's 8-bit mail, a reply address's and a bounce's - the null sender handed over
    empty (null_sender=) - to an LMTP server, byte for byte after Postfix's Received header;
    docs/admin-email.md shows the same lines."""
    master, main = example()
    assert main["recipient_delimiter"] == "+" and main["omniq_destination_recipient_limit"] == "1"
    conf = os.path.join(ctx.dir, "postmap")
    os.makedirs(conf)
    open(os.path.join(conf, "main.cf"), "w").close()
    out = subprocess.run(["/usr/sbin/postmap", "-c", conf, "-q", "support@example.com",
                          main["transport_maps"]], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "omniq:", out
    assert master[0].split()[0] == "omniq" and master[0].split()[-1] == "pipe", master
    assert any(EXAMPLE_BIN in l and EXAMPLE_LISTEN in l for l in master), master
    with open(os.path.join(TOP, "docs", "admin-email.md")) as f:
        docs = f.read()
    assert all(l in docs for l in master), "docs/admin-email.md lacks the example's lines"
    rec = mailrig.LmtpRecorder().start()
    ctx.servers.append(rec)
    rig = pipe_rig(ctx, rec.port)
    first = mail_8bit("发票", "请开发票\n.\n.点")
    rig.send(first, "alice@customer.example", ["support@example.com"])
    rig.send(mail_8bit("Re: 发票", "谢谢"), "alice@customer.example",
             ["support+omniq-1-x@example.com"])
    bounce = (b"From: Mail Delivery System <MAILER-DAEMON@customer.example>\n"
              b"To: support@example.com\nSubject: Undelivered Mail Returned to Sender\n\n"
              b"\xe9\x80\x80\xe4\xbf\xa1\n")
    rig.send(bounce, "", ["support@example.com"])
    got = rec.wait(3, timeout=30)
    by_rcpt = {}
    for m in got:
        assert len(m["rcpts"]) == 1 and m["mail_params"] == ["BODY=8BITMIME"], m
        by_rcpt.setdefault(m["rcpts"][0], []).append(m)
    assert sorted(by_rcpt) == ["support+omniq-1-x@example.com", "support@example.com"], by_rcpt
    mails = sorted(by_rcpt["support@example.com"], key=lambda m: m["mail_from"])
    assert [m["mail_from"] for m in mails] == ["", "alice@customer.example"], mails
    for m, sent in ((mails[1], first), (mails[0], bounce)):
        # Postfix's Received header (folded), then the mail as it was sent
        head, _, rest = m["data"].partition(b"\r\n")
        while rest[:1] in (b" ", b"\t"):
            _, _, rest = rest.partition(b"\r\n")
        assert head.startswith(b"Received: from ") and rest == mailrig.crlf(sent), m["data"]
    assert by_rcpt["support+omniq-1-x@example.com"][0]["mail_from"] == "alice@customer.example"
    wait_for(lambda: not rig.queue(), timeout=20, what="Postfix's queue empty")


@test
def test_email_pipe_a_wrong_command_line_defers_the_mail(ctx):
    """A master.cf mistake bounces no mail: with null_sender= left out, pipe(8) passes a
    bounce's sender as MAILER-DAEMON, omniq-deliver refuses it as a usage error (exit 64)
    saying 4.3.5, and Postfix keeps that mail, deferred with the mistake named; the other
    mail of the same transport is delivered."""
    rec = mailrig.LmtpRecorder().start()
    ctx.servers.append(rec)
    master = [l.replace(" null_sender=", "") for l in example_master(rec.port)]
    assert not any("null_sender" in l for l in master), master
    rig = pipe_rig(ctx, rec.port, master=master)
    qid = rig.send(b"From: MAILER-DAEMON@customer.example\nSubject: bounce\n\nreport\n", "",
                   ["support@example.com"])
    rig.send(mail_8bit("q", "question"), "alice@customer.example", ["support@example.com"])
    (m,) = rec.wait(1, timeout=20)
    assert m["mail_from"] == "alice@customer.example", m
    (q,) = rig.wait_queue(lambda q: len(q) == 1 and q[0]["queue_name"] == "deferred",
                          timeout=20, what="the bounce deferred")
    assert q["queue_id"] == qid, q
    assert q["recipients"][0]["delay_reason"].startswith(
        "omniq-deliver: the sender 'MAILER-DAEMON' is no address (local@domain, or '' for "
        "none: pipe(8)'s null_sender= attribute); usage: "), q
    lines = postfix_lines(rig, qid)
    assert any("status=deferred" in l and "dsn=4.3.5" in l for l in lines), lines
    assert not any("status=bounced" in l for l in lines), lines
    assert len(rec.messages) == 1


# ---- the program alone ----

def stuffed_mail():
    """a message with every line that dot-stuffing and line ends are about: a lone dot, two
    dots, a dot and text, a dot last; bare LFs and CR LFs mixed; 8-bit bytes (UTF-8, GBK,
    every byte over 127); no line end at its very end"""
    return (b"Subject: =?utf-8?b?5rWL6K+V?=\nX-Crlf: yes\r\n\n"
            b".\n..\n.x\n...three\nmid . dot\n\xe4\xbd\xa0\xe5\xa5\xbd\r\n"
            b"\xc4\xe3\xba\xc3 (GBK)\n" + bytes(range(128, 256)) + b"\n\n.\n\nlast, no line end")


def on_the_wire(raw):
    """what DATA must carry, unstuffed: every bare LF made CR LF, the last line ended"""
    raw = re.sub(rb"(?<!\r)\n", b"\r\n", raw)
    return raw if raw.endswith(b"\r\n") else raw + b"\r\n"


@test
def test_email_pipe_deliver_sends_the_message_as_it_came(ctx):
    """omniq-deliver alone against an LMTP server: the lines with dots arrive intact
    (stuffed on the wire, unstuffed by the server), bare LFs become CR LF and CR LFs stay
    one, 8-bit bytes are kept (BODY=8BITMIME when offered, nothing said when not), the null
    sender goes as MAIL FROM:<> ("" or "<>"), every recipient in order; a CR LF and a dot
    line cut by the 64 KiB reads arrive whole; the same run under valgrind is clean."""
    rec = mailrig.LmtpRecorder().start()
    ctx.servers.append(rec)
    a = "127.0.0.1:%d" % rec.port
    raw = stuffed_mail()
    rc, out, err, _ = deliver(["-a", a, "-f", "alice@customer.example", "--",
                               "support@example.com", "support+omniq-7-ab@example.com"], raw)
    assert rc == EX_OK and err == "", (rc, err)
    assert out.splitlines() == ["<%s>: 250 2.0.0 <%s> delivered" % (x, x) for x in (
        "support@example.com", "support+omniq-7-ab@example.com")], out
    m = rec.messages[-1]
    assert m["data"] == on_the_wire(raw), m["data"]
    assert (m["mail_from"], m["mail_params"], m["rcpts"]) == (
        "alice@customer.example", ["BODY=8BITMIME"],
        ["support@example.com", "support+omniq-7-ab@example.com"]), m
    assert m["lhlo"] == socket.gethostname(), m["lhlo"]
    for sender in ("", "<>"):
        rc, out, err, _ = deliver(["-a", a, "-f", sender, "--", "support@example.com"], raw)
        assert rc == EX_OK and rec.messages[-1]["mail_from"] == "", (rc, err, rec.messages[-1])
        assert out == "250 2.0.0 <support@example.com> delivered\n", out
    # an empty message: the final dot alone
    rc, _, err, _ = deliver(["-a", a, "-f", "a@b.example", "--", "support@example.com"], b"")
    assert rc == EX_OK and rec.messages[-1]["data"] == b"", (rc, err)
    # a server without 8BITMIME: no BODY=, the bytes still as they came
    plain = mailrig.LmtpRecorder(extensions=("PIPELINING", "ENHANCEDSTATUSCODES")).start()
    ctx.servers.append(plain)
    rc, _, err, _ = deliver(["-a", "127.0.0.1:%d" % plain.port, "-f", "a@b.example", "--",
                             "support@example.com"], raw)
    assert rc == EX_OK and plain.messages[-1]["mail_params"] == [], (rc, err, plain.messages)
    assert plain.messages[-1]["data"] == on_the_wire(raw)
    # reads of 64 KiB from a file: CR | LF and LF | "." across the cut
    for cut in (b"\r\n", b"\n."):
        head = b"Subject: big\n\n"
        raw2 = head + b"x" * (65535 - len(head)) + cut + b"..after the cut\n" + \
            b"y" * 70000 + b"\n.\n"
        assert raw2[65535:65537] == cut
        path = os.path.join(ctx.dir, "big.eml")
        with open(path, "wb") as f:
            f.write(raw2)
        with open(path, "rb") as f:
            rc, _, err, _ = deliver(["-a", a, "-f", "a@b.example", "--", "support@example.com"],
                                    stdin=f)
        assert rc == EX_OK, (rc, err)
        assert rec.messages[-1]["data"] == on_the_wire(raw2), cut
    # valgrind: no error, no leak
    assert os.access(VALGRIND, os.X_OK), "valgrind missing (scripts/deps.sh test installs it)"
    n = len(rec.messages)
    rc, out, err, _ = deliver(["-a", a, "-f", "", "--", "support@example.com"], raw, timeout=120,
                              wrap=[VALGRIND, "--error-exitcode=99", "--leak-check=full",
                                    "--errors-for-leak-kinds=definite,indirect,possible", "-q"])
    assert rc == EX_OK and err == "" and len(rec.messages) == n + 1, (rc, err)
    assert rec.messages[-1]["data"] == on_the_wire(raw)


def serve_once(greeting, then="close"):
    """a socket server of one connection: it sends greeting (bytes), then closes ("close"),
    or reads the commands and answers 250, 354 to DATA, and closes once the data has come
    without answering ("drop")"""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def run():
        conn, _ = srv.accept()
        with conn:
            conn.sendall(greeting)
            if then == "drop":
                f = conn.makefile("rb")
                while True:
                    line = f.readline()
                    if not line or line.upper().startswith(b"QUIT"):
                        return
                    if line.upper().startswith(b"DATA"):
                        conn.sendall(b"354 go on\r\n")
                        while f.readline() not in (b".\r\n", b""):
                            pass
                        return
                    conn.sendall(b"250 ok\r\n")
        srv.close()
    threading.Thread(target=run, daemon=True).start()
    return srv


@test
def test_email_pipe_deliver_exit_codes_say_what_postfix_must_do(ctx):
    """omniq-deliver's exit status and first line: a 4xx after the data, no listener, a
    server that never answers (75 within -t, not a hang), one that closes after its greeting
    or in the middle of the mail, a 421 greeting -> 75, 4.x.x; a 5xx after the data -> 65, at
    RCPT -> 67, a 554 greeting -> 69, 5.x.x and the server's words; of two recipients any 4xx
    -> 75; wrong arguments -> 64 saying 4.3.5 (Postfix defers)."""
    rec = mailrig.LmtpRecorder().start()
    ctx.servers.append(rec)
    a = "127.0.0.1:%d" % rec.port
    to = ["--", "support@example.com"]
    raw = mail_8bit("测试", "内容")

    def run(*args, data=raw):
        return deliver(["-f", "alice@customer.example"] + list(args), data)

    rec.answer = "451 4.3.0 cannot look up the conversation now: Redis unavailable"
    rc, out, err, _ = run("-a", a, *to)
    assert (rc, out) == (EX_TEMPFAIL, ""), (rc, out)
    assert err == ("4.3.0 omniq_email at %s answered <support@example.com> after the data: 451 "
                   "4.3.0 cannot look up the conversation now: Redis unavailable\n" % a), err
    rec.answer = "552 5.3.4 message over the limit of 65536 bytes"
    rc, _, err, _ = run("-a", a, *to)
    assert rc == EX_DATAERR and err.startswith("5.3.4 ") and err.rstrip().endswith(
        "552 5.3.4 message over the limit of 65536 bytes"), (rc, err)
    rec.answer = "550 no enhanced code"
    rc, _, err, _ = run("-a", a, *to)
    assert rc == EX_DATAERR and err.startswith("5.0.0 ") and "550 no enhanced code" in err, err
    rec.answer = lambda stage, rcpt, m: "550 5.1.1 <%s>: no mailbox of omniq here" % rcpt \
        if stage == "RCPT" else None
    rc, _, err, _ = run("-a", a, "--", "sales@example.com")
    assert rc == EX_NOUSER and err.startswith("5.1.1 omniq_email at %s answered RCPT "
                                              "TO:<sales@example.com>: 550 5.1.1" % a), err
    # two recipients: a 4xx for one makes it 75 (omniq knows the other's redelivery)
    rec.answer = lambda stage, rcpt, m: "451 4.3.0 later" \
        if stage == "DATA" and rcpt.startswith("b") else None
    rc, _, err, _ = run("-a", a, "--", "a@example.com", "b@example.com")
    assert rc == EX_TEMPFAIL and err.startswith("4.3.0 ") and "<b@example.com>" in \
        err.splitlines()[0], err
    # a 5xx for one, 2xx for the other: the 5xx decides
    rec.answer = lambda stage, rcpt, m: "554 5.6.0 no" \
        if stage == "DATA" and rcpt.startswith("b") else None
    rc, _, err, _ = run("-a", a, "--", "a@example.com", "b@example.com")
    assert rc == EX_DATAERR and err.startswith("5.6.0 "), (rc, err)
    # nothing listening
    port = free_port()
    rc, _, err, took = run("-a", "127.0.0.1:%d" % port, *to)
    assert rc == EX_TEMPFAIL and err == "4.4.1 cannot connect to omniq_email's LMTP at " \
        "127.0.0.1:%d: Connection refused\n" % port, (rc, err)
    # a listener that never answers: within -t
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen(1)
    try:
        rc, _, err, took = run("-a", "127.0.0.1:%d" % mute.getsockname()[1], "-t", "2", *to)
    finally:
        mute.close()
    assert rc == EX_TEMPFAIL and err.startswith("4.4.2 ") and "did not answer within 2 s" \
        in err, (rc, err)
    assert 1.9 <= took < 4, took
    for greeting, then, code, dsn, words in (
            (b"220 x LMTP\r\n", "close", EX_TEMPFAIL, "4.4.2", "closed the connection"),
            (b"220 x LMTP\r\n", "drop", EX_TEMPFAIL, "4.4.2", "closed the connection"),
            (b"421 4.3.2 too many connections, try again later\r\n", "close", EX_TEMPFAIL,
             "4.3.2", "greeted: 421 4.3.2 too many connections"),
            (b"554 5.7.1 go away\r\n", "close", EX_UNAVAILABLE, "5.7.1", "greeted: 554 5.7.1"),
            (b"HTTP/1.1 400 Bad Request\r\n", "close", EX_TEMPFAIL, "4.4.2",
             "answered what is not LMTP")):
        srv = serve_once(greeting, then)
        try:
            rc, _, err, _ = run("-a", "127.0.0.1:%d" % srv.getsockname()[1], "-t", "10", *to)
        finally:
            srv.close()
        assert rc == code and err.startswith(dsn + " ") and words in err, (greeting, then, rc,
                                                                          err)
    # wrong arguments: 64, and a first line Postfix reads as 4.3.5 (it defers)
    n, conns = len(rec.messages), rec.connections
    for args in ([], ["-f", "a@b.example", "--", "x@example.com"],
                 ["-a", a, "--", "x@example.com"], ["-a", a, "-f", "a@b.example"],
                 ["-a", a, "-f", "a@b.example", "-t", "0", "--", "x@example.com"],
                 ["-a", a, "-f", "a@b.example", "-t", "soon", "--", "x@example.com"],
                 ["-a", "127.0.0.1", "-f", "a@b.example", "--", "x@example.com"],
                 ["-a", "127.0.0.1:99999", "-f", "a@b.example", "--", "x@example.com"],
                 ["-a", a, "-f", "MAILER-DAEMON", "--", "x@example.com"],
                 ["-a", a, "-f", "a@b.example", "--", "no-domain"],
                 ["-a", a, "-f", "a@b.example", "--", "x@example.com\r\nRSET"],
                 ["-a", a, "-f", "a@b.example", "-z", "--", "x@example.com"],
                 ["-a", a, "-f", "a@b.example", "--"] + ["r%d@example.com" % i for i in range(33)]):
        rc, out, err, _ = deliver(args, raw)
        assert rc == EX_USAGE and out == "" and err.startswith("4.3.5 omniq-deliver: ") and \
            "usage: omniq-deliver -a host:port -f sender [-t seconds] -- recipient..." in err, \
            (args, rc, err)
    assert (len(rec.messages), rec.connections) == (n, conns), "a usage error connected"
