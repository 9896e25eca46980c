/** SMS texts: env, run, releases, score, action taken, next step and a link — short enough for one or two segments. */
import { envNameOf } from "../domain/env-ref";

export interface RunFacts {
  env: string;
  runId: string;
  type: string;
  from?: string;
  to?: string;
  link: string;
}

const releases = (f: RunFacts) => (f.from || f.to ? ` ${f.from ?? "?"}→${f.to ?? "?"}` : "");

/** "Approval needed" with the approver's own code. */
export function approvalNeededText(f: RunFacts, code: string, expiresAt: string): string {
  return `Infra Chat: ${f.type}${releases(f)} on ${f.env} needs approval (run ${f.runId}). Reply YES ${code} to approve or NO ${code} to reject; expires ${expiresAt.slice(0, 16).replace("T", " ")} UTC. ${f.link}`;
}

/** " Score 42." for a fixed-window canary; the sequential judge's reason carries its evidence instead. */
const scoreText = (score: number | null) => (score === null ? "" : ` Score ${score}.`);

/** A canary was rolled back automatically. */
export function rolledBackText(f: RunFacts, score: number | null, reason: string): string {
  return `Infra Chat: ROLLED BACK ${f.env} canary${releases(f)} (run ${f.runId}).${scoreText(score)} Why: ${reason}. Action: 100% traffic back on stable ${f.from ?? ""}. Next: read the incident, fix, redeploy. ${f.link}`;
}

/** A canary was halted and needs a decision. */
export function haltedText(f: RunFacts, score: number | null, reason: string): string {
  return `Infra Chat: canary on ${f.env} HALTED${releases(f)} (run ${f.runId}).${scoreText(score)} ${reason}. Reply ROLLBACK ${envNameOf(f.env)} to roll back, or resume/promote in chat. ${f.link}`;
}

/** A run failed. */
export function failedText(f: RunFacts, error: string): string {
  return `Infra Chat: ${f.type} on ${f.env} FAILED (run ${f.runId}): ${error.slice(0, 300)}. Current release unchanged. Next: read incident.md. ${f.link}`;
}
