import type { ArtifactStore } from "../audit/artifacts";
import { isTerminal } from "../domain/run";
import { judgeDecision } from "./canary/evidence";
import type { RunRecord, StepRecord } from "./store";

export { appendReceipts } from "../audit/artifacts";

/** plan.json, diff.json and the first run.json of an applied run. */
export async function writePlanArtifacts(artifacts: ArtifactStore, run: RunRecord, steps: StepRecord[]): Promise<void> {
  const { plan } = run;
  await artifacts.put(run.id, "plan.json", {
    id: plan.id,
    type: plan.type,
    env: plan.env,
    params: plan.params,
    steps: plan.steps,
    risk: plan.risk,
    requiresApproval: plan.requiresApproval,
    specRevision: plan.specRevision,
  });
  await artifacts.put(run.id, "diff.json", plan.diff);
  await artifacts.put(run.id, "run.json", runJson(run, steps));
}

/** run.json: the run as it stands, with each step's outcome. */
export function runJson(run: RunRecord, steps: StepRecord[]): unknown {
  return {
    id: run.id,
    type: run.type,
    env: run.plan.env,
    status: run.status,
    requestedBy: run.requestedBy,
    planId: run.planId,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    error: run.error,
    outputs: run.outputs,
    approvals: run.approvals,
    isTerminal: isTerminal(run.status),
    steps: steps.map((s) => ({
      id: s.id,
      kind: s.kind,
      summary: s.summary,
      status: s.status,
      attempts: s.attempts,
      startedAt: s.startedAt,
      endedAt: s.endedAt,
      error: s.error,
      note: s.state.note,
      receiptIds: s.receiptIds,
    })),
  };
}

/** metrics.json of a canary run: the sequential judge's decision, config and looks, or the fixed-window checks. */
export async function writeCanaryMetrics(artifacts: ArtifactStore, run: RunRecord): Promise<void> {
  const { canary, canaryChecks, sequential } = run.outputs;
  if (sequential)
    await artifacts.put(run.id, "metrics.json", {
      canary,
      judge: { ...judgeDecision(sequential), config: sequential.config, counted: sequential.counted },
      looks: sequential.looks,
      state: sequential.state,
    });
  else if (canaryChecks) await artifacts.put(run.id, "metrics.json", { canary, checks: canaryChecks });
}
