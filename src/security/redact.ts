/**
 * The one redactor for text leaving the process (API answers, chat replies, run notes, artifacts, incident
 * bundles and their logs, texts, audit events): every known secret value, then the credentials that look
 * like credentials whether or not anyone stored them — URL userinfo, password=/token=/secret= values,
 * bearer tokens and private keys. Known values are matched with one Aho–Corasick automaton per redactor,
 * so cost is linear in the text whatever the number of secrets, and overlapping secrets are covered
 * completely; the patterns are linear regular expressions.
 */

export type Redact = (text: string) => string;

export const REDACTED = "[redacted]";

/** Shorter values would match too much ordinary text ("true", ids) to be worth hiding. */
const MIN_SECRET_LENGTH = 4;

/**
 * Builds the redactor for these secret values (values under 4 characters are ignored); it also hides
 * credential-shaped text (redactCredentials).
 */
export function createRedactor(values: Iterable<string>): Redact {
  const patterns = new Set<string>();
  for (const value of values) {
    if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH) continue;
    for (const form of encodedForms(value)) patterns.add(form);
  }
  if (patterns.size === 0) return redactCredentials;
  const automaton = buildAutomaton(patterns);
  return (text) => redactCredentials(replaceRanges(text, findRanges(automaton, text)));
}

/** Returns a copy of a JSON value with every string value redacted; object keys are left as they are. */
export function redactDeep<T>(value: T, redact: Redact): T {
  return walk(value, redact, new WeakMap()) as T;
}

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*)(?::([^\s/?#@]*))?@/gi;
const SENSITIVE_QUERY =
  /([?&](?:access_token|token|api[_-]?key|apikey|key|password|passwd|pwd|secret|client_secret|sig|signature|auth)=)[^&#\s]*/gi;
/** `password=…` and kin outside a URL query: config dumps, log lines, connection strings' options. */
const SENSITIVE_ASSIGNMENT =
  /((?:^|[\s;,"'(])(?:access_token|auth_token|token|api[_-]?key|apikey|password|passwd|pwd|secret|client_secret)\s?[=:]\s?)(?!\[redacted\])[^\s&#;,"')]+/gim;
/** The same names as JSON members: `"password": "…"` in a serialized body or config. */
const SENSITIVE_JSON_MEMBER =
  /("(?:access_token|auth_token|api[_-]?key|apikey|password|passwd|pwd|client_secret|private_key)"\s*:\s*")(?:[^"\\]|\\.)*(")/gi;
/**
 * `Authorization: Bearer …`, `Basic …` credentials, and a bare "Bearer <token>". The credential must hold a
 * digit, so prose ("Basic authentication", "Token validation") is left alone.
 */
const AUTH_SCHEME = /\b(Bearer|Basic|Token)(\s+)(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}/gi;
/** A PEM private key, or the start of one a truncated log line cut off. */
const PRIVATE_KEY =
  /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY)-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|$)/g;

/**
 * Hides credential-shaped text the redactor was never told about: URL credentials (redactUrlCredentials),
 * `password=`/`token=`/`secret=` values, bearer and basic credentials, and PEM private keys.
 */
export function redactCredentials(text: string): string {
  if (!MAY_HOLD_CREDENTIALS.test(text)) return text;
  return redactUrlCredentials(text)
    .replace(PRIVATE_KEY, (_match, kind: string) => `-----BEGIN ${kind}----- ${REDACTED} -----END ${kind}-----`)
    .replace(AUTH_SCHEME, `$1$2${REDACTED}`)
    .replace(SENSITIVE_JSON_MEMBER, `$1${REDACTED}$2`)
    .replace(SENSITIVE_ASSIGNMENT, `$1${REDACTED}`);
}

/** A cheap first look: most text (ids, plain notes) holds none of the markers the patterns need. */
const MAY_HOLD_CREDENTIALS = /[@=:]|bearer|basic|token|PRIVATE KEY/i;

/**
 * Hides credentials embedded in URLs — passwords in userinfo ("postgres://u:[redacted]@h"), a bare
 * userinfo token ("https://[redacted]@github.com") and credential-like query parameters — including
 * secrets the redactor was never told about, such as a connection string a provider generated.
 */
export function redactUrlCredentials(text: string): string {
  return text
    .replace(URL_USERINFO, (_match, scheme: string, user: string, password: string | undefined) =>
      password === undefined ? `${scheme}${REDACTED}@` : `${scheme}${user}:${REDACTED}@`,
    )
    .replace(SENSITIVE_QUERY, `$1${REDACTED}`);
}

/** The forms a value takes once embedded in JSON text or a URL, so serialized copies are caught too. */
function encodedForms(value: string): string[] {
  const forms = [value, JSON.stringify(value).slice(1, -1)];
  try {
    forms.push(encodeURIComponent(value));
  } catch {
    // encodeURIComponent throws on lone surrogates; such a value cannot appear URL-encoded anyway.
  }
  return forms;
}

interface Automaton {
  next: Map<number, number>[];
  fail: number[];
  /** length of the longest pattern that ends at this node (0 = none) */
  out: number[];
}

function buildAutomaton(patterns: Iterable<string>): Automaton {
  const next: Map<number, number>[] = [new Map()];
  const terminal: number[] = [0];
  for (const pattern of patterns) {
    let node = 0;
    for (let i = 0; i < pattern.length; i++) {
      const code = pattern.charCodeAt(i);
      let child = next[node].get(code);
      if (child === undefined) {
        child = next.length;
        next.push(new Map());
        terminal.push(0);
        next[node].set(code, child);
      }
      node = child;
    }
    terminal[node] = pattern.length;
  }
  const fail = new Array<number>(next.length).fill(0);
  const out = terminal.slice();
  const queue = [...next[0].values()];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head];
    for (const [code, child] of next[node]) {
      let f = fail[node];
      while (f !== 0 && !next[f].has(code)) f = fail[f];
      const target = next[f].get(code);
      fail[child] = target !== undefined && target !== child ? target : 0;
      // A node's own pattern is the longest possible match ending here; otherwise inherit the suffix's.
      out[child] = terminal[child] || out[fail[child]];
      queue.push(child);
    }
  }
  return { next, fail, out };
}

/** Covered [start, end) ranges, merged where matches overlap. */
function findRanges({ next, fail, out }: Automaton, text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let state = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    while (state !== 0 && !next[state].has(code)) state = fail[state];
    state = next[state].get(code) ?? 0;
    const length = out[state];
    if (length === 0) continue;
    let start = i + 1 - length;
    while (ranges.length > 0 && ranges[ranges.length - 1][1] > start) start = Math.min(start, ranges.pop()![0]);
    ranges.push([start, i + 1]);
  }
  return ranges;
}

function replaceRanges(text: string, ranges: Array<[number, number]>): string {
  if (ranges.length === 0) return text;
  let result = "";
  let cursor = 0;
  for (const [start, end] of ranges) {
    result += text.slice(cursor, start) + REDACTED;
    cursor = end;
  }
  return result + text.slice(cursor);
}

function walk(value: unknown, redact: Redact, seen: WeakMap<object, unknown>): unknown {
  if (typeof value === "string") return redact(value);
  if (value === null || typeof value !== "object") return value;
  const copied = seen.get(value);
  if (copied !== undefined) return copied;
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    seen.set(value, items);
    for (const item of value) items.push(walk(item, redact, seen));
    return items;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  // Dates, typed arrays and other class instances are not JSON values; they serialize without our strings.
  if (proto !== Object.prototype && proto !== null) return value;
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [key, item] of Object.entries(value)) {
    // defineProperty, because assigning a "__proto__" key from parsed JSON would change the prototype.
    Object.defineProperty(copy, key, {
      value: walk(item, redact, seen),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}
