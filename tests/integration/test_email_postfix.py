"""The email channel with the mail servers a site runs: a customer's mail comes in through a
real Postfix (smtpd, then its lmtp: transport to omniq_email), the agent's reply goes out
through Postfix's submission port (STARTTLS, SASL AUTH through Dovecot) and lands in the
customer's real Dovecot mailbox, read over IMAP; the customer's answer to it joins the
session. tests/integration/mailrig.py starts both servers.
"""
import email
import email.header
import email.policy
import os
import re
import time

from email.header import Header
from email.mime.text import MIMEText
from email.utils import make_msgid

import mailrig
from harness import TOP, free_port, test, wait_for
from test_email import P, SECRET, email_params, sig
from test_outbound import states
from test_desk import PASSWORD, desk
from test_wechat import delivery_states, ok_rpc, transcript
from test_ws import Api


def mailbox_defines(*keys, **more):
    """kamailio's defines for the support mailbox - modparam mailbox: its name and address,
    then keys ("key=value" each) - and the channel's secret, with more defines."""
    box = ";".join(("name=support", "address=support@example.com") + keys)
    d = {"OMNIQ_EMAIL_MAILBOX": '"%s"' % box, "OMNIQ_EMAIL_SECRET": '"%s"' % SECRET}
    d.update(more)
    return d


def smtp_keys(rig, password=None):
    """the mailbox keys that send its replies through the rig's submission port"""
    return ("smtp=smtp://127.0.0.1:%d" % rig.submission_port, "smtp_user=support@example.com",
            "smtp_password=%s" % (password or rig.users["support@example.com"]),
            "smtp_verify=0")


def site(ctx, smtp=True, password=None, rig_extra=None, params=None, **mailbox):
    """redis, kamailio with omniq_email (its LMTP listener, its mailbox replying through the
    rig's submission port) and the rig, Postfix delivering @example.com to omniq; rig_extra:
    the rig's extra settings (mailrig.MailRig), params: more modparams (email_params)."""
    lmtp_port = free_port()
    rig = mailrig.start_rig(ctx, support_transport="lmtp:inet:127.0.0.1:%d" % lmtp_port,
                            extra=rig_extra)
    keys = ("queue=mail", "from_name='ACME 客服'") + (smtp_keys(rig, password) if smtp else ())
    keys += tuple("%s=%s" % kv for kv in mailbox.items())
    rs = ctx.redis()
    cfg, more = email_params(params)
    k = ctx.kamailio(cfg, rs.port, defines=mailbox_defines(
        *keys, OMNIQ_EMAIL_LMTP='"127.0.0.1:%d"' % lmtp_port, **more))
    return rig, rs, k


def agent(k, aid):
    """an agent who takes mail (capacity class email)"""
    ok_rpc(k, "omniq.agent_set", aid, aid.title(), "mail:5", "chat=4,email=8")
    ok_rpc(k, "omniq.agent_state", aid, "available")


def imap_defines(rig, *keys, tls=False, poll="1", bearer=None, **more):
    """kamailio's defines for a mailbox read over IMAP from the rig's Dovecot (imaps:// on
    its TLS port when tls), polled every poll seconds; keys: more mailbox keys; bearer: an
    OAuth2 token instead of the password."""
    return mailbox_defines(
        "imap=%s://127.0.0.1:%d/INBOX" % ("imaps" if tls else "imap",
                                          rig.imaps_port if tls else rig.imap_port),
        "imap_user=support@example.com",
        "imap_bearer=%s" % bearer if bearer else
        "imap_password=%s" % rig.users["support@example.com"],
        "imap_verify=0", *keys, OMNIQ_EMAIL_IMAP_POLL=poll, **more)


def customer_mail(subject, text, msgid=None, **hdrs):
    m = MIMEText(text, "plain", "utf-8")
    m["From"] = "%s <alice@customer.example>" % Header("爱丽丝", "utf-8").encode()
    m["To"] = "support@example.com"
    m["Subject"] = Header(subject, "utf-8")
    m["Message-ID"] = msgid or make_msgid(domain="customer.example")
    for h, v in hdrs.items():
        m[h.replace("_", "-")] = v
    return m


def sessions(r):
    n = int(r.get(P + ":seq:s") or 0)
    return [str(i) for i in range(1, n + 1) if r.hget("%s:s:%d" % (P, i), "channel") == "email"]


@test
def test_email_postfix_a_customers_mail_reaches_the_agent_and_the_reply_threads_back(ctx):
    """alice writes to support@ (Postfix's smtpd, then LMTP to omniq); the session reaches
    the agent's desk; the reply from the desk is submitted to Postfix (STARTTLS, AUTH) and lands in
    alice's Dovecot INBOX threaded (In-Reply-To, References, the subject token, a Reply-To
    naming the session); alice's answer to it joins the same session."""
    rig, rs, k = site(ctx)
    r = rs.client()
    agent(k, "mei")
    assert k.rpc("omniq.agent_password", "mei", PASSWORD)[0] == 0
    d = desk(k.http_port, Api(k.http_port), "mei")
    assert d.request(type="state", state="available")["type"] == "ok"
    first = customer_mail("路由器无法联网", "你好，路由器昨天开始无法联网。")
    rig.send(first.as_bytes(), "alice@customer.example", ["support@example.com"])
    # the offer reaches mei's desk, as an email conversation
    offered = d.inbox(lambda ib: len(ib) == 1, timeout=20)[0]
    sid = offered["sid"]
    assert offered["channel"] == "email" and offered["state"] == "offered", offered
    assert offered["identity"] == "email:alice@customer.example", offered
    assert d.request(type="accept", sid=sid)["type"] == "ok"
    tx = d.request(type="transcript", sid=sid)["transcript"]
    assert [e["text"] for e in tx] == ["Subject: 路由器无法联网\n\n你好，路由器昨天开始无法联网。"], tx
    assert d.request(type="reply", sid=sid, text="您好爱丽丝，请重启路由器后再试。",
                     cid="r1")["type"] == "ok"
    wait_for(lambda: list(states(rs, sid).values()) == ["sent"], timeout=30, what="sent")
    got = rig.wait_mailbox("alice@customer.example", 1, timeout=30)
    reply = email.message_from_bytes(got[0], policy=email.policy.default)
    assert reply["In-Reply-To"] == first["Message-ID"], reply["In-Reply-To"]
    assert first["Message-ID"] in reply["References"], reply["References"]
    token = "[#omniq-%s-%s]" % (sid, sig(sid))
    assert str(reply["Subject"]) == "Re: 路由器无法联网 " + token, str(reply["Subject"])
    assert reply["Reply-To"].addresses[0].addr_spec == \
        "support+omniq-%s-%s@example.com" % (sid, sig(sid)), str(reply["Reply-To"])
    assert reply["From"].addresses[0].display_name == "ACME 客服"
    body = reply.get_body(("plain",)).get_content()
    assert body.strip() == "您好爱丽丝，请重启路由器后再试。", body
    assert reply.get_body(("html",)) is not None
    # alice answers: her client replies to the Reply-To and keeps the threading headers
    ans = customer_mail("Re: 路由器无法联网 " + token, "重启后可以了，谢谢！",
                        In_Reply_To=reply["Message-ID"],
                        References="%s %s" % (first["Message-ID"], reply["Message-ID"]))
    rig.send(ans.as_bytes(), "alice@customer.example",
             ["support+omniq-%s-%s@example.com" % (sid, sig(sid))])
    m = d.recv("message", timeout=20, where=lambda m: m["sid"] == sid and m["dir"] == "in"
               and m["text"].endswith("重启后可以了，谢谢！"))
    assert m["text"].startswith("Subject: Re: 路由器无法联网 [#omniq-"), m
    assert [x for x, _ in transcript(r, P, sid)] == ["in", "out", "in"]
    assert sessions(r) == [sid]


@test
def test_email_postfix_keeps_the_mail_while_omniq_cannot_store_it(ctx):
    """Redis down: omniq answers Postfix 451, Postfix keeps the mail in its queue (nothing
    lost), and delivers it once when it tries again after Redis is back."""
    rig, rs, k = site(ctx, smtp=False)
    r = rs.client()
    ctx.expect_redis_down(rs)
    ctx.expect_log(r"omniq_email \[email_inbound\.c:\d+]: deliver\(\): mail from "
                   r"<alice@customer\.example> to support not stored: .*")
    rs.stop()
    rig.send(customer_mail("while down", "are you there?").as_bytes(), "alice@customer.example",
             ["support@example.com"])
    wait_for(lambda: any("451 4.3.0" in str(q) for q in rig.queue()), timeout=20,
             what="Postfix keeping the mail after omniq's 451")
    rs.start()
    rig.flush()
    wait_for(lambda: sessions(r), timeout=30, what="the mail stored on Postfix's retry")
    wait_for(lambda: not rig.queue(), timeout=20, what="Postfix's queue empty")
    assert len(sessions(r)) == 1 and len(transcript(r, P, sessions(r)[0])) == 1


@test
def test_email_postfix_a_reply_the_server_refuses_fails_with_its_words(ctx):
    """The mailbox's SMTP login is wrong: the submission server refuses it (535 5.7.8), and
    the reply fails at once with the server's words for the agent - no retries of a login
    that cannot work."""
    rig, rs, k = site(ctx, password="wrong-password")
    r = rs.client()
    agent(k, "mei")
    rig.send(customer_mail("q", "question").as_bytes(), "alice@customer.example",
             ["support@example.com"])
    wait_for(lambda: sessions(r), timeout=20, what="the mail stored")
    sid = sessions(r)[0]
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "agent") == "mei", what="the offer")
    ok_rpc(k, "omniq.accept", sid, "mei")
    ok_rpc(k, "omniq.reply", sid, "mei", "answer")
    wait_for(lambda: [s for s, _ in delivery_states(rs, P, sid)] == ["failed"], timeout=30,
             what="the reply failed")
    (_, why), = delivery_states(rs, P, sid)
    assert why.startswith("the mail server refused it: 535 5.7.8 Error: authentication "
                          "failed"), why
    assert (k.stat("omniq_email:send_failed"), k.stat("omniq_email:sent")) == (1, 0)
    assert rig.mailbox("alice@customer.example") == []


def delivery_events(r, sid):
    """[(ms, state, reason)] of the delivery events of session sid's replies (P:events)"""
    out = []
    for eid, e in r.xrange(P + ":events"):
        if e.get("type") == "delivery" and e.get("sid") == sid:
            out.append((int(eid.split("-")[0]), e.get("state"), e.get("reason", "")))
    return out


@test
def test_email_postfix_a_reply_the_server_defers_is_retried_then_sent_or_fails_with_its_words(ctx):
    """The submission server answers 451 at RCPT (a Postfix access table): the reply stays
    queued and is tried again after retry_interval, doubling; once the server takes it (the
    table changed, Postfix reloaded) it is sent, once. One the server defers at each of its
    `attempts` fails with the server's own words. The agent's desk shows each step: queued,
    queued again with the reason, then sent, or failed."""
    table = os.path.join(ctx.dir, "deferred-recipients")
    busy = {a: "451 4.2.1 %s is being moved, try again later" % a.split("@")[0]
            for a in ("alice@customer.example", "bob@customer.example")}

    def defer(*addrs):
        with open(table, "w") as f:
            f.writelines("%s %s\n" % (a, busy[a]) for a in addrs)
        # not "hot" (under 2 s old), which a Postfix process reads again and again for 1.5 s
        os.utime(table, (time.time() - 60, time.time() - 60))
    defer(*busy)
    rig, rs, k = site(ctx, rig_extra={"main.cf": {
        "smtpd_recipient_restrictions": "check_recipient_access texthash:" + table}},
        params={"attempts": 4, "retry_interval": 300})
    r = rs.client()
    agent(k, "mei")
    assert k.rpc("omniq.agent_password", "mei", PASSWORD)[0] == 0
    d = desk(k.http_port, Api(k.http_port), "mei")
    assert d.request(type="state", state="available")["type"] == "ok"
    for who in busy:
        m = customer_mail("改地址", "请把收货地址改一下")
        m.replace_header("From", who)
        rig.send(m.as_bytes(), who, ["support@example.com"])
    ib = d.inbox(lambda ib: len(ib) == 2, timeout=20)
    sid = {s["identity"].split(":")[1]: s["sid"] for s in ib}
    for s in ib:
        assert d.request(type="accept", sid=s["sid"])["type"] == "ok"
    a, b = sid["alice@customer.example"], sid["bob@customer.example"]
    assert d.request(type="reply", sid=b, text="好的", cid="rb")["type"] == "ok"
    assert d.request(type="reply", sid=a, text="已修改", cid="ra")["type"] == "ok"
    queued = d.recv("delivery", where=lambda m: m["sid"] == a and m["state"] == "queued"
                    and m["reason"] == "")
    again = d.recv("delivery", where=lambda m: m["id"] == queued["id"] and m["state"] == "queued"
                   and m["reason"] != "", timeout=20)
    assert "451 4.2.1" in again["reason"] and "alice is being moved, try again later" in \
        again["reason"], again
    # the server takes alice's mail from now on
    defer("bob@customer.example")
    rig.reload()
    sent = d.recv("delivery", where=lambda m: m["id"] == queued["id"] and m["state"] == "sent",
                  timeout=20)
    assert sent["reason"] == "" and sent["sid"] == a, sent
    failed = d.recv("delivery", where=lambda m: m["sid"] == b and m["state"] == "failed",
                    timeout=20)
    assert "451 4.2.1" in failed["reason"] and "bob is being moved, try again later" in \
        failed["reason"] and failed["reason"].endswith("(4 attempts)"), failed
    got = rig.wait_mailbox("alice@customer.example", 1, timeout=20)
    assert len(got) == 1        # sent once (bob's attempts went on for seconds after it)
    assert str(email.message_from_bytes(got[0], policy=email.policy.default)["Subject"]) \
        .startswith("Re: 改地址 [#omniq-%s-" % a)
    assert rig.mailbox("bob@customer.example") == []
    assert [s for s, _ in delivery_states(rs, P, a)] == ["sent"]
    # bob's four attempts, each at least the wait before it doubled after the one before
    # (0.3, 0.6, 1.2 s; more: the attempt itself, and the sender looks for due retries
    # every second)
    ev = delivery_events(r, b)
    assert [st for _, st, _ in ev] == ["queued"] * 4 + ["failed"], ev
    gaps = [(ev[i + 1][0] - ev[i][0]) / 1000 for i in range(1, 4)]
    assert all(w <= g < 10 for w, g in zip((0.3, 0.6, 1.2), gaps)), gaps
    d.close()


@test
def test_email_postfix_a_restart_of_kamailio_takes_nothing_twice_and_misses_nothing(ctx):
    """Mail keeps coming while kamailio restarts: what Postfix could not hand over (the
    connection refused, or cut in the middle) stays in its queue and comes when omniq is
    back; each mail is one message of one session, none missing, none twice."""
    rig, rs, k = site(ctx, smtp=False)
    r = rs.client()
    mails = [customer_mail("订单 %d" % i, "第 %d 封邮件" % i) for i in range(6)]
    for m in mails[:2]:
        rig.send(m.as_bytes(), "alice@customer.example", ["support@example.com"])
    wait_for(lambda: len(sessions(r)) == 2, timeout=20, what="the first two stored")
    k.stop()
    for m in mails[2:5]:
        rig.send(m.as_bytes(), "alice@customer.example", ["support@example.com"])
    wait_for(lambda: len(rig.queue()) == 3, timeout=20, what="Postfix keeping the three")
    k.start()
    rig.send(mails[5].as_bytes(), "alice@customer.example", ["support@example.com"])
    # the first two again, as an MTA that was not sure they were taken would send them
    for m in mails[:2]:
        rig.send(m.as_bytes(), "alice@customer.example", ["support@example.com"])
    rig.flush()
    wait_for(lambda: len(sessions(r)) == 6 and not rig.queue(), timeout=40,
             what="every mail stored and Postfix's queue empty")
    bodies = sorted(transcript(r, P, s)[0][1] for s in sessions(r))
    assert bodies == sorted("Subject: 订单 %d\n\n第 %d 封邮件" % (i, i) for i in range(6)), bodies
    assert all(len(transcript(r, P, s)) == 1 for s in sessions(r))


@test
def test_email_postfix_a_bounced_reply_shows_failed_with_the_servers_words(ctx):
    """The agent answers a customer whose mailbox does not exist (any more): the submission
    server takes the reply (sent), the customer's server refuses it, and the bounce Postfix
    sends back to support@ (a DSN, RFC 3464) marks the reply failed with the reason - and
    opens no session of MAILER-DAEMON."""
    rig, rs, k = site(ctx)
    r = rs.client()
    agent(k, "mei")
    m = customer_mail("退货", "我要退货")
    m.replace_header("From", "ghost@customer.example")
    rig.send(m.as_bytes(), "ghost@customer.example", ["support@example.com"])
    wait_for(lambda: sessions(r), timeout=20, what="the mail stored")
    sid = sessions(r)[0]
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "agent") == "mei", what="the offer")
    ok_rpc(k, "omniq.accept", sid, "mei")
    ok_rpc(k, "omniq.reply", sid, "mei", "好的，请寄回。")
    wait_for(lambda: [s for s, _ in delivery_states(rs, P, sid)] == ["failed"], timeout=40,
             what="the bounce marking the reply failed")
    (_, why), = delivery_states(rs, P, sid)
    assert "5.1.1" in why or "550" in why, why
    assert sessions(r) == [sid], sessions(r)
    assert (k.stat("omniq_email:sent"), k.stat("omniq_email:bounced")) == (1, 1)


def acked(ctx, text):
    """A site whose mailbox acknowledges with text, and alice's first mail to it: (rig, rs,
    k, redis client, her mail, the ack she received, the session)."""
    rig, rs, k = site(ctx, ack="'%s'" % text)
    r = rs.client()
    first = customer_mail("发票", "请开发票")
    rig.send(first.as_bytes(), "alice@customer.example", ["support@example.com"])
    got = rig.wait_mailbox("alice@customer.example", 1, timeout=30)
    ack = email.message_from_bytes(got[0], policy=email.policy.default)
    return rig, rs, k, r, first, ack, sessions(r)[0]


def _dsn(named):
    """A delivery report (RFC 3464) as a mail server sends one, returning the headers of the
    message it names."""
    return ("From: MAILER-DAEMON@mx.customer.example\r\nTo: support@example.com\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: %s\r\n"
            "MIME-Version: 1.0\r\nAuto-Submitted: auto-replied\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
            "--B\r\nContent-Type: text/plain\r\n\r\nYour mail could not be delivered.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.customer.example\r\n\r\n"
            "Final-Recipient: rfc822; alice@customer.example\r\nAction: failed\r\n"
            "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 forged\r\n"
            "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            "From: support@example.com\r\nMessage-ID: <%s>\r\n--B--\r\n") % (
        make_msgid(domain="mx.customer.example"), named)


@test
def test_email_postfix_a_forged_delivery_report_fails_no_reply(ctx):
    """Delivery ids are counted, so a reply's Message-ID carries a signature of its id: a
    delivery report that names a reply by a guessed id (omniq-<n>@, or a wrong signature)
    fails nothing and is kept as the mail it is; the reply stays sent."""
    rig, rs, k, r, first, ack, sid = acked(ctx, "收到")
    wait_for(lambda: [s for s, _ in delivery_states(rs, P, sid)] == ["sent"], what="ack sent")
    m = re.fullmatch(r"<omniq-(\d+)-[0-9a-f]{16}@example\.com>", ack["Message-ID"])
    assert m, ack["Message-ID"]
    did = m.group(1)
    for named in ("omniq-%s@example.com" % did, "omniq-%s-%s@example.com" % (did, "0" * 16)):
        rig.send(_dsn(named), "", ["support@example.com"])
    wait_for(lambda: k.stat("omniq_email:received") == 3, timeout=20, what="both reports stored")
    assert [s for s, _ in delivery_states(rs, P, sid)] == ["sent"]
    assert k.stat("omniq_email:bounced") == 0


@test
def test_email_postfix_a_new_conversation_is_acknowledged_an_auto_reply_is_not(ctx):
    """The mailbox's ack: a customer's new mail gets it (threaded, with the session's
    reference, shown to the agent in the transcript); an auto-reply (RFC 3834), a mailing
    list's mail and a mail whose sender asks for none (X-Auto-Response-Suppress) get none,
    and an answer on a thread gets none either."""
    rig, rs, k, r, first, ack, sid = acked(ctx, "我们已收到您的邮件，会尽快回复。")
    assert ack["In-Reply-To"] == first["Message-ID"]
    assert str(ack["Subject"]) == "Re: 发票 [#omniq-%s-%s]" % (sid, sig(sid))
    assert ack.get_body(("plain",)).get_content().strip() == \
        "我们已收到您的邮件，会尽快回复。\n\n(reference %s)" % sid
    assert transcript(r, P, sid)[1] == ("out", "我们已收到您的邮件，会尽快回复。\n\n(reference %s)" % sid)
    # machines get no answer; an answer on the thread gets no second ack
    auto = customer_mail("Out of office", "I am away", Auto_Submitted="auto-replied")
    auto.replace_header("From", "bob@customer.example")
    rig.send(auto.as_bytes(), "bob@customer.example", ["support@example.com"])
    lst = customer_mail("newsletter", "news", List_Id="<news.customer.example>")
    lst.replace_header("From", "bob@customer.example")
    rig.send(lst.as_bytes(), "bob@customer.example", ["support@example.com"])
    again = customer_mail("Re: 发票", "补充", In_Reply_To=ack["Message-ID"])
    rig.send(again.as_bytes(), "alice@customer.example", ["support@example.com"])
    # a person's mail whose client asks for no automatic answer (Outlook's header)
    quiet = customer_mail("请勿自动回复", "人写的", X_Auto_Response_Suppress="All")
    quiet.replace_header("From", "bob@customer.example")
    rig.send(quiet.as_bytes(), "bob@customer.example", ["support@example.com"])
    wait_for(lambda: len(sessions(r)) == 4 and len(transcript(r, P, sid)) == 3, timeout=20,
             what="the four mails stored")
    # by what each holds: Postfix delivers the three in parallel, in any order
    firsts = {s: transcript(r, P, s)[0][1] for s in sessions(r) if s != sid}
    assert sorted(firsts.values()) == sorted([
        "[sent by a machine (an auto-reply): no automatic answer goes back]\nSubject: Out of "
        "office\n\nI am away",
        "[sent by a machine (a mailing list): no automatic answer goes back]\nSubject: "
        "newsletter\n\nnews",
        "Subject: 请勿自动回复\n\n人写的"]), firsts
    # an ack is queued with the mail it answers (before Postfix is told 250): none more
    assert [delivery_states(rs, P, s) for s in sessions(r)[1:]] == [[], [], []]
    assert len(delivery_states(rs, P, sid)) == 1
    assert rig.mailbox("bob@customer.example") == []
    assert k.stat("omniq_email:acknowledged") == 1


def imap_flags(rig, folder="INBOX"):
    """{subject: the FLAGS item} of each message in the support mailbox's folder (by
    subject, not UID: Postfix delivers in whatever order its queue runs)"""
    im = rig.imap("support@example.com")
    try:
        im.select(folder, readonly=True)
        typ, data = im.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    finally:
        im.logout()
    flags = {}
    for part in data:
        if isinstance(part, tuple):
            subject = str(email.header.make_header(email.header.decode_header(
                part[1].decode().split(":", 1)[1].strip())))
            flags[subject] = part[0].decode()
    return flags


def read_across_a_restart(rig, k, r, stored, lease=True):
    """Three mails to the support mailbox read over IMAP by kamailio k, then stored(): what
    a stored message became (moved, or marked); a fourth comes while k is stopped and is
    read after its restart - the four stored once each, none of them read twice. lease
    False: the stopped reader's lease removed, not waited out (imap_poll x 2 + 10 s)."""
    for i in range(3):
        rig.send(customer_mail("工单 %d" % i, "内容 %d" % i).as_bytes(), "alice@customer.example",
                 ["support@example.com"])
    wait_for(lambda: len(sessions(r)) == 3, timeout=30, what="three mails read over IMAP")
    stored(3)
    assert (k.stat("omniq_email:received"), k.stat("omniq_email:received_duplicate")) == (3, 0)
    k.stop()
    if not lease:
        r.delete(P + ":ch:email:l:imap:support")
    rig.send(customer_mail("工单 3", "内容 3").as_bytes(), "alice@customer.example",
             ["support@example.com"])
    wait_for(lambda: "工单 3" in imap_flags(rig), what="the fourth in the folder")
    k.start()
    wait_for(lambda: len(sessions(r)) == 4, timeout=30, what="the fourth read after the restart")
    stored(4)
    bodies = sorted(transcript(r, P, s)[0][1] for s in sessions(r))
    assert bodies == ["Subject: 工单 %d\n\n内容 %d" % (i, i) for i in range(4)], bodies
    # the restarted reader read on from the UID kept, not the folder again
    assert (k.stat("omniq_email:received"), k.stat("omniq_email:received_duplicate")) == (1, 0)


@test
def test_email_imap_the_support_mailbox_is_read_once_and_marked_after_it_is_stored(ctx):
    """A site with no MTA of its own: the support mail stays in its IMAP mailbox (Dovecot)
    and omniq reads it - each message stored once, then moved to imap_move; a restart of
    kamailio reads on from the last UID kept in Redis; a message that cannot be stored
    (Redis down) is read again and left unseen meanwhile."""
    rig = mailrig.start_rig(ctx, support_transport=None)
    rig.create_folder("support@example.com", "Processed")
    rs = ctx.redis()
    r = rs.client()
    k = ctx.kamailio("omniq.cfg", rs.port, defines=imap_defines(rig, "imap_move=Processed"))
    read_across_a_restart(rig, k, r, lambda n: wait_for(
        lambda: rig.mailbox("support@example.com") == [] and
        len(rig.mailbox("support@example.com", "Processed")) == n, timeout=20,
        what="the %d moved to Processed" % n))
    # Redis down: not stored, not moved, read again once it is back
    ctx.expect_redis_down(rs)
    lease_failed = (r"omniq_email \[email_imap\.c:\d+\]: email_imap_serve\(\): imap support: "
                    r"the reader's lease cannot be taken: .*")
    ctx.expect_log(lease_failed)
    # a round that took its lease just before Redis went reads the mail and cannot store it
    ctx.expect_log(r"omniq_email \[email_inbound\.c:\d+\]: deliver\(\): mail from "
                   r"<alice@customer\.example> to support not stored: .*Redis unavailable.*",
                   optional=True)
    rs.stop()
    rig.send(customer_mail("工单 4", "内容 4").as_bytes(), "alice@customer.example",
             ["support@example.com"])
    rig.wait_mailbox("support@example.com", 1)
    wait_for(lambda: re.search(lease_failed, k.text(), re.M), timeout=20,
             what="the reader meeting Redis down")
    assert len(rig.mailbox("support@example.com")) == 1   # not taken, not moved
    rs.start()
    wait_for(lambda: len(sessions(r)) == 5, timeout=40, what="the fifth stored once Redis is back")
    wait_for(lambda: rig.mailbox("support@example.com") == [], timeout=20, what="it moved")
    assert len(rig.mailbox("support@example.com", "Processed")) == 5


@test
def test_email_imap_without_imap_move_a_stored_message_is_marked_seen_and_never_read_again(ctx):
    """Without imap_move the messages stay in the folder, each marked \\Seen once stored; a
    restart of kamailio reads on from the UID kept in Redis, not the folder again: nothing
    is read twice (received_duplicate 0) though the folder still holds all it read."""
    rig = mailrig.start_rig(ctx, support_transport=None)
    rs = ctx.redis()
    r = rs.client()
    k = ctx.kamailio("omniq.cfg", rs.port, defines=imap_defines(rig))

    def seen(n):
        wait_for(lambda: len(imap_flags(rig)) == n and
                 all("\\Seen" in f for f in imap_flags(rig).values()), timeout=20,
                 what="the %d marked \\Seen, in the folder" % n)
    read_across_a_restart(rig, k, r, seen, lease=False)
    kept = r.get(P + ":ch:email:v:imap:support:at")
    assert kept and kept.split()[1] == "4", kept        # "<UIDVALIDITY> <the last UID>"


@test
def test_email_imap_a_message_the_store_refuses_for_now_stays_unseen_and_is_stored_later(ctx):
    """The reader holds its lease and reads the message, but storing it is refused for now
    (451 - Redis answers, but refuses the core's write: here an ACL that denies XADD, as a
    Redis set up wrong would): the message stays unseen and the UID kept in Redis does not
    move on; a later round, once the store takes it, stores it once and marks it."""
    rig = mailrig.start_rig(ctx, support_transport=None)
    rs = ctx.redis()
    r = rs.client()
    k = ctx.kamailio("omniq.cfg", rs.port, defines=imap_defines(rig))
    first = customer_mail("退款", "请退款")
    rig.send(first.as_bytes(), "alice@customer.example", ["support@example.com"])
    wait_for(lambda: sessions(r) and "\\Seen" in imap_flags(rig).get("退款", ""), timeout=30,
             what="the first stored and marked")
    sid, = sessions(r)
    at = P + ":ch:email:v:imap:support:at"
    kept = r.get(at)
    denied = r"The user executing the script can't run this command or subcommand script: "
    ctx.expect_log(r"omniq \[oq_core\.c:\d+\]: map_error_reply\(\): Redis function oq_ingest "
                   r"failed: .*" + denied + "oq_ingest")
    ctx.expect_log(r"omniq_email \[email_inbound\.c:\d+\]: deliver\(\): mail from "
                   r"<alice@customer\.example> to support not stored: oq_ingest: .*" + denied)
    # other writers of events that may meet the ACL meanwhile (a sweep)
    ctx.expect_log(r"Redis function \w+ failed: .*" + denied, optional=True)
    assert r.execute_command("ACL", "SETUSER", "default", "-xadd") == "OK"
    try:
        deferred = k.stat("omniq_email:deferred")
        rig.send(customer_mail("Re: 退款", "订单号 123", In_Reply_To=first["Message-ID"])
                 .as_bytes(), "alice@customer.example", ["support@example.com"])
        wait_for(lambda: k.stat("omniq_email:deferred") >= deferred + 2, timeout=30,
                 what="two rounds refused the store")
        flags = imap_flags(rig)
        assert "\\Seen" not in flags["Re: 退款"], flags        # not marked, nor moved
        assert r.get(at) == kept and len(transcript(r, P, sid)) == 1, (r.get(at), kept)
    finally:
        assert r.execute_command("ACL", "SETUSER", "default", "+@all") == "OK"
    wait_for(lambda: len(transcript(r, P, sid)) == 2, timeout=30, what="the answer stored")
    wait_for(lambda: "\\Seen" in imap_flags(rig)["Re: 退款"], timeout=10, what="it marked")
    assert r.get(at).split() == [kept.split()[0], str(int(kept.split()[1]) + 1)], r.get(at)
    assert transcript(r, P, sid)[1][1] == "Subject: Re: 退款\n\n订单号 123"
    assert (k.stat("omniq_email:received"), k.stat("omniq_email:received_duplicate")) == (2, 0)


@test
def test_email_imap_a_reply_is_sent_and_its_copy_kept_in_the_sent_folder(ctx):
    """A mailbox read over IMAP answers through SMTP submission, and a copy of each reply
    goes into its imap_sent folder, as a mail client keeps what it sent."""
    rig = mailrig.start_rig(ctx, support_transport=None)
    rig.create_folder("support@example.com", "Sent")
    rs = ctx.redis()
    r = rs.client()
    k = ctx.kamailio("omniq.cfg", rs.port,
                     defines=imap_defines(rig, "imap_sent=Sent", *smtp_keys(rig)))
    agent(k, "mei")
    rig.send(customer_mail("密码重置", "忘记密码了").as_bytes(), "alice@customer.example",
             ["support@example.com"])
    wait_for(lambda: sessions(r), timeout=30, what="the mail read over IMAP")
    sid = sessions(r)[0]
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "agent") == "mei", what="the offer")
    ok_rpc(k, "omniq.accept", sid, "mei")
    ok_rpc(k, "omniq.reply", sid, "mei", "已为您重置，请查收短信。")
    got = rig.wait_mailbox("alice@customer.example", 1, timeout=30)
    sent = rig.wait_mailbox("support@example.com", 1, folder="Sent", timeout=30)[0]
    a = email.message_from_bytes(got[0], policy=email.policy.default)
    b = email.message_from_bytes(sent, policy=email.policy.default)
    assert a["Message-ID"] == b["Message-ID"] and str(a["Subject"]) == str(b["Subject"])
    assert b.get_body(("plain",)).get_content().strip() == "已为您重置，请查收短信。"


@test
def test_email_imap_two_nodes_one_reader_each_mail_once(ctx):
    """Two nodes with the same mailbox and one Redis: one reads it at a time (the other
    waits on the lease), so each mail is read once - not read twice and found a duplicate -
    and when the reading node stops, the other takes over."""
    rig = mailrig.start_rig(ctx, support_transport=None)
    rs = ctx.redis()
    r = rs.client()
    d = imap_defines(rig)
    a = ctx.kamailio("omniq.cfg", rs.port, name="kama", defines=d)
    b = ctx.kamailio("omniq.cfg", rs.port, name="kamb", defines=d)
    for i in range(4):
        rig.send(customer_mail("m%d" % i, "t%d" % i).as_bytes(), "alice@customer.example",
                 ["support@example.com"])
    wait_for(lambda: len(sessions(r)) == 4, timeout=30, what="four mails read")
    stored = [n.text().count("to support: session") for n in (a, b)]
    assert sorted(stored) == [0, 4], stored          # one reader did it all, once each
    assert "stored before" not in a.text() + b.text()
    reader, other = (a, b) if stored[0] else (b, a)
    reader.stop()
    rig.send(customer_mail("m4", "t4").as_bytes(), "alice@customer.example", ["support@example.com"])
    wait_for(lambda: len(sessions(r)) == 5, timeout=30, what="the other node taking over")
    # its log line comes just after the session is stored (CI once read the log between)
    wait_for(lambda: other.text().count("to support: session") == 1, timeout=5,
             what="the other node saying it stored the mail")


@test
def test_email_imap_a_message_that_can_never_be_stored_is_flagged_and_passed(ctx):
    """A message over max_message, or with no sender address, never blocks the mailbox:
    it is flagged for a person (\\Flagged, left in the folder) and the next is read."""
    rig = mailrig.start_rig(ctx, support_transport=None)
    rs = ctx.redis()
    r = rs.client()
    ctx.kamailio("omniq.cfg", rs.port, defines=imap_defines(rig, OMNIQ_EMAIL_MAX_MESSAGE="65536"))
    big = customer_mail("附件太大", "x" * 100000)
    rig.send(big.as_bytes(), "alice@customer.example", ["support@example.com"])
    rig.send(b"To: support@example.com\r\nSubject: who\r\n\r\nno sender\r\n",
             "alice@customer.example", ["support@example.com"])
    rig.send(customer_mail("正常", "正常的邮件").as_bytes(), "alice@customer.example",
             ["support@example.com"])
    wait_for(lambda: len(sessions(r)) == 1, timeout=30, what="the good mail read")
    assert transcript(r, P, sessions(r)[0])[0][1] == "Subject: 正常\n\n正常的邮件"
    # Postfix delivers the three in any order: the good one may be read before the one
    # with no sender is in the mailbox - its flag comes with the next read
    wait_for(lambda: len(imap_flags(rig)) == 3 and all(
        "\\Flagged" in v or "\\Seen" in v for v in imap_flags(rig).values()), timeout=30,
        what="each of the three mails read and flagged or seen")
    flags = imap_flags(rig)
    # the two refused flagged for a person and still unread (reading marks nothing), the
    # stored one \Seen
    assert sorted(flags) == sorted(["附件太大", "who", "正常"]), flags
    assert ["\\Flagged" in flags[k] for k in ("附件太大", "who", "正常")] == [True, True, False], flags
    assert ["\\Seen" in flags[k] for k in ("附件太大", "who", "正常")] == [False, False, True], flags


@test
def test_email_imap_idle_reads_new_mail_as_it_comes(ctx):
    """imaps:// with a password: the reader keeps an IDLE connection (RFC 2177), and a mail
    that lands in the mailbox is read in seconds although the next poll is a minute away."""
    rig = mailrig.start_rig(ctx, support_transport=None)
    rs = ctx.redis()
    r = rs.client()
    k = ctx.kamailio("omniq.cfg", rs.port, defines=imap_defines(rig, tls=True, poll="60"))
    wait_for(lambda: "imap support: IDLE: new mail is read as it comes" in k.text(), timeout=15,
             what="the IDLE connection")
    for i in range(2):
        t0 = time.time()
        rig.send(customer_mail("急 %d" % i, "马上处理").as_bytes(), "alice@customer.example",
                 ["support@example.com"])
        wait_for(lambda: len(sessions(r)) == i + 1, timeout=15, what="mail %d read through IDLE" % i)
        assert time.time() - t0 < 15


@test
def test_email_postfix_example_config_routes_the_support_address_to_omniq(ctx):
    """cfg/postfix-omniq.cf as written, in a real Postfix: its transport_maps (its port made
    the test's) ahead of the rig's own, which sends the rest of @example.com to an LMTP
    recorder. The support address and a reply address (support+<token>@: Postfix looks it
    up again without its +extension, recipient_delimiter) reach omniq; another address of
    the domain does not."""
    settings = {}
    with open(os.path.join(TOP, "cfg", "postfix-omniq.cf")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                key, _, value = line.partition("=")
                settings[key.strip()] = value.strip()
    assert set(settings) == {"recipient_delimiter", "transport_maps"}, settings
    assert "lmtp:inet:127.0.0.1:2424" in settings["transport_maps"], settings
    lmtp_port = free_port()
    rec = mailrig.LmtpRecorder().start()
    ctx.servers.append(rec)
    rig = mailrig.MailRig(os.path.join(ctx.dir, "mail"), support_transport=rec.transport)
    example = dict(settings, transport_maps=settings["transport_maps"].replace(
        "2424", str(lmtp_port)))
    example["transport_maps"] += ", " + rig.main_cf()["transport_maps"]
    rig.extra = {"main.cf": example}
    mailrig.start_for(ctx, rig)
    rs = ctx.redis()
    ctx.kamailio("omniq.cfg", rs.port, defines={
        "OMNIQ_EMAIL_LMTP": '"127.0.0.1:%d"' % lmtp_port, "OMNIQ_EMAIL_SECRET": '"%s"' % SECRET,
        "OMNIQ_EMAIL_MAILBOX": '"name=support;address=support@example.com"'})
    r = rs.client()
    rig.send(customer_mail("配置", "照着例子配的").as_bytes(), "alice@customer.example",
             ["support@example.com"])
    wait_for(lambda: len(sessions(r)) == 1, timeout=20, what="the mail through the example's transport")
    rig.send(customer_mail("Re: 配置", "再问一句").as_bytes(), "alice@customer.example",
             ["support+x@example.com"])
    rig.send(customer_mail("销售", "不是客服的").as_bytes(), "alice@customer.example",
             ["sales@example.com"])
    wait_for(lambda: any("再问一句" in t for s in sessions(r) for _, t in transcript(r, P, s)),
             timeout=20, what="the reply address's mail at omniq")
    got = rec.wait(1, timeout=20)
    assert [m["rcpts"] for m in got] == [["sales@example.com"]], got


@test
def test_email_imap_an_oauth2_bearer_logs_in_with_xoauth2(ctx):
    """A provider that wants OAuth2 (imap_bearer): the reader logs in with XOAUTH2, reads
    the mailbox and keeps IDLE with it (test_email_imap.py). Dovecot here takes the token as
    the user's password (its passdb), a stand-in for the provider's token check; a wrong
    token is refused and said."""
    rig = mailrig.start_rig(ctx, support_transport=None, extra={
        "dovecot.conf": "auth_mechanisms = plain login xoauth2 oauthbearer\n"})
    rs = ctx.redis()
    r = rs.client()
    k = ctx.kamailio("omniq.cfg", rs.port, defines=imap_defines(
        rig, tls=True, bearer=rig.users["support@example.com"]))
    rig.send(customer_mail("OAuth", "via XOAUTH2").as_bytes(), "alice@customer.example",
             ["support@example.com"])
    wait_for(lambda: sessions(r), timeout=30, what="the mail read with a bearer token")
    wait_for(lambda: "imap support: IDLE: new mail is read as it comes" in k.text(), timeout=15,
             what="the IDLE connection with the bearer")
    bad = ctx.kamailio("omniq.cfg", ctx.redis().port, name="kambad", defines=imap_defines(
        rig, tls=True, bearer="not-the-token"))
    ctx.expect_log(r"omniq_email \[email_imap\.c:\d+\]: round_of\(\): imap support: cannot open "
                   r"the folder: .*Login denied.*")
    wait_for(lambda: "cannot open the folder" in bad.text(), timeout=20, what="the refusal said")


@test
def test_email_imap_a_rebuilt_folder_is_read_again_and_nothing_stored_twice(ctx):
    """The folder is deleted and made again (a new UIDVALIDITY, its UIDs from 1 again):
    the reader starts it over, says so, stores what is new and nothing it stored before."""
    rig = mailrig.start_rig(ctx, support_transport=None)
    rig.create_folder("support@example.com", "Support")
    # a failure shows the UIDs Dovecot gave (one fresh run in many: the third mail never
    # answered UID SEARCH after the rebuild; Dovecot had logged a corrupted transaction
    # log on the reader's IDLE connection as the folder went)
    maildir = os.path.join(rig.dir, "mailboxes", "example.com", "support", "Maildir", ".Support")
    ctx.notes.append(("the Support folder's dovecot-uidlist and files", lambda: "%s\n%s" % (
        open(os.path.join(maildir, "dovecot-uidlist"), errors="replace").read(),
        "\n".join(sorted(d + "/" + f for d in ("new", "cur")
                          for f in os.listdir(os.path.join(maildir, d)))))))
    rs = ctx.redis()
    r = rs.client()
    mails = [customer_mail("文件夹 %d" % i, "第 %d 封" % i) for i in range(3)]

    def put(ms):
        """True when Dovecot took every APPEND; False when it said NO (below)."""
        im = rig.imap("support@example.com")
        try:
            for m in ms:
                typ, data = im.append("Support", None, None, m.as_bytes())
                if typ != "OK":
                    print("APPEND to the rebuilt folder: %s %s" % (typ, data))
                    return False
            return True
        finally:
            im.logout()

    def held():
        im = rig.imap("support@example.com")
        typ, data = im.status("Support", "(MESSAGES)")
        im.logout()
        return int(data[0].split(b"MESSAGES ")[1].rstrip(b")")) if typ == "OK" else -1
    assert put(mails[:2])
    d = imap_defines(rig)
    d["OMNIQ_EMAIL_MAILBOX"] = d["OMNIQ_EMAIL_MAILBOX"].replace("/INBOX;", "/Support;")
    k = ctx.kamailio("omniq.cfg", rs.port, defines=d)
    wait_for(lambda: len(sessions(r)) == 2, timeout=30, what="the first two read")
    # a round under way as the folder goes may fail once (said); each round logs in anew
    ctx.expect_log(r"omniq_email \[email_imap\.c:\d+\]: round_of\(\): imap support: cannot "
                   r"(?:search|open) the folder: .*", optional=True)
    # Dovecot's own session of the reader (IDLE on the folder as it goes) writes into the new
    # folder's transaction log ("duplicate transaction log sequence" in dovecot.log, in
    # passing runs too); once in a while under load that took the restored mails with it
    # (the folder empty, its dovecot-uidlist new). That is Dovecot's, not the reader's: the
    # rebuild is made again until a fresh client sees the three mails held for 2 s. In CI
    # Dovecot also refused an APPEND right after the CREATE ("NO Mailbox was deleted under
    # us": the same session's view of the old folder): that too makes the rebuild again.
    for attempt in range(4):
        im = rig.imap("support@example.com")
        assert im.delete("Support")[0] == "OK" and im.create("Support")[0] == "OK"
        im.logout()
        # the two again (a restore from a backup) and a new one
        if not put(mails):
            print("the rebuilt folder refused a mail in Dovecot (attempt %d): made again"
                  % attempt)
            continue
        t0 = time.time()
        while time.time() - t0 < 2 and held() == 3:
            time.sleep(0.2)
        if held() == 3:
            break
        print("the rebuilt folder lost its mails in Dovecot (attempt %d): made again" % attempt)
    else:
        raise AssertionError("Dovecot never kept the rebuilt folder's three mails")
    wait_for(lambda: len(sessions(r)) == 3, timeout=30, what="the new one read")
    wait_for(lambda: "UIDVALIDITY" in k.text() and "the folder was rebuilt" in k.text(),
             timeout=10, what="the rebuild said")
    assert sorted(transcript(r, P, s)[0][1] for s in sessions(r)) == \
        ["Subject: 文件夹 %d\n\n第 %d 封" % (i, i) for i in range(3)]
    assert all(len(transcript(r, P, s)) == 1 for s in sessions(r))


@test
def test_email_postfix_a_service_level_alert_reaches_the_queue_owner_by_mail(ctx):
    """The queue's owner is told of a slipping first response by mail: a notice of no
    session (no thread, no token, Auto-Submitted: auto-generated) submitted to Postfix and
    delivered to bob's Dovecot INBOX, once; kamcmd omniq.outbound_add takes the same path."""
    rig, rs, k = site(ctx)
    r = rs.client()
    agent(k, "olga")
    assert k.rpc("omniq.agent_notify", "olga", "email:support:bob@customer.example")[0] == 0
    assert k.rpc("omniq.queue_roles", "mail", "olga", "", "")[0] == 0
    rc, out = k.rpc("omniq.sla_set", "mail", "queue", "mail", "first", "4", "levels", "25,50,75",
                    "link", "https://desk.example.com/desk/#s=")
    assert rc == 0 and not out.startswith("error"), out
    rig.send(customer_mail("发票", "请开发票").as_bytes(), "alice@customer.example",
             ["support@example.com"])
    wait_for(lambda: sessions(r), timeout=20, what="the mail's session")
    sid = sessions(r)[0]
    got = rig.wait_mailbox("bob@customer.example", 1, timeout=30)
    mail = email.message_from_bytes(got[0], policy=email.policy.default)
    assert str(mail["Subject"]).startswith("[SLA level 1] session %s (email" % sid), mail["Subject"]
    assert mail["Auto-Submitted"] == "auto-generated" and mail["In-Reply-To"] is None
    assert mail["From"].addresses[0].addr_spec == "support@example.com"
    body = mail.get_body(("plain",)).get_content()
    assert body.strip().endswith("#s=" + sid), body
    time.sleep(2)          # levels 2 and 3 name nobody: still the one mail
    assert len(rig.wait_mailbox("bob@customer.example", 1, timeout=5)) == 1
    rc, did = k.rpc("omniq.outbound_add", "email", "support:bob@customer.example",
                    "omniq test alert\nthe path works")
    assert rc == 0 and not did.startswith("error"), did
    got = rig.wait_mailbox("bob@customer.example", 2, timeout=30)
    assert "omniq test alert" in got[1].decode("utf-8", "replace")
