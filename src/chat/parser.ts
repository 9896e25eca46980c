/**
 * The deterministic rule parser, the default interpreter: chat text → Intent. Pure, never throws.
 * Rules in the order `interpret` tries them (the first that matches wins): help phrases; master-key
 * rotation; the auto-apply
 * policy switch; desired-state and backfill requests (create an environment, last change, compare,
 * components, backfill and its progress); monitoring (incidents, acks, remediation, drift) unless the
 * message controls a named run; other questions (→ status/audit); "what happened" (→ audit); negations
 * (refused); run controls (stop/resume/promote the canary or backfill); approve/reject/cancel-led
 * messages; commands (deploy, migrate, rollback, status, audit); bare confirmations (apply, "yes 4821",
 * "no"); help; a bare environment name (→ status); otherwise unknown.
 */
import { Intent } from "../domain/intent";
import type { DeployParams } from "../domain/run";
import { MAX_COMMAND_LENGTH, tokenize, type Token } from "./lexicon";
import { monitoringIntent } from "./incidents";
import { POLITE, auditSince, canarySteps, deployRef, migrateFirst, namedEnvs, rollbackRelease } from "./slots";

const COMMAND_VERBS = new Set(["deploy", "ship", "migrate", "rollback", "status", "audit"]);
const QUESTION_WORDS = new Set([
  "did",
  "does",
  "has",
  "have",
  "was",
  "were",
  "is",
  "are",
  "when",
  "why",
  "who",
  "where",
  "which",
  "should",
  "what",
  "whats",
  "how",
  "hows",
]);
/** A command verb after one of these is a noun: "rollback the deploy on production" is one rollback. */
const DETERMINERS = new Set(["the", "a", "an", "this", "that", "last", "latest", "my", "our", "its", "previous"]);
/** "at 5pm", "tonight": scheduling isn't supported, and running now instead would surprise. */
const SCHEDULED = /^(?:\d{1,2}(?::\d{2})?(?:am|pm)|\d{1,2}:\d{2}|tomorrow|tonight|midnight|noon|later)$/;
const NEGATIONS = new Set(["dont", "not", "never", "doesnt", "didnt", "shouldnt", "wont", "cant", "cannot"]);
/** Led by one of these, a message is that decision whatever follows ("approve the production deploy"). */
const DECISIONS = new Set(["approve", "reject", "cancel"]);
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
  "do",
  "sure",
]);
const CANCEL_WORDS = new Set(["no", "nope", "nah", "n", "forget", "scratch", "drop"]);
/** Words that may accompany a bare confirmation without changing it ("yes, ship it now"). */
const CONFIRMATION_GLUE = new Set([
  "it",
  "this",
  "that",
  "plan",
  "ahead",
  "for",
  "run",
  "deploy",
  "rollback",
  "migrate",
  "right",
  "away",
  "and",
  "then",
]);
const STATUS_GLUE = new Set([
  "show",
  "about",
  "what",
  "whats",
  "how",
  "hows",
  "is",
  "on",
  "in",
  "of",
  "for",
  "with",
  "env",
  "environment",
  "doing",
  "going",
  "up",
  "ok",
  "running",
]);
const HELP_PHRASES = [
  /^(?:what|whats) (?:else )?(?:can|do|could) (?:you|u|i|we) (?:do|support|understand)\b/,
  /\bhow (?:do|can|should|would) (?:i|we)\b/,
  /\bhow to\b/,
];

/** Interprets one chat message; the first intent when it names several environments. */
export function parseIntent(text: string): Intent {
  return parseIntents(text)[0];
}

/** Interprets one chat message into one intent per environment named, in the order named. */
export function parseIntents(text: string): Intent[] {
  const unknown: Intent = { kind: "unknown", text: typeof text === "string" ? text : "" };
  try {
    if (typeof text !== "string" || text.length > MAX_COMMAND_LENGTH) return [unknown];
    const found = interpret(text);
    const checked = found.map((candidate) => Intent.safeParse(candidate));
    const valid = checked.flatMap((result) => (result.success && result.data.kind !== "unknown" ? [result.data] : []));
    // One invalid slot fails the whole message: acting on part of what was asked would surprise.
    return valid.length > 0 && valid.length === checked.length ? valid : [unknown];
  } catch {
    return [unknown];
  }
}

/** "rotate the master key", "re-encrypt all secrets": a rotate-master-key run in every environment. */
const MASTER_KEY_ROTATION =
  /^(?:please )?(?:(?:rotate|roll) (?:the )?(?:secrets? )?master key|re-?(?:encrypt|seal) (?:all (?:the )?)?secrets(?: with the (?:new|current) (?:master )?key)?)$/;

/** Placeholder for "not understood"; parseIntents swaps in the caller's original text. */
const NOT_UNDERSTOOD: Intent[] = [{ kind: "unknown", text: "" }];

function interpret(text: string): Intent[] {
  const tokens = tokenize(text);
  const content = tokens.filter((t) => !POLITE.has(t.word));
  if (tokens.length === 0) return text.trim() === "?" ? [{ kind: "help" }] : NOT_UNDERSTOOD;
  const phrase = tokens.map((t) => t.lower).join(" ");
  if (HELP_PHRASES.some((re) => re.test(phrase))) return [{ kind: "help" }];
  if (MASTER_KEY_ROTATION.test(phrase)) return [{ kind: "rotate-master-key" }];
  const policy = applyPolicy(text);
  if (policy) return policy;
  // Desired-state edits first: "drop postgres from staging" is a component removal, not a remediation.
  const desiredState = desiredStateQuestion(tokens, phrase);
  if (desiredState) return desiredState;
  // A control that names its run ("pause the backfill", "halt the canary") is not a remediation either.
  const monitoring = controlsNamedRun(phrase) ? null : monitoringIntent(tokens, phrase);
  if (monitoring) return monitoring;
  if (content.length > 0 && QUESTION_WORDS.has(content[0].word))
    return question(tokens, content[0].word) ?? NOT_UNDERSTOOD;
  // "show me what happened on staging today" asks for the audit however it starts.
  if (/\bwhat (?:has |have )?(?:happened|changed)\b/.test(phrase)) return audit(tokens);
  if (negatedBeforeAction(tokens)) return NOT_UNDERSTOOD;
  const control = runControl(tokens, phrase);
  if (control) return control;
  const rules = [
    () => decision(content),
    () => command(tokens),
    () => confirmation(content),
    () => help(tokens, content),
    () => bareEnvironment(tokens, content),
  ];
  for (const rule of rules) {
    const intents = rule();
    if (intents) return intents;
  }
  return NOT_UNDERSTOOD;
}

/** "how is staging?", "did the deploy to prod finish?" → status; "who deployed prod since monday?" → audit. */
function question(tokens: Token[], first: string): Intent[] | null {
  const changes = tokens.some((t) => ["changed", "happened", "changes"].includes(t.word));
  if (tokens.some((t) => t.word === "audit") || first === "who" || (["what", "whats"].includes(first) && changes))
    return audit(tokens);
  // A question is never a command: "did the deploy to staging work?" must not start a deploy.
  const envs = namedEnvs(tokens, new Set(), false);
  return envs.length > 0 ? envs.map((env) => ({ kind: "status", env })) : null;
}

/** "don't deploy prod", "not now": a negated command is refused rather than half-understood. */
function negatedBeforeAction(tokens: Token[]): boolean {
  // "do" is left out: in "do not deploy" the action is "deploy", which the negation precedes.
  const action = tokens.findIndex(
    (t) => COMMAND_VERBS.has(t.word) || DECISIONS.has(t.word) || (APPLY_WORDS.has(t.word) && t.word !== "do"),
  );
  const negation = tokens.findIndex((t) => NEGATIONS.has(t.word));
  return negation >= 0 && (action < 0 || negation < action);
}

function decision(content: Token[]): Intent[] | null {
  const first = content[0];
  if (!first || !DECISIONS.has(first.word)) return null;
  if (first.word === "cancel") return [{ kind: "cancel" }];
  const code = approvalCode(content.slice(1));
  const kind = first.word === "approve" ? "approve" : "reject";
  return [code ? { kind, code } : { kind }];
}

/** Approval codes are 4–8 letters or digits with at least one digit, so "approve this" has no code. */
function approvalCode(tokens: Token[]): string | undefined {
  return tokens.find((t) => !t.env && /^[A-Za-z0-9]{4,8}$/.test(t.raw) && /\d/.test(t.raw))?.raw;
}

function command(tokens: Token[]): Intent[] | null {
  const all = tokens.flatMap((t, i) => (COMMAND_VERBS.has(t.word) ? [i] : []));
  const verbs = all.filter((i) => !isNoun(tokens, i));
  if (all.length === 0) return null;
  const kinds = new Set(verbs.map((i) => (tokens[i].word === "ship" ? "deploy" : tokens[i].word)));
  // Alongside a deploy, "migrate" is the deploy's migrateFirst option, not a command of its own.
  if (kinds.has("deploy")) kinds.delete("migrate");
  // "deploy status of staging" asks about a deploy; it must not start one.
  if (kinds.has("status")) {
    const status = buildCommand("status", tokens, all.find((i) => tokens[i].word === "status") ?? 0);
    if (status) return status;
    kinds.delete("status");
  }
  // Two different commands in one message ("rollback prod and deploy staging") are refused, not half done.
  if (kinds.size > 1) return NOT_UNDERSTOOD;
  if (kinds.has("deploy") || kinds.has("migrate") || kinds.has("rollback")) {
    if (tokens.some((t) => SCHEDULED.test(t.lower))) return NOT_UNDERSTOOD;
  }
  for (const verb of verbs.length > 0 ? verbs : all) {
    const word = tokens[verb].word;
    if (word === "status" || (word === "migrate" && kinds.has("deploy"))) continue;
    const intents = buildCommand(word, tokens, verb);
    if (intents) return intents;
  }
  return null;
}

function isNoun(tokens: Token[], i: number): boolean {
  if (!["deploy", "ship", "rollback"].includes(tokens[i].word)) return false;
  const prev = tokens[i - 1];
  if (!prev) return false;
  return DETERMINERS.has(prev.word) || (prev.env !== undefined && i >= 2 && DETERMINERS.has(tokens[i - 2].word));
}

function buildCommand(word: string, tokens: Token[], verb: number): Intent[] | null {
  const used = new Set<number>([verb]);
  if (word === "audit") return audit(tokens);
  if (word === "deploy" || word === "ship") {
    const canary = canarySteps(tokens, used);
    const envs = namedEnvs(tokens, used, true);
    if (envs.length === 0) return null;
    // Canary steps that were asked for but can't be honoured must not silently become policy defaults.
    if (canary === "invalid") return NOT_UNDERSTOOD;
    const params: DeployParams = {};
    const ref = deployRef(tokens, verb, used);
    const migrate = migrateFirst(tokens, verb);
    if (ref) params.ref = ref;
    if (canary) params.canary = canary;
    if (migrate !== undefined) params.migrateFirst = migrate;
    return envs.map((env) => ({ kind: "deploy", env, params }));
  }
  const envs = namedEnvs(tokens, used, true, verb);
  if (envs.length === 0) return null;
  if (word === "migrate") return envs.map((env) => ({ kind: "migrate", env }));
  if (word === "status") return envs.map((env) => ({ kind: "status", env }));
  const toRelease = rollbackRelease(tokens, used);
  return envs.map((env) => (toRelease ? { kind: "rollback", env, toRelease } : { kind: "rollback", env }));
}

function audit(tokens: Token[]): Intent[] {
  const used = new Set<number>();
  const since = auditSince(tokens, used);
  const envs = namedEnvs(tokens, used, true);
  const base = since ? { kind: "audit" as const, since } : { kind: "audit" as const };
  return envs.length > 0 ? envs.map((env) => ({ ...base, env })) : [base];
}

/** Whole-message confirmations: "yes", "ship it", "yes 4821" (SMS grammar), "no 4821", "no", "forget it". */
function confirmation(content: Token[]): Intent[] | null {
  const words = content.map((t) => t.word);
  const code = approvalCode(content.slice(1));
  if (content.length === 2 && code) {
    if (words[0] === "yes") return [{ kind: "approve", code }];
    if (words[0] === "no") return [{ kind: "reject", code }];
  }
  const only = (allowed: Set<string>) =>
    words.every((w) => allowed.has(w) || CONFIRMATION_GLUE.has(w)) && words.some((w) => allowed.has(w));
  if (only(APPLY_WORDS)) return [{ kind: "apply" }];
  if (only(CANCEL_WORDS)) return [{ kind: "cancel" }];
  return null;
}

function help(tokens: Token[], content: Token[]): Intent[] | null {
  const greeting = content.length === 0 && tokens.some((t) => ["hi", "hello", "hey"].includes(t.word));
  return greeting || content.some((t) => t.word === "help") ? [{ kind: "help" }] : null;
}

/** A message that is just an environment ("staging?", "what about prod") asks for its status. */
function bareEnvironment(tokens: Token[], content: Token[]): Intent[] | null {
  if (content.length === 0 || !content.every((t) => t.env || STATUS_GLUE.has(t.word))) return null;
  const envs = namedEnvs(tokens, new Set(), false);
  return envs.length > 0 ? envs.map((env) => ({ kind: "status", env })) : null;
}

/** A run control ("promote now", "halt the canary", "resume the backfill") or an alert subscription. */
const CONTROL_LEADS: [RegExp, "promote" | "stop" | "resume"][] = [
  [/^(?:promote|skip the soak|skip soak)\b/, "promote"],
  [/^(?:halt|pause|stop|freeze)\b/, "stop"],
  [/^(?:resume|unpause|continue|unfreeze)\b/, "resume"],
];

function controlsNamedRun(phrase: string): boolean {
  return CONTROL_LEADS.some(([lead]) => lead.test(phrase)) && /\b(?:backfill|canary|run|rollout)\b/.test(phrase);
}

function runControl(tokens: Token[], phrase: string): Intent[] | null {
  const env = namedEnvs(tokens, new Set<number>(), false)[0];
  if (/\b(?:text|sms|page|notify|alert|ping) me\b/.test(phrase))
    return [env ? { kind: "subscribe", env } : { kind: "subscribe" }];
  for (const [lead, kind] of CONTROL_LEADS) if (lead.test(phrase)) return [env ? { kind, env } : { kind }];
  return null;
}

/** Questions about desired state: the last change to an environment, or how two environments differ. */
function desiredStateQuestion(tokens: Token[], phrase: string): Intent[] | null {
  const create =
    /^(?:please )?(?:create|make|clone|set up|spin up) (?:an? )?(?:new )?(?:env(?:ironment)? )?([a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)?) (?:env(?:ironment)? )?(?:from|based on|like|as a copy of) ([a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)?)\b/.exec(
      phrase,
    );
  if (create) {
    const canonical = (name: string) => tokenize(name)[0]?.env ?? name;
    return [{ kind: "create-env", env: canonical(create[1]), from: canonical(create[2]) }];
  }
  const envs = namedEnvs(tokens, new Set<number>(), false);
  if (/\bhow(?:s| is| are)?\b.*\bbackfill/.test(phrase) || /^backfill (?:status|progress)\b/.test(phrase))
    return [envs[0] ? { kind: "progress", env: envs[0] } : { kind: "progress" }];
  const chain = expandBackfillChain(tokens, phrase);
  if (chain) return chain;
  const backfill = /^(?:please )?(?:run (?:a |the )?)?backfill (?:of |the )?([a-z][a-z0-9_]*)\b/.exec(phrase);
  if (backfill && envs.length > 0) {
    const rate = /\bat (\d{1,7}) ?(?:users|rows|records)?\s*(?:\/|per |a )\s*min/.exec(phrase);
    const dryRun = /\bdry[ -]?run\b/.test(phrase);
    const job = `backfill${backfill[1][0].toUpperCase()}${backfill[1].slice(1)}`;
    return envs.map((env) => ({
      kind: "backfill",
      env,
      job,
      ...(rate ? { ratePerMinute: Number(rate[1]) } : {}),
      ...(dryRun ? { dryRun } : {}),
    }));
  }
  const setup =
    /^(?:please )?(?:set ?up|provision) (?:the )?([a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)?)(?: env(?:ironment)?)?(?: (?:from|like) ([a-z][a-z0-9-]*))?$/.exec(
      phrase,
    );
  if (setup && !/^(?:local|dev|development)$/.test(setup[1])) {
    const canonical = (name: string) => tokenize(name)[0]?.env ?? name;
    return [{ kind: "setup", env: canonical(setup[1]), ...(setup[2] ? { from: canonical(setup[2]) } : {}) }];
  }
  const component =
    /^(?:please )?(add|remove|drop|delete) (?:a |the )?(redis|postgres|postgresql|storage|s3|minio)\b/.exec(phrase);
  if (component && envs.length > 0) {
    const action = component[1] === "add" ? "add" : "remove";
    return envs.map((env) => ({ kind: "component", action, component: componentKind(component[2]), env }));
  }
  const resize = resizeComponent(phrase);
  if (resize && envs.length > 0) return envs.map((env) => ({ kind: "component", action: "resize", ...resize, env }));
  if (
    /^(?:please )?(?:bootstrap|set up|setup) (?:the )?(?:local|dev|development)(?: env(?:ironment)?| stack)?(?: please| now| thanks)*$/.test(
      phrase,
    )
  )
    return [{ kind: "bootstrap", env: envs[0] ?? "local" }];
  if (/\b(?:differ|differs|difference|differences|diff)\b/.test(phrase) && envs.length === 2)
    return [{ kind: "compare", env: envs[0], other: envs[1] }];
  if (/\b(?:last|latest|recent|previous) (?:change|changes|revision)\b/.test(phrase) && envs.length === 1)
    return [{ kind: "last-change", env: envs[0] }];
  return null;
}

/** "resize Postgres on production to medium", "make staging's redis large", "scale postgres in staging to large". */
function resizeComponent(
  phrase: string,
): { component: "redis" | "postgres" | "storage"; size: "small" | "medium" | "large" } | null {
  const match =
    /^(?:please )?(?:resize|scale|make|set|change|grow|shrink) (?:(?:the )?[a-z][a-z0-9:-]* )?(?:a |the )?(redis|postgres|postgresql|storage|s3|minio)\b.*?\b(small|medium|large)(?: please| now| thanks)*$/.exec(
      phrase,
    );
  return match ? { component: componentKind(match[1]), size: match[2] as "small" | "medium" | "large" } : null;
}

/** The component a word names: "postgresql" is postgres, "s3" and "minio" are storage. */
function componentKind(word: string): "redis" | "postgres" | "storage" {
  return word === "postgresql"
    ? "postgres"
    : word === "s3" || word === "minio"
      ? "storage"
      : (word as "redis" | "postgres" | "storage");
}

/**
 * "Add timezone column and backfill timezone from address in staging; then do production at 500 users/min":
 * expand migration → backfill in the first environment, then the same backfill in the next one, each step
 * starting only after the one before it succeeded (a chain of plans). The environments are read on each side
 * of "then" (namedEnvs would keep only "in staging": "production" after "then do" has no preposition);
 * each side names exactly one, and they differ, or it is no chain (and no half of one).
 */
function expandBackfillChain(tokens: Token[], phrase: string): Intent[] | null {
  const m =
    /^(?:please )?add (?:an? |the )?(?:new )?([a-z][a-z0-9_]*) column and backfill (?:the |its )?([a-z][a-z0-9_]*)\b.*\bthen\b/.exec(
      phrase,
    );
  // "add timezone column and backfill it": the backfilled column is the one added, or it is another request.
  const column = m?.[2] === "it" ? m[1] : m?.[2];
  if (!m || column !== m[1]) return null;
  const split = tokens.findIndex((t) => t.word === "then");
  const envsIn = (part: Token[]) => [...new Set(part.flatMap((t) => (t.env ? [t.env] : [])))];
  const [first, next] = [envsIn(tokens.slice(0, split)), envsIn(tokens.slice(split + 1))];
  if (first.length !== 1 || next.length !== 1 || first[0] === next[0]) return null;
  const job = `backfill${column[0].toUpperCase()}${column.slice(1)}`;
  const rateOf = (part: Token[]) =>
    /\bat (\d{1,7}) ?(?:users|rows|records)?\s*(?:\/|per |a )\s*min/.exec(part.map((t) => t.lower).join(" "))?.[1];
  const firstRate = rateOf(tokens.slice(0, split));
  const nextRate = rateOf(tokens.slice(split + 1));
  return [
    { kind: "migrate", env: first[0], expandOnly: true },
    { kind: "backfill", env: first[0], job, chained: true, ...(firstRate ? { ratePerMinute: Number(firstRate) } : {}) },
    { kind: "backfill", env: next[0], job, chained: true, ...(nextRate ? { ratePerMinute: Number(nextRate) } : {}) },
  ];
}

/** "turn off auto-apply on staging" / "enable auto-apply for qa": the one policy switch chat can flip. */
function applyPolicy(text: string): Intent[] | null {
  const m =
    /^\s*(?:please\s+)?(turn\s+(on|off)|switch\s+(on|off)|enable|disable)\s+auto[- ]?apply\s+(?:on|for|in)\s+([a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)?)\s*[.!]?\s*$/i.exec(
      text,
    );
  if (!m) return null;
  const on = (m[2] ?? m[3] ?? (m[1].toLowerCase() === "enable" ? "on" : "off")).toLowerCase() === "on";
  const env = m[4].toLowerCase() === "prod" ? "production" : m[4].toLowerCase();
  return [{ kind: "policy", env, autoApply: on }];
}
