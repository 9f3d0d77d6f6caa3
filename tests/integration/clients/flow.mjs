// An integrator's service on omniq-client (run by test_clients.py from a project that has
// installed it): its line channel's webhook receiver and a conversation through the REST
// API. Prints what it saw as one JSON object; the test judges it.
// argv: base_url key_name key_secret hook_port hook_secret
import http from "node:http";
import { Client, OmniqError, WebhookError, verifyWebhook } from "omniq-client";

const [base, keyName, keySecret, hookPort, hookSecret] = process.argv.slice(2);
const hooks = [];

const srv = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const hit = { headers: req.headers, body: body.toString("base64") };
    let status = 200;
    try { // req.headers: a plain object, names in lowercase
      hit.payload = verifyWebhook(hookSecret, req.headers, body);
    } catch (e) {
      if (!(e instanceof WebhookError)) throw e;
      hit.refused = e.reason;
      status = 400;
    }
    hooks.push(hit);
    res.writeHead(status, { "Content-Length": "0" }).end();
  });
});
await new Promise((ok) => srv.listen(Number(hookPort), "127.0.0.1", ok));

async function errorOf(call) {
  try {
    return { returned: await call() };
  } catch (e) {
    if (!(e instanceof OmniqError)) throw e;
    return { status: e.status, code: e.code, message: e.reason };
  }
}

const api = new Client(base, keyName, keySecret, { timeoutS: 10 });
const out = {};
out.agent = await api.putAgent("alice", { name: "Alice", skills: "sales:5", caps: "voice=1,chat=4" });
out.state = await api.postAgentState("alice", { state: "available" });
out.password = await api.postAgentPassword("alice", { password: "correct horse 1" });
out.login = await api.postDeskLogin({ agent: "alice", password: "correct horse 1" });
out.agents = await api.getAgents({ count: 10 });
const hello = { identity: "chan:line:U1", body: "Hello from LINE", cid: "L-1", skills: "sales" };
out.opened = await api.postChannelMessages("line", hello);
out.again = await api.postChannelMessages("line", hello);
const sid = out.opened.sid;
out.read = await api.getSession(sid);
out.accept = await api.postSessionAccept(sid, { agent: "alice" });
out.reply = await api.postSessionMessages(sid, { dir: "out", from: "alice", body: "Hi, how can I help?" });
const end = Date.now() + 20000;
while (hooks.length === 0 && Date.now() < end) await new Promise((ok) => setTimeout(ok, 50));
out.hooks = [...hooks];
if (hooks.length && "payload" in hooks[0]) {
  // the real delivery, tampered with or replayed later: refused
  const h = hooks[0].headers;
  const body = Buffer.from(hooks[0].body, "base64");
  const t = Number(h["x-omniq-signature-v2"].split(",")[0].slice(2));
  const tries = {
    tampered: () => verifyWebhook(hookSecret, h, Buffer.concat([body, Buffer.from(" ")])),
    replayed: () => verifyWebhook(hookSecret, h, body, { now: t + 301 }),
  };
  for (const [name, f] of Object.entries(tries)) {
    try {
      f();
      out[name] = "accepted";
    } catch (e) {
      out[name] = e.reason;
    }
  }
}
out.close = await api.postSessionClose(sid, { disposition: "resolved" });
out.closed = await api.getSession(sid);
out.transcript = await api.getSessionMessages(sid, { limit: 1 });
out.transcript_rest = await api.getSessionMessages(sid, { after: out.transcript.next });
out.customer = await api.getCustomer("chan:line:U1");
out.history = await api.getCustomerHistory("chan:line:U1", { count: 10 });
out.unknown = await errorOf(() => api.getSession("987654321"));
try {
  await api.postSessionAccept(sid, { agnet: "alice" });
  out.typo = "sent";
} catch (e) {
  if (!(e instanceof TypeError)) throw e;
  out.typo = e.message;
}
out.wrong_key = await errorOf(() => new Client(base, keyName, "not-the-secret").getStats());
srv.close();
console.log(JSON.stringify(out));
