"""Surveys at the end (lua/77_survey.lua): set with kamcmd; asked by SMS through the shipped
cfg/omniq.cfg (a sipp gateway takes the question as a SIP MESSAGE) when the agent closes the
session and answered by the customer's own SMS, read back over REST; asked in the web chat
widget's form (raw WebSocket, and headless Chromium)."""
import os

from drill import KEY   # cfg/omniq.cfg's example API key (loopback only)
from harness import test, wait_for
from test_e2e import browser, expect, stop, tell
from test_sms import P, SippGateway, message, offered_to, sms_kam
from test_wechat import agent, ok_rpc, transcript
from test_ws import Api, chat_kam


@test
def test_survey_sms_customer_is_asked_after_the_close_and_answers_in_words(ctx):
    gw = SippGateway(ctx.dir)
    ctx.servers.append(gw)
    rs, k = sms_kam(ctx, gw_port=gw.port)
    r = rs.client()
    agent(k, "alice", "sales:5")
    ok_rpc(k, "omniq.survey_set", "*", "kind", "both", "thanks", "谢谢您的评价! Thanks!")
    rows = ok_rpc(k, "omniq.surveys")
    assert "both" in rows and "谢谢您的评价" in rows, rows
    code, _, h = message(k, "+8613800000101", "洗衣机漏水")
    assert code == 200
    sid = h["X-Omniq-Session"]
    wait_for(lambda: offered_to(r, sid, "alice"), what="the offer")
    ok_rpc(k, "omniq.accept", sid, "alice")
    ok_rpc(k, "omniq.reply", sid, "alice", "师傅明天上门")
    ok_rpc(k, "omniq.close", sid, "resolved")
    wait_for(lambda: len(gw.received()) == 2, timeout=15, what="the reply and the question")
    asked = gw.received()[1]
    assert asked[0].startswith("MESSAGE sip:+8613800000101@"), asked[0]
    assert "回复 1-5" in asked[2] and "Reply 1-5" in asked[2], asked[2]
    # the customer answers in words, then the NPS question comes, then a number
    code, _, h = message(k, "+8613800000101", "非常满意，师傅很专业")
    assert code == 200 and h["X-Omniq-Session"] == sid, h
    wait_for(lambda: len(gw.received()) == 3, timeout=15, what="the NPS question")
    assert "0-10" in gw.received()[2][2]
    assert message(k, "+8613800000101", "１０分")[0] == 200
    wait_for(lambda: len(gw.received()) == 4, timeout=15, what="the thanks")
    assert gw.received()[3][2] == "谢谢您的评价! Thanks!"
    s = r.hgetall("%s:s:%s" % (P, sid))
    # asked as the agent's wrap-up (30 s in cfg/omniq.cfg) began: answered during it
    assert (s["state"], s["csat"], s["nps"], s["survey"], s["survey_comment"]) == \
        ("wrapup", "5", "10", "answered", "师傅很专业"), s
    assert [d for d, _ in transcript(r, P, sid)] == ["in", "out", "out", "in", "out", "in", "out"]
    # the agent and a supervisor read it where they read the session
    code, body = Api(k.http_port, KEY).call("GET", "/api/v1/customers/tel:+8613800000101/history")
    assert code == 200, body
    last = [h for h in body["sessions"] if h["sid"] == sid][0]
    assert (last["csat"], last["nps"], last["survey"], last["survey_comment"]) == \
        ("5", "10", "answered", "师傅很专业"), last
    # answered: the next message is no answer; during the wrap-up it joins the session
    # the agent wraps up, as any message then does
    code, _, h = message(k, "+8613800000101", "5")
    assert code == 200 and h["X-Omniq-Session"] == sid
    assert transcript(r, P, sid)[-1] == ("in", "5") and r.hget("%s:s:%s" % (P, sid), "csat") == "5"
    # every field in one command: the last ones were dropped when kamcmd read five
    ok_rpc(k, "omniq.survey_set", "sales", "kind", "csat", "window", "600", "ask", "打分?",
           "ask_nps", "推荐?", "thanks", "谢谢", "sms", "carrier", "link", "https://s.example.com")
    rows = ok_rpc(k, "omniq.surveys")
    assert "carrier" in rows and "https://s.example.com" in rows, rows
    assert ok_rpc(k, "omniq.survey_del", "*")
    assert "error" in k.rpc("omniq.survey_set", "*", "kind", "stars")[1]
    assert "error" in k.rpc("omniq.survey_set", "*", "window", "10")[1]


@test
def test_survey_call_caller_is_asked_by_sms_after_hanging_up_and_answers_there(ctx):
    """A call through the shipped cfg/omniq.cfg (sipp caller, sipp agent phone): when it
    ends, its queue's survey goes to the caller's number by SMS through the survey's gateway
    (a sipp gateway takes the SIP MESSAGE); the caller's SMS answer is recorded on the call
    and thanked, and the call's transcript notes both."""
    from sipcall import Phone, call, caller_xml
    gw = SippGateway(ctx.dir)
    ctx.servers.append(gw)
    rs, k = sms_kam(ctx, gw_port=gw.port)
    r = rs.client()
    ok_rpc(k, "omniq.agent_set", "alice", "Alice", "support:5", "voice=1,chat=4,email=0,total=5")
    ok_rpc(k, "omniq.agent_state", "alice", "available")
    ok_rpc(k, "omniq.survey_set", "support", "kind", "csat", "sms", "carrier")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")
    assert call(ctx, k, "support", caller_xml(ctx.dir, "surveyed", queued="may"),
                caller="13800000177") == 0
    assert phone.wait() == 0
    sid = "1"
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "state") == "wrapup", what="the call ended")
    wait_for(lambda: len(gw.received()) == 1, timeout=15, what="the survey by SMS")
    asked = gw.received()[0]
    assert asked[0].startswith("MESSAGE sip:+8613800000177@"), asked[0]
    assert "回复 1-5" in asked[2], asked[2]
    s = r.hgetall("%s:s:%s" % (P, sid))
    assert (s["channel"], s["survey"], s["sv_ch"], s["sv_to"]) == \
        ("phone", "asked", "sms", "carrier:+8613800000177"), s
    code, _, h = message(k, "+8613800000177", "5分 接得很快")
    assert code == 200 and h["X-Omniq-Session"] == sid, h
    wait_for(lambda: len(gw.received()) == 2, timeout=15, what="the thanks by SMS")
    s = r.hgetall("%s:s:%s" % (P, sid))
    assert (s["csat"], s["survey"], s["survey_comment"]) == ("5", "answered", "接得很快"), s
    notes = [b for d, b in transcript(r, P, sid) if d == "note"]
    assert any("Survey" in b for b in notes), transcript(r, P, sid)


def closed_chat(k, api, port):
    """A web chat customer served by alice and closed: (chat socket, sid)."""
    from test_ws import accepted_chat
    c, sid = accepted_chat(k, api, port, "我的洗衣机漏水")
    assert api.call("POST", "/api/v1/sessions/%s/close" % sid, {"disposition": "resolved"})[0] == 200
    return c, sid


@test
def test_survey_web_chat_form_over_the_socket_answers_once_and_refusals_say_why(ctx):
    """The widget's protocol with a raw WebSocket: the survey frame after the close, the
    answer checked (range, the scores the survey asks, the window, once), recorded."""
    rs, k, api, port = chat_kam(ctx)
    r = rs.client()
    ok_rpc(k, "omniq.survey_set", "*", "kind", "csat", "thanks", "谢谢!")
    c, sid = closed_chat(k, api, port)
    m = c.recv("survey")
    assert (m["state"], m["ask"]) == ("asked", "csat"), m
    for bad, code in [({"csat": 6}, "bad_argument"), ({"csat": "5"}, "bad_argument"),
                      ({"nps": 9}, "bad_argument"), ({}, "bad_argument"),
                      ({"csat": 5, "comment": 7}, "bad_argument"),
                      ({"csat": 5, "comment": "x" * 1025}, "bad_argument")]:
        c.send(dict(bad, type="survey"))
        e = c.recv("error")
        assert e["code"] == code, (bad, e)
    assert "csat" not in r.hgetall("%s:s:%s" % (P, sid))
    c.send({"type": "survey", "csat": 2, "comment": "等了太久"})
    m = c.recv("survey")
    assert (m["state"], m["thanks"]) == ("answered", "谢谢!"), m
    s = r.hgetall("%s:s:%s" % (P, sid))
    assert (s["csat"], s["survey"], s["survey_comment"]) == ("2", "answered", "等了太久"), s
    assert transcript(r, P, sid)[-1] == ("note", "Survey: CSAT 2/5 · “等了太久”")
    c.send({"type": "survey", "csat": 5})
    assert c.recv("error")["code"] == "bad_state"
    c.close()
    # kamcmd: the same answer, for an integrator's own form
    c2, sid2 = closed_chat(k, api, port)
    assert c2.recv("survey")["ask"] == "csat"
    assert "error" in k.rpc("omniq.survey_answer", sid2, "9", "-")[1]
    assert ok_rpc(k, "omniq.survey_answer", sid2, "5", "-", "很好") == "谢谢!"
    assert c2.recv("survey")["state"] == "answered"      # every tab of the customer hears it
    assert "error" in k.rpc("omniq.survey_answer", sid2, "5", "-")[1]
    c2.close()


@test
def test_survey_widget_in_chromium_asks_csat_and_nps_at_the_end(ctx):
    rs, k, api, port = chat_kam(ctx)
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4")[0] == 0
    assert k.rpc("omniq.agent_state", "alice", "available")[0] == 0
    ok_rpc(k, "omniq.survey_set", "*", "kind", "both", "thanks", "感谢您的评价! Thanks!")
    node = browser("chat_survey.js", str(port), ctx.dir)
    try:
        sid = expect(node, "SESSION ").split()[1]
        wait_for(lambda: rs.client().hget("%s:s:%s" % (P, sid), "agent") == "alice",
                 what="the offer to alice")
        assert api.call("POST", "/api/v1/sessions/%s/accept" % sid, {"agent": "alice"})[0] == 200
        assert api.call("POST", "/api/v1/sessions/%s/close" % sid, {"disposition": "resolved"})[0] == 200
        tell(node, "CLOSED")
        assert expect(node, "ANSWERED ") == "ANSWERED 感谢您的评价! Thanks!"
        assert node.wait(30) == 0
    finally:
        stop(node)
    s = rs.client().hgetall("%s:s:%s" % (P, sid))
    assert (s["csat"], s["nps"], s["survey_comment"]) == ("4", "9", "师傅很专业, 就是等得久"), s
    for shot in ("survey-1-form.png", "survey-2-thanks.png"):
        assert os.path.getsize(os.path.join(ctx.dir, shot)) > 1000, shot


def raw_request(port, method, path, body=None):
    """(status, headers, body) of one HTTP request, without an API key."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, body=body, headers={"Content-Type": "application/json"}
                  if body is not None else {})
        r = c.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        c.close()


@test
def test_survey_mail_link_page_takes_the_answer_once_and_a_forged_link_nothing(ctx):
    """An email customer's survey question carries a signed link (the tenant's survey key,
    made at random by kamailio's start); opening the page records nothing (mail scanners
    open links); its answer is taken once; a forged token, another tenant's name or a
    malformed link are "no survey"; the page is answered in Chromium."""
    import json
    import re
    rs, k, api, port = chat_kam(ctx)
    r = rs.client()
    key = r.get(P + ":svk")
    assert key and re.fullmatch(r"[0-9a-f]{64}", key), key
    k.stop()
    k.start()
    assert r.get(P + ":svk") == key                      # made once, kept
    ok_rpc(k, "omniq.survey_set", "*", "kind", "both", "link",
           "http://127.0.0.1:%d/" % port, "thanks", "谢谢您的评价!")
    ok_rpc(k, "omniq.agent_set", "alice", "Alice", "sales:5", "voice=0,chat=4,email=4")
    ok_rpc(k, "omniq.agent_state", "alice", "available")
    r.fcall("oq_ob_register", 1, P, "email")              # a node sends mail for the tenant
    out = ok_rpc(k, "omniq.enqueue", "email", "email:li@customer.example", "sales")
    sid = re.search(r"sid:\s*(\d+)", out).group(1)
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "agent") == "alice", what="the offer")
    ok_rpc(k, "omniq.accept", sid, "alice")
    ok_rpc(k, "omniq.close", sid, "resolved")
    wait_for(lambda: r.hget("%s:s:%s" % (P, sid), "survey") == "asked", timeout=15,
             what="the survey asked")
    asked = transcript(r, P, sid)[-1][1]
    m = re.search(r"(http://127\.0\.0\.1:%d/survey/default/%s/([0-9a-f]{40}))#both$" % (port, sid),
                  asked)
    assert m, asked
    link, path = m.group(0), m.group(1)[len("http://127.0.0.1:%d" % port):]
    # the page: served, framed by nobody, and nothing recorded by opening it
    st, h, body = raw_request(port, "GET", path + "?csat=5")
    assert st == 200 and b"survey.js" in body and "frame-ancestors 'none'" in \
        h.get("content-security-policy", ""), (st, h)
    assert r.hget("%s:s:%s" % (P, sid), "survey") == "asked"
    # refusals, each writing nothing
    forged = path[:-40] + "0" * 40
    for p, b, want in [(forged, {"csat": 5}, 404),
                       (path.replace("/default/", "/acme/"), {"csat": 5}, 404),
                       ("/survey/default/%s" % sid, {"csat": 5}, 404),
                       ("/survey/default/x1/" + "a" * 40, {"csat": 5}, 404),
                       (path, {"csat": 9}, 400), (path, {}, 400),
                       (path, {"csat": 5, "comment": "x" * 1025}, 400)]:
        st, _, out = raw_request(port, "POST", p, json.dumps(b))
        assert st == want and json.loads(out)["error"]["message"], (p, b, st, out)
    st, _, out = raw_request(port, "POST", path, b"not json")
    assert st == 400, out
    assert r.hget("%s:s:%s" % (P, sid), "survey") == "asked"
    node = browser("survey_link.js", link, ctx.dir)
    try:
        assert expect(node, "THANKS ") == "THANKS 谢谢您的评价!"
        assert node.wait(30) == 0
    finally:
        stop(node)
    s = r.hgetall("%s:s:%s" % (P, sid))
    assert (s["csat"], s["nps"], s["survey"], s["survey_comment"]) == \
        ("5", "10", "answered", "回复很及时"), s
    st, _, out = raw_request(port, "POST", path, json.dumps({"csat": 1}))
    assert st == 409 and r.hget("%s:s:%s" % (P, sid), "csat") == "5", out


@test
def test_survey_app_is_asked_in_its_own_frame_and_answers_once(ctx):
    """The mobile app socket: the survey frame names the session once the agent closed it;
    the app's answer is recorded once, an NPS-only survey refuses a CSAT."""
    from test_app import App, Backend, agent_takes, app_kam
    backend = Backend()
    ctx.servers.append(backend)
    rs, k, api, port = app_kam(ctx, backend)
    r = rs.client()
    ok_rpc(k, "omniq.survey_set", "*", "kind", "nps", "thanks", "-")
    a = App(port)
    a.hello()
    sid = a.start("my order", "m1")
    agent_takes(k, api, sid)
    assert api.call("POST", "/api/v1/sessions/%s/close" % sid, {"disposition": "resolved"})[0] == 200
    m = a.recv("survey")
    assert (m["session"], m["state"], m["ask"]) == (sid, "asked", "nps"), m
    a.send({"type": "survey", "csat": 5})
    assert a.recv("error")["code"] == "bad_argument"
    a.send({"type": "survey", "nps": 9, "comment": "好用"})
    m = a.recv("survey")
    assert (m["state"], m["thanks"]) == ("answered", ""), m
    s = r.hgetall("%s:s:%s" % (P, sid))
    assert (s["nps"], s["survey_comment"], s["survey"]) == ("9", "好用", "answered"), s
    a.send({"type": "survey", "nps": 10})
    assert a.recv("error")["code"] == "bad_state"
    a.close()
