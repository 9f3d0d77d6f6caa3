"""Where the bytes a test wrote on a TCP connection are: still ours, in the peer's kernel, or
read by the peer process, from Linux's /proc/net/tcp queues of each end (harness.wait_sent
and wait_read wait on these). A test that stops a process and writes to it, or that must
know a server has taken a request before it acts, waits for that instead of sleeping.
"""


def _queues():
    """{(local port, remote port): (send queue, receive queue)} of this machine's IPv4 TCP
    sockets: bytes the peer has not acknowledged yet, bytes not read yet."""
    out = {}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            p = line.split()
            tx, rx = p[4].split(":")
            out[(int(p[1].split(":")[1], 16), int(p[2].split(":")[1], 16))] = (int(tx, 16), int(rx, 16))
    return out


def _ends(socks):
    """(our port, the peer's port) of each connected socket."""
    return [(s.getsockname()[1], s.getpeername()[1]) for s in socks]


def all_sent(socks):
    """Has the peer's kernel acknowledged every byte written on these sockets (it is in
    the peer's receive buffer, even while the peer process is stopped)?"""
    q = _queues()
    return all(q.get(e, (1, 0))[0] == 0 for e in _ends(socks))


def all_read(socks):
    """Has the peer process read every byte written on these sockets?"""
    q = _queues()
    return all_sent(socks) and all(q.get((b, a), (0, 1))[1] == 0 for a, b in _ends(socks))
