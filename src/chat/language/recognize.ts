/**
 * The grammar's entry: message-level readings first (refusals, help, whole-message decisions, the
 * expand → backfill chain), then each clause through the recognizers in order, with a clause that names
 * only an environment ("…, then prod") taking the request before it, and "it" taking the environment
 * the message spoke about last.
 */
import { parseIntents } from "../parser";
import * as asks from "./asks";
import { type Clause, splitClauses } from "./clause";
import * as commands from "./commands";
import type { LanguageContext } from "./context";
import * as desired from "./desired-state";
import { type Draft, draftsFromIntents } from "./draft";
import { readWords, type Word } from "./text";

/** Why a message is refused before anything is planned. */
export type RefusalReason =
  | "destructive"
  | "negated"
  | "scheduled"
  | "secret-value"
  | "out-of-range"
  | "unknown-service"
  | "invalid";

export type Recognition =
  | { kind: "drafts"; drafts: Draft[] }
  | { kind: "refusal"; reason: RefusalReason }
  | { kind: "not-understood"; words: Word[] };

/** Recognizers in the order they are tried: the most specific readings first. */
const RECOGNIZERS: ((clause: Clause) => Draft[] | null)[] = [
  decision,
  asks.auditVerify,
  asks.explainFailure,
  commands.secrets,
  asks.secretNames,
  commands.unsubscribe,
  commands.subscribe,
  asks.progress,
  desired.drift,
  desired.policy,
  desired.createEnv,
  desired.setup,
  desired.component,
  commands.runControl,
  commands.promoteRelease,
  asks.runs,
  asks.incidents,
  asks.compare,
  asks.lastChange,
  asks.audit,
  commands.rollback,
  commands.remediate,
  commands.backfill,
  commands.deploy,
  commands.migrate,
  asks.status,
];

const DESTRUCTIVE_VERB = /\b(?:drop|delete|truncate|purge|wipe|erase|destroy|nuke|obliterate|flush|reset|rm)\b/;
const DATA_NOUN =
  /\b(?:tables?|databases?|dbs?|data|users?|rows?|records?|invoices?|customers?|sessions?|accounts?|orders?|payments?|backups?|buckets?|everything|all|environments?|envs?|project|cluster|volumes?|disks?|logs?)\b/;
const COMPONENT_EDIT =
  /\b(?:drop|delete|remove)\b (?:the |a )?(?:redis|postgres|postgresql|storage|s3|minio|object storage|cache)\b.*\bfrom\b/;
const NEGATIONS = /\b(?:dont|do not|not|never|doesnt|didnt|shouldnt|wont|cant|cannot|no need to)\b/;
const SCHEDULED =
  /\b(?:\d{1,2}(?::\d{2})? ?(?:am|pm)|\d{1,2}:\d{2}|tomorrow|tonight|midnight|noon|later today|later|next week|this evening|in an hour|in \d+ (?:minutes|hours)|after lunch|end of day|eod)\b/;
const SECRET_VALUE =
  /\b(?:show|print|reveal|display|give|tell|read|cat|echo|dump|what is|whats|send|paste)\b.*\b(?:key|secret|password|token|credential|credentials|value|dsn)\b/;

/** Reads a (secret-free) message into drafts, a refusal, or the words it did not understand. */
export function recognize(text: string, context: LanguageContext): Recognition {
  const words = readWords(text, context);
  const phrase = words
    .filter((w) => !w.punct)
    .map((w) => w.lower)
    .join(" ");
  const refusal = refused(phrase, words);
  if (refusal) return { kind: "refusal", reason: refusal };
  const whole = wholeMessage(text, phrase);
  if (whole) return { kind: "drafts", drafts: whole };
  const clauses = splitClauses(words, context);
  const drafts: Draft[] = [];
  // The environment the message spoke about last: what "it" means ("prod is on fire, roll it back").
  let topic: string | undefined;
  for (const clause of clauses) {
    const previous = drafts.at(-1);
    const found = previous && repeatsRequest(clause) ? repeatFor(previous, clause) : readClause(clause);
    if (found) {
      for (const d of found) if (!d.env && topic && REFERS_BACK.test(clause.phrase)) d.env = { said: topic };
      drafts.push(...found);
      topic = found.at(-1)?.env?.said ?? topic;
    } else if (isCommentary(clause)) topic = clause.words.find((w) => w.env)?.env ?? topic;
    else return { kind: "not-understood", words };
  }
  return drafts.length > 0 ? { kind: "drafts", drafts } : { kind: "not-understood", words };
}

const REFERS_BACK = /\b(?:it|them|there|that one|the same)\b/;
/** Words that may accompany names in a clause that repeats the request before it ("…, then do prod"). */
const REPEAT_GLUE = new Set([
  "do",
  "to",
  "on",
  "in",
  "the",
  "and",
  "then",
  "same",
  "for",
  "please",
  "also",
  "with",
  "too",
  "as",
  "well",
]);

/**
 * A clause led by a decision is that decision whatever follows ("approve the production deploy",
 * "cancel that"); its code is the one the user typed. Only the user's own words make decisions (llm-guard.ts).
 */
function decision(clause: Clause): Draft[] | null {
  const words = clause.words.filter((w) => !w.punct && !["please", "pls", "ok", "okay"].includes(w.lower));
  const lead = words[0]?.lower ?? "";
  const code = words.slice(1).find((w) => !w.env && /^(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{4,8}$/.test(w.raw))?.raw;
  if (/^(?:approve|approved|approving)$/.test(lead)) return [{ kind: "approve", fields: code ? { code } : {} }];
  if (/^(?:reject|rejected|deny|denied|decline|declined)$/.test(lead))
    return [{ kind: "reject", fields: code ? { code } : {} }];
  const cancel = /^(?:cancel|abort|nvm|nevermind|never mind|forget it|scratch that)\b/.test(clause.phrase);
  return cancel && !/\b(?:backfill|canary|rollout)\b/.test(clause.phrase) ? [{ kind: "cancel", fields: {} }] : null;
}

function readClause(clause: Clause): Draft[] | null {
  for (const recognizer of RECOGNIZERS) {
    const drafts = recognizer(clause);
    if (drafts && drafts.length > 0) return drafts;
  }
  return null;
}

/** "…, then prod", "… and the web to prod": a clause of names only, after a request, asks for it again. */
function repeatsRequest(clause: Clause): boolean {
  if (clause.question) return false;
  const content = clause.words.filter((w) => !w.punct && !REPEAT_GLUE.has(w.lower));
  return content.length > 0 && content.every((w) => w.env || w.service) && content.some((w) => w.env);
}

/** The previous request again, for the clause's environments (and services, when it names some). */
function repeatFor(previous: Draft, clause: Clause): Draft[] {
  const envs = [...new Set(clause.words.flatMap((w) => (w.env ? [w.env] : [])))];
  const services = clause.context.services.filter((s) => clause.words.some((w) => w.service === s));
  return envs.map((env) => {
    const again: Draft = { ...structuredClone(previous), env: { said: env, env } };
    if (services.length > 0) {
      again.services = services;
      delete again.unknownServices;
    }
    return again;
  });
}

/** A clause that asks for nothing we act on: "prod is on fire", "the canary looks bad", "thanks". */
function isCommentary(clause: Clause): boolean {
  return !/\b(?:deploy|ship|push|rollback|revert|migrate|backfill|restart|scale|delete|drop|create|set|rotate|promote|approve|reject)\b/.test(
    clause.phrase,
  );
}

function refused(phrase: string, words: readonly Word[]): RefusalReason | null {
  if (/\brm\s+-?r?f?r?\b|\bdelete from\b|\bdrop (?:table|database|schema)\b|\btruncate\b/.test(phrase))
    return "destructive";
  const passwordReset = /\bpassword reset\b|\breset (?:my |the |a |their )?password\b/.test(phrase);
  if (
    DESTRUCTIVE_VERB.test(phrase) &&
    (DATA_NOUN.test(phrase) || words.some((w) => w.env)) &&
    !COMPONENT_EDIT.test(phrase) &&
    !passwordReset
  )
    return "destructive";
  if (SECRET_VALUE.test(phrase) && !/\bsecrets\b|\bnames?\b|\brotate\b|__secret/.test(phrase)) return "secret-value";
  if (
    NEGATIONS.test(phrase) &&
    /\b(?:deploy|ship|push|rollback|roll|revert|migrat\w*|backfill|restart|scale|apply|approve|promote)\b/.test(phrase)
  )
    return "negated";
  const acts = /\b(?:deploy|ship|push|release|rollback|roll|revert|migrat\w*|backfill|restart|provision|set up)\b/.test(
    phrase,
  );
  if (acts && SCHEDULED.test(phrase) && !/\b(?:since|who|what|did|was|were|audit|runs|ran|failed)\b/.test(phrase))
    return "scheduled";
  return null;
}

const APPLY_WORDS = new Set([
  "apply",
  "yes",
  "yep",
  "yeah",
  "yup",
  "y",
  "go",
  "proceed",
  "confirm",
  "confirmed",
  "lgtm",
  "execute",
  "ship",
  "shipit",
  "do",
  "sure",
  "ok",
  "okay",
  "approved",
]);
const CANCEL_WORDS = new Set([
  "no",
  "nope",
  "nah",
  "n",
  "forget",
  "scratch",
  "cancel",
  "nvm",
  "nevermind",
  "abort",
  "stop",
]);
const GLUE = new Set([
  "it",
  "this",
  "that",
  "plan",
  "ahead",
  "for",
  "run",
  "right",
  "away",
  "and",
  "then",
  "please",
  "pls",
  "thanks",
  "never",
  "mind",
  "now",
  "looks",
  "good",
  "sounds",
  "the",
  "just",
]);

/**
 * Readings of the whole message: help, a decision about what is pending (the SMS grammar "YES 4821"
 * included), the expand → backfill chain, and monitoring rules — these never split into clauses.
 */
function wholeMessage(text: string, phrase: string): Draft[] | null {
  const words = phrase.split(" ").filter(Boolean);
  if (words.length === 0) return text.trim() === "?" ? [{ kind: "help", fields: {} }] : null;
  if (
    /^(?:help|commands|halp|menu|usage)\b|^(?:what|whats) (?:else )?(?:can|do|could) (?:you|u|i|we) (?:do|support|understand)\b|^what (?:commands|things) (?:do|can) you\b|\bhow (?:do|can|should|would) (?:i|we)\b|\bhow to\b/.test(
      phrase,
    ) ||
    /^(?:hi|hello|hey|yo|hiya|howdy)(?: there| bot)?$/.test(phrase)
  )
    return [{ kind: "help", fields: {} }];
  const code = words.slice(1).find((w) => /^(?=[a-z0-9]*\d)[a-z0-9]{4,8}$/.test(w));
  const rawCode = code ? (text.match(new RegExp(`\\b${code}\\b`, "i"))?.[0] ?? code) : undefined;
  const lead = words[0];
  if (words.length === 2 && rawCode && ["yes", "y"].includes(lead))
    return [{ kind: "approve", fields: { code: rawCode } }];
  if (words.length === 2 && rawCode && ["no", "n"].includes(lead))
    return [{ kind: "reject", fields: { code: rawCode } }];
  const only = (allowed: Set<string>) =>
    words.every((w) => allowed.has(w) || GLUE.has(w)) && words.some((w) => allowed.has(w));
  if (only(CANCEL_WORDS) && !words.includes("stop")) return [{ kind: "cancel", fields: {} }];
  if (only(APPLY_WORDS)) return [{ kind: "apply", fields: {} }];
  // Readings kept from the rule parser, which has the exact grammar for them.
  if (
    /\bcolumn\b.*\bbackfill\b.*\bthen\b/.test(phrase) ||
    /\bif\b.*\b(?:500s?|5xx|errors?)\b.*\bafter\b/.test(phrase)
  ) {
    const legacy = parseIntents(text);
    if (legacy[0]?.kind !== "unknown") return draftsFromIntents(legacy);
  }
  return null;
}
