import type { PlannedStep } from "../domain/run";

/**
 * Gives planned steps their ids: "s05-migrate-api", "s09-canary-step-50". Ids are stable for a plan, name
 * what they act on, and stay unique when one kind repeats (one deploy per service, one step per weight).
 */
export function numberSteps(steps: Omit<PlannedStep, "id">[]): PlannedStep[] {
  return steps.map((s, i) => {
    const suffix =
      s.kind === "canary-step"
        ? `-${String(s.params.weight)}`
        : ["deploy-service", "migrate", "rollback-service"].includes(s.kind)
          ? `-${String(s.params.service)}`
          : "";
    return { ...s, id: `s${String(i + 1).padStart(2, "0")}-${s.kind}${suffix}` };
  });
}
