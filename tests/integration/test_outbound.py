"""Outbound delivery through a channel's sender (api.register_sender): an agent's reply to an
SMS customer leaves through the sender's own process, retried with backoff, and its state
(sent, delivered, failed with the provider's words) is what the agent and the admin see.
The sender is tests/modules/omniq_testsender, whose "provider" answers as each message's
first word asks."""

import os
import re

import time

from harness import test, wait_for


def start(ctx, **defines):
    rs = ctx.redis()
    log = os.path.join(ctx.dir, "sent.log")
    d = {"OMNIQ_SENDER_LOG": '"%s"' % log}
    d.update(defines)
    k = ctx.kamailio("outbound.cfg", rs.port, defines=d)
    assert ok(k, "omniq.agent_set", "alice", "Alice", "sales:5", "chat=4")
    assert ok(k, "omniq.agent_state", "alice", "available")
    return rs, k, log


def session(k, n=1):
    s = k.rpc_struct("omniq.enqueue", "sms", "sms:+861380000000%d" % n, "sales", 0)
    assert ok(k, "omniq.accept", s["sid"], "alice")
    return s["sid"]


def ok(k, *args):
    rc, out = k.rpc(*args)
    return rc == 0 and not out.startswith("error")


def attempts(log):
    """The sender's attempts so far: (did, attempt, sid, ext, from, body)."""
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [tuple(l.rstrip("\n").split("\t", 5)) for l in f if l.strip()]


def delivery(rs, did):
    r = rs.client()
    return r.hgetall("oq:{default}:ob:d:%s" % did)


def said(k, what):
    """The NOTICE line of the sender about a message (not an error: a provider's refusal is
    the customer's number, not omniq's fault); written just after Redis has the outcome, so
    waited for a moment."""
    line = "NOTICE: omniq [oq_outbound.c:"
    wait_for(lambda: any(line in l and l.endswith("record(): channel sms: " + what)
                         for l in k.text().splitlines()), timeout=5, what=what)


def states(rs, sid):
    """tx → the delivery state of the session's replies sent through a sender"""
    flat = rs.client().fcall("oq_deliveries", 1, "oq:{default}", sid)
    return {flat[i]: flat[i + 2] for i in range(0, len(flat), 4)}


@test
def test_outbound_reply_leaves_through_the_senders_process_and_shows_sent(ctx):
    rs, k, log = start(ctx)
    sid = session(k)
    psx = k.rpc("core.psx")[1]
    assert "omniq sender sms" in psx, psx
    assert ok(k, "omniq.reply", sid, "alice", "ok 您好, 您的订单已发货")
    wait_for(lambda: attempts(log), timeout=5, what="the sender's attempt")
    did, attempt, s, ext, frm, body = attempts(log)[0]
    # ext: what the channel's driver gave the session (none here: opened by RPC)
    assert (attempt, s, ext, frm, body) == ("1", sid, "", "alice", "ok 您好, 您的订单已发货")
    wait_for(lambda: delivery(rs, did).get("state") == "sent", timeout=5, what="sent")
    assert delivery(rs, did)["provider_id"] == "fx-" + did
    tx = rs.client().xrange("oq:{default}:s:%s:tx" % sid)[-1]
    assert tx[1]["dir"] == "out" and states(rs, sid) == {tx[0]: "sent"}
    # the provider's report, as an admin (or a DLR route) hands it in
    assert ok(k, "omniq.delivery_report", "sms", "fx-" + did, "delivered")
    assert states(rs, sid) == {tx[0]: "delivered"}
    wait_for(lambda: "delivery of session %s: delivered" % sid in k.text(), timeout=5,
             what="event_route[omniq:delivery] of the report")
    assert "delivery of session %s: queued" % sid in k.text()
    assert "delivery of session %s: sent" % sid in k.text()
    out = k.rpc("omniq.delivery_report", "email", "fx-nothing", "delivered")[1]
    assert out.startswith("error: 404"), out
    # an id no sender recorded (yet): kept for when one does, and said so
    out = k.rpc("omniq.delivery_report", "sms", "fx-later", "delivered")[1]
    assert out.startswith("kept: no message is known by that id yet"), out
    out = k.rpc("omniq.delivery_report", "sms", "fx-" + did, "read")[1]
    assert out.startswith("error: 400"), out
    # once, and counted
    assert len(attempts(log)) == 1
    st = k.rpc("stats.get_statistics", "omniq:")[1]
    assert "omniq:outbound_sent = 1" in st and "omniq:outbound_failed = 0" in st, st


@test
def test_outbound_retries_back_off_then_fail_with_the_providers_words(ctx):
    rs, k, log = start(ctx)
    sid = session(k)
    assert ok(k, "omniq.reply", sid, "alice", "retry please")
    wait_for(lambda: len(attempts(log)) == 3, timeout=10, what="three attempts")
    did = attempts(log)[0][0]
    assert [a[1] for a in attempts(log)] == ["1", "2", "3"]
    wait_for(lambda: delivery(rs, did).get("state") == "failed", timeout=5, what="failed")
    # the reason on one line, with the count of attempts
    assert delivery(rs, did)["reason"] == "fixture: HTTP 503  Service Unavailable (3 attempts)"
    assert list(states(rs, sid).values()) == ["failed"]
    said(k, "message %s of session %s not sent: fixture: HTTP 503  Service Unavailable "
         "(its last attempt)" % (did, sid))
    st = k.rpc("stats.get_statistics", "omniq:")[1]
    assert "omniq:outbound_retries = 3" in st and "omniq:outbound_failed = 1" in st, st
    # no fourth attempt comes
    time.sleep(1)
    assert len(attempts(log)) == 3


@test
def test_outbound_a_transient_failure_is_sent_at_the_next_attempt(ctx):
    rs, k, log = start(ctx)
    sid = session(k)
    assert ok(k, "omniq.reply", sid, "alice", "flaky but fine")
    wait_for(lambda: len(attempts(log)) == 2, timeout=10, what="a second attempt")
    did = attempts(log)[0][0]
    wait_for(lambda: delivery(rs, did).get("state") == "sent", timeout=5, what="sent")
    assert delivery(rs, did)["tries"] == "2"


@test
def test_outbound_a_refusal_fails_at_once_and_other_channels_are_untouched(ctx):
    rs, k, log = start(ctx)
    sid = session(k)
    assert ok(k, "omniq.reply", sid, "alice", "fail now")
    assert ok(k, "omniq.reply", sid, "alice", "noreason")
    wait_for(lambda: len(attempts(log)) == 2, timeout=5, what="two attempts")
    dids = [a[0] for a in attempts(log)]
    wait_for(lambda: all(delivery(rs, d).get("state") == "failed" for d in dids), timeout=5,
             what="both failed")
    assert delivery(rs, dids[0])["reason"] == "fixture: the number does not exist"
    assert delivery(rs, dids[1])["reason"] == "the sender of channel sms gave no reason"
    said(k, "message %s of session %s not sent: fixture: the number does not exist"
         % (dids[0], sid))
    said(k, "message %s of session %s not sent: the sender of channel sms gave no reason"
         % (dids[1], sid))
    # a web chat reply is no sender's business
    web = k.rpc_struct("omniq.enqueue", "web", "web:v1", "sales", 0)["sid"]
    assert ok(k, "omniq.accept", web, "alice")
    assert ok(k, "omniq.reply", web, "alice", "ok hello")
    assert states(rs, web) == {} and len(attempts(log)) == 2


@test
def test_outbound_a_providers_wait_is_honoured(ctx):
    rs, k, log = start(ctx)
    sid = session(k)
    assert ok(k, "omniq.reply", sid, "alice", "later please")
    wait_for(lambda: len(attempts(log)) == 1, timeout=5, what="the first attempt")
    t0 = time.time()
    wait_for(lambda: len(attempts(log)) == 2, timeout=5, what="the second attempt")
    assert time.time() - t0 > 1.2   # 1.5 s asked, not the 200 ms backoff


@test
def test_outbound_a_bogus_outcome_is_a_retry_and_is_said(ctx):
    rs, k, log = start(ctx)
    ctx.expect_log(r"BUG: omniq \[oq_outbound\.c:\d+\]: record\(\): sender of channel sms: "
                   r"outcome 42: taken as a retry$")
    sid = session(k)
    assert ok(k, "omniq.reply", sid, "alice", "bogus")
    wait_for(lambda: len(attempts(log)) == 3, timeout=10, what="three attempts")
    did = attempts(log)[0][0]
    wait_for(lambda: delivery(rs, did).get("state") == "failed", timeout=5, what="failed")
    assert delivery(rs, did)["reason"] == "the sender gave no outcome (3 attempts)"
    said(k, "message %s of session %s not sent: the sender gave no outcome (its last attempt)"
         % (did, sid))


@test
def test_outbound_replies_wait_while_redis_is_down_and_nothing_is_lost(ctx):
    """Redis stops while a reply is queued: the sender says so and waits; when Redis is back
    (the same data, AOF) the reply is sent once."""
    rs, k, log = start(ctx)
    ctx.expect_redis_down(rs)
    sid = session(k)
    assert ok(k, "omniq.reply", sid, "alice", "ok first")
    wait_for(lambda: len(attempts(log)) == 1, timeout=5, what="the first reply sent")
    rs.stop()
    out = k.rpc("omniq.reply", sid, "alice", "ok while down")[1]
    assert out.startswith("error: 503"), out   # the agent is told, nothing kept
    rs.start()
    # the RPC process reconnects after its reconnect_interval: refused until then
    wait_for(lambda: ok(k, "omniq.reply", sid, "alice", "ok after"), timeout=10,
             what="a reply once Redis is back")
    wait_for(lambda: len(attempts(log)) == 2, timeout=10, what="the reply after the outage")
    assert [a[5] for a in attempts(log)] == ["ok first", "ok after"]


@test
def test_outbound_the_agents_desk_shows_each_reply_sent_or_not_and_why(ctx):
    from test_ws import ws_kam
    from test_desk import agent, desk
    log = os.path.join(ctx.dir, "sent.log")
    rs, k, api = ws_kam(ctx, defines={"OMNIQ_SENDER_LOG": '"%s"' % log})
    agent(k, "alice", caps="chat=4")
    d = desk(k.http_port, api, "alice")
    assert d.request(type="state", state="available")["type"] == "ok"
    sid = k.rpc_struct("omniq.enqueue", "sms", "sms:+8613800000009", "sales", 0)["sid"]
    d.inbox(lambda ib: len(ib) == 1 and ib[0]["state"] == "offered")
    assert d.request(type="accept", sid=sid)["type"] == "ok"
    assert d.request(type="reply", sid=sid, text="ok 您的包裹今天发出", cid="r1")["type"] == "ok"
    q = d.recv("delivery", where=lambda m: m["state"] == "queued")
    sent = d.recv("delivery", where=lambda m: m["state"] == "sent")
    assert q["sid"] == sid and sent["id"] == q["id"] and sent["reason"] == "", sent
    # a refusal reaches the desk with the provider's words, a retry with its reason first
    assert d.request(type="reply", sid=sid, text="fail this one", cid="r2")["type"] == "ok"
    failed = d.recv("delivery", where=lambda m: m["state"] == "failed")
    assert failed["reason"] == "fixture: the number does not exist", failed
    assert d.request(type="reply", sid=sid, text="retry this one", cid="r3")["type"] == "ok"
    again = d.recv("delivery", where=lambda m: m["state"] == "queued" and m["reason"])
    assert again["reason"] == "fixture: HTTP 503  Service Unavailable", again
    last = d.recv("delivery", where=lambda m: m["state"] == "failed" and m["id"] == again["id"])
    assert last["reason"] == "fixture: HTTP 503  Service Unavailable (2 attempts)", last
    # a desk that (re)loads the transcript sees the same beside each reply
    tx = d.request(type="transcript", sid=sid)["transcript"]
    assert [(e["text"], e.get("delivery"), e.get("reason")) for e in tx] == [
        ("ok 您的包裹今天发出", "sent", None),
        ("fail this one", "failed", "fixture: the number does not exist"),
        ("retry this one", "failed", "fixture: HTTP 503  Service Unavailable (2 attempts)")]
    d.close()


@test
def test_outbound_an_alert_of_no_session_and_the_queues_an_admin_sees(ctx):
    rs, k, log = start(ctx)
    out = k.rpc("omniq.outbound_add", "sms", "sms:+8613900000000", "ok session 7 waits",
                "omniq")[1].strip()
    assert re.fullmatch(r"\d+", out), out
    wait_for(lambda: delivery(rs, out).get("state") == "sent", timeout=5, what="the alert sent")
    assert attempts(log) == [(out, "1", "", "sms:+8613900000000", "omniq", "ok session 7 waits")]
    # a channel nobody sends, a bad address: refused, nothing queued
    assert k.rpc("omniq.outbound_add", "email", "email:a@b.c", "x")[1].startswith("error: 404")
    assert k.rpc("omniq.outbound_add", "sms", "sms:+86" + "1" * 300, "x")[1].startswith(
        "error: 400")
    # the queues: the registered channel, nothing waiting; then a backlog while its
    # provider refuses for a while ("later": 1.5 s each)
    q = k.rpc("omniq.outbound")[1]
    assert re.search(r"channel: sms\s+queued: 0\s+due: 0\s+oldest_due_s: 0", q), q
    sid = session(k)
    for i in range(3):
        assert ok(k, "omniq.reply", sid, "alice", "later %d" % i)
    wait_for(lambda: re.search(r"queued: 3", k.rpc("omniq.outbound")[1]), timeout=5,
             what="three replies waiting")


@test
def test_outbound_a_node_that_dies_mid_send_leaves_the_message_to_another(ctx):
    """Node a takes a reply and dies (kill -9) while its provider is still answering; the
    message waits in Redis, and once a's lease has run out node b's sender takes it (its
    next attempt) and sends it: at least once, nothing lost."""
    rs = ctx.redis()
    logs = [os.path.join(ctx.dir, "sent-%s.log" % n) for n in ("a", "b")]

    def node(name, log):
        return ctx.kamailio("outbound.cfg", rs.port, name=name,
                            defines={"OMNIQ_SENDER_LOG": '"%s"' % log,
                                     "OMNIQ_SENDER_LEASE": "2000"})
    a = node("a", logs[0])
    assert ok(a, "omniq.agent_set", "alice", "Alice", "sales:5", "chat=4")
    assert ok(a, "omniq.agent_state", "alice", "available")
    sid = session(a)
    assert ok(a, "omniq.reply", sid, "alice", "slow 1500 sorry for the wait")
    wait_for(lambda: attempts(logs[0]), timeout=5, what="node a's attempt")
    a.kill9()
    did = attempts(logs[0])[0][0]
    assert delivery(rs, did)["state"] == "sending"
    b = node("b", logs[1])
    wait_for(lambda: attempts(logs[1]), timeout=15, what="node b's attempt")
    assert attempts(logs[1])[0][:2] == (did, "2"), attempts(logs[1])
    wait_for(lambda: delivery(rs, did).get("state") == "sent", timeout=10, what="sent by b")
    assert len(attempts(logs[0])) == 1 and len(attempts(logs[1])) == 1
    b.stop()


@test
def test_outbound_a_redis_that_lost_its_data_learns_the_senders_again(ctx):
    """FLUSHALL (or a replica promoted without the data) forgets which channels have
    senders; each sender says so again within 10 s, so that replies are queued again rather
    than handed to a driver that has nothing to send them with."""
    rs, k, log = start(ctx)
    r = rs.client()
    assert r.sismember("oq:{default}:ob:senders", "sms")
    r.flushall()
    wait_for(lambda: r.sismember("oq:{default}:ob:senders", "sms"), timeout=15,
             what="the sender registered again")
    assert ok(k, "omniq.agent_set", "alice", "Alice", "sales:5", "chat=4")
    assert ok(k, "omniq.agent_state", "alice", "available")
    sid = session(k)
    assert ok(k, "omniq.reply", sid, "alice", "ok after the flush")
    wait_for(lambda: [a[5] for a in attempts(log)] == ["ok after the flush"], timeout=5,
             what="the reply sent")
