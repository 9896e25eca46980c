import { z } from "zod";
import { SpecChange } from "./spec";
import { PlannedStep } from "./steps";

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

export { PlannedStep, StepKind } from "./steps";
export type { PlannedStepOf, StepDraft, StepParams } from "./steps";

export const Risk = z.object({
  level: z.enum(["low", "medium", "high"]),
  notes: z.array(z.string()),
});
export type Risk = z.infer<typeof Risk>;

export const DeployParams = z
  .object({
    ref: z.string().min(1).max(200).optional(),
    /** A ref per service (another environment's release being promoted): wins over `ref` for that service. */
    refs: z.record(z.string().min(1).max(64), z.string().min(1).max(200)).optional(),
    /** Only these services, in the usual order (with the migrations when a migrating one is among them). */
    services: z.array(z.string().min(1).max(64)).min(1).max(20).optional(),
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

/** A run's approval record: who approved the plan, with which digest, until when. */
export const Approvals = z.object({
  required: z.boolean(),
  /** Digest of the plan approved; each approver's code is derived from it (policy/approval.ts). */
  planDigest: z.string(),
  approvedBy: z.array(z.string()),
  rejectedBy: z.string().optional(),
  expiresAt: z.string(),
});
export type Approvals = z.infer<typeof Approvals>;

/** A read-only plan: ordered steps, desired-state diff and risk (parsed whenever it is read back from storage). */
export const Plan = z.object({
  id: z.string(),
  runId: z.string(),
  type: RunType,
  env: z.string(),
  envId: z.string(),
  /** The request's parameters, as its planner validated them. */
  params: z.record(z.string(), z.unknown()),
  steps: z.array(PlannedStep),
  diff: z.array(SpecChange),
  risk: Risk,
  requiresApproval: z.boolean(),
  autoApply: z.boolean(),
  /** A run this plan defers to a later plan of its own (a contract migration after a canary). */
  followUpPlanId: z.string().optional(),
  specRevision: z.number().int(),
  createdBy: z.string(),
  createdAt: z.string(),
});
export type Plan = z.infer<typeof Plan>;
