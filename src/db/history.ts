/** Run history across environments (GET /api/runs): one query joining runs, plans, releases and people. */
import { sql } from "drizzle-orm";
import type { RunStatus, RunType } from "../domain/run";
import type { Database } from "./client";

/** What the history may be narrowed to. */
export interface HistoryFilter {
  envId?: string;
  status?: RunStatus;
  type?: RunType;
  /** Only runs created before this run (the previous page's `next`). */
  before?: { createdAt: string; id: string };
  limit: number;
}

/** One row of history as stored; the control layer shapes it. */
export interface HistoryRow {
  id: string;
  planId: string;
  type: RunType;
  status: RunStatus;
  envId: string;
  env: string;
  requestedBy: string | null;
  requestedByName: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  error: string | null;
  release: string | null;
  /** JSON of the plan's pinned refs ({service: {sha, message, …}}), or null. */
  refs: string | null;
  /** JSON of the plan's rollback target, when it is a rollback. */
  toRelease: string | null;
}

/** Runs newest first (at most `limit`). */
export async function runHistory(db: Database, f: HistoryFilter): Promise<HistoryRow[]> {
  const where = [
    sql`1 = 1`,
    f.envId ? sql`r.env_id = ${f.envId}` : undefined,
    f.status ? sql`r.status = ${f.status}` : undefined,
    f.type ? sql`r.type = ${f.type}` : undefined,
    f.before
      ? sql`(r.created_at < ${f.before.createdAt} OR (r.created_at = ${f.before.createdAt} AND r.id < ${f.before.id}))`
      : undefined,
  ].filter((c) => c !== undefined);
  return db.all<HistoryRow>(sql`
    SELECT r.id, r.plan_id AS planId, r.type, r.status, r.env_id AS envId, pr.slug || ':' || e.name AS env,
      COALESCE(r.requested_by, pl.created_by) AS requestedBy, u.name AS requestedByName,
      r.created_at AS createdAt, r.started_at AS startedAt, r.ended_at AS endedAt, r.error,
      rel.version AS release,
      (SELECT json_extract(s.value, '$.params.refs') FROM json_each(pl.body, '$.steps') s
        WHERE json_extract(s.value, '$.kind') = 'resolve-ref' LIMIT 1) AS refs,
      json_extract(pl.body, '$.params.toRelease') AS toRelease
    FROM runs r
    JOIN plans pl ON pl.id = r.plan_id
    JOIN environments e ON e.id = r.env_id
    JOIN projects pr ON pr.id = e.project_id
    LEFT JOIN users u ON u.id = COALESCE(r.requested_by, pl.created_by)
    LEFT JOIN releases rel ON rel.run_id = r.id AND rel.env_id = r.env_id
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY r.created_at DESC, r.id DESC
    LIMIT ${f.limit}`);
}

/** When a run was created (the `before` cursor names a run), or null. */
export async function runCreatedAt(db: Database, runId: string): Promise<string | null> {
  const rows = await db.all<{ createdAt: string }>(sql`SELECT created_at AS createdAt FROM runs WHERE id = ${runId}`);
  return rows[0]?.createdAt ?? null;
}
