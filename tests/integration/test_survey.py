"""Surveys at the end (lua/77_survey.lua) through the shipped cfg/omniq.cfg: set with kamcmd,
asked by SMS (a sipp gateway takes the question as a SIP MESSAGE) when the agent closes the
session, answered by the customer's own SMS, read back over REST."""
from drill import KEY   # cfg/omniq.cfg's example API key (loopback only)
from harness import test, wait_for
from test_sms import P, SippGateway, message, offered_to, sms_kam
from test_wechat import agent, ok_rpc, transcript
from test_ws import Api


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
    assert ok_rpc(k, "omniq.survey_del", "*")
    assert "error" in k.rpc("omniq.survey_set", "*", "kind", "stars")[1]
    assert "error" in k.rpc("omniq.survey_set", "*", "window", "10")[1]
