"""omniq_ws: the REST resources besides sessions — customers, agents, queues, stats,
follow-ups, and session fields — against a real kamailio and redis-server."""
import contextlib
import json
import time
import urllib.error
import urllib.request

from harness import alone, test
from test_ws import Api, ws_kam


def snapshot(r):
    # the events stream is left out: it is where a write would show first anyway, and its
    # approximate trimming makes DUMP differ without a change
    return {key: r.dump(key) for key in r.keys("*") if not key.endswith(":events")}


@contextlib.contextmanager
def unchanged(r):
    """Whatever runs inside writes nothing to Redis."""
    before = snapshot(r)
    events = r.xlen("oq:{default}:events")
    yield
    after = snapshot(r)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed and r.xlen("oq:{default}:events") == events, changed


@test
def test_rest_customers_link_set_history_merge(ctx):
    rs, k, api = ws_kam(ctx)
    r = rs.client()
    st, web = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v-9"})
    assert st == 201, web
    st, sms = api.call("POST", "/api/v1/sessions", {"channel": "sms", "identity": "sms:+8613800000001"})
    assert st == 201, sms
    assert web["customer"] != sms["customer"]
    # the visitor turns out to be the texter: one customer, both sessions in its history
    st, link = api.call("POST", "/api/v1/customers/link", {"a": "sms:+8613800000001", "b": "web:v-9"})
    assert st == 200 and link["customer"] == sms["customer"], (st, link)
    st, c = api.call("GET", "/api/v1/customers/web:v-9")
    assert st == 200 and c["id"] == sms["customer"], c
    assert set(c["identities"].split(",")) == {"sms:+8613800000001", "web:v-9"}, c
    st, h = api.call("GET", "/api/v1/customers/%s/history?count=10" % c["id"])
    assert st == 200 and sorted(s["sid"] for s in h["sessions"]) == sorted([web["sid"], sms["sid"]]), h
    assert {s["channel"] for s in h["sessions"]} == {"web", "sms"}, h
    st, h1 = api.call("GET", "/api/v1/customers/%s/history?count=1" % c["id"])
    assert st == 200 and len(h1["sessions"]) == 1, h1
    # the profile
    st, c = api.call("PUT", "/api/v1/customers/%s" % c["id"], {"tier": "gold", "name": "Li Lei"})
    assert st == 200 and c["tier"] == "gold" and c["name"] == "Li Lei", (st, c)
    # merge another customer in: its identity now finds the same customer
    st, third = api.call("POST", "/api/v1/sessions", {"channel": "email", "identity": "email:li@example.cn"})
    st, m = api.call("POST", "/api/v1/customers/%s/merge" % third["customer"], {"into": c["id"]})
    assert st == 200 and m == {"customer": c["id"], "merged": third["customer"]}, (st, m)
    st, c2 = api.call("GET", "/api/v1/customers/email:li@example.cn")
    assert st == 200 and c2["id"] == c["id"] and c2["tier"] == "gold", c2
    # refusals: a clear status and JSON error, nothing written
    with unchanged(r):
        for method, path, body, want in [
            ("GET", "/api/v1/customers/web:nobody", None, 404),
            ("GET", "/api/v1/customers/999999", None, 404),
            ("PUT", "/api/v1/customers/%s" % c["id"], {"tier": "gold", "shoe": "42"}, 400),
            ("PUT", "/api/v1/customers/%s" % c["id"], {}, 400),
            ("PUT", "/api/v1/customers/%s" % c["id"], {"tier": 3}, 400),
            ("PUT", "/api/v1/customers/%s" % c["id"], {"name": "x" * 300}, 400),
            ("POST", "/api/v1/customers/link", {"a": "web:v-9", "b": "nonsense"}, 400),
            ("POST", "/api/v1/customers/link", {"a": "web:v-9"}, 400),
            ("POST", "/api/v1/customers/%s/merge" % third["customer"], {"into": c["id"]}, 409),
            ("GET", "/api/v1/customers/%s/history?count=0" % c["id"], None, 400),
            ("GET", "/api/v1/customers/%s/history?count=many" % c["id"], None, 400),
            ("DELETE", "/api/v1/customers/%s" % c["id"], None, 405),
            ("GET", "/api/v1/customers/%s/shoes" % c["id"], None, 404),
            ("GET", "/api/v1/customers", None, 404),
        ]:
            st, e = api.call(method, path, body)
            assert st == want and isinstance(e, dict) and e["error"]["code"], (method, path, st, e)
            assert e["error"]["message"], e


@test
def test_rest_agents_state_skills_capacity_password(ctx):
    rs, k, api = ws_kam(ctx)
    r = rs.client()
    st, a = api.call("PUT", "/api/v1/agents/bob", {"name": "Bob", "skills": "sales:7,en:5",
                                                   "caps": "voice=1,chat=3"})
    assert st == 200 and a["name"] == "Bob" and a["presence"] == "offline", (st, a)
    assert "sales:7" in a["skills"] and a["cap:chat"] == "3", a
    st, a = api.call("POST", "/api/v1/agents/bob/state", {"state": "available"})
    assert st == 200 and a["presence"] == "available", a
    api.call("PUT", "/api/v1/agents/amy", {"name": "Amy", "skills": "en:3"})
    st, lst = api.call("GET", "/api/v1/agents?count=10")
    assert st == 200 and [x["id"] for x in lst["agents"]] == ["amy", "bob"], lst
    bob = lst["agents"][1]
    assert (bob["id"], bob["presence"], bob["load"]) == ("bob", "available", 0), lst
    assert isinstance(bob["capacity"], int) and bob["capacity"] > 0, lst
    st, lst = api.call("GET", "/api/v1/agents?start=1&count=1")
    assert [x["id"] for x in lst["agents"]] == ["bob"], lst
    # a session reaches bob: his sessions show it
    st, s = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v-1",
                                                  "skills": "sales"})
    assert s["agent"] == "bob", s
    st, mine = api.call("GET", "/api/v1/agents/bob/sessions")
    assert st == 200 and [x["sid"] for x in mine["sessions"]] == [s["sid"]], mine
    # a desk password through REST, and the desk login takes it
    st, pw = api.call("POST", "/api/v1/agents/bob/password", {"password": "correct horse 1"})
    assert st == 200, pw
    assert "correct horse" not in json.dumps({x: r.get(x) for x in r.keys("*:pw")})
    st, tok = api.call("POST", "/api/v1/desk/login", {"agent": "bob", "password": "correct horse 1"},
                       key="")
    assert st == 200 and tok["token"], tok
    with unchanged(r):
        for method, path, body, want in [
            ("GET", "/api/v1/agents/nobody", None, 404),
            ("PUT", "/api/v1/agents/bob", {"skills": "sales:11"}, 400),
            ("PUT", "/api/v1/agents/bob", {"caps": "chat=lots"}, 400),
            ("PUT", "/api/v1/agents/bob", {"name": 7}, 400),
            ("POST", "/api/v1/agents/bob/state", {"state": "asleep"}, 400),
            ("POST", "/api/v1/agents/bob/state", {}, 400),
            ("POST", "/api/v1/agents/bob/password", {"password": "short"}, 400),
            ("GET", "/api/v1/agents?count=1001", None, 400),
            ("GET", "/api/v1/agents?start=-1", None, 400),
            ("POST", "/api/v1/agents", {}, 405),
            ("GET", "/api/v1/agents/bob/state", None, 405),
            ("GET", "/api/v1/agents/bob/holidays", None, 404),
            ("GET", "/api/v1/agents/bob/sessions/extra/deep", None, 404),
        ]:
            st, e = api.call(method, path, body)
            assert st == want and e["error"]["code"] and e["error"]["message"], (method, path, st, e)
    # without an API key: 401, whatever the resource
    for path in ("/api/v1/agents", "/api/v1/stats", "/api/v1/customers/web:v-1", "/api/v1/queues"):
        st, e = api.call("GET", path, key="")
        assert st == 401 and e["error"]["code"] == "unauthorized", (path, st, e)


@test
def test_rest_queues_stats_followups_and_session_fields(ctx):
    rs, k, api = ws_kam(ctx)
    r = rs.client()
    sids = []
    for i in range(3):
        st, s = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:q%d" % i,
                                                      "queue": "support"})
        sids.append(s["sid"])
    api.call("POST", "/api/v1/sessions", {"channel": "sms", "identity": "sms:+8613800000002",
                                          "queue": "billing"})
    st, q = api.call("GET", "/api/v1/queues")
    assert st == 200 and q == {"queues": [{"name": "billing", "waiting": 1},
                                          {"name": "support", "waiting": 3}]}, q
    st, q = api.call("GET", "/api/v1/queues/support?start=1&count=2")
    assert st == 200 and [x["id"] for x in q["sessions"]] == sids[1:], q
    assert [x["position"] for x in q["sessions"]] == ["2", "3"], q
    st, stats = api.call("GET", "/api/v1/stats")
    assert st == 200 and stats["enqueued"] == "4" and stats["queued"] == "4", stats
    # an agent serves one, closes it with CSAT, NPS and a return visit in 90 days
    api.call("PUT", "/api/v1/agents/cai", {"name": "Cai", "caps": "chat=4"})
    api.call("POST", "/api/v1/agents/cai/state", {"state": "available"})
    sid = sids[0]
    assert api.call("POST", "/api/v1/sessions/%s/accept" % sid, {"agent": "cai"})[0] == 200
    follow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 90 * 86400))
    st, s = api.call("PUT", "/api/v1/sessions/%s" % sid, {"csat": 5, "nps": 9, "tags": "install",
                                                           "follow_up": follow})
    assert st == 200 and s["csat"] == "5" and s["nps"] == "9" and s["follow_up"] == follow, (st, s)
    from_ms = int(time.time() * 1000)
    to_ms = from_ms + 100 * 86400 * 1000
    st, f = api.call("GET", "/api/v1/followups?from=%d&to=%d" % (from_ms, to_ms))
    assert st == 200 and f == {"followups": [{"sid": sid, "date": follow}]}, f
    st, f = api.call("GET", "/api/v1/followups?from=%d&to=%d" % (from_ms, from_ms + 86400000))
    assert st == 200 and f == {"followups": []}, f
    with unchanged(r):
        for method, path, body, want in [
            ("PUT", "/api/v1/sessions/%s" % sid, {"csat": 6}, 400),
            ("PUT", "/api/v1/sessions/%s" % sid, {"nps": -1}, 400),
            ("PUT", "/api/v1/sessions/%s" % sid, {"follow_up": "next spring"}, 400),
            ("PUT", "/api/v1/sessions/%s" % sid, {"mood": "happy"}, 400),
            ("PUT", "/api/v1/sessions/%s" % sid, {}, 400),
            ("PUT", "/api/v1/sessions/999999", {"csat": 3}, 404),
            ("GET", "/api/v1/queues/support?count=0", None, 400),
            ("GET", "/api/v1/queues/support/more", None, 404),
            ("POST", "/api/v1/queues", {}, 405),
            ("POST", "/api/v1/stats", {}, 405),
            ("GET", "/api/v1/followups", None, 400),
            ("GET", "/api/v1/followups?from=1&to=soon", None, 400),
            ("GET", "/api/v1/followups?from=5&to=1", None, 400),
        ]:
            st, e = api.call(method, path, body)
            assert st == want and e["error"]["code"] and e["error"]["message"], (method, path, st, e)


@test
@alone
def test_rest_flood_from_one_key_is_429_and_others_are_served(ctx):
    """api_rate 5 (burst 10 per process): a key sending 60 session opens back to back gets
    429 rate_limited (Retry-After: 1) for what is over, and those write nothing; every 201
    is one session, none twice; another key is served meanwhile, and the flooding key again
    a second later."""
    rs, k, api = ws_kam(ctx, {"OMNIQ_WS_INT": '"api_rate"', "OMNIQ_WS_INT_VALUE": "5"})
    r = rs.client()
    acme = Api(int(api.base.rsplit(":", 1)[1]), key="acme-crm:acme-secret-0123456789")
    t0 = time.time()
    got = [api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:f-%d" % i})
           for i in range(60)]                                  # back to back
    took = time.time() - t0
    ok = [i for i, (st, _) in enumerate(got) if st == 201]
    limited = [i for i, (st, _) in enumerate(got) if st == 429]
    assert len(ok) + len(limited) == 60, [st for st, _ in got]
    assert limited and len(ok) >= 10, (len(ok), len(limited))   # the burst, then refusals
    # no more than the two processes' buckets hold: a burst of 10 each, 5 a second each
    assert len(ok) <= 2 * (10 + 5 * took), (len(ok), took)
    for i in limited:
        e = got[i][1]["error"]
        assert e["code"] == "rate_limited" and "5 requests per second" in e["message"], e
    # nothing lost, nothing twice: exactly the answered sessions exist, once each
    sids = sorted(int(got[i][1]["sid"]) for i in ok)
    assert sids == list(range(1, len(ok) + 1)), sids
    assert sorted(r.hget("oq:{default}:s:%d" % s, "identity") for s in sids) == \
        sorted("web:f-%d" % i for i in ok)
    assert not r.exists("oq:{default}:s:%d" % (len(ok) + 1))
    # the other company's key is not held up by this one
    for _ in range(3):
        st, stats = acme.call("GET", "/api/v1/stats")
        assert st == 200, (st, stats)
    # the 429 says when to come back
    req = urllib.request.Request(api.base + "/api/v1/stats",
                                 headers={"Authorization": "Bearer " + api.key})
    for _ in range(40):
        try:
            urllib.request.urlopen(req, timeout=10).read()
        except urllib.error.HTTPError as e:
            assert e.code == 429 and e.headers.get("Retry-After") == "1", (e.code, e.headers)
            assert json.loads(e.read())["error"]["code"] == "rate_limited"
            break
    else:
        raise AssertionError("40 requests back to back were never limited")
    assert "over 5 requests per second, refused (429)" in k.text(), k.tail()
    time.sleep(2.1)
    st, _ = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:after"})
    assert st == 201


@test
def test_rest_customer_put_and_merge_take_an_identity(ctx):
    """PUT /api/v1/customers/{identity} and /merge take an identity, as GET does and the
    API says (before: 400, only an id was taken); an identity nobody has is 404."""
    rs, k, api = ws_kam(ctx)
    st, web = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v-7"})
    assert st == 201, web
    st, sms = api.call("POST", "/api/v1/sessions", {"channel": "sms", "identity": "sms:+8613800000007"})
    assert st == 201, sms
    st, c = api.call("PUT", "/api/v1/customers/web:v-7", {"name": "Li Lei", "tier": "gold"})
    assert st == 200 and c["name"] == "Li Lei" and c["tier"] == "gold" and c["id"] == web["customer"], c
    st, m = api.call("POST", "/api/v1/customers/sms:+8613800000007/merge", {"into": "web:v-7"})
    assert st == 200 and m == {"customer": web["customer"], "merged": sms["customer"]}, m
    st, c = api.call("GET", "/api/v1/customers/sms:+8613800000007")
    assert st == 200 and c["id"] == web["customer"] and c["name"] == "Li Lei", c
    for method, path, body in (("PUT", "/api/v1/customers/web:nobody", {"name": "X"}),
                               ("POST", "/api/v1/customers/web:nobody/merge", {"into": "web:v-7"}),
                               ("POST", "/api/v1/customers/web:v-7/merge", {"into": "web:nobody"})):
        st, e = api.call(method, path, body)
        assert st == 404 and e["error"]["code"] == "not_found", (path, st, e)


@test
def test_rest_agent_put_changes_only_the_fields_it_names(ctx):
    """PUT /api/v1/agents/{id} with some fields leaves the others as they are, as the API
    says (before: {"name":"X"} wiped the skills and reset the capacity); a new agent gets the
    defaults for what the PUT leaves out."""
    rs, k, api = ws_kam(ctx)
    st, a = api.call("PUT", "/api/v1/agents/bob", {"name": "Bob", "skills": "sales:7,en:5",
                                                   "caps": "voice=1,chat=3", "contact": "wx:bob"})
    assert st == 200, a
    full = {f: a[f] for f in ("name", "skills", "cap:voice", "cap:chat", "cap:email", "cap:total", "contact")}
    for change, want in (({"name": "Robert"}, {"name": "Robert"}),
                         ({"skills": "billing:4"}, {"skills": "billing:4"}),
                         ({"caps": "chat=5"}, {"cap:chat": "5", "cap:voice": "0", "cap:email": "0",
                                               "cap:total": "5"}),
                         ({"contact": ""}, {"contact": ""})):
        st, a = api.call("PUT", "/api/v1/agents/bob", change)
        assert st == 200, a
        full.update(want)
        assert {f: a[f] for f in full} == full, (change, a)
    st, n = api.call("PUT", "/api/v1/agents/newbie", {"name": "New"})
    assert st == 200 and n["skills"] == "" and n["name"] == "New" and int(n["cap:total"]) > 0, n


@test
def test_rest_agent_role_and_session_assign(ctx):
    """A supervisor's role set with PUT (kept by later PUTs that do not name it), and a
    waiting session given to an agent routing would skip (POST .../assign, issue 20 point 7)."""
    rs, k, api = ws_kam(ctx)
    st, a = api.call("PUT", "/api/v1/agents/sue", {"name": "Sue", "role": "supervisor"})
    assert st == 200 and a["role"] == "supervisor", a
    st, a = api.call("PUT", "/api/v1/agents/sue", {"name": "Susan"})
    assert st == 200 and a["role"] == "supervisor" and a["name"] == "Susan", a
    st, e = api.call("PUT", "/api/v1/agents/sue", {"name": "Nope", "role": "boss"})
    assert st == 400 and e["error"]["code"] == "bad_argument", e
    assert api.call("GET", "/api/v1/agents/sue")[1]["name"] == "Susan"       # nothing written
    st, a = api.call("PUT", "/api/v1/agents/sue", {"role": "agent"})
    assert st == 200 and a["role"] == "agent", a
    # bob lacks the session's skill: routing leaves it waiting although he is free
    api.call("PUT", "/api/v1/agents/bob", {"name": "Bob", "skills": "fr:1", "caps": "chat=2"})
    assert k.rpc("omniq.agent_state", "bob", "available")[0] == 0
    st, s = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:stranded",
                                                 "skills": "de"})
    assert st in (200, 201) and s["state"] == "queued", s
    sid = s["sid"]
    st, e = api.call("POST", "/api/v1/sessions/%s/assign" % sid, {})
    assert st == 400 and e["error"]["code"] == "bad_argument", e
    st, e = api.call("POST", "/api/v1/sessions/%s/assign" % sid, {"agent": "nobody"})
    assert st == 404, e
    st, r = api.call("POST", "/api/v1/sessions/%s/assign" % sid, {"agent": "bob"})
    assert st == 200 and r["result"] == "offered", r
    st, g = api.call("GET", "/api/v1/sessions/%s" % sid)
    assert g["state"] == "offered" and g["agent"] == "bob", g
    st, e = api.call("POST", "/api/v1/sessions/%s/assign" % sid, {"agent": "bob"})
    assert st == 409 and e["error"]["code"] == "wrong_state", e
