"""Follow-ups through kamailio and the desk (lua/79_followup.lua, oq_followup.c,
omniq_ws/desk_followup.c): a return-visit rule set with kamcmd fires after a restart of the
node and the session it opens is offered to the same agent, whose desk lists it and records
its outcome; an agent schedules one from the desk and hears when it opens; an agent records
only its own."""
import time

from harness import test, wait_for
from test_ws import ws_kam, P
from test_desk import Desk, login, agent


def rpc(k, *args):
    rc, out = k.rpc(*args)
    return out.strip()


def desk_of(api, aid):
    st, body = login(api, aid)
    assert st == 200, body
    return Desk(int(api.base.rsplit(":", 1)[1]), body["token"])


@test
def test_followup_a_return_visit_rule_fires_after_a_restart_and_the_desk_records_it(ctx):
    rs, k, api = ws_kam(ctx)
    r = rs.client()
    agent(k, "alice", skills="sales:5", caps="voice=1,chat=4")
    agent(k, "bob", skills="sales:5", caps="voice=1,chat=4")
    assert rpc(k, "omniq.agent_state", "alice", "available") == "ok"
    out = rpc(k, "omniq.fu_rule_set", "visit", "after", "2")
    assert out.startswith("error") and "disposition and a reason" in out, out
    assert rpc(k, "omniq.fu_rule_set", "visit", "disposition", "installation", "after", "2",
               "reason", "return visit after the installation") == "ok"
    sid = k.rpc_struct("omniq.enqueue", "sms", "sms:+8613100000001", "sales", 0)["sid"]
    assert r.hget("%s:s:%s" % (P, sid), "agent") == "alice"
    assert rpc(k, "omniq.accept", sid, "alice") == "ok"
    assert rpc(k, "omniq.close", sid, "installation") == "ok"
    wait_for(lambda: r.exists(P + ":fu:1"), timeout=5, what="the rule's follow-up")
    assert r.hget(P + ":fu:1", "agent") == "alice"
    # the node stops before it is due and starts after
    k.stop()
    time.sleep(2.5)
    k.start()
    wait_for(lambda: r.hget(P + ":fu:1", "state") == "opened", timeout=10, what="opened")
    new = r.hget(P + ":fu:1", "opened_sid")
    assert r.hget("%s:s:%s" % (P, new), "agent") == "alice"
    assert r.hget("%s:s:%s" % (P, new), "state") == "offered"
    time.sleep(1)                               # one node, many sweeps: opened once
    assert r.get(P + ":seq:fu") == "1" and int(r.get(P + ":seq:s")) == int(new)
    d = desk_of(api, "alice")
    rows = d.request(type="followups")["followups"]
    assert [(f["id"], f["state"], f["opened_sid"], f["reason"]) for f in rows] == \
        [("1", "opened", new, "return visit after the installation")], rows
    assert d.request(type="accept", sid=new)["type"] == "ok"
    bad = d.request(type="followup_done", fid="1", outcome="great")
    assert bad["type"] == "error" and "outcome must be" in bad["message"], bad
    assert d.request(type="followup_done", fid="1", outcome="reached", note="happy")["type"] == "ok"
    assert d.request(type="followups")["followups"] == []
    assert r.hget(P + ":fu:1", "outcome") == "reached"
    # the agent schedules one from the desk, and hears when it opens
    got = d.request(type="followup_add", sid=new, due="+1", reason="call back about the bill")
    assert got["type"] == "ok", got
    fid = got["fid"]
    opened = d.recv("followup", timeout=10, where=lambda m: m["state"] == "opened")
    assert opened["fid"] == fid and opened["sid"] != new, opened
    # bob may not record alice's
    assert rpc(k, "omniq.agent_state", "bob", "available") == "ok"
    b = desk_of(api, "bob")
    no = b.request(type="followup_done", fid=fid, outcome="reached")
    assert no["type"] == "error" and no["code"] == "agent", no
    missing = b.request(type="followup_add", sid=new, reason="x")
    assert missing["type"] == "error" and missing["code"] == "bad_argument", missing


@test
def test_value_a_gold_customer_needs_a_senior_and_a_region_waits_for_its_agents(ctx):
    """Tiers and regions through kamcmd and the engine in a real kamailio: a gold customer's
    call-back session is raised and needs a senior agent; a Beijing number waits region_wait
    (2 s) for an agent of the north, then any agent takes it."""
    rs, k, api = ws_kam(ctx, {"OMNIQ_REGION_WAIT": "2"})
    r = rs.client()
    assert rpc(k, "omniq.tier_set", "gold", "300", "senior") == "ok"
    out = rpc(k, "omniq.tier_set", "gold", "3000", "senior")
    assert out.startswith("error") and "priority must be in 0..1000" in out, out
    assert "gold" in rpc(k, "omniq.tiers")
    assert rpc(k, "omniq.region_prefix_set", "8610", "north") == "ok"
    assert "north" in rpc(k, "omniq.region_prefixes")
    first = k.rpc_struct("omniq.enqueue", "sms", "sms:+8613900000001", "sales", 0)
    assert rpc(k, "omniq.customer_set", first["customer"], "tier", "gold") == "ok"
    again = k.rpc_struct("omniq.enqueue", "app", "sms:+8613900000001", "sales", 5)["sid"]
    s = r.hgetall("%s:s:%s" % (P, again))
    assert (s["priority"], s["skills"]) == ("305", "sales,senior"), s
    bj = k.rpc_struct("omniq.enqueue", "sms", "sms:+861088888888", "sales", 0)["sid"]
    assert r.hget("%s:s:%s" % (P, bj), "skills") == "r-north,sales"
    agent(k, "plain", skills="sales:5", caps="voice=0,chat=4")
    assert rpc(k, "omniq.agent_state", "plain", "available") == "ok"
    wait_for(lambda: r.hget("%s:s:%s" % (P, first["sid"]), "agent") == "plain", timeout=5,
             what="the plain session offered")
    assert r.hget("%s:s:%s" % (P, again), "state") == "queued"     # no senior
    assert r.hget("%s:s:%s" % (P, bj), "state") == "queued"        # not yet: the north first
    wait_for(lambda: r.hget("%s:s:%s" % (P, bj), "agent") == "plain", timeout=6,
             what="the Beijing session widened after 2 s")
    assert r.hget("%s:s:%s" % (P, bj), "skills") == "sales"
    assert r.hget("%s:s:%s" % (P, again), "state") == "queued"
    # a region (and a preferred channel) set by the CRM over REST routes the next contact
    st, body = api.call("PUT", "/api/v1/customers/%s" % first["customer"],
                        {"region": "north", "channel": "email"})
    assert st == 200 and body["region"] == "north" and body["channel"] == "email", (st, body)
    st, body = api.call("PUT", "/api/v1/customers/%s" % first["customer"], {"channel": "fax!"})
    assert st == 400 and "channel" in body["error"]["message"], (st, body)
    nxt = k.rpc_struct("omniq.enqueue", "web", "sms:+8613900000001", "sales", 0)["sid"]
    assert r.hget("%s:s:%s" % (P, nxt), "skills") == "r-north,sales,senior"


@test
def test_callback_through_rest_keeps_the_place_and_an_abandon_keeps_it(ctx):
    """POST /api/v1/sessions/{sid}/callback: a waiting web customer leaves a number; the
    abandon the widget sends when they close it keeps the session (answered "queued"); a
    bad number is 400, a session that no longer waits 409."""
    rs, k, api = ws_kam(ctx)
    r = rs.client()
    st, s = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v-cb",
                                                  "skills": "sales"})
    assert st == 201 and s["state"] == "queued", (st, s)
    sid = s["sid"]
    st, body = api.call("POST", "/api/v1/sessions/%s/callback" % sid, {"to": "no scheme"})
    assert st == 400 and body["error"]["code"] == "bad_argument", (st, body)
    st, body = api.call("POST", "/api/v1/sessions/%s/callback" % sid, {"to": "tel:+8613800000077"})
    assert st == 200 and body["result"] == "callback", (st, body)
    st, body = api.call("POST", "/api/v1/sessions/%s/abandon" % sid, {})
    assert st == 200 and body["result"] == "kept", (st, body)
    assert r.hget("%s:s:%s" % (P, sid), "callback_to") == "tel:+8613800000077"
    agent(k, "alice", skills="sales:5", caps="voice=1,chat=4")
    assert rpc(k, "omniq.agent_state", "alice", "available") == "ok"
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "state") == "offered", timeout=5, what="offer")
    st, body = api.call("POST", "/api/v1/sessions/%s/callback" % sid, {})
    assert st == 409, (st, body)


@test
def test_followup_through_rest_scheduled_read_and_ended(ctx):
    """An integrator's CRM schedules a return visit through REST (POST /api/v1/followups, of
    a session or of a customer), reads it back, and records the outcome of one that opened;
    bad requests get a JSON error and write nothing."""
    rs, k, api = ws_kam(ctx)
    r = rs.client()
    agent(k, "alice", skills="sales:5", caps="voice=1,chat=4")
    assert rpc(k, "omniq.agent_state", "alice", "available") == "ok"
    sid = k.rpc_struct("omniq.enqueue", "sms", "sms:+8613100000009", "sales", 0)["sid"]
    cid = r.hget("%s:s:%s" % (P, sid), "customer")
    st, body = api.call("POST", "/api/v1/followups", {"sid": sid, "due": "+3600",
                                                      "reason": "回访: how is the new router?"})
    assert st == 201, (st, body)
    fid = body["fid"]
    st, f = api.call("GET", "/api/v1/followups/%s" % fid)
    assert st == 200 and f["state"] == "scheduled" and f["agent"] == "alice", f
    assert f["reason"] == "回访: how is the new router?" and f["customer"] == cid, f
    # one of the customer, due now: it opens as a session offered to alice
    st, body = api.call("POST", "/api/v1/followups", {"customer": cid, "due": "+1",
                                                      "reason": "callback", "agent": "alice"})
    assert st == 201, (st, body)
    now = body["fid"]
    wait_for(lambda: api.call("GET", "/api/v1/followups/%s" % now)[1].get("state") == "opened",
             timeout=10, what="the follow-up opened")
    st, body = api.call("POST", "/api/v1/followups/%s/done" % now, {"outcome": "reached",
                                                                     "note": "all good"})
    assert st == 200 and body == {"fid": now, "outcome": "reached"}, (st, body)
    assert api.call("GET", "/api/v1/followups/%s" % now)[1]["outcome"] == "reached"
    # refusals: a JSON error each, nothing written
    keys = set(r.keys(P + ":fu:*"))
    for req, status, code in (
            ({"due": "+60", "reason": "x"}, 400, "bad_argument"),                   # no one
            ({"sid": sid, "customer": cid, "due": "+60", "reason": "x"}, 400, "bad_argument"),
            ({"sid": sid, "reason": "x"}, 400, "bad_argument"),                     # no due
            ({"sid": sid, "due": "tomorrow", "reason": "x"}, 400, "bad_argument"),
            ({"sid": "999999", "due": "+60", "reason": "x"}, 404, "not_found")):
        st, body = api.call("POST", "/api/v1/followups", req)
        assert (st, body["error"]["code"]) == (status, code), (req, st, body)
    st, body = api.call("POST", "/api/v1/followups/%s/done" % fid, {"outcome": "reached"})
    assert st == 409 and body["error"]["code"] == "wrong_state", (st, body)   # not opened yet
    st, body = api.call("POST", "/api/v1/followups/%s/done" % now, {"outcome": "great"})
    assert st == 400 and body["error"]["code"] == "bad_argument", (st, body)
    st, body = api.call("GET", "/api/v1/followups/999999")
    assert st == 404, (st, body)
    st, body = api.call("DELETE", "/api/v1/followups/%s" % fid)
    assert st == 405, (st, body)
    assert set(r.keys(P + ":fu:*")) == keys


@test
def test_value_tiers_and_regions_over_rest(ctx):
    """A web admin sets the customer tiers' routing, the phone prefixes' regions and the
    regional queues over REST (GET/PUT/DELETE /api/v1/tiers[/{name}],
    /api/v1/regions[/{prefix}], /api/v1/queues/{q}/regions/{region}), the same that kamcmd's
    omniq.tier_set, omniq.region_prefix_set and omniq.region_queue_set keep; refusals are
    JSON errors that write nothing."""
    rs, k, api = ws_kam(ctx)
    r = rs.client()
    st, body = api.call("PUT", "/api/v1/tiers/gold", {"priority": 50, "skills": "senior"})
    assert (st, body) == (200, {"name": "gold"}), (st, body)
    st, body = api.call("GET", "/api/v1/tiers")
    assert st == 200 and body["tiers"] == [{"name": "gold", "priority": "50", "skills": "senior"}], body
    assert "gold" in rpc(k, "omniq.tiers")
    for req, says in (({"priority": 5000}, "'priority' is required, an integer 0..1000"),
                      ({"skills": "senior"}, "'priority' is required"),
                      ({"priority": 1, "skills": "bad skill!"}, "skill")):
        st, body = api.call("PUT", "/api/v1/tiers/silver", req)
        assert st == 400 and says in body["error"]["message"], (req, st, body)
    assert r.hkeys(P + ":tiers") == ["gold"]
    assert api.call("DELETE", "/api/v1/tiers/gold") == (200, {"name": "gold"})
    assert api.call("DELETE", "/api/v1/tiers/gold")[0] == 404
    # regions of phone prefixes
    assert api.call("PUT", "/api/v1/regions/8610", {"region": "north"}) == (200, {"prefix": "8610"})
    assert api.call("PUT", "/api/v1/regions/8621", {"region": "east"})[0] == 200
    st, body = api.call("GET", "/api/v1/regions")
    assert (st, body) == (200, {"prefixes": {"8610": "north", "8621": "east"}}), (st, body)
    for pfx, req, says in (("abc", {"region": "north"}, "prefix must be 1..8 digits"),
                           ("8620", {"region": ""}, "DELETE takes it out"),
                           ("8620", {"region": "Bad Region"}, "region must be")):
        st, body = api.call("PUT", "/api/v1/regions/" + pfx, req)
        assert st == 400 and says in body["error"]["message"], (pfx, st, body)
    assert api.call("DELETE", "/api/v1/regions/8610") == (200, {"prefix": "8610"})
    assert rpc(k, "omniq.region_prefix_set", "8621", "-") == "ok"     # kamcmd: "-" removes
    assert api.call("GET", "/api/v1/regions") == (200, {"prefixes": {}})
    assert api.call("POST", "/api/v1/tiers")[0] == 405
    # regional queues: a queue's sessions of a region wait in that region's team's queue
    assert api.call("PUT", "/api/v1/queues/support/regions/north",
                    {"queue": "support-north"}) == (200, {"queue": "support"})
    assert rpc(k, "omniq.region_queue_set", "support", "east", "support-east") == "ok"
    st, body = api.call("GET", "/api/v1/regions/queues")
    assert st == 200 and sorted(body["queues"], key=lambda x: x["region"]) == [
        {"queue": "support", "region": "east", "target": "support-east"},
        {"queue": "support", "region": "north", "target": "support-north"}], body
    assert "support-north" in rpc(k, "omniq.region_queues")
    for path, req, says in (("support/regions/North", {"queue": "x"}, "region must be"),
                            ("support/regions/north", {"queue": "support"}, "its own regional queue"),
                            ("support/regions/north", {"queue": ""}, "DELETE takes it out"),
                            ("support/regions/north", {}, "'queue'")):
        st, body = api.call("PUT", "/api/v1/queues/" + path, req)
        assert st == 400 and says in body["error"]["message"], (path, st, body)
    assert r.hget(P + ":rgq", "support/north") == "support-north"
    assert api.call("DELETE", "/api/v1/queues/support/regions/north") == (200, {"queue": "support"})
    assert rpc(k, "omniq.region_queue_set", "support", "east", "-") == "ok"
    assert not r.exists(P + ":rgq")
    assert api.call("GET", "/api/v1/customers/web:x/history/more")[0] == 404
