"""omniq_ws: an integrator's channel without C — the generic ingest
(POST /api/v1/channels/{channel}/messages) and the outbound-delivery webhook, against a real
kamailio, redis-server and an HTTP server standing in for the integrator's service."""
import hashlib
import hmac
import json
import os
import signal
import time

from harness import test, wait_for
from test_app import Backend
from test_rest import unchanged
from test_ws import refuses_to_start, ws_kam

LINE_SECRET = b"line-secret-0123456789"
P = "oq:{default}"


def line_kam(ctx, backend, prepare=None, **kw):
    chan = "name=line;url=%s;secret=%s" % (backend.url, LINE_SECRET.decode())
    rs, k, api = ws_kam(ctx, dict({"OMNIQ_LINE_CHANNEL": '"%s"' % chan}, **kw), prepare)
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4")[0] == 0
    assert k.rpc("omniq.agent_state", "alice", "available")[0] == 0
    return rs, k, api


def delivery_states(r, sid):
    flat = r.fcall("oq_deliveries", 1, P, sid)
    return [flat[i + 2] for i in range(0, len(flat), 4)]


def sent_id(r, sid):
    """The transcript id of the session's last agent message."""
    return [i for i, f in r.xrange("%s:s:%s:tx" % (P, sid)) if f["dir"] == "out"][-1]


def the_one_signed_post(backend):
    """The backend took exactly one post, signed with the line channel's secret: (the
    post, its JSON body)."""
    pushes = [p for p in backend.pushes if p["status"] == 200]
    assert len(pushes) == 1, backend.pushes
    got = pushes[0]
    want = "sha256=" + hmac.new(LINE_SECRET, got["body"], hashlib.sha256).hexdigest()
    assert got["headers"]["x-omniq-signature"] == want
    return got, json.loads(got["body"])


def say(api, text, identity="app:line:U1", **kw):
    return api.call("POST", "/api/v1/channels/line/messages",
                    dict({"identity": identity, "body": text}, **kw))


@test
def test_channel_ingest_and_webhook_reply(ctx):
    backend = Backend(script=[503])            # the first delivery fails, the retry lands
    try:
        rs, k, api = line_kam(ctx, backend)
        r = rs.client()
        st, a = say(api, "Hello from LINE", skills="sales", cid="L-1")
        assert st == 201 and a["opened"] is True and a["duplicate"] is False, (st, a)
        assert a["state"] == "offered" and a["agent"] == "alice" and a["channel"] == "line", a
        sid = a["sid"]
        # ext defaults to the identity: the webhook will know whom to answer
        assert r.hget("%s:s:%s" % (P, sid), "ext") == "app:line:U1"
        # the next message joins the live session
        st, b = say(api, "Are you there?", cid="L-2", **{"from": "Ulla"})
        assert st == 201 and b["sid"] == sid and b["opened"] is False, (st, b)
        # the integrator retries a delivery it is not sure of: taken once, same answer
        with unchanged(r):
            st, again = say(api, "Are you there?", cid="L-2", **{"from": "Ulla"})
        assert st == 200 and again["duplicate"] is True and again["id"] == b["id"], (st, again)
        tx = [(f["dir"], f["from"], f["body"]) for _, f in r.xrange("%s:s:%s:tx" % (P, sid))]
        assert tx == [("in", "app:line:U1", "Hello from LINE"), ("in", "Ulla", "Are you there?")], tx
        # the agent answers (through REST here; the desk and cfg call the same reply())
        assert api.call("POST", "/api/v1/sessions/%s/accept" % sid, {"agent": "alice"})[0] == 200
        st, _ = api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                         {"direction": "out", "from": "alice", "body": "Yes, how can I help?"})
        assert st == 201
        wait_for(lambda: backend.delivered(), timeout=15, what="the webhook delivered")
        pushes = backend.pushes
        assert [p["status"] for p in pushes] == [503, 200], pushes
        first, got = pushes
        h = got["headers"]
        assert h["x-omniq-kind"] == "webhook" and h["x-omniq-channel"] == "line", h
        assert h["x-omniq-delivery"] == first["headers"]["x-omniq-delivery"], "retry changed the id"
        want = "sha256=" + hmac.new(LINE_SECRET, got["body"], hashlib.sha256).hexdigest()
        assert h["x-omniq-signature"] == want, (h, want)
        body = json.loads(got["body"])
        assert (body["type"], body["channel"], body["session"], body["ext"], body["from"],
                body["text"]) == ("message", "line", sid, "app:line:U1", "alice",
                                  "Yes, how can I help?"), body
        assert abs(body["ts"] - time.time()) < 30 and body["id"] == sent_id(r, sid), body
        # sent: the agent sees it (the channel's sender, not the push outbox, carried it)
        wait_for(lambda: delivery_states(r, sid) == ["sent"], what="the reply shown as sent")
        assert r.xlen(P + ":outbox") == 0
        # closed; the customer writes again: a new session, in the customer's history
        assert api.call("POST", "/api/v1/sessions/%s/close" % sid, {"disposition": "resolved"})[0] == 200
        st, c = say(api, "One more question")
        assert st == 201 and c["opened"] is True and c["sid"] != sid, (st, c)
        st, hist = api.call("GET", "/api/v1/customers/app:line:U1/history")
        assert st == 200 and [s["sid"] for s in hist["sessions"]] == [c["sid"], sid], hist
        assert {s["channel"] for s in hist["sessions"]} == {"line"}
        # an email-class channel counts against email capacity, not chat
        st, t = api.call("POST", "/api/v1/channels/tickets/messages",
                         {"identity": "email:buyer@example.com", "body": "Invoice?"})
        assert st == 201 and r.hget("%s:s:%s" % (P, t["sid"]), "class") == "email", (st, t)
    finally:
        backend.stop()


@test
def test_channel_ingest_refusals(ctx):
    backend = Backend()
    try:
        rs, k, api = line_kam(ctx, backend)
        r = rs.client()
        path = "/api/v1/channels/line/messages"
        with unchanged(r):
            for method, url, body, want, code in [
                ("POST", "/api/v1/channels/nope/messages", {"identity": "app:line:U1", "body": "x"}, 404, "not_found"),
                ("POST", "/api/v1/channels/LINE/messages", {"identity": "app:line:U1", "body": "x"}, 400, "bad_argument"),
                ("POST", "/api/v1/channels/phone/messages", {"identity": "phone:+8613800000001", "body": "x"}, 400, "bad_argument"),
                ("POST", path, {"body": "x"}, 400, "bad_argument"),
                ("POST", path, {"identity": "U1", "body": "x"}, 400, "bad_argument"),
                ("POST", path, {"identity": "app:line:U1"}, 400, "bad_argument"),
                ("POST", path, {"identity": "app:line:U1", "body": ""}, 400, "bad_argument"),
                ("POST", path, {"identity": "app:line:U1", "body": 7}, 400, "bad_argument"),
                ("POST", path, {"identity": "app:line:U1", "body": "x", "cid": ""}, 400, "bad_argument"),
                ("POST", path, {"identity": "app:line:U1", "body": "x", "cid": "c" * 65}, 400, "bad_argument"),
                ("POST", path, {"identity": "app:line:U1", "body": "x", "priority": 1001}, 400, "bad_argument"),
                ("POST", path, {"identity": "app:line:U1", "body": "x", "priority": "high"}, 400, "bad_argument"),
                ("POST", path, {"identity": "app:line:U1", "body": "x", "skills": "Bad Skill"}, 400, "bad_argument"),
                ("POST", path, {"identity": "app:line:U1", "body": "x", "ext": "e" * 257}, 400, "bad_argument"),
                ("POST", path, {"identity": "app:line:U1", "body": "x", "from": "f" * 257}, 400, "bad_argument"),
                ("POST", path, {"identity": "app:line:U1", "body": "x", "queue": "a queue"}, 400, "bad_argument"),
                ("GET", path, None, 405, "method_not_allowed"),
                ("POST", "/api/v1/channels/line", {"identity": "app:line:U1", "body": "x"}, 404, "not_found"),
                ("POST", "/api/v1/channels/line/other", {"identity": "app:line:U1", "body": "x"}, 404, "not_found"),
            ]:
                st, e = api.call(method, url, body)
                assert st == want and e["error"]["code"] == code, (method, url, body, st, e)
            st, e = api.call("POST", path, raw=b'{"identity": "app:line:U1", "body": ')
            assert st == 400 and e["error"]["code"] == "invalid_json", (st, e)
            st, e = api.call("POST", path, {"identity": "app:line:U1", "body": "x" * 5000})
            assert st == 413 and e["error"]["code"] == "too_large", (st, e)
            st, e = api.call("POST", path, {"identity": "app:line:U1", "body": "x"},
                             key="crm:wrong-secret-0000000")
            assert st == 401 and e["error"]["code"] == "unauthorized", (st, e)
        # and the same request, well formed, is taken
        st, ok = say(api, "x")
        assert st == 201 and ok["opened"] is True, (st, ok)
    finally:
        backend.stop()


@test
def test_channel_modparam_refusals(ctx):
    """A wrong channel definition stops kamailio at start with a line saying what is wrong."""
    rs = ctx.redis()
    cases = [
        ("name=line;url=http://127.0.0.1:9/x", "secret of 16..128 bytes required"),
        ("name=line;url=ftp://h/x;secret=line-secret-0123456789", "url must be an http:// or https:// URL"),
        ("name=Line;url=http://h/x;secret=line-secret-0123456789", "name must match"),
        ("name=line;url=http://h/x;secret=line-secret-0123456789;class=voice", "class must be chat or email"),
        ("name=line;url=http://h/x;secret=line-secret-0123456789;colour=red", "unknown key 'colour'"),
        ("name=tickets;url=http://h/x;secret=line-secret-0123456789", "channel tickets: configured twice"),
    ]
    refuses_to_start(ctx, rs, [({"OMNIQ_LINE_CHANNEL": '"%s"' % chan}, says)
                               for chan, says in cases], "bad")


@test
def test_webhook_reply_survives_restarts_and_is_delivered_once(ctx):
    """A reply whose webhook failed is tried again by the channel's sender after each
    restart of kamailio (it waits in Redis, not in the stopped node), until the receiver
    takes it: once, with the same delivery id every time, and the agent sees it sent."""
    backend = Backend(script=[503, 503])
    try:
        rs, k, api = line_kam(ctx, backend)
        r = rs.client()
        st, a = say(api, "Hello from LINE", skills="sales", cid="L-1")
        assert st == 201, (st, a)
        sid = a["sid"]
        st, _ = api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                         {"direction": "out", "from": "alice", "body": "Yes, how can I help?"})
        assert st == 201
        wait_for(lambda: backend.pushes, timeout=10, what="the first delivery attempt")
        k.stop()
        assert delivery_states(r, sid) == ["queued"]
        for n in (2, 3):
            k.start()                          # its sender takes it again when it is due
            wait_for(lambda: len(backend.pushes) == n, timeout=20, what="try %d" % n)
            wait_for(lambda: delivery_states(r, sid) == (["queued"] if n == 2 else ["sent"]),
                     what="its outcome")
            k.stop()
        assert [p["status"] for p in backend.pushes] == [503, 503, 200], backend.pushes
        assert len({p["headers"]["x-omniq-delivery"] for p in backend.pushes}) == 1
        assert json.loads(backend.delivered()[0]["body"])["text"] == "Yes, how can I help?"
    finally:
        backend.stop()


@test
def test_channel_webhook_carries_a_service_level_alert_as_a_signed_notice(ctx):
    """A person whose alert target is an integrator's channel ("line:<address>") is told
    through its webhook: a signed "notice" of no session, once per level that names them."""
    backend = Backend()
    try:
        rs, k, api = line_kam(ctx, backend)
        r = rs.client()
        assert k.rpc("omniq.agent_set", "sam", "Sam", "other:5", "voice=0,chat=1")[0] == 0
        assert k.rpc("omniq.agent_notify", "sam", "line:staff-room")[0] == 0
        assert k.rpc("omniq.queue_roles", "default", "", "sam", "")[0] == 0
        rc, out = k.rpc("omniq.sla_set", "std", "first", "4", "levels", "25,50,75")
        assert rc == 0 and not out.startswith("error"), out
        st, a = say(api, "nobody here?", skills="support", cid="S-1")
        assert st == 201 and a["state"] == "queued", a
        wait_for(lambda: backend.delivered(), timeout=15, what="the supervisor's notice")
        time.sleep(2)          # levels 1 and 3 name nobody: one notice in all
        got, body = the_one_signed_post(backend)
        assert (body["type"], body["channel"], body["to"], body["from"]) == \
            ("notice", "line", "staff-room", "omniq"), body
        assert body["text"].startswith("[SLA level 2] session %s (line" % a["sid"]), body
        assert body["id"] == got["headers"]["x-omniq-delivery"] and abs(body["ts"] - time.time()) < 30
        assert r.hget("%s:s:%s" % (P, a["sid"]), "sla_f") == "3"
    finally:
        backend.stop()


@test
def test_channel_one_vocabulary_paged_transcript_and_replies_in_an_agents_name(ctx):
    """Issue 28's REST points: an integrator's user as chan:<channel>:<user> (a namespace of
    its own); a reply in an agent's name only from the agent who holds the session (mallory
    on alice's session: 409, nothing written), one without `from` marked as the
    integration's (api:<key name>); `dir`, with `direction` its deprecated name; the
    webhook's payload under the one vocabulary (sid, body; session, text kept) and signed
    with its timestamp (X-Omniq-Signature-V2) so that a captured delivery cannot be
    replayed; the transcript read back page by page; close answers the state it left."""
    backend = Backend()
    try:
        rs, k, api = line_kam(ctx, backend)
        r = rs.client()
        st, a = say(api, "こんにちは", identity="chan:LINE:U7".replace("LINE", "line"),
                    skills="sales", cid="m1")
        assert st == 201 and a["opened"] is True, (st, a)
        sid = a["sid"]
        assert r.hget("%s:s:%s" % (P, sid), "ext") == "chan:line:U7"
        assert api.call("POST", "/api/v1/sessions/%s/accept" % sid, {"agent": "alice"})[0] == 200
        assert k.rpc("omniq.agent_set", "mallory", "Mallory", "sales:5", "chat=4")[0] == 0
        msgs = "/api/v1/sessions/%s/messages" % sid
        with unchanged(r):
            st, e = api.call("POST", msgs, {"dir": "out", "from": "mallory", "body": "pay me"})
            assert st == 409 and e["error"]["code"] == "wrong_agent" and "held by alice" in \
                e["error"]["message"], (st, e)
            st, e = api.call("POST", msgs, {"dir": "out", "direction": "in", "body": "x"})
            assert st == 400 and "disagree" in e["error"]["message"], (st, e)
            st, e = api.call("POST", msgs, {"body": "x", "from": "alice"})
            assert st == 400 and "'dir' is required" in e["error"]["message"], (st, e)
            st, e = api.call("POST", msgs, {"dir": "sys", "body": "x"})
            assert st == 400 and "'from' is required" in e["error"]["message"], (st, e)
        st, ok = api.call("POST", msgs, {"dir": "out", "from": "alice", "body": "はい"})
        assert st == 201 and ok["from"] == "alice", (st, ok)
        st, ok = api.call("POST", msgs, {"dir": "out", "body": "Your order #42 shipped"})
        assert st == 201 and ok["from"] == "api:crm", (st, ok)
        # the deprecated name still works
        st, _ = api.call("POST", msgs, {"direction": "in", "from": "chan:line:U7", "body": "ok"})
        assert st == 201
        wait_for(lambda: len(backend.delivered()) == 2, timeout=15, what="two webhooks")
        for p, (frm, text) in zip(backend.delivered(), [("alice", "はい"),
                                                          ("api:crm", "Your order #42 shipped")]):
            h, raw = p["headers"], p["body"]
            body = json.loads(raw)
            assert (body["sid"], body["body"], body["from"], body["ext"]) == \
                (sid, text, frm, "chan:line:U7"), body
            assert (body["session"], body["text"]) == (sid, text), body  # deprecated names
            t = int(h["x-omniq-timestamp"])
            assert abs(t - time.time()) < 60, h
            v2 = "t=%d,sha256=%s" % (t, hmac.new(LINE_SECRET, b"%d." % t + raw,
                                                  hashlib.sha256).hexdigest())
            assert h["x-omniq-signature-v2"] == v2, (h, v2)
            # the same body under another timestamp does not verify: no replay
            assert hmac.new(LINE_SECRET, b"%d." % (t + 600) + raw, hashlib.sha256) \
                .hexdigest() not in h["x-omniq-signature-v2"]
        # the transcript, page by page, as Redis holds it
        whole = [(i, f["dir"], f["from"], f["body"]) for i, f in
                 r.xrange("%s:s:%s:tx" % (P, sid))]
        assert len(whole) == 4, whole
        got, after, pages = [], None, 0
        while True:
            st, page = api.call("GET", msgs + "?limit=3" + ("&after=" + after if after else ""))
            assert st == 200 and page["sid"] == sid, (st, page)
            got += [(m["id"], m["dir"], m["from"], m["body"]) for m in page["messages"]]
            pages += 1
            if page["next"] is None:
                break
            assert page["next"] == page["messages"][-1]["id"]
            after = page["next"]
        assert got == whole and pages == 2, (got, whole, pages)
        st, page = api.call("GET", msgs)
        sent = [m for m in page["messages"] if m["dir"] == "out"]
        wait_for(lambda: all(m.get("delivery") == "sent" for m in
                             api.call("GET", msgs)[1]["messages"] if m["dir"] == "out"),
                 what="the replies shown as sent")
        assert len(sent) == 2 and page["next"] is None
        for bad in ("?limit=0", "?limit=201", "?after=x1", "?after=" + "9" * 60):
            st, e = api.call("GET", msgs + bad)
            assert st == 400 and e["error"]["code"] == "bad_argument", (bad, st, e)
        st, e = api.call("GET", "/api/v1/sessions/999999/messages")
        assert st == 404 and e["error"]["code"] == "not_found", (st, e)
        # closed: it answers what the session became
        st, c = api.call("POST", "/api/v1/sessions/%s/close" % sid, {"disposition": "resolved"})
        assert st == 200 and c["result"] == r.hget("%s:s:%s" % (P, sid), "state") and \
            c["result"] in ("wrapup", "closed"), (st, c)
    finally:
        backend.stop()


@test
def test_channel_registered_by_a_modparam_and_a_module_names_both(ctx):
    """An integrator's channel named as a loaded module's (omniq_echo registers `echo`): kamailio
    does not start, and its line names both that registered it - the modparam first (omniq_ws
    is loaded before), then the module - where it used to blame the module alone."""
    rs = ctx.redis()
    refuses_to_start(ctx, rs, [(
        {"OMNIQ_ECHO": '"%s"' % os.path.join(ctx.dir, "echo.out"),
         "OMNIQ_LINE_CHANNEL": '"name=echo;url=http://127.0.0.1:9/x;secret=%s"'
                               % LINE_SECRET.decode()},
        "channel 'echo' is registered twice: by modparam(\"omniq_ws\", \"channel\"), then by "
        "omniq_echo (give the channel another name in one of them)")], "twice")
    assert not rs.client().keys("oq:{default}:s:*")   # no session was written
