import { AppError, unwrap } from "../domain/errors";
import { getRun } from "../db/runs";
import type { RunRow, RunStepRow } from "../db/runs";
import { findEnv } from "../db/environments";
import { requireRole, approvalAction } from "../security/roles";
import { isProduction } from "../domain/env-ref";
import type { Action } from "../security/roles";
import { type RunView, runView as buildRunView } from "../runs/view";
import type { ControlContext } from "./context";
import { notificationsOf } from "./notifications";
import type { RunAction } from "./services";

export type { RunAction };

/** Approve / reject / cancel / stop / resume a run through its environment's Durable Object. */
export async function actOnRun(cx: ControlContext, runId: string, action: RunAction, reason?: string) {
  const { run } = await getRun(cx.db, runId);
  const env = await findEnv(cx.db, run.envId);
  const needed: Action =
    action === "approve" || action === "reject"
      ? approvalAction(isProduction(env.env))
      : action === "promote"
        ? "resume"
        : action;
  requireRole(cx.actor.role, needed);
  if (run.status === "planned") throw new AppError("conflict", `run ${runId} has not been applied yet`);
  unwrap(await cx.environment(run.envId).act(runId, action, cx.actor, reason));
  return runView(cx, runId);
}

/** The API shape of a run (API.md "Plans and runs"); an approver sees their own approval code. */
export async function runView(cx: ControlContext, runId: string) {
  const { run, steps } = await getRun(cx.db, runId);
  const env = await findEnv(cx.db, run.envId);
  const artifacts = run.status === "planned" ? [] : await cx.runArtifacts.list(run.id);
  const view = formatRun(run, steps, env.env, artifacts);
  const code = await codeFor(cx, run, env.env);
  if (code && view.approvals) view.approvals = { ...view.approvals, code };
  const notifications = await notificationsOf(cx, { runId });
  return notifications.length ? { ...view, notifications } : view;
}

/** The approval code the asking actor would use for a run (null when they may not approve it). */
export async function codeFor(cx: ControlContext, run: RunRow, env: string): Promise<string | null> {
  if (run.status !== "awaiting-approval" || !run.approvals) return null;
  return cx.approvalCode(
    {
      id: run.id,
      env,
      requiresApproval: run.approvals.required,
      requestedBy: run.requestedBy,
      approvals: run.approvals,
    },
    cx.actor,
  );
}

/** Formats a projected run; approval codes are added per viewer by runView, never stored. */
export function formatRun(
  run: RunRow,
  steps: RunStepRow[],
  env: string,
  artifacts: string[],
): RunView & { planId: string; approvals?: { code?: string }; artifacts: string[] } {
  const view = buildRunView(
    { ...run, env },
    steps.map((s) => ({ ...s, id: s.stepId })),
  );
  return { ...view, planId: run.planId, artifacts };
}

/** Deployment logs of a run's steps (build, pre-deploy, runtime), redacted; none before it was applied. */
export async function runLogs(cx: ControlContext, runId: string) {
  requireRole(cx.actor.role, "read");
  const { run } = await getRun(cx.db, runId);
  if (run.status === "planned" || (run.status === "cancelled" && !run.startedAt))
    return { status: run.status, steps: [] };
  return { status: run.status, steps: unwrap(await cx.environment(run.envId).stepLogs(runId)) };
}
