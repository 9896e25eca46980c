import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, deploymentsOf, driveRun, makeUser, seedWorld } from "./helpers";
import { changeSpec } from "./monitoring-support";

const DEPLOY_ORDER = [
  "s01-resolve-ref",
  "s02-preflight",
  "s03-reconcile-shape",
  "s04-reconcile-config",
  "s05-migrate-api",
  "s06-deploy-service-api",
  "s07-deploy-service-web",
  "s08-deploy-service-cron",
  "s09-verify-health",
  "s10-finalize-release",
];

let ids: Awaited<ReturnType<typeof seedWorld>>;
beforeAll(async () => {
  ids = await seedWorld();
});

describe("deploy staging", { timeout: 30_000 }, () => {
  it("plans the spec §8.1 steps in order from chat, auto-applies, migrates first, deploys cron last and records a release", async () => {
    const admin = await makeUser("admin");
    const before = Object.fromEntries(
      await Promise.all(
        ["api", "web", "cron", "api-migrate"].map(async (s) => [
          s,
          (await deploymentsOf("staging", s).catch(() => [])).length,
        ]),
      ),
    );
    const chat = await api(admin.token, "POST", "/api/chat", { message: "deploy staging" });
    expect(chat.status).toBe(200);
    const reply = chat.body.replies[0];
    expect(reply.plan.steps.map((s: { id: string }) => s.id)).toEqual(DEPLOY_ORDER);
    expect(reply.plan.env).toBe("invoice-perfect:staging");
    expect(reply.text).toContain("Deploy api at v2");
    expect(reply.run.id).toBe(reply.plan.runId);

    const run = await driveRun(admin.token, reply.run.id, ids.staging);
    expect(run.status, JSON.stringify(run)).toBe("succeeded");
    expect(run.steps.every((s: { status: string }) => s.status === "succeeded")).toBe(true);

    const created: Record<string, { createdAt: string; commitMessage: string | null }> = {};
    for (const s of ["api", "web", "cron", "api-migrate"]) {
      const list = await deploymentsOf("staging", s);
      expect(list.length - before[s], `${s} deployed once`).toBe(1);
      created[s] = list[0];
      expect(list[0].commitMessage).toBe("v2");
    }
    const at = (s: string) => Date.parse(created[s].createdAt);
    expect(at("api-migrate")).toBeLessThanOrEqual(at("api"));
    expect(at("api")).toBeLessThanOrEqual(at("web"));
    expect(at("web")).toBeLessThanOrEqual(at("cron"));
    const steps = run.steps as { id: string; endedAt: string }[];
    const ended = (id: string) => Date.parse(steps.find((s) => s.id === id)!.endedAt);
    expect(ended("s05-migrate-api")).toBeLessThanOrEqual(ended("s06-deploy-service-api"));

    const envView = await api(admin.token, "GET", "/api/envs/invoice-perfect:staging");
    expect(envView.body.environment.currentRelease.version).toBe("v2");
    expect(envView.body.environment.currentRelease.services.api.commitMessage).toBe("v2");

    const migrateLog = await api(admin.token, "GET", `/api/runs/${run.id}/artifacts/logs/migrate-api.txt`);
    expect(migrateLog.text).toMatch(/add-timezone-to-users: migrated/);
    for (const name of ["run.json", "plan.json", "diff.json"]) expect(run.artifacts).toContain(name);
    expect(run.artifacts.some((a: string) => a.startsWith("receipts/"))).toBe(true);
  });

  it("works through the REST API for a deployer; a viewer gets 403 and nothing changes", async () => {
    const deployer = await makeUser("deployer");
    const viewer = await makeUser("viewer");
    await sandboxWorld(env).addCommit({ service: "web", message: "v3" });

    const runsBefore = (await api(viewer.token, "GET", "/api/envs/invoice-perfect:staging/runs")).body.runs.length;
    const requestsBefore = (await sandboxWorld(env).requests({ provider: "railway" })).length;
    const denied = await api(viewer.token, "POST", "/api/envs/invoice-perfect:staging/plan", {
      type: "deploy",
      params: {},
    });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("forbidden");
    expect((await api(viewer.token, "GET", "/api/envs/invoice-perfect:staging/runs")).body.runs.length).toBe(
      runsBefore,
    );
    expect((await sandboxWorld(env).requests({ provider: "railway" })).length).toBe(requestsBefore);

    const planned = await api(deployer.token, "POST", "/api/envs/invoice-perfect:staging/plan", {
      type: "deploy",
      params: {},
    });
    expect(planned.status).toBe(201);
    expect(planned.body.plan.diff).toEqual([
      { path: "release.web", op: "change", from: expect.stringContaining("v2"), to: expect.stringContaining("v3") },
    ]);
    const viewerApply = await api(viewer.token, "POST", `/api/plans/${planned.body.plan.id}/apply`);
    expect(viewerApply.status).toBe(403);
    expect((await api(viewer.token, "GET", `/api/runs/${planned.body.plan.runId}`)).body.run.status).toBe("planned");

    const applied = await api(deployer.token, "POST", `/api/plans/${planned.body.plan.id}/apply`);
    expect(applied.status).toBe(202);
    const run = await driveRun(deployer.token, applied.body.run.id, ids.staging);
    expect(run.status).toBe("succeeded");
    expect(run.requestedBy).toBe(deployer.id);
    expect((await deploymentsOf("staging", "web"))[0].commitMessage).toBe("v3");
  });

  it("pins a monorepo's services with one lookup per repository and ref", async () => {
    const admin = await makeUser("admin");
    // web moves into the api repository (the last test here: staging keeps this spec).
    await changeSpec(ids.staging, (spec) => {
      spec.services.web.source.repo = spec.services.api.source.repo;
    });
    const before = (await sandboxWorld(env).requests({ provider: "github", limit: 1000 })).length;
    const planned = await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/plan", { type: "deploy" });
    expect(planned.status, JSON.stringify(planned.body)).toBe(201);
    const after = await sandboxWorld(env).requests({ provider: "github", limit: 1000 });
    const lookups = after
      .slice(0, after.length - before)
      .map((r) => r.path)
      .sort(); // newest first
    expect(lookups).toEqual(["/repos/invoice-perfect/api/commits/main", "/repos/invoice-perfect/cron/commits/main"]);
  });
});
