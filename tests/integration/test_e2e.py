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
