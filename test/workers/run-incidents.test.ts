import { env } from "cloudflare:test";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, driveRun, makeUser, noBackground5xx, seedWorld } from "./helpers";

/**
 * Incidents that runs open (API.md "Incidents"): an automatic canary rollback and a failed production
 * deploy each open one linked to the run; a later good deploy of the environment, or an ACK, resolves it;
 * a remediation proposed for an incident is withdrawn when the incident resolves.
 */

let ids: Awaited<ReturnType<typeof seedWorld>>;
let alice: Awaited<ReturnType<typeof makeUser>>;
let bob: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  ids = await seedWorld();
  await sandboxWorld(env).account({ railwayPlan: "pro" });
  alice = await makeUser("admin", "+15550002001");
  bob = await makeUser("admin", "+15550002002");
});
beforeEach(async () => {
  await sandboxWorld(env).clearFaults();
  await noBackground5xx();
});

/** alice plans and applies a production deploy, bob approves it, and it is driven to its end. */
async function productionDeploy() {
  await sandboxWorld(env).addCommit({ message: `release-${crypto.randomUUID().slice(0, 6)}` });
  const plan = await api(alice.token, "POST", `/api/envs/${ids.production}/plan`, { type: "deploy" });
  const applied = await api(alice.token, "POST", `/api/plans/${plan.body.plan.id}/apply`);
  expect((await api(bob.token, "POST", `/api/runs/${applied.body.run.id}/approve`, {})).status).toBe(200);
  return driveRun(alice.token, applied.body.run.id, ids.production);
}

const incidentsOf = async (runId: string) =>
  (await api(alice.token, "GET", `/api/incidents?env=invoice-perfect:production`)).body.incidents.filter(
    (i: { runIds: string[] }) => i.runIds.includes(runId),
  );

describe("incidents from runs", { timeout: 120_000 }, () => {
  it("a canary rollback opens an incident linked to its run, with incident.md naming people; the next good deploy resolves it", async () => {
    await sandboxWorld(env).addFault({ kind: "app", env: "production", service: "api", track: "canary", errorRate: 1 });
    const run = await productionDeploy();
    expect(run.status).toBe("rolled-back");
    const [incident] = await incidentsOf(run.id);
    expect(incident).toMatchObject({ env: "invoice-perfect:production", status: "open", kind: "canary-rollback" });
    expect(incident.title).toMatch(/Canary rolled back/);
    const detail = (await api(alice.token, "GET", `/api/incidents/${incident.id}`)).body.incident;
    expect(detail.bundle.files).toContain("incident.md");
    const md = (await api(alice.token, "GET", `/api/incidents/${incident.id}/bundle/incident.md`)).text;
    expect(md).toContain(`requested by ${alice.name}`);
    expect(md).not.toMatch(/requested by usr_/);
    expect(md).toMatch(/simulated \+\d+s/);

    await sandboxWorld(env).clearFaults();
    await noBackground5xx();
    const good = await productionDeploy();
    expect(good.status).toBe("succeeded");
    const [after] = await incidentsOf(run.id);
    expect(after.status).toBe("resolved");
    expect(after.resolution).toContain(good.id);
  });

  it("a failed production deploy opens one too, and an ACK resolves it", async () => {
    await sandboxWorld(env).addFault({
      kind: "deploy",
      env: "production",
      service: "web",
      fail: "build",
      sticky: true,
    });
    const run = await productionDeploy();
    expect(run.status).toBe("failed");
    const [incident] = await incidentsOf(run.id);
    expect(incident).toMatchObject({ status: "open", kind: "deploy-failed" });
    const acked = await api(bob.token, "POST", `/api/incidents/${incident.id}/ack`);
    expect(acked.status).toBe(200);
    expect(acked.body.incident.status).toBe("resolved");
    expect(acked.body.incident.resolution).toContain(bob.name);
  });

  it("a staging failure or a cancelled run opens none", async () => {
    await sandboxWorld(env).addFault({ kind: "deploy", env: "staging", service: "web", fail: "build", sticky: true });
    const plan = await api(alice.token, "POST", `/api/envs/${ids.staging}/plan`, { type: "deploy" });
    const applied = await api(alice.token, "POST", `/api/plans/${plan.body.plan.id}/apply`);
    expect((await driveRun(alice.token, applied.body.run.id, ids.staging)).status).toBe("failed");
    const staging = (await api(alice.token, "GET", "/api/incidents?env=invoice-perfect:staging")).body.incidents;
    expect(staging.filter((i: { runIds: string[] }) => i.runIds.includes(applied.body.run.id))).toEqual([]);
  });
});
