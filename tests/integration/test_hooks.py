"""omniq_ws serves the HTTP routes other modules register through the core's C API
(include/omniq/omniq_api.h, "HTTP routes"): here the example channel module
docs/examples/omniq_echo takes customers' messages on POST /hooks/echo, against a real
kamailio and redis-server."""
import json
import os
import re
import time
import urllib.error
import urllib.request

from harness import alone, RedisServer, test, wait_for
from test_rest import unchanged
from test_ws import ws_kam

P = "oq:{default}"
ACME = "oq:{acme}"


class Hook:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port

    def call(self, method, path, body=b"", headers=None, ctype="text/plain; charset=utf-8"):
        h = {"Content-Type": ctype} if ctype else {}
        h.update(headers or {})
        req = urllib.request.Request(self.base + path, data=body if method in ("POST", "PUT") else None,
                                     method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers.get("Content-Type"), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read()

    def say(self, text, identity="web:h-1", path="/hooks/echo", mid=None, **kw):
        h = {"X-Echo-Id": mid} if mid else {}
        st, ctype, body = self.call("POST", "%s?identity=%s" % (path, identity), text.encode(),
                                    headers=h, **kw)
        return st, ctype, (json.loads(body) if ctype == "application/json" else body.decode())


def echo_kam(ctx):
    outbox = os.path.join(ctx.dir, "echo-outbox.txt")
    rs, k, api = ws_kam(ctx, {"OMNIQ_ECHO": '"%s"' % outbox})
    return rs, k, api, Hook(k.http_port)


@test
def test_hook_takes_messages_for_its_module(ctx):
    rs, k, api, hook = echo_kam(ctx)
    r = rs.client()
    for path in ("/hooks/echo", "/hooks/echo/v2"):
        assert "HTTP route %s registered (served by omniq_ws)" % path in k.text(), k.tail()
    assert k.rpc("omniq.agent_set", "eve", "Eve", "s:", "s:")[0] == 0
    assert k.rpc("omniq.agent_state", "eve", "available")[0] == 0

    st, ctype, a = hook.say("Hello over HTTP", mid="m-1")
    assert st == 201 and ctype == "application/json", (st, ctype, a)
    assert a == {"sid": "1", "state": "offered", "how": "opened", "route": "/hooks/echo"}, a
    assert r.hget(P + ":s:1", "channel") == "echo" and r.hget(P + ":s:1", "agent") == "eve"
    # the body arrives byte for byte; the message id from the module's own header
    tx = [(f["dir"], f["body"]) for _, f in r.xrange(P + ":s:1:tx")]
    assert tx == [("in", "Hello over HTTP")], tx

    # the sender retries (it never saw the answer): appended once, same session
    with unchanged(r):
        st, _, again = hook.say("Hello over HTTP", mid="m-1")
    assert st == 200 and again["how"] == "duplicate" and again["sid"] == "1", (st, again)

    # the longest registered path wins: /hooks/echo/v2 is its own route
    st, _, v2 = hook.say("Second line", path="/hooks/echo/v2", mid="m-2")
    assert st == 200 and v2["how"] == "appended" and v2["route"] == "/hooks/echo/v2", v2
    assert r.xlen(P + ":s:1:tx") == 2

    # what follows the route's path is the module's: echo reads a tenant there
    st, _, acme = hook.say("Hello acme", path="/hooks/echo/acme", mid="a-1")
    assert st == 201 and acme["route"] == "/hooks/echo" and acme["sid"] == "1", acme
    assert r.hget(ACME + ":s:1", "channel") == "echo"
    assert [f["body"] for _, f in r.xrange(ACME + ":s:1:tx")] == ["Hello acme"]
    # ... and the server is back on the default tenant for whatever comes next
    st, _, nxt = hook.say("Next customer", identity="web:h-2", mid="n-1")
    assert st == 201 and nxt["sid"] == "2", nxt
    assert r.hget(P + ":s:2", "identity") == "web:h-2" and not r.exists(ACME + ":s:2")
    st, stats = api.call("GET", "/api/v1/stats")
    assert st == 200, stats

    # the agent's reply goes back through the module's driver, as for any channel
    assert k.rpc("omniq.accept", "1", "eve")[0] == 0
    rc, out = k.rpc("omniq.reply", "1", "eve", "Hi, Eve here")
    assert rc == 0 and not out.startswith("error"), out
    # delivered in the process that took the RPC (kamcmd's: the ctl handler), to the
    # identity the hook's message came from
    ctl = k.pids("ctl handler")
    line = "reply 1 from eve to web:h-1 (pid %d): Hi, Eve here" % ctl[0]
    wait_for(lambda: line in open(ctx.dir + "/echo-outbox.txt").read(),
             what="the reply delivered by the echo driver")


@test
def test_hook_bad_requests_change_nothing(ctx):
    rs, k, api, hook = echo_kam(ctx)
    r = rs.client()
    assert hook.say("first", mid="x")[0] == 201   # something to keep unchanged
    big = "x" * 3000                              # over echo's 2048, under omniq_ws's 4096
    with unchanged(r):
        # the server's answers: no module there, the body over the route's limit
        for path in ("/hooks/nothing", "/hooks/echoes", "/hooks/"):
            st, ctype, body = hook.call("POST", path + "?identity=web:z", b"hi")
            assert st == 404 and ctype == "application/json" and body, (path, st, ctype, body)
            assert json.loads(body)["error"]["code"] == "not_found", body
        st, ctype, body = hook.call("POST", "/hooks/echo?identity=web:z", big.encode())
        assert st == 413 and json.loads(body)["error"]["code"] == "too_large", (st, body)
        assert "2048" in json.loads(body)["error"]["message"], body
        # the module's answers, each with its own status and reason
        cases = [
            (("GET", "/hooks/echo?identity=web:z", b""), {}, 405, "POST a message"),
            (("POST", "/hooks/echo?identity=web:z", b"hi"), {"ctype": "application/json"}, 415,
             "text/plain"),
            (("POST", "/hooks/echo", b"hi"), {}, 400, "identity argument is missing"),
            (("POST", "/hooks/echo?identity=", b"hi"), {}, 400, "identity argument is missing"),
            (("POST", "/hooks/echo?identity=zz:1", b"hi"), {}, 400, "zz"),
            (("POST", "/hooks/echo?identity=web:z", b""), {}, 400, "empty"),
            (("POST", "/hooks/echo?identity=web:z", b"bad \xff utf-8"), {}, 400, "UTF-8"),
            (("POST", "/hooks/echo/nosuch?identity=web:z", b"hi"), {}, 404, "no such tenant"),
            (("POST", "/hooks/echo/v2x?identity=web:z", b"hi"), {}, 404, "no such tenant"),
        ]
        for (method, path, body), kw, want, reason in cases:
            st, ctype, got = hook.call(method, path, body, **kw)
            assert st == want and ctype.startswith("text/plain"), (path, body, st, ctype, got)
            assert reason.encode() in got, (path, got)
    # the server keeps serving: the next good message is taken
    st, _, a = hook.say("still here", identity="web:h-3", mid="y")
    assert st == 201 and a["sid"] == "2", a


@test
def test_answered_before_the_body_keeps_the_connection_straight(ctx):
    """A request answered from its headers alone (no module there, no such page) still has
    its body read and dropped: on a kept-alive connection the next request is answered as
    itself, and each request gets exactly one answer."""
    import http.client
    rs, k, api, hook = echo_kam(ctx)
    c = http.client.HTTPConnection("127.0.0.1", k.http_port, timeout=10)
    body = b"GET /api/v1/stats HTTP/1.1\r\nHost: x\r\n\r\n"  # a request smuggled as a body
    for method, path, want in (("POST", "/hooks/nothing", 404), ("POST", "/desk/", 405),
                               ("GET", "/hooks/none", 404), ("PUT", "/nothing", 405)):
        c.request(method, path, body=body, headers={"Content-Type": "text/plain"})
        r = c.getresponse()
        got = r.read()
        assert r.status == want and json.loads(got)["error"], (method, path, r.status, got)
        c.request("GET", "/static/omniq-chat.js")
        r = c.getresponse()
        js = r.read()
        assert r.status == 200 and b"omniq" in js, (path, r.status, js[:80])
    c.close()


@test
def test_misbehaving_hook_gets_500_and_the_server_goes_on(ctx):
    """A module's handler that fails, or answers what cannot be sent (a status outside
    200..599, a body length past its buffer, a Content-Type with CR LF or none), gets a 500
    JSON answer instead, a log line naming the route and what was wrong, and the same
    kept-alive connection is served on (tests/modules/omniq_badhook)."""
    import http.client
    rs, k, api = ws_kam(ctx, {"OMNIQ_BADHOOK": "1"})
    c = http.client.HTTPConnection("127.0.0.1", k.http_port, timeout=10)
    for how, why in (("fails", "it failed"), ("status", "a status outside 200..599"),
                     ("length", "a body length outside the buffer"),
                     ("type", "a control character in the Content-Type"),
                     ("notype", "an empty or unterminated Content-Type")):
        c.request("POST", "/hooks/bad/" + how, body=b"x", headers={"Content-Type": "text/plain"})
        r = c.getresponse()
        got = r.read()
        assert r.status == 500 and r.getheader("Content-Type") == "application/json", (how, r.status)
        assert r.getheader("Set-Cookie") is None, how
        e = json.loads(got)["error"]
        assert e["code"] == "hook_failed" and "/hooks/bad/" + how in e["message"], (how, e)
        line = "hook /hooks/bad/%s answered POST /hooks/bad/%s from 127.0.0.1 with %s: 500 " \
               "instead" % (how, how, why)
        ctx.expect_log(r"ERROR: omniq_ws \[hooks\.c:\d+\]: ws_hook_serve\(\): %s$" % re.escape(line))
        wait_for(lambda: line in k.text(), what="the log line of %s" % how)
        c.request("POST", "/hooks/bad/ok", body=b"x", headers={"Content-Type": "text/plain"})
        r = c.getresponse()
        assert (r.status, r.getheader("Content-Type"), r.read()) == (200, "text/plain", b"fine"), how
    c.close()


@test
def test_hook_answers_503_while_redis_is_down(ctx):
    """A provider retries a 5xx: the module answers 503 while Redis is away, and the
    retry after it is back is taken once."""
    rs, k, api, hook = echo_kam(ctx)
    ctx.expect_redis_down(rs)
    rs.stop()
    st, ctype, body = hook.say("during", mid="d-1")
    assert st == 503 and "Redis" in body, (st, body)
    rs2 = RedisServer(ctx.dir, rs.port)
    rs2.dir = rs.dir
    rs2.start()
    ctx.servers.append(rs2)
    got = wait_for(lambda: (lambda a: a[0] == 201 and a)(hook.say("during", mid="d-1")),
                   timeout=10, what="the retry taken after Redis is back")
    assert got[2]["how"] == "opened", got
    r = rs2.client()
    assert [f["body"] for _, f in r.xrange(P + ":s:%s:tx" % got[2]["sid"])] == ["during"]


@test
def test_hook_answers_the_status_of_its_refusal(ctx):
    """The worked example answers a refused ingest with the status every surface gives its
    return code (omniq_http_status): bad input 400, Redis away 503 (above), and a failure of
    omniq's own 500, which a provider retries (before: 400, which it drops)."""
    from badlib import BadLibrary
    from test_faults import NOT_OURS, WHY
    rs, k, api, hook = echo_kam(ctx)
    st, ctype, body = hook.say("x", identity="web:")            # an identity with no id
    assert st == 400, (st, body)
    bad = BadLibrary(rs)
    bad.load()
    ctx.expect_log(r"omniq \[oq_core\.c:\d+\]: map_error_reply\(\): Redis function oq_ingest "
                   r"failed: %s$" % NOT_OURS)
    try:
        bad.set("oq_ingest", "error")
        st, ctype, body = hook.say("x", mid="m-1")
        assert st == 500 and ctype.startswith("text/plain"), (st, ctype, body)
        assert "oq_ingest" in body, body
    finally:
        bad.restore()
    got = hook.say("x", mid="m-1")                                # the retry is taken once
    assert got[0] == 201 and got[2]["how"] == "opened", got


def echo_cfg(ctx, hooks):
    """tests/integration/cfg/echo.cfg with modparam hook lines, in the test's directory."""
    src = open(os.path.join(os.path.dirname(__file__), "cfg", "echo.cfg")).read()
    line = 'modparam("omniq_echo", "outbox", OMNIQ_OUTBOX)\n'
    extra = "".join('modparam("omniq_echo", "hook", "%s")\n' % h for h in hooks)
    path = os.path.join(ctx.dir, "echo-hooks-%d.cfg" % len(os.listdir(ctx.dir)))
    with open(path, "w") as f:
        f.write(src.replace(line, line + extra))
    return path


@test
def test_hook_registration_refused(ctx):
    rs = ctx.redis()
    outbox = '"%s"' % os.path.join(ctx.dir, "outbox.txt")
    cases = [
        (["/api/v1/sessions"], "HTTP route: hook path '/api/v1/sessions' must start with /hooks/<name>"),
        (["/hooks/echo/"], "hook path '/hooks/echo/' has an empty segment"),
        (["/hooks/a/../b"], "hook path '/hooks/a/../b' has a '.' or '..' segment"),
        (["/hooks/echo", "/hooks/echo"], "HTTP route /hooks/echo is already registered"),
        (["/hooks/e%d" % i for i in range(33)], "HTTP route /hooks/e32: more than 32 routes"),
    ]
    for i, (hooks, line) in enumerate(cases):
        k = ctx.kamailio(echo_cfg(ctx, hooks), rs.port, start=False,
                         name="refused%d" % i, defines={"OMNIQ_OUTBOX": outbox})
        k.start(expect_ready=False)
        assert k.wait_exit(20) != 0, hooks
        assert line in k.text(), (line, k.tail())
    # 32 routes are fine
    k = ctx.kamailio(echo_cfg(ctx, ["/hooks/e%d" % i for i in range(32)]), rs.port,
                     name="kam32ok", defines={"OMNIQ_OUTBOX": outbox})
    assert len(re.findall(r"HTTP route /hooks/e\d+ registered", k.text())) == 32, k.tail()


@test
@alone
def test_hook_flood_from_one_address_is_429_and_loses_nothing(ctx):
    """hook_rate 5 (burst 10 per process): a sender posting 40 messages back to back gets 429
    rate_limited for what is over, with nothing of those written; resending those after
    Retry-After puts each in once, and the ones taken are not repeated."""
    outbox = os.path.join(ctx.dir, "echo-outbox.txt")
    rs, k, api = ws_kam(ctx, {"OMNIQ_ECHO": '"%s"' % outbox, "OMNIQ_WS_INT": '"hook_rate"',
                              "OMNIQ_WS_INT_VALUE": "5"})
    hook = Hook(k.http_port)
    r = rs.client()
    t0 = time.time()
    got = [hook.say("line %d" % i, mid="f-%d" % i) for i in range(40)]
    took = time.time() - t0
    taken = [i for i, (st, _, _) in enumerate(got) if st in (200, 201)]
    limited = [i for i, (st, _, _) in enumerate(got) if st == 429]
    assert len(taken) + len(limited) == 40 and limited and len(taken) >= 10, \
        [st for st, _, _ in got]
    # no more than the two processes' buckets hold: a burst of 10 each, 5 a second each
    assert len(taken) <= 2 * (10 + 5 * took), (len(taken), took)
    for i in limited:
        st, ctype, e = got[i]
        assert ctype == "application/json" and e["error"]["code"] == "rate_limited", got[i]
    assert [f["body"] for _, f in r.xrange(P + ":s:1:tx")] == ["line %d" % i for i in taken]
    # the sender does as told: waits, resends the refused ones (the same ids) at its pace
    time.sleep(1.1)
    for i in limited:
        st, _, a = hook.say("line %d" % i, mid="f-%d" % i)
        assert st == 200 and a["how"] == "appended", (i, st, a)
        time.sleep(0.25)
    # ... and, not sure of the first answers, all of them again: nothing twice
    time.sleep(1.1)
    for i in range(0, 40, 8):
        st, _, a = hook.say("line %d" % i, mid="f-%d" % i)
        assert st == 200 and a["how"] == "duplicate", (i, st, a)
        time.sleep(0.25)
    tx = [f["body"] for _, f in r.xrange(P + ":s:1:tx")]
    assert sorted(tx) == sorted("line %d" % i for i in range(40)) and len(tx) == 40, tx
    # the REST API's own key is counted apart
    assert api.call("GET", "/api/v1/stats")[0] == 200
