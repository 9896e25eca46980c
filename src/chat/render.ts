/** Plain-text renderings of plans, runs and environments for chat replies. */

export interface PlanLike {
  type: string;
  env: string;
  steps: { summary: string }[];
  diff: { path: string; op: string; from?: unknown; to?: unknown }[];
  risk: { level: string; notes: string[] };
  requiresApproval: boolean;
}

export interface RunLike {
  id: string;
  status: string;
  error?: string;
  steps: { summary: string; status: string; note?: string; error?: string }[];
  approvals?: { code?: string } | undefined;
}

const MARK: Record<string, string> = { succeeded: "✓", failed: "✗", running: "…", skipped: "–", pending: "·" };

/** One line per changed path: "+ added", "- removed", "~ changed: from → to". */
export function renderDiff(diff: { path: string; op: string; from?: unknown; to?: unknown }[]): string[] {
  const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  return diff
    .slice(0, 40)
    .map(
      (d) =>
        `  ${d.op === "add" ? "+" : d.op === "remove" ? "-" : "~"} ${d.path}: ${d.op === "add" ? show(d.to) : d.op === "remove" ? show(d.from) : `${show(d.from)} → ${show(d.to)}`}`,
    )
    .concat(diff.length > 40 ? [`  … and ${diff.length - 40} more`] : []);
}

/** A plan as a numbered step list, its diff and risk. */
export function renderPlan(plan: PlanLike): string {
  const lines = [`Plan: ${plan.type} ${plan.env}`];
  for (const [i, s] of plan.steps.entries()) lines.push(`  ${i + 1}. ${s.summary}`);
  if (plan.diff.length) {
    lines.push("Changes:");
    for (const d of plan.diff)
      lines.push(
        `  ${d.op === "add" ? "+" : d.op === "remove" ? "-" : "~"} ${d.path}: ${d.from === undefined ? "" : `${String(d.from)} → `}${d.to === undefined ? "(removed)" : String(d.to)}`,
      );
  } else lines.push("Changes: none to the desired state");
  lines.push(`Risk: ${plan.risk.level}${plan.risk.notes.length ? ` — ${plan.risk.notes.join("; ")}` : ""}`);
  return lines.join("\n");
}

/** A run's status and each step's outcome. */
export function renderRun(run: RunLike): string {
  const lines = [`Run ${run.id}: ${run.status}${run.error ? ` — ${run.error}` : ""}`];
  for (const s of run.steps) {
    const detail =
      s.status === "failed" && s.error ? ` (${s.error})` : s.note && s.status !== "pending" ? ` — ${s.note}` : "";
    lines.push(`  ${MARK[s.status] ?? "·"} ${s.summary}${detail}`);
  }
  return lines.join("\n");
}

export interface EnvLike {
  env: string;
  revision: number;
  currentRelease: { version: string; services: Record<string, { commitSha: string; commitMessage: string }> } | null;
  activeRun: { id: string; type: string; status: string } | null;
  monitoring?: {
    lastCheckAt: string | null;
    throttled: { reason: string; nextCheckAt: string; skipped: number } | null;
    railwayBudget: { plan: string; limit: number; remaining: number; resetsAt: string } | null;
  } | null;
}

const hhmm = (iso: string) => `${iso.slice(11, 16)} UTC`;

/** Monitoring's state: throttled by Railway's request budget (and why), or when it last checked. */
function monitoringLines(m: NonNullable<EnvLike["monitoring"]>): string[] {
  const budget = m.railwayBudget
    ? `Railway budget: ${m.railwayBudget.remaining} of ${m.railwayBudget.limit} requests left until ${hhmm(m.railwayBudget.resetsAt)} (${m.railwayBudget.plan} plan).`
    : null;
  const state = m.throttled
    ? `Monitoring is throttled: ${m.throttled.reason}. Next check about ${hhmm(m.throttled.nextCheckAt)} (${m.throttled.skipped} skipped so far).`
    : m.lastCheckAt
      ? `Monitoring: last check ${hhmm(m.lastCheckAt)}.`
      : null;
  return [state, budget].filter((l): l is string => l !== null);
}

/** What an environment runs now and what is happening to it. */
export function renderStatus(
  env: EnvLike,
  recent: { id: string; type: string; status: string; createdAt: string }[],
): string {
  const lines = [`${env.env} (spec revision ${env.revision})`];
  if (env.currentRelease) {
    // The release number is Infra Chat's; what follows it is each service's commit, not a version of ours.
    lines.push(
      `Current release ${env.currentRelease.version} (release number ${env.currentRelease.version.replace(/^v/, "")}), each service at its commit:`,
    );
    for (const [name, s] of Object.entries(env.currentRelease.services))
      lines.push(`  ${name} runs commit "${s.commitMessage}" (${s.commitSha.slice(0, 7)})`);
  } else lines.push("No release recorded yet.");
  lines.push(
    env.activeRun
      ? `Active: ${env.activeRun.type} run ${env.activeRun.id} is ${env.activeRun.status}.`
      : "No run in progress.",
  );
  if (env.monitoring) lines.push(...monitoringLines(env.monitoring));
  if (recent.length)
    lines.push(
      "Recent runs:",
      ...recent.map((r) => `  ${r.createdAt.slice(0, 16).replace("T", " ")} ${r.type} ${r.id} — ${r.status}`),
    );
  return lines.join("\n");
}
