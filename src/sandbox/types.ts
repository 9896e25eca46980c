/** Public vocabulary of the sandbox world: seed ids, faults, recorded requests, state snapshot. */
import { z } from "zod";

/** A JSON value (recursive; used inside the world). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };

// Depth-bounded JSON for values that cross DO RPC: the RPC stub types recurse into every level, and a
// recursive type makes them "excessively deep". Deeper values still arrive; only their type stops here.
type Json0 = string | number | boolean | null;
type Json1 = Json0 | Json0[] | { [key: string]: Json0 | undefined };
type Json2 = Json0 | Json1[] | { [key: string]: Json1 | undefined };
type Json3 = Json0 | Json2[] | { [key: string]: Json2 | undefined };
type Json4 = Json0 | Json3[] | { [key: string]: Json3 | undefined };
/** JSON as typed across RPC (four levels, then opaque). */
export type RpcJson = Json0 | Json4[] | { [key: string]: Json4 | undefined };

/** Ids of the seeded Invoice Perfect world, returned by `SandboxDO.seedInvoicePerfect()`. */
export interface SandboxSeed {
  railway: {
    projectId: string;
    environments: { staging: string; production: string };
    services: { api: string; web: string; cron: string; Postgres: string };
  };
  /** `owner/name` of each app service's repository. */
  repos: { api: string; web: string; cron: string };
  /** The release (v1) live in each environment before Infra Chat does anything. */
  live: Record<SeedEnvName, Record<SeedAppService, { commitSha: string; deploymentId: string }>>;
  /** The newer head commit (v2) of each repository's main branch. */
  headCommit: Record<SeedAppService, { sha: string; message: string }>;
  /** The Cloudflare account (32-hex id) and its active zone `invoiceperfect.com`. */
  cloudflare: { accountId: string; zoneId: string; zoneName: string };
}

export type SeedEnvName = "staging" | "production";
export type SeedAppService = "api" | "web" | "cron";

const count = z.number().int().positive().optional();
const envName = z.string().min(1);
const serviceName = z.string().min(1);

/** Twilio delivery outcomes a fault can force on the next texts (the API still accepts them: 201 queued). */
export const DELIVERY_FAULTS = ["undelivered", "failed"] as const;

/**
 * Provider-level failure: 429 (Retry-After, nothing applied), 500/503 (nothing applied), or timeout (applied,
 * answer lost). For Twilio also "undelivered" (the carrier drops the text after it was sent, e.g. an
 * unregistered 10DLC sender: ErrorCode 30034 by default) or "failed" (Twilio never sends it: 30008): the
 * next `count` texts (all, without count) are accepted, then end that way, status callbacks included.
 */
export const providerFaultSchema = z.object({
  kind: z.literal("provider"),
  provider: z.enum(["railway", "github", "cloudflare", "twilio", "stripe", "sendgrid"]),
  status: z.union([
    z.literal(429),
    z.literal(500),
    z.literal(503),
    z.literal("timeout"),
    z.literal("undelivered"),
    z.literal("failed"),
  ]),
  count,
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  /** Twilio's ErrorCode for an undelivered/failed text (30003 unreachable handset, 30007 filtered, 30034 unregistered sender …). */
  errorCode: z.number().int().min(30001).max(30999).optional(),
  /**
   * Only hit calls of this operation: a Railway operationName (e.g. "ServiceInstanceDeployV2") or, for REST,
   * "METHOD /path" in which a `*` segment stands for any one path segment (ids unknown in advance).
   */
  operation: z.string().min(1).optional(),
});

/**
 * Deployment-level failure of matching services in one environment. One-shot by default ("the next deploy
 * crashes"): `count` deployments, 1 unless given; `sticky: true` fails every deployment until cleared.
 */
export const deployFaultSchema = z
  .object({
    kind: z.literal("deploy"),
    env: envName,
    service: serviceName,
    fail: z.enum(["build", "migration", "crash"]),
    count,
    sticky: z.boolean().optional(),
  })
  .refine((f) => !(f.sticky && f.count !== undefined), {
    message: "a sticky fault has no count",
    path: ["sticky"],
  });

/** Misbehaviour of the running app (used by the app model and the traffic simulation, per track). */
export const appFaultSchema = z.object({
  kind: z.literal("app"),
  env: envName,
  service: serviceName,
  track: z.enum(["canary", "stable", "all"]),
  errorRate: z.number().min(0).max(1).optional(),
  latencyMs: z.number().int().nonnegative().optional(),
  logPattern: z.string().optional(),
  failHealth: z.boolean().optional(),
  /**
   * A broken backfill job (the api's ops contract): "lost-writes" reports every row updated but every fourth
   * write never lands; "wrong-zone" writes a valid zone that is not the one the address gives.
   */
  jobBug: z.enum(["lost-writes", "wrong-zone"]).optional(),
  count,
});

/** Any fault `POST /sandbox/faults` accepts (API.md "Sandbox"). */
export const sandboxFaultSchema = z
  .discriminatedUnion("kind", [providerFaultSchema, deployFaultSchema, appFaultSchema])
  .refine(
    (f) =>
      f.kind !== "provider" || f.provider === "twilio" || !(DELIVERY_FAULTS as readonly unknown[]).includes(f.status),
    { message: "undelivered and failed are Twilio delivery outcomes", path: ["status"] },
  );

export type ProviderFault = z.infer<typeof providerFaultSchema>;
export type DeployFault = z.infer<typeof deployFaultSchema>;
export type AppFault = z.infer<typeof appFaultSchema>;
export type SandboxFault = z.infer<typeof sandboxFaultSchema>;
export type FaultProvider = ProviderFault["provider"];

/** A fault as stored: `remaining` counts down per hit when the fault was added with `count`. */
export type StoredFault = SandboxFault & { id: string; remaining: number | null; createdAt: string };

/**
 * Which provider a recorded request went to: "edge" = a hostname of a sandbox Cloudflare zone (through its
 * load balancer or DNS record), "unknown" = a host the sandbox refused.
 */
export type RecordedProvider =
  | "edge"
  | "railway"
  | "github"
  | "cloudflare"
  | "twilio"
  | "stripe"
  | "sendgrid"
  | "app"
  | "unknown";

/** One request the sandbox received, as `GET /sandbox/requests` shows it. */
export interface RecordedRequest {
  provider: RecordedProvider;
  method: string;
  path: string;
  host: string;
  /** Lower-cased names; Authorization and Project-Access-Token are "[redacted]". */
  headers: Record<string, string>;
  /** Parsed JSON (Railway: {query, variables, operationName}, variable values masked), form fields (Twilio), text, or null. */
  body: RpcJson;
  status: number;
  at: string;
}

export const requestsQuerySchema = z.object({
  provider: z
    .enum(["railway", "github", "cloudflare", "twilio", "stripe", "sendgrid", "app", "edge", "unknown"])
    .optional(),
  limit: z.number().int().positive().max(2000).optional(),
});
export type RequestsQuery = z.infer<typeof requestsQuerySchema>;

export const addCommitSchema = z.object({
  /** Service name (its repo gets the commit); omitted = every repository. */
  service: z.string().min(1).optional(),
  message: z.string().min(1).optional(),
  /** Sequelize migration names the commit adds (api repo). */
  migrations: z.array(z.string().min(1)).optional(),
  /** The branch pushed to (default main); only instances connected to it auto-deploy. */
  branch: z
    .string()
    .regex(/^[A-Za-z0-9._/-]{1,100}$/)
    .optional(),
});
export type AddCommitInput = z.infer<typeof addCommitSchema>;

/** A commit as the world keeps it. */
export interface SandboxCommit {
  sha: string;
  message: string;
  author: { name: string; email: string };
  date: string;
  migrations: string[];
}

/** One deployment as `deploymentsOf` returns it (newest first). */
export interface DeploymentSummary {
  id: string;
  status: string;
  commitSha: string | null;
  commitMessage: string | null;
  createdAt: string;
}

/** Expected failures cross DO RPC as data (STYLE.md habit 4). */
export type SandboxResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: string; message: string; details?: ValidationIssue[] };

/** A zod issue flattened for RPC (paths as strings, no symbols). */
export interface ValidationIssue {
  path: string[];
  message: string;
  code: string;
}
