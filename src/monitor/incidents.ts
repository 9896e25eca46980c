/**
 * Incident lifecycle, pure: which anomalies open an incident, which update the one already open for
 * their key, and which open incidents resolve because their anomaly has been quiet long enough.
 */
import { z } from "zod";
import type { SpecChange } from "../domain/spec";
import type { Anomaly, AnomalyKind } from "./anomalies";

/** Incident status machine. */
export type IncidentStatus =
  /** the anomaly is happening, or stopped less than the quiet period ago */
  | "open"
  /** quiet for the quiet period (or adopted / reverted drift); carries a resolution note */
  | "resolved";

/** The part of an open incident the lifecycle needs. */
export interface OpenIncident {
  id: string;
  key: string;
  kind: string;
  /** epoch ms of the last check that saw the anomaly */
  lastSeenAt: number;
  openedAt: number;
  checks: number;
  runIds: string[];
}

export interface IncidentChanges {
  opened: Anomaly[];
  continued: { incident: OpenIncident; anomaly: Anomaly }[];
  resolved: { incident: OpenIncident; note: string }[];
}

/**
 * One check's effect on incidents. Only kinds evaluated by this check may resolve (drift is checked on
 * a slower cadence than errors), and an anomaly with an open incident never opens a second one.
 */
export function reconcileIncidents(
  open: OpenIncident[],
  anomalies: Anomaly[],
  input: { now: number; quietMs: (kind: string) => number; checked: ReadonlySet<AnomalyKind> },
): IncidentChanges {
  const byKey = new Map(open.map((i) => [i.key, i]));
  const seen = new Set<string>();
  const changes: IncidentChanges = { opened: [], continued: [], resolved: [] };
  for (const anomaly of anomalies) {
    if (seen.has(anomaly.key)) continue;
    seen.add(anomaly.key);
    const incident = byKey.get(anomaly.key);
    if (incident) changes.continued.push({ incident, anomaly });
    else changes.opened.push(anomaly);
  }
  for (const incident of open) {
    if (seen.has(incident.key) || !input.checked.has(incident.kind as AnomalyKind)) continue;
    const quietFor = input.now - incident.lastSeenAt;
    if (quietFor < input.quietMs(incident.kind)) continue;
    changes.resolved.push({ incident, note: resolutionNote(incident, quietFor) });
  }
  return changes;
}

function resolutionNote(incident: OpenIncident, quietMs: number): string {
  const minutes = Math.round(quietMs / 60_000);
  const runs = incident.runIds.length ? ` Remediation: ${incident.runIds.join(", ")}.` : "";
  return `Auto-resolved: not seen for ${minutes} min since ${new Date(incident.lastSeenAt).toISOString()} (seen in ${incident.checks} check${incident.checks === 1 ? "" : "s"}).${runs}`;
}

/** What a drift incident records as its evidence: the spec changes the providers show. */
const DriftEvidence = z.object({ evidence: z.object({ changes: z.array(z.custom<SpecChange>()) }) });

/** The changes of a drift incident's evidence (none when it recorded none). */
export function driftChanges(details: Record<string, unknown>): SpecChange[] {
  return DriftEvidence.safeParse(details).data?.evidence.changes ?? [];
}
