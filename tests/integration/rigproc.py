"""What the test rigs of real servers (kannel.py: Kannel; mailrig.py: Postfix and Dovecot)
share about their processes: the tails of their logs, whether a process lives, which ones
a command line names, the parent-death tie (setpriv), the "port taken at start" signal, and
the registry that stops every rig still running when the test process exits.
"""
import atexit
import os

# util-linux's setpriv (Essential in Debian) runs a rig's process with PR_SET_PDEATHSIG: it
# gets SIGTERM when the thread that started it dies - no orphans if the test process is
# killed (and no preexec_fn, which is not safe in a process with threads)
SETPRIV = (["/usr/bin/setpriv", "--pdeathsig", "TERM", "--"]
           if os.access("/usr/bin/setpriv", os.X_OK) else [])


class PortTaken(RuntimeError):
    """A rig's server found one of its ports taken at start: the rig tries new ports."""


def start_twice(rig, what):
    """rig._start_once(), and once more on new ports (rig._new_ports()) when a port of it
    was found taken: a port free when probed can be taken before a server binds it."""
    for attempt in (1, 2):
        try:
            return rig._start_once()
        except PortTaken as e:
            if attempt == 2:
                raise RuntimeError("%s did not start, twice: %s" % (what, e)) from None
            rig._new_ports()


def tail(path, n, start=0):
    """The last n lines of a log (from byte start on), as text; a line saying why if the
    file cannot be read."""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(start, f.tell() - 300 * n))
            lines = f.read().decode("utf-8", errors="replace").splitlines()
    except OSError as e:
        return ["(%s)" % e]
    return lines[-n:]


def proc_stat(pid):
    """(state, session id) of a process, None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return rest[0], int(rest[3])


def alive(pid):
    """The process exists and is not a zombie (PID 1 here reaps no orphans)."""
    st = proc_stat(pid)
    return st is not None and st[0] != "Z"


def procs_naming(text):
    """pids of the live processes (ours or anyone's) whose command line holds text."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", errors="replace")
        except OSError:
            continue
        if text in cmd and alive(int(d)):
            found.append(int(d))
    return found


class Live(set):
    """The rigs of one kind started and not yet stopped; stopped at exit whatever happens."""

    def __init__(self):
        super().__init__()
        atexit.register(self.stop_all)

    def stop_all(self):
        for rig in list(self):
            try:
                rig.stop()
            except Exception:
                pass
