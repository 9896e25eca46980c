import { PlannedStep, type StepDraft } from "../domain/steps";

/**
 * Gives planned steps their ids: "s05-migrate-api", "s09-canary-step-50". Ids are stable for a plan, name
 * what they act on, and stay unique when one kind repeats (one deploy per service, one step per weight).
 * Each step is parsed here, once, so a plan holds only parameters its executors can read.
 */
export function numberSteps(steps: StepDraft[]): PlannedStep[] {
  return steps.map((s, i) => {
    const suffix =
      s.kind === "canary-step"
        ? `-${s.params.weight}`
        : s.kind === "deploy-service" || s.kind === "migrate" || s.kind === "rollback-service"
          ? `-${s.params.service}`
          : "";
    return PlannedStep.parse({ ...s, id: `s${String(i + 1).padStart(2, "0")}-${s.kind}${suffix}` });
  });
}
