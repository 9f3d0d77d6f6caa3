"""omniq_ws: the REST API (/api/v1) against a real kamailio and redis-server."""
import json
import socket
import urllib.request
import urllib.error

from harness import test, free_port, wait_for

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


def ws_kam(ctx):
    rs = ctx.redis()
    port = free_port()
    k = ctx.kamailio("ws.cfg", rs.port, defines={"OMNIQ_HTTP_PORT": str(port)})

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    wait_for(up, what="omniq_ws listening")
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
        ("POST", "/api/v1/sessions", {"channel": "fax", "identity": "web:v"}, None, 400,
         "bad_argument"),
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
    rs.stop()
    st, e = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v"})
    assert st == 503 and e["error"]["code"] == "unavailable", (st, e)
    rs.start()
    wait_for(lambda: api.call("POST", "/api/v1/sessions",
                              {"channel": "web", "identity": "web:v"})[0] == 201,
             timeout=15, what="recovery after Redis is back")
