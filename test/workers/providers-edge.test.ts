/**
 * The edge router as a TrafficRouter, against the sandbox's Cloudflare: ensureSplit uploads the router with
 * its bindings, orange-clouds the hostname and routes it (once, however often it runs); a weight is one
 * settings change carrying the step's salt and deadline; remove takes the route down. And how a canary
 * policy picks its router and judge.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { PolicySpec } from "../../src/domain/spec";
import type { TrafficBinding, TrafficRouters } from "../../src/domain/traffic";
import { ProviderError } from "../../src/providers/types";
import { appServices, sandboxWorld } from "../../src/dev/wiring";
import { failureOf, seedWorld } from "./helpers";

const HOST = "edge-test.invoiceperfect.com";
let routers: TrafficRouters;
let secret: string | null = "adapter-test-secret";
let origins: { stable: string; canary: string };
let zone: { accountId: string; zoneId: string };

beforeAll(async () => {
  await seedWorld();
  const seed = await sandboxWorld(env).seedInvoicePerfect();
  zone = { accountId: seed.cloudflare.accountId, zoneId: seed.cloudflare.zoneId };
  const { domains } = await sandboxWorld(env).state();
  const of = (service: string) => domains.find((d) => d.environment === "staging" && d.service === service)!.domain;
  origins = { stable: of("api"), canary: of("web") };
  routers = appServices(env)
    .providers()
    .trafficFor(zone, { envId: "env_adapter", routerSecret: async () => secret });
});

const request = () => ({
  router: "edge" as const,
  hostname: HOST,
  stableOrigin: origins.stable,
  canaryOrigin: origins.canary,
  healthPath: "/health",
  namePrefix: "invoice-perfect-staging-api",
  route: "invoice-perfect:staging/api",
});

async function routerConfig() {
  const { cloudflare } = await sandboxWorld(env).state();
  const script = cloudflare.workers.find((w) => w.name === "invoice-perfect-staging-api-router");
  return JSON.parse(script?.bindings.find((b) => b.name === "ROUTER_CONFIG")?.value ?? "null");
}

describe("edge TrafficRouter", () => {
  let binding: TrafficBinding;

  it("ensureSplit uploads the router, orange-clouds and routes the hostname once, starting at 0% canary", async () => {
    binding = await routers.ensureSplit(request());
    expect(binding).toMatchObject({
      kind: "edge",
      hostname: HOST,
      scriptName: "invoice-perfect-staging-api-router",
      stableOrigin: origins.stable,
      canaryOrigin: origins.canary,
      route: "invoice-perfect:staging/api",
      reportUrl: "http://localhost:8787/edge/v1/reports?env=env_adapter",
    });
    const again = await routers.ensureSplit(request());
    expect(again).toEqual({ ...binding });
    const { cloudflare } = await sandboxWorld(env).state();
    expect(cloudflare.dnsRecords.filter((r) => r.name === HOST).map((r) => [r.type, r.content, r.proxied])).toEqual([
      ["CNAME", origins.stable, true],
    ]);
    expect(cloudflare.workerRoutes.filter((r) => r.pattern === `${HOST}/*`)).toHaveLength(1);
    expect((await routerConfig()).canary).toBeUndefined();
    expect(await routers.canaryWeight(binding)).toBe(0);
  });

  it("sets a weight with the step's salt and deadline, reads it back, and drops the canary at 0%", async () => {
    const deadline = Date.now() + 600_000;
    await routers.setCanaryWeight(binding, 30, { salt: "run_x/s08-canary-step-30", deadline });
    expect(await routers.canaryWeight(binding)).toBe(30);
    expect(await routerConfig()).toMatchObject({
      route: "invoice-perfect:staging/api",
      stable: { origin: origins.stable },
      canary: { origin: origins.canary, weight: 30, deadline, salt: "run_x/s08-canary-step-30" },
      report: { url: "http://localhost:8787/edge/v1/reports?env=env_adapter" },
    });
    // Past its deadline the router gives the canary up by itself, and says so when asked.
    await routers.setCanaryWeight(binding, 30, { salt: "run_x/s08-canary-step-30", deadline: Date.now() - 1 });
    expect(await routers.canaryWeight(binding)).toBe(0);
    expect((await failureOf(routers.setCanaryWeight(binding, 30))).message).toMatch(/salt and deadline/);
    await routers.setCanaryWeight(binding, 0);
    const config = await routerConfig();
    expect([config.canary, config.report]).toEqual([undefined, undefined]);
  });

  it("remove takes the route down (and finds nothing to do the second time)", async () => {
    await routers.release(binding);
    await routers.release(binding);
    const { cloudflare } = await sandboxWorld(env).state();
    expect(cloudflare.workerRoutes.filter((r) => r.pattern === `${HOST}/*`)).toEqual([]);
  });

  it("needs the environment's router secret to upload or change anything", async () => {
    secret = null;
    try {
      const failure = await failureOf(routers.ensureSplit(request()));
      expect(failure).toBeInstanceOf(ProviderError);
      expect(failure.message).toMatch(/no edge router secret/);
    } finally {
      secret = "adapter-test-secret";
    }
  });
});

describe("which router and judge a canary policy gets", () => {
  it("defaults to the sequential judge; the router follows the account unless the policy names one", async () => {
    const canary = PolicySpec.parse({}).canary;
    expect([canary.judge, canary.router, canary.sequential]).toEqual(["sequential", undefined, undefined]);
    expect(await routers.defaultKind()).toBe("load-balancer");
    await sandboxWorld(env).account({ loadBalancing: false });
    try {
      expect(await routers.defaultKind()).toBe("edge");
    } finally {
      await sandboxWorld(env).account({ loadBalancing: true });
    }
  });

  it("validates the judge's settings in the policy", () => {
    const parsed = PolicySpec.parse({ canary: { sequential: { alpha: 0.05, errors: { absoluteMargin: 0.02 } } } });
    expect(parsed.canary.sequential?.alpha).toBe(0.05);
    expect(parsed.canary.sequential?.errors).toEqual({ relativeMargin: 0.5, absoluteMargin: 0.02, minRequests: 200 });
    expect(PolicySpec.safeParse({ canary: { sequential: { alpha: 0.9 } } }).success).toBe(false);
    expect(PolicySpec.safeParse({ canary: { router: "nginx" } }).success).toBe(false);
  });
});
