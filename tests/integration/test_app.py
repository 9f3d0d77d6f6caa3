"""omniq_ws: the mobile app channel (/ws/app) and its push webhook, against a real kamailio,
redis-server and an HTTP server standing in for the app's backend."""
import hashlib
import hmac
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import test, free_port, wait_for, wait_sent
from test_ws import Chat, chat_kam, sign

APP = b"app-secret-0123456789"
P = "oq:{default}"


def app_token(user, ttl=3600, secret=APP, purpose="app"):
    return sign(secret, purpose, "%s/%d" % (user, int(time.time()) + ttl))


class Backend:
    """The app's backend: records each push; answers with the next status of `script`
    (then 200 for good)."""

    def __init__(self, script=()):
        self.pushes = []
        self.script = list(script)
        self.lock = threading.Lock()
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    status = outer.script.pop(0) if outer.script else 200
                    outer.pushes.append({"status": status, "body": body,
                                         "headers": {k.lower(): v for k, v in self.headers.items()}})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.port = free_port()
        self.srv = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/push" % self.port

    def delivered(self):
        with self.lock:
            return [p for p in self.pushes if p["status"] == 200]

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def app_kam(ctx, backend):
    """kamailio with pushes to backend, and alice available for app sessions (skill sales)."""
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_PUSH_URL": '"%s"' % backend.url})
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4")[0] == 0
    assert k.rpc("omniq.agent_state", "alice", "available")[0] == 0
    return rs, k, api, port


class App(Chat):
    def __init__(self, port):
        super().__init__(port, "/ws/app", "omniq-app")

    def hello(self, user="u42", **kw):
        self.send(dict({"type": "hello", "token": app_token(user)}, **kw))
        self.welcome = self.recv("welcome")
        missed = []
        while True:
            m = self.recv()
            if m["type"] == "missed":
                missed += [dict(e, session=m["session"]) for e in m["messages"]]
            elif m["type"] == "synced":
                self.synced = m
                return missed
            else:
                raise AssertionError("before synced: %r" % m)

    def start(self, text, cid):
        """The first message: opens the session; its id."""
        self.send({"type": "message", "text": text, "cid": cid})
        sid = self.recv("session")["session"]
        assert self.recv("ack")["cid"] == cid
        return sid

    def quiet(self, seconds=0.5):
        """Whatever frames arrive within `seconds` (to show that nothing more comes)."""
        got = []
        self.ws.settimeout(seconds)
        try:
            while True:
                got.append(json.loads(self.ws.recv()))
        except Exception:
            pass
        self.ws.settimeout(10)
        return got


def agent_takes(k, api, sid):
    assert api.call("POST", "/api/v1/sessions/%s/accept" % sid, {"agent": "alice"})[0] == 200


def reply(api, sid, text):
    st, body = api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                        {"direction": "out", "from": "alice", "body": text})
    assert st == 201, (st, body)


def tx(r, sid):
    return [(f["dir"], f["body"]) for _, f in r.xrange("%s:s:%s:tx" % (P, sid))]


@test
def test_app_resend_and_resume_lose_nothing_and_repeat_nothing(ctx):
    be = Backend()
    try:
        rs, k, api, port = app_kam(ctx, be)
        r = rs.client()
        a = App(port)
        assert a.hello() == [] and a.welcome["session"] is None and a.synced["last"] is None
        assert a.welcome["user"] == "u42"
        a.send({"type": "message", "text": "My router is down", "cid": "m1"})
        s = a.recv("session")
        sid = s["session"]
        ack1 = a.recv("ack")
        assert ack1["cid"] == "m1" and ack1["duplicate"] is False and ack1["id"], ack1
        assert r.hget("%s:s:%s" % (P, sid), "channel") == "app"
        assert r.hget("%s:s:%s" % (P, sid), "identity") == "app:main:u42"
        agent_takes(k, api, sid)
        # (the offer came with the session frame: its event may come too, or not, as it
        # raced with the socket following the new session)
        assert s["state"] == "offered" and s["agent"] == "alice", s
        st = a.recv("state")
        if st["event"] == "offer":
            st = a.recv("state")
        assert st["event"] == "accept" and st["agent_name"] == "Alice", st
        # the ack was lost: the app resends with the same cid and gets the same ack
        a.send({"type": "message", "text": "My router is down", "cid": "m1"})
        again = a.recv("ack")
        assert again == dict(ack1, duplicate=True), (again, ack1)
        assert tx(r, sid) == [("in", "My router is down")]
        reply(api, sid, "Which model?")
        m2 = a.recv("message")
        assert (m2["session"], m2["dir"], m2["from"], m2["text"]) == (sid, "out", "alice",
                                                                      "Which model?"), m2
        # connected: an agent's reply is no push
        assert be.pushes == []
        a.close()

        # offline: two replies, each a signed push to the backend
        wait_for(lambda: k.rpc_ok("omniq.stats") and r.zcount("%s:online:app:main:u42" % P,
                                                               "-inf", "+inf") == 0,
                 what="the lease to end with the socket")
        reply(api, sid, "Please restart it.")
        reply(api, sid, "Still there?")
        wait_for(lambda: len(be.delivered()) == 2, what="two pushes")
        bodies = [json.loads(p["body"]) for p in be.delivered()]
        assert sorted(b["text"] for b in bodies) == ["Please restart it.", "Still there?"], bodies
        for p, b in zip(be.delivered(), bodies):
            assert b["app"] == "main" and b["user"] == "u42" and b["session"] == sid and b["from"] == "alice", b
            h = p["headers"]
            want = hmac.new(APP, p["body"], hashlib.sha256).hexdigest()
            assert h["x-omniq-signature"] == "sha256=" + want, h
            assert h["x-omniq-kind"] == "push" and h["x-omniq-delivery"], h
        wait_for(lambda: r.zcard(P + ":ob:q:push") == 0, what="sent pushes to leave the queue")

        # reconnect: exactly the two missed replies, then live ones once each
        b = App(port)
        missed = b.hello(session=sid, last=m2["id"])
        assert b.welcome["session"] == sid and b.welcome["state"] == "active", b.welcome
        assert b.welcome["agent_name"] == "Alice", b.welcome
        assert [(e["dir"], e["text"]) for e in missed] == [("out", "Please restart it."),
                                                           ("out", "Still there?")], missed
        assert b.synced["last"] == missed[-1]["id"], b.synced
        reply(api, sid, "Done?")
        live = b.recv("message")
        assert live["text"] == "Done?" and live["id"] > missed[-1]["id"], live
        assert [f for f in b.quiet() if f["type"] == "message"] == []
        assert len(be.delivered()) == 2          # online again: no push for "Done?"
        # a new phone (nothing known): the open session's whole transcript, then synced
        c = App(port)
        everything = c.hello()
        assert [(e["dir"], e["text"]) for e in everything] == tx(r, sid), everything
        assert c.synced == {"type": "synced", "session": sid, "last": everything[-1]["id"]}
        # the agent closes: both sockets hear it; the next message opens a new session
        assert api.call("POST", "/api/v1/sessions/%s/close" % sid,
                        {"disposition": "resolved"})[0] == 200
        assert b.recv("state")["state"] in ("wrapup", "closed")
        b.send({"type": "message", "text": "One more thing", "cid": "m1"})
        s2 = b.recv("session")
        assert s2["session"] != sid, s2
        ack = b.recv("ack")
        assert ack["duplicate"] is False                   # cids are per session
        for x in (b, c):
            x.close()
        assert len(be.delivered()) == 2
    finally:
        be.stop()


@test
def test_app_messages_of_one_turn_share_a_round_trip(ctx):
    """An app's messages are appended in the same batches as the web chat's (api.append_many,
    each with its client id): with both omniq_ws processes stopped, 30 app users send three
    messages each and resend the first (its ack lost); on resuming, each user gets four acks
    in order, the resend's marked duplicate with the first's id, each message is in its
    transcript once, and a process took a round trip or two for them, not one a message.
    With Redis refusing writes, a message's "unavailable" error names its cid."""
    import os
    import signal
    from test_ws import redis_reads
    be = Backend()
    try:
        rs, k, api, port = app_kam(ctx, be)
        r = rs.client()
        apps, sids = [], []
        for i in range(30):
            a = App(port)
            a.hello(user="u%d" % i)
            sids.append(a.start("hello %d" % i, "h%d" % i))
            apps.append(a)
        pids = k.pids("omniq_ws")
        assert len(pids) == 2, pids
        reads = redis_reads(r)
        for p in pids:
            os.kill(p, signal.SIGSTOP)
        try:
            for i, a in enumerate(apps):
                for n in range(3):
                    a.send({"type": "message", "text": "%d of %d" % (n, i), "cid": "%d/%d" % (n, i)})
                a.send({"type": "message", "text": "0 of %d" % i, "cid": "0/%d" % i})
            wait_sent([a.ws.sock for a in apps])   # every frame in the processes' buffers
        finally:
            for p in pids:
                os.kill(p, signal.SIGCONT)
        for i, a in enumerate(apps):
            acks = [a.recv("ack") for _ in range(4)]
            assert [x["cid"] for x in acks] == ["0/%d" % i, "1/%d" % i, "2/%d" % i, "0/%d" % i]
            assert [x["duplicate"] for x in acks] == [False, False, False, True], acks
            assert acks[3]["id"] == acks[0]["id"] and len({x["id"] for x in acks}) == 3, acks
        reads = redis_reads(r) - reads
        # a pipeline or two per process plus what the event readers and timers read
        # meanwhile; 120 round trips for the messages alone, one a message
        assert reads < 60, "%d Redis reads for 120 app messages: not batched" % reads
        for i, sid in enumerate(sids):
            assert tx(r, sid) == [("in", "hello %d" % i)] + [
                ("in", "%d of %d" % (n, i)) for n in range(3)], (i, tx(r, sid))
        # Redis refusing writes: the error names the message, which the app sends again
        ctx.expect_redis_full()
        r.config_set("maxmemory", "1")
        try:
            apps[0].send({"type": "message", "text": "full?", "cid": "full"})
            e = apps[0].recv("error")
            assert (e["code"], e["cid"]) == ("unavailable", "full") and "OOM" in e["message"], e
        finally:
            r.config_set("maxmemory", "0")
        apps[0].send({"type": "message", "text": "full?", "cid": "full"})
        ack = apps[0].recv("ack")
        assert (ack["cid"], ack["duplicate"]) == ("full", False), ack
        for a in apps:
            a.close()
    finally:
        be.stop()


@test
def test_app_push_retries_until_the_backend_takes_it(ctx):
    # the backend fails twice (a 503, then a 500), takes the third try; then refuses one
    # push for good (400): it fails, not retried; then it stays down: given up after
    # webhook_attempts. Each one's state is kept (the push sender's outbound queue).
    be = Backend(script=[503, 500])
    try:
        rs, k, api, port = app_kam(ctx, be)
        r = rs.client()
        a = App(port)
        a.hello(user="u7")
        sid = a.start("hi", "1")
        agent_takes(k, api, sid)
        a.close()
        wait_for(lambda: r.zcount("%s:online:app:main:u7" % P, "-inf", "+inf") == 0,
                 what="the lease to end")
        reply(api, sid, "Your ticket is 77.")
        wait_for(lambda: len(be.delivered()) == 1, timeout=15, what="the push after two failures")
        tries = [p for p in be.pushes]
        assert [p["status"] for p in tries] == [503, 500, 200], [p["status"] for p in tries]
        ids = {p["headers"]["x-omniq-delivery"] for p in tries}
        assert len(ids) == 1, ids                # one delivery id on every try
        assert len({p["body"] for p in tries}) == 1
        did = ids.pop()

        def state(d):
            return r.hget("%s:ob:d:%s" % (P, d), "state")
        wait_for(lambda: state(did) == "sent", what="the push sent")
        with be.lock:
            be.script = [400]
        reply(api, sid, "Bye.")
        wait_for(lambda: len(be.pushes) == 4, timeout=10, what="the refused push")
        refused = be.pushes[-1]["headers"]["x-omniq-delivery"]
        wait_for(lambda: state(refused) == "failed", what="the refused push failed")
        assert r.hget("%s:ob:d:%s" % (P, refused), "reason") == \
            "the push_url refused it: HTTP 400"
        assert be.pushes[-1]["status"] == 400
        # a backend that stays down: webhook_attempts (3) tries, then failed with the reason
        with be.lock:
            be.script = [503] * 10
        reply(api, sid, "Anyone?")
        wait_for(lambda: len(be.pushes) == 7, timeout=15, what="three tries")
        down = be.pushes[-1]["headers"]["x-omniq-delivery"]
        wait_for(lambda: state(down) == "failed", what="the push given up")
        assert r.hget("%s:ob:d:%s" % (P, down), "reason") == \
            "the push_url answered HTTP 503 (3 attempts)"
        assert [p["status"] for p in be.pushes[4:]] == [503] * 3, be.pushes[4:]
        time.sleep(1.5)
        assert len(be.pushes) == 7 and r.zcard(P + ":ob:q:push") == 0
        assert re.search(r"NOTICE: omniq \[oq_outbound\.c:\d+\]: record\(\): channel push: "
                         r"message %s to app:main:u7 not sent: the push_url answered HTTP 503 "
                         r"\(its last attempt\)" % down, k.text()), k.tail()
    finally:
        be.stop()


@test
def test_app_hostile_clients_get_close_codes_and_write_nothing(ctx):
    be = Backend()
    try:
        rs, k, api, port = app_kam(ctx, be)
        r = rs.client()
        # another user's session, to be asked for
        other = App(port)
        other.hello(user="victim")
        victim_sid = other.start("my secret", "s")
        before = sorted(r.keys("*"))
        expired = sign(APP, "app", "u1/%d" % (int(time.time()) - 1))
        cases = [
            ("no hello first", {"type": "message", "text": "x", "cid": "1"}, 1007),
            ("forged token", {"type": "hello", "token": app_token("u1", secret=b"not-the-secret!!")}, 1008),
            ("chat token", {"type": "hello", "token": app_token("u1", purpose="user")}, 1008),
            ("expired token", {"type": "hello", "token": expired}, 1008),
            ("no expiry", {"type": "hello", "token": sign(APP, "app", "u1")}, 1008),
            ("no token", {"type": "hello"}, 1008),
        ]
        for what, msg, code in cases:
            c = App(port)
            c.send(msg)
            got = c.close_code()
            assert got == code, (what, got)
        for what, raw, code in [("invalid JSON", "{nope", 1007), ("oversized", "x" * 4096, 1009)]:
            c = App(port)
            c.send(raw=raw)
            assert c.close_code() == code, what
        assert sorted(r.keys("*")) == before, "refused clients wrote to Redis"
        # a signed-in user asking for someone else's session gets not_found and nothing of it
        c = App(port)
        c.send({"type": "hello", "token": app_token("mallory"), "session": victim_sid, "last": ""})
        w = c.recv("welcome")
        assert w["session"] is None, w
        frames = [c.recv()]
        while frames[-1]["type"] != "synced":
            frames.append(c.recv())
        assert [f["type"] for f in frames] == ["error", "synced"], frames
        assert frames[0]["code"] == "not_found", frames
        assert "my secret" not in json.dumps(frames)
        # a message without a client id, or with a bad one: refused, the socket stays
        for bad in ({"type": "message", "text": "x"}, {"type": "message", "text": "x", "cid": ""},
                    {"type": "message", "text": "x", "cid": "c" * 65},
                    {"type": "message", "text": "", "cid": "1"}, {"type": "dance"}):
            c.send(bad)
            e = c.recv()
            assert e["type"] == "error" and e["code"] == "bad_argument", (bad, e)
        assert tx(r, victim_sid) == [("in", "my secret")]
        # the only trace of mallory is its connection lease
        assert sorted(set(r.keys("*")) - set(before)) == ["%s:online:app:main:mallory" % P], \
            sorted(set(r.keys("*")) - set(before))
        # the app channel keeps serving others meanwhile
        other.send({"type": "message", "text": "still here", "cid": "s2"})
        assert other.recv("ack")["duplicate"] is False
        c.close()
        other.close()
    finally:
        be.stop()


@test
def test_app_tokens_are_short_lived_and_name_a_user(ctx):
    """Decided as a security engineer: a user token whose expiry is more than
    app_token_max_ttl (30 days) ahead is refused, 1008 "token expiry too far ahead" (a
    token that lasts for ever cannot be taken back: the backend signs short-lived ones and
    renews them); a user id is a name of 1..64 of [A-Za-z0-9_.@+=-] - "u42/../u43" or "a:b"
    is refused, 1008 "bad user id", and writes nothing."""
    backend = Backend()
    ctx.servers.append(backend)
    rs, k, api, port = app_kam(ctx, backend)
    r = rs.client()
    before = sorted(r.keys("*"))
    for tok, why in ((app_token("u42", ttl=30 * 86400 + 120), "token expiry too far ahead"),
                     (sign(APP, "app", "u42/9999999999"), "token expiry too far ahead"),
                     (app_token("u42/../u43"), "bad user id"), (app_token("a:b"), "bad user id"),
                     (app_token(".."), "bad user id"), (app_token("x" * 65), "bad token")):
        a = App(port)
        a.send({"type": "hello", "token": tok})
        a.ws.settimeout(10)
        f = a.ws.recv_frame()
        assert f.opcode == 8 and int.from_bytes(f.data[:2], "big") == 1008, (tok, f.data)
        assert f.data[2:].decode() == why, (tok, f.data)
    assert sorted(r.keys("*")) == before, "refused hellos wrote"
    ok = App(port)
    ok.send({"type": "hello", "token": app_token("u42", ttl=30 * 86400 - 60)})
    assert ok.recv("welcome")["user"] == "u42"
    ok.close()


@test
def test_app_one_user_on_two_devices_is_one_conversation(ctx):
    """Decided as a security engineer: one token may serve several sockets at once (a user's
    phone and tablet; a token is a bearer credential, and limiting it to one socket would
    only let a thief push the user off). The sockets are one conversation: two devices whose
    first messages cross open one session, not two (they opened two before); both get the
    agent's replies, and either one's resume shows what both wrote."""
    backend = Backend()
    ctx.servers.append(backend)
    rs, k, api, port = app_kam(ctx, backend)
    r = rs.client()
    phone, tablet = App(port), App(port)
    phone.hello()
    tablet.hello()

    def until_ack(dev):
        got = []
        while not got or got[-1]["type"] != "ack":
            got.append(dev.recv())
        return got

    # both write before either knows of a session
    phone.send({"type": "message", "text": "from my phone", "cid": "p1"})
    tablet.send({"type": "message", "text": "from my tablet", "cid": "t1"})
    fp, ft = until_ack(phone), until_ack(tablet)
    s1 = [f for f in fp if f["type"] == "session"][0]["session"]
    s2 = [f for f in ft if f["type"] == "session"][0]["session"]
    assert s1 == s2, (fp, ft)
    assert (fp[-1]["cid"], ft[-1]["cid"]) == ("p1", "t1")
    sessions = [x for x in r.keys(P + ":s:*") if re.fullmatch(re.escape(P) + r":s:\d+", x)]
    assert sessions == [P + ":s:" + s1], sessions
    assert sorted(tx(r, s1)) == [("in", "from my phone"), ("in", "from my tablet")]
    # both follow it: the agent's reply reaches both devices
    agent_takes(k, api, s1)
    reply(api, s1, "Hello on every device")
    for dev in (phone, tablet):
        m = dev.recv("message")
        assert (m["dir"], m["text"], m["session"]) == ("out", "Hello on every device", s1), m
    # an agents' note: never the user's (not live, not in missed frames)
    st, e = api.call("POST", "/api/v1/sessions/%s/messages" % s1,
                     {"direction": "note", "from": "alice", "body": "asked twice"})
    assert st == 201, (st, e)
    assert [f for f in tablet.quiet() if f["type"] == "message"] == []
    phone.close()
    # the phone comes back: everything of the conversation, both devices' lines included
    again = App(port)
    missed = again.hello(session=s1)
    assert [e["text"] for e in missed] == [t for d, t in tx(r, s1) if d != "note"], missed
    assert "asked twice" in [t for _, t in tx(r, s1)]
    assert again.welcome["session"] == s1
    again.close()
    tablet.close()


def until_state(sock, state, timeout=10):
    """Read state frames until one says `state` (offer, accept come before)."""
    end = time.time() + timeout
    while time.time() < end:
        if sock.recv("state", timeout=max(0.1, end - time.time()))["state"] == state:
            return
    raise AssertionError("no state %s" % state)


@test
def test_app_and_chat_after_the_agent_closes_in_wrap_up(ctx):
    """Issue 20, point 10, both customer channels alike: once the agent has closed the
    conversation (wrap-up, 60 s here), the customer's next message starts a new session,
    in its history with the old one - not a message acknowledged into a session nobody will
    answer. Also after a reconnect during the wrap-up (the app resumes into it, shown but not
    written to)."""
    backend = Backend()
    ctx.servers.append(backend)
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_PUSH_URL": '"%s"' % backend.url,
                                      "OMNIQ_WRAPUP_TIME": "60"})
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4")[0] == 0
    assert k.rpc("omniq.agent_state", "alice", "available")[0] == 0
    r = rs.client()
    # the app
    a = App(port)
    a.hello()
    sid = a.start("my order", "m1")
    agent_takes(k, api, sid)
    assert api.call("POST", "/api/v1/sessions/%s/close" % sid, {"disposition": "resolved"})[0] == 200
    until_state(a, "wrapup")
    assert r.hget("%s:s:%s" % (P, sid), "state") == "wrapup"
    a.send({"type": "message", "text": "one more thing", "cid": "m2"})
    s2 = a.recv("session")["session"]
    assert s2 != sid and a.recv("ack")["cid"] == "m2"
    assert tx(r, sid) == [("in", "my order")] and tx(r, s2) == [("in", "one more thing")]
    a.close()
    # a reconnect while the new one is in wrap-up too: resumed, and the next message is new
    agent_takes(k, api, s2)
    assert api.call("POST", "/api/v1/sessions/%s/close" % s2, {"disposition": "resolved"})[0] == 200
    wait_for(lambda: r.hget("%s:s:%s" % (P, s2), "state") == "wrapup", what="wrap-up")
    b = App(port)
    b.hello(session=s2)
    assert b.welcome["session"] == s2 and b.welcome["state"] == "wrapup", b.welcome
    b.send({"type": "message", "text": "and another", "cid": "m3"})
    s3 = b.recv("session")["session"]
    assert s3 not in (sid, s2) and b.recv("ack")["cid"] == "m3"
    b.close()
    # the web chat, the same
    c = Chat(port)
    c.send({"type": "hello"})
    c.recv("welcome")
    c.send({"type": "message", "text": "hello chat", "cid": "c1"})
    cs = c.recv("session")["session"]
    agent_takes(k, api, cs)
    assert api.call("POST", "/api/v1/sessions/%s/close" % cs, {"disposition": "resolved"})[0] == 200
    until_state(c, "wrapup")
    c.send({"type": "message", "text": "after the end", "cid": "c2"})
    cs2 = c.recv("session")["session"]
    assert cs2 != cs and c.recv("ack")["cid"] == "c2"
    assert [f["body"] for _, f in r.xrange("%s:s:%s:tx" % (P, cs2))] == ["after the end"]
    c.close()
