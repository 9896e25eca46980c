/** The run engine as the monitor sees it: the canary in flight, halting it, queueing a remediation. */
import type { RunEngine } from "../runs/engine";
import type { RunStore } from "../runs/store";
import type { CanaryInFlight, MonitoredRuns } from "./types";
import { MONITOR_ACTOR } from "./types";

/** MonitoredRuns over the environment's run store and engine (the same object's). */
export function createMonitoredRuns(store: RunStore, engine: RunEngine): MonitoredRuns {
  return {
    canary: () => canaryInFlight(store),
    async halt(runId) {
      await engine.stop(runId, MONITOR_ACTOR);
    },
    async start(plan) {
      return { id: (await engine.enqueue(plan, MONITOR_ACTOR)).id };
    },
    async withdraw(runId, reason) {
      const run = store.getRun(runId);
      if (!run || (run.status !== "awaiting-approval" && run.status !== "queued")) return false;
      await engine.cancel(runId, MONITOR_ACTOR, reason);
      return true;
    },
  };
}

function canaryInFlight(store: RunStore): CanaryInFlight | null {
  const run = store.runsIn(["running"]).find((r) => r.outputs.traffic && r.outputs.canary);
  if (!run?.outputs.traffic) return null;
  // The weight step under way may have moved the traffic before the run could record it.
  const underWay = store.steps(run.id).find((s) => s.kind === "canary-step" && s.status !== "succeeded");
  return {
    runId: run.id,
    binding: run.outputs.traffic,
    weight: run.outputs.canary?.weight ?? 0,
    moving: underWay?.kind === "canary-step" ? [0, underWay.params.weight] : [0],
  };
}
