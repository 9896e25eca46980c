/**
 * What the monitor does about an incident: open it (bundle, bounded remediation, first alert), resolve it,
 * escalate its alert. Every text's receipt is written with the incident change it belongs to (D1, the
 * audit event's receipt hash) and into the bundle, like a run step's receipts.
 */
import { appendReceipts } from "../audit/artifacts";
import type { AuditInput } from "../audit/chain";
import { envNameOf } from "../domain/env-ref";
import { AppError } from "../domain/errors";
import { isoAt } from "../domain/time";
import { newId } from "../domain/ids";
import type { EnvironmentSpec, SpecChange } from "../domain/spec";
import {
  ackCodesFor,
  destinationsAt,
  escalatedText,
  escalationDue,
  incidentOpenedText,
  incidentResolvedText,
  newAckCode,
  nextEscalation,
} from "../notify/escalation";
import type { Proposal } from "../plan/remediate";
import { proposeRemediation } from "../plan/remediate";
import type { Receipt } from "../providers/types";
import type { AlertContext } from "../notify/texts";
import type { Anomaly, ServiceSample } from "./anomalies";
import type { ReleaseFacts } from "./bundle";
import { incidentBundle } from "./bundle";
import { driftChanges } from "./incidents";
import type { Incident, IncidentReceipts, MonitorDeps, Release } from "./types";
import { MONITOR_ACTOR } from "./types";

const nullableIso = (ms: number | null) => (ms === null ? null : isoAt(ms));

/** The environment an action is about. */
export interface Where {
  /** "<project>:<env>" */
  env: string;
  envId: string;
  spec: EnvironmentSpec;
}

/** Releases and desired-state changes an incident is read against. */
export interface IncidentFacts {
  current: Release | null;
  previous: Release | null;
  lastGood: Release | null;
  specDiff: SpecChange[];
  releaseAgeMs: number | null;
}

/** What the check that found the anomaly saw, and the receipts of the reads it made. */
export interface CheckEvidence {
  samples: ServiceSample[];
  facts: IncidentFacts;
  checkReceipts: Receipt[];
}

/** Opens an incident: remediation (proposed or applied), bundle, first alert, then the row and its audit event. */
export async function openIncident(
  deps: MonitorDeps,
  where: Where,
  anomaly: Anomaly,
  evidence: CheckEvidence,
  at: number,
): Promise<{ id: string; runId?: string }> {
  const { env, envId, spec } = where;
  const { facts } = evidence;
  const id = newId("inc");
  const ackCode = newAckCode();
  const proposal =
    anomaly.severity === "page" || anomaly.kind === "drift"
      ? proposeRemediation({
          kind: anomaly.kind,
          service: anomaly.service,
          spec,
          canaryActive: !!deps.runs.canary(),
          hasPreviousRelease: !!facts.previous,
          previousVersion: facts.previous?.version,
          releaseAgeMs: facts.releaseAgeMs,
          currentReplicas: null,
          poolWeightDrift:
            anomaly.kind === "drift" &&
            driftChanges({ evidence: anomaly.evidence }).some((c) => c.path === "traffic.canaryWeight"),
        })
      : null;
  const applied = proposal ? await remediate(deps, envId, id, proposal) : null;
  const files = incidentBundle({
    incidentId: id,
    env,
    anomaly,
    openedAt: isoAt(at),
    samples: evidence.samples,
    currentRelease: releaseFacts(facts.current),
    lastGoodRelease: releaseFacts(facts.lastGood),
    specDiff: facts.specDiff,
    remediation: proposal
      ? { action: proposal.action, risk: proposal.risk, runId: applied?.runId, auto: applied?.auto ?? false }
      : null,
    rule: proposal?.rule?.text ?? (proposal?.rule ? `${proposal.rule.when} → ${proposal.rule.then}` : undefined),
  });
  for (const [name, body] of Object.entries(files)) await deps.bundles.put(id, name, body);
  const page = anomaly.severity === "page";
  const remediationText =
    applied?.note ??
    (anomaly.kind === "drift"
      ? 'Say "adopt drift on <env>" or "revert drift on <env>" in chat'.replace(/<env>/g, envNameOf(env))
      : undefined);
  const level0 = destinationsAt(0, [...spec.policies.notify, ...(await deps.desired.subscribers(envId))], []);
  // Each phone gets its own ACK code: one forwarded to, or guessed from, another phone acknowledges nothing.
  const codes = await ackCodesFor(ackCode, level0);
  const text = (phone: string) =>
    incidentOpenedText({
      env,
      incidentId: id,
      title: anomaly.title,
      ackCode: codes.get(phone) ?? "",
      link: incidentLink(deps, id),
      remediation: remediationText,
    });
  const alert =
    page || anomaly.kind === "drift"
      ? await sendAlert(deps, level0, text, { envId, incidentId: id, level: 0, purpose: "incident" })
      : null;
  const sent = alert?.sent ?? [];
  if (evidence.checkReceipts.length) await appendReceipts(deps.bundles, id, "check", evidence.checkReceipts);
  const receipts = await keepReceipts(deps, id, "notify", alert?.receipts ?? []);
  const incident: Incident = {
    id,
    envId,
    anomalyKey: anomaly.key,
    kind: anomaly.kind,
    severity: anomaly.severity,
    status: "open",
    title: anomaly.title,
    openedAt: isoAt(at),
    lastSeenAt: isoAt(at),
    updatedAt: isoAt(at),
    resolvedAt: null,
    resolution: null,
    checks: 1,
    runIds: applied?.runId ? [applied.runId] : [],
    bundle: `incidents/${id}/`,
    details: { evidence: anomaly.evidence, proposal: proposal ?? null, notified: sent },
    ackCode,
    ackedBy: null,
    ackedAt: null,
    escalationLevel: 0,
    escalateAt: page
      ? nullableIso(
          nextEscalation(
            0,
            at,
            spec.policies.monitoring.escalation.ackTimeoutSeconds * 1000,
            spec.policies.monitoring.escalation.chain,
          ),
        )
      : null,
  };
  const audit: AuditInput = {
    actor: MONITOR_ACTOR.id,
    action: "incident.opened",
    runId: applied?.runId,
    diffSummary: anomaly.title.slice(0, 300),
    details: {
      incident: id,
      key: anomaly.key,
      bundle: incident.bundle,
      proposal: proposal?.action ?? null,
      auto: applied?.auto ?? false,
      notified: sent.length,
    },
  };
  await deps.incidents.insert(incident, [withReceiptHash(audit, receipts)], receipts);
  return { id, runId: applied?.runId };
}

/** Resolves an incident; a paging one tells the people it paged. */
export async function resolveIncident(
  deps: MonitorDeps,
  where: Where,
  incident: Incident,
  note: string,
  actor: string,
  at: number,
): Promise<void> {
  const level0 = [...where.spec.policies.notify, ...(await deps.desired.subscribers(where.envId))];
  const alert =
    incident.severity === "page"
      ? await sendAlert(
          deps,
          destinationsAt(0, level0, []),
          incidentResolvedText(
            { env: where.env, incidentId: incident.id, title: incident.title, link: incidentLink(deps, incident.id) },
            note,
          ),
          { envId: where.envId, incidentId: incident.id, level: incident.escalationLevel, purpose: "resolved" },
        )
      : null;
  const receipts = await keepReceipts(deps, incident.id, "resolve", alert?.receipts ?? []);
  const audit: AuditInput = {
    actor,
    action: "incident.resolved",
    diffSummary: note.slice(0, 300),
    details: { incident: incident.id, key: incident.anomalyKey },
  };
  await deps.incidents.update(
    incident,
    { status: "resolved", resolvedAt: isoAt(at), resolution: note, updatedAt: isoAt(at), escalateAt: null },
    [withReceiptHash(audit, receipts)],
    receipts,
  );
  await withdrawProposals(deps, incident);
}

/** A remediation proposed for an incident closes with it: nobody should approve a fix for a resolved problem. */
async function withdrawProposals(deps: MonitorDeps, incident: Incident): Promise<void> {
  if (!incident.details.proposal) return;
  for (const runId of incident.runIds) {
    await deps.runs
      .withdraw(runId, `incident ${incident.id} was resolved before anyone approved this remediation`)
      .catch((e: unknown) => console.error("could not withdraw a remediation", runId, e));
  }
}

/** Moves every unacknowledged, overdue alert to its next destination; returns the incidents escalated. */
export async function escalateIncidents(deps: MonitorDeps, where: Where, at: number): Promise<string[]> {
  const { ackTimeoutSeconds, chain } = where.spec.policies.monitoring.escalation;
  const escalated: string[] = [];
  for (const incident of await deps.incidents.open(where.envId)) {
    const escalateAt = incident.escalateAt ? Date.parse(incident.escalateAt) : null;
    if (!escalationDue({ level: incident.escalationLevel, escalateAt, acked: !!incident.ackedAt }, at)) continue;
    const level = incident.escalationLevel + 1;
    const minutes = Math.round((at - Date.parse(incident.openedAt)) / 60_000);
    const phones = destinationsAt(level, [], chain);
    const codes = await ackCodesFor(incident.ackCode, phones);
    const facts = {
      env: where.env,
      incidentId: incident.id,
      title: incident.title,
      link: incidentLink(deps, incident.id),
    };
    const alert = await sendAlert(
      deps,
      phones,
      (phone) => escalatedText({ ...facts, ackCode: codes.get(phone) ?? "" }, level, minutes),
      { envId: where.envId, incidentId: incident.id, level, purpose: "escalation" },
    );
    const receipts = await keepReceipts(deps, incident.id, "escalate", alert.receipts);
    const audit: AuditInput = {
      actor: MONITOR_ACTOR.id,
      action: "incident.escalated",
      diffSummary: `level ${level + 1}: ${alert.sent.length} destination(s)`,
      details: { incident: incident.id, level, recipients: alert.sent.length },
    };
    await deps.incidents.update(
      incident,
      {
        escalationLevel: level,
        escalateAt: nullableIso(nextEscalation(level, at, ackTimeoutSeconds * 1000, chain)),
        updatedAt: isoAt(at),
      },
      [withReceiptHash(audit, receipts)],
      receipts,
    );
    escalated.push(incident.id);
  }
  return escalated;
}

/** Applies (or proposes for approval) one bounded action; failures to start never stop the incident. */
async function remediate(
  deps: MonitorDeps,
  envId: string,
  incidentId: string,
  proposal: Proposal,
): Promise<{ runId?: string; auto: boolean; note: string } | null> {
  try {
    if (proposal.action === "halt-canary") {
      const canary = deps.runs.canary();
      if (!canary) return null;
      await deps.runs.halt(canary.runId);
      return { runId: canary.runId, auto: true, note: `Canary run ${canary.runId} halted` };
    }
    const params = {
      action: proposal.action,
      incidentId,
      ...(proposal.service && proposal.action !== "rollback" ? { service: proposal.service } : {}),
      ...(proposal.replicas !== undefined ? { replicas: proposal.replicas } : {}),
    };
    const plan = await deps.planner.plan(envId, params, proposal.auto ? "auto" : "approval");
    const run = await deps.runs.start(plan);
    return {
      runId: run.id,
      auto: proposal.auto,
      note: proposal.auto
        ? `Applying ${proposal.action} (run ${run.id})`
        : `Proposed ${proposal.action} (run ${run.id}) waits for approval`,
    };
  } catch (e) {
    if (e instanceof AppError) return { auto: false, note: `Could not start ${proposal.action}: ${e.message}` };
    throw e;
  }
}

/** Texts `phones`, keeping the receipts of the calls. */
async function sendAlert(
  deps: MonitorDeps,
  phones: string[],
  body: string | ((phone: string) => string),
  context: AlertContext,
): Promise<{ sent: string[]; receipts: Receipt[] }> {
  const receipts: Receipt[] = [];
  const alerts = await deps.alerts((r) => receipts.push(r));
  return { sent: await alerts.text(phones, body, context), receipts };
}

/** Adds receipts to the bundle's receipts/<stepId>.json and returns them as rows to write with the incident. */
async function keepReceipts(
  deps: MonitorDeps,
  incidentId: string,
  stepId: string,
  receipts: Receipt[],
): Promise<IncidentReceipts> {
  if (!receipts.length) return [];
  await appendReceipts(deps.bundles, incidentId, stepId, receipts);
  return receipts.map((receipt) => ({ stepId, receipt }));
}

function withReceiptHash(audit: AuditInput, receipts: IncidentReceipts): AuditInput {
  return receipts.length ? { ...audit, receiptHash: receipts.map((r) => r.receipt.requestHash).join(",") } : audit;
}

function incidentLink(deps: MonitorDeps, incidentId: string): string {
  return `${deps.publicUrl.replace(/\/$/, "")}/incidents/${incidentId}`;
}

function releaseFacts(r: Release | null): ReleaseFacts | null {
  return r
    ? {
        id: r.id,
        version: r.version,
        createdAt: r.createdAt,
        services: Object.fromEntries(
          Object.entries(r.services).map(([k, v]) => [k, { commitSha: v.commitSha, commitMessage: v.commitMessage }]),
        ),
      }
    : null;
}

/** A text of an incident's alert that Twilio could not deliver: who it was for, at which level, and why. */
export interface Undelivered {
  level: number;
  /** Masked phone (the incident is shown to viewers). */
  to: string;
  status: string;
  errorCode: string | null;
}

/**
 * An alert text was not delivered (Twilio's status callback): the incident records it and, while it is
 * open, unacknowledged and still at that level, escalates to the next destination now instead of waiting
 * for the acknowledgement timeout. Returns whether it escalated.
 */
export async function escalateUndelivered(
  deps: MonitorDeps,
  where: Where,
  incident: Incident,
  failed: Undelivered,
  at: number,
): Promise<boolean> {
  const undelivered = [
    ...((incident.details.undelivered as unknown[] | undefined) ?? []),
    { ...failed, at: isoAt(at) },
  ];
  const due = incident.status === "open" && !incident.ackedAt && failed.level === incident.escalationLevel;
  await deps.incidents.update(
    incident,
    { details: { ...incident.details, undelivered }, updatedAt: isoAt(at), ...(due ? { escalateAt: isoAt(at) } : {}) },
    [
      {
        actor: MONITOR_ACTOR.id,
        action: "incident.alert-undelivered",
        diffSummary: `alert to ${failed.to} ${failed.status}${failed.errorCode ? ` (Twilio error ${failed.errorCode})` : ""}${due ? ": escalating now" : ""}`,
        details: { incident: incident.id, level: failed.level, errorCode: failed.errorCode },
      },
    ],
  );
  if (!due) return false;
  return (await escalateIncidents(deps, where, at)).includes(incident.id);
}
