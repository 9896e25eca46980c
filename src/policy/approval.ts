/**
 * Approval policy, in one place: which runs need an admin who did not ask for them, who may approve a
 * run, and the approver's own code. The engine, the notifier, the API and SMS all ask here.
 */
import { isProduction } from "../domain/env-ref";
import type { Approvals } from "../domain/run";
import type { Role } from "../security/roles";

export interface Actor {
  id: string;
  name: string;
  role: Role;
}

/** What approval policy reads of a run. */
export interface ApprovalSubject {
  id: string;
  /** "<project>:<env>" */
  env: string;
  /** The plan asked for an approver (policy or a destructive change). */
  requiresApproval: boolean;
  requestedBy: string | null;
  approvals: Approvals | null;
}

/** Whether approving takes an admin other than the requester: production, or a plan that requires approval. */
export function needsApproval(run: Pick<ApprovalSubject, "env" | "requiresApproval">): boolean {
  return isProduction(run.env) || run.requiresApproval;
}

/** Whether `approver` may approve `run`, and why not: viewers never; where approval is needed, another admin. */
export function mayApprove(
  approver: Actor,
  run: Pick<ApprovalSubject, "env" | "requiresApproval" | "requestedBy">,
): { ok: true } | { ok: false; reason: string } {
  if (approver.role === "viewer") return { ok: false, reason: "viewers cannot approve runs" };
  if (!needsApproval(run)) return { ok: true };
  if (approver.role !== "admin") return { ok: false, reason: "production runs need an admin's approval" };
  if (run.requestedBy === approver.id)
    return { ok: false, reason: "the requester cannot approve their own production run" };
  return { ok: true };
}

/**
 * The code `approver` answers with ("YES 482193"), or null when the run has no approvals to give or they
 * may not give one. Keyed with `key`, so a code cannot be computed without the control plane's secret.
 */
export async function approvalCodeFor(key: string, run: ApprovalSubject, approver: Actor): Promise<string | null> {
  if (!run.approvals || !mayApprove(approver, run).ok) return null;
  return approvalCode(key, run.id, run.approvals.planDigest, approver.id, run.approvals.expiresAt);
}

/**
 * A short approval code bound to the run, the exact plan approved, the approver and an expiry:
 * HMAC(key, runId|planDigest|approverId|expiry) shown as 6 digits. Each approver gets their own code,
 * so a code forwarded to someone else approves nothing; a re-plan has another digest and another code.
 */
async function approvalCode(
  key: string,
  runId: string,
  planDigest: string,
  approverId: string,
  expiresAt: string,
): Promise<string> {
  const hmacKey = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(`approval:${key}`),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign(
      "HMAC",
      hmacKey,
      new TextEncoder().encode(`${runId}|${planDigest}|${approverId}|${expiresAt}`),
    ),
  );
  const n = ((mac[0] << 24) | (mac[1] << 16) | (mac[2] << 8) | mac[3]) >>> 0;
  return String(n % 1_000_000).padStart(6, "0");
}
