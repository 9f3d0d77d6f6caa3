// The check of a webhook omniq sends (an integrator's channel, the app push; docs/admin-ws.md).
//
// omniq signs each POST with X-Omniq-Signature-V2: t=<unix seconds>,sha256=<hex>, where hex is
// the lowercase hex HMAC-SHA256 of "<t>." followed by the body, keyed with the channel's
// secret as its bytes. The time inside what is signed is what makes a replay detectable: a
// delivery recorded and sent again later is refused once t is more than toleranceS from now
// (omniq retries a delivery with a fresh t). The older X-Omniq-Signature (the body alone) is
// not looked at. Only lowercase hex is taken, as omniq writes it. Drop repeated
// X-Omniq-Delivery ids yourself: a retry within the tolerance verifies again.
import { createHmac, timingSafeEqual } from "node:crypto";

const HEADER = "X-Omniq-Signature-V2";

/** The delivery is not to be trusted; reason says why. */
export class WebhookError extends Error {
  constructor(reason) {
    super(reason);
    this.name = "WebhookError";
    this.reason = reason;
  }
}

/** The header's first value, its name in any case: a fetch Headers, a Map, a plain object
 * (Node's req.headers, whose values may be arrays). */
function header(headers, name) {
  const want = name.toLowerCase();
  if (headers && typeof headers.get === "function" && !(headers instanceof Map)) {
    return headers.get(want) ?? undefined;
  }
  const entries = headers instanceof Map ? headers.entries() : Object.entries(headers ?? {});
  for (const [k, v] of entries) {
    if (k.toLowerCase() === want) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

function bytes(body) {
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError("body: a string, Buffer, Uint8Array or ArrayBuffer of the raw request");
}

/** The delivery's JSON payload once its X-Omniq-Signature-V2 is right for secret and its
 * time within toleranceS seconds of now (unix seconds, default: the clock); throws
 * WebhookError otherwise. body is the request's raw bytes (a string is taken as its UTF-8). */
export function verifyWebhook(secret, headers, body, { toleranceS = 300, now } = {}) {
  const raw = bytes(body);
  const value = header(headers, HEADER);
  if (value === undefined) throw new WebhookError(`no ${HEADER} header`);
  const parts = {};
  for (const p of String(value).split(",")) {
    const i = p.indexOf("=");
    if (i > 0) parts[p.slice(0, i).trim()] = p.slice(i + 1);
  }
  const t = parts.t ?? "";
  const sig = parts.sha256 ?? "";
  if (!/^[0-9]+$/.test(t) || !sig) throw new WebhookError(`malformed ${HEADER} header`);
  const want = createHmac("sha256", typeof secret === "string" ? Buffer.from(secret, "utf8") : secret)
    .update(`${t}.`)
    .update(raw)
    .digest("hex");
  if (!/^[0-9a-f]{64}$/.test(sig) || !timingSafeEqual(Buffer.from(sig), Buffer.from(want))) {
    throw new WebhookError("signature mismatch");
  }
  if (Math.abs((now ?? Date.now() / 1000) - Number(t)) > toleranceS) {
    throw new WebhookError("timestamp outside the tolerance");
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch {
    throw new WebhookError("body is not JSON");
  }
}
