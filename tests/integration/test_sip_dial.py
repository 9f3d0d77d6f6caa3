"""Click-to-dial (omniq_sip dial.c): a phone follow-up that falls due rings its agent's sipp
phone; once she answers, kamailio calls the customer - a sipp UAS at the gateway URI of
`dial_uri` - with her phone's SDP offer and hands the customer's answer to her phone in the
ACK (RFC 3725 third-party call control). The call is the session's: a BYE ends it, a busy
customer records the follow-up's no_answer, an agent who does not answer is a miss, and of
two nodes on one Redis exactly one rings the agent."""
import os
import re
import socket
import time

from harness import free_port, test, wait_for
from sipcall import Phone, write_scenario, send

P = "oq:{default}"
NUMBER = "+8613800000001"


def agent(k, aid, skills="sales:5", caps="voice=1,chat=4,email=0,total=5", state="available"):
    rc, out = k.rpc("omniq.agent_set", aid, aid.title(), skills, caps)
    assert rc == 0 and "error" not in out, out
    rc, out = k.rpc("omniq.agent_state", aid, state)
    assert rc == 0 and "error" not in out, out


def available(k, *aids):
    for aid in aids:
        rpc(k, "omniq.agent_state", aid, "available")


def rpc(k, *args):
    rc, out = k.rpc(*args)
    assert rc == 0 and not out.startswith("error"), (args, out)
    return out.strip()


def stat(k, name):
    return k.stat("omniq_sip:" + name)


SDP = ["v=0", "o=[$who] 1 1 IN IP[local_ip_type] [local_ip]", "s=-",
       "c=IN IP[media_ip_type] [media_ip]", "t=0 0", "m=audio [media_port] RTP/AVP 0",
       "a=rtpmap:0 PCMU/8000", ""]


def reply(code, text, tag, sdp=None, who="agent"):
    """A response to the last request (tag: our To tag; sdp: a body, the phone's media)."""
    lines = ["SIP/2.0 %d %s" % (code, text), "[last_Via:]", "[last_From:]",
             "[last_To:]" + (";tag=[pid]%s[call_number]" % tag if tag else ""),
             "[last_Call-ID:]", "[last_CSeq:]",
             "Contact: <sip:%s@[local_ip]:[local_port];transport=[transport]>" % who]
    if sdp:
        lines += ["Content-Type: application/sdp", "Content-Length: [len]", ""]
        lines += [l.replace("[$who]", who) for l in SDP]
    else:
        lines += ["Content-Length: 0", ""]
    return send(lines, ' retrans="500"' if code == 200 and sdp else "")


def ok_to_bye():
    return reply(200, "OK", None)


def agent_xml(workdir, name, hangup_ms=None):
    """The agent's phone for a dial: an INVITE without SDP (third-party call control), 180,
    200 with its offer, the ACK that must carry the customer's answer (m=audio), then either
    her BYE after hangup_ms or the BYE that comes from kamailio."""
    parts = ['  <recv request="INVITE" crlf="true">\n'
             '    <action>\n'
             '      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="from"/>\n'
             '      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="to"/>\n'
             '      <ereg regexp="sip:[^>]*" search_in="hdr" header="Contact:" assign_to="ct"/>\n'
             '    </action>\n  </recv>\n',
             reply(180, "Ringing", "agent"), '  <pause milliseconds="200"/>\n',
             reply(200, "OK", "agent", sdp=True),
             '  <recv request="ACK" crlf="true">\n'
             '    <action>\n'
             '      <ereg regexp="m=audio [1-9]" search_in="body" check_it="true" assign_to="m"/>\n'
             '      <log message="ack media [$m]"/>\n'
             '    </action>\n  </recv>\n']
    if hangup_ms is not None:
        parts += ['  <pause milliseconds="%d"/>\n' % hangup_ms,
                  send(["BYE [$ct] SIP/2.0",
                        "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
                        "From: [$to];tag=[pid]agent[call_number]", "To: [$from]",
                        "Call-ID: [call_id]", "CSeq: 2 BYE", "Max-Forwards: 70",
                        "Content-Length: 0", ""], ' retrans="500"'),
                  '  <recv response="200"/>\n']
    else:
        parts += ['  <recv request="BYE">\n    <action>\n'
                  '      <log message="BYE to [$from] [$to] [$ct]"/>\n'
                  '    </action>\n  </recv>\n', ok_to_bye()]
    return write_scenario(workdir, name, parts)


def agent_rejected_xml(workdir, name, answer_ms=0):
    """The agent's phone when the customer is not reached: her 200 (after answer_ms) is
    acknowledged taking none of her streams (m=audio 0), then kamailio's BYE."""
    parts = ['  <recv request="INVITE" crlf="true"/>\n', reply(180, "Ringing", "agent"),
             '  <pause milliseconds="%d"/>\n' % answer_ms, reply(200, "OK", "agent", sdp=True),
             '  <recv request="ACK" crlf="true">\n'
             '    <action>\n'
             '      <ereg regexp="m=audio 0 " search_in="body" check_it="true" assign_to="m"/>\n'
             '      <log message="ack media [$m]"/>\n'
             '    </action>\n  </recv>\n',
             '  <recv request="BYE"/>\n', ok_to_bye()]
    return write_scenario(workdir, name, parts)


def agent_noanswer_xml(workdir, name):
    """Rings until kamailio's ring_timeout cancels it (487 with the INVITE's one Via)."""
    parts = ['  <recv request="INVITE">\n'
             '    <action>\n'
             '      <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" assign_to="csn"/>\n'
             '      <ereg regexp=".*" search_in="hdr" header="Via:" assign_to="via1"/>\n'
             '    </action>\n  </recv>\n',
             reply(180, "Ringing", "ring"), '  <recv request="CANCEL"/>\n',
             reply(200, "OK", "ring"),
             send(["SIP/2.0 487 Request Terminated", "Via: [$via1]", "[last_From:]",
                   "[last_To:];tag=[pid]ring[call_number]", "[last_Call-ID:]",
                   "CSeq: [$csn] INVITE", "Content-Length: 0", ""]),
             '  <recv request="ACK"/>\n']
    return write_scenario(workdir, name, parts)


def customer_xml(workdir, name, busy=False, busy_after_ms=0):
    """The customer's phone behind the gateway: the INVITE must carry the agent's offer
    (o=agent); it answers (its own SDP) and takes the BYE, or it is busy (486; after
    ringing busy_after_ms when given)."""
    parts = ['  <recv request="INVITE" crlf="true">\n'
             '    <action>\n'
             '      <ereg regexp="o=agent" search_in="body" check_it="true" assign_to="o"/>\n'
             '      <log message="offer [$o]"/>\n'
             '    </action>\n  </recv>\n']
    if busy:
        if busy_after_ms:
            parts += [reply(180, "Ringing", "cust", who="customer"),
                      '  <pause milliseconds="%d"/>\n' % busy_after_ms]
        parts += [reply(486, "Busy Here", "cust", who="customer"), '  <recv request="ACK"/>\n']
    else:
        parts += [reply(180, "Ringing", "cust", who="customer"), '  <pause milliseconds="200"/>\n',
                  reply(200, "OK", "cust", sdp=True, who="customer"),
                  '  <recv request="ACK" crlf="true"/>\n', '  <recv request="BYE"/>\n',
                  ok_to_bye()]
    return write_scenario(workdir, name, parts)


def gateway(ctx, scenario):
    """The gateway and the customer's phone behind it: a sipp UAS on a port of its own
    (its messages in phone_customer_msg.log)."""
    return Phone(ctx, None, "customer", scenario, register=False)


def rig(ctx, customer_scenario, **defines):
    """Redis, the customer's gateway, and kamailio dialling there: (redis client, gateway,
    kamailio)."""
    rs = ctx.redis()
    cust = gateway(ctx, customer_scenario)
    d = {"OMNIQ_DIAL_URI": dial_uri(cust)}
    d.update({k: str(v) for k, v in defines.items()})
    return rs.client(), cust, ctx.kamailio("sip.cfg", rs.port, defines=d)


def dial_uri(cust):
    return '"sip:{number}@127.0.0.1:%d"' % cust.port


def phone_follow_up(k, r, agent_id="alice", due="s:+1"):
    """A customer known by their number (a web contact of theirs, waiting while nobody is
    available) and a phone follow-up of theirs for agent_id, due in a second (the due that
    makes it due now: the sweep opens it within sweep_interval after; s: keeps kamcmd from
    reading +1 as a number)."""
    s = k.rpc_struct("omniq.enqueue", "web", "phone:" + NUMBER, "sales", 0)
    fid = rpc(k, "omniq.followup_add", "-", s["customer"], due, "satisfaction call", "phone",
              agent_id, "sales")
    return fid


def alice_follow_up(ctx, k, r, scenario):
    """alice, her phone (scenario), a phone follow-up of hers made due now and opened:
    (her phone, the follow-up's id, the session it opened)."""
    phone = Phone(ctx, k, "alice", scenario)
    agent(k, "alice", state="away")
    fid = phone_follow_up(k, r)
    available(k, "alice")
    return phone, fid, opened_sid(r, fid)


def opened_sid(r, fid):
    try:
        # opened_sid, not state opened: a dial may be over (no_answer) by the first look
        wait_for(lambda: r.hget("%s:fu:%s" % (P, fid), "opened_sid"), timeout=10,
                 what="the follow-up opened")
    except AssertionError:
        raise AssertionError("follow-up not opened: %s" % r.hgetall("%s:fu:%s" % (P, fid)))
    return r.hget("%s:fu:%s" % (P, fid), "opened_sid")


def msg_log(ctx, tag):
    path = os.path.join(ctx.dir, tag + "_msg.log")
    return open(path, errors="replace").read() if os.path.exists(path) else ""


def invites_in(text):
    return len(re.findall(r"^INVITE sip:", text, re.M))


@test
def test_sip_dial_a_phone_follow_up_rings_the_agent_then_calls_the_customer(ctx):
    r, cust, k = rig(ctx, customer_xml(ctx.dir, "customer_answers"))
    phone, fid, sid = alice_follow_up(ctx, k, r, agent_xml(ctx.dir, "alice_dial", hangup_ms=800))
    # alice's phone rings, shows the customer's number and why; she answers: the session is
    # hers and the customer is called
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "state") == "active", timeout=10,
             what="the session active once alice answered")
    s = r.hgetall("%s:s:%s" % (P, sid))
    assert s["agent"] == "alice" and s["ext"].endswith("/dial/" + sid), s
    invite = msg_log(ctx, "phone_alice")
    assert invites_in(invite) == 1, invite[-2000:]
    assert re.search(r'P-Asserted-Identity: "\+8613800000001 follow-up" <sip:\+8613800000001@',
                     invite), invite[:1500]
    assert "Content-Length: 0" in invite.split("INVITE sip:", 1)[1].split("\n\n", 1)[0] or \
        "Content-Length:     0" in invite     # no SDP: her phone makes the offer
    # the customer answers (with alice's offer: the scenario checks it); the ACK alice gets
    # carries the customer's answer (hers checks m=audio); she hangs up: both end
    assert cust.wait() == 0, "customer's sipp failed (see phone_customer_err.log)"
    assert phone.wait() == 0, "alice's phone failed (see phone_alice_err.log)"
    assert "sip:+8613800000001@127.0.0.1:%d" % cust.port in msg_log(ctx, "phone_customer")
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "state") == "closed", timeout=5,
             what="the session closed by her BYE")
    assert k.rpc_struct("omniq.agent", "alice").get("load:voice") == "0"
    assert (stat(k, "dials"), stat(k, "dials_answered"), stat(k, "dials_failed")) == (1, 1, 0)
    assert stat(k, "ended") == 1
    # every transaction of the dial (both INVITEs, her BYE's) is freed: none left behind
    wait_for(lambda: k.rpc_struct("tm.stats")["current"] == "0", timeout=15,
             what="the dial's transactions to be freed")
    # the agent records how it went as for any follow-up (reached or refused: only she
    # knows who answered); closed without one, it ends as `closed` (the sweep's look)
    wait_for(lambda: r.hget("%s:fu:%s" % (P, fid), "outcome") == "closed", timeout=5,
             what="the follow-up ended with its session")


@test
def test_sip_dial_closed_from_outside_hangs_up_both_phones(ctx):
    """kamcmd omniq.close of a dial's session while the agent and the customer talk: both
    get a BYE from kamailio (statistic hung_up), and the agent is free."""
    r, cust, k = rig(ctx, customer_xml(ctx.dir, "customer_answers"))
    phone, fid, sid = alice_follow_up(ctx, k, r, agent_xml(ctx.dir, "alice_dial"))
    wait_for(lambda: stat(k, "dials_answered") == 1, timeout=10, what="the customer answered")
    assert rpc(k, "omniq.close", sid, "resolved") == "ok"
    assert phone.wait() == 0 and cust.wait() == 0, "a phone did not get its BYE"
    assert stat(k, "hung_up") == 1
    assert k.rpc_struct("omniq.agent", "alice").get("load:voice") == "0"
    assert r.hget("%s:s:%s" % (P, sid), "disposition") == "resolved"


@test
def test_sip_dial_customer_busy_records_no_answer_and_a_retry(ctx):
    r, cust, k = rig(ctx, customer_xml(ctx.dir, "customer_busy", busy=True))
    phone, fid, sid = alice_follow_up(ctx, k, r, agent_rejected_xml(ctx.dir, "alice_busy"))
    assert cust.wait() == 0, "customer's sipp failed (486 expected to be ACKed)"
    assert phone.wait() == 0, "alice's phone: ACK without media, then BYE expected"
    wait_for(lambda: r.hget("%s:fu:%s" % (P, fid), "outcome") == "no_answer", timeout=5,
             what="no_answer recorded")
    f = r.hgetall("%s:fu:%s" % (P, fid))
    assert f["state"] == "scheduled" and f["tries"] == "1", f       # tried again later
    assert int(f["due"]) > time.time() * 1000 + 3500 * 1000, f       # after `retry` (1 h)
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "state") == "closed", timeout=5,
             what="the session closed")
    assert r.hget("%s:s:%s" % (P, sid), "disposition") == "no_answer"
    assert (stat(k, "dials"), stat(k, "dials_answered"), stat(k, "dials_failed")) == (1, 0, 1)
    assert k.rpc_struct("omniq.agent", "alice").get("load:voice") == "0"
    assert "(486)" in k.text()


@test
def test_sip_dial_agent_not_answering_is_a_miss_and_the_next_agent_dials(ctx):
    r, cust, k = rig(ctx, customer_xml(ctx.dir, "customer_answers"), OMNIQ_RING_MS=1500)
    ring = Phone(ctx, k, "alice", agent_noanswer_xml(ctx.dir, "alice_ring"))
    bob = Phone(ctx, k, "bob", agent_xml(ctx.dir, "bob_dial", hangup_ms=300))
    agent(k, "alice", skills="sales:9", state="away")
    agent(k, "bob", skills="sales:5", state="away")
    fid = phone_follow_up(k, r, agent_id="alice")
    available(k, "alice", "bob")
    sid = opened_sid(r, fid)
    assert ring.wait() == 0, "alice's phone: CANCEL after the ring time expected"
    assert bob.wait() == 0, "bob's phone: the re-offer's dial expected"
    assert cust.wait() == 0
    offers = [f["agent"] for _, f in r.xrange(P + ":events")
              if f.get("sid") == sid and f.get("type") == "offer"]
    assert offers == ["alice", "bob"], offers
    assert k.rpc_struct("omniq.agent", "alice").get("presence") == "away"
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "state") == "closed", timeout=5,
             what="bob's call ended")
    assert r.hget("%s:s:%s" % (P, sid), "agent") == "bob"
    assert stat(k, "dials") == 2 and stat(k, "agent_failed") == 1


@test
def test_sip_dial_unregistered_agent_is_skipped_like_a_call(ctx):
    """The follow-up's agent has no phone registered: as for an inbound call she is kept out
    of calls (not set away) and the session goes on to the next agent, whose phone rings."""
    r, cust, k = rig(ctx, customer_xml(ctx.dir, "customer_answers"))
    bob = Phone(ctx, k, "bob", agent_xml(ctx.dir, "bob_dial", hangup_ms=300))
    agent(k, "ghost", skills="sales:9", state="away")
    agent(k, "bob", skills="sales:5", state="away")
    fid = phone_follow_up(k, r, agent_id="ghost")
    available(k, "ghost", "bob")
    sid = opened_sid(r, fid)
    assert bob.wait() == 0 and cust.wait() == 0
    assert r.hget("%s:s:%s" % (P, sid), "agent") == "bob"
    g = k.rpc_struct("omniq.agent", "ghost")
    assert g.get("presence") == "available" and g.get("phone") == "0", g
    assert "agent ghost has no registered phone" in k.text()


@test
def test_sip_dial_two_nodes_ring_the_agent_once(ctx):
    """Two nodes on one Redis, usrloc shared over DMQ: both dispatchers see the offer, one
    claims it in Redis and rings the agent - her phone gets exactly one INVITE."""
    rs = ctx.redis()
    cust = gateway(ctx, customer_xml(ctx.dir, "customer_answers"))
    a = ctx.kamailio("sip.cfg", rs.port, name="kama", start=False)
    b = ctx.kamailio("sip.cfg", rs.port, name="kamb", start=False)
    for me, peer in ((a, b), (b, a)):
        me.defines["OMNIQ_DMQ_SELF"] = '"sip:127.0.0.1:%d"' % me.sip_port
        me.defines["OMNIQ_DMQ_PEER"] = '"sip:127.0.0.1:%d"' % peer.sip_port
        me.defines["OMNIQ_DIAL_URI"] = dial_uri(cust)
    a.start()
    b.start()
    r = rs.client()
    phone = Phone(ctx, a, "alice", agent_xml(ctx.dir, "alice_dial", hangup_ms=500))
    wait_for(lambda: "alice" in b.rpc("ul.dump")[1], timeout=10,
             what="alice's registration on node b (DMQ)")
    agent(a, "alice", state="away")
    fid = phone_follow_up(a, r)
    available(a, "alice")
    sid = opened_sid(r, fid)
    assert phone.wait() == 0 and cust.wait() == 0
    time.sleep(1)          # a second INVITE, had there been one, has come by now
    assert invites_in(msg_log(ctx, "phone_alice")) == 1
    assert stat(a, "dials") + stat(b, "dials") == 1
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "state") == "closed", timeout=5,
             what="the session closed")


@test
def test_sip_dial_customer_busy_while_redis_is_down_is_recorded_when_it_is_back(ctx):
    """Redis goes away while the agent's phone rings: her answer (the accept) and the busy
    customer's no_answer are kept in order and made once Redis is back - the session hers and
    closed as no_answer, the follow-up scheduled again; nothing is lost."""
    r, cust, k = rig(ctx, customer_xml(ctx.dir, "customer_busy", busy=True))
    rs = ctx.servers[0]
    ctx.expect_redis_down(rs)
    phone, fid, sid = alice_follow_up(ctx, k, r, agent_rejected_xml(ctx.dir, "alice_slow",
                                                                    answer_ms=1500))
    wait_for(lambda: stat(k, "dials") == 1, timeout=10, what="alice's phone ringing")
    rs.stop()
    assert cust.wait() == 0 and phone.wait() == 0
    # the no answer waits behind the answer kept for Redis (the timer process makes both)
    wait_for(lambda: "dial %s: phone:%s was not reached (486)" % (sid, NUMBER) in k.text(),
             what="the customer's no answer")
    assert "call %s: its answer found Redis unavailable" % sid in k.text()
    rs.start()
    r = rs.client()
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "state") == "closed", timeout=10,
             what="the session accepted, then closed, once Redis is back")
    assert r.hget("%s:s:%s" % (P, sid), "disposition") == "no_answer"
    f = r.hgetall("%s:fu:%s" % (P, fid))
    assert (f["state"], f["outcome"]) == ("scheduled", "no_answer"), f
    types = [e["type"] for _, e in r.xrange(P + ":events") if e.get("sid") == sid]
    assert [t for t in types if t in ("enqueue", "offer", "accept", "close")] == \
        ["enqueue", "offer", "accept", "close"], types      # hers, then closed: no miss


@test
def test_sip_dial_a_callback_rings_the_agent_then_the_number_the_caller_left(ctx):
    """A queued caller asks to be called back at another number and hangs up; when the
    session's turn comes, alice's phone rings showing "callback", and the gateway is asked for
    the number left, not the number that called."""
    import threading
    from sipcall import call, caller_xml
    r, cust, k = rig(ctx, customer_xml(ctx.dir, "customer_answers"))
    done = []

    def ask():
        wait_for(lambda: r.hget(P + ":s:1", "state") == "queued", timeout=10, what="queued")
        done.append(k.rpc("omniq.callback", "1", "phone:+8613700000099"))
    t = threading.Thread(target=ask)
    t.start()
    sc = caller_xml(ctx.dir, "callback", queued="must", cancel_after_ms=1500)
    assert call(ctx, k, "sales", sc) == 0, "caller scenario failed (182, CANCEL, 487)"
    t.join(15)
    assert done and done[0][1].strip() == "ok", done
    phone = Phone(ctx, k, "alice", agent_xml(ctx.dir, "alice_dial", hangup_ms=300))
    agent(k, "alice")
    assert phone.wait() == 0 and cust.wait() == 0
    assert re.search(r'P-Asserted-Identity: "\+8613700000099 callback"',
                     msg_log(ctx, "phone_alice"))
    assert "INVITE sip:+8613700000099@127.0.0.1:%d" % cust.port in msg_log(ctx, "phone_customer")
    wait_for(lambda: r.hget(P + ":s:1", "state") == "closed", timeout=5, what="closed")
    assert r.hget(P + ":s:1", "agent") == "alice"
    assert stat(k, "dials_answered") == 1


@test
def test_sip_dial_gateway_down_records_no_answer_within_seconds(ctx):
    """dial_uri points where nothing answers (the gateway is down): within 5 s the customer's
    INVITE times out, the agent's phone is let go (an ACK without media, a BYE), the log says
    the gateway sent nothing, and the follow-up's no_answer is recorded - tried again later,
    not lost."""
    rs = ctx.redis()
    dead = free_port(socket.SOCK_DGRAM)
    k = ctx.kamailio("sip.cfg", rs.port,
                     defines={"OMNIQ_DIAL_URI": '"sip:{number}@127.0.0.1:%d"' % dead})
    r = rs.client()
    phone, fid, sid = alice_follow_up(ctx, k, r, agent_rejected_xml(ctx.dir, "alice_gw"))
    t0 = time.time()
    assert phone.wait(20) == 0, "alice's phone: ACK without media, then BYE expected"
    assert time.time() - t0 < 9
    wait_for(lambda: r.hget("%s:fu:%s" % (P, fid), "outcome") == "no_answer", timeout=5,
             what="no_answer recorded")
    assert r.hget("%s:fu:%s" % (P, fid), "state") == "scheduled"
    assert r.hget("%s:s:%s" % (P, sid), "disposition") == "no_answer"
    assert "the gateway of dial_uri sent nothing in 5000 ms (408): is it down?" in k.text()
    assert stat(k, "dials_failed") == 1


@test
def test_sip_dial_that_never_ends_is_hung_up_after_dial_max_time(ctx):
    """Neither phone hangs up (a BYE lost): after dial_max_time both get kamailio's BYE and
    the session closes, as a dialog timeout ends an inbound call."""
    r, cust, k = rig(ctx, customer_xml(ctx.dir, "customer_answers"), OMNIQ_DIAL_MAX=2)
    phone, fid, sid = alice_follow_up(ctx, k, r, agent_xml(ctx.dir, "alice_dial"))
    wait_for(lambda: stat(k, "dials_answered") == 1, timeout=10, what="the customer answered")
    assert phone.wait(15) == 0 and cust.wait(15) == 0, "both phones expected kamailio's BYE"
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "state") == "closed", timeout=5, what="closed")
    assert "dial %s: up for 2 s (dial_max_time): hung up" % sid in k.text()
    assert k.rpc_struct("omniq.agent", "alice").get("load:voice") == "0"


@test
def test_sip_dial_bad_settings_stop_kamailio_at_start(ctx):
    """A dial_uri that cannot say where a number goes, or a dial_timeout a phone would not
    wait for, stops kamailio at start with the reason; an empty dial_uri is click-to-dial
    off (phone follow-ups and callbacks go to the desk only, as before)."""
    rs = ctx.redis()
    cases = [('"sip:gw.example.com"', None,
              "must hold {number} (the customer's number) exactly once"),
             ('"sip:{number}@gw;x={number}"', None, "exactly once"),
             ('"tel:{number}"', None, "must be a sip: or sips: URI"),
             ('"sip:{number}@gw.example.com"', "40000", "dial_timeout")]
    for i, (uri, timeout, says) in enumerate(cases):
        d = {"OMNIQ_DIAL_URI": uri}
        k = ctx.kamailio("sip.cfg", rs.port, name="bad%d" % i, start=False, defines=d,
                         extra_args=["-A", "OMNIQ_DIAL_TIMEOUT=%s" % timeout] if timeout else [])
        k.start(expect_ready=False)
        assert k.wait_exit(20) != 0, uri
        assert says in k.text(), (uri, says, k.tail())
    k = ctx.kamailio("sip.cfg", rs.port, name="off", defines={"OMNIQ_DIAL_URI": '""'})
    assert k.rpc_ok("core.version")
    assert k.stat("omniq_sip:dials") == 0


@test
def test_sip_dial_many_dials_leave_nothing_behind(ctx):
    """24 follow-ups dialled through two agents: every one answered and closed, no
    transaction left, and the shared memory back where it was after the first 4 (the dials'
    dialogs, the BYEs' transactions)."""
    warm, n = 4, 24
    rs = ctx.redis()
    cust = Phone(ctx, None, "customers", customer_xml(ctx.dir, "customers"), calls=n,
                 register=False, timeout=120)
    k = ctx.kamailio("sip.cfg", rs.port, defines={"OMNIQ_DIAL_URI": dial_uri(cust)})
    r = rs.client()
    for a in ("alice", "bob"):
        Phone(ctx, k, a, agent_xml(ctx.dir, a + "_dials", hangup_ms=100), calls=n, timeout=120)
        agent(k, a, caps="voice=1,chat=0,email=0,total=1", state="away")
    fids = []

    def dial(first, last):
        for i in range(first, last):
            s = k.rpc_struct("omniq.enqueue", "web", "phone:+86139000000%02d" % i, "sales", 0)
            fids.append(rpc(k, "omniq.followup_add", "-", s["customer"], "s:+1", "call %d" % i,
                            "phone", ("alice", "bob")[i % 2], "sales"))
        wait_for(lambda: stat(k, "dials_answered") == last, timeout=90,
                 what="every dial answered")
        wait_for(lambda: all(r.hget("%s:s:%s" % (P, r.hget("%s:fu:%s" % (P, f), "opened_sid")),
                                    "state") == "closed" for f in fids),
                 timeout=30, what="every dial's session closed")
        wait_for(lambda: k.rpc_struct("tm.stats")["current"] == "0", timeout=30,
                 what="every transaction freed")
        return int(k.rpc_struct("core.shmmem")["used"])
    available(k, "alice", "bob")
    before = dial(0, warm)
    growth = dial(warm, n) - before
    assert stat(k, "dials") == n and stat(k, "dials_failed") == 0
    assert growth < 4096, "shm grew by %d bytes over %d dials" % (growth, n - warm)


@test
def test_sip_dial_no_answer_that_finds_redis_away_is_made_when_it_is_back(ctx):
    """The agent answered (her session active), then Redis goes away while the customer's
    phone rings, and the customer is busy: the timer process that makes the no answer finds
    Redis away, says so once, and makes it when Redis is back."""
    r, cust, k = rig(ctx, customer_xml(ctx.dir, "customer_busy_late", busy=True,
                                       busy_after_ms=1500))
    rs = ctx.servers[0]
    ctx.expect_redis_down(rs)
    phone, fid, sid = alice_follow_up(ctx, k, r, agent_rejected_xml(ctx.dir, "alice_late"))
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "state") == "active", timeout=10,
             what="alice answered")
    rs.stop()
    assert cust.wait() == 0 and phone.wait() == 0
    wait_for(lambda: "call %s: its no answer found Redis unavailable" % sid in k.text(),
             what="the no answer waiting for Redis")
    rs.start()
    r = rs.client()
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "state") == "closed", timeout=10,
             what="the session closed once Redis is back")
    f = r.hgetall("%s:fu:%s" % (P, fid))
    assert (f["state"], f["outcome"], f["note"]) == ("scheduled", "no_answer",
                                                     "the call got 486"), f
