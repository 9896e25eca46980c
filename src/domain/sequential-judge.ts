/**
 * Settings of the anytime-valid canary judge, as a policy states them (`policies.canary.sequential`) and the
 * judge uses them. Vocabulary only: the spec validates a policy against this schema, the judge in
 * src/monitor/sequential/ computes with it. The margins say what "worse" means before any statistics: H0 for
 * a count metric is canaryRate ≤ baselineRate × (1 + relativeMargin) + absoluteMargin, for latency the same
 * on the p95.
 */
import { z } from "zod";

export type SequentialMetricName = "errors" | "latency" | "logs" | "synthetic";

export interface SequentialJudgeConfig {
  /** Probability of rolling back a canary that is not worse, over the whole rollout and however often one looks. */
  alpha: number;
  /**
   * How α is shared between metrics: the judge rolls back when the weighted mean of their e-values reaches
   * 1/α, so a metric alone needs 1/(weight·α). A weight of 0 leaves the metric out.
   */
  weights: Record<SequentialMetricName, number>;
  errors: { relativeMargin: number; absoluteMargin: number; minRequests: number };
  latency: { quantile: number; relativeMargin: number; absoluteMarginMs: number; minSamples: number };
  /** Matches per request; patterns fixed in advance, as the mixture over them must be. */
  logs: { relativeMargin: number; absoluteMargin: number; patterns: string[] };
  /** Failed checks per check. */
  synthetic: { relativeMargin: number; absoluteMargin: number };
}

/**
 * Defaults. The 5xx margins are the fixed-window judge's (×1.5 and +1 point). Latency's are tighter than its
 * ×1.15/+25 ms: on the sandbox's 140 ms p95 those let a 20% slower p95 through as "not worse", and the
 * sequential test no longer needs a wide margin to stay quiet under repeated looks. Logs keep ×2 with no
 * floor (critical lines have no healthy background); a synthetic check failing more on the canary than on
 * the baseline is worse.
 */
export const DEFAULT_SEQUENTIAL_CONFIG = {
  alpha: 0.01,
  weights: { errors: 0.5, latency: 0.3, logs: 0.1, synthetic: 0.1 },
  errors: { relativeMargin: 0.5, absoluteMargin: 0.01, minRequests: 200 },
  latency: { quantile: 0.95, relativeMargin: 0.1, absoluteMarginMs: 10, minSamples: 100 },
  logs: {
    relativeMargin: 1,
    absoluteMargin: 0,
    patterns: ["panic", "SequelizeDatabaseError", "Out of memory", "FATAL"],
  },
  synthetic: { relativeMargin: 0, absoluteMargin: 0 },
} satisfies SequentialJudgeConfig;

const D = DEFAULT_SEQUENTIAL_CONFIG;
const margin = z.number().min(0);
const atLeastOne = z.number().int().min(1);

/** Policy-supplied settings; every field optional. */
export const SequentialJudgeConfigSchema = z.object({
  alpha: z.number().gt(0).lt(0.5).default(D.alpha),
  weights: z
    .object({
      // 5xx always counts: a judge that could pass a canary answering 500s would not be a judge.
      errors: z.number().positive().default(D.weights.errors),
      latency: z.number().min(0).default(D.weights.latency),
      logs: z.number().min(0).default(D.weights.logs),
      synthetic: z.number().min(0).default(D.weights.synthetic),
    })
    .default(D.weights),
  errors: z
    .object({
      relativeMargin: margin.default(D.errors.relativeMargin),
      absoluteMargin: z.number().min(0).lt(1).default(D.errors.absoluteMargin),
      minRequests: atLeastOne.default(D.errors.minRequests),
    })
    .default(D.errors),
  latency: z
    .object({
      quantile: z.number().gt(0.5).lt(1).default(D.latency.quantile),
      relativeMargin: margin.default(D.latency.relativeMargin),
      absoluteMarginMs: margin.default(D.latency.absoluteMarginMs),
      minSamples: atLeastOne.default(D.latency.minSamples),
    })
    .default(D.latency),
  logs: z
    .object({
      relativeMargin: margin.default(D.logs.relativeMargin),
      absoluteMargin: margin.default(D.logs.absoluteMargin),
      patterns: z.array(z.string().min(1)).default(D.logs.patterns),
    })
    .default(D.logs),
  synthetic: z
    .object({
      relativeMargin: margin.default(D.synthetic.relativeMargin),
      absoluteMargin: z.number().min(0).lt(1).default(D.synthetic.absoluteMargin),
    })
    .default(D.synthetic),
}) satisfies z.ZodType<SequentialJudgeConfig>;
