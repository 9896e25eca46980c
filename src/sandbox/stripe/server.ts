/**
 * Stripe's webhook-endpoint API over the world (providers/stripe.md): Bearer or Basic auth with a
 * secret/restricted key whose mode scopes every object, form-encoded bodies with bracket notation,
 * list pagination, Idempotency-Key replay, and Stripe's `{"error": {...}}` body.
 */
import { json } from "../http";
import { recordToken } from "../tokens";
import { decodeStripeForm, type FormValue } from "./form";
import type { World } from "../world/store";
import {
  deleteEndpoint,
  getEndpoint,
  idempotentAnswer,
  insertEndpoint,
  listEndpoints,
  rememberAnswer,
  saveEndpoint,
  type StripeEndpoint,
} from "./store";

export const STRIPE_HOST = "api.stripe.com";
const COLLECTION = "/v1/webhook_endpoints";
const ITEM = /^\/v1\/webhook_endpoints\/([^/]+)$/;
const KEY = /^(sk|rk|pk)_(test|live)_[A-Za-z0-9_]{6,}$/;
const MAX_KEY_LENGTH = 255;

/** A status and JSON body, turned into a Response (with the headers Stripe sends) only at the end. */
interface Answer {
  status: number;
  body: unknown;
}

function answer(status: number, body: unknown): Answer {
  return { status, body };
}

function toResponse(reply: Answer, headers: Record<string, string> = {}): Response {
  return json(reply.status, reply.body, {
    "request-id": `req_${crypto.randomUUID().replace(/-/g, "").slice(0, 14)}`,
    ...headers,
  });
}

/** Stripe's error body. */
export function stripeError(
  status: number,
  type: string,
  message: string,
  extra: { code?: string; param?: string } = {},
): Answer {
  const docUrl = extra.code ? { doc_url: `https://stripe.com/docs/error-codes/${extra.code.replace(/_/g, "-")}` } : {};
  return answer(status, { error: { type, message, ...extra, ...docUrl } });
}

/** The key from `Authorization: Bearer <key>` or Basic `<key>:`, or null. */
function presentedKey(headers: Headers): string | null {
  const header = headers.get("authorization") ?? "";
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!basic) return null;
  try {
    return atob(basic[1]).split(":")[0] || null;
  } catch {
    return null;
  }
}

// Stripe shows only the last four characters of a rejected key.
const masked = (key: string) => `${key.slice(0, key.indexOf("_", 3) + 1)}${"*".repeat(4)}${key.slice(-4)}`;

type Form = Record<string, FormValue>;
const str = (v: Form[string] | undefined) => (typeof v === "string" ? v : undefined);
const list = (v: Form[string] | undefined) => (Array.isArray(v) ? v : typeof v === "string" ? [v] : undefined);
const map = (v: Form[string] | undefined) => (v && typeof v === "object" && !Array.isArray(v) ? v : undefined);

function badParam(param: string, message: string): Answer {
  return stripeError(400, "invalid_request_error", message, { code: "parameter_invalid", param });
}

function checkUrl(url: string | undefined): Answer | null {
  if (!url)
    return stripeError(400, "invalid_request_error", "Missing required param: url.", {
      code: "parameter_missing",
      param: "url",
    });
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    return badParam("url", "Invalid URL: URL must be publicly accessible and use http(s).");
  return null;
}

function create(world: World, livemode: boolean, form: Form): Answer {
  const url = str(form.url);
  const events = list(form.enabled_events);
  const bad = checkUrl(url);
  if (bad) return bad;
  if (!events?.length)
    return stripeError(400, "invalid_request_error", "Missing required param: enabled_events.", {
      code: "parameter_missing",
      param: "enabled_events",
    });
  const { endpoint, secret } = insertEndpoint(world, {
    url: url!,
    enabled_events: events,
    livemode,
    description: str(form.description) ?? null,
    metadata: map(form.metadata) ?? {},
    api_version: str(form.api_version) ?? null,
  });
  return answer(200, { ...endpoint, secret });
}

function update(world: World, endpoint: StripeEndpoint, form: Form): Answer {
  const url = str(form.url);
  if (url !== undefined) {
    const bad = checkUrl(url);
    if (bad) return bad;
  }
  const events = list(form.enabled_events);
  const next: StripeEndpoint = {
    ...endpoint,
    ...(url !== undefined ? { url } : {}),
    ...(events?.length ? { enabled_events: events } : {}),
    ...(str(form.description) !== undefined ? { description: str(form.description)! } : {}),
    ...(map(form.metadata) ? { metadata: { ...endpoint.metadata, ...map(form.metadata) } } : {}),
    ...(str(form.disabled) !== undefined ? { status: str(form.disabled) === "true" ? "disabled" : "enabled" } : {}),
  };
  saveEndpoint(world, next);
  return answer(200, next);
}

function listPage(world: World, livemode: boolean, url: URL): Answer {
  const q = url.searchParams;
  const limit = Number(q.get("limit") ?? 10);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    return badParam("limit", "Invalid integer: limit must be between 1 and 100.");
  let all = listEndpoints(world, livemode);
  const after = q.get("starting_after");
  const before = q.get("ending_before");
  if (after) {
    const at = all.findIndex((e) => e.id === after);
    if (at < 0)
      return stripeError(400, "invalid_request_error", `No such webhook endpoint: '${after}'`, {
        code: "resource_missing",
        param: "starting_after",
      });
    all = all.slice(at + 1);
  } else if (before) {
    const at = all.findIndex((e) => e.id === before);
    if (at < 0)
      return stripeError(400, "invalid_request_error", `No such webhook endpoint: '${before}'`, {
        code: "resource_missing",
        param: "ending_before",
      });
    all = all.slice(Math.max(0, at - limit), at);
  }
  return answer(200, { object: "list", data: all.slice(0, limit), has_more: all.length > limit, url: COLLECTION });
}

/** Answers one request once its key is known; POSTs go through the idempotency layer. */
function route(world: World, livemode: boolean, method: string, url: URL, form: Form): Answer {
  const item = ITEM.exec(url.pathname);
  if (url.pathname === COLLECTION) {
    if (method === "GET") return listPage(world, livemode, url);
    if (method === "POST") return create(world, livemode, form);
  } else if (item) {
    const id = decodeURIComponent(item[1]);
    const endpoint = getEndpoint(world, livemode, id);
    if (!endpoint)
      return stripeError(404, "invalid_request_error", `No such webhook endpoint: '${id}'`, {
        code: "resource_missing",
        param: "webhook_endpoint",
      });
    if (method === "GET") return answer(200, endpoint);
    if (method === "POST") return update(world, endpoint, form);
    if (method === "DELETE") {
      deleteEndpoint(world, id);
      return answer(200, { id, object: "webhook_endpoint", deleted: true });
    }
  } else {
    return stripeError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${url.pathname}).`);
  }
  return stripeError(405, "invalid_request_error", `Unrecognized request method (${method}: ${url.pathname}).`);
}

/** Answers one Stripe API request synchronously. */
export function handleStripe(world: World, request: Request, text: string): Response {
  const url = new URL(request.url);
  const key = presentedKey(request.headers);
  if (!key)
    return toResponse(
      stripeError(
        401,
        "invalid_request_error",
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth.",
      ),
    );
  const match = key.length <= MAX_KEY_LENGTH ? KEY.exec(key) : null;
  if (!match)
    return toResponse(
      stripeError(401, "invalid_request_error", `Invalid API Key provided: ${masked(key)}`, {
        code: "api_key_invalid",
      }),
    );
  if (match[1] === "pk")
    return toResponse(
      stripeError(
        401,
        "invalid_request_error",
        "This API call cannot be made with a publishable API key. Please use a secret API key.",
      ),
    );
  recordToken(world, "stripe", key);
  const livemode = match[2] === "live";
  const form = decodeStripeForm(text);
  const idempotencyKey = request.method === "POST" ? request.headers.get("idempotency-key") : null;
  if (!idempotencyKey) return toResponse(route(world, livemode, request.method, url, form));
  if (idempotencyKey.length > 255)
    return toResponse(badParam("Idempotency-Key", "Idempotency keys can be at most 255 characters long."));
  // Stripe compares the parameters of a replay with the first request's; a mismatch is an error, not a new object.
  const params = `${request.method} ${url.pathname}?${text}`;
  const earlier = idempotentAnswer(world, livemode, idempotencyKey);
  if (earlier) {
    if (earlier.params !== params) {
      return toResponse(
        stripeError(
          400,
          "idempotency_error",
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        ),
      );
    }
    return toResponse({ status: earlier.status, body: JSON.parse(earlier.body) }, { "idempotent-replayed": "true" });
  }
  const answer = route(world, livemode, request.method, url, form);
  // Validation failures are not saved (stripe.md): a corrected retry under the same key may still succeed.
  if (answer.status !== 400)
    rememberAnswer(world, livemode, idempotencyKey, params, answer.status, JSON.stringify(answer.body));
  return toResponse(answer);
}
