"""omniq_ws: the REST API (/api/v1) against a real kamailio and redis-server."""
import json
import os
import re
import signal
import socket
import threading
import urllib.request
import urllib.error

from harness import alone, test, free_port, wait_for, wait_read, wait_sent

P = "oq:{default}"
KEY = "crm:0123456789abcdef0123"


class Api:
    def __init__(self, port, key=KEY):
        self.base = "http://127.0.0.1:%d" % port
        self.key = key

    def call(self, method, path, body=None, raw=None, key=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        h = {"Content-Type": "application/json"}
        k = self.key if key is None else key
        if k:
            h["Authorization"] = "Bearer " + k
        h.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            txt = e.read()
            try:
                return e.code, json.loads(txt)
            except ValueError:
                return e.code, txt


def ws_kam(ctx, defines=None, prepare=None):
    """kamailio with omniq_ws (ws.cfg) on a fresh Redis; prepare(redis client, http port),
    when given, runs before kamailio starts."""
    rs = ctx.redis()
    port = free_port()
    if prepare:
        prepare(rs.client(), port)
    k = ctx.kamailio("ws.cfg", rs.port, defines=dict(defines or {}, OMNIQ_HTTP_PORT=str(port)))

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    wait_for(up, what="omniq_ws listening")
    # the outbound senders (the channels' webhooks, the pushes) say in each tenant that their
    # channels are queued when they start, which on a busy machine comes after the port
    # opens: wait for it, or a test's "nothing written" (test_rest.unchanged) sees it appear
    r = rs.client()
    senders = len(k.pids("omniq sender "))
    wait_for(lambda: all(r.scard(t + ":ob:senders") == senders
                         for t in ("oq:{default}", "oq:{acme}")),
             what="the outbound senders registered")
    return rs, k, Api(port)


@test
def test_ws_rest_session_lifecycle(ctx):
    rs, k, api = ws_kam(ctx)
    r = rs.client()
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4")[0] == 0
    assert k.rpc("omniq.agent_state", "alice", "available")[0] == 0
    st, s = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v-1",
                                                  "skills": "sales", "priority": 5})
    assert st == 201 and s["state"] == "offered" and s["agent"] == "alice", (st, s)
    sid = s["sid"]
    st, g = api.call("GET", "/api/v1/sessions/" + sid)
    assert st == 200 and g["state"] == "offered" and g["channel"] == "web", g
    st, e = api.call("POST", "/api/v1/sessions/%s/accept" % sid, {"agent": "bob"})
    assert st == 409 and e["error"]["code"] == "wrong_agent", (st, e)
    st, e = api.call("POST", "/api/v1/sessions/%s/accept" % sid, {"agent": "alice"})
    assert st == 200 and e["result"] == "accepted", (st, e)
    st, e = api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                     {"direction": "in", "from": "web:v-1", "body": "你好, I need help"})
    assert st == 201, (st, e)
    assert r.xlen("%s:s:%s:tx" % (P, sid)) == 1
    st, e = api.call("POST", "/api/v1/sessions/%s/close" % sid, {"disposition": "resolved"})
    assert st == 200, (st, e)
    assert r.hget("%s:s:%s" % (P, sid), "state") in ("closed", "wrapup")
    st, e = api.call("POST", "/api/v1/sessions/%s/close" % sid, {})
    assert st in (200, 409), (st, e)
    st, e = api.call("GET", "/api/v1/sessions/999999")
    assert st == 404 and e["error"]["code"] == "not_found", (st, e)


@test
def test_ws_rest_bad_requests_get_json_errors_and_write_nothing(ctx):
    rs, k, api = ws_kam(ctx)
    r = rs.client()
    before = sorted(r.keys("*"))
    cases = [
        # (method, path, body/raw, key, status, code)
        ("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v"}, "", 401,
         "unauthorized"),
        ("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v"},
         "crm:wrong-secret-0000000", 401, "unauthorized"),
        ("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v"},
         "other:0123456789abcdef0123", 401, "unauthorized"),
        ("POST", "/api/v1/sessions", b'{"channel": "web", ', None, 400, "invalid_json"),
        ("POST", "/api/v1/sessions", b'[1, 2]', None, 400, "invalid_json"),
        ("POST", "/api/v1/sessions", b'{"a": 1, "a": 2}', None, 400, "invalid_json"),
        ("POST", "/api/v1/sessions", {"channel": "web"}, None, 400, "bad_argument"),
        ("POST", "/api/v1/sessions", {"channel": "web", "identity": 7}, None, 400,
         "bad_argument"),
        ("POST", "/api/v1/sessions", {"channel": "fax", "identity": "web:v"}, None, 404,
         "not_found"),                                  # no channel of that name
        ("POST", "/api/v1/sessions", {"channel": "Fax!", "identity": "web:v"}, None, 400,
         "bad_argument"),                               # no channel's name at all
        ("POST", "/api/v1/sessions", {"channel": "web", "identity": "phone:12"}, None, 400,
         "bad_argument"),
        ("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v", "priority": 5000},
         None, 400, "bad_argument"),
        ("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v",
                                      "skills": "x" * 3000}, None, 400, "bad_argument"),
        ("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v",
                                      "skills": "a" * 5000}, None, 413, "too_large"),
        ("GET", "/api/v1/sessions", None, None, 405, "method_not_allowed"),
        ("DELETE", "/api/v1/sessions/1", None, None, 405, "method_not_allowed"),
        ("GET", "/api/v1/nothing", None, None, 404, "not_found"),
        ("GET", "/api/v1/sessions/abc", None, None, 404, "not_found"),
        ("POST", "/api/v1/sessions/1/explode", {}, None, 404, "not_found"),
        ("POST", "/api/v1/sessions/1/messages", {"direction": "in", "from": "x",
                                                 "body": "\u0000"}, None, 400, "invalid_json"),
        ("POST", "/api/v1/sessions", b'{"channel": "web", "identity": "web:\xff"}', None, 400,
         "invalid_json"),
        ("POST", "/api/v1/sessions/1/messages", {"direction": "sideways", "from": "x",
                                                 "body": "hi"}, None, 400, "bad_argument"),
    ]
    for method, path, body, key, status, code in cases:
        raw = body if isinstance(body, bytes) else None
        st, e = api.call(method, path, None if raw else body, raw=raw, key=key)
        assert st == status, (method, path, body, st, e)
        assert isinstance(e, dict) and e["error"]["code"] == code, (method, path, e)
    assert sorted(r.keys("*")) == before, "refused requests wrote to Redis"
    # the server keeps serving
    st, s = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:ok"})
    assert st == 201, (st, s)


@test
def test_ws_rest_redis_down_is_503(ctx):
    rs, k, api = ws_kam(ctx)
    ctx.expect_redis_down(rs)
    rs.stop()
    st, e = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v"})
    assert st == 503 and e["error"]["code"] == "unavailable", (st, e)
    rs.start()
    wait_for(lambda: api.call("POST", "/api/v1/sessions",
                              {"channel": "web", "identity": "web:v"})[0] == 201,
             timeout=15, what="recovery after Redis is back")


# ---- web chat: /ws/chat ----

import hashlib  # noqa: E402
import hmac  # noqa: E402
import time  # noqa: E402

import websocket  # noqa: E402  (Debian python3-websocket)

SITE = b"site-secret-0123456789"


def sign(secret, purpose, ident):
    """A token as omniq_ws's token.c makes it: <id>.<hex HMAC-SHA256(secret, purpose|id)>."""
    return ident + "." + hmac.new(secret, purpose.encode() + b"|" + ident.encode(),
                                  hashlib.sha256).hexdigest()


class Chat:
    def __init__(self, port, path="/ws/chat", proto="omniq-chat"):
        self.ws = websocket.create_connection("ws://127.0.0.1:%d%s" % (port, path),
                                              subprotocols=[proto], timeout=10)

    def send(self, obj=None, raw=None):
        self.ws.send(raw if raw is not None else json.dumps(obj))

    def recv(self, want=None, timeout=10):
        """Next JSON frame (of type `want`, skipping others)."""
        end = time.time() + timeout
        while time.time() < end:
            m = json.loads(self.ws.recv())
            if want is None or m.get("type") == want:
                return m
        raise AssertionError("no %s frame" % want)

    def close_code(self, timeout=10):
        """Read until the server closes; its close status code."""
        self.ws.settimeout(timeout)
        while True:
            try:
                f = self.ws.recv_frame()     # raw frames: no automatic close reply
            except (websocket.WebSocketConnectionClosedException, OSError):
                return None
            if f.opcode == websocket.ABNF.OPCODE_CLOSE:
                return int.from_bytes(f.data[:2], "big") if len(f.data) >= 2 else None

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass


def chat_kam(ctx, defines=None):
    rs, k, api = ws_kam(ctx, defines)
    return rs, k, api, int(api.base.rsplit(":", 1)[1])


@test
def test_ws_chat_customer_and_agent_in_real_time(ctx):
    rs, k, api, port = chat_kam(ctx)
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4")[0] == 0
    c = Chat(port)
    c.send({"type": "hello"})
    w = c.recv("welcome")
    assert w["session"] is None and w["identity"].startswith("web:"), w
    c.send({"type": "message", "text": "Hello, my order is late", "cid": "c1"})
    s = c.recv("session")
    assert s["state"] == "queued" and s["position"] == 1, s     # nobody available yet
    assert c.recv("ack")["cid"] == "c1"
    sid = s["session"]
    # alice comes: the offer reaches the customer's socket
    assert k.rpc("omniq.agent_state", "alice", "available")[0] == 0
    st = c.recv("state")
    assert st["event"] == "offer" and st["agent"] == "alice", st
    assert api.call("POST", "/api/v1/sessions/%s/accept" % sid, {"agent": "alice"})[0] == 200
    st = c.recv("state")
    assert st["event"] == "accept" and st["state"] == "active", st
    t0 = time.time()
    assert api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                    {"direction": "out", "from": "alice", "body": "Sorry! Let me check."})[0] == 201
    m = c.recv("message")
    assert m["text"] == "Sorry! Let me check." and m["from"] == "alice" and m["dir"] == "out", m
    assert time.time() - t0 < 1.0
    c.close()
    # reload: the same visitor resumes the session and gets the transcript
    c2 = Chat(port)
    c2.send({"type": "hello", "visitor": w["visitor"], "session": sid, "resume": s["resume"]})
    w2 = c2.recv("welcome")
    assert w2["session"] == sid and w2["state"] == "active" and w2["identity"] == w["identity"]
    assert [(e["dir"], e["text"]) for e in w2["transcript"]] == [
        ("in", "Hello, my order is late"), ("out", "Sorry! Let me check.")], w2
    c2.close()


def accepted_chat(k, api, port, text, agent="alice"):
    """A customer's chat whose first message (cid c0) opened a session that agent, made
    available with chat room here, accepted over REST: (chat, sid)."""
    assert k.rpc("omniq.agent_set", agent, agent.title(), "sales:5", "voice=1,chat=4")[0] == 0
    assert k.rpc("omniq.agent_state", agent, "available")[0] == 0
    c = Chat(port)
    c.send({"type": "hello"})
    c.recv("welcome")
    c.send({"type": "message", "text": text, "cid": "c0"})
    sid = c.recv("session")["session"]
    assert api.call("POST", "/api/v1/sessions/%s/accept" % sid, {"agent": agent})[0] == 200
    return c, sid


def xranges(r):
    """How many XRANGE commands Redis has run (inside functions too)."""
    return int(r.info("commandstats").get("cmdstat_xrange", {}).get("calls", 0))


@test
def test_ws_short_messages_reach_sockets_without_a_transcript_read(ctx):
    """A message event carries a body of up to 512 bytes with its author, so the event
    reader hands it to the socket as it is; only a longer body is read from the transcript
    (one XRANGE). Both arrive whole: quotes, newlines and non-ASCII text intact."""
    rs, k, api, port = chat_kam(ctx)
    r = rs.client()
    c, sid = accepted_chat(k, api, port, "hi")
    c.recv("ack")
    short = ['Sorry, "order #12"\nis late', "您好！" * 40, "x" * 512]
    long_ = ["y" * 513, "订单" * 200]
    before = xranges(r)
    for body in short:
        assert api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                        {"direction": "out", "from": "alice", "body": body})[0] == 201
        m = c.recv("message")
        assert (m["text"], m["from"], m["dir"]) == (body, "alice", "out"), m
    assert xranges(r) == before, "a short message was read back from the transcript"
    for body in long_:
        assert api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                        {"direction": "out", "from": "alice", "body": body})[0] == 201
        m = c.recv("message")
        assert (m["text"], m["from"]) == (body, "alice"), m
    assert xranges(r) - before == len(long_), xranges(r) - before
    c.close()


@test
def test_ws_chat_signed_user_joins_customer_history(ctx):
    rs, k, api, port = chat_kam(ctx)
    ident = "email:bob@example.com"
    tok = sign(SITE, "user", ident)
    c = Chat(port)
    c.send({"type": "hello", "user": tok})
    assert c.recv("welcome")["identity"] == ident
    c.send({"type": "message", "text": "hi"})
    sid = c.recv("session")["session"]
    cust = k.rpc_struct("omniq.customer", ident)
    assert cust.get("history") == sid and cust.get("identities") == ident, cust
    c.close()


@test
def test_ws_chat_hostile_clients_get_close_codes(ctx):
    rs, k, api, port = chat_kam(ctx)
    r = rs.client()
    before = sorted(r.keys("*"))
    cases = [
        ("message before hello", lambda c: c.send({"type": "message", "text": "x"}), 1007),
        ("invalid JSON", lambda c: c.send(raw="{nope"), 1007),
        ("forged visitor token", lambda c: c.send({"type": "hello", "visitor": "ab." + "0" * 64}),
         1008),
        ("forged user token", lambda c: c.send({"type": "hello",
                                                "user": "email:x@y.z." + "1" * 64}), 1008),
        ("oversized frame", lambda c: c.send(raw=json.dumps({"type": "hello",
                                                             "pad": "x" * 5000})), 1009),
    ]
    for name, act, code in cases:
        c = Chat(port)
        act(c)
        got = c.close_code()
        assert got == code, (name, got)
    # a flood from one client: rate limited (20/s, burst 40) and closed
    c = Chat(port)
    c.send({"type": "hello"})
    c.recv("welcome")
    for _ in range(200):
        try:
            c.send({"type": "ping"})
        except Exception:
            break
    assert c.close_code() == 1008
    # a forged resume token does not attach anyone's session
    good = Chat(port)
    good.send({"type": "hello"})
    w = good.recv("welcome")
    good.close()
    again = Chat(port)
    again.send({"type": "hello", "visitor": w["visitor"], "session": "1", "resume": "x." + "0" * 64})
    assert again.recv("welcome")["session"] is None
    again.close()
    assert sorted(r.keys("*")) == before, "hostile sockets wrote to Redis"
    # and the server keeps serving others
    ok = Chat(port)
    ok.send({"type": "hello"})
    ok.send({"type": "message", "text": "still there?"})
    assert ok.recv("session")["state"] == "queued"
    ok.close()


def redis_reads(r):
    """Redis's count of socket reads so far: a pipeline of commands costs one."""
    return int(r.info("stats")["total_reads_processed"])


def chatting(port, n):
    """n customers, each with a session opened by its first message ("first <i>")
    acknowledged: their sockets and session ids."""
    chats, sids = [], []
    for i in range(n):
        c = Chat(port)
        c.send({"type": "hello"})
        c.recv("welcome")
        c.send({"type": "message", "text": "first %d" % i, "cid": "f%d" % i})
        sids.append(c.recv("session")["session"])
        assert c.recv("ack")["cid"] == "f%d" % i
        chats.append(c)
    return chats, sids


@test
def test_ws_chat_messages_of_one_turn_share_a_round_trip(ctx):
    """omniq_ws appends the customers' messages that one turn of its loop reads in one Redis
    round trip (api.append_many). With both omniq_ws processes stopped, 60 customers send
    four messages each; on resuming, each process reads them all in one turn. Every customer
    gets its own answers in order (ack; a new session first for one whose session had ended
    before - the socket was told; refused for one whose session ended while the batch
    waited), each message is in its transcript once and in order, a customer who left
    meanwhile loses nothing, and with Redis gone the whole batch is answered
    "unavailable"."""

    rs, k, api, port = chat_kam(ctx)
    ctx.expect_redis_down(rs)
    r = rs.client()
    chats, sids = chatting(port, 60)
    before = {0, 10, 20}                     # these customers' sessions end before the batch,
    during = {30, 40, 50}                    # these while it waits
    closed = before | during
    for i in before:
        assert api.call("POST", "/api/v1/sessions/%s/abandon" % sids[i])[0] == 200
        assert chats[i].recv("state")["state"] == "abandoned"
    leaver = Chat(port)                      # sends, then goes before omniq_ws reads it
    leaver.send({"type": "hello"})
    leaver.recv("welcome")
    leaver.send({"type": "message", "text": "hello?"})
    leaver_sid = leaver.recv("session")["session"]
    leaver.recv("ack")
    pids = k.pids("omniq_ws")
    assert len(pids) == 2, pids

    def stopped(send):
        for p in pids:
            os.kill(p, signal.SIGSTOP)
        try:
            send()
        finally:
            for p in pids:
                os.kill(p, signal.SIGCONT)

    def send_batch():
        for i in during:                     # through RPC: the web processes are stopped
            rc, out = k.rpc("omniq.abandon", sids[i])
            assert rc == 0 and not out.startswith("error"), out
        for i, c in enumerate(chats):
            for n in range(4):
                c.send({"type": "message", "text": "%d of %d" % (n, i), "cid": "%d/%d" % (n, i)})
        leaver.send({"type": "message", "text": "are you there? bye", "cid": "gone"})
        wait_sent([c.ws.sock for c in chats + [leaver]])   # every frame in the processes' buffers
        leaver.close()

    reads = redis_reads(r)
    stopped(send_batch)
    renewed = {}
    for i, c in enumerate(chats):
        if i in during:
            for _ in range(4):
                e = c.recv("error")
                assert e["code"] == "refused" and "abandoned" in e["message"], e
        elif i in before:                    # a new conversation
            renewed[i] = c.recv("session")["session"]
            assert renewed[i] != sids[i]
            assert [c.recv("ack")["cid"] for _ in range(4)] == ["%d/%d" % (n, i)
                                                                for n in range(4)]
        else:
            assert [c.recv("ack")["cid"] for _ in range(4)] == ["%d/%d" % (n, i)
                                                                for n in range(4)]
    reads = redis_reads(r) - reads
    # a pipeline or two per process, plus what the event readers and the dispatcher's
    # timers read meanwhile (tens); 241 round trips for the messages alone without batches
    assert reads < 120, "%d Redis reads for 241 messages: not batched" % reads
    for i, sid in enumerate(sids):
        texts = [f["body"] for _, f in r.xrange(P + ":s:" + sid + ":tx")]
        want = ["first %d" % i] + ([] if i in closed else ["%d of %d" % (n, i) for n in range(4)])
        assert texts == want, (i, texts)
    for i, sid in renewed.items():
        texts = [f["body"] for _, f in r.xrange(P + ":s:" + sid + ":tx")]
        assert texts == ["%d of %d" % (n, i) for n in range(4)], (i, texts)
    texts = [f["body"] for _, f in r.xrange(P + ":s:" + leaver_sid + ":tx")]
    assert texts == ["hello?", "are you there? bye"], texts
    # Redis gone while the batch waits: every message of it answered "unavailable"
    live = [c for i, c in enumerate(chats) if i not in closed][:20]
    stopped(lambda: (rs.stop(), [c.send({"type": "message", "text": "lost?"}) for c in live],
                     wait_sent([c.ws.sock for c in live])))
    for c in live:
        e = c.recv("error")
        assert e["code"] == "unavailable" and "Redis" in e["message"], e
    rs.start()
    for c in chats:
        c.close()


@test
def test_ws_redis_out_of_memory_is_unavailable_and_loses_nothing(ctx):
    """Redis at its maxmemory refuses writes. A customer's message (appended in a batch) is
    answered "unavailable" with its cid, and a REST append 503 unavailable, naming the cause,
    not "refused" / 500 internal: the widget sends it again. Reads go on meanwhile. Once
    Redis has room, each customer's resend is appended, and a second resend of the same cid
    (its ack lost) is acknowledged as a duplicate and not written again."""
    rs, k, api, port = chat_kam(ctx)
    ctx.expect_redis_full()
    r = rs.client()
    chats, sids = chatting(port, 3)

    def say(i):
        return {"type": "message", "text": "still there? %d" % i, "cid": "again/%d" % i}

    r.config_set("maxmemory", "1")
    try:
        for i, c in enumerate(chats):
            c.send(say(i))
        for i, c in enumerate(chats):
            e = c.recv("error")
            assert e["code"] == "unavailable" and "OOM" in e["message"], e
            assert e["cid"] == "again/%d" % i, e        # which message to send again
        st, e = api.call("POST", "/api/v1/sessions/%s/messages" % sids[0],
                         {"direction": "in", "from": "web:x", "body": "by REST"})
        assert st == 503 and e["error"]["code"] == "unavailable", (st, e)
        assert "OOM" in e["error"]["message"], e
        st, g = api.call("GET", "/api/v1/sessions/" + sids[0])
        assert st == 200 and g["state"] == "queued", (st, g)
        assert "Redis refused oq_append_many: OOM" in k.text(), k.tail()
    finally:
        r.config_set("maxmemory", "0")
    for i, c in enumerate(chats):
        c.send(say(i))
        assert c.recv("ack") == {"type": "ack", "cid": "again/%d" % i, "duplicate": False}
    # its ack lost, the widget sends it once more: acknowledged, not written twice
    chats[0].send(say(0))
    assert chats[0].recv("ack") == {"type": "ack", "cid": "again/0", "duplicate": True}
    for i, sid in enumerate(sids):
        texts = [f["body"] for _, f in r.xrange(P + ":s:" + sid + ":tx")]
        assert texts == ["first %d" % i, "still there? %d" % i], (i, texts)
    for c in chats:
        c.close()


@test
def test_ws_loop_serves_its_sockets_while_redis_appends(ctx):
    """The customers' messages are appended in batches whose answers the loop reads when they
    come, so it goes on serving while Redis works. One omniq_ws process; Redis stopped (SIGSTOP:
    the connection stays up, replies just do not come; redis_timeout 8 s) while eight
    customers each send a message and an app user sends one and resends it. Meanwhile the
    same process serves a static file and closes a hostile socket (a wait on Redis in the
    loop would hold both until Redis came back, and the test would time out first). When
    Redis resumes, every message is acknowledged in order and in its transcript once; the
    app's resend is acknowledged as the duplicate of the first, with its id."""
    from test_app import App
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1", "OMNIQ_REDIS_TIMEOUT": "8000"})
    r = rs.client()
    assert len(k.pids("omniq_ws")) == 1
    chats, sids = chatting(port, 8)
    app = App(port)
    app.hello()
    app.send({"type": "message", "text": "app first", "cid": "a1"})
    app_sid = app.recv("session")["session"]
    assert app.recv("ack")["cid"] == "a1"
    hostile = Chat(port)
    redis_pid = rs.proc.pid
    os.kill(redis_pid, signal.SIGSTOP)
    try:
        for i, c in enumerate(chats):
            c.send({"type": "message", "text": "second %d" % i, "cid": "s%d" % i})
        for _ in range(2):
            app.send({"type": "message", "text": "app second", "cid": "a2"})
        wait_read([c.ws.sock for c in chats + [app]])   # read, and handed to the appender
        with urllib.request.urlopen("http://127.0.0.1:%d/static/omniq-chat.js" % port,
                                    timeout=3) as f:
            assert f.status == 200 and b"omniq" in f.read()
        hostile.send(raw="{not json")
        assert hostile.close_code(timeout=3) == 1007
        chats[0].ws.settimeout(0.2)          # and no answer while Redis is stopped
        try:
            early = chats[0].ws.recv()
        except websocket.WebSocketTimeoutException:
            early = None
        assert early is None, early
        chats[0].ws.settimeout(10)
    finally:
        os.kill(redis_pid, signal.SIGCONT)
    for i, c in enumerate(chats):
        assert c.recv("ack")["cid"] == "s%d" % i
    for i, sid in enumerate(sids):
        texts = [f["body"] for _, f in r.xrange(P + ":s:" + sid + ":tx")]
        assert texts == ["first %d" % i, "second %d" % i], (i, texts)
    first, again = app.recv("ack"), app.recv("ack")
    assert first["cid"] == "a2" and first["duplicate"] is False and first["id"], first
    assert again == dict(first, duplicate=True), (again, first)
    texts = [f["body"] for _, f in r.xrange(P + ":s:" + app_sid + ":tx")]
    assert texts == ["app first", "app second"], texts
    for c in chats + [app]:
        c.close()


@test
@alone
def test_ws_appends_with_no_answer_fail_and_a_resend_is_appended_once(ctx):
    """Redis stopped (SIGSTOP) for longer than a batch may wait for its answers (10 s): the
    customer is told "unavailable" with its cid (its widget sends it again), the process's
    log says why and that it reconnects, and the loop served meanwhile. Redis back, the
    resend with the same cid is acknowledged, and the message is in the transcript once
    (the stopped Redis may have run the first batch when it resumed: then the resend is its
    duplicate)."""
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1", "OMNIQ_REDIS_TIMEOUT": "8000"})
    # the core's own calls meanwhile (the dispatcher's sweep) outwait redis_timeout (8 s)
    ctx.expect_log(r"omniq \[oq_redis\.c:\d+\]: finish\(\): Redis request failed \(io: Resource "
                   r"temporarily unavailable\); connection dropped, will reconnect$", optional=True)
    ctx.expect_log(r"omniq \[oq_dispatch\.c:\d+\]: sweep_failed\(\): sweep of tenant \w+ failed: "
                   r"Redis unavailable \(.*\)$", optional=True)
    r = rs.client()
    chats, sids = chatting(port, 1)
    c = chats[0]
    os.kill(rs.proc.pid, signal.SIGSTOP)
    try:
        t0 = time.time()
        c.send({"type": "message", "text": "still there?", "cid": "x1"})
        with urllib.request.urlopen("http://127.0.0.1:%d/static/omniq-chat.js" % port,
                                    timeout=3) as f:
            assert f.status == 200
        c.ws.settimeout(15)
        e = c.recv("error")
        took = time.time() - t0
        assert e["code"] == "unavailable" and e["cid"] == "x1", e
        assert e["message"] == "Redis unavailable (no answer to the appends within 10 s)", e
        assert 9 < took < 13, took
    finally:
        os.kill(rs.proc.pid, signal.SIGCONT)
    assert "no answer to the appends within 10 s" in k.text()
    c.send({"type": "message", "text": "still there?", "cid": "x1"})
    ack = c.recv("ack")
    assert ack["cid"] == "x1", ack
    texts = [f["body"] for _, f in r.xrange(P + ":s:" + sids[0] + ":tx")]
    assert texts == ["first 0", "still there?"], texts
    c.close()


@test
@alone
def test_ws_answers_waiting_behind_a_long_turn_of_the_loop_are_not_taken_for_lost(ctx):
    """A batch's answers came while the loop was busy for longer than a batch may wait (a
    handler of another module that blocks 11 s, tests/modules/omniq_badhook): the loop's
    timer, which runs before its sockets are read, finds them waiting on the connection and
    acknowledges the message, rather than telling the customer "unavailable" (what 900
    customers of bench/ws were told after 10,000 hellos made one turn that long)."""
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1", "OMNIQ_REDIS_TIMEOUT": "8000",
                                      "OMNIQ_BADHOOK": "1"})
    r = rs.client()
    chats, sids = chatting(port, 1)
    c = chats[0]
    def blocks_the_loop():
        try:    # its own answer is not what this test is about
            urllib.request.urlopen("http://127.0.0.1:%d/hooks/bad/slow?ms=11000" % port,
                                   timeout=30).read()
        except Exception:
            pass
    slow = threading.Thread(target=blocks_the_loop)
    os.kill(rs.proc.pid, signal.SIGSTOP)     # the batch's answer is to come late ...
    try:
        c.send({"type": "message", "text": "are you there?", "cid": "y1"})
        time.sleep(0.5)                      # ... read and sent by the loop meanwhile
        slow.start()
        time.sleep(0.5)                      # the loop is in the slow handler
    finally:
        os.kill(rs.proc.pid, signal.SIGCONT)  # Redis answers while the loop is busy
    t0 = time.time()
    c.ws.settimeout(20)
    got = c.recv(timeout=20)
    while got["type"] not in ("ack", "error"):
        got = c.recv(timeout=20)
    took = time.time() - t0
    slow.join(30)
    assert got["type"] == "ack" and got["cid"] == "y1", got
    assert 9 < took < 14, took               # after the handler, not before
    assert "no answer to the appends" not in k.text()
    texts = [f["body"] for _, f in r.xrange(P + ":s:" + sids[0] + ":tx")]
    assert texts == ["first 0", "are you there?"], texts
    c.send({"type": "message", "text": "and now?", "cid": "y2"})
    assert c.recv("ack")["cid"] == "y2"
    c.close()


@test
def test_ws_a_full_batch_waits_for_room_and_loses_nothing(ctx):
    """Redis stopped (SIGSTOP) for a few seconds while 60 customers send 40 messages each:
    the batch in flight has no answer, the next one fills up to its 2,048 messages, and the
    loop waits for the answers of the first before it takes more (the blocking of a full
    batch). Redis back: every customer gets its 40 acks in order, and every message is in
    its transcript once and in order."""
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1", "OMNIQ_REDIS_TIMEOUT": "8000"})
    r = rs.client()
    chats, sids = chatting(port, 60)
    os.kill(rs.proc.pid, signal.SIGSTOP)
    try:
        for n in range(40):       # within chat_rate's burst (20 a second, 40 at once)
            for i, c in enumerate(chats):
                c.send({"type": "message", "text": "%d of %d" % (n, i), "cid": "%d/%d" % (n, i)})
        wait_sent([c.ws.sock for c in chats])
        time.sleep(3)
    finally:
        os.kill(rs.proc.pid, signal.SIGCONT)
    for i, c in enumerate(chats):
        c.ws.settimeout(20)
        assert [c.recv("ack")["cid"] for _ in range(40)] == ["%d/%d" % (n, i) for n in range(40)]
    for i, sid in enumerate(sids):
        texts = [f["body"] for _, f in r.xrange(P + ":s:" + sid + ":tx")]
        assert texts == ["first %d" % i] + ["%d of %d" % (n, i) for n in range(40)], (i, texts[:3])
    for c in chats:
        c.close()


@test
def test_ws_integer_modparams_outside_their_ranges_stop_kamailio(ctx):
    """Each integer modparam of omniq_ws outside its range: kamailio does not start, and
    its log says which parameter, the value and the range."""
    rs = ctx.redis()
    cases = [("port", 70000, "1..65535"), ("processes", 0, "1..64"),
             ("max_body", 1023, "1024..16777216"), ("desk_token_ttl", 59, "60..2592000"),
             ("desk_rate", 1001, "1..1000"), ("login_fails", 0, "1..1000"),
             ("login_window", 86401, "1..86400"), ("login_rate", 0, "1..1000"),
             ("chat_rate", -1, "1..1000"), ("max_frame", 255, "256..1048576"),
             ("webhook_retry", 3601, "1..3600"), ("webhook_attempts", 0, "1..100"),
             ("webhook_timeout", 61, "1..60"), ("api_rate", 0, "1..100000"),
             ("hook_rate", 100001, "1..100000"), ("event_read_gap", 50001, "0..50000")]
    refuses_to_start(ctx, rs, [({"OMNIQ_WS_INT": '"%s"' % name, "OMNIQ_WS_INT_VALUE": str(value)},
                                "modparam %s = %d is outside %s" % (name, value, rng))
                               for name, value, rng in cases], "bad-int")


def refuses_to_start(ctx, rs, cases, name):
    """Each (defines, says): ws.cfg with those defines stops at start, its log saying so."""
    for i, (defines, says) in enumerate(cases):
        k = ctx.kamailio("ws.cfg", rs.port, name="%s%d" % (name, i), start=False,
                         defines=dict(defines, OMNIQ_HTTP_PORT="1"))
        k.start(expect_ready=False)
        assert k.wait_exit(20) != 0, defines
        assert says in k.text(), (defines, says, k.tail())


@test
def test_ws_event_reader_gets_over_a_redis_gone_silent(ctx):
    """Redis's host vanishes from the network without a word (its connections go silent, none
    is closed), then comes back: omniq_ws's event reader, blocked in XREAD on a connection
    that will never answer, takes it for dead after its reply timeout (10 s) and connects
    again, so agents' replies reach the customer again (before: no read timeout, the reader
    held for good and no event reached any socket of that process)."""
    from blackhole import Blackhole
    import harness
    rs = ctx.redis()
    bh = Blackhole(rs.port)
    ctx.servers.append(bh)
    port = free_port()
    k = ctx.kamailio("ws.cfg", bh.port, defines={"OMNIQ_HTTP_PORT": str(port)})
    # up: its outbound senders (the channels' webhooks and the pushes) have said so in Redis
    wait_for(lambda: rs.client().scard("oq:{default}:ob:senders") == 3, what="omniq_ws up")
    api = Api(port)
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4")[0] == 0
    assert k.rpc("omniq.agent_state", "alice", "available")[0] == 0
    c = Chat(port)
    c.send({"type": "hello"})
    c.recv("welcome")
    c.send({"type": "message", "text": "hello", "cid": "c1"})
    sid = c.recv("session")["session"]
    assert api.call("POST", "/api/v1/sessions/%s/accept" % sid, {"agent": "alice"})[0] == 200
    assert api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                    {"direction": "out", "from": "alice", "body": "before"})[0] == 201
    assert c.recv("message")["text"] == "before"
    # every connection open now goes silent: requests on them time out, their processes
    # connect again (each says so); the dispatcher's sweep fails meanwhile
    ctx.expect_log(r"omniq \[oq_redis\.c:\d+\]: finish\(\): Redis request failed \(io: "
                   r"Resource temporarily unavailable\); connection dropped, will reconnect$",
                   optional=True)
    ctx.expect_log(harness.SWEEP_FAILED + r".*$", optional=True)
    assert bh.freeze() > 0
    time.sleep(11)
    sent = wait_for(lambda: api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                                     {"direction": "out", "from": "alice",
                                      "body": "after"})[0] == 201,
                    timeout=20, what="the REST API answering again")
    assert sent
    assert c.recv("message", timeout=15)["text"] == "after"



@test
def test_ws_example_secrets_serve_loopback_only(ctx):
    """cfg/omniq.cfg's secrets are examples anyone can know (they start "example-" or hold
    "change-me"): listening elsewhere than loopback with one, kamailio does not start and
    says which; with its own secrets it starts there; on loopback the examples work, with a
    warning. (Before: a visitor token signed with the example site_secret read and wrote
    another visitor's transcript on any server that kept it.)"""
    rs = ctx.redis()
    own = {"OMNIQ_SITE_SECRET": '"%s"' % ("s" * 40), "OMNIQ_APP_SECRET": '"%s"' % ("a" * 40),
           "OMNIQ_API_KEY": '"crm:%s"' % ("k" * 40)}
    for i, (defines, says) in enumerate([
            ({}, '3 secret(s) are examples anyone can know (api_key local first'),
            (dict(own, OMNIQ_SITE_SECRET='"my-site-secret-change-me-later"'),
             "1 secret(s) are examples anyone can know (site_secret first"),
            (dict(own, OMNIQ_API_KEY='"crm:example-of-a-key-0123"'),
             "1 secret(s) are examples anyone can know (api_key crm first"),
            (dict(own, OMNIQ_APP_SECRET='"example-app-secret-0123"'),
             "1 secret(s) are examples anyone can know (app_secret first")]):
        k = ctx.kamailio("omniq.cfg", rs.port, name="open%d" % i, start=False,
                         defines=dict(defines, OMNIQ_WS_LISTEN='"0.0.0.0"'))
        k.start(expect_ready=False)
        assert k.wait_exit(20) != 0, defines
        assert "omniq_ws listens on 0.0.0.0, and " in k.text() and says in k.text(), (says, k.tail())
    # its own secrets: it starts on every address, and serves
    k = ctx.kamailio("omniq.cfg", rs.port, name="own", defines=dict(own, OMNIQ_WS_LISTEN='"0.0.0.0"'))
    assert "are examples anyone can know" not in k.text()

    def serving():
        try:
            return Api(k.http_port, "crm:" + "k" * 40).call("GET", "/api/v1/stats")[0] == 200
        except OSError:        # not listening yet
            return False
    wait_for(serving, what="the web surface on 0.0.0.0")
    k.stop()
    # the examples on loopback: served, with the warning
    k = ctx.kamailio("omniq.cfg", rs.port, name="loop")
    assert re.search(r"WARNING: omniq_ws \[examples\.c:\d+\]: ws_examples_check\(\): omniq_ws: "
                     r"3 secret\(s\) are examples anyone can know \(api_key local first.*fine on "
                     r"loopback \(127\.0\.0\.1\)", k.text()), k.tail()
    # and serves (it is not stopped while still starting its processes)
    def demo():
        try:
            return raw_http(k.http_port, b"GET /demo.html HTTP/1.1\r\nHost: x\r\n"
                            b"Connection: close\r\n\r\n")[0].startswith(b"HTTP/1.1 200")
        except OSError:        # not listening yet
            return False
    wait_for(demo, what="the web surface on loopback")


def raw_http(port, data, timeout=3):
    """Bytes sent on a connection of their own: (what came back, whether the server closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return got, True
            got += b
    except socket.timeout:
        return got, False
    finally:
        s.close()


def head_and_json(got):
    head, _, body = got.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    hdrs = dict(l.split(": ", 1) for l in lines[1:])
    return lines[0], {k.lower(): v for k, v in hdrs.items()}, json.loads(body)


@test
def test_ws_http_refusals_are_json_and_pages_carry_security_headers(ctx):
    """What the API promises for every refusal - a status and a JSON error - holds for the
    ones made from the request line too: an unknown method 405, a path or query too long 414
    (before: lws's HTML pages); a body sent chunked gets 411 length_required and the
    connection closes (before: the body was ignored and the request answered a misleading
    400). Every answer says nosniff; the agent desk's page also carries a
    Content-Security-Policy (its script, style and socket from here only, never framed),
    X-Frame-Options DENY and no referrer - the desk working under it is what the e2e desk
    test shows."""
    rs, k, api = ws_kam(ctx)
    port = int(api.base.rsplit(":", 1)[1])
    auth = b"Authorization: Bearer " + KEY.encode() + b"\r\n"
    cases = [
        (b"PATCH /api/v1/stats HTTP/1.1\r\nHost: x\r\n\r\n", 405, "method_not_allowed"),
        (b"GET /api/v1/" + b"a" * 600 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        (b"GET /api/v1/agents?start=" + b"1" * 600 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414,
         "uri_too_long"),
        (b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Type: application/json"
         b"\r\nTransfer-Encoding: chunked\r\n\r\n2a\r\n" + b'{"channel":"web","identity":"web:chunky"}'
         + b" \r\n0\r\n\r\n", 411, "length_required"),
        # one header longer than 8 KB (a swollen cookie): 431, not a silent close (before:
        # lws' 4 KB buffer overflowed and the connection just closed)
        (b"GET /api/v1/stats HTTP/1.1\r\nHost: x\r\n" + auth + b"Cookie: c=" + b"x" * 9000
         + b"\r\n\r\n", 431, "headers_too_large"),
        (b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Type: application/json"
         b"\r\nContent-Length: 40\r\nUser-Agent: " + b"u" * 20000 + b"\r\n\r\n"
         + b'{"channel":"web","identity":"web:big"}  ', 431, "headers_too_large")]
    r = rs.client()
    for data, status, code in cases:
        got, closed = raw_http(port, data)
        line, hdrs, body = head_and_json(got)
        assert line.split(" ")[1] == str(status) and body["error"]["code"] == code, (line, body)
        assert hdrs["content-type"] == "application/json" and hdrs["x-content-type-options"] == "nosniff"
        assert closed, "the connection stays open after %d" % status
    assert r.get("oq:{default}:seq:s") is None, "a refused request wrote"
    for path in (b"/desk/", b"/desk"):
        got, _ = raw_http(port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head = got.partition(b"\r\n\r\n")[0].decode().lower()
        assert head.startswith("http/1.1 200"), head
        assert "content-security-policy: default-src 'self';" in head and "frame-ancestors 'none'" in head, head
        assert "x-frame-options: deny" in head and "x-content-type-options: nosniff" in head, head
        assert "referrer-policy: no-referrer" in head, head
    st, body = api.call("GET", "/api/v1/stats")
    assert st == 200
    # headers that are large but under the limit are served (7 KB of cookie, 5 KB of agent)
    got, _ = raw_http(port, b"GET /api/v1/stats HTTP/1.1\r\nHost: x\r\n" + auth + b"Cookie: c="
                      + b"y" * 7000 + b"\r\nUser-Agent: " + b"z" * 5000 + b"\r\nConnection: close\r\n\r\n")
    assert got.startswith(b"HTTP/1.1 200"), got[:200]
    # a WebSocket upgrade with a header over the limit is refused (no answer can be written
    # on the way to a socket: closed)
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /ws/chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
              b"Sec-WebSocket-Protocol: omniq-chat\r\nCookie: c=" + b"x" * 9000 + b"\r\n\r\n")
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        raise AssertionError("an oversize upgrade was left open: %r" % data[:100])
    assert not data.startswith(b"HTTP/1.1 101"), data[:100]
    s.close()


@test
def test_ws_chat_waiting_past_max_wait_is_told(ctx):
    """A customer nobody could take within max_wait (2 s here; 15 min in cfg/omniq.cfg) is
    not left waiting for nobody: the session ends expired and the widget's socket is told
    (the widget says no agent was free, cfg/omniq.cfg and omniq-chat.js); the customer's next
    message starts a new conversation."""
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_MAX_WAIT": "2"})
    c = Chat(port)
    c.send({"type": "hello"})
    c.recv("welcome")
    c.send({"type": "message", "text": "anyone there?"})
    sid = c.recv("session")["session"]
    st = c.recv("state", timeout=10)
    assert st["state"] == "expired", st
    r = rs.client()
    assert r.hget("oq:{default}:s:%s" % sid, "state") == "expired"
    c.send({"type": "message", "text": "me again"})
    s2 = c.recv("session")
    assert s2["session"] != sid and s2["state"] == "queued", s2


@test
def test_chat_two_tabs_of_one_visitor_are_one_conversation(ctx):
    """Two tabs of one visitor (the same visitor token) whose first messages cross open one
    session, not two; the tab that joins is given the transcript so far and the agent's
    name, and both get the agent's reply (issue 20, point 5: one identity on two sockets)."""
    rs, k, api, port = chat_kam(ctx)
    r = rs.client()
    a = Chat(port)
    a.send({"type": "hello"})
    vis = a.recv("welcome")["visitor"]
    b = Chat(port)
    b.send({"type": "hello", "visitor": vis})
    b.recv("welcome")
    a.send({"type": "message", "text": "tab one", "cid": "a1"})
    sa = a.recv("session")
    assert a.recv("ack")["cid"] == "a1"
    b.send({"type": "message", "text": "tab two", "cid": "b1"})
    sb = b.recv("session")
    assert b.recv("ack")["cid"] == "b1"
    assert sa["session"] == sb["session"], (sa, sb)
    assert [e["text"] for e in sb["transcript"]] == ["tab one"], sb
    sid = sa["session"]
    keys = [x for x in r.keys(P + ":s:*") if x.count(":") == 3 and x.split(":")[-1].isdigit()]
    assert keys == [P + ":s:" + sid], keys
    assert [f["body"] for _, f in r.xrange("%s:s:%s:tx" % (P, sid))] == ["tab one", "tab two"]
    # crossing: both write at once, from a second visitor's two tabs
    c, d = Chat(port), Chat(port)
    c.send({"type": "hello"})
    v2 = c.recv("welcome")["visitor"]
    d.send({"type": "hello", "visitor": v2})
    d.recv("welcome")
    c.send({"type": "message", "text": "one", "cid": "c1"})
    d.send({"type": "message", "text": "two", "cid": "d1"})
    assert c.recv("session")["session"] == d.recv("session")["session"]
    for x in (a, b, c, d):
        x.close()


def raw_ws(port, path="/ws/chat", proto="omniq-chat", rcvbuf=None):
    """A WebSocket opened by hand, to send frames a library would not (unmasked ones);
    rcvbuf: a receive buffer this small (set before connecting: it bounds the window)."""
    import base64
    import os as _os
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(_os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n"
               % (path, key, proto)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


def frame(payload, opcode=1, mask=None):
    """One final frame; masked with `mask` (4 bytes) or unmasked."""
    n = len(payload)
    hdr = bytes([0x80 | opcode])
    mbit = 0x80 if mask else 0
    if n < 126:
        hdr += bytes([mbit | n])
    elif n < 65536:
        hdr += bytes([mbit | 126]) + n.to_bytes(2, "big")
    else:
        hdr += bytes([mbit | 127]) + n.to_bytes(8, "big")
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        hdr += mask
    return hdr + payload


def read_frame(s):
    """(opcode, payload) of the server's next frame (servers do not mask)."""
    def exact(n):
        b = b""
        while len(b) < n:
            chunk = s.recv(n - len(b))
            if not chunk:
                raise AssertionError("closed without a close frame")
            b += chunk
        return b
    h = exact(2)
    n = h[1] & 0x7f
    if n == 126:
        n = int.from_bytes(exact(2), "big")
    elif n == 127:
        n = int.from_bytes(exact(8), "big")
    return h[0] & 0x0f, exact(n)


@test
@alone   # how much a socket takes before its buffers fill is the machine's, when it is loaded
def test_ws_a_socket_that_does_not_read_is_closed_and_the_others_are_served(ctx):
    """A customer that stops reading while its agent goes on writing: the server writes
    each frame at once while the socket takes them, then keeps at most 512 frames for it and
    closes it ("not reading" in the log), and the process's memory does not grow with what
    is written after that. A customer beside it is served all along."""
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1"})
    pid = k.pids("omniq_ws")[0]
    other = Chat(port)
    other.send({"type": "hello"})
    other.recv("welcome")
    s = raw_ws(port, rcvbuf=4096)
    mask = b"\x01\x02\x03\x04"
    s.sendall(frame(json.dumps({"type": "hello"}).encode(), mask=mask))
    assert json.loads(read_frame(s)[1])["type"] == "welcome"
    s.sendall(frame(json.dumps({"type": "message", "text": "hi", "cid": "c1"}).encode(), mask=mask))
    got = [json.loads(read_frame(s)[1]) for _ in range(2)]
    sid = [g for g in got if g["type"] == "session"][0]["session"]

    def rss():
        return int(open("/proc/%d/status" % pid).read().split("VmRSS:")[1].split()[0])
    rss0, mark = rss(), len(k.text())
    r = rs.client()
    body = "x" * 8000
    for i in range(5000):       # 40 MB for a socket that reads nothing more
        r.fcall("oq_append", 1, P, sid, "out", "alice", "text", "%d %s" % (i, body))
    wait_for(lambda: "is not reading: message dropped, closing" in k.text()[mark:], timeout=10,
             what="the server to give up on the socket")
    grown = rss() - rss0
    # what the socket still gives: the frames it took, whole and in order (written at once
    # or queued), then the end (no hang)
    s.settimeout(5)
    t0, seen = time.time(), []
    try:
        while time.time() - t0 < 20:
            op, payload = read_frame(s)
            if op == 8:
                break
            m = json.loads(payload)
            if m.get("type") == "message":
                seen.append(int(m["text"].split(" ", 1)[0]))
    except (OSError, AssertionError):   # reset, or closed without a close frame
        pass
    assert time.time() - t0 < 20, "the socket was not closed"
    s.close()
    # how many it takes before the buffers are full is the kernel's (its socket buffers
    # autotune with the machine's memory and load: 28 to over 100 frames of 8 kB seen):
    # some, whole, in order, none skipped
    assert len(seen) >= 10 and seen == list(range(len(seen))), seen[:5] + seen[-5:]
    # kB: 512 frames of 8 kB kept, what lws holds and the reader's buffers, not the 40 MB
    assert grown < 16 * 1024, (rss0, grown)
    # the other customer was served all along, and a new one is
    other.send({"type": "message", "text": "still there?", "cid": "o1"})
    other.recv("session")
    assert other.recv("ack")["cid"] == "o1"
    other.close()
    n = Chat(port)
    n.send({"type": "hello"})
    assert n.recv("welcome")["type"] == "welcome"
    n.close()


@test
def test_ws_unmasked_frames_get_the_same_checks(ctx):
    """Issue 20, point 5, decided (docs/admin-ws.md, "Unmasked frames"): a client frame
    without a mask is taken as a masked one is - the mask protects proxies from browser
    pages, and a raw client can mask with a zero key anyway - and goes through the same
    checks: a hello is welcomed, a message appended, and bad JSON (1007), a frame over
    max_frame (1009) and bad UTF-8 (1007) close the socket alike, masked or not."""
    rs, k, api, port = chat_kam(ctx)
    for mask in (None, b"\0\0\0\0", b"\x12\x34\x56\x78"):
        s = raw_ws(port)
        s.sendall(frame(json.dumps({"type": "hello"}).encode(), mask=mask))
        op, body = read_frame(s)
        assert op == 1 and json.loads(body)["type"] == "welcome", (mask, body)
        s.sendall(frame(json.dumps({"type": "message", "text": "raw hello", "cid": "r1"}).encode(),
                        mask=mask))
        got = [json.loads(read_frame(s)[1]) for _ in range(2)]
        assert [g["type"] for g in got] == ["session", "ack"], (mask, got)
        sid = got[0]["session"]
        assert [f["body"] for _, f in rs.client().xrange("%s:s:%s:tx" % (P, sid))] == ["raw hello"]
        s.close()
        for bad, code in ((b"{not json", 1007), (b'{"type":"hello","x":"' + b"a" * 70000 + b'"}', 1009),
                          (b'{"type":"hello","x":"\xff\xfe"}', 1007)):
            s = raw_ws(port)
            s.sendall(frame(bad, mask=mask))
            op, body = read_frame(s)
            while op != 8:
                op, body = read_frame(s)
            assert int.from_bytes(body[:2], "big") == code, (mask, bad[:20], body)
            s.close()


@test
@alone   # the event reader must meet Redis while it loads: a loaded machine loads it first
def test_ws_redis_loading_its_data_after_a_restart_is_no_error(ctx):
    """Redis restarted with enough data to take a while to read back answers LOADING
    meanwhile: the event reader waits for it (one NOTICE), logs no error, and the REST API
    serves again once Redis has loaded."""
    def fill(r, port):
        # before kamailio starts: a script this long would block its requests too
        fill = "for i = 1, 1000000 do redis.call('SET', ARGV[1] .. i, string.rep('x', 64)) end"
        # three million keys: about 3 s of loading, well past the readers' first reconnect
        # (a second); one million loaded in 0.9 s in a fresh clone's run, and the readers
        # came back after it had ended
        for part in ("a", "b", "c"):
            r.eval(fill, 0, "filler:%s:" % part)
        r.execute_command("BGREWRITEAOF")
        wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0, timeout=60,
                 what="the AOF written")
    rs, k, api = ws_kam(ctx, prepare=fill)
    ctx.expect_redis_down(rs)
    rs.stop()
    rs.start()
    wait_for(lambda: api.call("POST", "/api/v1/sessions",
                              {"channel": "web", "identity": "web:after-load"})[0] == 201,
             timeout=60, what="the REST API after Redis has loaded")
    wait_for(lambda: "Redis is loading its data (a restart)" in k.text(), timeout=15,
             what="the event reader meeting LOADING")
