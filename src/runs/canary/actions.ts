/** What a canary step does when the judge has spoken: traffic back to stable, or a pause for a person. */
import { canaryTransition } from "../../domain/canary";
import { errorText } from "../../domain/errors";
import { isoAt } from "../../domain/time";
import type { StepContext, StepResult } from "../context";
import { canaryOf, routerOf, saveCanary } from "./executors";

/**
 * Traffic goes back to stable first, then the run is told: nothing waits on the rollback. `alreadyAtZero`:
 * the router was moved by report ingestion the moment the evidence crossed, so the step only records it.
 * The split is then taken out of the hostname's path (the edge router's route); a failure there leaves
 * traffic at 0% and is only noted.
 */
export async function rollBack(ctx: StepContext, reason: string, alreadyAtZero = false): Promise<StepResult> {
  let { canary, binding } = canaryOf(ctx);
  if (canary.phase !== "rolling-back") {
    canary = canaryTransition(canary, "rolling-back", isoAt(ctx.now()), reason);
    saveCanary(ctx, canary);
  }
  const router = routerOf(ctx);
  if (!alreadyAtZero) await router.setCanaryWeight(binding, 0);
  saveCanary(ctx, canaryTransition({ ...canary, weight: 0 }, "rolled-back", isoAt(ctx.now())));
  let note = "";
  await router.release(binding).catch((e: unknown) => {
    note = ` (the split stays in place at 0%: ${errorText(e)})`;
  });
  return { kind: "rollback", reason: `${reason}${note}` };
}

/** Stops the run for a person; the canary keeps its weight until they resume, promote or roll back. */
export function halt(ctx: StepContext, reason: string): StepResult {
  const { canary } = canaryOf(ctx);
  if (canary.phase !== "halted") saveCanary(ctx, canaryTransition(canary, "halted", isoAt(ctx.now()), reason));
  return { kind: "halt", reason };
}
