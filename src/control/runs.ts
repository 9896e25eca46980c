import { AppError, unwrap } from "../domain/errors";
import { getRun } from "../db/runs";
import type { RunRow, RunStepRow } from "../db/runs";
import { findEnv } from "../db/environments";
import { requireRole, approvalAction } from "../security/roles";
import { approvalCode, approvalRefusal } from "../policy/approval";
import type { Action } from "../security/roles";
import { artifactStore } from "../wiring";
import { type RunView, runView as buildRunView } from "../runs/view";
import type { ControlContext } from "./context";
import { environmentObject } from "./context";

export type RunAction = "approve" | "reject" | "cancel" | "stop" | "resume" | "promote";

/** Approve / reject / cancel / stop / resume a run through its environment's Durable Object. */
export async function actOnRun(cx: ControlContext, runId: string, action: RunAction, reason?: string) {
  const { run } = await getRun(cx.db, runId);
  const env = await findEnv(cx.db, run.envId);
  const needed: Action =
    action === "approve" || action === "reject"
      ? approvalAction(env.name === "production")
      : action === "promote"
        ? "resume"
        : action;
  requireRole(cx.actor.role, needed);
  if (run.status === "planned") throw new AppError("conflict", `run ${runId} has not been applied yet`);
  const stub = environmentObject(cx.env, run.envId);
  const result = action === "reject" ? await stub.reject(runId, cx.actor, reason) : await stub[action](runId, cx.actor);
  unwrap(result);
  return runView(cx, runId);
}

/** The API shape of a run (API.md "Plans and runs"); an approver sees their own approval code. */
export async function runView(cx: ControlContext, runId: string) {
  const { run, steps } = await getRun(cx.db, runId);
  const env = await findEnv(cx.db, run.envId);
  const artifacts = run.status === "planned" ? [] : await artifactStore(cx.env).list(run.id);
  const view = formatRun(run, steps, env.env, artifacts);
  const { approvals } = run;
  if (approvals && run.status === "awaiting-approval") {
    const refusal = approvalRefusal({
      production: env.name === "production" || approvals.required,
      requestedBy: run.requestedBy,
      approver: cx.actor,
    });
    if (!refusal)
      view.approvals = {
        ...view.approvals!,
        code: await approvalCode(
          cx.env.SECRETS_MASTER_KEY,
          run.id,
          approvals.planDigest,
          cx.actor.id,
          approvals.expiresAt,
        ),
      };
  }
  return view;
}

/** The approval code `approver` would use for a run (null when they may not approve it). */
export async function codeFor(cx: ControlContext, run: RunRow, envName: string): Promise<string | null> {
  const { approvals } = run;
  if (!approvals || run.status !== "awaiting-approval") return null;
  if (
    approvalRefusal({
      production: envName === "production" || approvals.required,
      requestedBy: run.requestedBy,
      approver: cx.actor,
    })
  )
    return null;
  return approvalCode(cx.env.SECRETS_MASTER_KEY, run.id, approvals.planDigest, cx.actor.id, approvals.expiresAt);
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
