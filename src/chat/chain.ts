/**
 * The overview of a chain of plans made from one message ("add timezone column and backfill it in staging;
 * then do production at 500 users/min"): each plan in order, what it waits for, and which one needs approval.
 */
import { DEFAULT_BACKFILL_RATE } from "../plan/backfill";

export interface ChainPlanLike {
  type: string;
  env: string;
  runId: string;
  params: Record<string, unknown>;
  requiresApproval: boolean;
  autoApply: boolean;
}

/** Puts the overview in front of the first plan's reply when the message made more than one plan. */
export function withChainOverview<R extends { text: string; plan?: ChainPlanLike }>(replies: R[]): R[] {
  const planned = replies.filter((r) => r.plan);
  if (planned.length < 2) return replies;
  const overview = renderChain(planned.map((r) => r.plan!));
  return replies.map((r) => (r === planned[0] ? { ...r, text: `${overview}\n\n${r.text}` } : r));
}

export function renderChain(plans: ChainPlanLike[]): string {
  const lines = [`A chain of ${plans.length} plans; each starts only after the one before it has succeeded:`];
  plans.forEach((plan, i) => {
    const after = plans.findIndex((p) => p.runId === plan.params.after);
    const gate = plan.requiresApproval
      ? 'waits for "apply", then for approval by an admin other than the requester'
      : plan.autoApply
        ? "auto-applies by policy"
        : 'waits for "apply"';
    lines.push(`  ${i + 1}. ${describe(plan)}${after >= 0 ? ` — after ${after + 1}` : ""}; ${gate}`);
  });
  return lines.join("\n");
}

function describe(plan: ChainPlanLike): string {
  if (plan.type === "migrate")
    return `migrate ${plan.env}${plan.params.expandOnly ? " (expand migrations only; contract ones get their own run)" : ""}`;
  if (plan.type === "backfill") {
    const rate = typeof plan.params.ratePerMinute === "number" ? plan.params.ratePerMinute : DEFAULT_BACKFILL_RATE;
    return `backfill ${String(plan.params.job)} on ${plan.env} at ${rate} rows/min`;
  }
  return `${plan.type} ${plan.env}`;
}
