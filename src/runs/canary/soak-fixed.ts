import { canaryTransition } from "../../domain/canary";
import type { Judgement, TrackSample } from "../../monitor/judge";
import { DEFAULT_JUDGE_CONFIG, judgeCanary, mergeSamples } from "../../monitor/judge";
import type { StepContext, StepExecutor } from "../context";
import { halt, rollBack } from "./actions";
import { canaryOf, routerOf, saveCanary } from "./executors";
import { sampleBoth, summarize } from "./signals";
import { compact, judgeCheck, withCarry } from "./trigger";
import { isoAt } from "../../domain/time";

/** Soak limit for inconclusive data: after this many soak lengths without a verdict, a person decides. */
const MAX_SOAK_EXTENSIONS = 3;

/**
 * One canary weight step under the fixed-window judge (runs that started before the sequential judge, or
 * `policies.canary.judge: "fixed-window"`): set the weight, then every interval sample canary and baseline, judge them,
 * roll back on a hard trigger (N consecutive failing checks), and at the end of the soak judge the whole
 * step (soft trigger: roll back where policy allows, otherwise halt for a decision).
 */
export const fixedWindowStep: StepExecutor<"canary-step"> = async (ctx) => {
  const { weight, index } = ctx.step.params;
  const policy = ctx.env.spec.policies.canary;
  const intervalMs = policy.intervalSeconds * 1000;
  const { state } = ctx.step;
  let { canary, binding } = canaryOf(ctx);
  if (ctx.run.outputs.promoteNow) return { kind: "done", note: "soak skipped: promote now was requested" };
  // A halted canary that runs again was resumed by a person: carry on, and accept a failed soak verdict.
  const resumed = canary.phase === "halted";
  if (resumed && state.startedAt !== undefined)
    saveCanary(ctx, (canary = canaryTransition(canary, "progressing", isoAt(ctx.now()), "resumed")));
  if (state.startedAt === undefined) {
    await routerOf(ctx).setCanaryWeight(binding, weight);
    canary = canaryTransition(
      { ...canary, weight, stepIndex: index },
      "progressing",
      isoAt(ctx.now()),
      `weight ${weight}%`,
    );
    saveCanary(ctx, canary);
    state.startedAt = state.windowEnd = ctx.now();
    state.checks = 0;
    state.consecutiveFails = 0;
    ctx.save();
    return { kind: "wait", ms: intervalMs * ctx.timing.waitFactor, note: `${weight}% to ${canary.service}-canary` };
  }
  const start = state.windowEnd ?? state.startedAt;
  const window = { start, end: ctx.timing.simulated ? start + intervalMs : ctx.now() };
  const { canarySample, baselineSample } = await sampleBoth(ctx, canary.service, window, state);
  const outcome = judgeCheck(
    { pending: state.pending, consecutiveFails: state.consecutiveFails ?? 0 },
    { canary: canarySample, baseline: baselineSample },
    DEFAULT_JUDGE_CONFIG,
    policy,
    ctx.run.outputs.baselineCarry,
  );
  const { judgement } = outcome;
  state.pending = outcome.next.pending;
  state.consecutiveFails = outcome.next.consecutiveFails;
  state.total = compact(
    state.total
      ? {
          canary: mergeSamples(state.total.canary, canarySample),
          baseline: mergeSamples(state.total.baseline, baselineSample),
        }
      : { canary: canarySample, baseline: baselineSample },
  );
  state.windowEnd = window.end;
  state.checks = (state.checks ?? 0) + 1;
  recordCheck(ctx, weight, state.checks, judgement, canarySample, baselineSample, window.end - state.startedAt);
  saveCanary(ctx, { ...canary, lastScore: judgement.score ?? canary.lastScore });
  if (outcome.rollBack) return rollBack(ctx, `hard trigger: ${failing(judgement)} — ${outcome.rollBack} at ${weight}%`);
  const soaked = window.end - state.startedAt >= policy.soakSeconds * 1000;
  if (!soaked) return { kind: "wait", ms: intervalMs * ctx.timing.waitFactor, note: progressNote(weight, judgement) };
  const step = judgeCanary(state.total.canary, withCarry(ctx.run.outputs.baselineCarry, state.total.baseline));
  saveCanary(ctx, { ...canaryOf(ctx).canary, lastScore: step.score });
  if (step.verdict === "fail" && resumed)
    return { kind: "done", note: `resumed by a person at ${weight}% despite score ${step.score ?? "?"}` };
  if (step.verdict === "fail") {
    const reason = `soft trigger: score ${step.score ?? "?"} over the ${policy.soakSeconds}s soak at ${weight}% (${failing(step)})`;
    if (ctx.env.spec.policies.autoRollback) return rollBack(ctx, reason);
    return halt(ctx, `${reason}; auto-rollback is off, so a person decides: resume, promote or rollback`);
  }
  if (step.verdict === "inconclusive") {
    if (window.end - state.startedAt < MAX_SOAK_EXTENSIONS * policy.soakSeconds * 1000)
      return {
        kind: "wait",
        ms: intervalMs * ctx.timing.waitFactor,
        note: "not enough traffic to judge yet: soaking longer",
      };
    return halt(ctx, `still not enough traffic to judge after ${MAX_SOAK_EXTENSIONS} soak windows at ${weight}%`);
  }
  ctx.run.outputs.baselineCarry = compact({ canary: state.total.baseline, baseline: state.total.baseline }).baseline;
  ctx.save();
  return {
    kind: "done",
    note: `${weight}% soaked: score ${step.score} (${step.verdict}; canary n=${step.samples.canary}, baseline n=${step.samples.baseline})`,
  };
};

function recordCheck(
  ctx: StepContext,
  weight: number,
  check: number,
  j: Judgement,
  canary: TrackSample,
  baseline: TrackSample,
  soakedMs: number,
): void {
  const now = ctx.now();
  ctx.run.outputs.canaryChecks = [
    ...(ctx.run.outputs.canaryChecks ?? []),
    {
      at: isoAt(now),
      // Simulated soaks run faster than the clock: the check's place in the soak is kept apart from the time.
      soakSeconds: Math.round(soakedMs / 1000),
      ...(ctx.timing.simulated ? { simulated: true } : {}),
      weight,
      check,
      verdict: j.verdict,
      score: j.score,
      metrics: j.metrics,
      canary: summarize(canary),
      baseline: summarize(baseline),
    },
  ];
  ctx.save();
}

function failing(j: Judgement): string {
  const bad = j.metrics.filter((m) => m.verdict === "fail");
  return bad.length
    ? bad
        .map((m) => `${m.metric} ${fmt(m.canary.value)} vs ${fmt(m.baseline.value)} (n=${m.canary.n}/${m.baseline.n})`)
        .join("; ")
    : j.verdict;
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v < 1 ? `${(v * 100).toFixed(1)}%` : v.toFixed(0));

function progressNote(weight: number, j: Judgement): string {
  return `${weight}%: ${j.verdict}${j.score === null ? "" : ` score ${j.score}`} (canary n=${j.samples.canary}, baseline n=${j.samples.baseline})`;
}
