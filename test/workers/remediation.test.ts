import { env } from "cloudflare:test";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, driveRun, expectError, makeUser, noBackground5xx, seedWorld } from "./helpers";
import { changeSpec, failApi, incidentsOf, monitorClock, sms } from "./monitoring-support";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let alice: Awaited<ReturnType<typeof makeUser>>;
let bob: Awaited<ReturnType<typeof makeUser>>;
const clock = monitorClock();
const SEEDED_ON_CALL = "+15550000001";

beforeAll(async () => {
  ids = await seedWorld();
  // Many monitored checks in one file: Pro's Railway request budget, so the hourly limit is not what is tested.
  await sandboxWorld(env).account({ railwayPlan: "pro" });
  alice = await makeUser("admin", "+15550003001");
  bob = await makeUser("admin", "+15550003002");
});
beforeEach(async () => {
  await sandboxWorld(env).clearFaults();
});

/** A production deploy of a new commit, approved by bob and driven to the end; returns the new release version. */
async function deployProduction() {
  await noBackground5xx();
  await sandboxWorld(env).addCommit({ message: `release-${crypto.randomUUID().slice(0, 6)}` });
  const planned = await api(alice.token, "POST", "/api/chat", { message: "deploy production" });
  const applied = await api(alice.token, "POST", "/api/chat", {
    message: "apply",
    conversationId: planned.body.conversationId,
  });
  const runId = applied.body.replies[0].run.id as string;
  expect((await api(bob.token, "POST", `/api/runs/${runId}/approve`, {})).status).toBe(200);
  const run = await driveRun(alice.token, runId, ids.production);
  expect(
    run.status,
    JSON.stringify({
      error: run.error,
      steps: run.steps.map((s: { kind: string; status: string; note?: string }) => [s.kind, s.status, s.note]),
    }),
  ).toBe("succeeded");
  return currentRelease();
}

async function currentRelease(): Promise<string> {
  const environment = (await api(alice.token, "GET", "/api/envs/invoice-perfect:production")).body.environment;
  return environment.currentRelease.version as string;
}

/** Checks until the open production incident resolves (the burn-rate windows need time to reset). */
async function quietUntilResolved() {
  for (let i = 0; i < 80; i++) {
    await clock.tick(ids.production);
    if ((await incidentsOf(alice.token, "invoice-perfect:production", "open")).length === 0) return;
  }
  throw new Error("production incident never resolved");
}

describe("bounded remediation after repeated 500s", { timeout: 240_000 }, () => {
  it('stores the chat rule "if we see repeated 500s after deploy, rollback…" as policy (an audited revision)', async () => {
    const res = await api(alice.token, "POST", "/api/chat", {
      message: "If we see repeated 500s after deploy, rollback and open an incident bundle with logs and diffs",
    });
    expect(res.body.replies[0].text).toMatch(/^Stored for invoice-perfect:production/);
    const spec = (await api(alice.token, "GET", "/api/envs/invoice-perfect:production")).body.environment.spec;
    expect(spec.policies.monitoring.rules).toEqual([
      expect.objectContaining({ when: "repeated-5xx-after-deploy", then: "rollback" }),
    ]);
    const audit = (await api(alice.token, "GET", "/api/audit?env=invoice-perfect:production&limit=50")).body.events;
    expect(
      audit.some((e: { action: string; actor: string }) => e.action === "spec.revised" && e.actor === alice.id),
    ).toBe(true);
  });

  it("with auto-rollback policy: incident within two checks, an SMS, and a rollback run that completes", async () => {
    const before = await currentRelease();
    const deployed = await deployProduction();
    expect(deployed).not.toBe(before);
    await failApi("production");
    const first = await clock.tick(ids.production);
    const second = first.opened.length ? first : await clock.tick(ids.production);
    expect(second.opened).toHaveLength(1);
    const [incident] = await incidentsOf(alice.token, "invoice-perfect:production", "open");
    expect(incident).toMatchObject({
      key: "errors:api",
      severity: "page",
      proposal: expect.objectContaining({ action: "rollback", auto: true }),
    });
    const outbox = await sandboxWorld(env).sms();
    expect(
      outbox.some(
        (m) => m.to === SEEDED_ON_CALL && m.body.includes(`INCIDENT ${incident.id}`) && /ACK \d{6}/.test(m.body),
      ),
    ).toBe(true);
    const runId = second.runs[0];
    expect(incident.runIds).toEqual([runId]);
    const run = await driveRun(alice.token, runId, ids.production);
    expect(run).toMatchObject({ type: "remediate", status: "succeeded", requestedBy: "infra-chat" });
    expect(run.steps.map((s: { kind: string }) => s.kind)).toContain("rollback-service");
    expect(await currentRelease()).toBe(before);
  });

  it('with approval policy: the proposal waits, and "YES <code>" by SMS applies it', async () => {
    await sandboxWorld(env).clearFaults();
    await quietUntilResolved();
    const deployed = await deployProduction();
    await changeSpec(ids.production, (spec) => {
      spec.policies.autoRollback = false;
    });
    await failApi("production");
    let report = await clock.tick(ids.production);
    if (!report.opened.length) report = await clock.tick(ids.production);
    expect(report.opened).toHaveLength(1);
    const runId = report.runs[0];
    const waiting = (await api(alice.token, "GET", `/api/runs/${runId}`)).body.run;
    expect(waiting.status).toBe("awaiting-approval");
    // More checks of the same anomaly neither start a second run nor apply the waiting one.
    await clock.tick(ids.production);
    expect((await api(alice.token, "GET", `/api/runs/${runId}`)).body.run.status).toBe("awaiting-approval");
    const text = (await sandboxWorld(env).sms()).find(
      (m) => m.to === bob.phone && m.body.includes(runId) && /needs approval/.test(m.body),
    );
    expect(text, "approval SMS to bob").toBeDefined();
    const code = /YES (\d{6})/.exec(text!.body)![1];
    const reply = await sms(bob.phone!, `YES ${code}`);
    expect(reply.text).toContain("Approved");
    const run = await driveRun(alice.token, runId, ids.production);
    expect(run.status).toBe("succeeded");
    // The previous release in order (the one the deploy replaced).
    expect(await currentRelease()).toBe(`v${Number(deployed.slice(1)) - 1}`);
  });
});

describe("a proposal closes with its incident", { timeout: 240_000 }, () => {
  it("withdraws a remediation still waiting for approval when its incident resolves", async () => {
    await sandboxWorld(env).clearFaults();
    await quietUntilResolved();
    await deployProduction();
    await changeSpec(ids.production, (spec) => {
      spec.policies.autoRollback = false;
    });
    await failApi("production");
    let report = await clock.tick(ids.production);
    if (!report.opened.length) report = await clock.tick(ids.production);
    expect(report.opened).toHaveLength(1);
    const runId = report.runs[0];
    expect((await api(alice.token, "GET", `/api/runs/${runId}`)).body.run.status).toBe("awaiting-approval");
    // The errors stop by themselves; the incident resolves, and nobody can approve its fix any more.
    await sandboxWorld(env).clearFaults();
    await noBackground5xx();
    await quietUntilResolved();
    const run = (await api(alice.token, "GET", `/api/runs/${runId}`)).body.run;
    expect(run.status).toBe("cancelled");
    expect(run.error).toMatch(/was resolved before anyone approved this remediation/);
    expect((await api(bob.token, "POST", `/api/runs/${runId}/approve`, {})).status).toBe(409);
  });
});

describe("remediation outside the bounded set", () => {
  async function requestCount() {
    return (await sandboxWorld(env).requests({ limit: 2000 })).length;
  }

  it.each(["drop the users table on production", "purge data on production", "patch the code on production"])(
    'refuses "%s" in chat with the reason, and nothing reaches a provider',
    async (message) => {
      const before = await requestCount();
      const res = await api(alice.token, "POST", "/api/chat", { message });
      expect(res.status).toBe(200);
      expect(res.body.replies[0].text).toMatch(
        /^I won't do that: .*outside the bounded remediation set \(rollback, restart, scale, disable-cron, halt-canary\)/,
      );
      expect(res.body.replies[0].text).toMatch(/never/);
      expect(res.body.replies[0].plan).toBeUndefined();
      expect(await requestCount()).toBe(before);
    },
  );

  it("refuses a remediate plan for an action outside the set through the API", async () => {
    const before = await requestCount();
    const res = await api(alice.token, "POST", "/api/envs/invoice-perfect:production/plan", {
      type: "remediate",
      params: { action: "purge-data" },
    });
    expectError(res, 400, "invalid_request");
    expect(res.body.error.message).toMatch(/"purge-data" is outside the bounded remediation set.*data purges/);
    expect(res.body.error.details.allowed).toEqual(["rollback", "restart", "scale", "disable-cron", "halt-canary"]);
    expect(await requestCount()).toBe(before);
  });

  it("refuses scaling beyond the policy's replica limits", async () => {
    const res = await api(alice.token, "POST", "/api/envs/invoice-perfect:production/plan", {
      type: "remediate",
      params: { action: "scale", service: "api", replicas: 40 },
    });
    expectError(res, 409, "conflict");
    expect(res.body.error.message).toMatch(/outside the policy's limits \(1–4 replicas\)/);
  });
});
