/**
 * Looks as people see them: one small record per verdict (the combined evidence against 1/α, each metric's
 * e-value against its own threshold, the samples), kept in run outputs for the live chart and metrics.json.
 * The edge router looks every second, so the list is thinned as it grows: older looks are halved, the
 * newest are kept whole, and a look that decided something is never dropped.
 */
import { z } from "zod";
import type { SequentialVerdict } from "../../monitor/sequential/judge";
import { isoAt } from "../../domain/time";

export const LookMetric = z.object({
  metric: z.enum(["errors", "latency", "logs", "synthetic"]),
  /** ln of the metric's e-value, and the ln(1/(weight·α)) it would need alone. */
  logE: z.number(),
  logThreshold: z.number(),
  /** Units behind each side (requests, durations, checks) over the rollout. */
  canary: z.number(),
  baseline: z.number(),
});

export const CanaryLook = z.object({
  /** When the data of the look were produced (the router's second, the end of a check's window). */
  at: z.string(),
  weight: z.number(),
  step: z.number().int(),
  /** ln of the weighted mean of e-values, and ln(1/α). */
  logEvidence: z.number(),
  logThreshold: z.number(),
  samples: z.object({ canary: z.number(), baseline: z.number(), stepCanary: z.number() }),
  metrics: z.array(LookMetric),
  decision: z.enum(["rollback", "continue"]),
});
export type CanaryLook = z.infer<typeof CanaryLook>;

/** Looks kept per run: enough for a chart of every step, small enough to publish on each step wake. */
export const MAX_LOOKS = 240;
/** The newest looks are never thinned. */
const KEEP_RECENT = 60;

// JSON has no infinities; an e-value of e^±1e6 reads the same on any chart.
const finite = (v: number) => (Number.isFinite(v) ? v : v > 0 ? 1e6 : -1e6);

/** The look a verdict makes at `at` (ms) in weight step `step`. */
export function lookOf(verdict: SequentialVerdict, at: number, step: { index: number; weight: number }): CanaryLook {
  return {
    at: isoAt(at),
    weight: step.weight,
    step: step.index,
    logEvidence: finite(verdict.logEvidence),
    logThreshold: verdict.logThreshold,
    samples: verdict.samples,
    metrics: verdict.metrics.map((m) => ({
      metric: m.metric,
      logE: finite(m.logE),
      logThreshold: m.logThreshold,
      canary: m.canary.n,
      baseline: m.baseline.n,
    })),
    decision: verdict.decision,
  };
}

/**
 * At most `max` looks, oldest first: the newest KEEP_RECENT whole, every other older one, and never a look that
 * decided a rollback or began a step (the chart shows where each weight began). Thinned again until it fits.
 */
export function thinLooks(looks: CanaryLook[], max = MAX_LOOKS): CanaryLook[] {
  let out = looks;
  while (out.length > max) {
    const old = out.slice(0, out.length - KEEP_RECENT);
    const recent = out.slice(out.length - KEEP_RECENT);
    const thinned = old.filter(
      (l, i) => i % 2 === 0 || l.decision === "rollback" || (i > 0 && old[i - 1].step !== l.step),
    );
    if (thinned.length === old.length) break;
    out = [...thinned, ...recent];
  }
  return out;
}
