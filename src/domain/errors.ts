/** A domain error with a stable code; routes map it to the API error body. */
export class AppError extends Error {
  constructor(
    readonly code:
      | "invalid_request"
      | "not_found"
      | "unauthorized"
      | "forbidden"
      | "conflict"
      | "payload_too_large"
      | "rate_limited"
      | "internal",
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "AppError";
  }

  /** HTTP status for this error's code. */
  get status(): 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 {
    return (
      {
        invalid_request: 400,
        unauthorized: 401,
        forbidden: 403,
        not_found: 404,
        conflict: 409,
        payload_too_large: 413,
        rate_limited: 429,
        internal: 500,
      } as const
    )[this.code];
  }
}

/** Expected failures crossing DO RPC travel as data, because stacks and causes don't. */
export type RpcResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: AppError["code"]; message: string; details?: unknown };

/** Rebuilds an AppError from an RPC failure, or returns the value. */
export function unwrap<T>(result: RpcResult<T>): T {
  if (result.ok) return result.value;
  throw new AppError(result.code, result.message, result.details);
}

/** The message of an unknown thrown value. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
