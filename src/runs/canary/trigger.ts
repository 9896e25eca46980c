/**
 * The hard trigger, as a pure function of the soak's state and one check's samples, so its statistics
 * can be measured over thousands of seeded windows (canary-judge.test.ts) and not only watched in a run.
 */
import type { Judgement, JudgeConfig, TrackSample } from "../../monitor/judge";
import { judgeCanary, mergeSamples } from "../../monitor/judge";
import type { SamplePair } from "../step-state";
import { thin } from "./signals";

export type { SamplePair };

/** What one check carries to the next. */
export interface TriggerState {
  /** Windows too thin to judge, held until there is enough to say something ("probe harder"). */
  pending?: SamplePair;
  consecutiveFails: number;
}

export interface TriggerPolicy {
  hardTriggerChecks: number;
  severeErrorRate: number;
}

export interface CheckOutcome {
  judgement: Judgement;
  next: TriggerState;
  /** Why to roll back now, or null to keep soaking. */
  rollBack: string | null;
}

/** Below this many baseline requests, earlier steps' baseline stands in (at 100% the stable gets none). */
const THIN_BASELINE = 200;

/** The step's baseline, topped up with what earlier weight steps saw when it is too thin to compare against. */
export function withCarry(carry: TrackSample | undefined, baseline: TrackSample): TrackSample {
  return carry && baseline.requests < THIN_BASELINE ? mergeSamples(carry, baseline) : baseline;
}

/** Latencies thinned, so held and total windows stay small in DO storage. */
export function compact(pair: SamplePair): SamplePair {
  return {
    canary: { ...pair.canary, latenciesMs: thin(pair.canary.latenciesMs) },
    baseline: { ...pair.baseline, latenciesMs: thin(pair.baseline.latenciesMs) },
  };
}

/**
 * Judges one check's window (merged with held ones while they are inconclusive) and decides the hard
 * trigger: a 5xx or synthetic failure in `hardTriggerChecks` consecutive checks, or in one check where at
 * least `severeErrorRate` of the canary's requests failed. An inconclusive check neither counts nor resets.
 */
export function judgeCheck(
  state: TriggerState,
  window: SamplePair,
  cfg: JudgeConfig,
  policy: TriggerPolicy,
  carry?: TrackSample,
): CheckOutcome {
  const held = state.pending;
  const current = {
    canary: held ? mergeSamples(held.canary, window.canary) : window.canary,
    baseline: withCarry(carry, held ? mergeSamples(held.baseline, window.baseline) : window.baseline),
  };
  const judgement = judgeCanary(current.canary, current.baseline, cfg);
  const errorsFail = judgement.metrics.some((m) => m.metric === "errors" && m.verdict === "fail");
  // Synthetic checks count only for the window they ran in: a probe that failed once must not be
  // carried into every later merged judgement and turn one blip into "consecutive" failures.
  const hard = window.canary.synthetic.some((c) => !c.ok) || errorsFail;
  const consecutiveFails = hard
    ? state.consecutiveFails + 1
    : judgement.verdict === "inconclusive"
      ? state.consecutiveFails
      : 0;
  const next = { consecutiveFails, ...(judgement.verdict === "inconclusive" ? { pending: compact(current) } : {}) };
  const { requests, errors } = window.canary;
  // Half the canary's requests failing is not a blip: waiting one more interval only hurts users.
  const severe = errorsFail && requests > 0 && errors / requests >= policy.severeErrorRate;
  if (!hard || !(severe || consecutiveFails >= policy.hardTriggerChecks)) return { judgement, next, rollBack: null };
  return {
    judgement,
    next,
    rollBack: severe
      ? `${Math.round((100 * errors) / requests)}% of canary requests failing`
      : `${consecutiveFails} consecutive checks`,
  };
}
