/** Secrets and optional vars (set with `wrangler secret put`, or .dev.vars locally); see README "Configuration". */
interface InfraChatConfig {
  /** "1" switches every provider to the in-process sandbox world. */
  SANDBOX?: string;
  /** Sandbox time multiplier: 1 = the sandbox's own durations, 0 = instant (tests). */
  SANDBOX_TIME_SCALE?: string;
  /** base64 of 32 random bytes: the AES-256-GCM key for secrets at rest. */
  SECRETS_MASTER_KEY: string;
  SECRETS_KEY_ID?: string;
  /** JSON map keyId → base64 key, for values sealed before a key rotation. */
  SECRETS_PREVIOUS_KEYS?: string;
  RAILWAY_TOKEN?: string;
  GITHUB_TOKEN?: string;
  /** Local admin token created by `npm start` (sandbox only). */
  INFRA_CHAT_ADMIN_TOKEN?: string;
  /** One-time secret that lets the first admin be created on a real deployment. */
  BOOTSTRAP_SECRET?: string;
  CLOUDFLARE_API_TOKEN?: string;
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  TWILIO_FROM_NUMBER?: string;
  /** Turns on the LLM chat interpreter (the language layer stays the fallback). */
  OPENAI_API_KEY?: string;
  /** The OpenAI model the chat interpreter uses; default gpt-4o-mini. */
  OPENAI_MODEL?: string;
  /** An OpenAI-compatible server's API root (Ollama, vLLM, Azure, AI Gateway), e.g. http://localhost:11434/v1. */
  OPENAI_BASE_URL?: string;
  /** "workers-ai": the chat's model is Workers AI through the AI binding (`[ai] binding = "AI"`). */
  CHAT_MODEL_PROVIDER?: string;
  /** The chat model's id for whichever provider is configured (wins over OPENAI_MODEL). */
  CHAT_MODEL?: string;
  /** Workers AI, when `[ai] binding = "AI"` is in wrangler.toml (optional). */
  AI?: Ai;
}

declare namespace Cloudflare {
  interface Env extends InfraChatConfig {}
}
interface Env extends InfraChatConfig {}
