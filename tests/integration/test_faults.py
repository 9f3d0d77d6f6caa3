"""Failure paths on purpose (docs/testing.md, "Fault injection"): a function library that
answers nonsense, allocations that fail (tests/modules/omniq_faults), Redis gone under a
call, and what the sanitizer build found. Each case shows a clear error - a log line saying
what and why, and the documented RPC fault, SIP code or HTTP status - with no crash, no hang
and nothing written after the bad answer."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import redis
import websocket

import harness
from harness import alone, test, wait_for
from sipcall import Phone, call, caller_xml
from test_app import App
from test_sip import stat
from test_ws import chat_kam

P = "oq:{default}"
FAULTS = os.path.join(harness.FIXDIR, "omniq_faults.so")           # tests/modules/omniq_faults
FAILMALLOC = os.path.join(harness.FIXDIR, "libomniq_failmalloc.so")


def faults_kam(ctx, cfg, rs, defines=None):
    """kamailio with the omniq_faults fixture loaded first (and libc's malloc made to fail on
    demand too, but in the sanitizer build, where libasan's allocator must stay)."""
    k = ctx.kamailio(cfg, rs.port, start=False, defines=defines,
                     extra_args=["--loadmodule=" + FAULTS])
    if not harness.KAM_PRELOAD:
        k.preload.append(FAILMALLOC)
    return k.start()


@test
@alone
def test_app_leases_of_many_sockets_are_renewed(ctx):
    """The lease renewal sends 64 connections per call (129 arguments): oq_call used to copy
    them into room for 24, reading past its array."""
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1"})
    r = rs.client()
    apps = []
    for i in range(13):
        a = App(port)
        a.hello("u%d" % i)
        apps.append(a)
    keys = sorted(r.keys(P + ":online:*"))
    assert len(keys) == 13, keys
    first = {key: r.zrange(key, 0, -1, withscores=True)[0][1] for key in keys}
    # renewed every LEASE_MS / 3 (20 s): every lease moves on, none is lost
    wait_for(lambda: all(r.zrange(key, 0, -1, withscores=True)[0][1] > first[key]
                         for key in keys), timeout=30, step=0.5, what="every lease renewed")
    assert "presence" not in "\n".join(l for l in k.text().splitlines() if "WARN" in l), \
        k.errors()
    for a in apps:
        a.close()


@test
def test_sip_stop_with_a_queued_call_exits_cleanly(ctx):
    """A call's transaction outlives omniq_sip at shutdown: tm destroys it after omniq_sip's
    mod_destroy had freed the call table and its locks, and kamailio died of SIGSEGV in its
    last step (found by the sanitizer build)."""
    rs = ctx.redis()
    k = ctx.kamailio("sip.cfg", rs.port)
    r = rs.client()
    call(ctx, k, "sales", caller_xml(ctx.dir, "waits", queued="must"), background=True)
    wait_for(lambda: r.hget(P + ":s:1", "state") == "queued", what="the call queued")
    k.stop()     # SIGTERM to the main process: it and every child must exit 0
    assert not k.problems, k.problems


@test
def test_a_process_that_misses_its_sigterm_still_ends_with_kamailio(ctx):
    """Once in thousands of stops an omniq sender stayed in its BLPOP after kamailio had
    signalled every child (and once omniq_media's control process in its poll), and kamailio
    waited its exit timeout for it. Here processes of the core and of channel modules are
    made to ignore SIGTERM (gdb, as a lost signal would leave them): kamailio still stops
    within a few seconds, and each says it ended without it."""
    from test_media import media_kam
    rs = ctx.redis()
    k = media_kam(ctx, rs)
    procs = {d: p for p, d in k.psx().items()}
    names = ("omniq sender sms", "omniq dispatcher", "omniq_media control", "omniq_ws http",
             "omniq_sip pending")
    deaf = [procs[n if n in procs else n + " 0"] for n in names]
    for pid in deaf:
        out = subprocess.run(["gdb", "-q", "-batch", "-p", str(pid), "-ex",
                              "call (long)((long (*)(int, long))signal)(15, 1)"],
                             capture_output=True, text=True, timeout=60)
        assert re.search(r"^\$1 = \d+$", out.stdout, re.M), (out.stdout, out.stderr)
        with open("/proc/%d/status" % pid) as f:
            ign = int(re.search(r"^SigIgn:\s*([0-9a-f]+)", f.read(), re.M).group(1), 16)
        assert ign & (1 << 14), "SIGTERM is not ignored by %d" % pid
    t0 = time.time()
    k.stop()
    took = time.time() - t0
    assert not k.problems, k.problems
    assert 3 <= took < 10, took
    for what in names:
        assert re.search(r"WARNING: omniq \[oq_stop\.c:\d+\]: oq_stop_check\(\): %s: kamailio "
                         r"is stopping \(for \d+ ms\) and this process had no SIGTERM from "
                         r"it: it ends now" % what, k.text()), k.tail()
    for pid in deaf:
        assert not os.path.exists("/proc/%d" % pid), pid


class Stopper:
    """A process of a test's own, stopped with the test's servers."""

    def __init__(self, proc):
        self.proc = proc

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@test
def test_redis_over_a_unix_socket_with_auth_and_select(ctx):
    """omniq connects its own socket (hiredis' connect aborts when it cannot allocate): a
    unix socket path, AUTH and SELECT work as before, and a wrong password says so."""
    d = os.path.join(ctx.dir, "redis-unix")
    os.makedirs(d)
    sock = os.path.join(tempfile.mkdtemp(prefix="oq-redis-"), "redis.sock")
    port = harness.free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--unixsocket", sock, "--requirepass", "s3cret-pw", "--dir", d,
                             "--save", "", "--logfile", os.path.join(d, "redis.log")]
                            + harness.engine.loadmodule_args())
    ctx.servers.append(Stopper(proc))
    r = redis.Redis(unix_socket_path=sock, password="s3cret-pw", db=2, decode_responses=True)
    wait_for(lambda: os.path.exists(sock), what="redis-server's unix socket")
    wait_for(lambda: r.ping(), what="redis-server")
    k = ctx.kamailio("faults.cfg", port, defines={
        "OMNIQ_REDIS_HOST": '"%s"' % sock, "OMNIQ_REDIS_PASSWORD": '"s3cret-pw"',
        "OMNIQ_REDIS_DB": "2"})
    assert k.rpc_struct("omniq.enqueue", "web", "web:unix", "", 0)["sid"] == "1"
    assert r.hget(P + ":s:1", "identity") == "web:unix"     # in db 2, over the socket
    k.stop()
    bad = ctx.kamailio("faults.cfg", port, name="bad", start=False, defines={
        "OMNIQ_REDIS_HOST": '"%s"' % sock, "OMNIQ_REDIS_PASSWORD": '"wrong-pw"',
        "OMNIQ_REDIS_DB": "2"})
    bad.start(expect_ready=False)
    assert bad.wait_exit(20) != 0
    assert "cannot connect to Redis at %s:%d: AUTH: " % (sock, port) in bad.text(), bad.errors()


@test
def test_sip_invite_while_redis_is_down_gets_503(ctx):
    """The caller hears 503 at once, with the reason in the log; nothing is left behind."""
    rs = ctx.redis()
    k = ctx.kamailio("sip.cfg", rs.port)
    ctx.expect_redis_down(rs)
    ctx.expect_log(r"omniq_sip \[call\.c:\d+\]: open_in_queue\(\): call not queued: "
                   + harness.REDIS_DOWN + "$")
    rs.stop()
    t0 = time.time()
    sc = caller_xml(ctx.dir, "down", final=503, queued="never")
    assert call(ctx, k, "sales", sc) == 0, "the caller did not get 503 (caller_*_err.log)"
    assert time.time() - t0 < 5
    assert "call not queued: Redis unavailable" in k.text(), k.errors()
    assert stat(k, "calls") == 0 and stat(k, "queued") == 0


# ---- a wrong function library ------------------------------------------------------------

# functions the node calls by itself (the dispatcher's sweep, omniq_ws' lease renewal and
# outbox sender): counted apart from what an operation calls
BACKGROUND = {"oq_sweep", "oq_presence", "oq_node_lease", "oq_ob_take", "oq_ob_register"}

# modes that are well formed for a kind of reply (test_faults' library answers them), so that
# success is a right answer too: a flat array of names and values, [sid, state, ...]
FLAT_OK = {"empty", "long"}
STRINGS_OK = {"long", "binary", "odd", "badsid", "longsid", "longagent", "nostate", "badflag"}


# What a wrong answer makes omniq log (oq_core.c): the shape of a reply it does not take
# (reply_kind), an error reply not of omniq's own (badlib.lua's three: no OQ_ prefix, an
# empty code, a Lua error), and the error a face gives as the reason its call failed.
SHAPE = (r"(?:a string of \d+ bytes|a status '[^']*'|the integer -?\d+|an array of \d+|nil|"
         r"an error|nothing)")
NOT_OURS = (r"(?:something broke|ERR OQ_|ERR user_function:\d+: a runtime failure script: "
            r"oq_\w+, on @user_function:\d+\.)")
WHY = r"oq_\w+: (?:unexpected reply \(%s, not .+\)|%s)$" % (SHAPE, NOT_OURS)


class Wrong:
    """Each operation against shapes of a wrong answer (badlib.MODES): kamailio stays up, the
    answer is the operation's clear error (its check) or, for a shape that is well formed,
    success; the log says which function answered what; once the function has answered, the
    C side calls no library function that writes but those in `after` (the library is the
    only way it writes to Redis), and with `unchanged` nothing in Redis changes at all.
    The log lines of the core's reply check are declared here; a test declares those of the
    faces it drives (`WHY` ends each)."""

    def __init__(self, ctx, k, rs):
        from badlib import BadLibrary
        self.k, self.r = k, rs.client()
        self.bad = BadLibrary(rs)
        self.bad.load()
        self.problems = []
        ctx.expect_log(r"omniq \[oq_core\.c:\d+\]: oq_bad_reply\(\): Redis function oq_\w+ "
                       r"answered %s where .+ was expected: is Redis running the function "
                       r"library of this omniq \(FUNCTION LIST\)\? Nothing more is done with the "
                       r"reply$" % SHAPE)
        ctx.expect_log(r"omniq \[oq_core\.c:\d+\]: map_error_reply\(\): Redis function oq_\w+ "
                       r"failed: %s$" % NOT_OURS)

    def check(self, fn, op, plausible=(), after=(), modes=None, unchanged=True):
        from badlib import MODES, snapshot
        for mode in modes or MODES:
            self.bad.set(fn, mode)
            before = snapshot(self.r) if unchanged else None
            mark, log_mark = len(self.bad.calls()), len(self.k.text())
            try:
                ok = op()
            except AssertionError as e:
                self.problems.append("%s/%s: %s" % (fn, mode, e))
                ok = None
            assert self.k.proc.poll() is None and self.k.rpc_ok("core.version"), \
                "kamailio down after %s answered %s: %s" % (fn, mode, self.k.errors())
            calls = [c for c in self.bad.calls(mark) if c == fn or c not in BACKGROUND]
            log = self.k.text()[log_mark:]
            if fn not in calls:
                self.problems.append("%s/%s: not called (%s)" % (fn, mode, calls))
            elif ok is not True and [c for c in calls[calls.index(fn) + 1:]
                                     if c not in after and c not in self.bad.readers]:
                self.problems.append("%s/%s: called after it: %s" % (fn, mode, calls))
            if unchanged and snapshot(self.r) != before:
                self.problems.append("%s/%s: Redis changed" % (fn, mode))
            if ok is True and mode not in plausible:
                self.problems.append("%s/%s: answered success" % (fn, mode))
            if ok is False and not any(fn in l and ("answered" in l or "failed" in l)
                                       for l in log.splitlines() if "ERROR" in l):
                self.problems.append("%s/%s: no log line about it" % (fn, mode))
        self.bad.set(fn, "real")

    def done(self):
        self.bad.restore()
        assert not self.problems, "%d problems: %s" % (len(self.problems),
                                                     " | ".join(self.problems[:40]))


def rpc_op(k, fn, *args):
    """An RPC command: False for the 500 fault naming fn, True for another answer (success,
    or 404 for a reader's empty reply)."""
    def op():
        rc, out = k.rpc(*args)
        if rc == 0 and not out.startswith("error"):
            return True
        if "404 - not found" in out:
            return True
        assert "500" in out and fn in out, out.strip()[:200]
        return False
    return op


# the RPC command of each library function it calls, and the shapes it may take as success
RPC_CASES = [
    ("oq_enqueue", ("omniq.enqueue", "web", "web:v1", "sales", 0), {"badflag"}),
    ("oq_session_get", ("omniq.session", "1"), FLAT_OK),
    ("oq_transcript", ("omniq.transcript", "1"), {"empty"}),
    ("oq_session_set", ("omniq.session_set", "1", "tags", "vip"), ()),
    ("oq_append", ("omniq.append", "1", "in", "web:v1", "hello"), ()),
    ("oq_send", ("omniq.reply", "1", "alice", "hi"), ()),
    ("oq_accept", ("omniq.accept", "1", "alice"), ()),
    ("oq_decline", ("omniq.decline", "1", "alice"), STRINGS_OK),
    ("oq_close", ("omniq.close", "1", "resolved"), STRINGS_OK),
    ("oq_abandon", ("omniq.abandon", "1"), ()),
    ("oq_transfer", ("omniq.transfer", "1", "alice", "queue", "sales"), STRINGS_OK),
    ("oq_agent_list", ("omniq.agents",), FLAT_OK),
    ("oq_agent_get", ("omniq.agent", "alice"), FLAT_OK),
    ("oq_agent_set", ("omniq.agent_set", "bob", "Bob", "sales:5", "chat=2"), ()),
    ("oq_agent_state", ("omniq.agent_state", "alice", "available"), STRINGS_OK),
    ("oq_agent_del", ("omniq.agent_del", "bob"), ()),
    ("oq_agent_secret", ("omniq.agent_password", "alice", "a long password"), ()),
    ("oq_customer_get", ("omniq.customer", "web:v1"), FLAT_OK),
    ("oq_customer_set", ("omniq.customer_set", "1", "name", "Ann"), ()),
    ("oq_link", ("omniq.link", "web:v1", "web:v2"), {"int", "huge"}),
    ("oq_merge", ("omniq.merge", "1", "2"), ()),
    ("oq_queue_list", ("omniq.queues",), FLAT_OK),
    ("oq_queue_get", ("omniq.queue", "sales"), {"empty"}),
    ("oq_stats", ("omniq.stats",), FLAT_OK),
    ("oq_sweep", ("omniq.sweep",), ()),
    ("oq_ob_add", ("omniq.outbound_add", "sms", "sms:+8613800000001", "hi"), {"empty_string"}),
    ("oq_ob_report", ("omniq.delivery_report", "sms", "p1", "delivered"), ()),
    ("oq_ob_status", ("omniq.outbound",), {"empty"}),
]


# the C API members no shipped face calls, through the omniq_faults fixture's commands
API_CASES = [
    ("oq_append_once", ("faults.append_once", "1", "in", "web:v1", "hi", "c1"), ()),
    ("oq_online", ("faults.online", "app:x:u1"), {"int"}),
    ("oq_transcript", ("faults.transcript", "1"), {"empty"}),
]


@test
def test_wrong_library_rpc_commands_answer_500_and_write_nothing(ctx):
    ctx.engine_path = harness.engine.FAULTY
    """Every RPC command, and the C API members only a third party's module calls."""
    rs = ctx.redis()
    k = faults_kam(ctx, "faults.cfg", rs)
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "chat=2")[0] == 0
    assert k.rpc_struct("omniq.enqueue", "web", "web:v1", "sales", 0)["sid"] == "1"
    w = Wrong(ctx, k, rs)
    # a long flat reply is well formed, and more than kamcmd's transport takes: a 500, and
    # ctl's line for the field it refused
    ctx.expect_log(r"omniq \[oq_rpc_util\.c:\d+\]: oq_rpc_too_large\(\): Redis function oq_\w+ answered "
                   r"\d+ values, more than this RPC transport takes in one answer")
    ctx.expect_log(r"ctl \[binrpc_run\.c:\d+\]: rpc_struct_add\(\): failed to add "
                   r"attribute-value \(s\)$")
    for fn, args, plausible in RPC_CASES + API_CASES:
        w.check(fn, rpc_op(k, fn, *args), plausible)
    w.done()


def sip_message(k, headers):
    """A SIP MESSAGE to kamailio with the given headers; (status code, response headers)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", 0))
        s.settimeout(10)
        tag = uuid.uuid4().hex[:12]
        msg = ("MESSAGE sip:omniq@127.0.0.1:%d SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
               "From: <sip:test@127.0.0.1>;tag=%s\r\nTo: <sip:omniq@127.0.0.1>\r\n"
               "Call-ID: %s@test\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\n%s"
               "Content-Length: 0\r\n\r\n") % (
            k.sip_port, s.getsockname()[1], tag, tag, tag,
            "".join("%s: %s\r\n" % h for h in headers.items()))
        s.sendto(msg.encode(), ("127.0.0.1", k.sip_port))
        lines = s.recv(65535).decode("utf-8", "replace").split("\r\n")
    finally:
        s.close()
    hdrs = dict(l.split(": ", 1) for l in lines[1:] if ": " in l)
    return int(lines[0].split()[1]), hdrs


def cfg_op(k, fn, op, *args):
    """A cfg function (or its KEMI twin) through faults.cfg: False for -7 (internal) with
    $oq(error) naming fn, True for another return code."""
    def run():
        code, h = sip_message(k, dict({"X-Op": op}, **{"X-" + "ABCD"[i]: a
                                                       for i, a in enumerate(args)}))
        assert code == 200, code
        if h.get("X-RC") != "-7":
            return True
        assert fn in h.get("X-Error", ""), h
        return False
    return run


CFG_CASES = [
    ("oq_enqueue", "enqueue", ("web", "web:v1", "sales"), {"badflag"}),
    ("oq_append", "append", ("1", "in", "web:v1", "hello"), ()),
    ("oq_send", "reply", ("1", "alice", "hi"), ()),
    ("oq_accept", "accept", ("1", "alice"), ()),
    ("oq_decline", "decline", ("1", "alice"), STRINGS_OK),
    ("oq_close", "close", ("1", "resolved"), STRINGS_OK),
    ("oq_abandon", "abandon", ("1",), ()),
    ("oq_session_get", "session", ("1",), FLAT_OK),
    ("oq_agent_state", "agent_state", ("alice", "available"), STRINGS_OK),
    ("oq_agent_set", "agent_set", ("bob", "Bob", "sales:5", "chat=2"), ()),
]


def wrong_library_cfg_functions(ctx, defines):
    ctx.engine_path = harness.engine.FAULTY
    rs = ctx.redis()
    k = ctx.kamailio("faults.cfg", rs.port, defines=defines)
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "chat=2")[0] == 0
    assert k.rpc_struct("omniq.enqueue", "web", "web:v1", "sales", 0)["sid"] == "1"
    w = Wrong(ctx, k, rs)
    ctx.expect_log(r"omniq \[omniq_mod\.c:\d+\]: cfg_result\(\): omniq_\w+: " + WHY)
    for fn, op, args, plausible in CFG_CASES:
        w.check(fn, cfg_op(k, fn, op, *args), plausible)
    w.done()


@test
def test_wrong_library_cfg_functions_return_internal_and_write_nothing(ctx):
    wrong_library_cfg_functions(ctx, {})


@test
def test_wrong_library_kemi_functions_return_internal_and_write_nothing(ctx):
    wrong_library_cfg_functions(ctx, {"OMNIQ_KEMI": '"%s"' % os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "cfg", "faults.lua")})


# a few shapes for the phone's own calls, each a call of a second or so: one of each family
# (nil, a string, arrays of the wrong things, errors not ours)
SIP_MODES = ["nil", "string", "nested", "error", "raise"]


@test
def test_wrong_library_phone_calls_get_a_final_answer(ctx):
    ctx.engine_path = harness.engine.FAULTY
    """omniq_sip's calls of the library: the INVITE's open (500 Queue Failure), an agent
    without a phone (its flag and the decline), a miss and an expiry (503, the session
    abandoned: the call is given up), a CANCEL's abandon, an answer's accept and a BYE's
    close (logged; the call goes on as SIP says)."""
    from badlib import MODES
    from test_sip import agent
    rs = ctx.redis()
    k = ctx.kamailio("sip.cfg", rs.port, defines={
        "OMNIQ_QUEUE_SHORT": '"short; skills=nobody; max_wait=1; overflow=reply:480 Busy"',
        "OMNIQ_QUEUE_HOP": '"hop; skills=nobody"'})
    r = rs.client()
    w = Wrong(ctx, k, rs)
    for where in (r"open_in_queue\(\): call not queued: ",
                  r"agent_failed\(\): call \d+: ",
                  r"overflow\(\): call \d+: ",
                  r"abandon_session\(\): call \d+ cancelled by the caller; abandon failed, tried "
                  r"again when its transaction ends: ",
                  r"on_answer\(\): call \d+ answered by alice but the session refused it: "):
        ctx.expect_log(r"omniq_sip \[call\.c:\d+\]: " + where + WHY)
    n = [0]

    def caller(queue, **kw):
        n[0] += 1
        sc = caller_xml(ctx.dir, "c%d" % n[0], **kw)

        def op():
            assert call(ctx, k, queue, sc, timeout=20) == 0, "the caller of %s (%s)" % (sc, kw)
            return False
        return op
    w.check("oq_enqueue", caller("sales", final=500, queued="never"),
            modes=[m for m in MODES if m != "badflag"])
    # ghost is logged in without a phone: a call to her finds no contact, which omniq_sip
    # tells the core (oq_agent_phone 0) before the session goes on (oq_decline)
    agent(k, "ghost", caps="voice=1,chat=0,email=0,total=1")
    w.check("oq_agent_phone", caller("sales", final=503, queued="may"), modes=SIP_MODES,
            after={"oq_abandon"}, unchanged=False)

    def with_ghost_callable(op):
        def again():
            # the real oq_agent_phone of the last call kept her out of calls
            r.execute_command("FCALL", "oq_agent_phone", 1, P, "ghost", "1")
            return op()
        return again
    w.check("oq_decline", with_ghost_callable(caller("sales", final=503, queued="may")),
            modes=SIP_MODES, after={"oq_abandon"}, unchanged=False)
    # her phone registers (calls come back) and rejects every call: each is a miss
    rejects = Phone(ctx, k, "ghost", "agent_reject.xml", calls=len(SIP_MODES))
    wait_for(lambda: r.hget(P + ":a:ghost", "phone") == "1", what="ghost's phone told")
    w.check("oq_miss", caller("sales", final=503, queued="may"), modes=SIP_MODES,
            after={"oq_abandon"}, unchanged=False)
    rejects.stop()
    assert k.rpc("omniq.agent_state", "ghost", "offline")[0] == 0
    w.check("oq_expire", caller("short", final=503, queued="must"), modes=SIP_MODES,
            after={"oq_abandon"}, unchanged=False)
    w.check("oq_abandon", caller("hop", queued="must", cancel_after_ms=300), modes=SIP_MODES,
            unchanged=False)
    # each of those calls' abandon is tried again when its transaction ends (the answer
    # was no answer): real then, they leave their sessions abandoned
    wait_for(lambda: all(r.hget("%s:s:%s" % (P, s), "state") == "abandoned"
                         for s in range(1, int(r.get(P + ":seq:s")) + 1)
                         if r.hget("%s:s:%s" % (P, s), "queue") == "hop"),
             timeout=15, what="the failed abandons tried again")
    # alice's phone answers every call; room for the calls a failed close leaves active
    agent(k, "alice", caps="voice=20,chat=0,email=0,total=20")
    phone = Phone(ctx, k, "alice", "agent_answer.xml", calls=2 * len(SIP_MODES))
    w.check("oq_accept", caller("sales", queued="may"), modes=SIP_MODES,
            after={"oq_close"}, unchanged=False)
    w.check("oq_close", caller("sales", queued="may"), modes=SIP_MODES, unchanged=False)
    w.done()
    assert phone.wait() == 0


def rest_op(api, fn, method, path, body=None):
    """A REST request: False for 500 {"error": {"code": "internal"}} naming fn, True for
    another answer."""
    def op():
        st, b = api.call(method, path, body)
        if st != 500:
            return True
        assert b["error"]["code"] == "internal" and fn in b["error"]["message"], (st, b)
        return False
    return op


REST_CASES = [
    ("oq_enqueue", "POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v9"},
     {"badflag"}),
    ("oq_ingest", "POST", "/api/v1/channels/line/messages",
     {"identity": "app:line:U1", "body": "hi"}, ()),
    ("oq_session_get", "GET", "/api/v1/sessions/1", None, FLAT_OK),
    ("oq_session_set", "PUT", "/api/v1/sessions/1", {"tags": "vip"}, ()),
    ("oq_append", "POST", "/api/v1/sessions/1/messages",
     {"direction": "in", "from": "web:v1", "body": "hi"}, ()),
    ("oq_send", "POST", "/api/v1/sessions/1/messages",
     {"direction": "out", "from": "alice", "body": "hi"}, ()),
    ("oq_accept", "POST", "/api/v1/sessions/1/accept", {"agent": "alice"}, ()),
    ("oq_decline", "POST", "/api/v1/sessions/1/decline", {"agent": "alice"}, STRINGS_OK),
    ("oq_close", "POST", "/api/v1/sessions/1/close", {"disposition": "resolved"}, STRINGS_OK),
    ("oq_abandon", "POST", "/api/v1/sessions/1/abandon", None, ()),
    ("oq_customer_get", "GET", "/api/v1/customers/web:v1", None, FLAT_OK),
    ("oq_customer_set", "PUT", "/api/v1/customers/1", {"name": "Ann"}, ()),
    ("oq_link", "POST", "/api/v1/customers/link", {"a": "web:v1", "b": "web:v2"},
     {"int", "huge"}),
    ("oq_customer_history", "GET", "/api/v1/customers/web:v1/history", None, {"empty"}),
    ("oq_merge", "POST", "/api/v1/customers/2/merge", {"into": "1"}, ()),
    ("oq_agent_list", "GET", "/api/v1/agents", None, FLAT_OK),
    ("oq_agent_get", "GET", "/api/v1/agents/alice", None, FLAT_OK),
    ("oq_agent_update", "PUT", "/api/v1/agents/bob", {"name": "Bob", "skills": "sales:5"}, ()),
    ("oq_agent_sessions", "GET", "/api/v1/agents/alice/sessions", None, {"empty"}),
    ("oq_agent_state", "POST", "/api/v1/agents/alice/state", {"state": "away"}, STRINGS_OK),
    ("oq_agent_secret", "POST", "/api/v1/agents/alice/password",
     {"password": "a long password"}, ()),
    ("oq_queue_list", "GET", "/api/v1/queues", None, FLAT_OK),
    ("oq_queue_get", "GET", "/api/v1/queues/sales", None, {"empty"}),
    ("oq_stats", "GET", "/api/v1/stats", None, FLAT_OK),
    ("oq_followups", "GET", "/api/v1/followups?from=0&to=1", None, FLAT_OK),
]

def login_op(api, fn, agent=None):
    """A desk login (alice's right password, or a new agent's each time): as rest_op; the
    login guard's refusals (429, and 503 busy past 2 checks a second in ws.cfg) are waited
    out: they ask nothing of Redis."""
    n = [0]

    def op():
        n[0] += 1
        body = {"agent": agent or "%s%d" % (fn, n[0]), "password": "a long password"}
        end = time.time() + 10
        while True:
            st, b = api.call("POST", "/api/v1/desk/login", body)
            busy = st == 503 and b["error"]["code"] == "busy"
            if (st != 429 and not busy) or time.time() > end:
                break
            time.sleep(0.5)
        if st != 500:
            return True
        assert b["error"]["code"] == "internal" and fn in b["error"]["message"], (st, b)
        return False
    return op


@test
def test_wrong_library_web_surface_answers_internal_and_writes_nothing(ctx):
    ctx.engine_path = harness.engine.FAULTY
    """The REST API (500 {"error": {"code": "internal"}}), a desk login (the check's
    functions; a login whose count could not be cleared still logs the agent in), the web
    chat's messages (an error frame with the message's cid) and typing, an app's lease, the
    outbound senders' look for work (the channels' webhooks and the pushes)."""
    from badlib import MODES
    from test_ws import Chat
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1"})
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "chat=4")[0] == 0
    assert k.rpc("omniq.agent_password", "alice", "a long password")[0] == 0
    assert k.rpc_struct("omniq.enqueue", "web", "web:v1", "sales", 0)["sid"] == "1"
    chat = Chat(port)
    chat.send({"type": "hello"})
    chat.recv("welcome")
    chat.send({"type": "message", "text": "first", "cid": "c0"})
    chat.recv("ack")
    w = Wrong(ctx, k, rs)
    for fn, method, path, body, plausible in REST_CASES:
        w.check(fn, rest_op(api, fn, method, path, body), plausible)
    w.check("oq_login_try", login_op(api, "oq_login_try"), modes=SIP_MODES)
    w.check("oq_agent_secret_get", login_op(api, "oq_agent_secret_get"), {"string"},
            after={"oq_login_done"}, modes=SIP_MODES, unchanged=False)
    w.check("oq_login_done", login_op(api, "oq_login_done", "alice"), MODES, modes=SIP_MODES,
            unchanged=False)
    n = [0]

    def message():
        n[0] += 1
        chat.send({"type": "message", "text": "m%d" % n[0], "cid": "c%d" % n[0]})
        m = chat.recv()
        if m["type"] == "ack":
            return True
        # the chat protocol's word for a message not taken that a resend would not mend
        assert m["type"] == "error" and m["code"] == "refused" and m.get("cid") == "c%d" % n[0]\
            and "oq_append_many" in m["message"], m
        return False
    w.check("oq_append_many", message)

    def logged(fn, send):
        def op():
            mark = len(k.text())
            send()
            wait_for(lambda: fn in k.text()[mark:], timeout=5, what="%s in the log" % fn)
            return False
        return op
    w.check("oq_typing", logged("oq_typing", lambda: chat.send({"type": "typing"})))

    def next_takes():
        """The outbound senders' own call (each of the three, line's, tickets' and the
        pushes', every second when idle or after a failure): False when one logged an error
        about the answer (a call made after set() sees the new shape). A sender makes its
        calls one after another: once each has made a second one, what they had to say of
        the first is in the log."""
        mark, log_mark = len(w.bad.calls()), len(k.text())
        wait_for(lambda: w.bad.calls(mark).count("oq_ob_take") >= 6, timeout=8,
                 what="the senders' next oq_ob_take calls")
        return not [l for l in k.text()[log_mark:].splitlines()
                    if "ERROR" in l and "oq_ob_take" in l]
    w.check("oq_ob_take", next_takes, {"empty"}, after={"oq_ob_take"},
            modes=SIP_MODES + ["empty", "long", "ints"])
    apps = []

    def app_hello():
        a = App(port)
        a.hello("u%d" % len(apps))
        apps.append(a)          # open till the end: its close ends the lease (one more call)
    w.check("oq_presence", logged("oq_presence", app_hello), after={"oq_presence"})
    w.done()
    for a in apps:
        a.close()
    chat.close()


# ---- allocations that fail --------------------------------------------------------------

def pid_of(k, what):
    """The one process of k whose core.psx description holds what. A module's process may
    be forked after its port already listens (the socket is the main process's): wait for
    it to be in the table, up to 10 s (the sanitizer build starts slowly)."""
    pids = wait_for(lambda: k.pids(what), what="process '%s' in core.psx" % what)
    assert len(pids) == 1, "processes '%s': %s" % (what, pids)
    return pids[0]


def thread_of(pid, name):
    """The id of process pid's thread called name (omniq_ws names its threads)."""
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            if f.read().strip() == name:
                return int(tid)
    raise AssertionError("no thread '%s' in %d" % (name, pid))


class Torture:
    """Fails the 1st, then the 2nd, the 3rd... allocation an operation makes, one run each,
    until a run makes no more than the ones before it (curl's torture tests, SQLite's
    out-of-memory tests): every run must give a clean answer (the operation's check), no
    process may die, and the process's malloc'd blocks and pkg memory must be where they were
    before (no leak: the blocks libomniq_failmalloc.so counts, pkg.stats' used)."""

    def __init__(self, k, r):
        self.k, self.r = k, r
        self.procs = None   # taken at the first run: every process is up by then
        self.runs = 0

    def malloc_live(self, pid):
        rc, out = self.k.rpc("faults.live", pid)
        assert rc == 0, out
        return int(out.strip())

    def pkg_used(self, pid):
        """pkg.stats' used of pid; 0 for a process it does not list (omniq_ws' processes:
        they use malloc, which malloc_live counts)."""
        rc, out = self.k.rpc("pkg.stats", "pid", pid)
        return int(harness.parse_kamcmd(out)["used"]) if rc == 0 and "used:" in out else 0

    def run(self, pool, target, scope, op, limit, prepare=None):
        """op(n) for n = 1, 2, ... with the nth allocation of target from scope failing
        (prepare(n) first, with none failing); op checks the answer and returns whether it
        was success. Returns how many allocations a run makes: the first run with none failed
        must succeed (a failure leaves nothing behind that fails the next call)."""
        if self.procs is None:
            self.procs = self.k.pids("")
        for n in range(1, limit + 1):
            if prepare:
                prepare(n)
            rc, out = self.k.rpc("faults.alloc", pool, n, target, scope)
            assert rc == 0, out
            try:
                ok = op(n)
            finally:
                st = self.k.rpc_struct("faults.status", pool)
                self.k.rpc("faults.off")
            self.runs += 1
            procs = self.k.pids("")
            assert self.k.proc.poll() is None and procs == self.procs, \
                "a process died at %s allocation %d (%s, were %s): %s" % (
                    pool, n, procs, self.procs, self.k.errors())
            if int(st["failed"]) == 0:
                assert ok, "%s: run %d failed with no allocation failed: %s" % (
                    pool, n, self.k.errors())
                return n - 1
        raise AssertionError("%s: more than %d allocations in one run" % (pool, limit))

    def no_leak(self, pid, before, what):
        """before: usage(pid) from ahead of the runs, both taken after the same few runs
        with nothing failing (every connection of the process made again): the counts must
        be where they were, to the block. (A slack of one Redis connection, 4 blocks, hid
        hiredis 0.14's leak of a command buffer, 1 block per failure in
        redisAppendCommandArgv, until CI saw 5 once: none now.) A thread still finishing
        the last run frees what it holds a moment later on a busy machine: wait up to 5 s
        for the counts to come down; a leak never does."""
        deadline = time.time() + 5
        while True:
            now = self.usage(pid)
            if (now[0] <= before[0] and now[1] <= before[1]) or time.time() > deadline:
                break
            time.sleep(0.1)
        assert now[1] <= before[1], "%s: pkg used grew from %d to %d bytes" % (
            what, before[1], now[1])
        assert now[0] <= before[0], "%s: %d malloc'd blocks more" % (
            what, now[0] - before[0])

    def usage(self, pid):
        return (self.malloc_live(pid) if not harness.KAM_PRELOAD else 0, self.pkg_used(pid))

    def sites(self):
        rc, out = self.k.rpc("faults.sites")
        return out


def pools():
    """What a run fails, and whose allocations count: our modules' pkg and shm, the mallocs
    of our modules and of the libraries they build on (hiredis, jansson, libwebsockets,
    libuv, libcurl). Not Kamailio's own (its ctl module, say, drops an RPC connection it has
    no memory for) nor OpenSSL's (OpenSSL 3 keeps two blocks each time an allocation fails
    inside HMAC(), which we call once and free nothing of). Not malloc in the sanitizer
    build, where the allocator is libasan's and libomniq_failmalloc.so cannot stand in."""
    p = [("pkg", "omniq"), ("shm", "omniq")]
    libs = "omniq,libhiredis,libjansson,libwebsockets,libuv,libcurl"
    return p if harness.KAM_PRELOAD else p + [("malloc", libs)]


# What only a failed malloc causes need not come in the sanitizer build (pools()): there a
# test's lines of it are optional, elsewhere each must come.
MALLOC_ONLY = bool(harness.KAM_PRELOAD)


def expect_redis_out_of_memory(ctx, rs):
    """The lines of omniq's Redis layer when hiredis cannot allocate: the request whose reply
    it could not read (the connection dropped) and the reconnect it could not make."""
    ctx.expect_log(r"omniq \[oq_redis\.c:\d+\]: finish\(\): Redis request failed \(io: Out of "
                   r"memory\); connection dropped, will reconnect$", optional=MALLOC_ONLY)
    ctx.expect_log(r"omniq \[oq_redis\.c:\d+\]: oq_redis_connect\(\): cannot connect to Redis at "
                   r"127\.0\.0\.1:%d: out of memory$" % rs.port, optional=MALLOC_ONLY)


# the reason a call gives when that happened (oq_core.c: "Redis unavailable (<last error>)")
REDIS_OOM = r"Redis unavailable \((?:io: Out of memory|connect: out of memory)\)$"


@test
def test_alloc_failures_in_an_rpc_enqueue_answer_errors_and_leak_nothing(ctx):
    """omniq.enqueue with each allocation of the RPC process failing in turn (kamailio's
    binrpc, omniq, hiredis, libc): an answer each time, the session written whole or not at
    all, nothing left allocated."""
    from invariants import check_tenant
    rs = ctx.redis()
    k = faults_kam(ctx, "faults.cfg", rs)
    expect_redis_out_of_memory(ctx, rs)
    r = rs.client()
    t = Torture(k, r)
    ctl = pid_of(k, "ctl handler")
    for i in range(3):      # the process's lazy setup (Redis connection, buffers) first
        assert k.rpc("omniq.enqueue", "web", "web:warm%d" % i, "", 0)[0] == 0
    before = t.usage(ctl)
    answers = set()

    def enqueue(n):
        rc, out = k.rpc("omniq.enqueue", "web", "web:%d" % n, "", 0)
        if rc == 0 and not out.startswith("error"):
            assert "sid:" in out, out
            answers.add("ok")
            return True
        assert "error: 50" in out, out       # 500 internal, 503 Redis unavailable
        answers.add(out.split(" - ")[0].strip())
        return False
    made = {p: t.run(p, ctl, scope, enqueue, 400) for p, scope in pools()}
    assert k.rpc("omniq.enqueue", "web", "web:after", "", 0)[0] == 0
    t.no_leak(ctl, before, "the RPC process")
    assert not check_tenant(r, P), check_tenant(r, P)[:5]
    print("rpc enqueue: allocations %s, answers %s" % (made, sorted(answers)),
          file=sys.stderr)


def ws_faults_kam(ctx, rs):
    """faults_ws.cfg (ws.cfg, one omniq_ws process) with the omniq_faults fixture, serving."""
    from test_ws import Api
    port = harness.free_port()
    k = faults_kam(ctx, "faults_ws.cfg", rs, {"OMNIQ_WS_PROCESSES": "1",
                                             "OMNIQ_HTTP_PORT": str(port)})

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    wait_for(up, what="omniq_ws listening")
    return k, Api(port), port


@test
def test_alloc_failures_in_a_chat_message_answer_errors_and_leak_nothing(ctx):
    """A customer's first chat message (the session opened, the message appended by the
    appender thread, its events read back) with each allocation of the omniq_ws process
    failing in turn: the socket gets its ack, an error frame naming the message, or is closed
    (libwebsockets' own answer to its own failures); never silence."""
    from invariants import check_tenant
    from test_ws import Chat
    rs = ctx.redis()
    k, api, port = ws_faults_kam(ctx, rs)
    expect_redis_out_of_memory(ctx, rs)
    # a frame that could not be built closes its socket; the event reader thread's own
    # failures are the last test's
    ctx.expect_log(r"omniq_ws \[sock\.c:\d+\]: ws_sock_send\(\): socket of web:[0-9a-f]+: out of "
                   r"memory for a frame: closing$", optional=MALLOC_ONLY)
    # and, as the failing allocation falls, a chat that could not follow its new session
    ctx.expect_log(r"omniq_ws \[chat\.c:\d+\]: attach\(\): chat of web:[0-9a-f]+ cannot follow "
                   r"session \d+ \(out of memory\)$", optional=True)
    expect_event_reader_out_of_memory(ctx, optional=True)
    r = rs.client()
    t = Torture(k, r)
    ws = pid_of(k, "omniq_ws http 0")
    chats = {}
    answers = set()

    def open_chat(n):
        c = chats[n] = Chat(port)
        c.send({"type": "hello"})
        c.recv("welcome")

    def message(n):
        c = chats.pop(n)
        try:
            c.send({"type": "message", "text": "hello %d" % n, "cid": "m%d" % n})
            while True:
                try:
                    m = c.recv(timeout=5)
                except websocket.WebSocketTimeoutException:
                    raise AssertionError("message %d: no answer in 5 s" % n)
                except (OSError, ValueError, websocket.WebSocketException):
                    answers.add("closed")
                    return False
                if m["type"] == "ack":
                    answers.add("ack")
                    return True
                if m["type"] == "error":
                    assert m.get("cid") == "m%d" % n and m["code"] in ("refused", "unavailable"), m
                    answers.add("error " + m["code"])
                    return False
        finally:
            c.close()
    for i in range(3):
        open_chat(-i)
        assert message(-i)
    time.sleep(0.2)
    before = t.usage(ws)
    made = {p: t.run(p, ws, scope, message, 1500, prepare=open_chat) for p, scope in pools()}
    for i in range(3):
        open_chat(-i)
        assert message(-i)
    time.sleep(0.2)
    t.no_leak(ws, before, "the omniq_ws process")
    assert not check_tenant(r, P), check_tenant(r, P)[:5]
    print("chat message: allocations %s, answers %s" % (made, sorted(answers)), file=sys.stderr)


class Caller:
    """A caller's INVITE over UDP, as a phone sends it: the final answer's code, or "queued"
    (182), after which it hangs up (CANCEL, and the INVITE's 487)."""

    def __init__(self, k):
        self.k = k
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]

    def close(self):
        self.s.close()

    def _send(self, method, cid, branch, tag, number, to_tag="", sdp=False):
        body = ("v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                "m=audio 9 RTP/AVP 0\r\n") if sdp else ""
        msg = ("%s sip:sales@127.0.0.1:%d SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s\r\n"
               "From: <sip:+86%s@127.0.0.1>;tag=%s\r\nTo: <sip:sales@127.0.0.1>%s\r\n"
               "Call-ID: %s\r\nCSeq: 1 %s\r\nContact: <sip:caller@127.0.0.1:%d>\r\n"
               "Max-Forwards: 70\r\n%sContent-Length: %d\r\n\r\n%s") % (
            method, self.k.sip_port, self.port, branch, number, tag,
            ";tag=" + to_tag if to_tag else "", cid, method, self.port,
            "Content-Type: application/sdp\r\n" if sdp else "", len(body), body)
        self.s.sendto(msg.encode(), ("127.0.0.1", self.k.sip_port))

    def _recv(self, cid, timeout=5):
        """(code, To tag) of the next response to call cid's INVITE (the CANCEL's 200 and
        what an earlier call left are skipped)."""
        self.s.settimeout(timeout)
        while True:
            try:
                data = self.s.recv(65535).decode("utf-8", "replace")
            except socket.timeout:
                raise AssertionError("no SIP answer in %d s" % timeout)
            h = {}
            for l in data.split("\r\n")[1:]:
                if ": " in l:
                    h.setdefault(l.split(": ", 1)[0].lower(), l.split(": ", 1)[1])
            if h.get("call-id") == cid and h.get("cseq", "").endswith("INVITE"):
                break
        tag = h.get("to", "").split("tag=")[1].split(";")[0] if "tag=" in h.get("to", "") else ""
        return int(data.split(" ", 2)[1]), tag

    def call(self, number):
        u = uuid.uuid4().hex[:10]
        cid, branch, tag = "c%s@test" % u, "z9hG4bK" + u, "t" + u
        self._send("INVITE", cid, branch, tag, number, sdp=True)
        while True:
            code, to_tag = self._recv(cid)
            if code == 182:
                self._send("CANCEL", cid, branch, tag, number)
                while code != 487:
                    code, to_tag = self._recv(cid)
                self._send("ACK", cid, branch, tag, number, to_tag)
                return "queued"
            if code >= 300:
                self._send("ACK", cid, branch, tag, number, to_tag)
                return code
            assert code < 200, "answered %d with no agent" % code


@test
def test_alloc_failures_in_a_queued_invite_answer_the_caller_and_leak_nothing(ctx):
    """A phone call queued (182) and hung up, with each allocation of the SIP worker that
    omniq_sip, omniq and their libraries make failing in turn: the caller always gets its
    answer (500 or 503 at once, or queued and 487 after its CANCEL), the session is written
    whole or not at all, nothing is left allocated."""
    from invariants import check_tenant
    rs = ctx.redis()
    k = faults_kam(ctx, "faults_sip.cfg", rs)
    expect_redis_out_of_memory(ctx, rs)
    for where in (r"os_call_start\(\)", r"track_dialog\(\)"):
        ctx.expect_log(r"omniq_sip \[call\.c:\d+\]: %s: could not allocate shared memory from "
                       r"shm pool$" % where)
    for why in (r"open_in_queue\(\): call not queued: ",
                r"abandon_session\(\): call \d+ cancelled by the caller; abandon failed, tried "
                r"again when its transaction ends: "):
        ctx.expect_log(r"omniq_sip \[call\.c:\d+\]: " + why + REDIS_OOM, optional=MALLOC_ONLY)
    r = rs.client()
    t = Torture(k, r)
    worker = pid_of(k, "udp receiver")
    c = Caller(k)
    answers = set()

    def invite(n):
        a = c.call("138%08d" % n)
        answers.add(a)
        assert a in ("queued", 500, 503), a
        return a == "queued"
    for i in range(3):
        assert invite(10000 + i)
    before = t.usage(worker)
    made = {p: t.run(p, worker, scope, invite, 400) for p, scope in pools()}
    for i in range(3):
        assert invite(20000 + i)
    t.no_leak(worker, before, "the SIP worker")
    assert not check_tenant(r, P), check_tenant(r, P)[:5]
    # every session of a call ends abandoned: one whose abandon failed at the CANCEL when
    # its transaction ends (tm's wait timer, 5 s); one Redis wrote but whose reply was lost
    # (the caller got 503) when it is offered: an agent comes, is never charged for them

    def states():
        return {r.hget("%s:s:%d" % (P, i), "state")
                for i in range(1, int(r.get(P + ":seq:s")) + 1)}
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,total=1")[0] == 0

    def offered_all():
        # abandoning an offered session does not offer the agent the next one (the library
        # pulls on the agent's own changes): alice comes back each time
        k.rpc("omniq.agent_state", "alice", "away")
        k.rpc("omniq.agent_state", "alice", "available")
        return states() <= {"abandoned"}
    try:
        wait_for(offered_all, timeout=20, step=0.3, what="every session abandoned")
    except AssertionError:
        raise AssertionError("sessions not abandoned: %s" % {
            i: r.hgetall("%s:s:%d" % (P, i)) for i in range(1, int(r.get(P + ":seq:s")) + 1)
            if r.hget("%s:s:%d" % (P, i), "state") != "abandoned"})
    a = k.rpc_struct("omniq.agent", "alice")
    assert a["presence"] == "available" and a.get("load:voice") == "0", a
    c.close()
    print("queued invite: allocations %s, answers %s" % (made, sorted(answers, key=str)),
          file=sys.stderr)


def expect_event_reader_out_of_memory(ctx, optional):
    """omniq_ws' event reader thread saying which event it could not hand over, or which
    message it had no memory for (events.c)."""
    ctx.expect_log(r"omniq_ws \[events\.c:\d+\]: take_entries\(\): event reader: out of memory: "
                   r"event \d+-\d+ of session \d+ not handed to this process's sockets$", optional)
    ctx.expect_log(r"omniq_ws \[events\.c:\d+\]: take_body\(\): event reader: out of memory for "
                   r"a message of session \d+$", optional)


@test
def test_alloc_failures_in_the_events_reader_lose_no_event(ctx):
    """An agent's reply reaching the customer's chat socket through omniq_ws' event reader
    thread, with each allocation of that thread failing in turn (its reply arena, hiredis'
    reader, the item handed to the loop): the message reaches the socket after all (the
    reader reads again from the last event it handled), or the log says which event could
    not be handed over and why; the thread goes on reading."""
    from test_ws import accepted_chat
    rs = ctx.redis()
    k, api, port = ws_faults_kam(ctx, rs)
    expect_event_reader_out_of_memory(ctx, optional=MALLOC_ONLY)
    t = Torture(k, rs.client())
    chat, sid = accepted_chat(k, api, port, "hello")
    reader = thread_of(pid_of(k, "omniq_ws http 0"), "ws events")
    outcomes = set()

    def reply(n):
        mark = len(k.text())
        st, b = api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                         {"direction": "out", "from": "alice", "body": "r%d" % n})
        assert st == 201, (st, b)
        end = time.time() + 3
        while time.time() < end:
            try:
                m = chat.recv("message", timeout=end - time.time())
            except (AssertionError, websocket.WebSocketTimeoutException):
                break
            if m.get("text") == "r%d" % n:
                outcomes.add("delivered")
                return True
        log = k.text()[mark:]
        assert "event reader: " in log and ("out of memory" in log or "Out of memory" in log), \
            "reply %d: neither on the socket nor in the log" % n
        outcomes.add("logged")
        return False
    reply(0)
    made = {p: t.run(p, reader, scope, reply, 200) for p, scope in pools() if p == "malloc"}
    assert reply(1000)
    print("events reader: allocations %s, outcomes %s" % (made, sorted(outcomes)),
          file=sys.stderr)


@test
def test_libcurl_failing_at_start_stops_kamailio_with_the_reason(ctx):
    """libcurl cannot start (its first allocation fails) in a sender's process (the pushes'
    or a channel's, whichever starts first): it says so and kamailio stops, rather than run
    with pushes or replies that would never leave."""
    if harness.KAM_PRELOAD:
        return      # libc's malloc cannot be made to fail in the sanitizer build
    rs = ctx.redis()
    k = ctx.kamailio("faults_ws.cfg", rs.port, start=False,
                     defines={"OMNIQ_WS_PROCESSES": "1"},
                     extra_args=["--loadmodule=" + FAULTS,
                                 "--modparam=omniq_faults:alloc:s:malloc 1 0 libcurl"])
    k.preload.append(FAILMALLOC)
    k.start(expect_ready=False)
    # it stops (a TimeoutExpired if not): with status 0, as Kamailio 5.6 ends after a child
    # that exited, whatever its status (main.c handle_sigs; 1 only for a child's signal). Its
    # status was not 0 only while the fixture made the main process die at its exit.
    k.wait_exit(30)
    log = k.text()
    # each sender process that met it: its own words, then the core's (processes interleave)
    failed = {m.group(1) or "push" for m in re.finditer(
        r"ERROR: omniq_ws \[(?:channels|push)\.c:\d+\]: sender_init\(\): (?:channel "
        r"(line|tickets)|push sender): cannot initialise libcurl$", log, re.M)}
    stopped = set(re.findall(r"CRITICAL: omniq \[oq_outbound\.c:\d+\]: oq_outbound_fork\(\): "
                             r"the sender of channel (\w+) could not start$", log, re.M))
    assert failed and stopped and stopped <= failed, k.errors()
