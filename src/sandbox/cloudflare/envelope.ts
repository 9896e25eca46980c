/** Cloudflare v4's HTTP envelope: success/error bodies, request parsing and paging (providers/cloudflare.md). */
import type { z } from "zod";
import { json } from "../http";
import type { World } from "../world/store";

/** One entry of `errors[]` / `messages[]`. */
export interface CfMessage {
  code: number;
  message: string;
  /** The underlying causes (DNS validation errors arrive as 1004 with the real reason here). */
  error_chain?: CfMessage[];
}

/** `result_info` of list endpoints. */
export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
  total_pages: number;
}

/** What a handler answers on success; the envelope is added by `renderReply`. */
export interface CfReply {
  status?: number;
  result: object | string | null;
  resultInfo?: ResultInfo;
  messages?: CfMessage[];
}

/** An expected refusal: thrown by handlers, rendered as the error envelope with this HTTP status. */
export class CfFailure extends Error {
  constructor(
    readonly status: number,
    readonly errors: CfMessage[],
  ) {
    super(errors.map((e) => e.message).join("; "));
    this.name = "CfFailure";
  }
}

/** Shorthand for a single-error failure. */
export function fail(status: number, code: number, message: string): CfFailure {
  return new CfFailure(status, [{ code, message }]);
}

/** The success envelope. */
export function renderReply(reply: CfReply): Response {
  return json(reply.status ?? 200, {
    success: true,
    errors: [],
    messages: reply.messages ?? [],
    result: reply.result,
    ...(reply.resultInfo ? { result_info: reply.resultInfo } : {}),
  });
}

/** The error envelope. */
export function renderFailure(failure: CfFailure): Response {
  return json(failure.status, { success: false, errors: failure.errors, messages: [], result: null });
}

/** The raw JSON body as an object; malformed JSON is Cloudflare's 6007. */
export function parseObjectBody(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw fail(400, 6007, "Malformed JSON in request body");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw fail(400, 6007, "Malformed JSON in request body");
  return parsed as Record<string, unknown>;
}

/** Validates a body; the load-balancing API reports field problems as code 1002 "…: validation failed". */
export function validated<T>(schema: z.ZodType<T>, body: Record<string, unknown>, code = 1002): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new CfFailure(
    400,
    parsed.error.issues.map((issue) => ({
      code,
      message: `${issue.path.map(String).join(".") || "body"}: ${issue.message}: validation failed`,
    })),
  );
}

/** A missing required field, in the same wording. */
export function required(fields: Record<string, unknown>, names: string[], code = 1002): void {
  const missing = names.filter((n) => fields[n] === undefined);
  if (missing.length > 0)
    throw new CfFailure(
      400,
      missing.map((n) => ({ code, message: `${n} is required: validation failed` })),
    );
}

/** One page of a list plus its result_info; `per_page` is clamped to the endpoint's range. */
export function paginate<T>(
  items: T[],
  query: URLSearchParams,
  range: { min: number; max: number; fallback: number },
): { page: T[]; info: ResultInfo } {
  const perPage = Math.min(
    Math.max(Number(query.get("per_page") ?? range.fallback) || range.fallback, range.min),
    range.max,
  );
  const page = Math.max(1, Math.floor(Number(query.get("page") ?? 1) || 1));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return {
    page: slice,
    info: {
      page,
      per_page: perPage,
      count: slice.length,
      total_count: items.length,
      total_pages: Math.max(1, Math.ceil(items.length / perPage)),
    },
  };
}

/** A list answered whole (pools, monitors, load balancers take no paging parameters). */
export function wholeList(items: object[]): CfReply {
  return {
    result: items,
    resultInfo: { page: 1, per_page: items.length, count: items.length, total_count: items.length, total_pages: 1 },
  };
}

/** What every Cloudflare handler receives; `account`/`zone` are resolved from the path before it runs. */
export interface CfContext {
  world: World;
  method: string;
  url: URL;
  /** The presented API token (only `GET /user/tokens/verify` looks at it). */
  token: string;
  /** The request body as a JSON object (throws the 6007 failure when it is not one). */
  body: () => Record<string, unknown>;
  /** The raw body and its type (multipart Workers uploads). */
  text: string;
  contentType: string | null;
  accountId: string;
  zoneId: string;
}
