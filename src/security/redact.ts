/**
 * Scrubs known secret values from text leaving the process (receipts, artifacts, logs, chat replies).
 * Matching uses one Aho–Corasick automaton built per redactor, so cost is linear in the text whatever
 * the number of secrets, and overlapping secrets are covered completely.
 */

export type Redact = (text: string) => string;

export const REDACTED = "[redacted]";

/** Shorter values would match too much ordinary text ("true", ids) to be worth hiding. */
const MIN_SECRET_LENGTH = 4;

/** Builds a redactor for these secret values (values under 4 characters are ignored). */
export function createRedactor(values: Iterable<string>): Redact {
  const patterns = new Set<string>();
  for (const value of values) {
    if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH) continue;
    for (const form of encodedForms(value)) patterns.add(form);
  }
  if (patterns.size === 0) return (text) => text;
  const automaton = buildAutomaton(patterns);
  return (text) => replaceRanges(text, findRanges(automaton, text));
}

/** Returns a copy of a JSON value with every string value redacted; object keys are left as they are. */
export function redactDeep<T>(value: T, redact: Redact): T {
  return walk(value, redact, new WeakMap()) as T;
}

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*)(?::([^\s/?#@]*))?@/gi;
const SENSITIVE_QUERY =
  /([?&](?:access_token|token|api[_-]?key|apikey|key|password|passwd|pwd|secret|client_secret|sig|signature|auth)=)[^&#\s]*/gi;

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
