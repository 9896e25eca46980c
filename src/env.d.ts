/** Secrets and optional vars (set with `wrangler secret put`, or .dev.vars locally); see README "Configuration". */
interface InfraChatConfig {
  /** Dev entry only (src/dev/): "1" switches every provider to the in-process sandbox world. */
  SANDBOX?: string;
  /** Sandbox time multiplier: 1 = the sandbox's own durations, 0 = instant (tests). */
  SANDBOX_TIME_SCALE?: string;
  /** The Worker's public https origin: links in texts, Twilio's signature base, webhook URLs setup registers. */
  PUBLIC_URL?: string;
  /** base64 of 32 random bytes: the AES-256-GCM key for secrets at rest. */
  SECRETS_MASTER_KEY: string;
  SECRETS_KEY_ID?: string;
  /** JSON map keyId → base64 key, for values sealed before a key rotation. */
  SECRETS_PREVIOUS_KEYS?: string;
  /** base64 of 32 random bytes: the HMAC key of the audit chain and its checkpoints (never stored in D1). */
  AUDIT_KEY?: string;
  AUDIT_KEY_ID?: string;
  /** JSON map keyId → base64 key: older audit keys, so events signed before a rotation still verify. */
  AUDIT_PREVIOUS_KEYS?: string;
  /** base64 of 32 random bytes: approval codes are derived from it (not from the secrets master key). */
  APPROVAL_KEY?: string;
  APPROVAL_KEY_ID?: string;
  /** JSON map keyId → base64 key: codes issued under an older approval key stay valid until they expire. */
  APPROVAL_PREVIOUS_KEYS?: string;
  /** Railway account or workspace token (Authorization: Bearer). */
  RAILWAY_API_TOKEN?: string;
  /** The old name of RAILWAY_API_TOKEN, still read (with a warning): Railway's CLI uses it for project tokens. */
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
  /** Minutes a plan may wait for "apply" before it expires (cancelled, "plan expired"); default 60. */
  PLAN_TTL_MINUTES?: string;
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
