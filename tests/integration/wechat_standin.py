"""A local stand-in for WeChat's HTTP APIs (Official Account and WeCom) for omniq_wechat's tests.

The tests cannot reach WeChat, and a mock that answers whatever it is sent would let a client
pass that the real service refuses. So this server checks each request as WeChat does - the
method, the query, the JSON body and its fields, the access_token and whose it is - and answers
with WeChat's own error codes. What a real WeChat would refuse as the *client's* mistake is also
written down in `violations`, which a test asserts empty: a wrong errcode can be handled by a
client by accident, a violation cannot. What WeChat or the way to it may do to a good request
(an errcode, an HTTP error, no answer at all) is injected with fail_next().

Both hosts (api.weixin.qq.com and qyapi.weixin.qq.com) are served on one port: their paths do
not clash, and a token of the one is unknown to the APIs of the other, as it is on WeChat.

Stdlib only: it runs under Debian's /usr/bin/python3, with no virtualenv.
"""
import base64
import hashlib
import json
import secrets
import sys
import threading
import time
import traceback
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standin_http import MAX_BODY, BodyReader, Garbage

MAX_CONTENT = 2048      # a text message's content, in bytes of UTF-8

# WeChat's usual errmsg for each errcode (fail_next(kind="errcode") without msg says these)
ERRMSG = {
    -1: "system error",
    0: "ok",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40005: "invalid file type",
    40006: "invalid file size",
    40007: "invalid media_id",
    40009: "invalid image size",
    40008: "invalid message type",
    40013: "invalid appid",
    40037: "invalid template_id",
    40056: "invalid agentid",
    40058: "invalid parameter",
    40096: "invalid external userid",
    40125: "invalid appsecret",
    41001: "access_token missing",
    41002: "appid missing",
    41005: "media data missing",
    41004: "appsecret missing",
    41011: "missing agentid",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    44001: "empty media data",
    44002: "empty post data",
    44004: "empty content",
    45002: "content size out of limit",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit, mustslower retry next minute",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
    48001: "api unauthorized",
    60111: "userid not found",
    81013: "user & party & tag all invalid",
    95000: "invalid open_kfid",
}

# OA (api.weixin.qq.com) and WeCom (qyapi.weixin.qq.com) name their JSON differently
OA_JSON = "application/json; encoding=utf-8"
CORP_JSON = "application/json; charset=UTF-8"

CUSTOM_TYPES = ("text", "image", "voice")
KF_STATES = range(0, 5)
KF_SERVICER_STATE = 3   # "served by a person": the one state that names its servicer


def errmsg(code):
    """WeChat's usual text for an errcode."""
    return ERRMSG.get(code, "unknown error")


def _err(code, msg=None):
    return {"errcode": code, "errmsg": msg or errmsg(code)}


def _ok(**kw):
    return dict({"errcode": 0, "errmsg": "ok"}, **kw)


class _Api:
    """A known path: its method, whose token it takes ("oa", "corp", "any"; None for the
    token endpoints), its query parameters (the errcode when missing, None if optional), the
    check of its JSON body and the method that answers it."""

    def __init__(self, method, tokens, query, check, answer, json_ctype=CORP_JSON,
                 multipart=False):
        self.method, self.tokens, self.query = method, tokens, query
        self.check, self.answer, self.json_ctype = check, answer, json_ctype
        self.multipart = multipart   # a file upload (media/upload), not a JSON body


# ---- the client's mistakes in a JSON body ---------------------------------------------------

def _is(v, kind):
    if kind is int:
        return isinstance(v, int) and not isinstance(v, bool)
    return isinstance(v, kind)


_KIND = {str: "a string", int: "an integer", dict: "an object", list: "an array"}


class _Fields:
    """Collects what is wrong with a JSON body: (errcode WeChat answers, or None when it lets
    it pass, what is wrong). Every one of them is a violation."""

    def __init__(self):
        self.probs = []

    def bad(self, code, what):
        self.probs.append((code, what))

    def get(self, obj, key, kind, code, required=True, nonempty=False, where=""):
        """obj[key] if it is there and of its kind, else None and a problem."""
        name = where + key
        if key not in obj:
            if required:
                self.bad(code, "%s missing" % name)
            return None
        v = obj[key]
        if not _is(v, kind):
            self.bad(code, "%s is %s, not %s" % (name, json.dumps(v)[:40], _KIND[kind]))
            return None
        if nonempty and not v:
            self.bad(code, "%s is empty" % name)
            return None
        return v

    def only(self, obj, allowed, where=""):
        """Fields WeChat does not know: it ignores them, but a client sends them by mistake
        (a misspelt name, the field of another API)."""
        for k in obj:
            if k not in allowed:
                self.bad(None, "unknown field %s%s" % (where, k))

    def text(self, obj, key, where=""):
        """A text message's {"content": ...}: 1 to MAX_CONTENT bytes of UTF-8."""
        t = self.get(obj, key, dict, 47001, where=where)
        if t is None:
            return None
        inner = where + key + "."
        self.only(t, ("content",), inner)
        c = self.get(t, "content", str, 44004, where=inner)
        if c is None:
            return None
        if not c:
            self.bad(44004, "%scontent is empty" % inner)
            return None
        try:
            n = len(c.encode("utf-8"))
        except UnicodeEncodeError:
            self.bad(47001, "%scontent holds a lone surrogate (not UTF-8)" % inner)
            return None
        if n > MAX_CONTENT:
            self.bad(45002, "%scontent is %d bytes of UTF-8 (at most %d)" % (inner, n, MAX_CONTENT))
        return c


def _check_custom(f, b):
    f.only(b, ("touser", "msgtype", "customservice") + CUSTOM_TYPES)
    f.get(b, "touser", str, 40003, nonempty=True)
    mt = f.get(b, "msgtype", str, 40008)
    if mt is None:
        pass
    elif mt not in CUSTOM_TYPES:
        f.bad(40008, "msgtype %r is none of %s" % (mt, "/".join(CUSTOM_TYPES)))
    elif mt == "text":
        f.text(b, "text")
    else:
        m = f.get(b, mt, dict, 47001)
        if m is not None:
            f.only(m, ("media_id",), mt + ".")
            f.get(m, "media_id", str, 40007, nonempty=True, where=mt + ".")
    cs = f.get(b, "customservice", dict, 47001, required=False)
    if cs is not None:
        f.only(cs, ("kf_account",), "customservice.")
        f.get(cs, "kf_account", str, 47001, where="customservice.")


def _check_template(f, b):
    f.only(b, ("touser", "template_id", "data", "url", "miniprogram", "client_msg_id"))
    f.get(b, "touser", str, 40003, nonempty=True)
    f.get(b, "template_id", str, 40037, nonempty=True)
    f.get(b, "url", str, 47001, required=False)
    f.get(b, "client_msg_id", str, 47001, required=False)
    mp = f.get(b, "miniprogram", dict, 47001, required=False)
    if mp is not None:
        f.only(mp, ("appid", "pagepath"), "miniprogram.")
        f.get(mp, "appid", str, 47001, where="miniprogram.")
        f.get(mp, "pagepath", str, 47001, required=False, where="miniprogram.")
    data = f.get(b, "data", dict, 47001)
    for k, v in (data or {}).items():
        if not _is(v, dict):
            f.bad(47001, "data.%s is not an object" % k)
            continue
        f.only(v, ("value", "color"), "data.%s." % k)
        f.get(v, "value", str, 47001, where="data.%s." % k)
        f.get(v, "color", str, 47001, required=False, where="data.%s." % k)


def _check_app(f, b):
    f.only(b, ("touser", "toparty", "totag", "msgtype", "agentid", "text", "safe",
               "enable_id_trans", "enable_duplicate_check", "duplicate_check_interval"))
    to = [f.get(b, k, str, 81013, required=False) for k in ("touser", "toparty", "totag")]
    if not any(to):
        f.bad(81013, "none of touser, toparty, totag")
    mt = f.get(b, "msgtype", str, 40008)
    if mt is not None and mt != "text":
        f.bad(40008, "msgtype %r is not text" % mt)
    f.get(b, "agentid", int, 41011)
    if mt == "text":
        f.text(b, "text")
    for k in ("safe", "enable_id_trans", "enable_duplicate_check"):
        if f.get(b, k, int, 40058, required=False) not in (None, 0, 1):
            f.bad(40058, "%s is %r, not 0 or 1" % (k, b[k]))
    f.get(b, "duplicate_check_interval", int, 40058, required=False)


def _check_sync(f, b):
    f.only(b, ("cursor", "token", "limit", "voice_format", "open_kfid"))
    f.get(b, "cursor", str, 40058, required=False)
    f.get(b, "token", str, 40058, required=False)
    limit = f.get(b, "limit", int, 40058, required=False)
    if limit is not None and not 1 <= limit <= 1000:
        f.bad(40058, "limit is %d, not 1..1000" % limit)
    if f.get(b, "voice_format", int, 40058, required=False) not in (None, 0, 1):
        f.bad(40058, "voice_format is %r, not 0 or 1" % b["voice_format"])
    f.get(b, "open_kfid", str, 95000, nonempty=True)


def _check_kf_send(f, b):
    f.only(b, ("touser", "open_kfid", "msgid", "msgtype", "text"))
    f.get(b, "touser", str, 40096, nonempty=True)
    f.get(b, "open_kfid", str, 95000, nonempty=True)
    msgid = f.get(b, "msgid", str, 40058, required=False)
    if msgid is not None and (len(msgid) > 32 or not all(
            c.isascii() and (c.isalnum() or c in "_-") for c in msgid)):
        f.bad(40058, "msgid %r is not 0-32 of [0-9a-zA-Z_-]" % msgid)
    mt = f.get(b, "msgtype", str, 40008)
    if mt is not None and mt != "text":
        f.bad(40008, "msgtype %r is not text" % mt)
    if mt == "text":
        f.text(b, "text")


def _check_trans(f, b):
    f.only(b, ("open_kfid", "external_userid", "service_state", "servicer_userid"))
    f.get(b, "open_kfid", str, 95000, nonempty=True)
    f.get(b, "external_userid", str, 40096, nonempty=True)
    st = f.get(b, "service_state", int, 40058)
    if st is not None and st not in KF_STATES:
        f.bad(40058, "service_state is %d, not 0..4" % st)
    servicer = f.get(b, "servicer_userid", str, 40058, required=False)
    if st == KF_SERVICER_STATE and not servicer:
        f.bad(40058, "service_state 3 without servicer_userid")


def _check_state_get(f, b):
    f.only(b, ("open_kfid", "external_userid"))
    f.get(b, "open_kfid", str, 95000, nonempty=True)
    f.get(b, "external_userid", str, 40096, nonempty=True)


# ---- the server -----------------------------------------------------------------------------



class _Timeout:
    """fail_next(kind="timeout"): hold the request this long, then close without answer."""

    def __init__(self, seconds):
        self.seconds = seconds


class WeChatStandIn:
    """WeChat's HTTP APIs on 127.0.0.1, checked as WeChat checks them. All state is behind
    one lock; the lists below are appended to by the server's threads and read by the test."""

    def __init__(self):
        self.lock = threading.RLock()
        self.expires_in = 7200
        self.sent = []            # accepted outbound messages: {"api", "account", "body"}
        self.requests = []        # every request: method, path, query, json, errcode, status
        self.token_requests = {}  # token fetches naming each appid/corpid, answered or not
        self.violations = []      # the client's mistakes, as text
        self.service_states = []  # accepted kf/service_state/trans: its fields and "account"
        self.errors = []          # the stand-in's own failures (a bug here, not the client's)
        self._accounts = {}       # appid -> {"secret", "followers", "templates", "closed"}
        self._corps = {}          # corpid -> {"secret", "agentids", "users", "kf"}
        self._tokens = {}         # token -> {"account", "kind", "expires", "state"}
        self._media = {}          # (appid or corpid, media_id) -> (bytes, content type)
        self.uploads = []         # media/upload: what was uploaded, by whom
        self.requests_upload = None
        self._fail = {}           # path -> [[answer, how many more], ...]
        self._kf_state = {}       # (corpid, open_kfid, external_userid) -> (state, servicer)
        self._salt = secrets.token_bytes(16)   # a cursor of another run is refused
        self._msgid = 2_000_000_000 + secrets.randbelow(10 ** 8)
        self._stopping = threading.Event()
        self._thread = None
        self.api = {
            "/cgi-bin/token": _Api("GET", None, {"grant_type": 40002, "appid": 41002,
                                                 "secret": 41004}, None, self._token, OA_JSON),
            "/cgi-bin/gettoken": _Api("GET", None, {"corpid": 41002, "corpsecret": 41004},
                                      None, self._gettoken),
            "/cgi-bin/message/custom/send": _Api("POST", "oa", None, _check_custom,
                                                 self._custom, OA_JSON),
            "/cgi-bin/message/template/send": _Api("POST", "oa", None, _check_template,
                                                   self._template, OA_JSON),
            "/cgi-bin/message/send": _Api("POST", "corp", None, _check_app, self._app),
            "/cgi-bin/kf/sync_msg": _Api("POST", "corp", None, _check_sync, self._sync),
            "/cgi-bin/kf/send_msg": _Api("POST", "corp", None, _check_kf_send, self._kf_send),
            "/cgi-bin/kf/service_state/trans": _Api("POST", "corp", None, _check_trans,
                                                    self._trans),
            "/cgi-bin/kf/service_state/get": _Api("POST", "corp", None, _check_state_get,
                                                  self._state_get),
            "/cgi-bin/media/get": _Api("GET", "any", {"media_id": 40007}, None, self._media_get),
            "/cgi-bin/media/upload": _Api("POST", "any", {"type": 40004}, None,
                                          self._media_upload, multipart=True),
        }
        for a in self.api.values():
            if a.tokens:
                a.query = dict({"access_token": 41001}, **(a.query or {}))
        self.httpd = _Server(("127.0.0.1", 0), self._handler_class())
        self.httpd.standin = self
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port

    # ---- lifecycle ----

    def start(self):
        """Serve in a daemon thread (the port is bound from the constructor on: bound to 0 by
        the kernel and held, so no one else can take it in between)."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                        name="wechat-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop serving; a request held by fail_next(kind="timeout") is let go at once."""
        self._stopping.set()
        if self._thread:
            self.httpd.shutdown()
            self._thread = None
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- what the test sets up ----

    def add_account(self, appid, secret, followers=(), templates=()):
        """An Official Account: its followers (openids) and message templates."""
        with self.lock:
            self._accounts[appid] = {"secret": secret, "followers": set(followers),
                                     "templates": set(templates), "closed": set()}

    def add_corp(self, corpid, secret, apps=None, users=(), kf=()):
        """A WeCom corp: secret its customer-service (微信客服) Secret, apps its
        applications {agentid: that application's Secret}, members (userids),
        customer-service accounts (open_kfids). As in WeCom, a token is of the secret that
        got it: the customer-service one calls the kf APIs only, an application's sends that
        application's messages only (48001 otherwise)."""
        with self.lock:
            self._corps[corpid] = {"secret": secret, "apps": dict(apps or {}),
                                   "users": list(users), "kf": {k: [] for k in kf}}

    def add_media(self, account, media_id, data, ctype="image/jpeg"):
        """A media file of an account (appid or corpid): media/get gives it, and custom/send
        may send it (as if uploaded)."""
        with self.lock:
            self._media[(account, media_id)] = (bytes(data), ctype)

    def outside_window(self, appid, openid, closed=True):
        """The follower has not written for 48 hours: custom/send to them answers 45015
        (closed=False opens the window again)."""
        with self.lock:
            (set.add if closed else set.discard)(self._accounts[appid]["closed"], openid)

    def fail_next(self, path, kind, n=1, **kw):
        """The next n requests to path (a known API path, without query) are answered so:
        kind="errcode": HTTP 200, {"errcode": code, "errmsg": msg or WeChat's usual text};
        kind="http": HTTP status with a short text/html body;
        kind="timeout": held for `seconds`, then the connection is closed without answer.
        Calls queue up: a second fail_next on a path takes effect after the first's n."""
        if path not in self.api:
            raise ValueError("fail_next: no such api %r" % path)
        if kind == "errcode":
            code = int(kw["code"])
            answer = (200, "application/json", _err(code, kw.get("msg")), code)
        elif kind == "http":
            status = int(kw["status"])
            if not 100 <= status <= 599:
                raise ValueError("fail_next: HTTP status %d" % status)
            answer = (status, "text/html", None, None)
        elif kind == "timeout":
            answer = _Timeout(float(kw["seconds"]))
        else:
            raise ValueError("fail_next: kind %r is none of errcode, http, timeout" % kind)
        with self.lock:
            self._fail.setdefault(path, []).append([answer, int(n)])

    def expire_tokens(self):
        """Every token issued so far answers 42001 (a later one is good)."""
        with self.lock:
            for t in self._tokens.values():
                t["state"] = "expired"

    def revoke_tokens(self):
        """Every token issued so far answers 40001, as after a secret reset or a token fetched
        elsewhere (a later one is good)."""
        with self.lock:
            for t in self._tokens.values():
                t["state"] = "revoked"

    def kf_push(self, corpid, open_kfid, msg):
        """A customer's message to a WeCom customer-service account, for kf/sync_msg: msg is a
        msg_list item; msgid, send_time, origin (3: from the customer) and open_kfid are
        filled in when absent. Returns the item as sync_msg will give it."""
        m = dict(msg)
        m.setdefault("msgid", secrets.token_hex(16))
        m.setdefault("send_time", int(time.time()))
        m.setdefault("origin", 3)
        m.setdefault("open_kfid", open_kfid)
        with self.lock:
            self._corps[corpid]["kf"][open_kfid].append(m)
        return dict(m)

    def service_state(self, corpid, open_kfid, external_userid):
        """(service_state, servicer_userid) of a customer now: (0, "") until a trans."""
        with self.lock:
            return self._kf_state.get((corpid, open_kfid, external_userid), (0, ""))

    # ---- one request ----

    def _answer(self, method, target, headers, body):
        """The answer to one request: (status, content type, payload dict or bytes or None,
        errcode) or a _Timeout. Everything the request did is recorded before it returns."""
        parts = urllib.parse.urlsplit(target)
        path = parts.path
        pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        query = {}
        for k, v in pairs:
            query.setdefault(k, v)
        rec = {"method": method, "path": path, "query": query, "json": None,
               "errcode": None, "status": None, "body": body}
        with self.lock:
            answer = self._serve(method, path, pairs, query, headers, body, rec)
            if isinstance(answer, _Timeout):
                rec["errcode"] = rec["status"] = None
            else:
                rec["status"], rec["errcode"] = answer[0], answer[3]
            self.requests.append(rec)
        return answer

    def _violation(self, method, path, what):
        self.violations.append("%s %s: %s" % (method, path, what))

    def _violate(self, method, target, what):
        """A violation found outside a request's answer (its framing)."""
        with self.lock:
            self._violation(method, urllib.parse.urlsplit(target).path, what)

    def _serve(self, method, path, pairs, query, headers, body, rec):
        api = self.api.get(path)
        if api is None:
            self._violation(method, path, "no such api")
            return (404, CORP_JSON, _err(-1, "no such api"), -1)
        if method != api.method:
            self._violation(method, path, "%s, not %s" % (method, api.method))
            code = 43001 if api.method == "GET" else 43002
            return (200, api.json_ctype, _err(code), code)
        # the query: first errcode of a missing parameter
        qcode = None
        seen = set()
        for k, _ in pairs:
            if k not in api.query:
                self._violation(method, path, "unknown query parameter %r" % k)
            elif k in seen:
                self._violation(method, path, "query parameter %r given twice" % k)
            seen.add(k)
        for k, code in api.query.items():
            if not query.get(k):
                self._violation(method, path, "query parameter %r missing" % k)
                qcode = qcode or code
        if "appid" in query and path == "/cgi-bin/token":
            self._count_token(query["appid"])
        if "corpid" in query and path == "/cgi-bin/gettoken":
            self._count_token(query["corpid"])
        # the body
        bcode = None
        if body is None:   # too long to read
            self._violation(method, path, "body over %d bytes" % MAX_BODY)
            return (200, api.json_ctype, _err(44002), 44002)
        if api.method == "GET":
            if body:
                self._violation(method, path, "a GET with a body of %d bytes" % len(body))
        elif api.multipart:
            bcode = self._upload_body(method, path, headers, body, rec)
        else:
            ctype = headers.get("Content-Type") or ""
            mime, _, params = ctype.partition(";")
            charset = params.strip().lower()
            if mime.strip().lower() != "application/json" or charset not in (
                    "", "charset=utf-8", "charset=\"utf-8\""):
                self._violation(method, path, "Content-Type %r, not application/json" % ctype)
            obj = None
            if not body:
                self._violation(method, path, "empty body")
                bcode = 44002
            else:
                try:
                    obj = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
                except (UnicodeDecodeError, ValueError) as e:
                    self._violation(method, path, "body is not JSON in UTF-8 (%s)" % e)
                    bcode = 47001
            if bcode is None and not isinstance(obj, dict):
                self._violation(method, path, "body is JSON but not an object")
                bcode = 47001
            if bcode is None:
                rec["json"] = obj
                f = _Fields()
                api.check(f, obj)
                for code, what in f.probs:
                    self._violation(method, path, what)
                    bcode = bcode or code
        # what WeChat or the way to it does to the request, whatever it is
        queue = self._fail.get(path)
        if queue:
            answer = queue[0][0]
            queue[0][1] -= 1
            if queue[0][1] <= 0:
                queue.pop(0)
            return answer
        if qcode and api.tokens:
            return (200, api.json_ctype, _err(qcode), qcode)
        account = None
        if api.tokens:
            account, code = self._token_owner(query["access_token"], api.tokens)
            if code:
                return (200, api.json_ctype, _err(code), code)
        code = qcode or bcode
        if code:
            return (200, api.json_ctype, _err(code), code)
        self.requests_upload = rec.get("upload")
        out = api.answer(account, query, rec["json"])
        if isinstance(out, tuple):     # media/get: the file itself
            return (200, out[1], out[0], 0)
        return (200, api.json_ctype, out, out.get("errcode", 0))

    def _count_token(self, who):
        self.token_requests[who] = self.token_requests.get(who, 0) + 1

    def _token_owner(self, token, kinds):
        """(account, 0) for a good token of the API's kind, else (None, errcode)."""
        t = self._tokens.get(token)
        if t is None or (kinds != "any" and t["kind"] != kinds):
            return None, 40001
        if t["state"] == "revoked":
            return None, 40001
        if t["state"] == "expired" or time.monotonic() >= t["expires"]:
            return None, 42001
        return t["account"], 0

    def _issue(self, account, kind):
        token = secrets.token_urlsafe(96)    # 128 characters of [A-Za-z0-9_-], as WeChat's
        expires_in = int(self.expires_in)
        self._tokens[token] = {"account": account, "kind": kind, "state": "good",
                               "expires": time.monotonic() + expires_in}
        return {"access_token": token, "expires_in": expires_in}

    # ---- the APIs (under the lock; body and query already checked) ----

    def _token(self, _account, q, _body):
        if q["grant_type"] != "client_credential":
            self._violation("GET", "/cgi-bin/token", "grant_type %r" % q["grant_type"])
            return _err(40002)
        a = self._accounts.get(q["appid"])
        if a is None:
            return _err(40013)
        if q["secret"] != a["secret"]:
            return _err(40125)
        return self._issue(q["appid"], "oa")

    def _gettoken(self, _account, q, _body):
        c = self._corps.get(q["corpid"])
        if c is None:
            return _err(40013, "invalid corpid")
        if q["corpsecret"] == c["secret"]:
            return _ok(**self._issue(q["corpid"], "corp"))
        for agentid, secret in c["apps"].items():
            if q["corpsecret"] == secret:
                out = self._issue(q["corpid"], "corp")
                self._tokens[out["access_token"]]["agentid"] = agentid
                return _ok(**out)
        return _err(40001, "invalid credential")

    def _custom(self, appid, _q, b):
        a = self._accounts[appid]
        if b["touser"] not in a["followers"]:
            return _err(40003)
        if b["touser"] in a["closed"]:
            return _err(45015)
        if b["msgtype"] != "text" and (appid, b[b["msgtype"]]["media_id"]) not in self._media:
            return _err(40007)
        self.sent.append({"api": "custom", "account": appid, "body": b})
        return _ok()

    def _template(self, appid, _q, b):
        a = self._accounts[appid]
        if b["template_id"] not in a["templates"]:
            return _err(40037)
        if b["touser"] not in a["followers"]:
            return _err(40003)
        self._msgid += 1
        self.sent.append({"api": "template", "account": appid, "body": b})
        return _ok(msgid=self._msgid)

    def _app(self, corpid, q, b):
        c = self._corps[corpid]
        if b["agentid"] not in c["apps"]:
            return _err(40056)
        if self._tokens[q["access_token"]].get("agentid") != b["agentid"]:
            return _err(48001)
        to = b.get("touser") or ""
        users = list(c["users"]) if to == "@all" else [u for u in to.split("|") if u]
        good = [u for u in users if u in c["users"]]
        if not good:
            return _err(81013)
        out = _ok(invaliduser="|".join(u for u in users if u not in c["users"]),
                  msgid=secrets.token_urlsafe(24))
        for k in ("toparty", "totag"):   # the stand-in knows no departments nor tags
            if b.get(k):
                out["invalid" + k[2:]] = b[k]
        self.sent.append({"api": "app", "account": corpid, "body": b})
        return out

    def _cursor(self, corpid, kfid, offset):
        mac = hashlib.sha256(b"%s\0%s\0%s\0%d" % (self._salt, corpid.encode(), kfid.encode(),
                                                  offset)).hexdigest()[:16]
        return base64.urlsafe_b64encode(b"%d.%s" % (offset, mac.encode())).decode().rstrip("=")

    def _offset(self, corpid, kfid, cursor):
        """The offset a cursor of ours stands for, or None for one we did not give."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
            offset = int(raw.split(".", 1)[0])
        except (ValueError, UnicodeDecodeError):
            return None
        if offset < 0 or not secrets.compare_digest(self._cursor(corpid, kfid, offset), cursor):
            return None
        return offset

    def _sync(self, corpid, q, b):
        if self._tokens[q["access_token"]].get("agentid") is not None:
            return _err(48001)     # an application's token: no customer service
        msgs = self._corps[corpid]["kf"].get(b["open_kfid"])
        if msgs is None:
            return _err(95000)
        offset = 0
        if b.get("cursor"):
            offset = self._offset(corpid, b["open_kfid"], b["cursor"])
            if offset is None or offset > len(msgs):
                return _err(40058)
        page = msgs[offset:offset + b.get("limit", 1000)]
        end = offset + len(page)
        return _ok(next_cursor=self._cursor(corpid, b["open_kfid"], end),
                   has_more=int(end < len(msgs)), msg_list=[dict(m) for m in page])

    def _kf_send(self, corpid, q, b):
        if self._tokens[q["access_token"]].get("agentid") is not None:
            return _err(48001)     # an application's token: no customer service
        if b["open_kfid"] not in self._corps[corpid]["kf"]:
            return _err(95000)
        self.sent.append({"api": "kf", "account": corpid, "body": b})
        return _ok(msgid=b.get("msgid") or secrets.token_hex(16))

    def _trans(self, corpid, q, b):
        if self._tokens[q["access_token"]].get("agentid") is not None:
            return _err(48001)     # an application's token: no customer service
        c = self._corps[corpid]
        if b["open_kfid"] not in c["kf"]:
            return _err(95000)
        servicer = b.get("servicer_userid") or ""
        if servicer and servicer not in c["users"]:
            return _err(60111)
        st = b["service_state"]
        self._kf_state[(corpid, b["open_kfid"], b["external_userid"])] = (st, servicer)
        self.service_states.append(dict(b, account=corpid))
        return _ok(msg_code="")

    def _state_get(self, corpid, q, b):
        if self._tokens[q["access_token"]].get("agentid") is not None:
            return _err(48001)     # an application's token: no customer service
        if b["open_kfid"] not in self._corps[corpid]["kf"]:
            return _err(95000)
        st, servicer = self._kf_state.get((corpid, b["open_kfid"], b["external_userid"]),
                                          (0, ""))
        return _ok(service_state=st, servicer_userid=servicer)

    # WeChat's limits of a temporary file (media/upload): its type, formats and size
    UPLOAD = {"image": (("image/jpeg", "image/png", "image/gif", "image/bmp"), 10 << 20),
              "voice": (("audio/amr", "audio/mpeg", "audio/mp3", "audio/x-amr"), 2 << 20),
              "video": (("video/mp4",), 10 << 20), "thumb": (("image/jpeg",), 64 << 10)}

    def _upload_body(self, method, path, headers, body, rec):
        """A multipart/form-data body with the file as the field "media" (and its
        filename): its errcode when WeChat would refuse it, the file in rec["upload"]."""
        import email.parser
        import email.policy
        ctype = headers.get("Content-Type") or ""
        if not ctype.lower().startswith("multipart/form-data") or "boundary=" not in ctype:
            self._violation(method, path, "Content-Type %r, not multipart/form-data" % ctype)
            return 41005
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
        media = [p for p in (msg.iter_parts() if msg.is_multipart() else [])
                 if p.get_param("name", header="content-disposition") == "media"]
        if len(media) != 1:
            self._violation(method, path, "no one part named media")
            return 41005
        part = media[0]
        if not part.get_filename():
            self._violation(method, path, "the media part has no filename")
            return 41005
        rec["upload"] = (part.get_payload(decode=True) or b"", part.get_content_type(),
                         part.get_filename())
        return None

    def _media_upload(self, account, q, _json):
        data, ctype, _name = self.requests_upload
        kind = q["type"]
        if kind not in self.UPLOAD:
            return _err(40004)
        types, most = self.UPLOAD[kind]
        if ctype not in types:
            return _err(40004 if kind == "image" else 40005)
        if not data:
            return _err(44001)
        if len(data) > most:
            return _err(40009 if kind == "image" else 40006)
        mid = "UP" + secrets.token_hex(12)
        self._media[(account, mid)] = (bytes(data), ctype)
        self.uploads.append({"account": account, "type": kind, "media_id": mid,
                             "bytes": bytes(data), "content_type": ctype})
        return {"type": kind, "media_id": mid, "created_at": int(time.time())}

    def _media_get(self, account, q, _body):
        m = self._media.get((account, q["media_id"]))
        return m if m is not None else _err(40007)

    # ---- HTTP ----

    def _handler_class(self):
        standin = standin_ = self

        class Handler(BodyReader, BaseHTTPRequestHandler):
            standin = standin_
            protocol_version = "HTTP/1.1"   # keep-alive, as WeChat's front ends do
            timeout = 60                     # an idle connection is let go

            def version_string(self):
                return "nginx"

            def _handle(self):
                try:
                    self._handle_checked()
                except (ConnectionError, TimeoutError):
                    self.close_connection = True
                except Garbage as e:
                    standin._violate(self.command, self.path, str(e))
                    self.close_connection = True
                    self._send(400, "text/html", _error_page(400))
                except Exception:
                    standin._internal_error(traceback.format_exc())
                    self.close_connection = True
                    try:
                        self._send(500, "text/plain", b"stand-in failure\n")
                    except OSError:
                        pass

            def _handle_checked(self):
                body = self._body()
                answer = standin._answer(self.command, self.path, self.headers, body)
                if body is None:
                    self.close_connection = True   # what is left of it is not read
                if isinstance(answer, _Timeout):
                    standin._stopping.wait(answer.seconds)
                    self.close_connection = True
                    return
                status, ctype, payload, _ = answer
                if isinstance(payload, dict):
                    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                elif payload is None:   # an injected HTTP error
                    data = _error_page(status)
                else:
                    data = payload
                self._send(status, ctype, data)

            def _send(self, status, ctype, data):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                if self.close_connection:
                    self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


        return Handler

    def _internal_error(self, text):
        with self.lock:
            self.errors.append(text)
        sys.stderr.write("wechat_standin: " + text)
        sys.stderr.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin = None

    def handle_error(self, request, client_address):
        """A client that hangs up is no failure; anything else is a bug of the stand-in, said
        on stderr (socketserver's default) and kept in `errors`."""
        e = sys.exc_info()[1]
        if isinstance(e, (ConnectionError, TimeoutError)):
            return
        self.standin._internal_error(traceback.format_exc())


def _no_constant(name):
    raise ValueError("%s is not JSON" % name)


def _error_page(status):
    """What an nginx in front of WeChat says for an HTTP error."""
    try:
        title = "%d %s" % (status, HTTPStatus(status).phrase)
    except ValueError:
        title = str(status)
    return ("<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>"
            "\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n" % (title, title)).encode()
