import { z } from "zod";
import { DeployParams, RunType } from "./run";

/** An environment named in chat: bare name ("staging") or "<project>:<env>". */
const EnvName = z.string().min(1).max(100);
/** A service of the environment's spec ("api"). */
const ServiceName = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/);
/** An environment variable holding a secret ("STRIPE_SECRET_KEY"). */
const SecretName = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/);
/** A time window's start as typed ("yesterday", "24h", "2026-11-01"); src/chat/since.ts reads it. */
const Since = z.string().min(1).max(60);
/** Run states chat can filter on ("what's waiting on approval?" → awaiting-approval). */
export const RunState = z.enum(["awaiting-approval", "queued", "running", "stopped", "failed", "succeeded"]);
/** How many runs a listing may ask for. */
export const MAX_RUNS_LISTED = 50;
/** A backfill's rate bounds (BackfillParams.ratePerMinute). */
export const MAX_BACKFILL_RATE = 1_000_000;

/**
 * What a chat message asks for. Interpreters (rule parser, LLM) only ever produce one of these;
 * everything after it goes through policy. No variant can carry an approval decision's authority.
 */
export const Intent = z.discriminatedUnion("kind", [
  /** `services`: only these ("deploy just the api to staging"); absent = every service of the environment. */
  z.object({
    kind: z.literal("deploy"),
    env: EnvName,
    params: DeployParams.default({}),
    services: z.array(ServiceName).min(1).max(20).optional(),
  }),
  /** "promote staging to production": deploy `env` at the release `from` runs now. */
  z.object({ kind: z.literal("promote-release"), env: EnvName, from: EnvName }),
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
  /** `phone`: another number to text (E.164), instead of the asker's own. */
  z.object({
    kind: z.literal("subscribe"),
    env: EnvName.optional(),
    phone: z
      .string()
      .regex(/^\+[1-9]\d{7,14}$/)
      .optional(),
  }),
  /** "stop texting me about staging" */
  z.object({ kind: z.literal("unsubscribe"), env: EnvName.optional() }),
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
    ratePerMinute: z.number().int().min(1).max(MAX_BACKFILL_RATE).optional(),
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
  /** "ack 123456": acknowledge an alert (stops escalation); bare "ack": the open alerts paging the asker */
  z.object({
    kind: z.literal("ack"),
    code: z
      .string()
      .regex(/^\d{4,8}$/)
      .optional(),
  }),
  /** "what's waiting on approval?", "any deploys running?", "last 5 deploys to production" */
  z.object({
    kind: z.literal("runs"),
    env: EnvName.optional(),
    state: RunState.optional(),
    type: RunType.optional(),
    since: Since.optional(),
    limit: z.number().int().min(1).max(MAX_RUNS_LISTED).optional(),
  }),
  /** "why did the last deploy fail?": the latest failed run's failed step and its error */
  z.object({ kind: z.literal("explain-failure"), env: EnvName.optional(), type: RunType.optional() }),
  /** "is the audit chain intact?": recompute the hash chain */
  z.object({ kind: z.literal("audit-verify"), env: EnvName.optional() }),
  /**
   * "set STRIPE_SECRET_KEY=sk_… on staging". The value never travels in an intent: `valueRef` names it in
   * the interpreter's out-of-band list of pending secrets, so no reply, log or transcript built from intents
   * can carry it.
   */
  z.object({
    kind: z.literal("set-secret"),
    env: EnvName,
    name: SecretName,
    valueRef: z.string().regex(/^pending-secret:\d{1,3}$/),
  }),
  /** `valueRef`: the new value, when the message gave one (out of band, as for set-secret); else it is asked for. */
  z.object({
    kind: z.literal("rotate-secret"),
    env: EnvName,
    name: SecretName,
    valueRef: z
      .string()
      .regex(/^pending-secret:\d{1,3}$/)
      .optional(),
  }),
  /** "list secrets on staging": names only, never values */
  z.object({ kind: z.literal("secrets"), env: EnvName }),
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
  /** "turn off auto-apply on staging": the environment's apply policy, as a new spec revision (admin). */
  z.object({ kind: z.literal("policy"), env: EnvName, autoApply: z.boolean() }),
  z.object({ kind: z.literal("help") }),
  z.object({ kind: z.literal("unknown"), text: z.string() }),
]);
export type Intent = z.infer<typeof Intent>;
