/**
 * The steps a plan is made of: one kind each, with parameters fixed at plan time. Every kind has one zod
 * schema for its parameters, so a planner cannot write, and an executor cannot read, a field the other
 * does not know. Plans are parsed with these at creation and whenever they are read back from storage.
 */
import { z } from "zod";
import { Bindings, ComponentSpec } from "./spec";

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

/** A commit pinned at plan time, so what is approved is exactly what is deployed. */
export const PinnedRef = z.object({ repo: z.string(), ref: z.string(), sha: z.string(), message: z.string() });
export type PinnedRef = z.infer<typeof PinnedRef>;

/** What one service of a release runs. */
export const ReleaseService = z.object({ commitSha: z.string(), commitMessage: z.string(), deploymentId: z.string() });
export type ReleaseService = z.infer<typeof ReleaseService>;

/** A pending schema migration as the app classified it at plan time. */
export const PendingMigration = z.object({
  name: z.string(),
  class: z.enum(["expand", "contract"]),
  reasons: z.array(z.string()),
});
export type PendingMigration = z.infer<typeof PendingMigration>;

const Service = z.object({ service: z.string() });
const Component = z.object({ component: ComponentSpec.shape.type });
const SecretName = z.object({ name: z.string() });
const NoParams = z.object({});

/** Parameters of each step kind. */
const PARAMS = {
  "resolve-ref": z.object({ refs: z.record(z.string(), PinnedRef) }),
  preflight: NoParams,
  /** `canary`: services that get a `-canary` twin. */
  /** `services`: only these (with their migration jobs and canary twins); absent = every service of the spec. */
  "reconcile-shape": z.object({ canary: z.array(z.string()).optional(), services: z.array(z.string()).optional() }),
  /** `removeVars`: variables to delete per service (a component removed). */
  "reconcile-config": z.object({
    canary: z.array(z.string()).optional(),
    services: z.array(z.string()).optional(),
    removeVars: z.record(z.string(), z.array(z.string())).optional(),
  }),
  /** `migrations`: the pending ones as classified at plan time; `to`: the last one this run carries. */
  migrate: Service.extend({
    job: z.string(),
    migrations: z.array(PendingMigration).optional(),
    to: z.string().optional(),
  }),
  /** `from`: the service whose pinned commit a canary twin deploys. */
  "deploy-service": Service.extend({ from: z.string().optional() }),
  "verify-health": z.object({ services: z.array(z.string()) }),
  /** Rollback: the release to make current again; a deploy records a new one instead. */
  "finalize-release": z.object({ toRelease: z.string().optional(), toVersion: z.string().optional() }),
  "rollback-service": Service.extend({ target: ReleaseService }),
  "canary-split": Service,
  /** `index`: the position of `weight` among the canary's weight steps. */
  "canary-step": Service.extend({ weight: z.number(), index: z.number().int() }),
  "canary-promote": Service,
  "update-spec": Component.extend({
    action: z.enum(["add", "remove", "resize"]),
    size: ComponentSpec.shape.size.unwrap().optional(),
  }),
  "ensure-component": Component,
  "remove-component": Component,
  /** `shrinksDatabase`: a smaller Postgres, which always waits for an approver. */
  "resize-component": Component.extend({
    size: ComponentSpec.shape.size.unwrap(),
    shrinksDatabase: z.boolean().default(false),
  }),
  /** The component the change was about (the note says what the regenerated stack now runs). */
  "render-local": Component,
  /** The backfill's settings are the run's own (plan params). */
  backfill: NoParams,
  "verify-backfill": NoParams,
  "await-run": z.object({ runId: z.string(), soakSeconds: z.number().min(0).default(0) }),
  /** Copy mode (`source`: a provisioned environment) or fresh mode (`fresh`: found or created by name). */
  "ensure-environment": z.object({
    source: z
      .object({
        name: z.string(),
        railway: Bindings.shape.railway.unwrap(),
        cloudflare: Bindings.shape.cloudflare,
      })
      .optional(),
    fresh: z
      .object({
        projectName: z.string(),
        /** The environment's public hostnames; the zone holding them becomes its Cloudflare binding. */
        domains: z.array(z.string()).optional(),
      })
      .optional(),
  }),
  "swap-secret": SecretName,
  "destroy-secret": SecretName,
  "restart-service": Service,
  /** `reviseSpec`: the desired state follows the new count (remediation), or not (a drift revert). */
  "scale-service": Service.extend({ replicas: z.number().int().min(0), reviseSpec: z.boolean().default(false) }),
  "disable-cron": Service,
  "ensure-stripe-webhook": z.object({ url: z.string(), events: z.array(z.string()) }),
  "ensure-sendgrid-domain": z.object({ domain: z.string(), subdomain: z.string().optional() }),
} satisfies Record<StepKind, z.ZodType>;

/** The parameters of a step of kind `K`. */
export type StepParams<K extends StepKind = StepKind> = z.infer<(typeof PARAMS)[K]>;

function plannedStep<K extends StepKind>(kind: K) {
  return z.object({ id: z.string(), kind: z.literal(kind), summary: z.string(), params: PARAMS[kind] });
}

/** One planned step: what to do, with the parameters fixed at plan time (a union over `kind`). */
export const PlannedStep = z.discriminatedUnion("kind", [
  plannedStep("resolve-ref"),
  plannedStep("preflight"),
  plannedStep("reconcile-shape"),
  plannedStep("reconcile-config"),
  plannedStep("migrate"),
  plannedStep("deploy-service"),
  plannedStep("verify-health"),
  plannedStep("finalize-release"),
  plannedStep("rollback-service"),
  plannedStep("canary-split"),
  plannedStep("canary-step"),
  plannedStep("canary-promote"),
  plannedStep("update-spec"),
  plannedStep("ensure-component"),
  plannedStep("remove-component"),
  plannedStep("resize-component"),
  plannedStep("render-local"),
  plannedStep("backfill"),
  plannedStep("verify-backfill"),
  plannedStep("await-run"),
  plannedStep("ensure-environment"),
  plannedStep("swap-secret"),
  plannedStep("destroy-secret"),
  plannedStep("restart-service"),
  plannedStep("scale-service"),
  plannedStep("disable-cron"),
  plannedStep("ensure-stripe-webhook"),
  plannedStep("ensure-sendgrid-domain"),
]);
export type PlannedStep = z.infer<typeof PlannedStep>;

/** A planned step of one kind. */
export type PlannedStepOf<K extends StepKind> = Extract<PlannedStep, { kind: K }>;

/** A step as a planner writes it, before numberSteps gives it its id. */
export type StepDraft = {
  [K in StepKind]: { kind: K; summary: string; params: z.input<(typeof PARAMS)[K]> };
}[StepKind];
