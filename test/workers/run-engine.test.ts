import { abortAllDurableObjects, env } from "cloudflare:test";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, deploymentsOf, driveRun, driveUntil, makeUser, seedWorld } from "./helpers";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin");
});
beforeEach(async () => {
  await sandboxWorld(env).clearFaults();
});

async function planDeploy(token: string, envRef = "invoice-perfect:staging") {
  const res = await api(token, "POST", `/api/envs/${envRef}/plan`, { type: "deploy", params: {} });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.plan as { id: string; runId: string };
}

async function currentRelease() {
  return (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment.currentRelease;
}

describe("run engine against sandbox faults", { timeout: 30_000 }, () => {
  it("waits out a Railway 429 (every caller held, nothing re-sent by the transport) and deploys each service exactly once", async () => {
    await sandboxWorld(env).addCommit({ service: "web", message: "rate-limited" });
    const before = (await deploymentsOf("staging", "web")).length;
    const plan = await planDeploy(admin.token);
    await sandboxWorld(env).addFault({
      kind: "provider",
      provider: "railway",
      status: 429,
      count: 2,
      retryAfterSeconds: 1,
    });
    const applied = await api(admin.token, "POST", `/api/plans/${plan.id}/apply`);
    const run = await driveRun(admin.token, applied.body.run.id, ids.staging);
    expect(run.status, JSON.stringify(run)).toBe("succeeded");
    expect((await deploymentsOf("staging", "web")).length - before).toBe(1);
    const throttled = (await sandboxWorld(env).requests({ provider: "railway" })).filter((r) => r.status === 429);
    expect(throttled.length).toBe(2);
    const receipts = await Promise.all(
      run.artifacts
        .filter((a: string) => a.startsWith("receipts/"))
        .map(async (a: string) => (await api(admin.token, "GET", `/api/runs/${run.id}/artifacts/${a}`)).body),
    );
    // Each 429 is one receipt of one attempt: the request budget held the step, which sent it again after the wait.
    const limited = receipts.flat().filter((r: { status: number | null }) => r.status === 429);
    expect(limited).toHaveLength(2);
    for (const r of limited)
      expect(r).toMatchObject({ attempts: 1, error: expect.stringMatching(/every caller waits/) });
  });

  it("does not deploy twice when the deploy answer is lost after Railway applied it (timeout)", async () => {
    await sandboxWorld(env).addCommit({ service: "api", message: "lost-answer" });
    const before = (await deploymentsOf("staging", "api")).length;
    const plan = await planDeploy(admin.token);
    const applied = await api(admin.token, "POST", `/api/plans/${plan.id}/apply`);
    // Railway applies every deploy but the answers are lost: each deploy step must find its deployment, not send again.
    await sandboxWorld(env).addFault({
      kind: "provider",
      provider: "railway",
      status: "timeout",
      operation: "ServiceInstanceDeployV2",
      count: 4,
    });
    const run = await driveRun(admin.token, applied.body.run.id, ids.staging);
    expect(run.status, JSON.stringify(run)).toBe("succeeded");
    expect((await deploymentsOf("staging", "api")).length - before).toBe(1);
    const lost = (await sandboxWorld(env).requests({ provider: "railway" })).filter((r) => r.status === 504);
    expect(lost.length).toBe(4);
  });

  it("resumes after the EnvironmentDO is aborted mid-deploy and deploys each service exactly once", async () => {
    await sandboxWorld(env).addCommit({ message: "evicted" });
    const services = ["api-migrate", "api", "web", "cron"];
    const before = Object.fromEntries(
      await Promise.all(services.map(async (s) => [s, (await deploymentsOf("staging", s)).length])),
    );
    await sandboxWorld(env).setTimeScale(0.2);
    try {
      const plan = await planDeploy(admin.token);
      const runId = (await api(admin.token, "POST", `/api/plans/${plan.id}/apply`)).body.run.id as string;
      // Bounded by time too, not only by a count: deployments progress in (scaled) wall time, and on a quiet
      // machine 400 forced alarms once went by in 2 s, before web's deployment began.
      await driveUntil(
        ids.staging,
        runId,
        ({ steps }) => {
          const web = steps.find((s) => s.id === "s07-deploy-service-web")!;
          return web.status === "running" && typeof web.state.deploymentId === "string";
        },
        "web's deployment started and not yet live",
        { ms: 15_000 },
      );
      await abortAllDurableObjects();
      const run = await driveRun(admin.token, runId, ids.staging);
      expect(run.status, JSON.stringify(run)).toBe("succeeded");
      for (const s of services) expect((await deploymentsOf("staging", s)).length - before[s], s).toBe(1);
    } finally {
      await sandboxWorld(env).setTimeScale(0);
    }
  });

  it("fails the run when a deployment fails, keeps the previous release current and writes incident.md", async () => {
    await sandboxWorld(env).addCommit({ service: "web", message: "broken-web" });
    const release = await currentRelease();
    const apiBefore = (await deploymentsOf("staging", "api"))[0];
    await sandboxWorld(env).addFault({ kind: "deploy", env: "staging", service: "web", fail: "crash" });
    const plan = await planDeploy(admin.token);
    const applied = await api(admin.token, "POST", `/api/plans/${plan.id}/apply`);
    const run = await driveRun(admin.token, applied.body.run.id, ids.staging);
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/web deployment .* CRASHED/);
    expect(run.steps.find((s: { id: string }) => s.id === "s07-deploy-service-web").status).toBe("failed");
    expect(run.steps.find((s: { id: string }) => s.id === "s08-deploy-service-cron").status).toBe("skipped");
    expect((await currentRelease()).id).toBe(release.id);
    // api went live in this run, so it was put back on the deployment it ran before.
    const apiNow = (await deploymentsOf("staging", "api"))[0];
    expect(apiNow.commitSha).toBe(apiBefore.commitSha);
    const incident = await api(admin.token, "GET", `/api/runs/${run.id}/artifacts/incident.md`);
    expect(incident.status).toBe(200);
    expect(incident.text).toContain("CRASHED");
    expect(incident.text).toContain(`release ${release.version.replace(/^v/, "")} (unchanged)`);
    expect(incident.text).toMatch(/Restored to the previous deployment:\*\* api/);
    // The restore is a provider write: it has its receipt row, like every step's (found by the chaos suite).
    const receipts = await env.DB.prepare("SELECT step_id, operation FROM receipts WHERE run_id = ?")
      .bind(run.id)
      .all<{ step_id: string; operation: string }>();
    expect(receipts.results).toContainEqual({ step_id: "compensation", operation: "DeploymentRollback" });
  });

  it("stops before any app deploy when the migration fails", async () => {
    await sandboxWorld(env).addCommit({
      service: "api",
      message: "bad-migration",
      migrations: ["20261120000000-bad-change"],
    });
    const before = Object.fromEntries(
      await Promise.all(["api", "web", "cron"].map(async (s) => [s, (await deploymentsOf("staging", s)).length])),
    );
    await sandboxWorld(env).addFault({ kind: "deploy", env: "staging", service: "api", fail: "migration" });
    const plan = await planDeploy(admin.token);
    const run = await driveRun(
      admin.token,
      (await api(admin.token, "POST", `/api/plans/${plan.id}/apply`)).body.run.id,
      ids.staging,
    );
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/migration failed/);
    for (const s of ["api", "web", "cron"]) expect((await deploymentsOf("staging", s)).length).toBe(before[s]);
    const logs = run.artifacts.filter((a: string) => a.startsWith("logs/api-migrate"));
    expect(logs.length).toBe(1);
  });
});

describe("queue", { timeout: 30_000 }, () => {
  it("runs two applied deploys one after the other, never interleaved; a second apply of a plan is 409", async () => {
    const first = await planDeploy(admin.token);
    const second = await planDeploy(admin.token);
    const [a, b] = await Promise.all([
      api(admin.token, "POST", `/api/plans/${first.id}/apply`),
      api(admin.token, "POST", `/api/plans/${second.id}/apply`),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const statuses = [a.body.run.status, b.body.run.status].sort();
    expect(statuses).toEqual(["queued", "running"]);
    const again = await api(admin.token, "POST", `/api/plans/${first.id}/apply`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("conflict");

    const third = await planDeploy(admin.token);
    const duplicate = await api(admin.token, "POST", `/api/plans/${third.id}/apply`);
    expect(duplicate.status).toBe(409);

    const runA = await driveRun(admin.token, a.body.run.id, ids.staging);
    const runB = await driveRun(admin.token, b.body.run.id, ids.staging);
    expect([runA.status, runB.status]).toEqual(["succeeded", "succeeded"]);
    const [earlier, later] = Date.parse(runA.startedAt) < Date.parse(runB.startedAt) ? [runA, runB] : [runB, runA];
    expect(Date.parse(later.startedAt)).toBeGreaterThanOrEqual(Date.parse(earlier.endedAt));
  });
});

describe("audit", { timeout: 30_000 }, () => {
  it("verifies after runs and reports the first altered event", async () => {
    // A run of its own: the chain to verify must not depend on which tests ran before this one.
    const plan = await planDeploy(admin.token);
    const applied = await api(admin.token, "POST", `/api/plans/${plan.id}/apply`);
    expect((await driveRun(admin.token, applied.body.run.id, ids.staging)).status).toBe("succeeded");
    const ok = await api(admin.token, "GET", "/api/audit/verify?env=invoice-perfect:staging");
    expect(ok.body.ok).toBe(true);
    expect(ok.body.events).toBeGreaterThan(5);
    const events = (await api(admin.token, "GET", "/api/audit?env=invoice-perfect:staging&limit=1000")).body.events;
    const victim = events[Math.floor(events.length / 2)];
    await expect(
      env.DB.prepare("UPDATE audit_events SET actor = 'mallory' WHERE id = ?").bind(victim.id).run(),
    ).rejects.toThrow(/append-only/);
    // An attacker with raw database access drops the trigger first; the chain still tells.
    await env.DB.prepare("DROP TRIGGER audit_events_no_update").run();
    await env.DB.prepare("UPDATE audit_events SET actor = 'mallory' WHERE id = ?").bind(victim.id).run();
    const broken = await api(admin.token, "GET", "/api/audit/verify?env=invoice-perfect:staging");
    expect(broken.body).toMatchObject({ ok: false, brokenAt: victim.id });
  });
});
