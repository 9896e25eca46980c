import { isProduction } from "../domain/env-ref";
import type { BackfillParams } from "../domain/run";
import type { PlanInput, PlanOutput } from "./deploy";
import { numberSteps } from "./steps";

/** Rows a minute when the plan names no rate. */
export const DEFAULT_BACKFILL_RATE = 1000;

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
          : `Verify: coverage ≥ ${params.minCoverage ?? 95}%, every value valid, a re-derived sample agrees`,
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
