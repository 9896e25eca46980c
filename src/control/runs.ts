import { AppError, unwrap } from "../domain/errors";
import { getRun } from "../db/runs";
import type { RunRow, RunStepRow } from "../db/runs";
import { findEnv } from "../db/environments";
import { requireRole, approvalAction, can } from "../security/roles";
import type { Action } from "../security/roles";
import { artifactStore } from "../wiring";
import type { ControlContext } from "./context";
import { environmentObject } from "./context";

export type RunAction = "approve" | "reject" | "cancel" | "stop" | "resume";

/** Approve / reject / cancel / stop / resume a run through its environment's Durable Object. */
export async function actOnRun(cx: ControlContext, runId: string, action: RunAction, reason?: string) {
  const { run } = await getRun(cx.db, runId);
  const env = await findEnv(cx.db, run.envId);
  const needed: Action = action === "approve" || action === "reject" ? approvalAction(env.name === "production") : action;
  requireRole(cx.actor.role, needed);
  if (run.status === "planned") throw new AppError("conflict", `run ${runId} has not been applied yet`);
  const stub = environmentObject(cx.env, run.envId);
  const result = action === "reject" ? await stub.reject(runId, cx.actor, reason) : await stub[action](runId, cx.actor);
  unwrap(result);
  return runView(cx, runId);
}

/** The API shape of a run (API.md "Plans and runs"). */
export async function runView(cx: ControlContext, runId: string) {
  const { run, steps } = await getRun(cx.db, runId);
  const env = await findEnv(cx.db, run.envId);
  const artifacts = run.status === "planned" ? [] : await artifactStore(cx.env).list(run.id);
  return formatRun(run, steps, env.env, artifacts, can(cx.actor.role, "approve:non-production"));
}

/** Formats a projected run; the approval code is shown only to people who can approve. */
export function formatRun(run: RunRow, steps: RunStepRow[], env: string, artifacts: string[], showCode: boolean) {
  const approvals = run.approvals as { required: boolean; code: string; approvedBy: string[]; expiresAt: string } | null;
  return {
    id: run.id, type: run.type, env, planId: run.planId, status: run.status, requestedBy: run.requestedBy,
    createdAt: run.createdAt, startedAt: run.startedAt, endedAt: run.endedAt, error: run.error ?? undefined,
    steps: steps.map((s) => ({ id: s.stepId, kind: s.kind, summary: s.summary, status: s.status, attempts: s.attempts, startedAt: s.startedAt, endedAt: s.endedAt, note: s.note ?? undefined, error: s.error ?? undefined })),
    approvals: approvals ? { ...approvals, code: showCode ? approvals.code : undefined } : undefined,
    artifacts,
  };
}
