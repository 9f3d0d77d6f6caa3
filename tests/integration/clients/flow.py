"""An integrator's service on omniq_client (run by test_clients.py with the venv's python):
its line channel's webhook receiver and a conversation through the REST API. Prints what it
saw as one JSON object; the test judges it.  argv: base_url key_name key_secret hook_port
hook_secret"""
import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from omniq_client import Client, OmniqError, WebhookError, verify_webhook

base, key_name, key_secret, hook_port, hook_secret = sys.argv[1:6]
hooks = []


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        hit = {"headers": dict(self.headers.items()), "body": base64.b64encode(body).decode()}
        try:   # self.headers: an http.client.HTTPMessage, names as omniq wrote them
            hit["payload"] = verify_webhook(hook_secret, self.headers, body)
            status = 200
        except WebhookError as e:
            hit["refused"], status = e.reason, 400
        hooks.append(hit)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def error_of(call):
    try:
        return {"returned": call()}
    except OmniqError as e:
        return {"status": e.status, "code": e.code, "message": e.message}


srv = ThreadingHTTPServer(("127.0.0.1", int(hook_port)), Hook)
threading.Thread(target=srv.serve_forever, daemon=True).start()
api = Client(base, key_name, key_secret, timeout=10)
out = {}
out["agent"] = api.put_agent("alice", name="Alice", skills="sales:5", caps="voice=1,chat=4")
out["state"] = api.post_agent_state("alice", state="available")
out["password"] = api.post_agent_password("alice", password="correct horse 1")
out["login"] = api.post_desk_login(agent="alice", password="correct horse 1")
out["agents"] = api.get_agents(count=10)
out["opened"] = api.post_channel_messages("line", identity="chan:line:U1", body="Hello from LINE",
                                          cid="L-1", skills="sales")
out["again"] = api.post_channel_messages("line", identity="chan:line:U1", body="Hello from LINE",
                                         cid="L-1", skills="sales")
sid = out["opened"]["sid"]
out["read"] = api.get_session(sid)
out["accept"] = api.post_session_accept(sid, agent="alice")
out["reply"] = api.post_session_messages(sid, dir="out", from_="alice", body="Hi, how can I help?")
end = time.time() + 20
while not hooks and time.time() < end:
    time.sleep(0.05)
out["hooks"] = list(hooks)
if hooks and "payload" in hooks[0]:
    # the real delivery, tampered with or replayed later: refused
    h, body = hooks[0]["headers"], base64.b64decode(hooks[0]["body"])
    v2 = [v for k, v in h.items() if k.lower() == "x-omniq-signature-v2"][0]
    t = int(v2.split(",")[0][2:])
    for name, args in (("tampered", (body + b" ",)), ("replayed", (body, 300, t + 301))):
        try:
            verify_webhook(hook_secret, h, *args)
            out[name] = "accepted"
        except WebhookError as e:
            out[name] = e.reason
out["close"] = api.post_session_close(sid, disposition="resolved")
out["closed"] = api.get_session(sid)
out["transcript"] = api.get_session_messages(sid, limit=1)
out["transcript_rest"] = api.get_session_messages(sid, after=out["transcript"]["next"])
out["customer"] = api.get_customer("chan:line:U1")
out["history"] = api.get_customer_history("chan:line:U1", count=10)
out["unknown"] = error_of(lambda: api.get_session("987654321"))
try:
    api.post_session_accept(sid, agnet="alice")
    out["typo"] = "sent"
except TypeError as e:
    out["typo"] = str(e)
out["wrong_key"] = error_of(lambda: Client(base, key_name, "not-the-secret").get_stats())
srv.shutdown()
print(json.dumps(out))
