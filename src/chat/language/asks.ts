/**
 * Grammar of requests that read and plan nothing: status, run history, incidents and failures, the
 * audit log and its verification, backfill progress, secret names, desired-state questions. Each
 * recognizer returns drafts or null ("not mine"); recognize.ts tries them in order.
 */
import { MAX_RUNS_LISTED } from "../../domain/intent";
import { type Clause, perEnv } from "./clause";
import { type Draft, draft } from "./draft";
import { envMentions, listedCount, sinceMention } from "./slots";

type Recognizer = (clause: Clause) => Draft[] | null;

const RUN_TYPES: [RegExp, string][] = [
  [/\b(?:deploys?|deployments?|releases?|ships?)\b/, "deploy"],
  [/\b(?:rollbacks?|roll ?backs?)\b/, "rollback"],
  [/\bbackfills?\b/, "backfill"],
  [/\bmigrations?\b/, "migrate"],
  [/\bsetups?\b/, "setup"],
];

export const auditVerify: Recognizer = (c) => {
  const about = /\b(?:audit|log|trail|chain|hash chain|history)\b/.test(c.phrase);
  const verify = /\b(?:verify|verified|intact|integrity|tamper\w*|untampered|valid|consistent|broken chain)\b/;
  if (!(about && verify.test(c.phrase)) && !/\bhash chain\b/.test(c.phrase)) return null;
  return perEnv("audit-verify", c, {});
};

export const explainFailure: Recognizer = (c) => {
  const why = /\bwhy\b.*\b(?:fail\w*|broke|break|broken|roll(?:ed)? ?back|rollback|error\w*|crash\w*|go wrong)\b/;
  const what =
    /\bwhat (?:went|is going|happened|was) wrong\b|\bwhat (?:broke|failed)\b|\bwhat happened to the (?:last )?\w+\b/;
  if (!why.test(c.phrase) && !what.test(c.phrase)) return null;
  const type = RUN_TYPES.find(([re]) => re.test(c.phrase.replace(/\broll(?:ed)? ?back\??$/, "")))?.[1];
  return perEnv("explain-failure", c, type ? { type } : {});
};

export const progress: Recognizer = (c) => {
  if (!/\bbackfill/.test(c.phrase)) return null;
  const asks =
    /\b(?:how|hows|going|progress|status|far|along|eta|done|doing|left|remaining)\b/.test(c.phrase) &&
    // "backfill timezone in staging" starts one; "the backfill going in staging?" asks about it.
    !/\bbackfill (?!going|doing|progress|status)\w+ (?:on|in|at)\b/.test(c.phrase);
  return asks ? perEnv("progress", c, {}) : null;
};

/** Ways of asking for a list of runs: "list recent runs", "what's waiting on approval?", "any deploys running?". */
const RUN_LISTINGS: RegExp[] = [
  /\bruns\b|\b(?:deploy|release|run|rollback|backfill) history\b|\bwhat ran\b/,
  /\b(?:pending|waiting|awaiting|needs?|need) (?:on |for )?(?:an? )?approv\w*|\bapprovals?\b.*\b(?:pending|waiting|queue)\b|^(?:pending|open) approvals?$/,
  /\b(?:is|are) (?:there )?(?:a |any |the )?(?:deploys?|runs?|anything|something|rollbacks?|backfills?|migrations?) (?:running|in progress|going on|happening|queued)\b/,
  /\bany(?:thing)? (?:running|in progress|queued|going on)\b|\bwhats queued\b|\bany (?:deploys|runs|rollbacks) (?:running|queued)\b/,
  /\b(?:anything|something|anyone|anybody|someone|somebody|who is|whos) (?:deploying|rolling back|migrating|backfilling|running)\b/,
  /^(?:whats|what is) (?:running|pending|in flight|in progress)$|^(?:anything )?pending$/,
  /\b(?:show|list|any|recent|latest)\b.*\b(?:failures|failed runs)\b/,
];
const PLURAL_RUNS = /\b(?:deploys|deployments|rollbacks|backfills|releases)\b/;
const LISTING_WORDS =
  /\b(?:list|show|recent|last|latest|history|any|which|running|failed|queued|pending|today|yesterday|since|\d+)\b/;
/** "last deploy to prod", "what was the latest rollback": the one most recent run of a kind. */
const LAST_RUN =
  /^(?:show |list |what was |whats |when was )?(?:me )?(?:the )?(?:last|latest|previous|most recent) (?:deploy|deployment|release|rollback|backfill|migration|run)(?: (?:to|on|in|of|for) \S+)?$/;
const RUN_STATES: [RegExp, string][] = [
  [/approv|\bpending\b/, "awaiting-approval"],
  [/\b(?:running|in progress|in flight|going on|happening|deploying|rolling back|migrating|backfilling)\b/, "running"],
  [/\bqueued\b/, "queued"],
  [/\b(?:failed|failing|failures|broke|broken|errored)\b/, "failed"],
  [/\b(?:succeeded|successful|passed|green)\b/, "succeeded"],
];

export const runs: Recognizer = (c) => {
  const p = c.phrase;
  const last = LAST_RUN.test(p);
  const listing = last || RUN_LISTINGS.some((re) => re.test(p)) || (PLURAL_RUNS.test(p) && LISTING_WORDS.test(p));
  if (!listing) return null;
  const fields: Record<string, unknown> = {};
  const state = RUN_STATES.find(([re]) => re.test(p))?.[1];
  if (state) fields.state = state;
  const type = RUN_TYPES.find(([re]) => re.test(p))?.[1] ?? (/\bdeploying\b/.test(p) ? "deploy" : undefined);
  if (type) fields.type = type;
  const since = sinceMention(c.words);
  if (since) fields.since = since;
  const limit = listedCount(p) ?? (last ? 1 : undefined);
  if (limit !== undefined) fields.limit = limit;
  const drafts = perEnv("runs", c, fields);
  if (limit !== undefined && (limit < 1 || limit > MAX_RUNS_LISTED))
    for (const d of drafts)
      d.outOfRange = `I can list 1 to ${MAX_RUNS_LISTED} runs at a time; ${limit} is out of range.`;
  return drafts;
};

export const incidents: Recognizer = (c) => {
  const p = c.phrase;
  const id = /\binc_[a-z0-9]+\b/.exec(p);
  if (id) return [draft("incident", { id: id[0] })];
  const ack = /^(?:please )?(?:ack|acknowledge|acked)\b/.test(p);
  if (ack) {
    const code = /\b(\d{4,8})\b/.exec(p)?.[1];
    return [draft("ack", code ? { code } : {})];
  }
  const listed =
    /^(?:please )?(?:list|show|open|get|any|see)?\s*(?:me )?(?:the |all )?(?:open |current |active )?incidents?\b/.test(
      p,
    );
  const asked =
    c.question &&
    /\b(?:incidents?|broken|on fire|fire|outages?|down|wrong|firing|paging|alerts?)\b/.test(p) &&
    !/\bis \w+ down\b/.test(p);
  if (!listed && !asked) return null;
  return perEnv("incidents", c, {});
};

export const audit: Recognizer = (c) => {
  const p = c.phrase;
  const asked =
    /\baudit\b/.test(p) ||
    /\b(?:who|anyone|anybody|someone|somebody) (?:deployed|changed|did|approved?|touched|ran|pushed|rolled|modified|made|applied|released|shipped)\b/.test(
      p,
    ) ||
    /\bwhat (?:has |have )?(?:happened|changed)\b/.test(p);
  if (!asked || /\b(?:last|latest|previous|recent) change\b/.test(p)) return null;
  const since = sinceMention(c.words);
  return perEnv("audit", c, since ? { since } : {});
};

export const secretNames: Recognizer = (c) => {
  const p = c.phrase;
  const listed =
    /\b(?:list|show|which|what|get|see)\b.*\bsecrets\b|\bsecrets? (?:names|list|vars|variables)\b|\b(?:env|environment) vars?\b.*\bsecret/.test(
      p,
    ) || /^secrets\b/.test(p);
  return listed ? perEnv("secrets", c, {}) : null;
};

export const lastChange: Recognizer = (c) =>
  /\b(?:last|latest|recent|previous) (?:change|changes|revision)\b/.test(c.phrase) &&
  !/\b(?:deploy|ship|push|release|roll out)\b/.test(c.phrase)
    ? perEnv("last-change", c, {})
    : null;

export const compare: Recognizer = (c) => {
  if (!/\b(?:diff|differ\w*|difference\w*|compare|comparison|vs|versus)\b/.test(c.phrase)) return null;
  const envs = envMentions(c.words).known;
  const all = [...new Set(c.words.flatMap((w) => (w.env ? [w.env] : [])))];
  const [a, b] = envs.length === 2 ? envs : all;
  if (!a || !b) return null;
  return [{ kind: "compare", fields: {}, env: { said: a, env: a }, other: { said: b, env: b } }];
};

/** A question (or a status word) about one environment: "how's prod?", "is staging healthy", "check prod". */
export const status: Recognizer = (c) => {
  const p = c.phrase;
  // "list environments", "what's deployed where": the status of each one.
  if (
    /^(?:list|show|all)(?: me)?(?: all)?(?: the)? (?:envs|environments)\b|\b(?:deployed|running|live) (?:where|everywhere)\b|\beach env/.test(
      p,
    )
  )
    return c.context.envs.map((env) => ({ kind: "status", fields: {}, env: { said: env, env } }));
  const worded =
    /\b(?:status|health|healthy|healthcheck|sitrep|state|check|up|down|ok|okay|version|release|running|deployed|live|looking|doing)\b/.test(
      p,
    );
  const envs = c.words.filter((w) => w.env);
  const onlyEnv = c.words.every((w) => w.env || STATUS_FILLER.has(w.lower));
  if (/^(?:status|health|state|sitrep)$/.test(p)) return perEnv("status", c, {});
  if (envs.length === 0) return /\b(?:status|health|sitrep)\b/.test(p) ? perEnv("status", c, {}, 0) : null;
  if (onlyEnv || worded || c.question) return perEnv("status", c, {});
  return null;
};

const STATUS_FILLER = new Set([
  "show",
  "me",
  "give",
  "get",
  "tell",
  "what",
  "whats",
  "about",
  "how",
  "hows",
  "is",
  "on",
  "in",
  "of",
  "for",
  "env",
  "environment",
  "please",
  "pls",
  "the",
  "and",
]);
