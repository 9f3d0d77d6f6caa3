"""Tenants: one kamailio serves two companies ("default" and "acme", tests/integration/cfg/
ws.cfg). API keys, desk logins, desk sockets, events, sweeps and webhooks each stay within
their tenant, even where both use the same agent ids, session ids and identities."""
import json
import time

from harness import test, wait_for
from test_app import Backend
from test_channels import line_kam
from test_desk import Desk, PASSWORD, login
from test_rest import unchanged
from test_ws import Api

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
        assert r.hget("oq:{acme}:a:alice", "name") == "Alice"
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
        assert r.hget("oq:{acme}:a:alice", "presence") == "available"
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
        time.sleep(0.3)
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
        wait_for(lambda: r.hget("oq:{default}:a:alice", "presence") == "away", timeout=15,
                 what="default's offers lapsed")
        assert r.hget("oq:{acme}:a:alice", "presence") == "available"
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
        wait_for(lambda: r.xlen("oq:{acme}:outbox") == 0, what="acme's outbox drained")
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
    for i, (defines, says) in enumerate(cases):
        k = ctx.kamailio("ws.cfg", rs.port, name="bad%d" % i, start=False,
                         defines=dict(defines, OMNIQ_HTTP_PORT="1"))
        k.start(expect_ready=False)
        assert k.wait_exit(20) != 0, defines
        assert says in k.text(), (defines, k.tail())
