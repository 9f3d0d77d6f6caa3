"""Failure paths on purpose (docs/testing.md, "Fault injection"): a function library that
answers nonsense, allocations that fail (tests/modules/omniq_faults), Redis gone under a
call, and what the sanitizer build found. Each case shows a clear error - a log line saying
what and why, and the documented RPC fault, SIP code or HTTP status - with no crash, no hang
and nothing written after the bad answer."""
import os
import signal
import socket
import time
import uuid

import harness
from harness import test, wait_for
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


def stop_status(k):
    """SIGTERM to kamailio as `kamctl stop` does; its exit status (negative: a signal)."""
    os.killpg(k.proc.pid, signal.SIGTERM)
    return k.proc.wait(30)


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
    rc = stop_status(k)
    assert rc == 0, "kamailio exited %s at stop: %s" % (rc, k.tail(5))


@test
def test_sip_invite_while_redis_is_down_gets_503(ctx):
    """The caller hears 503 at once, with the reason in the log; nothing is left behind."""
    rs = ctx.redis()
    k = ctx.kamailio("sip.cfg", rs.port)
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
BACKGROUND = {"oq_sweep", "oq_presence", "oq_outbox_forget"}

# modes that are well formed for a kind of reply (test_faults' library answers them), so that
# success is a right answer too: a flat array of names and values, [sid, state, ...]
FLAT_OK = {"empty", "long"}
STRINGS_OK = {"long", "binary", "odd", "badsid", "longsid", "longagent", "nostate", "badflag"}


class Wrong:
    """Each operation against shapes of a wrong answer (badlib.MODES): kamailio stays up, the
    answer is the operation's clear error (its check) or, for a shape that is well formed,
    success; the log says which function answered what; once the function has answered, the
    C side calls no library function but those in `after` (the library is the only way it
    writes to Redis), and with `unchanged` nothing in Redis changes at all."""

    def __init__(self, ctx, k, rs):
        from badlib import BadLibrary
        self.k, self.r = k, rs.client()
        self.bad = BadLibrary(rs)
        self.bad.load()
        self.problems = []

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
            elif ok is not True and [c for c in calls[calls.index(fn) + 1:] if c not in after]:
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
    ("oq_reply", ("omniq.reply", "1", "alice", "hi"), ()),
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
]


# the C API members no shipped face calls, through the omniq_faults fixture's commands
API_CASES = [
    ("oq_append_once", ("faults.append_once", "1", "in", "web:v1", "hi", "c1"), ()),
    ("oq_online", ("faults.online", "app:x:u1"), {"int"}),
    ("oq_outbox_add", ("faults.outbox_add", "push", "u1", "", '{"a":1}'), {"empty_string"}),
    ("oq_transcript", ("faults.transcript", "1"), {"empty"}),
]


@test
def test_wrong_library_rpc_commands_answer_500_and_write_nothing(ctx):
    """Every RPC command, and the C API members only a third party's module calls."""
    rs = ctx.redis()
    k = faults_kam(ctx, "faults.cfg", rs)
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "chat=2")[0] == 0
    assert k.rpc_struct("omniq.enqueue", "web", "web:v1", "sales", 0)["sid"] == "1"
    w = Wrong(ctx, k, rs)
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
    ("oq_reply", "reply", ("1", "alice", "hi"), ()),
    ("oq_accept", "accept", ("1", "alice"), ()),
    ("oq_decline", "decline", ("1", "alice"), STRINGS_OK),
    ("oq_close", "close", ("1", "resolved"), STRINGS_OK),
    ("oq_abandon", "abandon", ("1",), ()),
    ("oq_session_get", "session", ("1",), FLAT_OK),
    ("oq_agent_state", "agent_state", ("alice", "available"), STRINGS_OK),
    ("oq_agent_set", "agent_set", ("bob", "Bob", "sales:5", "chat=2"), ()),
]


def wrong_library_cfg_functions(ctx, defines):
    rs = ctx.redis()
    k = ctx.kamailio("faults.cfg", rs.port, defines=defines)
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "chat=2")[0] == 0
    assert k.rpc_struct("omniq.enqueue", "web", "web:v1", "sales", 0)["sid"] == "1"
    w = Wrong(ctx, k, rs)
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
    """omniq_sip's calls of the library: the INVITE's open (500 Queue Failure), a miss and an
    expiry (503, the session abandoned: the call is given up), a CANCEL's abandon, an
    answer's accept and a BYE's close (logged; the call goes on as SIP says)."""
    from badlib import MODES
    from test_sip import agent
    rs = ctx.redis()
    k = ctx.kamailio("sip.cfg", rs.port, defines={
        "OMNIQ_QUEUE_SHORT": '"short; skills=nobody; max_wait=1; overflow=reply:480 Busy"',
        "OMNIQ_QUEUE_HOP": '"hop; skills=nobody"'})
    w = Wrong(ctx, k, rs)
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
    # ghost is logged in without a phone: each call to it is a miss
    agent(k, "ghost", caps="voice=1,chat=0,email=0,total=1")
    w.check("oq_miss", caller("sales", final=503, queued="may"), modes=SIP_MODES,
            after={"oq_abandon"}, unchanged=False)
    assert k.rpc("omniq.agent_state", "ghost", "offline")[0] == 0
    w.check("oq_expire", caller("short", final=503, queued="must"), modes=SIP_MODES,
            after={"oq_abandon"}, unchanged=False)
    w.check("oq_abandon", caller("hop", queued="must", cancel_after_ms=300), modes=SIP_MODES,
            unchanged=False)
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
    ("oq_reply", "POST", "/api/v1/sessions/1/messages",
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
    ("oq_agent_set", "PUT", "/api/v1/agents/bob", {"name": "Bob", "skills": "sales:5"}, ()),
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
    """The REST API (500 {"error": {"code": "internal"}}), a desk login (the check's
    functions; a login whose count could not be cleared still logs the agent in), the web
    chat's messages (an error frame with the message's cid) and typing, an app's lease, the
    webhook sender's look at the other nodes' senders."""
    from badlib import MODES
    from test_ws import Chat
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1", "OMNIQ_OUTBOX_FORGET": "2"})
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

    def next_forget():
        """The webhook sender's own call (once a second here: outbox_forget 2): False when
        it logged an error about the answer (a call made after set() sees the new shape)."""
        mark, log_mark = len(w.bad.calls()), len(k.text())
        wait_for(lambda: "oq_outbox_forget" in w.bad.calls(mark), timeout=5,
                 what="the sender's next oq_outbox_forget")
        time.sleep(0.3)
        return not [l for l in k.text()[log_mark:].splitlines()
                    if "ERROR" in l and "oq_outbox_forget" in l]
    w.check("oq_outbox_forget", next_forget, {"empty", "long"}, after={"oq_outbox_forget"},
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
