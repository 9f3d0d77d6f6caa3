"""Tenants: one kamailio serves two companies ("default" and "acme", tests/integration/cfg/
ws.cfg). API keys, desk logins, desk sockets, events, sweeps, webhooks, the web chat and the
app channel each stay within their tenant, even where both use the same agent ids, session
ids and identities."""
import hashlib
import hmac
import json

import invariants
from harness import test, wait_for
from test_app import APP, App, Backend, app_token
from test_channels import line_kam
from test_desk import Desk, PASSWORD, login
from test_rest import unchanged
from test_ws import SITE, Api, Chat, chat_kam, refuses_to_start, sign

ACME = "acme-crm:acme-secret-0123456789"


def setup_agent(api, aid, skills, password):
    st, a = api.call("PUT", "/api/v1/agents/" + aid,
                     {"name": aid.title(), "skills": skills, "caps": "voice=1,chat=4"})
    assert st == 200, (st, a)
    st, a = api.call("POST", "/api/v1/agents/%s/password" % aid, {"password": password})
    assert st == 200, (st, a)


@test
def test_tenants_see_and_touch_only_their_own(ctx):
    backend = Backend()
    try:
        rs, k, api = line_kam(ctx, backend, OMNIQ_OFFER_TIMEOUT="2")
        port = int(api.base.rsplit(":", 1)[1])
        acme = Api(port, key=ACME)
        r = rs.client()
        # the same agent id in both companies, with its own password and skills
        setup_agent(acme, "alice", "billing:7", "acme alice's password")
        k.rpc("omniq.agent_password", "alice", PASSWORD)
        assert r.exists("oq:{acme}:a:alice") and r.exists("oq:{default}:a:alice")
        assert invariants.agent(r, "oq:{acme}", "alice")["name"] == "Alice"
        # desk logins: the tenant comes from the body, the password must be that tenant's
        st, d_tok = login(api, "alice", PASSWORD)
        assert st == 200 and d_tok["tenant"] == "default", d_tok
        st, a_tok = login(api, "alice", "acme alice's password", tenant="acme")
        assert st == 200 and a_tok["tenant"] == "acme", a_tok
        for pw, kw in [(PASSWORD, {"tenant": "acme"}), ("acme alice's password", {}),
                       (PASSWORD, {"tenant": "nope"})]:
            st, e = login(api, "alice", pw, **kw)
            assert st == 401 and e["error"]["code"] == "unauthorized", (kw, st, e)
        d_desk = Desk(port, d_tok["token"])
        a_desk = Desk(port, a_tok["token"])
        assert d_desk.welcome["agent"] == a_desk.welcome["agent"] == "alice"
        assert d_desk.request(type="state", state="available")["type"] == "ok"
        assert a_desk.request(type="state", state="available")["type"] == "ok"
        assert invariants.agent(r, "oq:{acme}", "alice")["presence"] == "available"
        # the same identity writes to both companies: two customers, two sessions, both sid 1
        st, d1 = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v-1"})
        st2, a1 = acme.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v-1",
                                                         "skills": "billing", "queue": "acme-q"})
        assert st == st2 == 201 and d1["sid"] == a1["sid"] == "1", (d1, a1)
        assert d1["agent"] == a1["agent"] == "alice" and d1["state"] == a1["state"] == "offered"
        # each desk shows its own session 1 and nothing of the other company's
        d_in = d_desk.inbox(lambda ib: len(ib) == 1)
        a_in = a_desk.inbox(lambda ib: len(ib) == 1)
        assert d_in[0]["queue"] == "default" and a_in[0]["queue"] == "acme-q", (d_in, a_in)
        # both desks follow "session 1": a message in the default company's reaches only its desk
        st, _ = api.call("POST", "/api/v1/sessions/1/messages",
                         {"direction": "in", "from": "web:v-1", "body": "default's secret"})
        assert st == 201
        assert d_desk.recv("message", where=lambda m: m["sid"] == "1")["text"] == "default's secret"
        st, _ = acme.call("POST", "/api/v1/sessions/1/messages",
                          {"direction": "in", "from": "web:v-1", "body": "acme's own"})
        assert st == 201
        got = a_desk.recv("message", where=lambda m: m["sid"] == "1")
        assert got["text"] == "acme's own", ("acme's desk got another company's message", got)
        # more default sessions: sids acme does not have
        st, d2 = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:only-default"})
        assert st == 201 and d2["sid"] == "2"
        d_desk.inbox(lambda ib: len(ib) == 2)
        # acme's desk has had whatever session 2 brought it once an acme event made after it
        # has reached it (its process reads every tenant's events, the older ones first),
        # and then an answer to a request of its own
        st, _ = acme.call("POST", "/api/v1/sessions/1/messages",
                          {"direction": "in", "from": "web:v-1", "body": "acme's later one"})
        assert st == 201
        a_desk.recv("message", where=lambda m: m["text"] == "acme's later one")
        assert a_desk.request(type="state", state="available")["type"] == "ok"
        seen = [s for m in a_desk.pending if m["type"] == "inbox" for s in m["inbox"]]
        assert all(s["queue"] == "acme-q" for s in seen), ("acme's desk saw a default session", seen)
        # acme's key reads and writes only acme's data: refusals write nothing anywhere
        with unchanged(r):
            for method, path, body, want in [
                ("GET", "/api/v1/sessions/2", None, 404),
                ("POST", "/api/v1/sessions/2/accept", {"agent": "alice"}, 404),
                ("POST", "/api/v1/sessions/2/close", {"disposition": "resolved"}, 404),
                ("POST", "/api/v1/sessions/2/messages", {"direction": "in", "from": "x", "body": "hi"}, 404),
                ("PUT", "/api/v1/sessions/2", {"csat": 5}, 404),
                ("GET", "/api/v1/customers/web:only-default", None, 404),
                ("GET", "/api/v1/agents/nobody-here", None, 404),
            ]:
                st, e = acme.call(method, path, body)
                assert st == want, (method, path, st, e)
            # acme's desk asks for the default company's session 2: not found
            for req in [dict(type="accept", sid="2"), dict(type="transcript", sid="2"),
                        dict(type="reply", sid="2", text="hello from acme")]:
                ans = a_desk.request(**req)
                assert ans["type"] == "error" and ans["code"] in ("not_found", "wrong_agent"), (req, ans)
        st, g = acme.call("GET", "/api/v1/sessions/1")
        assert st == 200 and g["customer"] == a1["customer"] and g["channel"] == "web", g
        st, stats = acme.call("GET", "/api/v1/stats")
        assert st == 200 and stats["enqueued"] == "1", stats
        st, stats = api.call("GET", "/api/v1/stats")
        assert st == 200 and stats["enqueued"] == "2", stats
        # acme accepts its session 1: the default company's session 1 is still offered
        assert a_desk.request(type="accept", sid="1")["type"] == "ok"
        assert r.hget("oq:{acme}:s:1", "state") == "active"
        assert r.hget("oq:{default}:s:1", "state") == "offered"
        # sweeps run for every tenant: default alice lets her offers lapse (2 s) and goes away
        wait_for(lambda: invariants.agent(r, "oq:{default}", "alice")["presence"] == "away", timeout=15,
                 what="default's offers lapsed")
        assert invariants.agent(r, "oq:{acme}", "alice")["presence"] == "available"
        # an acme offer lapses too (its sweep is not the default's)
        st, a2 = acme.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v-2"})
        assert st == 201 and a2["state"] == "offered", a2
        wait_for(lambda: r.hget("oq:{acme}:s:%s" % a2["sid"], "state") == "queued", timeout=15,
                 what="acme's offer lapsed")
        # webhooks carry their tenant: acme's customer writes on the line channel
        st, m = acme.call("POST", "/api/v1/channels/line/messages",
                          {"identity": "app:line:U9", "body": "hi", "skills": "billing"})
        assert st == 201, (st, m)
        assert r.hget("oq:{acme}:s:%s" % m["sid"], "channel") == "line"
        assert not r.exists("oq:{default}:s:%s" % m["sid"]) or \
            r.hget("oq:{default}:s:%s" % m["sid"], "channel") != "line"
        st, _ = acme.call("POST", "/api/v1/sessions/%s/messages" % m["sid"],
                          {"direction": "out", "from": "alice", "body": "hello"})
        assert st == 201
        wait_for(lambda: backend.delivered(), timeout=15, what="acme's webhook")
        got = backend.delivered()[0]
        assert got["headers"]["x-omniq-tenant"] == "acme", got["headers"]
        assert json.loads(got["body"])["session"] == m["sid"]
        wait_for(lambda: r.zcard("oq:{acme}:ob:q:line") == 0, what="acme's reply sent")
        assert not r.exists("oq:{default}:ob:q:line")
        d_desk.close()
        a_desk.close()
    finally:
        backend.stop()


@test
def test_tenant_modparam_refusals(ctx):
    """A key for a tenant nobody serves, a tenant twice, a bad tenant name: kamailio stops at
    start with a line that says so."""
    rs = ctx.redis()
    cases = [
        ({"OMNIQ_EXTRA_KEY": '"nope/x:0123456789abcdef0123"'}, "serves no tenant 'nope'"),
        ({"OMNIQ_EXTRA_TENANT": '"acme"'}, "modparam tenant: 'acme' is given twice"),
        ({"OMNIQ_EXTRA_TENANT": '"a{b}"'}, "modparam tenant:"),
    ]
    refuses_to_start(ctx, rs, cases, "bad")



ACME_SITE = b"acme-site-secret-0123"
ACME_APP = b"acme-app-secret-0123"


def acme_app(push_url):
    return '"tenant=acme;secret=%s;app_id=acmeapp;skills=billing;push_url=%s"' % (
        ACME_APP.decode(), push_url)


def refused(port, hello, path="/ws/chat", proto="omniq-chat"):
    """The close code a socket gets for this hello (nothing else may come first)."""
    c = Chat(port, path, proto)
    c.send(hello)
    code = c.close_code()
    c.close()
    return code


@test
def test_tenants_web_chat_and_app_each_their_own(ctx):
    """acme's widget (hello "tenant":"acme") and acme's app open sessions in acme only, with
    acme's secrets: a token of one company is refused by the other, a tenant without a web
    chat or unknown is refused with 1008, and acme's offline app user's replies are pushed to
    acme's backend, signed with acme's secret, never to the default company's."""
    be, acme_be = Backend(), Backend()
    try:
        rs, k, api, port = chat_kam(ctx, {"OMNIQ_PUSH_URL": '"%s"' % be.url,
                                          "OMNIQ_ACME_APP": acme_app(acme_be.url),
                                          "OMNIQ_EXTRA_TENANT": '"globex"'})
        r = rs.client()
        acme = Api(port, key=ACME)
        setup_agent(acme, "alice", "billing:7", "acme alice's password")
        st, tok = login(api, "alice", "acme alice's password", tenant="acme")
        assert st == 200, tok
        desk = Desk(port, tok["token"])
        assert desk.request(type="state", state="available")["type"] == "ok"

        # acme's widget: a visitor of acme, its first message opens acme's session 1
        c = Chat(port)
        c.send({"type": "hello", "tenant": "acme"})
        w = c.recv("welcome")
        c.send({"type": "message", "text": "Invoice question", "cid": "c1"})
        s = c.recv("session")
        assert c.recv("ack")["cid"] == "c1"
        sid = s["session"]
        assert s["state"] == "offered" and s["agent"] == "alice", s   # acme's alice, billing
        assert r.hget("oq:{acme}:s:%s" % sid, "identity") == w["identity"]
        assert r.hget("oq:{acme}:s:%s" % sid, "channel") == "web"
        assert not r.exists("oq:{default}:s:%s" % sid), "acme's chat wrote to the default tenant"
        assert desk.request(type="accept", sid=sid)["type"] == "ok"
        # (the first message came with the offer and may reach the desk live or not, as it
        # raced with the desk following the session: the transcript has it; the next one
        # comes live)
        tx = desk.request(type="transcript", sid=sid)
        assert [e["text"] for e in tx["transcript"]] == ["Invoice question"], tx
        c.send({"type": "message", "text": "It is invoice 7", "cid": "c2"})
        assert c.recv("ack")["cid"] == "c2"
        got = desk.recv("message", where=lambda m: m["sid"] == sid and m["text"] != "Invoice question")
        assert got["text"] == "It is invoice 7" and got["dir"] == "in", got
        st, _ = acme.call("POST", "/api/v1/sessions/%s/messages" % sid,
                          {"direction": "out", "from": "alice", "body": "Which invoice?"})
        assert st == 201
        m = c.recv("message")
        assert m["text"] == "Which invoice?" and m["from"] == "alice", m
        c.close()
        # the reloaded page resumes acme's session with acme's resume token
        c2 = Chat(port)
        c2.send({"type": "hello", "tenant": "acme", "visitor": w["visitor"], "session": sid,
                 "resume": s["resume"]})
        w2 = c2.recv("welcome")
        assert w2["session"] == sid and w2["identity"] == w["identity"], w2
        assert [e["text"] for e in w2["transcript"]] == ["Invoice question", "It is invoice 7",
                                                         "Which invoice?"], w2
        c2.close()
        # a user token signed by acme's backend joins acme's customer
        c3 = Chat(port)
        c3.send({"type": "hello", "tenant": "acme",
                 "user": sign(ACME_SITE, "user", "email:bob@acme.example")})
        assert c3.recv("welcome")["identity"] == "email:bob@acme.example"
        c3.close()

        # one company's tokens are refused by the other, and nobody is written
        d = Chat(port)
        d.send({"type": "hello"})
        dw = d.recv("welcome")
        d.close()
        with unchanged(r):
            for hello in [
                {"type": "hello", "visitor": w["visitor"]},                    # acme's, to default
                {"type": "hello", "tenant": "acme", "visitor": dw["visitor"]},  # default's, to acme
                {"type": "hello", "tenant": "acme",
                 "user": sign(SITE, "user", "email:bob@acme.example")},      # default's backend
                {"type": "hello", "user": sign(ACME_SITE, "user", "email:bob@acme.example")},
                {"type": "hello", "tenant": "globex"},                         # no web chat
                {"type": "hello", "tenant": "nope"},                           # not served
                {"type": "hello", "tenant": 7},
            ]:
                assert refused(port, hello) == 1008, hello
        # a resume token of acme's session does not resume the default's session of that id
        st, _ = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:x"})
        assert st == 201 and r.exists("oq:{default}:s:%s" % sid)
        c4 = Chat(port)
        c4.send({"type": "hello", "visitor": dw["visitor"], "session": sid, "resume": s["resume"]})
        w4 = c4.recv("welcome")
        assert w4["session"] is None, ("acme's resume token resumed a default session", w4)
        c4.close()

        # acme's app: acme's identity space and app id; its token only
        for hello in [{"type": "hello", "tenant": "acme", "token": app_token("u1")},
                      {"type": "hello", "token": app_token("u1", secret=ACME_APP)},
                      {"type": "hello", "tenant": "globex", "token": app_token("u1")}]:
            assert refused(port, hello, "/ws/app", "omniq-app") == 1008, hello
        a = App(port)
        a.send({"type": "hello", "tenant": "acme", "token": app_token("u1", secret=ACME_APP)})
        assert a.recv("welcome")["session"] is None
        assert a.recv("synced")["session"] is None
        a.send({"type": "message", "text": "App question", "cid": "a1"})
        asid = a.recv("session")["session"]
        assert a.recv("ack")["cid"] == "a1"
        assert r.hget("oq:{acme}:s:%s" % asid, "identity") == "app:acmeapp:u1"
        assert r.zcard("oq:{acme}:online:app:acmeapp:u1") == 1, "acme's app user not online"
        assert desk.request(type="accept", sid=asid)["type"] == "ok"
        # online: the reply comes on the socket, no push
        st, _ = acme.call("POST", "/api/v1/sessions/%s/messages" % asid,
                          {"direction": "out", "from": "alice", "body": "Hi from acme"})
        assert st == 201
        assert a.recv("message")["text"] == "Hi from acme"
        a.close()
        # offline (its lease ended in acme): the next reply is pushed to acme's backend
        wait_for(lambda: r.zcard("oq:{acme}:online:app:acmeapp:u1") == 0,
                 what="acme's app lease to end with the socket")
        st, _ = acme.call("POST", "/api/v1/sessions/%s/messages" % asid,
                          {"direction": "out", "from": "alice", "body": "Still there?"})
        assert st == 201
        wait_for(lambda: len(acme_be.delivered()) == 1, what="acme's push")
        p = acme_be.delivered()[0]
        body = json.loads(p["body"])
        assert body["app"] == "acmeapp" and body["user"] == "u1" and body["session"] == asid, body
        assert p["headers"]["x-omniq-tenant"] == "acme", p["headers"]
        want = hmac.new(ACME_APP, p["body"], hashlib.sha256).hexdigest()
        assert p["headers"]["x-omniq-signature"] == "sha256=" + want, p["headers"]
        # every push either company had to send is sent (its state recorded after the post)
        wait_for(lambda: r.zcard("oq:{acme}:ob:q:push") == r.zcard("oq:{default}:ob:q:push") == 0,
                 what="both companies' pushes sent")
        assert be.pushes == [], ("the default company's backend got acme's push", be.pushes)
        desk.close()
    finally:
        be.stop()
        acme_be.stop()


@test
def test_tenant_chat_and_app_modparam_refusals(ctx):
    """tenant_chat / tenant_app for a tenant nobody serves, without or with a short secret,
    with another company's secret, twice, with an unknown key, a bad app_id or push_url:
    kamailio stops at start with a line that says so."""
    rs = ctx.redis()
    cases = [
        ({"OMNIQ_EXTRA_CHAT": '"tenant=nope;secret=nope-secret-0123456789"'},
         "modparam tenant_chat: the omniq module serves no tenant 'nope'"),
        ({"OMNIQ_EXTRA_TENANT": '"globex"', "OMNIQ_EXTRA_CHAT": '"tenant=globex"'},
         "modparam tenant_chat of tenant globex: secret of 16..128 bytes required"),
        ({"OMNIQ_EXTRA_TENANT": '"globex"', "OMNIQ_EXTRA_CHAT": '"tenant=globex;secret=short"'},
         "secret of 16..128 bytes required"),
        ({"OMNIQ_EXTRA_TENANT": '"globex"',
          "OMNIQ_EXTRA_CHAT": '"tenant=globex;secret=site-secret-0123456789"'},
         "tenants default and globex have the same secret"),
        ({"OMNIQ_EXTRA_CHAT": '"tenant=acme;secret=other-secret-0123456789"'},
         "modparam tenant_chat: tenant acme is given twice"),
        ({"OMNIQ_EXTRA_CHAT": '"tenant=default;secret=other-secret-0123456789"'},
         "tenant default is the default one"),
        ({"OMNIQ_EXTRA_TENANT": '"globex"',
          "OMNIQ_EXTRA_CHAT": '"tenant=globex;secret=other-secret-0123456789;colour=red"'},
         "modparam tenant_chat: unknown key 'colour'"),
        ({"OMNIQ_EXTRA_TENANT": '"globex"',
          "OMNIQ_EXTRA_APP": '"tenant=globex;secret=other-secret-0123456789;app_id=BadApp"'},
         "app_id must be 1..64 of [a-z0-9_.-]"),
        ({"OMNIQ_EXTRA_TENANT": '"globex"',
          "OMNIQ_EXTRA_APP": '"tenant=globex;secret=other-secret-0123456789;push_url=ftp://x"'},
         "push_url must be an http:// or https:// URL"),
        ({"OMNIQ_EXTRA_TENANT": '"globex"',
          "OMNIQ_EXTRA_APP": '"tenant=globex;secret=app-secret-0123456789"'},
         "tenants default and globex have the same secret"),
    ]
    refuses_to_start(ctx, rs, cases, "site")
