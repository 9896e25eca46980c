/** Shared vocabulary of every provider adapter: receipts, errors, and what an adapter is built from. */

/** One receipt per provider call (request metadata, response metadata, ids) — never secret values. */
export interface Receipt {
  id: string;
  provider: ProviderName;
  /** e.g. "serviceInstanceDeployV2" or "GET /repos/{owner}/{repo}/commits/{ref}" */
  operation: string;
  method: string;
  url: string;
  /** HTTP status of the last attempt, null when no response arrived (timeout, network). */
  status: number | null;
  attempts: number;
  durationMs: number;
  at: string;
  /** SHA-256 (hex) of the redacted request body, so audit can reference it without content. */
  requestHash: string;
  /** Ids the response named (deploymentId, serviceId, …). */
  responseIds?: Record<string, string>;
  error?: string;
}

export type ProviderName = "railway" | "cloudflare" | "twilio" | "stripe" | "sendgrid" | "github" | "app";

/**
 * A provider call that did not succeed. `retryable` says whether trying again later can help;
 * `ambiguous` says the write may have happened (timeout / 5xx after sending a non-idempotent write),
 * so the caller must look for its effect before sending again. `retryAfterMs` is the provider's hint.
 */
export class ProviderError extends Error {
  readonly code = "provider_error";
  constructor(
    message: string,
    readonly provider: ProviderName,
    readonly status: number | null,
    readonly retryable: boolean,
    readonly ambiguous: boolean = false,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

/**
 * A request the provider's budget held back (nothing was sent, or a 429 said the budget is spent): retry
 * after `waitMs` of wall time. Not a failure of the call: the caller waits, it does not count an attempt.
 */
export class RequestWithheld extends ProviderError {
  constructor(
    message: string,
    provider: ProviderName,
    readonly waitMs: number,
  ) {
    super(message, provider, null, true, false, waitMs);
    this.name = "RequestWithheld";
  }
}

/**
 * Asked around every request to one provider: whether it may be sent now (a request budget shared with
 * other callers), and what the answer said about that budget. `after` returns a hold when every caller must
 * now wait (a 429): the request is then not re-sent by the transport.
 */
export interface RequestGate {
  /** Throws RequestWithheld when the request must wait. */
  before(): Promise<void>;
  after(response: { status: number; headers: Headers }): Promise<{ waitMs: number; reason: string } | null>;
}

/** What every adapter is constructed with (built in src/wiring.ts). */
export interface ProviderContext {
  /** Real `fetch`, or the sandbox's in-process handler when SANDBOX=1. */
  fetch: typeof fetch;
  /** Called once per logical call with its receipt (after retries). */
  onReceipt?: (receipt: Receipt) => void;
  /** Scrubs known secret values out of anything recorded. */
  redact?: (text: string) => string;
  /** Injected for tests and the sandbox time scale; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Per-attempt timeout; default 10 s. */
  timeoutMs?: number;
  /** Total attempts for retryable failures; default 4. */
  maxAttempts?: number;
  /** Longest delay the adapter waits inline; a longer Retry-After surfaces as ProviderError.retryAfterMs. */
  maxInlineDelayMs?: number;
  /** The provider's request budget, asked before every attempt and told about every answer. */
  gate?: RequestGate;
}
