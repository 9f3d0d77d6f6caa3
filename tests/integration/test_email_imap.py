"""IMAP IDLE on every kind of login a support mailbox has: STARTTLS with a password, and an
OAuth2 bearer (XOAUTH2, as providers want), besides imaps:// with a password
(test_email_postfix.py); and the IMAP mailbox of cfg/omniq.cfg's example as written."""
import email
import email.policy
import os
import re
import time

import mailrig
from harness import TOP, test, wait_for
from test_email_postfix import customer_mail, imap_defines, sessions


def _idle_reads_at_once(ctx, rig, name, **how):
    rs = ctx.redis()
    r = rs.client()
    k = ctx.kamailio("omniq.cfg", rs.port, name=name, defines=imap_defines(rig, poll="60", **how))
    wait_for(lambda: "imap support: IDLE: new mail is read as it comes" in k.text(), timeout=15,
             what="the IDLE connection")
    t0 = time.time()
    rig.send(customer_mail("急", "马上处理").as_bytes(), "alice@customer.example",
             ["support@example.com"])
    wait_for(lambda: len(sessions(r)) == 1, timeout=15, what="the mail read through IDLE")
    # a minute's poll is far: only IDLE read it
    assert time.time() - t0 < 15 and "no IDLE" not in k.text()


@test
def test_email_imap_idle_over_starttls_and_with_an_oauth2_bearer(ctx):
    """The IDLE connection logs in as the rounds do: imap:// upgraded with STARTTLS (the
    rig's Dovecot refuses a plaintext login), and an OAuth2 bearer over imaps:// and over
    STARTTLS; each mailbox reads a new mail in seconds with its next poll a minute away."""
    for i, how in enumerate(({}, {"tls": True, "bearer": True}, {"bearer": True})):
        rig = mailrig.start_for(ctx, mailrig.MailRig(
            os.path.join(ctx.dir, "mail%d" % i), support_transport=None,
            extra={"dovecot.conf": "auth_mechanisms = plain login xoauth2 oauthbearer\n"}))
        if how.get("bearer"):
            how = dict(how, bearer=rig.users["support@example.com"])
        _idle_reads_at_once(ctx, rig, "kam%d" % i, **how)
        # every login of that mailbox - the rounds' and the IDLE connection's - as asked
        logins = re.findall(r"imap-login: Info: Login: user=<support@example.com>, "
                            r"method=(\w+), .*?(TLS)?, session", open(rig.files["dovecot.log"]).read())
        want = "XOAUTH2" if how.get("bearer") else "PLAIN"
        assert len(logins) >= 2 and all(m == want and tls for m, tls in logins), logins


@test
def test_email_imap_the_cfg_example_mailbox_as_written(ctx):
    """cfg/omniq.cfg's IMAP mailbox line as written - only the hosts and passwords made the
    rig's, and its self-signed certificates accepted (imap_verify=0, smtp_verify=0): a mail
    is read over imaps:// with IDLE, moved to Processed once stored; the agent's reply
    leaves through submission and its copy is in Sent."""
    from test_email_postfix import SECRET, agent
    from test_wechat import ok_rpc
    line = [l for l in open(os.path.join(TOP, "cfg", "omniq.cfg")).read().splitlines()
            if "OMNIQ_EMAIL_MAILBOX=" in l and "imap=" in l]
    assert len(line) == 1, line
    box = re.search(r"OMNIQ_EMAIL_MAILBOX='([^']+)'", line[0]).group(1)
    rig = mailrig.start_rig(ctx, support_transport=None)
    for folder in ("Processed", "Sent"):
        rig.create_folder("support@example.com", folder)
    pw = rig.users["support@example.com"]
    box = (box.replace("imaps://imap.example.com/", "imaps://127.0.0.1:%d/" % rig.imaps_port)
           .replace("smtp://smtp.example.com:587", "smtp://127.0.0.1:%d" % rig.submission_port)
           .replace("_password=secret", "_password=" + pw))
    assert box.count(pw) == 2 and "example.com:" not in box, box
    rs = ctx.redis()
    r = rs.client()
    k = ctx.kamailio("omniq.cfg", rs.port, defines={
        "OMNIQ_EMAIL_MAILBOX": '"%s;imap_verify=0;smtp_verify=0"' % box,
        "OMNIQ_EMAIL_SECRET": '"%s"' % SECRET})
    wait_for(lambda: "imap support: IDLE: new mail is read as it comes" in k.text(), timeout=15,
             what="the IDLE connection")
    agent(k, "mei")
    rig.send(customer_mail("配置示例", "照着写的").as_bytes(), "alice@customer.example",
             ["support@example.com"])
    wait_for(lambda: sessions(r), timeout=15, what="the mail read over IMAP")
    wait_for(lambda: len(rig.mailbox("support@example.com", "Processed")) == 1
             and not rig.mailbox("support@example.com"), timeout=15, what="the mail moved")
    sid = sessions(r)[0]
    wait_for(lambda: r.hget("oq:{default}:s:%s" % sid, "agent") == "mei", what="the offer")
    ok_rpc(k, "omniq.accept", sid, "mei")
    ok_rpc(k, "omniq.reply", sid, "mei", "收到，照着写就行。")
    got = email.message_from_bytes(rig.wait_mailbox("alice@customer.example", 1, timeout=30)[0],
                                   policy=email.policy.default)
    assert got.get_body(("plain",)).get_content().strip() == "收到，照着写就行。"
    assert len(rig.wait_mailbox("support@example.com", 1, folder="Sent", timeout=30)) == 1


@test
def test_email_imap_a_server_without_idle_is_polled(ctx):
    """A server that offers no IDLE (its CAPABILITY lacks it): the reader says so once and
    reads the mailbox every imap_poll seconds instead; a mail is read at the next round."""
    rig = mailrig.start_rig(ctx, support_transport=None, extra={
        "dovecot.conf": "imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID "
                        "ENABLE UIDPLUS MOVE\n"})
    rs = ctx.redis()
    r = rs.client()
    k = ctx.kamailio("omniq.cfg", rs.port, defines=imap_defines(rig, tls=True, poll="2"))
    wait_for(lambda: "imap support: no IDLE (the server has no IDLE): read every 2 s"
             in k.text(), timeout=15, what="the fallback said")
    rig.send(customer_mail("轮询", "没有 IDLE 也能收到").as_bytes(), "alice@customer.example",
             ["support@example.com"])
    wait_for(lambda: len(sessions(r)) == 1, timeout=15, what="the mail read by polling")
    assert "IDLE: new mail is read as it comes" not in k.text()
    assert k.text().count("no IDLE (the server has no IDLE)") == 1
