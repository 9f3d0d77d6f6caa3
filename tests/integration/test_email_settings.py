"""omniq_email's modparams as an admin gets them wrong: each stops kamailio at start with a
line that names what is wrong (docs/admin-email.md, "Settings")."""
from harness import test
from test_email import SECRET


@test
def test_email_mailbox_modparam_refusals(ctx):
    """A wrong mailbox - a key unknown or given twice, an address that is no local@domain or
    has a '+', a domain too long for our replies' Message-IDs, half a login, an unknown
    scheme, a priority out of range - stops the start and says so; the longest domain that
    fits starts."""
    rs = ctx.redis()
    ok = "name=support;address=support@example.com"
    long_domain = "x" * 80 + ".example.com"
    cases = [
        ("name=support;address=support@example.com;colour=red", "unknown key 'colour'"),
        ("name=support;name=b;address=support@example.com", "repeated key 'name'"),
        ("address=support@example.com", "name is missing"),
        ("name=support;address=support", "address 'support' must be local@domain"),
        ("name=support;address=support+x@example.com", "address 'support+x@example.com' must "
                                                       "be local@domain (no '+'"),
        ("name=support;address=support@" + long_domain, "is over 84 characters (replies' "
                                                        "Message-IDs name it and must fit in 128)"),
        (ok + ";smtp=ftp://mail", "smtp 'ftp://mail' must be smtp://host[:port]"),
        (ok + ";smtp=smtp://mail;smtp_user=u", "smtp_user and smtp_password go together"),
        (ok + ";imap=pop3://mail/INBOX", "imap 'pop3://mail/INBOX' must be imap[s]://host"),
        (ok + ";imap=imaps://mail/INBOX", "imap needs imap_user and one of imap_password"),
        (ok + ";priority=5000", "priority must be a number 0..1000"),
    ]
    for i, (box, says) in enumerate(cases):
        k = ctx.kamailio("omniq.cfg", rs.port, name="bad%d" % i, start=False, defines={
            "OMNIQ_EMAIL_MAILBOX": '"%s"' % box, "OMNIQ_EMAIL_SECRET": '"%s"' % SECRET})
        k.start(expect_ready=False)
        assert k.wait_exit(20) != 0, box
        assert says in k.text(), (box, says, k.tail())
    # the longest domain that fits is taken
    fits = "name=support;address=support@" + "x" * (84 - len(".example.com")) + ".example.com"
    k = ctx.kamailio("omniq.cfg", rs.port, name="fits", defines={
        "OMNIQ_EMAIL_MAILBOX": '"%s"' % fits, "OMNIQ_EMAIL_SECRET": '"%s"' % SECRET})
    assert k.rpc_ok("email.mailboxes")
