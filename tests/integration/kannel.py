"""A real Kannel 1.4.5 (Debian's bearerbox + smsbox) with its fakesmsc as the phone network,
for the tests of our SMS module.

Nothing here is mocked: the module talks to a real smsbox (its sendsms interface; its
sms-service calls the module's MO route), and the "phones" are Kannel's own test client,
fakesmsc, connected to bearerbox's fake SMSC. A mock would answer what its author believed;
this answers what Kannel does, and that is what the module meets in production.

    rig = start_rig(ctx, mo_url="http://127.0.0.1:%d/sms/mo?secret=s&from=%%p&to=%%P"
                                "&text=%%b&coding=%%c&charset=%%C&udh=%%u&id=%%I" % port)
                                 # = KannelRig(workdir, mo_url).start(), stopped by the harness
    rig.sendsms_url, rig.username, rig.password          # a sendsms-user of smsbox
    rig.sendsms(to, text, coding=2, dlr_mask=31, dlr_url=...)   # (HTTP status, body)
    rig.mo("8613800000000", "10086", "你好 😀")            # one MO, as a phone sends it
    rig.mo_udh(sender, receiver, udh, payload, coding)     # one part of a concatenated MO
    rig.wait_mo_results(n)       # smsbox is done with n MOs: each one's last HTTP status
    rig.wait_mt(2)               # the MTs the phones got (also rig.mt), see below
    rig.logs(), rig.errors()     # tails of every log; bearerbox's and smsbox's ERROR lines
    rig.stop()                   # every process gone; idempotent (rig.pids(), rig.running())

start_rig() puts the rig in ctx.servers before it starts, so the harness stops it whatever
happens; the rig's processes also get SIGTERM if the test process dies (PR_SET_PDEATHSIG by
setpriv, tied to the thread that called start(): start it from the test's own thread), and an
atexit hook stops any rig left. start() returns once bearerbox's status page
(status_url, status()) shows smsbox connected and both SMSCs on-line and sendsms answers;
it raises with the logs' tails (everything stopped) if not within START_WITHIN = 30 s, at
once if a port was taken (then it tries once more on new ports). HttpRecorder is a local
HTTP server that records what Kannel calls (mo_url, dlr-url) when a test has no module in
between.

Configuration (written to <workdir>/kannel.conf; logs at level 0 next to it):
  core:          admin/status on 127.0.0.1:<admin_port>, dlr-storage internal,
                 sms-combine-concatenated-mo = <combine_mo> (False by default: the module
                 gets each part of a long MO, see below), an access log (access.log) in a
                 format the rig parses.
  smsc fake:     smsc-id "fake", on 127.0.0.1:<fake_port>; fakesmsc connects to it.
  smsc http:     system-type kannel, the same smsc-id "fake", on <http_smsc_port>; only for
                 mo_udh(coding=2) (smsc_fake cannot carry a UCS-2 part with a UDH, see
                 below). allowed-smsc-id keeps every MT off it.
  smsbox:        sendsms on 127.0.0.1:<sendsms_port>, mo-recode = yes (it exists in 1.4.5).
  sendsms-user:  username/password, max-messages = 10, concatenation = true (max-messages
                 defaults to 1: a long text would not go as a concatenated SMS).
  sms-service:   keyword = default, catch-all = yes, get-url = <mo_url> (post-url with
                 post=True: the text is the body, X-Kannel-UDH and -Coding headers), max-messages = 0
                 (what the module answers to the MO call is never sent as an SMS).
  extra={"core": {...}, "smsbox": {...}, "sms-service": {...}, "sendsms-user": {...},
         "fake": {...}, "http": {...}}: more settings of a group (a value replaces the
         rig's), e.g. {"smsbox": {"http-request-retry": 2, "http-queue-delay": 1}}.

What Kannel 1.4.5 does, read in its source (gw/smsc/smsc_fake.c, test/fakesmsc.c,
gw/urltrans.c, gw/smsbox.c, gw/bb_smscconn.c, gw/smscconn.c, gwlib/octstr.c) and checked
by tests/integration/test_kannel_rig.py unless it says "(source)":

MO (phone -> bearerbox -> smsbox -> an HTTP GET of mo_url):
  * %p is the phone (the MO's sender), %P our number (its receiver): smsbox swaps them
    before it fills the URL. %b the text, %u the UDH, %i the smsc-id ("fake"): URL-encoded
    by Kannel's octstr_url_encode - A-Z a-z 0-9 and -_.!~*'() as they are, a space as
    "+", every other byte %XX in upper-case hex (urllib.parse.unquote_plus decodes it;
    "a + 100% (ok)" is "a+%2B+100%25+(ok)"). %I is the message's UUID (36 characters, one
    per MO, the same on every retry of its call), %T the Unix time, %t
    "YYYY-MM-DD+HH:MM:SS" (UTC), %c the coding (0 7-bit, 1 8-bit, 2 UCS-2), %C the charset
    as is.
  * mo-recode = yes: a UCS-2 MO (coding 2) is recoded to UTF-8 before the call and
    arrives as %c = 0, %C = UTF-8, %b its UTF-8 (Chinese and emoji included); a GSM-7 MO
    arrives as %c = 0, %C = UTF-8 too (letters like ü, é, € as UTF-8). So the module sees
    coding 0 / UTF-8 for whatever a phone types. An 8-bit MO: %c = 1, %C = 8-BIT, its
    bytes as they are.
  * mo-recode recodes each part of a long MO on its own, and iconv does not refuse half a
    surrogate pair: when a phone cuts an emoji between two parts, part 1 arrives without
    its trailing high surrogate and part 2 with the low one as the 3 bytes ED xx xx (not
    valid UTF-8) - the emoji cannot be put back together. Only bearerbox's own joining
    (combine_mo=True) gives it whole.
  * A long MO: with sms-combine-concatenated-mo = true (Kannel's default; combine_mo=True)
    bearerbox holds the parts of a concatenated MO (in any order) until it has them all
    (up to sms-combine-concatenated-mo-timeout, 1800 s, then it passes them as they are
    (source)) and passes ONE message: the texts joined, the concatenation element taken
    out of the UDH (%u empty when it held nothing else), recoded as a whole. The rig turns
    it off by default, so each part reaches mo_url on its own, its UDH in %u (e.g.
    %05%00%03%07%02%01: IEI 0, reference 7, 2 parts, part 1) and its own %c: the module
    puts the parts together. (bearerbox takes 10 s to stop when it holds parts of an
    incomplete MO.)
  * smsbox acks the MO to bearerbox before it calls mo_url. Only 200 and 202 are success:
    any other answer (204 included), a refused or timed-out call is a failure, and with
    smsbox's default http-request-retry = 0 the call is not made again - the MO is lost.
    With http-request-retry = N it is made up to N more times, http-queue-delay seconds
    apart, with the same %I. smsbox logs one line per MO once done with it (smsbox-access
    .log, mo_results()), with the last status. It logs "WARNING: Tried to set Coding
    field, denied." for each call answered (harmless: max-messages = 0 sends nothing).

MT (the module -> sendsms -> the phone):
  * GET <sendsms_url>?username=&password=&from=&to=&text=&charset=&coding=&dlr-mask=
    &dlr-url=. The answers, all Content-type text/html:
      202 "0: Accepted for delivery"   (once bearerbox has taken it; one answer even when
                                        the text goes as several parts)
      403 "Authorization failed for sendsms"             wrong username or password
      400 "Missing receiver number, rejected"            no `to`
      400 "Empty receiver number not allowed, rejected"  `to` empty
      400 "Charset or body misformed, rejected"          an unknown charset
      400 "Sender missing and no global set, rejected"   no `from` (and no global-sender)
      400 "Coding field misformed, rejected"             coding not in -1..2
    No `text` is accepted and sends an empty SMS. Bytes not valid in the charset are not
    refused: they go out as they are.
  * coding=2&charset=UTF-8: the text goes out as UCS-2 (UTF-16BE; an emoji a surrogate
    pair). coding=0 (the default) sends GSM-7: ü, é, € stay, Chinese and emoji become "?"
    (an emoji several): a module must send coding=2 for them.
  * A long text goes out as parts of a concatenated SMS, bearerbox splitting it: 153
    GSM-7 characters or 67 UCS-2 units a part, each with the UDH 05 00 03 <ref> <total>
    <seq> (ref: a counter of bearerbox's). A surrogate pair may be cut between two parts.
  * What fakesmsc prints of each MT (smsc_fake.c sms_to_client), one line each:
      "<from> <to> text <text as is>"                  coding 0, the text in UTF-8 and not
                                                        encoded (a newline in it splits the
                                                        line; the rig joins them again)
      "<from> <to> data <url-encoded bytes>"           coding 1
      "<from> <to> ucs-2 <url-encoded UTF-16BE>"       coding 2 (as MO the type is "ucs2")
      "<from> <to> udh <url-encoded UDH> data <url-encoded bytes>"   with a UDH, whatever
                                                        the coding: the line does not say it
  * DLRs (dlr-mask, dlr-url on sendsms; dlr-storage internal, nothing else to configure):
    8 in the mask: %d = 8 (SMSC success, %A = "ACK/") once the fake SMSC has written the
    MT to fakesmsc; 1 or 2 in the mask: %d = 1 (delivered, %A empty) right after. The fake
    SMSC never reports 2 (failed), 4 (buffered) or 16 (rejected). So dlr-mask=31 gives two
    calls of dlr-url, %d = 8 and %d = 1, in either order; dlr-mask=1 only the 1. A text
    sent as 2 parts gives one 8 and one 1, not one per part. In a DLR %p is the phone and
    %P our number (as in an MO), %i "fake", and %I a new UUID of the report, not the MT's:
    the module must put its own reference in the dlr-url.

MTs in rig.mt and wait_mt(): one dict per MT line fakesmsc got, in order:
  n                  fakesmsc's count of the line
  sender, receiver   as on the line (sender = the sendsms `from`)
  type               what fakesmsc printed: "text", "data", "ucs-2" or "udh"
  coding             0, 1 or 2: by the type; for a "udh" line from bearerbox's access log
                     (its "Sent SMS" entry of the message; None until it is written)
  udh                the UDH bytes, b"" when none
  data               the payload bytes (coding 0: UTF-8)
  text               data decoded by its coding (coding 1: UTF-8 if it is, else Latin-1)
  raw                the line as fakesmsc printed it
A long text's parts are entries of their own, type "udh", each with its part of the text:
a 100-character Chinese text is 2 entries, coding 2, udh 05 00 03 r 02 01 and
05 00 03 r 02 02, 67 and 33 characters. join_parts(entries) gives the whole text (its
bytes joined before decoding, so a cut surrogate pair is mended); concat_info(udh) gives
(ref, total, seq). wait_mt() waits until each entry is settled (coding known, a text with a
newline whole: its access log entry tells its length).

MO as the rig injects it (smsc_fake.c msg_to_bb: "<sender> <receiver> <type> <data>"):
mo() sends "text <as is>" (coding 0) when every character is GSM 03.38 and there is no CR
or LF (the line cannot carry them), else "ucs2 <url-encoded UTF-16BE>" (coding 2), as a
phone would; coding= forces one (1: "data <url-encoded>"). mo_udh() sends "udh-text <udh>
<text>" for coding 0 and "udh <udh> <data>" for coding 1; smsc_fake has no line for a
UCS-2 part with a UDH (its udh types fix the coding to 7 or 8 bits), so coding 2 goes to
bearerbox's HTTP SMSC instead, under the same smsc-id: smsbox and mo_url see it as they
would a part from a real SMSC.

fakesmsc's quirks the rig works around: it reads its stdin with fgets() 255 bytes at a
time behind stdio's buffer and select()s on the descriptor, so a longer line written whole
stays half in the buffer until more input comes. The rig writes each line in pieces of 255
bytes and waits for fakesmsc's "sent message N" after each (a line whose last piece would
be a lone LF - fakesmsc skips lines under 2 bytes - ends in CR LF instead). It reads
bearerbox's lines only between its 1 s waits on stdin: an MT shows up within about a
second. Its SIGINT handler frees a buffer twice and aborts: the rig stops it with SIGTERM.

Stdlib only: it runs under Debian's /usr/bin/python3.
"""
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ports import free_port  # noqa: E402  (tests/ports.py, as harness.py takes it)
from rigproc import SETPRIV, Rig, start_for, start_twice, tail  # noqa: E402

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"

SMSC_ID = "fake"
FGETS_MAX = 255   # fakesmsc: fgets(buffer, IN_BUFSIZE = 256, stdin)

# GSM 03.38: the default alphabet and its extension table (what a phone sends as 7-bit)
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
           "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà") | set("^{}\\[~]|€")

# the access log's "Sent SMS" entries, in the format the rig gives bearerbox
ALOG_FORMAT = "%l [from:%p] [to:%P] [coding:%c] [udh:%u] [len:%L] [msg:%b]"
ALOG_RE = re.compile(r"^Sent SMS \[from:(.*)\] \[to:(.*?)\] \[coding:(-?\d+)\] "
                     r"\[udh:([0-9A-F]*)\] \[len:(\d+)\] \[msg:(.*)\]$")
# smsbox's access log on an MO call (gw/smsbox.c url_result_thread)
SB_ALOG_RE = re.compile(r"SMS HTTP-request sender:.* url: '([^']*)' reply: (-?\d+) '(.*)'$")
# a gwlib log line: "2024-01-01 12:00:00 [pid] [thread] LEVEL: text"
LOG_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[\d+\] \[\d+\] (\w+): (.*)$")
GOT_RE = re.compile(r"^Got message (\d+): <(.*)>$", re.S)
SENT_RE = re.compile(r"^fakesmsc: sent message (\d+)$")

MT_TYPES = {"text": 0, "data": 1, "ucs-2": 2}

# every URL here is on 127.0.0.1: never through an http_proxy of the environment
_urlopen = urllib.request.build_opener(urllib.request.ProxyHandler({})).open


def url_encode(data):
    """Bytes or str (UTF-8) as Kannel's octstr_url_encode writes them: A-Z a-z 0-9 -_.!~*'()
    as they are, a space as '+', the rest %XX."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return urllib.parse.quote_plus(data, safe="-_.!~*'()")


def url_decode(s):
    """The bytes of a URL-encoded value (Kannel's octstr_url_decode: %XX and '+')."""
    return urllib.parse.unquote_to_bytes(s.replace("+", " "))


def gsm7_ok(text):
    """True if a phone would send this text as GSM-7."""
    return all(c in GSM7 for c in text)


def concat_info(udh):
    """(ref, total, seq) of a concatenation element (IEI 0, 8-bit ref, or IEI 8, 16-bit ref)
    in a UDH (with its length byte), else None."""
    if not udh or len(udh) != udh[0] + 1:
        return None
    i = 1
    while i + 1 < len(udh):
        iei, iel = udh[i], udh[i + 1]
        v = udh[i + 2:i + 2 + iel]
        if iei == 0 and iel == 3 and len(v) == 3:
            return v[0], v[1], v[2]
        if iei == 8 and iel == 4 and len(v) == 4:
            return (v[0] << 8) | v[1], v[2], v[3]
        i += 2 + iel
    return None


def decode(data, coding):
    """The text of an SMS payload: UTF-8 for coding 0 (Kannel's own for 7-bit), UTF-16BE for
    2, UTF-8 for 1 if it is valid else Latin-1 (bytes Kannel does not interpret)."""
    if coding == 2:
        return data.decode("utf-16-be", errors="replace")
    if coding == 1:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    return data.decode("utf-8", errors="replace")


def join_parts(parts):
    """The text of a concatenated MT: its parts (rig.mt entries, one ref, any order) in
    sequence, their bytes joined and then decoded (a surrogate pair may be cut between two
    parts). Asserts they are the whole message, once each, of one coding."""
    infos = [concat_info(p["udh"]) for p in parts]
    assert all(infos), "not all parts have a concatenation UDH: %r" % [p["raw"] for p in parts]
    refs = {(i[0], i[1]) for i in infos}
    assert len(refs) == 1, "parts of several messages: %r" % sorted(refs)
    total = infos[0][1]
    seqs = sorted(i[2] for i in infos)
    assert seqs == list(range(1, total + 1)), "parts %r of %d" % (seqs, total)
    codings = {p["coding"] for p in parts}
    assert len(codings) == 1 and None not in codings, "codings %r" % codings
    data = b"".join(p["data"] for _, p in sorted(zip([i[2] for i in infos], parts),
                                                  key=lambda x: x[0]))
    return decode(data, codings.pop())


def _check_numbers(sender, receiver):
    """smsc_fake splits its line at spaces: numbers cannot hold one (nor be empty)."""
    for v in (sender, receiver):
        if not isinstance(v, str) or not v or set(v) & set(" \r\n\0"):
            raise ValueError("a sender or receiver of an MO: %r" % (v,))


class KannelRig(Rig):
    """bearerbox + smsbox + a long-running fakesmsc, on free loopback ports (see the module's
    docstring for what each does and what Kannel was found to do)."""

    START_WITHIN = 30   # seconds for all of them to be up and connected (a loaded machine)
    STOP_WITHIN = 20    # seconds each for a SIGTERM before a SIGKILL
    NAME = "Kannel"
    LOGS = ("bearerbox.out", "bearerbox.log", "smsbox.out", "smsbox.log", "fakesmsc.log")
    # bearerbox goes on without its admin port, so the wait for it would only time out
    PORT_LOGS = ("bearerbox.out", "smsbox.out", "fakesmsc.log")
    PORT_TAKEN = re.compile(r"ERROR: (bind failed|System error 98: Address already in use)"
                            r"|PANIC: Failed to open connection")

    def __init__(self, workdir, mo_url, combine_mo=False, username="omniq",
                 password="kannel-secret", extra=None, post=False):
        if '"' in mo_url or "\n" in mo_url:
            raise ValueError("mo_url cannot hold a double quote or a newline (kannel.conf)")
        self.dir = os.path.abspath(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.mo_url = mo_url
        self.post = post           # post-url (the text as the body) instead of get-url
        self.combine_mo = combine_mo
        self.username, self.password = username, password
        self.extra = extra or {}
        self.admin_password = "adm-%d" % os.getpid()
        self.http_smsc_user, self.http_smsc_pass = "phone", "net-%d" % os.getpid()
        self._new_ports()
        self.conf = os.path.join(self.dir, "kannel.conf")
        self.files = {n: os.path.join(self.dir, n) for n in (
            "bearerbox.log", "bearerbox.out", "smsbox.log", "smsbox.out", "fakesmsc.log",
            "access.log", "smsbox-access.log")}
        self.procs = {}            # name -> Popen
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._mo_lock = threading.Lock()
        self._mt = []              # dicts, see the module's docstring
        self._sent = 0             # fakesmsc's count of lines it sent (pieces included)
        self._alog = []            # parsed "Sent SMS" entries of the access log
        self._alog_pos = 0
        self._reader = None
        self._fs_log = None
        self._log_from = {}
        self._stopped = False

    def _new_ports(self):
        self.admin_port = free_port()
        self.smsbox_port = free_port()
        self.fake_port = free_port()
        self.http_smsc_port = free_port()
        self.sendsms_port = free_port()
        self.sendsms_url = "http://127.0.0.1:%d/cgi-bin/sendsms" % self.sendsms_port
        self.status_url = "http://127.0.0.1:%d/status.xml?password=%s" % (
            self.admin_port, self.admin_password)

    # ---- configuration ----

    def _groups(self):
        core = {
            "admin-port": self.admin_port, "admin-interface": "127.0.0.1",
            "admin-password": self.admin_password, "status-password": self.admin_password,
            "smsbox-port": self.smsbox_port, "smsbox-interface": "127.0.0.1",
            "box-allow-ip": "127.0.0.1", "admin-allow-ip": "127.0.0.1",
            "log-file": self.files["bearerbox.log"], "log-level": 0,
            "access-log": self.files["access.log"], "access-log-clean": "true",
            "access-log-format": ALOG_FORMAT, "dlr-storage": "internal",
            "sms-combine-concatenated-mo": "true" if self.combine_mo else "false",
        }
        fake = {"smsc": "fake", "smsc-id": SMSC_ID, "smsc-admin-id": "fake",
                "port": self.fake_port, "our-host": "127.0.0.1",
                "connect-allow-ip": "127.0.0.1"}
        http = {"smsc": "http", "smsc-id": SMSC_ID, "smsc-admin-id": "http-mo",
                "system-type": "kannel", "port": self.http_smsc_port,
                "connect-allow-ip": "127.0.0.1",
                "smsc-username": self.http_smsc_user, "smsc-password": self.http_smsc_pass,
                # it must have a send-url, and no MT may take it (none names this id)
                "send-url": "http://127.0.0.1:9/never", "allowed-smsc-id": "no-mt-here"}
        smsbox = {"bearerbox-host": "127.0.0.1", "bearerbox-port": self.smsbox_port,
                  "sendsms-port": self.sendsms_port, "sendsms-interface": "127.0.0.1",
                  "log-file": self.files["smsbox.log"], "log-level": 0,
                  "access-log": self.files["smsbox-access.log"], "mo-recode": "true"}
        user = {"username": self.username, "password": self.password,
                "max-messages": 10, "concatenation": "true"}
        service = {"keyword": "default", "catch-all": "true",
                   "post-url" if self.post else "get-url": self.mo_url, "max-messages": 0}
        out = []
        for name, g in (("core", core), ("fake", fake), ("http", http), ("smsbox", smsbox),
                        ("sendsms-user", user), ("sms-service", service)):
            g = dict(g, **self.extra.get(name, {}))
            group = "smsc" if name in ("fake", "http") else name
            out.append((group, g))
        return out

    def write_conf(self):
        text = []
        for group, g in self._groups():
            text.append("group = %s" % group)
            for k, v in g.items():
                v = str(v)
                if '"' in v or "\n" in v:
                    raise ValueError("%s %s: no double quote or newline in kannel.conf" % (
                        group, k))
                text.append('%s = "%s"' % (k, v) if not re.fullmatch(r"-?\d+", v)
                            else "%s = %s" % (k, v))
            text.append("")
        with open(self.conf, "w") as f:
            f.write("\n".join(text))

    # ---- lifecycle ----

    def start(self):
        """Write kannel.conf, start bearerbox, then smsbox once bearerbox answers, then
        fakesmsc once smsbox is connected; return when the status page shows smsbox and
        both SMSCs on-line. A port someone took in between: once more on new ports.
        Raises (with the logs' tails), everything stopped, if not within START_WITHIN
        seconds."""
        if self.running():
            raise RuntimeError("already running: %r" % self.pids())
        for tool in (BEARERBOX, SMSBOX, FAKESMSC):
            if not os.access(tool, os.X_OK):
                raise RuntimeError("%s missing (Debian's kannel and kannel-extras)" % tool)
        return start_twice(self, "Kannel")

    def _start_once(self):
        self.write_conf()
        self._stopped = False
        self._sent = 0
        return self._start_with(self._start_steps)

    def _start_steps(self, end):
        self._spawn("bearerbox", [BEARERBOX, "-v", "1", self.conf])
        self._until(end, lambda: self.status() is not None, "bearerbox's status page")
        self._spawn("smsbox", [SMSBOX, "-v", "1", self.conf])
        self._until(end, lambda: self._smsbox_up(), "smsbox connected and serving sendsms")
        self._start_fakesmsc()
        self._until(end, self._smscs_online, "both SMSCs on-line (fakesmsc connected)")

    def _spawn(self, name, argv, **kw):
        if name in ("bearerbox", "smsbox"):
            out = open(self.files[name + ".out"], "ab")
            kw.update(stdout=out, stderr=subprocess.STDOUT)
        p = subprocess.Popen(SETPRIV + argv, cwd=self.dir,
                             stdin=kw.pop("stdin", subprocess.DEVNULL), **kw)
        if name in ("bearerbox", "smsbox"):
            out.close()
        self.procs[name] = p
        return p

    def status(self):
        """bearerbox's status.xml as an ElementTree element, None if it does not answer."""
        try:
            with _urlopen(self.status_url, timeout=5) as r:
                return ET.fromstring(r.read())
        except (OSError, ET.ParseError):
            return None

    def _smsbox_up(self):
        st = self.status()
        if st is None or not any(b.findtext("type") == "smsbox" for b in st.iter("box")):
            return False
        try:   # sendsms answers (403: no user given)
            _urlopen(self.sendsms_url, timeout=5).close()
        except urllib.error.HTTPError as e:
            return e.code == 403
        except OSError:
            return False
        return True

    def smsc_status(self):
        """{admin-id: status text} of the SMSCs, e.g. {"fake": "online 3s", ...}."""
        st = self.status()
        if st is None:
            return {}
        return {s.findtext("admin-id"): (s.findtext("status") or "") for s in st.iter("smsc")}

    def _smscs_online(self):
        s = self.smsc_status()
        return all(s.get(k, "").startswith("online") for k in ("fake", "http-mo"))

    def _start_fakesmsc(self):
        self._fs_log = open(self.files["fakesmsc.log"], "ab")
        p = self._spawn("fakesmsc", [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.fake_port),
                                     "-i", "0"],
                        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE)
        self._reader = threading.Thread(target=self._read_fakesmsc, args=(p,),
                                        name="fakesmsc-reader", daemon=True)
        self._reader.start()

    def _read_fakesmsc(self, p):
        """fakesmsc's log (stderr): MT lines ("Got message N: <line>") and its count of the
        lines it sent; each line also to fakesmsc.log."""
        for raw in p.stderr:
            try:
                self._fs_log.write(raw)
                self._fs_log.flush()
            except (OSError, ValueError, AttributeError):
                pass
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            m = LOG_RE.match(line)
            if m is None:
                continue
            with self._cond:
                s = SENT_RE.match(m.group(2))
                if s:
                    self._sent = max(self._sent, int(s.group(1)))
                g = GOT_RE.match(m.group(2))
                if g:
                    self._mt_line(int(g.group(1)), g.group(2))
                self._cond.notify_all()

    def _mt_line(self, n, line):
        parts = line.split(" ")
        if len(parts) >= 3 and parts[2] in MT_TYPES or (
                len(parts) >= 6 and parts[2] == "udh" and parts[4] == "data"):
            kind = parts[2]
            mt = {"n": n, "sender": parts[0], "receiver": parts[1], "type": kind,
                  "udh": b"", "raw": line}
            if kind == "text":
                mt["data"] = line.split(" ", 3)[3].encode("utf-8") if len(parts) > 3 else b""
            elif kind == "udh":
                mt["udh"] = url_decode(parts[3])
                mt["data"] = url_decode(parts[5])
            else:
                mt["data"] = url_decode(parts[3])
            mt["coding"] = MT_TYPES.get(kind)
            mt["text"] = decode(mt["data"], mt["coding"]) if mt["coding"] is not None else None
            mt["_done"] = kind in ("data", "ucs-2")   # whole, coding known
            self._mt.append(mt)
        elif self._mt and self._mt[-1]["type"] == "text":
            # the rest of a coding-0 text after a newline: fakesmsc read it as a line of
            # its own (smsc_fake does not encode a 7-bit text)
            mt = self._mt[-1]
            mt["raw"] += "\n" + line
            mt["data"] += b"\n" + line.encode("utf-8")
            mt["text"] = decode(mt["data"], 0)
            mt["_done"] = False
        else:
            self._mt.append({"n": n, "sender": None, "receiver": None, "type": None,
                             "coding": None, "udh": b"", "data": line.encode("utf-8"),
                             "text": None, "raw": line, "_done": False})

    def stop(self):
        """Stop fakesmsc, smsbox and bearerbox, in that order (SIGTERM, SIGKILL after
        STOP_WITHIN s each) and wait for them; safe to call again. fakesmsc gets SIGTERM,
        not its SIGINT: its SIGINT path frees a buffer twice and aborts once it has sent
        a line. bearerbox takes 10 s when it holds parts of an incomplete MO (it flushes
        them to a smsbox that is gone)."""
        for name in ("fakesmsc", "smsbox", "bearerbox"):
            p = self.procs.get(name)
            if p is None:
                continue
            if p.poll() is None:
                try:
                    p.terminate()
                    p.wait(self.STOP_WITHIN)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            if name == "fakesmsc" and self._reader is not None:
                self._reader.join(10)   # it reads stderr to its end
                self._reader = None
            for f in (p.stdin, p.stdout, p.stderr):
                if f:
                    try:
                        f.close()
                    except OSError:
                        pass
        if self._fs_log is not None:
            self._fs_log.close()
            self._fs_log = None
        self._stopped_all()
        self._stopped = True

    cleanup = stop

    # ---- MO ----

    def mo(self, sender, receiver, text, coding=None):
        """One MO SMS from `sender` (the phone) to `receiver` (our number) through fakesmsc.
        coding None: as a phone would - GSM-7 ("text" line) if every character is in GSM
        03.38 and there is no CR/LF (the line cannot carry them), else UCS-2 ("ucs2"
        line, UTF-16BE); 0, 1 ("data": text's UTF-8, or bytes) or 2 force one. Returns the
        line once fakesmsc has sent it to bearerbox."""
        _check_numbers(sender, receiver)
        if coding is None:
            coding = 0 if isinstance(text, str) and gsm7_ok(text) and not set(text) & set(
                "\r\n") else 2
        if coding == 0:
            if not isinstance(text, str) or set(text) & set("\r\n"):
                raise ValueError("a coding-0 MO is a str without CR or LF")
            line = "%s %s text %s" % (sender, receiver, text)
        elif coding == 1:
            line = "%s %s data %s" % (sender, receiver, url_encode(text))
        elif coding == 2:
            data = text.encode("utf-16-be") if isinstance(text, str) else text
            line = "%s %s ucs2 %s" % (sender, receiver, url_encode(data))
        else:
            raise ValueError("coding is 0, 1 or 2")
        self._send_line(line)
        return line

    def mo_udh(self, sender, receiver, udh, payload, coding):
        """One MO SMS with a UDH (a part of a concatenated SMS: send the parts one by one, in
        any order). coding 0: payload a str without CR/LF ("udh-text" line); 1: bytes, or a
        str sent as its UTF-8 ("udh" line); 2: a str sent as UTF-16BE, or bytes as they
        are - through the HTTP SMSC, smsc_fake has no line for it. Returns the line or the
        URL it used."""
        _check_numbers(sender, receiver)
        udh = bytes(udh)
        if not udh or len(udh) != udh[0] + 1:
            raise ValueError("a UDH starts with its length: %r" % udh)
        if coding == 0:
            if not isinstance(payload, str) or set(payload) & set("\r\n"):
                raise ValueError("a coding-0 part is a str without CR or LF")
            line = "%s %s udh-text %s %s" % (sender, receiver, url_encode(udh), payload)
        elif coding == 1:
            line = "%s %s udh %s %s" % (sender, receiver, url_encode(udh), url_encode(payload))
        elif coding == 2:
            data = payload.encode("utf-16-be") if isinstance(payload, str) else payload
            return self._http_mo(sender, receiver, data, udh=udh, coding=2)
        else:
            raise ValueError("coding is 0, 1 or 2")
        self._send_line(line)
        return line

    def _http_mo(self, sender, receiver, data, udh=None, coding=None):
        """One MO through bearerbox's HTTP SMSC (smsc_http.c kannel_receive_sms): it answers
        202 "Sent." once bearerbox has it."""
        q = "username=%s&password=%s&from=%s&to=%s&text=%s" % tuple(
            url_encode(v) for v in (self.http_smsc_user, self.http_smsc_pass, sender,
                                    receiver, data))
        if udh:
            q += "&udh=" + url_encode(udh)
        if coding is not None:
            q += "&coding=%d" % coding
        url = "http://127.0.0.1:%d/mo?%s" % (self.http_smsc_port, q)
        try:
            with _urlopen(url, timeout=20) as r:
                status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        if status != 202 or body != b"Sent.":
            raise RuntimeError("bearerbox's HTTP SMSC refused an MO: %d %r\n%s" % (
                status, body, self.logs()))
        return url

    def _send_line(self, line, timeout=20):
        """Write one line to fakesmsc's stdin in the pieces its fgets() takes, each once it
        has sent the one before (see the module's docstring)."""
        data = line.encode("utf-8")
        if set(data) & {0, 10, 13}:
            raise ValueError("an MO line cannot hold NUL, CR or LF: %r" % line)
        data += b"\r\n" if len(data) % FGETS_MAX == 0 else b"\n"
        pieces = [data[i:i + FGETS_MAX] for i in range(0, len(data), FGETS_MAX)]
        p = self.procs.get("fakesmsc")
        if p is None or p.poll() is not None:
            raise RuntimeError("fakesmsc is not running\n" + self.logs())
        with self._mo_lock:
            for piece in pieces:
                with self._cond:
                    want = self._sent + 1
                try:
                    p.stdin.write(piece)
                    p.stdin.flush()
                except OSError as e:
                    raise RuntimeError("fakesmsc's stdin: %s\n%s" % (e, self.logs()))
                end = time.time() + timeout
                with self._cond:
                    while self._sent < want:
                        left = end - time.time()
                        if left <= 0 or p.poll() is not None:
                            raise RuntimeError("fakesmsc did not send MO line piece %d "
                                               "(%r)\n%s" % (want, piece, self.logs()))
                        self._cond.wait(min(left, 0.5))

    # ---- MT ----

    def _read_alog(self):
        try:
            with open(self.files["access.log"], "rb") as f:
                f.seek(self._alog_pos)
                chunk = f.read()
        except OSError:
            return
        end = chunk.rfind(b"\n") + 1
        self._alog_pos += end
        for line in chunk[:end].decode("utf-8", errors="replace").splitlines():
            m = ALOG_RE.match(line)
            if m:
                self._alog.append({"from": m.group(1), "to": m.group(2),
                                   "coding": int(m.group(3)), "udh": m.group(4),
                                   "len": int(m.group(5)), "msg": m.group(6),
                                   "taken": False})

    @staticmethod
    def _printable(data):
        # gwlib's octstr_convert_printable: what is not isprint() in the C locale is "."
        return "".join(chr(b) if 32 <= b < 127 else "." for b in data)

    def _resolve(self):
        """Settle MTs against bearerbox's access log, where it writes "Sent SMS" once a
        message is all on fakesmsc's socket:
          * the coding of a "udh" line: that of the entry of the part itself (a sendsms
            with a udh) or of the whole message whose payload holds the part's;
          * a "text" line is whole once an entry of its length is there: a newline in the
            text made fakesmsc read the rest as a line of its own, which may not have come
            yet (a CR before that newline is lost, so the entry may count it too)."""
        todo = [m for m in self._mt if not m["_done"]]
        if not todo:
            return
        self._read_alog()
        for m in todo:
            uhex = m["udh"].hex().upper()
            for e in self._alog:
                if e["from"] != m["sender"] or e["to"] != m["receiver"]:
                    continue
                if m["type"] == "text":
                    # one entry per text line, the first that fits (in the order sent)
                    hit = not e["taken"] and e["coding"] == 0 and e["udh"] == "" and e["len"] in (
                        len(m["data"]), len(m["data"]) + m["data"].count(b"\n"))
                elif e["udh"] == uhex and e["len"] == len(m["data"]):
                    hit = True
                elif e["udh"] == "" and e["len"] >= len(m["data"]):
                    part = (m["data"].hex().upper() if e["coding"] in (1, 2)
                            else self._printable(m["data"]))
                    hit = part in e["msg"]
                else:
                    hit = False
                if hit:
                    if m["type"] == "text":
                        e["taken"] = True
                    if m["type"] == "udh":
                        m["coding"] = e["coding"]
                        m["text"] = decode(m["data"], e["coding"])
                    m["_done"] = True
                    break

    def _snapshot(self):
        self._resolve()
        return [{k: v for k, v in m.items() if k != "_done"} for m in self._mt]

    @property
    def mt(self):
        """The MTs fakesmsc has got so far (a copy; see the module's docstring). An entry
        may still be unsettled (coding None; a text with a newline not yet whole):
        wait_mt() waits for that."""
        with self._cond:
            return self._snapshot()

    def wait_mt(self, n, timeout=10):
        """Until fakesmsc has got at least n MTs (counted from the start) and each is
        settled (its coding known, its text whole); all of them so far. Raises with the
        logs' tails if not in time."""
        end = time.time() + timeout
        with self._cond:
            while True:
                snap = self._snapshot()
                if len(snap) >= n and all(m["_done"] for m in self._mt[:n]):
                    return snap
                left = end - time.time()
                if left <= 0:
                    raise AssertionError("%d MT(s) after %.0f s, %d wanted (settled): %r\n%s" % (
                        len(snap), timeout, n, [m["raw"] for m in snap], self.logs()))
                self._cond.wait(min(left, 0.2))

    # ---- what smsbox made of each MO ----

    def mo_results(self):
        """smsbox's last word on each MO call, from its access log, in order: {"url",
        "status" (the HTTP status of the last try; -1 when there was no answer), "reply"}.
        smsbox writes it once it is done with the MO - after its retries, if any - so it
        tells that an MO is over."""
        out = []
        for line in tail(self.files["smsbox-access.log"], 100000):
            m = SB_ALOG_RE.search(line)
            if m:
                out.append({"url": m.group(1), "status": int(m.group(2)), "reply": m.group(3)})
        return out

    def wait_mo_results(self, n, timeout=15):
        """Until smsbox is done with n MOs (mo_results); them all."""
        end = time.time() + timeout
        while True:
            got = self.mo_results()
            if len(got) >= n:
                return got
            if time.time() > end:
                raise AssertionError("smsbox done with %d MO(s) after %.0f s, %d wanted\n%s" % (
                    len(got), timeout, n, self.logs()))
            time.sleep(0.1)

    # ---- sendsms ----

    def sendsms(self, to, text, sender="10086", timeout=20, **params):
        """A sendsms request as a client of smsbox would make it: (HTTP status, body str).
        text a str (sent as UTF-8 with charset=UTF-8 unless params say otherwise) or
        bytes; params are more CGI variables (coding=2, dlr_mask=31: "_" becomes "-")."""
        q = {"username": self.username, "password": self.password, "from": sender, "to": to}
        if text is not None:
            q["text"] = text
            if isinstance(text, str):
                q["charset"] = "UTF-8"
        q.update({k.replace("_", "-"): v for k, v in params.items()})
        url = self.sendsms_url + "?" + "&".join(
            "%s=%s" % (url_encode(k), url_encode(v if isinstance(v, (str, bytes)) else str(v)))
            for k, v in q.items() if v is not None)
        try:
            with _urlopen(url, timeout=timeout) as r:
                return r.status, r.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", errors="replace")

    # ---- logs ----

    # smsbox says so of its SIGTERM too (gw/smsbox.c signal_handler)
    SHUTDOWN_LINE = "ERROR: SIGINT received, aborting program..."

    def errors(self):
        """The ERROR and PANIC lines of bearerbox's and smsbox's logs (smsbox's line on
        its SIGTERM aside)."""
        out = []
        for name in ("bearerbox.log", "smsbox.log"):
            try:
                with open(self.files[name], "rb") as f:
                    text = f.read().decode("utf-8", errors="replace")
            except OSError:
                continue
            out += ["%s: %s" % (name, l) for l in text.splitlines()
                    if re.search(r"\] (ERROR|PANIC): ", l) and not l.endswith(
                        self.SHUTDOWN_LINE)]
        return out


def start_rig(ctx, mo_url, **kw):
    """A started KannelRig of this test, in <ctx.dir>/kannel; the harness stops it."""
    return start_for(ctx, KannelRig(os.path.join(ctx.dir, "kannel"), mo_url, **kw))


class HttpRecorder:
    """A local HTTP server that records each request (Kannel's calls of mo_url and dlr-url)
    and answers it 200 "ok" (or what answer(path, args) returns: (status, body)).

    Each request is a dict: path, query (the raw query string), args {name: str} decoded
    as UTF-8 (U+FFFD for bytes that are not), raw {name: bytes} (the exact bytes)."""

    def __init__(self, answer=None):
        self.requests = []
        self.answer = answer
        self.cond = threading.Condition()
        rec = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                path, _, query = self.path.partition("?")
                raw = {}
                for pair in query.split("&") if query else ():
                    k, _, v = pair.partition("=")
                    raw[url_decode(k).decode("utf-8", "replace")] = url_decode(v)
                r = {"path": path, "query": query, "raw": raw,
                     "args": {k: v.decode("utf-8", errors="replace") for k, v in raw.items()}}
                status, body = (rec.answer(path, r["args"]) if rec.answer else (200, "ok"))
                body = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                with rec.cond:
                    rec.requests.append(r)
                    rec.cond.notify_all()

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                        name="http-recorder", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._thread:
            self.httpd.shutdown()
            self._thread = None
        self.httpd.server_close()

    def wait(self, n, timeout=15, path=None):
        """Until n requests (to path, if given) have come; they all (to path)."""
        end = time.time() + timeout
        with self.cond:
            while True:
                got = [r for r in self.requests if path is None or r["path"] == path]
                if len(got) >= n:
                    return got
                left = end - time.time()
                if left <= 0:
                    raise AssertionError("%d request(s) to %s after %.0f s, %d wanted: %r" % (
                        len(got), path or "any path", timeout, n,
                        [r["path"] + "?" + r["query"] for r in self.requests]))
                self.cond.wait(min(left, 0.2))
