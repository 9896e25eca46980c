/**
 * Incidents that runs open (API.md "Incidents"): an automatic canary rollback, or a failed production
 * deploy, opens one linked to its run; a later successful deploy of the environment, or an ACK, resolves
 * it. The run already texted people when it ended, so opening one sends nothing more.
 */
import type { ArtifactStore } from "../audit/artifacts";
import type { AuditInput } from "../audit/chain";
import { isProduction } from "../domain/env-ref";
import { newId } from "../domain/ids";
import type { RunStatus, RunType } from "../domain/run";
import { isoAt } from "../domain/time";
import { newAckCode } from "../notify/escalation";
import type { Incident, MonitorDeps } from "./types";
import { MONITOR_ACTOR } from "./types";

/** Incident kinds runs open (their anomaly key is `run:<runId>`). */
export const RUN_INCIDENT_KINDS = ["canary-rollback", "deploy-failed"] as const;

/** What an incident learns from the run that opened it. */
export interface EndedRun {
  id: string;
  type: RunType;
  status: RunStatus;
  env: string;
  envId: string;
  error: string | null;
  /** Whether a canary took the run back by itself (its phase reached rolled-back). */
  canaryRolledBack: boolean;
}

/** Which incident kind a run's end opens, if any. */
export function runIncidentKind(run: EndedRun): (typeof RUN_INCIDENT_KINDS)[number] | null {
  if (run.status === "rolled-back" && run.canaryRolledBack) return "canary-rollback";
  if (run.status === "failed" && run.type === "deploy" && isProduction(run.env)) return "deploy-failed";
  return null;
}

/** Whether an incident was opened by a run (it resolves with the next good deploy, or on ACK). */
export function isRunIncident(incident: Pick<Incident, "kind">): boolean {
  return (RUN_INCIDENT_KINDS as readonly string[]).includes(incident.kind);
}

/**
 * Opens the incident a run's end calls for (once per run), its bundle holding the run's own evidence
 * (`files`: incident.md, metrics.json, logs). Returns its id, or null when the end calls for none.
 */
export async function openRunIncident(
  deps: MonitorDeps,
  run: EndedRun,
  files: Record<string, string>,
  at: number,
): Promise<string | null> {
  const kind = runIncidentKind(run);
  if (!kind) return null;
  const key = `run:${run.id}`;
  if ((await deps.incidents.open(run.envId)).some((i) => i.anomalyKey === key)) return null;
  const id = newId("inc");
  for (const [name, body] of Object.entries(files)) await deps.bundles.put(id, name, body);
  const title =
    kind === "canary-rollback"
      ? `Canary rolled back on ${run.env}: ${run.error ?? "the canary failed its checks"}`
      : `Deploy to ${run.env} failed: ${run.error ?? "a step failed"}`;
  const incident: Incident = {
    id,
    envId: run.envId,
    anomalyKey: key,
    kind,
    severity: "ticket",
    status: "open",
    title: title.slice(0, 300),
    openedAt: isoAt(at),
    lastSeenAt: isoAt(at),
    updatedAt: isoAt(at),
    resolvedAt: null,
    resolution: null,
    checks: 1,
    runIds: [run.id],
    bundle: `incidents/${id}/`,
    details: { run: run.id, runType: run.type, error: run.error, proposal: null },
    ackCode: newAckCode(),
    ackedBy: null,
    ackedAt: null,
    escalationLevel: 0,
    escalateAt: null,
  };
  const audit: AuditInput = {
    actor: MONITOR_ACTOR.id,
    action: "incident.opened",
    runId: run.id,
    diffSummary: incident.title,
    details: { incident: id, key, bundle: incident.bundle, kind },
  };
  await deps.incidents.insert(incident, [audit]);
  return id;
}

/** A deploy of the environment succeeded: the incidents earlier runs opened there resolve. */
export async function resolveRunIncidents(deps: MonitorDeps, envId: string, runId: string, at: number) {
  const open = (await deps.incidents.open(envId)).filter((i) => isRunIncident(i) && !i.runIds.includes(runId));
  for (const incident of open) {
    const note = `a later deploy (run ${runId}) succeeded`;
    await deps.incidents.update(
      incident,
      { status: "resolved", resolvedAt: isoAt(at), resolution: note, updatedAt: isoAt(at) },
      [
        {
          actor: MONITOR_ACTOR.id,
          action: "incident.resolved",
          runId,
          diffSummary: note,
          details: { incident: incident.id, key: incident.anomalyKey },
        },
      ],
    );
  }
  return open.map((i) => i.id);
}

/** The run's evidence an incident's bundle holds: its incident.md, metrics.json and log excerpts. */
export async function runEvidence(artifacts: ArtifactStore, runId: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const names = (await artifacts.list(runId)).filter(
    (n) => n === "incident.md" || n === "metrics.json" || (n.startsWith("logs/") && !n.startsWith("logs/steps/")),
  );
  for (const name of names) {
    const file = await artifacts.get(runId, name);
    if (file) files[name] = await new Response(file.body).text();
  }
  return files;
}
