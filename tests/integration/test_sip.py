"""The phone channel (omniq_sip): sipp callers and sipp agent phones against a real kamailio
(tm, registrar, dialog) and a real redis-server."""
import time

from harness import test, wait_for
from sipcall import Phone, call, caller_xml

P = "oq:{default}"


def sip_kam(ctx, rs, **defines):
    d = {k: str(v) for k, v in defines.items()}
    return ctx.kamailio("sip.cfg", rs.port, defines=d)


def agent(k, aid, skills="sales:5", caps="voice=1,chat=4,email=0,total=5", state="available"):
    rc, out = k.rpc("omniq.agent_set", aid, aid.title(), skills, caps)
    assert rc == 0 and "error" not in out, out
    rc, out = k.rpc("omniq.agent_state", aid, state)
    assert rc == 0 and "error" not in out, out


def sessions(r):
    """Every phone session: list of dicts, in creation order."""
    out = []
    n = int(r.get(P + ":seq:s") or 0)
    for i in range(1, n + 1):
        h = r.hgetall("%s:s:%d" % (P, i))
        if h:
            h["sid"] = str(i)
            out.append(h)
    return out


def events(r, sid=None, typ=None):
    evs = [f for _, f in r.xrange(P + ":events")]
    return [e for e in evs if (sid is None or e.get("sid") == sid)
            and (typ is None or e.get("type") == typ)]


def stat(k, name):
    rc, out = k.rpc("stats.get_statistics", "omniq_sip:")
    for line in out.splitlines():
        if line.strip().startswith("omniq_sip:%s =" % name):
            return int(line.split("=")[1])
    raise AssertionError("no statistic %s: %s" % (name, out))


@test
def test_sip_answered_at_once(ctx):
    rs = ctx.redis()
    k = sip_kam(ctx, rs)
    r = rs.client()
    agent(k, "alice")
    phone = Phone(ctx, k, "alice", "agent_answer.xml")
    sc = caller_xml(ctx.dir, "direct", queued="never")
    assert call(ctx, k, "sales", sc) == 0, "caller scenario failed (see caller_*_err.log)"
    assert phone.wait() == 0, "agent phone scenario failed"
    s = sessions(r)
    assert len(s) == 1, s
    assert s[0]["channel"] == "phone" and s[0]["agent"] == "alice", s[0]
    wait_for(lambda: r.hget(P + ":s:1", "state") == "closed", what="session closed after BYE")
    c = k.rpc_struct("omniq.customer", "phone:+8613800000001")
    assert c.get("last_agent") == "alice", c
    types = [e["type"] for e in events(r, "1")]
    assert types[:3] == ["enqueue", "offer", "accept"], types
    assert stat(k, "answered") == 1 and stat(k, "queued") == 0 and stat(k, "ended") == 1
