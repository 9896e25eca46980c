/**
 * A Railway token's request budget, pure (issue 14, item 5). Railway counts each token's requests in a
 * fixed hourly window sized by the account's plan and answers 429 only once it is spent, so the budget
 * holds what Railway's window has left — resynced from the X-RateLimit-* headers of every answer, since
 * other clients (CI, a person's CLI) spend the same token — and lets each priority take only what lies
 * above its floor: rollbacks and canary judgement may spend the last request, runs leave them a reserve,
 * monitoring leaves runs one too. Monitoring also draws from a token bucket that refills at half the plan's
 * hourly rate, so it can never spend the hour in its first minutes and then be blind for the rest.
 */

/** Railway plans and their requests per token per hour (docs.railway.com, Public API rate limits). */
export const RAILWAY_PLAN_LIMITS = { free: 100, hobby: 1_000, pro: 10_000 } as const;
export type RailwayPlanName = keyof typeof RAILWAY_PLAN_LIMITS;

/** Who is asking, most important first. */
export type RequestPriority = "critical" | "run" | "monitor";

/** Monitoring's share of a window, refilled evenly over it. */
const MONITOR_SHARE = 0.5;

export interface BudgetState {
  plan: RailwayPlanName;
  /** Requests per window (the plan's, until Railway's X-RateLimit-Limit says otherwise). */
  limit: number;
  /** Requests left in the current window, as far as anyone here knows (never more than Railway said). */
  remaining: number;
  /** When the current window ends (epoch ms, wall clock). */
  resetAt: number;
  /** After a 429: nothing is sent before this (epoch ms). */
  blockedUntil: number;
  /** Requests granted this window, by priority. */
  spent: Record<RequestPriority, number>;
  /** Monitoring's token bucket, on the monitor's clock. */
  monitor: { level: number; at: number };
  /** Whether a Railway answer has told the real numbers yet. */
  synced: boolean;
}

/** A request's answer from the budget: go, or wait until `retryAt` (epoch ms) for the reason given. */
export type BudgetDecision = { granted: true } | { granted: false; retryAt: number; reason: string };

/** A fresh budget for a plan, its window assumed to start now (the first answer corrects it). */
export function newBudget(plan: RailwayPlanName, now: number, windowMs: number): BudgetState {
  const limit = RAILWAY_PLAN_LIMITS[plan];
  return {
    plan,
    limit,
    remaining: limit,
    resetAt: now + windowMs,
    blockedUntil: 0,
    spent: { critical: 0, run: 0, monitor: 0 },
    monitor: { level: monitorCapacity(limit), at: now },
    synced: false,
  };
}

/** Requests a priority must leave for those above it. */
export function floorFor(priority: RequestPriority, limit: number): number {
  if (priority === "critical") return 0;
  const forCritical = Math.max(2, Math.ceil(limit * 0.1));
  return priority === "run" ? forCritical : Math.max(forCritical + 2, Math.ceil(limit * 0.3));
}

/** Monitoring's burst: five minutes of its share, and never less than two checks. */
function monitorCapacity(limit: number): number {
  return Math.max(15, Math.ceil((limit * MONITOR_SHARE) / 12));
}

/** Starts a new window once the current one has ended. */
function roll(state: BudgetState, now: number, windowMs: number): void {
  if (now < state.resetAt) return;
  state.remaining = state.limit;
  state.resetAt = now + windowMs;
  state.spent = { critical: 0, run: 0, monitor: 0 };
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** One request at `priority`: granted (and counted) or refused with when to ask again. */
export function take(
  state: BudgetState,
  priority: RequestPriority,
  now: number,
  windowMs: number,
  count = 1,
): BudgetDecision {
  roll(state, now, windowMs);
  if (now < state.blockedUntil)
    return {
      granted: false,
      retryAt: state.blockedUntil,
      reason: `Railway answered 429 (its hourly budget is spent): nothing is sent before ${clock(state.blockedUntil)} UTC`,
    };
  const floor = floorFor(priority, state.limit);
  if (state.remaining - count < floor)
    return {
      granted: false,
      retryAt: state.resetAt,
      reason: `Railway's request budget has ${state.remaining} of ${state.limit} left until ${clock(state.resetAt)} UTC, ${floor ? `and ${floor} are kept for ${priority === "run" ? "rollbacks and canary judgement" : "runs and rollbacks"}` : "and none is left"}`,
    };
  state.remaining -= count;
  state.spent[priority] += count;
  return { granted: true };
}

/**
 * Whether a monitoring check of about `calls` Railway requests may run at `at` (the monitor's clock): its
 * bucket must hold them, and the window must keep the runs' reserve after them. Granted checks draw from
 * the bucket; their requests are then counted one by one as they are sent.
 */
export function admitCheck(
  state: BudgetState,
  calls: number,
  at: number,
  now: number,
  windowMs: number,
): BudgetDecision {
  roll(state, now, windowMs);
  const rate = (state.limit * MONITOR_SHARE) / windowMs;
  const capacity = monitorCapacity(state.limit);
  const level = Math.min(capacity, state.monitor.level + Math.max(0, at - state.monitor.at) * rate);
  state.monitor = { level, at: Math.max(at, state.monitor.at) };
  const floor = floorFor("monitor", state.limit);
  if (now < state.blockedUntil || state.remaining - calls < floor)
    return {
      granted: false,
      retryAt: Math.max(state.blockedUntil, state.resetAt),
      reason: `monitoring is throttled: Railway's request budget has ${state.remaining} of ${state.limit} left until ${clock(state.resetAt)} UTC, and ${floor} are kept for runs and rollbacks`,
    };
  if (level < calls)
    return {
      granted: false,
      retryAt: at + Math.ceil((calls - level) / rate),
      reason: `monitoring is throttled to half of Railway's ${state.limit} requests an hour (${state.plan} plan): a check every ${Math.max(1, Math.round(calls / rate / 60_000))} min or so`,
    };
  state.monitor.level = level - calls;
  return { granted: true };
}

/** What an answer's X-RateLimit-* headers say; a later reset means Railway started a new window. */
export function observe(state: BudgetState, seen: { limit?: number; remaining?: number; resetAt?: number }): void {
  const limitChanged = seen.limit !== undefined && seen.limit > 0 && seen.limit !== state.limit;
  if (seen.limit !== undefined && seen.limit > 0) state.limit = seen.limit;
  const newWindow = seen.resetAt !== undefined && seen.resetAt > state.resetAt + 1000;
  if (newWindow || limitChanged || !state.synced) {
    // Railway's numbers replace the assumption: a new window, a plan changed mid-window, or the first answer.
    if (seen.resetAt !== undefined) state.resetAt = seen.resetAt;
    state.remaining = seen.remaining ?? state.limit;
    if (newWindow) state.spent = { critical: 0, run: 0, monitor: 0 };
  } else if (seen.remaining !== undefined) {
    // Answers overtake each other: the lower count is the one that has seen more requests.
    state.remaining = Math.min(state.remaining, seen.remaining);
  }
  state.remaining = Math.min(state.remaining, state.limit);
  state.synced = true;
}

/** Railway answered 429: every caller waits until the window ends (or Retry-After has passed). */
export function rateLimited(state: BudgetState, until: number): void {
  state.remaining = 0;
  state.blockedUntil = Math.max(state.blockedUntil, until);
  // Railway says when its window ends better than our assumption did: a new one starts then.
  state.resetAt = state.blockedUntil;
}

/** A new plan: the limit follows it until Railway's headers say otherwise. */
export function configurePlan(state: BudgetState, plan: RailwayPlanName): void {
  const before = state.limit;
  state.plan = plan;
  if (!state.synced) {
    state.limit = RAILWAY_PLAN_LIMITS[plan];
    state.remaining = Math.max(0, state.remaining + state.limit - before);
  }
}

/** The budget as status shows it. */
export interface BudgetView {
  plan: RailwayPlanName;
  limit: number;
  remaining: number;
  resetsAt: string;
  blockedUntil: string | null;
  spent: Record<RequestPriority, number>;
  /** Railway's own numbers have been seen (else they are the plan's assumption). */
  synced: boolean;
}

export function viewOf(state: BudgetState, now: number, windowMs: number): BudgetView {
  roll(state, now, windowMs);
  return {
    plan: state.plan,
    limit: state.limit,
    remaining: state.remaining,
    resetsAt: new Date(state.resetAt).toISOString(),
    blockedUntil: now < state.blockedUntil ? new Date(state.blockedUntil).toISOString() : null,
    spent: { ...state.spent },
    synced: state.synced,
  };
}
