"""What the test rigs of real servers (kannel.py: Kannel; mailrig.py: Postfix and Dovecot)
share about their processes: the tails of their logs, whether a process lives, which ones
a command line names, the parent-death tie (setpriv), the "port taken at start" signal, the
registry that stops every rig still running when the test process exits, and Rig: the start
(within a time, watching for a port taken or a process gone, raising with the logs' tails)
and the bookkeeping of their processes.
"""
import atexit
import os
import time

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


def read_from(path, pos):
    """A log's text from byte pos on ("" if the file cannot be read)."""
    try:
        with open(path, "rb") as f:
            f.seek(pos)
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


_live = Live()   # every rig started and not yet stopped


class Rig:
    """What a rig of real servers does alike at start and stop: spawn its processes and wait
    for them to answer within START_WITHIN seconds, watching its logs for a port taken
    (PortTaken: start_twice tries new ports) and its processes for an exit; on a failure,
    raise with the tails of its logs, everything stopped. A subclass has self.files
    {name: path} and self.procs {name: Popen}, and says:
      NAME          how its errors name it ("Kannel")
      LOGS          the files of self.files whose tails logs() gives
      PORT_LOGS     the files a port taken shows in, and PORT_TAKEN the regex of that line
      POLL_S        how often _until() looks
      _start_once() its start (calling _start_with), stop(), _new_ports()."""

    NAME = "the rig"
    LOGS = PORT_LOGS = ()
    PORT_TAKEN = None
    POLL_S = 0.1
    START_WITHIN = 30

    def _start_with(self, steps, stop=None):
        """steps(end): spawn the processes and _until() each answers, by time end. A failure
        stops the rig (stop(), else self.stop()) and raises PortTaken or RuntimeError with
        the logs' tails; anything else (KeyboardInterrupt) is raised as it is."""
        # where this attempt's lines begin (an attempt before it wrote to the same files)
        self._log_from = {n: os.path.getsize(f) if os.path.exists(f) else 0
                          for n, f in self.files.items()}
        self.procs = {}
        _live.add(self)
        try:
            steps(time.time() + self.START_WITHIN)
        except BaseException as e:
            logs = self.logs()
            (stop or self.stop)()
            if isinstance(e, PortTaken):
                raise PortTaken("%s\n%s" % (e, logs)) from None
            if isinstance(e, Exception):
                raise RuntimeError("%s did not start: %s\n%s" % (self.NAME, e, logs)) from None
            raise
        return self

    def _stopped_all(self):
        """stop()'s last step: the rig is no longer one to stop at exit."""
        _live.discard(self)

    def _port_taken(self):
        """A line of this attempt in PORT_LOGS saying a port of ours was taken, or None."""
        for name in self.PORT_LOGS:
            for line in read_from(self.files[name], self._log_from.get(name, 0)).splitlines():
                if self.PORT_TAKEN.search(line):
                    return "%s: %s" % (name, line)
        return None

    def _until(self, end, cond, what):
        """Wait for cond() until end; PortTaken when a port was taken meanwhile (or is why a
        process exited), RuntimeError when a process exited or the time ran out."""
        while True:
            taken = self._port_taken()
            if taken:
                raise PortTaken("a port was taken while waiting for %s: %s" % (what, taken))
            for name, p in self.procs.items():
                if p.poll() is not None:
                    taken = self._port_taken()   # its last line may be why it exited
                    if taken:
                        raise PortTaken("a port was taken while waiting for %s: %s" % (
                            what, taken))
                    raise RuntimeError("%s exited (%s) while waiting for %s" % (
                        name, p.returncode, what))
            if cond():
                return
            if time.time() > end:
                raise RuntimeError("timed out after %d s waiting for %s" % (
                    self.START_WITHIN, what))
            time.sleep(self.POLL_S)

    def pids(self):
        """{name: pid} of the processes the rig started (alive or not)."""
        return {n: p.pid for n, p in self.procs.items()}

    def running(self):
        return {n for n, p in self.procs.items() if p.poll() is None}

    def logs(self, n=25):
        """The last n lines of each of LOGS, for a failure's message."""
        out = []
        for name in self.LOGS:
            out.append("--- %s (last %d lines) ---" % (name, n))
            out += tail(self.files[name], n)
        return "\n".join(out)


def start_for(ctx, rig):
    """rig started for this test; the harness stops it."""
    ctx.servers.append(rig)
    return rig.start()
