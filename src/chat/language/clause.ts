/**
 * Clauses: where one request ends and the next starts ("rollback staging and show me the incidents",
 * "deploy staging, then prod"), and the helpers the grammar uses on one clause.
 */
import type { LanguageContext } from "./context";
import { type Draft, REQUIRES_ENV } from "./draft";
import { envMentions } from "./slots";
import { phraseOf, type Word } from "./text";

export interface Clause {
  words: Word[];
  /** lower-case words joined by spaces, punctuation left out */
  phrase: string;
  /** led by a question word, or ended by "?" */
  question: boolean;
  /** led by a question word ("which release is prod on?"): never a command, however it goes on */
  asks: boolean;
  context: LanguageContext;
}

/** Words that start a new request after "and", "then" or a comma. */
const CLAUSE_VERBS = new Set([
  "deploy",
  "redeploy",
  "ship",
  "shipit",
  "push",
  "release",
  "rollout",
  "roll",
  "rollback",
  "revert",
  "undo",
  "restore",
  "migrate",
  "run",
  "backfill",
  "show",
  "list",
  "check",
  "status",
  "restart",
  "reboot",
  "bounce",
  "scale",
  "rotate",
  "set",
  "create",
  "clone",
  "provision",
  "bootstrap",
  "text",
  "notify",
  "page",
  "alert",
  "stop",
  "pause",
  "halt",
  "resume",
  "continue",
  "promote",
  "add",
  "remove",
  "resize",
  "open",
  "approve",
  "reject",
  "verify",
  "compare",
  "diff",
  "give",
  "tell",
  "put",
  "take",
  "unsubscribe",
  "subscribe",
]);
const CONNECTORS = new Set(["and", "then", "also", "plus", "&", "after", "afterwards", "next"]);
const QUESTION_LEADS = new Set([
  "what",
  "whats",
  "how",
  "hows",
  "is",
  "are",
  "did",
  "does",
  "do",
  "was",
  "were",
  "why",
  "who",
  "whos",
  "which",
  "where",
  "when",
  "any",
  "anything",
  "has",
  "have",
]);
const LEAD_FILLER = new Set(["hey", "so", "ok", "okay", "um", "hmm", "yo", "bot", "quick", "question"]);

/** Cuts a message's words into clauses. */
export function splitClauses(words: readonly Word[], context: LanguageContext): Clause[] {
  const clauses: Word[][] = [];
  let current: Word[] = [];
  const close = () => {
    if (current.some((w) => !w.punct)) clauses.push(current);
    current = [];
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w.punct === ";" || w.punct === "." || w.punct === "?") {
      if (w.punct === "?") current.push(w);
      close();
      continue;
    }
    if ((w.punct === "," || CONNECTORS.has(w.lower)) && startsNewClause(words, i, current)) {
      close();
      while (i + 1 < words.length && (CONNECTORS.has(words[i + 1].lower) || words[i + 1].punct === ",")) i++;
      continue;
    }
    current.push(w);
  }
  close();
  return clauses.map((ws) => clauseOf(ws, context));
}

export function clauseOf(words: Word[], context: LanguageContext): Clause {
  const content = words.filter((w) => !w.punct && !LEAD_FILLER.has(w.lower));
  const asks = QUESTION_LEADS.has(content[0]?.lower ?? "");
  const question = asks || words.some((w) => w.punct === "?");
  return { words: words.filter((w) => w.punct !== "?"), phrase: phraseOf(words), question, asks, context };
}

function startsNewClause(words: readonly Word[], i: number, current: readonly Word[]): boolean {
  let j = i;
  while (j < words.length && (CONNECTORS.has(words[j].lower) || words[j].punct === ",")) j++;
  const rest = words.slice(j, nextStop(words, j));
  if (rest.length === 0) return false;
  const connectors = words.slice(i, j).map((w) => w.lower);
  const first = rest.find((w) => !["please", "pls", "can", "you", "also", "just", "now"].includes(w.lower));
  const restPhrase = phraseOf(rest);
  const hasEnv = rest.some((w) => w.env);
  // "…, run migrations first" and "…, no migrations" modify the deploy before them.
  if (/^(?:run |apply )?(?:the )?(?:db )?migrat\w*(?: first| before)?$/.test(restPhrase) && !hasEnv) return false;
  if (first && CLAUSE_VERBS.has(first.lower)) return true;
  const currentHasEnv = current.some((w) => w.env);
  // "deploy staging, then prod": the same request again for another environment.
  const lead = rest.find((w) => !["do", "on", "to", "in", "for", "the", "same", "with"].includes(w.lower));
  if (connectors.includes("then") && (lead?.env || lead?.service)) return true;
  // "deploy the api to staging and the web to prod": a second object with its own environment.
  return currentHasEnv && hasEnv && rest.some((w) => w.service);
}

function nextStop(words: readonly Word[], from: number): number {
  const stop = words.findIndex((w, k) => k >= from && (w.punct === ";" || w.punct === "." || w.punct === "?"));
  return stop < 0 ? words.length : stop;
}

/** One draft per environment the clause names (or one with the unknown / ambiguous / missing slot). */
export function perEnv(kind: Draft["kind"], clause: Clause, fields: Record<string, unknown>, verbAt = -1): Draft[] {
  const m = envMentions(clause.words, verbAt);
  if (m.known.length > 0) return m.known.map((env) => ({ kind, fields: { ...fields }, env: { said: env, env } }));
  if (m.ambiguous) return [{ kind, fields, env: { ambiguous: true } }];
  // An unknown name matters only where an environment is required; elsewhere it is just a word.
  if (m.unknown.length > 0 && REQUIRES_ENV.has(kind)) return [{ kind, fields, env: { said: m.unknown[0] } }];
  return [{ kind, fields }];
}

/** The index of the first word matching, or -1. */
export function indexOf(clause: Clause, test: RegExp): number {
  return clause.words.findIndex((w) => test.test(w.lower));
}
