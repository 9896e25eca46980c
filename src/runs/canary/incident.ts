import type { ArtifactStore } from "../../audit/artifacts";
import type { RunRecord, StepRecord } from "../store";
import { decisionMarkdown } from "./evidence";

/** incident.md for a rolled-back canary: what, when, why, the scores, the evidence, the diff. */
export async function writeCanaryIncident(
  artifacts: ArtifactStore,
  run: RunRecord,
  steps: StepRecord[],
  reason: string,
  requesterName: string | null,
  /** The sandbox's faster clock: the judge's times are simulated, so the decision says where in the step it fell. */
  simulated = false,
): Promise<void> {
  const judge = run.outputs.sequential;
  const checks = run.outputs.canaryChecks ?? [];
  const firstBad = checks.find((c) => c.metrics.some((m) => m.verdict === "fail"));
  const rolledBackAt = run.outputs.canary?.history.find((h) => h.phase === "rolled-back")?.at;
  const logs = (await artifacts.list(run.id)).filter((n) => n.startsWith("logs/"));
  const lines = [
    `# Canary rolled back on ${run.plan.env}`,
    "",
    `- **Run:** ${run.id} (plan ${run.planId}), requested by ${requesterName ?? run.requestedBy ?? "unknown"}`,
    `- **Why:** ${reason}`,
    judge
      ? `- **Decided:** ${judge.state.rollback ? crossedAt(judge.state.rollback.at, judge.state.step, simulated) : "by a person or a failed step, not by the judge"}`
      : `- **First failing sample:** ${firstBad ? `${firstBad.at}${soakPlace(firstBad)} at ${firstBad.weight}% (check ${firstBad.check})` : "none recorded"}`,
    `- **Traffic back on stable:** ${rolledBackAt ?? "unknown"} — canary weight 0%, stable 100%`,
    `- **Release:** the stable service never received the canary's release; the current release is unchanged`,
    "",
    ...(judge ? [...decisionMarkdown(judge), ""] : []),
    ...(checks.length ? fixedWindowChecks(checks) : []),
    "## Diff since the last good release",
    ...(run.plan.diff.length
      ? run.plan.diff.map((d) => `- ${d.path}: ${String(d.from ?? "")} → ${String(d.to ?? "")}`)
      : ["- no desired-state changes"]),
    "",
    "## Steps",
    ...steps.map((s) => `- ${s.status} — ${s.summary}${s.error ? `: ${s.error}` : ""}`),
    "",
    "## Evidence",
    `- metrics.json (${judge ? "the judge's state, its decision and its looks" : "every sample and score"})`,
    ...logs.map((l) => `- ${l}`),
  ];
  await artifacts.put(run.id, "incident.md", lines.join("\n"));
}

/** The fixed-window judge's checks (runs that used it). */
function fixedWindowChecks(checks: NonNullable<RunRecord["outputs"]["canaryChecks"]>): string[] {
  return [
    "## Scores (canary vs baseline, per check)",
    ...(checks.some((c) => c.simulated)
      ? [
          "",
          'Times are wall-clock times; the sandbox soaked on a faster simulated clock, shown as "simulated +Ns" into each weight\'s soak.',
        ]
      : []),
    "",
    "| at | weight | verdict | score | canary 5xx | baseline 5xx | canary p95 | baseline p95 | n (canary/baseline) |",
    "|---|---|---|---|---|---|---|---|---|",
    ...checks
      .slice(-20)
      .map(
        (c) =>
          `| ${c.at}${soakPlace(c)} | ${c.weight}% | ${c.verdict} | ${c.score ?? "–"} | ${pct(c.canary.errorRate)} | ${pct(c.baseline.errorRate)} | ${c.canary.p95 ?? "–"} ms | ${c.baseline.p95 ?? "–"} ms | ${c.canary.requests}/${c.baseline.requests} |`,
      ),
    "",
    "## Failing metrics at the last check",
    ...(checks
      .at(-1)
      ?.metrics.filter((m) => m.verdict !== "pass")
      .map((m) => `- ${m.metric}: ${m.verdict} — ${m.reason}`) ?? ["- none"]),
    "",
    "## Critical log patterns (canary, last check)",
    ...Object.entries(checks.at(-1)?.canary.logMatches ?? {})
      .filter(([, n]) => n > 0)
      .map(([p, n]) => `- \`${p}\`: ${n}`),
    "",
  ];
}

/** When the judge's evidence crossed 1/α: a wall-clock time, or on the sandbox's clock its place in the step. */
function crossedAt(at: number, step: { weight: number; startedAt: number }, simulated: boolean): string {
  if (!simulated) return `evidence over 1/α at ${new Date(at).toISOString()} in the ${step.weight}% step`;
  const into = Math.max(0, Math.round((at - step.startedAt) / 1000));
  return `evidence over 1/α in the ${step.weight}% step (simulated +${into}s into it: the sandbox soaks on a faster clock)`;
}

/** "(simulated +300s)" for a check judged on the sandbox's faster clock; nothing otherwise. */
function soakPlace(c: { simulated?: boolean; soakSeconds?: number }): string {
  return c.simulated && c.soakSeconds !== undefined ? ` (simulated +${c.soakSeconds}s)` : "";
}

const pct = (v: number | null) => (v === null ? "–" : `${(v * 100).toFixed(1)}%`);
