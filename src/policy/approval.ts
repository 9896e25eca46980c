/**
 * Approval policy, in one place: which runs need an admin who neither planned nor asked for them, who may
 * approve a run, the approver's own code, how codes are compared, and how many wrong ones a sender gets.
 * The engine, the notifier, the API, chat and SMS all ask here.
 */
import { isProduction } from "../domain/env-ref";
import type { Keyring } from "../domain/keyring";
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

/**
 * Whether `approver` may approve `run`, and why not: viewers never; where approval is needed, an admin who
 * is neither the run's requester (who applied it) nor its plan's author.
 */
export function mayApprove(
  approver: Actor,
  run: Pick<ApprovalSubject, "env" | "requiresApproval" | "requestedBy"> & { approvals?: Approvals | null },
): { ok: true } | { ok: false; reason: string } {
  if (approver.role === "viewer") return { ok: false, reason: "viewers cannot approve runs" };
  if (!needsApproval(run)) return { ok: true };
  if (approver.role !== "admin") return { ok: false, reason: "production runs need an admin's approval" };
  if (run.requestedBy === approver.id)
    return { ok: false, reason: "the requester cannot approve their own production run" };
  if (run.approvals?.plannedBy === approver.id)
    return { ok: false, reason: "the author of a plan cannot approve it: another admin must" };
  return { ok: true };
}

/**
 * The code `approver` answers with ("YES 482193"), or null when the run has no approvals to give or they
 * may not give one. Derived from APPROVAL_KEY (the id recorded with the run), never from the secrets
 * master key, so rotating the master key leaves every outstanding code as it was.
 */
export async function approvalCodeFor(keys: Keyring, run: ApprovalSubject, approver: Actor): Promise<string | null> {
  if (!run.approvals || !mayApprove(approver, run).ok) return null;
  const { planDigest, expiresAt, codeKeyId } = run.approvals;
  return sixDigits(
    await keys.sign(codeKeyId ?? keys.currentId, `approval|${run.id}|${planDigest}|${approver.id}|${expiresAt}`),
  );
}

/** What a two-step SMS command binds its confirmation code to: the plan, the person, their phone, the deadline. */
export interface Confirmation {
  planId: string;
  userId: string;
  phone: string;
  expiresAt: string;
  keyId: string;
}

/** The code that confirms a two-step SMS command ("ROLLBACK production" → "YES 731904"). */
export async function confirmationCode(keys: Keyring, c: Confirmation): Promise<string> {
  return sixDigits(await keys.sign(c.keyId, `confirm|${c.planId}|${c.userId}|${c.phone}|${c.expiresAt}`));
}

/** How long an SMS confirmation code is good for (API.md "Webhooks": "within 5 minutes"). */
export const CONFIRMATION_TTL_MS = 5 * 60_000;

/** Wrong codes a sender (a phone or a user) may enter in the window before code entry locks (API.md "Webhooks"). */
export const CODE_LOCKOUT = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } as const;

/** Whether a code someone typed is the expected one, in time that does not depend on where they differ. */
export function sameCode(typed: string, expected: string | null): boolean {
  if (expected === null) return false;
  const a = new TextEncoder().encode(typed);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** Six decimal digits from the first 32 bits of a hex MAC. */
function sixDigits(macHex: string): string {
  return String(Number.parseInt(macHex.slice(0, 8), 16) % 1_000_000).padStart(6, "0");
}
