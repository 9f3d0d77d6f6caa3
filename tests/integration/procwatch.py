"""The processes of a kamailio: its process group, and how each of them exited.

A kamailio child is its main process's child, not ours: when it crashes while the main
process shuts down, the main process reaps it and still exits 0, and nothing is logged.
Linux's process-events connector (netlink, NETLINK_CONNECTOR / CN_IDX_PROC) reports every
process's exit with its wait status to a listener with CAP_NET_ADMIN, so the harness can
see how each of a kamailio's processes ended. Without that capability (tests run as a
user) there is no watcher: `available` is False and `why` says so.

One reader thread per run keeps the statuses of the pids it was asked to watch; the
events of every other process on the machine are dropped as they come.
"""
import re
import os
import subprocess
import socket
import struct
import threading

NETLINK_CONNECTOR = 11
CN_IDX_PROC = CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
PROC_EVENT_EXIT = 0x80000000
NLMSG_DONE = 3
# nlmsghdr (16 bytes), cb_id/seq/ack/len/flags of cn_msg (20), then proc_event:
# what, cpu, timestamp (16), and for an exit: pid, tgid, exit_code, exit_signal
EVENT_AT = 16 + 20
EXIT_AT = EVENT_AT + 16


class ExitWatch:
    def __init__(self):
        self.lock = threading.Lock()
        self.watched = set()
        self.exits = {}        # pid -> wait status, for watched pids that have exited
        self.lost = 0          # times the kernel dropped events (our buffer overflowed)
        self.available, self.why = False, ""
        try:
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
            try:   # room for bursts of the whole machine's exits (root may exceed rmem_max)
                s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)   # SO_RCVBUFFORCE
            except OSError:
                pass
            s.bind((0, CN_IDX_PROC))
            cn = struct.pack("=IIIIHHI", CN_IDX_PROC, CN_VAL_PROC, 0, 0, 4, 0, PROC_CN_MCAST_LISTEN)
            s.send(struct.pack("=IHHII", 16 + len(cn), NLMSG_DONE, 0, 0, 0) + cn)
        except OSError as e:
            self.why = "no process-events connector (%s): run the tests as root to see " \
                       "how each kamailio child exits" % e
            return
        self.sock = s
        self.available = True
        threading.Thread(target=self._read, name="exit watch", daemon=True).start()

    def _read(self):
        while True:
            try:
                d = self.sock.recv(65536)
            except OSError:          # ENOBUFS: the kernel dropped what did not fit
                with self.lock:
                    self.lost += 1
                continue
            if len(d) < EXIT_AT + 16 or struct.unpack_from("=I", d, EVENT_AT)[0] != PROC_EVENT_EXIT:
                continue
            pid, tgid, status, _ = struct.unpack_from("=IIII", d, EXIT_AT)
            if pid != tgid:          # a thread, not a process
                continue
            with self.lock:
                if pid in self.watched:   # the first exit: a reused pid may exit again
                    self.exits.setdefault(pid, status)

    def watch(self, pids):
        with self.lock:
            self.watched.update(pids)

    def forget(self, pids):
        with self.lock:
            for p in pids:
                self.watched.discard(p)
                self.exits.pop(p, None)

    def status(self, pid):
        """The wait status pid exited with, or None (still running, or not seen)."""
        with self.lock:
            return self.exits.get(pid)


def describe(status):
    """A wait status in words, as a shell would say it."""
    if os.WIFSIGNALED(status):
        return "killed by signal %d%s" % (os.WTERMSIG(status),
                                          " (core dumped)" if os.WCOREDUMP(status) else "")
    return "exited with status %d" % os.WEXITSTATUS(status)


def group_of(pgid):
    """The live (not zombie) processes of a process group: {pid: command name}."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                head, rest = f.read().rsplit(")", 1)
        except OSError:
            continue
        state, _, pgrp = rest.split()[:3]
        if int(pgrp) == pgid and state != "Z":
            out[int(d)] = head.split("(", 1)[1]
    return out


_watch = None


def exits():
    """The run's one watcher, started at first use."""
    global _watch
    if _watch is None:
        _watch = ExitWatch()
    return _watch


def _frames(bt):
    """gdb's `bt` lines as one line per thread: its frames' function names, innermost first
    ("Thread 1: __GI___wait4 < ?? < handle_sigs < main_loop < main"), short enough that a
    report of a whole process group survives a CI log that folds long lines."""
    threads, cur = [], None
    for l in bt.splitlines():
        if l.startswith("Thread"):
            cur = [l.split("(", 1)[0].strip(), []]
            threads.append(cur)
        elif l.startswith("#"):
            if cur is None:
                cur = ["Thread", []]
                threads.append(cur)
            m = re.match(r"#\d+\s+(?:0x[0-9a-f]+ in )?(\S+)", l)
            cur[1].append(m.group(1) if m else l.split()[1])
    return ["%s: %s" % (t, " < ".join(f)) for t, f in threads]


def signals(pid):
    """Its signal masks from /proc/<pid>/status, as hex (bit n-1 is signal n; SIGTERM is
    0x4000): pending (of the thread, of the process), blocked, ignored, caught - whether a
    SIGTERM reached a process that did not stop, and why its handler did not run."""
    try:
        with open("/proc/%d/status" % pid) as f:
            st = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
    except OSError:
        return "no signal masks"
    return "signals " + " ".join("%s %x" % (k[3:].lower() if k != "ShdPnd" else "shdpnd",
                                            int(st[k].strip(), 16))
                                 for k in ("SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")
                                 if k in st)


def stacks(pids, names=None, limit=4, log=None):
    """What each of pids is doing, for a process that would not stop: its state and kernel
    wait channel from /proc, and its threads' stacks from gdb, a line a thread (the first
    limit of them not zombies and not the main process waiting for its children, the
    stopped and uninterruptible ones first; gdb attaches for a moment and leaves the process as it was), and the last
    lines each logged (kamailio's "N(pid) LEVEL: ..." lines in the log file log: whether a
    child logged the signal it got says whether its handler ran). A hang's report says where
    it hangs, not only that it did."""
    said = {}
    if log:
        try:
            with open(log, "rb") as f:
                for l in f.read()[-1 << 20:].decode("utf-8", "replace").splitlines():
                    m = re.match(r"\s*\d+\((\d+)\) ", l)
                    if m:
                        said.setdefault(int(m.group(1)), []).append(l.strip()[:200])
        except OSError:
            pass
    out, seen = [], []
    for pid in sorted(pids):
        try:
            with open("/proc/%d/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            with open("/proc/%d/wchan" % pid) as f:
                wchan = f.read().strip() or "-"
        except OSError:
            continue
        # the stopped or stuck ones first, the main process waiting for its children last
        seen.append((wchan == "do_wait", state not in ("T", "t", "D"), pid, state, wchan,
                     signals(pid)))
    for n, (waits, running, pid, state, wchan, sigs) in enumerate(sorted(seen)):
        out.append("  %d (%s): state %s, waits in %s; %s" % (
            pid, (names or {}).get(pid, ""), state, wchan, sigs))
        if state != "Z" and n < limit:
            try:
                # and what kamailio's SIGTERM handler (main.c sig_usr) decides by: a
                # process that takes itself for the main one only notes the signal
                bt = subprocess.run(["gdb", "-q", "-batch", "-p", str(pid), "-ex",
                                     "thread apply all bt 12", "-ex",
                                     "printf \"_ksr_is_main=%d sig_flag=%d\\n\", "
                                     "(int)_ksr_is_main, (int)sig_flag"],
                                    capture_output=True, text=True, timeout=20).stdout
                out += ["    " + l for l in _frames(bt)]
                out += ["    " + l for l in bt.splitlines() if l.startswith("_ksr_is_main=")]
            except (OSError, subprocess.TimeoutExpired) as e:
                out.append("    (no stack: %s)" % e)
        out += ["    logged: " + l for l in said.get(pid, [])[-3:]]
    return "\n".join(out)
