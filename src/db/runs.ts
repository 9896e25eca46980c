import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { AppError } from "../domain/errors";
import { Plan, type RunStatus, type RunType } from "../domain/run";
import type { Receipt } from "../providers/types";
import type { RunRecord, StepRecord } from "../runs/store";
import type { Database, Statement } from "./client";
import { plans, receipts, runSteps, runs } from "./schema";

/** Stores a new plan and its run in status `planned`, together. */
export async function insertPlan(db: Database, plan: Plan, digest: string): Promise<void> {
  const steps: (typeof runSteps.$inferInsert)[] = plan.steps.map((s, idx) => ({
    runId: plan.runId,
    stepId: s.id,
    idx,
    kind: s.kind,
    summary: s.summary,
    status: "pending",
    attempts: 0,
    receiptIds: [],
  }));
  await db.batch([
    db.insert(plans).values({
      id: plan.id,
      runId: plan.runId,
      envId: plan.envId,
      type: plan.type,
      body: plan,
      digest,
      createdBy: plan.createdBy,
      createdAt: plan.createdAt,
    }),
    db.insert(runs).values({
      id: plan.runId,
      envId: plan.envId,
      planId: plan.id,
      type: plan.type,
      status: "planned",
      requestedBy: null,
      createdAt: plan.createdAt,
      updatedAt: plan.createdAt,
    }),
    // One statement for all steps (D1 binds at most 100 parameters per statement: 8 per step, ≤ 12 steps here).
    ...chunks(steps, 12).map((part) => db.insert(runSteps).values(part)),
  ]);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A stored plan; 404 otherwise. */
export async function getPlan(db: Database, id: string): Promise<{ plan: Plan; digest: string }> {
  const row = (await db.select().from(plans).where(eq(plans.id, id)).limit(1))[0];
  if (!row) throw new AppError("not_found", `plan ${id} not found`);
  return { plan: Plan.parse(row.body), digest: row.digest };
}

export type RunRow = typeof runs.$inferSelect;
export type RunStepRow = typeof runSteps.$inferSelect;

/** A run and its steps from the D1 projection; 404 otherwise. */
export async function getRun(db: Database, id: string): Promise<{ run: RunRow; steps: RunStepRow[] }> {
  const [runRows, stepRows] = await db.batch([
    db.select().from(runs).where(eq(runs.id, id)).limit(1),
    db.select().from(runSteps).where(eq(runSteps.runId, id)).orderBy(asc(runSteps.idx)),
  ]);
  if (!runRows[0]) throw new AppError("not_found", `run ${id} not found`);
  return { run: runRows[0], steps: stepRows };
}

/** Runs of an environment, newest first. */
export async function listRuns(
  db: Database,
  envId: string,
  status: RunStatus | undefined,
  limit: number,
): Promise<RunRow[]> {
  return db
    .select()
    .from(runs)
    .where(status ? and(eq(runs.envId, envId), eq(runs.status, status)) : eq(runs.envId, envId))
    .orderBy(desc(runs.createdAt))
    .limit(limit);
}

/** The newest run of a type in an environment, or undefined. */
export async function latestRunId(db: Database, envId: string, type: RunType): Promise<string | undefined> {
  const rows = await db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.envId, envId), eq(runs.type, type)))
    .orderBy(desc(runs.createdAt))
    .limit(1);
  return rows[0]?.id;
}

/** Runs of an environment in one of these statuses (at most `limit`). */
export async function runsInStatus(
  db: Database,
  envId: string,
  statuses: RunStatus[],
  limit: number,
): Promise<Pick<RunRow, "id" | "type" | "status">[]> {
  return db
    .select({ id: runs.id, type: runs.type, status: runs.status })
    .from(runs)
    .where(and(eq(runs.envId, envId), inArray(runs.status, statuses)))
    .limit(limit);
}

/** Runs of every environment waiting for an approval, newest first (at most `limit`). */
export async function runsAwaitingApproval(db: Database, limit: number): Promise<RunRow[]> {
  return db.select().from(runs).where(eq(runs.status, "awaiting-approval")).orderBy(desc(runs.createdAt)).limit(limit);
}

/** Which staging backfill runs of a job a production backfill may rely on (never dry runs). */
export interface StagingBackfillQuery {
  project: string | null;
  job: string;
}

/** Whether `runId` is a staging backfill of the job that is not over without success (so it can be waited for). */
export async function isLiveStagingBackfill(db: Database, q: StagingBackfillQuery, runId: string): Promise<boolean> {
  const rows = await db.all<{
    n: number;
  }>(sql`SELECT COUNT(*) AS n FROM runs r JOIN plans p ON p.id = r.plan_id JOIN environments e ON e.id = r.env_id
      JOIN projects pr ON pr.id = e.project_id WHERE r.id = ${runId} AND pr.slug = ${q.project} AND e.name = 'staging' AND r.type = 'backfill'
      AND r.status NOT IN ('failed', 'cancelled', 'rejected', 'rolled-back')
      AND json_extract(p.body, '$.params.job') = ${q.job} AND COALESCE(json_extract(p.body, '$.params.dryRun'), 0) = 0`);
  return Boolean(rows[0]?.n);
}

/** Whether a staging backfill of the job has succeeded. */
export async function stagingBackfillSucceeded(db: Database, q: StagingBackfillQuery): Promise<boolean> {
  const rows = await db.all<{
    n: number;
  }>(sql`SELECT COUNT(*) AS n FROM runs r JOIN plans p ON p.id = r.plan_id JOIN environments e ON e.id = r.env_id
    JOIN projects pr ON pr.id = e.project_id WHERE pr.slug = ${q.project} AND e.name = 'staging' AND r.type = 'backfill' AND r.status = 'succeeded'
    AND json_extract(p.body, '$.params.job') = ${q.job} AND COALESCE(json_extract(p.body, '$.params.dryRun'), 0) = 0`);
  return Boolean(rows[0]?.n);
}

/** The statements that mirror one DO transition into D1 (run, steps, receipts); its audit events join them. */
export function projectionStatements(
  db: Database,
  run: RunRecord,
  steps: StepRecord[],
  stepReceipts: { stepId: string; receipt: Receipt }[],
): Statement[] {
  const now = new Date().toISOString();
  const runValues = {
    status: run.status,
    requestedBy: run.requestedBy,
    approvals: run.approvals,
    error: run.error,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    updatedAt: now,
    progress: run.outputs.progress ?? null,
  };
  return [
    db
      .insert(runs)
      .values({
        id: run.id,
        envId: run.plan.envId,
        planId: run.planId,
        type: run.type,
        createdAt: run.createdAt,
        ...runValues,
      })
      .onConflictDoUpdate({ target: runs.id, set: runValues }),
    ...steps.map((s) => {
      const note = typeof s.state.note === "string" ? s.state.note : null;
      const values = {
        status: s.status,
        attempts: s.attempts,
        startedAt: s.startedAt,
        endedAt: s.endedAt,
        error: s.error,
        note,
        receiptIds: s.receiptIds,
        summary: s.summary,
      };
      return db
        .insert(runSteps)
        .values({ runId: s.runId, stepId: s.id, idx: s.idx, kind: s.kind, ...values })
        .onConflictDoUpdate({ target: [runSteps.runId, runSteps.stepId], set: values });
    }),
    ...receiptStatements(db, run.id, stepReceipts),
  ];
}

/** Receipt rows of provider calls made for `ownerId` (a run, or an incident), each under its step. */
export function receiptStatements(
  db: Database,
  ownerId: string,
  stepReceipts: { stepId: string; receipt: Receipt }[],
): Statement[] {
  return stepReceipts.map(({ stepId, receipt: r }) =>
    db
      .insert(receipts)
      .values({
        id: r.id,
        runId: ownerId,
        stepId,
        provider: r.provider,
        operation: r.operation,
        status: r.status,
        requestHash: r.requestHash,
        at: r.at,
      })
      .onConflictDoNothing(),
  );
}

/** What a run listing may filter on; every filter is optional (API and chat "list recent runs"). */
export interface RunFilter {
  /** only these environments (e.g. one project's) */
  envIds?: string[];
  statuses?: RunStatus[];
  type?: RunType;
  /** created at or after this ISO instant */
  since?: string;
  limit: number;
}

/** Runs that were applied (never a plan nobody applied), newest first, filtered. */
export async function recentRuns(db: Database, filter: RunFilter): Promise<RunRow[]> {
  if (filter.envIds?.length === 0) return [];
  return db
    .select()
    .from(runs)
    .where(
      and(
        filter.envIds ? inArray(runs.envId, filter.envIds) : undefined,
        filter.statuses ? inArray(runs.status, filter.statuses) : sql`${runs.status} <> 'planned'`,
        filter.type ? eq(runs.type, filter.type) : undefined,
        filter.since ? sql`${runs.createdAt} >= ${filter.since}` : undefined,
      ),
    )
    .orderBy(desc(runs.createdAt))
    .limit(filter.limit);
}
