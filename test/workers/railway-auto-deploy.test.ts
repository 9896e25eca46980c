/**
 * Railway auto-deploy (issue 14, item 4): a run's reconcile connects each managed service to its repository
 * and branch and turns Railway's auto-deploy off, so a push deploys nothing by itself; someone turning it
 * back on in Railway's dashboard is drift, which can be adopted (the spec says so) or reverted (a run turns
 * it off again). The sandbox's request log is the proof of what was sent.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, driveRun, makeUser, seedWorld } from "./helpers";
import { incidentsOf, monitorClock } from "./monitoring-support";

let ids: { staging: string; production: string };
let admin: Awaited<ReturnType<typeof makeUser>>;
const clock = monitorClock();

interface RailwayCall {
  operationName: string;
  variables: Record<string, any>;
}

async function railwayCalls(operation: string): Promise<RailwayCall[]> {
  const requests = await sandboxWorld(env).requests({ provider: "railway", limit: 2000 });
  return requests.map((r) => r.body as unknown as RailwayCall).filter((b) => b?.operationName === operation);
}

async function deployStaging() {
  const res = await api(admin.token, "POST", "/api/chat", { message: "deploy staging" });
  const run = res.body.replies[0].run;
  expect((await driveRun(admin.token, run.id, ids.staging)).status).toBe("succeeded");
}

beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin", "+15550005001");
});

describe("Railway auto-deploy", { timeout: 120_000 }, () => {
  it("deploy staging connects every managed service with its branch and turns auto-deploy off", async () => {
    await deployStaging();
    const { railway } = (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment.bindings;
    const managed = ["api-migrate", "api", "web", "cron"];
    const offInStaging = (await railwayCalls("ServiceInstanceAutoDeployUpdate"))
      .map((c) => c.variables.input)
      .filter((i) => i.environmentId === railway.environmentId);
    for (const name of managed)
      expect(offInStaging, name).toContainEqual({
        enabled: false,
        projectId: railway.projectId,
        environmentId: railway.environmentId,
        serviceId: railway.services[name],
      });
    const connects = await railwayCalls("ServiceConnect");
    expect(connects).toContainEqual(
      expect.objectContaining({
        variables: { id: railway.services.api, input: { repo: "invoice-perfect/api", branch: "main" } },
      }),
    );
  });

  it("a pushed commit then deploys nothing by itself, in any environment", async () => {
    const pushed = await sandboxWorld(env).addCommit({ message: "pushed straight to main" });
    expect(pushed.ok).toBe(true);
    if (!pushed.ok) return;
    expect(pushed.value.length).toBeGreaterThan(0);
    expect(pushed.value.flatMap((c) => c.deployments)).toEqual([]);
  });

  it("auto-deploy switched back on is drift; revert runs a reconcile that turns it off again", async () => {
    const flipped = await api(null, "POST", "/sandbox/drift", { env: "staging", service: "web", autoDeploy: true });
    expect(flipped.status, flipped.text).toBe(200);
    expect((await clock.tick(ids.staging, { drift: true })).anomalies).toContain("drift");
    const drift = (await incidentsOf(admin.token, "invoice-perfect:staging", "open")).find((i) => i.kind === "drift");
    expect(drift.drift).toEqual([{ path: "services.web.autoDeploy", op: "change", from: false, to: true }]);
    const reply = await api(admin.token, "POST", "/api/chat", { message: "revert drift on staging" });
    expect(reply.body.replies[0].plan).toMatchObject({
      type: "reconcile",
      steps: [expect.objectContaining({ kind: "reconcile-shape", summary: expect.stringMatching(/off for web/) })],
    });
    expect((await driveRun(admin.token, reply.body.replies[0].run.id, ids.staging)).status).toBe("succeeded");
    const report = await clock.tick(ids.staging, { drift: true });
    expect(report.anomalies).not.toContain("drift");
    expect(report.resolved).toContain(drift.id);
    const pushed = await sandboxWorld(env).addCommit({ service: "web", message: "after the revert" });
    expect(pushed.ok && pushed.value.flatMap((c) => c.deployments)).toEqual([]);
  });

  it("adopt makes it the desired state: the next deploy leaves web's auto-deploy on", async () => {
    await api(null, "POST", "/sandbox/drift", { env: "staging", service: "web", autoDeploy: true });
    expect((await clock.tick(ids.staging, { drift: true })).anomalies).toContain("drift");
    const reply = await api(admin.token, "POST", "/api/chat", { message: "adopt drift on staging" });
    expect(reply.body.replies[0].text).toMatch(/services.web.autoDeploy false → true/);
    const spec = (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment.spec;
    expect(spec.services.web.autoDeploy).toBe(true);
    expect(spec.services.api.autoDeploy).toBeUndefined();
    await sandboxWorld(env).addCommit({ message: "v-next" });
    await deployStaging();
    const pushed = await sandboxWorld(env).addCommit({ message: "pushed after adopting" });
    const started = pushed.ok ? pushed.value.flatMap((c) => c.deployments) : [];
    expect(started.map((d) => `${d.environment}/${d.service}`)).toEqual(["staging/web"]);
    expect((await clock.tick(ids.staging, { drift: true })).anomalies).not.toContain("drift");
  });
});
