/**
 * Railway's request budget (docs.railway.com "Public API", Rate limits): a fixed hourly window per token,
 * sized by the plan (100 Free, 1,000 Hobby, 10,000 Pro). Every answer carries X-RateLimit-Limit,
 * X-RateLimit-Remaining and X-RateLimit-Reset; once the window is spent Railway answers HTTP 429 with
 * Retry-After (seconds) until it ends, and only then.
 *
 * The hour is sandbox time: it lasts 3,600 s × the world's time scale of wall time (18 minutes under
 * `npm start`'s 0.3), and Retry-After counts sandbox seconds, which the adapters' scaled sleep turns back
 * into exactly the wall time left. At time scale 0 (the tests) waits are instant but a budget that refilled
 * instantly would hold nothing, so there the hour is a wall-clock hour; `POST /sandbox/budgets
 * {advanceSeconds}` moves every window forward to simulate time passing. Requests per second (10 Hobby,
 * 50 Pro) are not modelled: at time scale 0 a simulated second never ends.
 */
import { z } from "zod";
import { RAILWAY_REQUESTS_PER_HOUR, accountSettings } from "../account";
import { iso, type World } from "../world/store";

export const HOUR_MS = 3_600_000;

/** `POST /sandbox/budgets`: how much sandbox time passes for every window (at most a year). */
export const advanceBudgetsSchema = z.object({ advanceSeconds: z.number().int().positive().max(31_536_000) }).strict();

type WindowRow = {
  fingerprint: string;
  kind: string;
  started_at: number;
  advanced_ms: number;
  used: number;
  refused: number;
};

/** What one request may do, and the headers Railway sends with the answer. */
export interface BudgetDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

/** One token's window as `GET /sandbox/state` shows it (`budgets.railway`). */
export interface BudgetView {
  /** The token's fingerprint (the sandbox never keeps a token). */
  token: string;
  kind: string;
  limit: number;
  used: number;
  remaining: number;
  /** Requests answered 429 in this window. */
  refused: number;
  windowStartedAt: string;
  resetsAt: string;
}

// Wall milliseconds per sandbox millisecond; see the module comment for time scale 0.
function wallPerSandboxMs(world: World): number {
  return world.timeScale > 0 ? world.timeScale : 1;
}

function elapsedSandboxMs(world: World, row: WindowRow): number {
  return (world.now() - row.started_at) / wallPerSandboxMs(world) + row.advanced_ms;
}

function windowOf(world: World, fingerprint: string, kind: string): WindowRow {
  const row = world.first<WindowRow>("SELECT * FROM rate_windows WHERE fingerprint = ?", fingerprint);
  if (row && elapsedSandboxMs(world, row) < HOUR_MS) return row;
  const fresh: WindowRow = { fingerprint, kind, started_at: world.now(), advanced_ms: 0, used: 0, refused: 0 };
  world.run(
    `INSERT INTO rate_windows VALUES (?, ?, ?, 0, 0, 0)
     ON CONFLICT(fingerprint) DO UPDATE SET started_at = excluded.started_at, advanced_ms = 0, used = 0, refused = 0`,
    fingerprint,
    kind,
    fresh.started_at,
  );
  return fresh;
}

/** Sandbox milliseconds left in the window, and the wall-clock instant it ends. */
function remainingTime(world: World, row: WindowRow): { sandboxMs: number; resetAt: number } {
  const sandboxMs = Math.max(0, HOUR_MS - elapsedSandboxMs(world, row));
  return { sandboxMs, resetAt: world.now() + sandboxMs * wallPerSandboxMs(world) };
}

/** Counts one request of a token against its plan's window; refused once the window is spent. */
export function spendRailwayBudget(world: World, fingerprint: string, kind: string): BudgetDecision {
  const limit = RAILWAY_REQUESTS_PER_HOUR[accountSettings(world).railwayPlan];
  const row = windowOf(world, fingerprint, kind);
  const allowed = row.used < limit;
  world.run(
    `UPDATE rate_windows SET used = used + ?, refused = refused + ? WHERE fingerprint = ?`,
    allowed ? 1 : 0,
    allowed ? 0 : 1,
    fingerprint,
  );
  const used = row.used + (allowed ? 1 : 0);
  const { sandboxMs, resetAt } = remainingTime(world, row);
  const headers: Record<string, string> = {
    "x-ratelimit-limit": String(limit),
    "x-ratelimit-remaining": String(Math.max(0, limit - used)),
    "x-ratelimit-reset": String(Math.ceil(resetAt / 1000)),
  };
  if (!allowed) headers["retry-after"] = String(Math.max(1, Math.ceil(sandboxMs / 1000)));
  return { allowed, headers };
}

/** Moves every window forward by `seconds` of sandbox time (an hour ends at once with 3,600). */
export function advanceBudgets(world: World, seconds: number): void {
  world.run("UPDATE rate_windows SET advanced_ms = advanced_ms + ?", seconds * 1000);
}

/**
 * Folds the time each window has run so far into its advance, measured at the current scale. Called just
 * before the time scale changes, so a window keeps the sandbox time it has run rather than jumping.
 */
export function rebaseBudgets(world: World): void {
  for (const row of world.rows<WindowRow>("SELECT * FROM rate_windows"))
    world.run(
      "UPDATE rate_windows SET started_at = ?, advanced_ms = ? WHERE fingerprint = ?",
      world.now(),
      Math.round(elapsedSandboxMs(world, row)),
      row.fingerprint,
    );
}

/** Every token's current window; a window that has ended shows as fresh. */
export function budgetViews(world: World): BudgetView[] {
  const limit = RAILWAY_REQUESTS_PER_HOUR[accountSettings(world).railwayPlan];
  return world.rows<WindowRow>("SELECT * FROM rate_windows ORDER BY started_at, fingerprint").map((row) => {
    const ended = elapsedSandboxMs(world, row) >= HOUR_MS;
    const used = ended ? 0 : row.used;
    return {
      token: row.fingerprint,
      kind: row.kind,
      limit,
      used,
      remaining: Math.max(0, limit - used),
      refused: ended ? 0 : row.refused,
      windowStartedAt: iso(ended ? world.now() : row.started_at),
      resetsAt: iso(ended ? world.now() + HOUR_MS * wallPerSandboxMs(world) : remainingTime(world, row).resetAt),
    };
  });
}
