/**
 * What a run's steps hand to later steps and show to people: one schema for run outputs, parsed whenever a
 * run is read back from the Durable Object's storage. The engine, the live channel, chat and the web chat
 * read these types; nothing casts them. Every field is optional: a run gains them step by step, and runs
 * stored by older code (they survive deploys) parse too.
 */
import { z } from "zod";
import { CanaryState } from "../domain/canary";
import { PinnedRef, ReleaseService } from "../domain/steps";
import { SequentialJudgeConfigSchema } from "../domain/sequential-judge";
import { RouterKind, TrafficBinding } from "../domain/traffic";
import { type MetricResult, TrackSampleSchema } from "../monitor/judge";
import { SequentialStateSchema } from "../monitor/sequential/state";
import { CanaryLook } from "./canary/looks";
import type { OpsVerification } from "../providers/ops/api";

/** One track's window as metrics.json keeps it: latencies summarized, not listed. */
export const TrackSummary = z.object({
  requests: z.number(),
  errors: z.number(),
  errorRate: z.number().nullable(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  logMatches: z.record(z.string(), z.number()),
  synthetic: z.array(z.object({ name: z.string(), ok: z.boolean() })),
});
export type TrackSummary = z.infer<typeof TrackSummary>;

const MetricResultSchema = z.object({
  metric: z.enum(["errors", "latency", "logs", "synthetic"]),
  verdict: z.enum(["pass", "fail", "inconclusive"]),
  canary: z.object({ n: z.number(), value: z.number() }),
  baseline: z.object({ n: z.number(), value: z.number() }),
  pValue: z.number().optional(),
  reason: z.string(),
}) satisfies z.ZodType<MetricResult>;

/** One canary check (a judged interval), kept in run outputs and written to metrics.json. */
export const CanaryCheck = z.object({
  /** When the check was judged, on the wall clock (what people compare with the audit and their texts). */
  at: z.string(),
  /** How far into this weight's soak the judged window ended, in seconds (of simulated time in the sandbox). */
  soakSeconds: z.number().optional(),
  /** Set when the soak ran on the sandbox's simulated clock, faster than the wall clock. */
  simulated: z.boolean().optional(),
  weight: z.number(),
  check: z.number().int(),
  verdict: z.enum(["pass", "marginal", "fail", "inconclusive"]),
  score: z.number().nullable(),
  metrics: z.array(MetricResultSchema),
  canary: TrackSummary,
  baseline: TrackSummary,
});
export type CanaryCheck = z.infer<typeof CanaryCheck>;

/**
 * The anytime-valid judge of a canary run as its step last saw it: the state over every weight step, the
 * settings it judged with, looks for the chart (thinned), and what the edge router has sent so far.
 */
export const SequentialOutputs = z.object({
  router: RouterKind,
  config: SequentialJudgeConfigSchema,
  state: SequentialStateSchema,
  looks: z.array(CanaryLook),
  /** Looks the judge has made (more than are kept for the chart). */
  lookCount: z.number(),
  /** Stable-only requests from Railway's logs before the first step (the judge's first baseline). */
  leadIn: z.object({ requests: z.number(), errors: z.number() }).nullable(),
  /** Edge router: reports, seconds and requests counted, and the current step's first and latest second. */
  counted: z.object({ reports: z.number(), seconds: z.number(), requests: z.number() }),
  stepSeconds: z.object({ first: z.number().nullable(), last: z.number().nullable() }),
  /** When report ingestion moved traffic to 0% on the rollback decision (ms), if it did. */
  zeroPushedAt: z.number().nullable(),
});
export type SequentialOutputs = z.infer<typeof SequentialOutputs>;

/** Why backfill batches pause: the worst health signal over its threshold. */
export const HealthBreach = z.object({
  signal: z.enum(["error-burn", "latency"]),
  service: z.string(),
  value: z.number(),
  threshold: z.number(),
  reason: z.string(),
});
export type HealthBreach = z.infer<typeof HealthBreach>;

const Unreadable = z.object({ signal: z.literal("unreadable"), reason: z.string() });

/** Why batches wait: a breach, or health that could not be read. */
export const ThrottleReason = z.union([HealthBreach, Unreadable]);
export type ThrottleReason = z.infer<typeof ThrottleReason>;

const Since = { since: z.string() };

/** What verify-backfill decided (backfill-verdict.ts): coverage of the derivable rows, underivable rows by reason. */
export const BackfillVerdict = z.object({
  ok: z.boolean(),
  total: z.number(),
  filled: z.number(),
  /** Rows that have a value or that the rules could give one. */
  derivable: z.number(),
  /** Percent of the derivable rows that are filled (floored, so 100 means every one). */
  derivableCoverage: z.number(),
  minCoverage: z.number(),
  /** Unfilled rows no rule can decide, and their share of all rows (%). */
  underivable: z.number(),
  underivableShare: z.number(),
  underivableByReason: z.record(z.string(), z.number()),
  maxUnderivable: z.number(),
  /** Derivable rows the job left empty. */
  notBackfilled: z.number(),
  invalid: z.number(),
  sampleMismatches: z.number(),
  /** Why verification failed (empty when it passed). */
  failures: z.array(z.string()),
  /** One line for the step note and the chat. */
  summary: z.string(),
});
export type BackfillVerdict = z.infer<typeof BackfillVerdict>;

/** How the backfill is going, as runs, chat and the web chat show it. */
export const BackfillProgress = z.object({
  processed: z.number(),
  updated: z.number(),
  failed: z.number(),
  skipped: z.number(),
  total: z.number().nullable(),
  remaining: z.number().nullable(),
  batches: z.number(),
  ratePerMinute: z.number(),
  etaSeconds: z.number().nullable(),
  failureSamples: z.array(z.object({ id: z.union([z.number(), z.string()]), reason: z.string() })),
  /** Every failed row so far, counted by the app's reason code. */
  failedByReason: z.record(z.string(), z.number()).optional(),
  /** The verification's verdict, once it ran. */
  verification: BackfillVerdict.optional(),
  dryRun: z.boolean(),
  wouldChange: z.number().optional(),
  note: z.string().optional(),
  /** Due times of the first and latest batch (simulated time in the sandbox): the achieved pace. */
  firstBatchAt: z.string().optional(),
  lastBatchAt: z.string().optional(),
  /** Rows sent before the latest batch, over the time between first and latest batch. */
  achievedRatePerMinute: z.number().optional(),
  /** Set while batches pause on the app's health (policies.backfill): why, and since when. */
  throttle: z.union([HealthBreach.extend(Since), Unreadable.extend(Since)]).optional(),
  /** Health pauses that ended (the latest 20), and their total length on the run's clock. */
  pauses: z.array(z.object({ since: z.string(), until: z.string(), reason: z.string() })).optional(),
  pausedSeconds: z.number().optional(),
});
export type BackfillProgress = z.infer<typeof BackfillProgress>;

/** The app's verdict on a backfill (its ops contract's verify). */
export const Verification = z.object({
  total: z.number(),
  filled: z.number(),
  coverage: z.number(),
  ok: z.boolean(),
  invalid: z.array(z.unknown()),
  invalidCount: z.number().optional(),
  sampleMismatches: z.array(z.unknown()),
  sampled: z.number().optional(),
  unverifiable: z.number().optional(),
  missingByReason: z.record(z.string(), z.number()).optional(),
}) satisfies z.ZodType<OpsVerification>;

/** What a migrate step ran for one service. */
export const MigrationOutcome = z.object({ applied: z.number(), names: z.array(z.string()), deploymentId: z.string() });

/** Values a run's steps hand to later steps (and to people), each written by the step kinds named. */
export const RunOutputs = z.object({
  /** resolve-ref: the commit each service deploys. */
  refs: z.record(z.string(), PinnedRef).optional(),
  /** Deploy steps: what each service (canary twins and migration jobs too) runs after this run. */
  deployed: z.record(z.string(), ReleaseService).optional(),
  /** migrate: the migrations each service applied. */
  migrations: z.record(z.string(), MigrationOutcome).optional(),
  /** finalize-release: the release made current, and its version when this run recorded a new one. */
  release: z.string().optional(),
  releaseVersion: z.string().optional(),
  /** update-spec / scale-service: the desired-state revision this run wrote; later steps work on it. */
  specRevision: z.number().int().optional(),
  /** canary-split: the split's provider ids (load balancer and pools, or the edge router's script and route). */
  traffic: TrafficBinding.optional(),
  /** Canary steps: the canary's phase machine. */
  canary: CanaryState.optional(),
  /** canary-split: which judge this run's canary uses (runs stored before it was recorded use fixed-window). */
  canaryJudge: z.enum(["sequential", "fixed-window"]).optional(),
  /** canary-step (sequential judge): its state, settings and looks. */
  sequential: SequentialOutputs.optional(),
  /** canary-step (fixed-window judge): every judged interval, in order. */
  canaryChecks: z.array(CanaryCheck).optional(),
  /** canary-step: the baseline seen by earlier weight steps, topping up a thin one at 100%. */
  baselineCarry: TrackSampleSchema.optional(),
  /** Set by a person ("promote now"): the remaining soaks are skipped. */
  promoteNow: z.boolean().optional(),
  /** backfill: progress as people see it. */
  progress: BackfillProgress.optional(),
  /** verify-backfill: the app's verdict. */
  verification: Verification.optional(),
});
export type RunOutputs = z.infer<typeof RunOutputs>;
