"""Reports (lua/76_report.lua) through a running kamailio: the dispatcher's sweep folds each
ended session into its interval; kamcmd omniq.report and REST GET /api/v1/reports read the
figures; bad arguments get clear errors."""
import time

from harness import test, wait_for
from test_wechat import ok_rpc
from test_ws import ws_kam


@test
def test_report_a_served_and_an_abandoned_session_over_rest_and_kamcmd(ctx):
    rs, k, api = ws_kam(ctx)
    r = rs.client()
    ok_rpc(k, "omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4")
    ok_rpc(k, "omniq.agent_state", "alice", "available")
    t0 = int(time.time() * 1000)
    st, s = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:r1",
                                                  "skills": "sales", "queue": "support"})
    assert st == 201, s
    assert api.call("POST", "/api/v1/sessions/%s/accept" % s["sid"], {"agent": "alice"})[0] == 200
    assert api.call("POST", "/api/v1/sessions/%s/close" % s["sid"], {"disposition": "resolved"})[0] == 200
    ok_rpc(k, "omniq.agent_state", "alice", "away")
    st, s2 = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:r2",
                                                   "skills": "sales", "queue": "support"})
    assert st == 201 and s2["state"] == "queued", s2
    assert api.call("POST", "/api/v1/sessions/%s/abandon" % s2["sid"])[0] in (200, 204)
    q = "/api/v1/reports?from=%d&to=%d&step=1d&by=queue" % (t0 - 60000, t0 + 3600000)

    def support():
        rows = api.call("GET", q)[1]["rows"]
        return [x for x in rows if x["dim"] == "support"]
    wait_for(lambda: support() and support()[0]["offered"] == "2", timeout=10,
             what="both sessions folded by the sweep")
    row = support()[0]
    assert (row["answered"], row["abandoned"], row["resolved"], row["sl_pct"]) == \
        ("1", "1", "1", "100.0"), row
    # kamcmd reads a bare number as 32 bits: an ms time goes as s:<ms>
    out = ok_rpc(k, "omniq.report", "s:%d" % (t0 - 60000), "s:%d" % (t0 + 3600000), "1d", "queue")
    assert "support" in out and "offered" in out, out
    # bad arguments: JSON errors, kamcmd faults
    for bad in ("step=2h", "by=team", "from=x", "from=%d&to=%d" % (t0, t0 - 1),
                "from=0&to=%d" % (t0 + 1)):
        st, e = api.call("GET", "/api/v1/reports?" + bad)
        assert st == 400 and e["error"]["message"], (bad, st, e)
    assert api.call("POST", "/api/v1/reports", {})[0] == 405
    assert "error" in k.rpc("omniq.report", str(t0), str(t0 + 1000), "2h")[1]
    assert "error" in k.rpc("omniq.report", str(t0), str(t0 + 1000), "1h", "team")[1]
    assert r.exists("oq:{default}:rp:%d" % (t0 - t0 % 900000)) or \
        r.exists("oq:{default}:rp:%d" % (t0 - t0 % 900000 + 900000))


@test
def test_report_metrics_for_prometheus_pass_promtool_and_say_what_redis_holds(ctx):
    """GET /metrics with the API key: Prometheus' text format, checked by Debian's promtool;
    its samples are what Redis holds (waiting per queue, sessions by state, today's figures
    per queue); no key, no metrics (401, JSON); another verb, 405."""
    import re
    import subprocess
    import urllib.request
    rs, k, api = ws_kam(ctx)
    ok_rpc(k, "omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4")
    ok_rpc(k, "omniq.agent_state", "alice", "available")
    st, s = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:m1",
                                                  "skills": "sales", "queue": "support"})
    api.call("POST", "/api/v1/sessions/%s/accept" % s["sid"], {"agent": "alice"})
    api.call("POST", "/api/v1/sessions/%s/close" % s["sid"], {"disposition": "resolved"})
    ok_rpc(k, "omniq.agent_state", "alice", "away")
    for i in range(2):
        api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:w%d" % i,
                                              "skills": "sales", "queue": "billing"})

    def scrape(key=api.key, method="GET"):
        req = urllib.request.Request(api.base + "/metrics", method=method,
                                     headers={"Authorization": "Bearer " + key} if key else {})
        try:
            with urllib.request.urlopen(req, timeout=10) as f:
                return f.status, f.headers.get("Content-Type"), f.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read().decode()
    wait_for(lambda: 'omniq_today_offered{tenant="default",queue="support"} 1' in scrape()[2],
             timeout=10, what="the closed session in today's figures")
    st, ctype, text = scrape()
    assert st == 200 and ctype.startswith("text/plain; version=0.0.4"), (st, ctype)
    check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr + text
    samples = dict(re.findall(r"^(\S+) (\S+)$", text, re.M))
    assert samples['omniq_queue_waiting{tenant="default",queue="billing"}'] == "2", text
    assert samples['omniq_sessions{tenant="default",state="queued"}'] == "2", text
    assert samples['omniq_sessions_total{tenant="default",event="enqueued"}'] == "3", text
    assert samples['omniq_today_answered{tenant="default",queue="support"}'] == "1", text
    assert samples['omniq_today_service_level_percent{tenant="default",queue="support"}'] == "100.0"
    st, ctype, body = scrape(key="")
    assert st == 401 and ctype.startswith("application/json") and "unauthorized" in body, body
    assert scrape(key="local:wrong-secret-0123456789")[0] == 401
    assert scrape(method="POST")[0] == 405


@test
def test_report_a_lead_reaches_the_crm_as_a_signed_webhook_and_complaints_count_by_tag(ctx):
    """kamcmd sets what dispositions mean and where leads go (an integrator's webhook
    channel standing for a CRM); a session closed as a lead is posted there once, signed;
    a complaint's tags (the session's and its disposition's) count in the report by tag."""
    from test_app import Backend
    from test_channels import line_kam, the_one_signed_post
    backend = Backend()
    try:
        rs, k, api = line_kam(ctx, backend)
        ok_rpc(k, "omniq.disposition_set", "late_delivery", "complaint", "delivery")
        ok_rpc(k, "omniq.lead_channel", "line")
        out = ok_rpc(k, "omniq.dispositions")
        assert "late_delivery" in out and "sales_lead" in out and "line" in out, out
        assert "error" in k.rpc("omniq.disposition_set", "x", "happy")[1]
        t0 = int(time.time() * 1000)
        sids = []
        for ident, disp, tags in (("web:l1", "sales_lead", "vip"), ("web:l2", "late_delivery",
                                                                    "courier")):
            st, s = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": ident,
                                                          "skills": "sales", "queue": "support"})
            assert st == 201, s
            api.call("POST", "/api/v1/sessions/%s/accept" % s["sid"], {"agent": "alice"})
            assert api.call("PUT", "/api/v1/sessions/%s" % s["sid"], {"tags": tags})[0] == 200
            api.call("POST", "/api/v1/sessions/%s/close" % s["sid"], {"disposition": disp})
            sids.append(s["sid"])
        wait_for(lambda: backend.delivered(), timeout=15, what="the lead at the CRM")
        time.sleep(1)
        _, body = the_one_signed_post(backend)
        assert (body["type"], body["channel"]) == ("lead", "line"), body
        lead = body["lead"]
        assert (lead["sid"], lead["disposition"], lead["tags"], lead["agent"]) == \
            (sids[0], "sales_lead", "vip", "alice"), lead
        assert lead["session"] == lead["sid"], lead   # its old name, kept until v2
        q = "/api/v1/reports?from=%d&to=%d&step=1d&by=tag" % (t0 - 60000, t0 + 3600000)
        tags = {r["dim"]: r["complaints"] for r in api.call("GET", q)[1]["rows"]}
        assert tags == {"courier": "1", "delivery": "1"}, tags
    finally:
        backend.stop()


@test
def test_report_desk_shows_an_agent_her_day_and_a_supervisor_the_board(ctx):
    """In Chromium: alice's own figures in her desk header, no board for her; the
    supervisor's board with the queue's figures, alice's row, the complaint's tag and the
    satisfaction chart, each equal to what this day held."""
    import os
    import subprocess
    from test_e2e import E2E
    rs, k, api = ws_kam(ctx)
    for args in (("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4"),
                 ("omniq.agent_password", "alice", "desk-pass-123"),
                 ("omniq.agent_set", "sue", "Sue", "lead:1", "voice=0,chat=0"),
                 ("omniq.agent_password", "sue", "desk-pass-123"),
                 ("omniq.agent_role", "sue", "supervisor"),
                 ("omniq.agent_state", "alice", "available"),
                 ("omniq.survey_set", "*", "kind", "csat")):
        ok_rpc(k, *args)
    st, s = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:b1",
                                                  "skills": "sales", "queue": "support"})
    api.call("POST", "/api/v1/sessions/%s/accept" % s["sid"], {"agent": "alice"})
    api.call("PUT", "/api/v1/sessions/%s" % s["sid"], {"tags": "billing"})
    api.call("POST", "/api/v1/sessions/%s/close" % s["sid"], {"disposition": "complaint"})
    wait_for(lambda: rs.client().hget("oq:{default}:s:%s" % s["sid"], "survey") == "asked",
             what="the survey asked")
    ok_rpc(k, "omniq.survey_answer", s["sid"], "4", "-")
    ok_rpc(k, "omniq.agent_state", "alice", "away")
    api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:b2",
                                          "skills": "sales", "queue": "support"})
    node = subprocess.run(["node", os.path.join(E2E, "desk_board.js"),
                           api.base.rsplit(":", 1)[1], ctx.dir, "alice", "sue", "desk-pass-123"],
                          cwd=E2E, capture_output=True, text=True, timeout=120)
    out = node.stdout.strip().splitlines()
    assert node.returncode == 0 and len(out) >= 2, node.stdout + node.stderr
    assert out[-2].startswith("FIGURES Today: 1 answered") and "CSAT 4.0" in out[-2], out
    queue, agent, tags, points = out[-1][len("BOARD "):].split(" ## ")
    cells = [c.strip() for c in queue.split(" | ")]
    # queue | waiting | longest | offered | answered | SL | answer | abandoned | CSAT | NPS | FCR | alerts
    assert cells[0] == "support" and cells[1] == "1" and cells[3:5] == ["1", "1"], cells
    assert cells[5] == "100.0 %" and cells[8] == "4.0" and cells[9] == "–", cells
    acells = [c.strip() for c in agent.split(" | ")]
    assert acells[0] == "Alice (alice)" and acells[1] == "away" and acells[4] == "1", acells
    assert tags.strip() == "billing | 1" and points == "1", (tags, points)
    assert os.path.getsize(os.path.join(ctx.dir, "desk-13-board.png")) > 1000
