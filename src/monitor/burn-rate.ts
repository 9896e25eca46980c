/**
 * Multiwindow, multi-burn-rate SLO alerting (Google SRE Workbook, ch. 5 "Alerting on SLOs", strategy 6).
 * Pure: callers hand in bucketed request/error counts and a clock; nothing here reads storage or time.
 */

/** One bucket of traffic, e.g. a minute; `at` is the bucket start in epoch ms. */
export interface ErrorSample {
  at: number;
  requests: number;
  errors: number;
}

/** A rule fires when both windows burn budget at least `burnRate` times faster than the SLO allows. */
export interface BurnRule {
  name: string;
  severity: "page" | "ticket";
  longWindowMs: number;
  shortWindowMs: number;
  burnRate: number;
}

/** The verdict of one rule at one instant, with the numbers that led to it (for incident bundles). */
export interface BurnEvaluation {
  rule: string;
  severity: "page" | "ticket";
  firing: boolean;
  longBurn: number;
  shortBurn: number;
  longRequests: number;
  shortRequests: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The Workbook sizes every threshold against a 30-day SLO period. */
export const SLO_PERIOD_MS = 30 * DAY;

// A burn that spends exactly the Workbook's budget share (e.g. 2% in 1 h) must alert, but 0.0144 / 0.001
// is 14.399999999999999 in binary floating point; this slack keeps "exactly at threshold" firing.
const THRESHOLD_SLACK = 1e-9;

/**
 * The Workbook's recommended table: each short window is 1/12 of its long window so the alert resets
 * soon after the burn stops; burn rates are "2% / 5% / 10% of a 30-day budget" over 1 h / 6 h / 3 d.
 */
export const SRE_WORKBOOK_RULES: BurnRule[] = [
  { name: "fast-burn-1h", severity: "page", longWindowMs: HOUR, shortWindowMs: 5 * MINUTE, burnRate: 14.4 },
  { name: "fast-burn-6h", severity: "page", longWindowMs: 6 * HOUR, shortWindowMs: 30 * MINUTE, burnRate: 6 },
  { name: "slow-burn-3d", severity: "ticket", longWindowMs: 3 * DAY, shortWindowMs: 6 * HOUR, burnRate: 1 },
];

function assertSloTarget(sloTarget: number): void {
  // A target of 1 leaves no budget, so every burn would divide by zero; reject it rather than page forever.
  if (!(sloTarget > 0 && sloTarget < 1)) throw new RangeError(`SLO target must be in (0, 1), got ${sloTarget}`);
}

/**
 * Error ratio over buckets starting in [from, to), divided by the allowed ratio (1 − target).
 * No requests means nothing was burned: burn 0, not NaN.
 */
export function burnRate(
  samples: ErrorSample[],
  from: number,
  to: number,
  sloTarget: number,
): { burn: number; requests: number; errors: number } {
  assertSloTarget(sloTarget);
  let requests = 0;
  let errors = 0;
  for (const s of samples) {
    if (s.at < from || s.at >= to) continue;
    requests += s.requests;
    errors += s.errors;
  }
  const burn = requests > 0 ? errors / requests / (1 - sloTarget) : 0;
  return { burn, requests, errors };
}

/**
 * Evaluates every rule at `now`. A rule fires only if its long AND short windows both burn at least its
 * rate and each saw ≥ `minRequests`: the long window proves the budget spend is significant, the short
 * window proves it is still happening, so a recovered spike stops paging (Workbook, "reset time").
 */
export function evaluateBurnRules(
  samples: ErrorSample[],
  now: number,
  sloTarget: number,
  rules: BurnRule[] = SRE_WORKBOOK_RULES,
  minRequests = 1,
): BurnEvaluation[] {
  return rules.map((rule) => {
    const long = burnRate(samples, now - rule.longWindowMs, now, sloTarget);
    const short = burnRate(samples, now - rule.shortWindowMs, now, sloTarget);
    const threshold = rule.burnRate * (1 - THRESHOLD_SLACK);
    const firing =
      long.requests >= minRequests &&
      short.requests >= minRequests &&
      long.burn >= threshold &&
      short.burn >= threshold;
    return {
      rule: rule.name,
      severity: rule.severity,
      firing,
      longBurn: long.burn,
      shortBurn: short.burn,
      longRequests: long.requests,
      shortRequests: short.requests,
    };
  });
}

/** The most severe level among firing rules: any firing page wins over tickets. */
export function alertLevel(evals: BurnEvaluation[]): "page" | "ticket" | "none" {
  if (evals.some((e) => e.firing && e.severity === "page")) return "page";
  if (evals.some((e) => e.firing && e.severity === "ticket")) return "ticket";
  return "none";
}

/**
 * Fraction of the period's error budget spent in [from, to): burn × window / period, which is the
 * Workbook's own arithmetic (14.4 × 1 h / 720 h = 2%); it assumes the window's traffic rate holds
 * across the period, as the Workbook's thresholds do.
 */
export function budgetConsumed(
  samples: ErrorSample[],
  from: number,
  to: number,
  sloTarget: number,
  periodMs: number = SLO_PERIOD_MS,
): number {
  if (to <= from) return 0;
  return (burnRate(samples, from, to, sloTarget).burn * (to - from)) / periodMs;
}
