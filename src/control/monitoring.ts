/**
 * Continuous monitoring of one environment, run inside its EnvironmentDO (the single writer of its
 * incidents and audit chain). A check reads signals, asks the pure rules (src/monitor/) what is wrong,
 * opens / updates / resolves incidents, proposes or applies a bounded remediation, and escalates
 * unacknowledged alerts. Time is whatever the tick says it is (cron's scheduled time, the watchdog's
 * clock, or a test's), and a tick no later than the last one is a no-op: missed or doubled ticks are harmless.
 */
import type { BatchItem } from "drizzle-orm/batch";
import type { AuditInput } from "../audit/chain";
import type { Database } from "../db/client";
import { findEnv, listReleases, revisions, specAt } from "../db/environments";
import type { IncidentRow } from "../db/incidents";
import { insertIncidentStatement, openIncidents, updateIncidentStatement } from "../db/incidents";
import { subscriberPhones } from "../db/alerts";
import { AppError } from "../domain/errors";
import { newId } from "../domain/ids";
import type { Plan } from "../domain/run";
import { diffSpecs } from "../domain/spec";
import type { EnvironmentSpec, SpecChange } from "../domain/spec";
import type { Anomaly, AnomalyKind, ServiceSample } from "../monitor/anomalies";
import { detectAnomalies } from "../monitor/anomalies";
import type { ErrorSample } from "../monitor/burn-rate";
import { incidentBundle } from "../monitor/bundle";
import type { ReleaseFacts } from "../monitor/bundle";
import { describeDrift, detectDrift } from "../monitor/drift";
import { reconcileIncidents } from "../monitor/incidents";
import {
  destinationsAt,
  escalatedText,
  escalationDue,
  incidentOpenedText,
  incidentResolvedText,
  newAckCode,
  nextEscalation,
} from "../notify/escalation";
import { proposeRemediation } from "../plan/remediate";
import type { Proposal } from "../plan/remediate";
import type { Actor } from "../policy/approval";
import type { RunEngine } from "../runs/engine";
import type { RunStore } from "../runs/store";
import type { ProviderSet } from "../runs/types";
import { incidentBundles, monitorWatchdogMs } from "../wiring";
import { observeState, sampleServices } from "./monitor-signals";
import { createPlan } from "./plans";

/** Who the monitor acts as: the requester of the runs it starts (never an approver of them). */
export const MONITOR_ACTOR: Actor = { id: "infra-chat", name: "Infra Chat monitor", role: "admin" };
/** The schedule key of the watchdog alarm. */
export const MONITOR_KEY = "monitor";
const HISTORY_MS = 3 * 24 * 3600_000 + 3600_000;

export interface MonitorDeps {
  env: Env;
  db: Database;
  sql: SqlStorage;
  store: RunStore;
  engine: RunEngine;
  providers(): Promise<ProviderSet>;
  /** Seals `audit` onto the environment's chain and writes it with `statements` in one D1 batch. */
  record(envId: string, statements: BatchItem<"sqlite">[], audit: AuditInput[]): Promise<void>;
}

export interface MonitorReport {
  checked: boolean;
  at: string;
  anomalies: string[];
  opened: string[];
  continued: string[];
  resolved: string[];
  escalated: string[];
  runs: string[];
}

type ReleaseRow = Awaited<ReturnType<typeof listReleases>>[number];

/** Releases and desired-state changes an incident is read against. */
interface IncidentFacts {
  current: ReleaseRow | null;
  previous: ReleaseRow | null;
  lastGood: ReleaseRow | null;
  specDiff: SpecChange[];
  releaseAgeMs: number | null;
}

/** The monitor of one environment (one per EnvironmentDO). */
export class EnvironmentMonitor {
  #domains = new Map<string, string | null>();

  constructor(private readonly deps: MonitorDeps) {}

  /** Creates the monitor's tables; called from the DO constructor under blockConcurrencyWhile. */
  migrate(): void {
    this.deps.sql.exec(`
      CREATE TABLE IF NOT EXISTS monitor_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS monitor_samples (service TEXT NOT NULL, at INTEGER NOT NULL, requests INTEGER NOT NULL, errors INTEGER NOT NULL, PRIMARY KEY (service, at));
    `);
  }

  /** The environment this object monitors (known after the first tick). */
  envId(): string | null {
    return this.#get("envId");
  }

  /** One check at `at`; `drift` forces the slow-cadence drift comparison now. */
  async tick(envId: string, at: number, options: { drift?: boolean } = {}): Promise<MonitorReport> {
    const report: MonitorReport = {
      checked: false,
      at: new Date(at).toISOString(),
      anomalies: [],
      opened: [],
      continued: [],
      resolved: [],
      escalated: [],
      runs: [],
    };
    this.#set("envId", envId);
    const last = Number(this.#get("lastCheckAt") ?? "0");
    const row = await findEnv(this.deps.db, envId);
    const { spec } = await specAt(this.deps.db, envId);
    const policy = spec.policies.monitoring;
    this.#watch(policy.intervalSeconds);
    if (at <= last || !policy.enabled || !row.bindings.railway) return report;
    this.#set("lastCheckAt", String(at));
    report.checked = true;
    const p = await this.deps.providers();
    const window = { start: at - policy.intervalSeconds * 1000, end: at };
    const samples = await sampleServices(p, spec, row.bindings.railway, window, this.#domains);
    const history = this.#remember(samples, window.start, at);
    const anomalies = detectAnomalies({
      samples,
      history,
      now: at,
      policy,
      patterns: spec.policies.canary.criticalPatterns,
    });
    const checked = new Set<AnomalyKind>(["errors", "latency", "health", "log-pattern", "cron", "slo-burn"]);
    const lastDrift = Number(this.#get("lastDriftAt") ?? "0");
    if (options.drift || at - lastDrift >= policy.driftSeconds * 1000) {
      this.#set("lastDriftAt", String(at));
      checked.add("drift");
      const configApplied = !!(await listReleases(this.deps.db, envId)).find((r) => r.id === row.currentReleaseId)
        ?.runId;
      const drift = await this.#drift(p, spec, row.bindings, configApplied);
      if (drift.length)
        anomalies.push({
          key: "drift",
          kind: "drift",
          service: "*",
          severity: "ticket",
          title: `drift from the desired state: ${describeDrift(drift).slice(0, 300)}`,
          evidence: { changes: drift },
        });
    }
    report.anomalies = anomalies.map((a) => a.key);
    const open = await openIncidents(this.deps.db, envId);
    const changes = reconcileIncidents(open.map(toOpen), anomalies, {
      now: at,
      quietMs: (kind) => (kind === "drift" ? 0 : policy.quietSeconds * 1000),
      checked,
    });
    const facts = await this.#facts(envId, spec, row.currentReleaseId, at);
    for (const anomaly of changes.opened)
      report.opened.push(await this.#open(row.env, envId, spec, anomaly, samples, facts, at, report));
    for (const { incident, anomaly } of changes.continued) {
      const current = open.find((i) => i.id === incident.id)!;
      await this.deps.record(
        envId,
        [
          updateIncidentStatement(this.deps.db, incident.id, {
            lastSeenAt: iso(at),
            updatedAt: iso(at),
            checks: current.checks + 1,
            details: { ...current.details, latest: anomaly.evidence, title: anomaly.title },
          }),
        ],
        [],
      );
      report.continued.push(incident.id);
    }
    for (const { incident, note } of changes.resolved) {
      await this.#resolve(row.env, envId, open.find((i) => i.id === incident.id)!, note, MONITOR_ACTOR.id, at, p);
      report.resolved.push(incident.id);
    }
    report.escalated = await this.#escalate(row.env, envId, spec, at, p);
    return report;
  }

  /** Acknowledges an incident's alert: escalation stops. */
  async ack(envId: string, incident: IncidentRow, actor: Actor, at: number): Promise<void> {
    if (incident.ackedAt) return;
    await this.deps.record(
      envId,
      [
        updateIncidentStatement(this.deps.db, incident.id, {
          ackedBy: actor.id,
          ackedAt: iso(at),
          escalateAt: null,
          updatedAt: iso(at),
        }),
      ],
      [
        {
          actor: actor.id,
          action: "incident.acknowledged",
          details: { incident: incident.id, level: incident.escalationLevel },
        },
      ],
    );
  }

  /** Resolves an incident on a person's (or a run's) say-so, e.g. drift adopted. */
  async resolveBy(
    env: string,
    envId: string,
    incident: IncidentRow,
    note: string,
    actor: string,
    at: number,
  ): Promise<void> {
    await this.#resolve(env, envId, incident, note, actor, at, await this.deps.providers());
  }

  /** Keeps the watchdog armed: the next check comes even when the cron tick does not. */
  #watch(intervalSeconds: number): void {
    this.deps.store.schedule(MONITOR_KEY, Date.now() + monitorWatchdogMs(this.deps.env, intervalSeconds));
  }

  /** Adds this window's buckets to the error history and returns it per service (pruned to 3 days). */
  #remember(samples: ServiceSample[], bucketAt: number, now: number): Record<string, ErrorSample[]> {
    const { sql } = this.deps;
    for (const s of samples) {
      if (s.kind !== "service") continue;
      sql.exec(
        "INSERT INTO monitor_samples (service, at, requests, errors) VALUES (?, ?, ?, ?) ON CONFLICT (service, at) DO UPDATE SET requests = excluded.requests, errors = excluded.errors",
        s.service,
        bucketAt,
        s.requests,
        s.errors,
      );
    }
    sql.exec("DELETE FROM monitor_samples WHERE at < ?", now - HISTORY_MS);
    const history: Record<string, ErrorSample[]> = {};
    for (const r of sql.exec("SELECT service, at, requests, errors FROM monitor_samples ORDER BY at").toArray()) {
      (history[String(r.service)] ??= []).push({
        at: Number(r.at),
        requests: Number(r.requests),
        errors: Number(r.errors),
      });
    }
    return history;
  }

  async #drift(
    p: ProviderSet,
    spec: EnvironmentSpec,
    bindings: Parameters<typeof observeState>[2],
    configApplied: boolean,
  ): Promise<SpecChange[]> {
    const canaryRun = this.#canaryRun();
    // The weight step under way may have moved the traffic before the run could record it.
    const underWay =
      canaryRun &&
      this.deps.store.steps(canaryRun.id).find((s) => s.kind === "canary-step" && s.status !== "succeeded");
    const canary = canaryRun?.outputs.traffic
      ? {
          binding: canaryRun.outputs.traffic,
          weight: canaryRun.outputs.canary?.weight ?? 0,
          moving: underWay?.kind === "canary-step" ? [0, underWay.params.weight] : [0],
        }
      : null;
    return detectDrift(spec, { ...(await observeState(p, spec, bindings, canary)), configApplied });
  }

  #canaryRun() {
    return this.deps.store.runsIn(["running"]).find((r) => r.outputs.traffic && r.outputs.canary) ?? null;
  }

  async #facts(
    envId: string,
    spec: EnvironmentSpec,
    currentReleaseId: string | null,
    at: number,
  ): Promise<IncidentFacts> {
    const all = await listReleases(this.deps.db, envId);
    const current = all.find((r) => r.id === currentReleaseId) ?? null;
    const previous = current ? (all[all.findIndex((r) => r.id === current.id) + 1] ?? null) : null;
    const lastGood = previous ?? current;
    let specDiff: SpecChange[] = [];
    if (lastGood) {
      const at_ = (await revisions(this.deps.db, envId)).find((r) => r.createdAt <= lastGood.createdAt);
      if (at_) specDiff = diffSpecs((await specAt(this.deps.db, envId, at_.revision)).spec, spec);
    }
    return { current, previous, lastGood, specDiff, releaseAgeMs: current ? at - Date.parse(current.createdAt) : null };
  }

  async #open(
    env: string,
    envId: string,
    spec: EnvironmentSpec,
    anomaly: Anomaly,
    samples: ServiceSample[],
    facts: IncidentFacts,
    at: number,
    report: MonitorReport,
  ): Promise<string> {
    const id = newId("inc");
    const ackCode = newAckCode();
    const proposal =
      anomaly.severity === "page" || anomaly.kind === "drift"
        ? proposeRemediation({
            kind: anomaly.kind,
            service: anomaly.service,
            spec,
            canaryActive: !!this.#canaryRun(),
            hasPreviousRelease: !!facts.previous,
            previousVersion: facts.previous?.version,
            releaseAgeMs: facts.releaseAgeMs,
            currentReplicas: null,
            poolWeightDrift:
              anomaly.kind === "drift" &&
              ((anomaly.evidence.changes ?? []) as SpecChange[]).some((c) => c.path === "traffic.canaryWeight"),
          })
        : null;
    const applied = proposal ? await this.#remediate(envId, id, proposal) : null;
    if (applied?.runId) report.runs.push(applied.runId);
    const files = incidentBundle({
      incidentId: id,
      env,
      anomaly,
      openedAt: iso(at),
      samples,
      currentRelease: releaseFacts(facts.current),
      lastGoodRelease: releaseFacts(facts.lastGood),
      specDiff: facts.specDiff,
      remediation: proposal
        ? { action: proposal.action, risk: proposal.risk, runId: applied?.runId, auto: applied?.auto ?? false }
        : null,
      rule: proposal?.rule?.text ?? (proposal?.rule ? `${proposal.rule.when} → ${proposal.rule.then}` : undefined),
    });
    const bundles = incidentBundles(this.deps.env);
    for (const [name, body] of Object.entries(files)) await bundles.put(id, name, body);
    const p = await this.deps.providers();
    const page = anomaly.severity === "page";
    const level0 = [...spec.policies.notify, ...(await subscriberPhones(this.deps.db, envId))];
    const remediationText =
      applied?.note ??
      (anomaly.kind === "drift"
        ? 'Say "adopt drift on <env>" or "revert drift on <env>" in chat'.replace(/<env>/g, env.split(":")[1] ?? env)
        : undefined);
    const text = incidentOpenedText({
      env,
      incidentId: id,
      title: anomaly.title,
      ackCode,
      link: this.#link(id),
      remediation: remediationText,
    });
    const sent = page || anomaly.kind === "drift" ? await sendAll(p, destinationsAt(0, level0, []), text) : [];
    const row: IncidentRow = {
      id,
      envId,
      anomalyKey: anomaly.key,
      kind: anomaly.kind,
      severity: anomaly.severity,
      status: "open",
      title: anomaly.title,
      openedAt: iso(at),
      lastSeenAt: iso(at),
      updatedAt: iso(at),
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
    await this.deps.record(
      envId,
      [insertIncidentStatement(this.deps.db, row)],
      [
        {
          actor: MONITOR_ACTOR.id,
          action: "incident.opened",
          runId: applied?.runId,
          diffSummary: anomaly.title.slice(0, 300),
          details: {
            incident: id,
            key: anomaly.key,
            bundle: row.bundle,
            proposal: proposal?.action ?? null,
            auto: applied?.auto ?? false,
            notified: sent.length,
          },
        },
      ],
    );
    return id;
  }

  /** Applies (or proposes for approval) one bounded action; failures to start never stop the incident. */
  async #remediate(
    envId: string,
    incidentId: string,
    proposal: Proposal,
  ): Promise<{ runId?: string; auto: boolean; note: string } | null> {
    try {
      if (proposal.action === "halt-canary") {
        const canary = this.#canaryRun();
        if (!canary) return null;
        await this.deps.engine.stop(canary.id, MONITOR_ACTOR);
        return { runId: canary.id, auto: true, note: `Canary run ${canary.id} halted` };
      }
      const cx = { env: this.deps.env, db: this.deps.db, actor: MONITOR_ACTOR, now: Date.now };
      const params = {
        action: proposal.action,
        incidentId,
        ...(proposal.service && proposal.action !== "rollback" ? { service: proposal.service } : {}),
        ...(proposal.replicas !== undefined ? { replicas: proposal.replicas } : {}),
      };
      const plan: Plan = await createPlan(
        cx,
        envId,
        { type: "remediate", params },
        { remediation: proposal.auto ? "auto" : "approval" },
      );
      const run = await this.deps.engine.enqueue(plan, MONITOR_ACTOR);
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

  async #resolve(
    env: string,
    envId: string,
    incident: IncidentRow,
    note: string,
    actor: string,
    at: number,
    p: ProviderSet,
  ): Promise<void> {
    const { spec } = await specAt(this.deps.db, envId);
    const level0 = [...spec.policies.notify, ...(await subscriberPhones(this.deps.db, envId))];
    await this.deps.record(
      envId,
      [
        updateIncidentStatement(this.deps.db, incident.id, {
          status: "resolved",
          resolvedAt: iso(at),
          resolution: note,
          updatedAt: iso(at),
          escalateAt: null,
        }),
      ],
      [
        {
          actor,
          action: "incident.resolved",
          diffSummary: note.slice(0, 300),
          details: { incident: incident.id, key: incident.anomalyKey },
        },
      ],
    );
    if (incident.severity === "page")
      await sendAll(
        p,
        destinationsAt(0, level0, []),
        incidentResolvedText(
          { env, incidentId: incident.id, title: incident.title, link: this.#link(incident.id) },
          note,
        ),
      );
  }

  /** Moves every unacknowledged, overdue alert to its next destination. */
  async #escalate(env: string, envId: string, spec: EnvironmentSpec, at: number, p: ProviderSet): Promise<string[]> {
    const { ackTimeoutSeconds, chain } = spec.policies.monitoring.escalation;
    const escalated: string[] = [];
    for (const incident of await openIncidents(this.deps.db, envId)) {
      const escalateAt = incident.escalateAt ? Date.parse(incident.escalateAt) : null;
      if (!escalationDue({ level: incident.escalationLevel, escalateAt, acked: !!incident.ackedAt }, at)) continue;
      const level = incident.escalationLevel + 1;
      const to = destinationsAt(level, [], chain);
      const minutes = Math.round((at - Date.parse(incident.openedAt)) / 60_000);
      const sent = await sendAll(
        p,
        to,
        escalatedText(
          {
            env,
            incidentId: incident.id,
            title: incident.title,
            ackCode: incident.ackCode,
            link: this.#link(incident.id),
          },
          level,
          minutes,
        ),
      );
      await this.deps.record(
        envId,
        [
          updateIncidentStatement(this.deps.db, incident.id, {
            escalationLevel: level,
            escalateAt: nullableIso(nextEscalation(level, at, ackTimeoutSeconds * 1000, chain)),
            updatedAt: iso(at),
          }),
        ],
        [
          {
            actor: MONITOR_ACTOR.id,
            action: "incident.escalated",
            diffSummary: `level ${level + 1}: ${sent.length} destination(s)`,
            details: { incident: incident.id, level, recipients: sent.length },
          },
        ],
      );
      escalated.push(incident.id);
    }
    return escalated;
  }

  #link(incidentId: string): string {
    return `${this.deps.env.PUBLIC_URL.replace(/\/$/, "")}/api/incidents/${incidentId}`;
  }

  #get(key: string): string | null {
    const row = this.deps.sql.exec("SELECT value FROM monitor_state WHERE key = ?", key).toArray()[0];
    return row ? String(row.value) : null;
  }

  #set(key: string, value: string): void {
    this.deps.sql.exec(
      "INSERT INTO monitor_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }
}

/** Texts every phone; returns the ones that were sent (an SMS failure never fails a check). */
async function sendAll(p: ProviderSet, phones: string[], body: string): Promise<string[]> {
  if (!p.sms) return [];
  const sent: string[] = [];
  for (const to of phones) {
    try {
      await p.sms.send({ to, body });
      sent.push(to);
    } catch (e) {
      console.error("incident sms failed", e instanceof Error ? e.message : String(e));
    }
  }
  return sent;
}

function toOpen(i: IncidentRow) {
  return {
    id: i.id,
    key: i.anomalyKey,
    kind: i.kind,
    lastSeenAt: Date.parse(i.lastSeenAt),
    openedAt: Date.parse(i.openedAt),
    checks: i.checks,
    runIds: i.runIds,
  };
}

function releaseFacts(
  r: {
    id: string;
    version: string;
    createdAt: string;
    services: Record<string, { commitSha: string; commitMessage: string }>;
  } | null,
): ReleaseFacts | null {
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

const iso = (ms: number) => new Date(ms).toISOString();
const nullableIso = (ms: number | null) => (ms === null ? null : iso(ms));
