/**
 * Proves the Stripe and SendGrid adapters speak the official wire formats (stripe/openapi spec3 2023-09-12,
 * twilio/sendgrid-oai 2026-01-22): every captured request's method, path, parameters and body validate with
 * Ajv against the operation's OpenAPI schemas (Stripe's form body decoded, `a[]=` → arrays, `m[k]=` → maps),
 * and the adapters read responses that validate against the response schemas, the specs' own examples included.
 */
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import sendgridSpecFile from "../fixtures/providers/sendgrid.openapi.json";
import stripeSpecFile from "../fixtures/providers/stripe.openapi.json";
import { createSendGridApi } from "../../src/providers/sendgrid/adapter";
import type { SendGridApi } from "../../src/providers/sendgrid/api";
import { createStripeApi } from "../../src/providers/stripe/adapter";
import type { StripeApi, StripeWebhookEndpointInput } from "../../src/providers/stripe/api";
import { decodeStripeForm } from "../shared/stripe-form";

type Json = Record<string, unknown>;
interface Captured {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

/**
 * stripe.md: the `enabled_events` and `api_version` enums date from 2023 and are incomplete today. Stripe marks
 * exactly those enums `x-stripeBypassValidation` (its SDKs accept any string there), so they are dropped for
 * the main check; `strictStripe` keeps them, to show what the caveat is about.
 */
function withoutBypassedEnums(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutBypassedEnums);
  if (node === null || typeof node !== "object") return node;
  const entries = Object.entries(node).map(([k, v]) => [k, withoutBypassedEnums(v)] as const);
  const bypass = "x-stripeBypassValidation" in node && node["x-stripeBypassValidation"] === true;
  return Object.fromEntries(entries.filter(([k]) => !(bypass && k === "enum")));
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat("unix-time", true); // Stripe's vendor format: an integer of seconds, nothing more to check.
ajv.addSchema(withoutBypassedEnums(stripeSpecFile) as Json, "stripe");
ajv.addSchema(structuredClone(stripeSpecFile) as Json, "strictStripe");
ajv.addSchema(structuredClone(sendgridSpecFile) as Json, "sendgrid");

/** The compiled validator at a JSON pointer inside one of the OpenAPI documents (so its $refs resolve). */
function validatorAt(doc: "stripe" | "strictStripe" | "sendgrid", ...segments: string[]): ValidateFunction {
  const pointer = segments.map((s) => encodeURIComponent(s.replace(/~/g, "~0").replace(/\//g, "~1"))).join("/");
  const validate = ajv.getSchema(`${doc}#/${pointer}`);
  if (!validate) throw new Error(`no schema at ${doc} ${pointer}`);
  return validate;
}

/** Errors of one validation, for the assertion message. */
const check = (validate: ValidateFunction, value: unknown) => ({
  ok: validate(value),
  errors: JSON.stringify(validate.errors),
});

/** Checks each query parameter against the operation's declared parameter schema (query strings arrive as text). */
function queryErrors(parameters: unknown, query: URLSearchParams): string[] {
  const declared = (parameters as { name: string; in: string; schema: Json }[]).filter((p) => p.in === "query");
  const errors: string[] = [];
  for (const [name, raw] of query) {
    const param = declared.find((p) => p.name === name);
    if (!param) errors.push(`undeclared query parameter ${name}`);
    else if (!ajv.validate(param.schema, param.schema.type === "integer" ? Number(raw) : raw))
      errors.push(`${name}: ${JSON.stringify(ajv.errors)}`);
  }
  return errors;
}

const FORM = "application/x-www-form-urlencoded";
const ENDPOINTS = "/v1/webhook_endpoints";
const ENDPOINT = "/v1/webhook_endpoints/{webhook_endpoint}";
const stripePaths = (stripeSpecFile as unknown as { paths: Record<string, Record<string, { parameters?: unknown }>> })
  .paths;

/** A complete `webhook_endpoint` as Stripe returns it (every required field of the schema). */
const endpointObject = (overrides: Json = {}): Json => ({
  id: "we_1NgWHr2eZvKYlo2C",
  object: "webhook_endpoint",
  url: "https://cp.example.com/webhooks/stripe",
  api_version: null,
  application: null,
  created: 1_800_000_000,
  description: "Infra Chat (production)",
  enabled_events: ["invoice.paid"],
  livemode: true,
  metadata: { managed_by: "infra-chat" },
  status: "enabled",
  ...overrides,
});

/** Runs `run` against a fake Stripe answering with schema-valid objects, capturing every request. */
async function captureStripe(
  existing: Json[],
  run: (api: StripeApi) => Promise<unknown>,
): Promise<{ captured: Captured[]; result: unknown }> {
  const captured: Captured[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = {
      method: init?.method ?? "GET",
      url: new URL(String(input)),
      headers: new Headers(init?.headers),
      body: init?.body === undefined ? "" : String(init.body),
    };
    captured.push(request);
    if (request.method === "GET")
      return Response.json({ object: "list", url: ENDPOINTS, has_more: false, data: existing });
    if (request.method === "DELETE")
      return Response.json({ id: request.url.pathname.split("/").at(-1), object: "webhook_endpoint", deleted: true });
    const form = decodeStripeForm(request.body);
    const base = request.url.pathname === ENDPOINTS ? { secret: "whsec_created" } : {};
    return Response.json(
      endpointObject({
        ...base,
        enabled_events: form.enabled_events,
        description: form.description,
        url: form.url ?? endpointObject().url,
      }),
    );
  };
  const result = await run(createStripeApi({ fetch }, { secretKey: "rk_live_51AbCdEf" }));
  return { captured, result };
}

const INPUT: StripeWebhookEndpointInput = {
  url: "https://cp.example.com/webhooks/stripe",
  enabledEvents: ["invoice.paid", "customer.subscription.deleted"],
  description: "Infra Chat (production)",
};

describe("Stripe webhook-endpoint requests", () => {
  const createBody = validatorAt("stripe", "paths", ENDPOINTS, "post", "requestBody", "content", FORM, "schema");
  const strictCreateBody = validatorAt(
    "strictStripe",
    "paths",
    ENDPOINTS,
    "post",
    "requestBody",
    "content",
    FORM,
    "schema",
  );
  const updateBody = validatorAt("stripe", "paths", ENDPOINT, "post", "requestBody", "content", FORM, "schema");
  const endpointSchema = validatorAt("stripe", "components", "schemas", "webhook_endpoint");

  it.each<[string, StripeWebhookEndpointInput]>([
    ["two events", INPUT],
    ["all events", { ...INPUT, enabledEvents: ["*"] }],
    ["an empty description", { ...INPUT, description: "" }],
    ["an event newer than the 2023 enum", { ...INPUT, enabledEvents: ["invoice_payment.paid", "invoice.paid"] }],
  ])("sends a create form the requestBody schema accepts: %s", async (_name, input) => {
    const { captured } = await captureStripe([], (api) => api.ensureWebhookEndpoint(input));
    const create = captured[1];
    expect([create.method, create.url.origin, create.url.pathname]).toEqual([
      "POST",
      "https://api.stripe.com",
      ENDPOINTS,
    ]);
    expect(create.headers.get("Content-Type")).toBe(FORM);
    expect(create.headers.get("Authorization")).toMatch(/^Bearer rk_live_/); // the spec's bearerAuth scheme
    const form = decodeStripeForm(create.body);
    expect(form.enabled_events).toEqual([...new Set(input.enabledEvents)].sort());
    expect(check(createBody, form)).toEqual({ ok: true, errors: "null" });
  });

  it("shows the stale-enum caveat: the 2023 enum alone would refuse a current event name", () => {
    const form = { url: INPUT.url, enabled_events: ["invoice_payment.paid"] };
    expect(strictCreateBody(form)).toBe(false);
    expect(createBody(form)).toBe(true);
    expect(strictCreateBody({ ...form, enabled_events: ["invoice.paid"] })).toBe(true);
  });

  it("rejects create bodies the real API would refuse (the check can fail)", () => {
    expect(createBody({ enabled_events: ["invoice.paid"] })).toBe(false);
    expect(createBody({ url: INPUT.url })).toBe(false);
    expect(createBody({ url: INPUT.url, enabled_events: "invoice.paid" })).toBe(false);
    expect(createBody({ url: INPUT.url, enabled_events: ["*"], metadata: ["managed_by"] })).toBe(false);
  });

  it("lists with query parameters the operation declares, and updates drift with a body the update schema accepts", async () => {
    const drifted = endpointObject({ enabled_events: ["charge.failed"] });
    const { captured, result } = await captureStripe([drifted], (api) => api.ensureWebhookEndpoint(INPUT));
    const [list, update] = captured;
    expect(queryErrors(stripePaths[ENDPOINTS].get.parameters, list.url.searchParams)).toEqual([]);
    expect(Number(list.url.searchParams.get("limit"))).toBeLessThanOrEqual(100); // documented range 1–100
    expect([update.method, update.url.pathname]).toEqual(["POST", `${ENDPOINTS}/${drifted.id}`]);
    expect(check(updateBody, decodeStripeForm(update.body))).toEqual({ ok: true, errors: "null" });
    expect(ajv.validate((stripePaths[ENDPOINT].post.parameters as { schema: Json }[])[0].schema, drifted.id)).toBe(
      true,
    );
    expect(result).toMatchObject({ id: drifted.id, created: false, livemode: true });
  });

  it("reads the objects its fake answers with, and they are what the spec's response schemas describe", async () => {
    expect(check(endpointSchema, endpointObject({ secret: "whsec_created" }))).toEqual({ ok: true, errors: "null" });
    const list = { object: "list", url: ENDPOINTS, has_more: false, data: [endpointObject()] };
    expect(
      validatorAt(
        "stripe",
        "paths",
        ENDPOINTS,
        "get",
        "responses",
        "200",
        "content",
        "application/json",
        "schema",
      )(list),
    ).toBe(true);
    const deleted = { id: "we_1", object: "webhook_endpoint", deleted: true };
    expect(validatorAt("stripe", "components", "schemas", "deleted_webhook_endpoint")(deleted)).toBe(true);
    const error = {
      error: { type: "invalid_request_error", code: "url_invalid", param: "url", message: "Invalid URL" },
    };
    expect(validatorAt("stripe", "components", "schemas", "error")(error)).toBe(true);
    const { result, captured } = await captureStripe([], (api) => api.ensureWebhookEndpoint(INPUT));
    expect(result).toMatchObject({ created: true, secret: "whsec_created", livemode: true });
    const del = await captureStripe([], (api) => api.deleteWebhookEndpoint("we_1NgWHr2eZvKYlo2C"));
    expect([del.captured[0].method, del.captured[0].url.pathname, del.captured[0].body]).toEqual([
      "DELETE",
      `${ENDPOINTS}/we_1NgWHr2eZvKYlo2C`,
      "",
    ]);
    expect(captured).toHaveLength(2);
  });
});

type SendGridOperation = {
  parameters?: unknown[];
  responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }>;
};
const sendgridPaths = (
  sendgridSpecFile as unknown as { paths: Record<string, Record<string, SendGridOperation | unknown[]>> }
).paths;
const sgOperation = (path: string, method: string) => sendgridPaths[path][method] as SendGridOperation;
const example = (path: string, method: string, status: string) =>
  sgOperation(path, method).responses[status].content?.["application/json"].examples?.response.value;
const sgComponents = (
  sendgridSpecFile as unknown as {
    components: {
      parameters: Record<string, Json>;
      responses: Record<string, { content: Record<string, { examples: { response: { value: unknown } } }> }>;
    };
  }
).components;

/** `$ref`s to shared parameters resolved, so each query parameter's schema can be checked. */
const resolvedParameters = (path: string, method: string) =>
  (sgOperation(path, method).parameters ?? []).map((p) => {
    const ref = (p as { $ref?: string }).$ref;
    return ref ? sgComponents.parameters[ref.split("/").at(-1) ?? ""] : p;
  });

/** Runs `run` against a fake SendGrid answering with the spec's own example responses, capturing every request. */
async function captureSendGrid(listed: unknown, run: (api: SendGridApi) => Promise<unknown>) {
  const captured: Captured[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = {
      method: init?.method ?? "GET",
      url: new URL(String(input)),
      headers: new Headers(init?.headers),
      body: init?.body === undefined ? "" : String(init.body),
    };
    captured.push(request);
    const path = request.url.pathname;
    if (path === "/v3/scopes") return Response.json(example("/v3/scopes", "get", "200"));
    if (path.endsWith("/validate"))
      return Response.json(example("/v3/whitelabel/domains/{id}/validate", "post", "200"));
    if (request.method === "GET") return Response.json(listed);
    return Response.json(example("/v3/whitelabel/domains", "post", "201"), { status: 201 });
  };
  const result = await run(createSendGridApi({ fetch }, { apiKey: "SG.test.key" }));
  return { captured, result };
}

describe("SendGrid domain-authentication requests", () => {
  const DOMAINS = "/v3/whitelabel/domains";
  const createBody = validatorAt(
    "sendgrid",
    "paths",
    DOMAINS,
    "post",
    "requestBody",
    "content",
    "application/json",
    "schema",
  );
  const listExample =
    sgComponents.responses.DomainAuthentication200.content["application/json"].examples.response.value;

  it.each([
    ["with a return-path subdomain", "em"],
    ["letting SendGrid pick the subdomain", undefined],
  ])("creates with a JSON body the requestBody schema accepts, %s", async (_name, subdomain) => {
    const { captured, result } = await captureSendGrid([], (api) => api.ensureSenderDomain("example.com", subdomain));
    const [list, create] = captured;
    expect(queryErrors(resolvedParameters(DOMAINS, "get"), list.url.searchParams)).toEqual([]);
    expect([create.method, create.url.origin + create.url.pathname, create.headers.get("Content-Type")]).toEqual([
      "POST",
      `https://api.sendgrid.com${DOMAINS}`,
      "application/json",
    ]);
    expect(create.headers.get("Authorization")).toBe("Bearer SG.test.key"); // the spec's BearerAuth scheme
    expect(check(createBody, JSON.parse(create.body))).toEqual({ ok: true, errors: "null" });
    // Read from the spec's own 201 example.
    expect(result).toMatchObject({
      id: 302183,
      created: true,
      valid: false,
      dns: [{ name: "mail_cname", type: "CNAME", host: "example.example.com" }, { name: "dkim1" }, { name: "dkim2" }],
    });
  });

  it("rejects create bodies the real API would refuse (the check can fail)", () => {
    expect(createBody({ subdomain: "em" })).toBe(false);
    expect(createBody({ domain: "example.com", automatic_security: "yes" })).toBe(false);
  });

  it("finds a domain in the spec's list example, manual-security record types included", async () => {
    expect(
      validatorAt(
        "sendgrid",
        "components",
        "responses",
        "DomainAuthentication200",
        "content",
        "application/json",
        "schema",
      )(listExample),
    ).toBe(true);
    const { captured, result } = await captureSendGrid(listExample, (api) => api.ensureSenderDomain("example2.com"));
    expect(captured).toHaveLength(1);
    expect(result).toMatchObject({
      id: 2,
      created: false,
      dns: [
        { name: "mail_cname", type: "MX", data: "sendgrid.net" },
        { name: "dkim1", type: "TXT" },
        { name: "dkim2", type: "TXT" },
      ],
    });
  });

  it("validates by an id the path parameter accepts, and reads the spec's validation example", async () => {
    const { captured, result } = await captureSendGrid([], (api) => api.validateDomain(302183));
    const id = /^\/v3\/whitelabel\/domains\/([^/]+)\/validate$/.exec(captured[0].url.pathname)?.[1];
    const idParam = (sendgridPaths["/v3/whitelabel/domains/{id}/validate"].parameters as { schema: Json }[])[0];
    expect(ajv.validate(idParam.schema, Number(id))).toBe(true);
    expect([captured[0].method, captured[0].body]).toEqual(["POST", ""]);
    expect(result).toEqual({
      id: 1,
      valid: true,
      checks: [
        {
          name: "mail_cname",
          valid: false,
          reason: 'Expected your MX record to be "mx.sendgrid.net" but found "example.com".',
        },
        { name: "dkim1", valid: true, reason: null },
        { name: "dkim2", valid: true, reason: null },
        { name: "spf", valid: true, reason: null },
      ],
    });
  });

  it("checks the key with GET /v3/scopes and reads the spec's example", async () => {
    const { captured, result } = await captureSendGrid([], (api) => api.verify());
    expect([captured[0].method, captured[0].url.pathname]).toEqual(["GET", "/v3/scopes"]);
    expect(result).toEqual({ scopes: ["mail.send", "alerts.create", "alerts.read"] });
  });
});
