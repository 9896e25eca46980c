/**
 * What the monitor engine is composed from (its EnvironmentDO builds each): every effect sits behind
 * a small interface, so the engine reads as a check, and tests drive it with an injected clock.
 */
import type { ArtifactStore } from "../audit/artifacts";
import type { AuditInput } from "../audit/chain";
import type { Bindings, EnvironmentSpec } from "../domain/spec";
import type { Plan } from "../domain/run";
import type { TrafficBinding } from "../domain/traffic";
import type { Actor } from "../policy/approval";
import type { Receipt } from "../providers/types";
import type { BudgetDecision } from "../budget/bucket";
import type { AlertContext } from "../notify/texts";
import type { ServiceSample } from "./anomalies";
import type { ObservedState } from "./drift";
import type { MonitorStore } from "./store";

/** Who the monitor acts as: the requester of the runs it starts (never an approver of them). */
export const MONITOR_ACTOR: Actor = { id: "infra-chat", name: "Infra Chat monitor", role: "admin" };

/** What a check found and changed (incident and run ids). */
export interface MonitorReport {
  checked: boolean;
  at: string;
  anomalies: string[];
  opened: string[];
  continued: string[];
  resolved: string[];
  escalated: string[];
  runs: string[];
  /** Provider calls the check made; each has a receipt (kept with the incident it opened, if any). */
  providerCalls: number;
  /** Why the check did not run: Railway's request budget held monitoring back. */
  throttled?: string;
}

/** An incident as stored (D1 `incidents`). */
export interface Incident {
  id: string;
  envId: string;
  anomalyKey: string;
  kind: string;
  severity: "page" | "ticket";
  status: "open" | "resolved";
  title: string;
  openedAt: string;
  lastSeenAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  resolution: string | null;
  checks: number;
  runIds: string[];
  bundle: string;
  details: Record<string, unknown>;
  ackCode: string;
  ackedBy: string | null;
  ackedAt: string | null;
  escalationLevel: number;
  escalateAt: string | null;
}

/** The receipts of provider calls made for an incident, each under what it was for ("notify", "escalate"). */
export type IncidentReceipts = { stepId: string; receipt: Receipt }[];

/** Incidents of the monitored environment; every write carries its audit events and receipts, atomically. */
export interface IncidentStore {
  get(id: string): Promise<Incident | null>;
  open(envId: string): Promise<Incident[]>;
  insert(incident: Incident, audit: AuditInput[], receipts?: IncidentReceipts): Promise<void>;
  update(
    incident: Pick<Incident, "id" | "envId">,
    fields: Partial<Omit<Incident, "id" | "envId">>,
    audit: AuditInput[],
    receipts?: IncidentReceipts,
  ): Promise<void>;
}

/** A release as incidents are read against it. */
export interface Release {
  id: string;
  version: string;
  createdAt: string;
  runId: string | null;
  services: Record<string, { commitSha: string; commitMessage: string }>;
}

/** The desired state the monitor checks against (read-only). */
export interface DesiredState {
  /** The environment now: its `<project>:<env>` name, latest spec, bindings and current release. */
  current(
    envId: string,
  ): Promise<{ env: string; spec: EnvironmentSpec; bindings: Bindings; currentReleaseId: string | null }>;
  /** Releases, newest first. */
  releases(envId: string): Promise<Release[]>;
  /** The spec as it stood at `at` (the newest revision written by then), or null before the first. */
  specAsOf(envId: string, at: string): Promise<EnvironmentSpec | null>;
  /** Phones subscribed to the environment's alerts. */
  subscribers(envId: string): Promise<string[]>;
}

/** A canary taking traffic: where, at which weight, and the weights a step under way may be moving it to. */
export interface CanaryInFlight {
  runId: string;
  binding: TrafficBinding;
  weight: number;
  moving: number[];
}

/** The environment's runs as the monitor acts on them (the run engine does the work). */
export interface MonitoredRuns {
  canary(): CanaryInFlight | null;
  /** Stops a canary where it is (remediation "halt-canary"). */
  halt(runId: string): Promise<void>;
  /** Queues a remediation plan as the monitor. */
  start(plan: Plan): Promise<{ id: string }>;
  /** Cancels a proposed run that still waits (for approval or its turn); false when it already started or ended. */
  withdraw(runId: string, reason: string): Promise<boolean>;
}

/** Plans a remediation run; "auto" applies by itself, "approval" waits for a person (the policy decided). */
export interface RemediationPlanner {
  plan(envId: string, params: Record<string, unknown>, mode: "auto" | "approval"): Promise<Plan>;
}

type RailwayBinding = NonNullable<Bindings["railway"]>;

/** What monitoring reads from the providers. Reads only; nothing here writes to a provider. */
export interface SignalSource {
  /** Per-service signals over [start, end). */
  sample(
    spec: EnvironmentSpec,
    railway: RailwayBinding,
    window: { start: number; end: number },
  ): Promise<ServiceSample[]>;
  /** The observed shape drift compares with the spec. */
  observe(
    spec: EnvironmentSpec,
    railway: RailwayBinding,
    cloudflare: Bindings["cloudflare"],
    canary: CanaryInFlight | null,
  ): Promise<ObservedState>;
}

/** Texts people; returns the phones that were sent to (a failed text never fails a check). */
export interface AlertSender {
  /**
   * Texts each phone (`body` per phone when each gets its own ACK code); returns the phones texted.
   * `context` says which incident and level the text is (a text Twilio cannot deliver escalates it).
   */
  text(phones: string[], body: string | ((phone: string) => string), context?: AlertContext): Promise<string[]>;
}

/** Everything the monitor engine is built from. */
export interface MonitorDeps {
  store: MonitorStore;
  desired: DesiredState;
  incidents: IncidentStore;
  runs: MonitoredRuns;
  planner: RemediationPlanner;
  /** Incident bundles (incidents/<id>/…), redacted on write. */
  bundles: ArtifactStore;
  /** Signal reads whose receipts go to `onReceipt`. */
  signals(onReceipt: (r: Receipt) => void): Promise<SignalSource>;
  /** An SMS sender whose receipts go to `onReceipt`. */
  alerts(onReceipt: (r: Receipt) => void): Promise<AlertSender>;
  /** Arms the watchdog, so a check comes even when the cron tick does not. */
  watchdog(intervalSeconds: number): void;
  /**
   * Whether a check of about `calls` Railway requests may run at `at` (the request budget; monitoring comes
   * last). Absent: every check runs.
   */
  admitCheck?(calls: number, at: number): Promise<BudgetDecision>;
  /** Where incident links point. */
  publicUrl: string;
}
