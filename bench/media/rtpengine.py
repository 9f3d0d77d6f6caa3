#!/usr/bin/python3
"""bench/media beside rtpengine: Debian's rtpengine (userspace, no kernel module) playing a
prompt to S SRTP callers (AES_CM_128_HMAC_SHA1_80, PCMU, 20 ms), the same work omniq_media's
media process does in streams.py: its CPU per packet over a window. For each call it is
offered the caller's SDP (RTP/SAVP, the caller's port a socket bound and never read), answered
for a silent far end, then asked to "play media" (make prompts' music.wav, repeated) towards
the caller. One call's caller socket is read to check the packets come at 50 a second.

    rtpengine.py [S] [W]    e.g. rtpengine.py 2000 5   (3 windows of W s, the best kept)
Prints "skipped: ..." and exits 0 when rtpengine is not installed (apt-get install
rtpengine-daemon)."""
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from harness import cpu_of, free_port  # noqa: E402

ROUNDS = 3
KEY = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"


def benc(o):
    if isinstance(o, int):
        return b"i%de" % o
    if isinstance(o, str):
        o = o.encode()
    if isinstance(o, bytes):
        return b"%d:%s" % (len(o), o)
    if isinstance(o, list):
        return b"l" + b"".join(benc(x) for x in o) + b"e"
    return b"d" + b"".join(benc(k) + benc(v) for k, v in sorted(o.items())) + b"e"


def bdec(b, i=0):
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c in (b"l", b"d"):
        i, out = i + 1, ([] if c == b"l" else {})
        while b[i:i + 1] != b"e":
            v, i = bdec(b, i)
            if c == b"l":
                out.append(v)
            else:
                w, i = bdec(b, i)
                out[v.decode()] = w
        return out, i + 1
    j = b.index(b":", i)
    n = int(b[i:j])
    return b[j + 1:j + 1 + n], j + 1 + n


class Ng:
    def __init__(self, port):
        self.to = ("127.0.0.1", port)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(5)

    def __call__(self, **d):
        cookie = "%x" % random.getrandbits(48)
        self.s.sendto(cookie.encode() + b" " + benc(d), self.to)
        while True:
            r = self.s.recv(65535)
            if r.startswith(cookie.encode() + b" "):
                out = bdec(r[len(cookie) + 1:])[0]
                if out.get("result") not in (b"ok", b"pong"):
                    raise RuntimeError("rtpengine %s: %r" % (d["command"], out))
                return out


def sdp(port, savp):
    return ("v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d %s 0\r\na=rtpmap:0 PCMU/8000\r\n%sa=sendrecv\r\na=ptime:20\r\n"
            % (port, "RTP/SAVP" if savp else "RTP/AVP",
               "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n" % KEY if savp else ""))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    window = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    if shutil.which("rtpengine") is None:
        print("rtpengine: skipped, not installed (apt-get install rtpengine-daemon)")
        return 0
    work = tempfile.mkdtemp(prefix="bench-rtpengine-")
    prompts = os.path.join(work, "prompts")
    subprocess.run([os.path.join(TOP, "scripts", "prompts.sh"), prompts], check=True,
                   capture_output=True)
    ng = free_port(socket.SOCK_DGRAM)
    lo = 42000
    p = subprocess.Popen(["rtpengine", "--foreground", "--log-stderr", "--interface=127.0.0.1",
                          "--listen-ng=127.0.0.1:%d" % ng, "--port-min=%d" % lo,
                          "--port-max=%d" % (lo + 4 * n + 99), "--table=-1", "--num-threads=2",
                          "--log-level=4", "--timeout=3600", "--silent-timeout=3600"],
                         stderr=open(os.path.join(work, "rtpengine.log"), "w"))
    try:
        cmd = Ng(ng)
        for _ in range(50):
            try:
                cmd(command="ping")
                break
            except (socket.timeout, ConnectionRefusedError):
                time.sleep(0.1)
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)    # every caller but one
        sink.bind(("127.0.0.1", 0))
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # the one read
        probe.bind(("127.0.0.1", 0))
        music = os.path.join(prompts, "zh", "music.wav")
        for i in range(n):
            port = (probe if i == 0 else sink).getsockname()[1]
            cid = "bench-%d" % i
            cmd(command="offer", **{"call-id": cid, "from-tag": "caller", "sdp": sdp(port, True),
                                    "transport-protocol": "RTP/AVP"})
            cmd(command="answer", **{"call-id": cid, "from-tag": "caller", "to-tag": "far",
                                     "sdp": sdp(9, False), "transport-protocol": "RTP/SAVP"})
            cmd(command="play media", **{"call-id": cid, "from-tag": "caller", "file": music,
                                         "repeat-times": 1000})
        time.sleep(2)
        # the probe's rate: packets in a second
        probe.setblocking(False)
        try:                          # what queued up meanwhile is not a second's worth
            while True:
                probe.recv(2048)
        except BlockingIOError:
            pass
        probe.settimeout(0.2)
        t0, got, seen = time.time(), 0, []
        while time.time() - t0 < 1:
            try:
                b = probe.recv(2048)
                got += 1
                if len(seen) < 8:
                    seen.append((len(b), b[1] & 0x7f, int.from_bytes(b[2:4], "big"),
                                 int.from_bytes(b[4:8], "big"), int.from_bytes(b[8:12], "big")))
            except socket.timeout:
                pass
        if os.environ.get("RTPE_DEBUG"):
            print(seen)
        best = None
        for _ in range(ROUNDS):
            c0 = cpu_of([p.pid])
            time.sleep(window)
            c1 = cpu_of([p.pid])
            ns = (c1 - c0) * 1e9 / (n * 50 * window)
            print("rtpengine: %d streams, %.1f s: CPU %.2f s, %d ns a packet (at 50 a stream)"
                  % (n, window, c1 - c0, ns))
            best = ns if best is None else min(best, ns)
        print("rtpengine: one caller got %d packets in a second (50 expected); best of %d: %d ns "
              "a packet, %.2f cores for %d streams" % (got, ROUNDS, best, best * 50 * n / 1e9, n))
        return 0
    finally:
        p.terminate()
        p.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
