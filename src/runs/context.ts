import type { ArtifactStore } from "../audit/artifacts";
import type { Bindings, EnvironmentSpec } from "../domain/spec";
import type { RailwayApi } from "../providers/railway/api";
import type { SourceApi } from "../providers/github/api";
import type { TrafficRouters } from "../domain/traffic";
import type { OpsApi } from "../providers/ops/api";
import type { CloudflareApi } from "../providers/cloudflare/api";
import type { SendGridApi } from "../providers/sendgrid/api";
import type { StripeApi } from "../providers/stripe/api";
import type { StepKind } from "../domain/steps";
import type { JudgeStore } from "./canary/judge-store";
import type { RunOutputs } from "./outputs";
import type { RunRecord, StepRecordOf } from "./store";

/** A release: what each service runs, as recorded when a deploy finished. */
export interface ReleaseServices {
  [service: string]: { commitSha: string; commitMessage: string; deploymentId: string };
}

export interface ReleaseRecord {
  id: string;
  version: string;
  services: ReleaseServices;
  runId: string | null;
  createdAt: string;
}

/** Everything a step needs to know about its environment, loaded from D1 at the plan's spec revision. */
export interface EnvContext {
  envId: string;
  /** "<projectSlug>:<envName>" */
  env: string;
  projectSlug: string;
  name: string;
  spec: EnvironmentSpec;
  bindings: Bindings;
  currentRelease: ReleaseRecord | null;
}

/** D1 reads and writes the executors need, behind an interface so the engine stays storage-agnostic. */
export interface ControlPlanePort {
  loadEnv(envId: string, revision: number): Promise<EnvContext>;
  saveBindings(envId: string, bindings: Bindings): Promise<void>;
  /** Names of the environment's stored secrets (values never leave the resolver). */
  secretNames(envId: string): Promise<string[]>;
  resolveSecret(envId: string, name: string): Promise<string | null>;
  /** Newest first. */
  releases(envId: string): Promise<ReleaseRecord[]>;
  /** Records a new release (next version number) and makes it current, idempotently per run. */
  recordRelease(envId: string, services: ReleaseServices, runId: string): Promise<ReleaseRecord>;
  setCurrentRelease(envId: string, releaseId: string): Promise<void>;
  /** Writes the next spec revision (optimistically locked on `fromRevision`); returns its number. */
  reviseSpec(
    envId: string,
    fromRevision: number,
    spec: EnvironmentSpec,
    author: string,
    reason: string,
  ): Promise<number>;
  /** Rotation: staged value → secret, old value kept aside ("already" when done before). */
  swapSecret(envId: string, name: string): Promise<"swapped" | "already">;
  destroyPreviousSecret(envId: string, name: string): Promise<void>;
  /** Re-seals up to `batch` secrets an older master key sealed (rows named in `skip` left alone). */
  reencryptSecrets(envId: string, batch: number, skip: string[]): Promise<ReencryptBatch>;
  /** Status of any run (chained plans wait on runs of other environments); null when unknown. */
  runStatus(
    runId: string,
  ): Promise<{ status: string; env: string; type: string; endedAt: string | null; error: string | null } | null>;
  /** Records migrations a run applied, with their class and the release then current (rollback safety). */
  recordMigrations(
    envId: string,
    runId: string,
    applied: { service: string; name: string; class: "expand" | "contract" | "unknown" }[],
  ): Promise<void>;
  /** Stores a secret value (encrypted) for the environment, e.g. a webhook signing secret a provider just returned. */
  putSecret(envId: string, name: string, value: string): Promise<void>;
  /** Merges what a step learned about a project's connection into its metadata, optionally moving its status. */
  recordConnection(
    envId: string,
    provider: "stripe" | "sendgrid",
    change: { status?: "configured" | "verified"; metadata: Record<string, unknown> },
  ): Promise<void>;
  /**
   * What a local environment's stack is generated from besides its own spec: the project's name and the
   * environment it mirrors (staging, else another), at that environment's current revision.
   */
  localStackSource(
    envId: string,
  ): Promise<{ projectName: string; reference: { name: string; spec: EnvironmentSpec } | null }>;
  /**
   * The project's other environments bound to the same Railway project, with the services each adopted
   * Railway's auto-deploy for: a service-wide Railway change (serviceConnect) must leave each as it wants.
   */
  railwaySiblings(
    envId: string,
  ): Promise<{ env: string; environmentId: string; services: Record<string, string>; autoDeploy: string[] }[]>;
  /** Users whose phone is one of these (for SMS codes and inbound replies). */
  usersByPhone(
    phones: string[],
  ): Promise<{ id: string; name: string; role: "viewer" | "deployer" | "admin"; phone: string }[]>;
  /** A person's name for texts and incident.md (null when unknown: the monitor, a removed id). */
  userName(id: string | null): Promise<string | null>;
}

/** The outcome of one execution of one step. */
export type StepResult =
  | { kind: "done"; note?: string }
  /** Not finished; run me again after `ms` (polling a deployment, soak). */
  | { kind: "wait"; ms: number; note?: string }
  /** Bad signals: traffic is already back on stable; the run ends rolled-back. */
  | { kind: "rollback"; reason: string }
  /** Needs a person: the run stops (resumable) and the step runs again on resume. */
  | { kind: "halt"; reason: string }
  /** Failed; `retryAfterMs` set when trying again later can help. */
  | { kind: "fail"; error: string; retryAfterMs?: number };

/** Clients for wiring an environment's provider connections; keys come from the environment's secrets. */
export interface ConnectionApis {
  stripe(secretKey: string): StripeApi;
  sendgrid(apiKey: string): SendGridApi;
  /** Null when no Cloudflare token is configured. */
  cloudflare: CloudflareApi | null;
}

/** What a step of kind `K` works with: its run, itself, its environment and the providers. */
export interface StepContext<K extends StepKind = StepKind> {
  run: RunRecord;
  step: StepRecordOf<K>;
  env: EnvContext;
  railway: RailwayApi;
  source: SourceApi;
  /** fetch for the app's own endpoints (health probes). */
  appFetch: typeof fetch;
  port: ControlPlanePort;
  artifacts: ArtifactStore;
  /** The canary judges in the environment's storage, shared with report ingestion. */
  judges: JudgeStore;
  /** Persists step.state and run.outputs now — call before and after every provider write. */
  save(): void;
  now(): number;
  /** How long to wait between polls of a provider (scaled in the sandbox). */
  pollMs: number;
  /** How long one Railway deployment may take before the step fails (scaled in the sandbox). */
  deployTimeoutMs: number;
  /** The traffic routers of a Cloudflare zone (the edge router also needs the environment's report URL and secret). */
  trafficFor(
    cloudflare: { accountId: string; zoneId: string },
    edge?: { envId: string; routerSecret: () => Promise<string | null> },
  ): TrafficRouters;
  /** Setup's Stripe/SendGrid/Cloudflare clients (absent where runs never wire connections). */
  connections?: ConnectionApis;
  /** The app's ops contract in this environment (its api service's URL, OPS_TOKEN when set). */
  opsFor(env: EnvContext): Promise<OpsApi>;
  /**
   * Canary time. Real mode: windows end now and waits are real. Simulated (sandbox): each check covers
   * the next interval of simulated time, and the real wait is the interval times `waitFactor`.
   */
  timing: { simulated: boolean; waitFactor: number };
}

/** Executes one step of kind `K` once. */
/** What one batch of master-key rotation did (ControlPlanePort.reencryptSecrets). */
export interface ReencryptBatch {
  reencrypted: string[];
  unreadable: { name: string; reason: string }[];
  /** Rows still sealed with an older key, beyond this batch and the ones skipped. */
  remaining: number;
}

export type StepExecutor<K extends StepKind> = (ctx: StepContext<K>) => Promise<StepResult>;

/** A value an earlier step left in run.outputs; throws when that step did not run. */
export function output<K extends keyof RunOutputs>(run: RunRecord, key: K): NonNullable<RunOutputs[K]> {
  const value = run.outputs[key];
  if (value === undefined || value === null)
    throw new Error(`run output "${key}" is missing: an earlier step did not run`);
  return value;
}
