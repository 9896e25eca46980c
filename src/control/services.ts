/**
 * What the application layer is given: built once per request (the services middleware) and once per
 * Durable Object by the composition root (src/wiring.ts), never from the raw Worker env below it.
 */
import type { LanguageModel } from "ai";
import type { SandboxDO } from "../../durable-objects/sandbox";
import type { AnchorState, DigestStore } from "../audit/anchor";
import type { ArchiveStore, ArtifactStore } from "../audit/artifacts";
import type { AuditEvent, AuditInput } from "../audit/chain";
import type { Database } from "../db/client";
import type { RouterReport } from "../edge-router/protocol";
import type { IngestOutcome } from "../runs/canary/judge-store";
import type { SecretCipher } from "../db/secrets";
import type { RpcResult } from "../domain/errors";
import type { Keyring } from "../domain/keyring";
import type { Plan, RunStatus } from "../domain/run";
import type { Approvals } from "../domain/run";
import type { Actor, ApprovalSubject } from "../policy/approval";
import type { Receipt } from "../providers/types";
import type { BudgetDecision, BudgetView, RailwayPlanName, RequestPriority } from "../budget/bucket";
import type { ConnectionApis } from "../runs/context";
import type { ProviderSet } from "../runs/types";
import type { StepLogs } from "../runs/step-logs";
import type { MonitorReport } from "../monitor/types";
import type { MonitorThrottle } from "../monitor/store";

/** Every provider adapter, including the clients that verify and wire a project's connections. */
export type Providers = ProviderSet & { connections: ConnectionApis };

/** Scrubs every known secret value out of a text. */
export type Redact = (text: string) => string;

/** What a person may do to a run that has been applied. */
export type RunAction = "approve" | "reject" | "cancel" | "stop" | "resume" | "promote";

/** The Railway token's budget as the application sees it (its object, on the deployment's clock). */
export interface RailwayBudget {
  view(): Promise<BudgetView>;
  /** Whether a monitoring check of about `calls` requests may run at the monitor's time `at`. */
  admitCheck(calls: number, at: number): Promise<BudgetDecision>;
  configure(plan: RailwayPlanName): Promise<BudgetView>;
}

/** What RPC callers get back about a run. */
export interface RunSummary {
  id: string;
  status: RunStatus;
  approvals: Approvals | null;
}

/** The RPC surface of an environment's Durable Object that the application layer uses. */
export interface EnvironmentObject {
  enqueue(plan: Plan, requester: Actor): Promise<RpcResult<RunSummary>>;
  act(runId: string, action: RunAction, actor: Actor, reason?: string): Promise<RpcResult<RunSummary>>;
  monitorTick(envId: string, options?: { at?: number; drift?: boolean }): Promise<RpcResult<MonitorReport>>;
  ackIncident(incidentId: string, actor: Actor): Promise<RpcResult<{ id: string }>>;
  /** Twilio could not deliver a text this environment sent: escalate or forward it, and record it. */
  textUndelivered(sid: string): Promise<RpcResult<{ escalated: boolean }>>;
  /** Whether monitoring is held back by Railway's request budget, and when it last checked. */
  monitoringStatus(): Promise<{ lastCheckAt: string | null; throttled: MonitorThrottle | null }>;
  resolveIncident(incidentId: string, note: string, actor: Actor): Promise<RpcResult<{ id: string }>>;
  appendAudit(chain: string, inputs: AuditInput[]): Promise<AuditEvent[]>;
  /** The audit chain's checkpoint, breach record and last digest, as this object (its writer) holds them. */
  auditAnchors(): Promise<AnchorState>;
  /** Cancels this environment's plans that nobody applied before `cutoff` ("plan expired"); returns their run ids. */
  expirePlans(envId: string, cutoff: string): Promise<string[]>;
  /** Deployment logs of a run's steps (build, pre-deploy, runtime), redacted. */
  stepLogs(runId: string): Promise<RpcResult<StepLogs[]>>;
  /** Closes the watcher sockets opened with these tokens (they were revoked). */
  closeWatchers(tokenIds: string[]): Promise<number>;
  /** Stores and counts one verified edge router report (control/edge-reports.ts). */
  ingestRouterReport(report: RouterReport): Promise<IngestOutcome>;
  /** Opens a watcher socket for an authenticated caller (runs/live.ts `watchRequest`). */
  fetch(request: Request): Promise<Response>;
}

/** The application's services: storage, adapters, the environments' objects and configuration. */
export interface Services {
  db: Database;
  now(): number;
  /** Where people reach this control plane: links in texts and replies. */
  publicUrl: string;
  /** How long a plan may wait for "apply" before it expires. */
  planTtlMs: number;
  /** Whether the in-process sandbox answers for every provider. */
  sandbox: boolean;
  /** Which provider credentials this deployment has (the sandbox stands in for all of them). */
  configured: { railway: boolean; cloudflare: boolean };
  /** Provider adapters; every call reports its receipt to `onReceipt`, scrubbed by `redact`. */
  /**
   * Provider adapters; every call reports its receipt to `onReceipt`, scrubbed by `redact`. Railway calls
   * spend the token's request budget at `priority` (default "run").
   */
  providers(options?: {
    onReceipt?: (receipt: Receipt) => void;
    redact?: Redact;
    priority?: RequestPriority;
  }): Providers;
  /** The Railway token's request budget (null without a Railway token): status, monitoring's admission, plan. */
  railwayBudget(): RailwayBudget | null;
  cipher: SecretCipher;
  /** A redactor knowing every stored secret value (of one environment, or all). */
  redactor(envId?: string): Promise<Redact>;
  /** Run artifacts (runs/<runId>/…). */
  runArtifacts: ArtifactStore;
  /** Incident bundles (incidents/<incidentId>/…). */
  incidentBundles: ArtifactStore;
  /** Generated archives kept by key (bootstrap/…). */
  archives: ArchiveStore;
  /** The audit chain's keys (AUDIT_KEY): events and their checkpoints are HMACs under them. */
  auditKeys: Keyring;
  /** The audit chains' hourly digests (R2). */
  auditDigests: DigestStore;
  /** The Durable Object of an environment (or of the global audit chain). */
  environment(envId: string): EnvironmentObject;
  /** The keys approval and SMS confirmation codes derive from (APPROVAL_KEY). */
  approvalKeys: Keyring;
  /** The approver's own code for a run, or null when they may not approve it (policy/approval.ts). */
  approvalCode(run: ApprovalSubject, approver: Actor): Promise<string | null>;
  /** The chat's language model, when one is configured; absent, the rule parser reads every message. */
  languageModel?: () => Promise<LanguageModel>;
  /** Twilio's auth token, which signs inbound SMS webhooks; absent when Twilio is not configured. */
  twilioAuthToken?: string;
  /** The deployment's one-time secret for creating the first admin (BOOTSTRAP_SECRET); absent: bootstrap is off. */
  bootstrapSecret?: string;
  /** The local admin's token `npm start` seeds (INFRA_CHAT_ADMIN_TOKEN). */
  adminToken?: string;
  /** The sandbox world (seeding and the /sandbox routes); present only when the dev entry runs it. */
  sandboxWorld?: () => DurableObjectStub<SandboxDO>;
}
