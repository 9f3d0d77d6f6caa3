"""Readers of the event streams that fall behind (issue 18): the omniq dispatcher (and the
phone calls it resumes) and an omniq_ws process (agent desks, web chats, app sockets),
stopped with SIGSTOP while sessions are offered and messages written, against a real
kamailio and redis-server.

Within events_keep a paused reader misses nothing: it reads on after its last event (and a
fresh reader starts at the stream's end, not at a "$" that skips what comes between two
reads). Past events_keep the stream has trimmed what it did not read: it says so once (a
WARNING naming the tenant, its last event, how many were lost and how far behind it was),
counts it (omniq:events_gaps) and resynchronises from state, so that every offer still
reaches its desk or phone, every message its customer, once."""
import contextlib
import os
import re
import signal
import time

import websocket

from harness import test, wait_for
from sipcall import Phone, call, caller_xml
from test_app import App
from test_desk import Desk, agent as desk_agent, desk
from test_sip import agent as sip_agent, sip_kam, stat as sip_stat
from test_tenants import ACME, setup_agent
from test_ws import Api, Chat, chat_kam

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


def frames(sock, until, timeout=20, quiet=1.0):
    """Every frame a socket gets until one satisfies until(frame), then for `quiet` seconds
    more (to show that nothing comes twice)."""
    got, end = [], time.time() + timeout
    while time.time() < end:
        sock.ws.settimeout(max(0.1, end - time.time()))
        try:
            got.append(sock.recv())
        except (OSError, websocket.WebSocketTimeoutException):
            break
        if until(got[-1]):
            break
    if not got or not until(got[-1]):
        raise AssertionError("never came; got %r" % got)
    end = time.time() + quiet
    while time.time() < end:
        sock.ws.settimeout(max(0.05, end - time.time()))
        try:
            got.append(sock.recv(timeout=quiet))
        except Exception:
            break
    sock.ws.settimeout(10)
    return got


def texts(got, dirs=("out",)):
    """The message texts among frames (a chat's or an app's message and missed frames)."""
    out = []
    for m in got:
        if m["type"] == "message" and m["dir"] in dirs:
            out.append(m["text"])
        elif m["type"] == "missed":
            out += [e["text"] for e in m["messages"] if e["dir"] in dirs]
    return out


def rpc(k, *args):
    rc, out = k.rpc(*args)
    assert rc == 0 and not out.startswith("error"), (args, out)
    return out


def ws_node(ctx):
    """kamailio with one omniq_ws process (so that every socket of the test is on the one
    stopped) and offers that wait 60 s; that process's pid."""
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1", "OMNIQ_OFFER_TIMEOUT": "60"})
    pids = k.pids("omniq_ws")
    assert len(pids) == 1, pids
    return rs, k, api, port, pids[0]


def chatting(port, alice, text):
    """A web chat customer whose session alice (a desk) has accepted: (chat, sid)."""
    c = Chat(port)
    c.send({"type": "hello"})
    c.recv("welcome")
    c.send({"type": "message", "text": text, "cid": "c-" + text})
    sid = c.recv("session")["session"]
    assert alice.request(type="accept", sid=sid)["type"] == "ok"
    frames(c, lambda m: m["type"] == "state" and m["state"] == "active", quiet=0)
    return c, sid


@test
def test_events_ws_paused_within_events_keep_misses_nothing(ctx):
    """The omniq_ws process stopped 3 s (events_keep 300): alice's new offer, carol's first
    one (tenant acme, whose stream had no event before) and alice's reply to a chat reach
    their desks and customer when it continues, once. (Before: acme's stream was read from
    "$" until its first event came, so an acme offer written between two reads was lost.)"""
    rs, k, api, port, pid = ws_node(ctx)
    r = rs.client()
    acme = Api(port, key=ACME)
    desk_agent(k, "alice")
    setup_agent(acme, "carol", "billing:5", "carol's long password")
    alice = desk(port, api, "alice")
    st, tok = api.call("POST", "/api/v1/desk/login", {"agent": "carol", "password":
                       "carol's long password", "tenant": "acme"}, key="")
    assert st == 200, tok
    carol = Desk(port, tok["token"])
    assert alice.request(type="state", state="available")["type"] == "ok"
    c, s1 = chatting(port, alice, "where is my order")
    assert not r.exists("oq:{acme}:events")
    with stopped(pid):
        rpc(k, "omniq.reply", s1, "alice", "it ships today")
        s2 = k.rpc_struct("omniq.enqueue", "web", "web:second", "sales", 0)
        assert s2["state"] == "offered" and s2["agent"] == "alice", s2
        assert r.execute_command("FCALL", "oq_agent_state", 1, "oq:{acme}", "carol",
                                 "available")[1] == "available"
        a1 = r.execute_command("FCALL", "oq_enqueue", 1, "oq:{acme}", "web", "chat",
                               "web:acme-visitor", "billing", 0, "acme-q", "")
        assert a1[1] == "offered" and a1[2] == "carol", a1
        time.sleep(3)
    got = frames(c, lambda m: m["type"] == "message")
    assert texts(got) == ["it ships today"], got
    alice.inbox(lambda ib: sorted(s["sid"] for s in ib) == sorted([s1, s2["sid"]]))
    carol.inbox(lambda ib: [(s["sid"], s["state"]) for s in ib] == [(a1[0], "offered")])
    assert gaps(k) == [] and k.stat("omniq:events_gaps") == 0
    no_offer_lapsed(k, r)
    no_offer_lapsed(k, r, "acme")


@test
def test_events_ws_paused_past_events_keep_resyncs_from_state(ctx):
    """The omniq_ws process stopped past events_keep (10 s) while alice is offered a session
    and her web chat and app customers get replies: the stream trims what it did not read.
    When it continues: one WARNING, omniq:events_gaps 1, alice's desk an inbox marked resync
    with the new offer, each customer every reply once (the transcript after the last one
    it had) and its session's state; nothing lapsed, and live events flow again."""
    rs, k, api, port, pid = ws_node(ctx)
    r = rs.client()
    events_keep(r, 10)
    desk_agent(k, "alice")
    alice = desk(port, api, "alice")
    assert alice.request(type="state", state="available")["type"] == "ok"
    c, s1 = chatting(port, alice, "hello from the web")
    rpc(k, "omniq.reply", s1, "alice", "before")
    assert texts(frames(c, lambda m: m["type"] == "message", quiet=0)) == ["before"]
    app = App(port)
    app.hello(user="u42")
    s2 = app.start("hello from the app", "a1")
    assert alice.request(type="accept", sid=s2)["type"] == "ok"
    rpc(k, "omniq.reply", s2, "alice", "before app")
    assert texts(frames(app, lambda m: m["type"] == "message", quiet=0)) == ["before app"]
    before = added(r)
    with stopped(pid):
        rpc(k, "omniq.reply", s1, "alice", "during 1")
        rpc(k, "omniq.reply", s1, "alice", "during 2")
        rpc(k, "omniq.reply", s2, "alice", "during app")
        s3 = k.rpc_struct("omniq.enqueue", "web", "web:third", "sales", 0)
        assert s3["state"] == "offered" and s3["agent"] == "alice", s3
        last = r.xrevrange("oq:{default}:events", count=1)[0][0]
        trimmed(k, r, last)
        after = added(r)
    got = frames(c, lambda m: m["type"] == "state" and m.get("event") == "resync")
    assert texts(got) == ["during 1", "during 2"], got
    assert got[-1]["state"] == "active" and got[-1]["agent"] == "alice", got[-1]
    got = frames(app, lambda m: m["type"] == "state" and m.get("event") == "resync")
    assert texts(got) == ["during app"], got
    assert got[-1]["session"] == s2 and got[-1]["state"] == "active", got[-1]
    m = alice.recv("inbox", where=lambda m: s3["sid"] in [s["sid"] for s in m["inbox"]])
    assert m.get("resync") is True, m      # the desk page reads its open transcript again
    assert sorted(s["sid"] for s in m["inbox"]) == sorted([s1, s2, s3["sid"]]), m
    wait_for(lambda: k.stat("omniq:events_gaps") == 1, what="the gap counted")
    g = gaps(k)
    assert len(g) == 1, g
    who, tenant, lost, _, secs = g[0]
    assert who == "omniq_ws process 0" and tenant == "default", g
    # the read that was under way when it stopped may have brought the first reply
    assert after - before - 1 <= int(lost) <= after - before, (g, before, after)
    assert int(secs) >= 10, g
    no_offer_lapsed(k, r)
    # and it reads on: live events again, once
    rpc(k, "omniq.reply", s1, "alice", "after")
    assert texts(frames(c, lambda m: m["type"] == "message")) == ["after"]


def redis_ports_of(pid, redis_port):
    """The local ports of process pid's TCP connections to redis_port (its threads' too)."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = set()
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            p = line.split()
            if p[9] in inodes and int(p[2].split(":")[1], 16) == redis_port:
                ports.add(int(p[1].split(":")[1], 16))
    return ports


def stopped_in_its_read(rs, pid):
    """pid stopped while its event reader's XREAD waits in Redis (blocked: the next event
    is written to it at once); that connection's CLIENT LIST entry."""
    r = rs.client()
    for _ in range(50):
        os.kill(pid, signal.SIGSTOP)
        ports = redis_ports_of(pid, rs.port)
        for c in r.client_list():
            if c["cmd"] == "xread" and int(c["addr"].rsplit(":", 1)[1]) in ports \
                    and "b" in c["flags"]:
                return c
        os.kill(pid, signal.SIGCONT)
        time.sleep(0.1)
    raise AssertionError("the event reader was never seen waiting in its XREAD")


def not_waiting_in_redis(rs, pid):
    """Until no connection of the (stopped) process pid waits in a blocking read: the
    dispatcher's XREAD, whose block is at most sweep_interval, has timed out."""
    r = rs.client()

    def done():
        ports = redis_ports_of(pid, rs.port)
        return ports and not any("b" in c["flags"] for c in r.client_list()
                                 if int(c["addr"].rsplit(":", 1)[1]) in ports)
    wait_for(done, what="the stopped dispatcher's read to time out")


@test
def test_events_ws_message_whose_body_was_not_read_still_reaches_the_customer(ctx):
    """A long reply (its body not in its event) read by the omniq_ws event reader just as
    Redis drops the reader's connection: the reader got the event, not the body (the read
    of the transcript entry failed), and reconnects after it. The chat gets the reply from
    the transcript all the same, once, and the desk an inbox marked resync (its page reads
    the transcript again). (Before: an event without its body went to no socket, and the
    reader read on after it: the customer never saw that reply.)"""
    rs, k, api, port, pid = ws_node(ctx)
    r = rs.client()
    desk_agent(k, "alice")
    alice = desk(port, api, "alice")
    assert alice.request(type="state", state="available")["type"] == "ok"
    c, s1 = chatting(port, alice, "tell me everything")
    long_text = "All of it: " + "x" * 600          # over 512 bytes: not carried by its event
    client = stopped_in_its_read(rs, pid)
    try:
        rpc(k, "omniq.reply", s1, "alice", long_text)
        # the waiting XREAD is answered (into the stopped process's socket), then the
        # connection dropped under it
        wait_for(lambda: "b" not in [x for x in r.client_list() if x["id"] == client["id"]][0]
                 ["flags"], what="the reader's XREAD answered")
        assert r.client_kill_filter(_id=client["id"]) == 1
    finally:
        os.kill(pid, signal.SIGCONT)
    got = frames(c, lambda m: m["type"] == "message")
    assert texts(got) == [long_text], got
    m = alice.recv("inbox", where=lambda m: m.get("resync") is True)
    assert [s["sid"] for s in m["inbox"]] == [s1], m
    assert "event reader lost Redis while reading 1 messages" in k.text()
    # and it reads on after it
    rpc(k, "omniq.reply", s1, "alice", "short one")
    assert texts(frames(c, lambda m: m["type"] == "message")) == ["short one"]
    assert gaps(k) == []


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
        not_waiting_in_redis(rs, pid)    # no read of it under way takes what comes now
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
        not_waiting_in_redis(rs, pid)    # it lost every event written from now on
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
