import { z } from "zod";
import type { SpecChange } from "./spec";

export const RunType = z.enum([
  "setup",
  "deploy",
  "migrate",
  "backfill",
  "rollback",
  "reconcile",
  "remediate",
  "rotate-secret",
]);
export type RunType = z.infer<typeof RunType>;

/** Run status machine (API.md "Run lifecycle"). */
export const RunStatus = z.enum([
  /** plan exists, not applied */
  "planned",
  /** applied; another run of this environment is active */
  "queued",
  /** policy needs an approver */
  "awaiting-approval",
  "running",
  /** resumable pause (backfill, halted canary) */
  "stopped",
  "succeeded",
  "failed",
  "rolled-back",
  "cancelled",
  "rejected",
]);
export type RunStatus = z.infer<typeof RunStatus>;

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = [
  "succeeded",
  "failed",
  "rolled-back",
  "cancelled",
  "rejected",
];

/** Whether a run has ended for good. */
export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}

const RUN_TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  planned: ["queued", "awaiting-approval", "running", "cancelled"],
  queued: ["awaiting-approval", "running", "cancelled", "rolled-back"],
  "awaiting-approval": ["running", "rejected", "cancelled", "queued"],
  running: ["succeeded", "failed", "rolled-back", "stopped", "cancelled"],
  stopped: ["running", "cancelled", "failed"],
  succeeded: [],
  failed: [],
  "rolled-back": [],
  cancelled: [],
  rejected: [],
};

/** The one place run transitions are checked. */
export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

export const StepStatus = z.enum(["pending", "running", "succeeded", "failed", "skipped"]);
export type StepStatus = z.infer<typeof StepStatus>;

export const StepKind = z.enum([
  "resolve-ref",
  "preflight",
  "reconcile-shape",
  "reconcile-config",
  "migrate",
  "deploy-service",
  "verify-health",
  "finalize-release",
  "rollback-service",
  /** Ensures the load-balancer split between a service and its `-canary` twin (0% canary). */
  "canary-split",
  /** Sends a share of traffic to the canary and soaks it, judging canary against baseline every interval. */
  "canary-step",
  /** Deploys the release to the stable service and moves all traffic back to it (canary drained). */
  "canary-promote",
  /** Writes the run's desired-state change as a new spec revision (so approval gates it). */
  "update-spec",
  /** Creates a component (Postgres/Redis) at the provider from its template, if missing. */
  "ensure-component",
  /** Deletes a component's provider resource (data loss: always approved first). */
  "remove-component",
  /** Sets a component's provider resources (memory, vCPUs) to its size's limits. */
  "resize-component",
  /** Local environment: regenerates its compose stack from the new desired state (kept as run artifacts). */
  "render-local",
  /** Runs a data backfill through the app's ops contract, batch by batch, paced by the DO alarm. */
  "backfill",
  /** Asks the app to verify the backfill (coverage, invariants, re-derived sample): decides success. */
  "verify-backfill",
  /** Chained plans: waits until an earlier run (any environment) has succeeded, and soaked; fails if it did not. */
  "await-run",
  /** Setup: the provider environment, cloned from a provisioned one (services, settings, variables). */
  "ensure-environment",
  /** Rotation: the staged value becomes the secret; the old one is kept aside until the run ends. */
  "swap-secret",
  /** Rotation: the old value is destroyed once every service runs with the new one. */
  "destroy-secret",
  /** Remediation: redeploys a service's live commit (bounded set, spec §10.2). */
  "restart-service",
  /** Remediation / drift revert: sets a service's replica count (within policy limits). */
  "scale-service",
  /** Remediation: clears a cron service's schedule until someone re-enables it. */
  "disable-cron",
  /** Setup: the environment's Stripe webhook endpoint (found by url, else created); its signing secret stored. */
  "ensure-stripe-webhook",
  /** Setup: SendGrid domain authentication, its DNS records written through Cloudflare, then validated. */
  "ensure-sendgrid-domain",
]);
export type StepKind = z.infer<typeof StepKind>;

/** One planned step: what to do, with the parameters fixed at plan time. */
export const PlannedStep = z.object({
  id: z.string(),
  kind: StepKind,
  summary: z.string(),
  params: z.record(z.string(), z.unknown()).default({}),
});
export type PlannedStep = z.infer<typeof PlannedStep>;

export const Risk = z.object({
  level: z.enum(["low", "medium", "high"]),
  notes: z.array(z.string()),
});
export type Risk = z.infer<typeof Risk>;

export const DeployParams = z
  .object({
    ref: z.string().min(1).max(200).optional(),
    canary: z.array(z.number().int().min(1).max(100)).min(1).max(10).optional(),
    migrateFirst: z.boolean().optional(),
  })
  .strict();
export type DeployParams = z.infer<typeof DeployParams>;

const RunRef = z.string().regex(/^run_[a-z0-9]{6,40}$/);
export const MigrateParams = z
  .object({
    ref: z.string().min(1).max(200).optional(),
    /** Expand migrations only (up to the first contract one). */
    expandOnly: z.boolean().optional(),
    /** Chained: starts after this run has succeeded, and soaked this long (a contract migration after a canary). */
    after: RunRef.optional(),
    soakSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .optional(),
  })
  .strict();
export type MigrateParams = z.infer<typeof MigrateParams>;
export const RollbackParams = z.object({ toRelease: z.string().min(1).max(100).optional() }).strict();
const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM");
export const BackfillParams = z
  .object({
    job: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/),
    batchSize: z.number().int().min(1).max(5000).optional(),
    ratePerMinute: z.number().int().min(1).max(1_000_000).optional(),
    maxRuntimeSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .optional(),
    dryRun: z.boolean().optional(),
    /** Only run inside this daily window (local time in `tz`), e.g. 01:00–05:00 Europe/London. */
    window: z
      .object({ start: ClockTime, end: ClockTime, tz: z.string().min(1).max(64) })
      .strict()
      .optional(),
    /** Coverage (%) of the rows the job's rules can derive that verification requires (default 100). */
    minCoverage: z.number().min(0).max(100).optional(),
    /** Largest share (%) of all rows allowed to be underivable (default 10); each is counted by reason. */
    maxUnderivable: z.number().min(0).max(100).optional(),
    /** Admin override: run in production without a successful staging run of the same job. */
    force: z.boolean().optional(),
    /** Chained: starts after this run has succeeded (e.g. production after the staging run of the same job). */
    after: RunRef.optional(),
  })
  .strict();
export type BackfillParams = z.infer<typeof BackfillParams>;

export const SetupParams = z
  .object({
    from: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,30}$/)
      .optional(),
    /** Provision from this environment's own spec (find-or-create the Railway project and environment by name) instead of copying one. */
    fresh: z.boolean().optional(),
  })
  .strict();

export const RotateSecretParams = z.object({ name: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/) }).strict();

export const ComponentParams = z
  .object({
    action: z.enum(["add", "remove", "resize"]),
    component: z.enum(["redis", "postgres", "storage"]),
    size: z.enum(["small", "medium", "large"]).optional(),
  })
  .strict()
  .refine((p) => p.action !== "resize" || p.size !== undefined, { message: "resize needs a size", path: ["size"] });
export type ComponentParams = z.infer<typeof ComponentParams>;

/** A read-only plan: ordered steps, desired-state diff and risk. */
export interface Plan {
  id: string;
  runId: string;
  type: RunType;
  env: string;
  envId: string;
  params: Record<string, unknown>;
  steps: PlannedStep[];
  diff: SpecChange[];
  risk: Risk;
  requiresApproval: boolean;
  autoApply: boolean;
  /** A run this plan defers to a later plan of its own (a contract migration after a canary). */
  followUpPlanId?: string;
  specRevision: number;
  createdBy: string;
  createdAt: string;
}
