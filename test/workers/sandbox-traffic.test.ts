/**
 * The sandbox's Cloudflare v4 REST, Twilio Messages and simulated app traffic, driven through their
 * wire formats (providers/cloudflare.md, twilio.md, railway.md §11) against SandboxDO.fetch. The vitest
 * config sets SANDBOX_TIME_SCALE=0, so deployments are live on the first read. Traffic windows sit in
 * 2030: far ahead of the wall clock, as the control plane's simulated time may be.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SandboxSeed } from "../../src/sandbox/types";

type Stub = ReturnType<typeof world>;
type Fields = { [field: string]: unknown };
interface CfError {
  code: number;
  message: string;
  error_chain?: { code: number; message: string }[];
}
interface CfEnvelope<R> {
  success: boolean;
  errors: CfError[];
  result: R;
  result_info?: { total_count: number };
}
type CfThing = Fields & { id: string };
type Sms = Fields & { sid: string; uri: string; code?: number };
interface HttpLog {
  timestamp: string;
  path: string;
  httpStatus: number;
}
interface StatusSeries {
  statusCode: number;
  samples: { ts: number; value: number }[];
}
function world(name: string) {
  return env.SANDBOX_WORLD.getByName(`traffic-${name}`);
}

// Documents verbatim from ../shared/providers/railway.md §11 (metrics written out from the named arguments).
const HTTP_LOGS = `query HttpLogs($deploymentId: String!, $filter: String, $limit: Int, $beforeDate: String, $afterDate: String) {
  httpLogs(deploymentId: $deploymentId, filter: $filter, limit: $limit, beforeDate: $beforeDate, afterDate: $afterDate) {
    timestamp requestId method path host httpStatus totalDuration upstreamRqDuration upstreamErrors responseDetails deploymentInstanceId
  }
}`;
const LOGS = `query DeploymentLogs($deploymentId: String!, $limit: Int, $filter: String, $startDate: DateTime, $endDate: DateTime) {
  deploymentLogs(deploymentId: $deploymentId, limit: $limit, filter: $filter, startDate: $startDate, endDate: $endDate) { timestamp message severity }
}`;
const BY_STATUS = `query ByStatus($serviceId: String!, $environmentId: String!, $startDate: DateTime!, $endDate: DateTime!, $stepSeconds: Int) {
  httpMetricsGroupedByStatus(serviceId: $serviceId, environmentId: $environmentId, startDate: $startDate, endDate: $endDate, stepSeconds: $stepSeconds) { statusCode samples { ts value } }
}`;
const DURATION = `query Duration($serviceId: String!, $environmentId: String!, $startDate: DateTime!, $endDate: DateTime!, $stepSeconds: Int) {
  httpDurationMetrics(serviceId: $serviceId, environmentId: $environmentId, startDate: $startDate, endDate: $endDate, stepSeconds: $stepSeconds) { samples { ts p50 p90 p95 p99 } }
}`;
const SERVICE_CREATE = `mutation ServiceCreate($input: ServiceCreateInput!) { serviceCreate(input: $input) { id name } }`;
const DOMAIN_CREATE = `mutation ServiceDomainCreate($input: ServiceDomainCreateInput!) { serviceDomainCreate(input: $input) { id domain } }`;
const DOMAINS = `query Domains($projectId: String!, $environmentId: String!, $serviceId: String!) {
  domains(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) { serviceDomains { domain } }
}`;

async function gql<T>(stub: Stub, query: string, variables: Fields): Promise<T> {
  const res = await stub.fetch(
    new Request("https://backboard.railway.com/graphql/v2", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sandbox-railway-token" },
      body: JSON.stringify({ query, variables }),
    }),
  );
  const body = await res.json<{ data: T; errors?: unknown[] }>();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function httpLogs(stub: Stub, variables: Fields): Promise<HttpLog[]> {
  return (await gql<{ httpLogs: HttpLog[] }>(stub, HTTP_LOGS, variables)).httpLogs;
}

async function cf<R = CfThing>(
  stub: Stub,
  method: string,
  path: string,
  body?: unknown,
  auth = "Bearer cf-token",
): Promise<{ status: number; body: CfEnvelope<R> }> {
  const res = await stub.fetch(
    new Request(`https://api.cloudflare.com/client/v4${path}`, {
      method,
      headers: { authorization: auth, "content-type": "application/json" },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
  return { status: res.status, body: await res.json<CfEnvelope<R>>() };
}

const SID = `AC${"ab".repeat(16)}`;
async function sendSms(
  stub: Stub,
  fields: Record<string, string>,
  user = SID,
  password = "auth-token",
): Promise<{ status: number; body: Sms }> {
  const res = await stub.fetch(
    new Request(`https://api.twilio.com/2010-04-01/Accounts/${SID}/Messages.json`, {
      method: "POST",
      headers: {
        authorization: `Basic ${btoa(`${user}:${password}`)}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(fields).toString(),
    }),
  );
  return { status: res.status, body: await res.json<Sms>() };
}

/** A production canary setup: `api-canary` with its own domain, and (optionally) pools + a load balancer at `canaryWeight`. */
async function canaryWorld(name: string, canaryWeight: number | null) {
  const stub = world(name);
  const seed: SandboxSeed = await stub.seedInvoicePerfect();
  const environmentId = seed.railway.environments.production;
  const canary = await gql<{ serviceCreate: { id: string } }>(stub, SERVICE_CREATE, {
    input: {
      projectId: seed.railway.projectId,
      name: "api-canary",
      source: { repo: "invoice-perfect/api" },
      environmentId,
    },
  });
  const canaryId = canary.serviceCreate.id;
  const canaryDomain = (
    await gql<{ serviceDomainCreate: { domain: string } }>(stub, DOMAIN_CREATE, {
      input: { serviceId: canaryId, environmentId, targetPort: 3000 },
    })
  ).serviceDomainCreate.domain;
  const stableDomain = (
    await gql<{ domains: { serviceDomains: { domain: string }[] } }>(stub, DOMAINS, {
      projectId: seed.railway.projectId,
      environmentId,
      serviceId: seed.railway.services.api,
    })
  ).domains.serviceDomains[0].domain;
  const ids = { stable: seed.railway.services.api, canary: canaryId, environmentId };
  const deployments = {
    stable: seed.live.production.api.deploymentId,
    canary: (await stub.deploymentsOf("production", "api-canary"))[0].id,
  };
  if (canaryWeight === null) return { stub, seed, ids, deployments, lb: null };
  const { accountId, zoneId } = seed.cloudflare;
  const monitor = await cf(stub, "POST", `/accounts/${accountId}/load_balancers/monitors`, {
    type: "https",
    path: "/health",
    expected_codes: "200",
  });
  const pool = async (suffix: string, domain: string) =>
    (
      await cf(stub, "POST", `/accounts/${accountId}/load_balancers/pools`, {
        name: `api-${suffix}`,
        monitor: monitor.body.result.id,
        origins: [{ name: suffix, address: domain, header: { Host: [domain] }, weight: 1 }],
      })
    ).body.result.id;
  const pools = { stable: await pool("stable", stableDomain), canary: await pool("canary", canaryDomain) };
  const lb = await cf(stub, "POST", `/zones/${zoneId}/load_balancers`, {
    name: "api.invoiceperfect.com",
    proxied: true,
    default_pools: [pools.stable, pools.canary],
    fallback_pool: pools.stable,
    steering_policy: "random",
    random_steering: { pool_weights: { [pools.stable]: 1 - canaryWeight, [pools.canary]: canaryWeight } },
  });
  return { stub, seed, ids, deployments, lb: { id: lb.body.result.id, zoneId, accountId, pools } };
}

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

async function statusCounts(
  stub: Stub,
  serviceId: string,
  environmentId: string,
  seconds: number,
): Promise<{ total: number; errors: number }> {
  const data = await gql<{ httpMetricsGroupedByStatus: StatusSeries[] }>(stub, BY_STATUS, {
    serviceId,
    environmentId,
    startDate: at(0),
    endDate: at(seconds),
    stepSeconds: 60,
  });
  const sum = (rows: StatusSeries[]) => rows.reduce((n, row) => n + row.samples.reduce((m, s) => m + s.value, 0), 0);
  const rows = data.httpMetricsGroupedByStatus;
  return { total: sum(rows), errors: sum(rows.filter((r) => r.statusCode >= 500)) };
}

async function p50(stub: Stub, serviceId: string, environmentId: string): Promise<number> {
  const data = await gql<{ httpDurationMetrics: { samples: { p50: number }[] } }>(stub, DURATION, {
    serviceId,
    environmentId,
    startDate: at(0),
    endDate: at(600),
    stepSeconds: 600,
  });
  return data.httpDurationMetrics.samples[0].p50;
}

describe("cloudflare v4", () => {
  it("refuses a request without a Bearer token (403, code 10000), verifies any token and finds the seeded zone", async () => {
    const stub = world("cf-auth");
    const seed = await stub.seedInvoicePerfect();
    expect(seed.cloudflare).toMatchObject({
      accountId: expect.stringMatching(/^[0-9a-f]{32}$/),
      zoneName: "invoiceperfect.com",
    });
    expect((await stub.seedInvoicePerfect()).cloudflare).toEqual(seed.cloudflare);
    expect(await cf(stub, "GET", "/zones", undefined, "")).toEqual({
      status: 403,
      body: { success: false, errors: [{ code: 10000, message: "Authentication error" }], messages: [], result: null },
    });
    expect((await cf(stub, "GET", "/user/tokens/verify")).body).toMatchObject({
      success: true,
      result: { status: "active" },
    });
    const zones = await cf<CfThing[]>(stub, "GET", "/zones?name=invoiceperfect.com");
    expect(zones.body).toMatchObject({
      success: true,
      result: [
        {
          id: seed.cloudflare.zoneId,
          name: "invoiceperfect.com",
          status: "active",
          account: { id: seed.cloudflare.accountId },
        },
      ],
      result_info: { page: 1, count: 1, total_count: 1 },
    });
    expect((await cf(stub, "GET", "/zones/nope/dns_records")).body.errors[0].code).toBe(7003);
    expect((await cf(stub, "GET", `/zones/${"0".repeat(32)}/dns_records`)).status).toBe(403);
    expect((await cf(stub, "GET", "/bogus")).body.errors[0].code).toBe(7000);
  });

  it("validates required fields and references: expected_codes, pool name+origins, known pool ids, JSON", async () => {
    const stub = world("cf-validation");
    const {
      cloudflare: { accountId, zoneId },
    } = await stub.seedInvoicePerfect();
    const monitor = await cf(stub, "POST", `/accounts/${accountId}/load_balancers/monitors`, {
      type: "https",
      path: "/health",
    });
    expect([monitor.status, monitor.body.success, monitor.body.errors[0]]).toEqual([
      400,
      false,
      { code: 1002, message: "expected_codes is required: validation failed" },
    ]);
    expect(
      (await cf(stub, "POST", `/accounts/${accountId}/load_balancers/pools`, { name: "api-stable", origins: [] })).body
        .errors[0].message,
    ).toMatch(/origin list length/);
    expect(
      (
        await cf(stub, "POST", `/accounts/${accountId}/load_balancers/pools`, {
          name: "bad name!",
          origins: [{ name: "a", address: "a.example.com" }],
        })
      ).status,
    ).toBe(400);
    const lb = await cf(stub, "POST", `/zones/${zoneId}/load_balancers`, {
      name: "api.invoiceperfect.com",
      default_pools: ["f".repeat(32)],
      fallback_pool: "f".repeat(32),
    });
    expect([lb.status, lb.body.errors[0].code, lb.body.errors[0].message]).toEqual([
      400,
      1002,
      expect.stringContaining(`pool ${"f".repeat(32)} does not exist`),
    ]);
    expect(
      (await cf(stub, "POST", `/zones/${zoneId}/load_balancers`, { name: "api" })).body.errors.map((e) => e.message),
    ).toEqual(["default_pools is required: validation failed", "fallback_pool is required: validation failed"]);
    expect((await cf(stub, "POST", `/zones/${zoneId}/dns_records`, "{not json")).body.errors[0]).toEqual({
      code: 6007,
      message: "Malformed JSON in request body",
    });
    expect((await cf(stub, "GET", `/accounts/${accountId}/load_balancers/pools/${"a".repeat(32)}`)).status).toBe(404);
  });

  it("builds monitor → pools → load balancer, patches weights and origins, reads them back; a used pool cannot go", async () => {
    const { stub, lb } = await canaryWorld("cf-lb", 0);
    if (!lb) throw new Error("no lb");
    const base = `/zones/${lb.zoneId}/load_balancers/${lb.id}`;
    const patched = await cf(stub, "PATCH", base, {
      random_steering: { pool_weights: { [lb.pools.stable]: 0.9, [lb.pools.canary]: 0.1 } },
    });
    expect(patched.body.result).toMatchObject({
      name: "api.invoiceperfect.com",
      steering_policy: "random",
      proxied: true,
      default_pools: [lb.pools.stable, lb.pools.canary],
    });
    expect((await cf(stub, "GET", base)).body.result.random_steering).toEqual({
      default_weight: 1,
      pool_weights: { [lb.pools.stable]: 0.9, [lb.pools.canary]: 0.1 },
    });
    const poolPath = `/accounts/${lb.accountId}/load_balancers/pools/${lb.pools.canary}`;
    await cf(stub, "PATCH", poolPath, { origins: [{ name: "other", address: "other.up.railway.app" }] });
    expect((await cf(stub, "GET", poolPath)).body.result.origins).toEqual([
      { name: "other", address: "other.up.railway.app", enabled: true, weight: 1 },
    ]);
    expect((await cf(stub, "DELETE", poolPath)).body.errors[0].message).toMatch(/referenced by load balancer/);
    expect((await cf(stub, "DELETE", base)).body.result).toEqual({ id: lb.id });
    expect((await cf(stub, "DELETE", poolPath)).body).toMatchObject({ success: true, result: { id: lb.pools.canary } });
    const state = await stub.state();
    expect([
      state.cloudflare.loadBalancers.length,
      state.cloudflare.pools.map((p) => p.name),
      state.cloudflare.monitors.length,
    ]).toEqual([0, ["api-stable"], 1]);
  });

  it("manages DNS records with filters, PATCH/PUT, conflicts and type validation", async () => {
    const stub = world("cf-dns");
    const {
      cloudflare: { zoneId },
    } = await stub.seedInvoicePerfect();
    const path = `/zones/${zoneId}/dns_records`;
    const created = await cf(stub, "POST", path, {
      type: "CNAME",
      name: "app",
      content: "web-production-1a2b.up.railway.app",
      proxied: true,
      ttl: 3600,
      tags: ["owner:infra-chat"],
    });
    expect(created.body.result).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name: "app.invoiceperfect.com",
      proxied: true,
      proxiable: true,
      ttl: 1,
      zone_name: "invoiceperfect.com",
    });
    await cf(stub, "POST", path, { type: "TXT", name: "app.invoiceperfect.com", content: "verify=1" });
    expect((await cf(stub, "POST", path, { type: "A", name: "app", content: "192.0.2.1" })).body.errors[0].code).toBe(
      81053,
    );
    expect((await cf(stub, "POST", path, { type: "A", name: "x", content: "not-an-ip" })).body.errors[0]).toMatchObject(
      { code: 1004, error_chain: [{ code: 9005 }] },
    );
    const listed = await cf<CfThing[]>(stub, "GET", `${path}?type=CNAME&name=app.invoiceperfect.com`);
    expect([listed.body.result.map((r) => r.id), listed.body.result_info?.total_count]).toEqual([
      [created.body.result.id],
      1,
    ]);
    const item = `${path}/${created.body.result.id}`;
    expect((await cf(stub, "PATCH", item, { comment: "managed by infra-chat" })).body.result).toMatchObject({
      comment: "managed by infra-chat",
      content: "web-production-1a2b.up.railway.app",
    });
    expect(
      (await cf(stub, "PUT", item, { type: "CNAME", name: "app", content: "web-production-9f9f.up.railway.app" })).body
        .result,
    ).toMatchObject({ proxied: false, comment: null, tags: [] });
    await cf(stub, "DELETE", item);
    expect((await cf(stub, "GET", item)).body.errors[0]).toEqual({ code: 81044, message: "Record does not exist." });
  });

  it("injects cloudflare provider faults on one operation (`*` = any id) and applies nothing", async () => {
    const { stub, lb } = await canaryWorld("cf-fault", 0);
    if (!lb) throw new Error("no lb");
    await stub.addFault({
      kind: "provider",
      provider: "cloudflare",
      status: 429,
      count: 1,
      retryAfterSeconds: 9,
      operation: "PATCH /client/v4/zones/*/load_balancers/*",
    });
    expect((await cf(stub, "GET", `/zones/${lb.zoneId}/load_balancers/${lb.id}`)).status).toBe(200);
    const limited = await stub.fetch(
      new Request(`https://api.cloudflare.com/client/v4/zones/${lb.zoneId}/load_balancers/${lb.id}`, {
        method: "PATCH",
        headers: { authorization: "Bearer t" },
        body: JSON.stringify({ steering_policy: "off" }),
      }),
    );
    expect([
      limited.status,
      limited.headers.get("retry-after"),
      (await limited.json<CfEnvelope<null>>()).errors[0].code,
    ]).toEqual([429, "9", 971]);
    expect((await cf(stub, "GET", `/zones/${lb.zoneId}/load_balancers/${lb.id}`)).body.result.steering_policy).toBe(
      "random",
    );
  });
});

describe("twilio messages", () => {
  it("sends an SMS: 201 with the Message resource, kept in the outbox, listed and fetched", async () => {
    const stub = world("sms-send");
    const sent = await sendSms(stub, {
      To: "+15550000001",
      From: "+15550009999",
      Body: "Approve canary 4821? Reply YES 4821",
    });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({
      sid: expect.stringMatching(/^SM[0-9a-f]{32}$/),
      account_sid: SID,
      status: "queued",
      direction: "outbound-api",
      num_segments: "1",
      date_created: expect.stringMatching(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/),
      error_code: null,
      api_version: "2010-04-01",
      uri: `/2010-04-01/Accounts/${SID}/Messages/${sent.body.sid}.json`,
    });
    expect(await stub.sms()).toEqual([
      {
        sid: sent.body.sid,
        to: "+15550000001",
        from: "+15550009999",
        body: "Approve canary 4821? Reply YES 4821",
        at: expect.any(String),
        status: "delivered", // API.md: /sandbox/sms shows each text's status (time scale 0: delivered at once)
        errorCode: null,
      },
    ]);
    const auth = { authorization: `Basic ${btoa(`${SID}:auth-token`)}` };
    const list = await (
      await stub.fetch(
        new Request(`https://api.twilio.com/2010-04-01/Accounts/${SID}/Messages.json?To=%2B15550000001`, {
          headers: auth,
        }),
      )
    ).json<{ messages: Sms[]; page: number; next_page_uri: string | null }>();
    expect([list.messages.map((m) => m.sid), list.page, list.next_page_uri]).toEqual([[sent.body.sid], 0, null]);
    const fetched = await (
      await stub.fetch(new Request(`https://api.twilio.com${sent.body.uri}`, { headers: auth }))
    ).json<Sms>();
    expect(fetched).toMatchObject({ sid: sent.body.sid, status: "delivered" }); // time scale 0: delivery is instant
    const [logged] = await stub.requests({ provider: "twilio", limit: 1 });
    expect(logged.headers.authorization).toBe("[redacted]");
  });

  it("answers 401 (20003) to bad credentials, 400 (21211) to a non-E.164 To and 21617 to a long body; nothing is sent", async () => {
    const stub = world("sms-errors");
    expect(
      await sendSms(stub, { To: "+15550000001", From: "+15550009999", Body: "x" }, `AC${"cd".repeat(16)}`),
    ).toEqual({
      status: 401,
      body: {
        code: 20003,
        message: "Authentication Error - invalid username",
        more_info: "https://www.twilio.com/docs/errors/20003",
        status: 401,
      },
    });
    expect((await sendSms(stub, { To: "+15550000001", Body: "x" }, SID, "")).status).toBe(401);
    expect(await sendSms(stub, { To: "555-0001", From: "+15550009999", Body: "x" })).toMatchObject({
      status: 400,
      body: { code: 21211, status: 400 },
    });
    expect((await sendSms(stub, { To: "+15550000001", From: "+15550009999", Body: "x".repeat(1601) })).body.code).toBe(
      21617,
    );
    expect((await sendSms(stub, { To: "+15550000001", Body: "x" })).body.code).toBe(21603);
    await stub.addFault({ kind: "provider", provider: "twilio", status: 503, count: 1 });
    expect((await sendSms(stub, { To: "+15550000001", From: "+15550009999", Body: "x" })).body).toMatchObject({
      code: 20503,
      status: 503,
    });
    expect(await stub.sms()).toEqual([]);
  });
});

describe("traffic", () => {
  it("samples the same future window twice identically; without a load balancer stable gets all, the canary nothing", async () => {
    const { stub, ids, deployments } = await canaryWorld("same-window", null);
    const window = { limit: 5000, afterDate: at(0), beforeDate: at(60) };
    const first = await httpLogs(stub, { deploymentId: deployments.stable, ...window });
    expect(first).toHaveLength(600); // 10 rps × 60 s, all of it to the stable service
    expect(await httpLogs(stub, { deploymentId: deployments.stable, ...window })).toEqual(first);
    expect(first[0].timestamp > first[599].timestamp).toBe(true);
    expect(first.every((l) => l.timestamp >= at(0).slice(0, 19) && l.timestamp < at(60))).toBe(true);
    expect(new Set(first.map((l) => l.path.replace(/\d+$/, ":id")))).toEqual(
      new Set(["/invoices", "/invoices/:id", "/customers", "/health", "/oauth/lightspeed/callback"]),
    );
    expect(await httpLogs(stub, { deploymentId: deployments.canary, ...window })).toEqual([]);
    expect(await statusCounts(stub, ids.canary, ids.environmentId, 60)).toEqual({ total: 0, errors: 0 });
    expect((await statusCounts(stub, ids.stable, ids.environmentId, 60)).total).toBe(600);
  });

  it("splits requests by load-balancer pool weights and follows a PATCH of the weights", async () => {
    const { stub, ids, lb } = await canaryWorld("weights", 0.1);
    if (!lb) throw new Error("no lb");
    const canary = await statusCounts(stub, ids.canary, ids.environmentId, 600);
    const stable = await statusCounts(stub, ids.stable, ids.environmentId, 600);
    expect(canary.total + stable.total).toBe(6000);
    expect(Math.abs(canary.total - 600)).toBeLessThan(100); // binomial sd ≈ 23
    await cf(stub, "PATCH", `/zones/${lb.zoneId}/load_balancers/${lb.id}`, {
      random_steering: { pool_weights: { [lb.pools.stable]: 0.5, [lb.pools.canary]: 0.5 } },
    });
    expect(Math.abs((await statusCounts(stub, ids.canary, ids.environmentId, 600)).total - 3000)).toBeLessThan(200);
    await cf(stub, "PATCH", `/zones/${lb.zoneId}/load_balancers/${lb.id}`, { default_pools: [lb.pools.stable] });
    expect((await statusCounts(stub, ids.canary, ids.environmentId, 600)).total).toBe(0);
  });

  it("makes a traffic group busier at a set level, split between stable and canary as before; null restores the default", async () => {
    const { stub, ids, lb } = await canaryWorld("level", 0.1);
    if (!lb) throw new Error("no lb");
    const total = async () =>
      (await statusCounts(stub, ids.canary, ids.environmentId, 600)).total +
      (await statusCounts(stub, ids.stable, ids.environmentId, 600)).total;
    expect(await total()).toBe(6000);
    // Either service names the group; the answer names the stable one.
    expect(await stub.traffic({ env: "production", service: "api-canary", rps: 50 })).toEqual({
      ok: true,
      value: { env: "production", service: "api", rps: 50, default: 10 },
    });
    expect(await total()).toBe(30_000);
    expect((await stub.state()).traffic).toEqual({
      default: 10,
      levels: [{ environment: "production", service: "api", rps: 50 }],
    });
    expect(Math.abs((await statusCounts(stub, ids.canary, ids.environmentId, 600)).total - 3000)).toBeLessThan(250); // binomial sd ≈ 52
    // Staging's api is another group: untouched.
    expect(await stub.traffic({ env: "staging", service: "api", rps: null })).toMatchObject({
      ok: true,
      value: { rps: 10 },
    });
    expect(await total()).toBe(30_000);
    await stub.traffic({ env: "production", service: "api", rps: null });
    expect(await total()).toBe(6000);
    expect((await stub.state()).traffic.levels).toEqual([]);
    for (const bad of [
      { env: "production", service: "api", rps: 0 },
      { env: "production", service: "api", rps: 101 },
      { env: "production", service: "api", rps: 2.5 },
      { env: "production", service: "api" },
      { env: "production", service: "api", rps: 5, extra: 1 },
    ]) {
      expect(await stub.traffic(bad as never)).toMatchObject({ ok: false, code: "invalid_request" });
    }
    expect(await stub.traffic({ env: "production", service: "nope", rps: 5 })).toMatchObject({
      ok: false,
      code: "not_found",
    });
    expect(await total()).toBe(6000);
  });

  it("raises only the canary's 5xx under an errorRate fault on track canary; httpLogs filters them", async () => {
    const { stub, ids, deployments } = await canaryWorld("error-rate", 0.5);
    const before = {
      canary: await statusCounts(stub, ids.canary, ids.environmentId, 600),
      stable: await statusCounts(stub, ids.stable, ids.environmentId, 600),
    };
    expect(before.canary.errors).toBeLessThan(25); // background 0.2 % of ~3000: ~6
    await stub.addFault({
      kind: "app",
      env: "invoice-perfect:production",
      service: "api",
      track: "canary",
      errorRate: 0.2,
    });
    const canary = await statusCounts(stub, ids.canary, ids.environmentId, 600);
    expect(canary.errors / canary.total).toBeGreaterThan(0.15);
    expect(canary.errors / canary.total).toBeLessThan(0.25);
    expect(await statusCounts(stub, ids.stable, ids.environmentId, 600)).toEqual(before.stable);
    const window = { limit: 5000, afterDate: at(0), beforeDate: at(600) };
    for (const filter of ["@httpStatus:500", "@httpStatus:>=500"]) {
      const logs = await httpLogs(stub, { deploymentId: deployments.canary, filter, ...window });
      expect([logs.length, logs.every((l) => l.httpStatus === 500)]).toEqual([canary.errors, true]);
    }
  });

  it("shifts latency only on the faulted track", async () => {
    const { stub, ids } = await canaryWorld("latency", 0.5);
    const before = {
      canary: await p50(stub, ids.canary, ids.environmentId),
      stable: await p50(stub, ids.stable, ids.environmentId),
    };
    expect(Math.abs(before.canary - 82)).toBeLessThan(10); // median 80 ms upstream + edge
    await stub.addFault({ kind: "app", env: "production", service: "api", track: "canary", latencyMs: 400 });
    expect(await p50(stub, ids.canary, ids.environmentId)).toBe(before.canary + 400);
    expect(await p50(stub, ids.stable, ids.environmentId)).toBe(before.stable);
  });

  it("writes a fault's logPattern into the canary's runtime logs only", async () => {
    const { stub, deployments } = await canaryWorld("log-pattern", 0.5);
    const pattern = 'SequelizeDatabaseError: column "timezone" does not exist';
    await stub.addFault({ kind: "app", env: "production", service: "api", track: "canary", logPattern: pattern });
    const lines = async (deploymentId: string, filter?: string) =>
      (
        await gql<{ deploymentLogs: { message: string }[] }>(stub, LOGS, {
          deploymentId,
          startDate: at(0),
          endDate: at(600),
          limit: 5000,
          filter,
        })
      ).deploymentLogs.map((l) => l.message);
    const canary = await lines(deployments.canary);
    const hits = canary.filter((m) => m === pattern).length;
    expect(hits).toBeGreaterThan(50); // ~5 % of ~3000 requests
    expect(hits).toBeLessThan(250);
    expect(canary.some((m) => /^GET \/\S+ 200 \d+ - \d+\.\d{3} ms$/.test(m))).toBe(true); // ordinary access lines too
    expect(await lines(deployments.canary, "SequelizeDatabaseError")).toHaveLength(hits);
    expect((await lines(deployments.stable)).some((m) => m.includes("SequelizeDatabaseError"))).toBe(false);
  });
});
