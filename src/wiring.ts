import type { LanguageModel } from "ai";
import type { MiddlewareHandler } from "hono";
import { createR2ArchiveStore, createR2ArtifactStore, createR2DigestStore } from "./audit/artifacts";
import type { Providers, RailwayBudget, Redact, Services } from "./control/services";
import type { RequestPriority } from "./budget/bucket";
import { budgetName, createBudgetGate, type BudgetObject } from "./budget/gate";
import { database } from "./db/client";
import type { Database } from "./db/client";
import { allSecretValues, secretsStamp } from "./db/secrets";
import type { SecretCipher } from "./db/secrets";
import { createGitHubSource } from "./providers/github/source";
import { createRailwayApi } from "./providers/railway/adapter";
import { createCloudflareApi } from "./providers/cloudflare/adapter";
import { createCloudflareTrafficRouter } from "./providers/cloudflare/traffic";
import { createEdgeTrafficRouter } from "./providers/cloudflare/edge-traffic";
import { createTrafficRouters } from "./providers/cloudflare/routers";
import { createCloudflareWorkersApi } from "./providers/cloudflare/workers-api";
import { EDGE_ROUTER_SCRIPT } from "./edge-router/script";
import { createTwilioSms } from "./providers/twilio/adapter";
import { createOpsApi } from "./providers/ops/adapter";
import { createSendGridApi } from "./providers/sendgrid/adapter";
import { createStripeApi } from "./providers/stripe/adapter";
import type { ProviderContext, Receipt } from "./providers/types";
import type { SandboxDO } from "../durable-objects/sandbox";
import { approvalCodeFor } from "./policy/approval";
import { createRedactor, redactDeep } from "./security/redact";
import { createSecretBox } from "./security/secrets";
import { lazyKeyring } from "./security/keyring";
import type { Keyring } from "./domain/keyring";

/**
 * The one composition root: the only reader of the Worker env besides the Worker entries and the Durable
 * Objects' constructors. It builds the application's services (adapters, cipher, redactor, stores, the
 * environments' objects). The real providers and a simulated world differ only in the `fetch` handed to the
 * adapters and in how waits are measured; only the dev entry (src/dev/) can hand in a simulated world, so the
 * production bundle has no code that could switch it into one.
 */

/**
 * A world standing in for every provider: its in-process `fetch`, how fast its time runs, the credentials it
 * accepts, and its object (seeding, inspection). Supplied by the dev entry only.
 */
export interface SimulatedWorld {
  fetch: typeof fetch;
  /** Simulated durations × this = wall time; 0 is instant (tests). */
  timeScale: number;
  credentials: { railway: string; cloudflare: string; twilioAccountSid: string };
  stub(): DurableObjectStub<SandboxDO>;
}

/** Picks the provider world for a Worker env: the production entry's always answers null (the real one). */
export type WorldSelector = (env: Env) => SimulatedWorld | null;

/** The production selector: every call goes to the real providers, whatever the env says. */
export const REAL_WORLD: WorldSelector = () => null;

/** The application's services from the Worker env: once per request, once per Durable Object. */
export function appServices(env: Env, selectWorld: WorldSelector = REAL_WORLD): Services {
  const db = database(env.DB);
  const world = selectWorld(env);
  const languageModel = chatLanguageModel(env);
  const cipher = secretCipher(env);
  const redactor = (envId?: string) => redactorFor(env, db, envId);
  const approvals = approvalKeys(env);
  return {
    db,
    now: Date.now,
    publicUrl: publicUrlOf(env, world),
    planTtlMs: planTtlMs(env),
    sandbox: world !== null,
    configured: {
      railway: world !== null || !!railwayToken(env),
      cloudflare: world !== null || !!env.CLOUDFLARE_API_TOKEN,
    },
    providers: (options = {}) =>
      buildProviders(env, world, options.onReceipt ?? (() => undefined), options.redact, options.priority ?? "run"),
    railwayBudget: () => railwayBudgetOf(env, world),
    cipher,
    redactor,
    runArtifacts: createR2ArtifactStore(env.ARTIFACTS, (body) => redactedArtifact(body, redactor)),
    incidentBundles: createR2ArtifactStore(env.ARTIFACTS, (body) => redactedArtifact(body, redactor), "incidents"),
    archives: createR2ArchiveStore(env.ARTIFACTS),
    auditKeys: auditKeys(env),
    auditDigests: createR2DigestStore(env.ARTIFACTS),
    environment: (envId) => env.ENVIRONMENTS.getByName(envId),
    approvalKeys: approvals,
    approvalCode: (run, approver) => approvalCodeFor(approvals, run, approver),
    ...(languageModel ? { languageModel } : {}),
    twilioAuthToken: env.TWILIO_AUTH_TOKEN,
    adminToken: env.INFRA_CHAT_ADMIN_TOKEN,
    bootstrapSecret: env.BOOTSTRAP_SECRET || undefined,
    ...(world ? { sandboxWorld: () => world.stub() } : {}),
  };
}

/** Hono middleware: the request's services, built once and read by every handler as `c.var.services`. */
export function provideServices(
  selectWorld: WorldSelector = REAL_WORLD,
): MiddlewareHandler<{ Bindings: Env; Variables: { services: Services } }> {
  return async function provideServices(c, next) {
    c.set("services", appServices(c.env, selectWorld));
    await next();
  };
}

/** How long a plan waits for "apply" before it expires (PLAN_TTL_MINUTES, default an hour). */
function planTtlMs(env: Env): number {
  const minutes = Number(env.PLAN_TTL_MINUTES ?? "60");
  return (Number.isFinite(minutes) && minutes > 0 ? minutes : 60) * 60_000;
}

/**
 * The Railway account or workspace token. `RAILWAY_API_TOKEN` is its name (Railway's CLI uses the same);
 * the old `RAILWAY_TOKEN` still works, with a warning, because that name is the CLI's for project tokens.
 */
export function railwayToken(env: Env): string | undefined {
  if (env.RAILWAY_API_TOKEN) return env.RAILWAY_API_TOKEN;
  if (env.RAILWAY_TOKEN && !warnedOldRailwayName) {
    warnedOldRailwayName = true;
    console.warn(
      "RAILWAY_TOKEN is deprecated: set the account or workspace token as RAILWAY_API_TOKEN (Railway's CLI reads RAILWAY_TOKEN as a project token)",
    );
  }
  return env.RAILWAY_TOKEN;
}
let warnedOldRailwayName = false;

/** `fetch` for provider calls: the real one, or the simulated world's. */
function providerFetch(world: SimulatedWorld | null): typeof fetch {
  // Wrapped: the global fetch called as a method of another object throws "Illegal invocation" in workerd.
  return world ? world.fetch : (input, init) => fetch(input, init);
}

/** The Railway token's budget object (one per token, named by its fingerprint), or null without a token. */
function budgetObject(env: Env, world: SimulatedWorld | null): (() => Promise<BudgetObject>) | null {
  const token = railwayToken(env) ?? world?.credentials.railway;
  if (!token) return null;
  return async () => env.BUDGETS.getByName(await cachedBudgetName(token)) as unknown as BudgetObject;
}

const budgetNames = new Map<string, Promise<string>>();
function cachedBudgetName(token: string): Promise<string> {
  let name = budgetNames.get(token);
  if (!name) budgetNames.set(token, (name = budgetName(token)));
  return name;
}

function railwayBudgetOf(env: Env, world: SimulatedWorld | null): RailwayBudget | null {
  const object = budgetObject(env, world);
  if (!object) return null;
  const { budgetWindowMs } = timingOf(world);
  return {
    view: async () => (await object()).view(budgetWindowMs),
    admitCheck: async (calls, at) => (await object()).admitCheck(calls, at, budgetWindowMs),
    configure: async (plan) => (await object()).configure(plan, budgetWindowMs),
  };
}

/** Railway, source control and app-probe clients sharing one receipt sink and redactor. */
function buildProviders(
  env: Env,
  world: SimulatedWorld | null,
  onReceipt: (r: Receipt) => void,
  redact: Redact | undefined,
  priority: RequestPriority,
): Providers {
  const fetcher = providerFetch(world);
  const ctx: ProviderContext = {
    fetch: fetcher,
    onReceipt,
    redact,
    sleep: world ? (ms) => new Promise((r) => setTimeout(r, ms * world.timeScale)) : undefined,
  };
  const token = railwayToken(env) ?? world?.credentials.railway;
  if (!token) throw new Error("RAILWAY_API_TOKEN is not configured");
  const timing = timingOf(world);
  const budget = budgetObject(env, world);
  // Every Railway request spends the token's hourly budget, shared with every other caller of the token.
  const railwayCtx: ProviderContext = budget
    ? {
        ...ctx,
        gate: createBudgetGate(budget, priority, {
          windowMs: timing.budgetWindowMs,
          wallMs: timing.wallMs,
          now: Date.now,
        }),
      }
    : ctx;
  const cloudflareToken = env.CLOUDFLARE_API_TOKEN ?? world?.credentials.cloudflare;
  const cloudflare = cloudflareToken ? createCloudflareApi(ctx, { token: cloudflareToken }) : null;
  const twilioSid = env.TWILIO_ACCOUNT_SID ?? world?.credentials.twilioAccountSid;
  return {
    railway: createRailwayApi(railwayCtx, { token }),
    source: createGitHubSource(ctx, { token: env.GITHUB_TOKEN }),
    appFetch: fetcher,
    trafficFor(zone, edge) {
      if (!cloudflare || !cloudflareToken) throw new Error("CLOUDFLARE_API_TOKEN is not configured");
      const workers = createCloudflareWorkersApi(ctx, { token: cloudflareToken });
      const edgeRouter = createEdgeTrafficRouter(workers, cloudflare, {
        accountId: zone.accountId,
        zoneId: zone.zoneId,
        script: EDGE_ROUTER_SCRIPT,
        routerSecret: edge?.routerSecret ?? (async () => null),
        reportUrl: edgeReportUrl(publicUrlOf(env, world), edge?.envId ?? ""),
        now: Date.now,
      });
      const loadBalancer = createCloudflareTrafficRouter(cloudflare, zone);
      return createTrafficRouters({ "load-balancer": loadBalancer, edge: edgeRouter }, workers, zone.accountId);
    },
    ops: (baseUrl, opsToken) => createOpsApi(ctx, { baseUrl, token: opsToken }),
    connections: {
      stripe: (secretKey) => createStripeApi(ctx, { secretKey }),
      sendgrid: (apiKey) => createSendGridApi(ctx, { apiKey }),
      cloudflare,
    },
    sms:
      twilioSid && env.TWILIO_AUTH_TOKEN && env.TWILIO_FROM_NUMBER
        ? createTwilioSms(ctx, {
            accountSid: twilioSid,
            authToken: env.TWILIO_AUTH_TOKEN,
            from: env.TWILIO_FROM_NUMBER,
          })
        : null,
  };
}

/** The control plane's public origin. A local world without PUBLIC_URL (wrangler dev by hand) is served where wrangler dev serves by default. */
function publicUrlOf(env: Env, world: SimulatedWorld | null): string {
  return env.PUBLIC_URL ?? (world ? "http://localhost:8787" : "");
}

/** Where an environment's edge router posts its reports (POST /edge/v1/reports, src/http/edge.ts). */
export function edgeReportUrl(publicUrl: string, envId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/edge/v1/reports?env=${encodeURIComponent(envId)}`;
}

/** The chat interpreter's model when none is configured with OPENAI_MODEL. */
const DEFAULT_CHAT_MODEL = "gpt-4o-mini";
/** The Workers AI model when CHAT_MODEL names none: follows instructions and JSON schemas well enough. */
const DEFAULT_WORKERS_AI_MODEL = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";

/**
 * The chat's language model, or undefined (the language layer alone reads every message):
 * - `CHAT_MODEL_PROVIDER=workers-ai` with an `[ai] binding = "AI"`: Workers AI (model `CHAT_MODEL`);
 * - `OPENAI_BASE_URL`: any OpenAI-compatible server (Ollama, vLLM, Azure, Cloudflare AI Gateway) through its
 *   chat completions API, with `OPENAI_API_KEY` when the server wants one;
 * - `OPENAI_API_KEY` alone: OpenAI itself (model `OPENAI_MODEL`).
 * Providers are imported on first use, so a Worker without a model never evaluates them.
 */
export function chatLanguageModel(env: Env, fetchImpl?: typeof fetch): (() => Promise<LanguageModel>) | undefined {
  const provider = env.CHAT_MODEL_PROVIDER?.trim().toLowerCase();
  if (provider === "workers-ai") {
    const binding = env.AI;
    if (!binding) return undefined;
    const modelId = env.CHAT_MODEL?.trim() || DEFAULT_WORKERS_AI_MODEL;
    return async () => {
      const { createWorkersAI } = await import("workers-ai-provider");
      return createWorkersAI({ binding })(modelId);
    };
  }
  const apiKey = env.OPENAI_API_KEY?.trim();
  const baseURL = env.OPENAI_BASE_URL?.trim().replace(/\/+$/, "");
  if (!apiKey && !baseURL) return undefined;
  const modelId = env.CHAT_MODEL?.trim() || env.OPENAI_MODEL?.trim() || DEFAULT_CHAT_MODEL;
  return async () => {
    const { createOpenAI } = await import("@ai-sdk/openai");
    const openai = createOpenAI({
      // A local server (Ollama) needs no key, but the SDK sends one: any placeholder will do there.
      apiKey: apiKey || "no-key",
      ...(baseURL ? { baseURL } : {}),
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    });
    // Compatible servers speak chat completions; OpenAI's own endpoint gets its Responses API.
    return baseURL ? openai.chat(modelId) : openai(modelId);
  };
}

/** The audit chain's HMAC keys (AUDIT_KEY, its id, and the keys it replaced). */
export function auditKeys(env: Env): Keyring {
  return lazyKeyring({
    name: "AUDIT_KEY",
    key: env.AUDIT_KEY,
    keyId: env.AUDIT_KEY_ID,
    previous: env.AUDIT_PREVIOUS_KEYS,
    defaultKeyId: "audit1",
  });
}

/** The keys approval and confirmation codes derive from (APPROVAL_KEY, its id, and the keys it replaced). */
export function approvalKeys(env: Env): Keyring {
  return lazyKeyring({
    name: "APPROVAL_KEY",
    key: env.APPROVAL_KEY,
    keyId: env.APPROVAL_KEY_ID,
    previous: env.APPROVAL_PREVIOUS_KEYS,
    defaultKeyId: "approval1",
  });
}

/** The AES-256-GCM secret box from the Worker's master key. */
function secretCipher(env: Env): SecretCipher {
  const previous = env.SECRETS_PREVIOUS_KEYS
    ? (JSON.parse(env.SECRETS_PREVIOUS_KEYS) as Record<string, string>)
    : undefined;
  return createSecretBox(env.SECRETS_MASTER_KEY, env.SECRETS_KEY_ID ?? "k1", { previous });
}

/**
 * An artifact's text through the redactor: a JSON body value by value (a credential quoted inside a
 * string, escaped once more by serializing, is still recognized), plain text as it is.
 */
async function redactedArtifact(body: unknown, redactor: () => Promise<Redact>): Promise<string> {
  const redact = await redactor();
  return typeof body === "string" ? redact(body) : JSON.stringify(redactDeep(body, redact), null, 2);
}

const redactors = new Map<string, { stamp: string; redact: (text: string) => string }>();

/**
 * A redactor that knows every stored secret value (of one environment, or all). Decrypting every secret
 * on every response is wasted work, so the redactor is reused until the secrets table changes (its row
 * count and newest update stamp) — a cheap check that never lets a new value through unredacted.
 */
async function redactorFor(env: Env, db: Database, envId?: string): Promise<Redact> {
  const key = `${env.SECRETS_KEY_ID ?? ""}/${envId ?? "*"}`;
  const stamp = await secretsStamp(db, envId);
  const cached = redactors.get(key);
  if (cached && cached.stamp === stamp) return cached.redact;
  const redact = createRedactor(await allSecretValues(db, secretCipher(env), envId));
  redactors.set(key, { stamp, redact });
  return redact;
}

/** How the run engine and the monitor measure time: real, or scaled to a simulated world's clock. */
export interface Timing {
  /**
   * Canary time. Real: real windows and waits. Simulated: simulated windows, and waits shrunk so a full
   * production canary (3 soaks of 5 minutes) takes well under 90 s under `npm start` (scale 0.3 → ×0.03).
   */
  canary: { simulated: boolean; waitFactor: number };
  /** How long a run waits between provider polls: seconds in real life, scaled in the sandbox. */
  pollMs: number;
  /** How long one Railway deployment may take (builds take minutes; a stuck one must not be polled forever). */
  deployTimeoutMs: number;
  /** How often an environment's monitor watchdog fires without cron: a bit after the cron tick would have come. */
  watchdogMs(intervalSeconds: number): number;
  /** A wait the provider asked for in its own time (Retry-After, a step's backoff), in wall milliseconds. */
  wallMs(providerMs: number): number;
  /**
   * How long Railway's request-budget hour lasts in wall time: an hour, or the sandbox's hour (3,600 s ×
   * its time scale; at scale 0 the sandbox keeps a wall-clock hour, since an instant one would hold nothing).
   */
  budgetWindowMs: number;
}

/**
 * The sandbox watchdog's shortest period. A check samples every service and reads provider state (about a
 * dozen sandbox requests, 100–200 ms locally); at time scale 0 a 1 s period kept the local control plane
 * busy monitoring and put 300 ms tails on chat latency (npm run bench).
 */
const SANDBOX_WATCHDOG_FLOOR_MS = 10_000;
/** The shortest wait in a simulated world: at time scale 0 a wait still yields to the alarm loop. */
const SANDBOX_WAIT_FLOOR_MS = 25;

const HOUR_MS = 3_600_000;

/** One Railway deployment's longest wait: builds and health checks take minutes, not half an hour. */
const DEPLOY_TIMEOUT_MS = 30 * 60_000;

/** Timing for the real providers, or for a simulated world (its time scale shrinks every wait). */
export function timingOf(world: SimulatedWorld | null): Timing {
  if (!world)
    return {
      canary: { simulated: false, waitFactor: 1 },
      pollMs: 5000,
      deployTimeoutMs: DEPLOY_TIMEOUT_MS,
      watchdogMs: (seconds) => Math.round(seconds * 1500),
      wallMs: (ms) => ms,
      budgetWindowMs: HOUR_MS,
    };
  const scale = world.timeScale;
  return {
    canary: { simulated: true, waitFactor: scale / 10 },
    pollMs: Math.max(SANDBOX_WAIT_FLOOR_MS, Math.round(1500 * scale)),
    // At least a minute of wall time: at time scale 0 the world is instant but a loaded machine is not.
    deployTimeoutMs: Math.max(60_000, Math.round(DEPLOY_TIMEOUT_MS * scale)),
    watchdogMs: (seconds) => Math.max(SANDBOX_WATCHDOG_FLOOR_MS, Math.round(seconds * 1000 * scale)),
    wallMs: (ms) => Math.max(SANDBOX_WAIT_FLOOR_MS, Math.round(ms * scale)),
    budgetWindowMs: scale > 0 ? Math.round(HOUR_MS * scale) : HOUR_MS,
  };
}
