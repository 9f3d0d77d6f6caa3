"""Self-tests of the mail rig (tests/integration/mailrig.py): a real Postfix and a real Dovecot,
driven as the email channel's tests will drive them.

The email module's tests will trust the rig to carry mail as the internet and a mail client
would, to put the company's mail on the module's LMTP port and the customers' in Dovecot, and
they will trust what its docstring says Postfix and Dovecot do. Each test here checks one of
those claims against the real servers, so a rig or a docstring that is wrong fails here first,
not as a puzzling failure of the module's tests.
"""
import email
import email.policy
import json
import os
import re
import smtplib
import socket
import subprocess
import sys
import time

from harness import test, wait_for
from mailrig import LmtpRecorder, MailRig, alive, crlf, start_rig
from rigproc import procs_naming

DOMAIN, CUSTOMERS = "example.com", "customer.example"
SUPPORT, ALICE, BOB = "support@example.com", "alice@customer.example", "bob@customer.example"


def recorder(ctx, answer=None, **kw):
    r = LmtpRecorder(answer, **kw).start()
    ctx.servers.append(r)
    return r


def message(to, subject="Hello", body="Hello, support.\n", charset="UTF-8", sender=BOB,
            msgid=None, extra=""):
    """A MIME message as a customer's mail client writes it: bytes, CR LF, the body 8-bit in
    the charset."""
    head = ("From: Bob Customer <%s>\nTo: %s\nSubject: %s\nMessage-ID: <%s>\n"
            "Date: Sat, 05 Dec 2026 10:00:00 +0800\nMIME-Version: 1.0\n%s"
            "Content-Type: text/plain; charset=%s\nContent-Transfer-Encoding: 8bit\n\n") % (
        sender, to, subject, msgid or "m%d.%d@customer.example" % (os.getpid(), time.time_ns()),
        extra, charset)
    return crlf(head.encode("ascii") + body.encode(charset))


def header_names(block):
    """The names of the header fields in a block of header lines (continuations folded)."""
    return [l.split(b":", 1)[0].decode() for l in block.split(b"\r\n")
            if l and not l[:1].isspace()]


def added_above(stored, sent):
    """What the servers put above the message as it was sent (which must end it, unchanged)."""
    assert stored.endswith(sent), "the stored message does not end with the sent one:\n%r\n%r" % (
        stored[-400:], sent[-400:])
    return stored[:len(stored) - len(sent)]


def port_closed(port):
    s = socket.socket()
    try:
        return s.connect_ex(("127.0.0.1", port)) != 0
    finally:
        s.close()


@test
def test_mail_rig_customer_mail_reaches_imap_intact(ctx):
    """Through smtpd into a customer's Dovecot mailbox: the message as sent, byte for byte
    (UTF-8 and GBK bodies, encoded-word subjects, dot lines), under the headers the servers
    add; readable over IMAP plain, STARTTLS and TLS."""
    rig = start_rig(ctx)
    utf8_body = "你好，客服！😀\nGrüße, € 5\n.a line with a leading dot\n.\n..\nend\n"
    m1 = message(ALICE, "=?UTF-8?B?6K6i5Y2V6Zeu6aKY?=", utf8_body, msgid="utf8@customer.example")
    gbk_body = "您好，我的订单还没有到。\n谢谢！\n"
    m2 = message(ALICE, "=?GBK?B?tqm1pQ==?=", gbk_body, charset="GBK", msgid="gbk@customer.example")
    assert b"\xc4\xfa\xba\xc3" in m2   # 您好 in GBK: the bytes are not UTF-8
    qid = rig.send(m1, BOB, [ALICE])
    assert re.fullmatch(r"[0-9A-F]{6,}", qid), qid
    rig.send(m2, BOB, [ALICE], starttls=True)
    got = rig.wait_mailbox(ALICE, 2)
    assert len(got) == 2, got
    by_id = {email.message_from_bytes(g, policy=email.policy.default)["Message-ID"]: g
             for g in got}
    assert set(by_id) == {"<utf8@customer.example>", "<gbk@customer.example>"}, list(by_id)
    for sent, stored, body, charset in ((m1, by_id["<utf8@customer.example>"], utf8_body, "utf-8"),
                                        (m2, by_id["<gbk@customer.example>"], gbk_body, "gbk")):
        top = added_above(stored, sent)
        # Dovecot's LMTP: Return-Path, Delivered-To, its Received; Postfix's Received under it
        assert header_names(top) == ["Return-Path", "Delivered-To", "Received", "Received"], top
        assert top.startswith(b"Return-Path: <%s>\r\nDelivered-To: %s\r\n" % (
            BOB.encode(), ALICE.encode())), top
        # Postfix's own Received says which came over TLS
        assert re.search(rb"\r\n\tby mail\.example\.com \(Postfix\) with %s id [0-9A-F]+\r\n" % (
            b"ESMTPS" if sent is m2 else b"ESMTP"), top), top
        p = email.message_from_bytes(stored, policy=email.policy.default)
        assert p.get_payload(decode=True).decode(charset) == body.replace("\n", "\r\n"), p
    assert str(email.message_from_bytes(by_id["<utf8@customer.example>"],
                                        policy=email.policy.default)["Subject"]) == "订单问题"
    assert str(email.message_from_bytes(by_id["<gbk@customer.example>"],
                                        policy=email.policy.default)["Subject"]) == "订单"
    # the same mailbox over STARTTLS and over TLS, the certificate checked against the rig's
    for kw in ({"starttls": True}, {"tls": True}):
        with rig.imap(ALICE, **kw) as im:
            assert im.select("INBOX", readonly=True) == ("OK", [b"2"]), kw
            typ, caps = im.capability()
            assert typ == "OK" and b"MOVE" in caps[0].split(), caps
    # a wrong password is refused
    try:
        rig.imap(ALICE, password="wrong")
    except Exception as e:
        assert "AUTHENTICATIONFAILED" in str(e) or "Authentication failed" in str(e), e
    else:
        raise AssertionError("IMAP login with a wrong password")
    # a user added while it runs gets mail and logs in at once
    rig.add_user("carol@customer.example", "pw-carol-2")
    rig.send(message("carol@customer.example", body="for carol\n"), BOB,
             ["carol@customer.example"])
    [c] = rig.wait_mailbox("carol@customer.example", 1)
    assert c.endswith(b"\r\n\r\nfor carol\r\n"), c
    rig.wait_queue(lambda q: q == [], what="the queue empty")
    assert rig.errors() == [], rig.errors()


@test
def test_mail_rig_support_mail_reaches_the_lmtp_recorder(ctx):
    """Mail for the company (support@, support+token@) goes to support_transport over LMTP:
    the envelope as sent, the message as sent under Postfix's one Received header."""
    rec = recorder(ctx)
    rig = start_rig(ctx, support_transport=rec.transport)
    a = message(SUPPORT, "plain", "first\n", msgid="a@customer.example")
    b = message("support+tok123@example.com", "=?UTF-8?B?5L2g5aW9?=", "第二封 😀\n",
                msgid="b@customer.example")
    c = message(SUPPORT, "two", "for both\n", msgid="c@customer.example")
    rig.send(a, BOB, [SUPPORT])
    rec.wait(1)
    rig.send(b, ALICE, ["support+tok123@example.com"])
    rec.wait(2)
    rig.send(c, BOB, [SUPPORT, "support+tok456@example.com"])   # (Postfix sorts them)
    got = rec.wait(3)
    assert len(got) == 3 and len(rec.messages) == 3, rec.messages
    ma, mb, mc = got
    for m, sent, sender, rcpts in ((ma, a, BOB, [SUPPORT]),
                                   (mb, b, ALICE, ["support+tok123@example.com"]),
                                   (mc, c, BOB, ["support+tok456@example.com", SUPPORT])):
        assert m["mail_from"] == sender, m
        # one transaction for both recipients of c, each answered on its own
        assert m["rcpts"] == rcpts and m["accepted"] == rcpts and m["rejected"] == [], m
        assert [r for r, _ in m["replies"]] == rcpts, m
        top = added_above(m["data"], sent)
        assert header_names(top) == ["Received"], top
        assert re.match(rb"Received: from client\.customer\.example \(unknown \[127\.0\.0\.1\]\)"
                        rb"\r\n\tby mail\.example\.com \(Postfix\) with ESMTP id [0-9A-F]+",
                        top), top
        assert m["lhlo"] == "mail.example.com", m
    # an 8-bit body is passed as 8-bit: BODY=8BITMIME, the UTF-8 bytes as they are
    assert "BODY=8BITMIME" in mb["mail_params"], mb
    assert "第二封 😀".encode() in mb["data"]
    # the customers' mail does not come here
    rig.send(message(ALICE, body="not for support\n"), BOB, [ALICE])
    rig.wait_mailbox(ALICE, 1)
    assert len(rec.messages) == 3, rec.messages
    assert rig.wait_queue(lambda q: q == [], what="an empty queue") == []
    # one reply per recipient after DATA: one taken, one deferred and tried again alone
    hold = {"support+b@example.com"}
    rec.answer = lambda stage, rcpt, msg: (
        "451 4.2.0 not now" if stage == "DATA" and rcpt in hold else None)
    d = message(SUPPORT, "two replies", "a and b\n", msgid="d@customer.example")
    rig.send(d, BOB, ["support+b@example.com", "support+a@example.com"])
    q = rig.wait_queue(lambda q: q and q[0]["queue_name"] == "deferred", what="b deferred")
    assert [r["address"] for r in q[0]["recipients"]] == ["support+b@example.com"], q
    assert "451 4.2.0 not now" in q[0]["recipients"][0]["delay_reason"], q
    md = rec.messages[3]
    assert md["replies"] == [("support+a@example.com", "250 2.0.0 <support+a@example.com> "
                              "delivered"), ("support+b@example.com", "451 4.2.0 not now")], md
    hold.clear()
    rig.flush()
    rig.wait_queue(lambda q: q == [], what="the queue empty")
    # b alone from then on (tried again by the timer too, maybe, before hold was cleared),
    # taken once, the same message
    again = rec.messages[4:]
    assert all(m["rcpts"] == ["support+b@example.com"] for m in again), again
    assert [m["accepted"] for m in again if m["accepted"]] == [["support+b@example.com"]], again
    assert again[-1]["accepted"] and again[-1]["data"] == md["data"], again
    assert md["data"].endswith(d), md
    assert rig.errors() == [], rig.errors()


def _lmtp_reply(f):
    """One LMTP reply (its lines) read from a socket file."""
    lines = []
    while True:
        line = f.readline()
        assert line.endswith(b"\r\n"), lines + [line]
        lines.append(line[:-2].decode())
        if line[3:4] == b" ":
            return lines


@test
def test_mail_rig_lmtp_recorder_speaks_rfc2033(ctx):
    """The recorder as an LMTP client meets it: LHLO, pipelined MAIL/RCPT/DATA, a reply per
    recipient after the final dot, dots unstuffed, several transactions on a connection."""
    def answer(stage, rcpt, msg):
        if stage == "RCPT" and rcpt.startswith("nobody@"):
            return "550 5.1.1 no such user"
        if stage == "DATA" and rcpt.startswith("full@"):
            return "452 4.2.2 mailbox full"
        return None

    rec = recorder(ctx, answer)
    with socket.create_connection(("127.0.0.1", rec.port), timeout=10) as s:
        f = s.makefile("rb")

        def say(*cmds):
            s.sendall(b"".join(c + b"\r\n" for c in cmds))
            return [_lmtp_reply(f) for _ in cmds]

        assert _lmtp_reply(f) == ["220 recorder.test LMTP recorder ready"]
        assert say(b"EHLO me")[0][0].startswith("500 "), "EHLO is not LMTP"
        assert say(b"MAIL FROM:<a@x>")[0][0].startswith("503 "), "MAIL before LHLO"
        assert say(b"LHLO me") == [["250-recorder.test", "250-PIPELINING",
                                    "250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250 SMTPUTF8"]]
        got = say(b"MAIL FROM:<bob@customer.example> BODY=8BITMIME", b"RCPT TO:<a@example.com>",
                  b"RCPT TO:<nobody@example.com>", b"RCPT TO:<full@example.com>", b"DATA")
        assert [g[0][:3] for g in got] == ["250", "250", "550", "250", "354"], got
        s.sendall(b"Subject: x\r\n\r\n..leading dot\r\n.\r\n")
        assert [_lmtp_reply(f) for _ in range(2)] == [
            ["250 2.0.0 <a@example.com> delivered"], ["452 4.2.2 mailbox full"]]
        # the next transaction on the same connection
        assert say(b"RSET", b"NOOP", b"DATA") == [
            ["250 2.0.0 OK"], ["250 2.0.0 OK"], ["503 5.5.1 no valid recipients"]]
        got = say(b"MAIL FROM:<>", b"RCPT TO:<b@example.com>", b"DATA")
        assert [g[0][:3] for g in got] == ["250", "250", "354"], got
        s.sendall(b"two\r\n.\r\n")
        assert _lmtp_reply(f) == ["250 2.0.0 <b@example.com> delivered"]
        assert say(b"QUIT") == [["221 2.0.0 bye"]]
        assert f.read() == b""
        f.close()
    one, two = rec.wait(2)
    assert (one["mail_from"], one["mail_params"], one["rcpts"], one["rejected"]) == (
        "bob@customer.example", ["BODY=8BITMIME"], ["a@example.com", "full@example.com"],
        [("nobody@example.com", "550 5.1.1 no such user")]), one
    assert one["data"] == b"Subject: x\r\n\r\n.leading dot\r\n", one
    assert one["accepted"] == ["a@example.com"] and rec.delivered()[0][0] == "a@example.com"
    assert (two["mail_from"], two["rcpts"], two["data"]) == ("", ["b@example.com"], b"two\r\n")
    assert rec.connections == 1 and len(rec.messages) == 2, rec.messages


@test
def test_mail_rig_8bit_to_a_7bit_lmtp_server_is_converted(ctx):
    """An LMTP server that announces neither 8BITMIME nor SMTPUTF8 gets an 8-bit body as
    quoted-printable (Postfix converts it); SMTPUTF8 alone is taken for 8BITMIME too. The
    module must announce 8BITMIME to get the bytes as sent."""
    sent = message(SUPPORT, body="你好\n")
    for exts, converted in ((("PIPELINING", "ENHANCEDSTATUSCODES"), True),
                            (("PIPELINING", "ENHANCEDSTATUSCODES", "SMTPUTF8"), False)):
        rec = recorder(ctx, extensions=exts)
        rig = MailRig(os.path.join(ctx.dir, "mail-" + "-".join(exts)),
                      support_transport=rec.transport)
        ctx.servers.append(rig)
        rig.start()
        rig.send(sent, BOB, [SUPPORT])
        [m] = rec.wait(1)
        if converted:
            assert "BODY=8BITMIME" not in m["mail_params"], m
            assert b"Content-Transfer-Encoding: quoted-printable" in m["data"], m["data"]
            assert "你好".encode() not in m["data"] and b"=E4=BD=A0=E5=A5=BD" in m["data"], m
            assert email.message_from_bytes(m["data"]).get_payload(decode=True) == \
                "你好\r\n".encode()
        else:
            assert "BODY=8BITMIME" in m["mail_params"], m
            added_above(m["data"], sent)
        rig.stop()
        rec.stop()


@test
def test_mail_rig_deferred_then_flushed_delivered_once(ctx):
    """451 after DATA: Postfix keeps the message (deferred, the answer in the queue) and tries
    again - after `retry` s by itself, or at flush() - until a 250; then it is gone from the
    queue, delivered once."""
    # retry timers long: only flush() can make a second try
    rec = recorder(ctx, "451 4.3.0 busy, come back later")
    rig = MailRig(os.path.join(ctx.dir, "mail-slow"), support_transport=rec.transport, retry=300)
    ctx.servers.append(rig)
    rig.start()
    sent = message(SUPPORT, body="please deliver me once\n")
    qid = rig.send(sent, BOB, [SUPPORT])
    rec.wait(1, accepted=False)
    q = rig.wait_queue(lambda q: q and q[0]["queue_name"] == "deferred", what="a deferred message")
    [e] = q
    assert (e["queue_id"], e["sender"]) == (qid, BOB), e
    [r] = e["recipients"]
    assert r["address"] == SUPPORT and "451 4.3.0 busy, come back later" in r["delay_reason"], r
    time.sleep(1.5)   # no second try by itself (its next one is 300 s away)
    assert len(rec.messages) == 1 and rec.delivered() == [], rec.messages
    rec.answer = None
    rig.flush()
    rig.wait_queue(lambda q: q == [], what="the queue empty after flush()")
    assert len(rec.messages) == 2, rec.messages
    [(rcpt, m)] = rec.delivered()
    assert rcpt == SUPPORT and m["data"].endswith(sent), m
    # out of the queue, nothing can try it again: delivered exactly once
    assert rig.queue() == []
    rig.stop()

    # the default timers (retry=2): tried again by itself within seconds (the first try
    # answered 451, the next 250)
    rec2 = recorder(ctx)
    rec2.answer = lambda stage, rcpt, msg: (
        "451 4.3.0 busy" if stage == "DATA" and not rec2.messages else None)
    rig2 = start_rig(ctx, support_transport=rec2.transport)
    t0 = time.time()
    rig2.send(message(SUPPORT, body="again\n"), BOB, [SUPPORT])
    rec2.wait(1, timeout=20)
    took = time.time() - t0
    rig2.wait_queue(lambda q: q == [], what="the queue empty")
    assert len(rec2.messages) == 2 and len(rec2.delivered()) == 1, rec2.messages
    assert rec2.messages[0]["replies"] == [(SUPPORT, "451 4.3.0 busy")], rec2.messages
    # minimal_backoff_time 2 s, looked at every queue_run_delay = 2 s (whole seconds: the
    # next try may come a little sooner than 2 s after the first)
    assert 0.5 < took < 8, took


@test
def test_mail_rig_submission_needs_starttls_and_auth(ctx):
    """Submission relays for a client that did STARTTLS and AUTH only; smtpd (the internet)
    takes mail for the two domains from anyone and relays for no one."""
    rig = start_rig(ctx)
    reply = message(ALICE, "Re: your order", "我们已经发货。\n", sender=SUPPORT,
                    msgid="reply@example.com")
    rig.submit(reply, SUPPORT, [ALICE], user=SUPPORT)
    [got] = rig.wait_mailbox(ALICE, 1)
    top = added_above(got, reply)
    # ESMTPSA: over TLS and authenticated
    assert b"by mail.example.com (Postfix) with ESMTPSA id " in top, top
    # AUTH is offered after STARTTLS only
    with smtplib.SMTP("127.0.0.1", rig.submission_port, timeout=30) as s:
        s.ehlo()
        assert s.has_extn("starttls") and not s.has_extn("auth"), s.esmtp_features
        s.starttls(context=rig.ssl_context())
        s.ehlo()
        assert s.has_extn("auth") and set(s.esmtp_features["auth"].split()) == {
            "PLAIN", "LOGIN"}, s.esmtp_features
    # no STARTTLS: refused at MAIL
    try:
        rig.submit(reply, SUPPORT, [ALICE], starttls=False)
    except smtplib.SMTPSenderRefused as e:
        assert e.smtp_code == 530 and b"Must issue a STARTTLS command first" in e.smtp_error, e
    else:
        raise AssertionError("submission without STARTTLS")
    # STARTTLS but no AUTH: refused at RCPT
    try:
        rig.submit(reply, SUPPORT, [ALICE], user=None)
    except smtplib.SMTPRecipientsRefused as e:
        [(code, text)] = e.recipients.values()
        assert code == 554 and b"Client host rejected: Access denied" in text, e.recipients
    else:
        raise AssertionError("submission without AUTH")
    # a wrong password
    try:
        rig.submit(reply, SUPPORT, [ALICE], user=SUPPORT, password="wrong")
    except smtplib.SMTPAuthenticationError as e:
        assert e.smtp_code == 535 and e.smtp_error.startswith(b"5.7.8"), e
    else:
        raise AssertionError("AUTH with a wrong password")
    # smtpd, the internet's way in: no AUTH offered, relaying refused
    with smtplib.SMTP("127.0.0.1", rig.smtpd_port, timeout=30) as s:
        s.ehlo()
        assert s.has_extn("starttls") and not s.has_extn("auth"), s.esmtp_features
    try:
        rig.send(message("someone@elsewhere.test"), BOB, ["someone@elsewhere.test"])
    except smtplib.SMTPRecipientsRefused as e:
        [(code, text)] = e.recipients.values()
        assert code == 554 and b"Relay access denied" in text, e.recipients
    else:
        raise AssertionError("smtpd relayed for an unauthenticated client")
    # submission, authenticated, to a domain there is no route to: refused at RCPT
    try:
        rig.submit(message("someone@elsewhere.test"), SUPPORT, ["someone@elsewhere.test"],
                   user=SUPPORT)
    except smtplib.SMTPRecipientsRefused as e:
        [(code, text)] = e.recipients.values()
        assert code == 550 and text.startswith(b"5.1.2 ") and b"no route" in text, e.recipients
    else:
        raise AssertionError("submission took mail for a domain the rig cannot deliver to")
    assert len(rig.mailbox(ALICE)) == 1
    # a customer Dovecot does not know: taken, refused by Dovecot's LMTP (550 5.1.1), and
    # bounced to the sender (support's mailbox)
    lost = message("nobody@customer.example", msgid="x1@example.com", sender=SUPPORT)
    rig.submit(lost, SUPPORT, ["nobody@customer.example"], user=SUPPORT)
    [bounce] = rig.wait_mailbox(SUPPORT, 1)
    text = bounce.decode("utf-8", "replace")
    assert text.startswith("Return-Path: <>\r\n"), text   # a bounce has a null sender
    assert "From: Mail Delivery System <MAILER-DAEMON@mail.example.com>" in text, text
    assert "<nobody@customer.example>" in text and "550 5.1.1" in text, text
    assert "Message-ID: <x1@example.com>" in text, text    # the message comes back with it
    rig.wait_queue(lambda q: q == [], what="the queue empty")


@test
def test_mail_rig_support_mailbox_in_dovecot(ctx):
    """support_transport None: the company's mail is kept in Dovecot (the + token dropped),
    read over IMAP; a folder can be made and a message moved there with UID MOVE."""
    rig = start_rig(ctx)
    m1 = message(SUPPORT, body="one\n", msgid="one@customer.example")
    m2 = message("support+tok123@example.com", body="two\n", msgid="two@customer.example")
    rig.send(m1, BOB, [SUPPORT])
    rig.wait_mailbox(SUPPORT, 1)
    rig.send(m2, ALICE, ["support+tok123@example.com"])
    got = rig.wait_mailbox(SUPPORT, 2)
    assert got[0].endswith(m1) and got[1].endswith(m2), got
    # the address it was sent to stays in Delivered-To, the + token with it
    assert b"\r\nDelivered-To: support+tok123@example.com\r\n" in got[1], got[1][:300]
    assert b"for <support+tok123@example.com>" in got[1], got[1][:600]
    rig.create_folder(SUPPORT, "Processed")
    with rig.imap(SUPPORT) as im:
        typ, folders = im.list()
        assert typ == "OK" and any(f.endswith(b'"Processed"') or f.endswith(b" Processed")
                                   for f in folders), folders
        assert im.select("INBOX")[0] == "OK"
        typ, data = im.uid("SEARCH", None, "ALL")
        uids = data[0].split()
        assert len(uids) == 2, data
        typ, data = im.uid("MOVE", uids[0], "Processed")
        assert typ == "OK", data
        typ, data = im.uid("SEARCH", None, "ALL")
        assert data[0].split() == [uids[1]], data
    assert rig.mailbox(SUPPORT, "Processed") == [got[0]]
    assert rig.mailbox(SUPPORT) == [got[1]]
    # mail to a user who has not logged in yet (bob) is kept too, under the workdir
    rig.send(message(BOB, body="for bob\n"), ALICE, [BOB])
    rig.wait_mailbox(BOB, 1)
    assert os.path.isdir(os.path.join(rig.mailboxes, CUSTOMERS, "bob", "Maildir", "new")), \
        os.listdir(rig.mailboxes)
    assert rig.errors() == [], rig.errors()


@test
def test_mail_rig_stop_leaves_no_process(ctx):
    rig = start_rig(ctx)
    rig.send(message(ALICE), BOB, [ALICE])
    rig.wait_mailbox(ALICE, 1)
    pids = rig.pids()
    assert set(pids) == {"master", "dovecot", "watchdog"}, pids
    members = rig.members()
    names = set(members.values())
    # each master, its resident children and some that served the mail just sent
    assert {"master", "qmgr", "pickup", "postlogd", "dovecot", "auth", "log", "config",
            "watchdog"} <= names, members
    assert procs_naming(rig.pf_conf) == [pids["master"]], procs_naming(rig.pf_conf)
    assert procs_naming(rig.dc_conf) == [pids["dovecot"]], procs_naming(rig.dc_conf)
    run_dir = rig.run_dir
    assert os.path.isdir(os.path.join(run_dir, "queue", "public")), run_dir
    rig.stop()
    left = {p: n for p, n in members.items() if alive(p)}
    assert not left, left
    assert rig.members() == {} and rig.running() == set(), rig.members()
    assert procs_naming(rig.pf_conf) == [] and procs_naming(rig.dc_conf) == []
    for port in (rig.smtpd_port, rig.submission_port, rig.imap_port, rig.imaps_port,
                 rig.lmtp_port, rig.auth_port):
        assert port_closed(port), port
    assert not os.path.exists(run_dir), run_dir
    rig.stop()   # idempotent
    assert rig.running() == set()
    # nothing was logged as an error on the way (Dovecot's master says "Warning: Killed
    # with signal 15", a warning)
    assert rig.errors() == [], rig.errors()


def _child_rig(ctx, name, then):
    """A Python process that starts a rig in ctx.dir/name, prints its processes (JSON) and
    then runs `then`."""
    here = os.path.dirname(os.path.abspath(__file__))
    script = ("import json, sys, time; sys.path.insert(0, %r); from mailrig import MailRig; "
              "r = MailRig(%r).start(); "
              "print(json.dumps({'members': r.members(), 'run_dir': r.run_dir}), flush=True); %s"
              % (here, os.path.join(ctx.dir, name), then))
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)


@test
def test_mail_rig_processes_die_with_their_parent(ctx):
    """A test process killed outright (SIGKILL: no cleanup runs) leaves no Postfix or Dovecot
    behind: each master has a parent-death signal and takes its children with it. One that
    ends without stopping its rig leaves none either (the atexit hook)."""
    for how, then in (("killed", "time.sleep(600)"), ("exits", "sys.exit(0)")):
        child = _child_rig(ctx, "mail-" + how, then)
        try:
            line = child.stdout.readline()
            assert line, "the child did not start its rig (%s)" % how
            got = json.loads(line)
            members = {int(p): n for p, n in got["members"].items()}
            assert {"master", "dovecot", "qmgr", "auth", "watchdog"} <= set(
                members.values()), members
            if how == "killed":
                assert all(alive(p) for p in members), members
                child.kill()
            child.wait(30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()
        try:
            wait_for(lambda: not any(alive(p) for p in members), timeout=30,
                     what="the rig's processes to end (%s)" % how)
        finally:
            left = {p: n for p, n in members.items() if alive(p)}
            for p in left:     # do not leave them to the next test
                os.kill(p, 9)
        assert not left, "still running after their parent %s: %r" % (how, left)
        if how == "exits":
            assert not os.path.exists(got["run_dir"]), got


@test
def test_mail_rig_start_failure_raises_with_logs(ctx):
    """A Postfix that cannot start (a broken main.cf setting): start() raises soon, with the
    logs' tails, and leaves nothing running."""
    rig = MailRig(os.path.join(ctx.dir, "mail"),
                  extra={"main.cf": {"default_process_limit": "plenty"}})
    ctx.servers.append(rig)
    t0 = time.time()
    try:
        rig.start()
    except RuntimeError as e:
        why = str(e)
    else:
        raise AssertionError("started with a broken main.cf")
    assert time.time() - t0 < MailRig.START_WITHIN, time.time() - t0
    assert "master exited" in why and "--- postfix.log" in why and "--- dovecot.log" in why, why
    assert re.search(r"postfix/master\[\d+\]: fatal: .*default_process_limit", why), why
    assert rig.running() == set() and rig.members() == {}, rig.members()
    assert procs_naming(rig.pf_conf) == [] and procs_naming(rig.dc_conf) == []


@test
def test_mail_rig_port_taken_at_start_tries_new_ports(ctx):
    """A port taken when Postfix or Dovecot binds it: start() tries once more on new ports."""
    for which in ("smtpd_port", "imap_port"):
        rig = MailRig(os.path.join(ctx.dir, "mail-" + which))
        ctx.servers.append(rig)
        taken = socket.socket()
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", getattr(rig, which)))
        taken.listen()
        try:
            rig.start()
            assert getattr(rig, which) != taken.getsockname()[1], which
            log = rig.files["postfix.log" if which == "smtpd_port" else "dovecot.log"]
            with open(log, "rb") as f:
                assert b"Address already in use" in f.read(), which
            rig.send(message(ALICE), BOB, [ALICE])
            rig.wait_mailbox(ALICE, 1)
        finally:
            taken.close()
        rig.stop()
