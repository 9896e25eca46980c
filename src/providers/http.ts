/**
 * The one way an adapter talks to a provider: per-attempt timeout, bounded full-jitter retries that
 * honour Retry-After, write-safety (a non-idempotent write is never re-sent after an ambiguous
 * failure), and exactly one redacted Receipt per logical call.
 */
import { z } from "zod";
import { fullJitterDelay } from "../domain/backoff";
import { errorText } from "../domain/errors";
import { sha256Hex } from "../domain/hash";
import {
  ProviderError,
  RequestWithheld,
  type ProviderContext,
  type ProviderName,
  type Receipt,
  type RequestGate,
} from "./types";

/**
 * `idempotent`: reads and upserts, safe to re-send after any failure.
 * `write`: creates; re-sent only after a 429 (the provider did not process it).
 */
export type RequestKind = "idempotent" | "write";

/** A final HTTP answer, body already read (reading it is part of the attempt's deadline). */
export interface ProviderResponse {
  status: number;
  headers: Headers;
  text: string;
}

export interface ProviderRequest<T> {
  /** Receipt operation, e.g. "ServiceInstanceDeployV2" or "GET /repos/{owner}/{repo}/commits/{ref}". */
  operation: string;
  kind: RequestKind;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Turns a 2xx response into the adapter's value; throws ProviderError for provider-level failures. */
  read: (response: ProviderResponse) => T;
  /** Ids the value names (deploymentId, serviceId, …), copied onto the receipt. */
  responseIds?: (value: T) => Record<string, string> | undefined;
}

export interface TransportOptions {
  timeoutMs: number;
  maxAttempts: number;
  maxInlineDelayMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  redact: (text: string) => string;
  gate?: RequestGate;
}

const DEFAULTS = { timeoutMs: 10_000, maxAttempts: 4, maxInlineDelayMs: 5_000, baseDelayMs: 250, maxDelayMs: 4_000 };

/** Validates the context's transport settings eagerly, so a bad config fails when an adapter is built. */
export function resolveTransportOptions(ctx: ProviderContext): TransportOptions {
  const timeoutMs = ctx.timeoutMs ?? DEFAULTS.timeoutMs;
  const maxAttempts = ctx.maxAttempts ?? DEFAULTS.maxAttempts;
  const maxInlineDelayMs = ctx.maxInlineDelayMs ?? DEFAULTS.maxInlineDelayMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new Error("provider timeoutMs must be > 0");
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new Error("provider maxAttempts must be an integer >= 1");
  if (!Number.isFinite(maxInlineDelayMs) || maxInlineDelayMs < 0)
    throw new Error("provider maxInlineDelayMs must be >= 0");
  return {
    ...DEFAULTS,
    timeoutMs,
    maxAttempts,
    maxInlineDelayMs,
    sleep: ctx.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    redact: ctx.redact ?? ((text) => text),
    gate: ctx.gate,
  };
}

/** Retry-After as milliseconds (delay-seconds or HTTP-date), undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.ceil(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Sends one logical provider call and reports exactly one receipt for it, success or failure. */
export async function providerRequest<T>(
  ctx: ProviderContext,
  provider: ProviderName,
  req: ProviderRequest<T>,
): Promise<T> {
  const options = resolveTransportOptions(ctx);
  // Withheld before anything is sent: no request, so no receipt either.
  await options.gate?.before();
  const startedAt = Date.now();
  const trace: Trace = { attempts: 0, status: null };
  let outcome: { ok: true; value: T; responseIds?: Record<string, string> } | { ok: false; error: ProviderError };
  try {
    // Passed as a bare function: workerd's fetch throws "Illegal invocation" when called as `ctx.fetch(...)`.
    const response = await sendWithRetries(ctx.fetch, provider, req, options, trace);
    const value = readValue(provider, req, response);
    outcome = { ok: true, value, responseIds: req.responseIds?.(value) };
  } catch (err) {
    outcome = { ok: false, error: reportedError(err, provider, req.operation, trace.status, options.redact) };
  }
  const receipt: Receipt = {
    id: crypto.randomUUID(),
    provider,
    operation: req.operation,
    method: req.method,
    url: options.redact(req.url),
    status: trace.status,
    attempts: trace.attempts,
    durationMs: Date.now() - startedAt,
    at: new Date(startedAt).toISOString(),
    requestHash: await sha256Hex(options.redact(req.body ?? "")),
  };
  if (!outcome.ok) receipt.error = outcome.error.message;
  else if (outcome.responseIds) receipt.responseIds = outcome.responseIds;
  ctx.onReceipt?.(receipt);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** Parses a JSON body against a (minimal) zod schema; provider JSON is never trusted blindly. */
export function parseJsonBody<O>(provider: ProviderName, response: ProviderResponse, schema: z.ZodType<O>): O {
  let json: unknown;
  try {
    json = JSON.parse(response.text);
  } catch {
    throw new ProviderError("response is not JSON", provider, response.status, false);
  }
  return checkShape(provider, response.status, json, schema);
}

/** Checks an already-parsed provider value; a mismatch is a non-retryable ProviderError. */
export function checkShape<O>(provider: ProviderName, status: number, value: unknown, schema: z.ZodType<O>): O {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ProviderError(`unexpected response shape: ${z.prettifyError(parsed.error)}`, provider, status, false);
  }
  return parsed.data;
}

interface Trace {
  attempts: number;
  status: number | null;
}

type AttemptResult =
  | { kind: "response"; response: ProviderResponse }
  | { kind: "timeout" | "network"; message: string };

/** Why an attempt deserves another try; `safeForWrites` when the provider certainly did not act on it. */
interface RetryReason {
  message: string;
  retryAfterMs?: number;
  safeForWrites: boolean;
}

async function sendWithRetries<T>(
  send: typeof fetch,
  provider: ProviderName,
  req: ProviderRequest<T>,
  o: TransportOptions,
  trace: Trace,
): Promise<ProviderResponse> {
  for (let attempt = 1; ; attempt++) {
    trace.attempts = attempt;
    if (attempt > 1) await o.gate?.before();
    const result = await sendOnce(send, req, o.timeoutMs);
    trace.status = result.kind === "response" ? result.response.status : null;
    // The budget hears of every answer; a spent budget (429) holds every caller, so nothing is re-sent here.
    const hold = result.kind === "response" && o.gate ? await o.gate.after(result.response) : null;
    if (hold) throw new RequestWithheld(hold.reason, provider, hold.waitMs);
    if (result.kind === "response" && !isRetryableStatus(result.response.status)) return result.response;
    const reason = retryReason(result);
    const fail = (message: string, ambiguous: boolean, retryAfterMs = reason.retryAfterMs) =>
      new ProviderError(message, provider, trace.status, true, ambiguous, retryAfterMs);
    if (req.kind === "write" && !reason.safeForWrites)
      throw fail(`${reason.message}; the write may have been applied`, true);
    if (attempt >= o.maxAttempts) throw fail(`${reason.message} after ${attempt} attempts`, false);
    const delay = reason.retryAfterMs ?? fullJitterDelay(attempt, o.baseDelayMs, o.maxDelayMs);
    // A long wait must not pin a Durable Object or a request: hand it back so an alarm can retry later.
    if (delay > o.maxInlineDelayMs) throw fail(`${reason.message}; retry after ${delay} ms`, false, delay);
    await o.sleep(delay);
  }
}

async function sendOnce<T>(send: typeof fetch, req: ProviderRequest<T>, timeoutMs: number): Promise<AttemptResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await send(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: controller.signal,
    });
    return { kind: "response", response: { status: res.status, headers: res.headers, text: await res.text() } };
  } catch (err) {
    if (controller.signal.aborted) return { kind: "timeout", message: `timed out after ${timeoutMs} ms` };
    return { kind: "network", message: `network error: ${errorText(err)}` };
  } finally {
    clearTimeout(timer);
  }
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

function retryReason(result: AttemptResult): RetryReason {
  if (result.kind !== "response") return { message: result.message, safeForWrites: false };
  const { status, headers } = result.response;
  // 429 means "not processed", so even a non-idempotent write may be re-sent; a 5xx may have applied it.
  return {
    message: `HTTP ${status}`,
    retryAfterMs: parseRetryAfter(headers.get("Retry-After")),
    safeForWrites: status === 429,
  };
}

function readValue<T>(provider: ProviderName, req: ProviderRequest<T>, response: ProviderResponse): T {
  if (response.status < 200 || response.status > 299) {
    throw new ProviderError(
      `HTTP ${response.status}: ${providerMessage(response.text)}`,
      provider,
      response.status,
      false,
    );
  }
  return req.read(response);
}

const ErrorBody = z.object({
  message: z.string().optional(),
  errors: z.array(z.object({ message: z.string() })).optional(),
  error: z.union([z.string(), z.object({ message: z.string() })]).optional(),
});

/** The provider's own words for a failed call (GitHub/Twilio `message`, GraphQL/Cloudflare `errors[]`, Stripe `error`). */
function providerMessage(text: string): string {
  let parsed: z.infer<typeof ErrorBody> | undefined;
  try {
    parsed = ErrorBody.safeParse(JSON.parse(text)).data;
  } catch {
    parsed = undefined;
  }
  const error = parsed?.error;
  const message =
    parsed?.errors?.map((e) => e.message).join("; ") ||
    parsed?.message ||
    (typeof error === "string" ? error : error?.message);
  return (message || text || "no body").slice(0, 300);
}

/** Every error leaving the layer is a ProviderError named after its operation, with secrets scrubbed. */
function reportedError(
  err: unknown,
  provider: ProviderName,
  operation: string,
  status: number | null,
  redact: (text: string) => string,
): ProviderError {
  if (err instanceof RequestWithheld) return err;
  if (err instanceof ProviderError) {
    return new ProviderError(
      redact(`${operation}: ${err.message}`),
      err.provider,
      err.status,
      err.retryable,
      err.ambiguous,
      err.retryAfterMs,
    );
  }
  return new ProviderError(redact(`${operation}: unexpected response: ${errorText(err)}`), provider, status, false);
}
