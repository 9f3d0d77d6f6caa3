// The types of omniq-client: the client (index.js), its operations (generated.d.ts) and the
// webhook verifier (webhook.js).
import type { Webhook } from "./generated.js";
import { Operations } from "./generated.js";

export * from "./generated.js";

/** omniq refused the request (docs/openapi.yaml, components/schemas/Error). */
export declare class OmniqError extends Error {
  constructor(status: number, code: string | null, message: string, retryAfter?: number | null);
  /** the HTTP status */
  readonly status: number;
  /** omniq's error code (not_found, wrong_state, ...); null when the answer was not omniq's */
  readonly code: string | null;
  /** omniq's message */
  readonly reason: string;
  /** Retry-After seconds of a 429 or 503, else null */
  readonly retryAfter: number | null;
}

export interface ClientOptions {
  /** seconds a call may take (default 10) */
  timeoutS?: number;
}

/** Calls omniq at baseUrl with the API key keyName:secret (modparam api_key). */
export declare class Client extends Operations {
  constructor(baseUrl: string, keyName: string, secret: string, options?: ClientOptions);
  readonly baseUrl: string;
  readonly timeoutS: number;
}

/** The delivery is not to be trusted; reason says why ("no X-Omniq-Signature-V2 header",
 * "malformed X-Omniq-Signature-V2 header", "signature mismatch", "timestamp outside the
 * tolerance", "body is not JSON"). */
export declare class WebhookError extends Error {
  constructor(reason: string);
  readonly reason: string;
}

/** Headers as a web framework hands them: fetch's Headers, a Map, or a plain object such as
 * Node's req.headers; names in any case. */
export type WebhookHeaders =
  | { get(name: string): string | null | undefined }
  | Map<string, string | string[] | undefined>
  | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** how far t may be from now, either way, in seconds (default 300) */
  toleranceS?: number;
  /** now in unix seconds (default: the clock) */
  now?: number;
}

/**
 * The delivery's JSON payload once its X-Omniq-Signature-V2 is right for secret and its time
 * within toleranceS of now; throws WebhookError otherwise. The payload is a channel's
 * Webhook (docs/openapi.yaml, webhooks) unless T says otherwise (the app push's).
 * @param secret the channel's secret (modparam channel's secret=), as it is written
 * @param body the request's raw body (a string is taken as its UTF-8)
 */
export declare function verifyWebhook<T = Webhook>(
  secret: string | Uint8Array,
  headers: WebhookHeaders,
  body: string | Uint8Array | ArrayBuffer,
  options?: VerifyOptions,
): T;
