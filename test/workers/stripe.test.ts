/**
 * Stripe provider code inside workerd: which key an environment may use, and the webhook-endpoint adapter
 * against a fake Stripe (form brackets, Idempotency-Key replay, find-by-url, paging, drift repair, error
 * mapping). Webhook signatures are in stripe-signature.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  createStripeApi,
  encodeStripeForm,
  STRIPE_ENDPOINT_PATH,
  STRIPE_ENDPOINTS_PATH,
  stripeWebhookIdempotencyKey,
} from "../../src/providers/stripe/adapter";
import { classifyStripeKey, stripeKeyRefusal, type StripeKeyClass } from "../../src/providers/stripe/keys";
import type { ProviderContext, Receipt } from "../../src/providers/types";
import { decodeStripeForm, type FormValue } from "../shared/stripe-form";
import { failureOf } from "./helpers";

describe("Stripe keys per environment", () => {
  it.each<[string, StripeKeyClass]>([
    ["sk_test_51AbC", { mode: "test", kind: "secret" }],
    ["rk_test_51AbC", { mode: "test", kind: "restricted" }],
    ["pk_test_51AbC", { mode: "test", kind: "publishable" }],
    ["sk_live_51AbC", { mode: "live", kind: "secret" }],
    ["rk_live_51AbC", { mode: "live", kind: "restricted" }],
    ["pk_live_51AbC", { mode: "live", kind: "publishable" }],
    ["whsec_51AbC", { mode: "unknown", kind: "unknown" }],
    ["sk_test_", { mode: "unknown", kind: "unknown" }],
    ["sk_live_51AbC\n", { mode: "unknown", kind: "unknown" }],
    ["SK_LIVE_51AbC", { mode: "unknown", kind: "unknown" }],
    ["sk_prod_51AbC", { mode: "unknown", kind: "unknown" }],
    ["", { mode: "unknown", kind: "unknown" }],
  ])("classifies %j", (key, expected) => {
    expect(classifyStripeKey(key)).toEqual(expected);
  });

  it.each([
    ["production", "sk_live_51AbC", null],
    ["production", "rk_live_51AbC", null],
    ["invoice-perfect:production", "rk_live_51AbC", null],
    ["staging", "sk_test_51AbC", null],
    ["local", "rk_test_51AbC", null],
    ["invoice-perfect:staging", "sk_test_51AbC", null],
    ["staging", "sk_live_51AbC", /live Stripe keys are accepted only for production; staging needs a test/],
    ["local", "rk_live_51AbC", /live Stripe keys are accepted only for production/],
    ["invoice-perfect:staging", "sk_live_51AbC", /only for production/],
    ["production-eu", "sk_live_51AbC", /only for production/],
    ["production", "sk_test_51AbC", /test Stripe keys are refused for production/],
    ["invoice-perfect:production", "rk_test_51AbC", /test Stripe keys are refused for production/],
    ["production", "pk_live_51AbC", /publishable keys/],
    ["staging", "pk_test_51AbC", /publishable keys/],
    ["staging", "whsec_abc", /webhook signing secret/],
    ["staging", "not-a-key", /not a recognisable Stripe API key/],
  ] as const)("for %s, key %s → %s", (env, key, expected) => {
    const refusal = stripeKeyRefusal(env, key);
    if (expected === null) expect(refusal).toBeNull();
    else expect(refusal).toMatch(expected);
  });
});

type Json = Record<string, unknown>;
interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: string;
  form: Record<string, FormValue>;
}

/**
 * A fake Stripe over an in-memory list of endpoints. Like Stripe, it stores the first answer per
 * Idempotency-Key and replays it. `faults` script the next requests in order: `reply` answers instead
 * (nothing applied), `dropResponse` applies the request and then loses the answer (a network failure),
 * null answers normally.
 */
function fakeStripe(seed: Json[] = []) {
  const endpoints = seed.map((e) => ({ ...e }));
  const requests: Recorded[] = [];
  const receipts: Receipt[] = [];
  const faults: ({ reply: () => Response } | { dropResponse: true } | null)[] = [];
  const replays = new Map<string, { status: number; body: Json }>();
  let created = 0;

  function answer(r: Recorded): { status: number; body: Json } {
    const id = r.path.startsWith(`${STRIPE_ENDPOINTS_PATH}/`)
      ? r.path.slice(STRIPE_ENDPOINTS_PATH.length + 1)
      : undefined;
    const secretless = (e: Json) => Object.fromEntries(Object.entries(e).filter(([k]) => k !== "secret"));
    if (r.method === "GET" && !id) {
      const after = r.query.get("starting_after");
      const start = after ? endpoints.findIndex((e) => e.id === after) + 1 : 0;
      const page = endpoints.slice(start, start + Number(r.query.get("limit") ?? 10));
      return {
        status: 200,
        body: {
          object: "list",
          url: STRIPE_ENDPOINTS_PATH,
          has_more: start + page.length < endpoints.length,
          data: page.map(secretless),
        },
      };
    }
    if (r.method === "POST" && !id) {
      const endpoint = {
        id: `we_fake${++created}`,
        object: "webhook_endpoint",
        url: r.form.url,
        enabled_events: r.form.enabled_events,
        description: r.form.description ?? null,
        metadata: r.form.metadata ?? {},
        status: "enabled",
        livemode: false,
        api_version: null,
        application: null,
        created: 1_800_000_000,
        secret: `whsec_fake${created}`,
      };
      endpoints.push(endpoint);
      return { status: 200, body: endpoint };
    }
    const index = endpoints.findIndex((e) => e.id === id);
    if (index < 0)
      return {
        status: 404,
        body: {
          error: {
            type: "invalid_request_error",
            code: "resource_missing",
            param: "webhook_endpoint",
            message: `No such webhook endpoint: '${id}'`,
          },
        },
      };
    if (r.method === "POST") return { status: 200, body: secretless(Object.assign(endpoints[index], r.form)) };
    endpoints.splice(index, 1);
    return { status: 200, body: { id: id ?? "", object: "webhook_endpoint", deleted: true } };
  }

  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const body = init?.body === undefined ? "" : String(init.body);
    const request: Recorded = {
      method: init?.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers: new Headers(init?.headers),
      body,
      form: decodeStripeForm(body),
    };
    requests.push(request);
    const fault = faults.shift();
    if (fault && "reply" in fault) return fault.reply();
    const key = request.headers.get("Idempotency-Key");
    const result = (key && replays.get(key)) || answer(request);
    if (key) replays.set(key, result);
    if (fault) throw new TypeError("Network connection lost.");
    return Response.json(result.body, { status: result.status });
  };
  const ctx: ProviderContext = { fetch, onReceipt: (r) => receipts.push(r), sleep: async () => {} };
  return { ctx, endpoints, requests, receipts, faults };
}

const KEY = "rk_test_51AbCdEf";
const INPUT = {
  url: "https://cp.example.com/webhooks/stripe",
  enabledEvents: ["invoice.paid", "customer.subscription.deleted"],
  description: "Infra Chat (staging)",
};
const stripeError =
  (status: number, error: Json, headers: Record<string, string> = {}) =>
  () =>
    Response.json({ error }, { status, headers });

/** The ProviderError a call failed with (fails the test if it succeeded or threw something else). */
describe("Stripe webhook-endpoint adapter", () => {
  it("creates a missing endpoint with a bracketed form body, Bearer key and Idempotency-Key, and returns its secret", async () => {
    const stripe = fakeStripe();
    const endpoint = await createStripeApi(stripe.ctx, { secretKey: KEY }).ensureWebhookEndpoint(INPUT);
    expect(endpoint).toEqual({
      id: "we_fake1",
      url: INPUT.url,
      enabledEvents: ["customer.subscription.deleted", "invoice.paid"],
      status: "enabled",
      livemode: false,
      created: true,
      secret: "whsec_fake1",
    });
    const [list, create] = stripe.requests;
    expect([list.method, list.path, list.query.get("limit")]).toEqual(["GET", STRIPE_ENDPOINTS_PATH, "100"]);
    expect([create.method, create.path]).toEqual(["POST", STRIPE_ENDPOINTS_PATH]);
    expect(create.headers.get("Authorization")).toBe(`Bearer ${KEY}`);
    expect(create.headers.get("Content-Type")).toBe("application/x-www-form-urlencoded");
    expect(create.headers.get("Idempotency-Key")).toBe(await stripeWebhookIdempotencyKey(INPUT));
    expect(create.body).toBe(
      "url=https%3A%2F%2Fcp.example.com%2Fwebhooks%2Fstripe&enabled_events[]=customer.subscription.deleted&enabled_events[]=invoice.paid" +
        "&description=Infra+Chat+%28staging%29&metadata[managed_by]=infra-chat",
    );
    expect(list.headers.has("Idempotency-Key")).toBe(false);
    expect(stripe.receipts).toMatchObject([
      { provider: "stripe", operation: `GET ${STRIPE_ENDPOINTS_PATH}`, status: 200 },
      {
        provider: "stripe",
        operation: `POST ${STRIPE_ENDPOINTS_PATH}`,
        status: 200,
        attempts: 1,
        responseIds: { webhookEndpointId: "we_fake1" },
      },
    ]);
    expect(JSON.stringify(stripe.receipts)).not.toContain(KEY);
  });

  it("finds the endpoint by url on the next ensure: no second create, and no secret", async () => {
    const stripe = fakeStripe();
    const api = createStripeApi(stripe.ctx, { secretKey: KEY });
    await api.ensureWebhookEndpoint(INPUT);
    const again = await api.ensureWebhookEndpoint({ ...INPUT, enabledEvents: [...INPUT.enabledEvents].reverse() });
    expect(again).toMatchObject({ id: "we_fake1", created: false });
    expect(again.secret).toBeUndefined();
    expect(stripe.endpoints).toHaveLength(1);
    expect(stripe.requests.map((r) => r.method)).toEqual(["GET", "POST", "GET"]);
  });

  it("re-sends a create whose answer was lost or failed with the same Idempotency-Key; Stripe's replay yields one endpoint and its secret", async () => {
    const stripe = fakeStripe();
    // The list is answered 503 once, then the create is applied but its answer lost; both are re-sent.
    stripe.faults.push({ reply: stripeError(503, { type: "api_error", message: "try again" }) }, null, {
      dropResponse: true,
    });
    const endpoint = await createStripeApi(stripe.ctx, { secretKey: KEY }).ensureWebhookEndpoint(INPUT);
    expect(endpoint).toMatchObject({ id: "we_fake1", created: true, secret: "whsec_fake1" });
    expect(stripe.endpoints).toHaveLength(1);
    const creates = stripe.requests.filter((r) => r.method === "POST");
    expect(creates.length).toBeGreaterThanOrEqual(2);
    expect(new Set(creates.map((r) => r.headers.get("Idempotency-Key"))).size).toBe(1);
    expect(stripe.receipts.filter((r) => r.operation.startsWith("POST"))).toMatchObject([
      { attempts: creates.length, status: 200 },
    ]);
  });

  it("derives the same Idempotency-Key for the same create however events are ordered, and a new one for any other create", async () => {
    const key = await stripeWebhookIdempotencyKey(INPUT);
    expect(key).toMatch(/^infra-chat-we-[0-9a-f]{64}$/);
    expect(
      await stripeWebhookIdempotencyKey({
        ...INPUT,
        enabledEvents: ["invoice.paid", "customer.subscription.deleted", "invoice.paid"],
      }),
    ).toBe(key);
    const others = await Promise.all([
      stripeWebhookIdempotencyKey({ ...INPUT, url: `${INPUT.url}/` }),
      stripeWebhookIdempotencyKey({ ...INPUT, enabledEvents: ["invoice.paid"] }),
      stripeWebhookIdempotencyKey({ ...INPUT, description: "other" }),
      stripeWebhookIdempotencyKey({ ...INPUT, idempotencySeed: "step_2" }),
    ]);
    expect(new Set([key, ...others]).size).toBe(5);
  });

  it("pages through every endpoint with starting_after before deciding to create", async () => {
    const seed = Array.from({ length: 150 }, (_, i) => ({
      id: `we_${String(i).padStart(3, "0")}`,
      object: "webhook_endpoint",
      url: `https://other.example.com/${i}`,
      enabled_events: ["*"],
      status: "enabled",
      livemode: false,
      description: null as string | null,
    }));
    seed[149].url = INPUT.url;
    seed[149].enabled_events = [...INPUT.enabledEvents].sort();
    seed[149].description = INPUT.description;
    const stripe = fakeStripe(seed);
    expect(await createStripeApi(stripe.ctx, { secretKey: KEY }).ensureWebhookEndpoint(INPUT)).toMatchObject({
      id: "we_149",
      created: false,
    });
    expect(stripe.requests.map((r) => [r.method, r.query.get("starting_after")])).toEqual([
      ["GET", null],
      ["GET", "we_099"],
    ]);
  });

  it("brings drifted events back with an update that carries no Idempotency-Key, and leaves a disabled endpoint disabled", async () => {
    const stripe = fakeStripe([
      {
        id: "we_old",
        object: "webhook_endpoint",
        url: INPUT.url,
        enabled_events: ["charge.failed"],
        status: "disabled",
        livemode: false,
        description: INPUT.description,
      },
    ]);
    const endpoint = await createStripeApi(stripe.ctx, { secretKey: KEY }).ensureWebhookEndpoint(INPUT);
    expect(endpoint).toMatchObject({
      id: "we_old",
      created: false,
      status: "disabled",
      enabledEvents: ["customer.subscription.deleted", "invoice.paid"],
    });
    const update = stripe.requests[1];
    expect([update.method, update.path, update.headers.has("Idempotency-Key")]).toEqual([
      "POST",
      "/v1/webhook_endpoints/we_old",
      false,
    ]);
    expect(update.form).toEqual({
      enabled_events: ["customer.subscription.deleted", "invoice.paid"],
      description: INPUT.description,
    });
    expect(stripe.receipts[1]).toMatchObject({
      operation: `POST ${STRIPE_ENDPOINT_PATH}`,
      responseIds: { webhookEndpointId: "we_old" },
    });
  });

  it("verifies a key with one cheap list read, reading livemode from an endpoint or else the key prefix", async () => {
    const empty = fakeStripe();
    expect(
      await createStripeApi(empty.ctx, { secretKey: "sk_live_51AbC", apiVersion: "2026-07-29.dahlia" }).verify(),
    ).toEqual({ livemode: true });
    expect([empty.requests[0].method, empty.requests[0].path, empty.requests[0].query.toString()]).toEqual([
      "GET",
      STRIPE_ENDPOINTS_PATH,
      "limit=1",
    ]);
    expect(empty.requests[0].headers.get("Stripe-Version")).toBe("2026-07-29.dahlia");
    const one = fakeStripe([{ id: "we_1", url: INPUT.url, enabled_events: ["*"], status: "enabled", livemode: false }]);
    expect(await createStripeApi(one.ctx, { secretKey: KEY }).verify()).toEqual({ livemode: false });
  });

  it("deletes by id, refusing an id that would reshape the path", async () => {
    const stripe = fakeStripe([
      { id: "we_1", url: INPUT.url, enabled_events: ["*"], status: "enabled", livemode: false },
    ]);
    const api = createStripeApi(stripe.ctx, { secretKey: KEY });
    await api.deleteWebhookEndpoint("we_1");
    expect(stripe.endpoints).toEqual([]);
    expect(stripe.requests[0]).toMatchObject({ method: "DELETE", path: "/v1/webhook_endpoints/we_1" });
    await expect(api.deleteWebhookEndpoint("../v1/charges")).rejects.toThrow(/invalid Stripe webhook endpoint id/);
    expect(await failureOf(api.deleteWebhookEndpoint("we_1"))).toMatchObject({ status: 404, retryable: false });
  });

  it("maps Stripe's error body to a ProviderError naming type, code and param, in the error and the receipt", async () => {
    const stripe = fakeStripe();
    stripe.faults.push({
      reply: () => Response.json({ object: "list", url: STRIPE_ENDPOINTS_PATH, has_more: false, data: [] }),
    });
    stripe.faults.push({
      reply: stripeError(400, {
        type: "invalid_request_error",
        code: "url_invalid",
        param: "url",
        message: "Invalid URL: must be publicly accessible",
      }),
    });
    const error = await failureOf(createStripeApi(stripe.ctx, { secretKey: KEY }).ensureWebhookEndpoint(INPUT));
    expect(error).toMatchObject({ provider: "stripe", status: 400, retryable: false, ambiguous: false });
    expect(error.message).toContain(
      "Invalid URL: must be publicly accessible (Stripe invalid_request_error, code url_invalid, param url)",
    );
    expect(stripe.receipts[1].error).toContain("code url_invalid");
  });

  it("treats 401 as final, 409 (key still in use) as retryable later, and obeys Stripe-Should-Retry", async () => {
    const cases: [() => Response, boolean][] = [
      [
        stripeError(401, { type: "invalid_request_error", message: "Invalid API Key provided: rk_test_****dEf" }),
        false,
      ],
      [
        stripeError(409, {
          type: "idempotency_error",
          message: "There is currently another in-progress request using this Idempotent Key",
        }),
        true,
      ],
      [
        stripeError(400, { type: "invalid_request_error", message: "lock timeout" }, { "Stripe-Should-Retry": "true" }),
        true,
      ],
    ];
    for (const [reply, retryable] of cases) {
      const stripe = fakeStripe();
      stripe.faults.push({ reply });
      const error = await failureOf(createStripeApi(stripe.ctx, { secretKey: KEY }).verify());
      expect(error.retryable, error.message).toBe(retryable);
      expect(stripe.requests).toHaveLength(1);
    }
    const busy = fakeStripe();
    for (let i = 0; i < 4; i++)
      busy.faults.push({
        reply: stripeError(503, { type: "api_error", message: "down" }, { "Stripe-Should-Retry": "false" }),
      });
    expect(await failureOf(createStripeApi(busy.ctx, { secretKey: KEY }).verify())).toMatchObject({
      status: 503,
      retryable: false,
    });
  });

  it("refuses publishable or malformed keys when built, and empty events or a relative url before any request", async () => {
    const stripe = fakeStripe();
    expect(() => createStripeApi(stripe.ctx, { secretKey: "pk_test_51AbC" })).toThrow(/sk_… or rk_…/);
    expect(() => createStripeApi(stripe.ctx, { secretKey: "whsec_abc" })).toThrow(/sk_… or rk_…/);
    const api = createStripeApi(stripe.ctx, { secretKey: KEY });
    await expect(api.ensureWebhookEndpoint({ ...INPUT, enabledEvents: [] })).rejects.toThrow(
      /at least one enabled event/,
    );
    await expect(api.ensureWebhookEndpoint({ ...INPUT, url: "/webhooks/stripe" })).rejects.toThrow(/absolute URL/);
    expect(stripe.requests).toEqual([]);
  });

  it("encodes arrays as name[] and maps as name[key], escaping values but keeping brackets literal", () => {
    expect(
      encodeStripeForm({ a: ["x y", "&"], m: { env: "staging", team: "a=b" }, n: 3, b: false, skip: undefined }),
    ).toBe("a[]=x+y&a[]=%26&m[env]=staging&m[team]=a%3Db&n=3&b=false");
    expect(decodeStripeForm(encodeStripeForm({ enabled_events: ["*"], metadata: { env: "prod" } }))).toEqual({
      enabled_events: ["*"],
      metadata: { env: "prod" },
    });
  });
});
