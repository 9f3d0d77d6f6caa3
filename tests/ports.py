"""Free loopback ports for test servers, taken from *below* the kernel's ephemeral range.

bind(port 0) hands out a port from the ephemeral range, and the moment the probe socket closes
the kernel may give that same port to any outgoing connection — kamailio's own connections to
Redis among them — so a server started on it a few milliseconds later can fail with EADDRINUSE.
Ports under net.ipv4.ip_local_port_range are never chosen by connect(), so a port that binds
now stays free until our server takes it. Each port is handed out once per test process.
"""
import os
import random
import socket

_given = set()


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _slice(lo, hi):
    """The part of lo..hi of this process: OMNIQ_PORT_SLICE=i/n (tests/integration/parallel.py
    runs n workers at once) gives each worker ports no other worker probes."""
    try:
        i, n = (int(x) for x in os.environ["OMNIQ_PORT_SLICE"].split("/"))
    except (KeyError, ValueError):
        return lo, hi
    if not 0 <= i < n:
        return lo, hi
    width = (hi - lo + 1) // n
    return lo + i * width, lo + (i + 1) * width - 1


def free_port(kind=socket.SOCK_STREAM):
    top = _ephemeral_low() - 1
    lo, hi = _slice(max(1024, top - 20000), top)
    for _ in range(1000):
        p = random.randint(lo, hi)
        if p in _given:
            continue
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            continue
        finally:
            s.close()
        _given.add(p)
        return p
    raise RuntimeError("no free loopback port in %d..%d" % (lo, hi))


def free_udp_range(n, ip="127.0.0.1"):
    """(first, last) of n UDP ports from an even one, all free on ip now, below the
    ephemeral ports and in this process's slice, none handed out before: RTP and RTCP
    pairs (n = 2), a media port range. The slice is walked from a random place: a worker
    that ran many tests has handed out ports all over it, and random picks run out."""
    fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
    top = _ephemeral_low() - 2
    lo, hi = _slice(max(1024, top - 20000), top)
    lo = (lo + 1) & ~1
    start = base = random.randint(lo, hi - n) & ~1
    while True:
        if base >= lo and not any(p in _given for p in range(base, base + n)):
            socks = []
            try:
                for p in range(base, base + n):
                    s = socket.socket(fam, socket.SOCK_DGRAM)
                    socks.append(s)
                    s.bind((ip, p))
                _given.update(range(base, base + n))
                return base, base + n - 1
            except OSError:
                pass
            finally:
                for s in socks:
                    s.close()
        base = base + 2 if base + 2 + n <= hi else lo
        if base == start:
            raise RuntimeError("no %d free UDP ports in a row on %s in %d..%d" % (n, ip, lo, hi))
