/** Plain-text chat replies about environments, runs and the audit log: pure, from the data a handler read. */
import { byReason } from "../domain/backfill-policy";
import { isTerminal, type RunStatus } from "../domain/run";
import type { SpecChange } from "../domain/spec";
import type { BackfillProgress } from "../runs/outputs";
import { renderDiff } from "./render";

/**
 * "Backfill run_… is running: 1200 of 10000 processed, …"; an ended backfill says why it ended (the
 * verification's verdict, or the run's error, which already carries it).
 */
export function renderBackfillProgress(
  run: { id: string; status: RunStatus; error?: string | null },
  p: BackfillProgress,
): string {
  const reasons = p.failedByReason
    ? byReason(p.failedByReason, "")
    : [...new Set(p.failureSamples.map((f) => f.reason))].join(", ");
  const ended = isTerminal(run.status);
  const outcome = run.error ? ` ${run.error}.` : ended && p.verification ? ` ${p.verification.summary}.` : "";
  return `Backfill ${run.id} is ${run.status}: ${p.processed}${p.total ? ` of ${p.total}` : ""} processed, ${p.failed} failed${reasons ? ` (${reasons})` : ""}, ${p.ratePerMinute} rows/min${p.etaSeconds && !ended ? `, about ${Math.ceil(p.etaSeconds / 60)} min left` : ""}.${p.note ? ` ${p.note}.` : ""}${outcome}`;
}

/** The auto-apply policy after a change ("policy" intent). */
export function renderAutoApplyPolicy(env: string, autoApply: boolean, change: { revision: number } | null): string {
  if (!change) return `${env} already ${autoApply ? "auto-applies" : 'waits for "apply"'}; nothing changed.`;
  return `${env} revision ${change.revision}: plans now ${autoApply ? "apply themselves where approval isn't required" : 'wait for "apply"'}.`;
}

/** What happens next with a plan that waits for "apply". */
export function renderNextStep(plan: { requiresApproval: boolean }, offerCancel = true): string {
  if (plan.requiresApproval) return 'Say "apply" to queue it; an admin other than you must then approve it.';
  return offerCancel ? 'Say "apply" to run it, or "cancel".' : 'Say "apply" to run it.';
}

/** What a chat reply adds under a run it waited for. */
export function renderRunTail(
  run: { id: string; status: string; approvals?: { code?: string } },
  requestedByAsker: boolean,
  terminal: boolean,
): string {
  if (run.status === "awaiting-approval")
    return `\nWaiting for approval by ${requestedByAsker ? "an admin other than you" : "an admin"}${run.approvals?.code ? `; your code is ${run.approvals.code}` : ""}.`;
  return terminal ? "" : `\nStill going — ask "status" or watch GET /api/runs/${run.id}.`;
}

/** The audit log, newest first. */
export function renderAudit(
  env: string | undefined,
  events: { at: string; actor: string; action: string; runId?: string; diffSummary?: string }[],
): string {
  if (!events.length) return "No audit events in that window.";
  const lines = events.map(
    (e) =>
      `  ${e.at.slice(0, 19).replace("T", " ")} ${e.actor} ${e.action}${e.runId ? ` ${e.runId}` : ""}${e.diffSummary ? ` — ${e.diffSummary}` : ""}`,
  );
  return [`Audit${env ? ` for ${env}` : ""} (newest first):`, ...lines].join("\n");
}

/** A time phrase the audit search could not read, with ones it can. */
export function renderUnreadableSince(since: string): string {
  return `I can't tell when "${since.slice(0, 60)}" is. Try "since yesterday", "in the last 24h", "since monday" or a date like 2026-11-01.`;
}

/** A new environment's desired state and what makes it differ from its source. */
export function renderCreatedEnvironment(
  created: { env: string; revision: number; diff: SpecChange[] },
  source: string,
): string {
  return [
    `Created ${created.env} from ${source} (desired state, revision ${created.revision}). Overrides:`,
    ...renderDiff(created.diff),
    `Nothing is provisioned yet: a setup run creates it at the providers.`,
  ].join("\n");
}

/** The local stack's archive is ready, and how to fetch it. */
export function renderBootstrapReady(env: string, bytes: number, url: string): string {
  return [
    `Local stack for ${env} is ready (${Math.round(bytes / 102.4) / 10} KiB): compose.yaml (Postgres, MinIO, Mailpit, the apps), .env.local with staging's variable names and secretref:// placeholders, a Cloudflare Tunnel config for the Stripe and Twilio webhooks, seed scripts and a README.`,
    `Write it into a folder: curl -s -H "authorization: Bearer $TOKEN" ${url} | tar xz`,
  ].join("\n");
}

/** What the latest revision of an environment changed. */
export function renderLastChange(env: string, change: { revision: number; diff: SpecChange[] }): string {
  if (change.diff.length === 0)
    return `${env} is at revision ${change.revision}; nothing has changed since it was created.`;
  return [`Revision ${change.revision} of ${env} changed:`, ...renderDiff(change.diff)].join("\n");
}

/** How two environments' desired states differ. */
export function renderComparison(a: string, b: string, diff: SpecChange[]): string {
  return diff.length
    ? [`${a} → ${b} (${diff.length} difference${diff.length > 1 ? "s" : ""}):`, ...renderDiff(diff)].join("\n")
    : `${a} and ${b} have the same desired state.`;
}

/** Alerts about an environment now go to the asker's phone. */
export function renderSubscribed(phone: string, env: string): string {
  return `I'll text ${phone} about ${env}: canary anomalies, rollbacks, failed deploys and approvals you can give.`;
}
