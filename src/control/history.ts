/**
 * Run history across environments (API.md "Plans and runs": GET /api/runs) and the expiry of plans nobody
 * applied. History rows carry what an operator scans for: who, when, how long, which release and commits.
 */
import { z } from "zod";
import { allEnvIds, findEnv } from "../db/environments";
import { runCreatedAt, runHistory } from "../db/history";
import type { HistoryRow } from "../db/history";
import { AppError, errorText } from "../domain/errors";
import { RunStatus, RunType } from "../domain/run";
import { requireRole } from "../security/roles";
import type { ControlContext } from "./context";
import type { Services } from "./services";

export const HistoryQuery = z.object({
  env: z.string().max(200).optional(),
  status: RunStatus.optional(),
  type: RunType.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** A run id: only runs older than it (the previous page's `next`). */
  before: z
    .string()
    .regex(/^run_[a-z0-9]{6,40}$/)
    .optional(),
});

const Refs = z.record(z.string(), z.object({ sha: z.string(), message: z.string() }).loose());

/** One commit a run deploys. */
export interface CommitView {
  service: string;
  sha: string;
  message: string;
}

/** The commits a plan pinned, by service (none for runs that deploy nothing). */
export function commitsOf(refsJson: string | null): CommitView[] {
  if (!refsJson) return [];
  const parsed = Refs.safeParse(JSON.parse(refsJson));
  if (!parsed.success) return [];
  return Object.entries(parsed.data).map(([service, r]) => ({ service, sha: r.sha, message: r.message }));
}

function historyView(row: HistoryRow) {
  const start = row.startedAt ?? null;
  const durationMs = start && row.endedAt ? Math.max(0, Date.parse(row.endedAt) - Date.parse(start)) : undefined;
  const commits = commitsOf(row.refs);
  return {
    id: row.id,
    planId: row.planId,
    type: row.type,
    env: row.env,
    status: row.status,
    requestedBy: row.requestedBy,
    requestedByName: row.requestedByName ?? row.requestedBy,
    createdAt: row.createdAt,
    ...(row.startedAt ? { startedAt: row.startedAt } : {}),
    ...(row.endedAt ? { endedAt: row.endedAt } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(row.release ? { release: row.release } : {}),
    ...(row.toRelease ? { toRelease: row.toRelease } : {}),
    ...(commits.length ? { commits } : {}),
    ...(row.error ? { error: row.error } : {}),
  };
}

/** History, newest first, one page; `next` names the run the following page starts before. */
export async function listRunHistory(cx: ControlContext, query: z.infer<typeof HistoryQuery>) {
  requireRole(cx.actor.role, "read");
  const envId = query.env ? (await findEnv(cx.db, query.env)).id : undefined;
  let before: { createdAt: string; id: string } | undefined;
  if (query.before) {
    const createdAt = await runCreatedAt(cx.db, query.before);
    if (!createdAt) throw new AppError("not_found", `run ${query.before} not found`);
    before = { createdAt, id: query.before };
  }
  const rows = await runHistory(cx.db, {
    envId,
    status: query.status,
    type: query.type,
    before,
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  return {
    runs: page.map(historyView),
    ...(rows.length > query.limit ? { next: page[page.length - 1].id } : {}),
  };
}

/** The cron's sweep: every environment's object cancels its plans older than the plan TTL. */
export async function expireAllPlans(services: Services): Promise<string[]> {
  const cutoff = new Date(services.now() - services.planTtlMs).toISOString();
  const ids = await allEnvIds(services.db);
  const results = await Promise.allSettled(ids.map((id) => services.environment(id).expirePlans(id, cutoff)));
  return results.flatMap((r, i) => {
    if (r.status === "fulfilled") return r.value;
    console.error("plan expiry failed", ids[i], errorText(r.reason));
    return [];
  });
}
