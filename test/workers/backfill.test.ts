import { abortAllDurableObjects, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, driveRun, driveUntil, live, makeUser, runAlarms, seedWorld } from "./helpers";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin");
});

async function plan(params: Record<string, unknown>, envRef = "invoice-perfect:staging") {
  const res = await api(admin.token, "POST", `/api/envs/${envRef}/plan`, {
    type: "backfill",
    params: { job: "backfillTimezone", ...params },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.plan as { id: string; runId: string };
}

async function usersFilled() {
  const state = (await sandboxWorld(env).state()) as unknown as {
    appUsers: Record<string, { total: number; filled: number }>;
  };
  return state.appUsers.staging ?? { total: 0, filled: 0 };
}

describe("backfill runs", { timeout: 60_000 }, () => {
  it("a dry run reports what would change and writes nothing", async () => {
    const p = await plan({ ratePerMinute: 6000, dryRun: true });
    const run = await driveRun(
      admin.token,
      (await api(admin.token, "POST", `/api/plans/${p.id}/apply`)).body.run.id,
      ids.staging,
    );
    expect(run.status).toBe("succeeded");
    expect(run.progress.wouldChange).toBeGreaterThan(1500);
    expect((await usersFilled()).filled).toBe(0);
    // A dry run is no staging success: production still refuses the job.
    const refused = await api(admin.token, "POST", "/api/envs/invoice-perfect:production/plan", {
      type: "backfill",
      params: { job: "backfillTimezone" },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/on invoice-perfect:staging successfully first/);
  });

  it("a broken job (a sandbox fault loses every fourth write) fails verification, and chat says why", async () => {
    const fault = await sandboxWorld(env).addFault({
      kind: "app",
      env: "staging",
      service: "api",
      track: "all",
      jobBug: "lost-writes",
    });
    expect(fault.ok).toBe(true);
    try {
      const chat = await api(admin.token, "POST", "/api/chat", {
        message: "backfill timezone in staging at 6000 users/min",
      });
      const run = await driveRun(admin.token, chat.body.replies[0].run.id, ids.staging);
      expect(run.status).toBe("failed");
      // The job reported every row it could derive as updated; the table says otherwise.
      expect(run.progress.updated).toBe(run.progress.processed - run.progress.failed);
      const verdict = run.progress.verification;
      expect(verdict.notBackfilled).toBeGreaterThan(300);
      expect(verdict.derivableCoverage).toBeLessThan(80);
      expect(run.error).toContain(
        `verification failed: ${verdict.notBackfilled} rows the rules can derive are still empty (not_backfilled)`,
      );
      const asked = await api(admin.token, "POST", "/api/chat", { message: "how is the backfill going in staging?" });
      expect(asked.body.replies[0].text).toMatch(/^Backfill run_\w+ is failed: 2000 of 2000 processed/);
      expect(asked.body.replies[0].text).toContain(
        `${verdict.notBackfilled} rows the rules can derive are still empty`,
      );
    } finally {
      await sandboxWorld(env).clearFaults();
    }
  });

  it("paces batches at 500 users/min (±5%), survives stop/resume and an evicted DO, processes every user once, and verifies what the rules can derive", async () => {
    const p = await plan({ ratePerMinute: 500, batchSize: 100 });
    const runId = (await api(admin.token, "POST", `/api/plans/${p.id}/apply`)).body.run.id as string;
    const progressed = (n: number) =>
      driveUntil(ids.staging, runId, ({ run }) => (run.outputs.progress?.processed ?? 0) >= n, `${n} processed`);
    await progressed(500);
    expect((await api(admin.token, "POST", `/api/runs/${runId}/stop`, {})).body.run.status).toBe("stopped");
    const frozen = (await live(ids.staging, runId)).run.outputs.progress!;
    await runAlarms(ids.staging, 5);
    expect((await live(ids.staging, runId)).run.outputs.progress!.processed).toBe(frozen.processed);
    const chat = await api(admin.token, "POST", "/api/chat", { message: "how is the backfill going in staging?" });
    expect(chat.body.replies[0].text).toMatch(new RegExp(`${frozen.processed} of 2000 processed`));
    expect((await api(admin.token, "POST", `/api/runs/${runId}/resume`, {})).body.run.status).toBe("running");
    await progressed(1200);
    await abortAllDurableObjects();
    const run = await driveRun(admin.token, runId, ids.staging);
    // The sandbox app's ~7% unresolvable addresses are counted by reason and left out of the coverage.
    expect(run.status, run.error).toBe("succeeded");
    expect(run.progress.processed).toBe(2000);
    expect(run.progress.failed).toBeGreaterThan(0);
    expect(Object.keys(run.progress.failedByReason).sort()).toEqual([
      "ambiguous_region",
      "no_address",
      "unknown_region",
    ]);
    const verdict = run.progress.verification;
    expect(verdict).toMatchObject({
      ok: true,
      derivableCoverage: 100,
      notBackfilled: 0,
      underivable: run.progress.failed,
    });
    expect(verdict.underivableByReason).toEqual(run.progress.failedByReason);
    expect(verdict.underivableShare).toBeLessThanOrEqual(10);
    expect(run.steps.at(-1).note).toMatch(
      /^verified: \d+ of \d+ derivable rows filled \(100%, target 100%\); \d+ of 2000 rows \(\d+(\.\d)?%, bound 10%\) cannot be derived and stay empty: /,
    );
    const filled = await usersFilled();
    expect(filled.total).toBe(2000);
    // The broken run before this one left a quarter of the derivable rows empty; this run filled exactly those.
    expect(filled.filled).toBe(2000 - verdict.underivable);
    // Pacing on the simulated clock: batches of 100 at 500/min are 12 s apart.
    const schedule = (await live(ids.staging, runId)).steps[0].state.schedule!;
    const span = (schedule.at(-1)! - schedule[0]) / 60_000;
    const rate = ((schedule.length - 1) * 100) / span;
    expect(Math.abs(rate - 500) / 500).toBeLessThanOrEqual(0.05);
    expect(Math.abs(run.progress.achievedRatePerMinute - 500) / 500).toBeLessThanOrEqual(0.05);
  });

  it("fails when more rows than the plan's bound cannot be derived, naming them by reason", async () => {
    const p = await plan({ ratePerMinute: 100_000, maxUnderivable: 1 });
    const run = await driveRun(
      admin.token,
      (await api(admin.token, "POST", `/api/plans/${p.id}/apply`)).body.run.id,
      ids.staging,
    );
    expect(run.status).toBe("failed");
    const { underivable, underivableShare } = run.progress.verification;
    expect(run.error).toMatch(
      new RegExp(
        `${underivable} of 2000 rows \\(${underivableShare}%\\) cannot be derived \\(\\w+ \\d+, \\w+ \\d+, \\w+ \\d+\\), above the 1% bound`,
      ),
    );
  });

  it("runs only inside its schedule window; after a staging success production may plan the job", async () => {
    const now = new Date();
    const hh = (h: number) => String((now.getUTCHours() + h) % 24).padStart(2, "0");
    const p = await plan({
      ratePerMinute: 6000,
      window: { start: `${hh(2)}:00`, end: `${hh(3)}:00`, tz: "UTC" },
    });
    const runId = (await api(admin.token, "POST", `/api/plans/${p.id}/apply`)).body.run.id as string;
    const run = await driveRun(admin.token, runId, ids.staging);
    expect(run.status).toBe("succeeded");
    // Simulated time jumps to the window: every batch was due inside it, none before it opened.
    const schedule = (await live(ids.staging, runId)).steps[0].state.schedule!;
    const opens = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours() + 2);
    expect(schedule.length).toBeGreaterThan(0);
    for (const t of schedule) {
      expect(t).toBeGreaterThanOrEqual(opens);
      expect(t).toBeLessThan(opens + 3600_000);
    }
    // Now staging has succeeded once, production may plan the same job (at 500 users/min, awaiting approval).
    const allowed = await api(admin.token, "POST", "/api/envs/invoice-perfect:production/plan", {
      type: "backfill",
      params: { job: "backfillTimezone", ratePerMinute: 500 },
    });
    expect(allowed.status).toBe(201);
    expect(allowed.body.plan.requiresApproval).toBe(true);
  });
});
