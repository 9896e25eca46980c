/**
 * The anytime-valid judge in words: H0 per metric, and one sentence per verdict with the e-value, the
 * threshold, the margin and the samples. Kept apart from the numbers, which are computed at every look
 * (every second with the edge router), while sentences are needed only when something is decided or shown.
 */
import type { SequentialJudgeConfig, SequentialMetricName } from "./config";
import type { SequentialMetric, SequentialVerdict } from "./judge";

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const ms = (v: number | null | undefined) =>
  v === null || v === undefined ? "?" : Number.isFinite(v) ? `${Math.round(v)}ms` : "∞";

/** The metric contributing most to the weighted mean. */
export function strongest(metrics: SequentialMetric[]): SequentialMetric {
  return metrics.reduce((a, m) => (Math.log(m.weight) + m.logE > Math.log(a.weight) + a.logE ? m : a));
}

/** An e-value for people: three digits, or e^x once it is astronomically large. */
export function formatEValue(logE: number): string {
  return logE > Math.log(1e6) ? `e^${logE.toFixed(1)}` : Math.exp(logE).toPrecision(3);
}

/** H0 of a metric in words, e.g. "5xx ≤ baseline × 1.5 + 1.00%". */
export function marginText(metric: SequentialMetricName, cfg: SequentialJudgeConfig): string {
  switch (metric) {
    case "errors":
      return `5xx ≤ baseline × ${1 + cfg.errors.relativeMargin} + ${pct(cfg.errors.absoluteMargin)}`;
    case "synthetic":
      return `failed checks ≤ baseline × ${1 + cfg.synthetic.relativeMargin} + ${pct(cfg.synthetic.absoluteMargin)}`;
    case "logs":
      return `each pattern's lines per request ≤ baseline × ${1 + cfg.logs.relativeMargin} + ${cfg.logs.absoluteMargin}`;
    case "latency":
      return `latency ≤ baseline × ${1 + cfg.latency.relativeMargin} + ${cfg.latency.absoluteMarginMs}ms at the p${Math.round(cfg.latency.quantile * 100)}`;
  }
}

/** One metric: its e-value, what it alone would need, H0, and the counts behind it. */
export function describeMetric(m: SequentialMetric, cfg: SequentialJudgeConfig): string {
  const head = `e=${formatEValue(m.logE)} (alone needs ${formatEValue(m.logThreshold)}) against ${marginText(m.metric, cfg)}`;
  const { canary: c, baseline: b, events: x } = m;
  switch (m.metric) {
    case "errors":
      return `${head}: 5xx canary ${x.canary}/${c.n}, baseline ${x.baseline}/${b.n}`;
    case "synthetic":
      return `${head}: failed checks canary ${x.canary}/${c.n}, baseline ${x.baseline}/${b.n}`;
    case "logs":
      return `${head}: critical lines canary ${x.canary} in ${c.n} requests, baseline ${x.baseline} in ${b.n}; strongest "${m.pattern}"`;
    case "latency": {
      const q = `p${Math.round(cfg.latency.quantile * 100)}`;
      const l = m.latency;
      if (!l || l.thresholdMs === null) return `${head}: baseline too thin for a ${q} yet (n=${b.n})`;
      return `${head}: canary ${x.canary}/${l.compared.canary} above ${ms(l.thresholdMs)}, baseline ${x.baseline}/${l.compared.baseline} above its ${q} ${ms(l.referenceMs)}; ${q} now canary ${ms(c.value)} (n=${c.n}), baseline ${ms(b.value)} (n=${b.n})`;
    }
  }
}

/** The verdict in one sentence: combined evidence against 1/α, the strongest metric, the samples. */
export function describeVerdict(v: SequentialVerdict, cfg: SequentialJudgeConfig): string {
  const lead = strongest(v.metrics);
  const relation = v.decision === "rollback" ? "≥" : "<";
  const counts = `canary n=${v.samples.canary}, baseline n=${v.samples.baseline}`;
  return `evidence ${formatEValue(v.logEvidence)} ${relation} 1/α = ${formatEValue(v.logThreshold)}; strongest ${lead.metric}: ${describeMetric(lead, cfg)} (${counts})`;
}
