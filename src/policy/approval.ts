import type { Role } from "../security/roles";

export interface Actor {
  id: string;
  name: string;
  role: Role;
}

/** Who may approve a run: production needs an admin who did not request it; elsewhere a deployer. */
export function approvalRefusal(input: {
  production: boolean;
  requestedBy: string | null;
  approver: Actor;
}): string | null {
  const { production, requestedBy, approver } = input;
  if (approver.role === "viewer") return "viewers cannot approve runs";
  if (production && approver.role !== "admin") return "production runs need an admin's approval";
  if (production && requestedBy === approver.id) return "the requester cannot approve their own production run";
  return null;
}

/**
 * A short approval code bound to the run, the exact plan approved, the approver and an expiry:
 * HMAC(key, runId|planDigest|approverId|expiry) shown as 6 digits. Each approver gets their own code,
 * so a code forwarded to someone else approves nothing; a re-plan has another digest and another code.
 */
export async function approvalCode(
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
