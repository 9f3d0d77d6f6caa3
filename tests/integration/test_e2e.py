"""Browser end-to-end: a customer in headless Chromium (playwright-core) chats through the
widget on omniq_ws's demo page (or on another company's site, its own origin); the agent side
is played over the REST API or the desk page. Screenshots are kept under
build/test-logs/integration/<test>/ as artifacts."""
import os
import subprocess
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from harness import test, TOP, wait_for
from test_tenants import ACME
from test_ws import Api, Chat, ws_kam

E2E = os.path.join(TOP, "tests", "e2e")


def browser(script, *args):
    """A browser script of tests/e2e, speaking line by line with this driver."""
    return subprocess.Popen(["node", os.path.join(E2E, script)] + list(args), cwd=E2E,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def expect(node, prefix):
    """The browser script's next line, which must start with prefix; else the script is
    stopped (it may be waiting for us) and what it said is the failure."""
    line = node.stdout.readline().strip()
    if not line.startswith(prefix):
        node.kill()
        raise AssertionError("browser, wanted %r: %s %s" % (prefix, line, node.stdout.read()))
    return line


def tell(node, line):
    node.stdin.write(line + "\n")
    node.stdin.flush()


def stop(node):
    if node.poll() is None:
        node.kill()
        node.wait()


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


@test
def test_e2e_chat_widget_customer_sees_agent_reply(ctx):
    rs, k, api = ws_kam(ctx)
    port = int(api.base.rsplit(":", 1)[1])
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4")[0] == 0
    node = browser("chat_widget.js", str(port), ctx.dir)
    try:
        sid = expect(node, "SESSION ").split()[1]
        assert rs.client().hget("oq:{default}:s:%s" % sid, "state") == "queued"
        assert k.rpc("omniq.agent_state", "alice", "available")[0] == 0
        st, e = api.call("POST", "/api/v1/sessions/%s/accept" % sid, {"agent": "alice"})
        assert st == 200, (st, e)
        reply = "Your parcel left the warehouse today."
        st, e = api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                         {"direction": "out", "from": "alice", "body": reply})
        assert st == 201, (st, e)
        tell(node, reply)
        line = expect(node, "RELOADED ")
        assert line == "RELOADED 2", line
        # issue 20, point 10: the end is told; the next message is a new conversation
        assert api.call("POST", "/api/v1/sessions/%s/close" % sid, {"disposition": "resolved"})[0] == 200
        tell(node, "CLOSED")
        sid2 = expect(node, "SESSION2 ").split()[1]
        assert sid2 != sid
        r = rs.client()
        assert [f["body"] for _, f in r.xrange("oq:{default}:s:%s:tx" % sid2)] == ["One more question"]
        assert r.hget("oq:{default}:s:%s" % sid2, "customer") == r.hget("oq:{default}:s:%s" % sid, "customer")
        api.call("POST", "/api/v1/sessions/%s/accept" % sid2, {"agent": "alice"})
        assert api.call("POST", "/api/v1/sessions/%s/close" % sid2, {"disposition": "resolved"})[0] == 200
        tell(node, "CLOSED")
        assert expect(node, "ENDED ") == "ENDED 1"
        assert node.wait(30) == 0
    finally:
        stop(node)
    for shot in ("chat-1-queued.png", "chat-2-reply.png", "chat-3-reloaded.png", "chat-4-ended.png"):
        assert os.path.getsize(os.path.join(ctx.dir, shot)) > 1000, shot


@test
def test_e2e_chat_widget_sends_again_what_was_not_taken(ctx):
    """The widget keeps a customer's message until its ack: refused "unavailable" while Redis
    is at its maxmemory, it is sent again (shown as sending, not as failed) and delivered once
    Redis has room; one typed while the connection is down goes after the reconnect. Each is
    in the transcript once."""
    rs, k, api = ws_kam(ctx)
    port = int(api.base.rsplit(":", 1)[1])
    r = rs.client()
    node = browser("chat_resend.js", str(port), ctx.dir)
    try:
        sid = expect(node, "SESSION ").split()[1]
        ctx.expect_redis_full()
        r.config_set("maxmemory", "1")
        try:
            tell(node, "FULL")
            expect(node, "RETRYING")
        finally:
            r.config_set("maxmemory", "0")
        tell(node, "ROOM")
        assert expect(node, "SENT ") == "SENT 3"
        assert node.wait(30) == 0
    finally:
        stop(node)
    texts = [f["body"] for _, f in r.xrange("oq:{default}:s:%s:tx" % sid)]
    assert texts == ["Hello", "Are you there?", "Still waiting"], texts
    for shot in ("resend-1-pending.png", "resend-2-delivered.png"):
        assert os.path.getsize(os.path.join(ctx.dir, shot)) > 1000, shot


@test
def test_e2e_desk_agent_serves_widget_customer(ctx):
    rs, k, api = ws_kam(ctx)
    port = int(api.base.rsplit(":", 1)[1])
    for args in (("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4"),
                 ("omniq.agent_password", "alice", "desk-pass-123")):
        rc, out = k.rpc(*args)
        assert rc == 0 and not out.startswith("error"), out
    node = subprocess.run(["node", os.path.join(E2E, "desk_and_widget.js"), str(port), ctx.dir,
                           "alice", "desk-pass-123"], cwd=E2E, capture_output=True, text=True,
                          timeout=120)
    out = node.stdout.strip().splitlines()
    assert node.returncode == 0 and out and out[-1].startswith("DONE "), node.stdout + node.stderr
    sid = out[-1].split()[1]
    r = rs.client()
    s = r.hgetall("oq:{default}:s:%s" % sid)
    assert s["state"] == "closed" and s["agent"] == "alice", s
    assert s["disposition"] == "follow_up" and s["follow_up"] == "2027-03-01", s
    tx = [f for _, f in r.xrange("oq:{default}:s:%s:tx" % sid)]
    assert [(f["dir"], f["body"]) for f in tx] == [
        ("in", "Hi, my washing machine leaks"), ("in", "It is model WM-300"),
        ("out", "A technician can come tomorrow morning.")], tx
    for shot in ("desk-1-available.png", "desk-2-offer.png", "desk-3-conversation.png",
                 "desk-3-customer.png", "desk-3-customer-sees-typing.png", "desk-4-closed.png"):
        assert os.path.getsize(os.path.join(ctx.dir, shot)) > 1000, shot


@test
def test_e2e_desk_queue_view_alerts_reload_and_supervisor(ctx):
    """Issue 20 (point 7 and the desk): an offer announced; a declined chat waits in the
    queue view and is taken there; the desk restores its conversation after a reload and in
    a second tab without a login; a supervisor assigns a waiting chat to a colleague."""
    rs, k, api = ws_kam(ctx, {"OMNIQ_WRAPUP_TIME": "60"})
    port = int(api.base.rsplit(":", 1)[1])
    for args in (("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4"),
                 ("omniq.agent_password", "alice", "desk-pass-123"),
                 ("omniq.agent_set", "sue", "Sue", "lead:1", "voice=0,chat=0"),
                 ("omniq.agent_password", "sue", "desk-pass-123"),
                 ("omniq.agent_role", "sue", "supervisor"),
                 ("omniq.agent_set", "bob", "Bob", "fr:1", "voice=0,chat=2"),
                 ("omniq.agent_state", "bob", "available"),
                 ("omniq.canned_set", "refund", "Your refund is on its way: 3 working days.")):
        rc, out = k.rpc(*args)
        assert rc == 0 and not out.startswith("error"), (args, out)
    node = subprocess.run(["node", os.path.join(E2E, "desk_queue.js"), str(port), ctx.dir,
                           "alice", "sue", "desk-pass-123"], cwd=E2E, capture_output=True,
                          text=True, timeout=180)
    out = node.stdout.strip().splitlines()
    assert node.returncode == 0 and out and out[-1].startswith("DONE "), node.stdout + node.stderr
    sid1, sid2 = out[-1].split()[1:]
    r = rs.client()
    s1 = r.hgetall("oq:{default}:s:%s" % sid1)
    assert s1["state"] == "closed" and s1["agent"] == "alice", s1
    s2 = r.hgetall("oq:{default}:s:%s" % sid2)
    assert s2["state"] == "offered" and s2["agent"] == "bob", s2
    tx = [f["body"] for _, f in r.xrange("oq:{default}:s:%s:tx" % sid2)]
    assert "assigned to bob by sue from queue web" in tx, tx
    tx1 = [(f["dir"], f["body"]) for _, f in r.xrange("oq:{default}:s:%s:tx" % sid1)]
    assert ("out", "Your refund is on its way: 3 working days.") in tx1, tx1
    assert [d for d, b in tx1 if b.startswith("客户很着急")] == ["note"], tx1
    for shot in ("desk-5-queue.png", "desk-6-supervisor.png", "desk-7-saved-reply.png", "desk-8-note.png",
                 "desk-9-search.png"):
        assert os.path.getsize(os.path.join(ctx.dir, shot)) > 1000, shot


@test
def test_e2e_tenant_widget_serves_its_company_and_recovers_a_stale_visitor(ctx):
    """acme's site embeds the widget with data-tenant="acme": the chat is acme's session,
    answered by acme's agent; a visitor token the server no longer takes is replaced (the
    widget used to reconnect with it forever)."""
    rs, k, api = ws_kam(ctx)
    port = int(api.base.rsplit(":", 1)[1])
    acme = Api(port, key=ACME)
    st, a = acme.call("PUT", "/api/v1/agents/bob", {"name": "Bob", "skills": "billing:5",
                                                    "caps": "chat=4"})
    assert st == 200, (st, a)
    assert acme.call("POST", "/api/v1/agents/bob/state", {"state": "available"})[0] == 200
    # acme's own web site, on another origin, with the widget's script tag
    root = os.path.join(ctx.dir, "acme-site")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write('<!doctype html><html><head><meta charset="utf-8"><title>Acme</title></head>'
                '<body><h1>Acme Corp</h1><script src="http://127.0.0.1:%d/static/omniq-chat.js" '
                'data-tenant="acme" data-title="Acme support" data-ask-name="1"></script></body></html>' % port)
    site = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietFiles, directory=root))
    threading.Thread(target=site.serve_forever, daemon=True).start()
    # a customer known by that phone, with a session in their history
    st, o = acme.call("POST", "/api/v1/sessions", {"channel": "phone", "identity": "phone:+8613800138000"})
    assert st in (200, 201), o
    other = o["customer"]
    node = browser("tenant_widget.js", "http://127.0.0.1:%d/index.html" % site.server_port,
                   ctx.dir)
    r = rs.client()
    try:
        expect(node, "STALE ")
        sid = expect(node, "SESSION ").split()[1]
        s = r.hgetall("oq:{acme}:s:%s" % sid)
        assert s["channel"] == "web" and s["agent"] == "bob", s
        # the typed name and phone are claims on the session, never identities: the phone
        # of another customer (who has a history) opens none of it
        assert (s["claimed_name"], s["claimed_contact"]) == ("王小明 Ming", "+8613800138000"), s
        assert s["identity"].startswith("web:"), s
        assert r.hget("oq:{acme}:ident", "tel:+8613800138000") == other, "a claim became an identity"
        assert s["customer"] != other
        hist = acme.call("GET", "/api/v1/customers/%s/history" % s["customer"])[1]
        assert [h["sid"] for h in hist["sessions"]] == [sid], hist
        assert not r.exists("oq:{default}:s:%s" % sid), "acme's widget wrote to the default tenant"
        assert acme.call("POST", "/api/v1/sessions/%s/accept" % sid, {"agent": "bob"})[0] == 200
        reply = "Bob from Acme billing here."
        st, e = acme.call("POST", "/api/v1/sessions/%s/messages" % sid,
                          {"direction": "out", "from": "bob", "body": reply})
        assert st == 201, (st, e)
        tell(node, reply)
        expect(node, "DONE")
        assert node.wait(30) == 0
    finally:
        site.shutdown()
        site.server_close()
        stop(node)
    for shot in ("acme-1-session.png", "acme-2-reply.png"):
        assert os.path.getsize(os.path.join(ctx.dir, shot)) > 1000, shot


def desk_sms_session(ctx, k, api, script, number, skills, *rpcs):
    """The kamcmd commands rpcs, then the desk script driven by its agent (the second
    argument of the first command) with the password desk-pass-123: once it is READY an SMS
    session of number needing skills is opened and named to it; it must end DONE <sid>. The
    sid."""
    for args in rpcs:
        rc, out = k.rpc(*args)
        assert rc == 0 and not out.startswith("error"), (args, out)
    node = browser(script, str(int(api.base.rsplit(":", 1)[1])), ctx.dir, rpcs[0][1],
                   "desk-pass-123")
    try:
        expect(node, "READY")
        sid = k.rpc_struct("omniq.enqueue", "sms", "sms:" + number, skills, 0)["sid"]
        tell(node, "SID " + sid)
        assert expect(node, "DONE ").split()[1] == sid
    finally:
        stop(node)
    return sid


@test
def test_e2e_desk_shows_whether_an_sms_reply_was_sent(ctx):
    """Issue 21 (outbound delivery): the agent sees beside each reply on an SMS session
    whether the channel's provider took it, or why not, live and after a reload."""
    log = os.path.join(ctx.dir, "sent.log")
    rs, k, api = ws_kam(ctx, {"OMNIQ_SENDER_LOG": '"%s"' % log})
    desk_sms_session(ctx, k, api, "desk_delivery.js", "+8613800000042", "sales",
                     ("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4"),
                     ("omniq.agent_password", "alice", "desk-pass-123"))
    with open(log) as f:
        sent = [l.split("\t")[5].rstrip("\n") for l in f]
    assert sent == ["ok 您的包裹今天发出, tracking SF1234", "fail: a second number we do not have"]
    assert os.path.getsize(os.path.join(ctx.dir, "desk-10-delivery.png")) > 1000


@test
def test_e2e_desk_lists_a_service_level_alert_and_takes_it(ctx):
    """Issue 24: a session no agent can take waits past a level of its service-level
    policy; the queue owner's desk lists the alert (with a chime), and her "Take it" is kept
    in the session's alert history."""
    rs, k, api = ws_kam(ctx)
    sid = desk_sms_session(ctx, k, api, "desk_sla.js", "+8613800000043", "nobody",
                           ("omniq.agent_set", "olga", "Olga", "other:5", "voice=0,chat=4"),
                           ("omniq.agent_password", "olga", "desk-pass-123"),
                           ("omniq.agent_notify", "olga", "desk"),
                           ("omniq.queue_roles", "default", "olga", "-", "-"),
                           # level 1 at 1.8 s; levels 2 and 3 long after the test
                           ("omniq.sla_set", "std", "first", "60", "levels", "3,50,75"))
    rc, hist = k.rpc("omniq.sla", sid)
    assert "olga" in hist and "ack" in hist, hist
    roles = k.rpc_struct("omniq.queue_roles", "default")     # "-": nobody (kamcmd has no "")
    assert (roles["owner"], roles["supervisor"], roles["manager"]) == ("olga", "", ""), roles
    assert os.path.getsize(os.path.join(ctx.dir, "desk-12-sla-taken.png")) > 1000


@test
def test_e2e_desk_schedules_a_follow_up_and_records_its_outcome(ctx):
    """Issue 24: from the desk the agent schedules a follow-up of the open session's
    customer (in a week, with a reason); one that falls due comes back to her as an offer,
    is listed with its outcome buttons, and "Reached" ends it."""
    rs, k, api = ws_kam(ctx)
    r = rs.client()
    for args in (("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4"),
                 ("omniq.agent_password", "alice", "desk-pass-123")):
        rc, out = k.rpc(*args)
        assert rc == 0 and not out.startswith("error"), (args, out)
    node = browser("desk_followups.js", str(int(api.base.rsplit(":", 1)[1])), ctx.dir, "alice",
                   "desk-pass-123")
    try:
        expect(node, "READY")
        sid = k.rpc_struct("omniq.enqueue", "sms", "sms:+8613800000044", "sales", 0)["sid"]
        tell(node, "SID " + sid)
        expect(node, "SCHEDULED")
        t0 = time.time()
        rc, fid = k.rpc("omniq.followup_add", sid, "-", "s:+1", "callback promised")
        assert rc == 0 and not fid.startswith("error"), fid
        tell(node, "FID " + fid.strip())
        assert expect(node, "DONE ").split()[1] == sid
        # one past due whose queue is closed (a holiday): not opened, shown overdue
        import datetime
        today = datetime.date.today()
        rc, out = k.rpc("omniq.hours_set", "night", "UTC", "mon-sun 09:00-18:00",
                        "%s..%s closed" % (today - datetime.timedelta(days=1),
                                           today + datetime.timedelta(days=1)))
        assert rc == 0 and out.strip() == "ok", out
        past = str(int((time.time() - 600) * 1000))
        rc, out = k.rpc("omniq.followup_add", sid, "-", past, "call after the holiday")
        assert out.startswith("error") and "after 2000" in out, out     # kamcmd cut it short
        rc, late = k.rpc("omniq.followup_add", sid, "-", "s:" + past, "call after the holiday", "sms",
                         "alice", "night")
        assert rc == 0 and not late.startswith("error"), late
        tell(node, "LATE " + late.strip())
        expect(node, "OVERDUE")
        assert node.wait(30) == 0
    finally:
        stop(node)
    assert r.hget("oq:{default}:fu:%s" % late.strip(), "state") == "scheduled"
    mine = r.hgetall("oq:{default}:fu:1")
    assert mine["agent"] == "alice" and mine["state"] == "scheduled", mine
    assert mine["reason"] == "回访: check the repair held", mine
    assert abs(int(mine["due"]) / 1000 - (t0 + 604800)) < 120, mine
    done = r.hgetall("oq:{default}:fu:%s" % fid.strip())
    assert done["state"] == "done" and done["outcome"] == "reached", done
    assert os.path.getsize(os.path.join(ctx.dir, "desk-13-followups.png")) > 1000
    assert os.path.getsize(os.path.join(ctx.dir, "desk-14-followup-overdue.png")) > 1000


@test
def test_e2e_desk_serves_a_wechat_customer(ctx):
    """Issue 21: a WeChat customer's message (a safe-mode callback, signed and encrypted as
    WeChat does) reaches the agent's desk as an offer; the agent's reply reaches WeChat's API
    and shows Sent; after the 48-hour window the desk says why a reply was not sent and
    offers the customer's other ways."""
    from test_wechat import OA, agent, sessions_of, text_xml, wechat_kam
    rs, k, api, s, wx = wechat_kam(ctx)
    port = k.http_port
    agent(k, "alice", "wechat:5")
    rc, out = k.rpc("omniq.agent_password", "alice", "desk-pass-123")
    assert rc == 0 and not out.startswith("error"), out
    openid = "oCustomer001"
    ident = "wechat:%s:%s" % (OA["appid"], openid)
    node = browser("desk_wechat.js", str(port), ctx.dir, "alice", "desk-pass-123")
    try:
        expect(node, "READY")
        assert wx.post(OA, text_xml(OA, openid, "我的快递到哪了?", "8000001"), "safe") \
            == (200, "success")
        img = ("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d"
               "</CreateTime><MsgType>image</MsgType><PicUrl>http://mmbiz.qpic.cn/parcel.jpg</PicUrl>"
               "<MediaId>m1</MediaId><MsgId>8000002</MsgId></xml>" % (OA["gh"], openid, time.time()))
        assert wx.post(OA, img, "safe") == (200, "success")
        assert wx.post(OA, text_xml(OA, openid, "<b>not bold</b>", "8000003"), "safe") \
            == (200, "success")
        sid = sessions_of(rs.client(), "oq:{default}", ident)[0]
        # the same customer texted from a phone once
        st, _ = api.call("POST", "/api/v1/customers/link", {"a": ident, "b": "sms:+8613800000077"})
        assert st == 200, st
        tell(node, "SID " + sid)
        expect(node, "SENT")
        s.outside_window(OA["appid"], openid)
        tell(node, "GO")
        assert expect(node, "DONE ").split()[1] == sid
    finally:
        stop(node)
    assert [m["body"].get("text", {}).get("content") or m["body"]["msgtype"] for m in s.sent] \
        == ["您好, 快递明天到。", "image"], s.sent
    assert [u["bytes"] for u in s.uploads] == ["\xff\xd8\xff\xe0 a photo of the invoice".encode("latin1")]
    assert not s.violations, s.violations
    assert os.path.getsize(os.path.join(ctx.dir, "desk-11-wechat.png")) > 1000


@test
def test_e2e_desk_serves_an_sms_customer(ctx):
    """Issue 22: a phone's SMS, through Kannel (fakesmsc as the phone network), reaches the
    agent's desk as an offer; the desk counts the SMS a long reply takes as the agent types
    it, the reply reaches the phone in that many parts, and Kannel's delivery report shows
    Delivered beside it."""
    from kannel import join_parts
    from test_sms import kannel_kam, sms_sessions
    from test_wechat import agent
    rs, k, rig, url = kannel_kam(ctx)
    agent(k, "alice", "sales:5")
    rc, out = k.rpc("omniq.agent_password", "alice", "desk-pass-123")
    assert rc == 0 and not out.startswith("error"), out
    port = int(url.split(":")[2].split("/")[0])
    node = browser("desk_sms.js", str(port), ctx.dir, "alice", "desk-pass-123")
    try:
        expect(node, "READY")
        rig.mo("8613800138010", "10086", "我的快递到哪了?\n单号 SF1234")
        wait_for(lambda: sms_sessions(rs.client()), timeout=20, what="the SMS stored")
        sid = sms_sessions(rs.client())[0]
        tell(node, "SID " + sid)
        assert expect(node, "DONE ").split()[1] == sid
    finally:
        stop(node)
    parts = rig.wait_mt(2, timeout=20)
    assert len(parts) == 2 and join_parts(parts).startswith("您好，您的订单已发货"), parts
    assert os.path.getsize(os.path.join(ctx.dir, "desk-12-sms.png")) > 1000


@test
def test_e2e_a_waiting_visitor_asks_to_be_called_back(ctx):
    """The widget's call-back link in Chromium: shown only while the conversation waits; a
    bad number refused on the page; a good one makes the session a callback to that number
    (its place kept, the visitor's leaving no abandon) and is confirmed; a reload does not
    offer it again. Raw sockets: a callback before hello closes the socket, before any
    conversation is refused, and a number of the wrong length is refused."""
    rs, k, api = ws_kam(ctx)
    port = int(api.base.rsplit(":", 1)[1])
    r = rs.client()
    node = browser("chat_callback.js", str(port), ctx.dir)
    try:
        _, sid, shown = expect(node, "CALLBACK ").split()
        assert node.wait(30) == 0
    finally:
        stop(node)
    assert shown == "+8613900000001", shown
    s = r.hgetall("oq:{default}:s:" + sid)
    assert s["state"] == "queued" and s["callback_to"] == "tel:+8613900000001", s
    # the visitor is gone: the session keeps its place and is offered as a callback
    assert api.call("POST", "/api/v1/sessions/%s/abandon" % sid)[0] in (200, 409)
    assert r.hget("oq:{default}:s:" + sid, "state") == "queued"
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "chat=1")[0] == 0
    assert k.rpc("omniq.agent_state", "alice", "available")[0] == 0
    wait_for(lambda: r.hget("oq:{default}:s:" + sid, "state") == "offered", what="the offer")
    assert os.path.getsize(os.path.join(ctx.dir, "callback-1-confirmed.png")) > 1000
    # raw sockets
    c = Chat(port)
    c.send({"type": "callback", "phone": "+8613900000002"})
    assert c.close_code() == 1007
    c = Chat(port)
    c.send({"type": "hello"})
    c.recv("welcome")
    c.send({"type": "callback", "phone": "+8613900000002"})
    e = c.recv("error")
    assert e["code"] == "bad_state" and "write first" in e["message"], e
    c.send({"type": "message", "text": "hi", "cid": "c1"})
    c.recv("ack")
    for bad in ("+86 139", "+8613900000000000", 12345678, "+86 139 0000 0001 x"):
        c.send({"type": "callback", "phone": bad})
        e = c.recv("error")
        assert e["code"] == "bad_argument" and "country code" in e["message"], (bad, e)
    c.close()
