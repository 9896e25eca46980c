/**
 * Stripe, inside workerd: Stripe-Signature against the fixture vectors and against tampering, clock skew,
 * key rolls and malformed headers; which key an environment may use; and the webhook-endpoint adapter
 * against a fake Stripe (form brackets, Idempotency-Key replay, find-by-url, paging, error mapping).
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import vectorFile from "../fixtures/providers/signature-vectors.json";
import {
  createStripeApi, encodeStripeForm, STRIPE_ENDPOINT_PATH, STRIPE_ENDPOINTS_PATH, stripeWebhookIdempotencyKey,
} from "../../src/providers/stripe/adapter";
import { classifyStripeKey, stripeKeyRefusal, type StripeKeyClass } from "../../src/providers/stripe/keys";
import { ProviderError, type ProviderContext, type Receipt } from "../../src/providers/types";
import { computeStripeSignature, computeStripeSignatureHeader, verifyStripeSignature } from "../../src/security/stripe-signature";

// The fixture also carries Twilio's vectors (used by twilio.test.ts); only the Stripe ones apply here.
const Vectors = z.object({
  twilio: z.array(z.unknown()),
  stripe: z.array(z.object({
    id: z.string(), secret: z.string(), timestamp: z.number().int(), rawBody: z.string(), signedPayload: z.string(), expectedHeader: z.string(),
  })),
});
const vectors = Vectors.parse(vectorFile).stripe;
const [vector] = vectors;

/** Substitutes the character at `i` with a different one. */
const mutateAt = (text: string, i: number) => text.slice(0, i) + (text[i] === "x" ? "y" : "x") + text.slice(i + 1);
const verifyAt = (now: number, header: string | null = vector.expectedHeader, body = vector.rawBody, secret = vector.secret, tolerance?: number) =>
  verifyStripeSignature(secret, body, header, now, tolerance);

describe("Stripe-Signature", () => {
  it.each(vectors.map((v) => [v.id, v] as const))("accepts vector %s and reproduces its header", async (_id, v) => {
    expect(v.signedPayload).toBe(`${v.timestamp}.${v.rawBody}`);
    expect(await computeStripeSignatureHeader(v.secret, v.rawBody, v.timestamp)).toBe(v.expectedHeader);
    expect(await verifyStripeSignature(v.secret, v.rawBody, v.expectedHeader, v.timestamp)).toEqual({ ok: true, timestamp: v.timestamp });
  });

  it("rejects the vector after any single-character change to the body, the secret or the signature", async () => {
    const accepted: string[] = [];
    for (let i = 0; i < vector.rawBody.length; i++) {
      if ((await verifyAt(vector.timestamp, undefined, mutateAt(vector.rawBody, i))).ok) accepted.push(`body[${i}]`);
    }
    for (let i = 0; i < vector.secret.length; i++) {
      if ((await verifyAt(vector.timestamp, undefined, undefined, mutateAt(vector.secret, i))).ok) accepted.push(`secret[${i}]`);
    }
    const signatureStart = vector.expectedHeader.indexOf("v1=") + 3;
    for (let i = signatureStart; i < vector.expectedHeader.length; i++) {
      if ((await verifyAt(vector.timestamp, mutateAt(vector.expectedHeader, i))).ok) accepted.push(`v1[${i}]`);
    }
    expect(accepted).toEqual([]);
    expect(await verifyAt(vector.timestamp, undefined, `${vector.rawBody} `)).toEqual({ ok: false, reason: "no_valid_signature" });
    expect(await verifyAt(vector.timestamp, undefined, JSON.stringify(JSON.parse(vector.rawBody), null, 1))).toMatchObject({ ok: false });
  });

  it("binds the timestamp: the same signature under another t is refused", async () => {
    const moved = vector.expectedHeader.replace(`t=${vector.timestamp}`, `t=${vector.timestamp + 1}`);
    expect(await verifyAt(vector.timestamp + 1, moved)).toEqual({ ok: false, reason: "no_valid_signature" });
  });

  it("accepts up to 300 s either side of now and refuses beyond, by default", async () => {
    const t = vector.timestamp;
    expect(await verifyAt(t + 300)).toEqual({ ok: true, timestamp: t });
    expect(await verifyAt(t + 300.5)).toEqual({ ok: false, reason: "timestamp_out_of_tolerance" });
    expect(await verifyAt(t + 86_400)).toEqual({ ok: false, reason: "timestamp_out_of_tolerance" });
    expect(await verifyAt(t - 300)).toEqual({ ok: true, timestamp: t }); // sender's clock 5 min ahead
    expect(await verifyAt(t - 301)).toEqual({ ok: false, reason: "timestamp_out_of_tolerance" });
    expect(await verifyAt(t + 61, undefined, undefined, undefined, 60)).toEqual({ ok: false, reason: "timestamp_out_of_tolerance" });
    expect(await verifyAt(t + 60, undefined, undefined, undefined, 60)).toEqual({ ok: true, timestamp: t });
  });

  it("checks the signature before the age, so a stale forgery is reported as a forgery", async () => {
    expect(await verifyAt(vector.timestamp + 10_000, undefined, `${vector.rawBody}x`)).toEqual({ ok: false, reason: "no_valid_signature" });
  });

  it("refuses a negative or non-finite tolerance instead of skipping the age check", async () => {
    await expect(verifyAt(vector.timestamp, undefined, undefined, undefined, -1)).rejects.toThrow(RangeError);
    await expect(verifyAt(vector.timestamp, undefined, undefined, undefined, Number.POSITIVE_INFINITY)).rejects.toThrow(RangeError);
  });

  it("accepts when any one of several v1 signatures is valid (secret roll), ignoring v0 and unknown schemes", async () => {
    const good = await computeStripeSignature(vector.secret, vector.rawBody, vector.timestamp);
    const old = await computeStripeSignature("whsec_old_secret", vector.rawBody, vector.timestamp);
    const t = `t=${vector.timestamp}`;
    for (const header of [`${t},v1=${old},v1=${good}`, `${t},v1=${good},v1=${old}`, `v1=${old},${t},v0=${old},v1=${good},v9=zz`, ` ${t} , v1=${good} `]) {
      expect(await verifyAt(vector.timestamp, header), header).toEqual({ ok: true, timestamp: vector.timestamp });
    }
    expect(await verifyAt(vector.timestamp, `${t},v0=${good}`)).toEqual({ ok: false, reason: "no_valid_signature" });
    expect(await verifyAt(vector.timestamp, `${t},v1=${good.toUpperCase()}`)).toEqual({ ok: false, reason: "no_valid_signature" });
    expect(await verifyAt(vector.timestamp, `${t},v1=${old},v1=`)).toEqual({ ok: false, reason: "no_valid_signature" });
  });

  it.each([
    [null, "missing_header"], ["", "missing_header"], ["   ", "missing_header"],
    ["garbage", "malformed_header"], ["v1=abc", "malformed_header"], ["t=,v1=abc", "malformed_header"],
    ["t=17e8,v1=abc", "malformed_header"], ["t=-1,v1=abc", "malformed_header"], ["t=1700000000;v1=abc", "malformed_header"],
    [",t=1700000000,v1=abc", "malformed_header"], ["t=1700000000,,v1=abc", "malformed_header"], ["=x,t=1700000000", "malformed_header"],
    ["t=1700000000,t=1700000001,v1=abc", "malformed_header"], ["t=1700000000", "no_valid_signature"],
  ] as const)("classifies header %j as %s", async (header, reason) => {
    expect(await verifyAt(vector.timestamp, header)).toEqual({ ok: false, reason });
  });

  it("verifies nothing with an empty secret, and signs and verifies a non-ASCII body byte for byte", async () => {
    expect(await verifyAt(vector.timestamp, undefined, undefined, "")).toEqual({ ok: false, reason: "no_valid_signature" });
    const body = '{"id":"evt_1","object":"event","data":{"name":"Zoë ✅ 😀"}}';
    const header = await computeStripeSignatureHeader("whsec_sandbox", body, 1_800_000_000);
    expect(await verifyStripeSignature("whsec_sandbox", body, header, 1_800_000_000)).toEqual({ ok: true, timestamp: 1_800_000_000 });
    expect((await verifyStripeSignature("whsec_sandbox", body.normalize("NFD"), header, 1_800_000_000)).ok).toBe(false);
    await expect(computeStripeSignatureHeader("whsec_sandbox", body, 1.5)).rejects.toThrow(RangeError);
  });
});

describe("Stripe keys per environment", () => {
  it.each<[string, StripeKeyClass]>([
    ["sk_test_51AbC", { mode: "test", kind: "secret" }], ["rk_test_51AbC", { mode: "test", kind: "restricted" }],
    ["pk_test_51AbC", { mode: "test", kind: "publishable" }], ["sk_live_51AbC", { mode: "live", kind: "secret" }],
    ["rk_live_51AbC", { mode: "live", kind: "restricted" }], ["pk_live_51AbC", { mode: "live", kind: "publishable" }],
    ["whsec_51AbC", { mode: "unknown", kind: "unknown" }], ["sk_test_", { mode: "unknown", kind: "unknown" }],
    ["sk_live_51AbC\n", { mode: "unknown", kind: "unknown" }], ["SK_LIVE_51AbC", { mode: "unknown", kind: "unknown" }],
    ["sk_prod_51AbC", { mode: "unknown", kind: "unknown" }], ["", { mode: "unknown", kind: "unknown" }],
  ])("classifies %j", (key, expected) => {
    expect(classifyStripeKey(key)).toEqual(expected);
  });

  it.each([
    ["production", "sk_live_51AbC", null], ["production", "rk_live_51AbC", null], ["invoice-perfect:production", "rk_live_51AbC", null],
    ["staging", "sk_test_51AbC", null], ["local", "rk_test_51AbC", null], ["invoice-perfect:staging", "sk_test_51AbC", null],
    ["staging", "sk_live_51AbC", /live Stripe keys are accepted only for production; staging needs a test/],
    ["local", "rk_live_51AbC", /live Stripe keys are accepted only for production/],
    ["invoice-perfect:staging", "sk_live_51AbC", /only for production/],
    ["production-eu", "sk_live_51AbC", /only for production/],
    ["production", "sk_test_51AbC", /test Stripe keys are refused for production/],
    ["invoice-perfect:production", "rk_test_51AbC", /test Stripe keys are refused for production/],
    ["production", "pk_live_51AbC", /publishable keys/], ["staging", "pk_test_51AbC", /publishable keys/],
    ["staging", "whsec_abc", /webhook signing secret/], ["staging", "not-a-key", /not a recognisable Stripe API key/],
  ] as const)("for %s, key %s → %s", (env, key, expected) => {
    const refusal = stripeKeyRefusal(env, key);
    if (expected === null) expect(refusal).toBeNull();
    else expect(refusal).toMatch(expected);
  });
});

type Json = Record<string, unknown>;
type FormValue = string | string[] | Record<string, string>;
interface Recorded { method: string; path: string; query: URLSearchParams; headers: Headers; body: string; form: Record<string, FormValue> }

/** Form body → object, `a[]=` pairs becoming arrays and `m[k]=` pairs maps (how Stripe reads them). */
function decodeStripeForm(body: string): Record<string, FormValue> {
  const out: Record<string, FormValue> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const bracket = /^([^[]+)\[([^\]]*)\]$/.exec(key);
    if (!bracket) out[key] = value;
    else if (bracket[2] === "") out[bracket[1]] = [...((out[bracket[1]] as string[] | undefined) ?? []), value];
    else out[bracket[1]] = { ...((out[bracket[1]] as Record<string, string> | undefined) ?? {}), [bracket[2]]: value };
  }
  return out;
}

/**
 * A fake Stripe over an in-memory list of endpoints. Like Stripe, it stores the first answer per
 * Idempotency-Key and replays it. `faults` script the next requests: `reply` answers instead (nothing
 * applied), `dropResponse` applies the request and then loses the answer (a network failure).
 */
function fakeStripe(seed: Json[] = []) {
  const endpoints = seed.map((e) => ({ ...e }));
  const requests: Recorded[] = [];
  const receipts: Receipt[] = [];
  const faults: ({ reply: () => Response } | { dropResponse: true })[] = [];
  const replays = new Map<string, { status: number; body: Json }>();
  let created = 0;

  function answer(r: Recorded): { status: number; body: Json } {
    const id = r.path.startsWith(`${STRIPE_ENDPOINTS_PATH}/`) ? r.path.slice(STRIPE_ENDPOINTS_PATH.length + 1) : undefined;
    const secretless = (e: Json) => Object.fromEntries(Object.entries(e).filter(([k]) => k !== "secret"));
    if (r.method === "GET" && !id) {
      const after = r.query.get("starting_after");
      const start = after ? endpoints.findIndex((e) => e.id === after) + 1 : 0;
      const page = endpoints.slice(start, start + Number(r.query.get("limit") ?? 10));
      return { status: 200, body: { object: "list", url: STRIPE_ENDPOINTS_PATH, has_more: start + page.length < endpoints.length, data: page.map(secretless) } };
    }
    if (r.method === "POST" && !id) {
      const endpoint = {
        id: `we_fake${++created}`, object: "webhook_endpoint", url: r.form.url, enabled_events: r.form.enabled_events, description: r.form.description ?? null,
        metadata: r.form.metadata ?? {}, status: "enabled", livemode: false, api_version: null, application: null, created: 1_800_000_000, secret: `whsec_fake${created}`,
      };
      endpoints.push(endpoint);
      return { status: 200, body: endpoint };
    }
    const index = endpoints.findIndex((e) => e.id === id);
    if (index < 0) return { status: 404, body: { error: { type: "invalid_request_error", code: "resource_missing", param: "webhook_endpoint", message: `No such webhook endpoint: '${id}'` } } };
    if (r.method === "POST") return { status: 200, body: secretless(Object.assign(endpoints[index], r.form)) };
    endpoints.splice(index, 1);
    return { status: 200, body: { id: id ?? "", object: "webhook_endpoint", deleted: true } };
  }

  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const body = init?.body === undefined ? "" : String(init.body);
    const request: Recorded = { method: init?.method ?? "GET", path: url.pathname, query: url.searchParams, headers: new Headers(init?.headers), body, form: decodeStripeForm(body) };
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
const INPUT = { url: "https://cp.example.com/webhooks/stripe", enabledEvents: ["invoice.paid", "customer.subscription.deleted"], description: "Infra Chat (staging)" };
const stripeError = (status: number, error: Json, headers: Record<string, string> = {}) => () => Response.json({ error }, { status, headers });

/** The ProviderError a call failed with (fails the test if it succeeded or threw something else). */
async function failureOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(() => new Error("expected a ProviderError, the call succeeded"), (e: unknown) => e);
  if (!(error instanceof ProviderError)) throw error;
  return error;
}

describe("Stripe webhook-endpoint adapter", () => {
  it("creates a missing endpoint with a bracketed form body, Bearer key and Idempotency-Key, and returns its secret", async () => {
    const stripe = fakeStripe();
    const endpoint = await createStripeApi(stripe.ctx, { secretKey: KEY }).ensureWebhookEndpoint(INPUT);
    expect(endpoint).toEqual({
      id: "we_fake1", url: INPUT.url, enabledEvents: ["customer.subscription.deleted", "invoice.paid"], status: "enabled", livemode: false, created: true, secret: "whsec_fake1",
    });
    const [list, create] = stripe.requests;
    expect([list.method, list.path, list.query.get("limit")]).toEqual(["GET", STRIPE_ENDPOINTS_PATH, "100"]);
    expect([create.method, create.path]).toEqual(["POST", STRIPE_ENDPOINTS_PATH]);
    expect(create.headers.get("Authorization")).toBe(`Bearer ${KEY}`);
    expect(create.headers.get("Content-Type")).toBe("application/x-www-form-urlencoded");
    expect(create.headers.get("Idempotency-Key")).toBe(await stripeWebhookIdempotencyKey(INPUT));
    expect(create.body).toBe(
      "url=https%3A%2F%2Fcp.example.com%2Fwebhooks%2Fstripe&enabled_events[]=customer.subscription.deleted&enabled_events[]=invoice.paid"
      + "&description=Infra+Chat+%28staging%29&metadata[managed_by]=infra-chat",
    );
    expect(list.headers.has("Idempotency-Key")).toBe(false);
    expect(stripe.receipts).toMatchObject([
      { provider: "stripe", operation: `GET ${STRIPE_ENDPOINTS_PATH}`, status: 200 },
      { provider: "stripe", operation: `POST ${STRIPE_ENDPOINTS_PATH}`, status: 200, attempts: 1, responseIds: { webhookEndpointId: "we_fake1" } },
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
    stripe.faults.push({ reply: stripeError(503, { type: "api_error", message: "try again" }) }, { dropResponse: true }); // list answered 503, create lost
    stripe.faults.unshift({ dropResponse: true }); // ...after the list itself lost one answer
    const endpoint = await createStripeApi(stripe.ctx, { secretKey: KEY }).ensureWebhookEndpoint(INPUT);
    expect(endpoint).toMatchObject({ id: "we_fake1", created: true, secret: "whsec_fake1" });
    expect(stripe.endpoints).toHaveLength(1);
    const creates = stripe.requests.filter((r) => r.method === "POST");
    expect(creates.length).toBeGreaterThanOrEqual(2);
    expect(new Set(creates.map((r) => r.headers.get("Idempotency-Key"))).size).toBe(1);
    expect(stripe.receipts.filter((r) => r.operation.startsWith("POST"))).toMatchObject([{ attempts: creates.length, status: 200 }]);
  });

  it("derives the same Idempotency-Key for the same create however events are ordered, and a new one for any other create", async () => {
    const key = await stripeWebhookIdempotencyKey(INPUT);
    expect(key).toMatch(/^infra-chat-we-[0-9a-f]{64}$/);
    expect(await stripeWebhookIdempotencyKey({ ...INPUT, enabledEvents: ["invoice.paid", "customer.subscription.deleted", "invoice.paid"] })).toBe(key);
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
      id: `we_${String(i).padStart(3, "0")}`, object: "webhook_endpoint", url: `https://other.example.com/${i}`, enabled_events: ["*"], status: "enabled", livemode: false, description: null,
    }));
    seed[149].url = INPUT.url;
    seed[149].enabled_events = [...INPUT.enabledEvents].sort();
    seed[149].description = INPUT.description;
    const stripe = fakeStripe(seed);
    expect(await createStripeApi(stripe.ctx, { secretKey: KEY }).ensureWebhookEndpoint(INPUT)).toMatchObject({ id: "we_149", created: false });
    expect(stripe.requests.map((r) => [r.method, r.query.get("starting_after")])).toEqual([["GET", null], ["GET", "we_099"]]);
  });

  it("brings drifted events back with an update that carries no Idempotency-Key, and leaves a disabled endpoint disabled", async () => {
    const stripe = fakeStripe([{ id: "we_old", object: "webhook_endpoint", url: INPUT.url, enabled_events: ["charge.failed"], status: "disabled", livemode: false, description: INPUT.description }]);
    const endpoint = await createStripeApi(stripe.ctx, { secretKey: KEY }).ensureWebhookEndpoint(INPUT);
    expect(endpoint).toMatchObject({ id: "we_old", created: false, status: "disabled", enabledEvents: ["customer.subscription.deleted", "invoice.paid"] });
    const update = stripe.requests[1];
    expect([update.method, update.path, update.headers.has("Idempotency-Key")]).toEqual(["POST", "/v1/webhook_endpoints/we_old", false]);
    expect(update.form).toEqual({ enabled_events: ["customer.subscription.deleted", "invoice.paid"], description: INPUT.description });
    expect(stripe.receipts[1]).toMatchObject({ operation: `POST ${STRIPE_ENDPOINT_PATH}`, responseIds: { webhookEndpointId: "we_old" } });
  });

  it("verifies a key with one cheap list read, reading livemode from an endpoint or else the key prefix", async () => {
    const empty = fakeStripe();
    expect(await createStripeApi(empty.ctx, { secretKey: "sk_live_51AbC", apiVersion: "2026-07-29.dahlia" }).verify()).toEqual({ livemode: true });
    expect([empty.requests[0].method, empty.requests[0].path, empty.requests[0].query.toString()]).toEqual(["GET", STRIPE_ENDPOINTS_PATH, "limit=1"]);
    expect(empty.requests[0].headers.get("Stripe-Version")).toBe("2026-07-29.dahlia");
    const one = fakeStripe([{ id: "we_1", url: INPUT.url, enabled_events: ["*"], status: "enabled", livemode: false }]);
    expect(await createStripeApi(one.ctx, { secretKey: KEY }).verify()).toEqual({ livemode: false });
  });

  it("deletes by id, refusing an id that would reshape the path", async () => {
    const stripe = fakeStripe([{ id: "we_1", url: INPUT.url, enabled_events: ["*"], status: "enabled", livemode: false }]);
    const api = createStripeApi(stripe.ctx, { secretKey: KEY });
    await api.deleteWebhookEndpoint("we_1");
    expect(stripe.endpoints).toEqual([]);
    expect(stripe.requests[0]).toMatchObject({ method: "DELETE", path: "/v1/webhook_endpoints/we_1" });
    await expect(api.deleteWebhookEndpoint("../v1/charges")).rejects.toThrow(/invalid Stripe webhook endpoint id/);
    expect(await failureOf(api.deleteWebhookEndpoint("we_1"))).toMatchObject({ status: 404, retryable: false });
  });

  it("maps Stripe's error body to a ProviderError naming type, code and param, in the error and the receipt", async () => {
    const stripe = fakeStripe();
    stripe.faults.push({ reply: () => Response.json({ object: "list", url: STRIPE_ENDPOINTS_PATH, has_more: false, data: [] }) });
    stripe.faults.push({ reply: stripeError(400, { type: "invalid_request_error", code: "url_invalid", param: "url", message: "Invalid URL: must be publicly accessible" }) });
    const error = await failureOf(createStripeApi(stripe.ctx, { secretKey: KEY }).ensureWebhookEndpoint(INPUT));
    expect(error).toMatchObject({ provider: "stripe", status: 400, retryable: false, ambiguous: false });
    expect(error.message).toContain("Invalid URL: must be publicly accessible (Stripe invalid_request_error, code url_invalid, param url)");
    expect(stripe.receipts[1].error).toContain("code url_invalid");
  });

  it("treats 401 as final, 409 (key still in use) as retryable later, and obeys Stripe-Should-Retry", async () => {
    const cases: [() => Response, boolean][] = [
      [stripeError(401, { type: "invalid_request_error", message: "Invalid API Key provided: rk_test_****dEf" }), false],
      [stripeError(409, { type: "idempotency_error", message: "There is currently another in-progress request using this Idempotent Key" }), true],
      [stripeError(400, { type: "invalid_request_error", message: "lock timeout" }, { "Stripe-Should-Retry": "true" }), true],
    ];
    for (const [reply, retryable] of cases) {
      const stripe = fakeStripe();
      stripe.faults.push({ reply });
      const error = await failureOf(createStripeApi(stripe.ctx, { secretKey: KEY }).verify());
      expect(error.retryable, error.message).toBe(retryable);
      expect(stripe.requests).toHaveLength(1);
    }
    const busy = fakeStripe();
    for (let i = 0; i < 4; i++) busy.faults.push({ reply: stripeError(503, { type: "api_error", message: "down" }, { "Stripe-Should-Retry": "false" }) });
    expect(await failureOf(createStripeApi(busy.ctx, { secretKey: KEY }).verify())).toMatchObject({ status: 503, retryable: false });
  });

  it("refuses publishable or malformed keys when built, and empty events or a relative url before any request", async () => {
    const stripe = fakeStripe();
    expect(() => createStripeApi(stripe.ctx, { secretKey: "pk_test_51AbC" })).toThrow(/sk_… or rk_…/);
    expect(() => createStripeApi(stripe.ctx, { secretKey: "whsec_abc" })).toThrow(/sk_… or rk_…/);
    const api = createStripeApi(stripe.ctx, { secretKey: KEY });
    await expect(api.ensureWebhookEndpoint({ ...INPUT, enabledEvents: [] })).rejects.toThrow(/at least one enabled event/);
    await expect(api.ensureWebhookEndpoint({ ...INPUT, url: "/webhooks/stripe" })).rejects.toThrow(/absolute URL/);
    expect(stripe.requests).toEqual([]);
  });

  it("encodes arrays as name[] and maps as name[key], escaping values but keeping brackets literal", () => {
    expect(encodeStripeForm({ a: ["x y", "&"], m: { env: "staging", "k[1]": "v" }, n: 3, b: false, skip: undefined })).toBe(
      "a[]=x+y&a[]=%26&m[env]=staging&m[k[1]]=v&n=3&b=false",
    );
    expect(decodeStripeForm(encodeStripeForm({ enabled_events: ["*"], metadata: { env: "prod" } }))).toEqual({ enabled_events: ["*"], metadata: { env: "prod" } });
  });
});
