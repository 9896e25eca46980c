/**
 * The sandbox's Cloudflare Workers API and what its edge does with a routed hostname: module uploads with
 * bindings (multipart, as workerd's own FormData encodes it), settings, zone routes, and requests through the
 * route handled as the edge router protocol says (sticky by cookie or Authorization, stable after the
 * deadline). The sandbox reimplements the protocol; these tests hold it to the router's own code.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { hash32, inCanary as routerInCanary } from "../../src/edge-router/assign";
import { assignmentHash, canaryClients, GROUP_CLIENTS, inCanary } from "../../src/sandbox/cloudflare/edge-router";
import type { SandboxSeed } from "../../src/sandbox/types";

const world = () => env.SANDBOX_WORLD.getByName("workers-api");
let seed: SandboxSeed;
let api: string;
let web: string;

const CF = "https://api.cloudflare.com/client/v4";
const auth = { authorization: "Bearer t" };
const SCRIPT = "export default { async fetch() { return new Response('router'); } };";

beforeAll(async () => {
  seed = await world().seedInvoicePerfect();
  const { domains } = await world().state();
  const of = (service: string) => domains.find((d) => d.environment === "production" && d.service === service)!.domain;
  api = of("api");
  web = of("web");
  // The hostname is orange-clouded: a route only runs for a proxied name.
  const dns = await cf("POST", `/zones/${seed.cloudflare.zoneId}/dns_records`, {
    type: "CNAME",
    name: "api.invoiceperfect.com",
    content: api,
    proxied: true,
  });
  expect(dns.status).toBe(200);
});

async function cf(method: string, path: string, body?: unknown) {
  const res = await world().fetch(
    new Request(`${CF}${path}`, {
      method,
      headers: {
        ...auth,
        ...(body === undefined || body instanceof FormData ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    }),
  );
  return { status: res.status, body: (await res.json()) as any };
}

function upload(metadata: object | null, module = SCRIPT, type = "application/javascript+module") {
  const form = new FormData();
  if (metadata) form.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }));
  form.append("router.js", new Blob([module], { type }), "router.js");
  return form;
}

function config(canary?: { weight: number; deadline: number; salt: string }) {
  return {
    revision: 1,
    route: "invoice-perfect:production/api",
    stable: { origin: api },
    ...(canary ? { canary: { origin: web, ...canary } } : {}),
  };
}

const account = () => `/accounts/${seed.cloudflare.accountId}/workers/scripts`;

async function setConfig(json: object) {
  const form = new FormData();
  const settings = {
    bindings: [
      { type: "json", name: "ROUTER_CONFIG", json },
      { type: "inherit", name: "ROUTER_SECRET" },
    ],
  };
  form.append("settings", new Blob([JSON.stringify(settings)], { type: "application/json" }));
  return cf("PATCH", `${account()}/router/settings`, form);
}

/** Which origin answered: api serves /health, web (whose health path is "/") answers it 404. */
async function visit(headers: Record<string, string> = {}) {
  const res = await world().fetch(new Request("https://api.invoiceperfect.com/health", { headers }));
  await res.body?.cancel();
  return { service: res.status === 404 ? "web" : "api", cookie: res.headers.get("set-cookie") };
}

describe("Workers API", () => {
  it("uploads a module Worker with its bindings, and refuses what Cloudflare refuses", async () => {
    const metadata = {
      main_module: "router.js",
      compatibility_date: "2026-11-01",
      bindings: [
        { type: "json", name: "ROUTER_CONFIG", json: config() },
        { type: "secret_text", name: "ROUTER_SECRET", text: "s3cret" },
      ],
    };
    expect((await cf("PUT", `${account()}/router`, upload(null))).body.errors[0].message).toMatch(/"metadata"/);
    expect((await cf("PUT", `${account()}/router`, upload(metadata, SCRIPT, "text/plain"))).status).toBe(400);
    expect((await cf("PUT", `${account()}/router`, upload(metadata, "const x = 1;"))).body.errors[0].message).toMatch(
      /No event handlers/,
    );
    expect((await cf("PUT", `${account()}/Router!`, upload(metadata))).status).toBe(400);
    const bad = { ...metadata, bindings: [{ type: "kv_namespace", name: "KV", namespace_id: "x" }] };
    expect((await cf("PUT", `${account()}/router`, upload(bad))).status).toBe(400);
    const put = await cf("PUT", `${account()}/router`, upload(metadata));
    expect(put.status).toBe(200);
    expect(put.body.result).toMatchObject({ id: "router", handlers: ["fetch"] });
    expect((await cf("GET", account())).body.result.map((s: { id: string }) => s.id)).toEqual(["router"]);
    // Settings show the secret's name, never its text.
    const settings = await cf("GET", `${account()}/router/settings`);
    expect(settings.body.result.bindings).toEqual([
      { type: "json", name: "ROUTER_CONFIG", json: config() },
      { type: "secret_text", name: "ROUTER_SECRET" },
    ]);
    // A settings PATCH replaces the list; inherit keeps a secret without sending it again.
    expect((await setConfig(config({ weight: 0, deadline: 0, salt: "s" }))).status).toBe(200);
    const after = await cf("GET", `${account()}/router/settings`);
    expect(after.body.result.bindings[1]).toEqual({ type: "secret_text", name: "ROUTER_SECRET" });
    const logged = (await world().requests({ provider: "cloudflare", limit: 20 })).find((r) => r.method === "PUT");
    expect(JSON.stringify(logged?.body)).not.toContain("s3cret");
  });

  it("routes a zone hostname to a script: patterns stay in the zone, one route per pattern", async () => {
    const routes = `/zones/${seed.cloudflare.zoneId}/workers/routes`;
    expect((await cf("POST", routes, { pattern: "api.example.org/*", script: "router" })).status).toBe(400);
    expect((await cf("POST", routes, { pattern: "api.invoiceperfect.com/*", script: "nope" })).status).toBe(400);
    const created = await cf("POST", routes, { pattern: "api.invoiceperfect.com/*", script: "router" });
    expect(created.status).toBe(200);
    expect((await cf("POST", routes, { pattern: "api.invoiceperfect.com/*", script: "router" })).status).toBe(409);
    expect((await cf("GET", routes)).body.result).toEqual([
      { id: created.body.result.id, pattern: "api.invoiceperfect.com/*", script: "router" },
    ]);
  });
});

describe("a routed hostname", () => {
  it("sends everyone to stable without a canary, and sets no cookie", async () => {
    await setConfig(config());
    expect(await visit()).toEqual({ service: "api", cookie: null });
  });

  it("keeps a client on one version by its cookie or token, and sends everyone to stable after the deadline", async () => {
    await setConfig(config({ weight: 100, deadline: Date.now() + 60_000, salt: "step-a" }));
    const first = await visit();
    expect(first.service).toBe("web");
    expect(first.cookie).toMatch(/^__ic_track=[0-9a-f]{32}; Path=\/; Max-Age=86400; HttpOnly; Secure; SameSite=Lax$/);
    const cookie = first.cookie!.split(";")[0];
    // At 50% the same client keeps the assignment its hash gives it, request after request.
    await setConfig(config({ weight: 50, deadline: Date.now() + 60_000, salt: "step-b" }));
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) seen.add((await visit({ cookie })).service);
    expect(seen.size).toBe(1);
    const expected = routerInCanary(`c:${cookie.split("=")[1]}`, "step-b", 50) ? "web" : "api";
    expect([...seen]).toEqual([expected]);
    const token = new Set<string>();
    for (let i = 0; i < 5; i++) token.add((await visit({ authorization: "Bearer ip_live_abc" })).service);
    expect([...token]).toEqual([routerInCanary("a:Bearer ip_live_abc", "step-b", 50) ? "web" : "api"]);
    await setConfig(config({ weight: 100, deadline: Date.now() - 1, salt: "step-c" }));
    expect((await visit({ cookie })).service).toBe("api");
  });
});

describe("the sandbox's reading of the protocol", () => {
  it("hashes and assigns exactly as the router does", () => {
    for (let i = 0; i < 10_000; i++) {
      const key = `${i % 2 ? "c" : "a"}:${crypto.randomUUID()}`;
      const salt = `run_${i % 7}/s0${i % 9}-canary-step-10`;
      expect(assignmentHash(`${salt}\n${key}`)).toBe(hash32(`${salt}\n${key}`));
      const weight = i % 101;
      const cfg = {
        revision: 1,
        route: "",
        stable: { origin: api },
        canary: { origin: web, weight, deadline: Infinity, salt },
        cookie: "__ic_track",
      };
      expect(inCanary(cfg, key, 0)).toBe(routerInCanary(key, salt, weight));
    }
  });

  it("gives a group's simulated clients shares near the weight, drawn afresh by each step's salt", () => {
    const share = (salt: string, weight: number) => {
      const cfg = {
        revision: 1,
        route: "",
        stable: { origin: api },
        canary: { origin: web, weight, deadline: 1, salt },
        cookie: "c",
      };
      return canaryClients(cfg, 12345).reduce((n, x) => n + x, 0) / GROUP_CLIENTS;
    };
    // 400 clients: the standard deviation of a 30% share is 2.3 points.
    for (const salt of ["a", "b", "c"]) expect(Math.abs(share(salt, 30) - 0.3)).toBeLessThan(0.08);
    expect(share("a", 0)).toBe(0);
    expect(share("a", 100)).toBe(1);
  });
});
