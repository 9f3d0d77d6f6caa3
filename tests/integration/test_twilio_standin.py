"""Self-tests of the Twilio stand-in (tests/integration/twilio_standin.py), through real HTTP.

omniq's tests of an SMS channel would trust the stand-in to refuse what Twilio refuses, to say
so in `violations`, and to sign its own requests as Twilio does: each check shown here is one
that a client could otherwise get wrong unseen. The signatures of the stand-in's callbacks are
checked by a webhook endpoint of the test's own (Receiver), which computes them again.
"""
import base64
import hmac
import http.client
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import test
import standin_http
import twilio_standin
from twilio_standin import TwilioStandIn, segments, signature

SID, TOKEN = "AC" + "0123456789abcdef" * 2, "auth-token-0123456789abcdef0123"
SID2, TOKEN2 = "AC" + "fedcba9876543210" * 2, "auth-token-of-the-other-account"
FROM, FROM2 = "+15005550006", "+15005550007"
TO = "+14155552671"
MG = "MG" + "00112233445566778899aabbccddeeff"
FORM = "application/x-www-form-urlencoded"
PATH = "/2010-04-01/Accounts/%s/Messages.json" % SID
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def standin(**kw):
    s = TwilioStandIn()
    s.add_account(SID, TOKEN, numbers=(FROM, FROM2, "Omniq"), services=(MG,), **kw)
    s.add_account(SID2, TOKEN2, numbers=("+15005550009",))
    return s.start()


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def call(s, method, path, form=None, raw=None, ctype=FORM, auth=(SID, TOKEN), headers=None,
         timeout=5):
    """(status, headers, JSON answer or bytes) of one request; form: a dict or (name, value)
    pairs, form-encoded."""
    data = raw if raw is not None else (
        urllib.parse.urlencode(form).encode() if form is not None else None)
    req = urllib.request.Request(s.url + path, data=data, method=method)
    if ctype and data is not None:
        req.add_header("Content-Type", ctype)
    if auth:
        req.add_header("Authorization", basic(*auth))
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with NO_PROXY.open(req, timeout=timeout) as r:
            status, hdrs, out = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, out = e.code, e.headers, e.read()
    if (hdrs.get("Content-Type") or "").startswith("application/json"):
        out = json.loads(out.decode("utf-8"))
    return status, hdrs, out


def send(s, form, **kw):
    """(status, JSON answer) of a POST to the account's Messages.json."""
    st, _, r = call(s, "POST", kw.pop("path", PATH), form, **kw)
    return st, r


def msg(**kw):
    m = {"To": TO, "From": FROM, "Body": "Hello from omniq"}
    m.update(kw)
    return {k: v for k, v in m.items() if v is not None}


def twilio_error(r, code, status):
    """r is Twilio's JSON error of this code and HTTP status, and nothing else."""
    assert set(r) == {"code", "message", "more_info", "status"}, r
    assert (r["code"], r["status"]) == (code, status), r
    assert r["more_info"] == "https://www.twilio.com/docs/errors/%d" % code, r
    assert isinstance(r["message"], str) and r["message"], r
    return r["message"]


def new_violations(s, before, *needles):
    """The violations since `before`: one per needle, each holding its needle."""
    got = s.violations[before:]
    assert len(got) == len(needles) and all(n in v for n, v in zip(needles, got)), got
    return len(s.violations)


def exchange(s, data):
    return standin_http.exchange(s.port, data)


def expected_signature(token, url, pairs):
    """X-Twilio-Signature recomputed here, as Twilio documents it, apart from the stand-in's
    signature(): the URL, then each name and value, names in order; HMAC-SHA1, Base64."""
    data = url
    for name in sorted({k for k, _ in pairs}):
        for value in sorted(v for k, v in pairs if k == name):
            data += name + value
    return base64.b64encode(hmac.new(token.encode(), data.encode(), "sha1").digest()).decode()


class Receiver:
    """An application's webhook endpoint on 127.0.0.1: records each request (path, headers,
    form pairs, when) and whether its X-Twilio-Signature is the one `token` gives; answers
    `answer` (status, Content-Type, body)."""

    def __init__(self, token, answer=(200, "text/xml", b"<?xml version=\"1.0\"?><Response/>")):
        self.token, self.answer = token, answer
        self.got = []
        self.lock = threading.Lock()
        rec = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                pairs = urllib.parse.parse_qsl(body.decode("ascii"), keep_blank_values=True,
                                               strict_parsing=True)
                url = "http://127.0.0.1:%d%s" % (rec.port, self.path)
                sig = self.headers.get("X-Twilio-Signature")
                with rec.lock:
                    rec.got.append({
                        "path": self.path, "headers": dict(self.headers), "pairs": pairs,
                        "form": dict(pairs), "signature": sig, "at": time.time(),
                        "signed_ok": sig is not None and hmac.compare_digest(
                            sig, expected_signature(rec.token, url, pairs))})
                st, ctype, data = rec.answer
                self.send_response(st)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def wait(self, n, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                if len(self.got) >= n:
                    return list(self.got)
            time.sleep(0.02)
        raise AssertionError("the receiver got %d requests, not %d" % (len(self.got), n))

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@test
def test_twilio_standin_signature_vector(ctx):
    # Twilio's published example (https://www.twilio.com/docs/usage/webhooks/webhooks-security)
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    assert signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8=", \
        signature("12345", url, params)
    # the same as pairs in another order; the test's own computation agrees
    pairs = list(reversed(list(params.items())))
    assert signature("12345", url, pairs) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert expected_signature("12345", url, pairs) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    # each input counts: the token, the URL (its query too), a value, a name
    for other in (signature("12346", url, params),
                  signature("12345", url.replace("foo=1", "foo=2"), params),
                  signature("12345", url, dict(params, Digits="1235")),
                  signature("12345", url, dict(params, digits=params.pop("Digits")))):
        assert other != "RSOYDt4T1cUTdK1PDd93/VVr8B8=", other


@test
def test_twilio_standin_segments(ctx):
    # GSM 03.38: 160 septets in one segment, 153 in each of more
    assert segments("a" * 160) == ("GSM-7", 1)
    assert segments("a" * 161) == ("GSM-7", 2)
    assert segments("a" * 306) == ("GSM-7", 2) and segments("a" * 307) == ("GSM-7", 3)
    # the basic table is GSM (@, £, Greek capitals, ¿, à, LF and CR), ` and ç are not
    assert segments("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà")[0] == "GSM-7"
    for c in "`ç\t•’":
        assert segments("abc" + c) == ("UCS-2", 1), c
    # an extension character is two septets, and its two are not split across segments
    assert segments("€" * 80) == ("GSM-7", 1) and segments("€" * 81) == ("GSM-7", 2)
    assert segments("a" * 158 + "[") == ("GSM-7", 1)
    assert segments("a" * 159 + "]") == ("GSM-7", 2)
    assert segments("a" * 152 + "€" + "a" * 152) == ("GSM-7", 3)   # 306 septets, 3 segments
    # UCS-2: 70 UTF-16 units in one, 67 in each of more
    assert segments("你" * 70) == ("UCS-2", 1)
    assert segments("你" * 71) == ("UCS-2", 2)
    assert segments("你" * 134) == ("UCS-2", 2) and segments("你" * 135) == ("UCS-2", 3)
    # an emoji is a surrogate pair (2 units), never split; nor an emoji with its skin tone
    assert segments("😀" * 35) == ("UCS-2", 1) and segments("😀" * 36) == ("UCS-2", 2)
    assert segments("a" * 66 + "😀" + "a" * 66) == ("UCS-2", 3)     # 134 units, 3 segments
    assert segments("a" * 65 + "👍🏽" + "a") == ("UCS-2", 1)          # 70 units
    assert segments("a" * 64 + "👍🏽" + "a" * 64) == ("UCS-2", 3)     # 132 units, 3 segments
    assert segments("") == ("GSM-7", 1)


@test
def test_twilio_standin_send_accepted(ctx):
    with standin() as s:
        t0 = time.time()
        st, hdrs, r = call(s, "POST", PATH, msg(Body="a" * 161,
                                                StatusCallback="https://example.com/cb?x=1"))
        assert st == 201 and hdrs["Content-Type"].startswith("application/json"), (st, hdrs)
        assert re.match(r"^RQ[0-9a-f]{32}$", hdrs["Twilio-Request-Id"]), hdrs
        assert re.match(r"^SM[0-9a-f]{32}$", r["sid"]), r
        assert (r["account_sid"], r["from"], r["to"], r["body"]) == (SID, FROM, TO, "a" * 161)
        assert (r["status"], r["direction"], r["api_version"]) == (
            "queued", "outbound-api", "2010-04-01"), r
        assert (r["num_segments"], r["num_media"]) == ("2", "0"), r
        assert r["error_code"] is None and r["error_message"] is None and r["price"] is None
        assert r["date_sent"] is None and r["messaging_service_sid"] is None, r
        assert r["uri"] == "/2010-04-01/Accounts/%s/Messages/%s.json" % (SID, r["sid"]), r
        assert r["subresource_uris"]["media"] == r["uri"][:-5] + "/Media.json", r
        created = parsedate_to_datetime(r["date_created"])
        assert r["date_created"].endswith(" +0000") and abs(created.timestamp() - t0) < 5, r
        assert r["date_updated"] == r["date_created"], r
        # a 71-character Chinese text: UCS-2, 2 segments; emoji: UCS-2
        st, r2 = send(s, msg(Body="你" * 71))
        assert st == 201 and r2["num_segments"] == "2", r2
        st, r3 = send(s, msg(Body="Thanks 👍 see you soon 😀", From=FROM2))
        assert st == 201 and r3["num_segments"] == "1" and r3["from"] == FROM2, r3
        st, r4 = send(s, msg(Body="😀" * 36))
        assert st == 201 and r4["num_segments"] == "2", r4
        assert [(m["sid"], m["num_segments"], m["encoding"]) for m in s.sent] == [
            (r["sid"], 2, "GSM-7"), (r2["sid"], 2, "UCS-2"), (r3["sid"], 1, "UCS-2"),
            (r4["sid"], 2, "UCS-2")], s.sent
        assert s.sent[0]["status_callback"] == "https://example.com/cb?x=1", s.sent[0]
        assert (s.sent[0]["from"], s.sent[0]["to"], s.sent[0]["body"]) == (FROM, TO, "a" * 161)
        assert s.sent[1]["status_callback"] is None
        # 1600 characters are accepted (800 emoji are 1600 UTF-16 units)
        assert send(s, msg(Body="x" * 1600))[0] == 201
        assert send(s, msg(Body="😀" * 800))[0] == 201
        # a form with charset=utf-8, UTF-8 in %XX; a media message with no Body
        st, r5 = send(s, msg(Body="Grüße, ¿qué tal? 你好"),
                      ctype="application/x-www-form-urlencoded; charset=UTF-8")
        assert st == 201 and r5["body"] == "Grüße, ¿qué tal? 你好", r5
        st, r6 = send(s, [("To", TO), ("From", FROM), ("MediaUrl", "https://example.com/a.jpg"),
                          ("MediaUrl", "https://example.com/b.png")])
        assert st == 201 and r6["sid"].startswith("MM") and r6["num_media"] == "2", r6
        assert s.sent[-1]["media_urls"] == ["https://example.com/a.jpg",
                                            "https://example.com/b.png"], s.sent[-1]
        # an Alphanumeric Sender ID; a Messaging Service: "accepted", num_segments 0, no From
        assert send(s, msg(From="Omniq"))[1]["from"] == "Omniq"
        st, r7 = send(s, msg(From=None, MessagingServiceSid=MG))
        assert st == 201 and (r7["status"], r7["num_segments"], r7["from"],
                              r7["messaging_service_sid"]) == ("accepted", "0", None, MG), r7
        # the message can be fetched, by its own account only
        st, _, f = call(s, "GET", "/2010-04-01/Accounts/%s/Messages/%s.json" % (SID, r["sid"]))
        assert st == 200 and f == r, (st, f)
        st, _, f = call(s, "GET", "/2010-04-01/Accounts/%s/Messages/%s.json" % (SID2, r["sid"]),
                        auth=(SID2, TOKEN2))
        twilio_error(f, 20404, 404)
        assert s.violations == [] and s.errors == [], s.violations


@test
def test_twilio_standin_refusals(ctx):
    with standin() as s:
        n = 0
        # authentication: none at all, a malformed header - the client's; a wrong token - not
        st, hdrs, r = call(s, "POST", PATH, msg(), auth=None)
        assert st == 401 and hdrs["WWW-Authenticate"] == 'Basic realm="Twilio API"', hdrs
        assert twilio_error(r, 20003, 401) == "Authenticate"
        n = new_violations(s, n, "no Authorization header")
        st, _, r = call(s, "POST", PATH, msg(), auth=None,
                        headers={"Authorization": "Bearer " + TOKEN})
        twilio_error(r, 20003, 401)
        n = new_violations(s, n, "scheme 'Bearer', not Basic")
        st, _, r = call(s, "POST", PATH, msg(), auth=None,
                        headers={"Authorization": "Basic " + base64.b64encode(
                            SID.encode()).decode()})
        twilio_error(r, 20003, 401)
        n = new_violations(s, n, "no ':' between AccountSid and AuthToken")
        st, _, r = call(s, "POST", PATH, msg(), auth=(SID, TOKEN + "x"))
        twilio_error(r, 20003, 401)
        st, _, r = call(s, "POST", PATH, msg(), auth=("AC" + "0" * 32, TOKEN))
        twilio_error(r, 20003, 401)
        assert len(s.violations) == n
        # another account's credentials for this account's path
        st, _, r = call(s, "POST", PATH, msg(), auth=(SID2, TOKEN2))
        twilio_error(r, 20003, 401)
        n = new_violations(s, n, "the path names account %r, the credentials are %r's"
                           % (SID, SID2))
        # To
        st, r = send(s, msg(To=None))
        assert twilio_error(r, 21604, 400) == "A 'To' phone number is required.", r
        n = new_violations(s, n, "no To")
        for bad in ("4155552671", "+1 415 555 2671", "+0123", "whatsapp:+14155552671"):
            st, r = send(s, msg(To=bad))
            assert twilio_error(r, 21211, 400) == (
                "The 'To' number %s is not a valid phone number." % bad), r
            n = new_violations(s, n, "To %r is not E.164" % bad)
        st, r = send(s, msg(To=FROM))
        twilio_error(r, 21211, 400)
        n = new_violations(s, n, "a number does not message itself")
        # From: none, malformed - the client's; not the account's - its set-up
        st, r = send(s, msg(From=None))
        assert twilio_error(r, 21603, 400) == "A 'From' phone number is required.", r
        n = new_violations(s, n, "neither From nor MessagingServiceSid")
        st, r = send(s, msg(From="(500) 555-0006"))
        twilio_error(r, 21212, 400)
        n = new_violations(s, n, "From '(500) 555-0006' is no E.164 number")
        st, r = send(s, msg(From="+15005550009"))      # the other account's number
        twilio_error(r, 21606, 400)
        assert len(s.violations) == n
        # Body: none or empty (without media), over 1600 characters
        st, r = send(s, msg(Body=None))
        assert twilio_error(r, 21602, 400) == "Message body is required.", r
        n = new_violations(s, n, "no Body")
        st, r = send(s, msg(Body=""))
        twilio_error(r, 21602, 400)
        n = new_violations(s, n, "Body is empty")
        st, r = send(s, msg(Body="x" * 1601))
        assert twilio_error(r, 21617, 400) == (
            "The concatenated message body exceeds the 1600 character limit."), r
        n = new_violations(s, n, "Body is 1601 characters")
        st, r = send(s, msg(Body="😀" * 801))
        twilio_error(r, 21617, 400)
        n = new_violations(s, n, "Body is 1602 characters")
        # StatusCallback and MediaUrl: absolute http(s) URLs with a proper host name
        for bad in ("/twilio/status", "ftp://example.com/cb", "https://my_host.example.com/cb",
                    "example.com/cb", "https://example.com/c b"):
            st, r = send(s, msg(StatusCallback=bad))
            assert twilio_error(r, 21609, 400) == "Invalid 'StatusCallback'", r
            n = new_violations(s, n, "StatusCallback %r" % bad)
        st, r = send(s, msg(MediaUrl="www.example.com/a.jpg"))
        twilio_error(r, 21620, 400)
        n = new_violations(s, n, "MediaUrl 'www.example.com/a.jpg'")
        # Messaging Service: malformed (the client's), not the account's (its set-up)
        st, r = send(s, msg(From=None, MessagingServiceSid="MG123"))
        twilio_error(r, 21705, 400)
        n = new_violations(s, n, "MessagingServiceSid 'MG123' is not MG and 32 hex digits")
        st, r = send(s, msg(From=None, MessagingServiceSid="MG" + "ab" * 16))
        twilio_error(r, 21701, 400)
        # a recipient who texted STOP
        s.opt_out(SID, TO)
        st, r = send(s, msg())
        assert twilio_error(r, 21610, 400) == "Attempt to send to unsubscribed recipient", r
        s.opt_out(SID, TO, out=False)
        assert send(s, msg())[0] == 201
        assert len(s.violations) == n and len(s.sent) == 1
        # accepted, but the client's mistakes all the same: an unknown parameter (Twilio
        # ignores it), one Twilio has that the stand-in does not model, one given twice
        st, r = send(s, msg(body="lower-case name"))
        assert st == 201 and r["body"] == "Hello from omniq", r
        n = new_violations(s, n, "unknown parameter 'body'")
        assert send(s, msg(ValidityPeriod="60"))[0] == 201
        n = new_violations(s, n, "parameter ValidityPeriod is Twilio's, but not modelled")
        assert send(s, list(msg().items()) + [("Body", "again")])[0] == 201
        n = new_violations(s, n, "parameter Body given twice")
        # several mistakes: each recorded, the first of Twilio's checks answered
        st, r = send(s, {"To": "123", "Body": ""})
        twilio_error(r, 21211, 400)
        n = new_violations(s, n, "To '123'", "neither From nor", "Body is empty")
        assert len(s.sent) == 4 and s.errors == []


@test
def test_twilio_standin_http_level_violations(ctx):
    with standin() as s:
        n = 0
        # JSON, as a client of a JSON API would send it: Twilio reads no parameter from it
        st, r = send(s, None, raw=json.dumps(msg()).encode(), ctype="application/json")
        twilio_error(r, 21604, 400)
        n = new_violations(s, n, "Content-Type 'application/json', not "
                                 "application/x-www-form-urlencoded", "no To", "neither From",
                           "no Body")
        # JSON with a form's Content-Type: no field of it is a form field
        st, r = send(s, None, raw=json.dumps(msg()).encode())
        twilio_error(r, 21604, 400)
        assert "has no '=' (not form-encoded)" in s.violations[n], s.violations[n:]
        assert any("unknown parameter '{" in v for v in s.violations[n:]), s.violations[n:]
        n = len(s.violations)
        # no Content-Type at all; an empty body
        # (raw: urllib would add a form's Content-Type by itself)
        body = urllib.parse.urlencode(msg()).encode()
        answer = exchange(s, b"POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                          b"Content-Length: %d\r\n\r\n%s"
                          % (PATH.encode(), basic(SID, TOKEN).encode(), len(body), body))
        assert answer.startswith(b"HTTP/1.1 400"), answer
        twilio_error(json.loads(answer.partition(b"\r\n\r\n")[2]), 21604, 400)
        n = new_violations(s, n, "Content-Type ''", "no To", "neither From", "no Body")
        st, r = send(s, None, raw=b"")
        twilio_error(r, 21604, 400)
        n = new_violations(s, n, "empty body", "no To", "neither From", "no Body")
        # raw UTF-8 (not %XX-escaped), Latin-1 escaped, a stray %: read on, each a violation
        st, r = send(s, None, raw="To=%2B14155552671&From=%2B15005550006&Body=héllo".encode())
        assert st == 201 and r["body"] == "héllo", r
        n = new_violations(s, n, "bytes outside ASCII")
        st, r = send(s, None, raw=b"To=%2B14155552671&From=%2B15005550006&Body=caf%E9")
        assert st == 201 and r["body"] == "caf\ufffd", r
        n = new_violations(s, n, "not UTF-8 once unescaped")
        st, r = send(s, None, raw=b"To=%2B14155552671&From=%2B15005550006&Body=100%")
        assert st == 201 and r["body"] == "100%", r
        n = new_violations(s, n, "a % that is no %XX escape")
        # an unescaped + is a space: the To is no longer E.164
        st, r = send(s, None, raw=b"To=+14155552671&From=%2B15005550006&Body=hi")
        twilio_error(r, 21211, 400)
        n = new_violations(s, n, "To ' 14155552671' is not E.164")
        # parameters in the query string of a POST are not Twilio's way
        st, r = send(s, msg(), path=PATH + "?Body=x")
        assert st == 201, r
        n = new_violations(s, n, "a query string on the POST")
        # GET on Messages.json lists the messages: a client that meant to send did not
        st, _, r = call(s, "GET", PATH)
        assert st == 200 and [m["body"] for m in r["messages"]] == [
            "Hello from omniq", "100%", "caf\ufffd", "héllo"] \
            and r["page_size"] == 50, r
        n = new_violations(s, n, "GET lists messages; a message is sent with a POST")
        # other methods: 405
        for method in ("PUT", "DELETE", "PATCH"):
            st, _, r = call(s, method, PATH, msg())
            assert twilio_error(r, 20004, 405) == "Method not allowed", r
            n = new_violations(s, n, "%s: Twilio takes GET and POST here" % method)
        # paths Twilio does not have (XML's, a typo) or the stand-in does not serve
        for path in (PATH[:-5], PATH.replace("Messages", "SMS/Messages"),
                     "/2010-04-01/Accounts/%s/Calls.json" % SID):
            st, r = send(s, msg(), path=path)
            assert twilio_error(r, 20404, 404) == (
                "The requested resource %s was not found" % path), r
            n = new_violations(s, n, "no such resource")
        # garbage on the wire: refused, recorded, and the server serves on
        answer = exchange(s, b"\x16\x03\x01 \x00\x01 garbage HTTP/1.1\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400"), answer
        n = new_violations(s, n, "bad HTTP request: code 400")
        answer = exchange(s, b"POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"zz\r\n" % PATH.encode())
        assert answer.startswith(b"HTTP/1.1 400"), answer
        n = new_violations(s, n, "chunk size")
        # a chunked body (libcurl's for a body of unknown length) is read whole
        body = urllib.parse.urlencode(msg(Body="chunked")).encode()
        answer = exchange(s, b"POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: "
                          b"%s\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n"
                          % (PATH.encode(), basic(SID, TOKEN).encode(), FORM.encode(),
                             len(body), body))
        assert answer.startswith(b"HTTP/1.1 201"), answer
        assert len(s.violations) == n and s.sent[-1]["body"] == "chunked"
        # a body over 1 MiB
        st, _, page = call(s, "POST", PATH, raw=b"Body=" + b"x" * (1 << 20))
        assert st == 413, st
        n = new_violations(s, n, "body over 1048576 bytes")
        # (a request that cannot be framed is no request of `requests`)
        assert [r["status"] for r in s.requests[-3:]] == [404, 201, 413], s.requests[-3:]
        assert s.errors == []


@test
def test_twilio_standin_fail_next(ctx):
    with standin() as s:
        # 429 with Retry-After, then Twilio's own 500 and 503: no message made
        s.fail_next("rate_limit", retry_after=3)
        s.fail_next("http", n=2, status=500)
        s.fail_next("http", status=503)
        st, hdrs, r = call(s, "POST", PATH, msg(Body="a"))
        assert st == 429 and hdrs["Retry-After"] == "3", (st, dict(hdrs))
        assert twilio_error(r, 20429, 429) == "Too Many Requests"
        for _ in range(2):
            assert twilio_error(send(s, msg(Body="b"))[1], 20500, 500) == "Internal Server Error"
        assert twilio_error(send(s, msg(Body="c"))[1], 20503, 503) == "Service Unavailable"
        assert send(s, msg(Body="d"))[0] == 201
        assert [m["body"] for m in s.sent] == ["d"], s.sent
        # a proxy's 502; Twilio's error of a code (its usual text, or one given)
        s.fail_next("http", status=502)
        st, hdrs, page = call(s, "POST", PATH, msg())
        assert st == 502 and hdrs["Content-Type"] == "text/html" and b"502 Bad Gateway" in page
        s.fail_next("error", code=21610)
        s.fail_next("error", code=30007, message="Message filtered", status=400)
        assert twilio_error(send(s, msg())[1], 21610, 400) == (
            "Attempt to send to unsubscribed recipient")
        assert twilio_error(send(s, msg())[1], 30007, 400) == "Message filtered"
        assert s.requests[-1]["code"] == 30007 and s.requests[-1]["status"] == 400
        # the client's mistakes are still recorded under an injected failure
        s.fail_next("rate_limit")
        assert send(s, msg(Body=None))[0] == 429
        new_violations(s, 0, "no Body")
        # no answer: the connection closed at once, or held past the client's timeout
        s.fail_next("close")
        try:
            send(s, msg(Body="e"))
            raise AssertionError("answered a request it was told to drop")
        except (http.client.RemoteDisconnected, ConnectionError):
            pass
        except urllib.error.URLError as e:
            assert isinstance(e.reason, (ConnectionError, http.client.RemoteDisconnected)), e
        s.fail_next("timeout", seconds=2)
        t0 = time.time()
        try:
            send(s, msg(Body="f"), timeout=1)
            raise AssertionError("answered a request it was told to hold")
        except (socket.timeout, TimeoutError):
            pass
        except urllib.error.URLError as e:
            assert isinstance(e.reason, (socket.timeout, TimeoutError)), e
        assert 0.9 < time.time() - t0 < 1.9, time.time() - t0
        assert s.requests[-1]["status"] is None
        assert [m["body"] for m in s.sent] == ["d"], s.sent
        # accepted=True: the message is made though the answer is lost (a retry duplicates it)
        s.fail_next("close", accepted=True)
        try:
            send(s, msg(Body="g"))
            raise AssertionError("answered a request it was told to drop")
        except (http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError):
            pass
        assert send(s, msg(Body="g"))[0] == 201
        assert [m["body"] for m in s.sent] == ["d", "g", "g"], s.sent
        # a request the stand-in refuses is refused whatever accepted says
        s.fail_next("http", status=500, accepted=True)
        assert twilio_error(send(s, msg(To="123"))[1], 20500, 500)
        assert len(s.sent) == 3
        for bad in (lambda: s.fail_next("nope"), lambda: s.fail_next("http", status=200),
                    lambda: s.fail_next("rate_limit", accepted=True)):
            try:
                bad()
                raise AssertionError("fail_next took a bad argument")
            except ValueError:
                pass
        assert s.errors == []


@test
def test_twilio_standin_report_signed(ctx):
    rx = Receiver(TOKEN)
    try:
        with standin() as s:
            cb = rx.url + "/twilio/status?tenant=t1&x=a%20b"
            st, r = send(s, msg(StatusCallback=cb))
            assert st == 201, r
            assert s.report(r["sid"], "sent") == (200, b"<?xml version=\"1.0\"?><Response/>")
            assert s.report(r["sid"], "undelivered", error_code=30003)[0] == 200
            got = rx.wait(2)
            for g in got:
                assert g["signed_ok"], g
                assert g["path"] == "/twilio/status?tenant=t1&x=a%20b", g
                assert g["headers"]["Content-Type"] == FORM, g["headers"]
            base = {"MessageSid": r["sid"], "SmsSid": r["sid"], "AccountSid": SID, "From": FROM,
                    "To": TO, "ApiVersion": "2010-04-01"}
            assert got[0]["form"] == dict(base, MessageStatus="sent", SmsStatus="sent"), got[0]
            assert got[1]["form"] == dict(base, MessageStatus="undelivered",
                                          SmsStatus="undelivered", ErrorCode="30003"), got[1]
            # the message's status follows; s.reports has each callback and its answer
            f = s.message(r["sid"])
            assert (f["status"], f["error_code"]) == ("undelivered", 30003), f
            assert [(x["status"], x["answer_status"], x["auto"]) for x in s.reports] == [
                ("sent", 200, False), ("undelivered", 200, False)], s.reports
            assert s.reports[0]["signature"] == got[0]["signature"]
            # the signature is over the URL with its query: without it, it does not verify
            assert expected_signature(TOKEN, rx.url + "/twilio/status", got[0]["pairs"]) \
                != got[0]["signature"]
            # the application's answer is returned as it is, a 500 too
            rx.answer = (500, "text/plain", b"boom")
            assert s.report(r["sid"], "delivered") == (500, b"boom")
            # through a Messaging Service: MessagingServiceSid too
            rx.answer = (204, "text/plain", b"")
            st, r2 = send(s, msg(From=None, MessagingServiceSid=MG, StatusCallback=cb))
            assert s.report(r2["sid"], "sent") == (204, b"")
            assert rx.wait(4)[3]["form"]["MessagingServiceSid"] == MG
            assert rx.got[3]["signed_ok"] and "From" in rx.got[3]["form"], rx.got[3]
            # what cannot be reported
            st, r3 = send(s, msg())
            for bad in (lambda: s.report(r3["sid"], "sent"),        # no StatusCallback
                        lambda: s.report(r["sid"], "arrived"),       # no such status
                        lambda: s.report("SM" + "0" * 32, "sent")):  # no such message
                try:
                    bad()
                    raise AssertionError("report took a bad argument")
                except ValueError:
                    pass
            # an application that does not answer
            dead = socket.socket()
            dead.bind(("127.0.0.1", 0))
            port = dead.getsockname()[1]
            dead.close()
            st, r4 = send(s, msg(StatusCallback="http://127.0.0.1:%d/cb" % port))
            st, why = s.report(r4["sid"], "sent")
            assert st is None and "refused" in why.lower(), why
            assert s.violations == [] and s.errors == []
    finally:
        rx.close()


@test
def test_twilio_standin_inbound_signed(ctx):
    reply = b'<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hi</Message></Response>'
    rx = Receiver(TOKEN, answer=(200, "text/xml", reply))
    try:
        with standin() as s:
            url = rx.url + "/twilio/sms"
            assert s.inbound(url, SID, TO, FROM, "Hello, é & 你好 = 100%") == (
                200, "text/xml", reply)
            g = rx.wait(1)[0]
            assert g["signed_ok"], g
            f = g["form"]
            assert set(f) == {"ToCountry", "ToState", "SmsMessageSid", "NumMedia", "ToCity",
                              "FromZip", "SmsSid", "FromState", "SmsStatus", "FromCity", "Body",
                              "FromCountry", "To", "ToZip", "NumSegments", "MessageSid",
                              "AccountSid", "From", "ApiVersion"}, f
            assert (f["From"], f["To"], f["Body"], f["AccountSid"]) == (
                TO, FROM, "Hello, é & 你好 = 100%", SID), f
            assert re.match(r"^SM[0-9a-f]{32}$", f["MessageSid"]), f
            assert f["SmsSid"] == f["SmsMessageSid"] == f["MessageSid"], f
            assert (f["NumMedia"], f["NumSegments"], f["SmsStatus"], f["ApiVersion"]) == (
                "0", "1", "received", "2010-04-01"), f
            assert (f["ToCountry"], f["FromCountry"], f["ToState"]) == ("US", "US", ""), f
            # MMS: MediaUrlN and MediaContentTypeN; the sid given
            s.inbound(url, SID, "+8613800138000", FROM, "", message_sid="MM" + "1" * 32,
                      media=[("https://api.twilio.com/m/ME1", "image/jpeg"),
                             ("https://api.twilio.com/m/ME2", "audio/amr")])
            f = rx.wait(2)[1]["form"]
            assert rx.got[1]["signed_ok"]
            assert (f["NumMedia"], f["MediaUrl0"], f["MediaContentType0"], f["MediaUrl1"],
                    f["MediaContentType1"], f["MessageSid"], f["FromCountry"], f["Body"]) == (
                "2", "https://api.twilio.com/m/ME1", "image/jpeg", "https://api.twilio.com/m/ME2",
                "audio/amr", "MM" + "1" * 32, "CN", ""), f
            # a parameter Twilio adds unannounced is signed with the rest
            s.inbound(url, SID, TO, FROM, "x", extra={"AddOns": '{"status":"successful"}'})
            assert rx.wait(3)[2]["signed_ok"] and "AddOns" in rx.got[2]["form"]
            # forgeries: no signature, another token's
            s.inbound(url, SID, TO, FROM, "forged", sign=False)
            s.inbound(url, SID, TO, FROM, "forged", token=TOKEN2)
            got = rx.wait(5)
            assert got[3]["signature"] is None and not got[3]["signed_ok"], got[3]
            assert got[4]["signature"] and not got[4]["signed_ok"], got[4]
            # the application's refusal is returned as it is
            rx.answer = (403, "text/plain", b"bad signature")
            assert s.inbound(url, SID, TO, FROM, "x", token=TOKEN2) == (
                403, "text/plain", b"bad signature")
            try:
                s.inbound(url, SID, TO, "+15005550009", "not this account's number")
                raise AssertionError("inbound to a number the account does not have")
            except ValueError:
                pass
            assert s.violations == [] and s.errors == []
    finally:
        rx.close()


@test
def test_twilio_standin_auto_report(ctx):
    rx = Receiver(TOKEN)
    try:
        with standin(auto_report=("sent", "delivered"), report_delay=0.05) as s:
            cb = rx.url + "/status"
            st, r = send(s, msg(StatusCallback=cb))
            assert st == 201 and r["status"] == "queued", r
            st, r2 = send(s, msg(Body="second", StatusCallback=cb + "?n=2"))
            got = rx.wait(4)
            reports = s.wait_reports(4)
            # each message's states in order, signed; recorded with the application's answers
            for sid, path in ((r["sid"], "/status"), (r2["sid"], "/status?n=2")):
                mine = [g for g in got if g["form"]["MessageSid"] == sid]
                assert [g["form"]["MessageStatus"] for g in mine] == ["sent", "delivered"], mine
                assert all(g["signed_ok"] and g["path"] == path for g in mine), mine
                assert [(x["status"], x["answer_status"], x["auto"]) for x in reports
                        if x["sid"] == sid] == [("sent", 200, True), ("delivered", 200, True)]
                assert s.message(sid)["status"] == "delivered"
                assert s.message(sid)["date_sent"] is not None
            # no StatusCallback: nothing reported
            st, r3 = send(s, msg(Body="third"))
            time.sleep(0.3)
            assert len(rx.got) == 4 and len(s.reports) == 4, s.reports
            assert s.message(r3["sid"])["status"] == "queued"
            # the answer lost but the message made: its states are reported all the same
            s.fail_next("close", accepted=True)
            try:
                send(s, msg(Body="fourth", StatusCallback=cb))
                raise AssertionError("answered a request it was told to drop")
            except (http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError):
                pass
            got = rx.wait(6)
            assert [g["form"]["MessageStatus"] for g in got[4:]] == ["sent", "delivered"]
            assert got[4]["form"]["MessageSid"] == s.sent[-1]["sid"]
            assert s.violations == [] and s.errors == []
    finally:
        rx.close()


@test
def test_twilio_standin_accounts_are_apart(ctx):
    with standin() as s:
        path2 = "/2010-04-01/Accounts/%s/Messages.json" % SID2
        st, r = send(s, msg(From="+15005550009"), path=path2, auth=(SID2, TOKEN2))
        assert st == 201 and r["account_sid"] == SID2, r
        # one account's numbers and services are not the other's
        st, r = send(s, msg(From=FROM), path=path2, auth=(SID2, TOKEN2))
        twilio_error(r, 21606, 400)
        st, r = send(s, msg(From=None, MessagingServiceSid=MG), path=path2, auth=(SID2, TOKEN2))
        twilio_error(r, 21701, 400)
        # the list is of the account's own messages
        assert send(s, msg())[0] == 201
        st, _, lst = call(s, "GET", path2, auth=(SID2, TOKEN2))
        assert [m["account_sid"] for m in lst["messages"]] == [SID2], lst
        new_violations(s, 0, "GET lists messages")
        assert [m["account_sid"] for m in s.sent] == [SID2, SID]
        for bad in (lambda: s.add_account("ACx", "t", numbers=("5005550006",)),
                    lambda: s.add_account("ACx", "t", auto_report=("arrived",))):
            try:
                bad()
                raise AssertionError("add_account took a bad argument")
            except ValueError:
                pass
        assert twilio_standin.is_sender("Omniq") and twilio_standin.is_sender("89045")
        assert not twilio_standin.is_sender("Omniq Contact Centre")   # over 11 characters
        assert s.errors == []
