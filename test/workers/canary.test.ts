import { abortAllDurableObjects, env } from "cloudflare:test";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { unwrap } from "../../src/domain/errors";
import type { RunRecord } from "../../src/runs/store";
import { computeTwilioSignature } from "../../src/security/twilio-signature";
import { sandboxWorld } from "../../src/dev/wiring";
import {
  api,
  firstRunReconciles,
  deploymentsOf,
  driveRun,
  driveUntil,
  envObject,
  live,
  makeUser,
  noBackground5xx,
  seedWorld,
} from "./helpers";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let alice: Awaited<ReturnType<typeof makeUser>>;
let bob: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  ids = await seedWorld();
  await firstRunReconciles(ids);
  // Seven canaries and their monitoring spend more than Hobby's 1,000 Railway requests in the file's hour.
  await sandboxWorld(env).account({ railwayPlan: "pro" });
  alice = await makeUser("admin", "+15550001001");
  bob = await makeUser("admin", "+15550001002");
});
beforeEach(async () => {
  await sandboxWorld(env).clearFaults();
  await sandboxWorld(env).traffic({ env: "production", service: "api", rps: null });
  // These tests are about the run: each canary is healthy or broken on purpose, never by a rare draw.
  await noBackground5xx();
});

/** Plans "deploy production with canary …" as alice and has bob approve it; returns the run id. */
async function approvedProductionDeploy(message = "deploy production with canary 10/50/100") {
  await sandboxWorld(env).addCommit({ message: `release-${crypto.randomUUID().slice(0, 6)}` });
  const planned = await api(alice.token, "POST", "/api/chat", { message });
  const conversationId = planned.body.conversationId;
  const applied = await api(alice.token, "POST", "/api/chat", { message: "apply", conversationId });
  const runId = applied.body.replies[0].run.id as string;
  expect((await api(bob.token, "POST", `/api/runs/${runId}/approve`, {})).status).toBe(200);
  return runId;
}

async function loadBalancer() {
  const environment = (await api(alice.token, "GET", "/api/envs/invoice-perfect:production")).body.environment;
  const zoneId = environment.bindings.cloudflare.zoneId;
  const res = await sandboxWorld(env).fetch(
    new Request(`https://api.cloudflare.com/client/v4/zones/${zoneId}/load_balancers`, {
      headers: { authorization: "Bearer test" },
    }),
  );
  const lbs = (
    (await res.json()) as {
      result: {
        id: string;
        name: string;
        default_pools: string[];
        fallback_pool: string;
        random_steering?: { pool_weights?: Record<string, number> };
      }[];
    }
  ).result;
  const lb = lbs.find((l) => l.name === "api.invoiceperfect.com")!;
  const canaryPool = Object.keys(lb.random_steering?.pool_weights ?? {}).find((p) => p !== lb.fallback_pool);
  const canaryShare =
    canaryPool && lb.default_pools.includes(canaryPool) ? lb.random_steering!.pool_weights![canaryPool] : 0;
  return { lb, canaryShare };
}

/** Writes a new production spec revision with auto-rollback on or off (test-only shortcut into D1). */
async function setAutoRollback(on: boolean) {
  const row = await env.DB.prepare(
    "SELECT e.id, e.revision, r.spec FROM environments e JOIN spec_revisions r ON r.env_id = e.id AND r.revision = e.revision WHERE e.id = ?",
  )
    .bind(ids.production)
    .first<{ id: string; revision: number; spec: string }>();
  const spec = JSON.parse(row!.spec);
  spec.policies.autoRollback = on;
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO spec_revisions (env_id, revision, spec, author, reason, created_at) VALUES (?, ?, ?, 'test', 'toggle auto-rollback', ?)",
    ).bind(row!.id, row!.revision + 1, JSON.stringify(spec), new Date().toISOString()),
    env.DB.prepare("UPDATE environments SET revision = ? WHERE id = ?").bind(row!.revision + 1, row!.id),
  ]);
}

/** A run's error, its steps' notes and the judge's last looks: what a failed expectation should show. */
function whyNot(run: { error?: string; steps: { kind: string; status: string; note?: string }[] }, live: RunRecord) {
  const looks = live.outputs.sequential?.looks ?? [];
  return JSON.stringify({
    error: run.error,
    steps: run.steps.map((s) => [s.kind, s.status, s.note]),
    looks: looks
      .slice(-4)
      .map((l) => [l.weight, l.decision, l.metrics.map((m) => `${m.metric}: ${m.logE.toFixed(1)}`)]),
  });
}

/** The judge's looks at the canary (one per check interval with the load balancer). */
async function looksOf(runId: string) {
  return (await live(ids.production, runId)).run.outputs.sequential?.looks ?? [];
}

describe("production canary", { timeout: 60_000 }, () => {
  it("goes 10 → 50 → 100 with soaks driven by alarms, then promotes: stable runs the release with all traffic", async () => {
    const runId = await approvedProductionDeploy();
    const run = await driveRun(alice.token, runId, ids.production);
    expect(run.status, JSON.stringify(run.steps.filter((s: { status: string }) => s.status !== "succeeded"))).toBe(
      "succeeded",
    );
    const kinds = run.steps.map((s: { kind: string }) => s.kind);
    expect(kinds.filter((k: string) => k === "canary-step")).toHaveLength(3);
    expect(kinds.indexOf("canary-split")).toBeLessThan(kinds.indexOf("canary-step"));
    expect(kinds.indexOf("canary-promote")).toBeGreaterThan(kinds.lastIndexOf("canary-step"));
    const { canaryShare } = await loadBalancer();
    expect(canaryShare).toBe(0);
    const stable = (await deploymentsOf("production", "api"))[0];
    const canary = (await deploymentsOf("production", "api-canary"))[0];
    expect(stable.status).toBe("SUCCESS");
    expect(stable.commitSha).toBe(canary.commitSha);
    const metrics = await api(alice.token, "GET", `/api/runs/${runId}/artifacts/metrics.json`);
    expect(metrics.body.looks.length).toBeGreaterThanOrEqual(3);
    expect(metrics.body.judge).toMatchObject({ decision: "continue", router: "load-balancer", alpha: 0.01 });
    expect(metrics.body.canary.phase).toBe("succeeded");
    const audit = (await api(alice.token, "GET", "/api/audit?env=invoice-perfect:production&limit=1000")).body.events;
    const weightChanges = audit.filter(
      (e: { runId?: string; intent?: string; action: string }) =>
        e.runId === runId && e.intent === "canary-step" && e.action === "step.succeeded",
    );
    expect(weightChanges).toHaveLength(3);
    expect(weightChanges.every((e: { receiptHash?: string }) => typeof e.receiptHash === "string")).toBe(true);
    const env_ = (await api(alice.token, "GET", "/api/envs/invoice-perfect:production")).body.environment;
    expect(env_.currentRelease.services.api.commitSha).toBe(stable.commitSha);
  });

  it("rolls back on 20% canary 5xx at the 10% step at the check whose evidence crosses 1/α, texts on-call and writes incident.md", async () => {
    const subscribed = await api(alice.token, "POST", "/api/chat", {
      message: "Text me if the canary on production looks weird or if a rollback triggers",
    });
    expect(subscribed.body.replies[0].text).toContain(alice.phone);
    // A busy api (50 req/s: ~150 canary requests a check at 10%), so the first check's evidence suffices. At
    // the default 10 req/s (~30 a check) it takes one or two checks: README "How a canary is judged".
    expect(
      (await api(null, "POST", "/sandbox/traffic", { env: "production", service: "api", rps: 500 })).body.error.code,
    ).toBe("invalid_request");
    expect((await api(null, "POST", "/sandbox/traffic", { env: "production", service: "apii", rps: 50 })).status).toBe(
      404,
    );
    expect(
      (await api(null, "POST", "/sandbox/traffic", { env: "production", service: "api", rps: 50 })).body.traffic.rps,
    ).toBe(50);
    await sandboxWorld(env).addFault({
      kind: "app",
      env: "production",
      service: "api",
      track: "canary",
      errorRate: 0.2,
    });
    const before = (await api(alice.token, "GET", "/api/envs/invoice-perfect:production")).body.environment
      .currentRelease;
    const runId = await approvedProductionDeploy();
    const run = await driveRun(alice.token, runId, ids.production);
    expect(run.status).toBe("rolled-back");
    expect(run.error).toMatch(/regression at 10%: 5xx canary \d+\/\d+ vs baseline/);
    expect((await loadBalancer()).canaryShare).toBe(0);
    const looks = await looksOf(runId);
    expect(looks.every((l) => l.weight === 10)).toBe(true);
    // Rolled back at the very check whose evidence crossed 1/α: no check after it.
    expect(looks.findIndex((l) => l.decision === "rollback")).toBe(looks.length - 1);
    const sms = await sandboxWorld(env).sms();
    const text = sms.find((m) => m.body.includes(runId) && /ROLLED BACK/.test(m.body));
    expect(text, JSON.stringify(sms.slice(0, 3))).toBeDefined();
    // The subscriber got it too, not only the policy's on-call number.
    expect(sms.some((m) => m.to === alice.phone && m.body.includes(runId) && /ROLLED BACK/.test(m.body))).toBe(true);
    // The judge's evidence is the reason (no fixed-window score to show).
    expect(text!.body).toMatch(/Why: regression at 10%: 5xx .*evidence .* ≥ 1\/α = 100/);
    expect(text!.body).not.toMatch(/Score/);
    const incident = await api(alice.token, "GET", `/api/runs/${runId}/artifacts/incident.md`);
    expect(incident.text).toMatch(/## The judge's decision/);
    expect(incident.text).toMatch(/load balancer \(Railway logs per check interval\)/);
    expect(
      (await api(alice.token, "GET", "/api/envs/invoice-perfect:production")).body.environment.currentRelease.id,
    ).toBe(before.id);
  });

  it("rolls back at the first check when the canary fails every request (severe)", async () => {
    await sandboxWorld(env).addFault({ kind: "app", env: "production", service: "api", track: "canary", errorRate: 1 });
    const runId = await approvedProductionDeploy();
    const run = await driveRun(alice.token, runId, ids.production);
    expect(run.status).toBe("rolled-back");
    expect(await looksOf(runId)).toHaveLength(1);
    expect((await loadBalancer()).canaryShare).toBe(0);
  });

  it("rolls back on a latency regression: the canary's p95 against the baseline's", async () => {
    await sandboxWorld(env).addFault({
      kind: "app",
      env: "production",
      service: "api",
      track: "canary",
      latencyMs: 400,
    });
    const runId = await approvedProductionDeploy();
    const run = await driveRun(alice.token, runId, ids.production);
    expect(run.status).toBe("rolled-back");
    expect(run.error).toMatch(/regression at 10%: p95 canary \d+ms vs baseline \d+ms/);
    expect((await loadBalancer()).canaryShare).toBe(0);
  });

  it("does not roll back for one transient failing sample on a healthy canary", async () => {
    // One failed health probe of the canary (the fault answers 500 once), then healthy again.
    await sandboxWorld(env).addFault({
      kind: "app",
      env: "production",
      service: "api",
      track: "canary",
      failHealth: true,
      count: 1,
    });
    const runId = await approvedProductionDeploy();
    const run = await driveRun(alice.token, runId, ids.production);
    const { run: record } = await live(ids.production, runId);
    expect(run.status, whyNot(run, record)).toBe("succeeded");
    // The blip really was a failed check of the canary; evidence over the rollout, not one threshold, decided.
    expect(record.outputs.sequential?.state.synthetic.canary.x).toBe(1);
  });

  it("promotes now on request, skipping the remaining soaks", async () => {
    const runId = await approvedProductionDeploy();
    // Promote mid-soak: after the first check, so there are soaks left to skip.
    await driveUntil(
      ids.production,
      runId,
      ({ run }) => (run.outputs.sequential?.looks.length ?? 0) >= 1,
      "a first check",
    );
    const promoted = await api(bob.token, "POST", `/api/runs/${runId}/promote`, {});
    expect(promoted.status).toBe(200);
    const run = await driveRun(alice.token, runId, ids.production);
    expect(run.status).toBe("succeeded");
    expect((await looksOf(runId)).length).toBeLessThan(5);
    expect(
      run.steps.filter(
        (s: { kind: string; note?: string }) => s.kind === "canary-step" && /promote now/.test(s.note ?? ""),
      ).length,
    ).toBeGreaterThan(0);
    expect((await loadBalancer()).canaryShare).toBe(0);
  });

  it("halts on a soft trigger when auto-rollback is off, and resumes when a person says so", async () => {
    // The same latency regression as above, but this policy leaves the decision to a person.
    await setAutoRollback(false);
    try {
      await sandboxWorld(env).addFault({
        kind: "app",
        env: "production",
        service: "api",
        track: "canary",
        latencyMs: 400,
      });
      const runId = await approvedProductionDeploy();
      const halted = await driveRun(
        alice.token,
        runId,
        ids.production,
        (s) => s === "stopped" || s === "rolled-back" || s === "succeeded",
      );
      expect(halted.status).toBe("stopped");
      const sms = await sandboxWorld(env).sms();
      expect(sms.some((m) => m.body.includes(runId) && /HALTED/.test(m.body))).toBe(true);
      await sandboxWorld(env).clearFaults();
      await noBackground5xx();
      const resumed = await api(alice.token, "POST", "/api/chat", { message: "resume the canary on production" });
      expect(resumed.body.replies[0].text).toContain(runId);
      const run = await driveRun(alice.token, runId, ids.production);
      expect(run.status).toBe("succeeded");
    } finally {
      await setAutoRollback(true);
    }
  });

  it("continues from its persisted phase after the EnvironmentDO is aborted mid-soak", async () => {
    const runId = await approvedProductionDeploy();
    await driveUntil(
      ids.production,
      runId,
      ({ run }) => (run.outputs.sequential?.looks.length ?? 0) >= 2 && run.outputs.canary?.weight === 10,
      "two checks into the 10% soak",
    );
    const looksBefore = (await looksOf(runId)).length;
    await abortAllDurableObjects();
    const run = await driveRun(alice.token, runId, ids.production);
    expect(run.status, whyNot(run, (await live(ids.production, runId)).run)).toBe("succeeded");
    const looks = await looksOf(runId);
    expect(looks.length).toBeGreaterThan(looksBefore);
    // No weight step started over: each weight's checks are contiguous.
    const weights = looks.map((l) => l.weight);
    expect(weights).toEqual([...weights].sort((a, b) => a - b));
  });
});

describe("monitoring during a canary", { timeout: 60_000 }, () => {
  it("does not call a weight change the canary has made but not yet recorded drift; a weight it did not choose halts it", async () => {
    const runId = await approvedProductionDeploy();
    const stub = envObject(ids.production);
    // At 10%, the 50% step's PATCH of the load balancer is applied but its answer lost, and the retry is
    // throttled for 6 s: meanwhile half the traffic goes to the canary while the run still records 10%.
    const patch = "PATCH /client/v4/zones/*/load_balancers/*";
    let faulted = false;
    const inWindow = async ({ run, steps }: Awaited<ReturnType<typeof live>>) => {
      const weight = run.outputs.canary?.weight;
      if (!faulted && weight === 10) {
        faulted = true;
        await sandboxWorld(env).addFault({
          kind: "provider",
          provider: "cloudflare",
          status: "timeout",
          count: 1,
          operation: patch,
        });
        await sandboxWorld(env).addFault({
          kind: "provider",
          provider: "cloudflare",
          status: 429,
          retryAfterSeconds: 6,
          count: 1,
          operation: patch,
        });
      }
      const step50 = steps.find((s) => s.id.endsWith("canary-step-50"));
      return weight === 10 && /429/.test(step50?.error ?? "") && (await loadBalancer()).canaryShare === 0.5;
    };
    await driveUntil(ids.production, runId, inWindow, "50% at the load balancer while the run still records 10%");
    const at = Date.now() + 7 * 86_400_000;
    const check = async (when: number) => unwrap(await stub.monitorTick(ids.production, { at: when, drift: true }));
    expect((await check(at)).anomalies).toEqual([]);
    expect((await live(ids.production, runId)).run.status).toBe("running");

    // A weight nobody in the run chose (35%) is still drift, and halts the canary.
    const { lb } = await loadBalancer();
    const canaryPool = Object.keys(lb.random_steering!.pool_weights!).find((p) => p !== lb.fallback_pool)!;
    const zoneId = (await api(alice.token, "GET", "/api/envs/invoice-perfect:production")).body.environment.bindings
      .cloudflare.zoneId;
    const patched = await sandboxWorld(env).fetch(
      new Request(`https://api.cloudflare.com/client/v4/zones/${zoneId}/load_balancers/${lb.id}`, {
        method: "PATCH",
        headers: { authorization: "Bearer test", "content-type": "application/json" },
        body: JSON.stringify({ random_steering: { pool_weights: { [lb.fallback_pool]: 0.65, [canaryPool]: 0.35 } } }),
      }),
    );
    expect(patched.status).toBe(200);
    expect((await loadBalancer()).canaryShare).toBe(0.35);
    const drifted = await check(at + 120_000);
    expect(drifted.anomalies).toContain("drift");
    expect(drifted.runs).toContain(runId);
    expect((await live(ids.production, runId)).run.status).toBe("stopped");

    // Resumed, the 50% step sets its weight again and the canary goes on to the end.
    expect((await api(alice.token, "POST", `/api/runs/${runId}/resume`, {})).status).toBe(200);
    expect((await driveRun(alice.token, runId, ids.production)).status).toBe("succeeded");
  });
});

describe("SMS approval", { timeout: 30_000 }, () => {
  async function sms(
    from: string,
    body: string,
    sid = `SM${crypto.randomUUID().replaceAll("-", "")}`,
    token = "sandbox-twilio-auth-token",
  ) {
    const url = `${env.PUBLIC_URL}/webhooks/twilio/sms`;
    const pairs: [string, string][] = [
      ["MessageSid", sid],
      ["AccountSid", `AC${"0".repeat(32)}`],
      ["From", from],
      ["To", "+15550009999"],
      ["Body", body],
    ];
    const signature = await computeTwilioSignature(token, url, pairs);
    const res = await api(null, "POST", "/webhooks/twilio/sms", new URLSearchParams(pairs).toString(), {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": signature,
    });
    return { ...res, sid };
  }

  async function awaitingRun() {
    await sandboxWorld(env).addCommit({ service: "web", message: `web-${crypto.randomUUID().slice(0, 6)}` });
    const planned = await api(alice.token, "POST", "/api/chat", { message: "deploy production" });
    const applied = await api(alice.token, "POST", "/api/chat", {
      message: "apply",
      conversationId: planned.body.conversationId,
    });
    const runId = applied.body.replies[0].run.id as string;
    const code = (await api(bob.token, "GET", `/api/runs/${runId}`)).body.run.approvals.code as string;
    return { runId, code };
  }

  const statusOf = async (runId: string) =>
    (await api(alice.token, "GET", `/api/runs/${runId}`)).body.run.status as string;

  it("texts approvers their own code, and YES <code> from an admin's phone approves", async () => {
    const { runId, code } = await awaitingRun();
    const outbox = await sandboxWorld(env).sms();
    const toBob = outbox.find((m) => m.to === "+15550001002" && m.body.includes(runId));
    expect(toBob?.body).toContain(`YES ${code}`);
    expect(outbox.some((m) => m.to === alice.phone && m.body.includes(runId))).toBe(false);
    const res = await sms("+15550001002", `yes ${code}`);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<Response><Message>Approved/);
    expect(await statusOf(runId)).not.toBe("awaiting-approval");
    await api(alice.token, "POST", `/api/runs/${runId}/cancel`, {});
  });

  it("changes nothing for a viewer's phone, a wrong code, a replayed MessageSid or a bad signature", async () => {
    const viewer = await makeUser("viewer", "+15550001003");
    expect(viewer.phone).toBe("+15550001003");
    const { runId, code } = await awaitingRun();
    expect((await sms("+15550001003", `YES ${code}`)).text).toMatch(/No run is waiting|Not done/);
    expect(await statusOf(runId)).toBe("awaiting-approval");
    const wrong = code === "000000" ? "111111" : "000000";
    expect((await sms("+15550001002", `YES ${wrong}`)).text).toMatch(/No run is waiting/);
    expect(await statusOf(runId)).toBe("awaiting-approval");
    const forged = await sms("+15550001002", `YES ${code}`, undefined, "not-the-token");
    expect(forged.status).toBe(403);
    expect(await statusOf(runId)).toBe("awaiting-approval");
    // Replay: the first delivery is rejected as a wrong code; re-sending the same MessageSid with the right code changes nothing.
    const first = await sms("+15550001002", "YES 123", "SMreplay0000000000000000000000000001");
    expect(first.status).toBe(200);
    const replay = await sms("+15550001002", `YES ${code}`, "SMreplay0000000000000000000000000001");
    expect(replay.status).toBe(200);
    expect(replay.text).not.toMatch(/Approved/);
    expect(await statusOf(runId)).toBe("awaiting-approval");
    await api(alice.token, "POST", `/api/runs/${runId}/cancel`, {});
  });
});
