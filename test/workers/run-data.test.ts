/**
 * Typed run data (issue 15): what a run stores is parsed when it is read back, so the shapes must accept
 * everything the Durable Object already holds. Runs outlive the code that wrote them (Infra Chat deploys
 * mid-run), so the fixture is real storage from before the types existed, read through the real RunStore.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PlannedStep, StepKind } from "../../src/domain/steps";
import { numberSteps } from "../../src/plan/steps";
import { RunStore } from "../../src/runs/store";
import stored from "../fixtures/stored-runs-v1.json";

interface StoredRun {
  type: string;
  status: string;
  plan: { id: string; runId: string };
  approvals: unknown;
  outputs: Record<string, unknown>;
}

interface StoredStep {
  kind: string;
  id: string;
  summary: string;
  params: Record<string, unknown>;
  state: Record<string, unknown>;
  status: string;
  receiptIds: string[];
}

describe("run data stored before it was typed", () => {
  it("reads back every run and step the older code stored, with every field it held", async () => {
    const runs = stored.runs as StoredRun[];
    const steps = stored.steps as StoredStep[];
    expect(runs.length).toBeGreaterThan(5);
    const stub = env.ENVIRONMENTS.getByName("run-data-compat");
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      const store = new RunStore(sql);
      store.migrate();
      runs.forEach((r, i) => {
        sql.exec(
          `INSERT INTO runs (id, plan_id, seq, priority, type, status, requested_by, plan, approvals, error, outputs, created_at, started_at, ended_at)
           VALUES (?, ?, ?, 0, ?, ?, 'usr_test', ?, ?, NULL, ?, '2026-11-27T00:00:00.000Z', NULL, NULL)`,
          r.plan.runId,
          r.plan.id,
          i + 1,
          r.type,
          r.status,
          JSON.stringify(r.plan),
          r.approvals === null ? null : JSON.stringify(r.approvals),
          JSON.stringify(r.outputs),
        );
        const read = store.getRun(r.plan.runId);
        // Parsing keeps what was stored: nothing dropped, nothing renamed.
        expect(JSON.parse(JSON.stringify(read?.outputs)), `${r.type} outputs`).toEqual(r.outputs);
        expect(JSON.parse(JSON.stringify(read?.plan)), `${r.type} plan`).toEqual(r.plan);
        expect(read?.approvals ?? null).toEqual(r.approvals);
      });
      steps.forEach((s, idx) => {
        sql.exec(
          `INSERT INTO steps (run_id, idx, id, kind, summary, params, status, attempts, started_at, ended_at, error, receipt_ids, state)
           VALUES ('run_steps_v1', ?, ?, ?, ?, ?, ?, 1, NULL, NULL, NULL, ?, ?)`,
          idx,
          s.id,
          s.kind,
          s.summary,
          JSON.stringify(s.params),
          s.status,
          JSON.stringify(s.receiptIds),
          JSON.stringify(s.state),
        );
      });
      const read = store.steps("run_steps_v1");
      expect(read.map((s) => s.kind)).toEqual(steps.map((s) => s.kind));
      read.forEach((s, i) => {
        expect(JSON.parse(JSON.stringify(s.params)), `${s.kind} params`).toEqual(steps[i].params);
        expect(JSON.parse(JSON.stringify(s.state)), `${s.kind} state`).toEqual(steps[i].state);
      });
    });
  });
});

describe("planned steps", () => {
  it("are parsed once, at plan creation: parameters that do not fit their kind never reach a plan", () => {
    const [split] = numberSteps([
      { kind: "canary-step", summary: "Canary 10%", params: { service: "api", weight: 10, index: 0 } },
    ]);
    expect(split).toEqual({
      id: "s01-canary-step-10",
      kind: "canary-step",
      summary: "Canary 10%",
      params: { service: "api", weight: 10, index: 0 },
    });
    expect(() =>
      PlannedStep.parse({ id: "s01", kind: "canary-step", summary: "Canary", params: { service: "api" } }),
    ).toThrow(/weight/);
    expect(() => PlannedStep.parse({ id: "s01", kind: "launch-rocket", summary: "?", params: {} })).toThrow();
  });

  it("have a variant for every step kind (a kind without one could be planned but never parsed)", () => {
    const variants = PlannedStep.options.map((o) => o.shape.kind.value);
    expect([...variants].sort()).toEqual([...StepKind.options].sort());
  });
});
