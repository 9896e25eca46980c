/**
 * The sequential judge's decision as metrics.json and incident.md record it: per metric its e-value against
 * the threshold it alone would need, H0's margin in words, α, and the samples on both sides.
 */
import { describeMetric, describeVerdict, formatEValue, marginText } from "../../monitor/sequential/explain";
import { evaluateSequential } from "../../monitor/sequential/judge";
import { isoAt } from "../../domain/time";
import type { SequentialOutputs } from "../outputs";

export interface JudgeDecision {
  /** rollback: the evidence crossed 1/α; otherwise where it stands now. */
  decision: "rollback" | "continue";
  router: SequentialOutputs["router"];
  alpha: number;
  /** The weighted mean of e-values (as a number, and in words) against 1/α. */
  evidence: string;
  threshold: string;
  logEvidence: number;
  logThreshold: number;
  /** When the evidence first crossed, at which look and weight step; null when it never did. */
  crossed: { at: string; look: number; metric: string } | null;
  step: { index: number; weight: number; canaryRequests: number; canaryLatencies: number; extended: boolean };
  samples: { canary: number; baseline: number; stepCanary: number; leadIn: number };
  metrics: {
    metric: string;
    weight: number;
    e: string;
    aloneNeeds: string;
    margin: string;
    canary: { n: number; value: number | null; events: number };
    baseline: { n: number; value: number | null; events: number };
    summary: string;
  }[];
  /** The verdict in one sentence. */
  summary: string;
}

/** The judge's decision as people read it. */
export function judgeDecision(judge: SequentialOutputs): JudgeDecision {
  const { config, state } = judge;
  const verdict = evaluateSequential(state, config);
  const rollback = state.rollback;
  return {
    decision: rollback ? "rollback" : "continue",
    router: judge.router,
    alpha: config.alpha,
    evidence: formatEValue(rollback?.evidence ?? verdict.logEvidence),
    threshold: formatEValue(verdict.logThreshold),
    logEvidence: rollback?.evidence ?? verdict.logEvidence,
    logThreshold: verdict.logThreshold,
    crossed: rollback ? { at: isoAt(rollback.at), look: rollback.look, metric: rollback.metric } : null,
    step: {
      index: state.step.index,
      weight: state.step.weight,
      canaryRequests: state.step.canaryRequests,
      canaryLatencies: state.step.canaryLatencies,
      extended: state.step.extended,
    },
    samples: { ...verdict.samples, leadIn: judge.leadIn?.requests ?? 0 },
    metrics: verdict.metrics.map((m) => ({
      metric: m.metric,
      weight: Number(m.weight.toFixed(4)),
      e: formatEValue(m.logE),
      aloneNeeds: formatEValue(m.logThreshold),
      margin: marginText(m.metric, config),
      canary: { ...m.canary, events: m.events.canary },
      baseline: { ...m.baseline, events: m.events.baseline },
      summary: describeMetric(m, config),
    })),
    summary: rollback?.reason ?? describeVerdict(verdict, config),
  };
}

/** incident.md's section on the judge's decision. */
export function decisionMarkdown(judge: SequentialOutputs): string[] {
  const d = judgeDecision(judge);
  const value = (metric: string, v: number | null) =>
    v === null ? "–" : metric === "latency" ? `p95 ${Math.round(v)} ms` : `${(v * 100).toFixed(2)}%`;
  return [
    "## The judge's decision",
    `- **Rule:** roll back once the weighted mean of the metrics' e-values reaches 1/α = ${d.threshold} (α = ${d.alpha} over the whole rollout, however often it looks)`,
    `- **Evidence:** ${d.evidence}${d.crossed ? `, first over 1/α at ${d.crossed.at} (look ${d.crossed.look}, led by ${d.crossed.metric})` : ", never over 1/α"}`,
    `- **Router:** ${d.router === "edge" ? "edge router (per-second reports of every request)" : "load balancer (Railway logs per check interval)"}`,
    `- **Samples:** canary ${d.samples.canary} requests (${d.samples.stepCanary} in the ${d.step.weight}% step), baseline ${d.samples.baseline} (${d.samples.leadIn} of them stable-only before the first step)`,
    "",
    "| metric | e-value | alone needs | H0 (margin) | canary | baseline |",
    "|---|---|---|---|---|---|",
    ...d.metrics.map(
      (m) =>
        `| ${m.metric} | ${m.e} | ${m.aloneNeeds} | ${m.margin} | ${m.canary.events} events, ${value(m.metric, m.canary.value)} (n=${m.canary.n}) | ${m.baseline.events} events, ${value(m.metric, m.baseline.value)} (n=${m.baseline.n}) |`,
    ),
    "",
    `Verdict: ${d.summary}`,
  ];
}
