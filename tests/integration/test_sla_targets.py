"""Service-level alerts to every kind of target, on two kamailio nodes sharing one Redis, with
real short timers (issue 24's test): each node loads every sender - WeChat against the
stand-in of WeChat's API (tests/integration/wechat_standin.py), SMS through a real Kannel
with fakesmsc as the phones (kannel.py), email submitted to a real Postfix that delivers to
Dovecot mailboxes (mailrig.py) and an integrator's webhook channel to a local receiver
(test_app.Backend). The queue's owner, supervisor and manager are each told at the desk, by
an Official Account template message, a WeCom application message, SMS, email and the
webhook; a customer waits through the three levels."""
import email
import email.policy
import hashlib
import hmac
import json
import re
import time

import websocket

import mailrig
from harness import alone, free_port, test, wait_for
from kannel import concat_info, join_parts
from test_app import Backend
from test_channels import LINE_SECRET, say
from test_desk import PASSWORD, desk
from test_email_postfix import mailbox_defines, smtp_keys
from test_sla import sla_lines
from test_sms import kannel_kam
from test_wechat import CORP, FOLLOWERS, KFID, OA, P, ok_rpc, wechat_api
from test_ws import KEY, Api

# the queue's people, by the level that tells them: each has a target of every kind
PEOPLE = {1: "olga", 2: "sam", 3: "mia"}
OPENID = {aid: "oStaff_" + aid for aid in PEOPLE.values()}      # followers of the account
PHONE = {aid: "+861390000000%d" % lvl for lvl, aid in PEOPLE.items()}
MAIL = {aid: "%s@customer.example" % aid for aid in PEOPLE.values()}
HOOK = {aid: "staff-" + aid for aid in PEOPLE.values()}         # addresses on channel line
NOTICE = "客服正忙, 我们会在 30 分钟内回复您。"
LINK = "https://desk.example.com/desk/#s="


def targets(aid):
    return ["desk",
            "wechat:tpl:%s:%s" % (OA["appid"], OPENID[aid]),
            "wechat:app:%s:%s" % (CORP["appid"], aid),
            "sms:kannel:" + PHONE[aid],
            "email:support:" + MAIL[aid],
            "line:" + HOOK[aid]]


def staff(s):
    """the stand-in's accounts with the staff as the Official Account's followers and as
    the WeCom corp's members"""
    s.add_account(OA["appid"], OA["secret"], followers=FOLLOWERS + tuple(OPENID.values()),
                  templates=("tmplA",))
    s.add_corp(CORP["appid"], CORP["secret"], apps={1000002: "corp-app-secret-2"},
               users=tuple(PEOPLE.values()), kf=(KFID,))


def level_of(text, sid):
    """the level an alert's text says, checking that it names the session"""
    m = re.match(r"\[SLA level (\d)\] session %s \(line" % sid, text)
    assert m, text
    return int(m.group(1))


def sms_texts(mt):
    """the texts fakesmsc got, a long one's parts joined: [(receiver, text)]"""
    whole, parts = [], {}
    for m in mt:
        if m["udh"]:
            ref, total, _ = concat_info(m["udh"])
            parts.setdefault((m["receiver"], ref), []).append(m)
            if len(parts[(m["receiver"], ref)]) == total:
                whole.append((m["receiver"], join_parts(parts.pop((m["receiver"], ref)))))
        else:
            whole.append((m["receiver"], m["text"]))
    return whole


def history(out):
    """kamcmd omniq.sla's fired entries: [{level, wait, told: {<agent>/<target>: what},
    delivery: {<agent>/<target>: state}}]"""
    fired, cur = [], None
    for line in out.splitlines():
        key, _, v = line.strip().partition(": ")
        if key == "type":
            cur = {} if v == "fired" else None
            if cur is not None:
                fired.append(cur)
        elif cur is not None and key in ("level", "wait"):
            cur[key] = int(v)
        elif cur is not None and key in ("told", "delivery"):
            cur[key] = dict(item.rsplit("=", 1) for item in v.split(",") if item)
    return fired


def alerts(d, quiet=0.5):
    """the alert frames a desk has got, until none comes for `quiet` seconds"""
    got = [m for m in d.pending if m.get("type") == "alert"]
    d.pending = [m for m in d.pending if m.get("type") != "alert"]
    while True:
        try:
            m = d.recv(timeout=quiet)
        except websocket.WebSocketTimeoutException:
            return got
        if m.get("type") == "alert":
            got.append(m)


def signed(push):
    """the push carries a valid HMAC-SHA256 of its body with the channel's secret"""
    want = "sha256=" + hmac.new(LINE_SECRET, push["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(push["headers"].get("x-omniq-signature", ""), want)


@test
@alone
def test_sla_each_level_reaches_each_kind_of_target_once_across_two_nodes(ctx):
    """Levels at 2, 4 and 6 s of an 8 s first-response target: each fires once across both
    nodes and runs one event_route[omniq:slaN] in all; its person gets exactly one alert at
    each target - the desk, the template message and the WeCom message at the stand-in, one
    SMS at fakesmsc, one mail in their Dovecot INBOX, one signed webhook taken - and the
    customer the policy's notice once. The receiver refuses the first alert POST (503): the
    outbox tries it again, and it is taken once. The alert history (kamcmd omniq.sla, on
    either node) names every target told and follows each delivery to sent (SMS: to
    delivered, by Kannel's report)."""
    backend = Backend(script=[503])          # the first alert POST is refused, then taken
    ctx.servers.append(backend)
    s = wechat_api(ctx, staff)
    rig = mailrig.start_rig(ctx, users=dict({"support@example.com": "pw-support"},
                                            **{a: "pw-" + a.split("@")[0] for a in MAIL.values()}))
    defines = mailbox_defines(*smtp_keys(rig), OMNIQ_WECHAT_API='"%s"' % s.url,
                              OMNIQ_LINE_CHANNEL='"name=line;url=%s;secret=%s"' % (
                                  backend.url, LINE_SECRET.decode()),
                              OMNIQ_API_KEY='"%s"' % KEY)
    rs, k, kannel, _ = kannel_kam(ctx, extra_defines=defines, cfg="sla_targets.cfg")
    own = ("OMNIQ_SIP_LISTEN", "OMNIQ_CTL", "OMNIQ_HTTP_PORT")     # each node's own
    k2 = ctx.kamailio("sla_targets.cfg", rs.port, name="kam2", defines=dict(
        {d: v for d, v in k.defines.items() if d not in own}, OMNIQ_HTTP_PORT=str(free_port())))
    r = rs.client()
    channels = {"wechat", "sms", "email", "line"}
    for node in (k, k2):
        wait_for(lambda: {c for c in channels if node.pids("omniq sender " + c)} == channels,
                 timeout=15, what="kamailio %s's senders" % node.name)
    wait_for(lambda: channels <= r.smembers(P + ":ob:senders"), timeout=15,
             what="the senders registered")
    for lvl, aid in PEOPLE.items():
        ok_rpc(k if lvl % 2 else k2, "omniq.agent_set", aid, aid.title(), "other:5", "chat=4")
        ok_rpc(k, "omniq.agent_password", aid, PASSWORD)
        ok_rpc(k2, "omniq.agent_notify", aid, ",".join(targets(aid)))
    ok_rpc(k, "omniq.queue_roles", "default", *PEOPLE.values())
    ok_rpc(k2, "omniq.sla_set", "std", "first", "8", "levels", "25,50,75", "notice", NOTICE,
           "link", LINK)
    # each person's desk open, on either node
    desks = {aid: desk(node.http_port, Api(node.http_port), aid)
             for aid, node in zip(PEOPLE.values(), (k, k2, k))}
    # a customer writes through the integrator's channel; nobody can take it (skills): it waits
    st, a = say(Api(k.http_port), "有人吗? 我的订单还没到", identity="app:line:U7",
                skills="support", cid="S-1")
    assert st == 201 and a["state"] == "queued", (st, a)
    sid = a["sid"]
    t0 = time.time()
    wait_for(lambda: len(sla_lines(k, k2)) == 3, timeout=20, what="three levels")
    assert time.time() - t0 >= 3.5, time.time() - t0       # level 3 at 6 s, not at once

    # every delivery made: a template, a WeCom message, an SMS, a mail and a webhook a level,
    # and the customer's notice (on the webhook too); then time for any second one to come
    wait_for(lambda: len(s.sent) >= 6, timeout=20, what="six messages at WeChat")
    wait_for(lambda: len(sms_texts(kannel.mt)) >= 3, timeout=20, what="three SMS")
    wait_for(lambda: len(backend.delivered()) >= 4, timeout=20, what="four webhooks taken")
    for aid in PEOPLE.values():
        rig.wait_mailbox(MAIL[aid], 1, timeout=30)

    def settled():
        h = history(ok_rpc(k2, "omniq.sla", sid))
        return len(h) == 3 and all(set(e["delivery"].values()) <= {"sent", "delivered"}
                                   for e in h)
    wait_for(settled, timeout=15, what="every delivery in the history sent")
    time.sleep(2)

    # the event routes: one a level, on either node, in all
    assert sorted(sla_lines(k, k2)) == ["level %d of session %s: first, tell [%s]" % (
        lvl, sid, aid) for lvl, aid in PEOPLE.items()], sla_lines(k, k2)
    assert k.stat("omniq:sla_alerts") + k2.stat("omniq:sla_alerts") == 3
    # the history: each level once, in order, on time, every target told and each outbox
    # delivery sent (the SMS delivered: Kannel reports it)
    fired = history(ok_rpc(k, "omniq.sla", sid))
    assert [e["level"] for e in fired] == [1, 2, 3], fired
    for e, (lvl, aid) in zip(fired, PEOPLE.items()):
        assert 2000 * lvl <= e["wait"] < 2000 * lvl + 2500, e
        assert sorted(e["told"]) == sorted("%s/%s" % (aid, t) for t in targets(aid)), e
        assert e["told"]["%s/desk" % aid] == "desk", e
        assert sorted(e["delivery"]) == sorted("%s/%s" % (aid, t) for t in targets(aid)[1:]), e
        assert all(v in ("sent", "delivered") for v in e["delivery"].values()), e
    sms = {aid: "%s/sms:kannel:%s" % (aid, PHONE[aid]) for aid in PEOPLE.values()}
    wait_for(lambda: all(e["delivery"][sms[aid]] == "delivered" for e, aid in zip(
        history(ok_rpc(k2, "omniq.sla", sid)), PEOPLE.values())),
        timeout=10, what="Kannel's delivery reports")

    # the desk: one alert a person, of their level
    for lvl, aid in PEOPLE.items():
        got = alerts(desks[aid])
        assert [(m["sid"], m["level"], m["kind"]) for m in got] == [(sid, lvl, "first")], got
    # WeChat: per level one template message to the person's openid and one WeCom
    # application message to their userid, nothing else
    assert not s.violations, s.violations
    assert len(s.sent) == 6, s.sent
    tpl = sorted((level_of(m["body"]["data"]["content"]["value"], sid), m["body"]["touser"])
                 for m in s.sent if m["api"] == "template")
    app = sorted((level_of(m["body"]["text"]["content"], sid), m["body"]["touser"])
                 for m in s.sent if m["api"] == "app")
    assert tpl == [(lvl, OPENID[aid]) for lvl, aid in PEOPLE.items()], s.sent
    assert app == [(lvl, aid) for lvl, aid in PEOPLE.items()], s.sent
    assert all(m["body"]["data"]["content"]["value"].endswith(LINK + sid)
               for m in s.sent if m["api"] == "template"), s.sent
    # SMS: one MT a level, to the person's phone
    texts = sms_texts(kannel.mt)
    assert sorted((level_of(t, sid), to.lstrip("+")) for to, t in texts) == \
        [(lvl, PHONE[aid].lstrip("+")) for lvl, aid in PEOPLE.items()], texts
    # email: one mail a level in the person's mailbox, an automatic notice of no thread
    for lvl, aid in PEOPLE.items():
        got = rig.mailbox(MAIL[aid])
        assert len(got) == 1, (aid, got)
        mail = email.message_from_bytes(got[0], policy=email.policy.default)
        assert level_of(str(mail["Subject"]), sid) == lvl, mail["Subject"]
        assert mail["Auto-Submitted"] == "auto-generated" and mail["In-Reply-To"] is None
        body = mail.get_body(("plain",)).get_content()
        assert body.strip().endswith(LINK + sid), body
    # the webhook: every POST signed; the level-1 alert refused once (503) and taken on the
    # outbox's retry, the same delivery; one taken alert a level, to the person's address;
    # the customer's notice once
    pushes = backend.pushes
    assert all(signed(p) for p in pushes), pushes
    bodies = [json.loads(p["body"]) for p in pushes]
    first = [(p["status"], p["headers"]["x-omniq-delivery"]) for p, b in zip(pushes, bodies)
             if b.get("to") == HOOK["olga"]]
    assert len(first) == 2 and [st for st, _ in first] == [503, 200] \
        and first[0][1] == first[1][1], first
    assert r.hget("%s:ob:d:%s" % (P, first[1][1]), "tries") == "2"
    taken = sorted((level_of(b["text"], sid), b["to"], b["type"], b["from"])
                   for p, b in zip(pushes, bodies) if p["status"] == 200 and b["type"] == "notice")
    assert taken == [(lvl, HOOK[aid], "notice", "omniq") for lvl, aid in PEOPLE.items()], bodies
    assert all(b["id"] == p["headers"]["x-omniq-delivery"]
               for p, b in zip(pushes, bodies) if b["type"] == "notice"), pushes
    told = [b for b in bodies if b["type"] == "message"]
    assert len(told) == 1 and (told[0]["session"], told[0]["text"]) == (sid, NOTICE), bodies
    assert len(pushes) == 5, bodies
