"""sipp on a loopback UDP port that it really holds.

A test probes a free port (tests/ports.py) and hands it to sipp; between the probe and sipp's
bind another program can take it. Not only ours: this machine's network namespace is shared
with processes our /proc does not show (a socket on the port with "no process seen"), and a
fresh clone's suite met it in CI and here. sipp then exits with EXIT_BIND_ERROR (254,
"Unable to bind main socket, errno = 98"): we say who held the port and take another one.
"""
import os
import socket
import subprocess
import sys
import time

from ports import free_port

SIPP_BIND_ERROR = 254   # sipp's EXIT_BIND_ERROR
TRIES = 5


def _inodes(port):
    found = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            for line in open(table).read().splitlines()[1:]:
                f = line.split()
                if int(f[1].rsplit(":", 1)[1], 16) == port:
                    found.add(f[9])
        except (OSError, IndexError, ValueError):
            pass
    return found


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
    return "a socket of no process seen (another PID namespace on this network)"


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


def run(argv, workdir, tag, timeout, stderr=subprocess.DEVNULL):
    """Run sipp (argv without -p) to its end on a port it can bind; its exit code and the
    port it had. A bind error is tried again on another port up to TRIES times."""
    for attempt in range(TRIES):
        port = free_port(socket.SOCK_DGRAM)
        r = subprocess.run(argv + ["-p", str(port)], cwd=workdir, stdout=subprocess.DEVNULL,
                           stderr=stderr, timeout=timeout)
        if r.returncode != SIPP_BIND_ERROR or attempt == TRIES - 1:
            return r.returncode, port
        _taken(tag, port, workdir)


def start(argv, workdir, tag, port=None, wait=10.0):
    """Start sipp (argv without -p) in the background and return (Popen, port) once it holds
    its port. With port given (a port another peer already knows) it is tried once;
    otherwise a bind error is tried again on another port up to TRIES times. Raises with
    sipp's own words when it ends before holding the port."""
    err = os.path.join(workdir, "sipp-%s.err" % tag)
    for attempt in range(1 if port else TRIES):
        p = port or free_port(socket.SOCK_DGRAM)
        with open(err, "w") as ef:
            proc = subprocess.Popen(argv + ["-p", str(p)], cwd=workdir,
                                    stdout=subprocess.DEVNULL, stderr=ef)
        end = time.time() + wait
        while time.time() < end:
            if held_by(proc.pid, p):
                return proc, p
            if proc.poll() is not None:
                break
            time.sleep(0.01)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            raise RuntimeError("sipp %s did not bind UDP port %d in %.0f s" % (tag, p, wait))
        if proc.returncode != SIPP_BIND_ERROR or port:
            raise RuntimeError("sipp %s ended (exit %d) before it held UDP port %d: %s" % (
                tag, proc.returncode, p, open(err, errors="replace").read()[-600:]))
        _taken(tag, p, workdir)
    raise RuntimeError("sipp %s: %d ports in a row were taken" % (tag, TRIES))
