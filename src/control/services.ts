/**
 * What the application layer is given: built once per request (the services middleware) and once per
 * Durable Object by the composition root (src/wiring.ts), never from the raw Worker env below it.
 */
import type { LanguageModel } from "ai";
import type { SandboxDO } from "../../durable-objects/sandbox";
import type { ArchiveStore, ArtifactStore } from "../audit/artifacts";
import type { AuditEvent, AuditInput } from "../audit/chain";
import type { Database } from "../db/client";
import type { RouterReport } from "../edge-router/protocol";
import type { IngestOutcome } from "../runs/canary/judge-store";
import type { SecretCipher } from "../db/secrets";
import type { RpcResult } from "../domain/errors";
import type { Plan, RunStatus } from "../domain/run";
import type { Approvals } from "../domain/run";
import type { Actor, ApprovalSubject } from "../policy/approval";
import type { Receipt } from "../providers/types";
import type { ConnectionApis } from "../runs/context";
import type { ProviderSet } from "../runs/types";
import type { MonitorReport } from "../monitor/types";

/** Every provider adapter, including the clients that verify and wire a project's connections. */
export type Providers = ProviderSet & { connections: ConnectionApis };

/** Scrubs every known secret value out of a text. */
export type Redact = (text: string) => string;

/** What a person may do to a run that has been applied. */
export type RunAction = "approve" | "reject" | "cancel" | "stop" | "resume" | "promote";

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
  resolveIncident(incidentId: string, note: string, actor: Actor): Promise<RpcResult<{ id: string }>>;
  appendAudit(chain: string, inputs: AuditInput[]): Promise<AuditEvent[]>;
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
  /** Whether the in-process sandbox answers for every provider. */
  sandbox: boolean;
  /** Which provider credentials this deployment has (the sandbox stands in for all of them). */
  configured: { railway: boolean; cloudflare: boolean };
  /** Provider adapters; every call reports its receipt to `onReceipt`, scrubbed by `redact`. */
  providers(options?: { onReceipt?: (receipt: Receipt) => void; redact?: Redact }): Providers;
  cipher: SecretCipher;
  /** A redactor knowing every stored secret value (of one environment, or all). */
  redactor(envId?: string): Promise<Redact>;
  /** Run artifacts (runs/<runId>/…). */
  runArtifacts: ArtifactStore;
  /** Incident bundles (incidents/<incidentId>/…). */
  incidentBundles: ArtifactStore;
  /** Generated archives kept by key (bootstrap/…). */
  archives: ArchiveStore;
  /** The Durable Object of an environment (or of the global audit chain). */
  environment(envId: string): EnvironmentObject;
  /** The approver's own code for a run, or null when they may not approve it (policy/approval.ts). */
  approvalCode(run: ApprovalSubject, approver: Actor): Promise<string | null>;
  /** The chat's language model, when one is configured; absent, the rule parser reads every message. */
  languageModel?: () => Promise<LanguageModel>;
  /** Twilio's auth token, which signs inbound SMS webhooks; absent when Twilio is not configured. */
  twilioAuthToken?: string;
  /** The local admin's token `npm start` seeds (INFRA_CHAT_ADMIN_TOKEN). */
  adminToken?: string;
  /** The sandbox world (seeding and the /sandbox routes; meaningful only when `sandbox`). */
  sandboxWorld(): DurableObjectStub<SandboxDO>;
}
