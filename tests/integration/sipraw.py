"""A caller written out by hand over UDP: the INVITE with the SDP a test chooses, every
response kept as it came (status, headers, body), CANCEL, ACK and BYE as RFC 3261 builds
them. For tests that read what sipp's scenarios cannot check easily: a 183's SDP answer, a
Warning header, the to-tag of an early dialog."""
import random
import re
import socket
import time


class Message:
    """A SIP message as it came: its first line (parsed by the subclass), headers, body."""

    def __init__(self, raw):
        text = raw.decode("utf-8", errors="replace")
        head, _, self.body = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.first(lines[0])
        self.headers = []
        for l in lines[1:]:
            k, _, v = l.partition(":")
            self.headers.append((k.strip().lower(), v.strip()))

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k == name.lower()]


class Response(Message):
    def first(self, line):
        m = re.match(r"SIP/2\.0 (\d{3}) (.*)", line)
        assert m, "not a SIP response: %r" % line
        self.code, self.reason = int(m.group(1)), m.group(2)

    def __repr__(self):
        return "<%d %s>" % (self.code, self.reason)


class Request(Message):
    """A request to the caller (omniq's INVITE, BYE): method, URI, headers, body."""

    def first(self, line):
        m = re.match(r"([A-Z]+) (\S+) SIP/2\.0$", line)
        assert m, "not a SIP request: %r" % line
        self.method, self.uri = m.group(1), m.group(2)

    def __repr__(self):
        return "<%s %s>" % (self.method, self.uri)


class Caller:
    """One call to sip:<queue>@127.0.0.1:<port> from user (a phone number)."""

    def __init__(self, kam_port, queue="sales", user="+8613800138000"):
        self.kam = ("127.0.0.1", kam_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.queue, self.user = queue, user
        self.call_id = "%x@raw.test" % random.getrandbits(64)
        self.tag = "%x" % random.getrandbits(32)
        self.branch = "z9hG4bK%x" % random.getrandbits(48)
        self.responses = []
        self.requests = []       # requests to us (omniq's INVITE, BYE), as they came
        self.to_hdr = None       # the To of the final response (its tag: the dialog's)
        self.record_route = []

    def _request(self, method, body="", cseq=1, branch=None, to=None, uri=None, extra=(),
                 ctype="application/sdp"):
        uri = uri or "sip:%s@127.0.0.1:%d" % (self.queue, self.kam[1])
        lines = ["%s %s SIP/2.0" % (method, uri),
                 "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport" % (self.port, branch or self.branch),
                 "From: <sip:%s@127.0.0.1>;tag=%s" % (self.user, self.tag),
                 "To: %s" % (to or "<sip:%s@127.0.0.1:%d>" % (self.queue, self.kam[1])),
                 "Call-ID: " + self.call_id, "CSeq: %d %s" % (cseq, method),
                 "Contact: <sip:%s@127.0.0.1:%d>" % (self.user, self.port), "Max-Forwards: 70"]
        lines += list(extra)
        if body:
            lines.append("Content-Type: " + ctype)
        lines.append("Content-Length: %d" % len(body.encode()))
        self.sock.sendto(("\r\n".join(lines) + "\r\n\r\n" + body).encode(), self.kam)

    def invite(self, sdp, uri=None):
        """uri: the Request-URI (a Refer-To's), else sip:<queue>@kamailio."""
        self.sdp = sdp
        self._request("INVITE", sdp, uri=uri)

    def cancel(self):
        self._request("CANCEL")

    def ack(self, final):
        """ACK of a final response: hop by hop (same branch) for an error, end to end
        (new branch, along the Record-Route) for a 2xx."""
        to = final.header("to")
        if final.code >= 300:
            self._request("ACK", to=to)
        else:
            self._request("ACK", branch="z9hG4bK%x" % random.getrandbits(48), to=to,
                          uri=self._contact(final), extra=self._routes(final))

    def info(self, early, body, ctype="application/dtmf-relay", cseq=2):
        """An INFO (a key, by default) in the early dialog of response early (a 183): to its
        Contact, with its To (the dialog's tag), along its Record-Route."""
        self._request("INFO", body, cseq=cseq, branch="z9hG4bK%x" % random.getrandbits(48),
                      to=early.header("to"), uri=self._contact(early), extra=self._routes(early),
                      ctype=ctype)

    def bye(self, final):
        self._request("BYE", cseq=2, branch="z9hG4bK%x" % random.getrandbits(48),
                      to=final.header("to"), uri=self._contact(final), extra=self._routes(final))

    @staticmethod
    def _contact(r):
        m = re.search(r"<([^>]+)>", r.header("contact") or "")
        return m.group(1) if m else r.header("contact")

    @staticmethod
    def _routes(r):
        rr = []
        for v in r.all("record-route"):
            rr += [x.strip() for x in v.split(",")]
        return ["Route: " + ", ".join(reversed(rr))] if rr else []

    def read(self, timeout=5.0):
        """The next response (CANCEL's and BYE's included), or None."""
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(65535)
        except socket.timeout:
            return None
        if not data.startswith(b"SIP/2.0 "):
            self.requests.append(Request(data))   # wait_request() finds it
            return self.read(timeout)
        r = Response(data)
        self.responses.append(r)
        return r

    def wait(self, pred, timeout=10.0, what="a response"):
        """Responses read until one satisfies pred (its CSeq method checked by pred)."""
        t0 = time.time()
        while time.time() - t0 < timeout:
            r = self.read(max(0.1, timeout - (time.time() - t0)))
            if r is not None and pred(r):
                return r
        raise AssertionError("no %s within %.0f s; got %r" % (what, timeout, self.responses))

    def wait_code(self, code, method="INVITE", timeout=10.0):
        return self.wait(lambda r: r.code == code and (r.header("cseq") or "").endswith(method),
                         timeout, "%d to the %s" % (code, method))

    def wait_final(self, timeout=10.0):
        return self.wait(lambda r: r.code >= 200 and (r.header("cseq") or "").endswith("INVITE"),
                         timeout, "final response to the INVITE")

    def wait_request(self, method, timeout=10.0):
        """The first request of method to us not taken yet (read until it comes)."""
        t0 = time.time()
        while True:
            for i, q in enumerate(self.requests):
                if q.method == method:
                    return self.requests.pop(i)
            left = timeout - (time.time() - t0)
            if left <= 0:
                raise AssertionError("no %s to the caller within %.0f s; requests %r" % (
                    method, timeout, self.requests))
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            if data.startswith(b"SIP/2.0 "):
                self.responses.append(Response(data))
            else:
                self.requests.append(Request(data))

    def respond(self, req, code, reason, sdp=""):
        """A response to req, as a UA in the call answers: its Via, From, To, Call-ID and CSeq,
        our Contact, an SDP body when given; to where its top Via says (rport)."""
        lines = ["SIP/2.0 %d %s" % (code, reason)]
        lines += ["Via: " + v for v in req.all("via")]
        lines += ["From: " + req.header("from"), "To: " + req.header("to"),
                  "Call-ID: " + req.header("call-id"), "CSeq: " + req.header("cseq"),
                  "Contact: <sip:%s@127.0.0.1:%d>" % (self.user, self.port)]
        if sdp:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(sdp.encode()))
        via = req.all("via")[0]
        m = re.search(r"SIP/2\.0/UDP ([^;:\s]+):(\d+)", via)
        rport = re.search(r";rport=(\d+)", via)
        dst = (m.group(1), int(rport.group(1)) if rport else int(m.group(2)))
        self.sock.sendto(("\r\n".join(lines) + "\r\n\r\n" + sdp).encode(), dst)

    def close(self):
        self.sock.close()


def offer(port, pt=(0, 101), savp=False, crypto=(), extra=(), addr="127.0.0.1"):
    """An SDP offer of an audio stream on port: payload types pt (0 PCMU, 8 PCMA, 101
    telephone-event), RTP/SAVP with the a=crypto lines given."""
    names = {0: "PCMU/8000", 8: "PCMA/8000", 9: "G722/8000", 101: "telephone-event/8000"}
    lines = ["v=0", "o=caller 1 1 IN IP4 %s" % addr, "s=-", "c=IN IP4 %s" % addr, "t=0 0",
             "m=audio %d %s %s" % (port, "RTP/SAVP" if savp else "RTP/AVP",
                                    " ".join(str(p) for p in pt))]
    lines += ["a=rtpmap:%d %s" % (p, names[p]) for p in pt if p in names]
    if 101 in pt:
        lines.append("a=fmtp:101 0-15")
    lines += ["a=crypto:" + c for c in crypto]
    lines += list(extra) + ["a=sendrecv", "a=ptime:20"]
    return "\r\n".join(lines) + "\r\n"


def answer(sdp):
    """What a test needs of an SDP answer: port, payload type, crypto (tag, suite, key)."""
    m = re.search(r"^m=audio (\d+) (\S+) (\d+)", sdp, re.M)
    assert m, "no audio line in %r" % sdp
    c = re.search(r"^a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/=]+)", sdp, re.M)
    addr = re.search(r"^c=IN IP[46] (\S+)", sdp, re.M)
    return {"port": int(m.group(1)), "proto": m.group(2), "pt": int(m.group(3)),
            "addr": addr.group(1) if addr else None,
            "crypto": (int(c.group(1)), c.group(2), c.group(3)) if c else None}
