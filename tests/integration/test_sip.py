"""The phone channel (omniq_sip): sipp callers and sipp agent phones against a real kamailio
(tm, registrar, dialog) and a real redis-server."""
import os
import re
import signal
import time

from harness import alone, test, wait_for
from sipcall import Phone, SIPP as SIPP_DIR, call, caller_xml, dmq_pair

P = "oq:{default}"


def sip_kam(ctx, rs, **defines):
    d = {k: str(v) for k, v in defines.items()}
    return ctx.kamailio("sip.cfg", rs.port, defines=d)


def agent(k, aid, skills="sales:5", caps="voice=1,chat=4,email=0,total=5", state="available"):
    rc, out = k.rpc("omniq.agent_set", aid, aid.title(), skills, caps)
    assert rc == 0 and "error" not in out, out
    rc, out = k.rpc("omniq.agent_state", aid, state)
    assert rc == 0 and "error" not in out, out


def sessions(r):
    """Every phone session: list of dicts, in creation order."""
    out = []
    n = int(r.get(P + ":seq:s") or 0)
    for i in range(1, n + 1):
        h = r.hgetall("%s:s:%d" % (P, i))
        if h:
            h["sid"] = str(i)
            out.append(h)
    return out


def events(r, sid=None, typ=None):
    evs = [f for _, f in r.xrange(P + ":events")]
    return [e for e in evs if (sid is None or e.get("sid") == sid)
            and (typ is None or e.get("type") == typ)]


def slow_phone(ctx, k, aid, ms):
    """aid's phone, answering ms after it rings (agent_answer.xml answers after 200 ms)."""
    slow = os.path.join(ctx.dir, "answer_after_%d.xml" % ms)
    with open(os.path.join(SIPP_DIR, "agent_answer.xml")) as f:
        xml = f.read()
    assert '<pause milliseconds="200"/>' in xml
    with open(slow, "w") as f:
        f.write(xml.replace('<pause milliseconds="200"/>', '<pause milliseconds="%d"/>' % ms))
    return Phone(ctx, k, aid, slow)


def stat(k, name):
    return k.stat("omniq_sip:" + name)


@test
def test_sip_answered_at_once(ctx):
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")
    sc = caller_xml(ctx.dir, "direct", queued="never")
    assert call(ctx, k, "sales", sc) == 0, "caller scenario failed (see caller_*_err.log)"
    assert phone.wait() == 0, "agent phone scenario failed"
    s = sessions(r)
    assert len(s) == 1, s
    assert s[0]["channel"] == "phone" and s[0]["agent"] == "alice", s[0]
    wait_for(lambda: r.hget(P + ":s:1", "state") == "closed", what="session closed after BYE")
    c = k.rpc_struct("omniq.customer", "phone:+8613800000001")
    assert c.get("last_agent") == "alice", c
    types = [e["type"] for e in events(r, "1")]
    assert types[:3] == ["enqueue", "offer", "accept"], types
    assert stat(k, "answered") == 1 and stat(k, "queued") == 0 and stat(k, "ended") == 1


@test
def test_sip_bye_without_route_ends_the_call(ctx):
    """A caller whose UA ignores Record-Route (simple UAs, sipp's own scenarios) sends its ACK
    and BYE without a Route header: the dialog is found by Call-ID and tags, the ACK reaches
    the agent, the BYE ends the call (200) and its session, and the agent is free at once
    (before: 404 Not Here, the session active until the dialog's timeout)."""
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")
    sc = caller_xml(ctx.dir, "noroute", queued="never", routes=False)
    assert call(ctx, k, "sales", sc) == 0, "caller scenario failed (BYE without Route: 200 expected)"
    assert phone.wait() == 0, "agent phone scenario failed (ACK and BYE expected)"
    wait_for(lambda: r.hget(P + ":s:1", "state") == "closed", what="session closed after BYE")
    assert r.hget(P + ":s:1", "agent") == "alice"
    assert k.rpc_struct("omniq.agent", "alice").get("load:voice") == "0"
    assert stat(k, "ended") == 1


def waiting(k, queue):
    """Sessions waiting in a queue, from omniq.queue."""
    rc, out = k.rpc("omniq.queue", queue)
    assert rc == 0 and not out.startswith("error"), out
    return out.count("position:")


@test
def test_sip_queued_then_answered(ctx):
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice", state="away")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")
    sc = caller_xml(ctx.dir, "queued", queued="must")
    p = call(ctx, k, "sales", sc, background=True)
    wait_for(lambda: r.hget(P + ":s:1", "state") == "queued", what="call queued")
    wait_for(lambda: stat(k, "queued") == 1, what="transaction suspended")
    assert waiting(k, "sales") == 1
    agent(k, "alice", state="available")  # freed capacity pulls the call: t_continue
    assert p.wait(30) == 0, "caller scenario failed (182, then 200 expected)"
    assert phone.wait() == 0
    wait_for(lambda: r.hget(P + ":s:1", "state") == "closed", what="session closed")
    assert r.hget(P + ":s:1", "agent") == "alice"
    # the caller really waited: the call was offered only once alice was available
    evs = [(e["type"], e.get("state"), e.get("sid")) for e in events(r)]
    assert evs.index(("offer", "offered", "1")) > evs.index(("presence", "available", "")), evs
    assert waiting(k, "sales") == 0
    assert stat(k, "answered") == 1


@test
def test_sip_caller_cancels_while_queued(ctx):
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    sc = caller_xml(ctx.dir, "cancel", queued="must", cancel_after_ms=800)
    assert call(ctx, k, "sales", sc) == 0, "caller scenario failed (182, CANCEL, 487)"
    assert r.hget(P + ":s:1", "state") == "abandoned"
    assert waiting(k, "sales") == 0
    assert stat(k, "abandoned") == 1
    assert k.rpc_struct("omniq.stats").get("abandoned") == "1"
    # an agent arriving later gets nothing: the queue really is empty (an available agent
    # pulls what waits for her within the state change: an offer would be there now)
    agent(k, "alice")
    assert not events(r, "1", "offer")


@test
def test_sip_agent_busy_then_second_answers(ctx):
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "bob", skills="sales:9")     # best skilled: rung first
    agent(k, "alice", skills="sales:5")
    busy = Phone(ctx, k, "bob", "agent_reject.xml")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")
    sc = caller_xml(ctx.dir, "busy", queued="may")
    assert call(ctx, k, "sales", sc) == 0
    assert busy.wait() == 0 and phone.wait() == 0
    offers = [e["agent"] for e in events(r, "1", "offer")]
    assert offers == ["bob", "alice"], offers
    assert k.rpc_struct("omniq.agent", "bob").get("presence") == "away"
    wait_for(lambda: r.hget(P + ":s:1", "state") == "closed", what="session closed")
    assert r.hget(P + ":s:1", "agent") == "alice"
    assert stat(k, "agent_failed") == 1


@test
def test_sip_agent_no_answer_times_out(ctx):
    rs = ctx.redis()
    k = sip_kam(ctx, rs, OMNIQ_RING_MS=1500)
    r = rs.client()
    agent(k, "bob", skills="sales:9")
    agent(k, "alice", skills="sales:5")
    ring = Phone(ctx, k, "bob", "agent_noanswer.xml")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")
    sc = caller_xml(ctx.dir, "noanswer", queued="may")
    t0 = time.time()
    assert call(ctx, k, "sales", sc) == 0
    assert time.time() - t0 >= 1.4, "bob's phone was not given its ring time"
    assert ring.wait() == 0 and phone.wait() == 0
    assert [e["agent"] for e in events(r, "1", "offer")] == ["bob", "alice"]
    assert k.rpc_struct("omniq.agent", "bob").get("presence") == "away"
    wait_for(lambda: r.hget(P + ":s:1", "state") == "closed", what="session closed")


@test
def test_sip_unregistered_agent_is_skipped_and_not_set_away(ctx):
    """An agent whose phone is registered nowhere: the call that finds no contact for her
    goes on to the next agent at once, and she is kept out of calls (phone 0) - not set
    away: she keeps her chats - until her phone registers, which brings calls back."""
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "ghost", skills="sales:9")   # logged in, phone not registered
    agent(k, "alice", skills="sales:5")
    phone = Phone(ctx, k, "alice", "agent_answer.xml", calls=2)
    sc = caller_xml(ctx.dir, "ghost", queued="may")
    assert call(ctx, k, "sales", sc) == 0
    assert [e["agent"] for e in events(r, "1", "offer")] == ["ghost", "alice"]
    g = k.rpc_struct("omniq.agent", "ghost")
    assert g.get("presence") == "available" and g.get("phone") == "0", g
    wait_for(lambda: r.hget(P + ":s:1", "state") == "closed", what="the first call closed")
    # the next call (another caller: no last agent to go back to) is not offered to her
    assert call(ctx, k, "sales", sc, caller="13800000002") == 0
    assert phone.wait() == 0
    assert [e["agent"] for e in events(r, "2", "offer")] == ["alice"]
    # a chat still is
    rc, out = k.rpc("omniq.enqueue", "web", "web:ghost-chat", "sales", 0)
    assert rc == 0 and "ghost" in out, out
    # her phone registers (usrloc's new contact): calls come back; she is the best
    ring = Phone(ctx, k, "ghost", "agent_answer.xml")
    wait_for(lambda: k.rpc_struct("omniq.agent", "ghost").get("phone") == "1",
             what="ghost's phone told to omniq")
    assert call(ctx, k, "sales", sc, caller="13800000003") == 0
    assert ring.wait() == 0
    assert [e["agent"] for e in events(r, "4", "offer")] == ["ghost"]   # 3 is the chat
    assert stat(k, "agent_failed") == 1, (stat(k, "agent_failed"), k.tail())


@test
def test_sip_max_wait_overflow(ctx):
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    # "short": nobody has its skill, max_wait 2 s, overflow = 480 All Agents Busy
    sc = caller_xml(ctx.dir, "overflow_reply", queued="must", final=480)
    t0 = time.time()
    assert call(ctx, k, "short", sc) == 0, "caller expected 182 then 480"
    assert 1.8 <= time.time() - t0 < 10
    assert r.hget(P + ":s:1", "state") == "expired"
    assert waiting(k, "short") == 0
    # "hop": after 2 s the call moves to queue "sales", where alice answers
    agent(k, "alice")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")
    sc = caller_xml(ctx.dir, "overflow_queue", queued="must")
    assert call(ctx, k, "hop", sc, caller="13800000002") == 0
    assert phone.wait() == 0
    assert r.hget(P + ":s:2", "state") == "expired" and r.hget(P + ":s:2", "queue") == "hop"
    wait_for(lambda: r.hget(P + ":s:3", "state") == "closed", what="overflowed call closed")
    assert r.hget(P + ":s:3", "queue") == "sales" and r.hget(P + ":s:3", "agent") == "alice"
    assert stat(k, "overflowed") == 2


@test
def test_sip_two_calls_one_agent_capacity_one(ctx):
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice", caps="voice=1,chat=4,email=0,total=5")
    phone = Phone(ctx, k, "alice", "agent_answer.xml", calls=2)
    first = caller_xml(ctx.dir, "first", queued="never", hold_ms=2000)
    second = caller_xml(ctx.dir, "second", queued="must", hold_ms=200)
    p1 = call(ctx, k, "sales", first, background=True)
    wait_for(lambda: r.hget(P + ":s:1", "state") == "active", what="first call answered")
    p2 = call(ctx, k, "sales", second, caller="13800000002", background=True)
    wait_for(lambda: r.hget(P + ":s:2", "state") == "queued", what="second call waits")
    # in a call, alice still takes a chat: voice capacity is full, chat is not
    s = k.rpc_struct("omniq.enqueue", "web", "web:visitor-9", "sales", 0)
    assert s["state"] == "offered" and s["agent"] == "alice", s
    assert p1.wait(30) == 0 and p2.wait(30) == 0 and phone.wait() == 0
    # the second call was offered only after the first one ended
    evs = [(e["type"], e.get("sid")) for e in events(r)]
    assert evs.index(("offer", "2")) > evs.index(("close", "1")), evs
    wait_for(lambda: r.hget(P + ":s:2", "state") == "closed", what="second call closed")


@test
def test_sip_dialog_timeout_frees_the_agent(ctx):
    # the caller vanishes without BYE: the dialog timeout closes the session
    rs = ctx.redis()
    k = sip_kam(ctx, rs, OMNIQ_DLG_TIMEOUT=2)
    r = rs.client()
    agent(k, "alice")
    Phone(ctx, k, "alice", "agent_answer.xml", timeout=5)
    sc = caller_xml(ctx.dir, "nobye", queued="never", bye=False, hold_ms=0)
    assert call(ctx, k, "sales", sc) == 0
    assert r.hget(P + ":s:1", "state") == "active"
    wait_for(lambda: r.hget(P + ":s:1", "state") == "closed", timeout=15,
             what="session closed by the dialog timeout")
    assert k.rpc_struct("omniq.agent", "alice").get("load:voice") == "0"


@test
def test_sip_hostile_input_writes_nothing(ctx):
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    before = sorted(r.keys("*"))
    cases = [
        ("long_caller", "sales", 400, "1" * 300, ""),
        ("unknown_queue", "nosuch", 404, "[caller]", ""),
        ("huge_header", "sales", 513, "[caller]", "X-Junk: " + "a" * 12000),
    ]
    for name, queue, code, user, hdr in cases:
        sc = caller_xml(ctx.dir, name, queued="never", final=code, from_user=user,
                        extra_header=hdr)
        assert call(ctx, k, queue, sc) == 0, "%s: expected %d" % (name, code)
    assert sorted(r.keys("*")) == before, "refused calls wrote to Redis"
    assert stat(k, "refused") == len(cases)
    assert stat(k, "calls") == 0


@test
def test_sip_callers_who_are_no_phone_numbers_are_queued(ctx):
    """A caller known by a SIP URI (sip:alice@..., a PBX extension 1001, a number too short
    to be one) is queued as that URI, one customer per URI; a withheld caller (anonymous)
    is a new customer each call. Before: 400 Bad Caller Number and 433 Anonymity
    Disallowed."""
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    for user in ("alice", "1001", "12", "alice", "anonymous", "anonymous"):
        sc = caller_xml(ctx.dir, "who_" + user, queued="must", cancel_after_ms=300,
                        from_user=user)
        assert call(ctx, k, "sales", sc) == 0, "%s: 182, then CANCEL and 487 expected" % user
    got = [(r.hget(P + ":s:%d" % i, "identity"), r.hget(P + ":s:%d" % i, "customer"))
           for i in range(1, 7)]
    ids = [g[0] for g in got]
    assert ids[:4] == ["sip:alice@127.0.0.1", "sip:1001@127.0.0.1", "sip:12@127.0.0.1",
                       "sip:alice@127.0.0.1"], ids
    assert got[0][1] == got[3][1], "alice twice is one customer: %s" % got
    assert all(i.startswith("sip:anonymous-") and i.endswith("@anonymous.invalid")
               for i in ids[4:]), ids
    assert len({g[1] for g in got}) == 5, "a new customer per anonymous call: %s" % got
    c = k.rpc_struct("omniq.customer", "sip:alice@127.0.0.1")
    assert c.get("id") == got[0][1], c
    assert stat(k, "refused") == 0 and stat(k, "abandoned") == 6


@test
def test_sip_caller_cancels_while_ringing(ctx):
    rs = ctx.redis()
    k = sip_kam(ctx, rs, OMNIQ_RING_MS=5000)
    r = rs.client()
    agent(k, "bob")
    ring = Phone(ctx, k, "bob", "agent_noanswer.xml")
    sc = caller_xml(ctx.dir, "cancel_ringing", queued="never", cancel_after_ms=None, final=487)
    # 180 from bob's phone, then the caller gives up
    with open(sc) as f:
        xml = f.read()
    xml = xml.replace('  <recv response="487"/>', """  <recv response="180"/>
  <pause milliseconds="500"/>
  <send>
    <![CDATA[
      CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: <sip:[caller]@[local_ip]>;tag=[pid]caller[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 CANCEL
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" optional="true"/>
  <recv response="487"/>""")
    xml = xml.replace('  <recv response="180" optional="global"/>\n', "", 2)
    with open(sc, "w") as f:
        f.write(xml)
    assert call(ctx, k, "sales", sc, caller="13800000003") == 0
    assert ring.wait() == 0, "bob's phone did not see the CANCEL"
    assert r.hget(P + ":s:1", "state") == "abandoned"
    a = k.rpc_struct("omniq.agent", "bob")
    assert a.get("presence") == "available" and a.get("load:voice") == "0", a


@test
def test_sip_offer_made_on_another_node_resumes_the_call(ctx):
    # The call waits suspended on node A. The agent becomes available through node B's RPC:
    # the assignment is made there, node A's dispatcher sees the offer and resumes the call.
    rs = ctx.redis()
    a = sip_kam(ctx, rs)
    b = ctx.kamailio("sip.cfg", rs.port, name="kamb")
    r = rs.client()
    agent(a, "alice", state="away")
    phone = Phone(ctx, a, "alice", "agent_answer.xml")
    sc = caller_xml(ctx.dir, "two_nodes", queued="must")
    p = call(ctx, a, "sales", sc, background=True)
    wait_for(lambda: r.hget(P + ":s:1", "state") == "queued", what="call queued on node A")
    rc, out = b.rpc("omniq.agent_state", "alice", "available")
    assert rc == 0 and "error" not in out, out
    assert p.wait(30) == 0 and phone.wait() == 0
    wait_for(lambda: r.hget(P + ":s:1", "state") == "closed", what="session closed")
    assert stat(a, "answered") == 1 and stat(b, "answered") == 0


@test
def test_sip_call_ended_while_redis_is_down_frees_the_agent_when_it_is_back(ctx):
    """A BYE that comes while Redis is down cannot close the session: the end is kept and
    made again each second, so once Redis answers the session closes and the agent is free
    (before: `close: Redis unavailable`, the session active and the agent held for good)."""
    rs = ctx.redis()
    ctx.expect_redis_down(rs)
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")
    sc = caller_xml(ctx.dir, "bye_in_outage", queued="never", hold_ms=2500)
    p = call(ctx, k, "sales", sc, background=True)
    wait_for(lambda: r.hget(P + ":s:1", "state") == "active", what="the call answered")
    rs.stop()
    assert p.wait(30) == 0, "the BYE was not answered"       # relayed: the phones hang up
    assert phone.wait() == 0
    wait_for(lambda: "call 1: its end found Redis unavailable: made again when Redis answers"
             in k.text(), what="the end kept for Redis")
    rs.start()
    r = rs.client()
    wait_for(lambda: r.hget(P + ":s:1", "state") in ("wrapup", "closed"), timeout=10,
             what="the session closed once Redis is back")
    assert k.rpc_struct("omniq.agent", "alice").get("load:voice") == "0"
    assert "call 1: its end reached Redis, the session is closed" in k.text()
    assert stat(k, "ended") == 1


@test
def test_sip_call_answered_while_redis_is_down_is_accepted_when_it_is_back(ctx):
    """The agent answers while Redis is down, and the call ends before it is back: the accept
    and then the close are kept, in that order, and made once Redis answers - the session is
    the agent's and closed, the agent free and not counted a miss."""
    rs = ctx.redis()
    ctx.expect_redis_down(rs)
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    phone = slow_phone(ctx, k, "alice", 2500)
    p = call(ctx, k, "sales", caller_xml(ctx.dir, "answer_in_outage", queued="never"),
             background=True)
    wait_for(lambda: r.hget(P + ":s:1", "state") == "offered", what="alice's phone ringing")
    rs.stop()
    assert p.wait(30) == 0 and phone.wait() == 0
    wait_for(lambda: "call 1: its end waits behind its answer kept for Redis" in k.text(),
             what="the end kept, behind the answer")
    assert "call 1: its answer found Redis unavailable" in k.text()
    rs.start()
    r = rs.client()
    wait_for(lambda: r.hget(P + ":s:1", "state") in ("wrapup", "closed"), timeout=10,
             what="the session accepted, then closed, once Redis is back")
    assert r.hget(P + ":s:1", "agent") == "alice"
    a = k.rpc_struct("omniq.agent", "alice")
    assert a.get("load:voice") == "0" and a.get("presence") == "available", a
    assert [e["type"] for e in events(r, "1")][:4] == ["enqueue", "offer", "accept", "close"]


@test
def test_sip_call_ended_after_redis_is_back_waits_for_its_kept_answer(ctx):
    """The agent answers while Redis is down (the accept is kept), Redis comes back, and the
    BYE comes before the kept accept is made again: the close waits behind it, so Redis
    takes accept then close - the session closed, the agent's. (Before: the BYE's close
    reached Redis first, on a session still offered, which abandoned it; the accept made
    after it was refused: an answered call counted as abandoned, as the faults drill found.)
    The process that makes kept steps again is stopped meanwhile, so the BYE surely comes
    first."""
    rs = ctx.redis()
    ctx.expect_redis_down(rs)
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    phone = slow_phone(ctx, k, "alice", 2000)
    p = call(ctx, k, "sales", caller_xml(ctx.dir, "bye_before_retry", queued="never",
                                         hold_ms=2000), background=True)
    wait_for(lambda: r.hget(P + ":s:1", "state") == "offered", what="alice's phone ringing")
    [pending] = k.pids("omniq_sip pending")
    os.kill(pending, signal.SIGSTOP)
    try:
        rs.stop()
        wait_for(lambda: "call 1: its answer found Redis unavailable" in k.text(), timeout=10,
                 what="the answer kept")
        rs.start()
        r = rs.client()
        assert p.wait(30) == 0 and phone.wait() == 0
        wait_for(lambda: "call 1: its end waits behind its answer kept for Redis: made after it"
                 in k.text(), what="the end kept behind the answer")
        assert r.hget(P + ":s:1", "state") == "offered"       # nothing made yet
    finally:
        os.kill(pending, signal.SIGCONT)
    wait_for(lambda: r.hget(P + ":s:1", "state") in ("wrapup", "closed"), timeout=10,
             what="the session accepted, then closed")
    assert r.hget(P + ":s:1", "agent") == "alice"
    assert [e["type"] for e in events(r, "1")][:4] == ["enqueue", "offer", "accept", "close"]
    assert "call 1: its answer reached Redis, the session is active" in k.text()
    assert "call 1: its end reached Redis, the session is closed" in k.text()
    assert k.rpc_struct("omniq.agent", "alice").get("load:voice") == "0"


@test
def test_sip_call_cancelled_while_redis_is_down_leaves_the_queue_when_it_is_back(ctx):
    """A queued caller hangs up while Redis is down: the abandon fails, fails again when the
    transaction ends, and is then kept and made each second: once Redis answers the session
    is abandoned, not left queued for a call that is gone (an agent would get a ghost offer)."""
    rs = ctx.redis()
    ctx.expect_redis_down(rs)
    ctx.expect_log(r"omniq_sip \[call\.c:\d+\]: abandon_session\(\): call 1 cancelled by the "
                   r"caller; abandon failed, tried again when its transaction ends: Redis "
                   r"unavailable \(.*\)$")
    k = sip_kam(ctx, rs)
    r = rs.client()
    sc = caller_xml(ctx.dir, "cancel_in_outage", queued="must", cancel_after_ms=800)
    p = call(ctx, k, "sales", sc, background=True)
    wait_for(lambda: r.hget(P + ":s:1", "state") == "queued", what="the call queued")
    rs.stop()
    assert p.wait(30) == 0, "182, CANCEL: 200 and 487 expected"
    wait_for(lambda: "call 1: its cancel found Redis unavailable: made again when Redis answers"
             in k.text(), timeout=15, what="the abandon kept when the transaction ended")
    rs.start()
    r = rs.client()
    wait_for(lambda: r.hget(P + ":s:1", "state") == "abandoned", timeout=10,
             what="the session abandoned once Redis is back")
    assert waiting(k, "sales") == 0
    assert "call 1: its cancel reached Redis, the session is abandoned" in k.text()


@test
def test_sip_calls_of_a_dead_node_end_when_its_lease_runs_out(ctx):
    """Node A holds a queued call and dies (kill -9): nobody can ever answer that call, so
    when A's lease runs out (3 s here) node B ends the session - abandoned, reason node_lost
    - and no agent is offered it (before: queued for good, every agent that came available
    got a ghost offer and a miss)."""
    rs = ctx.redis()
    a = sip_kam(ctx, rs, OMNIQ_LEASE=3, OMNIQ_NODE='"kama"')
    b = ctx.kamailio("sip.cfg", rs.port, name="kamb",
                     defines={"OMNIQ_LEASE": "3", "OMNIQ_NODE": '"kamb"'})
    r = rs.client()
    p = call(ctx, a, "sales", caller_xml(ctx.dir, "orphan", queued="must", final=487),
             background=True, timeout=15)
    wait_for(lambda: r.hget(P + ":s:1", "state") == "queued", what="the call queued on A")
    assert r.hget(P + ":s:1", "node") == "kama" and r.sismember(P + ":node:kama", "1")
    a.kill9()
    p.kill()
    wait_for(lambda: r.hget(P + ":s:1", "state") == "abandoned", timeout=10,
             what="the dead node's session ended")
    assert r.hget(P + ":s:1", "reason") == "node_lost"
    assert stat(b, "node_lost") == 1
    assert r.zscore(P + ":nodes", "kama") is None and r.zscore(P + ":nodes", "kamb")
    agent(b, "alice")                  # comes available: nothing of A's is offered to her
    assert events(r, "1", "offer") == []


@test
def test_sip_node_started_again_ends_the_calls_it_held_before(ctx):
    """A node that dies and is started again at once, under the same name (the default:
    host and SIP port), ends the sessions of the calls it held before, which died with it,
    before it takes a new call: reason node_restarted."""
    rs = ctx.redis()
    a = sip_kam(ctx, rs, OMNIQ_NODE='"kama"')
    r = rs.client()
    p = call(ctx, a, "sales", caller_xml(ctx.dir, "before", queued="must", final=487),
             background=True, timeout=15)
    wait_for(lambda: r.hget(P + ":s:1", "state") == "queued", what="the call queued")
    a.kill9()
    p.kill()
    a2 = sip_kam(ctx, rs, OMNIQ_NODE='"kama"')
    assert r.hget(P + ":s:1", "state") == "abandoned"
    assert r.hget(P + ":s:1", "reason") == "node_restarted"
    assert "node kama started again: 1 sessions of the calls it held before ended" in a2.text()
    assert stat(a2, "node_lost") == 1


@test
def test_sip_closing_a_live_call_hangs_it_up(ctx):
    """An agent's desk or a supervisor closes the session of a call still up (omniq.close):
    the node that holds the call hangs it up, BYE on both legs through the dialog, so the
    agent - free again in Redis - is not offered a second call while still talking (before:
    the call went on with nobody told)."""
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")       # answers, then gets a BYE
    sc = caller_xml(ctx.dir, "hung_up", queued="never", bye=False, hold_ms=0)
    with open(sc) as f:
        xml = f.read()
    with open(sc, "w") as f:
        f.write(xml.replace("</scenario>", """  <recv request="BYE" timeout="10000"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>"""))
    p = call(ctx, k, "sales", sc, background=True, timeout=20)
    wait_for(lambda: r.hget(P + ":s:1", "state") == "active", what="the call answered")
    # the caller's ACK relayed to the phone (dialog confirmed, state 4) before the close: a
    # BYE that overtook it would be an unexpected message to the phone's scenario
    wait_for(lambda: re.search(r"\bstate: 4\b", k.rpc("dlg.list")[1]), what="the ACK relayed")
    assert r.hget(P + ":s:1", "ext").count("/") == 4, r.hget(P + ":s:1", "ext")
    rc, out = k.rpc("omniq.close", "1", "resolved")
    assert rc == 0 and not out.startswith("error"), out
    assert p.wait(20) == 0, "the caller got no BYE"
    assert phone.wait() == 0, "the agent's phone got no BYE"
    assert r.hget(P + ":s:1", "state") == "closed"
    assert stat(k, "hung_up") == 1 and stat(k, "ended") == 1
    assert k.rpc_struct("omniq.agent", "alice").get("load:voice") == "0"


@test
def test_sip_agent_registered_on_one_node_rings_from_the_other(ctx):
    """Two nodes with shared registrations (dmq_usrloc): alice's phone registers on node A,
    a call arrives at node B, and B rings her phone (before: `no registered phone` on B, and
    every agent set away)."""
    # the test cfg, and the shipped one started with OMNIQ_DMQ_SELF and OMNIQ_DMQ_PEER
    for n, cfg in enumerate(("sip.cfg", "omniq.cfg")):
        rs = ctx.redis()
        a, b = dmq_pair(ctx, rs, cfg, str(n))
        r = rs.client()
        wait_for(lambda: "port: %d\n" % b.sip_port in a.rpc("dmq.list_nodes")[1]
                 and "port: %d\n" % a.sip_port in b.rpc("dmq.list_nodes")[1],
                 what="the two DMQ nodes to know each other (%s)" % cfg)
        agent(a, "alice")
        phone = Phone(ctx, a, "alice", "agent_answer.xml")
        wait_for(lambda: "alice" in b.rpc("ul.dump")[1],
                 what="alice's contact replicated to node B (%s)" % cfg)
        assert call(ctx, b, "sales", caller_xml(ctx.dir, "via_b%d" % n, queued="never")) == 0, cfg
        assert phone.wait() == 0, cfg
        wait_for(lambda: r.hget(P + ":s:1", "state") in ("wrapup", "closed"),
                 what="session ended (%s)" % cfg)
        assert r.hget(P + ":s:1", "agent") == "alice"
        assert stat(b, "answered") == 1 and stat(a, "answered") == 0, cfg
        assert k_presence(b, "alice") == "available"


def k_presence(k, aid):
    return k.rpc_struct("omniq.agent", aid).get("presence")


@test
def test_sip_shipped_cfg_queues_a_call(ctx):
    # cfg/omniq.cfg (what `make run` starts): queue "support" overflows to "sales" after
    # 120 s; here an agent is free at once. The shipped wrap-up time is 30 s.
    rs = ctx.redis()
    k = ctx.kamailio("omniq.cfg", rs.port)
    r = rs.client()
    agent(k, "alice", skills="support:5")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")
    assert call(ctx, k, "support", caller_xml(ctx.dir, "shipped", queued="may")) == 0
    assert phone.wait() == 0
    wait_for(lambda: r.hget(P + ":s:1", "state") == "wrapup", what="wrap-up after BYE")
    assert r.hget(P + ":s:1", "queue") == "support"
    rc, out = k.rpc("stats.get_statistics", "omniq_sip:")
    assert "omniq_sip:answered = 1" in out, out
    # every waiting session ends: chats, app and email after 15 min (calls: their queue's)
    assert r.hget(P + ":cfg", "max_wait") == "900", r.hgetall(P + ":cfg")


@test
def test_sip_caller_from_p_asserted_identity(ctx):
    # a carrier asserts the number (tel: URI, national format) while From is anonymous
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")
    sc = caller_xml(ctx.dir, "pai", queued="never", from_user="anonymous",
                    extra_header="P-Asserted-Identity: <tel:0139-0000-0009>")
    assert call(ctx, k, "sales", sc) == 0
    assert phone.wait() == 0
    c = k.rpc_struct("omniq.customer", "phone:+8613900000009")
    assert c.get("last_agent") == "alice", c
    assert r.hget(P + ":s:1", "channel") == "phone"


@test
def test_sip_rejected_call_waits_for_the_next_agent(ctx):
    # bob rejects and nobody else is free: the call goes back to waiting (suspended again,
    # from tm's failure handling) and alice gets it when she becomes available
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "bob", skills="sales:9")
    agent(k, "alice", skills="sales:5", state="away")
    busy = Phone(ctx, k, "bob", "agent_reject.xml")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")
    sc = caller_xml(ctx.dir, "rewait", queued="may")
    p = call(ctx, k, "sales", sc, background=True)
    assert busy.wait(20) == 0
    wait_for(lambda: r.hget(P + ":s:1", "state") == "queued", what="call back in the queue")
    wait_for(lambda: stat(k, "queued") == 1, what="call suspended again")
    agent(k, "alice", state="available")
    assert p.wait(30) == 0 and phone.wait() == 0
    assert [e["agent"] for e in events(r, "1", "offer")] == ["bob", "alice"]
    wait_for(lambda: r.hget(P + ":s:1", "state") == "closed", what="session closed")


@test
def test_sip_max_wait_overflow_to_voicemail_uri(ctx):
    # the voicemail server first: a sipp UAS (no registration) on the port the overflow URI names
    vm = Phone(ctx, None, "voicemail", "agent_answer.xml", register=False, timeout=30)
    rs = ctx.redis()
    k = sip_kam(ctx, rs, OMNIQ_QUEUE_VM='"vm; skills=nobody; max_wait=1; '
                'overflow=uri:sip:voicemail@127.0.0.1:%d"' % vm.port)
    r = rs.client()
    sc = caller_xml(ctx.dir, "to_voicemail", queued="must")
    assert call(ctx, k, "vm", sc) == 0, "caller expected 182, then the voicemail's 200"
    assert vm.wait() == 0, "voicemail did not get the call"
    assert r.hget(P + ":s:1", "state") == "expired"
    assert stat(k, "overflowed") == 1 and stat(k, "answered") == 0


def invite_final(k, queue, caller="+8613800000099"):
    """An INVITE of our own from a UDP socket to queue: its final response's status line and
    headers (the ACK sent)."""
    import socket
    import uuid
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(10)
    me, tag, cid = s.getsockname()[1], uuid.uuid4().hex[:8], uuid.uuid4().hex
    via = "SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s" % (me, uuid.uuid4().hex[:12])
    head = ("Via: %s\r\nFrom: <sip:%s@127.0.0.1>;tag=%s\r\nTo: <sip:%s@127.0.0.1>\r\n"
            "Call-ID: %s\r\n" % (via, caller, tag, queue, cid))
    s.sendto(("INVITE sip:%s@127.0.0.1:%d SIP/2.0\r\n%sCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
              "Contact: <sip:%s@127.0.0.1:%d>\r\nContent-Length: 0\r\n\r\n"
              % (queue, k.sip_port, head, caller, me)).encode(), ("127.0.0.1", k.sip_port))
    try:
        while True:
            lines = s.recv(65535).decode().split("\r\n")
            code = int(lines[0].split(" ", 2)[1])
            if code >= 200:
                break
        to = [l for l in lines if l.lower().startswith("to:")][0][3:].strip()
        s.sendto(("ACK sip:%s@127.0.0.1:%d SIP/2.0\r\n%sCSeq: 1 ACK\r\nMax-Forwards: 70\r\n"
                  "Content-Length: 0\r\n\r\n" % (queue, k.sip_port,
                                                  head.replace("To: <sip:%s@127.0.0.1>" % queue,
                                                               "To: " + to))).encode(),
                 ("127.0.0.1", k.sip_port))
    finally:
        s.close()
    return lines[0], dict(l.split(": ", 1) for l in lines[1:] if ": " in l)


@test
def test_sip_a_call_outside_business_hours_is_told_when_to_call_again_or_goes_to_the_night_service(ctx):
    """A queue outside its business hours (omniq.hours_set): no caller can wait overnight,
    so the call is not queued - it gets 480 Closed with a Retry-After of the seconds until
    the queue opens, and nothing is written - or, for a queue whose closed= names one, goes
    to the night service. Open again (its hours removed), the queue takes calls as before."""
    import datetime
    night = Phone(ctx, None, "night", "agent_answer.xml", register=False, timeout=30)
    rs = ctx.redis()
    k = sip_kam(ctx, rs, OMNIQ_QUEUE_VM='"vm; skills=nobody; max_wait=30; '
                'closed=uri:sip:night@127.0.0.1:%d"' % night.port)
    r = rs.client()
    today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()
    shut = "%s..%s closed" % (today.isoformat(), (today + datetime.timedelta(days=1)).isoformat())
    for q in ("sales", "vm"):
        rc, out = k.rpc("omniq.hours_set", q, "Asia/Shanghai", "mon-sun 09:00-18:00", shut)
        assert rc == 0 and out.strip() == "ok", out
    opens = datetime.datetime.combine(today + datetime.timedelta(days=2), datetime.time(9),
                                      datetime.timezone(datetime.timedelta(hours=8)))
    line, hdrs = invite_final(k, "sales")
    assert line == "SIP/2.0 480 Closed", line
    want = (opens - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert abs(int(hdrs["Retry-After"]) - want) < 30, (hdrs, want)
    assert r.get(P + ":seq:s") is None, "a closed queue's call wrote a session"
    assert "queue sales is closed; it opens %s 09:00 (in " % opens.date().isoformat() in k.text()
    # the night service takes vm's calls
    sc = caller_xml(ctx.dir, "to_night", queued="never")
    assert call(ctx, k, "vm", sc) == 0, "caller expected the night service's 200"
    assert night.wait() == 0, "the night service did not get the call"
    assert stat(k, "closed") == 2 and stat(k, "calls") == 0
    # sales calls back the callers it turns away at night (omniq.closed_callback), once each
    rc, out = k.rpc("omniq.closed_callback", "sales", "1")
    assert rc == 0 and out.strip() == "ok", out
    for _ in range(2):
        line, hdrs = invite_final(k, "sales")
        assert line == "SIP/2.0 480 Closed" and abs(int(hdrs["Retry-After"]) - want) < 30, hdrs
    fids = r.zrange(P + ":fuz", 0, -1)
    assert len(fids) == 1, fids
    fu = r.hgetall(P + ":fu:" + fids[0])
    assert (fu["channel"], fu["queue"], fu["state"]) == ("phone", "sales", "scheduled"), fu
    assert int(fu["due"]) == int(opens.timestamp() * 1000), (fu, opens)
    assert r.hget(P + ":c:" + fu["customer"], "ids") == "phone:+8613800000099"
    assert "a callback is scheduled (follow-up %s)" % fids[0] in k.text()
    assert r.get(P + ":seq:s") is None, "a closed queue's call wrote a session"
    assert stat(k, "closed") == 4
    # hours removed: sales is open, its call waits for an agent as ever
    rc, out = k.rpc("omniq.hours_del", "sales")
    assert rc == 0 and not out.startswith("error"), out
    agent(k, "alice")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")
    assert call(ctx, k, "sales", caller_xml(ctx.dir, "open_again", queued="may")) == 0
    assert phone.wait() == 0 and stat(k, "closed") == 4


@test
@alone
def test_sip_calls_leave_no_shared_memory_behind(ctx):
    # 200 calls for 3 agents (many wait suspended) must give back the shm the module took
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    phones = []
    for a in ("alice", "bob", "carol"):
        agent(k, a, caps="voice=1,chat=0,email=0,total=1")
        phones.append(Phone(ctx, k, a, "agent_answer.xml", calls=1000, timeout=120))
    warm = caller_xml(ctx.dir, "warm", queued="may", hold_ms=0)
    assert call(ctx, k, "sales", warm, calls=20, rate=20) == 0

    def used_when_settled():
        """shm in use once no transaction (tm's wait timer included) and no dialog is left."""
        wait_for(lambda: k.rpc_struct("tm.stats")["current"] == "0"
                 and k.rpc("dlg.list")[1].strip() == "", timeout=30,
                 what="the calls' transactions and dialogs to be freed")
        return int(k.rpc_struct("core.shmmem")["used"])
    before, queued = used_when_settled(), stat(k, "queued")
    assert call(ctx, k, "sales", warm, calls=200, rate=40, caller="13800000003") == 0
    growth = used_when_settled() - before
    assert stat(k, "queued") > queued, "no call waited: the suspended path was not exercised"
    assert growth < 4096, "shm grew by %d bytes over 200 calls" % growth


@test
def test_sip_kemi_lua_call(ctx):
    import os
    from harness import HERE
    rs = ctx.redis()
    k = ctx.kamailio("sip_kemi.cfg", rs.port,
                     defines={"OMNIQ_LUA": '"%s"' % os.path.join(HERE, "cfg", "sip_kemi.lua")})
    r = rs.client()
    agent(k, "alice", state="away")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")
    p = call(ctx, k, "sales", caller_xml(ctx.dir, "kemi", queued="must"), background=True)
    wait_for(lambda: r.hget(P + ":s:1", "state") == "queued", what="call queued")
    agent(k, "alice")
    assert p.wait(30) == 0 and phone.wait() == 0
    wait_for(lambda: r.hget(P + ":s:1", "state") == "closed", what="session closed")
    sc = caller_xml(ctx.dir, "kemi_unknown", queued="never", final=404)
    assert call(ctx, k, "nosuch", sc) == 0


@test
def test_sip_caller_asks_for_a_callback_hangs_up_and_keeps_the_place(ctx):
    """A queued caller asks to be called back (kamcmd omniq.callback, what an IVR's key would
    call: omniq_callback() in the cfg): the caller hangs up, the session keeps its place and
    is no abandon; when an agent frees up it is offered as a callback to the caller's number,
    on the desk (no phone is rung for a call that is gone)."""
    import threading
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    done = []

    def ask():
        wait_for(lambda: r.hget(P + ":s:1", "state") == "queued", timeout=10, what="queued")
        done.append(k.rpc("omniq.callback", "1"))
    t = threading.Thread(target=ask)
    t.start()
    sc = caller_xml(ctx.dir, "callback", queued="must", cancel_after_ms=1500)
    assert call(ctx, k, "sales", sc) == 0, "caller scenario failed (182, CANCEL, 487)"
    t.join(15)
    assert done and done[0][0] == 0 and done[0][1].strip() == "ok", done
    s = r.hgetall(P + ":s:1")
    assert s["state"] == "queued" and s["callback_to"] == s["identity"] != "", s
    assert s["ext"] == "" and s["node"] == ""
    assert stat(k, "abandoned") == 0 and k.stat("omniq:abandoned") == 0
    assert waiting(k, "sales") == 1
    assert "asked to be called back" in k.text()
    rc, out = k.rpc("omniq.callback", "1", "no-scheme")
    assert out.startswith("error") and "400" in out, out
    # its turn: alice is offered the callback; her phone is not rung for it
    agent(k, "alice")
    wait_for(lambda: r.hget(P + ":s:1", "agent") == "alice", timeout=5, what="the callback offered")
    assert r.hget(P + ":s:1", "state") == "offered"
    assert "INVITE sip:alice" not in k.text()
    rc, out = k.rpc("omniq.callback", "1")
    assert out.startswith("error") and "409" in out, out     # no longer waits
