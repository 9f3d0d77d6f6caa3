"""Business hours through kamailio (modules/omniq/oq_hours.c, oq_hours_sync.c): kamcmd
omniq.hours_set works a real timezone's open intervals out, with a holiday; a web chat
customer who writes while the queue is closed is told, on the chat, when the team is back;
refusals say why; and the dispatcher works the intervals out again when they run short."""
import datetime
import time

from harness import test, wait_for
from test_ws import ws_kam, P, Chat

NOTICE = "We are closed today. We answer from {open} (Shanghai time)."


def rpc(k, *args):
    rc, out = k.rpc(*args)
    return out.strip()


@test
def test_hours_a_customer_writing_on_a_holiday_is_told_when_the_team_is_back(ctx):
    rs, k, api = ws_kam(ctx)
    r = rs.client()
    port = int(api.base.rsplit(":", 1)[1])
    # the web chat's queue: today and tomorrow in Shanghai are a holiday, every other day
    # is open 09:00-18:00
    today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()
    after = today + datetime.timedelta(days=2)
    exc = "%s..%s closed" % (today.isoformat(), (today + datetime.timedelta(days=1)).isoformat())
    for bad, says in ((("Mars/Olympus", "mon-sun 09:00-18:00"), "not in /usr/share/zoneinfo/"),
                      (("Asia/Shanghai", "mon-sun 9-18"), "a span is HH:MM-HH:MM"),
                      (("Asia/Shanghai", "someday 09:00-18:00"), "a day is mon..sun")):
        out = rpc(k, "omniq.hours_set", "web", *bad)
        assert out.startswith("error") and says in out, out
    assert not r.exists(P + ":bhq")
    assert rpc(k, "omniq.hours_set", "web", "Asia/Shanghai", "mon-sun 09:00-18:00", exc,
               NOTICE) == "ok"
    info = rpc(k, "omniq.hours", "web")
    assert "open: 0" in info and ("next_open: %s 09:00" % after.isoformat()) in info, info
    # 15 to 21 days of intervals, each 9 hours long, none today or tomorrow
    spans = r.zrangebyscore(P + ":bhi:web", int(time.time() * 1000), "+inf")
    assert 13 <= len(spans) <= 21, spans
    a, b, label = spans[0].split("|")
    assert int(b) - int(a) == 9 * 3600 * 1000 and label == "%s 09:00" % after.isoformat()
    # a customer writes: the chat says when the team is back, once
    c = Chat(port)
    c.send({"type": "hello"})
    c.recv("welcome")
    c.send({"type": "message", "text": "My order is late", "cid": "m1"})
    sid = c.recv("session")["session"]
    m = c.recv("message")
    assert m["text"] == "We are closed today. We answer from %s 09:00 (Shanghai time)." \
        % after.isoformat() and m["from"] == "omniq", m
    c.send({"type": "message", "text": "hello?", "cid": "m2"})
    time.sleep(1)
    outs = [f for _, f in r.xrange("%s:s:%s:tx" % (P, sid)) if f["dir"] == "out"]
    assert len(outs) == 1, outs
    # the dispatcher works intervals out again when fewer than 7 days are known: a node
    # that starts looks at once
    r.hset(P + ":bh:web", "until", str(int(time.time() * 1000) + 3600 * 1000))
    r.delete(P + ":bhi:web")
    k.stop()
    k.start()
    wait_for(lambda: r.zcard(P + ":bhi:web") >= 13, timeout=15, what="the hours renewed")
    assert int(r.hget(P + ":bh:web", "until")) > (time.time() + 14 * 86400) * 1000
    assert rpc(k, "omniq.hours_del", "web") == "ok"
    out = rpc(k, "omniq.hours_del", "web")
    assert out.startswith("error") and "404" in out, out


@test
def test_service_settings_over_rest_policies_and_hours(ctx):
    """A web admin's way to the same settings as kamcmd: service-level policies
    (GET/PUT/DELETE /api/v1/sla[/{name}]) and a queue's business hours
    (GET/PUT/DELETE /api/v1/queues/{queue}/hours); each refusal a JSON error with the
    reason, writing nothing."""
    rs, k, api = ws_kam(ctx)
    r = rs.client()
    st, body = api.call("PUT", "/api/v1/sla/std", {"first": 300, "levels": "50,80,100",
                                                   "notice": "我们正在处理, 请稍候"})
    assert (st, body) == (200, {"name": "std"}), (st, body)
    st, body = api.call("GET", "/api/v1/sla")
    assert st == 200 and [p["name"] for p in body["policies"]] == ["std"], body
    std = body["policies"][0]
    assert std["first"] == "300" and std["levels"] == "50,80,100", std
    before = sorted(r.keys(P + ":sla*"))
    for req, says in (({"first": 300, "levels": "80,50,100"}, "rising"),
                      ({"colour": "red"}, "colour"),
                      ({"first": [1]}, "'first' must be a string or an integer"),
                      ({}, "an object of the policy's fields")):
        st, body = api.call("PUT", "/api/v1/sla/bad", req)
        assert st == 400 and says in body["error"]["message"], (req, st, body)
    assert sorted(r.keys(P + ":sla*")) == before
    assert api.call("POST", "/api/v1/sla")[0] == 405
    assert api.call("DELETE", "/api/v1/sla/std") == (200, {"name": "std"})
    st, body = api.call("DELETE", "/api/v1/sla/std")
    assert st == 404 and body["error"]["code"] == "not_found", body
    # business hours
    st, body = api.call("GET", "/api/v1/queues/web/hours")
    assert st == 404, (st, body)
    st, body = api.call("PUT", "/api/v1/queues/web/hours", {"timezone": "Mars/Olympus",
                                                            "week": "mon-sun 09:00-18:00"})
    assert st == 400 and "not in /usr/share/zoneinfo/" in body["error"]["message"], body
    assert not r.exists(P + ":bhq")
    st, body = api.call("PUT", "/api/v1/queues/web/hours", {"week": "mon-sun 09:00-18:00"})
    assert st == 400 and "'timezone' is required" in body["error"]["message"], body
    st, body = api.call("PUT", "/api/v1/queues/web/hours", {
        "timezone": "Asia/Shanghai", "week": "mon-sun 00:00-24:00",
        "exceptions": "2031-01-01 closed", "notice": "新年休息"})
    assert (st, body) == (200, {"queue": "web"}), (st, body)
    st, h = api.call("GET", "/api/v1/queues/web/hours")
    assert st == 200 and h["tz"] == "Asia/Shanghai" and h["open"] == "1", h
    assert h["except"] == "2031-01-01 closed" and h["notice"] == "新年休息", h
    assert h["callback"] == "0", h
    # calls while closed are called back at the opening
    st, body = api.call("PUT", "/api/v1/queues/web/hours", {
        "timezone": "Asia/Shanghai", "week": "mon-sun 00:00-24:00", "callback": "yes"})
    assert st == 400 and "'callback' must be true or false" in body["error"]["message"], body
    assert api.call("GET", "/api/v1/queues/web/hours")[1]["callback"] == "0"
    st, body = api.call("PUT", "/api/v1/queues/web/hours", {
        "timezone": "Asia/Shanghai", "week": "mon-sun 00:00-24:00",
        "exceptions": "2031-01-01 closed", "notice": "新年休息", "callback": True})
    assert (st, body) == (200, {"queue": "web"}), (st, body)
    assert api.call("GET", "/api/v1/queues/web/hours")[1]["callback"] == "1"
    assert rpc(k, "omniq.closed_callback", "web", "0") == "ok"
    assert api.call("GET", "/api/v1/queues/web/hours")[1]["callback"] == "0"
    assert rpc(k, "omniq.closed_callback", "web", "1") == "ok"
    assert rpc(k, "omniq.hours", "web").count("Asia/Shanghai") == 1     # kamcmd sees the same
    assert api.call("DELETE", "/api/v1/queues/web/hours") == (200, {"queue": "web"})
    assert not r.sismember(P + ":qcc", "web")             # open at all hours: no callbacks
    assert api.call("GET", "/api/v1/queues/web/hours")[0] == 404
    assert api.call("DELETE", "/api/v1/queues/web/hours")[0] == 404
