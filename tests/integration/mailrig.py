"""A real Postfix 3.7 and a real Dovecot 2.3 (Debian bookworm's), each an instance of its own
under the test's directory, as the mail servers of the email channel's tests.

Nothing here is mocked: customers' mail comes in through Postfix's smtpd as it would from the
internet, the company's mail (support@<domain>) goes from Postfix to the module under test
over LMTP (or into Dovecot), agents' replies go out through Postfix's submission port with
STARTTLS and SASL AUTH (Dovecot's auth), and the customers' mailboxes are Dovecot's, read over
IMAP. A mock would answer what its author believed; this answers what Postfix and Dovecot do.

    rig = start_rig(ctx, domain="example.com", customer_domain="customer.example",
                    support_transport="lmtp:inet:127.0.0.1:%d" % port)
                                 # = MailRig(<ctx.dir>/mail, ...).start(), stopped by the harness
    rig.send(raw, "alice@customer.example", ["support@example.com"])
                                 # through smtpd, as from the internet: Postfix's queue id
    rig.submit(raw, "support@example.com", ["alice@customer.example"],
               user="support@example.com")   # submission: STARTTLS, AUTH (the rig's password)
    rig.wait_mailbox("alice@customer.example", 1)  # the raw messages of INBOX, in UID order
    rig.mailbox(user, folder="INBOX"), rig.messages(user, folder)   # [(uid, raw)]
    rig.imap(user, starttls=False, tls=False)      # a logged-in imaplib.IMAP4 (or _SSL)
    rig.create_folder(user, "Processed")
    rig.queue(), rig.wait_queue(cond), rig.flush() # Postfix's queue (postqueue -j, parsed);
                                                   # flush: try the deferred ones now
    rig.reload()                 # Postfix reads its configuration and tables again
    rig.add_user(addr, password), rig.users        # Dovecot's passwd-file, {addr: password}
    rig.ssl_context()            # a client TLS context that trusts the rig's certificate
    rig.logs(), rig.errors()     # tails of every log; Postfix's and Dovecot's error lines
    rig.stop()                   # every process gone, idempotent; rig.pids(), rig.running(),
                                 # rig.members(): {pid: name} of every live process of it
    rig.smtpd_port, .submission_port, .imap_port, .imaps_port, .lmtp_port, .auth_port,
    rig.dovecot_lmtp             # "lmtp:inet:127.0.0.1:<lmtp_port>", Dovecot's LMTP
    rec = LmtpRecorder(answer).start()   # an LMTP server for support_transport=rec.transport

start_rig() puts the rig in ctx.servers before it starts, so the harness stops it whatever
happens. Its processes end with the test process: each master has PR_SET_PDEATHSIG (setpriv,
tied to the thread that called start(): start it from the test's own thread), and so does a
small watchdog process that sends SIGTERM to both masters when it gets its own - Postfix's
master loses its parent-death signal (it changes its effective uid for a moment at start, to
lock data_directory/master.lock as mail_owner, and Linux clears the setting then). A master
takes its children with it. An atexit hook stops any rig left. start() returns once smtpd and
submission answer 220, IMAP "* OK", LMTP 220 and Dovecot's auth its handshake; it raises with
the logs' tails (everything stopped) if not within START_WITHIN = 30 s, at once if a process
exits, and a port found taken (a master's "Address already in use") is tried once more on new
ports. Postfix's and Dovecot's masters run as root (they must): so must the tests.

Parameters (MailRig(workdir, ...) and start_rig(ctx, ...)):
  domain             the company's domain: every recipient @domain (support@, support+tok@,
                     anything@) goes to support_transport
  customer_domain    the customers' domain: its recipients go to Dovecot (their mailboxes)
  support_transport  a Postfix transport for @domain, e.g. "lmtp:inet:127.0.0.1:PORT" (the
                     module, or an LmtpRecorder); None: Dovecot (rig.dovecot_lmtp), the
                     support mailbox kept there, for IMAP
  users              {address: password} of Dovecot (its passdb and userdb); default
                     support@domain, alice@ and bob@customer_domain, each with the password
                     "pw-<local part>" (DEFAULT_USERS)
  retry              seconds: queue_run_delay = minimal_backoff_time = retry,
                     maximal_backoff_time = 2 * retry (default 2): a deferred message is tried
                     again some `retry` s later (Postfix counts whole seconds: seen 1.3 s),
                     and at most a few seconds later; flush() tries it at once
  auth_penalty       False (the default): Dovecot's auth penalty is off - with it, a login
                     after a failed one from the same IP waits 2 s and more (up to 15 s), as
                     in production (seen: 4 s). The rig removes the anvil-auth-penalty
                     socket before auth starts, which Dovecot's auth takes for "no penalty"
  extra              {"main.cf": {param: value}, "master.cf": [lines], "dovecot.conf": text}:
                     more settings (a main.cf value replaces the rig's; master.cf lines and
                     dovecot.conf text are appended)

Layout (workdir = <ctx.dir>/mail): postfix/conf/{main.cf,master.cf}, postfix/data
(data_directory), postfix.log (Postfix's maillog_file: every Postfix process's lines),
postfix.out (master's stdout and stderr); dovecot/dovecot.conf, dovecot/users (the
passwd-file), dovecot/state (state_dir), dovecot.log, dovecot.out; mailboxes/<domain>/<local
part>/Maildir (owned by the user `mail`); tls/{cert,key}.pem (a self-signed P-256 certificate
for mail.<domain> and IP 127.0.0.1, made with openssl; both servers use it). Postfix's
queue_directory and Dovecot's base_dir are in /tmp/omniq-mail-<pid>-XXXX (rig.run_dir),
removed by stop() (and by the next rig if its test process was killed): both hold unix
sockets that Postfix and Dovecot name by their whole path, which can be 107 bytes at most
(Postfix's public/postlog under a test's directory is longer: its logging fails).

Postfix (the rig writes main.cf and master.cf and the queue's directories, as postfix-files
lists them; then it runs `master -c DIR -s` itself, not `postfix start-fg`, whose
`postfix check` takes 2.5 s):
  * 127.0.0.1:<smtpd_port>       smtpd, "the internet": STARTTLS offered, no AUTH; mail to
                                 @domain and @customer_domain taken from anyone
                                 (relay_domains), to any other domain refused at RCPT with
                                 554 5.7.1 "Relay access denied" (smtpd_relay_restrictions =
                                 permit_sasl_authenticated, reject_unauth_destination;
                                 mynetworks is empty: 127.0.0.1 is not trusted)
  * 127.0.0.1:<submission_port>  smtpd, submission: STARTTLS required (530 5.7.0 "Must issue
                                 a STARTTLS command first" to MAIL before it), AUTH PLAIN
                                 LOGIN offered after STARTTLS only, checked by Dovecot's auth
                                 (smtpd_sasl_type dovecot, smtpd_sasl_path
                                 inet:127.0.0.1:<auth_port>); a client that did not
                                 authenticate is refused at RCPT with 554 5.7.1 "Client host
                                 rejected: Access denied"; a wrong password is 535 5.7.8.
  * transport_maps = inline:{domain = support_transport, customer_domain = rig.dovecot_lmtp};
    default_transport and relay_transport are "error:": smtpd refuses a recipient in any
    other domain at RCPT, also an authenticated client's (550 5.1.2 ... no route): there is
    no internet. mydestination is empty (no local delivery); recipient_delimiter "+".
  * No DNS anywhere: smtp/lmtp_dns_support_level = disabled, host lookups native, every
    next hop an IP; smtpd_peername_lookup = no (a client is "unknown[127.0.0.1]").
  * local_header_rewrite_clients = permit_sasl_authenticated: Postfix adds a missing
    Message-ID or Date only to what submission takes (by default it would for every client
    of 127.0.0.1, an address of inet_interfaces: what smtpd takes must stay as it came).
  * in_flow_delay = 0 and smtpd_error_sleep_time = 0 (no pauses meant for real traffic).
  * maillog_file = <workdir>/postfix.log needs the postlog service in master.cf and
    maillog_file_prefixes naming the workdir (only /var and /dev/stdout by default: any
    other path is fatal). master logs what goes wrong before it has read main.cf (a bad
    setting, a port taken) to syslog, which is not there: the rig starts it with
    POSTLOG_SERVICE in its environment, so it writes those lines to maillog_file too.
  * The rig sets the mtime of main.cf a minute back: Postfix reads main.cf again, 0.3 s
    apart, while it is less than 2 s old (util/dict.c, "hot" files), in every process it
    starts - 1.5 s each, before smtpd answers its first client.

Dovecot (the rig writes dovecot.conf; `dovecot -F -c CONF`):
  * IMAP on 127.0.0.1:<imap_port> (STARTTLS) and <imaps_port> (TLS from the start),
    auth_mechanisms plain login; disable_plaintext_auth stays yes: Dovecot counts a
    connection from 127.0.0.1 to 127.0.0.1 as secured, so LOGIN without TLS works on
    loopback (and only there). IMAP MOVE (UID MOVE) is there; one namespace, separator "/".
  * LMTP on 127.0.0.1:<lmtp_port> for the users of the passwd-file only (others: 550 5.1.1,
    and Postfix bounces the message to its sender); recipient_delimiter "+":
    support+tok@domain goes to support@domain's INBOX. Dovecot adds Return-Path,
    Delivered-To (the address as sent, +tok included) and its Received header above
    Postfix's.
  * auth: an inet listener on 127.0.0.1:<auth_port> for Postfix's SASL (not a socket in
    Postfix's private/: the path could be too long); auth_failure_delay = 0 (a wrong
    password is answered in about 0.5 s, not 2 s).
  * mail_location maildir:~/Maildir, home mailboxes/%d/%n, every mailbox owned by `mail`
    (uid 8: first_valid_uid lowered to it; Dovecot refuses root). Every directory above the
    workdir must be searchable by that user (start() checks).
  * add_user() rewrites the passwd-file (no auth cache): Dovecot's auth looks at it at most
    once a second, so add_user() returns after the next whole second; the user can then log
    in and get mail.
  * On SIGTERM its master stops its children and exits in about a second, logging
    "Warning: Killed with signal 15"; told while it is still starting, it has taken 6 s (a
    start that fails is ended with SIGKILL).

What Postfix 3.7.11 and Dovecot 2.3.19.1 do, checked by tests/integration/test_mail_rig.py
unless it says "(source)":
  * Postfix puts one Received header on top ("from <helo> (unknown [127.0.0.1]) by
    mail.<domain> (Postfix) with ESMTP|ESMTPS|ESMTPSA id <queue id>", then "for <rcpt>" when
    the message has one recipient) and passes the rest as it came, byte for byte: 8-bit
    bodies (UTF-8, GBK), encoded-word headers, lines that start with a dot. send() and
    submit() make every line end in CR LF and say BODY=8BITMIME when a byte is over 127.
  * An LMTP server that announces neither 8BITMIME nor SMTPUTF8 gets an 8-bit body
    converted to quoted-printable (Postfix takes SMTPUTF8 for 8BITMIME too); the recorder
    announces both unless told otherwise.
  * Postfix gives one LMTP transaction to the recipients of a message at one destination,
    sorted by address (not in the sender's order), and takes each one's reply after DATA
    on its own: a 4xx defers that recipient (the message stays in the queue: queue_name
    "deferred", the reply in that recipient's delay_reason) until a try is answered 2xx,
    after `retry` s or at flush(). Once out of the queue it is not tried again: delivered
    once.
  * A bounce (Dovecot's 550 for an unknown customer) comes back to the sender from
    "Mail Delivery System <MAILER-DAEMON@mail.<domain>>" with a null Return-Path, the
    returned message attached.
  * Postfix's LMTP client may keep a connection for the next delivery (RSET before it uses
    it again; connection caching on demand, when deliveries queue up) (source): the
    recorder takes any number of transactions on a connection.

Stdlib only: it runs under Debian's /usr/bin/python3.
"""
import grp
import imaplib
import json
import os
import pwd
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ports import free_port  # noqa: E402  (tests/ports.py, as harness.py takes it)
from rigproc import SETPRIV, Rig, read_from, start_for, start_twice, alive, proc_stat  # noqa: E402,F401

POSTQUEUE = "/usr/sbin/postqueue"
MASTER = "/usr/lib/postfix/sbin/master"
POSTFIX_FILES = "/etc/postfix/postfix-files"   # the queue's directories, owners and modes
DOVECOT = "/usr/sbin/dovecot"
OPENSSL = "/usr/bin/openssl"
DH_PEM = "/usr/share/dovecot/dh.pem"      # dovecot-core's DH parameters
MAIL_USER = "mail"                        # owns every mailbox (Debian's uid 8)

DEFAULT_USERS = ("support@{domain}", "alice@{customer}", "bob@{customer}")

# "bind 127.0.0.1 port N: Address already in use" (Postfix), "bind(127.0.0.1, N) failed:
# Address already in use" (Dovecot)
PORT_TAKEN = re.compile(r"Address already in use")
# the lines of a failure: Postfix "postfix/smtpd[123]: fatal: ...", Dovecot "... Error: ..."
PF_BAD = re.compile(r" postfix(?:/[\w./-]+)?\[\d+\]: (?:fatal|panic|error): ")
DC_BAD = re.compile(r"\b(?:Error|Fatal|Panic): ")

# /tmp/omniq-mail-<pid of the test process>-XXXX: a rig's queue and Dovecot's sockets
RUN_PREFIX = "omniq-mail-"


def crlf(raw):
    """The message with every line ending CR LF (a bare LF becomes CR LF), as SMTP carries it."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    return re.sub(rb"\r?\n", b"\r\n", raw)


def session_members(sid):
    """{pid: comm} of the live (not zombie) processes of a session."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = proc_stat(int(d))
        if st and st[1] == sid and st[0] != "Z":
            try:
                with open("/proc/%s/comm" % d) as f:
                    out[int(d)] = f.read().strip()
            except OSError:
                pass
    return out


def _clean_run_dirs():
    """The run directories of test processes that are gone (killed before they could
    remove them)."""
    for name in os.listdir("/tmp"):
        m = re.fullmatch(re.escape(RUN_PREFIX) + r"(\d+)-\w+", name)
        if m and not alive(int(m.group(1))):
            shutil.rmtree(os.path.join("/tmp", name), ignore_errors=True)


# The rig's watchdog: SIGTERM to each master when the test process dies. Postfix's master
# loses its own parent-death signal: it changes its effective uid for a moment at start (to
# lock data_directory/master.lock as mail_owner), and Linux clears PR_SET_PDEATHSIG then.
# Each pid is signalled only while it still leads its session (it is still our master).
WATCHDOG = """
import os, signal, sys
def end(*_):
    for pid in map(int, sys.argv[1:]):
        try:
            with open("/proc/%d/stat" % pid) as f:
                if int(f.read().rsplit(")", 1)[1].split()[3]) == pid:
                    os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError, IndexError):
            pass
    os._exit(0)
signal.signal(signal.SIGTERM, end)
signal.signal(signal.SIGINT, signal.SIG_IGN)
print("ready", flush=True)
while True:
    signal.pause()
"""


class MailRig(Rig):
    """Postfix + Dovecot on free loopback ports (see the module's docstring for what each does
    and what they were found to do)."""

    START_WITHIN = 30   # seconds for all of them to answer (a loaded machine)
    STOP_WITHIN = 15    # seconds each for a SIGTERM before a SIGKILL
    NAME = "the mail rig"
    LOGS = PORT_LOGS = ("postfix.log", "postfix.out", "dovecot.log", "dovecot.out")
    PORT_TAKEN = PORT_TAKEN
    POLL_S = 0.05

    def __init__(self, workdir, domain="example.com", customer_domain="customer.example",
                 support_transport=None, users=None, retry=2, auth_penalty=False, extra=None):
        for d in (domain, customer_domain):
            if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", d or ""):
                raise ValueError("a domain in lower case: %r" % (d,))
        if domain == customer_domain:
            raise ValueError("the company and its customers need domains of their own")
        if support_transport is not None and not re.fullmatch(r"[\w-]+:\S*", support_transport):
            raise ValueError("a Postfix transport, e.g. lmtp:inet:127.0.0.1:PORT: %r" % (
                support_transport,))
        self.dir = os.path.abspath(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.domain, self.customer_domain = domain, customer_domain
        self.hostname = "mail." + domain
        self.support_transport = support_transport
        self.retry = retry
        self.auth_penalty = auth_penalty
        self.extra = extra or {}
        unknown = set(self.extra) - {"main.cf", "master.cf", "dovecot.conf"}
        if unknown:
            raise ValueError("extra: main.cf, master.cf or dovecot.conf, not %r" % unknown)
        if users is None:
            users = {u.format(domain=domain, customer=customer_domain):
                     "pw-" + u.split("@")[0] for u in DEFAULT_USERS}
        self.users = {}
        for addr, pw in users.items():
            self._check_user(addr, pw)
            self.users[addr.lower()] = pw
        self.pf_conf = os.path.join(self.dir, "postfix", "conf")
        self.pf_queue = None       # in run_dir
        self.pf_data = os.path.join(self.dir, "postfix", "data")
        self.dc_dir = os.path.join(self.dir, "dovecot")
        self.dc_conf = os.path.join(self.dc_dir, "dovecot.conf")
        self.users_file = os.path.join(self.dc_dir, "users")
        self.mailboxes = os.path.join(self.dir, "mailboxes")
        self.cert = os.path.join(self.dir, "tls", "cert.pem")
        self.key = os.path.join(self.dir, "tls", "key.pem")
        self.files = {n: os.path.join(self.dir, n) for n in (
            "postfix.log", "postfix.out", "dovecot.log", "dovecot.out")}
        self.run_dir = None        # short paths for sockets (see the docstring)
        self.base_dir = None       # Dovecot's sockets, in run_dir
        self.procs = {}            # "master", "dovecot" -> Popen
        self._log_from = {}
        self._users_lock = threading.Lock()
        self._new_ports()

    def _new_ports(self):
        self.smtpd_port = free_port()
        self.submission_port = free_port()
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.lmtp_port = free_port()
        self.auth_port = free_port()
        self.dovecot_lmtp = "lmtp:inet:127.0.0.1:%d" % self.lmtp_port

    @staticmethod
    def _check_user(addr, pw):
        if not re.fullmatch(r"[a-z0-9._%+-]+@[a-z0-9.-]+", (addr or "").lower()):
            raise ValueError("an address user@domain: %r" % (addr,))
        if not pw or set(pw) & set(":\r\n\0"):
            raise ValueError("a password without ':' or a line break: %r" % (pw,))

    # ---- configuration ----

    def main_cf(self):
        """main.cf's settings, in order (extra["main.cf"] replaces or adds)."""
        support = self.support_transport or self.dovecot_lmtp
        cf = {
            "compatibility_level": "3.6",
            "queue_directory": self.pf_queue,
            "data_directory": self.pf_data,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "maillog_file": self.files["postfix.log"],
            "maillog_file_prefixes": self.dir,
            "myhostname": self.hostname,
            "mydomain": self.domain,
            "myorigin": "$myhostname",
            "mydestination": "",
            "mynetworks": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "relay_domains": "%s, %s" % (self.domain, self.customer_domain),
            "transport_maps": "inline:{ {%s = %s}, {%s = %s} }" % (
                self.domain, support, self.customer_domain, self.dovecot_lmtp),
            "default_transport": "error:5.1.2 the mail rig has no route to this domain",
            "relay_transport": "error:5.1.2 the mail rig has no route to this domain",
            "local_transport": "error:5.1.1 no local delivery in the mail rig",
            "alias_maps": "", "alias_database": "", "biff": "no",
            "recipient_delimiter": "+",
            "append_dot_mydomain": "no",
            "smtp_dns_support_level": "disabled", "lmtp_dns_support_level": "disabled",
            "smtp_host_lookup": "native", "lmtp_host_lookup": "native",
            "smtpd_peername_lookup": "no",
            "smtpd_banner": "$myhostname ESMTP mailrig",
            "smtpd_relay_restrictions": "permit_sasl_authenticated, reject_unauth_destination",
            "smtpd_tls_cert_file": self.cert, "smtpd_tls_key_file": self.key,
            "smtpd_tls_security_level": "may", "smtpd_tls_auth_only": "yes",
            "smtpd_tls_loglevel": "1", "smtpd_tls_received_header": "no",
            "smtp_tls_security_level": "none", "lmtp_tls_security_level": "none",
            "smtpd_sasl_type": "dovecot",
            "smtpd_sasl_path": "inet:127.0.0.1:%d" % self.auth_port,
            "smtpd_sasl_auth_enable": "no",
            "queue_run_delay": "%ds" % self.retry,
            "minimal_backoff_time": "%ds" % self.retry,
            "maximal_backoff_time": "%ds" % (2 * self.retry),
            "in_flow_delay": "0s",
            "smtpd_error_sleep_time": "0s",
            # Postfix adds Date, Message-ID, From... a message lacks, and rewrites addresses,
            # only for these (by default every client of 127.0.0.1 is local: inet_interfaces)
            "local_header_rewrite_clients": "permit_sasl_authenticated",
        }
        cf.update({k: str(v) for k, v in self.extra.get("main.cf", {}).items()})
        return cf

    def master_cf(self):
        """master.cf's lines: the two smtpd listeners and the services Postfix needs, none
        chrooted."""
        lines = [
            "127.0.0.1:%d inet n - n - - smtpd" % self.smtpd_port,
            "127.0.0.1:%d inet n - n - - smtpd" % self.submission_port,
            "  -o syslog_name=postfix/submission",
            "  -o smtpd_tls_security_level=encrypt",
            "  -o smtpd_sasl_auth_enable=yes",
            "  -o smtpd_tls_auth_only=yes",
            "  -o smtpd_client_restrictions=permit_sasl_authenticated,reject",
            "  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject",
        ]
        for svc in ("pickup unix n - n 60 1 pickup", "cleanup unix n - n - 0 cleanup",
                    "qmgr unix n - n 300 1 qmgr", "tlsmgr unix - - n 1000? 1 tlsmgr",
                    "rewrite unix - - n - - trivial-rewrite", "bounce unix - - n - 0 bounce",
                    "defer unix - - n - 0 bounce", "trace unix - - n - 0 bounce",
                    "verify unix - - n - 1 verify", "flush unix n - n 1000? 0 flush",
                    "proxymap unix - - n - - proxymap", "proxywrite unix - - n - 1 proxymap",
                    "smtp unix - - n - - smtp", "relay unix - - n - - smtp",
                    "showq unix n - n - - showq", "error unix - - n - - error",
                    "retry unix - - n - - error", "discard unix - - n - - discard",
                    "lmtp unix - - n - - lmtp", "anvil unix - - n - 1 anvil",
                    "scache unix - - n - 1 scache", "postlog unix-dgram n - n - 1 postlogd"):
            lines.append(svc)
        return lines + list(self.extra.get("master.cf", []))

    def dovecot_conf(self):
        mail = pwd.getpwnam(MAIL_USER)
        conf = """# written by tests/integration/mailrig.py
base_dir = %(base)s
state_dir = %(state)s
instance_name = %(instance)s
hostname = %(host)s
protocols = imap lmtp
listen = 127.0.0.1
log_path = %(log)s
ssl = yes
ssl_cert = <%(cert)s
ssl_key = <%(key)s
%(dh)s
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = %(uid)d
first_valid_gid = %(gid)d
mail_location = maildir:~/Maildir
mail_max_userip_connections = 100
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
postmaster_address = postmaster@%(domain)s
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%Lu %(users)s
}
userdb {
  driver = passwd-file
  args = username_format=%%Lu %(users)s
  default_fields = uid=%(uid)d gid=%(gid)d home=%(mailboxes)s/%%Ld/%%Ln
}
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %(imap)d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %(imaps)d
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = %(lmtp)d
  }
}
service auth {
  inet_listener auth-postfix {
    address = 127.0.0.1
    port = %(auth)d
  }
}
""" % {"base": self.base_dir, "state": os.path.join(self.dc_dir, "state"),
            "instance": "omniq-mailrig-%d-%d" % (os.getpid(), self.lmtp_port),
            "host": self.hostname, "log": self.files["dovecot.log"],
            "cert": self.cert, "key": self.key,
            "dh": "ssl_dh = <%s" % DH_PEM if os.path.exists(DH_PEM) else "",
            "uid": mail.pw_uid, "gid": mail.pw_gid, "domain": self.domain,
            "users": self.users_file, "mailboxes": self.mailboxes,
            "imap": self.imap_port, "imaps": self.imaps_port, "lmtp": self.lmtp_port,
            "auth": self.auth_port}
        return conf + self.extra.get("dovecot.conf", "")

    def _write_users(self):
        """The passwd-file, with an mtime of its own: Dovecot reads it again when its mtime
        (in seconds) or its size differs from what it read."""
        with self._users_lock:
            tmp = self.users_file + ".new"
            with open(tmp, "w") as f:
                for addr, pw in self.users.items():
                    f.write("%s:%s::::::\n" % (addr, pw))
            os.chmod(tmp, 0o644)   # Dovecot's auth reads it as the dovecot user
            try:
                last = int(os.stat(self.users_file).st_mtime)
            except OSError:
                last = 0
            stamp = max(int(time.time()), last + 1)
            os.utime(tmp, (stamp, stamp))
            os.replace(tmp, self.users_file)
            return time.time()

    def add_user(self, addr, password):
        """A Dovecot user (a mailbox, an IMAP and SMTP AUTH login), or a new password; once
        it returns Dovecot knows it. Dovecot's auth looks at its passwd-file at most once a
        second (auth/db-passwd-file.c): this takes up to a second."""
        self._check_user(addr, password)
        self.users[addr.lower()] = password
        if os.path.exists(self.users_file):
            written = self._write_users()
            # a lookup in the second the file changed may have read it just before
            time.sleep(max(0.0, int(written) + 1.05 - time.time()))

    def _make_queue(self):
        """The queue's and the data directory's directories, owners and modes as Postfix's
        postfix-files lists them (what `postfix check` would make, in 2.5 s of shell)."""
        owner = pwd.getpwnam("postfix").pw_uid
        group = grp.getgrnam("postdrop").gr_gid
        try:
            with open(POSTFIX_FILES) as f:
                spec = [l.strip().split(":") for l in f if re.match(
                    r"\$(queue|data)_directory[:/]", l)]
        except OSError:
            spec = []
        dirs = [(s[0], s[2], s[3], int(s[4], 8)) for s in spec if len(s) >= 5 and s[1] == "d"]
        if not any(d[0] == "$queue_directory/public" for d in dirs):
            raise RuntimeError("%s lists no queue directories: %r" % (POSTFIX_FILES, spec))
        for path, user, grp_, mode in dirs:
            path = path.replace("$queue_directory", self.pf_queue).replace(
                "$data_directory", self.pf_data)
            os.makedirs(path, exist_ok=True)
            os.chown(path, 0 if user == "root" else owner,
                     group if grp_ == "$setgid_group" else 0)
            os.chmod(path, mode)

    def write_conf(self):
        os.makedirs(self.pf_conf, exist_ok=True)
        self._make_queue()
        with open(os.path.join(self.pf_conf, "main.cf"), "w") as f:
            f.write("# written by tests/integration/mailrig.py\n")
            for k, v in self.main_cf().items():
                if "\n" in v:
                    raise ValueError("main.cf %s: no line break" % k)
                f.write("%s = %s\n" % (k, v))
        with open(os.path.join(self.pf_conf, "master.cf"), "w") as f:
            f.write("# written by tests/integration/mailrig.py\n")
            f.write("\n".join(self.master_cf()) + "\n")
        # Postfix reads main.cf again, 0.3 s apart, while its mtime is under 2 s old ("hot":
        # util/dict.c dict_load_file_xt), in every process that starts: 1.5 s each
        old = time.time() - 60
        for name in ("main.cf", "master.cf"):
            os.utime(os.path.join(self.pf_conf, name), (old, old))
        os.makedirs(os.path.join(self.dc_dir, "state"), exist_ok=True)
        with open(self.dc_conf, "w") as f:
            f.write(self.dovecot_conf())
        self._write_users()

    def _make_cert(self):
        if os.path.exists(self.cert) and os.path.exists(self.key):
            return
        os.makedirs(os.path.dirname(self.cert), exist_ok=True)
        r = subprocess.run(
            [OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
             "-subj", "/CN=%s" % self.hostname,
             "-addext", "subjectAltName=DNS:%s,IP:127.0.0.1" % self.hostname,
             "-keyout", self.key, "-out", self.cert],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            timeout=60)
        if r.returncode != 0:
            raise RuntimeError("openssl could not make the certificate: %s" % r.stdout.decode(
                "utf-8", "replace"))
        os.chmod(self.key, 0o600)

    def _check_mail_user_path(self):
        """Every directory above the mailboxes must be searchable by the mail user."""
        uid = pwd.getpwnam(MAIL_USER).pw_uid
        d = self.dir
        while True:
            st = os.stat(d)
            if not (st.st_mode & 0o001 or (st.st_uid == uid and st.st_mode & 0o100)):
                raise RuntimeError("%s is not searchable by the user %s, who owns the mailboxes "
                                   "(chmod o+x, or run the tests from elsewhere)" % (d, MAIL_USER))
            up = os.path.dirname(d)
            if up == d:
                return
            d = up

    def ssl_context(self):
        """A client TLS context that trusts the rig's certificate (and checks the name:
        127.0.0.1 or mail.<domain>)."""
        ctx = ssl.create_default_context(cafile=self.cert)
        return ctx

    # ---- lifecycle ----

    def start(self):
        """Write the configurations, start Dovecot, then Postfix; return once every service
        answers. A port someone took in between: once more on new ports. Raises (with the
        logs' tails), everything stopped, if not within START_WITHIN seconds."""
        if self.running():
            raise RuntimeError("already running: %r" % self.pids())
        if os.geteuid() != 0:
            raise RuntimeError("Postfix's and Dovecot's masters run as root: run the tests as root")
        for tool in (POSTQUEUE, MASTER, DOVECOT, OPENSSL):
            if not os.access(tool, os.X_OK):
                raise RuntimeError("%s missing (scripts/deps.sh test: postfix, dovecot-imapd, "
                                   "dovecot-lmtpd, openssl)" % tool)
        self._make_cert()
        os.makedirs(self.mailboxes, exist_ok=True)
        mail = pwd.getpwnam(MAIL_USER)
        os.chown(self.mailboxes, mail.pw_uid, mail.pw_gid)
        os.chmod(self.mailboxes, 0o755)
        self._check_mail_user_path()
        return start_twice(self, "the mail rig")

    def _start_once(self):
        _clean_run_dirs()
        self.run_dir = tempfile.mkdtemp(prefix="%s%d-" % (RUN_PREFIX, os.getpid()), dir="/tmp")
        os.chmod(self.run_dir, 0o755)
        self.pf_queue = os.path.join(self.run_dir, "queue")
        self.base_dir = os.path.join(self.run_dir, "dovecot")
        self.write_conf()
        # SIGKILL on a failure: a Dovecot told to stop while it starts may take 6 s about it
        return self._start_with(self._start_steps, stop=lambda: self.stop(kill=True))

    def _start_steps(self, end):
        self._spawn("dovecot", [DOVECOT, "-F", "-c", self.dc_conf], "dovecot.out")
        # POSTLOG_SERVICE: master logs what goes wrong before it has read main.cf (a bad
        # setting, a port taken) to syslog, which is not there; told of the postlog
        # socket it logs to it, and to maillog_file when nothing listens on it yet
        self._spawn("master", [MASTER, "-c", self.pf_conf, "-s"], "postfix.out", env=dict(
            os.environ, POSTLOG_SERVICE=os.path.join(self.pf_queue, "public", "postlog"),
            POSTLOG_HOSTNAME=self.hostname))
        self._spawn_watchdog()
        if not self.auth_penalty:
            # before auth starts (on its first client: the wait below); it runs without
            # penalties when the socket is not there (auth/auth-penalty.c)
            sock = os.path.join(self.base_dir, "anvil-auth-penalty")
            self._until(end, lambda: os.path.exists(sock), "Dovecot's sockets")
            os.unlink(sock)
        self._until(end, lambda: self._greets(self.auth_port, b"VERSION\t", send=None),
                    "Dovecot's auth")
        self._until(end, lambda: self._greets(self.lmtp_port, b"220 "), "Dovecot's LMTP")
        self._until(end, lambda: self._greets(self.imap_port, b"* OK", b"a LOGOUT\r\n"),
                    "Dovecot's IMAP")
        self._until(end, lambda: self._greets(self.smtpd_port, b"220 "), "Postfix's smtpd")
        self._until(end, lambda: self._greets(self.submission_port, b"220 "),
                    "Postfix's submission")

    def _spawn(self, name, argv, outname, env=None):
        with open(self.files[outname], "ab") as out:
            # a session of its own: every process of it is the rig's (members())
            self.procs[name] = subprocess.Popen(
                SETPRIV + argv, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True, env=env)

    def _spawn_watchdog(self):
        """The watchdog of both masters (WATCHDOG), once it is ready for the signal."""
        w = subprocess.Popen(
            SETPRIV + [sys.executable, "-S", "-c", WATCHDOG] + [
                str(p.pid) for p in self.procs.values()],
            cwd=self.dir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        self.procs["watchdog"] = w
        line = w.stdout.readline()
        w.stdout.close()
        if line != b"ready\n":
            raise RuntimeError("the rig's watchdog did not start: %r" % line)

    @staticmethod
    def _greets(port, want, send=b"QUIT\r\n"):
        """The service on the port accepts a connection and its first bytes start with want."""
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                got = b""
                while len(got) < len(want) and b"\n" not in got:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    got += chunk
                if send and got.startswith(want):
                    try:
                        s.sendall(send)
                    except OSError:
                        pass
                return got.startswith(want)
        except OSError:
            return False

    def stop(self, kill=False):
        """Stop Postfix, then Dovecot (SIGTERM to each master, SIGKILL to its session after
        STOP_WITHIN s; kill=True: SIGKILL to both sessions at once), and anything left of
        either session; safe to call again."""
        w = self.procs.get("watchdog")
        if w is not None and w.poll() is None:
            w.kill()    # it must not act on the masters' stop
            w.wait()
        for name in ("master", "dovecot"):
            p = self.procs.get(name)
            if p is None:
                continue
            if p.poll() is None and kill:
                self._kill_session(p.pid)
                p.wait()
            if p.poll() is None:
                try:
                    p.terminate()
                    p.wait(self.STOP_WITHIN)
                except subprocess.TimeoutExpired:
                    self._kill_session(p.pid)
                    p.wait()
            # a child that outlived its master (it exits by itself on noticing, but a test
            # must not race with it)
            end = time.time() + self.STOP_WITHIN
            while session_members(p.pid) and time.time() < end:
                time.sleep(0.05)
            self._kill_session(p.pid)
        if self.run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None
        self._stopped_all()

    cleanup = stop

    @staticmethod
    def _kill_session(sid):
        for pid in session_members(sid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        end = time.time() + 5
        while session_members(sid) and time.time() < end:
            time.sleep(0.05)

    def members(self):
        """{pid: comm} of every live process of the rig: the masters and all their children
        (each master leads a session of its own), and the watchdog."""
        out = {}
        for name, p in self.procs.items():
            if name == "watchdog":
                if alive(p.pid):
                    out[p.pid] = "watchdog"
            else:
                out.update(session_members(p.pid))
        return out

    # ---- SMTP ----

    @staticmethod
    def _transaction(smtp, raw, mail_from, rcpts):
        """MAIL, RCPT for each, DATA; the queue id Postfix gave. Any refusal raises
        (SMTPSenderRefused, SMTPRecipientsRefused with every refused one, SMTPDataError)."""
        if isinstance(rcpts, str):
            rcpts = [rcpts]
        raw = crlf(raw)
        opts = []
        if any(b > 127 for b in raw):
            opts.append("BODY=8BITMIME")
        if any(ord(c) > 127 for a in [mail_from] + list(rcpts) for c in a):
            opts.append("SMTPUTF8")
        code, resp = smtp.mail(mail_from, opts)
        if code != 250:
            smtp.rset()
            raise smtplib.SMTPSenderRefused(code, resp, mail_from)
        refused = {}
        for r in rcpts:
            code, resp = smtp.rcpt(r)
            if code not in (250, 251):
                refused[r] = (code, resp)
        if refused:
            smtp.rset()
            raise smtplib.SMTPRecipientsRefused(refused)
        code, resp = smtp.data(raw)
        if code != 250:
            raise smtplib.SMTPDataError(code, resp)
        m = re.search(rb"queued as ([0-9A-Za-z]+)", resp)
        return m.group(1).decode() if m else resp.decode("utf-8", "replace")

    def send(self, raw, mail_from, rcpts, starttls=False, helo="client.customer.example"):
        """One message through smtpd (the internet's way in), as a customer's server sends
        it: raw bytes (a str as UTF-8; bare LFs become CR LF). Returns Postfix's queue id;
        raises smtplib's exceptions on any refusal."""
        with smtplib.SMTP("127.0.0.1", self.smtpd_port, local_hostname=helo, timeout=30) as s:
            s.ehlo()
            if starttls:
                s.starttls(context=self.ssl_context())
                s.ehlo()
            return self._transaction(s, raw, mail_from, rcpts)

    def submit(self, raw, mail_from, rcpts, user=None, password=None, starttls=True,
               helo="agent.example"):
        """One message through submission, as a mail client (or the module) sends it:
        STARTTLS, then AUTH as user (password: the rig's, unless given; user None: no AUTH).
        Returns the queue id; raises smtplib's exceptions on any refusal
        (SMTPAuthenticationError for a wrong password)."""
        with smtplib.SMTP("127.0.0.1", self.submission_port, local_hostname=helo,
                          timeout=30) as s:
            s.ehlo()
            if starttls:
                s.starttls(context=self.ssl_context())
                s.ehlo()
            if user is not None:
                s.login(user, password if password is not None else self.users[user.lower()])
            return self._transaction(s, raw, mail_from, rcpts)

    # ---- the queue ----

    def queue(self):
        """The messages in Postfix's queue (postqueue -j, one JSON object a line):
        queue_name ("active", "deferred", "hold", "incoming", "maildrop"), queue_id,
        arrival_time, message_size, sender, recipients [{address, delay_reason}]."""
        r = subprocess.run([POSTQUEUE, "-c", self.pf_conf, "-j"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        if r.returncode != 0:
            raise RuntimeError("postqueue -j: %s" % r.stderr.decode("utf-8", "replace"))
        return [json.loads(l) for l in r.stdout.decode("utf-8", "replace").splitlines()
                if l.strip()]

    def flush(self):
        """Try every deferred message now (postqueue -f)."""
        r = subprocess.run([POSTQUEUE, "-c", self.pf_conf, "-f"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        if r.returncode != 0:
            raise RuntimeError("postqueue -f: %s" % r.stdout.decode("utf-8", "replace"))

    def reload(self):
        """`postfix reload`: master reads main.cf and master.cf again and its children end
        when idle, so the new ones read their tables (a texthash: file, read once by each
        process) anew. Returns at once: a test waits for what the new settings do."""
        self.procs["master"].send_signal(signal.SIGHUP)

    def wait_queue(self, cond, timeout=15, what="the queue"):
        """Until cond(queue()) is true; that queue."""
        end = time.time() + timeout
        while True:
            q = self.queue()
            if cond(q):
                return q
            if time.time() > end:
                raise AssertionError("timed out after %.0f s waiting for %s: %r\n%s" % (
                    timeout, what, q, self.logs()))
            time.sleep(0.1)

    # ---- IMAP ----

    def imap(self, user, password=None, starttls=False, tls=False):
        """A logged-in imaplib client of user (the rig's password unless given): on the
        plain port (STARTTLS first if asked) or, tls=True, on the TLS port. The caller
        logs out (or use it in a with block)."""
        if tls:
            im = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=self.ssl_context(),
                                   timeout=30)
        else:
            im = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=30)
            if starttls:
                im.starttls(ssl_context=self.ssl_context())
        try:
            im.login(user, password if password is not None else self.users[user.lower()])
        except BaseException:
            try:
                im.shutdown()
            except OSError:
                pass
            raise
        return im

    @staticmethod
    def _quote(folder):
        return '"%s"' % folder.replace("\\", "\\\\").replace('"', '\\"')

    def mailbox(self, user, folder="INBOX"):
        """The raw messages (bytes, CR LF) in a folder of user, in UID order, read over IMAP
        without setting \\Seen."""
        return [m for _, m in self.messages(user, folder)]

    def messages(self, user, folder="INBOX"):
        """[(uid, raw bytes)] of a folder, in UID order (IMAP, read-only)."""
        with self.imap(user) as im:
            typ, data = im.select(self._quote(folder), readonly=True)
            if typ != "OK":
                raise AssertionError("SELECT %s of %s: %r" % (folder, user, data))
            typ, data = im.uid("SEARCH", None, "ALL")
            uids = data[0].split() if typ == "OK" and data and data[0] else []
            out = []
            for uid in uids:
                typ, data = im.uid("FETCH", uid, "(BODY.PEEK[])")
                if typ != "OK":
                    raise AssertionError("FETCH %s of %s/%s: %r" % (uid, user, folder, data))
                raw = [d[1] for d in data if isinstance(d, tuple)]
                if raw:
                    out.append((int(uid), raw[0]))
            return out

    def wait_mailbox(self, user, n, timeout=15, folder="INBOX"):
        """Until user's folder holds at least n messages; them all (mailbox())."""
        end = time.time() + timeout
        while True:
            got = self.mailbox(user, folder)
            if len(got) >= n:
                return got
            if time.time() > end:
                raise AssertionError("%d message(s) in %s/%s after %.0f s, %d wanted; queue %r\n%s"
                                     % (len(got), user, folder, timeout, n, self.queue(),
                                        self.logs()))
            time.sleep(0.1)

    def create_folder(self, user, folder):
        """A folder of user (IMAP CREATE, and SUBSCRIBE)."""
        with self.imap(user) as im:
            typ, data = im.create(self._quote(folder))
            if typ != "OK":
                raise AssertionError("CREATE %s for %s: %r" % (folder, user, data))
            im.subscribe(self._quote(folder))

    # ---- logs ----

    def errors(self):
        """Postfix's fatal/panic/error lines and Dovecot's Error/Fatal/Panic lines."""
        out = []
        for name, bad in (("postfix.log", PF_BAD), ("postfix.out", PF_BAD),
                          ("dovecot.log", DC_BAD), ("dovecot.out", DC_BAD)):
            out += ["%s: %s" % (name, l) for l in read_from(self.files[name], 0).splitlines()
                    if bad.search(l)]
        return out


def start_rig(ctx, **kw):
    """A started MailRig of this test, in <ctx.dir>/mail; the harness stops it."""
    rig = start_for(ctx, MailRig(os.path.join(ctx.dir, "mail"), **kw))
    ctx.notes.append(("the rig's postfix.log, its last 25 lines",
                      lambda: "".join(open(rig.files["postfix.log"], errors="replace")
                                      .readlines()[-25:])))
    return rig


class LmtpRecorder:
    """A local LMTP server (RFC 2033) that records each transaction Postfix delivers to it and
    answers as the test says: support_transport = rec.transport when no module is in between.

    It announces `extensions` in its LHLO answer (EXTENSIONS by default: PIPELINING,
    ENHANCEDSTATUSCODES, 8BITMIME, SMTPUTF8; without both 8BITMIME and SMTPUTF8 - Postfix
    takes SMTPUTF8 for 8BITMIME too - Postfix converts an 8-bit body to quoted-printable
    before it sends it). It takes LHLO, MAIL, RCPT, DATA, RSET, NOOP and QUIT (EHLO and HELO
    are 500: this is LMTP), pipelined, any number of transactions on a connection. After
    DATA's final dot it answers once for each recipient accepted at RCPT, in their order.
    rec.transport is "lmtp:inet:127.0.0.1:<rec.port>"; rec.connections counts connections;
    stop() closes it (the harness calls it when it is in ctx.servers).

    answer: what it answers, read at each command (tests may change rec.answer at any time):
      None               250 to every RCPT and every recipient after DATA
      a str              that reply (e.g. "451 4.3.0 try again later") to every recipient
                         after DATA (RCPT is answered 250)
      a callable         answer(stage, rcpt, msg) -> a reply line, or None for the default;
                         stage "RCPT" (msg without data yet) or "DATA"
    A reply is "<code> <text>", e.g. "550 5.1.1 no such user"; only a 2xx accepts.

    messages: one dict per transaction that reached the end of DATA, in order:
      mail_from     the address of MAIL FROM (without <>), mail_params its parameters
                    (e.g. ["SIZE=412", "BODY=8BITMIME"])
      rcpts         the recipients accepted at RCPT, in order; rejected [(rcpt, reply)]
      data          the message as received: bytes, lines ending CR LF, dots unstuffed, the
                    final dot line not included
      replies       [(rcpt, reply)] after DATA; accepted: the rcpts answered 2xx
      lhlo          the name the client gave in LHLO
    delivered() lists (rcpt, msg) of every recipient answered 2xx after DATA; wait(n) waits
    for n transactions with one (accepted=False: any n transactions).
    """

    EXTENSIONS = ("PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8")

    def __init__(self, answer=None, extensions=EXTENSIONS, name="recorder.test"):
        self.answer = answer
        self.name = name
        self.extensions = list(extensions)
        self.messages = []
        self.connections = 0
        self.cond = threading.Condition()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.transport = "lmtp:inet:127.0.0.1:%d" % self.port
        self._thread = None
        self._stopping = False
        self._conns = set()

    def start(self):
        self._thread = threading.Thread(target=self._accept, name="lmtp-recorder", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for c in list(self._conns):
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread:
            self._thread.join(5)
            self._thread = None

    cleanup = stop

    def _accept(self):
        while not self._stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.cond:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), name="lmtp-session",
                             daemon=True).start()

    def _reply(self, stage, rcpt, msg):
        a = self.answer
        r = None
        if callable(a):
            r = a(stage, rcpt, msg)
        elif isinstance(a, str) and stage == "DATA":
            r = a
        if r is None:
            r = "250 2.1.5 OK" if stage == "RCPT" else "250 2.0.0 <%s> delivered" % rcpt
        if not re.fullmatch(r"[2-5]\d\d [^\r\n]*", r):
            raise ValueError("an LMTP reply is '<code> <text>': %r" % r)
        return r

    def _serve(self, conn):
        self._conns.add(conn)
        f = conn.makefile("rb")

        def say(line):
            conn.sendall(line.encode("utf-8") + b"\r\n")

        lhlo, msg = None, None
        try:
            say("220 %s LMTP recorder ready" % self.name)
            while True:
                line = f.readline(65536)
                if not line:
                    return
                cmd = line.rstrip(b"\r\n").decode("utf-8", "replace")
                verb = cmd.split(" ", 1)[0].upper()
                arg = cmd[len(verb):].strip()
                if verb == "LHLO":
                    lhlo, msg = arg, None
                    lines = [self.name] + self.extensions
                    for i, l in enumerate(lines):
                        say("250%s%s" % (" " if i == len(lines) - 1 else "-", l))
                elif verb in ("HELO", "EHLO"):
                    say("500 5.5.1 this is LMTP: LHLO")
                elif verb == "MAIL":
                    m = re.match(r"(?i)FROM:\s*<([^>]*)>\s*(.*)$", arg)
                    if lhlo is None:
                        say("503 5.5.1 LHLO first")
                    elif msg is not None:
                        say("503 5.5.1 nested MAIL")
                    elif not m:
                        say("501 5.5.4 syntax: MAIL FROM:<address>")
                    else:
                        msg = {"lhlo": lhlo, "mail_from": m.group(1),
                               "mail_params": m.group(2).split(), "rcpts": [],
                               "rejected": [], "data": None, "replies": [], "accepted": []}
                        say("250 2.1.0 OK")
                elif verb == "RCPT":
                    m = re.match(r"(?i)TO:\s*<([^>]*)>", arg)
                    if msg is None:
                        say("503 5.5.1 MAIL first")
                    elif not m:
                        say("501 5.5.4 syntax: RCPT TO:<address>")
                    else:
                        r = self._reply("RCPT", m.group(1), msg)
                        (msg["rcpts"].append(m.group(1)) if r.startswith("2")
                         else msg["rejected"].append((m.group(1), r)))
                        say(r)
                elif verb == "DATA":
                    if msg is None or not msg["rcpts"]:
                        say("503 5.5.1 no valid recipients")
                        continue
                    say("354 2.0.0 go ahead, end with <CRLF>.<CRLF>")
                    data = []
                    while True:
                        l = f.readline(1 << 20)
                        if not l:
                            return
                        if l in (b".\r\n", b".\n"):
                            break
                        data.append(l[1:] if l.startswith(b".") else l)
                    msg["data"] = b"".join(data)
                    replies = [(r, self._reply("DATA", r, msg)) for r in msg["rcpts"]]
                    msg["replies"] = replies
                    msg["accepted"] = [r for r, rep in replies if rep.startswith("2")]
                    with self.cond:
                        self.messages.append(msg)
                        self.cond.notify_all()
                    for _, rep in replies:
                        say(rep)
                    msg = None
                elif verb == "RSET":
                    msg = None
                    say("250 2.0.0 OK")
                elif verb == "NOOP":
                    say("250 2.0.0 OK")
                elif verb == "QUIT":
                    say("221 2.0.0 bye")
                    return
                else:
                    say("500 5.5.2 unknown command")
        except OSError:
            return
        finally:
            self._conns.discard(conn)
            try:
                f.close()
                conn.close()
            except OSError:
                pass

    def delivered(self):
        """[(rcpt, msg)] of every recipient answered 2xx after DATA, in order."""
        with self.cond:
            return [(r, m) for m in self.messages for r in m["accepted"]]

    def wait(self, n, timeout=15, accepted=True):
        """Until n transactions have ended (accepted: with at least one recipient answered
        2xx); those (all of them if not accepted)."""
        end = time.time() + timeout
        with self.cond:
            while True:
                got = [m for m in self.messages if m["accepted"] or not accepted]
                if len(got) >= n:
                    return got
                left = end - time.time()
                if left <= 0:
                    raise AssertionError("%d LMTP transaction(s)%s after %.0f s, %d wanted: %r" % (
                        len(got), " accepted" if accepted else "", timeout, n,
                        [(m["mail_from"], m["rcpts"], m["replies"]) for m in self.messages]))
                self.cond.wait(min(left, 0.2))
