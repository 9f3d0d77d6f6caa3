// Runs verifyWebhook over the cases test_clients.py computed (with Python's hmac) and prints
// each one's outcome as JSON: {"payload": ...} or {"refused": reason}.
// argv: <the library's index.js> <cases.json>
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const { verifyWebhook, WebhookError } = await import(pathToFileURL(process.argv[2]).href);
const cases = JSON.parse(readFileSync(process.argv[3], "utf8"));

// the headers and body as a receiver may hold them
const headersAs = {
  object: (h) => h,
  lower: (h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v])),
  arrays: (h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, [v]])),
  map: (h) => new Map(Object.entries(h)),
  fetch: (h) => new Headers(h),
};
const bodyAs = {
  buffer: (b) => b,
  uint8array: (b) => new Uint8Array(b),
  string: (b) => b.toString("utf8"),
};

const out = {};
for (const c of cases) {
  const body = Buffer.from(c.body, "base64");
  try {
    const secret = c.secret_bytes ? Buffer.from(c.secret_bytes, "base64") : c.secret;
    out[c.name] = {
      payload: verifyWebhook(secret, headersAs[c.headers_as](c.headers), bodyAs[c.body_as](body),
        { toleranceS: c.tolerance, now: c.now }),
    };
  } catch (e) {
    if (!(e instanceof WebhookError)) throw e;
    out[c.name] = { refused: e.reason };
  }
}
console.log(JSON.stringify(out));
