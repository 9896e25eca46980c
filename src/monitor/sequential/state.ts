/**
 * What the anytime-valid judge remembers: running totals per metric and the current step's sample counts.
 * It is plain JSON (a few kilobytes at most), updated with each batch of counts, so an environment's Durable
 * Object can persist it after every batch and resume after eviction; per-second batches from the edge
 * router and 30 s windows from the load balancer's logs update it the same way.
 */
import { z } from "zod";
import { LAST_LATENCY_BUCKET, type LatencyHistogram } from "../../domain/latency-buckets";
import type { SequentialJudgeConfig } from "./config";
import type { CountTally } from "./count-evidence";
import { emptyLatencyTally, type LatencyTally, observeLatency } from "./latency-evidence";

/** What one track showed in one batch (a second, a check interval). */
export interface TrackCounts {
  requests: number;
  /** Of which 5xx. */
  errors: number;
  /** Durations as a LATENCY_BUCKET histogram; may cover a subsample of the requests. */
  latency?: LatencyHistogram | ArrayLike<number>;
  /** Critical log pattern → matching lines. */
  logMatches?: Record<string, number>;
  /** Requests the log lines relate to, when they come apart from the traffic (default: `requests`). */
  logRequests?: number;
  /** Synthetic checks run against the track in the batch. */
  checks?: { ok: number; failed: number };
}

export interface CountBatch {
  canary: TrackCounts;
  baseline: TrackCounts;
}

const count = z.number().int().min(0);

/** A batch as it arrives over the wire (router report, stored window): counts must be counts. */
export const TrackCountsSchema = z
  .object({
    requests: count,
    errors: count,
    latency: z.record(z.string().regex(/^\d{1,3}$/), count).optional(),
    logMatches: z.record(z.string(), count).optional(),
    logRequests: count.optional(),
    checks: z.object({ ok: count, failed: count }).optional(),
  })
  .refine((t) => t.errors <= t.requests, { message: "errors cannot exceed requests", path: ["errors"] });

/** The step being soaked: its own sample counts decide whether it may pass. */
export interface StepTally {
  index: number;
  weight: number;
  startedAt: number;
  canaryRequests: number;
  canaryLatencies: number;
  /** The soak was extended once for lack of samples; the next shortfall halts. */
  extended: boolean;
}

/** The first moment the evidence crossed 1/α: kept, so the decision survives a restart. */
export interface RollbackRecord {
  at: number;
  look: number;
  metric: string;
  evidence: number;
  reason: string;
}

export interface SequentialState {
  version: 1;
  errors: CountTally;
  synthetic: CountTally;
  /** Per configured pattern: requests as exposure, matching lines as events. */
  logs: Record<string, CountTally>;
  latency: LatencyTally;
  looks: number;
  step: StepTally;
  rollback: RollbackRecord | null;
}

const side = z.object({ n: z.number().min(0), x: z.number().min(0) });
const tallySchema = z.object({ canary: side, baseline: side });
const histogram = z.array(z.number().min(0)).length(LAST_LATENCY_BUCKET + 1);

/** The state as read back from storage: checked, since a NaN would read as "no evidence". */
export const SequentialStateSchema = z.object({
  version: z.literal(1),
  errors: tallySchema,
  synthetic: tallySchema,
  logs: z.record(z.string(), tallySchema),
  latency: z.object({
    baseline: histogram,
    baselineN: count,
    canary: histogram,
    canaryN: count,
    reference: z
      .object({
        bucket: z.number().int().min(0).max(LAST_LATENCY_BUCKET),
        share: z.number().min(0).max(1),
        weight: z.number().min(0),
      })
      .nullable(),
    exceedances: tallySchema,
    pending: histogram,
  }),
  looks: count,
  step: z.object({
    index: z.number().int(),
    weight: z.number().min(0).max(100),
    startedAt: z.number(),
    canaryRequests: count,
    canaryLatencies: count,
    extended: z.boolean(),
  }),
  rollback: z
    .object({ at: z.number(), look: count, metric: z.string(), evidence: z.number(), reason: z.string() })
    .nullable(),
}) satisfies z.ZodType<SequentialState>;

const emptyTally = (): CountTally => ({ canary: { n: 0, x: 0 }, baseline: { n: 0, x: 0 } });

/** A fresh judge for one rollout: evidence carries across its weight steps, α holds for all of them. */
export function startSequentialJudge(cfg: SequentialJudgeConfig, at = 0): SequentialState {
  return {
    version: 1,
    errors: emptyTally(),
    synthetic: emptyTally(),
    logs: Object.fromEntries(cfg.logs.patterns.map((p) => [p, emptyTally()])),
    latency: emptyLatencyTally(),
    looks: 0,
    step: { index: -1, weight: 0, startedAt: at, canaryRequests: 0, canaryLatencies: 0, extended: false },
    rollback: null,
  };
}

/** A new weight step: its sample counts start at zero, the evidence does not. */
export function beginStep(
  state: SequentialState,
  step: { index: number; weight: number; at: number },
): SequentialState {
  return {
    ...state,
    step: {
      index: step.index,
      weight: step.weight,
      startedAt: step.at,
      canaryRequests: 0,
      canaryLatencies: 0,
      extended: false,
    },
  };
}

/** The step's soak was extended once for lack of samples. */
export function extendStep(state: SequentialState): SequentialState {
  return { ...state, step: { ...state.step, extended: true } };
}

const addCounts = (
  tally: CountTally,
  canary: { n: number; x: number },
  baseline: { n: number; x: number },
): CountTally => ({
  canary: { n: tally.canary.n + canary.n, x: tally.canary.x + canary.x },
  baseline: { n: tally.baseline.n + baseline.n, x: tally.baseline.x + baseline.x },
});

const checksOf = (t: TrackCounts) => ({ n: (t.checks?.ok ?? 0) + (t.checks?.failed ?? 0), x: t.checks?.failed ?? 0 });

/**
 * The state after one batch (pure). Every part of a batch is optional but requests: traffic from the edge
 * router every second, log lines and checks from the control plane at its own pace. Logs change only with
 * a batch that has `logMatches`, whose exposure is `logRequests` (the requests the log window covered),
 * else `requests`; a pattern that never matches still gets its denominators.
 */
export function observeBatch(state: SequentialState, batch: CountBatch, cfg: SequentialJudgeConfig): SequentialState {
  const { canary: c, baseline: b } = batch;
  let logs = state.logs;
  if (c.logMatches !== undefined || b.logMatches !== undefined) {
    logs = {};
    for (const pattern of cfg.logs.patterns) {
      logs[pattern] = addCounts(
        state.logs[pattern] ?? emptyTally(),
        { n: c.logRequests ?? c.requests, x: c.logMatches?.[pattern] ?? 0 },
        { n: b.logRequests ?? b.requests, x: b.logMatches?.[pattern] ?? 0 },
      );
    }
  }
  const hasLatency = c.latency !== undefined || b.latency !== undefined;
  const latency = hasLatency
    ? observeLatency(state.latency, c.latency ?? [], b.latency ?? [], marginOfLatency(cfg))
    : state.latency;
  return {
    ...state,
    errors: addCounts(state.errors, { n: c.requests, x: c.errors }, { n: b.requests, x: b.errors }),
    synthetic: addCounts(state.synthetic, checksOf(c), checksOf(b)),
    logs,
    latency,
    step: {
      ...state.step,
      canaryRequests: state.step.canaryRequests + c.requests,
      canaryLatencies: state.step.canaryLatencies + latency.canaryN - state.latency.canaryN,
    },
  };
}

/** The latency margin in the evidence module's terms. */
export function marginOfLatency(cfg: SequentialJudgeConfig) {
  return {
    quantile: cfg.latency.quantile,
    relative: cfg.latency.relativeMargin,
    absoluteMs: cfg.latency.absoluteMarginMs,
  };
}
