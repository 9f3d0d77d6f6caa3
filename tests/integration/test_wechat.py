"""The WeChat channel (modules/omniq_wechat) over real HTTP: callbacks signed and encrypted
here as WeChat's servers do (WXBizMsgCrypt, with python3-cryptography), into a running
kamailio and Redis; replies, alerts and WeCom fetches out to the stand-in of WeChat's API
(wechat_standin.py), which checks every request as WeChat would."""
import base64
import contextlib
import hashlib
import os
import re
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from harness import alone, SWEEP_AGAIN, SWEEP_FAILED, test, wait_for
from test_rest import unchanged
from test_ws import refuses_to_start, ws_kam
from wechat_standin import WeChatStandIn

P = "oq:{default}"
ACME = "oq:{acme}"

# as tests/integration/cfg/ws.cfg declares them
OA = {"name": "oa", "appid": "wx2c2769f8efd9abc2", "secret": "oa-secret-1", "token": "spamtest",
      "aeskey": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "gh": "gh_oa0000001"}
SAFE = {"name": "safe", "appid": "wxsafe00000001", "secret": "safe-secret-1",
        "token": "safetoken", "aeskey": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
        "gh": "gh_safe000001"}
PLAIN = {"name": "plain", "appid": "wxplain0000001", "secret": "plain-secret-1",
         "token": "plaintoken", "aeskey": None, "gh": "gh_plain00001"}
CORP = {"name": "corp", "appid": "wwcorp00000001", "secret": "corp-secret-1", "token": "QDG6eK",
        "aeskey": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "gh": "wwcorp00000001"}
KFID = "wkKF000001"
FOLLOWERS = ("oCustomer001", "oCustomer002", "oCustomer003", "oStaff0001", "oOld00001")


def signature(*parts):
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def encrypt(acct, text, rand=None):
    key = base64.b64decode(acct["aeskey"] + "=")
    msg = text.encode()
    plain = (rand or os.urandom(16)) + struct.pack(">I", len(msg)) + msg + acct["appid"].encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


def decrypt(acct, b64):
    key = base64.b64decode(acct["aeskey"] + "=")
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = dec.update(base64.b64decode(b64)) + dec.finalize()
    plain = plain[:-plain[-1]]
    n = struct.unpack(">I", plain[16:20])[0]
    return plain[20:20 + n].decode(), plain[20 + n:].decode()


def cdata(v):
    """v as CDATA, as WeChat writes it (a "]]>" in it split across two sections)."""
    return "<![CDATA[%s]]>" % v.replace("]]>", "]]]]><![CDATA[>")


def text_xml(acct, openid, content, msgid, created=None):
    return ("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]>"
            "</FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            "<Content>%s</Content><MsgId>%s</MsgId></xml>"
            % (acct["gh"], openid, created or int(time.time()), cdata(content), msgid))


def event_xml(acct, openid, event, extra="", created=None):
    return ("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]>"
            "</FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[%s]]></Event>%s</xml>"
            % (acct["gh"], openid, created or int(time.time()), event, extra))


class WeChat:
    """WeChat's servers as an account's callback URL sees them."""

    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port

    def call(self, method, path, body=None):
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers={"Content-Type": "text/xml"} if body else {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def post(self, acct, xml, mode="plain", ts=None, nonce="1320562132", forge=None):
        """A callback in mode plain, compat or safe (WeCom: always encrypted): (status, body)."""
        ts = str(ts if ts is not None else int(time.time()))
        q = {"timestamp": ts, "nonce": nonce}
        if acct is not CORP:
            q["signature"] = signature(acct["token"], ts, nonce)
            q["openid"] = "o-not-trusted"
        body = xml
        if mode != "plain":
            enc = encrypt(acct, xml)
            q["msg_signature"] = signature(acct["token"], ts, nonce, enc)
            if acct is not CORP:
                q["encrypt_type"] = "aes"
            if mode == "compat":
                body = xml.replace("</xml>", "<Encrypt><![CDATA[%s]]></Encrypt></xml>" % enc)
            else:
                body = ("<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]>"
                        "</Encrypt>%s</xml>" % (acct["gh"], enc,
                                                "<AgentID>1</AgentID>" if acct is CORP else ""))
        if forge:
            forge(q)
        return self.call("POST", "/hooks/wechat/%s?%s" % (acct["name"], urllib.parse.urlencode(q)),
                         body.encode() if isinstance(body, str) else body)


def wechat_api(ctx, standin_setup=None):
    """The stand-in of WeChat's API, stopped by the harness, with the accounts ws.cfg
    declares (OA, SAFE, PLAIN; CORP with its application 1000002 and KFID);
    standin_setup(s) adds what a test needs."""
    s = WeChatStandIn().start()
    ctx.servers.append(s)
    for a in (OA, SAFE, PLAIN):
        s.add_account(a["appid"], a["secret"], followers=FOLLOWERS, templates=("tmplA",))
    s.add_corp(CORP["appid"], CORP["secret"], apps={1000002: "corp-app-secret-2"},
               users=("zhangsan", "lisi"), kf=(KFID,))
    if standin_setup:
        standin_setup(s)
    return s


def wechat_kam(ctx, standin_setup=None, defines=None):
    s = wechat_api(ctx, standin_setup)
    rs, k, api = ws_kam(ctx, dict(defines or {}, OMNIQ_WECHAT_API='"%s"' % s.url))
    return rs, k, api, s, WeChat(k.http_port)


def agent(k, aid, skills="wechat:5"):
    ok_rpc(k, "omniq.agent_set", aid, aid.title(), skills, "chat=4")
    ok_rpc(k, "omniq.agent_state", aid, "available")


def transcript(r, prefix, sid):
    return [(e["dir"], e["body"]) for _, e in r.xrange("%s:s:%s:tx" % (prefix, sid))]


def sessions_of(r, prefix, identity):
    n = int(r.get(prefix + ":seq:s") or 0)
    return [str(i) for i in range(1, n + 1) if r.hget("%s:s:%d" % (prefix, i), "identity") == identity]


def ok_rpc(k, *args):
    rc, out = k.rpc(*args)
    assert rc == 0 and not out.startswith("error"), (args, out)
    return out.strip()


def delivery_states(rs, prefix, sid):
    flat = rs.client().fcall("oq_deliveries", 1, prefix, sid)
    return [(flat[i + 2], flat[i + 3]) for i in range(0, len(flat), 4)]


@test
def test_wechat_url_verification_official_account_and_wecom(ctx):
    rs, k, api, s, wx = wechat_kam(ctx)
    ts = str(int(time.time()))
    q = {"signature": signature(OA["token"], ts, "42"), "timestamp": ts, "nonce": "42",
         "echostr": "8087713478437458925"}
    st, body = wx.call("GET", "/hooks/wechat/oa?" + urllib.parse.urlencode(q))
    assert (st, body) == (200, "8087713478437458925"), (st, body)
    # a signature of another token, and a replayed one
    bad = dict(q, signature=signature("other", ts, "42"))
    st, body = wx.call("GET", "/hooks/wechat/oa?" + urllib.parse.urlencode(bad))
    assert st == 403 and "signature does not match" in body, (st, body)
    old = str(int(time.time()) - 3600)
    stale = dict(q, timestamp=old, signature=signature(OA["token"], old, "42"))
    st, body = wx.call("GET", "/hooks/wechat/oa?" + urllib.parse.urlencode(stale))
    assert st == 403 and "replay" in body, (st, body)
    st, body = wx.call("GET", "/hooks/wechat/oa?timestamp=%s&nonce=1" % ts)
    assert st == 400, (st, body)
    # WeCom: echostr comes encrypted, the answer is what it holds
    enc = encrypt(CORP, "1616140317555161061")
    wq = {"msg_signature": signature(CORP["token"], ts, "7", enc), "timestamp": ts, "nonce": "7",
          "echostr": enc}
    st, body = wx.call("GET", "/hooks/wechat/corp?" + urllib.parse.urlencode(wq))
    assert (st, body) == (200, "1616140317555161061"), (st, body)
    # an account that is not there, a method WeChat never uses
    assert wx.call("GET", "/hooks/wechat/nobody?" + urllib.parse.urlencode(q))[0] == 404
    assert wx.call("PUT", "/hooks/wechat/oa", b"<xml/>")[0] == 405
    assert "WeChat verified the callback URL" in k.text()
    assert k.stat("omniq_wechat:callbacks_refused") == 3


@test
def test_wechat_callback_in_each_mode_opens_a_session_that_reaches_an_agent(ctx):
    rs, k, api, s, wx = wechat_kam(ctx)
    r = rs.client()
    agent(k, "alice")
    # plaintext (account plain), compatible and safe (account oa), safe only (account safe,
    # tenant acme)
    st, body = wx.post(PLAIN, text_xml(PLAIN, "oCustomer001", "你好 plain 😀", "1000001"))
    assert (st, body) == (200, "success"), (st, body)
    st, body = wx.post(OA, text_xml(OA, "oCustomer001", "compat: <b>&amp;</b>", "1000002"), "compat")
    assert (st, body) == (200, "success"), (st, body)
    st, body = wx.post(OA, text_xml(OA, "oCustomer001", "safe ]]> mode", "1000003"), "safe")
    assert (st, body) == (200, "success"), (st, body)
    st, body = wx.post(SAFE, text_xml(SAFE, "oCustomer002", "acme 的客户", "1000004"), "safe")
    assert (st, body) == (200, "success"), (st, body)
    # the customers, one per account's openid; the Official Account's two messages in one
    # session, offered to alice (skill wechat)
    plain = sessions_of(r, P, "wechat:wxplain0000001:oCustomer001")
    oa = sessions_of(r, P, "wechat:wx2c2769f8efd9abc2:oCustomer001")
    acme = sessions_of(r, ACME, "wechat:wxsafe00000001:oCustomer002")
    assert len(plain) == len(oa) == len(acme) == 1, (plain, oa, acme)
    assert transcript(r, P, plain[0]) == [("in", "你好 plain 😀")]
    assert transcript(r, P, oa[0]) == [("in", "compat: <b>&amp;</b>"), ("in", "safe ]]> mode")]
    assert transcript(r, ACME, acme[0]) == [("in", "acme 的客户")]
    assert r.hget("%s:s:%s" % (P, oa[0]), "channel") == "wechat"
    assert r.hget("%s:s:%s" % (P, oa[0]), "ext") == "oa:wx2c2769f8efd9abc2:oCustomer001"
    assert r.hget("%s:s:%s" % (ACME, acme[0]), "queue") == "vip"
    wait_for(lambda: r.hget("%s:s:%s" % (P, oa[0]), "agent") == "alice", timeout=5,
             what="the WeChat session offered to alice")
    # the compatible mode's plaintext fields are not what is stored: the Encrypt is
    assert k.stat("omniq_wechat:callbacks_taken") == 4
    # a safe-only account refuses plaintext; a plaintext account has no key for Encrypt
    with unchanged(r):
        st, body = wx.post(SAFE, text_xml(SAFE, "oCustomer002", "plain to safe", "1000005"))
        assert st == 403 and "encrypted callbacks only" in body, (st, body)
        st, body = wx.post(dict(PLAIN, aeskey=OA["aeskey"]),
                           text_xml(PLAIN, "oCustomer001", "aes", "1000006"), "safe")
        assert st == 403 and "no EncodingAESKey" in body, (st, body)
    # media, location, a menu click become messages; subscribe links the customer across
    # accounts by UnionID; a type nobody knows is kept with its fields
    xml = ("<xml><ToUserName>%s</ToUserName><FromUserName>oCustomer003</FromUserName>"
           "<CreateTime>%d</CreateTime><MsgType>image</MsgType><PicUrl>http://mmbiz/p.jpg</PicUrl>"
           "<MediaId>media-1</MediaId><MsgId>1000007</MsgId></xml>" % (OA["gh"], time.time()))
    assert wx.post(OA, xml, "safe") == (200, "success")
    xml = ("<xml><ToUserName>%s</ToUserName><FromUserName>oCustomer003</FromUserName>"
           "<CreateTime>%d</CreateTime><MsgType>hologram</MsgType><Depth>3</Depth>"
           "<MsgId>1000008</MsgId></xml>" % (OA["gh"], time.time()))
    assert wx.post(OA, xml, "safe") == (200, "success")
    c3 = sessions_of(r, P, "wechat:wx2c2769f8efd9abc2:oCustomer003")
    tx = transcript(r, P, c3[0])
    # an image names its file for the agent (test_wechat_media_is_fetched_for_the_agent_when_opened)
    assert len(tx) == 2 and re.fullmatch(r"\[image\] http://mmbiz/p\.jpg\n/media/default/[0-9a-f]{32}",
                                         tx[0][1]) and tx[1] == ("in", "[hologram] Depth=3"), tx
    union = "<UnionId>uUNION1</UnionId><EventKey>qrscene_shop7</EventKey>"
    assert wx.post(OA, event_xml(OA, "oCustomer002", "subscribe", union), "safe") == (200, "success")
    assert wx.post(PLAIN, event_xml(PLAIN, "oCustomer002", "subscribe", union)) == (200, "success")
    ident = r.hgetall(P + ":ident")
    assert ident["wechat:wx2c2769f8efd9abc2:oCustomer002"] == ident["wechat:union:uUNION1"] \
        == ident["wechat:wxplain0000001:oCustomer002"], ident
    assert not sessions_of(r, P, "wechat:wx2c2769f8efd9abc2:oCustomer002")  # no session


@test
def test_wechat_repeated_callback_is_one_message(ctx):
    """WeChat retries a callback it got no answer to within 5 s up to three times, possibly
    to another node: the same MsgId (an event: sender and CreateTime) is one message."""
    rs, k, api, s, wx = wechat_kam(ctx)
    r = rs.client()
    xml = text_xml(OA, "oCustomer001", "only once", "2000001")
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(wx.post(OA, xml, "safe")))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [(200, "success")] * 4, answers
    ev = event_xml(OA, "oCustomer001", "CLICK", "<EventKey>HUMAN</EventKey>", created=1700000000)
    now = int(time.time())
    assert wx.post(OA, ev.replace("1700000000", str(now)), "safe") == (200, "success")
    assert wx.post(OA, ev.replace("1700000000", str(now)), "safe") == (200, "success")
    sid = sessions_of(r, P, "wechat:wx2c2769f8efd9abc2:oCustomer001")
    assert len(sid) == 1
    assert transcript(r, P, sid[0]) == [("in", "only once"), ("in", "[menu: HUMAN]")]
    assert k.stat("omniq_wechat:callbacks_duplicate") == 4
    assert k.stat("omniq_wechat:callbacks_taken") == 6


@test
def test_wechat_forged_stale_oversized_and_malformed_callbacks_store_nothing(ctx):
    rs, k, api, s, wx = wechat_kam(ctx)
    r = rs.client()
    xml = text_xml(OA, "oCustomer001", "hello", "3000001")
    with unchanged(r):
        # a signature of the wrong token; a msg_signature over another Encrypt
        st, body = wx.post(OA, xml, forge=lambda q: q.update(signature="0" * 40))
        assert st == 403 and "signature does not match" in body, (st, body)
        st, body = wx.post(OA, xml, "safe", forge=lambda q: q.update(msg_signature="f" * 40))
        assert st == 403 and "msg_signature does not match" in body, (st, body)
        # replayed: an hour old, and from the future
        st, body = wx.post(OA, xml, "safe", ts=int(time.time()) - 3600)
        assert st == 403 and "replay" in body, (st, body)
        st, body = wx.post(OA, xml, "safe", ts=int(time.time()) + 3600)
        assert st == 403, (st, body)
        # malformed: not XML, not <xml>, an entity bomb, no MsgType, a text without Content
        for bad in ("not xml", "<root><a>1</a></root>",
                    '<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>',
                    "<xml><FromUserName>o1</FromUserName><CreateTime>1</CreateTime></xml>",
                    text_xml(OA, "oCustomer001", "", "3000002")):
            st, body = wx.post(OA, bad)
            assert st == 400 and body.startswith('{"error"'), (bad, st, body)
        # an Encrypt that is not Base64, one encrypted for another AppID, one truncated
        ts = str(int(time.time()))
        for enc in ("!!not base64!!", encrypt(dict(OA, appid="wxsomebodyelse"), xml),
                    encrypt(OA, xml)[:-24]):
            q = {"timestamp": ts, "nonce": "5", "encrypt_type": "aes",
                 "signature": signature(OA["token"], ts, "5"),
                 "msg_signature": signature(OA["token"], ts, "5", enc)}
            st, body = wx.call("POST", "/hooks/wechat/oa?" + urllib.parse.urlencode(q),
                               ("<xml><Encrypt>%s</Encrypt></xml>" % enc).encode())
            assert st == 400 and "error" in body, (enc, st, body)
        # oversized: more than WeChat ever sends
        big = text_xml(OA, "oCustomer001", "x" * 70000, "3000003")
        st, body = wx.post(OA, big)
        assert st == 413, (st, body)
    # and the account still takes a good one
    assert wx.post(OA, xml, "safe") == (200, "success")
    assert k.stat("omniq_wechat:callbacks_refused") >= 10
    # refusals are counted, and logged once per 10 s rather than per request
    assert k.text().count("callback(s) refused in the last") <= 2, k.tail()


def replied(k, rs, prefix, sid, agent_id, text):
    ok_rpc(k, "omniq.reply", sid, agent_id, text)


def one_session(k, rs, wx, openid="oCustomer001", msgid="4000001"):
    r = rs.client()
    agent(k, "alice")
    assert wx.post(OA, text_xml(OA, openid, "我的订单呢?", msgid), "safe") == (200, "success")
    sid = sessions_of(r, P, "wechat:wx2c2769f8efd9abc2:" + openid)[0]
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "agent") == "alice", timeout=5, what="offer")
    ok_rpc(k, "omniq.accept", sid, "alice")
    return sid


@test
def test_wechat_agents_reply_reaches_wechat_with_a_valid_token_and_shows_sent(ctx):
    rs, k, api, s, wx = wechat_kam(ctx)
    sid = one_session(k, rs, wx)
    ok_rpc(k, "omniq.reply", sid, "alice", "您好, 已发货 📦")
    wait_for(lambda: delivery_states(rs, P, sid) == [("sent", "")], timeout=10,
             what="the reply sent: %s" % delivery_states(rs, P, sid))
    assert s.sent == [{"api": "custom", "account": OA["appid"],
                       "body": {"touser": "oCustomer001", "msgtype": "text",
                                "text": {"content": "您好, 已发货 📦"}}}], s.sent
    ok_rpc(k, "omniq.reply", sid, "alice", "second")
    wait_for(lambda: len(s.sent) == 2, timeout=10, what="the second reply")
    # one token, fetched once, shared through Redis
    assert s.token_requests == {OA["appid"]: 1}, s.token_requests
    assert not s.violations, s.violations
    wait_for(lambda: k.stat("omniq_wechat:sent") == 2, timeout=5, what="both counted")
    assert k.stat("omniq_wechat:tokens_fetched") == 1
    # a restarted node uses the token in Redis, not a new one
    k.stop()
    k.start()
    ok_rpc(k, "omniq.reply", sid, "alice", "third, after a restart")
    wait_for(lambda: len(s.sent) == 3, timeout=10, what="the third reply")
    assert s.token_requests == {OA["appid"]: 1}, s.token_requests


@test
def test_wechat_provider_errors_end_as_the_agent_should_see_them(ctx):
    rs, k, api, s, wx = wechat_kam(ctx)
    sid = one_session(k, rs, wx)
    custom = "/cgi-bin/message/custom/send"

    def last_state(n):
        got = delivery_states(rs, P, sid)
        return got[n] if len(got) > n else None
    # 45015: the 48-hour window has closed, failed at once with the reason
    s.outside_window(OA["appid"], "oCustomer001")
    ok_rpc(k, "omniq.reply", sid, "alice", "too late")
    wait_for(lambda: (last_state(0) or ("",))[0] == "failed", timeout=10, what="45015 failed")
    reason = last_state(0)[1]
    assert "45015" in reason and "48 hours" in reason and "another channel" in reason, reason
    s.outside_window(OA["appid"], "oCustomer001", closed=False)
    # 40001: a new token, the same request once more, sent
    s.revoke_tokens()
    ok_rpc(k, "omniq.reply", sid, "alice", "after 40001")
    wait_for(lambda: (last_state(1) or ("",))[0] == "sent", timeout=10, what="sent after 40001")
    # 42001 likewise
    s.expire_tokens()
    ok_rpc(k, "omniq.reply", sid, "alice", "after 42001")
    wait_for(lambda: (last_state(2) or ("",))[0] == "sent", timeout=10, what="sent after 42001")
    assert s.token_requests[OA["appid"]] == 3, s.token_requests
    # 5xx, then a timeout: retried, then sent
    s.fail_next(custom, "http", status=502)
    ok_rpc(k, "omniq.reply", sid, "alice", "after a 502")
    wait_for(lambda: (last_state(3) or ("",))[0] == "sent", timeout=10, what="sent after 502")
    s.fail_next(custom, "timeout", seconds=2)
    ok_rpc(k, "omniq.reply", sid, "alice", "after a timeout")
    wait_for(lambda: (last_state(4) or ("",))[0] == "sent", timeout=15, what="sent after timeout")
    # system busy on every attempt (3): failed, in WeChat's words
    s.fail_next(custom, "errcode", n=3, code=-1)
    ok_rpc(k, "omniq.reply", sid, "alice", "never")
    wait_for(lambda: (last_state(5) or ("",))[0] == "failed", timeout=15, what="failed after 3")
    assert "WeChat -1: system error" in last_state(5)[1], last_state(5)
    bodies = [m["body"]["text"]["content"] for m in s.sent]
    assert bodies == ["after 40001", "after 42001", "after a 502", "after a timeout"], bodies
    assert not s.violations, s.violations
    assert k.stat("omniq_wechat:send_failed") == 2


@test
def test_wechat_staff_alerts_by_rpc_and_their_reports(ctx):
    rs, k, api, s, wx = wechat_kam(ctx)
    did = ok_rpc(k, "wechat.alert", "oa", "oStaff0001", "会话 42 已等待 5 分钟")
    wait_for(lambda: len(s.sent) == 1, timeout=10, what="the template message")
    assert s.sent[0]["api"] == "template" and s.sent[0]["body"] == {
        "touser": "oStaff0001", "template_id": "tmplA",
        "data": {"content": {"value": "会话 42 已等待 5 分钟"}}}, s.sent
    r = rs.client()
    wait_for(lambda: r.hget(P + ":ob:d:" + did, "state") == "sent", timeout=5, what="sent")
    msgid = r.hget(P + ":ob:d:" + did, "provider_id")
    assert msgid.startswith("tpl:"), msgid
    # WeChat reports the template message's fate in a callback
    rep = event_xml(OA, "oStaff0001", "TEMPLATESENDJOBFINISH",
                    "<MsgID>%s</MsgID><Status>success</Status>" % msgid[4:])
    assert wx.post(OA, rep, "safe") == (200, "success")
    assert r.hget(P + ":ob:d:" + did, "state") == "delivered"
    # and a refused one's, in WeChat's words; a report about an alert omniq never sent
    # (another system's template message) is answered success and moves nothing
    did3 = ok_rpc(k, "wechat.alert", "oa", "oStaff0001", "second")
    wait_for(lambda: r.hget(P + ":ob:d:" + did3, "state") == "sent", timeout=10, what="sent")
    msgid3 = r.hget(P + ":ob:d:" + did3, "provider_id")[4:]
    rep = event_xml(OA, "oStaff0001", "TEMPLATESENDJOBFINISH",
                    "<MsgID>%s</MsgID><Status>failed:user block</Status>" % msgid3)
    assert wx.post(OA, rep, "safe") == (200, "success")
    d3 = r.hgetall(P + ":ob:d:" + did3)
    assert d3["state"] == "failed" and d3["reason"] == "failed:user block", d3
    s.sent.pop()
    other = event_xml(OA, "oStaff0001", "TEMPLATESENDJOBFINISH",
                      "<MsgID>123456789</MsgID><Status>success</Status>")
    assert wx.post(OA, other, "safe") == (200, "success")
    assert r.hget(P + ":ob:d:" + did3, "state") == "failed"
    # an account of tenant acme whose template names its field thing1: queued in acme's
    did2 = ok_rpc(k, "wechat.alert", "safe", "oStaff0001", "VIP 队列已满")
    wait_for(lambda: len(s.sent) == 2, timeout=10, what="acme's template message")
    assert s.sent[1]["account"] == SAFE["appid"] and s.sent[1]["body"]["data"] == {
        "thing1": {"value": "VIP 队列已满"}}, s.sent
    assert r.hget(ACME + ":ob:d:" + did2, "channel") == "wechat"
    # WeCom: an application message to a userid
    ok_rpc(k, "wechat.alert", "corp", "zhangsan", "queue vip is full")
    wait_for(lambda: len(s.sent) == 3, timeout=10, what="the WeCom message")
    assert s.sent[2]["api"] == "app" and s.sent[2]["body"] == {
        "touser": "zhangsan", "msgtype": "text", "agentid": 1000002,
        "text": {"content": "queue vip is full"}}, s.sent
    # refusals: no such account; an account without a template; a recipient with ':'
    for args, code in ((("nobody", "o1", "x"), "404"), (("plain", "o1", "x"), "400"),
                       (("oa", "o:1", "x"), "400")):
        out = k.rpc("wechat.alert", *args)[1]
        assert out.startswith("error: " + code), (args, out)
    accounts = k.rpc("wechat.accounts")[1]
    for want in ("name: oa", "mode: compat", "mode: safe", "mode: plain", "tenant: acme",
                 "path: /hooks/wechat/corp"):
        assert want in accounts, accounts
    assert not s.violations, s.violations


def kf_wake(wx, token="ENCAAAA"):
    xml = ("<xml><ToUserName><![CDATA[%s]]></ToUserName><CreateTime>%d</CreateTime>"
           "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
           "<Token><![CDATA[%s]]></Token><OpenKfId><![CDATA[%s]]></OpenKfId></xml>"
           % (CORP["appid"], time.time(), token, KFID))
    return wx.post(CORP, xml, "safe")


@test
def test_wechat_wecom_customer_service_fetches_with_a_cursor_across_a_restart(ctx):
    rs, k, api, s, wx = wechat_kam(ctx)
    r = rs.client()
    agent(k, "alice")
    for i in range(3):
        s.kf_push(CORP["appid"], KFID, {"external_userid": "wmUser1", "msgtype": "text",
                                         "text": {"content": "kf 消息 %d" % i}})
    # a servicer's own message and a system event are not the customer's
    s.kf_push(CORP["appid"], KFID, {"external_userid": "wmUser1", "msgtype": "text", "origin": 5,
                                     "text": {"content": "from a servicer"}})
    assert kf_wake(wx) == (200, "success")
    ident = "wechat:wwcorp00000001:wmUser1"
    wait_for(lambda: sessions_of(r, P, ident) and len(transcript(r, P, sessions_of(r, P, ident)[0])) == 3,
             timeout=10, what="the three kf messages stored")
    sid = sessions_of(r, P, ident)[0]
    assert r.hget("%s:s:%s" % (P, sid), "ext") == "kf:wwcorp00000001:%s:wmUser1" % KFID
    # a restart: the cursor is in Redis; two more, and the same wake twice
    k.stop()
    for i in range(3, 5):
        s.kf_push(CORP["appid"], KFID, {"external_userid": "wmUser1", "msgtype": "text",
                                         "text": {"content": "kf 消息 %d" % i}})
    k.start()
    assert kf_wake(wx, "ENCBBBB") == (200, "success")
    assert kf_wake(wx, "ENCBBBB") == (200, "success")
    wait_for(lambda: len(transcript(r, P, sid)) == 5, timeout=10, what="the two after the restart")
    time.sleep(0.5)
    assert transcript(r, P, sid) == [("in", "kf 消息 %d" % i) for i in range(5)]
    syncs = [q for q in s.requests if q["path"] == "/cgi-bin/kf/sync_msg"]
    assert syncs[0]["json"].get("cursor") is None and syncs[-1]["json"].get("cursor"), syncs
    # the agent's reply leaves by kf/send_msg
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "agent") == "alice", timeout=5, what="offer")
    ok_rpc(k, "omniq.accept", sid, "alice")
    ok_rpc(k, "omniq.reply", sid, "alice", "您好, 我是 Alice")
    wait_for(lambda: any(m["api"] == "kf" for m in s.sent), timeout=10, what="kf/send_msg")
    kf = [m for m in s.sent if m["api"] == "kf"][0]["body"]
    assert kf["touser"] == "wmUser1" and kf["open_kfid"] == KFID \
        and kf["text"] == {"content": "您好, 我是 Alice"}, kf
    # WeCom is told the conversation is handled (1: by the API, which may send in it) and,
    # when the session ends, that it ended (4); once, though every node sees the events
    wait_for(lambda: s.service_state(CORP["appid"], KFID, "wmUser1")[0] == 1, timeout=10,
             what="service state 1 after the accept")
    ok_rpc(k, "omniq.close", sid)
    wait_for(lambda: s.service_state(CORP["appid"], KFID, "wmUser1")[0] == 4, timeout=10,
             what="service state 4 after the close")
    assert [t["service_state"] for t in s.service_states] == [1, 4], s.service_states
    assert not s.violations, s.violations


@test
def test_wechat_account_modparam_refusals(ctx):
    """A wrong account stops kamailio at start with a line saying what is wrong."""
    rs = ctx.redis()
    good = "name=x;appid=wx1;secret=s;token=t;aeskey=" + "a" * 43
    cases = [
        (good.replace("a" * 43, "a" * 42), "aeskey must be the 43 characters"),
        (good.replace("token=t;", ""), "token is missing"),
        (good + ";mode=sometimes", "mode must be plain, compat or safe"),
        (good + ";tenant=nobody", "tenant nobody is not one of omniq's"),
        (good + ";type=line", "type must be oa"),
        (good + ";color=red", "unknown key 'color'"),
        (good.replace("name=x", "name=oa"), "a second account of that name"),
        (good.replace("wx1", OA["appid"]), "is account oa's too"),
        ("name=x;appid=wx1;secret=s;token=t;mode=safe", "mode safe needs the aeskey"),
        ("name=x;type=wecom;appid=wx1;secret=s;token=t", "a WeCom account needs the aeskey"),
        ("name=x;type=wecom;appid=wx1;secret=s;token=t;aeskey=%s;agentid=7" % ("a" * 43),
         "agentid needs agent_secret"),
        (good + ";agentid=7;agent_secret=s2", "agentid and agent_secret are WeCom's"),
    ]
    refuses_to_start(ctx, rs, [({"OMNIQ_WECHAT_API": '"http://127.0.0.1:9"',
                                 "OMNIQ_WECHAT_EXTRA": '"%s"' % v}, says) for v, says in cases],
                     "bad")
    refuses_to_start(ctx, rs, [({"OMNIQ_WECHAT_API": '"ftp://127.0.0.1:9"'},
                                "modparam api_base 'ftp://127.0.0.1:9' is no http(s) URL")], "url")


@test
def test_wechat_two_nodes_share_one_token_and_tell_wecom_once(ctx):
    """Two kamailios on one Redis, each with its sender: WeChat sees one access token fetched
    (the lease in Redis makes one refresher), every reply once, and each WeCom state change
    once although both dispatchers see the events."""
    from harness import free_port
    rs, k, api, s, wx = wechat_kam(ctx)
    k2 = ctx.kamailio("ws.cfg", rs.port, name="kam2",
                      defines={"OMNIQ_HTTP_PORT": str(free_port()),
                               "OMNIQ_WECHAT_API": '"%s"' % s.url})
    wait_for(lambda: len(k2.pids("omniq sender wechat")) == 1, what="the second node's sender")
    r = rs.client()
    agent(k, "alice")
    sids = []
    for i in range(6):
        openid = FOLLOWERS[i % 3]
        assert wx.post(OA, text_xml(OA, openid, "hi %d" % i, str(5000000 + i)), "safe") \
            == (200, "success")
        sid = sessions_of(r, P, "wechat:wx2c2769f8efd9abc2:" + openid)[0]
        if sid not in sids:
            sids.append(sid)
    for sid in sids:
        wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "agent") == "alice", timeout=5, what="offer")
        ok_rpc(k, "omniq.accept", sid, "alice")
    for i in range(20):
        ok_rpc(k if i % 2 else k2, "omniq.reply", sids[i % len(sids)], "alice", "reply %d" % i)
    wait_for(lambda: len(s.sent) == 20, timeout=15, what="20 replies: %d" % len(s.sent))
    assert sorted(m["body"]["text"]["content"] for m in s.sent) == \
        sorted("reply %d" % i for i in range(20))
    assert s.token_requests == {OA["appid"]: 1}, s.token_requests
    # WeCom: one accept and one close, seen by both dispatchers, told once each
    s.kf_push(CORP["appid"], KFID, {"external_userid": "wmTwo", "msgtype": "text",
                                     "text": {"content": "two nodes"}})
    assert kf_wake(wx) == (200, "success")
    ident = "wechat:wwcorp00000001:wmTwo"
    wait_for(lambda: sessions_of(r, P, ident), timeout=10, what="the kf message")
    sid = sessions_of(r, P, ident)[0]
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "agent") == "alice", timeout=5, what="offer")
    ok_rpc(k2, "omniq.accept", sid, "alice")
    ok_rpc(k, "omniq.close", sid)
    wait_for(lambda: len(s.service_states) == 2, timeout=10, what="two state changes")
    time.sleep(1)
    assert [t["service_state"] for t in s.service_states] == [1, 4], s.service_states
    assert not s.violations, s.violations


@test
@alone
def test_wechat_answers_within_its_deadline_when_redis_stalls_and_the_retry_is_stored_once(ctx):
    """WeChat waits 5 s for an answer and then retries. Redis stalled (SIGSTOP): the callback
    is answered 503 within redis_timeout (1 s here), well inside the deadline, and says it
    was not stored; WeChat's retry once Redis is back stores the message once, whether or
    not the stalled request had been written."""
    import signal
    rs, k, api, s, wx = wechat_kam(ctx)
    r = rs.client()
    xml = text_xml(OA, "oCustomer001", "while Redis stalls", "6000001")
    ctx.expect_log(r"omniq_wechat \[wechat_inbound\.c:\d+\]: failed\(\): account oa: a message "
                   r"not stored, WeChat will retry: ")
    ctx.expect_log(r"omniq \[oq_redis\.c:\d+\]: finish\(\): Redis request failed \(io: Resource "
                   r"temporarily unavailable\); connection dropped, will reconnect$")
    ctx.expect_log(SWEEP_FAILED + ".*" + SWEEP_AGAIN, optional=True)
    os.kill(rs.proc.pid, signal.SIGSTOP)
    try:
        t0 = time.time()
        st, body = wx.post(OA, xml, "safe")
        took = time.time() - t0
    finally:
        os.kill(rs.proc.pid, signal.SIGCONT)
    assert st == 503 and "not_stored" in body, (st, body)
    assert took < 3, "answered after %.1f s: WeChat gives up at 5" % took
    assert k.stat("omniq_wechat:callbacks_failed") == 1
    # WeChat's retry
    wait_for(lambda: wx.post(OA, xml, "safe") == (200, "success"), timeout=10,
             what="the retry stored")
    sid = sessions_of(r, P, "wechat:wx2c2769f8efd9abc2:oCustomer001")
    assert len(sid) == 1 and transcript(r, P, sid[0]) == [("in", "while Redis stalls")]


@test
def test_wechat_the_example_cfg_works_as_written(ctx):
    """cfg/omniq.cfg with OMNIQ_WECHAT_ACCOUNT set, as docs/admin-wechat.md and make run say:
    WeChat verifies the URL, a customer writes in safe mode, an agent answers."""
    from harness import free_port
    s = WeChatStandIn().start()
    ctx.servers.append(s)
    s.add_account(SAFE["appid"], SAFE["secret"], followers=("oReader1",))
    rs = ctx.redis()
    port = free_port()
    account = "name=acme;appid=%s;secret=%s;token=%s;aeskey=%s;mode=safe;skills=wechat" % (
        SAFE["appid"], SAFE["secret"], SAFE["token"], SAFE["aeskey"])
    k = ctx.kamailio("omniq.cfg", rs.port, defines={
        "OMNIQ_HTTP_PORT": str(port), "OMNIQ_WECHAT_ACCOUNT": '"%s"' % account,
        "OMNIQ_WECHAT_API": '"%s"' % s.url})
    acct = dict(SAFE, name="acme")
    wx = WeChat(port)
    wait_for(lambda: len(k.pids("omniq sender wechat")) == 1, what="the WeChat sender")
    ts = str(int(time.time()))
    q = {"signature": signature(acct["token"], ts, "9"), "timestamp": ts, "nonce": "9",
         "echostr": "hello-wechat"}
    wait_for(lambda: wx.call("GET", "/hooks/wechat/acme?" + urllib.parse.urlencode(q))
             == (200, "hello-wechat"), what="the URL verified")
    agent(k, "alice")
    assert wx.post(acct, text_xml(acct, "oReader1", "例子能用吗?", "7000001"), "safe") \
        == (200, "success")
    r = rs.client()
    sid = sessions_of(r, P, "wechat:%s:oReader1" % SAFE["appid"])[0]
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "agent") == "alice", timeout=5, what="offer")
    ok_rpc(k, "omniq.accept", sid, "alice")
    ok_rpc(k, "omniq.reply", sid, "alice", "能用。")
    wait_for(lambda: len(s.sent) == 1, timeout=10, what="the reply at WeChat")
    assert s.sent[0]["body"]["text"]["content"] == "能用。" and not s.violations


@test
def test_wechat_wecom_edges_stale_fetch_token_members_and_misrouted_events(ctx):
    """WeCom: a fetch whose callback Token WeCom no longer takes is made again without it; a
    corp member writing to its application is answered as an application message; a
    customer-service wake-up without OpenKfId, or sent to an Official Account's URL, is
    refused and nothing is queued."""
    rs, k, api, s, wx = wechat_kam(ctx)
    r = rs.client()
    agent(k, "alice")
    s.kf_push(CORP["appid"], KFID, {"external_userid": "wmStale", "msgtype": "text",
                                     "text": {"content": "after a stale token"}})
    s.fail_next("/cgi-bin/kf/sync_msg", "errcode", code=95007, msg="invalid msg token")
    assert kf_wake(wx, "ENCSTALE") == (200, "success")
    ident = "wechat:wwcorp00000001:wmStale"
    wait_for(lambda: sessions_of(r, P, ident), timeout=10, what="fetched without the token")
    syncs = [q["json"] for q in s.requests if q["path"] == "/cgi-bin/kf/sync_msg"]
    assert syncs[0].get("token") == "ENCSTALE" and "token" not in syncs[1], syncs
    # a member of the corp writes to its application: answered from that application
    xml = ("<xml><ToUserName>%s</ToUserName><FromUserName>zhangsan</FromUserName>"
           "<CreateTime>%d</CreateTime><MsgType>text</MsgType><Content>printer is down</Content>"
           "<MsgId>9000001</MsgId><AgentID>1000002</AgentID></xml>" % (CORP["appid"], time.time()))
    assert wx.post(CORP, xml, "safe") == (200, "success")
    sid = sessions_of(r, P, "wechat:wwcorp00000001:zhangsan")[0]
    assert r.hget("%s:s:%s" % (P, sid), "ext") == "app:wwcorp00000001:zhangsan"
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "agent") == "alice", timeout=5, what="offer")
    ok_rpc(k, "omniq.accept", sid, "alice")
    ok_rpc(k, "omniq.reply", sid, "alice", "IT is on it")
    wait_for(lambda: any(m["api"] == "app" for m in s.sent), timeout=10, what="app message")
    app = [m for m in s.sent if m["api"] == "app"][0]["body"]
    assert app["touser"] == "zhangsan" and app["text"]["content"] == "IT is on it", app
    # the stand-in has the message before the sender has written "sent": let the outbox settle
    wait_for(lambda: r.zcard(P + ":ob:q:wechat") == 0 and all(
        r.hget(d, "state") == "sent" for d in r.keys(P + ":ob:d:*")),
        timeout=10, what="the reply marked sent in the outbox")
    # misrouted wake-ups
    with unchanged(r):
        bad = ("<xml><ToUserName>%s</ToUserName><CreateTime>%d</CreateTime><MsgType>event</MsgType>"
               "<Event>kf_msg_or_event</Event><Token>ENCX</Token></xml>" % (CORP["appid"], time.time()))
        st, body = wx.post(CORP, bad, "safe")
        assert st == 400 and "OpenKfId" in body, (st, body)
        st, body = wx.post(OA, bad.replace(CORP["appid"], OA["gh"]), "safe")
        assert st == 400 and "Official Account" in body, (st, body)
    assert not s.violations, s.violations


def sip_message(port, headers, body):
    """A SIP MESSAGE from a UDP socket of our own: the final status code kamailio answers."""
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(5)
    me = s.getsockname()[1]
    b = body.encode()
    msg = ("MESSAGE sip:alerts@127.0.0.1:%d SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-%d\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:monitor@127.0.0.1>;tag=a%d\r\n"
           "To: <sip:alerts@127.0.0.1>\r\nCall-ID: alert-%d@127.0.0.1\r\nCSeq: 1 MESSAGE\r\n"
           "%sContent-Type: text/plain;charset=UTF-8\r\nContent-Length: %d\r\n\r\n"
           % (port, me, me, me, me, "".join("%s: %s\r\n" % kv for kv in headers), len(b)))
    s.sendto(msg.encode() + b, ("127.0.0.1", port))
    try:
        while True:
            code = int(s.recv(65536).split(b" ", 2)[1])
            if code >= 200:
                return code
    finally:
        s.close()


@test
def test_wechat_alerts_from_the_cfg_script_and_from_kemi(ctx):
    """wechat_alert() in a native cfg script and KSR.omniq_wechat.alert() in a Lua one: 1
    when queued (the alert then reaches WeChat), a refusal otherwise."""
    rs, k, api, s, wx = wechat_kam(ctx)
    code = sip_message(k.sip_port, [("X-Alert-Account", "oa"), ("X-Alert-To", "oStaff0001")],
                       "会话 7 等待超过 5 分钟")
    assert code == 202, code
    wait_for(lambda: len(s.sent) == 1, timeout=10, what="the cfg function's alert")
    assert s.sent[0]["body"]["data"] == {"content": {"value": "会话 7 等待超过 5 分钟"}}
    assert sip_message(k.sip_port, [("X-Alert-Account", "nobody"), ("X-Alert-To", "o1")], "x") \
        == 400
    assert "wechat_alert to o1 of nobody refused: no WeChat account 'nobody'" in k.text()
    # KEMI
    rs2 = ctx.redis()
    k2 = ctx.kamailio("kemi.cfg", rs2.port, name="kemi", defines={
        "OMNIQ_LUA": '"%s"' % os.path.join(os.path.dirname(__file__), "cfg", "kemi.lua"),
        "OMNIQ_WECHAT_API": '"%s"' % s.url})
    # its sender process is there, and has said so in Redis (an alert before that is
    # refused: no channel's sender would ever take it)
    wait_for(lambda: len(k2.pids("omniq sender wechat")) == 1
             and rs2.client().sismember(P + ":ob:senders", "wechat"), what="the KEMI node's sender")
    assert sip_message(k2.sip_port, [("X-Alert-Account", "oa"), ("X-Alert-To", "oStaff0001")],
                       "from KEMI") == 202
    wait_for(lambda: len(s.sent) == 2, timeout=10, what="the KEMI alert")
    assert s.sent[1]["body"]["data"] == {"content": {"value": "from KEMI"}}
    assert sip_message(k2.sip_port, [("X-Alert-Account", "oa"), ("X-Alert-To", "o:1")], "x") \
        == 400
    assert not s.violations, s.violations


@test
def test_wechat_token_refreshed_before_it_expires(ctx):
    """A token is refreshed when less than a tenth of its life is left (at most 5 minutes),
    before WeChat would refuse it: no request meets 42001. WeChat gives 7200 s; the stand-in
    12 s here."""
    rs, k, api, s, wx = wechat_kam(ctx, standin_setup=lambda st: setattr(st, "expires_in", 12))
    r = rs.client()
    sid = one_session(k, rs, wx)
    ok_rpc(k, "omniq.reply", sid, "alice", "first")
    wait_for(lambda: len(s.sent) == 1, timeout=10, what="the first reply")
    key = P + ":ch:wechat:v:token:" + OA["appid"]
    life, tok = r.get(key).split(" ", 1)
    assert life == "12000" and 10000 < r.pttl(key) <= 12000, (life, r.pttl(key))
    # into its last tenth: the next reply gets a new one first
    wait_for(lambda: 0 < r.pttl(key) < 1100, timeout=15, what="the token's last tenth")
    ok_rpc(k, "omniq.reply", sid, "alice", "second")
    wait_for(lambda: len(s.sent) == 2, timeout=10, what="the second reply")
    assert s.token_requests == {OA["appid"]: 2}, s.token_requests
    assert r.get(key).split(" ", 1)[1] != tok
    assert not [q for q in s.requests if q["errcode"] in (40001, 42001)], s.requests
    assert not s.violations, s.violations


def media_xml(acct, openid, kind, media_id, msgid, extra=""):
    return ("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]>"
            "</FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[%s]]></MsgType>"
            "<MediaId><![CDATA[%s]]></MediaId>%s<MsgId>%s</MsgId></xml>"
            % (acct["gh"], openid, int(time.time()), kind, media_id, extra, msgid))


def get_raw(port, path):
    """(status, Content-Type, bytes) of a GET."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


@test
def test_wechat_media_is_fetched_for_the_agent_when_opened(ctx):
    """A voice message and a photo name their files by a link in the transcript; the first
    open asks the sender, which fetches the file from WeChat (media/get, with the account's
    token) and keeps it: the next open serves it. A file WeChat no longer has says why; a
    file of a type a browser would run is served as a download; an unknown key is 404."""
    import re as _re
    rs, k, api, s, wx = wechat_kam(ctx)
    r = rs.client()
    voice = os.urandom(3000)
    photo = os.urandom(200000)                  # more than one hook answer (64 KiB) holds
    s.add_media(OA["appid"], "VOICE_1", voice, "audio/amr")
    s.add_media(OA["appid"], "PHOTO_1", photo, "image/jpeg")
    s.add_media(OA["appid"], "PAGE_1", b"<script>alert(1)</script>", "text/html")
    openid = FOLLOWERS[0]
    assert wx.post(OA, media_xml(OA, openid, "voice", "VOICE_1", "9100001",
                                 "<Format><![CDATA[amr]]></Format><Recognition>"
                                 "<![CDATA[我的快递]]></Recognition>"), "safe") == (200, "success")
    for kind, mid, n in (("image", "PHOTO_1", "9100002"), ("image", "GONE_1", "9100003"),
                         ("image", "PAGE_1", "9100004")):
        assert wx.post(OA, media_xml(OA, openid, kind, mid, n,
                                     "<PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl>"),
                       "safe") == (200, "success")
    sid = sessions_of(r, P, "wechat:%s:%s" % (OA["appid"], openid))[0]
    bodies = [b for _, b in transcript(r, P, sid)]
    links = [_re.search(r"/media/default/[0-9a-f]{32}$", b) for b in bodies]
    assert all(links), bodies
    assert "我的快递" in bodies[0], bodies[0]
    paths = [m.group(0) for m in links]
    # the first open: a page that reloads, and the fetch queued; then the file itself
    st, ctype, page = get_raw(k.http_port, paths[0])
    assert st == 202 and ctype.startswith("text/html") and b"refresh" in page, (st, ctype, page)
    wait_for(lambda: get_raw(k.http_port, paths[0])[0] == 200, timeout=10, what="the voice fetched")
    assert get_raw(k.http_port, paths[0]) == (200, "audio/amr", voice)
    get_raw(k.http_port, paths[1])
    wait_for(lambda: get_raw(k.http_port, paths[1])[0] == 200, timeout=10, what="the photo")
    assert get_raw(k.http_port, paths[1]) == (200, "image/jpeg", photo)
    # gone at WeChat: the agent reads why
    get_raw(k.http_port, paths[2])
    wait_for(lambda: get_raw(k.http_port, paths[2])[0] == 404, timeout=10, what="WeChat's no")
    st, _, why = get_raw(k.http_port, paths[2])
    assert b"40007" in why, why
    # a type a browser would run is a download, never a page of ours
    get_raw(k.http_port, paths[3])
    wait_for(lambda: get_raw(k.http_port, paths[3])[0] == 200, timeout=10, what="the page")
    assert get_raw(k.http_port, paths[3])[1] == "application/octet-stream"
    # asked once each (a second open within a minute asks nothing)
    gets = [q for q in s.requests if q["path"] == "/cgi-bin/media/get"]
    assert sorted(q["query"]["media_id"] for q in gets) == ["GONE_1", "PAGE_1", "PHOTO_1", "VOICE_1"], gets
    # keys nobody was given, and other tenants' or malformed paths
    for p in ("/media/default/" + "0" * 32, "/media/acme/" + paths[0][-32:],
              "/media/default/" + paths[0][-32:].upper(), paths[0] + "x", "/media/default"):
        assert get_raw(k.http_port, p)[0] == 404, p
    assert not s.violations, s.violations


def upload(port, token, data, ctype):
    """POST /api/v1/desk/media: (status, JSON answer)."""
    import json
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/desk/media" % port, data=data,
                                 method="POST", headers={"Content-Type": ctype,
                                                         "Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@test
def test_wechat_agent_sends_a_photo_and_a_voice_message(ctx):
    """An agent's photo and voice message: uploaded from the desk (POST /api/v1/desk/media,
    the desk's token), replied by path, uploaded to WeChat by the sender (media/upload) and
    sent by media_id (custom/send); the photo is also in the transcript as a link. What the
    upload refuses, and a file WeChat does not take (a video), end as the agent should see."""
    from test_desk import desk, login, PASSWORD
    from test_outbound import states
    rs, k, api, s, wx = wechat_kam(ctx)
    r = rs.client()
    agent(k, "alice")
    ok_rpc(k, "omniq.agent_password", "alice", PASSWORD)
    openid = FOLLOWERS[1]
    assert wx.post(OA, text_xml(OA, openid, "can you send me the invoice?", "9200001"),
                   "safe") == (200, "success")
    sid = sessions_of(r, P, "wechat:%s:%s" % (OA["appid"], openid))[0]
    d = desk(k.http_port, api, "alice")
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "agent") == "alice", what="the offer")
    assert d.request(type="accept", sid=sid)["type"] == "ok"
    token = login(api, "alice")[1]["token"]
    photo, voice = os.urandom(50000), os.urandom(3000)
    st, up = upload(k.http_port, token, photo, "image/jpeg")
    assert st == 201 and up["kind"] == "image" and re.fullmatch(r"/media/default/[0-9a-f]{32}",
                                                                 up["media"]), (st, up)
    assert get_raw(k.http_port, up["media"]) == (200, "image/jpeg", photo)
    assert d.request(type="reply", sid=sid, media=up["media"], kind="image")["type"] == "ok"
    st, up2 = upload(k.http_port, token, voice, "audio/amr")
    assert st == 201 and up2["kind"] == "voice"
    assert d.request(type="reply", sid=sid, media=up2["media"], kind="voice")["type"] == "ok"
    wait_for(lambda: len(s.sent) == 2, timeout=15, what="both at WeChat")
    sent = {m["body"]["msgtype"]: m["body"] for m in s.sent}
    ups = {u["type"]: u for u in s.uploads}
    assert ups["image"]["bytes"] == photo and ups["image"]["content_type"] == "image/jpeg"
    assert ups["voice"]["bytes"] == voice and ups["voice"]["content_type"] == "audio/amr"
    assert sent["image"] == {"touser": openid, "msgtype": "image",
                             "image": {"media_id": ups["image"]["media_id"]}}, sent
    assert sent["voice"]["voice"]["media_id"] == ups["voice"]["media_id"]
    wait_for(lambda: sorted(states(rs, sid).values()) == ["sent", "sent"], what="both sent")
    assert transcript(r, P, sid)[1:] == [("out", up["media"]), ("out", up2["media"])]
    # a video WeChat replies do not carry: failed, and why
    st, up3 = upload(k.http_port, token, b"\x00" * 100, "video/mp4")
    assert st == 201 and up3["kind"] == "video"
    assert d.request(type="reply", sid=sid, media=up3["media"], kind="video")["type"] == "ok"
    wait_for(lambda: "failed" in states(rs, sid).values(), what="the video failed")
    flat = r.fcall("oq_deliveries", 1, P, sid)
    assert "photos and voice messages" in flat[-1], flat
    # the upload's refusals
    assert upload(k.http_port, "forged", photo, "image/jpeg")[0] == 401
    assert upload(k.http_port, token, b"<html>", "text/html")[0] == 415
    assert upload(k.http_port, token, b"", "image/png")[0] == 400
    # a path of another tenant, or no file at all: the reply is refused
    e = d.request(type="reply", sid=sid, media="/media/acme/" + "0" * 32, kind="image")
    assert e["type"] == "error", e
    e = d.request(type="reply", sid=sid, media=up["media"], kind="sticker")
    assert e["type"] == "error", e
    assert not s.violations, s.violations
