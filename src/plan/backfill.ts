import { isProduction } from "../domain/env-ref";
import type { BackfillParams } from "../domain/run";
import type { PlanInput, PlanOutput } from "./deploy";
import { numberSteps } from "./steps";

/** Rows a minute when the plan names no rate. */
export const DEFAULT_BACKFILL_RATE = 1000;

/*
 * What a verified backfill means. Rows whose value the job's rules cannot derive (an address that names no
 * zone) are a fact about the data, not a fault of the job: they are counted by reason and left out of the
 * coverage, which is measured over the rows the rules can decide. Their share is bounded, because a surge
 * of them is what a broken input or rule table looks like. Every derivable row must be filled by default: a
 * derivable row left empty (`not_backfilled`) is a job that did not do its work.
 */
/** Coverage (%) of the derivable rows verification requires unless the plan sets `minCoverage`. */
export const DEFAULT_MIN_COVERAGE = 100;
/** Largest share (%) of all rows allowed to be underivable unless the plan sets `maxUnderivable`. */
export const DEFAULT_MAX_UNDERIVABLE = 10;

/** backfill: paced batches through the app's ops contract, then verification decides success. */
export function planBackfill(input: Omit<PlanInput, "refs">, params: BackfillParams): PlanOutput {
  const rate = params.ratePerMinute ?? DEFAULT_BACKFILL_RATE;
  const batch = params.batchSize ?? Math.max(1, Math.min(500, Math.round(rate / 6)));
  const window = params.window ? `, only ${params.window.start}–${params.window.end} ${params.window.tz}` : "";
  const limit = params.maxRuntimeSeconds ? `, at most ${params.maxRuntimeSeconds}s` : "";
  const production = isProduction(input.env);
  return {
    type: "backfill",
    steps: numberSteps([
      ...(params.after
        ? [
            {
              kind: "await-run" as const,
              summary: `Wait for run ${params.after} to succeed first`,
              params: { runId: params.after, soakSeconds: 0 },
            },
          ]
        : []),
      {
        kind: "backfill",
        summary: `${params.dryRun ? "Dry run of" : "Run"} ${params.job}: batches of ${batch} at ${rate} rows/min${window}${limit}, checkpointed after every batch`,
        params: {},
      },
      {
        kind: "verify-backfill",
        summary: params.dryRun
          ? "Report what would change (dry run writes nothing)"
          : `Verify: ${coverageTarget(params.minCoverage ?? DEFAULT_MIN_COVERAGE)}, at most ${params.maxUnderivable ?? DEFAULT_MAX_UNDERIVABLE}% underivable (counted by reason), every value valid, a re-derived sample agrees`,
        params: {},
      },
    ]),
    diff: [],
    risk: {
      level: params.dryRun ? "low" : production ? "high" : "medium",
      notes: [
        params.dryRun
          ? "dry run: reads only, writes nothing"
          : "writes customer data; idempotent and resumable (stop/resume keep the cursor)",
        ...(production && !params.dryRun
          ? [
              params.after
                ? `production: starts only once staging run ${params.after} of the same job has succeeded`
                : "production: a successful staging run of the same job came first (or an admin overrode it)",
            ]
          : []),
      ],
    },
  };
}

function coverageTarget(minCoverage: number): string {
  return minCoverage >= 100
    ? "every row the rules can derive is filled"
    : `at least ${minCoverage}% of the rows the rules can derive are filled`;
}
