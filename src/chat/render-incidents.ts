/** Plain-text chat replies about incidents, drift and monitoring rules: pure, from the data a handler read. */
import type { SpecChange } from "../domain/spec";

/** An incident as the API shows it (control/incidents.ts `incidentView`). */
export interface IncidentLike {
  id: string;
  env: string;
  status: string;
  severity: string;
  title: string;
  openedAt: string;
  lastSeenAt: string;
  checks: number;
  resolution?: string;
  runIds: string[];
  acknowledged?: { by: string | null; at: string };
  escalationLevel: number;
  bundle: { files: string[] };
}

/** Open incidents, one line each. */
export function renderIncidentList(env: string | undefined, list: IncidentLike[]): string {
  if (!list.length) return `No open incidents${env ? ` on ${env}` : ""}.`;
  return [
    `Open incidents${env ? ` on ${env}` : ""}:`,
    ...list.map(
      (i) =>
        `  ${i.id} ${i.env} ${i.severity} since ${i.openedAt.slice(0, 16).replace("T", " ")} — ${i.title}${i.runIds.length ? ` (runs ${i.runIds.join(", ")})` : ""}`,
    ),
  ].join("\n");
}

/** One incident: what, since when, what was done, who acknowledged it, and its bundle. */
export function renderIncident(i: IncidentLike): string {
  return [
    `Incident ${i.id} on ${i.env} (${i.status}, ${i.severity}): ${i.title}`,
    `Opened ${i.openedAt}, last seen ${i.lastSeenAt}, ${i.checks} check(s).${i.resolution ? ` ${i.resolution}` : ""}`,
    i.runIds.length ? `Runs: ${i.runIds.join(", ")}` : "No remediation run.",
    i.acknowledged
      ? `Acknowledged by ${i.acknowledged.by} at ${i.acknowledged.at}.`
      : `Not acknowledged (escalation level ${i.escalationLevel + 1}).`,
    `Bundle: ${i.bundle.files.map((f) => `/api/incidents/${i.id}/bundle/${f}`).join(", ") || "(none)"}`,
  ].join("\n");
}

/** Drift adopted into the desired state. */
export function renderAdoptedDrift(adopted: {
  env: string;
  revision: number;
  adopted: SpecChange[];
  incident: string;
}): string {
  return `Adopted into ${adopted.env} revision ${adopted.revision}: ${adopted.adopted.map((c) => `${c.path} ${String(c.from)} → ${String(c.to)}`).join(", ")}. Incident ${adopted.incident} resolved.`;
}

/** A monitoring rule stored in an environment's policy. */
export function renderStoredRule(stored: { env: string; revision: number }, then: string): string {
  return `Stored for ${stored.env} (revision ${stored.revision}): when repeated 5xx follow a deploy, ${then} and open an incident bundle with logs, metrics and the diff since the last good release. Policy decides whether it applies by itself (auto-rollback) or waits for approval.`;
}

/** An incident acknowledged from chat: its escalation stops. */
export function renderAcknowledged(i: { id: string; env: string; title: string }): string {
  return `Acknowledged ${i.id} on ${i.env} (${i.title.slice(0, 80)}): escalation stopped.`;
}

/** Several incidents are paging: which one (each option is the "ack <code>" that acknowledges it). */
export function renderAckChoice(
  paging: { id: string; env: string; title: string }[],
  codes: ReadonlyMap<string, string>,
): string {
  return [
    `${paging.length} incidents are paging. Which one?`,
    ...paging.map((i) => `  ack ${codes.get(i.id) ?? i.id} — ${i.id} on ${i.env}: ${i.title.slice(0, 80)}`),
  ].join("\n");
}
