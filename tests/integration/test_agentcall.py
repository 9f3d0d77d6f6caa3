"""Calls between agents' phones (modules/omniq_sip/agentcall.h): an agent's registered phone
calls a colleague by her id - the consultation before an attended transfer - and omniq
relays it to the colleague's phones without a session; no one else reaches an agent's
phone by her id."""
from harness import test, wait_for
from sipcall import Phone, call, caller_xml
from test_sip import P, agent, sip_kam, stat


@test
def test_agent_call_reaches_a_colleagues_phone_without_a_session(ctx):
    """alice's phone dials sip:bob@: bob's phone rings and answers, they talk, alice hangs
    up; nothing is written (no session, no customer), the statistic counts it."""
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    agent(k, "bob")
    bob = Phone(ctx, k, "bob", "agent_answer.xml")
    alice = Phone(ctx, k, "alice", caller_xml(ctx.dir, "consult", queued="never", hold_ms=500,
                                              from_user="[caller]"), dial="bob")
    assert alice.wait(30) == 0, "alice's call to bob did not go as a call does"
    assert bob.wait(20) == 0
    assert r.get(P + ":seq:s") is None, "a session for a call between agents"
    assert stat(k, "agent_calls") == 1 and stat(k, "calls") == 0
    assert "agent alice calls agent bob (no session)" in k.text()


@test
def test_agent_call_is_refused_to_anyone_but_an_agents_own_phone(ctx):
    """A customer dialling an agent's id meets the queue's 404, even one who writes an
    agent's id in his From (he is not calling from her registered phone); an agent calling
    a colleague who has no phone gets 480, and calling herself 482."""
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    agent(k, "bob")
    agent(k, "carol")
    Phone(ctx, k, "bob", "agent_answer.xml")
    for callee, code in (("carol", 480), ("alice", 482)):
        a = Phone(ctx, k, "alice", caller_xml(ctx.dir, "to_" + callee, final=code,
                                              queued="never"), dial=callee)
        assert a.wait(30) == 0, "alice calling %s: not %d" % (callee, code)
    # alice's phones are registered now: a From of hers from elsewhere is still no agent's
    for who in ("13800000001", "alice"):
        rc = call(ctx, k, "bob", caller_xml(ctx.dir, "stranger_" + who, final=404,
                                            queued="never"), caller=who)
        assert rc == 0, "%s reached bob's phone" % who
    assert r.get(P + ":seq:s") is None
    assert stat(k, "agent_calls") == 0
    assert "agent alice calls carol, who has no phone registered" in k.text()
