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
  z.object({ kind: z.literal("migrate"), env: EnvName }),
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
  /** "add Redis to staging", "remove Redis from staging": a reconcile run per environment. */
  z.object({ kind: z.literal("component"), action: z.enum(["add", "remove"]), component: z.enum(["redis", "postgres", "storage"]), env: EnvName }),
  /** "backfill timezone in staging at 500 users/min" */
  z.object({ kind: z.literal("backfill"), env: EnvName, job: z.string(), ratePerMinute: z.number().int().positive().optional(), dryRun: z.boolean().optional() }),
  /** "how is the backfill going?" */
  z.object({ kind: z.literal("progress"), env: EnvName.optional() }),
  /** "set up production": provision an environment at the providers, copied from a provisioned one. */
  z.object({ kind: z.literal("setup"), env: EnvName, from: EnvName.optional() }),
  /** "bootstrap local": the local stack's files as one archive. */
  z.object({ kind: z.literal("bootstrap"), env: EnvName }),
  /** "what differs between staging and production?" */
  z.object({ kind: z.literal("compare"), env: EnvName, other: EnvName }),
  z.object({ kind: z.literal("help") }),
  z.object({ kind: z.literal("unknown"), text: z.string() }),
]);
export type Intent = z.infer<typeof Intent>;
