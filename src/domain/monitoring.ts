import { z } from "zod";

/**
 * The bounded remediation set (spec §10.2). Nothing outside it is ever proposed or applied by Infra
 * Chat: code changes, destructive migrations and data purges are refused with the reason.
 */
export const RemediationAction = z.enum([
  /** every service back to the previous release */
  "rollback",
  /** redeploy the live commit of one service */
  "restart",
  /** change one service's replica count within the policy's limits */
  "scale",
  /** clear a cron service's schedule until someone re-enables it */
  "disable-cron",
  /** stop the active canary where it stands (a person resumes or rolls back) */
  "halt-canary",
]);
export type RemediationAction = z.infer<typeof RemediationAction>;

/** What a rule reacts to. */
export const MonitorTrigger = z.enum([
  /** the 5xx anomaly on a service while the current release is younger than `withinSeconds` */
  "repeated-5xx-after-deploy",
]);

/** "If we see repeated 500s after deploy, rollback and open an incident bundle with logs and diffs." */
export const MonitorRule = z
  .object({
    when: MonitorTrigger,
    then: RemediationAction,
    /** How long after a release the rule applies. */
    withinSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .default(86_400),
    /** The sentence the rule was set with, kept for the audit and the incident summary. */
    text: z.string().max(500).optional(),
  })
  .strict();
export type MonitorRule = z.infer<typeof MonitorRule>;

const E164 = z.string().regex(/^\+[1-9]\d{6,14}$/, "E.164 phone");

/** Continuous monitoring policy of one environment (spec §10; SRE Workbook burn rates). */
export const MonitoringPolicy = z.object({
  enabled: z.boolean().default(true),
  /** Length of one check window; the cron tick comes every minute. */
  intervalSeconds: z.number().int().min(10).max(3600).default(60),
  /** Availability SLO the burn-rate rules are sized against (the sandbox app answers 0.2% 5xx when healthy). */
  sloTarget: z.number().gt(0).lt(1).default(0.995),
  /** A check window whose 5xx share reaches this is an anomaly on its own (at least `minRequests`). */
  errorRate: z.number().gt(0).max(1).default(0.05),
  /** p95 latency (ms) above which a window is an anomaly. */
  latencyP95Ms: z.number().int().min(1).default(2000),
  minRequests: z.number().int().min(1).default(20),
  /** An open incident resolves after this long without its anomaly. */
  quietSeconds: z.number().int().min(0).default(300),
  /** How often observed provider state is compared with the spec. */
  driftSeconds: z.number().int().min(60).default(900),
  /** Actions the monitor may apply without a person (others wait for approval). */
  autoRemediate: z.array(RemediationAction).default([]),
  rules: z.array(MonitorRule).max(20).default([]),
  /** Replica bounds for "scale". */
  replicas: z
    .object({ min: z.number().int().min(0).default(1), max: z.number().int().min(1).max(50).default(4) })
    .prefault({}),
  escalation: z
    .object({
      /** Unacknowledged alerts move to the next destination after this long. */
      ackTimeoutSeconds: z.number().int().min(30).default(600),
      /** Destinations after the environment's notify list, in order. */
      chain: z.array(E164).max(10).default([]),
    })
    .prefault({}),
});
export type MonitoringPolicy = z.infer<typeof MonitoringPolicy>;

/** The defaults, for specs written before monitoring existed. */
export const DEFAULT_MONITORING: MonitoringPolicy = MonitoringPolicy.parse({});
