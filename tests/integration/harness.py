"""
Integration harness: real redis-server and real kamailio processes on loopback ports.

Nothing here is mocked. Each test gets fresh servers on free ports in its own temporary
directory; logs stay under build/test-logs/integration/<test>/ for the post-mortem.
Output: one `PASS integration/<name>` or `FAIL integration/<name>: <why>` line per test.
"""
import os, re, shutil, signal, socket, subprocess, sys, tempfile, time, traceback

import redis

import procwatch
import tcp_queues
import teardown

TOP = os.environ.get("OMNIQ_TOP") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
BUILD = os.environ.get("OMNIQ_BUILD") or os.path.join(TOP, "build")
MODDIR = os.path.join(BUILD, "modules")
FIXDIR = os.path.join(BUILD, "test-modules")   # tests/modules (make fixtures)
KMODS = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
# Another build of the same tests (scripts/asan.sh): its name in the PASS/FAIL lines and the
# log directory, its modules, a library preloaded into kamailio only, kamailio arguments.
SUITE = os.environ.get("OMNIQ_SUITE", "integration")
MODDIR = os.environ.get("OMNIQ_KAM_MODULES") or MODDIR
KAM_PRELOAD = os.environ.get("OMNIQ_KAM_PRELOAD", "")
KAM_ARGS = os.environ.get("OMNIQ_KAM_ARGS", "").split()
LOGROOT = os.path.join(BUILD, "test-logs", SUITE)
HERE = os.path.dirname(os.path.abspath(__file__))


sys.path.insert(0, os.path.dirname(HERE))
from ports import free_port  # noqa: E402,F401  (re-exported to the tests)
import lua_counts  # noqa: E402
import sipp_ports  # noqa: E402
from sipp_ports import udp_owner  # noqa: E402  (the kamailio port-taken line)
import engine  # noqa: E402,F401  (re-exported to the tests)


# What omniq says of a call made while Redis is stopped (oq_core.c, oq_redis.c): the request
# on the connection it had, a reconnect refused, or none tried before reconnect_interval.
# a connection Redis closes while a request of ours is unread by it ends with a reset (RST),
# not an orderly close: either is Redis going down
REDIS_DOWN = (r"Redis unavailable \((?:io: (?:Server closed the connection|Connection reset by "
              r"peer)|connect: Connection refused|unreachable: Redis is down, waiting before the next reconnect)\)")

# The dispatcher's sweep failing: said when it starts to, and a minute on with how long it
# has failed (oq_dispatch.c, sweep_failed)
SWEEP_FAILED = r"omniq \[oq_dispatch\.c:\d+\]: sweep_failed\(\): sweep of tenant \w+ failed: "
SWEEP_AGAIN = r"(?: \(\d+ sweeps in a row have failed, for \d+ s\))?$"


def settled_keys(r, quiet=0.5, timeout=10.0):
    """Redis' keys, sorted, once a kamailio's start-up writes are over: the same for quiet
    seconds (its sender processes register their channels, leases start, a moment after it
    answers). For a test that compares keys before and after what it does."""
    end = time.time() + timeout
    keys, since = sorted(r.keys("*")), time.time()
    while time.time() < end:
        time.sleep(0.05)
        now = sorted(r.keys("*"))
        if now != keys:
            keys, since = now, time.time()
        elif time.time() - since >= quiet:
            return keys
    raise AssertionError("Redis' keys still changing after %.0f s: %s" % (timeout, keys[:20]))


def wait_for(cond, timeout=10.0, step=0.05, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))


def wait_sent(socks, timeout=10):
    """Until the peer's kernel has every byte written on these sockets (tcp_queues)."""
    wait_for(lambda: tcp_queues.all_sent(socks), timeout=timeout,
             what="the peer's kernel to take what was sent")


def wait_read(socks, timeout=10):
    """Until the peer process has read every byte written on these sockets."""
    wait_for(lambda: tcp_queues.all_read(socks), timeout=timeout,
             what="the peer to read what was sent")


class RedisServer:
    def __init__(self, workdir, port=None, engine_loaded=True, engine_path=None):
        self.port = port or free_port()
        self.engine_loaded = engine_loaded
        self.engine_path = engine_path
        self.dir = os.path.join(workdir, "redis-%d" % self.port)
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
             "--logfile", os.path.join(self.dir, "redis.log")]
            + (engine.loadmodule_args(path=self.engine_path) if self.engine_loaded else []),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._ping, what="redis-server on %d" % self.port)
        return self

    def _ping(self):
        try:
            return self.client().ping()
        except redis.exceptions.ConnectionError:
            return False

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True,
                           socket_timeout=30)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            lua_counts.collect(self.port, "redis stop")
            end_process(self.proc)
        self.proc = None


def end_process(proc, grace=10):
    """SIGTERM, then SIGKILL if proc has not ended within grace seconds; reaped either way."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _cpu_seconds(stat_path):
    """User + system CPU seconds in a /proc stat file (a process's or a thread's); 0 when
    it is gone."""
    try:
        with open(stat_path) as f:
            v = f.read().rsplit(")", 1)[1].split()
        return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return 0


def cpu_of(pids):
    """CPU seconds (user + system) the processes have used so far, their threads included;
    a process that is gone counts 0 (the benchmarks' CPU figures)."""
    return sum(_cpu_seconds("/proc/%d/stat" % pid) for pid in pids)


def cpu_by_thread(pids):
    """CPU seconds each thread name (its comm) of the processes has used so far, summed over
    the processes (the benchmarks' CPU per thread)."""
    t = {}
    for pid in pids:
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except OSError:
            continue
        for tid in tids:
            try:
                with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                    name = f.read().strip()
            except OSError:
                continue
            t[name] = t.get(name, 0) + _cpu_seconds("/proc/%d/task/%s/stat" % (pid, tid))
    return t


class Kamailio:
    """kamailio -DD -E with a cfg from tests/integration/cfg, defines passed with -A.

    Once it has answered RPC it is `ready`, and the harness holds it to account after the
    test (tests/integration/teardown.py): alive to the end unless the test killed it
    (kill9), and each stop - the test's own or the last - is a SIGTERM to the main process
    that it must answer by exiting 0 within STOP_WITHIN seconds, every child with it;
    what went wrong is kept in `problems`."""

    STOP_WITHIN = 15

    def __init__(self, workdir, cfg, redis_port, name="kam", defines=None, extra_args=()):
        self.workdir = workdir
        self.name = name
        self.sip_port = free_port(socket.SOCK_DGRAM)
        # a unix socket path is limited to 104 bytes in Kamailio's ctl: the log directory
        # (under the clone) may be deeper, so the socket lives in a short directory of its own
        self.ctldir = tempfile.mkdtemp(prefix="oq-ctl-")
        self.ctl = os.path.join(self.ctldir, name + ".ctl")
        self.log = os.path.join(workdir, name + ".log")
        # "omniq.cfg" is the shipped cfg/omniq.cfg itself; others live in tests/integration/cfg
        self.cfg = os.path.join(TOP, "cfg", cfg) if cfg == "omniq.cfg" else os.path.join(HERE, "cfg", cfg)
        self.rundir = os.path.join(workdir, name + "-run")
        os.makedirs(self.rundir, exist_ok=True)
        self.defines = {"OMNIQ_REDIS_PORT": str(redis_port),
                        "OMNIQ_SIP_LISTEN": "udp:127.0.0.1:%d" % self.sip_port,
                        "OMNIQ_CTL": '"unix:%s"' % self.ctl,
                        # for cfgs that load omniq_ws (the shipped one does)
                        "OMNIQ_HTTP_PORT": str(free_port())}
        self.defines.update(defines or {})
        self.http_port = int(self.defines["OMNIQ_HTTP_PORT"])
        self.extra_args = list(extra_args)
        self.preload = []   # libraries preloaded into this kamailio (after KAM_PRELOAD)
        self.proc = None
        self.ready = self.ever_ready = self.killed = False
        self.ready_pids = {}
        self.port_retries = 0
        self.problems = []
        self.stop_within = self.STOP_WITHIN

    def argv(self):
        # -w: its working directory, where a crash leaves its core (the default is /)
        a = ["kamailio", "-DD", "-E", "-f", self.cfg, "-L", ":".join((MODDIR, FIXDIR, KMODS)),
             "-Y", self.rundir, "-w", self.rundir, "-m", "64", "-M", "16"] + KAM_ARGS
        for k, v in self.defines.items():
            a += ["-A", "%s=%s" % (k, v)]
        return a + self.extra_args

    def start(self, expect_ready=True):
        # its mod_init loads the library again, which starts the coverage counts again
        lua_counts.collect(int(self.defines["OMNIQ_REDIS_PORT"]), "kamailio %s start" % self.name)
        self.logf = open(self.log, "ab")
        env = dict(os.environ)
        pre = [p for p in [KAM_PRELOAD] + self.preload if p]
        if pre:
            env["LD_PRELOAD"] = ":".join(pre)
        self.proc = subprocess.Popen(self.argv(), stdout=self.logf, stderr=subprocess.STDOUT,
                                     start_new_session=True, env=env)
        self.ready = self.killed = False
        if expect_ready:
            wait_for(lambda: self.proc.poll() is not None or self.rpc_ok("core.version"),
                     timeout=15, what="kamailio %s to answer RPC" % self.name)
            # the ctl handler answers before the main process has forked the last of its
            # children (the tcp main process) and named itself the attendant: ready is
            # when it has (a test reading the process table sooner missed processes)
            wait_for(lambda: self.proc.poll() is not None or self.attendant(),
                     timeout=15, what="kamailio %s to fork all its processes" % self.name)
            if self.proc.poll() is not None and self.port_taken():
                return self.start(expect_ready)
            if self.proc.poll() is not None:
                raise AssertionError("kamailio %s exited %s at start:\n%s" %
                                     (self.name, self.proc.returncode, self.errors()))
            # omniq_ws's processes open its HTTP port after the attendant is named: a test
            # that posts right after a restart met a refused connection (CI, once)
            if self.pids("omniq_ws http"):
                wait_for(lambda: self.proc.poll() is not None or self.http_listening(),
                         timeout=15, what="kamailio %s's HTTP port %d to listen"
                         % (self.name, self.http_port))
                if self.proc.poll() is not None:
                    raise AssertionError("kamailio %s exited %s at start:\n%s" %
                                         (self.name, self.proc.returncode, self.errors()))
            self.ready = self.ever_ready = True
            self.ready_pids = procwatch.group_of(self.proc.pid)
        return self

    def http_listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.http_port), timeout=1).close()
            return True
        except OSError:
            return False

    def port_taken(self):
        """Whether this start failed because another process held the SIP port the harness
        chose for it (a port below the ephemeral range, free when probed: something outside
        the test took it meanwhile). Then, once per kamailio, a new port: the failed start's
        log is kept apart (<name>-port-taken.log), the next start logs afresh. Up to five
        times: a fresh clone's run met four ports in a row taken "by nobody" seen after."""
        mine = self.defines.get("OMNIQ_SIP_LISTEN") == "udp:127.0.0.1:%d" % self.sip_port
        if self.port_retries >= 5 or not mine or not re.search(
                r"udp_init\(\): bind\(.*\) on 127\.0\.0\.1: Address already in use", self.text()):
            return False
        self.port_retries += 1
        self.logf.close()
        os.replace(self.log, os.path.join(self.workdir, self.name + "-port-taken.log"))
        old, self.sip_port = self.sip_port, free_port(socket.SOCK_DGRAM)
        self.defines["OMNIQ_SIP_LISTEN"] = "udp:127.0.0.1:%d" % self.sip_port
        census = os.path.join(self.workdir, "%s-udp-sockets-%d.txt" % (self.name, old))
        sipp_ports.census(census)
        print("harness: kamailio %s: UDP port %d was taken at start (by %s; every UDP socket "
              "then: %s); again on %d" % (self.name, old, udp_owner(old), census, self.sip_port),
              file=sys.stderr)
        return True

    def wait_exit(self, timeout=15):
        return self.proc.wait(timeout)

    def attendant(self):
        """The main process has forked every child: core.psx names it the attendant."""
        try:
            return self.psx().get(self.proc.pid, "").startswith("main process")
        except Exception:
            return False

    def rpc_ok(self, *args):
        try:
            return self.rpc(*args)[0] == 0
        except Exception:
            return False

    def rpc(self, *args):
        r = subprocess.run(["kamcmd", "-s", "unix:" + self.ctl] + [str(a) for a in args],
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout + r.stderr

    def rpc_struct(self, *args):
        rc, out = self.rpc(*args)
        if rc != 0 or out.startswith("error"):
            raise AssertionError("kamcmd %s failed: %s" % (" ".join(map(str, args)), out.strip()))
        return parse_kamcmd(out)

    def stat(self, name):
        """A statistic of this kamailio ("<module>:<name>", e.g. omniq:accepted)."""
        rc, out = self.rpc("stats.get_statistics", name.split(":")[0] + ":")   # its group
        for line in out.splitlines():
            if line.strip().startswith(name + " ="):
                return int(line.split("=")[1])
        raise AssertionError("no statistic %s: %s" % (name, out))

    def pids(self, word):
        """The pids of the processes whose core.psx description holds word (e.g. omniq_ws)."""
        return [pid for pid, desc in self.psx().items() if word in desc]

    def psx(self):
        """core.psx: {pid: description} of every process kamailio forked."""
        return psx_of(self.rpc("core.psx")[1])

    def alive_problems(self):
        """What of a ready kamailio is not alive now: a process it had once ready, a process
        its process table lists (a main process that ended is stop()'s to tell)."""
        if not (self.proc and self.ready) or self.killed or self.proc.poll() is not None:
            return []
        me = "kamailio %s" % self.name
        now = procwatch.group_of(self.proc.pid)
        if self.proc.pid not in now:      # ending now: stop() tells how
            return []
        table = self.psx()
        # the group again, after the table: a process forked between the first look and
        # core.psx (the tcp main process comes last, a test may end that soon) is in both
        now = procwatch.group_of(self.proc.pid)
        gone = sorted(set(self.ready_pids) - set(now))
        lost = sorted(set(table) - set(now))
        out = []
        if gone:
            out.append("%s lost processes it had at start: %s" % (
                me, ", ".join("%d (%s)" % (p, table.get(p, self.ready_pids[p])) for p in gone)))
        if lost and lost != gone:
            out.append("%s: processes of its table gone: %s" % (
                me, ", ".join("%d (%s)" % (p, table[p]) for p in lost)))
        return out

    def stop(self):
        """SIGTERM to the main process, which stops its children (a signal to the whole
        group would have children end before the main process knows it is stopping, and it
        would take their ends for failures)."""
        if not self.proc:
            return
        checked = self.ready and not self.killed
        me = "kamailio %s" % self.name
        if self.proc.poll() is not None:
            if checked:
                self.problems.append("%s ended by itself before it was stopped (%s)" % (
                    me, procwatch.describe(subprocess_status(self.proc.returncode))))
            self.proc = None
            return
        members = procwatch.group_of(self.proc.pid)
        if checked:   # names as kamailio gives them, for what may be said of them below
            members.update((p, d) for p, d in self.psx().items() if p in members)
        exits = procwatch.exits()
        exits.watch(members)
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            rc = self.proc.wait(self.stop_within)
        except subprocess.TimeoutExpired:
            rc = None
            where = procwatch.stacks(procwatch.group_of(self.proc.pid), members,
                                    log=self.log)
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.problems.append("%s did not exit within %d s of SIGTERM; its processes:\n%s"
                                 % (me, self.stop_within, where))
        left = procwatch.group_of(self.proc.pid) if rc is not None else {}
        if left:     # its main process waits for its children: these are not its own
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.problems.append("%s left processes running after its main process exited: %s"
                                 % (me, left))
        if checked and rc is not None:
            if rc != 0:
                self.problems.append("%s %s on SIGTERM" % (
                    me, procwatch.describe(subprocess_status(rc))))
            self.problems += self._children_exits(members, exits)
        exits.forget(members)
        self.proc = None

    def _children_exits(self, members, exits):
        """How each child ended, as the exit watcher saw it (nothing to say without one)."""
        if not exits.available:
            return []
        kids = [p for p in members if p != self.proc.pid]
        try:
            wait_for(lambda: all(exits.status(p) is not None for p in kids), timeout=5,
                     what="the exit of each child")
        except AssertionError:
            return ["kamailio %s: no exit seen for %s (events lost: %d)" % (
                self.name, [p for p in kids if exits.status(p) is None], exits.lost)]
        return ["kamailio %s: %d (%s) %s during shutdown" % (
                    self.name, p, members[p], procwatch.describe(exits.status(p)))
                for p in kids if exits.status(p) != 0]

    def cleanup(self):
        """After the last stop (a test may stop and start the same kamailio again)."""
        self.stop()
        shutil.rmtree(self.ctldir, ignore_errors=True)

    def kill9(self):
        """The test's own kill: nothing of this run is held against it."""
        self.killed = True
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def errors(self, n=30):
        """The log's ERROR/CRITICAL lines first (the one-line FAIL summary is cut short), then its tail."""
        bad = [l for l in self.text().splitlines() if "ERROR" in l or "CRITICAL" in l or "ALERT" in l]
        return "\n".join(bad[-8:] + ["-- tail --", self.tail(n)])

    def tail(self, n=30):
        return "\n".join(self.text().splitlines()[-n:])


def subprocess_status(returncode):
    """Popen's returncode (negative: the signal) as a wait status."""
    return -returncode if returncode < 0 else returncode << 8


def parse_kamcmd(out):
    """kamcmd prints structs as `key: value` lines (nested arrays indented); flat dict."""
    d = {}
    for line in out.splitlines():
        m = re.match(r"^\s*([A-Za-z0-9_:.\-]+):\s*(.*)$", line)
        if m and m.group(2) not in ("{", "["):
            d.setdefault(m.group(1), m.group(2).strip())
    return d


def sipp(scenario, port, workdir, calls, rate=100, extra=(), timeout=300, inf=None):
    """Run sipp as UAC against 127.0.0.1:port; returns its exit code. Its local port is one
    it could bind (sipp_ports.py: another program may take a probed port first)."""
    argv = ["sipp", "127.0.0.1:%d" % port, "-sf", os.path.join(HERE, "sipp", scenario),
            "-m", str(calls), "-r", str(rate), "-i", "127.0.0.1",
            "-nostdin", "-trace_err", "-trace_stat", "-fd", "1",
            "-error_file", os.path.join(workdir, "sipp_err.log"),
            "-stf", os.path.join(workdir, "sipp_stat.csv"), "-timeout", str(timeout)]
    if inf:
        argv += ["-inf", inf]
    rc, _ = sipp_ports.run(argv + list(extra), workdir, "uac", timeout + 30)
    return rc


class Ctx:
    """Per-test servers, torn down whatever happens; what the test declares about them for
    the checks after it (tests/integration/teardown.py)."""

    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(LOGROOT, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.servers = []
        self.expected = []     # teardown.Expected: log lines the test causes on purpose
        self.broken = []       # redis-servers whose data the test broke on purpose
        self.notes = []        # (title, fn): fn() is more to read when the test fails

    def expect_log(self, pattern, optional=False):
        """An ERROR/CRITICAL/ALERT line matching pattern (re.search) is this test's doing:
        keep the pattern as narrow as the behaviour it names. Unless optional (a line the
        test may or may not cause, e.g. a timer's that races with it), one must come."""
        self.expected.append(teardown.Expected(pattern, optional))

    def expect_redis_down(self, rs):
        """The test stops rs while kamailio runs: omniq's processes say so, each when it
        next talks to Redis (a request, a reconnect, the dispatcher's sweep, failing for
        one of the reasons REDIS_DOWN gives), or not at all if it does not try while Redis
        is down."""
        for p in (r"omniq \[oq_redis\.c:\d+\]: finish\(\): Redis request failed \(io: (?:Server "
                  r"closed the connection|Connection reset by peer)\); connection dropped, "
                  r"will reconnect$",
                  r"omniq \[oq_redis\.c:\d+\]: oq_redis_connect\(\): (?:still )?cannot connect to "
                  r"Redis at 127\.0\.0\.1:%d: Connection refused(?: \(\d+ attempts in a row have "
                  r"failed, for \d+ s\))?$" % rs.port,
                  SWEEP_FAILED + REDIS_DOWN + SWEEP_AGAIN):
            self.expect_log(p, optional=True)

    def expect_redis_full(self):
        """The test sets Redis's maxmemory below its use for a while: a dispatcher's sweep in
        that while is refused (the test's own writes are answered, not logged as errors)."""
        self.expect_log(SWEEP_FAILED + r"Redis refused oq_sweep \(OOM command not allowed when used "
                        r"memory > 'maxmemory'\.\)" + SWEEP_AGAIN, optional=True)

    def broke(self, server):
        """The test broke this redis-server's data on purpose: no invariants after it."""
        self.broken.append(server)

    def redis(self, port=None, engine_loaded=True):
        """A redis-server of this test; engine_loaded=False: without the omniq engine."""
        # a test of wrong replies runs the engine's faulty build (engine/faults.c)
        r = RedisServer(self.dir, port, engine_loaded,
                        getattr(self, "engine_path", None)).start()
        self.servers.append(r)
        return r

    def kamailio(self, cfg, redis_port, name="kam", start=True, **kw):
        k = Kamailio(self.dir, cfg, redis_port, name=name, **kw)
        self.servers.append(k)
        if start:
            k.start()
        return k

    def close(self):
        for s in reversed(self.servers):
            try:
                getattr(s, "cleanup", s.stop)()
            except Exception:
                pass

    def memory_bugs(self):
        """What Debian's debugging q_malloc logged against the test's kamailios: an
        overwritten fragment stops kamailio, but a double free is only logged (core
        mem_safety=1), so a test would pass over it without this."""
        bugs = []
        for s in self.servers:
            if isinstance(s, Kamailio) and os.path.exists(s.log):
                bugs += [l for l in s.text().splitlines()
                         if "BUG: freeing" in l or "BUG: qm" in l]
                bugs += sanitizer_findings(s.text())
        return bugs


def sanitizer_findings(text):
    """The ASan, UBSan and LeakSanitizer reports in a kamailio log (scripts/asan.sh), each as
    its first line and the first frame in our code (else its first frame). Kamailio's and the
    libraries' own leaks are not reported there at all (scripts/asan-leaks.supp, the
    omniq_asan fixture): every leak left counts."""
    out, lines = [], text.splitlines()
    for i, l in enumerate(lines):
        if "ERROR: AddressSanitizer" in l or ": runtime error: " in l:
            ours = [f for f in lines[i:i + 40] if "/omniq" in f]
            out.append(l.strip() + (" at " + ours[0].strip() if ours else ""))
        elif l.startswith(("Direct leak of", "Indirect leak of")):
            frames = []
            for f in lines[i + 1:]:
                if not f.strip().startswith("#"):
                    break
                frames.append(f.strip())
            ours = [f for f in frames if "/omniq" in f and "omniq_asan" not in f]
            at = (ours or frames[1:] or ["?"])[0]
            out.append("LeakSanitizer: %s at %s" % (l.strip(), at))
    return out


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def alone(fn):
    """A test that measures time or rates, or loads the machine itself: run.py runs it after
    the others, with no other test beside it (parallel.py)."""
    fn.alone = True
    return fn


def recap(name, why):
    """A failure's whole text, a line per line of it, into the file tests/run.sh prints
    after every suite ($OMNIQ_FAIL_RECAP): the FAIL line is one line cut short, and a CI
    log shows its head and its tail, so what is needed to read a failure (a hang's stacks,
    say) also comes last, in lines short enough not to be folded."""
    path = os.environ.get("OMNIQ_FAIL_RECAP")
    if not path:
        return
    lines = why.splitlines() or [""]
    with open(path, "a") as f:
        f.write("%s/%s:\n" % (SUITE, name))
        for l in lines[:40]:
            f.write("    %s\n" % l[:240])
        if len(lines) > 40:
            f.write("    (%d more lines)\n" % (len(lines) - 40))


def psx_of(out):
    """kamcmd core.psx's text as {pid: description}."""
    got, pid = {}, None
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("PID:"):
            pid = int(line.split(":")[1])
        elif line.startswith("DSC:") and pid is not None:
            got[pid] = line[4:].strip()
    return got


def where(e):
    """The test file's line a failure was raised at and its kind ("test_core.py:341,
    AssertionError"): a bare assert has no message, and the traceback goes to stderr, which
    a CI log does not keep."""
    frames = [f for f in traceback.extract_tb(e.__traceback__)
              if os.path.basename(f.filename).startswith("test_")]
    at = "%s:%d" % (os.path.basename(frames[-1].filename), frames[-1].lineno) if frames else "?"
    return "%s, %s" % (at, type(e).__name__)


def failure_notes(ctx):
    """What a test's helpers asked to be shown when it fails (a peer's log tail, say: a
    hang in a Postfix is not in kamailio's log), each under its title."""
    out = ""
    for title, fn in ctx.notes:
        try:
            text = fn()
        except Exception as e:  # noqa: BLE001 - a note that cannot be read says why
            text = "(cannot read it: %s)" % e
        out += "\n-- %s --\n%s" % (title, text)
    return out


def machine_lock():
    """A lock held while a test changes what the machine has installed or enabled (apt,
    systemd units, rc.d links): such tests snapshot the machine's services and compare, so
    two of them at once (parallel workers, another checkout's run) see each other's
    changes."""
    import fcntl
    f = open("/tmp/omniq-test-machine.lock", "a")
    fcntl.flock(f, fcntl.LOCK_EX)
    return f


def name_of(fn):
    return fn.__name__.replace("test_", "")


def unknown_names(selected):
    """A FAIL line for each selected name that is no test's; how many. Names are exact
    (without test_), as the PASS/FAIL lines print them: a name that selects nothing must
    not pass as a run of nothing."""
    known = {name_of(fn) for fn in TESTS}
    unknown = sorted(set(selected or ()) - known)
    for name in unknown:
        print("FAIL %s/%s: no such test (names are exact, e.g. desk_agent_takes_a_chat_from_offer_to_close)"
              % (SUITE, name), flush=True)
    return len(unknown)


def run(selected=None):
    failed = unknown_names(selected)
    for fn in TESTS:
        name = name_of(fn)
        if selected and name not in selected:
            continue
        ctx = Ctx(name)
        t0 = time.time()
        try:
            fn(ctx)
            problems = teardown.after(ctx)   # stops the kamailios: their shutdown frees too
            ctx.close()
            bugs = ctx.memory_bugs()
            if problems and bugs:   # a report's first line is among them: say where it points
                problems.append("first of %d finding(s): %s" % (len(bugs), bugs[0]))
            if problems:
                raise AssertionError("after the test: " + " | ".join(problems))
            if bugs:
                raise AssertionError("kamailio's allocator: %d BUG lines, first: %s" % (
                    len(bugs), bugs[0]))
            print("PASS %s/%s (%.1fs)" % (SUITE, name, time.time() - t0), flush=True)
        except Exception as e:
            failed += 1
            msg = str(e).replace("\n", " | ")[:600]
            print("FAIL %s/%s: %s" % (SUITE, name, msg), flush=True)
            recap(name, "[%s] %s%s" % (where(e), e, failure_notes(ctx)))
            traceback.print_exc(file=sys.stderr)
        finally:
            ctx.close()
    return 1 if failed else 0
