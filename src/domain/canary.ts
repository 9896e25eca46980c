/** The canary phase machine (persisted in run outputs; advanced only through `canaryTransition`). */
export type CanaryPhase =
  /** split ensured, no traffic yet */
  | "idle"
  /** a weight step is soaking */
  | "progressing"
  /** the release is going onto the stable service */
  | "promoting"
  /** promoted: stable runs the release with all traffic */
  | "succeeded"
  /** bad signals: traffic is being moved back to stable */
  | "rolling-back"
  /** traffic is back on stable, canary drained */
  | "rolled-back"
  /** paused by a person or by a soft trigger without auto-rollback */
  | "halted";

const CANARY_TRANSITIONS: Record<CanaryPhase, readonly CanaryPhase[]> = {
  idle: ["progressing", "rolling-back", "halted"],
  progressing: ["progressing", "promoting", "rolling-back", "halted"],
  promoting: ["succeeded", "rolling-back"],
  succeeded: [],
  "rolling-back": ["rolled-back"],
  "rolled-back": [],
  halted: ["progressing", "promoting", "rolling-back"],
};

export interface CanaryState {
  phase: CanaryPhase;
  service: string;
  /** Current canary share, 0–100. */
  weight: number;
  steps: number[];
  stepIndex: number;
  /** Latest judgement summary, for status and SMS. */
  lastScore: number | null;
  history: { at: string; phase: CanaryPhase; weight: number; reason?: string }[];
}

/** Moves the canary to `to`, refusing transitions the machine does not have. */
export function canaryTransition(state: CanaryState, to: CanaryPhase, at: string, reason?: string): CanaryState {
  if (!CANARY_TRANSITIONS[state.phase].includes(to)) throw new Error(`canary cannot go from ${state.phase} to ${to}`);
  return { ...state, phase: to, history: [...state.history, { at, phase: to, weight: state.weight, reason }] };
}
