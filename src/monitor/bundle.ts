/**
 * The incident bundle (R2 `incidents/<id>/`): incident.md for people, metrics.json, diff.json and
 * logs/<service>.txt as evidence. Pure text building; the monitor writes it through the redacting store.
 */
import type { SpecChange } from "../domain/spec";
import type { Anomaly, ServiceSample } from "./anomalies";

export interface ReleaseFacts {
  id: string;
  version: string;
  createdAt: string;
  services: Record<string, { commitSha: string; commitMessage: string }>;
}

/** Everything an incident.md says. */
export interface BundleInput {
  incidentId: string;
  env: string;
  anomaly: Anomaly;
  openedAt: string;
  samples: ServiceSample[];
  currentRelease: ReleaseFacts | null;
  lastGoodRelease: ReleaseFacts | null;
  specDiff: SpecChange[];
  /** What was done or proposed about it. */
  remediation: { action: string; risk: string; runId?: string; auto: boolean } | null;
  rule?: string;
}

/** Release-level diff between the last good release and the current one. */
export function releaseDiff(from: ReleaseFacts | null, to: ReleaseFacts | null): SpecChange[] {
  if (!from || !to || from.id === to.id) return [];
  const names = [...new Set([...Object.keys(from.services), ...Object.keys(to.services)])].sort();
  return names.flatMap((name) => {
    const a = from.services[name];
    const b = to.services[name];
    if (a?.commitSha === b?.commitSha) return [];
    return [
      {
        path: `release.${name}`,
        op: a && b ? ("change" as const) : a ? ("remove" as const) : ("add" as const),
        from: a && `${a.commitMessage} (${a.commitSha.slice(0, 7)})`,
        to: b && `${b.commitMessage} (${b.commitSha.slice(0, 7)})`,
      },
    ];
  });
}

/** The bundle's files, by name. */
export function incidentBundle(input: BundleInput): Record<string, string | unknown> {
  const sample = input.samples.find((s) => s.service === input.anomaly.service);
  const release = releaseDiff(input.lastGoodRelease, input.currentRelease);
  const files: Record<string, string | unknown> = {
    "incident.md": incidentMarkdown(input, sample, release),
    "metrics.json": {
      at: input.openedAt,
      anomaly: input.anomaly,
      services: input.samples.map(({ logExcerpt: _, ...rest }) => rest),
    },
    "diff.json": {
      lastGoodRelease: input.lastGoodRelease,
      currentRelease: input.currentRelease,
      release,
      spec: input.specDiff,
    },
  };
  for (const s of input.samples) {
    if (s.logExcerpt.length) files[`logs/${s.service}.txt`] = s.logExcerpt.join("\n");
  }
  return files;
}

function incidentMarkdown(input: BundleInput, sample: ServiceSample | undefined, release: SpecChange[]): string {
  const { anomaly } = input;
  const impact = sample?.requests
    ? `${sample.errors} of ${sample.requests} requests to ${sample.service} failed with 5xx in the last check (${pct(sample.errors / sample.requests)}); p95 ${sample.p95Ms ?? "–"} ms; health ${sample.healthy === null ? "not probed" : sample.healthy ? "ok" : "failing"}`
    : `${anomaly.service}: ${anomaly.title}`;
  const cause = suspectedCause(input, release);
  const lines = [
    `# Incident ${input.incidentId} on ${input.env}`,
    "",
    `- **What:** ${anomaly.title}`,
    `- **Since:** ${input.openedAt} (first check that saw it)`,
    `- **Severity:** ${anomaly.severity}`,
    `- **Impact:** ${impact}`,
    `- **Suspected cause:** ${cause}`,
    `- **Remediation:** ${input.remediation ? `${input.remediation.action} — ${input.remediation.auto ? "applied automatically by policy" : "proposed, waiting for approval"}${input.remediation.runId ? ` (run ${input.remediation.runId})` : ""}. Risk: ${input.remediation.risk}` : "none proposed; a person decides"}`,
    ...(input.rule ? [`- **Rule:** ${input.rule}`] : []),
    "",
    "## Signals (last check)",
    "| service | requests | 5xx | p95 | health | deployment |",
    "|---|---|---|---|---|---|",
    ...input.samples.map(
      (s) =>
        `| ${s.service} | ${s.requests} | ${s.errors} | ${s.p95Ms ?? "–"} ms | ${s.healthy === null ? "–" : s.healthy ? "ok" : "failing"} | ${s.deploymentId ?? "–"} (${s.deploymentStatus ?? "?"}) |`,
    ),
    "",
    "## Diff since the last good release",
    `Release: ${input.lastGoodRelease?.version ?? "none"} → ${input.currentRelease?.version ?? "none"}`,
    ...(release.length ? release.map(changeLine) : ["- no release changes"]),
    "Desired state:",
    ...(input.specDiff.length ? input.specDiff.map(changeLine) : ["- no desired-state changes"]),
    "",
    "## Evidence",
    "- metrics.json (every service's signals at the first check)",
    "- diff.json (release and spec changes)",
    ...input.samples
      .filter((s) => s.logExcerpt.length)
      .map((s) => `- logs/${s.service}.txt (${s.logExcerpt.length} error lines)`),
  ];
  return lines.join("\n");
}

function suspectedCause(input: BundleInput, release: SpecChange[]): string {
  const current = input.currentRelease;
  const age = current ? Date.parse(input.openedAt) - Date.parse(current.createdAt) : Infinity;
  if (current && release.length && age < 24 * 3600_000)
    return `release ${current.version} (${Math.max(0, Math.round(age / 60_000))} min before the incident) changed ${release.map((c) => c.path.replace("release.", "")).join(", ")}`;
  if (input.specDiff.length)
    return `desired-state changes since ${input.lastGoodRelease?.version ?? "the last release"}: ${input.specDiff
      .slice(0, 3)
      .map((c) => c.path)
      .join(", ")}`;
  return "no recent release or config change: look at dependencies, traffic and the logs";
}

const changeLine = (c: SpecChange) => `- ${c.path}: ${fmt(c.from)} → ${fmt(c.to)}`;
const fmt = (v: unknown) => (v === undefined ? "∅" : typeof v === "string" ? v : JSON.stringify(v));
const pct = (r: number) => `${Math.round(r * 1000) / 10}%`;
