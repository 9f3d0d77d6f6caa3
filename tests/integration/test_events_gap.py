"""Readers of the event streams that fall behind (issue 18): the omniq dispatcher (and the
phone calls it resumes), stopped with SIGSTOP while sessions are offered, against a real
kamailio and redis-server.

Within events_keep a paused reader misses nothing: it reads on after its last event (and a
fresh reader starts at the stream's end, not at a "$" that skips what comes between two
reads). Past events_keep the stream has trimmed what it did not read: it says so once (a
WARNING naming the tenant, its last event, how many were lost and how far behind it was),
counts it (omniq:events_gaps) and resynchronises from state, so that every offer still
reaches its phone."""
import contextlib
import os
import re
import signal
import time

from harness import test, wait_for
from sipcall import Phone, call, caller_xml
from test_sip import agent as sip_agent, sip_kam, stat as sip_stat

GAP = re.compile(r"WARNING: .*: (the omniq dispatcher|omniq_ws process \d+) fell behind the "
                 r"event stream of tenant (\w+): (\d+) events after (\d+-\d+) \(written "
                 r"(\d+)\.\d s ago\) were trimmed before it read them \(events_keep is "
                 r"shorter than that\): resynchronising from state$")


@contextlib.contextmanager
def stopped(pid):
    """The process stopped (SIGSTOP) for the block, and continued whatever happens."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def events_keep(r, seconds, tenant="default"):
    assert r.execute_command("FCALL", "oq_config", 1, "oq:{%s}" % tenant, "events_keep",
                             seconds) == "OK"


def added(r, tenant="default"):
    """The stream's entries-added: the number of the last event written."""
    return r.xinfo_stream("oq:{%s}:events" % tenant)["entries-added"]


def trimmed(k, r, upto, sweep=False):
    """Until every event up to id `upto` has left the stream (the dispatcher's sweep trims it
    every 200 ms; with sweep, omniq.sweep does, for a test whose dispatcher is stopped)."""
    def gone():
        if sweep:
            assert k.rpc_struct("omniq.sweep") is not None
        return not r.xrange("oq:{default}:events", "-", upto, count=1)
    wait_for(gone, timeout=40, step=0.5, what="the events up to %s trimmed" % upto)


def gaps(k):
    return [GAP.search(l).groups() for l in k.text().splitlines() if GAP.search(l)]


def no_offer_lapsed(k, r, tenant="default"):
    """Nobody missed an offer: no lapse counted, no agent set away."""
    st = r.hgetall("oq:{%s}:stat" % tenant)
    assert int(st.get("missed", 0)) == 0, st
    assert k.stat("omniq:offers_expired") == 0
    for a in r.smembers("oq:{%s}:agents" % tenant):
        assert r.hget("oq:{%s}:a:%s" % (tenant, a), "r").split("|")[0] == "available", a


def rpc(k, *args):
    rc, out = k.rpc(*args)
    assert rc == 0 and not out.startswith("error"), (args, out)
    return out


def calls_waiting(ctx, k, r, n):
    """n callers queued in sales (background sipp), their INVITEs suspended."""
    sc = caller_xml(ctx.dir, "waits", queued="must")
    ps = [call(ctx, k, "sales", sc, caller="1380000000%d" % i, background=True)
          for i in range(n)]
    wait_for(lambda: sip_stat(k, "queued") == n, what="%d calls suspended" % n)
    return ps


def answered(k, r, ps, phones):
    for p in ps:
        assert p.wait(40) == 0, "a caller was not answered (see caller_*_err.log)"
    for ph in phones:
        assert ph.wait() == 0
    assert sip_stat(k, "answered") == len(ps)
    for sid in range(1, len(ps) + 1):
        wait_for(lambda: r.hget("oq:{default}:s:%d" % sid, "state") == "closed",
                 what="session %d closed" % sid)


@test
def test_events_dispatcher_paused_within_events_keep_rings_every_call(ctx):
    """The dispatcher stopped 3 s before it read any event, while two queued calls are
    offered to alice and bob: when it continues both phones ring and answer. (Before: it read
    from "$" again after its read timed out, and skipped every offer made meanwhile.)"""
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    for aid in ("alice", "bob"):
        rpc(k, "omniq.agent_set", aid, aid.title(), "sales:5", "voice=1,chat=4,email=0,total=5")
    phones = [Phone(ctx, k, aid, "agent_answer.xml") for aid in ("alice", "bob")]
    pid = k.pids("omniq dispatcher")[0]
    with stopped(pid):
        time.sleep(0.5)      # its read under way (at most sweep_interval) has ended
        ps = calls_waiting(ctx, k, r, 2)
        for aid in ("alice", "bob"):
            sip_agent(k, aid)
        assert len(r.xrange("oq:{default}:events", count=100)) >= 6
        time.sleep(3)
    answered(k, r, ps, phones)
    assert gaps(k) == [] and k.stat("omniq:events_gaps") == 0
    no_offer_lapsed(k, r)


@test
def test_events_dispatcher_paused_past_events_keep_resyncs_the_calls(ctx):
    """The dispatcher stopped past events_keep (10 s) while two queued calls are offered to
    alice and bob, the stream trimmed meanwhile (omniq.sweep): when it continues, one
    WARNING with every event it lost, omniq:events_gaps 1, and each waiting call re-reads its
    session and rings its agent: both answered, no offer lapsed."""
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    events_keep(r, 10)
    for aid in ("alice", "bob"):
        sip_agent(k, aid, state="away")
    phones = [Phone(ctx, k, aid, "agent_answer.xml") for aid in ("alice", "bob")]
    wait_for(lambda: k.stat("omniq:events") == added(r), what="the dispatcher read every event")
    before = added(r)
    pid = k.pids("omniq dispatcher")[0]
    with stopped(pid):
        time.sleep(0.5)
        ps = calls_waiting(ctx, k, r, 2)
        for aid in ("alice", "bob"):
            sip_agent(k, aid)
        offers = [f for _, f in r.xrange("oq:{default}:events") if f["type"] == "offer"]
        assert sorted(f["agent"] for f in offers) == ["alice", "bob"], offers
        last = r.xrevrange("oq:{default}:events", count=1)[0][0]
        trimmed(k, r, last, sweep=True)
        after = added(r)
    answered(k, r, ps, phones)
    wait_for(lambda: k.stat("omniq:events_gaps") == 1, what="the gap counted")
    g = gaps(k)
    assert len(g) == 1, g
    who, tenant, lost, last_read, secs = g[0]
    assert (who, tenant, int(lost)) == ("the omniq dispatcher", "default", after - before), g
    assert int(secs) >= 10, g
    no_offer_lapsed(k, r)
    assert "offered to alice while events were lost" in k.text()
