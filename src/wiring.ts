import type { LanguageModel } from "ai";
import type { MiddlewareHandler } from "hono";
import { createR2ArchiveStore, createR2ArtifactStore } from "./audit/artifacts";
import type { Providers, Redact, Services } from "./control/services";
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
import { approvalCodeFor } from "./policy/approval";
import { sandboxFetch } from "./sandbox/client";
import { createRedactor } from "./security/redact";
import { createSecretBox } from "./security/secrets";

/**
 * The one composition root: the only reader of the Worker env besides the Worker entry and the Durable
 * Objects' constructors. It builds the application's services (adapters, cipher, redactor, stores, the
 * environments' objects); real providers and the sandbox differ only in the `fetch` handed to the adapters.
 */

/** The application's services from the Worker env: once per request, once per Durable Object. */
export function appServices(env: Env): Services {
  const db = database(env.DB);
  const sandbox = isSandbox(env);
  const languageModel = chatLanguageModel(env);
  const cipher = secretCipher(env);
  const redactor = (envId?: string) => redactorFor(env, db, envId);
  return {
    db,
    now: Date.now,
    publicUrl: env.PUBLIC_URL,
    sandbox,
    configured: { railway: sandbox || !!env.RAILWAY_TOKEN, cloudflare: sandbox || !!env.CLOUDFLARE_API_TOKEN },
    providers: (options = {}) => buildProviders(env, options.onReceipt ?? (() => undefined), options.redact),
    cipher,
    redactor,
    runArtifacts: createR2ArtifactStore(env.ARTIFACTS, () => redactor()),
    incidentBundles: createR2ArtifactStore(env.ARTIFACTS, () => redactor(), "incidents"),
    archives: createR2ArchiveStore(env.ARTIFACTS),
    environment: (envId) => env.ENVIRONMENTS.getByName(envId),
    approvalCode: (run, approver) => approvalCodeFor(env.SECRETS_MASTER_KEY, run, approver),
    ...(languageModel ? { languageModel } : {}),
    twilioAuthToken: env.TWILIO_AUTH_TOKEN,
    adminToken: env.INFRA_CHAT_ADMIN_TOKEN,
    sandboxWorld: () => sandboxWorld(env),
  };
}

/** Hono middleware: the request's services, built once and read by every handler as `c.var.services`. */
export function provideServices(): MiddlewareHandler<{ Bindings: Env; Variables: { services: Services } }> {
  return async function provideServices(c, next) {
    c.set("services", appServices(c.env));
    await next();
  };
}

/** Whether the sandbox providers are on. */
function isSandbox(env: Env): boolean {
  return env.SANDBOX === "1";
}

/** The sandbox world's time multiplier (only meaningful with SANDBOX=1). */
function timeScale(env: Env): number {
  const n = Number(env.SANDBOX_TIME_SCALE ?? "1");
  return Number.isFinite(n) && n >= 0 ? n : 1;
}

/** The sandbox world's Durable Object stub (one world per deployment). */
export function sandboxWorld(env: Env) {
  return env.SANDBOX_WORLD.getByName("world");
}

/** `fetch` for provider calls: the real one, or the sandbox world's in-process handler. */
export function providerFetch(env: Env): typeof fetch {
  // Wrapped: the global fetch called as a method of another object throws "Illegal invocation" in workerd.
  if (!isSandbox(env)) return (input, init) => fetch(input, init);
  // Follows redirects as the real fetch would (a Flexible-SSL zone's loop surfaces as a TypeError).
  return sandboxFetch(sandboxWorld(env));
}

/** Railway, source control and app-probe clients sharing one receipt sink and redactor. */
function buildProviders(env: Env, onReceipt: (r: Receipt) => void, redact?: Redact): Providers {
  const sandbox = isSandbox(env);
  const scale = timeScale(env);
  const ctx: ProviderContext = {
    fetch: providerFetch(env),
    onReceipt,
    redact,
    sleep: sandbox ? (ms) => new Promise((r) => setTimeout(r, ms * scale)) : undefined,
  };
  const railwayToken = env.RAILWAY_TOKEN ?? (sandbox ? "sandbox-railway-token" : undefined);
  if (!railwayToken) throw new Error("RAILWAY_TOKEN is not configured (or set SANDBOX=1)");
  const cloudflareToken = env.CLOUDFLARE_API_TOKEN ?? (sandbox ? "sandbox-cloudflare-token" : undefined);
  const cloudflare = cloudflareToken ? createCloudflareApi(ctx, { token: cloudflareToken }) : null;
  const twilioSid = env.TWILIO_ACCOUNT_SID ?? (sandbox ? SANDBOX_TWILIO_SID : undefined);
  return {
    railway: createRailwayApi(ctx, { token: railwayToken }),
    source: createGitHubSource(ctx, { token: env.GITHUB_TOKEN }),
    appFetch: providerFetch(env),
    trafficFor(zone, edge) {
      if (!cloudflare || !cloudflareToken) throw new Error("CLOUDFLARE_API_TOKEN is not configured");
      const workers = createCloudflareWorkersApi(ctx, { token: cloudflareToken });
      const edgeRouter = createEdgeTrafficRouter(workers, cloudflare, {
        accountId: zone.accountId,
        zoneId: zone.zoneId,
        script: EDGE_ROUTER_SCRIPT,
        routerSecret: edge?.routerSecret ?? (async () => null),
        reportUrl: edgeReportUrl(env.PUBLIC_URL, edge?.envId ?? ""),
        now: Date.now,
      });
      const loadBalancer = createCloudflareTrafficRouter(cloudflare, zone);
      return createTrafficRouters({ "load-balancer": loadBalancer, edge: edgeRouter }, workers, zone.accountId);
    },
    ops: (baseUrl, token) => createOpsApi({ ...ctx, fetch: providerFetch(env) }, { baseUrl, token }),
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

/** Where an environment's edge router posts its reports (POST /edge/v1/reports, src/http/edge.ts). */
export function edgeReportUrl(publicUrl: string, envId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/edge/v1/reports?env=${encodeURIComponent(envId)}`;
}

/** The sandbox Twilio account (any AC… id is accepted there). */
const SANDBOX_TWILIO_SID = `AC${"0".repeat(32)}`;

/**
 * Canary time. Real: real windows and waits. Sandbox: simulated windows, and waits shrunk so a full
 * production canary (3 soaks of 5 minutes) takes well under 90 s under `npm start` (scale 0.3 → ×0.03).
 */
export function canaryTiming(env: Env): { simulated: boolean; waitFactor: number } {
  return isSandbox(env) ? { simulated: true, waitFactor: timeScale(env) / 10 } : { simulated: false, waitFactor: 1 };
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

/** The AES-256-GCM secret box from the Worker's master key. */
function secretCipher(env: Env): SecretCipher {
  const previous = env.SECRETS_PREVIOUS_KEYS
    ? (JSON.parse(env.SECRETS_PREVIOUS_KEYS) as Record<string, string>)
    : undefined;
  return createSecretBox(env.SECRETS_MASTER_KEY, env.SECRETS_KEY_ID ?? "k1", { previous });
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

/**
 * The sandbox watchdog's shortest period. A check samples every service and reads provider state (about a
 * dozen sandbox requests, 100–200 ms locally); at time scale 0 a 1 s period kept the local control plane
 * busy monitoring and put 300 ms tails on chat latency (npm run bench).
 */
const SANDBOX_WATCHDOG_FLOOR_MS = 10_000;

/** How often an environment's monitor watchdog fires without cron: a bit after the cron tick would have come. */
export function monitorWatchdogMs(env: Env, intervalSeconds: number): number {
  return isSandbox(env)
    ? Math.max(SANDBOX_WATCHDOG_FLOOR_MS, Math.round(intervalSeconds * 1000 * timeScale(env)))
    : Math.round(intervalSeconds * 1500);
}

/** How long a run waits between provider polls: seconds in real life, scaled in the sandbox. */
export function pollInterval(env: Env): number {
  return isSandbox(env) ? Math.max(25, Math.round(1500 * timeScale(env))) : 5000;
}
