/**
 * Railway's request budget end to end (issue 14, item 5), with the sandbox holding Railway's limits: on the
 * Free plan (100 requests an hour) two monitored environments checking every simulated minute for an hour
 * never exceed the budget; monitoring says it is throttled (GET /api/envs/:id, chat "status"); a canary's
 * judgement and rollback still get their reads; and a 429 holds every caller rather than being re-sent.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, driveRun, driveUntil, firstRunReconciles, makeUser, noBackground5xx, seedWorld } from "./helpers";
import { monitorClock } from "./monitoring-support";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let alice: Awaited<ReturnType<typeof makeUser>>;
let bob: Awaited<ReturnType<typeof makeUser>>;
const clock = monitorClock();

/** The sandbox's view of the control plane's Railway token this hour. */
async function sandboxBudget() {
  const [window] = (await sandboxWorld(env).state()).budgets.railway.filter((b) => b.kind === "bearer");
  return window;
}

beforeAll(async () => {
  ids = await seedWorld();
  alice = await makeUser("admin", "+15550008001");
  bob = await makeUser("admin", "+15550008002");
  await sandboxWorld(env).account({ railwayPlan: "pro" });
  await firstRunReconciles(ids);
});

describe("the Free plan's hour", { timeout: 180_000 }, () => {
  let runId: string;

  it("a production canary is under way (deployed and split on Pro) when the account drops to Free", async () => {
    await noBackground5xx();
    await sandboxWorld(env).addCommit({ message: "release-budget" });
    const plan = await api(alice.token, "POST", "/api/envs/invoice-perfect:production/plan", {
      type: "deploy",
      params: { canary: [10, 50, 100] },
    });
    expect(plan.status, plan.text).toBe(201);
    runId = (await api(alice.token, "POST", `/api/plans/${plan.body.plan.id}/apply`)).body.run.id;
    expect((await api(bob.token, "POST", `/api/runs/${runId}/approve`, {})).status).toBe(200);
    await driveUntil(ids.production, runId, ({ run }) => run.outputs.canary?.weight === 10, "canary at 10%");
    // A fresh sandbox hour on the Free plan, and the connection configured so.
    await sandboxWorld(env).account({ railwayPlan: "free" });
    await sandboxWorld(env).advanceBudgets({ advanceSeconds: 3600 });
    const set = await api(alice.token, "PUT", "/api/projects/invoice-perfect/connections/railway", { plan: "free" });
    expect(set.status).toBe(200);
  });

  it("two monitored environments for a simulated hour never exceed it, and monitoring is throttled", async () => {
    let checks = 0;
    let throttled = 0;
    for (let minute = 0; minute < 60; minute++) {
      for (const envId of [ids.staging, ids.production]) {
        const report = await clock.tick(envId);
        if (report.checked) checks += 1;
        if (report.throttled) throttled += 1;
      }
    }
    const window = await sandboxBudget();
    expect(window.limit).toBe(100);
    expect(window.refused, "requests Railway answered 429").toBe(0);
    expect(window.used).toBeLessThanOrEqual(100);
    // Monitoring kept to its share: it ran, and was held back far more often than it ran.
    expect(checks).toBeGreaterThan(0);
    expect(throttled).toBeGreaterThan(checks);
    expect(window.remaining).toBeGreaterThanOrEqual(30);
    const view = (await api(alice.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment;
    expect(view.monitoring.throttled.reason).toMatch(/^monitoring is throttled/);
    expect(view.monitoring.railwayBudget).toMatchObject({ plan: "free", limit: 100 });
    const status = await api(alice.token, "POST", "/api/chat", { message: "status of staging" });
    expect(status.body.replies[0].text).toMatch(/Monitoring is throttled: monitoring is throttled/);
    expect(status.body.replies[0].text).toMatch(/Railway budget: \d+ of 100 requests left/);
  });

  it("the canary's judgement and rollback still get their reads, before monitoring's", async () => {
    const before = await sandboxBudget();
    await sandboxWorld(env).addFault({ kind: "app", env: "production", service: "api", track: "canary", errorRate: 1 });
    const run = await driveRun(alice.token, runId, ids.production);
    expect(run.status).toBe("rolled-back");
    const after = await sandboxBudget();
    expect(after.used).toBeGreaterThan(before.used);
    expect(after.refused).toBe(0);
    // A monitoring check now is still held back: the reads went to the rollback, not to it.
    expect((await clock.tick(ids.production)).throttled).toMatch(/throttled/);
  });
});

describe("a 429 from Railway", { timeout: 120_000 }, () => {
  it("holds every caller until Railway's window ends, and nothing is re-sent", async () => {
    // Someone else spends the token's hour (a person's CLI, CI): the control plane's budget does not know.
    const spend = async () =>
      sandboxWorld(env).fetch(
        new Request("https://backboard.railway.com/graphql/v2", {
          method: "POST",
          headers: { authorization: "Bearer sandbox-railway-token", "content-type": "application/json" },
          body: JSON.stringify({ query: "query { projects { edges { node { id } } } }" }),
        }),
      );
    while ((await spend()).status !== 429);
    const since = new Date().toISOString();
    const plan = await api(alice.token, "POST", "/api/envs/invoice-perfect:staging/plan", { type: "deploy" });
    const run = (await api(alice.token, "POST", `/api/plans/${plan.body.plan.id}/apply`)).body.run;
    const waiting = await driveUntil(
      ids.staging,
      run.id,
      ({ steps }) => steps.some((s) => /waiting: Railway answered 429/.test(s.state.note ?? "")),
      "a step waiting for Railway's window",
    );
    expect(waiting.run.status).toBe("running");
    const sentSince = (await sandboxWorld(env).requests({ provider: "railway", limit: 200 })).filter(
      (r) => r.at >= since,
    );
    const refused = sentSince.filter((r) => r.status === 429).map((r) => Date.parse(r.at));
    expect(refused.length).toBeGreaterThan(0);
    // Only requests already in flight when the first 429 came back met it (a monitor check may run beside the
    // step); every later one was held by the budget instead of being sent.
    const firstRefusal = Math.min(...refused);
    expect(sentSince.filter((r) => Date.parse(r.at) > firstRefusal + 2000)).toEqual([]);
    const monitoring = await clock.tick(ids.staging);
    expect(monitoring.throttled).toMatch(/429|budget/);
    expect((await api(alice.token, "POST", `/api/runs/${run.id}/cancel`)).status).toBe(200);
  });
});
