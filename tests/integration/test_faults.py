"""Failure paths on purpose (docs/testing.md, "Fault injection"): a function library that
answers nonsense, allocations that fail (tests/modules/omniq_faults), Redis gone under a
call, and what the sanitizer build found. Each case shows a clear error - a log line saying
what and why, and the documented RPC fault, SIP code or HTTP status - with no crash, no hang
and nothing written after the bad answer."""
import os
import signal
import time

import harness
from harness import test, wait_for
from sipcall import call, caller_xml
from test_app import App
from test_sip import stat
from test_ws import chat_kam

P = "oq:{default}"


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
