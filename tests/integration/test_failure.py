"""Failure: Redis absent at start, Redis lost while running, kill -9 under load."""
import os
import re
import subprocess
import threading
import time

import invariants
from harness import alone, test, sipp, wait_for, free_port, RedisServer

P = "oq:{default}"


@test
def test_refuses_to_start_without_redis(ctx):
    dead = free_port()
    k = ctx.kamailio("omniq.cfg", dead, start=False)
    k.start(expect_ready=False)
    rc = k.wait_exit(20)
    assert rc != 0, "kamailio started without Redis"
    assert "omniq cannot reach Redis at 127.0.0.1:%d" % dead in k.text(), k.tail()


@test
def test_refuses_to_start_when_redis_has_no_engine(ctx):
    rs = ctx.redis(engine_loaded=False)
    k = ctx.kamailio("omniq.cfg", rs.port, start=False)
    k.start(expect_ready=False)
    assert k.wait_exit(20) != 0, "kamailio started on a Redis without the omniq engine"
    assert ("Redis at 127.0.0.1:%d has no omniq engine" % rs.port) in k.text(), k.tail()
    assert "loadmodule /usr/local/lib/omniq/omniq_engine.so" in k.text(), k.tail()


@test
def test_refuses_bad_modparam(ctx):
    rs = ctx.redis()
    k = ctx.kamailio("omniq.cfg", rs.port, start=False,
                     extra_args=[])
    k.defines["OMNIQ_POLICY"] = '"sometimes"'
    k.cfg = os.path.join(os.path.dirname(__file__), "cfg", "policy.cfg")
    k.start(expect_ready=False)
    assert k.wait_exit(20) != 0
    assert "modparam policy must be 'blended' or 'voice_exclusive'" in k.text(), k.tail()


@test
@alone
def test_redis_lost_then_back(ctx):
    rs = ctx.redis()
    ctx.expect_redis_down(rs)
    k = ctx.kamailio("omniq.cfg", rs.port)
    s1 = k.rpc_struct("omniq.enqueue", "web", "web:before", "", 0)
    rs.stop()
    t0 = time.time()
    rc, out = k.rpc("omniq.enqueue", "web", "web:during", "", 0)
    took = time.time() - t0
    assert rc != 0 or out.startswith("error"), out
    assert "503" in out and "Redis" in out, out
    assert took < 3.0, "failing call took %.1fs" % took
    # fails fast while down (no connect attempt per call within reconnect_interval)
    t0 = time.time()
    for _ in range(20):
        k.rpc("omniq.enqueue", "web", "web:during", "", 0)
    assert time.time() - t0 < 5.0
    assert "Redis request failed" in k.text() or "cannot connect to Redis" in k.text(), k.tail()
    # the dispatcher's sweep fails every 200 ms while Redis is down: said when it starts to
    # fail (and once a minute), not at every sweep
    failed = re.compile(r"sweep_failed\(\): sweep of tenant default failed: ")
    wait_for(lambda: failed.search(k.text()), what="the sweep's failure logged")
    time.sleep(3.5)     # several more sweeps and reconnects (one a second) fail meanwhile
    # back on the same port with the same AOF: reconnects by itself, nothing lost
    rs2 = RedisServer(ctx.dir, rs.port)
    rs2.dir = rs.dir
    rs2.start()
    ctx.servers.append(rs2)
    s2 = wait_for(lambda: (lambda r: r[0] == 0 and not r[1].startswith("error") and r)(
        k.rpc("omniq.enqueue", "web", "web:after", "", 0)), timeout=10, what="reconnect")
    r = rs2.client()
    assert r.hget("%s:s:%s" % (P, s1["sid"]), "identity") == "web:before"
    ids = [r.hget("%s:s:%d" % (P, i), "identity") for i in range(1, int(r.get(P + ":seq:s")) + 1)]
    assert "web:during" not in ids, "a refused call was written: %s" % ids
    assert "web:after" in ids
    back = wait_for(lambda: re.search(r"NOTICE: omniq \[oq_dispatch\.c:\d+\]: sweep_worked\(\): "
                                      r"sweep of tenant default works again, after (\d+) failed "
                                      r"sweeps in \d+ s$", k.text(), re.M),
                    what="the sweep working again, logged")
    said = len(failed.findall(k.text()))
    assert said == 1 < int(back.group(1)), (
        "%d sweeps failed in an outage under a minute, %d lines said so, not one"
        % (int(back.group(1)), said))
    # each process says it cannot connect once, however often it tries, and how long it was
    # when it connects again
    refused = re.findall(r"^\s*\d+\((\d+)\) ERROR: .*cannot connect to Redis", k.text(), re.M)
    assert refused and len(refused) == len(set(refused)), refused
    again = [int(n) for n in re.findall(r"reconnected to Redis at [\d.:]+, after (\d+) failed "
                                        r"attempts in \d+ s$", k.text(), re.M)]
    assert again and max(again) > 1, (again, k.tail())


def messages(ctx, k, tag, n):
    """n SIP MESSAGEs, one sipp call each, at 50 a second (so that every SIP worker takes
    some): sipp's exit code (0: every one answered 200)."""
    inf = os.path.join(ctx.dir, "in-%s.csv" % tag)
    with open(inf, "w") as f:
        f.write("SEQUENTIAL\n")
        for i in range(n):
            f.write("web;web:%s-%d;\n" % (tag, i))
    return sipp("message.xml", k.sip_port, ctx.dir, calls=n, rate=50, inf=inf, timeout=20)


@test
def test_redis_restart_fails_no_request_on_a_connection_from_before(ctx):
    """Redis restarts while kamailio's processes are idle: each holds a connection Redis has
    closed. Once Redis answers again, no request may fail for it (the connection found closed
    before the request is sent, and made again at once), and none may run twice."""
    rs = ctx.redis()
    ctx.expect_redis_down(rs)
    k = ctx.kamailio("hammer.cfg", rs.port)
    assert messages(ctx, k, "before", 40) == 0      # every SIP worker has its connection
    assert k.rpc("omniq.stats")[0] == 0              # and the RPC process its own
    rs.stop()
    rs.start()                                       # same port, same AOF: answers PING
    bad = []
    for _ in range(10):
        rc, out = k.rpc("omniq.stats")
        if rc != 0 or out.startswith("error"):
            bad.append(out.strip())
    assert not bad, "%d of 10 omniq.stats failed after the restart: %s" % (len(bad), bad[:2])
    assert messages(ctx, k, "after", 40) == 0, "SIP MESSAGEs failed after the restart"
    r = rs.client()
    ids = [r.hget("%s:s:%d" % (P, i), "identity") for i in range(1, int(r.get(P + ":seq:s")) + 1)]
    for tag in ("before", "after"):
        for i in range(40):
            assert ids.count("web:%s-%d" % (tag, i)) == 1, ("web:%s-%d" % (tag, i), ids)
    # what the log says of it: a NOTICE per process, not an error (the dispatcher, blocked in
    # XREAD when Redis stopped, saw a request fail: that one was in flight)
    assert "closed this process's idle connection (a restart?): connecting again" in k.text()
    # the same when Redis closes idle clients itself (`timeout`, common in production): the
    # RPC process's connection idles past it, and its next request is answered
    r.config_set("timeout", 1)
    before = k.text().count("closed this process's idle connection")
    time.sleep(2.5)
    for _ in range(3):
        rc, out = k.rpc("omniq.stats")
        assert rc == 0 and not out.startswith("error"), out
    assert k.text().count("closed this process's idle connection") > before, k.tail()


@test
def test_function_library_flushed_is_loaded_again_at_once(ctx):
    """FUNCTION FLUSH (or a replica promoted without the library): the next call of any
    process finds `Function not found`, which means nothing ran; the process loads the
    library again and makes the same call once more, so nothing fails and nothing runs
    twice."""
    rs = ctx.redis()
    k = ctx.kamailio("hammer.cfg", rs.port)
    r = rs.client()
    assert messages(ctx, k, "before", 20) == 0
    r.execute_command("FUNCTION", "FLUSH")
    rc, out = k.rpc("omniq.stats")
    assert rc == 0 and not out.startswith("error"), out
    assert messages(ctx, k, "after", 40) == 0, "SIP MESSAGEs failed after FUNCTION FLUSH"
    s = k.rpc_struct("omniq.enqueue", "web", "web:rpc-after", "", 0)
    ids = [r.hget("%s:s:%d" % (P, i), "identity") for i in range(1, int(r.get(P + ":seq:s")) + 1)]
    for tag in ("before", "after"):
        n = 20 if tag == "before" else 40
        for i in range(n):
            assert ids.count("web:%s-%d" % (tag, i)) == 1, ("web:%s-%d" % (tag, i), ids)
    assert ids.count("web:rpc-after") == 1 and s["sid"] == str(len(ids))
    assert "omniq function library was missing from Redis" in k.text(), k.tail()


@test
def test_every_process_has_its_cfg_before_a_sigterm_can_hang_it(ctx):
    """Kamailio 5.6: a process makes its first cfg update under a lock that is not
    re-entrant (core/cfg/cfg_struct.h, cfg_local NULL until then), and a child's SIGTERM
    handler makes the same update: a SIGTERM inside the first one hangs the process on the
    lock it holds, and kamailio does not stop (CI, twice; include/omniq/omniq_proc.h). So
    every process, SIP workers that have had no packet yet among them, must have made it
    before it can be stopped: cfg_local is set in each (read with gdb), not NULL."""
    rs = ctx.redis()
    k = ctx.kamailio("omniq.cfg", rs.port)     # omniq, omniq_sip, omniq_ws and their processes
    missing = []
    procs = k.psx()
    for pid, desc in sorted(procs.items()):
        if desc.startswith("main process"):
            continue
        out = subprocess.run(["gdb", "-q", "-batch", "-p", str(pid), "-ex", "p (long)cfg_local"],
                             capture_output=True, text=True, timeout=30).stdout
        v = [l for l in out.splitlines() if l.startswith("$1 = ")]
        assert v, "gdb read nothing of %d (%s): %s" % (pid, desc, out[-300:])
        if v[0] == "$1 = 0":
            missing.append("%d (%s)" % (pid, desc))
    assert len(procs) > 8 and not missing, "no cfg update yet in: %s" % ", ".join(missing)


@test
@alone
def test_kill9_under_load_loses_nothing(ctx):
    rs = ctx.redis()
    k = ctx.kamailio("hammer.cfg", rs.port)
    r = rs.client()
    for i in range(20):
        assert k.rpc("omniq.agent_set", "a%d" % i, "A", "sales:5", "chat=2,total=2")[0] == 0
        assert k.rpc("omniq.agent_state", "a%d" % i, "available")[0] == 0
    inf = os.path.join(ctx.dir, "in.csv")
    with open(inf, "w") as f:
        f.write("SEQUENTIAL\n")
        for i in range(3000):
            f.write("sms;sms:+8613900%06d;sales\n" % i)
    th = threading.Thread(target=lambda: sipp("message.xml", k.sip_port, ctx.dir, calls=3000,
                                              rate=300, inf=inf, timeout=30))
    th.start()
    wait_for(lambda: int(r.get(P + ":seq:s") or 0) > 800, timeout=30, what="load")
    k.kill9()
    th.join()
    from invariants import check_tenant
    problems = check_tenant(r, P)
    assert not problems, "after kill -9: %s" % problems[:10]
    # every session id ever handed out exists, in exactly one state
    n = int(r.get(P + ":seq:s"))
    states = {}
    for i in range(1, n + 1):
        st = r.hget("%s:s:%d" % (P, i), "state")
        assert st, "session %d lost" % i
        states[st] = states.get(st, 0) + 1
    # a restarted node carries on with the same data
    k2 = ctx.kamailio("hammer.cfg", rs.port, name="kam2")
    assert k2.rpc_struct("omniq.enqueue", "web", "web:after-crash", "", 0)["sid"] == str(n + 1)


@test
@alone
def test_dispatcher_sweeps_a_burst_beyond_one_calls_bound(ctx):
    """2,500 ended sessions whose retention ends at once (a burst of a busy hour, a node back
    after an outage): one sweep call retires at most 1,000 (a bounded time in Redis), and the
    dispatcher calls again at once while a call was full, up to 4 calls a tick, so all of
    them leave within one tick, not a thousand per sweep_interval (3 s here)."""
    rs = ctx.redis()
    k = ctx.kamailio("sweep.cfg", rs.port, defines={"OMNIQ_SWEEP_INTERVAL": "3000"})
    r = rs.client()
    n = 2500
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        pipe.fcall("oq_enqueue", 1, P, "web", "", "web:burst%d" % i, "", 0, "", "")
    sids = [x[0] for x in pipe.execute()]
    pipe = r.pipeline(transaction=False)
    for sid in sids:
        pipe.fcall("oq_close", 1, P, sid, "")
    assert all(x[1] == "abandoned" for x in pipe.execute())
    assert r.zcard(P + ":ret") == n
    base = k.stat("omniq:sessions_retired")
    r.zadd(P + ":ret", {sid: 0 for sid in sids}, xx=True)     # every retention over now
    first = wait_for(lambda: k.stat("omniq:sessions_retired") > base and time.time(),
                     timeout=10, what="the first retirements")
    wait_for(lambda: k.stat("omniq:sessions_retired") - base == n, timeout=20,
             what="all %d retired" % n)
    took = time.time() - first
    assert took < 1.5, "the burst took %.1f s to leave: more than one sweep tick" % took
    assert r.zcard(P + ":ret") == 0
    assert not any(r.exists("%s:s:%s" % (P, sid)) for sid in sids[::250])


@test
def test_dispatcher_sweeps_lapsed_offers_and_wrapups(ctx):
    """The node's own dispatcher (no RPC sweep) re-routes a lapsed offer, sets the agent
    away at max_misses, and ends wrap-ups."""
    rs = ctx.redis()
    k = ctx.kamailio("sweep.cfg", rs.port)
    r = rs.client()
    for a in ("a1", "a2"):
        k.rpc("omniq.agent_set", a, a, "sales:5", "chat=1,total=1")
    k.rpc("omniq.agent_state", "a1", "available")
    s = k.rpc_struct("omniq.enqueue", "web", "web:sweep-1", "sales", 0)
    assert s["agent"] == "a1", s
    k.rpc("omniq.agent_state", "a2", "available")
    sid = s["sid"]
    # a2 is busy-free but the session is a1's until the offer lapses (1 s)
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "agent") == "a2", timeout=5,
             what="lapsed offer re-routed to a2")
    assert invariants.agent(r, P, "a1")["presence"] == "away"
    assert k.rpc("omniq.accept", sid, "a2")[0] == 0
    assert k.rpc("omniq.close", sid, "resolved")[0] == 0
    assert r.hget("%s:s:%s" % (P, sid), "state") == "wrapup"
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "state") == "closed", timeout=5,
             what="wrap-up ended by the sweep")
    assert invariants.agent(r, P, "a2")["load:total"] == "0"
    rc, out = k.rpc("stats.get_statistics", "omniq:")
    assert "omniq:offers_expired = 1" in out and "omniq:wrapups_ended = 1" in out, out
