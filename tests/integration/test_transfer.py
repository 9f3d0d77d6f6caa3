"""Calls transferred by REFER (modules/omniq_sip/xfer.h): the agent's phone (a sipp UAS,
sipp/agent_refer.xml) REFERs the caller, a real UA - Debian's baresip, which honours REFER
by calling the Refer-To target itself - and the session follows the audio to the new call:
the same session, offered to the next agent, its transcript kept; the first call's BYE
closes nothing."""
import os
import re
import time

import baresip
from harness import HERE, test, wait_for
from sipcall import Phone
from test_sip import P, agent, sip_kam, stat


def baresip_caller(ctx, k, queue, number="13800000166", account=""):
    """baresip dialling sip:<queue>@kamailio from <number>, in PCMU (account: more of its
    account's parameters)."""
    return baresip.Caller(ctx, k, queue, number,
                          "audio_codecs=PCMU" + (";" + account if account else ""))


def session(r, sid="1"):
    return r.hgetall("%s:s:%s" % (P, sid))


def events_of(r, sid="1"):
    out = []
    for _, f in r.xrange(P + ":events"):
        if f.get("sid") == sid and f.get("type") != "message":
            out.append((f["type"], f.get("state", ""), f.get("agent", "")))
    return out



def alice_refers(ctx, name, then):
    """sipp/agent_refer.xml with what follows the REFER's 202 replaced by then (sipp XML,
    before her BYE): the scenario's path."""
    with open(os.path.join(HERE, "sipp", "agent_refer.xml")) as f:
        xml = f.read()
    xml, n = re.subn(r'  <recv response="202"/>\n.*?(?=  <send retrans="500">\s*<!\[CDATA\[\s*BYE)',
                     then, xml, flags=re.S)
    assert n == 1
    path = os.path.join(ctx.dir, name + ".xml")
    with open(path, "w") as f:
        f.write(xml)
    return path


def refers(ctx, refer_to_user, bob_phone=True):
    """alice answers baresip's call to sales and REFERs it to refer_to_user; bob, away, has
    a phone that answers (bob_phone). Returns (kamailio, redis client, alice's phone, bob's
    phone or None, the caller (baresip.Caller), the session before the REFER)."""
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    agent(k, "bob", state="away")
    alice = Phone(ctx, k, "alice", "agent_refer.xml",
                  keys=[("refer_to", "sip:%s@127.0.0.1:%d" % (refer_to_user, k.sip_port))])
    bob = Phone(ctx, k, "bob", "agent_answer.xml") if bob_phone else None
    caller = baresip_caller(ctx, k, "sales")
    wait_for(lambda: session(r).get("state") == "active", timeout=15,
             what="alice answered baresip's call")
    before = session(r)
    assert before["agent"] == "alice", before
    return k, r, alice, bob, caller, before


def transferred(ctx, refer_to_user):
    """refers(), bob available once alice holds the session: the session is bob's on the
    caller's new call. Returns (kamailio, redis client, the caller, bob's phone, before)."""
    k, r, alice, bob, caller, before = refers(ctx, refer_to_user)
    agent(k, "bob")                       # free now; the session is alice's
    assert alice.wait(30) == 0, "alice's REFER, the NOTIFYs or her BYE went wrong"
    wait_for(lambda: session(r).get("state") == "active" and session(r).get("agent") == "bob",
             timeout=15, what="the session with bob, on the caller's new call")
    return k, r, caller, bob, before


@test
def test_transfer_blind_by_refer_to_a_queue_moves_the_session_with_the_audio(ctx):
    """alice REFERs the caller to the sales queue: baresip calls sales, and that call takes
    the same session (transferred by alice, requeued, offered to bob, answered); alice's
    BYE of the first call after the NOTIFY of 200 closes nothing; one session in all, its
    ext the new call's; when the caller hangs up, bob's call ends the session."""
    k, r, caller, bob, before = transferred(ctx, "sales")
    s = session(r)
    assert r.get(P + ":seq:s") == "1", "a session of its own for the new call"
    assert s["ext"] != before["ext"] and s["transfers"] == "1", (s, before)
    assert s["identity"] == before["identity"] == "phone:+8613800000166", s
    ev = events_of(r)
    i = ev.index(("transfer", "queued", "alice"))
    assert ev[i + 1:] == [("offer", "offered", "bob"), ("accept", "active", "bob")], ev
    assert not any(e[0] in ("close", "wrapup") for e in ev), ev
    assert stat(k, "transferred") == 1 and stat(k, "transfers_failed") == 0
    assert "the caller's INVITE is awaited" in k.text()
    assert "ended (BYE) after its transfer: the session goes on" in k.text(), k.tail()
    a = k.rpc_struct("omniq.agent", "alice")
    assert a.get("load:voice") == "0", a
    # the caller hangs up: bob's call ends, and with it the session
    caller.hang_up()
    assert bob.wait(20) == 0
    wait_for(lambda: session(r).get("state") in ("wrapup", "closed"), timeout=10,
             what="the session ended with bob's call")
    assert session(r)["agent"] == "bob"


@test
def test_transfer_blind_by_refer_to_an_agent_offers_the_session_to_that_agent(ctx):
    """alice REFERs the caller to sip:bob@...: no queue of that name, but the REFER names
    him: the caller's INVITE offers the same session to bob, who answers."""
    k, r, caller, bob, before = transferred(ctx, "bob")
    ev = events_of(r)
    i = ev.index(("transfer", "offered", "alice"))
    assert ev[i + 1:] == [("offer", "offered", "bob"), ("accept", "active", "bob")], ev
    assert r.get(P + ":seq:s") == "1"
    assert stat(k, "transferred") == 1
    caller.hang_up()
    assert bob.wait(20) == 0


@test
def test_transfer_to_an_agent_who_cannot_take_it_leaves_the_call_with_the_first(ctx):
    """alice REFERs the caller to bob, who is away: the caller's INVITE is answered 486, the
    session stays alice's (not moved, nothing written), baresip tells alice so in its NOTIFY,
    and her BYE afterwards closes the session at once."""
    k, r, alice, _, caller, before = refers(ctx, "bob", bob_phone=False)
    assert alice.wait(30) == 0, "alice's REFER, the NOTIFYs or her BYE went wrong"
    msgs = open(os.path.join(ctx.dir, "phone_alice_msg.log"), errors="replace").read()
    assert "SIP/2.0 486 Busy Here" in msgs, msgs[-3000:]
    wait_for(lambda: session(r).get("state") in ("wrapup", "closed"), timeout=5,
             what="alice's BYE ended the session at once")
    s = session(r)
    assert (s["agent"], s["ext"], s.get("transfers")) == ("alice", before["ext"], None), s
    assert not any(e[0] in ("transfer", "offer") and e[2] == "bob" for e in events_of(r))
    assert stat(k, "transferred") == 0 and stat(k, "transfers_failed") == 1
    assert "the transfer by alice to bob was refused" in k.text(), k.tail()
    assert r.get(P + ":seq:s") == "1"
    caller.hang_up()


@test
def test_transfer_a_refer_the_callers_phone_refuses_changes_nothing(ctx):
    """baresip set not to transfer (call_transfer=no) refuses alice's REFER: the call stays
    hers (omniq_sip forgets the REFER on the refusal), and her BYE a moment later closes the
    session at once - not after the 32 s a transfer's INVITE may take."""
    # the REFER's final answer is a refusal, whichever; then a moment of talk and her BYE
    refusal = "".join('  <recv response="%d" optional="true" next="refused"/>\n' % c
                      for c in (403, 405, 488, 501)) + \
        '  <recv response="603" next="refused"/>\n  <label id="refused"/>\n' \
        '  <pause milliseconds="500"/>\n'
    scenario = alice_refers(ctx, "agent_refer_refused", refusal)
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    alice = Phone(ctx, k, "alice", scenario,
                  keys=[("refer_to", "sip:sales@127.0.0.1:%d" % k.sip_port)])
    caller = baresip_caller(ctx, k, "sales", account="call_transfer=no")
    wait_for(lambda: session(r).get("state") == "active", timeout=15,
             what="alice answered baresip's call")
    assert alice.wait(30) == 0, "alice's REFER was not refused, or her BYE went wrong"
    wait_for(lambda: session(r).get("state") in ("wrapup", "closed"), timeout=5,
             what="alice's BYE ended the session at once")
    assert session(r)["agent"] == "alice" and session(r).get("transfers") is None
    assert re.search(r"call 1: the caller's phone answered the transfer to sales with \d{3}: "
                     r"the call stays with alice", k.text()), k.tail()
    assert stat(k, "transferred") == 0 and stat(k, "transfers_failed") == 0
    caller.hang_up()



@test
def test_transfer_accepted_but_never_made_closes_the_session_after_transfer_wait(ctx):
    """The caller's phone accepts alice's REFER (202) and never calls anyone; alice hangs up
    at once (blind). The session is not closed by her BYE - the caller's INVITE may still
    come - but once transfer_wait (2 s here) has passed without it, it is, and said."""
    from sipcall import call, in_dialog, invite, send, write_scenario
    rs = ctx.redis()
    k = sip_kam(ctx, rs, OMNIQ_TRANSFER_WAIT=2000)
    r = rs.client()
    agent(k, "alice")
    alice = Phone(ctx, k, "alice", alice_refers(ctx, "refer_blind", '  <recv response="202"/>\n'),
                  keys=[("refer_to", "sip:sales@127.0.0.1:%d" % k.sip_port)])
    answer = ["[last_Via:]", "[last_From:]", "[last_To:]", "[last_Call-ID:]", "[last_CSeq:]",
              "Content-Length: 0", ""]
    sc = write_scenario(ctx.dir, "accepts_refer", [
        invite("13800000155"), '  <recv response="100" optional="true"/>\n',
        '  <recv response="180" optional="true"/>\n', '  <recv response="200" rrs="true"/>\n',
        in_dialog("ACK", 1), '  <recv request="REFER"/>\n', send(["SIP/2.0 202 Accepted"] + answer),
        '  <recv request="BYE"/>\n', send(["SIP/2.0 200 OK"] + answer)])
    p = call(ctx, k, "sales", sc, caller="13800000155", background=True)
    assert alice.wait(30) == 0 and p.wait(30) == 0
    t_bye = time.time()
    assert session(r)["state"] == "active", session(r)       # the INVITE may still come
    wait_for(lambda: session(r).get("state") in ("wrapup", "closed"), timeout=8,
             what="the session closed once transfer_wait passed")
    assert time.time() - t_bye > 0.5
    assert re.search(r"call 1: transferred, but no INVITE of the caller came within 2000 ms and "
                     r"the call has ended: the session is closed", k.text()), k.tail()
    assert stat(k, "transferred") == 0


def answered(ctx, account="", bob=True, **defines):
    """alice (her phone a sipp UAS that answers NOTIFYs, -aa) answers baresip's call to
    sales; bob, away until then, is available once she has (with a phone that answers:
    bob). Returns (kamailio, redis client, alice's phone, bob's phone or None, the caller,
    the session)."""
    rs = ctx.redis()
    k = sip_kam(ctx, rs, **defines)
    r = rs.client()
    agent(k, "alice")
    agent(k, "bob", state="away")
    alice = Phone(ctx, k, "alice", "agent_answer.xml", keys=[("unused", "-")])
    bobp = Phone(ctx, k, "bob", "agent_answer.xml") if bob else None
    caller = baresip_caller(ctx, k, "sales", account=account)
    wait_for(lambda: session(r).get("state") == "active", timeout=15,
             what="alice answered baresip's call")
    before = session(r)
    if bob:
        agent(k, "bob")
    return k, r, alice, bobp, caller, before


def asked(ctx, account="", bob=True):
    """answered(), then a supervisor's `kamcmd omniq.transfer` (the core's transfer, as the
    desk's) hands the call to the sales queue. Returns what answered() does and the RPC's
    answer."""
    k, r, alice, bobp, caller, before = answered(ctx, account, bob)
    rc, out = k.rpc("omniq.transfer", "1", "alice", "queue", "sales")
    assert rc == 0, out
    return k, r, alice, bobp, caller, before, out.strip()


def hang_up(caller, phone, r, what):
    """The caller hangs up: the agent's phone ends its call, and the session ends (what)."""
    caller.hang_up()
    assert phone.wait(20) == 0
    wait_for(lambda: session(r).get("state") in ("wrapup", "closed"), timeout=10, what=what)


def tx_bodies(r, sid="1"):
    return [f.get("body", "") for _, f in r.xrange("%s:s:%s:tx" % (P, sid))]


@test
def test_transfer_from_the_desk_refers_the_caller_and_the_audio_moves(ctx):
    """A transfer of an answered call from a desk or RPC does not move the record ahead of
    the audio: omniq REFERs the caller's phone itself (in alice's place: Refer-To the queue
    on this node, Referred-By alice), baresip calls sales, and that new call takes the same
    session (transferred by alice, offered to bob, answered); omniq then hangs up the first
    call on both legs, which closes nothing. One session, its ext the new call's."""
    k, r, alice, bob, caller, before, out = asked(ctx)
    assert out == "referring", out
    wait_for(lambda: session(r).get("agent") == "bob" and session(r).get("state") == "active",
             timeout=15, what="the session with bob, on the caller's new call")
    assert alice.wait(20) == 0, "alice's phone did not get the BYE of the first call"
    s = session(r)
    assert r.get(P + ":seq:s") == "1", "a session of its own for the new call"
    assert s["ext"] != before["ext"] and s["transfers"] == "1", (s, before)
    ev = events_of(r)
    assert ("refer", "queue", "alice") in ev, ev
    i = ev.index(("transfer", "queued", "alice"))
    assert ev[i + 1:] == [("offer", "offered", "bob"), ("accept", "active", "bob")], ev
    assert stat(k, "transfers_asked") == 1 and stat(k, "transferred") == 1
    assert stat(k, "transfers_asked_failed") == 0
    text = k.text()
    assert "alice transfers it to sales from the desk: REFER sent to the caller's phone" in text
    assert "moved to the caller's new call; its first call is hung up" in text, k.tail()
    assert "ended (BYE) after its transfer: the session goes on" in text, k.tail()
    msgs = open(os.path.join(ctx.dir, "phone_alice_msg.log"), errors="replace").read()
    assert "BYE sip:" in msgs, msgs[-2000:]
    hang_up(caller, bob, r, "the session ended with bob's call")


@test
def test_transfer_from_the_desk_the_callers_phone_refuses_keeps_the_call_and_says_why(ctx):
    """baresip set not to transfer (call_transfer=no) refuses omniq's REFER: nothing moves,
    the call stays alice's, and the transcript says why (the desk shows it); her hang-up
    then closes the session as any call's."""
    k, r, alice, _, caller, before, out = asked(ctx, account="call_transfer=no", bob=False)
    assert out == "referring", out
    wait_for(lambda: stat(k, "transfers_asked_failed") == 1, timeout=10,
             what="the REFER refused and counted")
    s = session(r)
    assert (s["state"], s["agent"], s["ext"], s.get("transfers")) == \
        ("active", "alice", before["ext"], None), s
    note = [b for b in tx_bodies(r) if b.startswith("The transfer to sales was not made")]
    assert note and re.search(r"the caller's phone refused it \(\d{3}\)\. The call stays with "
                              r"alice\.$", note[0]), tx_bodies(r)
    assert stat(k, "transferred") == 0
    hang_up(caller, alice, r, "the caller's hang-up closed the session at once")


@test
def test_transfer_from_the_desk_of_a_call_that_cannot_be_referred_is_said(ctx):
    """The checks of a transfer come first (a target that is away: 409, nothing asked);
    a call still ringing its agent is no answered call to REFER: the transcript says so."""
    k, r, alice, _, caller, _ = answered(ctx, bob=False)
    rc, out = k.rpc("omniq.transfer", "1", "alice", "agent", "bob")
    assert out.startswith("error: 409") and "bob is away" in out, out
    assert not any(e[0] == "refer" for e in events_of(r))
    # the session's contact as a ringing call's (two numbers): the node cannot REFER it
    ext = session(r)["ext"]
    r.hset(P + ":s:1", "ext", "/".join(ext.split("/")[:3]))
    rc, out = k.rpc("omniq.transfer", "1", "alice", "queue", "sales")
    assert rc == 0 and out.strip() == "referring", out
    wait_for(lambda: any(b.startswith("The transfer to sales was not made: the call is not "
                                      "answered") for b in tx_bodies(r)),
             timeout=10, what="the transcript saying why")
    assert stat(k, "transfers_asked_failed") == 1 and stat(k, "transfers_asked") == 0
    r.hset(P + ":s:1", "ext", ext)
    caller.hang_up()
    assert alice.wait(20) == 0


@test
def test_transfer_from_the_agent_desk_of_a_call_answers_referring(ctx):
    """In the agent desk (omniq_ws's /ws/agent), alice transfers the call she is on: the
    desk's answer says the caller's phone is asked (state "referring"), her inbox keeps the
    call until the new call takes the session, and then it is bob's."""
    from test_desk import Desk, login, PASSWORD
    from test_ws import Api
    k, r, alice, bob, caller, _ = answered(ctx, OMNIQ_DESK=1)
    assert k.rpc("omniq.agent_password", "alice", PASSWORD)[0] == 0
    st, body = login(Api(k.http_port), "alice")
    assert st == 200, body
    d = Desk(k.http_port, body["token"])
    ans = d.request(type="transfer", sid="1", to="queue", target="sales")
    assert ans["type"] == "ok" and ans["state"] == "referring", ans
    # (the inbox sent with the answer may hold the call or not: the caller's phone may have
    # called the queue already - the move is not the desk's to wait for)
    wait_for(lambda: session(r).get("agent") == "bob" and session(r).get("state") == "active",
             timeout=15, what="the session with bob, on the caller's new call")
    d.inbox(lambda ib: all(s["sid"] != "1" for s in ib), timeout=15)   # then gone from it
    assert alice.wait(20) == 0
    caller.hang_up()
    assert bob.wait(20) == 0


def slow_refer(ctx, ms):
    """sipp/agent_refer.xml with its REFER ms after the answer instead of 1 s: a path."""
    with open(os.path.join(HERE, "sipp", "agent_refer.xml")) as f:
        xml = f.read()
    xml, n = re.subn(r'<pause milliseconds="1000"/>', '<pause milliseconds="%d"/>' % ms, xml, 1)
    assert n == 1
    path = os.path.join(ctx.dir, "agent_refer_%d.xml" % ms)
    with open(path, "w") as f:
        f.write(xml)
    return path


@test
def test_transfer_attended_after_a_consultation_moves_the_session_to_the_colleague(ctx):
    """Attended transfer (RFC 5589 section 7): alice answers baresip's call, calls bob from
    her second line (an agent's call: no session, agentcall.h) and talks to him, then REFERs
    the caller with a Refer-To naming bob with Replaces. The caller's INVITE to bob takes the
    same session (offered to bob, answered on his phone); alice's BYE of the first call
    closes nothing, nor does the consultation's end. (Debian's baresip 1.0 does not copy a
    Refer-To's Replaces into its INVITE, so bob's phone - sipp - answers it as a call of its
    own: swapping the consultation is the phones' part, not the proxy's.)"""
    from sipcall import caller_xml
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    agent(k, "bob", state="away")
    scenario = slow_refer(ctx, 5000)      # the REFER once the consultation is up
    target = "sip:bob@127.0.0.1:%d?Replaces=consult-1%%3Bto-tag%%3Db1%%3Bfrom-tag%%3Da1" % (
        k.sip_port)
    alice = Phone(ctx, k, "alice", scenario, keys=[("refer_to", target)])
    bob = Phone(ctx, k, "bob", "agent_answer.xml", calls=2)
    caller = baresip_caller(ctx, k, "sales")
    wait_for(lambda: session(r).get("state") == "active", timeout=15,
             what="alice answered baresip's call")
    agent(k, "bob")
    line2 = Phone(ctx, k, "alice", caller_xml(ctx.dir, "consult", queued="never", hold_ms=8000),
                  dial="bob")
    wait_for(lambda: stat(k, "agent_calls") == 1, timeout=4, what="alice's consultation of bob")
    assert session(r)["agent"] == "alice", "the consultation moved the session"
    assert alice.wait(30) == 0, "alice's REFER, the NOTIFYs or her BYE went wrong"
    wait_for(lambda: session(r).get("state") == "active" and session(r).get("agent") == "bob",
             timeout=15, what="the session with bob, on the caller's new call")
    assert "agent alice transfers it to bob (REFER with Replaces, attended)" in k.text()
    ev = events_of(r)
    i = ev.index(("transfer", "offered", "alice"))
    assert ev[i + 1:] == [("offer", "offered", "bob"), ("accept", "active", "bob")], ev
    assert r.get(P + ":seq:s") == "1" and stat(k, "transferred") == 1
    assert line2.wait(30) == 0, "the consultation did not end as a call does"
    assert session(r)["state"] == "active", "the consultation's end touched the session"
    hang_up(caller, bob, r, "the session ended with bob's call")


@test
def test_transfer_with_redis_down_at_the_move_answers_503_and_loses_nothing(ctx):
    """Redis stops after alice answered and before the caller's INVITE comes (her REFER goes
    1 s after her answer): the INVITE is answered 503 - the move cannot be written - and the
    caller's phone tells her so; her BYE's close waits for Redis, and once it is back the
    session is closed: one session, never moved, nothing lost or doubled."""
    rs = ctx.redis()
    ctx.expect_redis_down(rs)
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    alice = Phone(ctx, k, "alice", slow_refer(ctx, 3000),
                  keys=[("refer_to", "sip:sales@127.0.0.1:%d" % k.sip_port)])
    caller = baresip_caller(ctx, k, "sales")
    wait_for(lambda: session(r).get("state") == "active", timeout=15,
             what="alice answered baresip's call")
    before = session(r)
    rs.stop()                                   # her REFER comes 3 s after her answer
    assert alice.wait(30) == 0, "alice's REFER, the NOTIFYs or her BYE went wrong"
    msgs = open(os.path.join(ctx.dir, "phone_alice_msg.log"), errors="replace").read()
    assert "SIP/2.0 503" in msgs, msgs[-3000:]
    assert stat(k, "transfers_failed") == 1 and stat(k, "transferred") == 0
    rs.start()
    r = rs.client()
    wait_for(lambda: session(r).get("state") in ("wrapup", "closed"), timeout=20,
             what="alice's BYE's close made once Redis is back")
    s = session(r)
    assert (s["agent"], s["ext"], s.get("transfers")) == ("alice", before["ext"], None), s
    assert r.get(P + ":seq:s") == "1"
    caller.hang_up()


@test
def test_transfer_a_refer_to_an_oversized_target_is_relayed_and_followed_nowhere(ctx):
    """An agent's phone REFERs the caller to a user of 300 characters (no id is that long):
    omniq relays the REFER but keeps nothing (said in the log); whatever the caller's phone
    does with it (baresip 1.0 gives up calling such a URI; an INVITE to it would meet 404),
    no session opens and nothing moves, and her BYE closes the session at once."""
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    target = "sip:%s@127.0.0.1:%d" % ("x" * 300, k.sip_port)
    alice = Phone(ctx, k, "alice", "agent_refer.xml", keys=[("refer_to", target)])
    caller = baresip_caller(ctx, k, "sales")
    wait_for(lambda: session(r).get("state") == "active", timeout=15,
             what="alice answered baresip's call")
    assert alice.wait(30) == 0, "alice's REFER, the NOTIFYs or her BYE went wrong"
    wait_for(lambda: session(r).get("state") in ("wrapup", "closed"), timeout=5,
             what="alice's BYE closed the session at once")
    s = session(r)
    assert (s["agent"], s.get("transfers")) == ("alice", None), s
    assert r.get(P + ":seq:s") == "1"
    assert "a REFER from agent alice without a usable Refer-To: relayed" in k.text()
    assert stat(k, "transferred") == 0 and stat(k, "transfers_failed") == 0
    caller.hang_up()


def two_nodes(ctx, rs, wait_ms=3000):
    """Nodes kama and kamb on one Redis, usrloc shared over DMQ (a phone registered at one
    is reached from the other), transfer_wait wait_ms. Returns (a, b)."""
    a = ctx.kamailio("sip.cfg", rs.port, name="kama", start=False)
    b = ctx.kamailio("sip.cfg", rs.port, name="kamb", start=False)
    for me, peer in ((a, b), (b, a)):
        me.defines["OMNIQ_DMQ_SELF"] = '"sip:127.0.0.1:%d"' % me.sip_port
        me.defines["OMNIQ_DMQ_PEER"] = '"sip:127.0.0.1:%d"' % peer.sip_port
        me.defines["OMNIQ_NODE"] = '"%s"' % me.name
        me.defines["OMNIQ_TRANSFER_WAIT"] = str(wait_ms)
    a.start()
    b.start()
    return a, b


@test
def test_transfer_whose_invite_reaches_another_node_moves_the_session_there(ctx):
    """Two nodes on one Redis. alice, on node A, REFERs the caller to sales on node B (her
    phone's target, a dispatcher or the caller's proxy may send the INVITE elsewhere): A
    puts a token in the Refer-To as it relays the REFER, baresip INVITEs B with it, and B
    moves the same session - no second one opens - and offers it to bob. alice's BYE on A
    closes nothing, not even once the transfer's wait (3 s) is over: A asks Redis then and
    learns that the session lives on B."""
    rs = ctx.redis()
    a, b = two_nodes(ctx, rs)
    r = rs.client()
    agent(a, "alice")
    agent(a, "bob", state="away")
    alice = Phone(ctx, a, "alice", "agent_refer.xml",
                  keys=[("refer_to", "sip:sales@127.0.0.1:%d" % b.sip_port)])
    bob = Phone(ctx, a, "bob", "agent_answer.xml")
    wait_for(lambda: "bob" in b.rpc("ul.dump")[1], timeout=10,
             what="bob's registration on node b (DMQ)")
    caller = baresip_caller(ctx, a, "sales")
    wait_for(lambda: session(r).get("state") == "active", timeout=15,
             what="alice answered baresip's call on node a")
    before = session(r)
    assert before["node"] == "kama", before
    agent(a, "bob")
    assert alice.wait(30) == 0, "alice's REFER, the NOTIFYs or her BYE went wrong"
    wait_for(lambda: session(r).get("state") == "active" and session(r).get("agent") == "bob",
             timeout=15, what="the session with bob, on the caller's new call on node b")
    s = session(r)
    assert r.get(P + ":seq:s") == "1", "a session of its own for the new call"
    assert s["node"] == "kamb" and s["ext"] != before["ext"] and s["transfers"] == "1", s
    assert re.search(r"connecting to '<sip:sales@127\.0\.0\.1:%d;oqx=[0-9A-Za-z]{20}>'"
                     % b.sip_port, caller.text()), caller.text()[-1500:]
    assert stat(b, "transferred") == 1 and stat(a, "transferred") == 0
    assert "ended (BYE) after its transfer: the session goes on" in a.text(), a.tail()
    wait_for(lambda: "its caller's INVITE took the transfer on another node" in a.text(),
             timeout=8, what="node a learning that the session moved (after the 3 s wait)")
    time.sleep(1.5)
    s = session(r)
    assert (s["state"], s["agent"], s["node"]) == ("active", "bob", "kamb"), s
    assert "the session is closed" not in a.text()
    hang_up(caller, bob, r, "the session ended with bob's call")


@test
def test_transfer_from_the_desk_whose_invite_reaches_another_node_hangs_up_the_first_call(ctx):
    """A desk's (here the RPC's) transfer REFERs the caller's phone from node A, the
    Refer-To naming A with the token; the caller's phone (raw SIP here, as behind a proxy
    that sends everything to B) INVITEs node B with that URI: B moves the session and offers
    it to bob, and A, asking Redis each second about the REFERs it sent, hangs up the first
    call on both legs (alice's phone and the caller get a BYE) and closes nothing."""
    from sipraw import Caller, offer
    rs = ctx.redis()
    a, b = two_nodes(ctx, rs, wait_ms=20000)
    r = rs.client()
    agent(a, "alice")
    agent(a, "bob", state="away")
    alice = Phone(ctx, a, "alice", "agent_answer.xml", keys=[("unused", "-")])
    bob = Phone(ctx, a, "bob", "agent_answer.xml")
    wait_for(lambda: "bob" in b.rpc("ul.dump")[1], timeout=10,
             what="bob's registration on node b (DMQ)")
    c = Caller(a.sip_port, user="+8613800000167")
    c.invite(offer(40000))
    fin = c.wait_final(timeout=15)
    assert fin.code == 200, fin
    c.ack(fin)
    wait_for(lambda: session(r).get("state") == "active", timeout=10, what="alice answered")
    agent(a, "bob")
    rc, out = a.rpc("omniq.transfer", "1", "alice", "queue", "sales")
    assert rc == 0 and out.strip() == "referring", out
    refer = c.wait_request("REFER", timeout=10)
    c.respond(refer, 202, "Accepted")
    m = re.match(r"<(sip:sales@127\.0\.0\.1:(\d+)[^>]*;oqx=([0-9A-Za-z]{20}))>$",
                 refer.header("refer-to"))
    assert m and int(m.group(2)) == a.sip_port, refer.header("refer-to")
    c2 = Caller(b.sip_port, user="+8613800000167")
    c2.invite(offer(40002), uri=m.group(1).replace(":%d;" % a.sip_port, ":%d;" % b.sip_port))
    fin2 = c2.wait_final(timeout=15)
    assert fin2.code == 200, fin2
    c2.ack(fin2)
    wait_for(lambda: session(r).get("state") == "active", timeout=5,
             what="bob's answer recorded")
    s = session(r)
    assert (s["state"], s["agent"], s["node"]) == ("active", "bob", "kamb"), s
    assert r.get(P + ":seq:s") == "1" and stat(b, "transferred") == 1
    bye = c.wait_request("BYE", timeout=5)
    c.respond(bye, 200, "OK")
    assert alice.wait(10) == 0, "alice's phone did not get the BYE of the first call"
    assert "its caller's INVITE took the transfer on another node" in a.text()
    time.sleep(1)
    s = session(r)
    assert (s["state"], s["agent"]) == ("active", "bob"), s
    assert stat(a, "transfers_asked") == 1 and stat(a, "transfers_asked_failed") == 0


@test
def test_transfer_a_token_no_node_knows_is_a_call_as_any_other(ctx):
    """An INVITE whose Request-URI carries a transfer token no node noted (a redial of an
    old transfer, a made-up one) moves nothing: to a queue it is a new call as any other,
    to an agent's id it is 404 as it would be without; a malformed token is no token."""
    from sipraw import Caller, offer
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    c = Caller(k.sip_port, user="+8613800000168")
    c.invite(offer(40004), uri="sip:sales@127.0.0.1:%d;oqx=%s" % (k.sip_port, "A" * 20))
    wait_for(lambda: session(r).get("state") == "queued", timeout=10,
             what="the call queued as any other")
    assert session(r)["identity"] == "phone:+8613800000168" and not session(r).get("transfers")
    assert "its transfer token is known to no node" in k.text()
    c.cancel()
    c2 = Caller(k.sip_port, queue="bob", user="+8613800000169")
    c2.invite(offer(40006), uri="sip:bob@127.0.0.1:%d;oqx=%s" % (k.sip_port, "B" * 20))
    fin = c2.wait_final(timeout=10)
    assert (fin.code, fin.reason) == (404, "Unknown Queue"), fin
    c2.ack(fin)
    c3 = Caller(k.sip_port, user="+8613800000170")
    c3.invite(offer(40008), uri="sip:sales@127.0.0.1:%d;oqx=short-one" % k.sip_port)
    wait_for(lambda: r.get(P + ":seq:s") == "2" and session(r, "2").get("state") == "queued",
             timeout=10, what="the second call queued")
    assert k.text().count("its transfer token is known to no node") == 2   # not the third
    assert stat(k, "transferred") == 0 and stat(k, "transfers_failed") == 0
    c3.cancel()
