/**
 * Proves every request the Cloudflare adapter and traffic router send matches Cloudflare's published
 * OpenAPI file (2024-08-06 subset, test/fixtures/providers): the path is one of its operations, the
 * query parameters are declared on it, and the JSON body validates against its requestBody schema
 * (DNS bodies against the per-type record schema: cloudflare.md "Schema caveats" 1).
 */
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { createCloudflareApi } from "../../src/providers/cloudflare/adapter";
import type {
  CloudflareApi,
  CloudflareLoadBalancerInput,
  CloudflareMonitorInput,
} from "../../src/providers/cloudflare/api";
import { createCloudflareTrafficRouter } from "../../src/providers/cloudflare/traffic";

const here = import.meta.url;
const SPEC_ID = "cloudflare.openapi.json";

interface Parameter {
  name: string;
  in: string;
}
interface Operation {
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { content?: Record<string, { schema?: object }> };
}
interface OpenApi {
  paths: Record<string, Record<string, Operation> & { parameters?: Parameter[] }>;
}

const spec = JSON.parse(
  readFileSync(new URL("../fixtures/providers/cloudflare.openapi.json", here), "utf8"),
) as OpenApi;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(spec, SPEC_ID);
// Query values arrive as strings; coercion lets "50" meet a numeric parameter schema as Cloudflare would read it.
const queryAjv = new Ajv({ strict: false, coerceTypes: true });
addFormats(queryAjv);
queryAjv.addSchema(spec, SPEC_ID);

/** A local JSON pointer ("#/paths/~1zones/get") into the spec. */
const pointer = (...segments: string[]) =>
  `#/${segments.map((s) => s.replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;
/** The same pointer as an Ajv schema reference: a URI fragment, so "{" and "}" of path keys are percent-encoded. */
const ajvRef = (local: string) => `${SPEC_ID}#${local.slice(1).split("/").map(encodeURIComponent).join("/")}`;

interface SpecOperation {
  template: string;
  method: string;
  operation: Operation;
  pattern: RegExp;
}

const OPERATIONS: SpecOperation[] = Object.entries(spec.paths).flatMap(([template, item]) =>
  Object.entries(item)
    .filter(([method]) => method !== "parameters")
    .map(([method, operation]) => ({
      template,
      method: method.toUpperCase(),
      operation: operation as Operation,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
    })),
);

function operationFor(method: string, path: string): SpecOperation | undefined {
  return OPERATIONS.find((o) => o.method === method && o.pattern.test(path));
}

/** Walks a local JSON pointer ("#/components/parameters/x") through the spec. */
function at(pointer: string): unknown {
  return pointer
    .slice(2)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], spec);
}

/** Query parameters the operation declares (its own and its path's), each with an Ajv reference to its schema. */
function queryParameters(op: SpecOperation): Map<string, string> {
  const declared = [
    ...(spec.paths[op.template].parameters ?? []).map(
      (p, i) => [p, pointer("paths", op.template, "parameters", String(i))] as const,
    ),
    ...(op.operation.parameters ?? []).map(
      (p, i) => [p, pointer("paths", op.template, op.method.toLowerCase(), "parameters", String(i))] as const,
    ),
  ].map(([p, local]) => ("$ref" in p ? ([at(p.$ref) as Parameter, p.$ref] as const) : ([p, local] as const)));
  return new Map(declared.filter(([p]) => p.in === "query").map(([p, local]) => [p.name, ajvRef(`${local}/schema`)]));
}

/** Where in the spec the schema a request body must meet is. */
function bodySchema(op: SpecOperation, body: Record<string, unknown>): string {
  // Caveat 1: the spec's DNS request schema is the response record (requires id, created_on, …).
  return op.template.startsWith("/zones/{zone_id}/dns_records")
    ? pointer("components", "schemas", `dns-records_${String(body.type)}Record`)
    : pointer("paths", op.template, op.method.toLowerCase(), "requestBody", "content", "application/json", "schema");
}

/** Ajv error messages of a request body against the schema Cloudflare documents for it. */
function bodyErrors(op: SpecOperation, body: Record<string, unknown>): string[] {
  const validate = ajv.getSchema(ajvRef(bodySchema(op, body)));
  if (!validate) return [`no schema at ${bodySchema(op, body)}`];
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A schema with its $ref followed (local refs only, as in this spec). */
function deref(schema: unknown): Record<string, unknown> {
  const node = isRecord(schema) && typeof schema.$ref === "string" ? at(schema.$ref) : schema;
  return isRecord(node) ? node : {};
}

/**
 * Fields the schema does not declare. The spec sets no `additionalProperties: false`, so Ajv alone would
 * let a misspelt field (`fallbackPool`) through; free-form objects (`pool_weights`, `header`) are exempt.
 */
function undeclaredFields(schema: unknown, value: unknown, path = ""): string[] {
  const s = deref(schema);
  if (Array.isArray(value)) return value.flatMap((item, i) => undeclaredFields(s.items, item, `${path}/${i}`));
  if (!isRecord(value)) return [];
  const members = [
    s,
    ...["allOf", "anyOf", "oneOf"].flatMap((k) => (Array.isArray(s[k]) ? (s[k] as unknown[]).map(deref) : [])),
  ];
  const properties = Object.assign({}, ...members.map((m) => (isRecord(m.properties) ? m.properties : {}))) as Record<
    string,
    unknown
  >;
  if (!members.some((m) => isRecord(m.properties))) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k in properties ? undeclaredFields(properties[k], v, `${path}/${k}`) : [`${path}/${k}`],
  );
}

interface Sent {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown> | undefined;
}

const COLLECTIONS = new Set(["dns_records", "monitors", "pools", "load_balancers"]);
const ANY_RESULT = {
  type: "CNAME",
  name: "x.example.com",
  content: "y.example.com",
  ttl: 1,
  origins: [],
  default_pools: [],
  fallback_pool: "p1",
};

/** A recording fake Cloudflare with just enough state (created objects, merged PATCHes) for the router's flows. */
function recordingCloudflare() {
  const sent: Sent[] = [];
  const store = new Map<string, Record<string, unknown>>();
  let n = 0;
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const path = url.pathname.replace(/^\/client\/v4/, "");
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as Record<string, unknown>) : undefined;
    const method = init?.method ?? "GET";
    sent.push({ method, path, query: url.searchParams, body });
    const ok = (result: unknown) => Response.json({ success: true, errors: [], messages: [], result });
    if (path === "/user/tokens/verify") return ok({ id: "tok", status: "active" });
    if (path === "/zones") return ok([{ id: "zone1", name: "example.com", status: "active" }]);
    if (path.endsWith("/subscriptions"))
      return ok([{ id: "sub1", product: { name: "prod_load_balancing" }, rate_plan: { id: "LOAD_BALANCING_BASIC" } }]);
    if (path.endsWith("/settings/ssl")) return ok({ id: "ssl", value: "full", editable: true });
    const segments = path.split("/");
    if (COLLECTIONS.has(segments.at(-1) ?? "")) {
      if (method === "GET") return ok([...store.values()].filter((i) => i.collection === path));
      const created = { ttl: 1, ...body, id: `obj${++n}`, collection: path };
      store.set(created.id, created);
      return ok(created);
    }
    // An id the fake never handed out (the per-method calls use fixed ids) gets an object that fits every result shape.
    const id = segments.at(-1) ?? "";
    const item = store.get(id) ?? { ...ANY_RESULT, id, collection: segments.slice(0, -1).join("/") };
    store.set(id, item);
    return ok(method === "PATCH" ? Object.assign(item, body) : item);
  };
  return { api: createCloudflareApi({ fetch, sleep: async () => {} }, { token: "test-token" }), sent };
}

const MONITOR = {
  type: "https",
  method: "GET",
  path: "/health",
  expected_codes: "200",
  header: { Host: ["a.up.railway.app"] },
  description: "infra-chat x",
  interval: 60,
  timeout: 5,
  retries: 2,
  follow_redirects: false,
} satisfies CloudflareMonitorInput;
const ORIGIN = {
  name: "api",
  address: "a.up.railway.app",
  weight: 1,
  enabled: true,
  header: { Host: ["a.up.railway.app"] },
};
const LB = {
  name: "api.example.com",
  default_pools: ["p1", "p2"],
  fallback_pool: "p1",
  proxied: true,
  steering_policy: "random",
  random_steering: { pool_weights: { p1: 0.9, p2: 0.1 }, default_weight: 1 },
  description: "d",
} satisfies CloudflareLoadBalancerInput;

/** One entry per CloudflareApi method (the mapped type makes a missing method a compile error), optional fields filled in. */
const EVERY_METHOD: { [M in keyof CloudflareApi]: (api: CloudflareApi) => Promise<unknown> } = {
  verifyToken: (api) => api.verifyToken(),
  listZones: (api) => api.listZones("example.com"),
  listSubscriptions: (api) => api.listSubscriptions("acct1"),
  zoneSslMode: (api) => api.zoneSslMode("zone1"),
  listDnsRecords: (api) => api.listDnsRecords("zone1", { type: "CNAME", name: "api.example.com" }),
  createDnsRecord: async (api) => {
    await api.createDnsRecord("zone1", {
      type: "A",
      name: "a.example.com",
      content: "198.51.100.4",
      proxied: true,
      ttl: 1,
      tags: ["owner:infra-chat"],
    });
    await api.createDnsRecord("zone1", {
      type: "AAAA",
      name: "a.example.com",
      content: "2001:db8::1",
      proxied: false,
      ttl: 300,
    });
    await api.createDnsRecord("zone1", { type: "TXT", name: "_verify.example.com", content: "token=abc", ttl: 3600 });
    return api.createDnsRecord("zone1", {
      type: "CNAME",
      name: "api.example.com",
      content: "a.up.railway.app",
      proxied: true,
      ttl: 1,
    });
  },
  patchDnsRecord: (api) =>
    api.patchDnsRecord("zone1", "rec1", {
      type: "CNAME",
      name: "api.example.com",
      content: "b.up.railway.app",
      proxied: true,
    }),
  deleteDnsRecord: (api) => api.deleteDnsRecord("zone1", "rec1"),
  listMonitors: (api) => api.listMonitors("acct1"),
  createMonitor: (api) => api.createMonitor("acct1", MONITOR),
  patchMonitor: (api) => api.patchMonitor("acct1", "mon1", { ...MONITOR, path: "/ready" }),
  listPools: (api) => api.listPools("acct1"),
  createPool: (api) =>
    api.createPool("acct1", {
      name: "api-stable",
      origins: [ORIGIN],
      monitor: "mon1",
      enabled: true,
      description: "d",
      minimum_origins: 1,
    }),
  getPool: (api) => api.getPool("acct1", "pool1"),
  patchPool: (api) =>
    api.patchPool("acct1", "pool1", { origins: [{ ...ORIGIN, weight: 0.5 }], monitor: "mon1", enabled: false }),
  listLoadBalancers: (api) => api.listLoadBalancers("zone1"),
  createLoadBalancer: (api) => api.createLoadBalancer("zone1", LB),
  getLoadBalancer: (api) => api.getLoadBalancer("zone1", "lb1"),
  patchLoadBalancer: (api) =>
    api.patchLoadBalancer("zone1", "lb1", {
      default_pools: ["p1"],
      random_steering: { pool_weights: { p1: 1, p2: 0 } },
    }),
};

const SPLIT = {
  hostname: "api.example.com",
  stableOrigin: "a.up.railway.app",
  canaryOrigin: "b.up.railway.app",
  healthPath: "/health",
  namePrefix: "shop-prod-api",
};

/** Every method, then the router's flows: create, repair after drift, every weight step, read-back. */
async function recordEverything(): Promise<{ byMethod: Map<string, Sent[]>; all: Sent[] }> {
  const { api, sent } = recordingCloudflare();
  const byMethod = new Map<string, Sent[]>();
  const run = async (name: string, action: () => Promise<unknown>) => {
    const from = sent.length;
    await action();
    byMethod.set(name, sent.slice(from));
  };
  for (const [name, invoke] of Object.entries(EVERY_METHOD)) await run(name, () => invoke(api));
  const router = createCloudflareTrafficRouter(api, { accountId: "acct2", zoneId: "zone2" });
  await run("ensureSplit (create)", async () => {
    const binding = await router.ensureSplit(SPLIT);
    for (const percent of [0, 10, 50, 100, 0]) await router.setCanaryWeight(binding, percent);
    await router.canaryWeight(binding);
  });
  await run("ensureSplit (repair)", () =>
    router.ensureSplit({ ...SPLIT, canaryOrigin: "c.up.railway.app", healthPath: "/ready" }),
  );
  return { byMethod, all: sent };
}

describe("what the Cloudflare adapter sends", () => {
  it("sends at least one request per CloudflareApi method and router flow, and the router both creates and patches", async () => {
    const { byMethod } = await recordEverything();
    for (const [name, requests] of byMethod) expect(requests.length, name).toBeGreaterThan(0);
    const router = [...(byMethod.get("ensureSplit (create)") ?? []), ...(byMethod.get("ensureSplit (repair)") ?? [])];
    const kinds = new Set(router.map((r) => `${r.method} ${operationFor(r.method, r.path)?.template}`));
    for (const expected of [
      "POST /accounts/{account_id}/load_balancers/monitors",
      "PATCH /accounts/{account_id}/load_balancers/monitors/{monitor_id}",
      "POST /accounts/{account_id}/load_balancers/pools",
      "PATCH /accounts/{account_id}/load_balancers/pools/{pool_id}",
      "POST /zones/{zone_id}/load_balancers",
      "PATCH /zones/{zone_id}/load_balancers/{load_balancer_id}",
    ])
      expect(kinds, expected).toContain(expected);
  });

  it("uses only paths that are operations of the OpenAPI file, with declared query parameters", async () => {
    const { all } = await recordEverything();
    for (const { method, path, query } of all) {
      const op = operationFor(method, path);
      expect(op, `${method} ${path}`).toBeDefined();
      const declared = queryParameters(op!);
      for (const [name, value] of query) {
        const schemaRef = declared.get(name);
        expect(schemaRef, `${method} ${path} ?${name}`).toBeDefined();
        const validate = queryAjv.getSchema(schemaRef!);
        expect(validate?.(value), `${method} ${path} ?${name}=${value}`).toBe(true);
      }
    }
  });

  it("sends a JSON body exactly where the operation documents a body schema, and it validates with zero errors", async () => {
    const { all } = await recordEverything();
    let checked = 0;
    for (const { method, path, body } of all) {
      const op = operationFor(method, path)!;
      // Every DELETE in the spec declares a JSON body without a schema: there is nothing to send or check.
      const documented = op.operation.requestBody?.content?.["application/json"]?.schema !== undefined;
      expect(body !== undefined, `${method} ${path} has a body`).toBe(documented);
      if (!body) continue;
      expect(at(bodySchema(op, body)), `${method} ${path} schema`).toBeDefined();
      expect(bodyErrors(op, body), `${method} ${path} ${JSON.stringify(body)}`).toEqual([]);
      expect(undeclaredFields({ $ref: bodySchema(op, body) }, body), `${method} ${path} undeclared`).toEqual([]);
      checked += 1;
    }
    // 4 DNS creates + 1 DNS patch, monitor/pool/LB create and patch, router creates, repairs and 5 weight PATCHes.
    expect(checked).toBeGreaterThanOrEqual(20);
  });
});

describe("the checks can fail", () => {
  it("finds no operation for an invented endpoint or a method the path does not have", () => {
    expect(operationFor("GET", "/zones/z1/load_balancers/lb1/pools")).toBeUndefined();
    expect(operationFor("POST", "/zones/z1/load_balancers/lb1")).toBeUndefined();
    expect(operationFor("PATCH", "/zones/z1/load_balancers/lb1")?.template).toBe(
      "/zones/{zone_id}/load_balancers/{load_balancer_id}",
    );
  });

  it("rejects bodies that break the schema", () => {
    const lbCreate = operationFor("POST", "/zones/z1/load_balancers")!;
    expect(bodyErrors(lbCreate, { name: "api.example.com", default_pools: "p1" })).not.toEqual([]);
    const monitorPatch = operationFor("PATCH", "/accounts/a1/load_balancers/monitors/m1")!;
    expect(bodyErrors(monitorPatch, { path: "/ready" })).toContain("/ must have required property 'expected_codes'");
    const poolCreate = operationFor("POST", "/accounts/a1/load_balancers/pools")!;
    expect(bodyErrors(poolCreate, { name: "p", origins: [{ ...ORIGIN, weight: 2 }] })).not.toEqual([]);
    const dnsCreate = operationFor("POST", "/zones/z1/dns_records")!;
    expect(bodyErrors(dnsCreate, { type: "A", name: "a.example.com", content: "not-an-ip" })).not.toEqual([]);
    expect(bodyErrors(dnsCreate, { type: "CNAME", name: "a.example.com", content: "x", ttl: 5 })).not.toEqual([]);
  });

  it("flags a field the schema does not declare, which Ajv alone lets through", () => {
    const lbCreate = operationFor("POST", "/zones/z1/load_balancers")!;
    const body = {
      name: "api.example.com",
      default_pools: ["p1"],
      fallback_pool: "p1",
      fallbackPool: "p1",
      random_steering: { pool_weights: { p1: 1 }, weights: {} },
    };
    expect(bodyErrors(lbCreate, body)).toEqual([]);
    expect(undeclaredFields({ $ref: bodySchema(lbCreate, body) }, body)).toEqual([
      "/fallbackPool",
      "/random_steering/weights",
    ]);
    const txt = { type: "TXT", name: "t.example.com", content: "x", proxied: true };
    expect(undeclaredFields({ $ref: bodySchema(operationFor("POST", "/zones/z1/dns_records")!, txt) }, txt)).toEqual([
      "/proxied",
    ]);
  });

  it("needs the DNS caveat: a correct create body fails the spec's own DNS request schema", () => {
    const validate = ajv.getSchema(
      ajvRef(
        pointer(
          "paths",
          "/zones/{zone_id}/dns_records",
          "post",
          "requestBody",
          "content",
          "application/json",
          "schema",
        ),
      ),
    )!;
    expect(
      validate({ type: "CNAME", name: "api.example.com", content: "a.up.railway.app", proxied: true, ttl: 1 }),
    ).toBe(false);
    expect(validate.errors?.map((e) => e.params)).toContainEqual({ missingProperty: "id" });
  });
});
