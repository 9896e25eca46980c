import { z } from "zod";
import { findEnv, listReleases, specAt } from "../db/environments";
import { getPlan, getRun, insertPlan } from "../db/runs";
import { AppError, unwrap } from "../domain/errors";
import { newId } from "../domain/ids";
import { RunType } from "../domain/run";
import type { Plan } from "../domain/run";
import { planDigest } from "../plan/digest";
import { requireRole } from "../security/roles";
import type { Role } from "../security/roles";
import { isProduction } from "../domain/env-ref";
import type { EnvironmentSpec } from "../domain/spec";
import type { ControlContext } from "./context";
import { PLANNERS } from "./planners";
import { judgePreflight, readPreflightFacts } from "./preflight";

export const PlanRequest = z
  .object({
    type: RunType,
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type PlanRequest = z.infer<typeof PlanRequest>;

/**
 * Plans a run: reads desired and observed state, writes nothing outside D1. `remediation` is set only by
 * the monitor, after the environment's monitoring policy decided auto-apply ("auto") or a person ("approval").
 */
export async function createPlan(
  cx: ControlContext,
  envRef: string,
  request: PlanRequest,
  options: { remediation?: "auto" | "approval" } = {},
): Promise<Plan> {
  requireRole(cx.actor.role, "plan");
  const row = await findEnv(cx.db, envRef);
  // Independent reads, in parallel: chat → plan latency is a budgeted figure (npm run bench).
  const [{ revision, spec }, releases] = await Promise.all([specAt(cx.db, row.id), listReleases(cx.db, row.id)]);
  const base = {
    env: row.env,
    spec,
    releases,
    currentRelease: releases.find((r) => r.id === row.currentReleaseId) ?? null,
  };
  // Preflight's reads go on beside the planner's; judged once the plan exists. Reads only: a plan refused here
  // has written nothing, at any provider or in D1.
  const facts = readPreflightFacts(cx, row, spec, request);
  const output = await PLANNERS[request.type].plan({ cx, row, base }, request.params);
  const preflight = judgePreflight(await facts, row, spec, output);
  if (preflight.notes.length) output.risk = { ...output.risk, notes: [...output.risk.notes, ...preflight.notes] };
  // Deleting a provider resource loses data, and a shrunk database may not hold its data: these always
  // wait for an approver, whatever the policy.
  const destructive = output.steps.some(
    (s) => s.kind === "remove-component" || (s.kind === "resize-component" && s.params.shrinksDatabase === true),
  );
  const now = new Date(cx.now()).toISOString();
  const plan: Plan = {
    id: newId("plan"),
    runId: newId("run"),
    type: output.type,
    env: row.env,
    envId: row.id,
    params: request.params,
    steps: output.steps,
    diff: output.diff,
    risk: output.risk,
    requiresApproval: options.remediation
      ? options.remediation === "approval"
      : output.type === "rollback"
        ? rollbackNeedsApprover(cx.actor.role, row.env, spec.policies)
        : // Re-sealing secrets changes no value and no provider: an admin's say-so is the whole decision.
          output.type !== "rotate-master-key" && (spec.policies.requireApproval || destructive),
    autoApply: options.remediation
      ? options.remediation === "auto"
      : spec.policies.autoApply && !spec.policies.requireApproval && !destructive,
    specRevision: revision,
    createdBy: cx.actor.id,
    createdAt: now,
  };
  // A deferred contract migration is planned now, as its own run that waits for this one (and its soak).
  if (output.followUp) {
    const refs = output.steps.find((s) => s.kind === "resolve-ref")?.params.refs;
    const migrating = Object.keys(spec.services).find((n) => spec.services[n].migrateCommand);
    const sha = migrating ? refs?.[migrating]?.sha : undefined;
    const followUp = await createPlan(cx, envRef, {
      type: output.followUp.type,
      params: { ...(sha ? { ref: sha } : {}), after: plan.runId, soakSeconds: output.followUp.params.soakSeconds },
    });
    plan.followUpPlanId = followUp.id;
  }
  await insertPlan(cx.db, plan, await planDigest(plan));
  return plan;
}

/**
 * A rollback returns to a release that already passed its checks, so where approval is the rule an admin's
 * rollback is pre-approved (waiting for a second person during an incident is the wrong default). A
 * deployer's waits for an admin, unless the environment's policy pre-approves deployers' rollbacks too.
 */
function rollbackNeedsApprover(role: Role, env: string, policies: EnvironmentSpec["policies"]): boolean {
  if (!policies.requireApproval && !isProduction(env)) return false;
  return role !== "admin" && policies.rollbackPreApproved !== "deployers";
}

/** Applies a plan once: hands it to the environment's Durable Object, which queues or starts it. */
export async function applyPlan(cx: ControlContext, planId: string) {
  requireRole(cx.actor.role, "apply");
  const { plan } = await getPlan(cx.db, planId);
  const { run } = await getRun(cx.db, plan.runId);
  if (run.status === "cancelled" && run.error === "plan expired") throw planExpired(planId, plan.createdAt);
  if (run.status !== "planned")
    throw new AppError("conflict", `plan ${planId} was already applied (run ${run.id} is ${run.status})`);
  const cutoff = new Date(cx.now() - cx.planTtlMs).toISOString();
  if (plan.createdAt < cutoff) {
    await cx.environment(plan.envId).expirePlans(plan.envId, cutoff);
    throw planExpired(planId, plan.createdAt);
  }
  return unwrap(await cx.environment(plan.envId).enqueue(plan, cx.actor));
}

function planExpired(planId: string, createdAt: string): AppError {
  return new AppError(
    "conflict",
    `plan ${planId} expired: it was made at ${createdAt} and nobody applied it in time; plan it again (what it was based on may have changed)`,
    { reason: "plan expired" },
  );
}

/** The plan as the API shows it. */
export { planView as publicPlan } from "../runs/view";
