// A small client of omniq's REST API (docs/openapi.yaml), and the webhook verifier.
// One method per operation, generated from the OpenAPI (generated.js: `make clients`);
// this file is the one HTTP call they all make, with Node's own fetch (Node >= 18).
import { Operations } from "./generated.js";

export { verifyWebhook, WebhookError } from "./webhook.js";

/** omniq refused the request: the HTTP status and omniq's error code and message
 * ({"error": {"code", "message"}}); code is null when the answer was not omniq's (a
 * proxy's page, say), retryAfter the Retry-After seconds of a 429 or 503. */
export class OmniqError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(`HTTP ${status} ${code}: ${message}`);
    this.name = "OmniqError";
    this.status = status;
    this.code = code;
    this.reason = message;
    this.retryAfter = retryAfter;
  }
}

export class Client extends Operations {
  /** Calls omniq at baseUrl with the API key keyName:secret (modparam api_key); a call
   * resolves to the answer's JSON or rejects with OmniqError, or with fetch's own error
   * (a TypeError; a TimeoutError after timeoutS seconds) when omniq cannot be reached. */
  constructor(baseUrl, keyName, secret, { timeoutS = 10 } = {}) {
    super();
    this.baseUrl = String(baseUrl).replace(/\/+$/, "");
    this.timeoutS = timeoutS;
    Object.defineProperty(this, "auth", { value: `Bearer ${keyName}:${secret}`, enumerable: false });
  }

  async _request(method, path, query, body, auth = true) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined && v !== null) q.append(k, String(v));
    }
    const qs = q.toString();
    const headers = { Accept: "application/json" };
    if (body !== null) headers["Content-Type"] = "application/json";
    if (auth) headers.Authorization = this.auth;
    const res = await fetch(this.baseUrl + path + (qs ? `?${qs}` : ""), {
      method,
      headers,
      body: body === null ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutS * 1000),
    });
    const text = await res.text();
    if (!res.ok) throw error(res, text);
    return text ? JSON.parse(text) : null;
  }
}

function error(res, text) {
  const ra = res.headers.get("retry-after");
  const retryAfter = ra && /^\d+$/.test(ra) ? Number(ra) : null;
  try {
    const e = JSON.parse(text).error;
    if (typeof e.code === "string" && typeof e.message === "string") {
      return new OmniqError(res.status, e.code, e.message, retryAfter);
    }
  } catch {
    // not omniq's answer
  }
  return new OmniqError(res.status, null, text.slice(0, 200) || "no body", retryAfter);
}
