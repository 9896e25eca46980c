import { findEnv, insertRevision, specAt } from "../db/environments";
import { AppError } from "../domain/errors";
import { EnvironmentSpec, diffSpecs } from "../domain/spec";
import type { SpecChange } from "../domain/spec";
import { requireRole } from "../security/roles";
import { recordForEnv } from "./audit";
import type { ControlContext } from "./context";

/**
 * Changes an environment's desired state as a new numbered revision with author and reason. The
 * revision number is the optimistic lock: two concurrent changes cannot both become revision N+1.
 */
export async function reviseSpec(
  cx: ControlContext,
  envRef: string,
  change: (spec: EnvironmentSpec) => unknown,
  reason: string,
): Promise<{ revision: number; diff: SpecChange[] }> {
  requireRole(cx.actor.role, "manage-environments");
  const row = await findEnv(cx.db, envRef);
  const { revision, spec } = await specAt(cx.db, row.id);
  const parsed = EnvironmentSpec.safeParse(change(structuredClone(spec)));
  if (!parsed.success)
    throw new AppError("invalid_request", "that change makes an invalid environment spec", parsed.error.issues);
  const { diff } = await insertRevision(
    cx.db,
    row.id,
    { revision, spec },
    parsed.data,
    cx.actor.id,
    reason,
    new Date(cx.now()).toISOString(),
  );
  if (diff.length === 0) return { revision, diff };
  await recordForEnv(cx, row.id, [
    {
      actor: cx.actor.id,
      action: "spec.revised",
      diffSummary: diff
        .map((d) => `${d.op} ${d.path}`)
        .join("; ")
        .slice(0, 1000),
      details: { revision: revision + 1, reason },
    },
  ]);
  return { revision: revision + 1, diff };
}

/** A new revision equal to an earlier one: config is rolled back like code. */
export async function revertSpec(cx: ControlContext, envRef: string, to: number, reason?: string) {
  const row = await findEnv(cx.db, envRef);
  const target = await specAt(cx.db, row.id, to);
  return reviseSpec(cx, envRef, () => target.spec, reason ?? `revert to revision ${to}`);
}

/** What the latest revision changed, for "show the last change to production". */
export async function lastChange(cx: ControlContext, envRef: string) {
  requireRole(cx.actor.role, "read");
  const row = await findEnv(cx.db, envRef);
  const latest = await specAt(cx.db, row.id);
  if (latest.revision === 1) return { revision: 1, diff: [] as SpecChange[] };
  const previous = await specAt(cx.db, row.id, latest.revision - 1);
  return { revision: latest.revision, diff: diffSpecs(previous.spec, latest.spec) };
}
