/**
 * Incidents as the API, chat and SMS see them (API.md "Incidents"), the cron fan-out, acknowledgements,
 * the per-environment monitoring rules, and drift's two choices (adopt / revert). Incident rows are
 * written only by each environment's Durable Object; this module reads them and asks the object to act.
 */
import { findEnv, monitoredEnvIds, specAt } from "../db/environments";
import { getIncident, incidentsByAckCode, listIncidents, openIncidents } from "../db/incidents";
import type { Incident } from "../monitor/types";
import { AppError, errorText, unwrap } from "../domain/errors";
import { MonitorRule } from "../domain/monitoring";
import type { SpecChange } from "../domain/spec";
import { adoptDrift, describeDrift } from "../monitor/drift";
import { driftChanges } from "../monitor/incidents";
import { requireRole } from "../security/roles";
import type { ControlContext } from "./context";
import type { Services } from "./services";
import { resolveEnvName } from "./environments";
import { applyPlan, createPlan } from "./plans";
import { reviseSpec } from "./revisions";

/** Asks every provisioned environment's object to run its checks, in parallel: one slow one delays none. */
export async function monitorAll(services: Services, at?: number): Promise<{ envId: string; ok: boolean }[]> {
  const ids = await monitoredEnvIds(services.db);
  const results = await Promise.allSettled(ids.map((id) => services.environment(id).monitorTick(id, { at })));
  return results.map((r, i) => {
    if (r.status === "rejected") console.error("monitor tick failed", ids[i], errorText(r.reason));
    return { envId: ids[i], ok: r.status === "fulfilled" && r.value.ok };
  });
}

/** The API shape of an incident. */
export function incidentView(row: Incident, env: string, files: string[] = []) {
  return {
    id: row.id,
    env,
    status: row.status,
    kind: row.kind,
    severity: row.severity,
    key: row.anomalyKey,
    title: row.title,
    openedAt: row.openedAt,
    lastSeenAt: row.lastSeenAt,
    resolvedAt: row.resolvedAt ?? undefined,
    resolution: row.resolution ?? undefined,
    checks: row.checks,
    runIds: row.runIds,
    bundle: { prefix: row.bundle, files },
    acknowledged: row.ackedAt ? { by: row.ackedBy, at: row.ackedAt } : undefined,
    escalationLevel: row.escalationLevel,
    proposal: row.details.proposal ?? undefined,
    drift: row.kind === "drift" ? driftChanges(row.details) : undefined,
  };
}

/** Incidents, newest first. */
export async function incidentList(
  cx: ControlContext,
  filter: { env?: string; status?: "open" | "resolved"; limit?: number },
) {
  requireRole(cx.actor.role, "read");
  const envRow = filter.env ? await findEnv(cx.db, filter.env) : null;
  const rows = await listIncidents(cx.db, { envId: envRow?.id, status: filter.status, limit: filter.limit ?? 100 });
  const names = new Map<string, string>();
  const out = [];
  for (const row of rows) {
    let env = names.get(row.envId);
    if (env === undefined) {
      env = (await findEnv(cx.db, row.envId)).env;
      names.set(row.envId, env);
    }
    out.push(incidentView(row, env));
  }
  return out;
}

/** One incident with its bundle's file names. */
export async function incidentDetail(cx: ControlContext, id: string) {
  requireRole(cx.actor.role, "read");
  const row = await getIncident(cx.db, id);
  if (!row) throw new AppError("not_found", `incident ${id} not found`);
  return incidentView(row, (await findEnv(cx.db, row.envId)).env, await cx.incidentBundles.list(row.id));
}

/** One file of an incident's bundle. */
export async function incidentFile(cx: ControlContext, id: string, name: string) {
  requireRole(cx.actor.role, "read");
  const row = await getIncident(cx.db, id);
  if (!row) throw new AppError("not_found", `incident ${id} not found`);
  const file = await cx.incidentBundles.get(row.id, name);
  if (!file) throw new AppError("not_found", `bundle file ${name} not found for incident ${id}`);
  return file;
}

/** Acknowledges an incident (stops its escalation); on-call people are deployers or admins. */
export async function ackIncident(cx: ControlContext, id: string) {
  requireRole(cx.actor.role, "stop");
  const row = await getIncident(cx.db, id);
  if (!row) throw new AppError("not_found", `incident ${id} not found`);
  unwrap(await cx.environment(row.envId).ackIncident(row.id, cx.actor));
  return incidentDetail(cx, id);
}

/** "ACK <code>" (SMS or chat): acknowledges the open incidents carrying that code. */
export async function ackByCode(cx: ControlContext, code: string): Promise<string> {
  requireRole(cx.actor.role, "stop");
  const rows = await incidentsByAckCode(cx.db, code);
  if (!rows.length) return "No open incident has that ACK code.";
  for (const row of rows) unwrap(await cx.environment(row.envId).ackIncident(row.id, cx.actor));
  return `Acknowledged ${rows.map((r) => `${r.id} (${r.title.slice(0, 80)})`).join(", ")}: escalation stopped.`;
}

/** The ACK codes of open incidents (the codes their texts carried), by incident id. */
export async function ackCodes(cx: ControlContext, ids: string[]): Promise<Map<string, string>> {
  requireRole(cx.actor.role, "stop");
  const rows = await Promise.all(ids.map((id) => getIncident(cx.db, id)));
  return new Map(rows.flatMap((r) => (r?.ackCode && r.status === "open" ? [[r.id, r.ackCode] as const] : [])));
}

/** Stores a monitoring rule in the environment's policy (a new, audited spec revision). */
export async function setMonitorRule(cx: ControlContext, envRef: string, input: unknown) {
  const rule = MonitorRule.parse(input);
  const env = (await envOf(cx, envRef)).env;
  const result = await reviseSpec(
    cx,
    env,
    (spec) => {
      const rules = spec.policies.monitoring.rules.filter((r) => r.when !== rule.when);
      spec.policies.monitoring.rules = [...rules, rule];
      return spec;
    },
    `monitoring rule: ${rule.text ?? `${rule.when} → ${rule.then}`}`,
  );
  return { env, rule, revision: result.revision };
}

/** The open drift incident of an environment (409 when there is none). */
async function openDrift(cx: ControlContext, envId: string): Promise<{ row: Incident; changes: SpecChange[] }> {
  const row = (await openIncidents(cx.db, envId)).find((i) => i.kind === "drift");
  if (!row) throw new AppError("conflict", "no drift is open for this environment");
  return { row, changes: driftChanges(row.details) };
}

/** "adopt": observed provider state becomes the desired state (replica counts), as a new revision. */
export async function adoptEnvDrift(cx: ControlContext, envRef: string) {
  requireRole(cx.actor.role, "manage-environments");
  const env = await envOf(cx, envRef);
  const { row, changes } = await openDrift(cx, env.id);
  const { spec } = await specAt(cx.db, env.id);
  const { adopted, skipped } = adoptDrift(spec, changes);
  if (!adopted.length)
    throw new AppError("conflict", `nothing adoptable in this drift (${describeDrift(skipped)}): revert it instead`);
  const result = await reviseSpec(
    cx,
    env.env,
    (s) => adoptDrift(s, changes).spec,
    `adopt drift from incident ${row.id}: ${describeDrift(adopted)}`.slice(0, 500),
  );
  const note = `Adopted into revision ${result.revision} by ${cx.actor.name}: ${describeDrift(adopted)}${skipped.length ? `; not adoptable: ${describeDrift(skipped)}` : ""}`;
  unwrap(await cx.environment(env.id).resolveIncident(row.id, note, cx.actor));
  return { env: env.env, revision: result.revision, adopted, skipped, incident: row.id };
}

/** "revert": a reconcile run puts the provider back to the spec (replica counts). */
export async function revertEnvDrift(cx: ControlContext, envRef: string) {
  requireRole(cx.actor.role, "plan");
  const env = await envOf(cx, envRef);
  await openDrift(cx, env.id);
  const plan = await createPlan(cx, env.env, { type: "reconcile", params: { action: "revert-drift" } });
  return { plan, run: plan.autoApply ? await applyPlan(cx, plan.id) : null };
}

/** An environment by id, `<slug>:<name>`, or a bare name the conversation can resolve. */
async function envOf(cx: ControlContext, ref: string) {
  return findEnv(cx.db, ref.includes(":") || ref.startsWith("env_") ? ref : await resolveEnvName(cx, ref));
}
