/**
 * The Cloudflare adapter and canary traffic router against a fake Cloudflare (a recording fetch over a tiny
 * in-memory v4 model): envelope errors, 429 retry-after, write safety, idempotent ensureSplit, weight
 * transitions and their read-back, and one receipt per call.
 */
import { describe, expect, it } from "vitest";
import type { TrafficBinding } from "../../src/domain/traffic";
import { createCloudflareApi, MANAGED_COMMENT } from "../../src/providers/cloudflare/adapter";
import { createCloudflareTrafficRouter } from "../../src/providers/cloudflare/traffic";
import type { ProviderContext, Receipt } from "../../src/providers/types";
import { failureOf } from "./helpers";

type Json = Record<string, unknown>;

interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: Json | undefined;
}

/**
 * A scripted answer for the next request (or the next one `when` matches): `reply` replaces the model's
 * answer (nothing applied), `applyThenReply` lets the model apply the request and answers this instead.
 */
type Fault = ({ reply: Response } | { applyThenReply: Response }) & { when?: (request: RecordedRequest) => boolean };

const BASE = "https://api.cloudflare.com/client/v4";
const ZONE = { id: "zone-1", name: "example.com", status: "active" };
const COLLECTION =
  /^(\/zones\/[^/]+\/(?:dns_records|load_balancers)|\/accounts\/[^/]+\/load_balancers\/(?:monitors|pools))(?:\/([^/]+))?$/;
const DEFAULTS: Record<string, Json> = {
  dns_records: { ttl: 1, proxied: false },
  load_balancers: { proxied: false, steering_policy: "", enabled: true },
  pools: { enabled: true },
  monitors: { type: "http", method: "GET", path: "/", header: {} },
};

const envelope = (status: number, result: unknown, headers: Record<string, string> = {}) =>
  Response.json({ success: true, errors: [], messages: [], result }, { status, headers });
const refusal = (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
  Response.json({ success: false, errors: [{ code, message }], messages: [], result: null }, { status, headers });

/** A fake Cloudflare: records every request and answers from an in-memory model of the v4 resources the adapter uses. */
function fakeCloudflare() {
  const requests: RecordedRequest[] = [];
  const receipts: Receipt[] = [];
  const sleeps: number[] = [];
  const faults: Fault[] = [];
  const collections = new Map<string, Map<string, Json>>();
  let nextId = 0;

  const itemsOf = (collection: string) =>
    collections.get(collection) ?? collections.set(collection, new Map()).get(collection)!;

  function answer(method: string, path: string, query: URLSearchParams, body: Json | undefined): Response {
    if (method === "GET" && path === "/user/tokens/verify") return envelope(200, { id: "token-1", status: "active" });
    if (method === "GET" && path === "/zones")
      return envelope(
        200,
        [ZONE].filter((z) => z.name === query.get("name")),
      );
    const match = COLLECTION.exec(path);
    if (!match) return refusal(400, 7003, "No route for the URI");
    const [, collection, id] = match;
    const kind = collection.split("/").at(-1)!;
    const items = itemsOf(collection);
    if (!id && method === "GET") {
      return envelope(
        200,
        [...items.values()].filter((item) => [...query].every(([k, v]) => item[k] === v)),
      );
    }
    if (!id && method === "POST") {
      const item = { ...DEFAULTS[kind], ...body, id: `${kind}-${++nextId}` };
      items.set(item.id, item);
      return envelope(200, item);
    }
    const item = id ? items.get(id) : undefined;
    if (!item) return refusal(404, 1002, "Not found");
    if (method === "GET") return envelope(200, item);
    if (method === "PATCH") return envelope(200, Object.assign(item, body));
    if (method !== "DELETE") return refusal(405, 10000, "Method not allowed");
    items.delete(id);
    return envelope(200, { id });
  }

  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    expect(url.origin + url.pathname.slice(0, "/client/v4".length)).toBe(BASE);
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as Json) : undefined;
    const request = {
      method: init?.method ?? "GET",
      path: url.pathname.slice("/client/v4".length),
      query: url.searchParams,
      headers: new Headers(init?.headers),
      body,
    };
    requests.push(request);
    const at = faults.findIndex((f) => !f.when || f.when(request));
    const fault = at < 0 ? undefined : faults.splice(at, 1)[0];
    if (fault && "reply" in fault) return fault.reply;
    const response = answer(request.method, request.path, request.query, body);
    return fault ? fault.applyThenReply : response;
  };
  const ctx: ProviderContext = { fetch, onReceipt: (r) => receipts.push(r), sleep: async (ms) => void sleeps.push(ms) };
  const api = createCloudflareApi(ctx, { token: "cf-token" });
  const router = createCloudflareTrafficRouter(api, { accountId: "acct-1", zoneId: "zone-1" });
  /** The model's copy of one resource, for assertions and for simulating drift made outside Infra Chat. */
  const stored = (collection: string, id: string) => itemsOf(collection).get(id)!;
  const count = (collection: string) => itemsOf(collection).size;
  return { api, router, requests, receipts, sleeps, faults, stored, count };
}

const MONITORS = "/accounts/acct-1/load_balancers/monitors";
const POOLS = "/accounts/acct-1/load_balancers/pools";
const LBS = "/zones/zone-1/load_balancers";

const SPLIT = {
  hostname: "api.example.com",
  stableOrigin: "api-production.up.railway.app",
  canaryOrigin: "api-canary-production.up.railway.app",
  healthPath: "/health",
  namePrefix: "shop-production-api",
};

/** "METHOD /path" of each request, ids replaced by their collection's template parameter. */
const calls = (requests: RecordedRequest[]) =>
  requests.map((r) => `${r.method} ${r.path.replace(/\/(monitors|pools|load_balancers|dns_records)-\d+$/, "/{id}")}`);

describe("Cloudflare adapter", () => {
  it("calls the v4 base with the Bearer token and unwraps the envelope, keeping the token out of receipts", async () => {
    const cf = fakeCloudflare();
    await expect(cf.api.verifyToken()).resolves.toEqual({ id: "token-1", status: "active" });
    await expect(cf.api.listZones("example.com")).resolves.toEqual([ZONE]);
    expect(cf.requests[0].headers.get("Authorization")).toBe("Bearer cf-token");
    expect(cf.requests[0].headers.get("Content-Type")).toBeNull();
    expect(cf.requests[1].query.get("name")).toBe("example.com");
    expect(cf.receipts.map((r) => r.url)).toEqual([`${BASE}/user/tokens/verify`, `${BASE}/zones?name=example.com`]);
    expect(JSON.stringify(cf.receipts)).not.toContain("cf-token");
  });

  it("turns success:false into a non-retryable ProviderError carrying Cloudflare's error code", async () => {
    const cf = fakeCloudflare();
    cf.faults.push({ reply: refusal(200, 1004, "DNS Validation Error") });
    const inside200 = await failureOf(cf.api.listDnsRecords("zone-1"));
    expect(inside200).toMatchObject({ provider: "cloudflare", status: 200, retryable: false });
    expect(inside200.message).toBe(
      "GET /zones/{zone_id}/dns_records: Cloudflare refused the request: [1004] DNS Validation Error",
    );

    cf.faults.push({ reply: refusal(403, 10000, "Authentication error") });
    const forbidden = await failureOf(cf.api.listMonitors("acct-1"));
    expect(forbidden).toMatchObject({ status: 403, retryable: false });
    expect(forbidden.message).toContain("Authentication error");
    expect(cf.requests).toHaveLength(2);
    expect(cf.receipts.map((r) => r.error)).toEqual([inside200.message, forbidden.message]);
  });

  it("honours retry-after on a 429, even for a create, and hands a 5-minute block back as retryAfterMs", async () => {
    const cf = fakeCloudflare();
    cf.faults.push({
      reply: refusal(429, 971, "Please wait and consider throttling your request speed", { "retry-after": "3" }),
    });
    const record = await cf.api.createDnsRecord("zone-1", {
      type: "CNAME",
      name: "api.example.com",
      content: "x.up.railway.app",
      proxied: true,
    });
    expect(cf.sleeps).toEqual([3000]);
    expect(cf.requests).toHaveLength(2);
    expect(cf.count("/zones/zone-1/dns_records")).toBe(1);
    expect(cf.receipts).toMatchObject([
      {
        operation: "POST /zones/{zone_id}/dns_records",
        attempts: 2,
        status: 200,
        responseIds: { dnsRecordId: record.id },
      },
    ]);

    cf.faults.push({ reply: refusal(429, 971, "rate limited", { "retry-after": "300" }) });
    expect(await failureOf(cf.api.listPools("acct-1"))).toMatchObject({
      status: 429,
      retryable: true,
      retryAfterMs: 300_000,
    });
    expect(cf.sleeps).toEqual([3000]);
  });

  it("never re-sends a create after a 5xx (it may have been applied), but retries reads and PATCHes", async () => {
    const cf = fakeCloudflare();
    cf.faults.push({ applyThenReply: refusal(502, 0, "bad gateway") });
    const monitor = { type: "https", path: "/health", expected_codes: "200", description: "m" } as const;
    expect(await failureOf(cf.api.createMonitor("acct-1", monitor))).toMatchObject({
      ambiguous: true,
      retryable: true,
    });
    expect(cf.requests).toHaveLength(1);

    const [created] = await cf.api.listMonitors("acct-1");
    cf.faults.push({ reply: refusal(503, 0, "unavailable") });
    await cf.api.patchMonitor("acct-1", created.id, { ...monitor, path: "/ready" });
    expect(calls(cf.requests.slice(2))).toEqual([`PATCH ${MONITORS}/{id}`, `PATCH ${MONITORS}/{id}`]);
    expect(cf.stored(MONITORS, created.id).path).toBe("/ready");
  });

  it("marks created DNS records as managed, filters lists by type and name, and patches and deletes by id", async () => {
    const cf = fakeCloudflare();
    const input = {
      type: "CNAME",
      name: "app.example.com",
      content: "app.up.railway.app",
      proxied: true,
      ttl: 1,
    } as const;
    const record = await cf.api.createDnsRecord("zone-1", input);
    expect(cf.requests[0].body).toEqual({ ...input, comment: MANAGED_COMMENT });
    expect(record).toMatchObject({ ...input, comment: MANAGED_COMMENT });

    await expect(cf.api.listDnsRecords("zone-1", { type: "CNAME", name: "app.example.com" })).resolves.toHaveLength(1);
    expect(Object.fromEntries(cf.requests[1].query)).toEqual({ type: "CNAME", name: "app.example.com" });
    await cf.api.patchDnsRecord("zone-1", record.id, { ...input, content: "app2.up.railway.app" });
    expect(cf.requests[2].body).toEqual({ ...input, content: "app2.up.railway.app" });
    await cf.api.deleteDnsRecord("zone-1", record.id);
    expect(cf.count("/zones/zone-1/dns_records")).toBe(0);
    expect(cf.receipts.map((r) => r.responseIds)).toEqual([
      { zoneId: "zone-1", dnsRecordId: record.id },
      { zoneId: "zone-1" },
      { zoneId: "zone-1", dnsRecordId: record.id },
      { zoneId: "zone-1", dnsRecordId: record.id },
    ]);
  });

  it("refuses an id that could leave its path segment, without calling Cloudflare", async () => {
    const cf = fakeCloudflare();
    await failureOf(cf.api.getPool("acct-1", ".."));
    await failureOf(cf.api.getLoadBalancer("zone-1/../../accounts", "lb"));
    expect(cf.requests).toHaveLength(0);
  });

  it("fails a result whose shape does not match", async () => {
    const cf = fakeCloudflare();
    cf.faults.push({ reply: envelope(200, { id: "lb-1", name: "api.example.com" }) });
    expect((await failureOf(cf.api.getLoadBalancer("zone-1", "lb-1"))).message).toContain("unexpected response shape");
  });
});

describe("Cloudflare traffic router", () => {
  it("ensureSplit creates the monitor, both pools and the load balancer once, starting at 0% canary", async () => {
    const cf = fakeCloudflare();
    const binding = await cf.router.ensureSplit(SPLIT);
    expect(calls(cf.requests)).toEqual([
      `GET ${MONITORS}`,
      `POST ${MONITORS}`,
      `GET ${POOLS}`,
      `POST ${POOLS}`,
      `POST ${POOLS}`,
      `GET ${LBS}`,
      `POST ${LBS}`,
    ]);
    const [, monitor, , stable, canary, , lb] = cf.requests.map((r) => r.body);
    expect(monitor).toEqual({
      type: "https",
      method: "GET",
      path: "/health",
      expected_codes: "200",
      header: { Host: [SPLIT.stableOrigin] },
      description: "infra-chat shop-production-api",
    });
    expect(stable).toMatchObject({ name: "shop-production-api-stable", monitor: binding.monitorId, enabled: true });
    expect(stable?.origins).toEqual([
      {
        name: "shop-production-api-stable",
        address: SPLIT.stableOrigin,
        header: { Host: [SPLIT.stableOrigin] },
        weight: 1,
        enabled: true,
      },
    ]);
    expect(canary).toMatchObject({ name: "shop-production-api-canary", monitor: binding.monitorId });
    expect(canary?.origins).toEqual([
      {
        name: "shop-production-api-canary",
        address: SPLIT.canaryOrigin,
        header: { Host: [SPLIT.canaryOrigin] },
        weight: 1,
        enabled: true,
      },
    ]);
    expect(lb).toMatchObject({
      name: "api.example.com",
      proxied: true,
      fallback_pool: binding.stablePoolId,
      steering_policy: "random",
      default_pools: [binding.stablePoolId],
      random_steering: { pool_weights: { [binding.stablePoolId]: 1, [binding.canaryPoolId]: 0 } },
    });
    expect(binding).toEqual({
      hostname: "api.example.com",
      zoneId: "zone-1",
      accountId: "acct-1",
      monitorId: cf.receipts[1].responseIds?.monitorId,
      stablePoolId: cf.receipts[3].responseIds?.poolId,
      canaryPoolId: cf.receipts[4].responseIds?.poolId,
      loadBalancerId: cf.receipts[6].responseIds?.loadBalancerId,
    });

    const again = await cf.router.ensureSplit(SPLIT);
    expect(again).toEqual(binding);
    expect(calls(cf.requests.slice(7))).toEqual([`GET ${MONITORS}`, `GET ${POOLS}`, `GET ${LBS}`]);
    expect([cf.count(MONITORS), cf.count(POOLS), cf.count(LBS)]).toEqual([1, 2, 1]);
    await expect(cf.router.canaryWeight(binding)).resolves.toBe(0);
  });

  it("ensureSplit patches what drifted (origin, health path, LB settings) instead of creating it again", async () => {
    const cf = fakeCloudflare();
    const binding = await cf.router.ensureSplit(SPLIT);
    Object.assign(cf.stored(LBS, binding.loadBalancerId), {
      fallback_pool: binding.canaryPoolId,
      steering_policy: "off",
    });
    cf.requests.length = 0;

    const moved = { ...SPLIT, canaryOrigin: "api-canary-2.up.railway.app", healthPath: "/ready" };
    expect(await cf.router.ensureSplit(moved)).toEqual(binding);
    expect(calls(cf.requests)).toEqual([
      `GET ${MONITORS}`,
      `PATCH ${MONITORS}/{id}`,
      `GET ${POOLS}`,
      `PATCH ${POOLS}/{id}`,
      `GET ${LBS}`,
      `PATCH ${LBS}/{id}`,
    ]);
    expect(cf.requests[1].body).toMatchObject({ path: "/ready", expected_codes: "200", type: "https" });
    expect(cf.requests[3].path).toBe(`${POOLS}/${binding.canaryPoolId}`);
    expect(cf.requests[3].body?.origins).toEqual([
      {
        name: "shop-production-api-canary",
        address: moved.canaryOrigin,
        header: { Host: [moved.canaryOrigin] },
        weight: 1,
        enabled: true,
      },
    ]);
    expect(cf.stored(LBS, binding.loadBalancerId)).toMatchObject({
      fallback_pool: binding.stablePoolId,
      steering_policy: "random",
      default_pools: [binding.stablePoolId],
    });
  });

  it("ensureSplit during a rollout keeps the canary's current share", async () => {
    const cf = fakeCloudflare();
    const binding = await cf.router.ensureSplit(SPLIT);
    await cf.router.setCanaryWeight(binding, 50);
    cf.requests.length = 0;
    await cf.router.ensureSplit(SPLIT);
    expect(cf.requests.map((r) => r.method)).toEqual(["GET", "GET", "GET"]);
    await expect(cf.router.canaryWeight(binding)).resolves.toBe(50);
  });

  it("finds a create that failed ambiguously on the next ensureSplit instead of duplicating it", async () => {
    const cf = fakeCloudflare();
    cf.faults.push({
      when: (r) => r.method === "POST" && r.path === POOLS,
      applyThenReply: refusal(502, 0, "bad gateway"),
    });
    expect(await failureOf(cf.router.ensureSplit(SPLIT))).toMatchObject({ ambiguous: true });
    expect(cf.count(POOLS)).toBe(1);
    cf.requests.length = 0;
    const binding = await cf.router.ensureSplit(SPLIT);
    expect(calls(cf.requests)).toEqual([
      `GET ${MONITORS}`,
      `GET ${POOLS}`,
      `POST ${POOLS}`,
      `GET ${LBS}`,
      `POST ${LBS}`,
    ]);
    expect(cf.requests[2].body).toMatchObject({ name: "shop-production-api-canary" });
    expect([cf.count(MONITORS), cf.count(POOLS), cf.count(LBS)]).toEqual([1, 2, 1]);
    expect(cf.stored(POOLS, binding.stablePoolId).name).toBe("shop-production-api-stable");
  });

  it("moves traffic 0 → 10 → 50 → 100 → 0 with the right PATCH bodies and reads each share back", async () => {
    const cf = fakeCloudflare();
    const b: TrafficBinding = await cf.router.ensureSplit(SPLIT);
    const [s, c] = [b.stablePoolId, b.canaryPoolId];
    const expected: [number, string[], Record<string, number>][] = [
      [0, [s], { [s]: 1, [c]: 0 }],
      [10, [s, c], { [s]: 0.9, [c]: 0.1 }],
      [50, [s, c], { [s]: 0.5, [c]: 0.5 }],
      [100, [s, c], { [s]: 0, [c]: 1 }],
      [0, [s], { [s]: 1, [c]: 0 }],
    ];
    for (const [percent, pools, weights] of expected) {
      cf.requests.length = 0;
      await cf.router.setCanaryWeight(b, percent);
      expect(calls(cf.requests), `${percent}%`).toEqual([`PATCH ${LBS}/{id}`]);
      expect(cf.requests[0].body, `${percent}%`).toEqual({
        default_pools: pools,
        steering_policy: "random",
        random_steering: { pool_weights: weights },
      });
      await expect(cf.router.canaryWeight(b), `${percent}%`).resolves.toBe(percent);
      expect(calls(cf.requests.slice(1))).toEqual([`GET ${LBS}/{id}`]);
    }
    expect(cf.stored(LBS, b.loadBalancerId).fallback_pool).toBe(s);
  });

  it("rounds weights to whole percents, never into a one-sided split", async () => {
    const cf = fakeCloudflare();
    const b = await cf.router.ensureSplit(SPLIT);
    await cf.router.setCanaryWeight(b, 33.333);
    expect(cf.stored(LBS, b.loadBalancerId).random_steering).toEqual({
      pool_weights: { [b.stablePoolId]: 0.67, [b.canaryPoolId]: 0.33 },
    });
    await cf.router.setCanaryWeight(b, 0.2);
    expect(cf.stored(LBS, b.loadBalancerId).random_steering).toEqual({
      pool_weights: { [b.stablePoolId]: 0.99, [b.canaryPoolId]: 0.01 },
    });
    await expect(cf.router.canaryWeight(b)).resolves.toBe(1);
  });

  it("reads 0% when the canary pool is out of default_pools, whatever its weight", async () => {
    const cf = fakeCloudflare();
    const b = await cf.router.ensureSplit(SPLIT);
    Object.assign(cf.stored(LBS, b.loadBalancerId), { random_steering: { pool_weights: { [b.canaryPoolId]: 1 } } });
    await expect(cf.router.canaryWeight(b)).resolves.toBe(0);
  });

  it("refuses a weight outside 0–100 and a prefix Cloudflare cannot name a pool with, without calling Cloudflare", async () => {
    const cf = fakeCloudflare();
    const b = await cf.router.ensureSplit(SPLIT);
    cf.requests.length = 0;
    for (const bad of [-1, 101, Number.NaN])
      expect(await failureOf(cf.router.setCanaryWeight(b, bad))).toMatchObject({ retryable: false });
    expect((await failureOf(cf.router.ensureSplit({ ...SPLIT, namePrefix: "shop production" }))).message).toContain(
      "namePrefix",
    );
    expect(cf.requests).toHaveLength(0);
  });

  it("reports exactly one receipt per Cloudflare call, each naming the ids it touched", async () => {
    const cf = fakeCloudflare();
    const b = await cf.router.ensureSplit(SPLIT);
    await cf.router.setCanaryWeight(b, 10);
    await cf.router.canaryWeight(b);
    expect(cf.receipts).toHaveLength(cf.requests.length);
    expect(new Set(cf.receipts.map((r) => r.id)).size).toBe(cf.receipts.length);
    expect(cf.receipts.map((r) => [r.operation, r.responseIds])).toEqual([
      ["GET /accounts/{account_id}/load_balancers/monitors", { accountId: "acct-1" }],
      ["POST /accounts/{account_id}/load_balancers/monitors", { accountId: "acct-1", monitorId: b.monitorId }],
      ["GET /accounts/{account_id}/load_balancers/pools", { accountId: "acct-1" }],
      ["POST /accounts/{account_id}/load_balancers/pools", { accountId: "acct-1", poolId: b.stablePoolId }],
      ["POST /accounts/{account_id}/load_balancers/pools", { accountId: "acct-1", poolId: b.canaryPoolId }],
      ["GET /zones/{zone_id}/load_balancers", { zoneId: "zone-1" }],
      ["POST /zones/{zone_id}/load_balancers", { zoneId: "zone-1", loadBalancerId: b.loadBalancerId }],
      [
        "PATCH /zones/{zone_id}/load_balancers/{load_balancer_id}",
        { zoneId: "zone-1", loadBalancerId: b.loadBalancerId },
      ],
      [
        "GET /zones/{zone_id}/load_balancers/{load_balancer_id}",
        { zoneId: "zone-1", loadBalancerId: b.loadBalancerId },
      ],
    ]);
    expect(
      cf.receipts.every((r) => r.provider === "cloudflare" && r.status === 200 && r.attempts === 1 && !r.error),
    ).toBe(true);
  });
});
