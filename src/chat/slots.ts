/**
 * Slot extraction for the rule parser: which environments, ref, canary steps, release and time window a
 * command names. Each function reads classified tokens and records what it consumed in `used`, so one
 * word never fills two slots ("deploy v3 to staging": v3 is the ref, staging the environment).
 */
import { keywordOf, type Token } from "./lexicon";

/** Politeness and filler that never change what a message asks for. */
export const POLITE = new Set([
  "please",
  "pls",
  "plz",
  "kindly",
  "can",
  "could",
  "would",
  "will",
  "you",
  "u",
  "we",
  "i",
  "me",
  "us",
  "lets",
  "let",
  "hey",
  "hi",
  "hello",
  "ok",
  "okay",
  "thanks",
  "thank",
  "thx",
  "ty",
  "just",
  "now",
  "the",
  "a",
  "an",
  "my",
  "our",
  "bot",
]);
const ARTICLES = new Set(["the", "a", "an", "our", "my", "this", "that"]);
const PREPOSITIONS = new Set(["to", "on", "in", "into", "onto", "for", "of"]);
const CONNECTORS = new Set(["and", "then", "plus", "&", "also"]);
/** Words that describe what to deploy without naming a ref: the default (branch head) is meant. */
const NOT_A_REF = new Set([
  "latest",
  "newest",
  "head",
  "current",
  "new",
  "code",
  "changes",
  "change",
  "build",
  "app",
  "everything",
  "all",
  "it",
  "api",
  "web",
  "cron",
  "service",
  "services",
  "release",
  "version",
  "previous",
  "last",
  "good",
  "env",
  "environment",
  "with",
  "and",
  "then",
  "first",
  "again",
  "now",
  "please",
]);
const REF_MARKERS = new Set(["at", "ref", "@", "commit", "sha", "version", "tag", "branch", "revision"]);
const RELEASE_MARKERS = new Set(["release", "version", "tag", "commit", "revision", "sha", "ref"]);
const VERSION_OR_SHA = /^(?:v\d+(?:\.\d+)*(?:[-+.][0-9a-z.-]+)?|(?=[0-9a-f]*\d)[0-9a-f]{7,40})$/i;
const REF_CHARS = /^[A-Za-z0-9][A-Za-z0-9._/+-]{0,199}$/;
const CUSTOM_ENV = /^[a-z][a-z0-9-]{1,40}$/;
const CANARY_GLUE = new Set([
  "at",
  "steps",
  "step",
  "of",
  "with",
  "and",
  "then",
  "to",
  "percent",
  "%",
  "->",
  "weights",
]);
const MIGRATION_NEGATIONS = new Set(["without", "no", "skip", "skipping", "dont", "not", "never", "excluding"]);
const TIME_WORDS = /^(?:yesterday|today|tonight|\d{4}-\d{2}-\d{2}(?:t[\d:.]+(?:z|[+-]\d{2}:?\d{2})?)?)$/;
const DURATION = /^\d+(?:h|d|w|m|min|mins|hrs?|hours?|days?|weeks?|minutes?)$/;
const DURATION_UNITS = new Set([
  "h",
  "hour",
  "hours",
  "hr",
  "hrs",
  "d",
  "day",
  "days",
  "w",
  "week",
  "weeks",
  "m",
  "min",
  "mins",
  "minute",
  "minutes",
]);
const PERIOD_WORDS = new Set(["hour", "day", "week", "month", "night", "deploy", "release"]);

/**
 * Environments named, in order: those after a preposition ("to staging and prod") win over bare mentions.
 * With allowCustom, an unaliased name is accepted after a preposition ("to qa") or right after the verb
 * at index `verb` ("rollback qa"), as in the SMS grammar "ROLLBACK <env name>".
 */
export function namedEnvs(tokens: Token[], used: Set<number>, allowCustom: boolean, verb?: number): string[] {
  const envIdx = tokens.flatMap((t, i) => (t.env ? [i] : []));
  const linked: number[] = [];
  for (const i of envIdx) {
    const prev = linked.at(-1);
    if (introducedByPreposition(tokens, i) || (prev !== undefined && onlyGlueBetween(tokens, prev, i))) linked.push(i);
  }
  const chosen = linked.length > 0 ? linked : envIdx;
  for (const i of chosen) used.add(i);
  const names = [...new Set(chosen.map((i) => tokens[i].env ?? ""))];
  if (names.length > 0 || !allowCustom) return names;
  const custom = customEnv(tokens, used, verb);
  return custom ? [custom] : [];
}

function introducedByPreposition(tokens: Token[], i: number): boolean {
  let j = i - 1;
  while (j >= 0 && ARTICLES.has(tokens[j].word)) j--;
  return j >= 0 && PREPOSITIONS.has(tokens[j].word);
}

function onlyGlueBetween(tokens: Token[], from: number, to: number): boolean {
  return tokens
    .slice(from + 1, to)
    .every((t) => CONNECTORS.has(t.word) || ARTICLES.has(t.word) || PREPOSITIONS.has(t.word));
}

function customEnv(tokens: Token[], used: Set<number>, verb: number | undefined): string | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (
      !(introducedByPreposition(tokens, i) || (verb !== undefined && i === verb + 1)) ||
      used.has(i) ||
      !CUSTOM_ENV.test(t.lower)
    )
      continue;
    if (keywordOf(t.lower) !== undefined || t.word !== t.lower || VERSION_OR_SHA.test(t.lower)) continue;
    if (POLITE.has(t.lower) || ARTICLES.has(t.lower) || PREPOSITIONS.has(t.lower) || NOT_A_REF.has(t.lower)) continue;
    if (TIME_WORDS.test(t.lower) || DURATION.test(t.lower) || t.lower === "past") continue;
    used.add(i);
    return t.lower;
  }
  return undefined;
}

function isRefCandidate(tokens: Token[], i: number, used: Set<number>): boolean {
  const t = tokens[i];
  if (!t || used.has(i) || t.env || keywordOf(t.lower) !== undefined || t.word !== t.lower) return false;
  if (POLITE.has(t.lower) || ARTICLES.has(t.lower) || PREPOSITIONS.has(t.lower) || NOT_A_REF.has(t.lower)) return false;
  return REF_CHARS.test(t.raw);
}

/** The ref to deploy: after a marker ("at abc1234", "ref main"), before "to <env>" ("deploy v3 to staging"), or a version/sha anywhere. */
export function deployRef(tokens: Token[], verb: number, used: Set<number>): string | undefined {
  for (let i = 0; i < tokens.length; i++) {
    if (REF_MARKERS.has(tokens[i].word) && isRefCandidate(tokens, i + 1, used)) return take(tokens, i + 1, used);
  }
  const envAt = tokens.findIndex(
    (t, i) => i > verb && t.env !== undefined && used.has(i) && introducedByPreposition(tokens, i),
  );
  for (let i = verb + 1; envAt > 0 && i < envAt; i++) {
    if (PREPOSITIONS.has(tokens[i].word)) break;
    if (isRefCandidate(tokens, i, used)) return take(tokens, i, used);
  }
  return versionAnywhere(tokens, used);
}

/** The release to roll back to ("to v3", "to release 42"); none means the previous release. */
export function rollbackRelease(tokens: Token[], used: Set<number>): string | undefined {
  for (let i = 0; i < tokens.length; i++) {
    if (RELEASE_MARKERS.has(tokens[i].word) && isRefCandidate(tokens, i + 1, used)) return take(tokens, i + 1, used);
    if (tokens[i].word !== "to" && tokens[i].word !== "at") continue;
    let j = i + 1;
    while (tokens[j] && ARTICLES.has(tokens[j].word)) j++;
    if (isRefCandidate(tokens, j, used) && /\d/.test(tokens[j].raw)) return take(tokens, j, used);
  }
  return versionAnywhere(tokens, used);
}

function versionAnywhere(tokens: Token[], used: Set<number>): string | undefined {
  const i = tokens.findIndex((t, k) => !used.has(k) && !t.env && VERSION_OR_SHA.test(t.raw));
  return i >= 0 ? take(tokens, i, used) : undefined;
}

function take(tokens: Token[], i: number, used: Set<number>): string {
  used.add(i);
  return tokens[i].raw;
}

/**
 * Canary weights after the word "canary" ("10/50/100", "5, 25, 100", "10% → 50%"), or right before it
 * ("a 10/50/100 canary"); "invalid" if outside 1–100 or too many.
 */
export function canarySteps(tokens: Token[], used: Set<number>): number[] | "invalid" | undefined {
  const at = tokens.findIndex((t) => t.word === "canary");
  if (at < 0) return undefined;
  used.add(at);
  const steps: number[] = [];
  for (let j = at + 1; j < tokens.length; j++) {
    const weights = canaryWeights(tokens[j]);
    if (weights) {
      steps.push(...weights);
      used.add(j);
    } else if (!CANARY_GLUE.has(tokens[j].lower)) break;
  }
  // Weights written before the word ("a 10/50/100 canary") must not be dropped for the policy default.
  const before = at > 0 && steps.length === 0 ? canaryWeights(tokens[at - 1]) : undefined;
  if (before && before.length > 1) {
    steps.push(...before);
    used.add(at - 1);
  }
  if (steps.length === 0) return undefined;
  return steps.length > 10 || steps.some((n) => n < 1 || n > 100) ? "invalid" : steps;
}

function canaryWeights(token: Token): number[] | undefined {
  const parts = token.lower
    .split(/[/,]/)
    .map((p) => p.replace(/%+$/, ""))
    .filter((p) => p !== "");
  return parts.length > 0 && parts.every((p) => /^\d{1,4}$/.test(p)) ? parts.map(Number) : undefined;
}

/** true for "and run migrations first", false for "without migrations", undefined when not mentioned. */
export function migrateFirst(tokens: Token[], verb: number): boolean | undefined {
  const at = tokens.findIndex((t, i) => i !== verb && t.word === "migrate");
  if (at < 0) return undefined;
  return !tokens.slice(Math.max(0, at - 3), at).some((t) => MIGRATION_NEGATIONS.has(t.word));
}

/** The audit window as typed, lowercased: "since yesterday" → "yesterday", "in the last 24h" → "24h". */
export function auditSince(tokens: Token[], used: Set<number>): string | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i].word;
    if (word === "since" || word === "from" || word === "after") {
      const phrase: string[] = [];
      for (let j = i + 1; j < tokens.length && phrase.length < 3; j++) {
        const t = tokens[j];
        if (t.env || PREPOSITIONS.has(t.word) || CONNECTORS.has(t.word) || POLITE.has(t.word)) break;
        phrase.push(timeText(t));
        used.add(j);
      }
      if (phrase.length > 0) return phrase.join(" ");
    }
    if ((word === "last" || word === "past") && tokens[i + 1]) {
      const next = tokens[i + 1];
      const unit = tokens[i + 2];
      if (/^\d+$/.test(next.lower) && unit && DURATION_UNITS.has(unit.lower)) return `${next.lower} ${unit.lower}`;
      if (DURATION.test(next.lower)) return next.lower;
      if (PERIOD_WORDS.has(next.lower)) return `last ${next.lower}`;
    }
  }
  const bare = tokens.find((t, k) => !used.has(k) && TIME_WORDS.test(t.lower));
  return bare ? timeText(bare) : undefined;
}

/** Lowercase words, but an ISO timestamp keeps its upper-case T and Z so Date parsing still accepts it. */
function timeText(t: Token): string {
  return /^\d{4}-\d{2}-\d{2}t/.test(t.lower) ? t.raw.toUpperCase() : t.lower;
}
