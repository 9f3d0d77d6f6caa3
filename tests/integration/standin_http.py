"""What every local stand-in of a provider's HTTP API (wechat_standin.py, twilio_standin.py)
reads a request's body with: Content-Length or chunked, a limit, and a refused body read away
first so that the client gets the refusal instead of a reset connection.

Stdlib only."""

import socket

MAX_BODY = 1 << 20      # a body over 1 MiB is refused
DRAIN_MAX = 64 << 20    # and read away first, up to this much


class Garbage(Exception):
    """A request whose body cannot even be framed: the stand-in answers 400."""


class BodyReader:
    """A mixin for a BaseHTTPRequestHandler of a stand-in (the class sets `standin`, the
    stand-in with its `lock` and `violations`): self._body(), and http.server's own log
    lines kept quiet, its refusals (a bad request line, headers too long) recorded as the
    client's violations."""

    standin = None

    def log_message(self, *a):
        pass

    def log_error(self, fmt, *a):
        if "timed out" not in fmt % a:
            with self.standin.lock:
                self.standin.violations.append("bad HTTP request: " + fmt % a)

    def _body(self):
        """The request's body (b"" if none), or None when over MAX_BODY."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._chunked()
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit():
            raise Garbage("Content-Length %r" % length)
        n = int(length)
        if n > MAX_BODY:
            self._drain(n)
            return None
        return self.rfile.read(n)

    def _drain(self, n):
        """Read a refused body away (up to DRAIN_MAX), so that the client reads the
        refusal: closing on unread data would reset the connection under it."""
        n = min(n, DRAIN_MAX)
        while n > 0:
            got = self.rfile.read(min(n, 65536))
            if not got:
                break
            n -= len(got)

    def _chunked(self):
        data = b""
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise Garbage("chunk size %r" % line[:40]) from None
            if size == 0:
                while self.rfile.readline(1024).strip():   # trailers
                    pass
                return data
            if len(data) + size > MAX_BODY:
                self._drain(DRAIN_MAX)   # to the client's end of it, or the limit
                return None
            data += self.rfile.read(size)
            self.rfile.readline(8)


def exchange(port, data):
    """What a stand-in on port answers to raw bytes on a connection of their own (its
    self-tests' framing cases): the status line, the headers and as much of the body as they
    announce (all, on a close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(data)
        got = b""
        while True:
            head, sep, body = got.partition(b"\r\n\r\n")
            length = [int(l.split(b":")[1]) for l in head.split(b"\r\n")
                      if l.lower().startswith(b"content-length:")]
            if sep and length and len(body) >= length[0]:
                return got
            more = c.recv(65536)
            if not more:
                return got
            got += more
