/**
 * The grammar's entry: message-level readings first (refusals, help, whole-message decisions, the
 * expand → backfill chain), then each clause through the recognizers in order, with a clause that names
 * only an environment ("…, then prod") taking the request before it, and "it" taking the environment
 * the message spoke about last.
 */
import * as asks from "./asks";
import { type Clause, splitClauses } from "./clause";
import * as commands from "./commands";
import type { LanguageContext } from "./context";
import * as desired from "./desired-state";
import { decision, wholeMessage } from "./decisions";
import { type Draft, REQUIRES_ENV } from "./draft";
import { type RefusalReason, refusalOf } from "./refusals";
import { readWords, type Word } from "./text";

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

/** Reads a (secret-free) message into drafts, a refusal, or the words it did not understand. */
export function recognize(text: string, context: LanguageContext): Recognition {
  const words = readWords(text, context);
  const phrase = words
    .filter((w) => !w.punct)
    .map((w) => w.lower)
    .join(" ");
  const refusal = refusalOf(phrase, words);
  if (refusal) return { kind: "refusal", reason: refusal };
  const whole = wholeMessage(text, phrase, words);
  if (whole) return { kind: "drafts", drafts: whole };
  const clauses = splitClauses(words, context);
  const drafts: Draft[] = [];
  // The environment the message spoke about last: what "it" means ("prod is on fire, roll it back").
  // …and what a request right after a remark about an environment is about ("prod is broken, revert to v41").
  let topic: string | undefined;
  let remarked = false;
  for (const clause of clauses) {
    const previous = drafts.at(-1);
    const found =
      previous && repeatsRequest(clause) ? repeatFor(previous, clause) : readClause(clause, clause === clauses[0]);
    if (found) {
      for (const d of found)
        if (!d.env && topic && REQUIRES_ENV.has(d.kind) && (remarked || REFERS_BACK.test(clause.phrase)))
          d.env = { said: topic };
      drafts.push(...found);
      topic = found.at(-1)?.env?.said ?? topic;
      remarked = false;
    } else if (isCommentary(clause)) {
      const env = clause.words.find((w) => w.env)?.env;
      [topic, remarked] = [env ?? topic, env !== undefined];
    } else return { kind: "not-understood", words };
  }
  return drafts.length > 0
    ? { kind: "drafts", drafts: migrationsBeforeDeploy(drafts) }
    : { kind: "not-understood", words };
}

/** "migrate then deploy production": the migrations are the deploy's own, run first (one plan, not two). */
function migrationsBeforeDeploy(drafts: Draft[]): Draft[] {
  return drafts.flatMap((d, i) => {
    const next = drafts[i + 1];
    if (d.kind === "migrate" && !d.env && next?.kind === "deploy" && next.env) {
      const params = (next.fields.params ?? {}) as Record<string, unknown>;
      next.fields.params = { ...params, migrateFirst: params.migrateFirst ?? true };
      return [];
    }
    return [d];
  });
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
 * A clause's request. Only the message's first clause may be a decision: "…approved by alice, approve
 * 482193" is a pasted log line, and decisions come only from the user's own sentence (llm-guard.ts).
 */
function readClause(clause: Clause, first: boolean): Draft[] | null {
  for (const recognizer of RECOGNIZERS) {
    if (recognizer === decision && !first) continue;
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
