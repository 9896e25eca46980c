/**
 * The rule parser's vocabulary: tokenizing, canonical keywords, environment aliases and typo tolerance.
 * Kept apart from parser.ts so the grammar there reads as rules over already-classified tokens.
 */

export interface Token {
  /** as typed (case kept: refs and approval codes are case-sensitive) */
  raw: string;
  lower: string;
  /** canonical keyword ("deplpy" → "deploy"), or `lower` when the word is not a keyword */
  word: string;
  /** canonical environment name when the token names one ("prod" → "production", "ip:stg" → "ip:staging") */
  env?: string;
}

/** Words that map to one canonical keyword. Confirmation words are deliberately not typo-tolerant. */
const KEYWORDS: Record<string, string> = {
  deploy: "deploy",
  deploys: "deploy",
  deployed: "deploy",
  deploying: "deploy",
  deployment: "deploy",
  redeploy: "deploy",
  push: "deploy",
  rollout: "deploy",
  ship: "ship",
  migrate: "migrate",
  migrations: "migrate",
  migration: "migrate",
  migrated: "migrate",
  "db:migrate": "migrate",
  rollback: "rollback",
  "roll-back": "rollback",
  rollbacks: "rollback",
  revert: "rollback",
  undo: "rollback",
  status: "status",
  health: "status",
  healthy: "status",
  check: "status",
  audit: "audit",
  history: "audit",
  help: "help",
  commands: "help",
  canary: "canary",
  apply: "apply",
  approve: "approve",
  approved: "approve",
  reject: "reject",
  rejected: "reject",
  deny: "reject",
  decline: "reject",
  cancel: "cancel",
  abort: "cancel",
  nevermind: "cancel",
};

/** Keywords and environment names long enough to be recognised with a typo. */
const FUZZY_TARGETS = [
  "deploy",
  "deployment",
  "redeploy",
  "migrate",
  "migration",
  "migrations",
  "rollback",
  "status",
  "audit",
  "history",
  "canary",
  "production",
  "staging",
  "development",
];

const ENV_ALIASES: Record<string, string> = {
  production: "production",
  prod: "production",
  prd: "production",
  staging: "staging",
  stage: "staging",
  stg: "staging",
  local: "local",
  locally: "local",
  localhost: "local",
  dev: "local",
  development: "local",
};

/** "<project>:<env>"; both parts start with a letter so times like 10:30 never look like environments. */
const PROJECT_ENV = /^([a-z][a-z0-9-]*):([a-z][a-z0-9-]*)$/;

/** Word pairs typed as two words that mean one keyword. */
const PAIRS: Record<string, string> = {
  "roll back": "rollback",
  "rolled back": "rollback",
  "roll out": "rollout",
  "never mind": "nevermind",
  "db migrate": "migrate",
};

/** Messages longer than this are not commands; refusing them also bounds the parser's work. */
export const MAX_COMMAND_LENGTH = 500;

/** Splits a message into classified tokens (apostrophes dropped so "what's" → "whats"). */
export function tokenize(text: string): Token[] {
  const cleaned = text.normalize("NFKC").replace(/['’`]/g, "").replace(/@/g, " @ ");
  const pieces = cleaned.match(/[\p{L}\p{N}@][\p{L}\p{N}._:/%+@-]*/gu) ?? [];
  const raws: string[] = [];
  for (const piece of pieces) {
    const raw = piece.replace(/[._:/-]+$/, "");
    if (!raw) continue;
    const pair = lookup(PAIRS, `${raws.at(-1)?.toLowerCase()} ${raw.toLowerCase()}`);
    if (pair) raws[raws.length - 1] = pair;
    else if (rollsEnvBack(raws, raw)) raws[raws.length - 2] = "rollback";
    else raws.push(raw);
  }
  return raws.map(classify);
}

/** "roll production back": the split phrasal verb around an environment is one rollback of it. */
function rollsEnvBack(raws: string[], raw: string): boolean {
  return (
    raw.toLowerCase() === "back" &&
    raws.at(-2)?.toLowerCase() === "roll" &&
    envName(raws.at(-1)!.toLowerCase()) !== undefined
  );
}

/** Own-property lookup: these tables are plain objects, and "constructor" must not find Object's. */
function lookup(table: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The canonical keyword a word spells exactly, if any. */
export function keywordOf(lower: string): string | undefined {
  return lookup(KEYWORDS, lower);
}

function classify(raw: string): Token {
  const lower = raw.toLowerCase();
  const token: Token = { raw, lower, word: keywordOf(lower) ?? lower };
  const env = envName(lower);
  if (env) token.env = env;
  else if (keywordOf(lower) === undefined) {
    const guess = fuzzyMatch(lower);
    const guessedEnv = guess === undefined ? undefined : lookup(ENV_ALIASES, guess);
    if (guessedEnv) token.env = guessedEnv;
    else if (guess) token.word = keywordOf(guess) ?? guess;
  }
  return token;
}

function envName(lower: string): string | undefined {
  const alias = lookup(ENV_ALIASES, lower);
  if (alias) return alias;
  const qualified = PROJECT_ENV.exec(lower);
  if (!qualified || keywordOf(qualified[2]) !== undefined) return undefined;
  const env = qualified[2];
  const fuzzy = fuzzyMatch(env);
  return `${qualified[1]}:${lookup(ENV_ALIASES, env) ?? (fuzzy && lookup(ENV_ALIASES, fuzzy)) ?? env}`;
}

/**
 * The one keyword within a small edit distance: ≤1 for targets of 5–7 letters, ≤2 from 8 letters.
 * The first letter must match: typos rarely hit it, and it keeps "callback" from meaning rollback.
 * Ties between different targets match nothing rather than guess.
 */
export function fuzzyMatch(word: string): string | undefined {
  if (word.length < 5 || word.length > 24 || !/^[a-z]+$/.test(word)) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  let tied = false;
  for (const target of FUZZY_TARGETS) {
    if (target[0] !== word[0]) continue;
    const limit = target.length >= 8 ? 2 : 1;
    const distance = editDistance(word, target, limit);
    if (distance > limit) continue;
    const same = best !== undefined && canonical(best) === canonical(target);
    if (distance < bestDistance) [best, bestDistance, tied] = [target, distance, false];
    else if (distance === bestDistance && !same) tied = true;
  }
  return tied ? undefined : best;
}

function canonical(target: string): string {
  return lookup(ENV_ALIASES, target) ?? keywordOf(target) ?? target;
}

/** Optimal-string-alignment distance (a swap of two neighbours counts once), capped at limit + 1. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      row.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > limit) return limit + 1;
    [prev2, prev] = [prev, row];
  }
  return prev[b.length];
}
