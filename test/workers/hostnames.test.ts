/**
 * Public hostnames per environment (issue 14, item 7): a deploy's reconcile makes each hostname of the
 * spec a Railway custom domain of its service, with a proxied CNAME and the TXT proof in the environment's
 * Cloudflare zone, so the hostname serves the app (the Stripe webhook URL setup registers included). A
 * production canary's load balancer takes the api hostname over while it splits and hands it back to the
 * DNS record when the run ends.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { providerFetch, sandboxWorld } from "../../src/dev/wiring";
import { api, driveRun, driveUntil, firstRunReconciles, makeUser, noBackground5xx, seedWorld } from "./helpers";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let alice: Awaited<ReturnType<typeof makeUser>>;
let bob: Awaited<ReturnType<typeof makeUser>>;

beforeAll(async () => {
  ids = await seedWorld();
  alice = await makeUser("admin", "+15550007101");
  bob = await makeUser("admin", "+15550007102");
});

async function cloudflare() {
  return (await sandboxWorld(env).state()).cloudflare;
}

describe("public hostnames", { timeout: 120_000 }, () => {
  it("before any run the staging hostname leads nowhere; after deploy staging it serves the app", async () => {
    const health = () => providerFetch(env)("https://api.staging.invoiceperfect.com/health");
    expect((await health()).status).toBe(502);
    await firstRunReconciles(ids);
    const res = await health();
    expect(res.status).toBe(200);
    const state = await sandboxWorld(env).state();
    const staging = state.customDomains.filter((d) => d.environment === "staging");
    expect(staging.map((d) => [d.domain, d.service, d.verified]).sort()).toEqual([
      ["api.staging.invoiceperfect.com", "api", true],
      ["staging.invoiceperfect.com", "web", true],
    ]);
    const records = state.cloudflare.dnsRecords;
    const cname = records.find((r) => r.name === "api.staging.invoiceperfect.com" && r.type === "CNAME");
    expect(cname).toMatchObject({ proxied: true, content: staging.find((d) => d.service === "api")?.target });
    expect(records.some((r) => r.type === "TXT" && r.name === "_railway-verify.api.staging.invoiceperfect.com")).toBe(
      true,
    );
  });

  it("a second deploy changes nothing about them: no DNS write, no second custom domain", async () => {
    const since = new Date().toISOString();
    await firstRunReconciles(ids);
    const writes = (await sandboxWorld(env).requests({ provider: "cloudflare", limit: 500 })).filter(
      (r) => r.at >= since && r.method !== "GET",
    );
    expect(writes).toEqual([]);
    const state = await sandboxWorld(env).state();
    expect(state.customDomains.filter((d) => d.environment === "staging")).toHaveLength(2);
  });

  it("a production canary's load balancer takes the api hostname over, then hands it back to its record", async () => {
    await noBackground5xx();
    await sandboxWorld(env).addCommit({ message: "release-hostnames" });
    const plan = await api(alice.token, "POST", "/api/envs/invoice-perfect:production/plan", {
      type: "deploy",
      params: { canary: [50, 100] },
    });
    expect(plan.status, plan.text).toBe(201);
    const run = (await api(alice.token, "POST", `/api/plans/${plan.body.plan.id}/apply`)).body.run;
    expect((await api(bob.token, "POST", `/api/runs/${run.id}/approve`, {})).status).toBe(200);
    // While the canary takes half the traffic, the load balancer serves the hostname.
    await driveUntil(ids.production, run.id, ({ run: r }) => r.outputs.canary?.weight === 50, "canary at 50%");
    const during = (await cloudflare()).loadBalancers.filter((lb) => lb.name === "api.invoiceperfect.com");
    expect(during.map((lb) => lb.enabled)).toEqual([true]);
    const done = await driveRun(alice.token, run.id, ids.production);
    expect(done.status).toBe("succeeded");
    const after = (await cloudflare()).loadBalancers.filter((lb) => lb.name === "api.invoiceperfect.com");
    expect(after.map((lb) => lb.enabled)).toEqual([false]);
    const ended = await env.DB.prepare("SELECT details FROM audit_events WHERE run_id = ? AND action = 'run.succeeded'")
      .bind(run.id)
      .first<{ details: string }>();
    expect(JSON.parse(ended!.details).hostname).toBe("api.invoiceperfect.com handed back to its DNS record");
    // The record serves the released app again, without the load balancer.
    expect((await providerFetch(env)("https://api.invoiceperfect.com/health")).status).toBe(200);
  });
});
