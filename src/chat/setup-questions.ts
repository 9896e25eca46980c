/**
 * The setup question tree (spec §11.1), pure: recognising the setup sentence, choosing the next question
 * from what is already known, and reading each answer. Secrets are never parsed here beyond their slot
 * name: the control layer stores them and keeps only `secretref://` references.
 */
import { z } from "zod";

export const SETUP_ENVS = ["local", "staging", "production"] as const;
export type SetupEnv = (typeof SETUP_ENVS)[number];
export const BUILDS = ["railpack", "dockerfile", "nixpacks"] as const;
export type Build = (typeof BUILDS)[number];

/** What the setup sentence asked for. */
export interface SetupRequest {
  projectName?: string;
  envs: SetupEnv[];
  /** Connections named: Stripe, SendGrid, SMS (Twilio). Railway and Cloudflare are the platform. */
  connections: ("stripe" | "sendgrid" | "twilio")[];
}

/** Non-secret answers, as kept in the conversation state. */
export const SetupAnswers = z.object({
  project: z.string().optional(),
  sources: z.record(z.string(), z.object({ repo: z.string(), branch: z.string(), build: z.enum(BUILDS) })).default({}),
  domains: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  components: z.object({ redis: z.boolean(), storage: z.boolean() }).optional(),
  senderDomain: z.string().optional(),
  sms: z.array(z.string()).optional(),
  /** Secret slots answered: the `secretref://` references stored, never values. */
  secretRefs: z.record(z.string(), z.array(z.string())).default({}),
});
export type SetupAnswers = z.infer<typeof SetupAnswers>;

/** Everything known before asking: the request, the template's defaults, and what the control plane already holds. */
export interface SetupFacts {
  request: SetupRequest;
  /** The template's services with their default source and build. */
  services: Record<string, { repo: string; branch: string; build: Build }>;
  /** The template's domains per environment. */
  defaultDomains: Record<string, Record<string, string>>;
  /** Secret names already stored per environment (a key stored before is not asked for again). */
  storedSecrets: Record<string, string[]>;
  /** Sender domain already recorded on the SendGrid connection. */
  senderDomain?: string;
  /** Production's alert phones already in its spec. */
  productionPhones: string[];
  /** Environments whose domains are already known (they existed before this conversation). */
  knownDomains?: string[];
  /** The components are already known (every environment existed before this conversation). */
  knownComponents?: boolean;
}

/** One question: its slot (stable id), text and offered answers. */
export interface SetupQuestion {
  slot: string;
  text: string;
  options?: string[];
  /** The answer is a credential: stored encrypted at once, never echoed or kept in the transcript. */
  secret?: boolean;
}

const ENV_WORDS: Record<string, SetupEnv> = {
  local: "local",
  dev: "local",
  staging: "staging",
  stage: "staging",
  production: "production",
  prod: "production",
};
const DEFAULT_WORDS = new Set([
  "default",
  "defaults",
  "skip",
  "yes",
  "ok",
  "okay",
  "sure",
  "keep",
  "same",
  "fine",
  "y",
  "none",
]);
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const REPO = /^[\w.-]+\/[\w.-]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;
/** Shapes of credentials people paste: Stripe keys and webhook secrets, SendGrid keys. */
export const CREDENTIAL =
  /\b(?:(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9_]{4,}|whsec_[A-Za-z0-9]{4,}|SG\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]+)?)\b/;

/**
 * Recognises the setup sentence: "set up" / "provision" naming two or more environments, or a project
 * ("… for Invoice Perfect …"). One environment alone ("set up production") stays the parser's setup run.
 */
export function parseSetupRequest(text: string): SetupRequest | null {
  const trimmed = text.trim();
  if (!/^(?:please\s+)?(?:set\s?up|provision)\b/i.test(trimmed)) return null;
  // "set up production from staging" copies one environment: that is the parser's setup run.
  if (/\b(?:from|like|based on|copy of)\s+(?:the\s+)?(?:local|dev|staging|stage|production|prod)\b/i.test(trimmed))
    return null;
  const words = trimmed.toLowerCase().split(/[^a-z0-9+]+/);
  const envs = SETUP_ENVS.filter((e) => words.some((w) => ENV_WORDS[w] === e));
  const project = /\bfor\s+(.+?)(?:\s+(?:on|using|with|in|at)\b|[.,;!]|$)/i.exec(trimmed)?.[1]?.trim();
  const projectName = project && !/^(?:local|staging|production|prod|dev|me|us)$/i.test(project) ? project : undefined;
  if (envs.length < 2 && !projectName) return null;
  const connections = (["stripe", "sendgrid", "twilio"] as const).filter(
    (c) => words.includes(c) || (c === "twilio" && words.includes("sms")),
  );
  return { ...(projectName ? { projectName } : {}), envs: envs.length ? envs : [...SETUP_ENVS], connections };
}

/** The first question whose answer is not known yet, or null when the tree is complete. */
export function nextQuestion(facts: SetupFacts, answers: SetupAnswers): SetupQuestion | null {
  for (const question of questions(facts, answers)) if (question) return question;
  return null;
}

function* questions(facts: SetupFacts, a: SetupAnswers): Generator<SetupQuestion | null> {
  const { envs, connections } = facts.request;
  const project = a.project ?? facts.request.projectName;
  yield project ? null : { slot: "project", text: "What is the project called?" };
  for (const [name, s] of Object.entries(facts.services)) {
    yield a.sources[name]
      ? null
      : {
          slot: `source.${name}`,
          text: `${name}: which repository and build? Default: ${s.repo} (branch ${s.branch}), built with ${s.build}. Answer "default", a build (${BUILDS.join(", ")}) or owner/repo[@branch].`,
          options: ["default", ...BUILDS.filter((b) => b !== s.build)],
        };
  }
  for (const env of envs.filter((e) => e !== "local" && !facts.knownDomains?.includes(e))) {
    const defaults = facts.defaultDomains[env] ?? {};
    yield a.domains[env]
      ? null
      : {
          slot: `domains.${env}`,
          text: `Domains for ${env}? Default: ${
            Object.entries(defaults)
              .map(([s, h]) => `${s} ${h}`)
              .join(", ") || "none"
          }. Answer "default", a hostname for web (api gets api.<it>), or api=<host> web=<host>.`,
          options: ["default"],
        };
  }
  yield a.components || facts.knownComponents
    ? null
    : {
        slot: "components",
        text: "Postgres is always included. Which optional components? Storage (S3-compatible, for PDFs and images) is recommended; Redis is optional.",
        options: ["storage", "redis and storage", "redis", "none"],
      };
  const stores = (env: string, name: string) => (facts.storedSecrets[env] ?? []).includes(name);
  if (connections.includes("stripe")) {
    const testEnvs = envs.filter((e) => e !== "production");
    const needsTest = testEnvs.some((e) => !stores(e, "STRIPE_SECRET_KEY"));
    yield !needsTest || a.secretRefs["stripe.test"]
      ? null
      : {
          slot: "stripe.test",
          secret: true,
          text: `Stripe test key for ${testEnvs.join(" and ")} (sk_test_… or a restricted rk_test_…)? It is stored encrypted and never shown again.`,
        };
    yield !envs.includes("production") || stores("production", "STRIPE_SECRET_KEY") || a.secretRefs["stripe.live"]
      ? null
      : {
          slot: "stripe.live",
          secret: true,
          text: "Stripe live key for production (sk_live_… or a restricted rk_live_…)? Live keys are accepted for production only.",
        };
  }
  if (connections.includes("sendgrid")) {
    yield envs.every((e) => stores(e, "SENDGRID_API_KEY")) || a.secretRefs["sendgrid.key"]
      ? null
      : {
          slot: "sendgrid.key",
          secret: true,
          text: "SendGrid API key (SG.…)? Local mail goes to a sink; the key serves the deployed environments.",
        };
    const zone = defaultSenderDomain(facts);
    yield facts.senderDomain || a.senderDomain
      ? null
      : {
          slot: "sendgrid.sender",
          text: `Which sender address or domain should SendGrid authenticate?${zone ? ` Default: ${zone}` : ""} Its DNS records are written to Cloudflare for you.`,
          ...(zone ? { options: ["default"] } : {}),
        };
  }
  if (envs.includes("production")) {
    yield facts.productionPhones.length || a.sms
      ? null
      : {
          slot: "sms",
          text: 'Phone numbers for production alerts and approvals (E.164, e.g. +15551234567; several separated by commas), or "skip".',
          options: ["skip"],
        };
  }
}

/** The domain production's hostnames share (its zone), e.g. invoiceperfect.com. */
export function defaultSenderDomain(facts: SetupFacts): string | undefined {
  const host = Object.values(facts.defaultDomains.production ?? facts.defaultDomains.staging ?? {})[0];
  return host?.split(".").slice(-2).join(".");
}

export type AnswerResult = { ok: true; answers: SetupAnswers } | { ok: false; error: string };

/** Reads the answer to a non-secret slot into a copy of the answers, or says what was wrong with it. */
export function applyAnswer(facts: SetupFacts, answers: SetupAnswers, slot: string, text: string): AnswerResult {
  const reply = text.trim();
  const lower = reply.toLowerCase().replace(/[.!]+$/, "");
  const isDefault = DEFAULT_WORDS.has(lower) || lower === "use the default" || lower === "defaults please";
  const next: SetupAnswers = structuredClone(answers);
  if (slot === "project") {
    if (!reply || reply.length > 100) return { ok: false, error: "a project name of 1–100 characters, please" };
    next.project = reply;
    return { ok: true, answers: next };
  }
  if (slot.startsWith("source.")) {
    const service = slot.slice("source.".length);
    const source = readSource(facts.services[service], lower, isDefault);
    if (!source) return { ok: false, error: `say "default", a build (${BUILDS.join(", ")}) or owner/repo[@branch]` };
    next.sources[service] = source;
    return { ok: true, answers: next };
  }
  if (slot.startsWith("domains.")) {
    const env = slot.slice("domains.".length);
    const domains = isDefault ? (facts.defaultDomains[env] ?? {}) : readDomains(lower);
    if (!domains)
      return { ok: false, error: 'say "default", a hostname such as staging.example.com, or api=<host> web=<host>' };
    next.domains[env] = domains;
    return { ok: true, answers: next };
  }
  if (slot === "components") {
    const none = /\b(?:none|no|nothing|neither)\b/.test(lower) && !/\b(?:redis|storage|s3|minio)\b/.test(lower);
    const storage = lower === "default" || /\b(?:storage|s3|minio|bucket)\b/.test(lower);
    const redis = /\bredis\b/.test(lower);
    if (!none && !storage && !redis) return { ok: false, error: "say storage, redis, redis and storage, or none" };
    next.components = { redis, storage };
    return { ok: true, answers: next };
  }
  if (slot === "sendgrid.sender") {
    const candidate = isDefault ? defaultSenderDomain(facts) : lower.includes("@") ? lower.split("@").pop() : lower;
    if (!candidate || !HOSTNAME.test(candidate))
      return { ok: false, error: "an address such as billing@example.com or a domain such as example.com, please" };
    next.senderDomain = candidate;
    return { ok: true, answers: next };
  }
  if (slot === "sms") {
    const phones = isDefault || /^(?:no|none|skip)$/.test(lower) ? [] : reply.split(/[\s,;]+/).filter(Boolean);
    const bad = phones.filter((p) => !E164.test(p));
    if (bad.length) return { ok: false, error: `not an E.164 phone number: ${bad.join(", ").slice(0, 60)}` };
    next.sms = phones;
    return { ok: true, answers: next };
  }
  return { ok: false, error: `unknown question ${slot}` };
}

function readSource(
  fallback: SetupFacts["services"][string] | undefined,
  lower: string,
  isDefault: boolean,
): SetupAnswers["sources"][string] | null {
  if (!fallback) return null;
  if (isDefault) return { ...fallback };
  let { repo, branch, build } = fallback;
  let understood = false;
  for (const word of lower.split(/[\s,]+/).filter(Boolean)) {
    const normalized =
      word === "docker" ? "dockerfile" : word === "buildpack" || word === "buildpacks" ? "railpack" : word;
    if ((BUILDS as readonly string[]).includes(normalized)) {
      build = normalized as Build;
      understood = true;
    } else if (REPO.test(word.split("@")[0])) {
      [repo, branch = fallback.branch] = word.split("@");
      understood = true;
    }
  }
  return understood ? { repo, branch, build } : null;
}

function readDomains(lower: string): Record<string, string> | null {
  const pairs = [...lower.matchAll(/\b(api|web)\s*[=:]\s*([a-z0-9.-]+)/g)];
  if (pairs.length) {
    const out = Object.fromEntries(pairs.map((m) => [m[1], m[2].replace(/\.$/, "")]));
    return Object.values(out).every((h) => HOSTNAME.test(h)) ? out : null;
  }
  const host = lower.replace(/^https?:\/\//, "").replace(/[/.]+$/, "");
  return HOSTNAME.test(host) ? { web: host, api: `api.${host}` } : null;
}
