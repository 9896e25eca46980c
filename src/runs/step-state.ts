/**
 * Step-private progress, persisted around every provider call so a step that runs again (a retry, a poll,
 * an evicted Durable Object) carries on where it was instead of repeating a write. One schema, parsed
 * whenever a step is read back from storage; each group of fields is written by the step kinds named.
 * Every field is optional: a step fills them in as it goes.
 */
import { z } from "zod";
import { TrackSampleSchema } from "../monitor/judge";
import { BackfillProgress } from "./outputs";

const SamplePair = z.object({ canary: TrackSampleSchema, baseline: TrackSampleSchema });

/** Two tracks' windows of one check. */
export type SamplePair = z.infer<typeof SamplePair>;

export const StepState = z.object({
  /** Every kind (set by the step runner): what the step last said. */
  note: z.string().optional(),

  // Kinds that start a Railway deployment and poll it (deploy-service, migrate, rollback-service,
  // canary-promote, restart-service). Railway has no idempotency keys.
  /** When the deploy was sent: a deployment of the commit created since then is this step's. */
  intentAt: z.number().optional(),
  /** Deployments that existed before this step sent anything: never mistaken for ours. */
  existing: z.array(z.string()).optional(),
  deploymentId: z.string().optional(),
  /** Polls of the deployment so far (the wait between them backs off). */
  polls: z.number().optional(),
  /** deploy-service: what the service ran before (null: nothing live), so a failed run can put it back. */
  previousDeploymentId: z.string().nullable().optional(),
  /** restart-service: the live commit being redeployed, fixed on the first attempt. */
  sha: z.string().optional(),

  /** verify-health: failed probes per service. */
  failures: z.record(z.string(), z.number()).optional(),

  // canary-step
  /** Simulated (or real) time the soak (or, for backfill, the run) started. */
  startedAt: z.number().optional(),
  /** The end of the last sampled window. */
  windowEnd: z.number().optional(),
  checks: z.number().optional(),
  consecutiveFails: z.number().optional(),
  baselineDeploymentId: z.string().optional(),
  /** Windows too thin to judge, held until there is enough to say something ("probe harder"). */
  pending: SamplePair.optional(),
  /** Every window of the step, merged: the soft trigger judges it at the end of the soak. */
  total: SamplePair.optional(),

  // backfill (and startedAt above)
  cursor: z.string().nullable().optional(),
  /** When the next batch is due (simulated time in the sandbox, real time otherwise). */
  nextAt: z.number().optional(),
  /** Due times of the batches sent, for pacing checks (bounded). */
  schedule: z.array(z.number()).optional(),
  progress: BackfillProgress.optional(),
  /** When the app's health was last read (the run's clock). */
  healthCheckedAt: z.number().optional(),

  /** await-run: when the awaited run's soak began. */
  soakStartedAt: z.number().optional(),

  // ensure-component: template deploys are not idempotent, so `sent` is set before sending.
  workflowId: z.string().nullable().optional(),
  sent: z.boolean().optional(),

  // ensure-environment: creates are not idempotent, so each is marked sent before it goes out.
  projectSent: z.boolean().optional(),
  environmentSent: z.boolean().optional(),

  /** ensure-sendgrid-domain: validations tried so far. */
  validations: z.number().optional(),

  // reencrypt-secrets: what earlier batches did, so a resumed run goes on from there.
  reencrypted: z.number().optional(),
  unreadable: z.array(z.object({ name: z.string(), reason: z.string() })).optional(),
});
export type StepState = z.infer<typeof StepState>;
