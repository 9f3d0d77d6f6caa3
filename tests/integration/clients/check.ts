// Type-checked (tsc --noEmit --strict) by test_clients.py against the installed omniq-client,
// never run: what a TypeScript integrator writes compiles, and each @ts-expect-error line is
// a mistake the declarations must catch (tsc fails when one compiles).
import { Client, OmniqError, verifyWebhook, WebhookError } from "omniq-client";
import type { Ingested, Session, SessionsResponse } from "omniq-client";

const api = new Client("http://127.0.0.1:8080", "crm", "secret", { timeoutS: 5 });

export async function conversation(): Promise<string> {
  const a: Ingested = await api.postChannelMessages("line", { identity: "chan:line:U1", body: "Hi", cid: "c-1" });
  const opened: boolean | undefined = a.opened;
  const s: Session = await api.getSession(a.sid ?? "");
  const state: "queued" | "offered" | "active" | "wrapup" | "closed" | "abandoned" | "expired" | undefined =
    s.state;
  await api.postSessionAccept("12", { agent: "alice" });
  await api.postSessionMessages("12", { dir: "out", from: "alice", body: "Hello" });
  await api.postSessionMessages("12", { dir: "out", body: "from the integration" });
  const page = await api.getSessionMessages("12", { limit: 20 });
  const next: string | null = page.next;
  const dir: "in" | "out" | "sys" | "note" = page.messages[0].dir;
  const closed: "wrapup" | "closed" | undefined = (await api.postSessionClose("12")).result;
  await api.postSessionAbandon("12");
  const hist: SessionsResponse = await api.getCustomerHistory("chan:line:U1", { count: 10 });
  const first: string | undefined = hist.sessions?.[0]?.sid;
  const rows = (await api.getReports({ step: "1h", by: "queue" })).rows ?? [];
  const sl: string | undefined = rows[0]?.sl_pct;
  await api.putSla("gold", { first: 300, levels: "50,80,100" });
  const token: string | undefined = (await api.postDeskLogin({ agent: "alice", password: "12345678" })).token;
  // @ts-expect-error identity is required
  await api.postChannelMessages("line", { body: "Hi" });
  // @ts-expect-error no such direction
  await api.postSessionMessages("12", { dir: "sideways", from: "a", body: "b" });
  // @ts-expect-error priority is a number
  await api.postSessions({ channel: "web", identity: "web:v1", priority: "high" });
  // @ts-expect-error no field of that name
  await api.postSessionAccept("12", { agent: "alice", agnet: "typo" });
  // @ts-expect-error the session's id is needed
  await api.getSession();
  // @ts-expect-error a Session has no such field
  s.nope;
  return [opened, state, first, sl, token, next, dir, closed].join();
}

export function errors(e: unknown): string {
  if (e instanceof OmniqError) {
    const status: number = e.status;
    const code: string | null = e.code;
    return `${status} ${code} ${e.reason} ${e.retryAfter ?? ""}`;
  }
  if (e instanceof WebhookError) return e.reason;
  return "";
}

export function webhooks(raw: Uint8Array, headers: Record<string, string | string[] | undefined>): string {
  verifyWebhook(new Uint8Array([1, 2]), new Map([["x-omniq-signature-v2", "t=1,sha256=00"]]), "{}");
  verifyWebhook("secret", { get: (n: string) => (n ? null : null) }, new ArrayBuffer(2), { now: 1 });
  // @ts-expect-error the body is bytes or a string
  verifyWebhook("secret", headers, 42);
  // @ts-expect-error toleranceS is seconds, a number
  verifyWebhook("secret", headers, raw, { toleranceS: "5m" });
  const hook = verifyWebhook("secret", headers, raw, { toleranceS: 300 });
  const kind: "message" | "notice" | "lead" = hook.type;
  // @ts-expect-error a channel's webhook has no field of that name
  hook.nope;
  const push = verifyWebhook<{ user: string }>("secret", headers, raw);
  return `${kind} ${hook.sid ?? ""} ${hook.body ?? ""} ${hook.ts} ${push.user}`;
}
