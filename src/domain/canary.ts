import { z } from "zod";

/** The canary phase machine (persisted in run outputs; advanced only through `canaryTransition`). */
export const CanaryPhase = z.enum([
  /** split ensured, no traffic yet */
  "idle",
  /** a weight step is soaking */
  "progressing",
  /** the release is going onto the stable service */
  "promoting",
  /** promoted: stable runs the release with all traffic */
  "succeeded",
  /** bad signals: traffic is being moved back to stable */
  "rolling-back",
  /** traffic is back on stable, canary drained */
  "rolled-back",
  /** paused by a person or by a soft trigger without auto-rollback */
  "halted",
]);
export type CanaryPhase = z.infer<typeof CanaryPhase>;

const CANARY_TRANSITIONS: Record<CanaryPhase, readonly CanaryPhase[]> = {
  idle: ["progressing", "rolling-back", "halted"],
  progressing: ["progressing", "promoting", "rolling-back", "halted"],
  promoting: ["succeeded", "rolling-back"],
  succeeded: [],
  "rolling-back": ["rolled-back"],
  "rolled-back": [],
  halted: ["progressing", "promoting", "rolling-back"],
};

/** One phase change of a canary, with the weight it had then. */
export const CanaryHistoryEntry = z.object({
  at: z.string(),
  phase: CanaryPhase,
  weight: z.number(),
  reason: z.string().optional(),
});

/** A run's canary as its steps persist it in run outputs. */
export const CanaryState = z.object({
  phase: CanaryPhase,
  service: z.string(),
  /** Current canary share, 0–100. */
  weight: z.number(),
  /** The weight steps, in order. */
  steps: z.array(z.number()),
  stepIndex: z.number().int(),
  /** Latest judgement summary, for status and SMS. */
  lastScore: z.number().nullable(),
  history: z.array(CanaryHistoryEntry),
});
export type CanaryState = z.infer<typeof CanaryState>;

/** Moves the canary to `to`, refusing transitions the machine does not have. */
export function canaryTransition(state: CanaryState, to: CanaryPhase, at: string, reason?: string): CanaryState {
  if (!CANARY_TRANSITIONS[state.phase].includes(to)) throw new Error(`canary cannot go from ${state.phase} to ${to}`);
  return { ...state, phase: to, history: [...state.history, { at, phase: to, weight: state.weight, reason }] };
}
