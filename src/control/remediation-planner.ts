import type { RemediationPlanner } from "../monitor/types";
import { MONITOR_ACTOR } from "../monitor/types";
import { controlContext } from "./context";
import { createPlan } from "./plans";
import type { Services } from "./services";

/** The monitor's planner: remediate plans made as the monitor, auto-applied or awaiting approval as policy decided. */
export function remediationPlanner(services: Services): RemediationPlanner {
  const cx = controlContext(services, MONITOR_ACTOR);
  return {
    plan: (envId, params, mode) => createPlan(cx, envId, { type: "remediate", params }, { remediation: mode }),
  };
}
