import { z } from "zod";
import { DeployParams } from "./run";

/** An environment named in chat: bare name ("staging") or "<project>:<env>". */
const EnvName = z.string().min(1).max(100);

/**
 * What a chat message asks for. Interpreters (rule parser, LLM) only ever produce one of these;
 * everything after it goes through policy. No variant can carry an approval decision's authority.
 */
export const Intent = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("deploy"), env: EnvName, params: DeployParams.default({}) }),
  /** `expandOnly`: "add timezone column" — expand migrations only, the contract ones wait for their own run. */
  z.object({ kind: z.literal("migrate"), env: EnvName, expandOnly: z.boolean().optional() }),
  z.object({ kind: z.literal("rollback"), env: EnvName, toRelease: z.string().optional() }),
  z.object({ kind: z.literal("status"), env: EnvName }),
  /** "apply" / "yes": apply the conversation's pending plan. */
  z.object({ kind: z.literal("apply") }),
  /** "approve" (optionally a code): approve the conversation's awaiting run. */
  z.object({ kind: z.literal("approve"), code: z.string().optional() }),
  z.object({ kind: z.literal("reject"), code: z.string().optional() }),
  /** "cancel": drop the pending plan. */
  z.object({ kind: z.literal("cancel") }),
  z.object({ kind: z.literal("audit"), env: EnvName.optional(), since: z.string().optional() }),
  /** "text me if the canary looks weird": the asker's phone gets this environment's alerts. */
  z.object({ kind: z.literal("subscribe"), env: EnvName.optional() }),
  /** Canary/backfill controls on the conversation's (or the environment's) active run. */
  z.object({ kind: z.literal("promote"), env: EnvName.optional() }),
  z.object({ kind: z.literal("stop"), env: EnvName.optional() }),
  z.object({ kind: z.literal("resume"), env: EnvName.optional() }),
  /** "show the last change to production" */
  z.object({ kind: z.literal("last-change"), env: EnvName }),
  /** "create production from staging": a new environment's desired state, copied with its role's overrides. */
  z.object({ kind: z.literal("create-env"), env: EnvName, from: EnvName }),
  /** "add Redis to staging", "remove Redis from staging", "resize Postgres on production to medium": a reconcile run per environment. */
  z
    .object({
      kind: z.literal("component"),
      action: z.enum(["add", "remove", "resize"]),
      component: z.enum(["redis", "postgres", "storage"]),
      size: z.enum(["small", "medium", "large"]).optional(),
      env: EnvName,
    })
    .refine((i) => i.action !== "resize" || i.size !== undefined, { message: "resize needs a size", path: ["size"] }),
  /** "backfill timezone in staging at 500 users/min" */
  /** `chained`: "…; then do production": starts only after the previous plan of the same message succeeded. */
  z.object({
    kind: z.literal("backfill"),
    env: EnvName,
    job: z.string(),
    ratePerMinute: z.number().int().positive().optional(),
    dryRun: z.boolean().optional(),
    chained: z.boolean().optional(),
  }),
  /** "how is the backfill going?" */
  z.object({ kind: z.literal("progress"), env: EnvName.optional() }),
  /** "set up production": provision an environment at the providers, copied from a provisioned one. */
  z.object({ kind: z.literal("setup"), env: EnvName, from: EnvName.optional() }),
  /** "bootstrap local": the local stack's files as one archive. */
  z.object({ kind: z.literal("bootstrap"), env: EnvName }),
  /** "what differs between staging and production?" */
  z.object({ kind: z.literal("compare"), env: EnvName, other: EnvName }),
  /** "incidents", "open incidents on production" */
  z.object({ kind: z.literal("incidents"), env: EnvName.optional() }),
  /** "show incident inc_…" */
  z.object({ kind: z.literal("incident"), id: z.string().min(1).max(100) }),
  /** "ack 123456": acknowledge an alert (stops escalation) */
  z.object({ kind: z.literal("ack"), code: z.string().regex(/^\d{4,8}$/) }),
  /** "adopt drift on production" / "revert drift on production" */
  z.object({ kind: z.literal("drift"), env: EnvName, choice: z.enum(["adopt", "revert"]) }),
  /** "if we see repeated 500s after deploy, rollback and open an incident bundle": a stored monitoring rule */
  z.object({
    kind: z.literal("monitor-rule"),
    env: EnvName,
    when: z.literal("repeated-5xx-after-deploy"),
    then: z.string().max(100),
    text: z.string().max(500),
  }),
  /** "restart api on production", "drop the users table": `action` is checked against the bounded set by policy, not here */
  z.object({
    kind: z.literal("remediate"),
    env: EnvName,
    action: z.string().max(200),
    service: z.string().max(64).optional(),
    replicas: z.number().int().min(0).max(50).optional(),
  }),
  /** "rotate the master key": re-seal every environment's secrets with the current master key (admin). */
  z.object({ kind: z.literal("rotate-master-key") }),
  /** "turn off auto-apply on staging": the environment's apply policy, as a new spec revision (admin). */
  z.object({ kind: z.literal("policy"), env: EnvName, autoApply: z.boolean() }),
  z.object({ kind: z.literal("help") }),
  z.object({ kind: z.literal("unknown"), text: z.string() }),
]);
export type Intent = z.infer<typeof Intent>;
