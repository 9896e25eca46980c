/**
 * Master-key rotation, the way an operator does it: set the new SECRETS_MASTER_KEY (and its id) with the
 * old key kept in SECRETS_PREVIOUS_KEYS, then ask for this — one rotate-master-key run per environment that
 * holds secrets re-seals them with the new key, audited step by step and resumable. When every run has
 * succeeded the old key can leave SECRETS_PREVIOUS_KEYS. Approval codes derive from APPROVAL_KEY, so the
 * ones outstanding meanwhile stay valid.
 */
import { findEnv } from "../db/environments";
import { envsWithSecrets } from "../db/secrets";
import { AppError, errorText } from "../domain/errors";
import { requireRole } from "../security/roles";
import type { ControlContext } from "./context";
import { applyPlan, createPlan } from "./plans";

/** One environment's part of a rotation: its run, or why it has none. */
export type MasterKeyRotation =
  | { env: string; planId: string; run: { id: string; status: string } }
  | { env: string; error: { code: string; message: string } };

/** Plans and applies a rotate-master-key run in every environment that holds secrets. */
export async function rotateMasterKey(cx: ControlContext): Promise<MasterKeyRotation[]> {
  requireRole(cx.actor.role, "manage-secrets");
  const out: MasterKeyRotation[] = [];
  for (const envId of await envsWithSecrets(cx.db)) {
    const env = (await findEnv(cx.db, envId)).env;
    try {
      const plan = await createPlan(cx, env, { type: "rotate-master-key", params: {} });
      const run = await applyPlan(cx, plan.id);
      out.push({ env, planId: plan.id, run: { id: run.id, status: run.status } });
    } catch (e) {
      // One environment's refusal (a rotation already queued there) leaves the others to go on.
      if (!(e instanceof AppError)) throw e;
      out.push({ env, error: { code: e.code, message: errorText(e) } });
    }
  }
  return out;
}
