"""Self-tests of the test machinery: what it claims to catch, it catches.

Each case runs a small scene in a context of its own (its logs under
build/test-logs/integration/harness_<case>/), hands it to teardown.after() as the runner
does after every test, and asserts the problem it must report - or, for what a test
declares, that it reports nothing. The runner's own checks are shown the same way: a
misspelt OMNIQ_SUITES fails tests/run.sh loudly.
"""
import contextlib
import glob
import os
import resource
import signal
import socket
import subprocess
import threading

import harness
import procwatch
import teardown
from harness import test, wait_for, TOP

P = "oq:{selftest}"


@contextlib.contextmanager
def scene(name, cfg="hammer.cfg"):
    """An inner context with a redis-server and a ready kamailio, closed at the end."""
    inner = harness.Ctx("harness_" + name)
    try:
        rs = inner.redis()
        yield inner, rs, inner.kamailio(cfg, rs.port)
    finally:
        inner.close()


def worker(k):
    """A SIP worker's pid."""
    pids = k.pids("receiver child=0")
    assert pids, k.psx()
    return pids[0]


def only(problems, *words):
    """The one problem, which must hold every word."""
    assert len(problems) == 1 and all(w in problems[0] for w in words), (words, problems)
    return problems[0]


def no_via(k):
    """A request without Via: kamailio's core logs an ERROR for it (a real one, not a
    line written into the log by hand)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n"
             b"To: <sip:x@127.0.0.1>\r\nCall-ID: selftest\r\nCSeq: 1 OPTIONS\r\n"
             b"Content-Length: 0\r\n\r\n", ("127.0.0.1", k.sip_port))
    s.close()
    wait_for(lambda: "no via found in request" in k.text(), what="kamailio's ERROR line")


NO_VIA = r"ERROR: <core> \[core/receive\.c:\d+\]: receive_msg\(\): no via found in request$"


@test
def test_harness_teardown_passes_a_clean_run(ctx):
    with scene("clean") as (inner, rs, k):
        assert k.rpc_struct("omniq.enqueue", "web", "web:selftest", "", 0)["sid"] == "1"
        problems = teardown.after(inner)
        assert problems == [], problems


@test
def test_harness_teardown_catches_a_child_killed_after_the_last_assertion(ctx):
    with scene("child_killed") as (inner, rs, k):
        pid = worker(k)
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: pid not in procwatch.group_of(k.proc.pid), what="the child's end")
        problems = teardown.after(inner)
        # a lost process, or (when kamailio has noticed it first and ended) its main
        # process's end; then what its main process logged of it
        assert any(("lost processes it had at start: %d (" % pid) in p
                   or "ended by itself before it was stopped (exited with status 1)" in p
                   for p in problems), problems


@test
def test_harness_teardown_catches_a_kamailio_that_does_not_stop(ctx):
    # a child that does not stop: the main process waits for it, past the bound
    with scene("no_stop") as (inner, rs, k):
        k.stop_within = 2
        pid, main = worker(k), k.proc.pid
        os.kill(pid, signal.SIGSTOP)
        # and says what each process was doing: the stopped one first, in state T, with its
        # stack a line a thread, down to main(); the main process, waiting for it, after it
        p = only(teardown.after(inner), "kamailio kam did not exit within 2 s of SIGTERM",
                 "\n  %d (" % pid, "state T", "Thread 1: ", " < main\n")
        assert p.index("\n  %d (" % pid) < p.index("\n  %d (" % main), p


@test
def test_harness_teardown_catches_a_child_crashing_during_shutdown(ctx):
    """The main process reaps a child that crashed while it stopped and still exits 0:
    only the exit watcher sees it (root: the process-events connector). The crash is an
    abort (SIGABRT): the sanitizer build's runtime takes SIGSEGV for its own reports, not
    SIGABRT, so the test means the same on both builds."""
    exits = procwatch.exits()
    assert exits.available, exits.why
    with scene("crash_in_shutdown") as (inner, rs, k):
        pid = worker(k)
        resource.prlimit(pid, resource.RLIMIT_CORE, (0, 0))   # a crash, without its core
        os.kill(pid, signal.SIGSTOP)       # holds the SIGTERM the main process sends it

        def crash():
            wait_for(lambda: "Thank you for flying" in k.text(), what="the shutdown")
            os.kill(pid, signal.SIGABRT)
            os.kill(pid, signal.SIGCONT)
        t = threading.Thread(target=crash)
        t.start()
        problems = teardown.after(inner)
        t.join()
        only(problems, "kamailio kam: %d (udp receiver child=0" % pid, "killed by signal 6",
             "during shutdown")


@test
def test_harness_teardown_catches_an_undeclared_error_line(ctx):
    with scene("error_line") as (inner, rs, k):
        no_via(k)
        only(teardown.after(inner), "kamailio kam logged 1 unexpected line(s)",
             "no via found in request")


@test
def test_harness_teardown_takes_a_declared_error_line_and_wants_it(ctx):
    with scene("declared_line") as (inner, rs, k):
        inner.expect_log(NO_VIA)
        no_via(k)
        assert teardown.after(inner) == []
    # declared and never seen: the declaration is wrong (unless optional)
    with scene("declared_unseen") as (inner, rs, k):
        inner.expect_log(NO_VIA)
        inner.expect_log(r"never logged$", optional=True)
        only(teardown.after(inner), "no log line matched the expected", "no via found")


@test
def test_harness_teardown_checks_the_invariants_of_every_tenant(ctx):
    with scene("invariants") as (inner, rs, k):
        r = rs.client()
        # a queued session in no queue: what a lost write would leave
        r.hset(P + ":s:1", mapping={"state": "queued", "priority": 0, "enq": 1, "queue": "q",
                                    "class": "chat", "skills": ""})
        r.zadd(P + ":sessions", {"1": 1})
        only(teardown.after(inner), "invariants of %s" % P, "session 1 (queued) q entries")
    with scene("invariants_broken_on_purpose") as (inner, rs, k):
        rs.client().hset(P + ":s:1", "state", "queued")
        inner.broke(rs)
        assert teardown.after(inner) == []


@test
def test_harness_misspelt_suite_fails_the_run(ctx):
    for sel in ("unti", "unit integraton"):
        r = subprocess.run([os.path.join(TOP, "tests", "run.sh")], capture_output=True, text=True,
                           env=dict(os.environ, OMNIQ_SUITES=sel), timeout=60)
        assert r.returncode != 0, (sel, r.stdout)
        assert "unknown suite" in r.stdout + r.stderr and "== " not in r.stdout, (sel, r.stdout,
                                                                                  r.stderr)


@test
def test_harness_recaps_a_failure_in_full_in_short_lines(ctx):
    """The recap tests/run.sh prints before its summary: every line of a failure's text, cut
    to 240 characters, at most 40 of them (a CI log folds lines of over 1,000)."""
    path = os.path.join(ctx.dir, "failures.txt")
    old = os.environ.get("OMNIQ_FAIL_RECAP")
    os.environ["OMNIQ_FAIL_RECAP"] = path
    try:
        harness.recap("a", "did not stop; its processes:\n  12 (x): state S\n" + "y" * 500)
        harness.recap("b", "\n".join(str(i) for i in range(45)))
    finally:
        if old is None:
            del os.environ["OMNIQ_FAIL_RECAP"]
        else:
            os.environ["OMNIQ_FAIL_RECAP"] = old
    got = open(path).read().splitlines()
    want = ["%s/a:" % harness.SUITE, "    did not stop; its processes:", "      12 (x): state S",
            "    " + "y" * 240, "%s/b:" % harness.SUITE]
    want += ["    %d" % i for i in range(40)] + ["    (5 more lines)"]
    assert got == want, got


@test
def test_harness_waits_for_bytes_sent_then_read(ctx):
    """wait_sent returns once the peer's kernel has the bytes, whether or not the peer reads;
    wait_read only once the peer has read them."""
    srv = socket.create_server(("127.0.0.1", 0))
    cli = socket.create_connection(srv.getsockname())
    peer, _ = srv.accept()
    try:
        cli.sendall(b"x" * 100000)
        harness.wait_sent([cli])
        try:
            harness.wait_read([cli], timeout=0.5)
        except AssertionError:
            pass
        else:
            raise AssertionError("wait_read returned while nothing was read")
        got = 0
        while got < 100000:
            got += len(peer.recv(65536))
        harness.wait_read([cli])
    finally:
        for s in (cli, peer, srv):
            s.close()


@test
def test_harness_log_check_takes_kamailios_shutdown_noise_only_in_a_shutdown(ctx):
    eof = " 9(12) CRITICAL: <core> [core/pass_fd.c:277]: receive_fd(): EOF on 7"
    asan = "==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010"
    run = " 0(10) INFO: <core> [main.c:3055]: main(): processes (at least): 10 - shm size: 1"
    bye = " 0(10) NOTICE: <core> [main.c:733]: handle_sigs(): Thank you for flying kamailio!!!"
    assert teardown.unexpected_lines("\n".join([run, eof, bye, eof]), []) == [eof.strip()]
    assert teardown.unexpected_lines("\n".join([run, bye, eof, run, eof]), []) == [eof.strip()]
    assert teardown.unexpected_lines("\n".join([run, bye, asan]), []) == [asan]
    # tcp main waiting on no socket once all are gone: noise in a shutdown only, and only
    # with no socket left (maxevents 0)
    none = (" 8(20) ERROR: <core> [core/io_wait.h:1043]: io_wait_loop_epoll(): "
            "epoll_wait(13, 0x7fef4a450da0, 0, 5000): Invalid argument [22]")
    some = none.replace(", 0, 5000)", ", 4, 5000)")
    assert teardown.unexpected_lines("\n".join([run, none, bye, none, some]), []) == [
        none.strip(), some.strip()]


@test
def test_harness_drill_audit_finds_what_a_fault_would_leave(ctx):
    """The drill's audit (tests/integration/drill.py) on a Redis holding what a lost step
    would leave: a chat still active and its agent held, a call still queued, an agent set
    away, acknowledged messages missing or stored twice, a call answered that no session
    was accepted for. Each is found, and nothing else."""
    from drill import Drill
    with scene("drill_audit", cfg="sip.cfg") as (inner, rs, k):
        r = rs.client()
        D = "oq:{default}"

        def fc(fn, *a):
            return r.fcall(fn, 1, D, *[str(x) for x in a])
        fc("oq_agent_set", "ag00", "Ag00", "sales:5", "chat=4,total=4", "")
        fc("oq_agent_state", "ag00", "available")
        fc("oq_agent_set", "ag01", "Ag01", "sales:5", "chat=4,total=4", "")
        fc("oq_agent_state", "ag01", "away")
        sid = fc("oq_ingest", "web", "", "web:v1", "sales", 0, "", "", "", "text", "hello", "c0-0")[0]
        fc("oq_accept", sid, "ag00")
        fc("oq_append", sid, "in", "web:v1", "text", "hello")                # stored twice
        call = fc("oq_enqueue", "phone", "", "phone:+8613800000001", "sales", 0, "sales", "",
                  "nodeA")[0]
        d = Drill(inner, "short")
        d.agents = ["ag00", "ag01"]
        d.a_name, d.b_name = "nodeA", "nodeB"
        d.acked = {"c0-0": (sid, "hello"), "c0-1": (sid, "lost"), "c9-0": ("9", "gone")}
        d.audit(r, [{"x1@a": ["answered", "ended"]}, {}])
        want = ["session %s (web, node -) still active, agent 'ag00'" % sid,
                "session %s (phone, node nodeA) still queued" % call,
                "agent ag00 still holds {'load:chat': '1'", "agent ag01 is away, not available",
                "chat message c0-1 acknowledged in session %s: not in its transcript" % sid,
                "chat message c9-0 acknowledged in session 9: not in its transcript",
                "chat message 'hello' stored 2 times",
                "node nodeA: callers saw 1 calls answered, 0 sessions were accepted"]
        for w in want:
            assert any(p.startswith(w) for p in d.problems), (w, d.problems)
        assert len(d.problems) == len(want), d.problems


@test
def test_harness_a_name_that_selects_nothing_fails(ctx):
    """run.py takes exact test names: one that selects nothing is a failure with a reason,
    not a run of nothing that passes (run.py ws ran zero tests and exited 0)."""
    import contextlib
    import io
    import harness
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = harness.run(["no_such_test_anywhere"])
    assert rc == 1, rc
    assert out.getvalue().startswith("FAIL integration/no_such_test_anywhere: no such test"), out.getvalue()


@test
def test_harness_starts_kamailio_again_when_its_port_was_taken(ctx):
    """A UDP port the harness chose (free when probed) held by another process when kamailio
    binds it (CI): kamailio is started again on another port (up to five times), the failed start's
    log kept apart, and the test goes on; a port the test itself chose is its own business."""
    rs = ctx.redis()
    k = ctx.kamailio("hammer.cfg", rs.port, start=False)
    taken = k.sip_port
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    squatter.bind(("127.0.0.1", taken))
    try:
        k.start()
        assert k.sip_port != taken and k.rpc_ok("omniq.stats")
        kept = os.path.join(ctx.dir, "kam-port-taken.log")
        assert "Address already in use" in open(kept).read()
        assert "Address already in use" not in k.text()
        # a test's own port is not changed behind its back
        k2 = ctx.kamailio("hammer.cfg", rs.port, name="kam2", start=False,
                          defines={"OMNIQ_SIP_LISTEN": "udp:127.0.0.1:%d" % taken})
        k2.start(expect_ready=False)
        assert k2.wait_exit(15) != 0
        assert not k2.port_taken() and "Address already in use" in k2.text()
    finally:
        squatter.close()


@test
def test_harness_sipp_binds_a_port_of_its_own_or_takes_another_probed_one(ctx):
    """sipp that no peer must know in advance binds a port of its own choosing (no moment in
    which another socket can take it): a port already held is passed over and the one it
    holds is read from /proc. A probed port someone takes before sipp binds it (fresh clones:
    five in one second) is tried again on another, what held it said on stderr with every UDP
    socket kept in the test's directory; a port a peer already knows is not changed."""
    import sipp_ports
    squatters = []
    for p in range(5060, 5063):     # where sipp looks first
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", p))
            squatters.append(s)
        except OSError:
            s.close()
    held = {s.getsockname()[1] for s in squatters}
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    squatter.bind(("127.0.0.1", 0))
    taken = squatter.getsockname()[1]
    probe, queue = sipp_ports.free_port, []
    sipp_ports.free_port = lambda kind: queue.pop(0) if queue else probe(kind)
    try:
        uas, port = sipp_ports.start(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-m", "2",
                                      "-nostdin"], ctx.dir, "uas")
        ctx.servers.append(type("S", (), {"stop": lambda self: uas.kill() or uas.wait()})())
        assert port not in held and sipp_ports.held_by(uas.pid, port), (port, held)
        # the port read is sipp's main socket: a call to it is answered
        rc, none = sipp_ports.run(["sipp", "127.0.0.1:%d" % port, "-sn", "uac", "-m", "1",
                                   "-i", "127.0.0.1", "-nostdin", "-timeout", "20",
                                   "-timeout_error"], ctx.dir, "uac", 40)
        assert rc == 0 and none is None, (rc, none)
        queue.append(taken)
        rc, uac_port = sipp_ports.run(["sipp", "127.0.0.1:%d" % port, "-sn", "uac", "-m", "1",
                                       "-i", "127.0.0.1", "-nostdin", "-timeout", "20",
                                       "-timeout_error"], ctx.dir, "uac", 40, need_port=True)
        assert rc == 0 and uac_port not in (taken, None), (rc, uac_port)
        assert uas.wait(10) == 0
        assert len(glob.glob(os.path.join(ctx.dir, "udp-sockets-*-%d.txt" % taken))) == 1
        try:
            sipp_ports.start(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-nostdin"], ctx.dir,
                             "known", port=taken)
            raise AssertionError("sipp started on a port another socket holds")
        except RuntimeError as e:
            assert "exit 254" in str(e) and "errno = 98" in str(e), e
    finally:
        sipp_ports.free_port = probe
        squatter.close()
        for s in squatters:
            s.close()
