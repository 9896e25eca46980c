/**
 * Settings of the anytime-valid judge: the schema and defaults are domain vocabulary (a policy names them,
 * src/domain/sequential-judge.ts); what the judge derives from them is here.
 */
import {
  type SequentialJudgeConfig,
  SequentialJudgeConfigSchema,
  type SequentialMetricName,
} from "../../domain/sequential-judge";

export {
  DEFAULT_SEQUENTIAL_CONFIG,
  type SequentialJudgeConfig,
  SequentialJudgeConfigSchema,
  type SequentialMetricName,
} from "../../domain/sequential-judge";

/** Validates settings from a policy (throws ZodError); missing fields take the defaults. */
export function parseSequentialConfig(input: unknown): SequentialJudgeConfig {
  return SequentialJudgeConfigSchema.parse(input ?? {});
}

/** Weights scaled to sum to 1, so the mean of e-values is an e-value. */
export function normalizedWeights(cfg: SequentialJudgeConfig): Record<SequentialMetricName, number> {
  const w = cfg.weights;
  const logs = cfg.logs.patterns.length > 0 ? w.logs : 0;
  const total = w.errors + w.latency + logs + w.synthetic;
  return { errors: w.errors / total, latency: w.latency / total, logs: logs / total, synthetic: w.synthetic / total };
}
