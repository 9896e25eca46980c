import { canonicalJson, sha256Hex } from "../domain/hash";
import type { Plan } from "../domain/run";

/** The digest of what a plan would do; approvals are bound to it, so a re-plan needs a new approval. */
export function planDigest(plan: Plan): Promise<string> {
  return sha256Hex(
    canonicalJson({
      id: plan.id,
      runId: plan.runId,
      type: plan.type,
      envId: plan.envId,
      params: plan.params,
      steps: plan.steps,
      specRevision: plan.specRevision,
    }),
  );
}
