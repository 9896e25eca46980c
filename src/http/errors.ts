import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { AppError } from "../domain/errors";
import { KeyringError } from "../security/keyring";
import { SecretBoxError } from "../security/secrets";

/** The API error body: `{error:{code, message, details}}`. */
export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

/** Maps any thrown value to the error body; stacks never reach clients. */
export function handleError(err: unknown, c: Context): Response {
  if (err instanceof AppError) {
    const retryAfter = (err.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (err.code === "rate_limited" && typeof retryAfter === "number") c.header("Retry-After", String(retryAfter));
    return c.json(errorBody(err.code, err.message, err.details), err.status as ContentfulStatusCode);
  }
  if (err instanceof HTTPException) {
    const code =
      err.status === 413
        ? "payload_too_large"
        : err.status === 401
          ? "unauthorized"
          : err.status === 404
            ? "not_found"
            : "invalid_request";
    return c.json(errorBody(code, err.message || code), err.status as ContentfulStatusCode);
  }
  // A missing or malformed key: the message names the variable and the fix, never key material.
  if (err instanceof KeyringError) return c.json(errorBody("not_configured", err.message), 503);
  if (err instanceof SecretBoxError) console.error("secret box failure", err.reason);
  else console.error("unhandled error", err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  return c.json(errorBody("internal", "something went wrong on our side; the request may be retried"), 500);
}

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON body and validates it: 413 past 64 KiB, 400 for bytes that are not UTF-8 (decoding them
 * leniently would store U+FFFD where the sender meant something else), malformed JSON or schema failures.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const bytes = await c.req.arrayBuffer();
  if (bytes.byteLength > MAX_BODY_BYTES)
    throw new AppError("payload_too_large", `bodies are limited to ${MAX_BODY_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new AppError("invalid_request", "the body is not valid UTF-8");
  }
  let raw: unknown;
  try {
    raw = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw new AppError("invalid_request", "the body is not valid JSON");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new AppError("invalid_request", "the body does not match the expected shape", parsed.error.issues);
  return parsed.data;
}

/** Validates query parameters. */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw new AppError("invalid_request", "invalid query parameters", parsed.error.issues);
  return parsed.data;
}
