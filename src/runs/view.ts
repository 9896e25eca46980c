/**
 * Runs and plans as people see them: the API, the live feed and chat show the same shapes, built here
 * once. A view never carries step params, step state or run outputs (they may hold provider ids and
 * commit messages nobody asked to see), only statuses, notes, approvals and backfill progress.
 */
import { z } from "zod";
import { type Approvals, type Plan, RunStatus, RunType, StepStatus } from "../domain/run";
import { StepKind } from "../domain/steps";
import { BackfillProgress } from "./outputs";

/** A step as people see it. */
export const StepView = z.object({
  id: z.string(),
  kind: StepKind,
  summary: z.string(),
  status: StepStatus,
  attempts: z.number(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  note: z.string().optional(),
  error: z.string().optional(),
});
export type StepView = z.infer<typeof StepView>;

/** Who approved, until when (the plan digest stays inside: approval codes are derived from it). */
export const ApprovalsView = z.object({
  required: z.boolean(),
  approvedBy: z.array(z.string()),
  rejectedBy: z.string().optional(),
  expiresAt: z.string(),
});

/** A run as people see it. */
export const RunView = z.object({
  id: z.string(),
  /** The plan this run applies (its steps, diff, risk and commits: GET /api/plans/:id). */
  planId: z.string().optional(),
  type: RunType,
  env: z.string(),
  status: RunStatus,
  requestedBy: z.string().nullable(),
  error: z.string().optional(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  steps: z.array(StepView),
  approvals: ApprovalsView.optional(),
  progress: BackfillProgress.optional(),
});
export type RunView = z.infer<typeof RunView>;

/** What a run view is built from, whichever store holds the run (the DO's records or D1's projection). */
export interface RunFacts {
  id: string;
  planId?: string;
  type: RunType;
  env: string;
  status: RunStatus;
  requestedBy: string | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  approvals: Approvals | null;
  progress: BackfillProgress | null | undefined;
}

/** What a step view is built from. */
export interface StepFacts {
  id: string;
  kind: StepKind;
  summary: string;
  status: StepStatus;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
  note: string | null | undefined;
  error: string | null;
}

/** The one builder of a run's view. */
export function runView(run: RunFacts, steps: StepFacts[]): RunView {
  return {
    id: run.id,
    ...(run.planId ? { planId: run.planId } : {}),
    type: run.type,
    env: run.env,
    status: run.status,
    requestedBy: run.requestedBy,
    ...(run.error ? { error: run.error } : {}),
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    steps: steps.map(stepView),
    ...(run.approvals ? { approvals: approvalsView(run.approvals) } : {}),
    ...(run.progress ? { progress: run.progress } : {}),
  };
}

function stepView(s: StepFacts): StepView {
  return {
    id: s.id,
    kind: s.kind,
    summary: s.summary,
    status: s.status,
    attempts: s.attempts,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    ...(s.note ? { note: s.note } : {}),
    ...(s.error ? { error: s.error } : {}),
  };
}

function approvalsView(a: Approvals): z.infer<typeof ApprovalsView> {
  return {
    required: a.required,
    approvedBy: a.approvedBy,
    ...(a.rejectedBy ? { rejectedBy: a.rejectedBy } : {}),
    expiresAt: a.expiresAt,
  };
}

/** The commits a plan pins, by service (what an approver checks before saying yes). */
export function planCommits(plan: Plan): { service: string; sha: string; message: string }[] {
  const refs = plan.steps.find((s) => s.kind === "resolve-ref")?.params.refs ?? {};
  return Object.entries(refs).map(([service, r]) => ({ service, sha: r.sha, message: r.message }));
}

/** A plan as people see it: its steps by summary (their params stay inside), diff, risk and pinned commits. */
export function planView(plan: Plan) {
  const commits = planCommits(plan);
  return {
    id: plan.id,
    runId: plan.runId,
    type: plan.type,
    env: plan.env,
    params: plan.params,
    steps: plan.steps.map((s) => ({ id: s.id, kind: s.kind, summary: s.summary })),
    diff: plan.diff,
    risk: plan.risk,
    requiresApproval: plan.requiresApproval,
    autoApply: plan.autoApply,
    specRevision: plan.specRevision,
    createdAt: plan.createdAt,
    ...(plan.followUpPlanId ? { followUpPlanId: plan.followUpPlanId } : {}),
    ...(commits.length ? { commits } : {}),
  };
}
