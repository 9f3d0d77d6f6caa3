"""Browser end-to-end: a customer in headless Chromium (playwright-core) chats through the
widget on omniq_ws's demo page; the agent side is played over the REST API. Screenshots are
kept under build/test-logs/integration/<test>/ as artifacts."""
import os
import subprocess

from harness import test, TOP
from test_ws import ws_kam

E2E = os.path.join(TOP, "tests", "e2e")


@test
def test_e2e_chat_widget_customer_sees_agent_reply(ctx):
    rs, k, api = ws_kam(ctx)
    port = int(api.base.rsplit(":", 1)[1])
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4")[0] == 0
    node = subprocess.Popen(["node", os.path.join(E2E, "chat_widget.js"), str(port), ctx.dir],
                            cwd=E2E, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        line = node.stdout.readline().strip()
        assert line.startswith("SESSION "), "browser: %s %s" % (line, node.stdout.read())
        sid = line.split()[1]
        assert k.rpc("omniq.agent_state", "alice", "available")[0] == 0
        st, e = api.call("POST", "/api/v1/sessions/%s/accept" % sid, {"agent": "alice"})
        assert st == 200, (st, e)
        reply = "Your parcel left the warehouse today."
        st, e = api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                         {"direction": "out", "from": "alice", "body": reply})
        assert st == 201, (st, e)
        node.stdin.write(reply + "\n")
        node.stdin.flush()
        line = node.stdout.readline().strip()
        assert line == "RELOADED 2", "browser: %s %s" % (line, node.stdout.read())
        assert node.wait(30) == 0
    finally:
        if node.poll() is None:
            node.kill()
            node.wait()
    for shot in ("chat-1-queued.png", "chat-2-reply.png", "chat-3-reloaded.png"):
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
