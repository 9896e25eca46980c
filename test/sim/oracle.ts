/**
 * The statistical floor: Wald's SPRT for a judge that knows the true rates. It knows the baseline exactly
 * (so the null is the single point on H0's boundary) and the canary's true rate (so the alternative is a
 * point too), and needs the fewest samples of any test with its error rates (Wald–Wolfowitz). It looks at
 * the same moments as the judge it is compared with.
 */
import type { SequentialJudgeConfig } from "../../src/monitor/sequential/config";
import { bernoulliLogLik } from "../../src/monitor/sequential/mixture";
import { latencyCdf, latencyQuantile, type TrackBehaviour } from "./canary-world";

export interface OracleTest {
  /** H0's boundary rate and the true rate, per unit (request). */
  nullRate: number;
  trueRate: number;
  /** False when the truth is inside H0: the oracle never rejects, and no comparison is meaningful. */
  detectable: boolean;
}

/** The 5xx oracle: H0 boundary at the true baseline rate, H1 at the canary's true rate. */
export function errorsOracle(cfg: SequentialJudgeConfig, canary: TrackBehaviour, baseline: TrackBehaviour): OracleTest {
  const nullRate = Math.min(1, baseline.errorRate * (1 + cfg.errors.relativeMargin) + cfg.errors.absoluteMargin);
  return { nullRate, trueRate: canary.errorRate, detectable: canary.errorRate > nullRate };
}

/** The p95 threshold H0 allows the canary at the true baseline (ms). */
export function oracleLatencyThresholdMs(cfg: SequentialJudgeConfig): number {
  return latencyQuantile(cfg.latency.quantile) * (1 + cfg.latency.relativeMargin) + cfg.latency.absoluteMarginMs;
}

/** The latency oracle: the share of canary latencies above the true threshold, against 1 − q. */
export function latencyOracle(cfg: SequentialJudgeConfig, canary: TrackBehaviour): OracleTest {
  const nullRate = 1 - cfg.latency.quantile;
  const trueRate = 1 - latencyCdf(oracleLatencyThresholdMs(cfg) / canary.latencyScale);
  return { nullRate, trueRate, detectable: trueRate > nullRate };
}

/** ln of the SPRT's likelihood ratio after `x` events in `n` trials. */
export function oracleLogLR(test: OracleTest, x: number, n: number): number {
  return bernoulliLogLik(x, n, test.trueRate) - bernoulliLogLik(x, n, test.nullRate);
}
