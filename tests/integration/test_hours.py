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
