/**
 * The deploy and backfill prompts of spec §11.2–11.3, as answers the user can click (or type): each
 * option is a message the parser understands, so a button and free text take the same path.
 */
import { envNameOf } from "../domain/env-ref";
import type { Plan } from "../domain/run";

export interface PlanQuestion {
  slot: string;
  text: string;
  options: string[];
}

/** What to ask after a plan that waits for "apply"; undefined for plans that applied themselves. */
export function planQuestion(plan: Plan): PlanQuestion | undefined {
  if (plan.autoApply) return undefined;
  const env = envNameOf(plan.env);
  const options = ["apply"];
  // Only for a whole-environment deploy at the branch heads: the option's message would drop a service
  // filter or a promotion's pinned commits.
  const whole = plan.params.services === undefined && plan.params.refs === undefined;
  if (plan.type === "deploy" && whole && Array.isArray(plan.params.canary) === false && env === "production") {
    // "Canary policy?": the plan already carries production's default; a stricter start is one click away.
    options.push(`deploy ${env} with canary 5/25/50/100`);
  }
  if (plan.type === "backfill" && plan.params.dryRun !== true) {
    const subject = jobSubject(String(plan.params.job ?? ""));
    // "Dry run first?": reads only and reports what would change.
    if (subject) options.push(`backfill ${subject} on ${env} as a dry run`);
    const rate = Number(plan.params.ratePerMinute ?? 0);
    // "Batch size / rate limit?": half the rate, for a gentler pass on a busy database.
    if (subject && rate >= 200) options.push(`backfill ${subject} on ${env} at ${Math.round(rate / 2)}/min`);
  }
  options.push("cancel");
  const text = options.length > 2 ? `Apply it as planned, or ${options.slice(1, -1).join(" / ")}?` : "Apply it?";
  return { slot: plan.type === "backfill" ? "backfill-options" : "apply", text, options };
}

/** "backfillTimezone" → "timezone": the words the parser's backfill rule reads back into the job. */
function jobSubject(job: string): string | null {
  const m = /^backfill([A-Z][A-Za-z]*)$/.exec(job);
  return m ? m[1].replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase() : null;
}
