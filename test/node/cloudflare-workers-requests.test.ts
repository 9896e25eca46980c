/**
 * Every request the edge router adapter sends (its whole flow: ensureSplit, weights, reads, remove, and the
 * subscriptions read that picks the default router) against Cloudflare's published OpenAPI file: the path and
 * method are an operation of it, JSON bodies validate against its schemas, and multipart bodies carry the
 * parts it documents (the subscriptions read excepted: see OUTSIDE_THE_FILE). Two caveats of the 2024-08 file (cloudflare.md "Schema caveats"): DNS bodies validate
 * against the per-type record schema, and its `workers_binding` lacks the json and secret_text kinds the
 * upload metadata documents, so settings bindings are held to those documented shapes instead.
 */
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { createCloudflareApi } from "../../src/providers/cloudflare/adapter";
import { createEdgeTrafficRouter } from "../../src/providers/cloudflare/edge-traffic";
import { createTrafficRouters } from "../../src/providers/cloudflare/routers";
import { createCloudflareTrafficRouter } from "../../src/providers/cloudflare/traffic";
import { createCloudflareWorkersApi } from "../../src/providers/cloudflare/workers-api";
import { boundaryOf, parseMultipart } from "../../src/sandbox/cloudflare/multipart";

const SPEC_ID = "cloudflare.openapi.json";
type Json = Record<string, any>;
const spec = JSON.parse(
  readFileSync(new URL("../fixtures/providers/cloudflare.openapi.json", import.meta.url), "utf8"),
) as Json;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(spec, SPEC_ID);

const ref = (...segments: string[]) =>
  `${SPEC_ID}#/${segments.map((s) => encodeURIComponent(s.replaceAll("~", "~0").replaceAll("/", "~1"))).join("/")}`;

function errors(schemaRef: string | object, value: unknown): string[] {
  const validate = typeof schemaRef === "string" ? ajv.getSchema(schemaRef) : ajv.compile(schemaRef);
  if (!validate) return [`no schema ${String(schemaRef)}`];
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

const OPERATIONS = Object.entries(spec.paths as Json).flatMap(([template, item]) =>
  Object.keys(item as Json).map((method) => ({
    template,
    method: method.toUpperCase(),
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  })),
);

interface Sent {
  method: string;
  path: string;
  contentType: string | null;
  text: string;
}

/** A fake Cloudflare that records requests and keeps just enough state for the adapter's flow. */
function recordingCloudflare() {
  const sent: Sent[] = [];
  const routes = new Map<string, Json>();
  let settings: Json[] = [];
  let n = 0;
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const path = url.pathname.replace(/^\/client\/v4/, "");
    const method = init?.method ?? "GET";
    const contentType = new Headers(init?.headers).get("content-type");
    const text = typeof init?.body === "string" ? init.body : "";
    sent.push({ method, path, contentType, text });
    const ok = (result: unknown) => Response.json({ success: true, errors: [], messages: [], result });
    if (path.endsWith("/subscriptions")) return ok([{ product: { name: "prod_load_balancing" } }]);
    if (path.endsWith("/dns_records"))
      return ok(method === "GET" ? [] : { id: "dns1", type: "CNAME", name: "x", content: "y", proxied: true, ttl: 1 });
    if (path.endsWith("/settings")) {
      if (method === "PATCH") {
        const part = parseMultipart(text, boundaryOf(contentType) ?? "")?.find((p) => p.name === "settings");
        settings = JSON.parse(part?.content ?? "{}").bindings;
      }
      return ok({ bindings: settings.map((b) => (b.type === "secret_text" ? { type: b.type, name: b.name } : b)) });
    }
    if (/\/workers\/scripts\/[^/]+$/.test(path)) return ok({ id: path.split("/").at(-1), etag: "e1" });
    if (path.endsWith("/workers/routes")) {
      if (method === "GET") return ok([...routes.values()]);
      const route = { id: `route${++n}`, ...JSON.parse(text) };
      routes.set(route.id, route);
      return ok(route);
    }
    const id = path.split("/").at(-1) ?? "";
    if (method === "DELETE") routes.delete(id);
    return ok({ id });
  };
  const ctx = { fetch, sleep: async () => {} };
  const workers = createCloudflareWorkersApi(ctx, { token: "t" });
  const dns = createCloudflareApi(ctx, { token: "t" });
  const zone = { accountId: "a".repeat(32), zoneId: "b".repeat(32) };
  const edge = createEdgeTrafficRouter(workers, dns, {
    ...zone,
    script: "export default { fetch() { return new Response('ok'); } };",
    routerSecret: async () => "secret-value",
    reportUrl: "https://infra-chat.example.com/edge/v1/reports?env=env_1",
    now: () => 1_800_000_000_000,
  });
  const routers = createTrafficRouters(
    { edge, "load-balancer": createCloudflareTrafficRouter(dns, zone) },
    workers,
    zone.accountId,
  );
  return { routers, sent };
}

/** The documented shapes of the binding kinds the router uses (multipart upload metadata, "bindings"). */
const BINDING = {
  oneOf: [
    {
      type: "object",
      required: ["type", "name", "json"],
      properties: { type: { const: "json" }, name: { type: "string" } },
    },
    {
      type: "object",
      required: ["type", "name", "text"],
      properties: { type: { const: "secret_text" }, name: { type: "string" }, text: { type: "string" } },
    },
  ],
};

/**
 * Account Subscriptions is a real read (it lists prod_load_balancing when the account has the add-on) that the
 * trimmed 2024-08 file does not carry; the sandbox models it (account-settings.ts). Only its shape is checked.
 */
const OUTSIDE_THE_FILE = /^\/accounts\/[0-9a-f]{32}\/subscriptions$/;

function problems(s: Sent): string[] {
  if (OUTSIDE_THE_FILE.test(s.path)) return s.method === "GET" && !s.text ? [] : ["subscriptions is a bodiless GET"];
  const op = OPERATIONS.find((o) => o.method === s.method && o.pattern.test(s.path));
  if (!op) return [`${s.method} ${s.path} is not an operation of the spec`];
  const boundary = boundaryOf(s.contentType);
  if (!boundary) {
    if (!s.text) return [];
    const body = JSON.parse(s.text);
    const schema = op.template.endsWith("/dns_records")
      ? ref("components", "schemas", `dns-records_${body.type}Record`)
      : ref("paths", op.template, op.method.toLowerCase(), "requestBody", "content", "application/json", "schema");
    return errors(schema, body);
  }
  const parts = parseMultipart(s.text, boundary);
  if (!parts) return ["malformed multipart body"];
  if (op.method === "PUT") {
    // The upload: its metadata, and a module part of a type the encoding lists, named by main_module.
    const upload = spec.components.requestBodies.workers_script_upload.content["multipart/form-data"];
    const metadataPart = parts.find((p) => p.name === "metadata");
    const metadata = JSON.parse(metadataPart?.content ?? "null");
    const module = parts.find((p) => p.name === metadata?.main_module);
    return [
      ...errors({ ...upload.schema.oneOf[0].properties.metadata, components: spec.components }, metadata).map(
        (e) => `metadata ${e}`,
      ),
      ...(metadata.bindings as unknown[]).flatMap((b) => errors(BINDING, b).map((e) => `binding ${e}`)),
      ...(module && upload.encoding["<any part name>"].contentType.split(", ").includes(module.contentType)
        ? []
        : [`module part ${metadata?.main_module} missing or of an undocumented type`]),
    ];
  }
  // The settings PATCH: one `settings` part.
  const settings = JSON.parse(parts.find((p) => p.name === "settings")?.content ?? "null");
  const { bindings, ...rest } = settings ?? {};
  return [
    ...errors(ref("components", "schemas", "workers_script-and-version-settings-item"), rest),
    ...(bindings as unknown[]).flatMap((b) => errors(BINDING, b).map((e) => `binding ${e}`)),
    ...parts.filter((p) => p.name !== "settings").map((p) => `undocumented part ${p.name}`),
  ];
}

describe("edge router requests against Cloudflare's OpenAPI file", () => {
  it("every call of the adapter's flow is a documented operation with a valid body", async () => {
    const { routers, sent } = recordingCloudflare();
    expect(await routers.defaultKind()).toBe("load-balancer");
    const binding = await routers.ensureSplit({
      router: "edge",
      hostname: "api.example.com",
      stableOrigin: "api-production-1a2b.up.railway.app",
      canaryOrigin: "api-canary-production-3c4d.up.railway.app",
      healthPath: "/health",
      namePrefix: "shop-production-api",
      route: "shop:production/api",
    });
    await routers.setCanaryWeight(binding, 10, { salt: "run_1/s08-canary-step-10", deadline: 1_800_000_900_000 });
    expect(await routers.canaryWeight(binding)).toBe(10);
    await routers.setCanaryWeight(binding, 0);
    await routers.release(binding);
    expect(sent.map((s) => `${s.method} ${s.path.replace(/[0-9a-f]{32}/g, "{id}")}`)).toEqual([
      "GET /accounts/{id}/subscriptions",
      "GET /zones/{id}/dns_records",
      "POST /zones/{id}/dns_records",
      "PUT /accounts/{id}/workers/scripts/shop-production-api-router",
      "GET /zones/{id}/workers/routes",
      "POST /zones/{id}/workers/routes",
      "PATCH /accounts/{id}/workers/scripts/shop-production-api-router/settings",
      "GET /accounts/{id}/workers/scripts/shop-production-api-router/settings",
      "PATCH /accounts/{id}/workers/scripts/shop-production-api-router/settings",
      "GET /zones/{id}/workers/routes",
      "DELETE /zones/{id}/workers/routes/route1",
    ]);
    for (const s of sent) expect(problems(s), `${s.method} ${s.path}`).toEqual([]);
  });
});
