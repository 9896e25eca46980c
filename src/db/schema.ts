import { integer, primaryKey, sqliteTable, text, uniqueIndex, index } from "drizzle-orm/sqlite-core";
import type { Approvals, RunStatus, RunType, StepStatus } from "../domain/run";
import type { StepKind } from "../domain/steps";
import type { BackfillProgress } from "../runs/outputs";

/** D1 schema (one module). The SQL lives in d1-migrations/; keep both in step. */

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  role: text("role", { enum: ["viewer", "deployer", "admin"] }).notNull(),
  /** Unique where set (d1-migrations/0010): an inbound SMS acts as exactly one user. */
  phone: text("phone"),
  createdAt: text("created_at").notNull(),
  /** Set when the user was removed: the row stays so history keeps their name (0009). */
  removedAt: text("removed_at"),
});

export const apiTokens = sqliteTable("api_tokens", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull(),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: text("created_at").notNull(),
  expiresAt: text("expires_at"),
  revokedAt: text("revoked_at"),
  label: text("label"),
  lastUsedAt: text("last_used_at"),
});

export const projects = sqliteTable("projects", {
  id: text("id").primaryKey(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  template: text("template"),
  createdAt: text("created_at").notNull(),
});

export const environments = sqliteTable(
  "environments",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    name: text("name").notNull(),
    revision: integer("revision").notNull(),
    baseEnv: text("base_env"),
    bindings: text("bindings", { mode: "json" }).notNull(),
    currentReleaseId: text("current_release_id"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [uniqueIndex("environments_project_name").on(t.projectId, t.name)],
);

export const specRevisions = sqliteTable(
  "spec_revisions",
  {
    envId: text("env_id").notNull(),
    revision: integer("revision").notNull(),
    spec: text("spec", { mode: "json" }).notNull(),
    author: text("author").notNull(),
    reason: text("reason").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.envId, t.revision] })],
);

export const connections = sqliteTable(
  "connections",
  {
    projectId: text("project_id").notNull(),
    provider: text("provider").notNull(),
    status: text("status", { enum: ["unconfigured", "pending-auth", "configured", "verified"] }).notNull(),
    metadata: text("metadata", { mode: "json" }).notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.provider] })],
);

export const secrets = sqliteTable(
  "secrets",
  {
    envId: text("env_id").notNull(),
    name: text("name").notNull(),
    keyId: text("key_id").notNull(),
    iv: text("iv").notNull(),
    ciphertext: text("ciphertext").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.envId, t.name] })],
);

export const plans = sqliteTable("plans", {
  id: text("id").primaryKey(),
  runId: text("run_id").notNull().unique(),
  envId: text("env_id").notNull(),
  type: text("type").notNull(),
  body: text("body", { mode: "json" }).notNull(),
  digest: text("digest").notNull(),
  createdBy: text("created_by").notNull(),
  createdAt: text("created_at").notNull(),
});

export const runs = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    envId: text("env_id").notNull(),
    planId: text("plan_id").notNull().unique(),
    type: text("type").$type<RunType>().notNull(),
    status: text("status").$type<RunStatus>().notNull(),
    requestedBy: text("requested_by"),
    approvals: text("approvals", { mode: "json" }).$type<Approvals>(),
    error: text("error"),
    createdAt: text("created_at").notNull(),
    startedAt: text("started_at"),
    endedAt: text("ended_at"),
    updatedAt: text("updated_at").notNull(),
    progress: text("progress", { mode: "json" }).$type<BackfillProgress>(),
  },
  (t) => [index("runs_env_created").on(t.envId, t.createdAt)],
);

export const runSteps = sqliteTable(
  "run_steps",
  {
    runId: text("run_id").notNull(),
    stepId: text("step_id").notNull(),
    idx: integer("idx").notNull(),
    kind: text("kind").$type<StepKind>().notNull(),
    summary: text("summary").notNull(),
    status: text("status").$type<StepStatus>().notNull(),
    attempts: integer("attempts").notNull(),
    startedAt: text("started_at"),
    endedAt: text("ended_at"),
    error: text("error"),
    /** What the step found or did, in a sentence ("1 migration applied"). */
    note: text("note"),
    receiptIds: text("receipt_ids", { mode: "json" }).$type<string[]>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.stepId] })],
);

export const releases = sqliteTable(
  "releases",
  {
    id: text("id").primaryKey(),
    envId: text("env_id").notNull(),
    version: text("version").notNull(),
    services: text("services", { mode: "json" }).notNull(),
    runId: text("run_id"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [uniqueIndex("releases_env_version").on(t.envId, t.version)],
);

/** Migrations runs applied (d1-migrations/0007_backfill.sql): contract ones bound how far back a rollback may go. */
export const appliedMigrations = sqliteTable(
  "applied_migrations",
  {
    envId: text("env_id").notNull(),
    service: text("service").notNull(),
    name: text("name").notNull(),
    class: text("class", { enum: ["expand", "contract", "unknown"] }).notNull(),
    runId: text("run_id").notNull(),
    releaseId: text("release_id"),
    appliedAt: text("applied_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.envId, t.service, t.name] })],
);

export const receipts = sqliteTable(
  "receipts",
  {
    id: text("id").primaryKey(),
    runId: text("run_id").notNull(),
    stepId: text("step_id").notNull(),
    provider: text("provider").notNull(),
    operation: text("operation").notNull(),
    status: integer("status"),
    requestHash: text("request_hash").notNull(),
    at: text("at").notNull(),
  },
  (t) => [index("receipts_run").on(t.runId)],
);

export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: text("id").primaryKey(),
    chain: text("chain").notNull(),
    seq: integer("seq").notNull(),
    at: text("at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    intent: text("intent"),
    planId: text("plan_id"),
    runId: text("run_id"),
    diffSummary: text("diff_summary"),
    receiptHash: text("receipt_hash"),
    details: text("details", { mode: "json" }),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
    /** The AUDIT_KEY id of the HMAC in `hash`; null for events sealed before the chain was keyed. */
    keyId: text("key_id"),
  },
  (t) => [
    uniqueIndex("audit_chain_seq").on(t.chain, t.seq),
    index("audit_chain_at").on(t.chain, t.at),
    index("audit_at").on(t.at, t.seq),
  ],
);

export const conversations = sqliteTable("conversations", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull(),
  state: text("state", { mode: "json" }).notNull(),
  /** The first message, shortened: how the list of one's conversations names it (0009). */
  title: text("title"),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export const messages = sqliteTable(
  "messages",
  {
    id: text("id").primaryKey(),
    conversationId: text("conversation_id").notNull(),
    role: text("role", { enum: ["user", "assistant"] }).notNull(),
    text: text("text").notNull(),
    /** A reply's structured parts (plan, run, question, …) so a reload draws the same cards (0009). */
    parts: text("parts", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("messages_conversation").on(t.conversationId, t.createdAt)],
);

export const alertSubscriptions = sqliteTable(
  "alert_subscriptions",
  {
    envId: text("env_id").notNull(),
    phone: text("phone").notNull(),
    userId: text("user_id").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.envId, t.phone] })],
);

/** Texts sent, and what Twilio's status callbacks said of each (d1-migrations/0009). */
export const smsOutbound = sqliteTable("sms_outbound", {
  sid: text("sid").primaryKey(),
  envId: text("env_id").notNull(),
  runId: text("run_id"),
  incidentId: text("incident_id"),
  toPhone: text("to_phone").notNull(),
  purpose: text("purpose").notNull(),
  level: integer("level").notNull(),
  body: text("body"),
  status: text("status").notNull(),
  errorCode: text("error_code"),
  escalatedAt: text("escalated_at"),
  escalatedTo: text("escalated_to"),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export const smsInbound = sqliteTable("sms_inbound", {
  messageSid: text("message_sid").primaryKey(),
  fromPhone: text("from_phone").notNull(),
  bodyHash: text("body_hash").notNull(),
  outcome: text("outcome").notNull(),
  receivedAt: text("received_at").notNull(),
});

export const stripeEvents = sqliteTable("stripe_events", {
  eventId: text("event_id").primaryKey(),
  envId: text("env_id").notNull(),
  type: text("type").notNull(),
  livemode: integer("livemode", { mode: "boolean" }).notNull(),
  receivedAt: text("received_at").notNull(),
});

/** Incidents opened by continuous monitoring (d1-migrations/0006); written only by the environment's DO. */
export const incidents = sqliteTable(
  "incidents",
  {
    id: text("id").primaryKey(),
    envId: text("env_id").notNull(),
    anomalyKey: text("anomaly_key").notNull(),
    kind: text("kind").notNull(),
    severity: text("severity", { enum: ["page", "ticket"] }).notNull(),
    status: text("status", { enum: ["open", "resolved"] }).notNull(),
    title: text("title").notNull(),
    openedAt: text("opened_at").notNull(),
    lastSeenAt: text("last_seen_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    resolvedAt: text("resolved_at"),
    resolution: text("resolution"),
    checks: integer("checks").notNull(),
    runIds: text("run_ids", { mode: "json" }).$type<string[]>().notNull(),
    bundle: text("bundle").notNull(),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    ackCode: text("ack_code").notNull(),
    ackedBy: text("acked_by"),
    ackedAt: text("acked_at"),
    escalationLevel: integer("escalation_level").notNull(),
    escalateAt: text("escalate_at"),
  },
  (t) => [index("incidents_env_opened").on(t.envId, t.openedAt)],
);

/** Wrong approval, ACK and confirmation codes, per sender ("phone:+1…" or "user:usr_…"), d1-migrations/0010. */
export const codeFailures = sqliteTable(
  "code_failures",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    sender: text("sender").notNull(),
    at: text("at").notNull(),
  },
  (t) => [index("code_failures_sender").on(t.sender, t.at)],
);

/** Senders locked out of code entry, and until when. */
export const codeLockouts = sqliteTable("code_lockouts", {
  sender: text("sender").primaryKey(),
  lockedAt: text("locked_at").notNull(),
  until: text("until").notNull(),
});

/** Two-step SMS commands waiting for "YES <code>" from the phone that asked ("ROLLBACK production"). */
export const smsConfirmations = sqliteTable(
  "sms_confirmations",
  {
    planId: text("plan_id").primaryKey(),
    phone: text("phone").notNull(),
    userId: text("user_id").notNull(),
    keyId: text("key_id").notNull(),
    expiresAt: text("expires_at").notNull(),
    doneAt: text("done_at"),
  },
  (t) => [index("sms_confirmations_phone").on(t.phone, t.expiresAt)],
);
