/**
 * A backfill throttles on the app's health (issue #5): while the environment's short window of HTTP traffic
 * crosses policies.backfill (5xx burn rate, p95 latency), batches pause and the run's progress says why;
 * once it is healthy again they continue by themselves. The sandbox's app faults shape that traffic; every
 * time asserted is the run's simulated clock, never wall time.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { BackfillPolicy } from "../../src/domain/backfill-policy";
import { judgeHealth } from "../../src/runs/executors/backfill-health";
import type { BackfillProgress } from "../../src/runs/outputs";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, driveRun, driveUntil, live, makeUser, runAlarms, seedWorld } from "./helpers";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin");
  await sandboxWorld(env).clearFaults();
});

/** The backfill's progress and its step's state, as the environment's Durable Object holds them. */
async function backfillOf(runId: string) {
  const { run, steps } = await live(ids.staging, runId);
  const step = steps.find((s) => s.kind === "backfill")!;
  return { progress: run.outputs.progress, state: { nextAt: step.state.nextAt!, schedule: step.state.schedule! } };
}

/** Drives the environment's alarms until the backfill's progress satisfies `until`. */
async function driveProgress(runId: string, until: (p: BackfillProgress) => boolean, what: string) {
  const { run } = await driveUntil(
    ids.staging,
    runId,
    ({ run }) => !!run.outputs.progress && until(run.outputs.progress),
    what,
  );
  return run.outputs.progress!;
}

/** The health breach a pause is for (the test fails when the pause is for unreadable health). */
function breachOf(p: BackfillProgress) {
  if (!p.throttle || p.throttle.signal === "unreadable")
    throw new Error(`not paused on a breach: ${JSON.stringify(p)}`);
  return p.throttle;
}

describe("backfill throttle on app health", { timeout: 60_000 }, () => {
  it("pauses batches while the api errs or is slow, says why in progress and chat, and continues by itself when it recovers", async () => {
    // 100 users a batch at 200/min: a batch every 30 s of simulated time, health read before each one.
    const planned = await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/plan", {
      type: "backfill",
      params: { job: "backfillTimezone", ratePerMinute: 200, batchSize: 100, minCoverage: 90 },
    });
    expect(planned.status, JSON.stringify(planned.body)).toBe(201);
    const runId = (await api(admin.token, "POST", `/api/plans/${planned.body.plan.id}/apply`)).body.run.id as string;
    await driveProgress(runId, (p) => p.processed >= 500, "500 processed");

    await sandboxWorld(env).addFault({ kind: "app", env: "staging", service: "api", track: "all", errorRate: 0.5 });
    const paused = await driveProgress(runId, (p) => p.throttle !== undefined, "a pause on errors");
    expect(paused.throttle).toMatchObject({ signal: "error-burn", service: "api", threshold: 14.4 });
    expect(breachOf(paused).value).toBeGreaterThan(80);
    expect(paused.throttle!.reason).toMatch(
      /^api answered (4|5)\d(\.\d)?% 5xx over the last 5 min, burning the error budget \d+(\.\d)?× \(policy pauses at 14\.4×\)$/,
    );
    expect(paused.note).toBe(
      `Paused since ${paused.throttle!.since}: ${paused.throttle!.reason}; batches continue by themselves when it recovers`,
    );

    // While the api errs nothing is sent; health is re-read every 30 s of simulated time.
    const heldAt = (await backfillOf(runId)).state.nextAt;
    await runAlarms(ids.staging, 5);
    const still = await backfillOf(runId);
    expect(still.progress!.processed).toBe(paused.processed);
    expect(still.progress!.throttle!.since).toBe(paused.throttle!.since);
    // (At least the 5 alarms run here; the runtime may run more of them on its own.)
    expect(still.state.nextAt - heldAt).toBeGreaterThanOrEqual(5 * 30_000);
    expect((still.state.nextAt - heldAt) % 30_000).toBe(0);
    // The API and the chat say why.
    const view = (await api(admin.token, "GET", `/api/runs/${runId}`)).body.run;
    expect(view.status).toBe("running");
    // The numbers are the latest window's; the pause keeps its start.
    expect(view.progress.throttle).toMatchObject({
      signal: "error-burn",
      service: "api",
      since: paused.throttle!.since,
    });
    expect(view.progress.note).toMatch(new RegExp(`^Paused since ${paused.throttle!.since}: api answered`));
    const chat = await api(admin.token, "POST", "/api/chat", { message: "how is the backfill going in staging?" });
    expect(chat.body.replies[0].text).toContain(`${paused.processed} of 2000 processed`);
    expect(chat.body.replies[0].text).toContain(`Paused since ${paused.throttle!.since}: api answered`);

    // Recovered: batches go on by themselves.
    await sandboxWorld(env).clearFaults();
    const resumed = await driveProgress(runId, (p) => p.processed > paused.processed, "batches after recovery");
    expect(resumed.throttle).toBeUndefined();
    expect(resumed.note).toBeUndefined();
    expect(resumed.pauses).toHaveLength(1);

    // A slow api pauses it too, for its latency.
    await sandboxWorld(env).addFault({ kind: "app", env: "staging", service: "api", track: "all", latencyMs: 2500 });
    const slow = await driveProgress(runId, (p) => p.throttle !== undefined, "a pause on latency");
    expect(slow.throttle).toMatchObject({ signal: "latency", service: "api", threshold: 1500 });
    expect(slow.throttle!.reason).toMatch(
      /^api's p95 latency over the last 5 min is \d{4} ms \(policy pauses above 1500 ms\)$/,
    );
    await sandboxWorld(env).clearFaults();

    const run = await driveRun(admin.token, runId, ids.staging);
    expect(run.status, run.error).toBe("succeeded");
    expect(run.progress.processed).toBe(2000);
    expect(run.progress.throttle).toBeUndefined();
    const pauses = run.progress.pauses as { since: string; until: string; reason: string }[];
    expect(pauses.map((p) => p.reason.split(" ")[1])).toEqual(["answered", "p95"]);
    // On the run's clock: each pause lasted whole re-check intervals, the first at least the 5 held above,
    // and the batch schedule has exactly those gaps on top of its 30 s pace.
    const lengths = pauses.map((p) => (Date.parse(p.until) - Date.parse(p.since)) / 1000);
    expect(lengths[0]).toBeGreaterThanOrEqual(6 * 30);
    for (const s of lengths) expect(s % 30).toBe(0);
    expect(run.progress.pausedSeconds).toBe(lengths[0] + lengths[1]);
    const schedule = (await backfillOf(runId)).state.schedule;
    const gaps = schedule.slice(1).map((t, i) => (t - schedule[i]) / 1000);
    expect(gaps.filter((g) => g !== 30).sort((a, b) => a - b)).toEqual(
      lengths.map((s) => s + 30).sort((a, b) => a - b),
    );
    expect(run.steps.find((s: { kind: string }) => s.kind === "backfill").note).toMatch(
      new RegExp(`paused ${lengths[0] + lengths[1]}s in total on the app's health$`),
    );
  });

  it("holds batches while the app's health cannot be read, and goes on once it can", async () => {
    const planned = await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/plan", {
      type: "backfill",
      params: { job: "backfillTimezone", ratePerMinute: 200, batchSize: 100, minCoverage: 90 },
    });
    const runId = (await api(admin.token, "POST", `/api/plans/${planned.body.plan.id}/apply`)).body.run.id as string;
    await driveProgress(runId, (p) => p.processed >= 200, "200 processed");
    // Railway answers 500 to the next HTTP-log reads, the adapter's retries included.
    await sandboxWorld(env).addFault({
      kind: "provider",
      provider: "railway",
      status: 500,
      count: 8,
      operation: "HttpLogs",
    });
    const held = await driveProgress(runId, (p) => p.throttle !== undefined, "a pause on unreadable health");
    expect(held.throttle).toMatchObject({ signal: "unreadable" });
    expect(held.note).toMatch(
      /^Paused since \S+: the app's health could not be read \(.+\); batches continue by themselves when it recovers$/,
    );
    const run = await driveRun(admin.token, runId, ids.staging);
    expect(run.status, run.error).toBe("succeeded");
    expect(run.progress.processed).toBe(2000);
    expect(run.progress.pauses).toHaveLength(1);
  });

  it("judges only what crosses policy, on windows busy enough to judge", () => {
    const policy = BackfillPolicy.parse({});
    const healthy = { service: "api", requests: 3000, errors: 6, p95Ms: 150 };
    expect(judgeHealth([healthy], policy, 0.995)).toBeNull();
    // 7.2% 5xx is exactly 14.4× the 0.5% the SLO allows: it pauses; just under does not.
    expect(judgeHealth([{ ...healthy, errors: 216 }], policy, 0.995)).toMatchObject({
      signal: "error-burn",
      value: 14.4,
    });
    expect(judgeHealth([{ ...healthy, errors: 215 }], policy, 0.995)).toBeNull();
    expect(judgeHealth([{ ...healthy, p95Ms: 1501 }], policy, 0.995)).toMatchObject({ signal: "latency", value: 1501 });
    // Too quiet to judge: 19 requests all failing say nothing yet.
    expect(judgeHealth([{ service: "web", requests: 19, errors: 19, p95Ms: 9000 }], policy, 0.995)).toBeNull();
    // Of several breaches, the worst against its threshold is the reason.
    expect(
      judgeHealth(
        [
          { ...healthy, p95Ms: 1600 },
          { service: "web", requests: 100, errors: 100, p95Ms: 100 },
        ],
        policy,
        0.995,
      ),
    ).toMatchObject({ signal: "error-burn", service: "web" });
  });
});
