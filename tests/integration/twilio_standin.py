"""A local stand-in for Twilio's Programmable Messaging REST API (2010-04-01) for omniq's tests.

The tests cannot reach Twilio, and a mock that answers whatever it is sent would let a client
pass that the real service refuses. So this server checks each request as Twilio does - the
method, the path and whose account it names, HTTP Basic authentication, the form-encoded body
and every parameter in it - and answers with Twilio's own error codes and JSON. What Twilio
would refuse (or silently ignore) as the *client's* mistake is also written down in
`violations`, which a test asserts empty: a wrong error code can be handled by a client by
accident, a violation cannot. What Twilio or the way to it may do to a good request (a 429,
a 5xx, an error code such as 21610, no answer at all) is injected with fail_next(). What is a
matter of the account's set-up rather than of the request (a wrong Auth Token, a From number
the account does not own, a recipient who texted STOP) is answered as Twilio answers it and is
not a violation: a test of that set-up expects the error, and no violation.

The other direction is here too: Twilio's requests to the application - status callbacks
(report(), or auto_report on the account) and incoming messages (inbound()) - form-encoded and
signed with X-Twilio-Signature as Twilio signs them (signature()).

Where Twilio's documentation says what it does, this follows it (the references are in the
comments); where it does not, the choice is said in a comment. Not modelled: other channels
(whatsapp:...), ContentSid templates, scheduling, Smart Encoding, the XML and CSV forms of the
API, API Keys (only AccountSid:AuthToken authenticates).

Stdlib only: it runs under Debian's /usr/bin/python3, with no virtualenv.
"""
import base64
import hashlib
import hmac
import json
import re
import secrets
import sys
import threading
import time
import traceback
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standin_http import MAX_BODY, BodyReader, Garbage

API_VERSION = "2010-04-01"
MAX_TEXT = 1600          # Body, in UTF-16 code units (21617)
MAX_MEDIA = 10           # MediaUrl values in one message
MAX_URL = 4000           # StatusCallback, in characters (21609)
WEBHOOK_TIMEOUT = 15     # seconds Twilio waits for the answer to its own requests
SIGNATURE_HEADER = "X-Twilio-Signature"
JSON_TYPE = "application/json; charset=utf-8"
FORM_TYPE = "application/x-www-form-urlencoded"

# Twilio's error codes, their HTTP status and the message of the JSON error
# (https://www.twilio.com/docs/errors/<code>; a "%s" takes the offending value)
ERRORS = {
    20003: (401, "Authenticate"),
    20004: (405, "Method not allowed"),
    20404: (404, "The requested resource %s was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "The 'To' number %s is not a valid phone number."),
    21212: (400, "The 'From' number %s is not a valid phone number, shortcode, or alphanumeric "
                 "sender ID."),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21606: (400, "The 'From' phone number provided is not a valid message-capable Twilio phone "
                 "number for this destination/account."),
    21609: (400, "Invalid 'StatusCallback'"),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
    21620: (400, "Invalid media URL(s)"),
    21623: (400, "Number of media files exceeds allowed limit"),
    21701: (400, "The Messaging Service does not exist"),
    21705: (400, "The Messaging Service is invalid"),
}

# Message create's parameters the stand-in models, and those Twilio has that it does not
# (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource)
CREATE_PARAMS = ("To", "From", "MessagingServiceSid", "Body", "MediaUrl", "StatusCallback")
UNMODELLED_PARAMS = ("ApplicationSid", "MaxPrice", "ProvideFeedback", "Attempt",
                     "ValidityPeriod", "ForceDelivery", "ContentRetention", "AddressRetention",
                     "SmartEncoded", "PersistentAction", "ShortenUrls", "ScheduleType", "SendAt",
                     "SendAsMms", "ContentSid", "ContentVariables", "RiskCheck", "TrafficType",
                     "Tags")
LIST_PARAMS = ("To", "From", "DateSent", "DateSent<", "DateSent>", "PageSize", "Page",
               "PageToken")

# a Message's status
# (https://www.twilio.com/docs/messaging/api/message-resource#message-status-values)
STATUSES = ("queued", "sending", "sent", "failed", "delivered", "undelivered", "receiving",
            "received", "accepted", "scheduled", "read", "partially_delivered", "canceled")

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
# a sender that is no phone number: a short code, an Alphanumeric Sender ID (up to 11 of
# [a-zA-Z0-9] and spaces, a letter among them) - https://www.twilio.com/docs/errors/21212
SHORT_CODE = re.compile(r"^[0-9]{3,8}$")
ALPHA_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
SID_HEX = re.compile(r"^[0-9a-f]{32}$")
MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]*)/Messages\.json$")
MESSAGE_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]*)/Messages/([^/]*)\.json$")

# country of a number, for an incoming message's ToCountry/FromCountry (a few; else "")
COUNTRY_CODES = (("1", "US"), ("44", "GB"), ("49", "DE"), ("33", "FR"), ("34", "ES"),
                 ("39", "IT"), ("31", "NL"), ("86", "CN"), ("852", "HK"), ("81", "JP"),
                 ("82", "KR"), ("61", "AU"), ("91", "IN"), ("65", "SG"), ("55", "BR"))


def is_sender(s):
    """Whether s has the form of a sender: E.164, a short code or an Alphanumeric Sender ID."""
    return bool(E164.match(s) or SHORT_CODE.match(s) or ALPHA_ID.match(s))


def more_info(code):
    return "https://www.twilio.com/docs/errors/%d" % code


def error_body(code, message=None, status=None, arg=""):
    """Twilio's JSON error: {"code", "message", "more_info", "status"}."""
    st, text = ERRORS.get(code, (400, "Error %d" % code))
    if message is None:
        message = text % arg if "%s" in text else text
    return {"code": code, "message": message, "more_info": more_info(code),
            "status": status or st}


def new_sid(prefix):
    """A Twilio SID: two letters and 32 lower-case hex digits."""
    return prefix + secrets.token_hex(16)


def rfc2822(t=None):
    """A time as Twilio writes it: 'Thu, 30 Jul 2015 20:12:31 +0000'."""
    d = datetime.fromtimestamp(time.time() if t is None else t, timezone.utc)
    return format_datetime(d)


# ---- X-Twilio-Signature ---------------------------------------------------------------------

def signature(token, url, params):
    """X-Twilio-Signature of a request Twilio POSTs to url with these form parameters (a dict,
    or (name, value) pairs): Base64 of the HMAC-SHA1, keyed with the Auth Token, of the full URL
    (query string included) followed by each parameter's name and value, in the order of their
    names (a name given twice: its values in order too, as Twilio's helper libraries check it).
    https://www.twilio.com/docs/usage/webhooks/webhooks-security"""
    pairs = list(params.items()) if isinstance(params, dict) else list(params)
    data = url + "".join(k + v for k, v in sorted(pairs))
    mac = hmac.new(token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


# ---- SMS segments ---------------------------------------------------------------------------

# GSM 03.38: the basic character set, by septet value (0x1B is the escape to the extension
# table, no character of its own), and the extension table's characters, two septets each
GSM_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
             "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = "\f^{}\\[~]|€"
assert len(GSM_BASIC) == 128 and GSM_BASIC[0x1B] == "\x1b" and GSM_BASIC[0x60] == "¿"
_GSM_BASIC = frozenset(GSM_BASIC) - {"\x1b"}
_GSM_EXT = frozenset(GSM_EXTENSION)


def is_gsm7(text):
    """Whether every character of text is in GSM 03.38's basic or extension table."""
    return all(c in _GSM_BASIC or c in _GSM_EXT for c in text)


def _joins(ch):
    """A code point that belongs to the character before it (an approximation of a grapheme
    cluster's extension: combining marks, ZWJ, variation selectors, skin tones, tags)."""
    cp = ord(ch)
    return (cp == 0x200D or 0xFE00 <= cp <= 0xFE0F or 0x1F3FB <= cp <= 0x1F3FF
            or 0xE0020 <= cp <= 0xE007F or unicodedata.category(ch) in ("Mn", "Mc", "Me"))


def _clusters(text):
    """text in user-perceived characters, near enough: what a segment does not split."""
    out = []
    after_zwj = False
    for ch in text:
        cp = ord(ch)
        regional = 0x1F1E6 <= cp <= 0x1F1FF
        if out and (after_zwj or _joins(ch) or (
                regional and len(out[-1]) == 1 and 0x1F1E6 <= ord(out[-1]) <= 0x1F1FF)):
            out[-1] += ch
        else:
            out.append(ch)
        after_zwj = cp == 0x200D
    return out


def segments(text):
    """(encoding, number of segments) of an SMS body, as Twilio counts them: GSM-7 when every
    character is in GSM 03.38 (an extension character takes two septets), 160 septets in one
    segment, else 153 in each (a 6-byte header); otherwise UCS-2, 70 UTF-16 code units in one,
    else 67 in each. A segment is filled until the next character does not fit whole: an
    extension character's two septets, a surrogate pair, an emoji sequence are not split
    (Twilio's Message Segment Calculator, github.com/TwilioDevEd/message-segment-calculator,
    SegmentedMessage._buildSegments). An empty body is one segment."""
    if is_gsm7(text):
        encoding, single, multi = "GSM-7", 160, 153
        units = [2 if c in _GSM_EXT else 1 for c in text]
    else:
        encoding, single, multi = "UCS-2", 70, 67
        units = [len(c.encode("utf-16-le", "surrogatepass")) // 2 for c in _clusters(text)]
    if sum(units) <= single:
        return encoding, 1
    n, free = 1, multi
    for u in units:
        if u > free:
            n, free = n + 1, multi
        free -= u
    return encoding, n


def num_segments(text):
    return segments(text)[1]


def utf16_len(text):
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def country_of(number):
    digits = number.lstrip("+")
    for code, country in sorted(COUNTRY_CODES, key=lambda c: -len(c[0])):
        if digits.startswith(code):
            return country
    return ""


def _url_problem(url):
    """What is wrong with a URL Twilio is to call or fetch (None if nothing): an absolute
    http(s) URL with a host name (no underscores in it, https://www.twilio.com/docs/errors/21609),
    no blanks or control characters, at most MAX_URL characters."""
    if len(url) > MAX_URL:
        return "%d characters (at most %d)" % (len(url), MAX_URL)
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return "holds blanks or control characters"
    try:
        p = urllib.parse.urlsplit(url)
        p.port
    except ValueError as e:
        return "not a URL (%s)" % e
    if p.scheme not in ("http", "https"):
        return "not an absolute http(s) URL"
    if not p.hostname:
        return "no host"
    if "_" in p.hostname:
        return "an underscore in the host name"
    return None


def _parse_form(body):
    """(pairs, problems) of an application/x-www-form-urlencoded body: its (name, value)
    pairs in order, and what is malformed in it."""
    pairs, probs = [], []
    if not body:
        return pairs, probs
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        # read as the UTF-8 the form is (escaped here as it should have been)
        probs.append("body holds bytes outside ASCII (a form escapes them as %XX)")
        text = "".join(chr(b) if b < 0x80 else "%%%02X" % b for b in body)
    for part in text.split("&"):
        if not part:
            probs.append("an empty field (&&, or & at an end)")
            continue
        name, eq, value = part.partition("=")
        if not eq:
            probs.append("field %r has no '=' (not form-encoded)" % part[:40])
        if re.search(r"%(?![0-9A-Fa-f]{2})", part):
            probs.append("field %r: a %% that is no %%XX escape" % part[:40])
        try:
            n = urllib.parse.unquote_plus(name, errors="strict")
            v = urllib.parse.unquote_plus(value, errors="strict")
        except UnicodeDecodeError:
            probs.append("field %r is not UTF-8 once unescaped" % part[:40])
            n = urllib.parse.unquote_plus(name, errors="replace")
            v = urllib.parse.unquote_plus(value, errors="replace")
        if not n:
            probs.append("a field with no name")
        pairs.append((n, v))
    return pairs, probs


# ---- the server -----------------------------------------------------------------------------



class _NoAnswer:
    """fail_next(kind="close"/"timeout"): hold the request `seconds` (0: none), then close the
    connection without an answer."""

    def __init__(self, seconds):
        self.seconds = seconds


class _Fail:
    """An injected answer: what is said (or _NoAnswer), whether the message is made anyway."""

    def __init__(self, answer, accepted=False):
        self.answer, self.accepted = answer, accepted


class TwilioStandIn:
    """Twilio's Messages API on 127.0.0.1, checked as Twilio checks it. All state is behind one
    lock; the lists below are appended to by the server's threads and read by the test."""

    def __init__(self):
        self.lock = threading.RLock()
        self.sent = []         # accepted messages: sid, account_sid, from, to, body, ...
        self.requests = []     # every request: method, path, params, account, status, code
        self.violations = []   # the client's mistakes, as text
        self.reports = []      # status callbacks made (report() and auto_report), with answers
        self.errors = []       # the stand-in's own failures (a bug here, not the client's)
        self._accounts = {}    # AccountSid -> {"token", "numbers", "services", ...}
        self._messages = {}    # sid -> the message (its JSON, and "_callback", "_account")
        self._fail = []        # [[_Fail, how many more], ...] for the next POSTs to Messages.json
        self._stopping = threading.Event()
        self._threads = []     # auto_report's
        self._thread = None
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.httpd = _Server(("127.0.0.1", 0), self._handler_class())
        self.httpd.standin = self
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port

    # ---- lifecycle ----

    def start(self):
        """Serve in a daemon thread (the port is bound from the constructor on)."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                        name="twilio-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop serving; a request held by fail_next("timeout") is let go at once, and
        auto_report stops between its callbacks."""
        self._stopping.set()
        if self._thread:
            self.httpd.shutdown()
            self._thread = None
        self.httpd.server_close()
        for t in list(self._threads):
            t.join(WEBHOOK_TIMEOUT + 1)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- what the test sets up ----

    def add_account(self, account_sid, auth_token, numbers=("+15005550006",), services=(),
                    auto_report=(), report_delay=0.05):
        """An account: its Auth Token, the senders it owns (SMS-capable numbers in E.164, short
        codes, Alphanumeric Sender IDs) and its Messaging Services (MG SIDs). auto_report:
        statuses (e.g. ("sent", "delivered")) that the stand-in reports by itself, in order,
        report_delay seconds apart, to the StatusCallback of each message it accepts (none
        without one), once its 201 is sent."""
        for n in numbers:
            if not is_sender(n):
                raise ValueError("add_account: %r is no E.164 number, short code nor "
                                 "Alphanumeric Sender ID" % n)
        for st in auto_report:
            if st not in STATUSES:
                raise ValueError("add_account: %r is no message status" % st)
        with self.lock:
            self._accounts[account_sid] = {
                "token": auth_token, "numbers": list(numbers), "services": set(services),
                "auto_report": tuple(auto_report), "report_delay": float(report_delay),
                "opted_out": set()}

    def opt_out(self, account_sid, number, out=True):
        """The recipient texted STOP to the account (out=False: START): sending to them is
        answered 21610, as Twilio does."""
        with self.lock:
            (set.add if out else set.discard)(self._accounts[account_sid]["opted_out"], number)

    def fail_next(self, kind, n=1, accepted=False, **kw):
        """The next n POSTs to Messages.json (any account) are answered so, once their
        parameters are checked (a violation is recorded all the same):
          kind="rate_limit": HTTP 429, code 20429 "Too Many Requests", Retry-After: retry_after
                             (seconds, default 1); Twilio makes no message;
          kind="http":       HTTP status (500: code 20500, 503: code 20503, in Twilio's JSON;
                             another status: a short text/html page, as from a proxy);
          kind="error":      Twilio's JSON error of this code (HTTP status: ERRORS', or
                             status=; message: Twilio's usual text, or message=);
          kind="close":      the connection is closed without an answer;
          kind="timeout":    held `seconds`, then closed without an answer.
        accepted=True (http, close, timeout): the message is made all the same (it is in
        `sent`, and reported): the answer was lost, not the request - a client that retries
        sends it twice (https://www.twilio.com/docs/errors/20500). Calls queue up."""
        if kind == "rate_limit":
            ra = str(kw.get("retry_after", 1))
            answer = (429, {"Retry-After": ra}, error_body(20429), 20429)
        elif kind == "http":
            status = int(kw["status"])
            if not 400 <= status <= 599:
                raise ValueError("fail_next: HTTP status %d" % status)
            if status in (500, 503):
                code = 20000 + status
                answer = (status, {}, error_body(code), code)
            else:
                answer = (status, {"Content-Type": "text/html"}, _error_page(status), None)
        elif kind == "error":
            code = int(kw["code"])
            status = int(kw.get("status") or ERRORS.get(code, (400, ""))[0])
            answer = (status, {}, error_body(code, kw.get("message"), status), code)
        elif kind == "close":
            answer = _NoAnswer(0)
        elif kind == "timeout":
            answer = _NoAnswer(float(kw["seconds"]))
        else:
            raise ValueError("fail_next: kind %r is none of rate_limit, http, error, close, "
                             "timeout" % kind)
        if accepted and kind not in ("http", "close", "timeout"):
            raise ValueError("fail_next: accepted=True is for http, close and timeout")
        with self.lock:
            self._fail.append([_Fail(answer, accepted), int(n)])

    def message(self, sid):
        """A message as a fetch of it answers (its JSON), or None."""
        with self.lock:
            m = self._messages.get(sid)
            return self._public(m) if m else None

    def wait_reports(self, n, timeout=10):
        """Until `reports` holds n callbacks; returns them (AssertionError if not in time)."""
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                if len(self.reports) >= n:
                    return list(self.reports)
            time.sleep(0.02)
        raise AssertionError("%d status callbacks, not %d, within %ss: %s"
                             % (len(self.reports), n, timeout, self.reports))

    # ---- Twilio's requests to the application ----

    def report(self, sid, status, error_code=None, timeout=WEBHOOK_TIMEOUT, _auto=False):
        """POST the message's status to its StatusCallback as Twilio does: form-encoded
        MessageSid, SmsSid, AccountSid, From, To, MessageStatus, SmsStatus, ApiVersion (and
        MessagingServiceSid when sent through one, ErrorCode when given), signed with the
        account's Auth Token. The message's status becomes this one. Returns (HTTP status,
        body) of the answer, (None, what failed) when there was none; kept in `reports`.
        https://www.twilio.com/docs/messaging/guides/track-outbound-message-status"""
        if status not in STATUSES:
            raise ValueError("report: %r is no message status" % status)
        with self.lock:
            m = self._messages.get(sid)
            if m is None:
                raise ValueError("report: no message %r" % sid)
            url = m["_callback"]
            if not url:
                raise ValueError("report: message %s has no StatusCallback" % sid)
            token = self._accounts[m["account_sid"]]["token"]
            params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": m["account_sid"],
                      "From": m["from"] or "", "To": m["to"], "MessageStatus": status,
                      "SmsStatus": status, "ApiVersion": API_VERSION}
            if m["messaging_service_sid"]:
                params["MessagingServiceSid"] = m["messaging_service_sid"]
            if error_code is not None:
                params["ErrorCode"] = str(error_code)
            m["status"] = status
            m["error_code"] = error_code
            m["date_updated"] = rfc2822()
            if status == "sent" and not m["date_sent"]:
                m["date_sent"] = m["date_updated"]
        st, _, body = self._post(url, params, token, True, timeout)
        rec = {"sid": sid, "status": status, "error_code": error_code, "url": url,
               "params": params, "signature": signature(token, url, params),
               "answer_status": st, "answer_body": body, "auto": _auto}
        with self.lock:
            self.reports.append(rec)
        return st, body

    def inbound(self, url, account_sid, From, To, Body="", media=(), message_sid=None,
                sign=True, token=None, extra=None, timeout=WEBHOOK_TIMEOUT):
        """POST what Twilio POSTs to a number's incoming-message webhook: ToCountry, ToState,
        SmsMessageSid, NumMedia, ToCity, FromZip, SmsSid, FromState, SmsStatus, FromCity, Body,
        FromCountry, To, ToZip, NumSegments, MessageSid, AccountSid, From, ApiVersion, and
        MediaUrlN / MediaContentTypeN for each (url, content type) of media; signed with the
        account's Auth Token (sign=False: no signature; token=: signed with that one, a
        forgery). extra: more parameters (as Twilio adds new ones unannounced). Returns
        (HTTP status, Content-Type, body) of the answer, (None, None, what failed) if none.
        https://www.twilio.com/docs/messaging/guides/webhook-request"""
        with self.lock:
            a = self._accounts[account_sid]
            if To not in a["numbers"]:
                raise ValueError("inbound: %s is not a number of %s" % (To, account_sid))
            key = a["token"] if token is None else token
        media = list(media)
        sid = message_sid or new_sid("MM" if media else "SM")
        params = {"ToCountry": country_of(To), "ToState": "", "SmsMessageSid": sid,
                  "NumMedia": str(len(media)), "ToCity": "", "FromZip": "", "SmsSid": sid,
                  "FromState": "", "SmsStatus": "received", "FromCity": "", "Body": Body,
                  "FromCountry": country_of(From), "To": To, "ToZip": "",
                  "NumSegments": str(num_segments(Body)), "MessageSid": sid,
                  "AccountSid": account_sid, "From": From, "ApiVersion": API_VERSION}
        for i, (murl, mtype) in enumerate(media):
            params["MediaContentType%d" % i] = mtype
            params["MediaUrl%d" % i] = murl
        params.update(extra or {})
        return self._post(url, params, key, sign, timeout)

    def _post(self, url, params, token, sign, timeout):
        """(status, Content-Type, body) of a signed form POST, (None, None, why) if no answer."""
        req = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode("ascii"),
                                     method="POST")
        req.add_header("Content-Type", FORM_TYPE)
        req.add_header("User-Agent", "TwilioProxy/1.1")
        req.add_header("Accept", "*/*")
        req.add_header("I-Twilio-Idempotency-Token", secrets.token_hex(18))
        if sign:
            req.add_header(SIGNATURE_HEADER, signature(token, url, params))
        try:
            with self._opener.open(req, timeout=timeout) as r:
                return r.status, r.headers.get("Content-Type"), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read()
        except (OSError, ValueError) as e:
            return None, None, "%s: %s" % (type(e).__name__, e)

    def _auto_report(self, sid, statuses, delay):
        for st in statuses:
            if self._stopping.wait(delay):
                return
            try:
                self.report(sid, st, _auto=True)
            except Exception:
                self._internal_error(traceback.format_exc())
                return

    # ---- one request ----

    def _answer(self, method, target, headers, body):
        """The answer to one request: (status, headers, payload dict or bytes, code, after)
        or a _NoAnswer; after is None or what to do once the answer is sent. Everything the
        request did is recorded before it returns."""
        parts = urllib.parse.urlsplit(target)
        rec = {"method": method, "path": parts.path, "query": parts.query, "params": None,
               "account": None, "status": None, "code": None}
        with self.lock:
            out = self._serve(method, parts, headers, body, rec)
            if isinstance(out, _NoAnswer):
                rec["status"] = rec["code"] = None
            else:
                rec["status"], rec["code"] = out[0], out[3]
            self.requests.append(rec)
        return out

    def _violation(self, method, path, what):
        self.violations.append("%s %s: %s" % (method, path, what))

    def _violate(self, method, target, what):
        """A violation found outside a request's answer (its framing)."""
        with self.lock:
            self._violation(method, urllib.parse.urlsplit(target).path, what)

    def _err(self, code, arg="", status=None):
        e = error_body(code, status=status, arg=arg)
        return (e["status"], {}, e, code, None)

    def _authenticate(self, method, path, headers):
        """(the authenticated AccountSid, None) or (None, the 401 answer)."""
        auth = headers.get("Authorization")
        who = None
        if not auth:
            self._violation(method, path, "no Authorization header (HTTP Basic, "
                                          "AccountSid:AuthToken)")
        else:
            scheme, _, cred = auth.partition(" ")
            try:
                if scheme.lower() != "basic":
                    raise ValueError("scheme %r, not Basic" % scheme)
                user, colon, token = base64.b64decode(cred.strip(), validate=True).decode(
                    "utf-8").partition(":")
                if not colon:
                    raise ValueError("no ':' between AccountSid and AuthToken")
            except (ValueError, UnicodeDecodeError) as e:
                self._violation(method, path, "Authorization header malformed (%s)" % e)
            else:
                a = self._accounts.get(user)
                # a wrong token is the account's set-up (a rotated token), not a malformation
                if a is not None and hmac.compare_digest(a["token"].encode(), token.encode()):
                    who = user
        if who is None:
            e = error_body(20003)
            return None, (401, {"WWW-Authenticate": 'Basic realm="Twilio API"'}, e, 20003, None)
        return who, None

    def _serve(self, method, parts, headers, body, rec):
        path = parts.path
        m_list, m_one = MESSAGES_PATH.match(path), MESSAGE_PATH.match(path)
        if not (m_list or m_one):
            self._violation(method, path, "no such resource (the stand-in serves "
                                          "/2010-04-01/Accounts/{AccountSid}/Messages.json)")
            return self._err(20404, path)
        if body is None:
            self._violation(method, path, "body over %d bytes" % MAX_BODY)
            return (413, {"Content-Type": "text/html"}, _error_page(413), None, None)
        if method not in ("GET", "POST"):
            self._violation(method, path, "%s: Twilio takes GET and POST here" % method)
            return self._err(20004)
        path_account = (m_list or m_one).group(1)
        who, refusal = self._authenticate(method, path, headers)
        if who is not None and path_account != who:
            self._violation(method, path, "the path names account %r, the credentials are %r's"
                            % (path_account, who))
            e = error_body(20003)
            refusal = (401, {"WWW-Authenticate": 'Basic realm="Twilio API"'}, e, 20003, None)
        rec["account"] = who
        if m_one:
            if method == "POST":
                self._violation(method, path, "updating a message (redact, cancel) is not "
                                              "modelled by the stand-in")
            elif body:
                self._violation(method, path, "a GET with a body of %d bytes" % len(body))
            if refusal:
                return refusal
            msg = self._messages.get(m_one.group(2))
            if msg is None or msg["account_sid"] != who or method == "POST":
                return self._err(20404, path)
            return (200, {}, self._public(msg), 0, None)
        if method == "GET":
            return self._list(path, parts.query, body, refusal, who)
        return self._create(path, parts.query, headers, body, rec, refusal, who)

    def _list(self, path, query, body, refusal, who):
        """GET Messages.json: Twilio lists the account's messages (a client that means to send
        has made a mistake)."""
        self._violation("GET", path, "GET lists messages; a message is sent with a POST")
        if body:
            self._violation("GET", path, "a GET with a body of %d bytes" % len(body))
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        for k in q:
            if k not in LIST_PARAMS:
                self._violation("GET", path, "unknown query parameter %r" % k)
        if refusal:
            return refusal
        msgs = [self._public(m) for m in reversed(list(self._messages.values()))
                if m["account_sid"] == who]
        for k in ("To", "From"):
            if q.get(k):
                msgs = [m for m in msgs if m[k.lower()] == q[k][0]]
        size = 50
        uri = path + ("?" + query if query else "")
        return (200, {}, {"messages": msgs[:size], "end": max(0, min(len(msgs), size) - 1),
                          "first_page_uri": uri, "next_page_uri": None, "page": 0,
                          "page_size": size, "previous_page_uri": None, "start": 0,
                          "uri": uri}, 0, None)

    def _create(self, path, query, headers, body, rec, refusal, who):
        """POST Messages.json: send a message."""
        v = lambda what: self._violation("POST", path, what)   # noqa: E731
        if query:
            v("a query string on the POST (%r): Twilio reads the form body" % query[:60])
        ctype = headers.get("Content-Type") or ""
        mime, _, ps = ctype.partition(";")
        pairs = []
        if mime.strip().lower() != FORM_TYPE:
            # Twilio reads the parameters of a form only: JSON, or no Content-Type, sends none
            # (https://www.twilio.com/docs/errors/21604)
            v("Content-Type %r, not %s: Twilio reads no parameter from it" % (ctype, FORM_TYPE))
        else:
            charset = ps.strip().lower().replace('"', "")
            if charset not in ("", "charset=utf-8"):
                v("Content-Type %r: the body is read as UTF-8" % ctype)
            pairs, probs = _parse_form(body)
            for p in probs:
                v(p)
        if not body:
            v("empty body")
        rec["params"] = pairs
        params, media = {}, []
        for k, val in pairs:
            if k == "MediaUrl":
                media.append(val)
            elif k in params:
                v("parameter %s given twice (%r, then %r): Twilio takes one"
                  % (k, params[k], val))
            else:
                params[k] = val
            if k in UNMODELLED_PARAMS:
                v("parameter %s is Twilio's, but not modelled by the stand-in: its effect is "
                  "untested" % k)
            elif k not in CREATE_PARAMS:
                v("unknown parameter %r (Twilio ignores it)" % k)
        code, arg = self._check(v, params, media, who)
        fail = None
        if self._fail:
            fail = self._fail[0][0]
            self._fail[0][1] -= 1
            if self._fail[0][1] <= 0:
                self._fail.pop(0)
        if refusal:
            return refusal if fail is None else self._failed(fail, None)
        if fail is not None and not (fail.accepted and code is None):
            return self._failed(fail, None)
        if code:
            return self._err(code, arg)
        msg, after = self._make(who, params, media)
        if fail is not None:
            return self._failed(fail, after)
        return (201, {}, self._public(msg), 0, after)

    @staticmethod
    def _failed(fail, after):
        a = fail.answer
        if isinstance(a, _NoAnswer):
            return _NoAnswer(a.seconds) if after is None else _NoAnswerThen(a.seconds, after)
        return a + (after,)

    def _check(self, v, params, media, who):
        """Twilio's checks of a send, in order: (the first error code or None, its argument).
        Each of the client's mistakes is a violation too."""
        codes = []
        to, frm = params.get("To"), params.get("From")
        mss = params.get("MessagingServiceSid")
        text = params.get("Body")
        a = self._accounts.get(who) if who else None
        if not to:
            v("no To" if to is None else "To is empty")
            codes.append((21604, ""))
        elif not E164.match(to):
            v("To %r is not E.164 (+ and 2 to 15 digits)" % to)
            codes.append((21211, to))
        elif to == frm:
            v("To is From (%s): a number does not message itself" % to)
            codes.append((21211, to))
        if not frm and not mss:
            v("neither From nor MessagingServiceSid")
            codes.append((21603, ""))
        if mss is not None and not (mss.startswith("MG") and SID_HEX.match(mss[2:])):
            v("MessagingServiceSid %r is not MG and 32 hex digits" % mss)
            codes.append((21705, ""))
        if frm and not is_sender(frm):
            v("From %r is no E.164 number, short code nor Alphanumeric Sender ID" % frm)
            codes.append((21212, frm))
        if not text and not media:
            v("no Body" if text is None else "Body is empty")
            codes.append((21602, ""))
        if text is not None and utf16_len(text) > MAX_TEXT:
            v("Body is %d characters (UTF-16 code units; at most %d)"
              % (utf16_len(text), MAX_TEXT))
            codes.append((21617, ""))
        bad_media = [(u, _url_problem(u)) for u in media if _url_problem(u)]
        for u, why in bad_media:
            v("MediaUrl %r: %s" % (u[:80], why))
        if bad_media:
            codes.append((21620, ""))
        if len(media) > MAX_MEDIA:
            v("%d MediaUrl (at most %d)" % (len(media), MAX_MEDIA))
            codes.append((21623, ""))
        cb = params.get("StatusCallback")
        if cb is not None and _url_problem(cb):
            v("StatusCallback %r: %s" % (cb[:80], _url_problem(cb)))
            codes.append((21609, ""))
        if codes:
            return codes[0]
        # the account's set-up, not the request's form: no violation
        if a is not None:
            if frm and frm not in a["numbers"]:
                return 21606, ""
            if mss and mss not in a["services"]:
                return 21701, ""
            if to in a["opted_out"]:
                return 21610, ""
        return None, ""

    def _make(self, who, params, media):
        """Make the message (under the lock); returns it and what to do once answered."""
        a = self._accounts[who]
        text = params.get("Body", "")
        sid = new_sid("MM" if media else "SM")
        now = rfc2822()
        mss = params.get("MessagingServiceSid")
        nseg = num_segments(text)
        # through a Messaging Service: "accepted", and num_segments 0 until a sender is picked
        # (https://www.twilio.com/docs/messaging/api/message-resource, num_segments)
        msg = {"account_sid": who, "api_version": API_VERSION, "body": text,
               "date_created": now, "date_sent": None, "date_updated": now,
               "direction": "outbound-api", "error_code": None, "error_message": None,
               "from": params.get("From") or None, "messaging_service_sid": mss,
               "num_media": str(len(media)), "num_segments": "0" if mss else str(nseg),
               "price": None, "price_unit": "USD", "sid": sid,
               "status": "accepted" if mss else "queued",
               "subresource_uris": {
                   "media": "/%s/Accounts/%s/Messages/%s/Media.json" % (API_VERSION, who, sid)},
               "to": params["To"],
               "uri": "/%s/Accounts/%s/Messages/%s.json" % (API_VERSION, who, sid),
               "_callback": params.get("StatusCallback")}
        self._messages[sid] = msg
        self.sent.append({"sid": sid, "account_sid": who, "from": msg["from"], "to": msg["to"],
                          "body": text, "num_segments": nseg, "encoding": segments(text)[0],
                          "media_urls": list(media), "messaging_service_sid": mss,
                          "status_callback": msg["_callback"]})
        after = None
        if msg["_callback"] and a["auto_report"]:
            statuses, delay = a["auto_report"], a["report_delay"]

            def after():
                t = threading.Thread(target=self._auto_report, args=(sid, statuses, delay),
                                     name="twilio-standin-report", daemon=True)
                with self.lock:
                    self._threads = [x for x in self._threads if x.is_alive()] + [t]
                t.start()
        return msg, after

    @staticmethod
    def _public(msg):
        return {k: (dict(v) if isinstance(v, dict) else v)
                for k, v in msg.items() if not k.startswith("_")}

    # ---- HTTP ----

    def _handler_class(self):
        standin = standin_ = self

        class Handler(BodyReader, BaseHTTPRequestHandler):
            standin = standin_
            protocol_version = "HTTP/1.1"   # keep-alive, as Twilio's front ends do
            timeout = 60                     # an idle connection is let go

            def version_string(self):
                return "nginx"

            def _handle(self):
                try:
                    self._handle_checked()
                except (ConnectionError, TimeoutError):
                    self.close_connection = True
                except Garbage as e:
                    standin._violate(self.command, self.path, str(e))
                    self.close_connection = True
                    self._send(400, {"Content-Type": "text/html"}, _error_page(400))
                except Exception:
                    standin._internal_error(traceback.format_exc())
                    self.close_connection = True
                    try:
                        self._send(500, {"Content-Type": "text/plain"}, b"stand-in failure\n")
                    except OSError:
                        pass

            def _handle_checked(self):
                body = self._body()
                answer = standin._answer(self.command, self.path, self.headers, body)
                if body is None:
                    self.close_connection = True   # what is left of it is not read
                if isinstance(answer, _NoAnswer):
                    if answer.seconds:
                        standin._stopping.wait(answer.seconds)
                    self.close_connection = True
                    if isinstance(answer, _NoAnswerThen):
                        answer.after()
                    return
                status, hdrs, payload, _, after = answer
                if isinstance(payload, dict):
                    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                else:
                    data = payload
                self._send(status, hdrs, data)
                if after:
                    after()

            def _send(self, status, hdrs, data):
                self.send_response(status)
                hdrs = dict(hdrs)
                self.send_header("Content-Type", hdrs.pop("Content-Type", JSON_TYPE))
                for k, val in hdrs.items():
                    self.send_header(k, val)
                self.send_header("Twilio-Request-Id", new_sid("RQ"))
                self.send_header("Content-Length", str(len(data)))
                if self.close_connection:
                    self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                self.wfile.flush()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


        return Handler

    def _internal_error(self, text):
        with self.lock:
            self.errors.append(text)
        sys.stderr.write("twilio_standin: " + text)
        sys.stderr.flush()


class _NoAnswerThen(_NoAnswer):
    """No answer, but the message was made: `after` (its auto_report) runs all the same."""

    def __init__(self, seconds, after):
        super().__init__(seconds)
        self.after = after or (lambda: None)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin = None

    def handle_error(self, request, client_address):
        """A client that hangs up is no failure; anything else is a bug of the stand-in."""
        e = sys.exc_info()[1]
        if isinstance(e, (ConnectionError, TimeoutError)):
            return
        self.standin._internal_error(traceback.format_exc())


def _error_page(status):
    """What a proxy in front of Twilio says for an HTTP error."""
    try:
        title = "%d %s" % (status, HTTPStatus(status).phrase)
    except ValueError:
        title = str(status)
    return ("<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>"
            "\r\n</body>\r\n</html>\r\n" % (title, title)).encode()
