/**
 * The anytime-valid canary judge (issue 19): one rule for every router and every look frequency.
 *
 * Each metric keeps an e-value against "the canary is not worse than the baseline by more than the margin".
 * The judge rolls back the moment the weighted mean of those e-values reaches 1/α. A weighted mean of
 * e-processes is one (each is bounded by a test martingale under H0, and so is their mean), so by Ville's
 * inequality a canary that is not worse is rolled back with probability ≤ α over the whole rollout, however
 * many batches arrive and however often one looks — no consecutive-check rule, no re-tuned thresholds. It
 * is never weaker than splitting α between the metrics (Bonferroni): a metric alone needs 1/(weight·α).
 *
 * A step passes only when its soak ends without a rollback and with the minimum sample for 5xx and
 * latency; short of it the soak is extended once, then a person decides. No data never passes.
 */
import { normalizedWeights, type SequentialJudgeConfig, type SequentialMetricName } from "./config";
import { type CountTally, countEvidence } from "./count-evidence";
import { describeVerdict, strongest } from "./explain";
import { latencyEvidence } from "./latency-evidence";
import { logSumExp } from "./mixture";
import { type CountBatch, marginOfLatency, observeBatch, type SequentialState } from "./state";

/** One metric's evidence, with the sample behind each side (value null when n is 0). Words: explain.ts. */
export interface SequentialMetric {
  metric: SequentialMetricName;
  /** ln of the metric's e-value (kept in log: a 100% 5xx canary reaches e^hundreds). */
  logE: number;
  /** The metric's share of α. */
  weight: number;
  /** ln of the e-value at which this metric alone rolls back: ln(1/(weight·α)). */
  logThreshold: number;
  /** Units (requests, checks, durations) and the rate or quantile they show. */
  canary: { n: number; value: number | null };
  baseline: { n: number; value: number | null };
  /** Events behind the rates: 5xx, matching lines, failed checks; for latency, durations above the thresholds. */
  events: { canary: number; baseline: number };
  /** Logs: the pattern with the most evidence. */
  pattern?: string;
  /** Latency: x (the baseline's p95 when fixed), T = x × (1 + relative) + absoluteMs, and durations compared. */
  latency?: { referenceMs: number | null; thresholdMs: number | null; compared: { canary: number; baseline: number } };
}

export interface SequentialVerdict {
  decision: "rollback" | "continue";
  /** ln of the weighted mean of the metrics' e-values, and the ln(1/α) it is held to. */
  logEvidence: number;
  logThreshold: number;
  alpha: number;
  metrics: SequentialMetric[];
  /** Requests behind the evidence, over the rollout and in the current step. */
  samples: { canary: number; baseline: number; stepCanary: number };
}

export type StepOutcome =
  | { kind: "rollback"; reason: string }
  | { kind: "continue" }
  | { kind: "pass"; reason: string }
  | { kind: "extend"; reason: string }
  | { kind: "halt"; reason: string };

/** The evidence now (pure): per metric, combined, and whether it calls for a rollback. */
export function evaluateSequential(state: SequentialState, cfg: SequentialJudgeConfig): SequentialVerdict {
  const weights = normalizedWeights(cfg);
  const { alpha } = cfg;
  const metrics: SequentialMetric[] = [];
  const threshold = (w: number) => Math.log(1 / (w * alpha));
  const count = (metric: SequentialMetricName, tally: CountTally, margin: { relative: number; absolute: number }) =>
    countMetric(
      metric,
      tally,
      countEvidence(tally, "bernoulli", margin).logE,
      weights[metric],
      threshold(weights[metric]),
    );
  if (weights.errors > 0)
    metrics.push(
      count("errors", state.errors, { relative: cfg.errors.relativeMargin, absolute: cfg.errors.absoluteMargin }),
    );
  if (weights.latency > 0) metrics.push(latencyMetric(state, cfg, weights.latency, threshold(weights.latency)));
  if (weights.logs > 0) metrics.push(logsMetric(state, cfg, weights.logs, threshold(weights.logs)));
  if (weights.synthetic > 0)
    metrics.push(
      count("synthetic", state.synthetic, {
        relative: cfg.synthetic.relativeMargin,
        absolute: cfg.synthetic.absoluteMargin,
      }),
    );
  const logEvidence = logSumExp(metrics.map((m) => Math.log(m.weight) + m.logE));
  const logThreshold = Math.log(1 / alpha);
  return {
    decision: logEvidence >= logThreshold ? "rollback" : "continue",
    logEvidence,
    logThreshold,
    alpha: cfg.alpha,
    metrics,
    samples: {
      canary: state.errors.canary.n,
      baseline: state.errors.baseline.n,
      stepCanary: state.step.canaryRequests,
    },
  };
}

/** Observe one batch, then judge: the state to persist and the verdict of this look. */
export function judgeBatch(
  state: SequentialState,
  batch: CountBatch,
  cfg: SequentialJudgeConfig,
  at: number,
): { state: SequentialState; verdict: SequentialVerdict } {
  const observed = observeBatch(state, batch, cfg);
  const verdict = evaluateSequential(observed, cfg);
  const looks = observed.looks + 1;
  const first = verdict.decision === "rollback" && observed.rollback === null;
  const rollback = first
    ? {
        at,
        look: looks,
        metric: strongest(verdict.metrics).metric,
        evidence: verdict.logEvidence,
        reason: describeVerdict(verdict, cfg),
      }
    : observed.rollback;
  return { state: { ...observed, looks, rollback }, verdict };
}

/**
 * What the step should do now. Rollback wins at any time; at the end of the soak the step passes only with
 * the minimum sample of 5xx and latency (canary in this step, baseline over the rollout, since at 100% the
 * stable gets none); short of it, the soak is extended once, then a person decides.
 */
export function stepOutcome(state: SequentialState, cfg: SequentialJudgeConfig, soakEnded: boolean): StepOutcome {
  if (state.rollback) return { kind: "rollback", reason: state.rollback.reason };
  if (!soakEnded) return { kind: "continue" };
  const short = shortfalls(state, cfg);
  if (short.length === 0) {
    const verdict = describeVerdict(evaluateSequential(state, cfg), cfg);
    return { kind: "pass", reason: `no evidence of a regression at ${state.step.weight}%: ${verdict}` };
  }
  const why = `too few samples to pass at ${state.step.weight}%: ${short.join("; ")}`;
  if (!state.step.extended) return { kind: "extend", reason: `${why}; soaking once more` };
  return { kind: "halt", reason: `${why}, even after one extension; a person decides: resume, promote or rollback` };
}

function shortfalls(state: SequentialState, cfg: SequentialJudgeConfig): string[] {
  const out: string[] = [];
  const { minRequests } = cfg.errors;
  const { minSamples } = cfg.latency;
  const { step } = state;
  if (step.canaryRequests < minRequests || state.errors.baseline.n < minRequests)
    out.push(
      `requests canary ${step.canaryRequests} (this step), baseline ${state.errors.baseline.n}; need ${minRequests} each`,
    );
  if (cfg.weights.latency > 0 && (step.canaryLatencies < minSamples || state.latency.baselineN < minSamples))
    out.push(
      `latencies canary ${step.canaryLatencies} (this step), baseline ${state.latency.baselineN}; need ${minSamples} each`,
    );
  return out;
}

const rate = (side: { n: number; x: number }) => (side.n > 0 ? side.x / side.n : null);

function countMetric(
  metric: SequentialMetricName,
  tally: CountTally,
  logE: number,
  weight: number,
  logThreshold: number,
): SequentialMetric {
  return {
    metric,
    logE,
    weight,
    logThreshold,
    canary: { n: tally.canary.n, value: rate(tally.canary) },
    baseline: { n: tally.baseline.n, value: rate(tally.baseline) },
    events: { canary: tally.canary.x, baseline: tally.baseline.x },
  };
}

/** Patterns are tested one by one and averaged (weights fixed by the configured list). */
function logsMetric(state: SequentialState, cfg: SequentialJudgeConfig, weight: number, logThreshold: number) {
  const margin = { relative: cfg.logs.relativeMargin, absolute: cfg.logs.absoluteMargin };
  const empty: CountTally = { canary: { n: 0, x: 0 }, baseline: { n: 0, x: 0 } };
  const logEs = new Float64Array(cfg.logs.patterns.length);
  let worst = 0;
  const events = { canary: 0, baseline: 0 };
  cfg.logs.patterns.forEach((pattern, i) => {
    const tally = state.logs[pattern] ?? empty;
    logEs[i] = countEvidence(tally, "poisson", margin).logE;
    if (logEs[i] > logEs[worst]) worst = i;
    events.canary += tally.canary.x;
    events.baseline += tally.baseline.x;
  });
  // Exposure is the same for every pattern (each batch adds its requests to all of them).
  const first = state.logs[cfg.logs.patterns[0]] ?? empty;
  const { canary, baseline } = first;
  const metric: SequentialMetric = {
    ...countMetric("logs", { canary, baseline }, logSumExp(logEs) - Math.log(logEs.length), weight, logThreshold),
    pattern: cfg.logs.patterns[worst],
  };
  metric.events = events;
  metric.canary.value = canary.n > 0 ? events.canary / canary.n : null;
  metric.baseline.value = baseline.n > 0 ? events.baseline / baseline.n : null;
  return metric;
}

function latencyMetric(state: SequentialState, cfg: SequentialJudgeConfig, weight: number, logThreshold: number) {
  const ev = latencyEvidence(state.latency, marginOfLatency(cfg));
  const metric: SequentialMetric = {
    metric: "latency",
    logE: ev.logE,
    weight,
    logThreshold,
    canary: { n: state.latency.canaryN, value: ev.canaryQuantileMs },
    baseline: { n: state.latency.baselineN, value: ev.baselineQuantileMs },
    events: { canary: ev.exceedances.canary.x, baseline: ev.exceedances.baseline.x },
    latency: {
      referenceMs: ev.referenceMs,
      thresholdMs: ev.thresholdMs,
      compared: { canary: ev.exceedances.canary.n, baseline: ev.exceedances.baseline.n },
    },
  };
  return metric;
}
