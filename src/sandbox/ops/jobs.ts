/**
 * The simulated app's timezone jobs over one environment's users: one keyset page per call, a ledger of
 * one event per (run, user), and verification. Everything runs synchronously inside the SandboxDO, so a
 * batch is as atomic as the real app's transaction: no await between reading the page and recording it.
 */
import type { AppFault } from "../types";
import { iso, type World } from "../world/store";
import { OpsError, type JobName, type RunParams, type VerifyParams } from "./params";
import { deriveTimezone, isIanaZone, type ReasonCode } from "./rules";
import type { UserRow } from "./users";

type EventName = "updated" | "failed" | "skipped";
type Outcome = { id: number; event: EventName; reason: string | null; timezone: string | null };

/** The wire answer of `POST /ops/jobs/run`, field for field the real app's. */
export interface BatchResult {
  job: JobName;
  runId: string | null;
  dryRun: boolean;
  processed: number;
  nextCursor: string | null;
  done: boolean;
  failures: { id: number; reason: string }[];
  changed: { id: number; timezone: string }[];
  counts: { updated: number; failed: number; skipped: number };
}

/** The wire answer of `POST /ops/jobs/verify`. */
export interface VerifyResult {
  job: JobName;
  total: number;
  filled: number;
  coverage: number;
  minCoverage: number;
  invalidCount: number;
  invalid: { id: number; timezone: string }[];
  missing: { id: number; reason: string }[];
  /** Every unfilled row by why: the rules' reason code, or `not_backfilled` when they do decide a zone. */
  missingByReason: Record<string, number>;
  sampled: number;
  unverifiable: number;
  sampleMismatches: { id: number; stored: string; expected: string }[];
  ok: boolean;
}

/** `GET /ops/jobs/runs/:id` (counters recomputed from the events, like the real app's, so they never drift). */
export interface RunView {
  id: string;
  job: string;
  status: string;
  cursor: string | null;
  processed: number;
  updated: number;
  failed: number;
  skipped: number;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

const MAX_LISTED = 100;

/** A deliberately broken job (an app fault's `jobBug`), so a test can prove verification catches it. */
export type JobBug = NonNullable<AppFault["jobBug"]>;

function planUser(user: UserRow, params: RunParams, bug: JobBug | null): Outcome {
  const base = { id: user.id, reason: null, timezone: null };
  if (user.timezone) return { ...base, event: "skipped", reason: "already_set" };
  const derived = deriveTimezone(user);
  if (params.job === "backfillTimezone") {
    if (!derived.ok) return { ...base, event: "failed", reason: derived.reason };
    // A job that ignores the address writes a valid zone that is simply wrong: only the re-derived sample sees it.
    return { ...base, event: "updated", timezone: bug === "wrong-zone" ? "Etc/UTC" : derived.timezone };
  }
  // fallbackTimezone never papers over a row the backfill could still derive; its events keep the reason.
  if (derived.ok) return { ...base, event: "failed", reason: "not_backfilled" };
  return { ...base, event: "updated", timezone: params.zone, reason: derived.reason };
}

function recordRun(
  world: World,
  envId: string,
  params: RunParams,
  cursor: string | null,
  done: boolean,
  outcomes: Outcome[],
  bug: JobBug | null,
): void {
  const now = world.now();
  world.run(
    `INSERT INTO ops_job_runs (environment_id, id, job, status, cursor, created_at, updated_at) VALUES (?, ?, ?, 'running', NULL, ?, ?)
     ON CONFLICT (environment_id, id) DO NOTHING`,
    envId,
    params.runId,
    params.job,
    now,
    now,
  );
  const run = world.first<{ job: string }>(
    "SELECT job FROM ops_job_runs WHERE environment_id = ? AND id = ?",
    envId,
    params.runId,
  );
  if (run && run.job !== params.job)
    throw new OpsError(409, "run_job_mismatch", `run ${params.runId} belongs to job ${run.job}`);
  for (const o of outcomes) {
    // A lost write: the job records the row as updated, but every fourth write never reaches the table.
    const lost = bug === "lost-writes" && o.id % 4 === 0;
    if (o.event === "updated" && !lost)
      world.run(
        "UPDATE app_users SET timezone = ? WHERE environment_id = ? AND id = ? AND timezone IS NULL",
        o.timezone,
        envId,
        o.id,
      );
    // The first outcome per (run, user) wins: re-sending a batch adds no events.
    world.run(
      `INSERT INTO ops_job_events (environment_id, run_id, job, user_id, event, reason, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (environment_id, run_id, user_id) DO NOTHING`,
      envId,
      params.runId,
      params.job,
      o.id,
      o.event,
      o.reason,
      o.timezone,
      now,
    );
  }
  world.run(
    `UPDATE ops_job_runs SET cursor = MAX(COALESCE(cursor, 0), ?), updated_at = ?,
       status = CASE WHEN ? OR status = 'done' THEN 'done' ELSE 'running' END,
       finished_at = CASE WHEN ? THEN COALESCE(finished_at, ?) ELSE finished_at END
     WHERE environment_id = ? AND id = ?`,
    cursor === null ? 0 : Number(cursor),
    now,
    done ? 1 : 0,
    done ? 1 : 0,
    now,
    envId,
    params.runId,
  );
}

/** Runs one batch of a timezone job from the cursor; a dry run reads only. `bug` breaks the job on purpose. */
export function runBatch(world: World, envId: string, params: RunParams, bug: JobBug | null = null): BatchResult {
  // One extra row tells whether this is the last page without a second query.
  const rows = world.rows<UserRow>(
    "SELECT * FROM app_users WHERE environment_id = ? AND (? IS NULL OR id > ?) ORDER BY id LIMIT ?",
    envId,
    params.cursor,
    params.cursor === null ? null : Number(params.cursor),
    params.batchSize + 1,
  );
  const users = rows.slice(0, params.batchSize);
  const done = rows.length <= params.batchSize;
  const last = users[users.length - 1];
  const nextCursor = last ? String(last.id) : params.cursor;
  const outcomes = users.map((u) => planUser(u, params, bug));
  if (!params.dryRun) recordRun(world, envId, params, nextCursor, done, outcomes, bug);
  const count = (event: EventName) => outcomes.filter((o) => o.event === event).length;
  return {
    job: params.job,
    runId: params.dryRun ? null : params.runId,
    dryRun: params.dryRun,
    processed: users.length,
    nextCursor,
    done,
    failures: outcomes.flatMap((o) => (o.event === "failed" ? [{ id: o.id, reason: o.reason ?? "" }] : [])),
    // Dry run: what would change. Otherwise what did change in this call (empty on a re-send).
    changed: outcomes.flatMap((o) => (o.event === "updated" && o.timezone ? [{ id: o.id, timezone: o.timezone }] : [])),
    counts: { updated: count("updated"), failed: count("failed"), skipped: count("skipped") },
  };
}

/** Coverage, the IANA invariant over every filled value, and a deterministic sample re-derived from the address. */
export function verifyTimezones(world: World, envId: string, params: VerifyParams): VerifyResult {
  const counts = world.first<{ total: number; filled: number }>(
    "SELECT COUNT(*) AS total, COUNT(timezone) AS filled FROM app_users WHERE environment_id = ?",
    envId,
  );
  const total = counts?.total ?? 0;
  const filled = counts?.filled ?? 0;
  // Floored, so 100 means every row and never "99.996 rounded up".
  const coverage = total === 0 ? 100 : Math.floor((filled / total) * 10000) / 100;

  const zones = world.rows<{ timezone: string; n: number }>(
    "SELECT timezone, COUNT(*) AS n FROM app_users WHERE environment_id = ? AND timezone IS NOT NULL GROUP BY timezone",
    envId,
  );
  const bad = new Set(zones.filter((z) => !isIanaZone(z.timezone)).map((z) => z.timezone));
  const invalidCount = zones.filter((z) => bad.has(z.timezone)).reduce((sum, z) => sum + z.n, 0);
  const invalid =
    bad.size === 0
      ? []
      : world
          .rows<{ id: number; timezone: string }>(
            "SELECT id, timezone FROM app_users WHERE environment_id = ? AND timezone IS NOT NULL ORDER BY id",
            envId,
          )
          .filter((u) => bad.has(u.timezone))
          .slice(0, MAX_LISTED)
          .map((u) => ({ id: u.id, timezone: u.timezone }));

  // Every unfilled row is classified, not just the listed ones: the control plane's verdict rests on the counts.
  const unfilled = world
    .rows<UserRow>("SELECT * FROM app_users WHERE environment_id = ? AND timezone IS NULL ORDER BY id", envId)
    .map((u) => {
      const derived = deriveTimezone(u);
      const reason: ReasonCode | "not_backfilled" = derived.ok ? "not_backfilled" : derived.reason;
      return { id: u.id, reason };
    });
  const missing = unfilled.slice(0, Math.min(params.sample, MAX_LISTED));
  const missingByReason: Record<string, number> = {};
  for (const { reason } of unfilled) missingByReason[reason] = (missingByReason[reason] ?? 0) + 1;

  // A multiplicative hash of the id spreads the sample over the table yet picks the same rows every time.
  const sampled = world.rows<UserRow>(
    "SELECT * FROM app_users WHERE environment_id = ? AND timezone IS NOT NULL ORDER BY (id * 2654435761) % 4294967296 LIMIT ?",
    envId,
    params.sample,
  );
  const sampleMismatches: VerifyResult["sampleMismatches"] = [];
  let unverifiable = 0;
  for (const user of sampled) {
    const derived = deriveTimezone(user);
    // No rule decides this address (a fallback value): nothing to compare against.
    if (!derived.ok) unverifiable++;
    else if (derived.timezone !== user.timezone)
      sampleMismatches.push({ id: user.id, stored: user.timezone ?? "", expected: derived.timezone });
  }
  return {
    job: params.job,
    total,
    filled,
    coverage,
    minCoverage: params.minCoverage,
    invalidCount,
    invalid,
    missing,
    missingByReason,
    sampled: sampled.length,
    unverifiable,
    sampleMismatches,
    ok: coverage >= params.minCoverage && invalidCount === 0 && sampleMismatches.length === 0,
  };
}

/** One run with its counters, or null. */
export function getRun(world: World, envId: string, runId: string): RunView | null {
  const run = world.first<{
    id: string;
    job: string;
    status: string;
    cursor: number | null;
    created_at: number;
    updated_at: number;
    finished_at: number | null;
  }>("SELECT * FROM ops_job_runs WHERE environment_id = ? AND id = ?", envId, runId);
  if (!run) return null;
  const c = world.first<{ total: number; updated: number; failed: number; skipped: number }>(
    `SELECT COUNT(*) AS total, COALESCE(SUM(event = 'updated'), 0) AS updated, COALESCE(SUM(event = 'failed'), 0) AS failed,
            COALESCE(SUM(event = 'skipped'), 0) AS skipped FROM ops_job_events WHERE environment_id = ? AND run_id = ?`,
    envId,
    runId,
  );
  return {
    id: run.id,
    job: run.job,
    status: run.status,
    cursor: run.cursor === null ? null : String(run.cursor),
    processed: c?.total ?? 0,
    updated: c?.updated ?? 0,
    failed: c?.failed ?? 0,
    skipped: c?.skipped ?? 0,
    createdAt: iso(run.created_at),
    updatedAt: iso(run.updated_at),
    finishedAt: run.finished_at === null ? null : iso(run.finished_at),
  };
}
