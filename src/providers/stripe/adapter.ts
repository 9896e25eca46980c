/** The Stripe adapter: StripeApi over `/v1/webhook_endpoints` (providers/stripe.md), form-encoded, Bearer key. */
import { z } from "zod";
import { parseJsonBody, providerRequest, resolveTransportOptions, type RequestKind } from "../http";
import { ProviderError, type ProviderContext } from "../types";
import type { StripeApi, StripeWebhookEndpoint, StripeWebhookEndpointInput } from "./api";
import { classifyStripeKey } from "./keys";

export const STRIPE_API_BASE = "https://api.stripe.com";
export const STRIPE_ENDPOINTS_PATH = "/v1/webhook_endpoints";
export const STRIPE_ENDPOINT_PATH = "/v1/webhook_endpoints/{webhook_endpoint}";
/** Tags endpoints the control plane created, so people reading the Dashboard can tell them apart. */
export const STRIPE_MANAGED_METADATA = { managed_by: "infra-chat" } as const;

export interface StripeApiOptions {
  /** `sk_…` or `rk_…` (test or live; which one an environment may use is stripeKeyRefusal's decision). */
  secretKey: string;
  /** Sent as `Stripe-Version`; the account default applies when absent. */
  apiVersion?: string;
  apiBase?: string;
}

/** One form field: scalars as is, arrays as `name[]=…` per item, maps as `name[key]=…` (stripe.md). */
export type StripeFormValue = string | number | boolean | string[] | Record<string, string>;

const Endpoint = z.object({
  id: z.string().min(1),
  url: z.string(),
  enabled_events: z.array(z.string()),
  status: z.string(),
  livemode: z.boolean(),
  description: z.string().nullish(),
  secret: z.string().optional(),
});
type Endpoint = z.infer<typeof Endpoint>;
const EndpointList = z.object({ object: z.literal("list"), data: z.array(Endpoint), has_more: z.boolean() });
const Deleted = z.object({ id: z.string(), deleted: z.literal(true) });

const StripeErrorBody = z.object({
  error: z.object({ type: z.string(), code: z.string().optional(), param: z.string().optional() }),
});
type StripeErrorBody = z.infer<typeof StripeErrorBody>["error"];

const PAGE_SIZE = 100;
// Stripe caps endpoints per account far below this; the bound only stops a misbehaving cursor from looping.
const MAX_PAGES = 10;
// Stripe ids are `we_` + alphanumerics; refusing anything else keeps "..", "/" or "?" out of the URL path.
const ENDPOINT_ID = /^[A-Za-z0-9_]{1,255}$/;

/** Stripe's form encoding: URL-encoded pairs with literal brackets, as stripe-node sends them (easier to read in receipts). */
export function encodeStripeForm(params: Record<string, StripeFormValue | undefined>): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) form.append(`${name}[]`, item);
    else if (typeof value === "object")
      for (const [key, item] of Object.entries(value)) form.append(`${name}[${key}]`, item);
    else form.append(name, String(value));
  }
  return form.toString().replace(/%5B/g, "[").replace(/%5D/g, "]");
}

/**
 * The Idempotency-Key of a webhook-endpoint create: a hash of everything sent plus the caller's seed, so a
 * re-send of the same create (an http.ts retry, a Durable Object replaying its step) reuses it, while a
 * create with different parameters gets its own key instead of Stripe's `idempotency_error`.
 */
export async function stripeWebhookIdempotencyKey(input: StripeWebhookEndpointInput): Promise<string> {
  const canonical = JSON.stringify([
    input.url,
    canonicalEvents(input.enabledEvents),
    input.description,
    input.idempotencySeed ?? "",
  ]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical)));
  return `infra-chat-we-${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Builds the Stripe adapter; every method is one or a few REST calls through providerRequest. */
export function createStripeApi(ctx: ProviderContext, opts: StripeApiOptions): StripeApi {
  const keyClass = classifyStripeKey(opts.secretKey);
  if (keyClass.kind !== "secret" && keyClass.kind !== "restricted")
    throw new Error("Stripe secretKey must be an sk_… or rk_… key");
  resolveTransportOptions(ctx);
  const apiBase = (opts.apiBase ?? STRIPE_API_BASE).replace(/\/+$/, "");
  const auth = {
    Authorization: `Bearer ${opts.secretKey}`,
    Accept: "application/json",
    ...(opts.apiVersion ? { "Stripe-Version": opts.apiVersion } : {}),
  };

  async function call<T>(
    method: "GET" | "POST" | "DELETE",
    template: string,
    c: {
      id?: string;
      kind: RequestKind;
      query?: Record<string, string>;
      form?: string;
      idempotencyKey?: string;
      schema: z.ZodType<T>;
      endpointId?: (value: T) => string;
    },
  ): Promise<T> {
    const path = template.replace("{webhook_endpoint}", () => {
      if (!c.id || !ENDPOINT_ID.test(c.id)) throw new Error(`invalid Stripe webhook endpoint id: ${c.id}`);
      return c.id;
    });
    const query = new URLSearchParams(c.query).toString();
    const headers: Record<string, string> = { ...auth };
    if (c.form !== undefined) headers["Content-Type"] = "application/x-www-form-urlencoded";
    if (c.idempotencyKey) headers["Idempotency-Key"] = c.idempotencyKey;
    const errors = withStripeErrors(ctx);
    try {
      return await providerRequest(errors.ctx, "stripe", {
        operation: `${method} ${template}`,
        kind: c.kind,
        method,
        url: `${apiBase}${path}${query ? `?${query}` : ""}`,
        headers,
        body: c.form,
        read: (response) => parseJsonBody("stripe", response, c.schema),
        responseIds: (value) => {
          const id = c.id ?? c.endpointId?.(value);
          return id ? { webhookEndpointId: id } : undefined;
        },
      });
    } catch (err) {
      throw errors.annotate(err);
    }
  }

  async function listAll(): Promise<Endpoint[]> {
    const all: Endpoint[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const query: Record<string, string> = { limit: String(PAGE_SIZE) };
      if (all.length) query.starting_after = all[all.length - 1].id;
      const list = await call("GET", STRIPE_ENDPOINTS_PATH, { kind: "idempotent", query, schema: EndpointList });
      all.push(...list.data);
      if (!list.has_more || !list.data.length) return all;
    }
    throw new ProviderError(
      `more than ${MAX_PAGES * PAGE_SIZE} webhook endpoints; refusing to guess which is ours`,
      "stripe",
      200,
      false,
    );
  }

  return {
    async verify() {
      const list = await call("GET", STRIPE_ENDPOINTS_PATH, {
        kind: "idempotent",
        query: { limit: "1" },
        schema: EndpointList,
      });
      return { livemode: list.data[0]?.livemode ?? keyClass.mode === "live" };
    },

    async ensureWebhookEndpoint(input) {
      const events = canonicalEvents(input.enabledEvents);
      if (!events.length) throw new Error("Stripe webhook endpoint needs at least one enabled event");
      if (!URL.canParse(input.url)) throw new Error(`Stripe webhook endpoint url is not an absolute URL: ${input.url}`);
      const existing = (await listAll()).find((endpoint) => endpoint.url === input.url);
      if (!existing) {
        const form = encodeStripeForm({
          url: input.url,
          enabled_events: events,
          description: input.description,
          metadata: { ...STRIPE_MANAGED_METADATA },
        });
        const created = await call("POST", STRIPE_ENDPOINTS_PATH, {
          // "idempotent", though a create: under the same Idempotency-Key Stripe replays the first result
          // (secret included) or answers 409 while it is still running, so a re-send after a timeout or 5xx
          // cannot make a second endpoint, and it is the only way to recover the secret of a lost response.
          kind: "idempotent",
          form,
          idempotencyKey: await stripeWebhookIdempotencyKey(input),
          schema: Endpoint,
          endpointId: (endpoint) => endpoint.id,
        });
        return view(created, true);
      }
      const sameEvents = canonicalEvents(existing.enabled_events).join("\n") === events.join("\n");
      if (sameEvents && (existing.description ?? "") === input.description) return view(existing, false);
      // No Idempotency-Key here on purpose: setting the same fields twice is harmless, while a reused key
      // would replay an old answer (and not apply) if the same drift had to be repaired again within 24 h.
      const updated = await call("POST", STRIPE_ENDPOINT_PATH, {
        id: existing.id,
        kind: "idempotent",
        form: encodeStripeForm({ enabled_events: events, description: input.description }),
        schema: Endpoint,
      });
      return view(updated, false);
    },

    async deleteWebhookEndpoint(id) {
      await call("DELETE", STRIPE_ENDPOINT_PATH, { id, kind: "idempotent", schema: Deleted });
    },
  };
}

/** Sorted and deduplicated, so the body (and the Idempotency-Key derived from it) does not depend on input order. */
function canonicalEvents(events: string[]): string[] {
  return [...new Set(events)].sort();
}

function view(endpoint: Endpoint, created: boolean): StripeWebhookEndpoint {
  const out: StripeWebhookEndpoint = {
    id: endpoint.id,
    url: endpoint.url,
    enabledEvents: endpoint.enabled_events,
    status: endpoint.status,
    livemode: endpoint.livemode,
    created,
  };
  if (created && endpoint.secret) out.secret = endpoint.secret;
  return out;
}

/**
 * http.ts quotes only Stripe's `error.message`; the `type`/`code`/`param` say which failure it was, and
 * `Stripe-Should-Retry` (plus 409, "a request with this Idempotency-Key is still running") says whether a
 * later retry can help — stripe-node's own retry rules. This per-call view of the context remembers the last
 * error answer and folds both into the thrown ProviderError and the receipt.
 */
function withStripeErrors(ctx: ProviderContext) {
  const send = ctx.fetch;
  const redact = ctx.redact ?? ((text: string) => text);
  let last: { body?: StripeErrorBody; shouldRetry: string | null; status: number } | undefined;
  const suffix = () => {
    const body = last?.body;
    if (!body) return "";
    return redact(
      ` (Stripe ${body.type}${body.code ? `, code ${body.code}` : ""}${body.param ? `, param ${body.param}` : ""})`,
    );
  };
  const callCtx: ProviderContext = {
    ...ctx,
    fetch: async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      last = undefined;
      const response = await send(input, init);
      if (!response.ok) {
        last = {
          body: stripeError(await response.clone().text()),
          shouldRetry: response.headers.get("Stripe-Should-Retry"),
          status: response.status,
        };
      }
      return response;
    },
    onReceipt:
      ctx.onReceipt &&
      ((receipt) => ctx.onReceipt?.(receipt.error ? { ...receipt, error: receipt.error + suffix() } : receipt)),
  };
  const annotate = (err: unknown): unknown => {
    if (!(err instanceof ProviderError) || !last) return err;
    const hint = last.shouldRetry === "true" ? true : last.shouldRetry === "false" ? false : undefined;
    const retryable = hint ?? (last.status === 409 || err.retryable);
    return new ProviderError(
      err.message + suffix(),
      err.provider,
      err.status,
      retryable,
      err.ambiguous,
      err.retryAfterMs,
    );
  };
  return { ctx: callCtx, annotate };
}

function stripeError(text: string): StripeErrorBody | undefined {
  try {
    return StripeErrorBody.safeParse(JSON.parse(text)).data?.error;
  } catch {
    return undefined;
  }
}
