import { DEFAULT_MAX_UNDERIVABLE, DEFAULT_MIN_COVERAGE } from "../../plan/backfill";
import type { OpsVerification } from "../../providers/ops/api";
import type { BackfillVerdict } from "../outputs";

/** The reason code an app gives an unfilled row its rules could fill: the job missed it. */
const NOT_BACKFILLED = "not_backfilled";

const floor2 = (n: number) => Math.floor(n * 100) / 100;
const round1 = (n: number) => Math.round(n * 10) / 10;

/** Judges the app's verification report against the plan's targets. Pure. */
export function judgeBackfill(
  report: OpsVerification,
  targets: { minCoverage?: number; maxUnderivable?: number },
): BackfillVerdict {
  const minCoverage = targets.minCoverage ?? DEFAULT_MIN_COVERAGE;
  const maxUnderivable = targets.maxUnderivable ?? DEFAULT_MAX_UNDERIVABLE;
  const { total, filled } = report;
  const unfilled = Math.max(0, total - filled);
  // An app that does not classify its unfilled rows gets no benefit of the doubt: each counts as missed.
  const byReason = Object.entries(report.missingByReason ?? {}).filter(
    ([reason, n]) => reason !== NOT_BACKFILLED && n > 0,
  );
  const underivableByReason = Object.fromEntries(byReason.sort(([ra, a], [rb, b]) => b - a || ra.localeCompare(rb)));
  const underivable = Math.min(
    unfilled,
    byReason.reduce((sum, [, n]) => sum + n, 0),
  );
  const notBackfilled = unfilled - underivable;
  const derivable = total - underivable;
  const derivableCoverage = derivable === 0 ? 100 : floor2((filled / derivable) * 100);
  const underivableShare = total === 0 ? 0 : round1((underivable / total) * 100);
  const invalid = report.invalidCount ?? report.invalid.length;
  const mismatches = report.sampleMismatches.length;
  const reasons = Object.entries(underivableByReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ");
  const failures = [
    derivableCoverage < minCoverage
      ? `${notBackfilled} rows the rules can derive are still empty (${NOT_BACKFILLED}): ${derivableCoverage}% of derivable rows filled, target ${minCoverage}%`
      : "",
    underivableShare > maxUnderivable
      ? `${underivable} of ${total} rows (${underivableShare}%) cannot be derived (${reasons}), above the ${maxUnderivable}% bound`
      : "",
    invalid ? `${invalid} invalid values${example(report.invalid)}` : "",
    mismatches ? `${mismatches} re-derived samples disagree${example(report.sampleMismatches)}` : "",
  ].filter(Boolean);
  if (failures.length === 0 && !report.ok) failures.push("the app reports not ok");
  const underivableLine = underivable
    ? `${underivable} of ${total} rows (${underivableShare}%, bound ${maxUnderivable}%) cannot be derived and stay empty: ${reasons}`
    : "no row is underivable";
  const summary = failures.length
    ? `verification failed: ${failures.join("; ")}`
    : `verified: ${filled} of ${derivable} derivable rows filled (${derivableCoverage}%, target ${minCoverage}%); ${underivableLine}; every value valid${report.sampled ? `, ${report.sampled - (report.unverifiable ?? 0)} re-derived samples agree` : ""}`;
  return {
    ok: failures.length === 0,
    total,
    filled,
    derivable,
    derivableCoverage,
    minCoverage,
    underivable,
    underivableShare,
    underivableByReason,
    maxUnderivable,
    notBackfilled,
    invalid,
    sampleMismatches: mismatches,
    failures,
    summary,
  };
}

/** " (e.g. {…})": the first offending row, so the reason is concrete. */
function example(rows: unknown[]): string {
  return rows.length ? ` (e.g. ${JSON.stringify(rows[0]).slice(0, 120)})` : "";
}
