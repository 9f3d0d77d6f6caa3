"""Self-tests of the WeChat stand-in (tests/integration/wechat_standin.py), through real HTTP.

omniq_wechat's tests trust the stand-in to refuse what WeChat refuses and to say so in
`violations`: each check shown here is one that a client could otherwise get wrong unseen.
"""
import base64
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import test
import standin_http
from wechat_standin import WeChatStandIn

APPID, SECRET = "wx0123456789abcdef", "oa-secret-0123"
CORP, CSECRET = "ww0123456789abcdef", "corp-secret-0123"
ASECRET = "app-secret-1000002"
KF = "wkAAAAAAAA"
CUSTOM = "/cgi-bin/message/custom/send"


def standin():
    s = WeChatStandIn()
    s.add_account(APPID, SECRET, followers=("o1", "o2"), templates=("tmplA",))
    s.add_corp(CORP, CSECRET, apps={1000002: ASECRET}, users=("zhangsan", "lisi"),
               kf=(KF, "wkBBB"))
    return s.start()


def call(s, method, path, query=None, body=None, raw=None, ctype="application/json",
         timeout=5):
    """(status, Content-Type, JSON answer or bytes) of one request."""
    url = s.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    if ctype and data is not None:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, rtype, out = r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as e:
        status, rtype, out = e.code, e.headers["Content-Type"], e.read()
    if rtype.startswith("application/json"):
        out = json.loads(out.decode("utf-8"))
    return status, rtype, out


def token(s, appid=APPID, secret=SECRET):
    st, _, r = call(s, "GET", "/cgi-bin/token",
                    {"grant_type": "client_credential", "appid": appid, "secret": secret})
    assert st == 200 and "access_token" in r, r
    return r["access_token"]


def corp_token(s, secret=CSECRET):
    st, _, r = call(s, "GET", "/cgi-bin/gettoken", {"corpid": CORP, "corpsecret": secret})
    assert st == 200 and r["errcode"] == 0 and r["expires_in"] == 7200, r
    return r["access_token"]


def post(s, path, tok, body, **kw):
    """The JSON answer of a POST with an access_token (HTTP 200 asserted)."""
    st, _, r = call(s, "POST", path, {"access_token": tok}, body, **kw)
    assert st == 200, (st, r)
    return r


def text(to, content):
    return {"touser": to, "msgtype": "text", "text": {"content": content}}


def code(r):
    return r.get("errcode"), r.get("errmsg")


def exchange(s, data):
    return standin_http.exchange(s.port, data)


def new_violations(s, before, *needles):
    """The violations since `before`: one per needle, each holding its needle."""
    got = s.violations[before:]
    assert len(got) == len(needles) and all(n in v for n, v in zip(needles, got)), got
    return len(s.violations)


@test
def test_wechat_standin_token_flow(ctx):
    with standin() as s:
        q = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
        st, ctype, r = call(s, "GET", "/cgi-bin/token", q)
        assert st == 200 and ctype == "application/json; encoding=utf-8", (st, ctype)
        assert set(r) == {"access_token", "expires_in"} and r["expires_in"] == 7200, r
        t1 = r["access_token"]
        assert len(t1) >= 64, t1
        # a second token leaves the first good; each is of its account
        t2 = token(s)
        assert t2 != t1
        for t in (t1, t2):
            assert code(post(s, CUSTOM, t, text("o1", "hi"))) == (0, "ok")
        assert s.violations == []
        # the account's mistakes: answered, not the client's malformation
        assert code(call(s, "GET", "/cgi-bin/token", dict(q, secret="nope"))[2]) == (
            40125, "invalid appsecret")
        assert code(call(s, "GET", "/cgi-bin/token", dict(q, appid="wxnone"))[2]) == (
            40013, "invalid appid")
        assert s.violations == []
        # the client's: answered and recorded
        assert code(call(s, "GET", "/cgi-bin/token", dict(q, grant_type="password"))[2]) == (
            40002, "invalid grant_type")
        n = new_violations(s, 0, "grant_type 'password'")
        assert code(call(s, "GET", "/cgi-bin/token", {"grant_type": "client_credential",
                                                      "secret": SECRET})[2])[0] == 41002
        n = new_violations(s, n, "'appid' missing")
        assert code(call(s, "GET", "/cgi-bin/token", {"grant_type": "client_credential",
                                                      "appid": APPID})[2])[0] == 41004
        n = new_violations(s, n, "'secret' missing")
        assert s.token_requests == {APPID: 5, "wxnone": 1}, s.token_requests
        # WeCom
        ct = corp_token(s)
        assert len(ct) >= 64 and s.token_requests[CORP] == 1
        g = "/cgi-bin/gettoken"
        assert code(call(s, "GET", g, {"corpid": CORP, "corpsecret": "x"})[2])[0] == 40001
        assert code(call(s, "GET", g, {"corpid": "wwnone", "corpsecret": "x"})[2])[0] == 40013
        # a token is good only for its own host's APIs, and the token says whose call it is
        assert code(post(s, CUSTOM, ct, text("o1", "hi")))[0] == 40001
        assert code(post(s, "/cgi-bin/kf/sync_msg", t1, {"open_kfid": KF}))[0] == 40001
        assert len(s.violations) == n
        assert [r["errcode"] for r in s.requests[-4:]] == [40001, 40013, 40001, 40001]
        assert s.errors == []


@test
def test_wechat_standin_custom_send_accepted_and_recorded(ctx):
    with standin() as s:
        t = token(s)
        st, ctype, r = call(s, "POST", CUSTOM, {"access_token": t}, text("o1", "你好"),
                            ctype="application/json; charset=utf-8")
        assert (st, ctype, r) == (200, "application/json; encoding=utf-8",
                                  {"errcode": 0, "errmsg": "ok"}), (st, ctype, r)
        # 2048 bytes of UTF-8 are accepted (682 three-byte characters and 2 bytes more)
        assert code(post(s, CUSTOM, t, text("o2", "好" * 682 + "ab")))[0] == 0
        s.add_media(APPID, "MEDIA1", b"\xff\xd8jpeg")
        img = {"touser": "o1", "msgtype": "image", "image": {"media_id": "MEDIA1"}}
        assert code(post(s, CUSTOM, t, img))[0] == 0
        assert s.sent == [
            {"api": "custom", "account": APPID, "body": text("o1", "你好")},
            {"api": "custom", "account": APPID, "body": text("o2", "好" * 682 + "ab")},
            {"api": "custom", "account": APPID, "body": img}], s.sent
        last = s.requests[-1]
        assert (last["method"], last["path"], last["query"], last["json"], last["errcode"],
                last["status"]) == ("POST", CUSTOM, {"access_token": t}, img, 0, 200), last
        assert s.violations == [] and s.errors == []


@test
def test_wechat_standin_custom_send_error_codes(ctx):
    with standin() as s:
        t = token(s)
        # not the client's malformation: errcode only
        assert code(post(s, CUSTOM, t, text("o9", "hi"))) == (40003, "invalid openid")
        s.outside_window(APPID, "o2")
        assert code(post(s, CUSTOM, t, text("o2", "hi"))) == (
            45015, "response out of time limit or subscription is canceled")
        assert code(post(s, CUSTOM, t, text("o1", "hi")))[0] == 0     # o1's window is open
        s.outside_window(APPID, "o2", closed=False)
        assert code(post(s, CUSTOM, t, text("o2", "hi")))[0] == 0
        img = {"touser": "o1", "msgtype": "image", "image": {"media_id": "never-uploaded"}}
        assert code(post(s, CUSTOM, t, img)) == (40007, "invalid media_id")
        assert code(post(s, CUSTOM, "A" * 128, text("o1", "hi"))) == (
            40001, "invalid credential, access_token is invalid or not latest")
        assert s.violations == [] and len(s.sent) == 2
        # the client's malformations: errcode and a violation each
        n = 0
        assert code(post(s, CUSTOM, t, text("o1", "好" * 683))) == (
            45002, "content size out of limit")
        n = new_violations(s, n, "text.content is 2049 bytes")
        assert code(post(s, CUSTOM, t, text("o1", "")))[0] == 44004
        n = new_violations(s, n, "text.content is empty")
        assert code(post(s, CUSTOM, t, {"touser": "o1", "msgtype": "news", "news": {}})) == (
            40008, "invalid message type")
        n = new_violations(s, n, "unknown field news", "msgtype 'news'")
        assert code(post(s, CUSTOM, t, {"touser": "o1", "msgtype": "text",
                                        "text": {"content": 42}}))[0] == 44004
        n = new_violations(s, n, "text.content is 42, not a string")
        assert code(post(s, CUSTOM, t, {"msgtype": "text", "text": {"content": "x"}}))[0] == 40003
        n = new_violations(s, n, "touser missing")
        assert code(post(s, CUSTOM, t, None, raw=b"touser=o1&content=hi")) == (
            47001, "data format error")
        n = new_violations(s, n, "not JSON")
        assert code(post(s, CUSTOM, t, ["o1"]))[0] == 47001
        n = new_violations(s, n, "not an object")
        assert code(post(s, CUSTOM, t, None, raw=b""))[0] == 44002
        n = new_violations(s, n, "empty body")
        st, _, r = call(s, "POST", CUSTOM, None, text("o1", "hi"))
        assert code(r) == (41001, "access_token missing"), r
        n = new_violations(s, n, "'access_token' missing")
        assert len(s.sent) == 2 and s.errors == []


@test
def test_wechat_standin_http_level_violations(ctx):
    with standin() as s:
        t = token(s)
        n = 0
        # the wrong method for a known path
        st, _, r = call(s, "GET", CUSTOM, {"access_token": t})
        assert st == 200 and code(r) == (43002, "require POST method"), r
        n = new_violations(s, n, "GET, not POST")
        q = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
        st, _, r = call(s, "POST", "/cgi-bin/token", q, {})
        assert code(r) == (43001, "require GET method"), r
        n = new_violations(s, n, "POST, not GET")
        # an unknown path
        st, _, r = call(s, "POST", "/cgi-bin/message/custom/sendd", {"access_token": t}, {})
        assert st == 404 and r == {"errcode": -1, "errmsg": "no such api"}, (st, r)
        n = new_violations(s, n, "no such api")
        # a query parameter WeChat does not take: answered, recorded
        st, _, r = call(s, "POST", CUSTOM, {"access_token": t, "debug": "1"}, text("o1", "hi"))
        assert code(r)[0] == 0
        n = new_violations(s, n, "unknown query parameter 'debug'")
        # a form's Content-Type (libcurl's default for a POST): WeChat reads on, a violation
        assert code(post(s, CUSTOM, t, text("o1", "hi"),
                         ctype="application/x-www-form-urlencoded"))[0] == 0
        n = new_violations(s, n, "Content-Type 'application/x-www-form-urlencoded'")
        # a body over 1 MiB is refused
        big = json.dumps(text("o1", "x" * (1 << 20))).encode()
        st, _, r = call(s, "POST", CUSTOM, {"access_token": t}, raw=big)
        assert code(r) == (44002, "empty post data"), r
        n = new_violations(s, n, "body over 1048576 bytes")
        # garbage on the wire: refused, recorded, and the server serves on
        answer = exchange(s, b"\x16\x03\x01 \x00\x01 garbage HTTP/1.1\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400"), answer
        n = new_violations(s, n, "bad HTTP request: code 400, message Bad request syntax")
        # (an HTTP/0.9 error page, then the close)
        assert b"400" in exchange(s, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")
        n = new_violations(s, n, "bad HTTP request: code 400")
        answer = exchange(s, b"POST %s?access_token=%s HTTP/1.1\r\nHost: x\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\nzz\r\n"
                          % (CUSTOM.encode(), t.encode()))
        assert answer.startswith(b"HTTP/1.1 400"), answer
        n = new_violations(s, n, "chunk size")
        # a chunked body (as libcurl sends one of unknown length) is read whole
        body = json.dumps(text("o1", "chunked")).encode()
        answer = exchange(s, b"POST %s?access_token=%s HTTP/1.1\r\nHost: x\r\nContent-Type: "
                          b"application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"%x\r\n%s\r\n0\r\n\r\n" % (CUSTOM.encode(), t.encode(), len(body), body))
        assert answer.startswith(b"HTTP/1.1 200") and b'"errcode": 0' in answer, answer
        assert len(s.violations) == n and s.sent[-1]["body"] == text("o1", "chunked")
        assert s.errors == []


@test
def test_wechat_standin_fail_next(ctx):
    with standin() as s:
        t = token(s)
        # errcode: WeChat's text unless told, for n requests, then the real answer
        s.fail_next(CUSTOM, "errcode", n=2, code=45009)
        s.fail_next(CUSTOM, "errcode", code=-1, msg="system error, please retry")
        assert code(post(s, CUSTOM, t, text("o1", "a"))) == (45009,
                                                               "reach max api daily quota limit")
        assert code(post(s, CUSTOM, t, text("o1", "b")))[0] == 45009
        assert code(post(s, CUSTOM, t, text("o1", "c"))) == (-1, "system error, please retry")
        assert code(post(s, CUSTOM, t, text("o1", "d"))) == (0, "ok")
        assert [m["body"]["text"]["content"] for m in s.sent] == ["d"]
        # another path is left alone
        s.fail_next("/cgi-bin/token", "http", status=502)
        assert code(post(s, CUSTOM, t, text("o1", "e")))[0] == 0
        # http: the status, a short HTML page
        st, ctype, page = call(s, "GET", "/cgi-bin/token",
                               {"grant_type": "client_credential", "appid": APPID,
                                "secret": SECRET})
        assert st == 502 and ctype == "text/html" and b"502 Bad Gateway" in page, (st, page)
        assert s.requests[-1]["status"] == 502 and s.requests[-1]["errcode"] is None
        assert len(token(s)) >= 64
        # timeout: no answer within the client's second; the next request is answered
        s.fail_next(CUSTOM, "timeout", seconds=2)
        t0 = time.time()
        try:
            call(s, "POST", CUSTOM, {"access_token": t}, text("o1", "f"), timeout=1)
            raise AssertionError("answered a request it was told to hold")
        except (socket.timeout, TimeoutError):
            pass
        except urllib.error.URLError as e:
            assert isinstance(e.reason, (socket.timeout, TimeoutError)), e
        assert 0.9 < time.time() - t0 < 1.9, time.time() - t0
        assert s.requests[-1]["status"] is None and s.requests[-1]["path"] == CUSTOM
        assert code(post(s, CUSTOM, t, text("o1", "g")))[0] == 0
        assert [m["body"]["text"]["content"] for m in s.sent] == ["d", "e", "g"]
        try:
            s.fail_next("/cgi-bin/nope", "errcode", code=1)
            raise AssertionError("fail_next took an unknown path")
        except ValueError:
            pass
        assert s.violations == [] and s.errors == []


@test
def test_wechat_standin_expired_and_revoked_tokens(ctx):
    with standin() as s:
        t1, ct1 = token(s), corp_token(s)
        s.expire_tokens()
        assert code(post(s, CUSTOM, t1, text("o1", "hi"))) == (42001, "access_token expired")
        assert code(post(s, "/cgi-bin/kf/sync_msg", ct1, {"open_kfid": KF}))[0] == 42001
        t2, ct2 = token(s), corp_token(s)
        assert code(post(s, CUSTOM, t2, text("o1", "hi")))[0] == 0
        assert code(post(s, "/cgi-bin/kf/sync_msg", ct2, {"open_kfid": KF}))[0] == 0
        s.revoke_tokens()
        for t in (t1, t2):
            assert code(post(s, CUSTOM, t, text("o1", "hi"))) == (
                40001, "invalid credential, access_token is invalid or not latest")
        assert code(post(s, "/cgi-bin/kf/sync_msg", ct2, {"open_kfid": KF}))[0] == 40001
        assert code(post(s, CUSTOM, token(s), text("o1", "hi")))[0] == 0
        # a token past its expires_in
        s.expires_in = 1
        st, _, r = call(s, "GET", "/cgi-bin/token", {"grant_type": "client_credential",
                                                     "appid": APPID, "secret": SECRET})
        assert r["expires_in"] == 1, r
        assert code(post(s, CUSTOM, r["access_token"], text("o1", "hi")))[0] == 0
        time.sleep(1.1)
        assert code(post(s, CUSTOM, r["access_token"], text("o1", "hi")))[0] == 42001
        assert s.token_requests == {APPID: 4, CORP: 2}, s.token_requests
        assert s.violations == [] and s.errors == []


@test
def test_wechat_standin_template_and_app_messages(ctx):
    with standin() as s:
        t, ct = token(s), corp_token(s)
        tmpl = {"touser": "o1", "template_id": "tmplA", "url": "https://example.com/t/1",
                "data": {"thing1": {"value": "Your ticket"}, "time2": {"value": "12:00"}}}
        r = post(s, "/cgi-bin/message/template/send", t, tmpl)
        assert code(r) == (0, "ok") and isinstance(r["msgid"], int), r
        r2 = post(s, "/cgi-bin/message/template/send", t, tmpl)
        assert r2["msgid"] != r["msgid"], (r, r2)
        assert code(post(s, "/cgi-bin/message/template/send", t,
                         dict(tmpl, template_id="tmplZ"))) == (40037, "invalid template_id")
        assert code(post(s, "/cgi-bin/message/template/send", t, dict(tmpl, touser="o9")))[0] \
            == 40003
        assert s.violations == []
        assert code(post(s, "/cgi-bin/message/template/send", t,
                         dict(tmpl, data={"thing1": "Your ticket"})))[0] == 47001
        new_violations(s, 0, "data.thing1 is not an object")
        # WeCom's app message: the unknown users named, the known ones sent to; with the
        # application's own token only (the customer-service Secret's is refused, and the
        # application's cannot serve customers)
        app = {"touser": "zhangsan|ghost|lisi", "msgtype": "text", "agentid": 1000002,
               "text": {"content": "hello"}}
        assert code(post(s, "/cgi-bin/message/send", ct, app)) == (48001, "api unauthorized")
        kt, ct = ct, corp_token(s, ASECRET)
        assert code(post(s, "/cgi-bin/kf/send_msg", ct, {
            "touser": "wmU", "open_kfid": KF, "msgtype": "text", "text": {"content": "x"}}))[0] \
            == 48001
        assert kt != ct
        r = post(s, "/cgi-bin/message/send", ct, app)
        assert code(r) == (0, "ok") and r["invaliduser"] == "ghost" and r["msgid"], r
        r = post(s, "/cgi-bin/message/send", ct, dict(app, touser="zhangsan"))
        assert r["invaliduser"] == "", r
        assert code(post(s, "/cgi-bin/message/send", ct, dict(app, touser="ghost|nobody"))) == (
            81013, "user & party & tag all invalid")
        assert code(post(s, "/cgi-bin/message/send", ct, dict(app, agentid=7))) == (
            40056, "invalid agentid")
        assert len(s.violations) == 1
        assert code(post(s, "/cgi-bin/message/send", ct, dict(app, agentid="1000002")))[0] \
            == 41011
        new_violations(s, 1, "agentid is \"1000002\", not an integer")
        assert [(m["api"], m["account"]) for m in s.sent] == [
            ("template", APPID), ("template", APPID), ("app", CORP), ("app", CORP)], s.sent
        assert s.errors == []


@test
def test_wechat_standin_kf_sync_msg_paging(ctx):
    with standin() as s:
        ct = corp_token(s)
        sync = "/cgi-bin/kf/sync_msg"
        r = post(s, sync, ct, {"open_kfid": KF})
        assert code(r) == (0, "ok") and r["msg_list"] == [] and r["has_more"] == 0, r
        pushed = [s.kf_push(CORP, KF, {"external_userid": "wmU1", "msgtype": "text",
                                       "text": {"content": "m%d" % i}}) for i in range(5)]
        assert all(m["origin"] == 3 and m["open_kfid"] == KF and m["msgid"] and
                   isinstance(m["send_time"], int) for m in pushed), pushed
        s.kf_push(CORP, "wkBBB", {"external_userid": "wmU2", "msgtype": "text",
                                  "text": {"content": "other"}})
        pages, cursor = [], None
        for _ in range(3):
            body = {"open_kfid": KF, "limit": 2, "token": "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMz"}
            if cursor:
                body["cursor"] = cursor
            r = post(s, sync, ct, body)
            assert code(r)[0] == 0 and r["next_cursor"], r
            pages.append(([m["text"]["content"] for m in r["msg_list"]], r["has_more"]))
            cursor = r["next_cursor"]
        assert pages == [(["m0", "m1"], 1), (["m2", "m3"], 1), (["m4"], 0)], pages
        assert post(s, sync, ct, {"open_kfid": KF, "cursor": cursor})["msg_list"] == []
        # what comes later is read from the last cursor; without one, from the beginning
        s.kf_push(CORP, KF, {"external_userid": "wmU1", "msgtype": "text",
                             "text": {"content": "m5"}})
        r = post(s, sync, ct, {"open_kfid": KF, "cursor": cursor})
        assert len(r["msg_list"]) == 1 and r["has_more"] == 0, r
        assert r["msg_list"][0]["text"]["content"] == "m5", r
        r = post(s, sync, ct, {"open_kfid": KF})
        assert len(r["msg_list"]) == 6 and r["msg_list"][0] == pushed[0], r
        assert s.violations == []
        # a cursor not ours, or another account's, is refused (not the client's malformation)
        forged = base64.urlsafe_b64encode(b"1.0123456789abcdef").decode().rstrip("=")
        for c in (forged, "not-a-cursor", post(s, sync, ct, {"open_kfid": "wkBBB"})["next_cursor"]):
            assert code(post(s, sync, ct, {"open_kfid": KF, "cursor": c})) == (
                40058, "invalid parameter"), c
        assert code(post(s, sync, ct, {"open_kfid": "wkZZZ"})) == (95000, "invalid open_kfid")
        assert s.violations == []
        # the client's: a limit out of 1..1000, no open_kfid
        assert code(post(s, sync, ct, {"open_kfid": KF, "limit": 0}))[0] == 40058
        n = new_violations(s, 0, "limit is 0, not 1..1000")
        assert code(post(s, sync, ct, {"open_kfid": KF, "limit": 1001}))[0] == 40058
        n = new_violations(s, n, "limit is 1001")
        assert code(post(s, sync, ct, {"limit": 10}))[0] == 95000
        new_violations(s, n, "open_kfid missing")
        assert s.errors == []


@test
def test_wechat_standin_kf_send_and_service_state(ctx):
    with standin() as s:
        ct = corp_token(s)
        msg = {"touser": "wmU1", "open_kfid": KF, "msgtype": "text", "text": {"content": "hi"}}
        r = post(s, "/cgi-bin/kf/send_msg", ct, msg)
        assert code(r) == (0, "ok") and isinstance(r["msgid"], str) and r["msgid"], r
        r = post(s, "/cgi-bin/kf/send_msg", ct, dict(msg, msgid="omniq-42"))
        assert r["msgid"] == "omniq-42", r
        assert code(post(s, "/cgi-bin/kf/send_msg", ct, dict(msg, open_kfid="wkZZZ"))) == (
            95000, "invalid open_kfid")
        assert [m["api"] for m in s.sent] == ["kf", "kf"] and s.sent[0]["body"] == msg
        trans = "/cgi-bin/kf/service_state/trans"
        st = {"open_kfid": KF, "external_userid": "wmU1", "service_state": 3,
              "servicer_userid": "zhangsan"}
        r = post(s, trans, ct, st)
        assert r == {"errcode": 0, "errmsg": "ok", "msg_code": ""}, r
        assert s.service_states == [dict(st, account=CORP)], s.service_states
        r = post(s, "/cgi-bin/kf/service_state/get", ct,
                 {"open_kfid": KF, "external_userid": "wmU1"})
        assert (r["service_state"], r["servicer_userid"]) == (3, "zhangsan"), r
        assert s.service_state(CORP, KF, "wmU1") == (3, "zhangsan")
        assert code(post(s, trans, ct, dict(st, servicer_userid="ghost")))[0] == 60111
        assert s.violations == []
        n = 0
        assert code(post(s, trans, ct, {"open_kfid": KF, "external_userid": "wmU1",
                                        "service_state": 3}))[0] == 40058
        n = new_violations(s, n, "service_state 3 without servicer_userid")
        assert code(post(s, trans, ct, dict(st, service_state=9)))[0] == 40058
        n = new_violations(s, n, "service_state is 9")
        assert code(post(s, "/cgi-bin/kf/send_msg", ct,
                         dict(msg, text={"content": "x" * 2049})))[0] == 45002
        n = new_violations(s, n, "2049 bytes")
        assert len(s.service_states) == 1 and len(s.sent) == 2 and s.errors == []


@test
def test_wechat_standin_media_get(ctx):
    with standin() as s:
        t, ct = token(s), corp_token(s)
        s.add_media(APPID, "MEDIA1", b"\xff\xd8\xff\xe0jpeg-bytes")
        s.add_media(CORP, "CMEDIA", b"AMR-bytes", "audio/amr")
        st, ctype, data = call(s, "GET", "/cgi-bin/media/get", {"access_token": t,
                                                                "media_id": "MEDIA1"})
        assert (st, ctype, data) == (200, "image/jpeg", b"\xff\xd8\xff\xe0jpeg-bytes"), ctype
        st, ctype, data = call(s, "GET", "/cgi-bin/media/get", {"access_token": ct,
                                                                "media_id": "CMEDIA"})
        assert (ctype, data) == ("audio/amr", b"AMR-bytes"), (ctype, data)
        # another account's media, or none at all: JSON 40007
        for tok, mid in ((ct, "MEDIA1"), (t, "nope")):
            st, ctype, r = call(s, "GET", "/cgi-bin/media/get", {"access_token": tok,
                                                                 "media_id": mid})
            assert ctype.startswith("application/json") and code(r) == (
                40007, "invalid media_id"), r
        assert s.violations == []
        st, _, r = call(s, "GET", "/cgi-bin/media/get", {"access_token": t})
        assert code(r)[0] == 40007
        new_violations(s, 0, "'media_id' missing")
        assert s.errors == []
