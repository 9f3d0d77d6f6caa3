"""sipp on a loopback UDP port that it really holds.

Where no peer needs to know sipp's port before it starts, sipp binds one of its own choosing
(`-p 0`: 5060 upward, then one the kernel picks) and the harness reads which from /proc: there
is no moment between choosing a port and binding it in which another socket can take it.

Where a port must be chosen first (a phone registers from a port, then answers on it), a test
probes a free port (tests/ports.py) and hands it to sipp; between the probe and sipp's bind
another socket can take it. Fresh clones met that: five probed ports in one second each taken
before sipp bound it, the socket then of no process `ss` could name. sipp then exits with
EXIT_BIND_ERROR (254, "Unable to bind main socket, errno = 98"): we say who held the port and
take another one, waiting a little longer each time.
"""
import os
import socket
import subprocess
import sys
import time

from ports import free_port

SIPP_BIND_ERROR = 254   # sipp's EXIT_BIND_ERROR
TRIES = 5


def _udp_ports():
    """inode -> local UDP port, of every UDP socket on this machine."""
    ports = {}
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            for line in open(table).read().splitlines()[1:]:
                f = line.split()
                ports[f[9]] = int(f[1].rsplit(":", 1)[1], 16)
        except (OSError, IndexError, ValueError):
            pass
    return ports


def _inodes(port):
    return {ino for ino, p in _udp_ports().items() if p == port}


def _sockets_of(pid):
    out = set()
    try:
        for fd in os.listdir("/proc/%s/fd" % pid):
            t = os.readlink("/proc/%s/fd/%s" % (pid, fd))
            if t.startswith("socket:["):
                out.add(t[8:-1])
    except OSError:
        pass
    return out


def udp_owner(port):
    """Who holds UDP port on this machine, for the log line of a port taken between a probe
    and the bind: the owner is what to look at next."""
    inodes = _inodes(port)
    if not inodes:
        return "nobody now"
    for pid in os.listdir("/proc"):
        if pid.isdigit() and _sockets_of(pid) & inodes:
            try:
                cmd = open("/proc/%s/cmdline" % pid, "rb").read().replace(b"\0", b" ")
            except OSError:
                continue
            return "pid %s: %s" % (pid, cmd.decode(errors="replace")[:200])
    return "a socket of no process seen (one made and closed while we looked, or of another PID namespace)"


def held_by(pid, port):
    """Whether process pid holds a UDP socket on port."""
    inodes = _inodes(port)
    return bool(inodes) and bool(_sockets_of(pid) & inodes)


def census(path):
    """Every UDP socket of this network and its process (ss -uanp) into path."""
    out = subprocess.run(["ss", "-uanp"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True).stdout
    with open(path, "w") as f:
        f.write(out)


def _taken(tag, port, workdir):
    path = os.path.join(workdir, "udp-sockets-%s-%d.txt" % (tag, port))
    census(path)
    print("harness: sipp %s: UDP port %d was taken (by %s; every UDP socket then: %s): again "
          "on another" % (tag, port, udp_owner(port), path), file=sys.stderr)


def main_port(pid):
    """The port of sipp's main socket, or None while it has not bound it: sipp makes its main
    socket before its media and control sockets, so it is its lowest-numbered socket."""
    try:
        fds = sorted(int(fd) for fd in os.listdir("/proc/%s/fd" % pid))
    except OSError:
        return None
    for fd in fds:
        try:
            t = os.readlink("/proc/%s/fd/%d" % (pid, fd))
        except OSError:
            continue
        if t.startswith("socket:["):
            return _udp_ports().get(t[8:-1]) or None
    return None


def _backoff(attempt):
    time.sleep(0.2 * (2 ** attempt))   # 0.2, 0.4, 0.8, 1.6 s: what took the ports may pass


def run(argv, workdir, tag, timeout, stderr=subprocess.DEVNULL, need_port=False):
    """Run sipp (argv without -p) to its end; its exit code and, with need_port, the port it
    had (else None). Without need_port sipp binds a port of its own choosing; with it, a
    probed port, and a bind error is tried again on another port up to TRIES times."""
    if not need_port:
        r = subprocess.run(argv + ["-p", "0"], cwd=workdir, stdout=subprocess.DEVNULL,
                           stderr=stderr, timeout=timeout)
        return r.returncode, None
    for attempt in range(TRIES):
        port = free_port(socket.SOCK_DGRAM)
        r = subprocess.run(argv + ["-p", str(port)], cwd=workdir, stdout=subprocess.DEVNULL,
                           stderr=stderr, timeout=timeout)
        if r.returncode != SIPP_BIND_ERROR or attempt == TRIES - 1:
            return r.returncode, port
        _taken(tag, port, workdir)
        _backoff(attempt)


def _ended(tag, proc, port, err):
    return RuntimeError("sipp %s ended (exit %d) before it held UDP port %s: %s" % (
        tag, proc.returncode, port, open(err, errors="replace").read()[-600:]))


def start(argv, workdir, tag, port=None, wait=10.0):
    """Start sipp (argv without -p) in the background and return (Popen, port) once it holds
    its port. Without port, sipp binds one of its own choosing and we read which; with port
    (one another peer already knows) it is tried once. Raises with sipp's own words when it
    ends before holding its port."""
    err = os.path.join(workdir, "sipp-%s.err" % tag)
    with open(err, "w") as ef:
        proc = subprocess.Popen(argv + ["-p", str(port or 0)], cwd=workdir,
                                stdout=subprocess.DEVNULL, stderr=ef)
    end = time.time() + wait
    while time.time() < end:
        if port and held_by(proc.pid, port):
            return proc, port
        if not port:
            got = main_port(proc.pid)
            if got:
                return proc, got
        if proc.poll() is not None:
            raise _ended(tag, proc, port or "of its choosing", err)
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    raise RuntimeError("sipp %s did not bind UDP port %s in %.0f s" % (
        tag, port or "of its choosing", wait))
