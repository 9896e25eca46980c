/**
 * Secret values in chat text. The language layer lifts them out before it reads anything, so no question,
 * fallback, refusal or intent it builds can contain one: downstream code only sees placeholders
 * (`__secret1__`), and the values travel out of band as pending secrets.
 */

/** A secret value found in a message, named by the placeholder that replaced it. */
export interface PendingSecret {
  /** "pending-secret:1": what a set-secret intent's `valueRef` names. */
  ref: string;
  value: string;
  /** The variable it was assigned to ("STRIPE_SECRET_KEY=…"), when the message said. */
  name?: string;
}

export interface LiftedSecrets {
  /** The message with every secret replaced by its placeholder. */
  text: string;
  secrets: PendingSecret[];
}

/** Variable names whose values are secrets whatever they look like. */
const SECRET_NAME = /(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD|PASS|PWD|DSN|CREDENTIALS?|AUTH|PRIVATE|SIGNING|SALT|URL|URI)/;
/** `NAME=value`, `NAME = value`, `NAME: value` with an upper-case variable name. */
const ASSIGNMENT = /\b([A-Z][A-Z0-9_]{1,63})\s*(?:=|:)\s*("[^"]*"|'[^']*'|\S+)/g;
/** Values that are credentials by their shape, wherever they appear. */
const TOKEN_SHAPES: RegExp[] = [
  /\b(?:sk|rk|pk|whsec)_(?:test|live)_[A-Za-z0-9]{8,}\b/g, // Stripe
  /\bwhsec_[A-Za-z0-9]{16,}\b/g,
  /\bSG\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, // SendGrid
  /\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{20,}\b|\bgithub_pat_[A-Za-z0-9_]{20,}\b/g, // GitHub
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, // Slack
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key id
  /\bAIza[0-9A-Za-z_-]{30,}\b/g, // Google API key
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, // JWT
  /\bkey-[0-9a-z]{24,}\b/g, // Mailgun
  /\b(?:SK|AC)[0-9a-f]{32}\b/g, // Twilio
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
];
/** user:password@ in a URL: the password is the secret. */
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/([^\s:/@]+):([^\s@/]+)@/gi;
/** A DSN-style URL with a key before the @ ("https://abc123@o1.ingest.sentry.io/1"). */
const URL_KEY = /\b[a-z][a-z0-9+.-]*:\/\/([A-Za-z0-9]{12,})@/gi;
/** "password is hunter2", "token: abc…", "api key = abc…". */
const SAID_SECRET =
  /\b(?:password|passwd|passphrase|pwd|token|secret|api[ _-]?key|access[ _-]?key|private[ _-]?key)\s*(?:is|=|:|was)\s*("[^"]*"|'[^']*'|\S+)/gi;
/** "password hunter2": a password needs no "is"; the next word is it unless it is plainly a word of the request. */
const BARE_PASSWORD =
  /\b(?:password|passwd|passphrase|pwd)\s+(?!(?:is|was|for|on|in|to|the|a|an|of|and|reset|change|changed|rotation|rotate|policy|manager|field|please)\b)(\S+)/gi;
/**
 * Long random-looking words: 24+ characters mixing letters and digits. Commit shas (hex) and our own ids
 * (`run_…`) are references, not secrets; branch names keep their slashes and are never matched whole.
 */
const HIGH_ENTROPY =
  /(?<![\w/.@:-])(?=[A-Za-z0-9_+=-]*\d)(?=[A-Za-z0-9_+=-]*[A-Za-z])[A-Za-z0-9_+=-]{24,}(?![\w/.@:-])/g;
const NOT_SECRET_WORD = /^(?:[0-9a-f]{7,40}|(?:run|inc|plan|conv|msg|rev|usr|tok|evt)_[a-z0-9]+)$/i;

/** Replaces every secret in the text by a placeholder; the values come back as pending secrets. */
export function liftSecrets(text: string): LiftedSecrets {
  const secrets: PendingSecret[] = [];
  const placeholder = (value: string, name?: string): string => {
    const existing = secrets.find((s) => s.value === value);
    if (existing) return placeholderFor(existing.ref);
    const ref = `pending-secret:${secrets.length + 1}`;
    secrets.push(name ? { ref, value, name } : { ref, value });
    return placeholderFor(ref);
  };
  let out = text.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, (m) =>
    placeholder(m),
  );
  out = out.replace(ASSIGNMENT, (whole, name: string, raw: string) => {
    const value = unquote(trimTrailingPunctuation(raw));
    if (!value || isPlaceholder(value)) return whole;
    // Any upper-case variable assigned in chat is set as a secret; a value that merely looks like a setting
    // ("NODE_ENV=production") is lifted too when the name says secret — or the value has a secret's shape.
    if (!SECRET_NAME.test(name) && !looksSecret(value) && /^[a-z0-9.-]{1,20}$/i.test(value)) return whole;
    return whole.replace(raw, placeholder(value, name) + raw.slice(trimTrailingPunctuation(raw).length));
  });
  out = out.replace(URL_CREDENTIALS, (whole, _user: string, password: string) =>
    isPlaceholder(password) ? whole : whole.replace(`:${password}@`, `:${placeholder(password)}@`),
  );
  out = out.replace(URL_KEY, (whole, key: string) => whole.replace(key, placeholder(key)));
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, (m) => placeholder(m));
  out = out.replace(SAID_SECRET, (whole, raw: string) => {
    const value = unquote(trimTrailingPunctuation(raw));
    if (!value || isPlaceholder(value) || /^(?:set|on|for|in|to|the|a|an|is)$/i.test(value)) return whole;
    return whole.replace(raw, placeholder(value) + raw.slice(trimTrailingPunctuation(raw).length));
  });
  out = out.replace(BARE_PASSWORD, (whole, raw: string) => {
    const value = trimTrailingPunctuation(raw);
    return isPlaceholder(value) ? whole : whole.replace(raw, placeholder(value) + raw.slice(value.length));
  });
  out = out.replace(HIGH_ENTROPY, (m) => (NOT_SECRET_WORD.test(m) || isPlaceholder(m) ? m : placeholder(m)));
  return { text: out, secrets };
}

/**
 * Every string inside a value with each secret — and each long piece of one (a URL's password, a JWT's
 * signature, a SendGrid key's halves) — replaced by "[redacted]": the last line of defence on outputs.
 */
export function scrubValues<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const pieces = [
    ...new Set(secrets.flatMap((s) => [s, ...s.split(/[.:/@?&=,;]+/).filter((p) => p.length >= 6)])),
  ].sort((a, b) => b.length - a.length);
  const scrub = (v: unknown): unknown => {
    if (typeof v === "string") return pieces.reduce((s, secret) => s.split(secret).join("[redacted]"), v);
    if (Array.isArray(v)) return v.map(scrub);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x)]));
    return v;
  };
  return scrub(value) as T;
}

/** Whether a word, on its own, has the shape of a credential. */
export function looksSecret(word: string): boolean {
  return !NOT_SECRET_WORD.test(word) && liftSecrets(word).secrets.length > 0;
}

/** The placeholder word a pending secret stands as in the lifted text. */
export function placeholderFor(ref: string): string {
  return `__secret${ref.split(":")[1]}__`;
}

/** The pending-secret ref a placeholder word stands for, if it is one. */
export function refOfPlaceholder(word: string): string | undefined {
  const m = /^__secret(\d+)__$/.exec(word);
  return m ? `pending-secret:${m[1]}` : undefined;
}

function isPlaceholder(value: string): boolean {
  return /__secret\d+__/.test(value);
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

/** "…=abc," → "abc": a trailing comma or semicolon ends the sentence, it is not part of the value. */
function trimTrailingPunctuation(raw: string): string {
  return raw.replace(/[,;]+$/, "");
}
