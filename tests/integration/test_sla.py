"""Service levels on two kamailio nodes sharing one Redis, with real short timers: a WeChat
customer waits; level 1 tells the queue's owner (on WeChat, through the stand-in of WeChat's
API, and on the desk), level 2 the supervisor and raises the session's priority, level 3 the
manager and sends the customer the policy's notice on WeChat. Each level fires once across
both nodes, runs each node's event_route[omniq:slaN] once in all, and is kept in the session's
alert history (kamcmd omniq.sla)."""
import time

from harness import test, wait_for, free_port
from test_wechat import OA, P, wechat_kam, text_xml, sessions_of, ok_rpc
from test_desk import Desk, login, PASSWORD

STAFF = "oStaff0001"     # a follower of the stand-in's Official Account
NOTICE = "客服正忙, 我们会在 30 分钟内回复您。"


def sla_lines(*nodes):
    return [line.split("SLA ", 1)[1] for k in nodes for line in k.text().splitlines()
            if "SLA level " in line]


@test
def test_sla_three_levels_once_across_two_nodes_to_wechat_the_desk_and_the_customer(ctx):
    rs, k, api, s, wx = wechat_kam(ctx, defines={"OMNIQ_LOG_SLA": "1"})
    k2 = ctx.kamailio("ws.cfg", rs.port, name="kam2",
                      defines={"OMNIQ_HTTP_PORT": str(free_port()), "OMNIQ_LOG_SLA": "1",
                               "OMNIQ_WECHAT_API": '"%s"' % s.url})
    wait_for(lambda: len(k2.pids("omniq sender wechat")) == 1, what="the second node's sender")
    r = rs.client()
    tpl = "wechat:tpl:%s:%s" % (OA["appid"], STAFF)
    for aid, notify in (("olga", "desk," + tpl), ("sam", tpl), ("mia", "desk")):
        ok_rpc(k, "omniq.agent_set", aid, aid.title(), "other:5", "chat=4")
        ok_rpc(k, "omniq.agent_password", aid, PASSWORD)
        ok_rpc(k, "omniq.agent_notify", aid, notify)
    ok_rpc(k2, "omniq.queue_roles", "default", "olga", "sam", "mia")
    out = ok_rpc(k, "omniq.queue_roles", "default")
    assert "olga" in out and "sam" in out and "mia" in out, out
    # levels at 1.5, 3 and 4.5 s of a 6 s first-response target
    ok_rpc(k, "omniq.sla_set", "std", "first", "6", "levels", "25,50,75", "raise", "40",
           "notice", NOTICE, "link", "https://desk.example.com/desk/#s=")
    rc, out = k2.rpc("omniq.sla_set", "bad", "levels", "80,50,100", "first", "6")
    assert out.startswith("error") and "rising" in out, out
    st, body = login(api, "olga")
    assert st == 200, body
    olga = Desk(int(api.base.rsplit(":", 1)[1]), body["token"])
    # a WeChat customer writes; no agent may take it (skills): it waits
    assert wx.post(OA, text_xml(OA, "oCustomer001", "我的订单还没到", "7100001"), "safe") \
        == (200, "success")
    sid = sessions_of(r, P, "wechat:%s:oCustomer001" % OA["appid"])[0]
    t0 = time.time()
    alert = olga.recv("alert", timeout=10)
    assert alert == {"type": "alert", "sid": sid, "level": 1, "kind": "first",
                     "wait_ms": alert["wait_ms"]} and 1400 <= alert["wait_ms"] < 4000, alert
    wait_for(lambda: len(sla_lines(k, k2)) == 3, timeout=15, what="three levels")
    assert time.time() - t0 >= 2.5            # level 3 at 4.5 s, not at once
    time.sleep(1.5)                           # both dispatchers and sweeps run meanwhile
    assert sorted(sla_lines(k, k2)) == [
        "level 1 of session %s: first, tell [olga]" % sid,
        "level 2 of session %s: first, tell [sam]" % sid,
        "level 3 of session %s: first, tell [mia]" % sid]
    # WeChat: the owner's and the supervisor's alerts, and the customer's notice, once each
    wait_for(lambda: len(s.sent) == 3, timeout=10, what="three messages at WeChat")
    time.sleep(0.5)
    alerts = sorted(m["body"]["data"]["content"]["value"] for m in s.sent if m["api"] == "template")
    assert len(alerts) == 2 and all(m.startswith("[SLA level ") for m in alerts), alerts
    assert ("session %s" % sid) in alerts[0] and alerts[0].endswith("#s=" + sid)
    assert [m["body"]["touser"] for m in s.sent if m["api"] == "template"] == [STAFF, STAFF]
    notice = [m["body"] for m in s.sent if m["api"] == "custom"]
    assert notice == [{"touser": "oCustomer001", "msgtype": "text", "text": {"content": NOTICE}}] \
        or (len(notice) == 1 and notice[0]["text"]["content"] == NOTICE), notice
    assert not s.violations, s.violations
    # level 2 raised the priority; the history on either node says what each level did
    assert r.hget("%s:s:%s" % (P, sid), "priority") == "40"
    hist = ok_rpc(k2, "omniq.sla", sid)
    for needed in ("policy", "std", "olga/desk=desk", "priority 0>40", "sam/" + tpl):
        assert needed in hist, (needed, hist)
    assert k.stat("omniq:sla_alerts") + k2.stat("omniq:sla_alerts") == 3
    # olga, told at level 1, takes it in hand from her desk; zoe, told of nothing, may not
    assert olga.request(type="alert_ack", sid=sid) == {"type": "ok", "rid": "1", "sid": sid}
    assert "by=olga" in ok_rpc(k, "omniq.sla", sid).replace(": ", "=").replace(" ", "")
    ok_rpc(k, "omniq.agent_set", "zoe", "Zoe", "other:5", "chat=4")
    ok_rpc(k, "omniq.agent_password", "zoe", PASSWORD)
    zoe = Desk(int(api.base.rsplit(":", 1)[1]), login(api, "zoe")[1]["token"])
    e = zoe.request(type="alert_ack", sid=sid)
    assert e["type"] == "error" and "no alert of session %s was sent to zoe" % sid in e["message"], e
    e = zoe.request(type="alert_ack")
    assert e["type"] == "error" and e["code"] == "bad_argument", e
    # the manager takes it in hand too (kamcmd: an admin's, whoever was told)
    assert ok_rpc(k, "omniq.sla_ack", sid, "mia")
    assert "mia" in ok_rpc(k, "omniq.sla", sid)
    rc, out = k.rpc("omniq.sla_del", "nope")
    assert out.startswith("error") and "404" in out, out


@test
def test_sla_levels_due_while_every_node_was_down_fire_once_in_order_after_the_restart(ctx):
    """The clocks live in Redis: levels that fell due while no kamailio ran fire when one
    starts again, in order, once; an answer then cancels what is left."""
    rs, k, api, s, wx = wechat_kam(ctx, defines={"OMNIQ_LOG_SLA": "1"})
    r = rs.client()
    ok_rpc(k, "omniq.sla_set", "std", "first", "4", "resolve", "60", "levels", "25,50,75")
    assert wx.post(OA, text_xml(OA, "oCustomer002", "在吗?", "7200001"), "safe") == (200, "success")
    sid = sessions_of(r, P, "wechat:%s:oCustomer002" % OA["appid"])[0]
    wait_for(lambda: len(sla_lines(k)) == 1, timeout=10, what="level 1")
    k.stop()
    time.sleep(3)                               # levels 2 and 3 fall due meanwhile
    k.start()
    wait_for(lambda: len(sla_lines(k)) == 3, timeout=15, what="levels 2 and 3 after the restart")
    time.sleep(1)
    assert [line.split(":")[0] for line in sla_lines(k)] == [
        "level 1 of session %s" % sid, "level 2 of session %s" % sid, "level 3 of session %s" % sid]
    fired = [l for l in r.xrange("%s:s:%s:sla" % (P, sid)) if l[1]["type"] == "fired"]
    assert [(f["kind"], f["level"]) for _, f in fired] == [("first", "1"), ("first", "2"),
                                                         ("first", "3")]
    # the agent answers: the resolution's levels (15, 30, 45 s) are still to come, nothing more
    # of the first response can fire
    ok_rpc(k, "omniq.agent_set", "alice", "Alice", "wechat:5", "chat=4")
    ok_rpc(k, "omniq.agent_state", "alice", "available")
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "agent") == "alice", timeout=5, what="offer")
    ok_rpc(k, "omniq.accept", sid, "alice")
    ok_rpc(k, "omniq.reply", sid, "alice", "在的, 请讲")
    head = ok_rpc(k, "omniq.sla", sid)
    assert "first: 3" in head and "next: " in head and "next: \n" not in head, head
