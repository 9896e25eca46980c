/** The app's ops contract (ARCHITECTURE §8): one batch of a job from a cursor, and verification. */

export interface OpsBatch {
  runId: string | null;
  processed: number;
  nextCursor: string | null;
  done: boolean;
  failures: { id: number | string; reason: string }[];
  changed: { id: number | string; timezone?: string }[];
  counts: { updated: number; failed: number; skipped: number };
}

export interface OpsVerification {
  total: number;
  filled: number;
  /** percent, 0–100 */
  coverage: number;
  ok: boolean;
  invalid: unknown[];
  /** How many stored values are invalid (the `invalid` list may be capped). */
  invalidCount?: number;
  sampleMismatches: unknown[];
  /** Rows re-derived for the sample, and how many of them no rule decides (a fallback value). */
  sampled?: number;
  unverifiable?: number;
  /** Every unfilled row by the app's reason code; `not_backfilled` = the rules decide a value the job did not write. */
  missingByReason?: Record<string, number>;
}

/** A pending schema migration as the app classifies it from its queryInterface calls. */
export interface OpsMigration {
  name: string;
  class: "expand" | "contract";
  reasons: string[];
}

/** `GET /ops/migrations`: what the app's database has run, and what its code would run next. */
export interface OpsMigrations {
  applied: string[];
  pending: OpsMigration[];
}

export interface OpsApi {
  /** The app's applied and pending migrations, each pending one classified expand or contract. */
  migrations(): Promise<OpsMigrations>;
  /** One batch; idempotent per (runId, row) at the app, so a retry after a lost answer is safe. */
  runBatch(input: {
    job: string;
    cursor: string | null;
    batchSize: number;
    dryRun: boolean;
    runId: string;
  }): Promise<OpsBatch>;
  verify(input: { job: string; sample?: number; minCoverage?: number }): Promise<OpsVerification>;
}
