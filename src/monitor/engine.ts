/**
 * Continuous monitoring of one environment, composed by its EnvironmentDO (the single writer of its
 * incidents and audit chain). A check reads signals, asks the pure rules what is wrong, opens / updates /
 * resolves incidents, proposes or applies a bounded remediation, and escalates unacknowledged alerts.
 * Time is whatever the tick says it is (cron's scheduled time, the watchdog's clock, or a test's), and a
 * tick no later than the last one is a no-op: missed or doubled ticks are harmless.
 */
import { AppError } from "../domain/errors";
import { isoAt } from "../domain/time";
import type { EnvironmentSpec, SpecChange } from "../domain/spec";
import { diffSpecs } from "../domain/spec";
import type { Actor } from "../policy/approval";
import type { Receipt } from "../providers/types";
import type { Anomaly, AnomalyKind, ServiceSample } from "./anomalies";
import { detectAnomalies } from "./anomalies";
import { describeDrift, detectDrift } from "./drift";
import type { IncidentFacts, Where } from "./incident-actions";
import { escalateIncidents, escalateUndelivered, openIncident, resolveIncident } from "./incident-actions";
import type { Undelivered } from "./incident-actions";
import type { OpenIncident } from "./incidents";
import { reconcileIncidents } from "./incidents";
import type { Incident, MonitorDeps, MonitorReport, SignalSource } from "./types";
import { MONITOR_ACTOR } from "./types";
import type { EndedRun } from "./run-incidents";
import { isRunIncident, openRunIncident, resolveRunIncidents, runIncidentKind } from "./run-incidents";
import type { MonitorThrottle } from "./store";
import { RequestWithheld } from "../providers/types";

/** The environment as the check found it in the desired state. */
type Current = Awaited<ReturnType<MonitorDeps["desired"]["current"]>>;
type RailwayBinding = NonNullable<Current["bindings"]["railway"]>;

/** What one check saw: the samples, what is wrong, which kinds it looked at, and its reads' receipts. */
interface Check {
  samples: ServiceSample[];
  anomalies: Anomaly[];
  checked: Set<AnomalyKind>;
  receipts: Receipt[];
}

/** The monitor of one environment (one per EnvironmentDO). */
export class MonitorEngine {
  constructor(private readonly deps: MonitorDeps) {}

  /** The environment this object monitors (known after its first check). */
  envId(): string | null {
    return this.deps.store.envId();
  }

  /** One check at `at`; `drift` forces the slow-cadence drift comparison now. */
  async tick(envId: string, at: number, options: { drift?: boolean } = {}): Promise<MonitorReport> {
    const { store } = this.deps;
    const report: MonitorReport = {
      checked: false,
      at: isoAt(at),
      anomalies: [],
      opened: [],
      continued: [],
      resolved: [],
      escalated: [],
      runs: [],
      providerCalls: 0,
    };
    store.setEnvId(envId);
    const last = store.lastCheckAt();
    const current = await this.deps.desired.current(envId);
    const policy = current.spec.policies.monitoring;
    this.deps.watchdog(policy.intervalSeconds);
    const railway = current.bindings.railway;
    if (at <= last || !policy.enabled || !railway) return report;
    const driftDue = (options.drift ?? false) || at - store.lastDriftAt() >= policy.driftSeconds * 1000;
    // Monitoring comes last for Railway's request budget: a check it cannot afford is skipped, and said.
    const admission = await this.deps.admitCheck?.(checkCalls(current.spec, driftDue), at);
    if (admission && !admission.granted) return this.#throttled(report, admission, at, policy.intervalSeconds);
    store.markChecked(at);
    let check: Check;
    try {
      check = await this.#detect(envId, current, railway, at, driftDue);
    } catch (e) {
      // Another caller spent the budget mid-check: the check is not half-judged, it waits.
      if (e instanceof RequestWithheld)
        return this.#throttled(report, { retryAt: at + e.waitMs, reason: e.message }, at, policy.intervalSeconds);
      throw e;
    }
    store.setThrottle(null);
    report.checked = true;
    report.anomalies = check.anomalies.map((a) => a.key);
    report.providerCalls = check.receipts.length;
    const where = { env: current.env, envId, spec: current.spec };
    await this.#reconcile(where, current.currentReleaseId, check, at, report);
    report.escalated = await escalateIncidents(this.deps, where, at);
    return report;
  }

  /** Reads the signals (and, when due, the provider's shape) and asks the pure rules what is wrong. */
  async #detect(
    envId: string,
    current: Current,
    railway: RailwayBinding,
    at: number,
    driftDue: boolean,
  ): Promise<Check> {
    const { store } = this.deps;
    const { spec } = current;
    const policy = spec.policies.monitoring;
    const receipts: Receipt[] = [];
    const signals = await this.deps.signals((r) => receipts.push(r));
    const window = { start: at - policy.intervalSeconds * 1000, end: at };
    const samples = await signals.sample(spec, railway, window);
    const anomalies = detectAnomalies({
      samples,
      history: store.rememberErrors(samples, window.start, at),
      now: at,
      policy,
      patterns: spec.policies.canary.criticalPatterns,
    });
    const checked = new Set<AnomalyKind>(["errors", "latency", "health", "log-pattern", "cron", "slo-burn"]);
    if (driftDue) {
      store.markDriftChecked(at);
      checked.add("drift");
      const drift = await this.#drift(envId, current, railway, signals);
      if (drift) anomalies.push(drift);
    }
    return { samples, anomalies, checked, receipts };
  }

  /** Opens, updates and resolves the environment's incidents to match what the check found. */
  async #reconcile(
    where: Where,
    currentReleaseId: string | null,
    check: Check,
    at: number,
    report: MonitorReport,
  ): Promise<void> {
    const { incidents } = this.deps;
    const policy = where.spec.policies.monitoring;
    const open = await incidents.open(where.envId);
    const changes = reconcileIncidents(open.map(toOpen), check.anomalies, {
      now: at,
      quietMs: (kind) => (kind === "drift" ? 0 : policy.quietSeconds * 1000),
      checked: check.checked,
    });
    const facts = await this.#facts(where.envId, where.spec, currentReleaseId, at);
    for (const anomaly of changes.opened) {
      const evidence = { samples: check.samples, facts, checkReceipts: check.receipts };
      const opened = await openIncident(this.deps, where, anomaly, evidence, at);
      report.opened.push(opened.id);
      if (opened.runId) report.runs.push(opened.runId);
    }
    for (const { incident, anomaly } of changes.continued) {
      const row = byId(open, incident.id);
      const details = { ...row.details, latest: anomaly.evidence, title: anomaly.title };
      await incidents.update(row, { lastSeenAt: isoAt(at), updatedAt: isoAt(at), checks: row.checks + 1, details }, []);
      report.continued.push(incident.id);
    }
    for (const { incident, note } of changes.resolved) {
      await resolveIncident(this.deps, where, byId(open, incident.id), note, MONITOR_ACTOR.id, at);
      report.resolved.push(incident.id);
    }
  }

  /** A run ended: a canary rollback or failed production deploy opens an incident; a good deploy resolves them. */
  async runEnded(run: EndedRun, files: () => Promise<Record<string, string>>, at: number): Promise<string[]> {
    if (run.status === "succeeded" && run.type === "deploy")
      return resolveRunIncidents(this.deps, run.envId, run.id, at);
    if (!runIncidentKind(run)) return [];
    const opened = await openRunIncident(this.deps, run, await files(), at);
    return opened ? [opened] : [];
  }

  /** Records a check skipped for Railway's budget, and asks again when the budget says it can afford one. */
  #throttled(
    report: MonitorReport,
    refusal: { retryAt: number; reason: string },
    at: number,
    intervalSeconds: number,
  ): MonitorReport {
    const before = this.deps.store.throttle();
    const nextCheckAt = Math.max(refusal.retryAt, at + intervalSeconds * 1000);
    this.deps.store.setThrottle({
      since: before?.since ?? isoAt(at),
      reason: refusal.reason,
      nextCheckAt: isoAt(nextCheckAt),
      skipped: (before?.skipped ?? 0) + 1,
    });
    this.deps.watchdog((nextCheckAt - at) / 1000);
    report.throttled = refusal.reason;
    return report;
  }

  /** Whether monitoring is held back by Railway's budget right now, and why. */
  throttle(): MonitorThrottle | null {
    return this.deps.store.throttle();
  }

  /** An alert text of an incident was not delivered: recorded, and escalated at once where still due. */
  async alertUndelivered(incidentId: string, failed: Undelivered, at: number): Promise<boolean> {
    const incident = await this.#incident(incidentId);
    const { env, spec } = await this.deps.desired.current(incident.envId);
    return escalateUndelivered(this.deps, { env, envId: incident.envId, spec }, incident, failed, at);
  }

  /** Acknowledges an incident's alert: escalation stops; an incident a run opened is resolved by it. */
  async ack(incidentId: string, actor: Actor, at: number): Promise<Incident> {
    const incident = await this.#incident(incidentId);
    if (isRunIncident(incident) && incident.status === "open")
      return this.resolve(incidentId, `acknowledged by ${actor.name}`, actor, at);
    if (incident.ackedAt) return incident;
    await this.deps.incidents.update(
      incident,
      { ackedBy: actor.id, ackedAt: isoAt(at), escalateAt: null, updatedAt: isoAt(at) },
      [
        {
          actor: actor.id,
          action: "incident.acknowledged",
          details: { incident: incident.id, level: incident.escalationLevel },
        },
      ],
    );
    return incident;
  }

  /** Resolves an open incident on a person's (or a run's) say-so, e.g. drift adopted. */
  async resolve(incidentId: string, note: string, actor: Actor, at: number): Promise<Incident> {
    const incident = await this.#incident(incidentId);
    if (incident.status !== "open")
      throw new AppError("conflict", `incident ${incidentId} is already ${incident.status}`);
    const { env, spec } = await this.deps.desired.current(incident.envId);
    await resolveIncident(this.deps, { env, envId: incident.envId, spec }, incident, note, actor.id, at);
    return incident;
  }

  async #incident(id: string): Promise<Incident> {
    const incident = await this.deps.incidents.get(id);
    if (!incident) throw new AppError("not_found", `incident ${id} not found`);
    return incident;
  }

  /** Provider state against the spec; a canary weight the run is setting right now is not drift. */
  async #drift(
    envId: string,
    current: Current,
    railway: RailwayBinding,
    signals: SignalSource,
  ): Promise<Anomaly | null> {
    const { spec, bindings } = current;
    const releases = await this.deps.desired.releases(envId);
    const configApplied = !!releases.find((r) => r.id === current.currentReleaseId)?.runId;
    const observed = await signals.observe(spec, railway, bindings.cloudflare, this.deps.runs.canary());
    const drift = detectDrift(spec, { ...observed, configApplied });
    if (!drift.length) return null;
    return {
      key: "drift",
      kind: "drift",
      service: "*",
      severity: "ticket",
      title: `drift from the desired state: ${describeDrift(drift).slice(0, 300)}`,
      evidence: { changes: drift },
    };
  }

  /** Releases and desired-state changes an incident is read against. */
  async #facts(
    envId: string,
    spec: EnvironmentSpec,
    currentReleaseId: string | null,
    at: number,
  ): Promise<IncidentFacts> {
    const all = await this.deps.desired.releases(envId);
    const current = all.find((r) => r.id === currentReleaseId) ?? null;
    const previous = current ? (all[all.findIndex((r) => r.id === current.id) + 1] ?? null) : null;
    const lastGood = previous ?? current;
    let specDiff: SpecChange[] = [];
    if (lastGood) {
      const then = await this.deps.desired.specAsOf(envId, lastGood.createdAt);
      if (then) specDiff = diffSpecs(then, spec);
    }
    return { current, previous, lastGood, specDiff, releaseAgeMs: current ? at - Date.parse(current.createdAt) : null };
  }
}

/**
 * About how many Railway requests one check makes: the deployments of each service, HTTP metrics and log
 * lines of each HTTP service, and for drift the service list plus each service's instance, variables and
 * auto-deploy (signals.ts).
 */
export function checkCalls(spec: EnvironmentSpec, drift: boolean): number {
  const services = Object.values(spec.services);
  const http = services.filter((s) => s.kind === "service").length;
  return services.length + 2 * http + (drift ? 1 + 3 * services.length : 0);
}

function byId(open: Incident[], id: string): Incident {
  const found = open.find((i) => i.id === id);
  if (!found) throw new Error(`incident ${id} is not among the open ones it was reconciled from`);
  return found;
}

function toOpen(i: Incident): OpenIncident {
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
