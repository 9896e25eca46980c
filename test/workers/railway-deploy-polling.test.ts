/**
 * How a step waits on a Railway deployment (issue 14, item 4): polls back off from the first interval to
 * 6× it (5 s → 30 s for real), a deployment that never goes live fails the step after the timeout saying
 * where it stuck, a deployment Railway holds for approval says so in the run, and a status Infra Chat does
 * not know is reported and waited on rather than failing the answer. A fake Railway answers the statuses.
 */
import { describe, expect, it } from "vitest";
import type { RailwayApi, RailwayDeployment } from "../../src/providers/railway/api";
import type { StepContext, StepResult } from "../../src/runs/context";
import { deployService } from "../../src/runs/executors/deploy";

const SHA = "0123456789abcdef0123456789abcdef01234567";

/** A deploy-service step for `api` whose deployment reports each of `statuses` in turn (the last repeats). */
function stepWith(statuses: string[], options: { timeoutMs?: number } = {}) {
  let clock = 1_000_000;
  let polls = 0;
  const deployment = (status: string): RailwayDeployment => ({
    id: "dep_1",
    status: status as RailwayDeployment["status"],
    reportedStatus: status,
    createdAt: new Date(clock).toISOString(),
    meta: { commitHash: SHA },
  });
  const railway = {
    listDeployments: async () => [],
    deployService: async () => "dep_1",
    getDeployment: async () => {
      const status = statuses[Math.min(polls, statuses.length - 1)];
      polls += 1;
      const known = ["SUCCESS", "BUILDING", "NEEDS_APPROVAL", "WAITING", "QUEUED", "SLEEPING", "FAILED"];
      return { ...deployment(status), status: known.includes(status) ? status : "UNKNOWN" } as RailwayDeployment;
    },
    deploymentLogs: async () => [],
  } as unknown as RailwayApi;
  const ctx = {
    run: { id: "run_1", outputs: { refs: { api: { repo: "a/api", ref: "main", sha: SHA, message: "v2" } } } },
    step: { params: { service: "api" }, state: {} },
    env: {
      env: "p:staging",
      bindings: { railway: { projectId: "p", environmentId: "e", services: { api: "s_api" } } },
    },
    railway,
    artifacts: { put: async () => undefined },
    save: () => undefined,
    now: () => clock,
    pollMs: 5000,
    deployTimeoutMs: options.timeoutMs ?? 30 * 60_000,
  } as unknown as StepContext<"deploy-service">;
  /** Runs the step until it stops waiting; returns every result, the clock moving by each wait. */
  async function drive(limit = 200): Promise<StepResult[]> {
    const results: StepResult[] = [];
    for (let i = 0; i < limit; i++) {
      const result = await deployService(ctx);
      results.push(result);
      if (result.kind !== "wait") return results;
      clock += result.ms;
    }
    return results;
  }
  return { drive };
}

describe("polling a Railway deployment", () => {
  it("backs off from 5 s to 30 s between polls", async () => {
    const results = await stepWith([...Array(12).fill("BUILDING"), "SUCCESS"]).drive();
    const waits = results.flatMap((r) => (r.kind === "wait" ? [r.ms] : []));
    expect(waits.slice(0, 3)).toEqual([5000, 7500, 11250]);
    expect(Math.max(...waits)).toBe(30_000);
    expect(waits.at(-1)).toBe(30_000);
    expect(results.at(-1)).toMatchObject({ kind: "done" });
  });

  it("says in the run that Railway waits for approval in its dashboard, then carries on once approved", async () => {
    const results = await stepWith(["NEEDS_APPROVAL", "NEEDS_APPROVAL", "BUILDING", "SUCCESS"]).drive();
    expect(results[0]).toMatchObject({
      kind: "wait",
      note: expect.stringMatching(/Railway is waiting for approval in its dashboard/),
    });
    expect(results.at(-1)).toMatchObject({ kind: "done" });
  });

  it("reports a status it does not know and keeps waiting instead of failing", async () => {
    const results = await stepWith(["HIBERNATING", "SUCCESS"]).drive();
    expect(results[0]).toMatchObject({
      kind: "wait",
      note: expect.stringMatching(/as HIBERNATING, a status Infra Chat does not know/),
    });
    expect(results.at(-1)).toMatchObject({ kind: "done" });
  });

  it("fails after the step timeout, saying where the deployment stuck", async () => {
    const results = await stepWith(["WAITING"], { timeoutMs: 10 * 60_000 }).drive();
    const last = results.at(-1);
    expect(last).toMatchObject({
      kind: "fail",
      error: expect.stringMatching(/did not go live within 10 min: .*WAITING/),
    });
    expect(results.length).toBeLessThan(40);
  });

  it("treats SLEEPING as live (Railway's serverless sleep parks a deployment that went live)", async () => {
    expect((await stepWith(["SLEEPING"]).drive()).at(-1)).toMatchObject({ kind: "done" });
  });
});
