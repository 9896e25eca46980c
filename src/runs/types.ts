import type { AuditInput } from "../audit/chain";
import type { ArtifactStore } from "../audit/artifacts";
import type { Plan } from "../domain/run";
import type { TrafficRouters } from "../domain/traffic";
import type { RailwayApi } from "../providers/railway/api";
import type { SourceApi } from "../providers/github/api";
import type { SmsApi } from "../providers/twilio/api";
import type { OpsApi } from "../providers/ops/api";
import type { Receipt } from "../providers/types";
import type { RequestPriority } from "../budget/bucket";
import type { JudgeStore } from "./canary/judge-store";
import type { ConnectionApis, ControlPlanePort, StepContext } from "./context";
import type { RunRecord, RunStore, StepRecord } from "./store";

/** What the edge router's writes need from the environment it routes for. */
export interface EdgeRouterAccess {
  envId: string;
  /** The environment's router secret (decrypted only inside the call), null when none is stored yet. */
  routerSecret: () => Promise<string | null>;
}

export interface ProviderSet {
  railway: RailwayApi;
  source: SourceApi;
  appFetch: typeof fetch;
  /** Both traffic routers of a zone; the edge router also needs its environment (report URL, router secret). */
  trafficFor(cloudflare: { accountId: string; zoneId: string }, edge?: EdgeRouterAccess): TrafficRouters;
  sms: SmsApi | null;
  /** The ops contract of an app at `baseUrl`. */
  ops(baseUrl: string, token?: string): OpsApi;
  /** Setup's connection clients (absent where a run never wires connections, e.g. engine tests). */
  connections?: ConnectionApis;
}

/** What the engine needs from its Durable Object shell. */
export interface EngineDeps {
  store: RunStore;
  /** The canary judges (same storage as the runs; report ingestion writes them too). */
  judges: JudgeStore;
  port: ControlPlanePort;
  artifacts: ArtifactStore;
  /** Adapters whose every call reports a receipt to `onReceipt`; Railway calls spend the budget at `priority`. */
  providers(onReceipt: (r: Receipt) => void, priority?: RequestPriority): Promise<ProviderSet>;
  /** Writes the D1 projection of a transition, its receipts and audit events, atomically. */
  commit(change: Commit): Promise<void>;
  /** Persists the schedule's earliest time as the DO alarm. */
  arm(): Promise<void>;
  planDigest(plan: Plan): Promise<string>;
  /** The APPROVAL_KEY id a new run's approval codes derive from (recorded with the run). */
  approvalKeyId(): string;
  /** Tells the environment's on-call people (SMS); failures to notify never fail a run. */
  notify(run: RunRecord, event: RunEvent): Promise<void>;
  now(): number;
  pollMs: number;
  /** How long a step may wait on one Railway deployment before it fails saying where it stuck. */
  deployTimeoutMs: number;
  /** A wait the provider asked for in its own time (Retry-After), as wall milliseconds (scaled in the sandbox). */
  wallMs(providerMs: number): number;
  timing: StepContext["timing"];
}

/** What people are told about. */
export type RunEvent =
  | { kind: "approval-needed" }
  | { kind: "rolled-back"; reason: string; score: number | null }
  | { kind: "halted"; reason: string; score: number | null }
  | { kind: "failed"; error: string };

export interface Commit {
  run: RunRecord;
  steps: StepRecord[];
  receipts?: { stepId: string; receipt: Receipt }[];
  audit?: AuditInput[];
}
