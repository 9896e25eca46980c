import { z } from "zod";
import { MonitoringPolicy } from "./monitoring";
import { BackfillPolicy } from "./backfill-policy";
import { SequentialJudgeConfigSchema } from "./sequential-judge";

/** Environment variable spec of a service: a literal, a secret reference, or a component binding. */
export const VarSpec = z.union([
  z.object({ value: z.string() }),
  z.object({ secret: z.string().regex(/^[A-Z][A-Z0-9_]*$/) }),
  z.object({ component: z.string(), output: z.string() }),
]);
export type VarSpec = z.infer<typeof VarSpec>;

export const ServiceSpec = z.object({
  /** "service" runs continuously; "cron" runs on a schedule and exits. */
  kind: z.enum(["service", "cron"]).default("service"),
  source: z.object({
    repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "owner/name"),
    branch: z.string().min(1).default("main"),
    path: z.string().default("."),
  }),
  build: z.enum(["dockerfile", "nixpacks", "railpack"]).default("railpack"),
  startCommand: z.string().optional(),
  healthPath: z.string().startsWith("/").optional(),
  port: z.number().int().min(1).max(65535).optional(),
  replicas: z.number().int().min(0).max(50).default(1),
  schedule: z.string().optional(),
  /** Command that applies schema migrations before the app deploys (Railway pre-deploy). */
  migrateCommand: z.string().optional(),
  env: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), VarSpec).default({}),
  dependsOn: z.array(z.string()).default([]),
  /**
   * Railway deploys every push to the branch by itself. Off (absent) unless someone adopted it being on:
   * Infra Chat owns the deploy order (migrations first, the canary), which a push would bypass.
   */
  autoDeploy: z.boolean().optional(),
});
export type ServiceSpec = z.infer<typeof ServiceSpec>;

export const ComponentSpec = z.object({
  type: z.enum(["postgres", "redis", "storage"]),
  size: z.enum(["small", "medium", "large"]).default("small"),
});
export type ComponentSpec = z.infer<typeof ComponentSpec>;

/** The provider resources each component size stands for (Railway service limits). */
export const COMPONENT_LIMITS: Record<ComponentSpec["size"], { memoryGB: number; vCPUs: number }> = {
  small: { memoryGB: 0.5, vCPUs: 0.5 },
  medium: { memoryGB: 2, vCPUs: 1 },
  large: { memoryGB: 8, vCPUs: 2 },
};

export const PolicySpec = z.object({
  /** Runs start without a person saying "apply" (staging in the seed). */
  autoApply: z.boolean().default(false),
  requireApproval: z.boolean().default(false),
  /** How long a run waits for an approver; its codes expire with it, and then the run is cancelled. */
  approvalWindowMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  /**
   * Who may roll back without waiting for an approver where the policy requires approval: admins only
   * (a deployer's rollback waits for one), or deployers too.
   */
  rollbackPreApproved: z.enum(["admins", "deployers"]).default("admins"),
  canary: z
    .object({
      enabled: z.boolean().default(false),
      /** Traffic percentages to the canary, ending at 100. */
      steps: z.array(z.number().int().min(1).max(100)).default([10, 50, 100]),
      soakSeconds: z.number().int().min(0).default(300),
      /** Soak only: deploy and watch without a traffic split (staging). */
      trafficSplit: z.boolean().default(true),
      /** How often canary and baseline are sampled and judged during a soak. */
      intervalSeconds: z.number().int().min(1).default(30),
      /** Consecutive failing checks (5xx or health) that roll back at once, without waiting for the soak to end. */
      hardTriggerChecks: z.number().int().min(1).default(2),
      /** A window whose canary 5xx share is at least this (and significantly worse) rolls back at once. */
      severeErrorRate: z.number().min(0).max(1).default(0.5),
      /** Log lines that count as critical signals. */
      criticalPatterns: z
        .array(z.string().min(1))
        .default(["panic", "SequelizeDatabaseError", "Out of memory", "FATAL"]),
      /**
       * How canary and baseline are compared: the anytime-valid sequential test (one rule for both routers,
       * README "How a canary is judged"), or the fixed-window tests with consecutive-check triggers that
       * runs started before it keep until they end.
       */
      judge: z.enum(["sequential", "fixed-window"]).default("sequential"),
      /** The sequential judge's α, weights, margins and minimum samples (defaults when absent; log patterns are `criticalPatterns`). */
      sequential: SequentialJudgeConfigSchema.optional(),
      /**
       * Who splits the traffic: a Cloudflare load balancer, or the edge router Worker Infra Chat uploads to the
       * account. Unset: the load balancer when the account has the Load Balancing add-on, else the edge router.
       */
      router: z.enum(["load-balancer", "edge"]).optional(),
    })
    .default({
      enabled: false,
      steps: [10, 50, 100],
      soakSeconds: 300,
      trafficSplit: true,
      intervalSeconds: 30,
      hardTriggerChecks: 2,
      severeErrorRate: 0.5,
      criticalPatterns: ["panic", "SequelizeDatabaseError", "Out of memory", "FATAL"],
      judge: "sequential",
    }),
  autoRollback: z.boolean().default(true),
  notify: z.array(z.string().regex(/^\+[1-9]\d{6,14}$/, "E.164 phone")).default([]),
  /** Continuous monitoring, incidents, remediation and escalation (issue #6). */
  monitoring: MonitoringPolicy.prefault({}),
  /** Backfills pause while the app is unhealthy (issue #5). */
  backfill: BackfillPolicy.prefault({}),
});
export type PolicySpec = z.infer<typeof PolicySpec>;

/** The desired state of one environment; stored as numbered revisions. */
export const EnvironmentSpec = z.object({
  services: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), ServiceSpec),
  components: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), ComponentSpec).default({}),
  domains: z.record(z.string(), z.string()).default({}),
  connections: z.array(z.enum(["railway", "cloudflare", "stripe", "sendgrid", "twilio"])).default([]),
  policies: PolicySpec,
});
export type EnvironmentSpec = z.infer<typeof EnvironmentSpec>;

/** Ids at the providers, written back after setup; not part of the desired state. */
export const Bindings = z.object({
  railway: z
    .object({
      projectId: z.string(),
      environmentId: z.string(),
      services: z.record(z.string(), z.string()).default({}),
    })
    .optional(),
  cloudflare: z.object({ accountId: z.string(), zoneId: z.string(), zoneName: z.string() }).optional(),
});
export type Bindings = z.infer<typeof Bindings>;

/** One change between two specs, addressed by a dotted path. */
export const SpecChange = z.object({
  path: z.string(),
  op: z.enum(["add", "remove", "change"]),
  from: z.unknown().optional(),
  to: z.unknown().optional(),
});
export type SpecChange = z.infer<typeof SpecChange>;

/** Structural diff of two JSON values, as a flat list of leaf changes (stable order). */
export function diffSpecs(from: unknown, to: unknown, path = ""): SpecChange[] {
  if (isPlainObject(from) && isPlainObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((k) => {
      const p = path ? `${path}.${k}` : k;
      if (!(k in from)) return [{ path: p, op: "add" as const, to: to[k] }];
      if (!(k in to)) return [{ path: p, op: "remove" as const, from: from[k] }];
      return diffSpecs(from[k], to[k], p);
    });
  }
  if (JSON.stringify(from) === JSON.stringify(to)) return [];
  return [{ path, op: "change", from, to }];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
