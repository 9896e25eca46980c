/**
 * Grammar of requests that act: deploys (per service, at a ref, with canary weights), promoting one
 * environment's release to another, rollbacks, migrations, backfills, run controls, remediation, alert
 * subscriptions and secrets. Verbs and their synonyms are alternations here; slots come from slots.ts.
 */
import { MAX_BACKFILL_RATE } from "../../domain/intent";
import { type Clause, indexOf, perEnv } from "./clause";
import { type Draft, draft } from "./draft";
import { refOfPlaceholder } from "./secrets";
import {
  canaryWeights,
  envMentions,
  isRefShaped,
  jobMention,
  migrationsFirst,
  phoneNumber,
  ratePerMinute,
  refMention,
  releaseMention,
  replicaCount,
  secretName,
  serviceMentions,
} from "./slots";
import { isKnown, type Word } from "./text";

type Recognizer = (clause: Clause) => Draft[] | null;

/** Replica bounds of a remediation (RemediateParams). */
const MAX_REPLICAS = 50;

const DEPLOY_VERB = /^(?:deploy|redeploy|ship|shipit|push|release|rollout|deploying|shipping|pushing)$/;
/** Words that describe what to deploy without naming it: the default (the branch head) is meant. */
const DEPLOY_OBJECT_FILLER = new Set([
  "latest",
  "newest",
  "new",
  "current",
  "build",
  "builds",
  "code",
  "changes",
  "change",
  "version",
  "release",
  "stuff",
  "app",
  "apps",
  "application",
  "head",
  "tip",
  "fix",
  "fixes",
  "work",
  "commits",
  "branch",
  "only",
  "just",
  "whole",
  "entire",
  "service",
  "services",
  "out",
  "over",
  "everything",
  "all",
  "both",
]);

export const promoteRelease: Recognizer = (c) => {
  const envs = c.words.flatMap((w, i) => (w.env ? [{ env: w.env, i }] : []));
  if (envs.length < 2 || envs[0].env === envs[1].env) return null;
  const p = c.phrase;
  const source =
    /^(?:please )?promote\b/.test(p) ||
    /\b(?:whats|what is) (?:on|in|running on|live on|deployed (?:on|to))\b/.test(p) ||
    /\b(?:release|build|version|deploy)\b.*\bto\b/.test(p.slice(p.indexOf(c.words[envs[0].i].lower))) ||
    // "deploy staging to production": an environment as the thing deployed is its release.
    /^(?:deploy|ship|push|promote|move|copy)$/.test(c.words[envs[0].i - 1]?.lower ?? "");
  const verb = /\b(?:promote|ship|deploy|push|copy|move|send|take|release)\b/.test(p);
  const target = c.words[envs[1].i - 1]?.lower === "to" || c.words[envs[1].i - 2]?.lower === "to";
  if (!source || !verb || !target) return null;
  return [
    {
      kind: "promote-release",
      fields: {},
      env: { said: envs[1].env, env: envs[1].env },
      from: { said: envs[0].env, env: envs[0].env },
    },
  ];
};

export const deploy: Recognizer = (c) => {
  const p = c.phrase;
  if (c.asks) return null;
  let verbAt = c.words.findIndex((w, i) => DEPLOY_VERB.test(w.lower) && !isNoun(c.words, i));
  const frames =
    /\bgo(?:ing)? live\b/.test(p) ||
    /\b(?:retry|redo|rerun|re-run)\b.*\b(?:deploy|deployment|release)\b/.test(p) ||
    /\broll out\b/.test(p) ||
    /\bget (?:.* )?(?:onto|to|out to|out on|on) \S+/.test(p) ||
    /\bupdate \S+ to (?:the )?(?:latest|newest|head|main|master)\b/.test(p) ||
    /\brailway up\b|\bvercel\b/.test(p) ||
    (/\bcanar(?:y|ies)\b/.test(p) &&
      (/\bdeploy\b/.test(p) || (Array.isArray(canaryWeights(c.words)) && c.words.some((w) => w.env))));
  if (verbAt < 0 && !frames) return null;
  if (verbAt < 0) verbAt = indexOf(c, /^(?:live|roll|get|update|canary|up|vercel|retry|redo|rerun|re-run)$/);
  if (/\b(?:status|history)\b/.test(p) && !/\bthen\b/.test(p)) return null;
  const services = serviceMentions(c.words, c.context);
  const ref = refMention(c.words);
  const params: Record<string, unknown> = {};
  if (ref) params.ref = ref.ref;
  const canary = canaryWeights(c.words);
  if (Array.isArray(canary)) params.canary = canary;
  const migrate = migrationsFirst(p);
  if (migrate !== undefined) params.migrateFirst = migrate;
  const named = [...new Set([...(ref?.service ? [ref.service] : []), ...services.known])];
  const unknown = [...services.unknown, ...strayServiceWords(c.words, verbAt, ref?.at)];
  const drafts = perEnv("deploy", c, { params }, verbAt).map((d): Draft => {
    const out: Draft = { ...d, fields: { params: { ...params } } };
    if (!services.all && named.length > 0) out.services = c.context.services.filter((s) => named.includes(s));
    if (unknown.length > 0) out.unknownServices = [...new Set(unknown)];
    if (canary === "invalid") out.outOfRange = "Canary weights must be 1 to 100 percent, at most 10 steps.";
    return out;
  });
  return drafts;
};

/** "deploy the deploy"? A deploy verb after a determiner is a noun ("the last deploy", "a deploy"). */
function isNoun(words: readonly Word[], i: number): boolean {
  const prev = words[i - 1]?.lower;
  const determiners = ["the", "a", "an", "this", "that", "last", "latest", "previous", "my", "our", "each", "every"];
  return (
    prev !== undefined &&
    (determiners.includes(prev) ||
      (words[i - 1].env !== undefined && i >= 2 && determiners.includes(words[i - 2].lower)))
  );
}

/**
 * Free words where a deploy's object goes ("deploy billing to prod", "ship api and payments"): with an
 * environment named, such a word can only be a service — and an unknown one must be asked about, never
 * dropped (the whole environment would deploy) and never read as a ref.
 */
function strayServiceWords(words: readonly Word[], verbAt: number, refAt: number | undefined): string[] {
  if (verbAt < 0 || !words.some((w) => w.env)) return [];
  const stray: string[] = [];
  for (let i = verbAt + 1; i < words.length; i++) {
    const w = words[i];
    if (w.env || w.punct || ["to", "on", "in", "into", "onto", "at", "@", "with", "from", "for"].includes(w.lower))
      break;
    if (i === refAt || w.service || isRefShaped(w.raw) || DEPLOY_OBJECT_FILLER.has(w.lower) || isKnown(w.lower))
      continue;
    if (/^(?:pr|pull|#?\d+)$/.test(w.lower)) continue;
    if (["and", "&", "+", ","].includes(w.lower)) continue;
    if (/^[a-z][a-z0-9-]{1,39}$/.test(w.lower)) stray.push(w.lower);
  }
  return stray;
}

const ROLLBACK =
  /\brollback\b|\brolled back\b|\broll (?:\S+ ){0,3}back\b|\brevert\b|\bundo\b|\brestore\b|\b(?:put|take|set|bring) (?:\S+ ){0,4}back\b|\bgo back\b|\bback out\b/;

export const rollback: Recognizer = (c) => {
  if (c.asks || !ROLLBACK.test(c.phrase) || /\bdrift\b/.test(c.phrase)) return null;
  const verbAt = indexOf(c, /^(?:rollback|revert|undo|restore|roll)$/);
  const toRelease = releaseMention(c.words);
  const services = serviceMentions(c.words, c.context);
  return perEnv("rollback", c, toRelease ? { toRelease } : {}, verbAt).map((d) => ({
    ...d,
    ...(services.known.length && !services.all ? { services: services.known } : {}),
    ...(services.unknown.length ? { unknownServices: services.unknown } : {}),
  }));
};

export const migrate: Recognizer = (c) => {
  if (c.asks || !/\bmigrat\w*\b|\bdb:migrate\b/.test(c.phrase)) return null;
  const verbAt = indexOf(c, /^(?:migrate|db:migrate|migrations?)$/);
  return perEnv("migrate", c, {}, verbAt);
};

export const backfill: Recognizer = (c) => {
  const p = c.phrase;
  const job = jobMention(c.words, c.context);
  const started =
    /\b(?:run|kick off|start|trigger|launch|execute|dry run)\b/.test(p) && (job.job !== undefined || /\bjob\b/.test(p));
  if (!/\bbackfill\w*\b/.test(p) && !started) return null;
  const fields: Record<string, unknown> = {};
  const rate = ratePerMinute(p);
  if (rate !== undefined) fields.ratePerMinute = rate;
  if (/\bdry[ -]?run\b|\bdry-run\b/.test(p)) fields.dryRun = true;
  return perEnv("backfill", c, fields).map((d) => ({
    ...d,
    ...(job.job ? { job: job.job } : {}),
    ...(job.unknown ? { unknownJob: job.unknown } : {}),
    ...(job.ambiguous ? { jobOptions: job.ambiguous } : {}),
    ...(rate !== undefined && (rate < 1 || rate > MAX_BACKFILL_RATE)
      ? {
          outOfRange: `Backfill rates must be 1 to ${MAX_BACKFILL_RATE.toLocaleString("en-US")} rows per minute; ${rate.toLocaleString("en-US")} is out of range.`,
        }
      : {}),
  }));
};

/** Controls of a running canary or backfill: promote now, halt, resume. */
export const runControl: Recognizer = (c) => {
  const p = c.phrase.replace(/^(?:please|pls|ok|okay) /, "");
  const kind =
    /^(?:promote|skip (?:the )?soak)\b|\bskip (?:the )?soak\b|\b(?:push|take|send) the canary to 100\b|\bcanary to 100%?\b|\bfull rollout\b/.test(
      p,
    )
      ? "promote"
      : /^(?:halt|pause|stop|freeze|hold|suspend|kill)\b/.test(p) && !/\bcron\b/.test(p)
        ? "stop"
        : /^(?:resume|unpause|continue|unfreeze|unhold|restart the (?:backfill|canary))\b/.test(p)
          ? "resume"
          : null;
  if (!kind) return null;
  const object = /\b(?:canary|backfill|rollout|run|deploy|deployment|release|it|soak|now|that|this)\b/.test(p);
  if (!object && p.split(" ").length > 2) return null;
  // "kill" is a stop only of a canary, backfill or rollout: anything else it could mean is not ours to guess.
  if (/^kill\b/.test(p) && !/\b(?:canary|backfill|rollout)\b/.test(p)) return null;
  const envs = envMentions(c.words).known;
  return envs.length > 0 ? envs.map((env) => ({ kind, fields: {}, env: { said: env, env } })) : [draft(kind)];
};

export const remediate: Recognizer = (c) => {
  const p = c.phrase;
  const services = serviceMentions(c.words, c.context);
  const withServices = (d: Draft): Draft => ({
    ...d,
    ...(services.known.length ? { services: services.known.slice(0, 1) } : {}),
    ...(services.unknown.length ? { unknownServices: services.unknown } : {}),
  });
  if (/\b(?:pause|disable|suspend|stop|turn off)\b.*\bcron\b/.test(p))
    return perEnv("remediate", c, { action: "disable-cron", service: "cron" });
  if (/\b(?:restart|reboot|bounce|cycle|kick)\b/.test(p) && !/\brestart the (?:backfill|canary)\b/.test(p))
    return perEnv("remediate", c, { action: "restart" }).map(withServices);
  if (/\bscale\b/.test(p) && !/\b(?:redis|postgres|postgresql|storage|db|database)\b/.test(p)) {
    const replicas = replicaCount(p);
    return perEnv("remediate", c, { action: "scale", ...(replicas !== undefined ? { replicas } : {}) }).map((d) => ({
      ...withServices(d),
      ...(replicas !== undefined && replicas > MAX_REPLICAS
        ? { outOfRange: `Replicas must be 0 to ${MAX_REPLICAS}; ${replicas} is out of range.` }
        : {}),
    }));
  }
  return null;
};

export const unsubscribe: Recognizer = (c) =>
  /\b(?:stop|quit|no more|dont|do not|cease) (?:texting|paging|alerting|notifying|messaging|sms|texts?|pages|alerts|notifications)\b|\bunsubscribe\b|\bmute\b|\bsilence (?:the )?alerts\b|\bturn off (?:the )?(?:alerts|texts|notifications)\b/.test(
    c.phrase,
  )
    ? perEnv("unsubscribe", c, {})
    : null;

export const subscribe: Recognizer = (c) => {
  const p = c.phrase;
  const phone = phoneNumber(c.words.map((w) => w.raw).join(" "));
  const asked =
    /\b(?:text|sms|page|notify|alert|ping|call|message) me\b/.test(p) ||
    /\b(?:send|forward|route) (?:\w+ ){0,2}(?:alerts|texts|pages|notifications)\b/.test(p) ||
    (phone !== undefined && /\b(?:alerts?|text|sms|page|notify|notifications)\b/.test(p)) ||
    /\bsubscribe\b/.test(p);
  if (!asked) return null;
  return perEnv("subscribe", c, phone ? { phone } : {});
};

/** set / rotate a secret; listing names is in asks.ts, and asking for a value is refused before this. */
export const secrets: Recognizer = (c) => {
  const placeholder = c.words.find((w) => refOfPlaceholder(w.lower));
  const ref = placeholder ? refOfPlaceholder(placeholder.lower) : undefined;
  const name = secretName(c.words, c.context);
  const rotate = /\b(?:rotate|roll|regenerate|cycle|reroll|renew)\b/.test(c.phrase) && !/\bback\b/.test(c.phrase);
  const aboutSecret = /\b(?:key|secret|token|password|credentials?)\b/.test(c.phrase) || name !== undefined;
  // "rotate STRIPE_SECRET_KEY on prod to sk_live_…": the new value, when given, travels like a set one.
  if (rotate && (aboutSecret || ref))
    return perEnv("rotate-secret", c, { ...(name ? { name } : {}), ...(ref ? { valueRef: ref } : {}) });
  // A value pasted into another request ("token ghp_… deploy prod") is not a request to store it.
  const setting = /^(?:please )?(?:set|update|change|add|put|store|save|use|replace|here(?:s| is)|new)\b/.test(
    c.phrase,
  );
  if (ref && (name || setting)) return perEnv("set-secret", c, { valueRef: ref, ...(name ? { name } : {}) });
  return null;
};
