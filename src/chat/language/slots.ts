/**
 * Slot extraction over one clause's words: environments (known, unknown, "the other one"), services,
 * the ref, canary weights, migrations first or not, rates, jobs, phone numbers, time windows, counts,
 * codes, replicas and secret names. Pure; every value is read from the words, never guessed. A free word
 * is never a ref: refs are versions, shas, branches (with a slash, or the usual default branch names) or
 * whatever follows an explicit marker ("branch hotfix", "tag release-12").
 */
import { sinceInstant } from "../since";
import type { LanguageContext } from "./context";
import { closestName } from "./fuzzy";
import { isKnown, phraseOf, type Word } from "./text";

const ARTICLES = new Set(["the", "a", "an", "our", "my", "this", "that", "their", "both"]);
const ENV_PREPOSITIONS = new Set(["to", "on", "in", "into", "onto", "for", "against", "of", "at"]);
const LIST_GLUE = new Set(["and", "&", "+", "plus", ",", "or", "then", "both", "also"]);
const VERSION = /^v\d+(?:\.\d+)*(?:[-+][0-9a-z.-]+)?$/i;
const SHA = /^(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}$/i;
const BRANCH_WITH_SLASH = /^[A-Za-z][\w.-]*\/[\w./-]*[A-Za-z0-9]$/;
/** Branch names by their usual prefixes ("hotfix-123", "release-2026-11-27", "feature_login"). */
const BRANCH_BY_PREFIX = /^(?:hotfix|feature|feat|fix|bugfix|release|rc|chore|wip)[-_][\w.-]*[A-Za-z0-9]$/i;
const DEFAULT_BRANCHES = new Set(["main", "master", "develop", "trunk"]);
const REF_CHARS = /^[A-Za-z0-9][A-Za-z0-9._/+-]{0,199}$/;
const REF_MARKERS = new Set(["ref", "commit", "sha", "tag", "branch", "revision", "@"]);
/** Words that may sit where an environment name goes but are not one ("in a minute", "to 100%"). */
const NOT_ENV = new Set([
  "minute",
  "moment",
  "bit",
  "second",
  "while",
  "sec",
  "future",
  "background",
  "parallel",
  "order",
  "case",
  "time",
  "latest",
  "previous",
  "last",
  "release",
  "version",
  "build",
  "code",
  "changes",
  "head",
  "one",
  "other",
  "same",
  "api",
  "web",
  "alerts",
  "alert",
  "canary",
  "incidents",
  "runs",
  "approval",
  "slack",
  "chat",
  "me",
  "you",
  "it",
  "them",
  "everything",
  "everyone",
  "all",
  "fire",
]);
const UNKNOWN_SERVICE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*-(?:service|svc|api|worker|app|server|srv)$/;
const SERVICE_NOUNS = new Set(["service", "svc", "app", "worker", "server", "microservice"]);

/** Environment mentions of a clause, in order. */
export interface EnvMentions {
  known: string[];
  /** names in an environment's place that match nothing ("qa2") */
  unknown: string[];
  /** "the other one": refers to an environment without naming it */
  ambiguous: boolean;
}

/**
 * Environments a clause names. Those after a preposition ("to staging and prod") win over bare mentions
 * ("deploy my local changes to staging" deploys staging). An unknown name counts only in an environment's
 * place: after a preposition, or right after the verb at `verbAt` when the clause names no environment.
 */
export function envMentions(words: readonly Word[], verbAt = -1): EnvMentions {
  const ambiguous = /\bother (?:one|env|envs|environment|environments)\b|\bthe other$/.test(phraseOf(words));
  const envIdx = words.flatMap((w, i) => (w.env ? [i] : []));
  const linked: number[] = [];
  for (const i of envIdx) {
    const prev = linked.at(-1);
    if (afterPreposition(words, i) || (prev !== undefined && onlyGlueBetween(words, prev, i))) linked.push(i);
  }
  const chosen = linked.length > 0 ? linked : envIdx;
  const known = [...new Set(chosen.map((i) => words[i].env ?? ""))];
  const unknown: string[] = [];
  if (known.length === 0 && !ambiguous) {
    for (let i = 0; i < words.length; i++) {
      const inPlace = afterPreposition(words, i) || (verbAt >= 0 && i === verbAt + 1) || /:/.test(words[i].lower);
      if (inPlace && couldNameEnv(words[i])) unknown.push(words[i].lower);
    }
  }
  return { known, unknown: [...new Set(unknown)], ambiguous };
}

function afterPreposition(words: readonly Word[], i: number): boolean {
  let j = i - 1;
  while (j >= 0 && ARTICLES.has(words[j].lower)) j--;
  return j >= 0 && ENV_PREPOSITIONS.has(words[j].lower);
}

function onlyGlueBetween(words: readonly Word[], from: number, to: number): boolean {
  return words.slice(from + 1, to).every((w) => LIST_GLUE.has(w.lower) || ARTICLES.has(w.lower));
}

function couldNameEnv(word: Word): boolean {
  const name = word.lower;
  if (word.env || word.service || word.punct || NOT_ENV.has(name) || isKnown(name)) return false;
  if (!/^[a-z][a-z0-9-]{1,39}(?::[a-z][a-z0-9-]{1,39})?$/.test(name)) return false;
  // "db:migrate", "releases:rollback": a CLI habit, not "<project>:<env>".
  if (name.includes(":") && name.split(":").some((part) => isKnown(part) || isKnown(part.replace(/s$/, ""))))
    return false;
  return !isRefShaped(word.raw) && !DEFAULT_BRANCHES.has(name) && !UNKNOWN_SERVICE.test(name) && !/^__/.test(name);
}

/** Services a clause names, in the context's order; unknown ones as typed; `all` for "all services". */
export interface ServiceMentions {
  known: string[];
  unknown: string[];
  all: boolean;
}

export function serviceMentions(words: readonly Word[], context: LanguageContext): ServiceMentions {
  const phrase = phraseOf(words);
  const all = /\b(?:all|every)(?: the| of the)? services\b|\beverything\b|\ball of (?:it|them)\b/.test(phrase);
  const named = new Set(words.flatMap((w) => (w.service ? [w.service] : [])));
  const known = context.services.filter((s) => named.has(s));
  const unknown: string[] = [];
  words.forEach((w, i) => {
    if (w.service || w.env || w.punct) return;
    const next = words[i + 1]?.lower;
    if (UNKNOWN_SERVICE.test(w.lower)) unknown.push(w.lower);
    else if (next && SERVICE_NOUNS.has(next) && /^[a-z][a-z0-9-]{1,39}$/.test(w.lower) && !isKnown(w.lower))
      unknown.push(w.lower);
    else if ((w.lower === "worker" || w.lower === "workers") && !known.length) unknown.push("worker");
  });
  return { known, unknown: [...new Set(unknown)], all };
}

/** A ref-shaped word: a version, a commit sha, or a branch with a slash. */
export function isRefShaped(raw: string): boolean {
  return (
    VERSION.test(raw) ||
    SHA.test(raw) ||
    BRANCH_BY_PREFIX.test(raw) ||
    (BRANCH_WITH_SLASH.test(raw) && !/\/(?:min|minute|s|sec|h)$/i.test(raw))
  );
}

/**
 * The ref a clause names and the word it sits at; the service right before "@" is the one it belongs to.
 * A pull request ("#42", "PR 42") is its head ref on GitHub, "pull/42/head".
 */
export function refMention(words: readonly Word[]): { ref: string; at: number; service?: string } | undefined {
  const pr = words.findIndex(
    (w, i) =>
      /^#\d{1,7}$/.test(w.raw) || (/^(?:pr|pull)$/.test(w.lower) && /^#?\d{1,7}$/.test(words[i + 1]?.raw ?? "")),
  );
  if (pr >= 0) {
    const number = /^#/.test(words[pr].raw) ? words[pr].raw.slice(1) : words[pr + 1].raw.replace("#", "");
    return { ref: `pull/${number}/head`, at: /^#/.test(words[pr].raw) ? pr : pr + 1 };
  }
  for (let i = 0; i < words.length - 1; i++) {
    if (!REF_MARKERS.has(words[i].lower)) continue;
    let j = i + 1;
    while (words[j] && ARTICLES.has(words[j].lower)) j++;
    const candidate = words[j];
    if (!candidate || candidate.env || candidate.punct || !REF_CHARS.test(candidate.raw)) continue;
    if (words[i].lower !== "@" && isKnown(candidate.lower) && !DEFAULT_BRANCHES.has(candidate.lower)) continue;
    const service = words[i].lower === "@" ? words[i - 1]?.service : undefined;
    return service ? { ref: candidate.raw, at: j, service } : { ref: candidate.raw, at: j };
  }
  const at = words.findIndex((w) => !w.env && !w.service && (isRefShaped(w.raw) || DEFAULT_BRANCHES.has(w.lower)));
  return at >= 0 ? { ref: words[at].raw, at } : undefined;
}

/** The release a rollback goes to: "to v3", "to release 42", "on v1"; undefined means the previous one. */
export function releaseMention(words: readonly Word[]): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (VERSION.test(w.raw) || SHA.test(w.raw)) return w.raw;
    if (["release", "version", "revision", "tag"].includes(w.lower) && /^\d{1,6}$/.test(words[i + 1]?.raw ?? ""))
      return words[i + 1].raw;
  }
  return undefined;
}

/**
 * Canary weights: "10/50/100", "5, 25, 100", "20% then 100%", "a 25% then 50% then 100% canary".
 * Percentages anywhere in the clause count, plus plain numbers in the run of words right after "canary".
 * "invalid" when a weight is outside 1–100 or there are more than 10 steps.
 */
export function canaryWeights(words: readonly Word[]): number[] | "invalid" | undefined {
  const at = words.findIndex((w) => w.lower === "canary" || w.lower === "canaries");
  if (at < 0) return undefined;
  const found: [number, number][] = [];
  words.forEach((w, i) => {
    const list = /^\d{1,4}%?(?:[/,]\d{1,4}%?)+$/.test(w.lower);
    if (list || /^\d{1,4}%$/.test(w.lower))
      for (const part of w.lower.split(/[/,]/)) found.push([i, Number(part.replace("%", ""))]);
  });
  for (let j = at + 1; j < words.length; j++) {
    const w = words[j];
    if (/^\d{1,4}$/.test(w.lower)) found.push([j, Number(w.lower)]);
    else if (!["steps", "step", "of", "at", "with", "and", "then", ",", "weights", "percent", ":"].includes(w.lower))
      if (!/^\d{1,4}%?(?:[/,]\d{1,4}%?)*$/.test(w.lower)) break;
  }
  const steps = found.sort((a, b) => a[0] - b[0]).map(([, n]) => n);
  if (steps.length === 0) return undefined;
  return steps.length > 10 || steps.some((n) => n < 1 || n > 100) ? "invalid" : steps;
}

/** true for "migrations first", false for "skip migrations", undefined when migrations aren't mentioned. */
export function migrationsFirst(phrase: string): boolean | undefined {
  if (
    /\b(?:without|no|skip|skipping|excluding|dont run|do not run|but not|minus) (?:running |the |any |db )*migrat\w*\b/.test(
      phrase,
    )
  )
    return false;
  if (
    /\bmigrat\w* (?:first|before|beforehand)\b|\bfirst (?:run |apply )?(?:the )?(?:db )?migrat\w*\b|\bmigrate then\b|\b(?:with|and run|and apply|plus) (?:the )?(?:db )?migrations\b/.test(
      phrase,
    )
  )
    return true;
  return undefined;
}

/** A rate per minute: "500 users/min", "at 200/min", "2k/min", "50 rows a minute", "10 rows/sec" (×60). */
export function ratePerMinute(phrase: string): number | undefined {
  const m =
    /\b(\d{1,12}(?:\.\d+)?)\s*(k|m)?\s*(?:users?|rows?|records?|items?|accounts?)?\s*(?:\/|per |a |an |every )\s*(min|mins|minute|m|sec|second|s)\b/.exec(
      phrase,
    );
  if (!m) return undefined;
  const scale = m[2] === "k" ? 1_000 : m[2] === "m" ? 1_000_000 : 1;
  const perSecond = ["sec", "second", "s"].includes(m[3]);
  return Math.round(Number(m[1]) * scale * (perSecond ? 60 : 1));
}

/** A job the clause names, against the app's jobs; `unknown` is the word that named none. */
export interface JobMention {
  job?: string;
  unknown?: string;
  ambiguous?: string[];
}

const GENERIC_JOB_PARTS = new Set(["backfill", "job", "run", "sync", "task", "fix"]);
const NOT_JOB_WORDS = new Set(["dry", "run", "job", "jobs", "backfill", "backfills", "backfilling", "data", "from"]);

/**
 * The job: its exact name ("fallbackTimezone"), or the job whose distinctive words the clause says
 * ("timezones" → backfillTimezone; "fallback timezone" → fallbackTimezone), plurals and typos allowed.
 */
export function jobMention(words: readonly Word[], context: LanguageContext): JobMention {
  const exact = context.jobs.find((job) => words.some((w) => w.lower === job.toLowerCase()));
  if (exact) return { job: exact };
  const said = words.filter((w) => !w.env && !w.service && !w.punct).map((w) => w.lower.replace(/(?:ing|s)$/, ""));
  const scored = context.jobs.map((job) => {
    const parts = job
      .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
      .toLowerCase()
      .split(/[\s_-]+/);
    const hit = (part: string) => said.some((w) => w === part || closestName(w, [part]) === part);
    const distinctive = parts.filter((p) => !GENERIC_JOB_PARTS.has(p) && hit(p)).length;
    return { job, distinctive, score: parts.filter(hit).length };
  });
  const best = Math.max(0, ...scored.map((s) => s.score));
  const top = scored.filter((s) => s.distinctive > 0 && s.score === best);
  if (top.length === 1) return { job: top[0].job };
  if (top.length > 1) return { ambiguous: top.map((s) => s.job) };
  const stray = words.find(
    (w, i) =>
      i > 0 &&
      ["backfill", "backfilling"].includes(words[i - 1].lower) &&
      !w.env &&
      !w.service &&
      !w.punct &&
      /^[a-z][a-z0-9_-]{2,40}$/.test(w.lower) &&
      !NOT_JOB_WORDS.has(w.lower) &&
      !isKnown(w.lower),
  );
  return stray ? { unknown: stray.lower } : {};
}

/** A phone number written with its country code ("+44 7700 900123", "+1 (415) 555-0199") in E.164. */
export function phoneNumber(text: string): string | undefined {
  const m = /(?<![\w+])\+\s?\d[\d\s().-]{6,20}\d/.exec(text);
  if (!m) return undefined;
  const digits = m[0].replace(/\D/g, "");
  return digits.length >= 8 && digits.length <= 15 ? `+${digits}` : undefined;
}

const DURATION_UNIT = /^(?:h|hr|hrs|hour|hours|d|day|days|w|wk|week|weeks|m|min|mins|minute|minutes|month|months)$/;
/** A fixed clock for checking that a window is readable; the instant itself is computed when it is used. */
const READ_CHECK_CLOCK = Date.UTC(2026, 0, 15, 12);

/**
 * The start of a time window as typed: "since yesterday" → "yesterday", "in the last 24h" → "24h",
 * "last week", "past 3 days" → "3 days", "today", "2026-11-01". Only windows since.ts can read.
 */
export function sinceMention(words: readonly Word[]): string | undefined {
  const content = words.filter((w) => !w.punct);
  const lower = content.map((w) => w.lower);
  const readable = (text: string) => (sinceInstant(text, READ_CHECK_CLOCK) ? text : undefined);
  // A date keeps its case as typed ("2026-11-01T10:00:00Z").
  const date = (i: number) => (/^\d{4}-\d{2}-\d{2}/.test(lower[i] ?? "") ? readable(content[i].raw) : undefined);
  for (let i = 0; i < lower.length; i++) {
    const [a, b, c] = [lower[i + 1], lower[i + 2], lower[i + 3]];
    if (lower[i] === "since" && a) {
      const two = b && /^(?:ago|morning|night|week)$/.test(b) ? `${a} ${b}` : undefined;
      const three = b && c === "ago" ? `${a} ${b} ago` : undefined;
      const hit = (three && readable(three)) ?? (two && readable(two)) ?? date(i + 1) ?? readable(a);
      if (hit) return hit;
    }
    if ((lower[i] === "last" || lower[i] === "past") && a) {
      if (/^\d{1,4}$/.test(a) && b && DURATION_UNIT.test(b)) return readable(`${a} ${b}`);
      if (/^\d{1,4}[a-z]+$/.test(a)) return readable(a);
      if (/^(?:hour|day|week|month|night)$/.test(a)) return readable(`last ${a}`);
    }
  }
  const bare = lower.findIndex((w) => /^(?:today|yesterday|tonight)$/.test(w) || /^\d{4}-\d{2}-\d{2}/.test(w));
  if (bare >= 0) return date(bare) ?? readable(lower[bare] === "tonight" ? "today" : lower[bare]);
  if (/\bthis morning\b/.test(lower.join(" "))) return "this morning";
  return undefined;
}

/** "last 5 deploys", "show 10 runs", "the last 3 rollbacks": how many runs to list. */
export function listedCount(phrase: string): number | undefined {
  const m =
    /\b(\d{1,7}) (?:most recent |recent |latest |last |past )?(?:runs?|deploys?|deployments?|rollbacks?|backfills?|migrations?|jobs?|releases?)\b/.exec(
      phrase,
    );
  return m ? Number(m[1]) : undefined;
}

/** Replicas asked for: "to 3 replicas", "to 2 instances", "to 4". */
export function replicaCount(phrase: string): number | undefined {
  const m =
    /\bto (\d{1,6})(?: (?:replicas?|instances?|pods?|copies|containers?))?\b|\b(\d{1,6}) (?:replicas|instances|pods)\b/.exec(
      phrase,
    );
  return m ? Number(m[1] ?? m[2]) : undefined;
}

/**
 * The secret variable a clause names: an upper-case name as typed, or the known secret whose distinctive
 * words it says ("the stripe key" → STRIPE_SECRET_KEY).
 */
export function secretName(words: readonly Word[], context: LanguageContext): string | undefined {
  const typed = words.find((w) => /^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/.test(w.raw) && w.raw.length <= 64);
  if (typed) return typed.raw;
  const said = new Set(words.map((w) => w.lower));
  const generic = new Set(["secret", "key", "api", "token", "password", "url"]);
  const hits = (context.secretNames ?? []).filter((name) =>
    name
      .toLowerCase()
      .split("_")
      .some((part) => !generic.has(part) && said.has(part)),
  );
  return hits.length === 1 ? hits[0] : undefined;
}
