/**
 * Canary judge (ARCHITECTURE §5): compares one canary window with the baseline window and scores it 0–100.
 * A metric fails only when the canary is significantly *and* practically worse; missing data holds, never passes.
 */
import { z } from "zod";
import {
  binomialUpperTail,
  mannWhitneyGreater,
  proportionGreater,
  sortedMedian,
  sortedQuantile,
  tailExceedanceGreater,
} from "./stats";

/** What one track (canary or baseline) showed during a window. */
export interface TrackSample {
  /** HTTP requests observed in the window. */
  requests: number;
  /** Of which 5xx. */
  errors: number;
  /** Per-request durations; may be a subsample of `requests`. */
  latenciesMs: number[];
  /** Critical log pattern → matches in the window. */
  logMatches: Record<string, number>;
  /** Synthetic checks run against this track in the window. */
  synthetic: { name: string; ok: boolean }[];
}

export type MetricName = "errors" | "latency" | "logs" | "synthetic";
export type MetricVerdict = "pass" | "fail" | "inconclusive";

/** One metric's comparison; `n` is the sample behind `value` (value is 0 when n is 0). */
export interface MetricResult {
  metric: MetricName;
  verdict: MetricVerdict;
  canary: { n: number; value: number };
  baseline: { n: number; value: number };
  pValue?: number;
  reason: string;
}

export interface Judgement {
  /** 0–100, null when the data cannot support a score. */
  score: number | null;
  verdict: "pass" | "marginal" | "fail" | "inconclusive";
  metrics: MetricResult[];
  /** Requests behind the score, shown next to it. */
  samples: { canary: number; baseline: number };
  /** The rule that decided the verdict, in one sentence, with the sample counts. */
  reason: string;
}

export interface JudgeConfig {
  /** Significance level of every one-sided test. */
  alpha: number;
  passScore: number;
  marginalScore: number;
  /** K: with none on the baseline, K 5xx (at ≥ errors.minIncrease) or K matches of a log pattern fail outright. */
  zeroBaselineErrors: number;
  weights: Record<MetricName, number>;
  /** Practical margin: canary rate ≥ baseline + minIncrease *and* ≥ baseline × minRatio (as latency: tiny either way is noise). */
  errors: { minRequests: number; minIncrease: number; minRatio: number };
  /** Practical margin: canary median or p95 ≥ baseline's × minRatio *and* ≥ + minIncreaseMs (tiny either way is noise). */
  latency: { minSamples: number; minRatio: number; minIncreaseMs: number };
  /** Practical margin: canary matches per request ≥ baseline's × minRatio. */
  logs: { minRequests: number; minRatio: number };
  synthetic: { minChecks: number };
}

/** Defaults for every judge setting; policy overrides are validated by JudgeConfigSchema. */
export const DEFAULT_JUDGE_CONFIG = {
  alpha: 0.01,
  passScore: 95,
  marginalScore: 75,
  zeroBaselineErrors: 3,
  weights: { errors: 40, latency: 30, logs: 15, synthetic: 15 },
  errors: { minRequests: 200, minIncrease: 0.01, minRatio: 1.5 },
  latency: { minSamples: 100, minRatio: 1.15, minIncreaseMs: 25 },
  logs: { minRequests: 200, minRatio: 2 },
  synthetic: { minChecks: 1 },
} satisfies JudgeConfig;

const D = DEFAULT_JUDGE_CONFIG;
const count = z.number().int().min(0);
const atLeastOne = z.number().int().min(1);
const ratio = z.number().min(1);

/** Policy-supplied judge settings; every field optional, defaults from DEFAULT_JUDGE_CONFIG. */
export const JudgeConfigSchema = z
  .object({
    alpha: z.number().gt(0).lt(0.5).default(D.alpha),
    passScore: z.number().min(0).max(100).default(D.passScore),
    marginalScore: z.number().min(0).max(100).default(D.marginalScore),
    zeroBaselineErrors: atLeastOne.default(D.zeroBaselineErrors),
    // errors and latency must weigh something: the score's denominator always contains them.
    weights: z
      .object({
        errors: z.number().positive().default(D.weights.errors),
        latency: z.number().positive().default(D.weights.latency),
        logs: z.number().min(0).default(D.weights.logs),
        synthetic: z.number().min(0).default(D.weights.synthetic),
      })
      .default(D.weights),
    errors: z
      .object({
        minRequests: atLeastOne.default(D.errors.minRequests),
        minIncrease: z.number().min(0).max(1).default(D.errors.minIncrease),
        minRatio: ratio.default(D.errors.minRatio),
      })
      .default(D.errors),
    latency: z
      .object({
        minSamples: atLeastOne.default(D.latency.minSamples),
        minRatio: ratio.default(D.latency.minRatio),
        minIncreaseMs: z.number().min(0).default(D.latency.minIncreaseMs),
      })
      .default(D.latency),
    logs: z
      .object({ minRequests: atLeastOne.default(D.logs.minRequests), minRatio: ratio.default(D.logs.minRatio) })
      .default(D.logs),
    synthetic: z.object({ minChecks: atLeastOne.default(D.synthetic.minChecks) }).default(D.synthetic),
  })
  .refine((c) => c.marginalScore <= c.passScore, {
    message: "marginalScore must not exceed passScore",
    path: ["marginalScore"],
  }) satisfies z.ZodType<JudgeConfig>;

/** A stored or received window, checked before scoring: NaN compares false and would read as "not worse". */
export const TrackSampleSchema = z
  .object({
    requests: count,
    errors: count,
    latenciesMs: z.array(z.number().min(0)),
    logMatches: z.record(z.string(), count),
    synthetic: z.array(z.object({ name: z.string(), ok: z.boolean() })),
  })
  .refine((s) => s.errors <= s.requests, {
    message: "errors cannot exceed requests",
    path: ["errors"],
  }) satisfies z.ZodType<TrackSample>;

/** Validates judge settings from a policy (throws ZodError); missing fields take the defaults. */
export function parseJudgeConfig(input: unknown): JudgeConfig {
  return JudgeConfigSchema.parse(input ?? {});
}

/** Judges a canary window against the baseline window: per-metric verdicts, weighted score, overall verdict. */
export function judgeCanary(canary: TrackSample, baseline: TrackSample, config: Partial<JudgeConfig> = {}): Judgement {
  const cfg = JudgeConfigSchema.parse({ ...DEFAULT_JUDGE_CONFIG, ...config });
  const c = TrackSampleSchema.parse(canary);
  const b = TrackSampleSchema.parse(baseline);
  const metrics = [judgeErrors(c, b, cfg), judgeLatency(c, b, cfg), judgeLogs(c, b, cfg), judgeSynthetic(c, b, cfg)];
  const samples = { canary: c.requests, baseline: b.requests };
  return { ...combine(metrics, cfg, `canary n=${c.requests}, baseline n=${b.requests}`), metrics, samples };
}

/** Adds two windows of one track, so an inconclusive window can be extended until it is big enough to judge. */
export function mergeSamples(a: TrackSample, b: TrackSample): TrackSample {
  const logMatches = { ...a.logMatches };
  for (const [pattern, n] of Object.entries(b.logMatches)) logMatches[pattern] = (logMatches[pattern] ?? 0) + n;
  return {
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    latenciesMs: a.latenciesMs.concat(b.latenciesMs),
    logMatches,
    synthetic: a.synthetic.concat(b.synthetic),
  };
}

type Sides = Pick<MetricResult, "canary" | "baseline">;

function result(
  metric: MetricName,
  verdict: MetricVerdict,
  sides: Sides,
  reason: string,
  pValue?: number,
): MetricResult {
  return { metric, verdict, ...sides, ...(pValue === undefined ? {} : { pValue }), reason };
}

const rate = (part: number, whole: number) => (whole > 0 ? part / whole : 0);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const fmtP = (p: number) => p.toPrecision(2);

function judgeErrors(c: TrackSample, b: TrackSample, cfg: JudgeConfig): MetricResult {
  const { minRequests, minIncrease, minRatio } = cfg.errors;
  const cr = rate(c.errors, c.requests);
  const br = rate(b.errors, b.requests);
  const sides = { canary: { n: c.requests, value: cr }, baseline: { n: b.requests, value: br } };
  const counts = `5xx canary ${c.errors}/${c.requests}, baseline ${b.errors}/${b.requests}`;
  // Before the sample minimum, as rank tests call an all-zero baseline a pass (kayenta#426): "zero-baseline:
  // 0 against 3 errors with n=40 fails". The rate floor keeps 3 stray 5xx in 600 from failing a healthy canary.
  if (b.errors === 0 && c.errors >= cfg.zeroBaselineErrors && cr >= minIncrease) {
    return result(
      "errors",
      "fail",
      sides,
      `zero-baseline rule: baseline had no 5xx, canary ≥ ${cfg.zeroBaselineErrors} at ≥ ${pct(minIncrease)} (${counts})`,
    );
  }
  const { pValue, exact } = proportionGreater(c.errors, c.requests, b.errors, b.requests);
  const test = `${exact ? "Fisher exact" : "two-proportion z"} p=${fmtP(pValue)}`;
  // Both margins, as for latency. With "either", ×2 of a 0.2% background is 0.4%, and a healthy canary that
  // drew 12/3000 against 0/1568 was rolled back: seeded 10/50/100 soaks of a healthy app rolled back 9 in
  // 1,200 that way, 4 with both.
  const practical = cr > br && cr >= br + minIncrease && cr >= br * minRatio;
  // Below the minimum only the exact test runs, and it holds its α at any n: a clear fail need not wait
  // ("fails 8/40 5xx against 1/360 below the minimum sample").
  if (pValue < cfg.alpha && practical) {
    return result(
      "errors",
      "fail",
      sides,
      `canary 5xx rate ${pct(cr)} vs ${pct(br)} is significantly (${test}) and practically worse (${counts})`,
      pValue,
    );
  }
  if (c.requests < minRequests || b.requests < minRequests) {
    // flagger#1035: too little traffic must hold the rollout, never pass it ("below the minimum sample is inconclusive").
    return result(
      "errors",
      "inconclusive",
      sides,
      `fewer than ${minRequests} requests on a track, hold and probe (${counts})`,
      pValue,
    );
  }
  const why =
    pValue < cfg.alpha
      ? `significant (${test}) but under +${pct(minIncrease)} or ×${minRatio}`
      : `not significantly worse (${test})`;
  return result("errors", "pass", sides, `canary 5xx rate ${pct(cr)} vs ${pct(br)}: ${why} (${counts})`, pValue);
}

const ascending = (xs: number[]) => Float64Array.from(xs).sort();
const p95 = (sorted: Float64Array) => sortedQuantile(sorted, 0.95);
const ms = (x: number) => `${Math.round(x)}ms`;

function judgeLatency(c: TrackSample, b: TrackSample, cfg: JudgeConfig): MetricResult {
  const { minSamples, minRatio, minIncreaseMs } = cfg.latency;
  const x = ascending(c.latenciesMs);
  const y = ascending(b.latenciesMs);
  const cm = x.length ? sortedMedian(x) : 0;
  const bm = y.length ? sortedMedian(y) : 0;
  const sides = { canary: { n: x.length, value: cm }, baseline: { n: y.length, value: bm } };
  const shape = `median ${ms(cm)} vs ${ms(bm)}, p95 ${ms(p95(x))} vs ${ms(p95(y))}; n ${x.length} vs ${y.length}`;
  if (x.length < minSamples || y.length < minSamples) {
    return result(
      "latency",
      "inconclusive",
      sides,
      `fewer than ${minSamples} latencies on a track, hold and probe (${shape})`,
    );
  }
  // Mann–Whitney sees shifts of the whole distribution, the p95-exceedance test a slow path hit by a few
  // percent of requests (kayenta#780; "one transient bad window fails alone"); Bonferroni keeps the pair at α.
  const whole = mannWhitneyGreater(x, y).pValue;
  const tail = tailExceedanceGreater(x, y, 0.95).pValue;
  const pValue = Math.min(1, 2 * Math.min(whole, tail));
  // Median or p95: a slow path moves the p95 but not the median.
  const worse = (cv: number, bv: number) => cv >= bv * minRatio && cv - bv >= minIncreaseMs;
  const practical = worse(cm, bm) || worse(p95(x), p95(y));
  const test = `p=${fmtP(pValue)} from Mann–Whitney ${fmtP(whole)} and p95 exceedance ${fmtP(tail)}, ×2`;
  if (pValue < cfg.alpha && practical) {
    return result(
      "latency",
      "fail",
      sides,
      `canary is significantly (${test}) and practically slower (${shape})`,
      pValue,
    );
  }
  // "+5 ms on 80 ms median with n=5000 → pass": significance alone is not a regression worth a rollback.
  const why =
    pValue < cfg.alpha
      ? `significant (${test}) but under ×${minRatio} and +${minIncreaseMs}ms`
      : `not significantly slower (${test})`;
  return result("latency", "pass", sides, `${why} (${shape})`, pValue);
}

function judgeLogs(c: TrackSample, b: TrackSample, cfg: JudgeConfig): MetricResult {
  const { minRequests, minRatio } = cfg.logs;
  const sum = (s: TrackSample) => Object.values(s.logMatches).reduce((acc, n) => acc + n, 0);
  const sides = {
    canary: { n: c.requests, value: rate(sum(c), c.requests) },
    baseline: { n: b.requests, value: rate(sum(b), b.requests) },
  };
  const patterns = [...new Set([...Object.keys(c.logMatches), ...Object.keys(b.logMatches)])].filter(
    (p) => (c.logMatches[p] ?? 0) + (b.logMatches[p] ?? 0) > 0,
  );
  const counts = (p: string) =>
    `"${p}" canary ${c.logMatches[p] ?? 0}/${c.requests} req, baseline ${b.logMatches[p] ?? 0}/${b.requests} req`;
  // Critical patterns have no healthy background, so unlike 5xx no rate floor: "log pattern only on canary ≥ K → fail".
  const onlyCanary = patterns.find((p) => !b.logMatches[p] && (c.logMatches[p] ?? 0) >= cfg.zeroBaselineErrors);
  if (onlyCanary !== undefined) {
    return result(
      "logs",
      "fail",
      sides,
      `zero-baseline rule: ≥ ${cfg.zeroBaselineErrors} matches on the canary only (${counts(onlyCanary)})`,
    );
  }
  const small = c.requests < minRequests || b.requests < minRequests;
  const hold = (detail: string, pValue?: number) =>
    result(
      "logs",
      "inconclusive",
      sides,
      `fewer than ${minRequests} requests on a track, hold and probe (${detail})`,
      pValue,
    );
  if (small && (patterns.length === 0 || c.requests === 0 || b.requests === 0))
    return hold(`${c.requests} vs ${b.requests} requests`);
  if (patterns.length === 0) return result("logs", "pass", sides, "no critical log matches on either track");
  // Given m matches in all, the canary's count is Binomial(m, its share of requests) when rates are equal;
  // the test is exact, so like 5xx it may fail below the minimum sample but never pass there.
  const share = c.requests / (c.requests + b.requests);
  const threshold = cfg.alpha / patterns.length; // Bonferroni: many patterns must not multiply false alarms
  const tested = patterns.map((p) => {
    const cc = c.logMatches[p] ?? 0;
    const bc = b.logMatches[p] ?? 0;
    const cRate = rate(cc, c.requests);
    const bRate = rate(bc, b.requests);
    const pValue = binomialUpperTail(cc, cc + bc, share);
    return { p, pValue, failing: pValue < threshold && cRate > bRate && cRate >= bRate * minRatio };
  });
  const worst = tested.reduce((a, t) =>
    (t.failing && !a.failing) || (t.failing === a.failing && t.pValue < a.pValue) ? t : a,
  );
  const test = `exact binomial p=${fmtP(worst.pValue)} vs α/${patterns.length}=${fmtP(threshold)}`;
  if (worst.failing)
    return result(
      "logs",
      "fail",
      sides,
      `canary logs significantly (${test}) and ≥ ×${minRatio} more (${counts(worst.p)})`,
      worst.pValue,
    );
  if (small) return hold(counts(worst.p), worst.pValue);
  return result(
    "logs",
    "pass",
    sides,
    `no pattern significantly more frequent on the canary; closest ${test} (${counts(worst.p)})`,
    worst.pValue,
  );
}

function judgeSynthetic(c: TrackSample, b: TrackSample, cfg: JudgeConfig): MetricResult {
  const okShare = (s: TrackSample) => rate(s.synthetic.filter((check) => check.ok).length, s.synthetic.length);
  const sides = {
    canary: { n: c.synthetic.length, value: okShare(c) },
    baseline: { n: b.synthetic.length, value: okShare(b) },
  };
  if (c.synthetic.length < cfg.synthetic.minChecks) {
    return result(
      "synthetic",
      "inconclusive",
      sides,
      `fewer than ${cfg.synthetic.minChecks} synthetic checks ran against the canary`,
    );
  }
  const failed = [...new Set(c.synthetic.filter((check) => !check.ok).map((check) => check.name))];
  if (failed.length > 0)
    return result("synthetic", "fail", sides, `synthetic check failed on the canary: ${failed.join(", ")}`);
  return result("synthetic", "pass", sides, `all ${c.synthetic.length} synthetic checks passed on the canary`);
}

const CORE: readonly MetricName[] = ["errors", "latency"];

/** Weighted share of passing metrics among the conclusive ones, ×100, to one decimal. */
function weightedScore(metrics: MetricResult[], weights: JudgeConfig["weights"]): number {
  const conclusive = metrics.filter((m) => m.verdict !== "inconclusive");
  const sum = (ms: MetricResult[]) => ms.reduce((acc, m) => acc + weights[m.metric], 0);
  return Math.round((1000 * sum(conclusive.filter((m) => m.verdict === "pass"))) / sum(conclusive)) / 10;
}

function combine(
  metrics: MetricResult[],
  cfg: JudgeConfig,
  counts: string,
): Pick<Judgement, "score" | "verdict" | "reason"> {
  const failed = metrics.filter((m) => m.verdict === "fail" && cfg.weights[m.metric] > 0);
  const names = failed.map((m) => m.metric).join(", ") || "none";
  const missing = metrics.filter((m) => CORE.includes(m.metric) && m.verdict === "inconclusive");
  if (missing.length > 0) {
    // Missing data can only hold, never pass; it fails only when the failures already decide, i.e. even if
    // the missing core metrics passed ("zero-baseline: 0 against 3 errors with n=40 fails").
    const best = weightedScore(
      metrics.map((m) => (missing.includes(m) ? { ...m, verdict: "pass" } : m)),
      cfg.weights,
    );
    if (best < cfg.marginalScore) {
      return {
        score: best,
        verdict: "fail",
        reason: `fail: even if ${missing.map((m) => m.metric).join(" and ")} passed, the score would be ${best} < ${cfg.marginalScore} (failed: ${names}; ${counts})`,
      };
    }
    return {
      score: null,
      verdict: "inconclusive",
      reason: `inconclusive: errors or latency lacks data, so hold and probe; missing data never passes (failed: ${names}; ${counts})`,
    };
  }
  const score = weightedScore(metrics, cfg.weights);
  const base = `score ${score}, the weighted share of passing metrics among the conclusive ones (failed: ${names}; ${counts})`;
  if (score < cfg.marginalScore)
    return { score, verdict: "fail", reason: `fail: ${base} is below ${cfg.marginalScore}` };
  if (score < cfg.passScore)
    return { score, verdict: "marginal", reason: `marginal: ${base} is below ${cfg.passScore}` };
  if (failed.some((m) => cfg.weights[m.metric] >= cfg.weights.errors)) {
    return {
      score,
      verdict: "marginal",
      reason: `marginal: ${base}, but a failed metric weighing at least as much as errors caps it at marginal`,
    };
  }
  return { score, verdict: "pass", reason: `pass: ${base} reaches ${cfg.passScore}` };
}
