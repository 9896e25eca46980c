/**
 * Grammar of desired-state edits: new environments (create from, set up, bootstrap local), components
 * (add, remove, resize), the auto-apply switch and drift choices.
 */
import { type Clause, perEnv } from "./clause";
import type { Draft } from "./draft";
import { envMentions } from "./slots";
import { isKnown } from "./text";

type Recognizer = (clause: Clause) => Draft[] | null;

const COMPONENTS: Record<string, "redis" | "postgres" | "storage"> = {
  redis: "redis",
  cache: "redis",
  postgres: "postgres",
  postgresql: "postgres",
  pg: "postgres",
  storage: "storage",
  s3: "storage",
  minio: "storage",
  bucket: "storage",
};
/** A name for an environment to be: bare, or qualified by a project ("acme:qa"). */
const NEW_ENV_NAME = /^(?:[a-z][a-z0-9-]{0,39}:)?[a-z][a-z0-9-]{1,39}$/;
const NOT_A_NAME = /^(?:new|env|envs|environment|one|an?|up|called|named|copy|clone|of|fresh|another)$/;

export const createEnv: Recognizer = (c) => {
  const p = c.phrase;
  if (!/\b(?:create|clone|make|spin up|copy|duplicate|new|fork)\b/.test(p)) return null;
  const from = /\b(?:from|like|based on|copy of|off of|off)\b/.test(p);
  const cloned = /\b(?:clone|copy|duplicate|fork)\b/.test(p);
  if (!from && !cloned) return null;
  const envWords = c.words.flatMap((w, i) => (w.env ? [i] : []));
  const sourceAt = envWords.find(
    (i) =>
      ["from", "like", "of", "off"].includes(c.words[i - 1]?.lower ?? "") ||
      (cloned && /^(?:clone|copy|duplicate|fork)$/.test(c.words[i - 1]?.lower ?? "")),
  );
  if (sourceAt === undefined) return null;
  const source = c.words[sourceAt].env as string;
  const named = /\b(?:called|named)\s+([a-z][a-z0-9-]*)\b/.exec(p)?.[1];
  const verbAt = c.words.findIndex((w) => /^(?:create|clone|make|spin|copy|duplicate|fork|new)$/.test(w.lower));
  const target =
    named ??
    c.words.find(
      (w, i) =>
        i !== sourceAt &&
        i > verbAt &&
        i < sourceAt &&
        (w.env !== undefined || (NEW_ENV_NAME.test(w.lower) && !isKnown(w.lower) && !NOT_A_NAME.test(w.lower))),
    )?.lower;
  // "clone staging as qa", "copy staging into demo": the new name after the source.
  const after = c.words
    .slice(sourceAt + 1)
    .find(
      (w, k, rest) =>
        k > 0 &&
        /^(?:as|into|to|called|named)$/.test(rest[k - 1].lower) &&
        NEW_ENV_NAME.test(w.lower) &&
        !NOT_A_NAME.test(w.lower),
    )?.lower;
  const name = target ?? after;
  if (!name) return null;
  const env = c.words.find((w) => w.lower === name)?.env ?? name;
  return [
    {
      kind: "create-env",
      fields: {},
      env: { said: name, ...(env === name && !c.context.envs.includes(env) ? {} : { env }) },
      from: { said: source, env: source },
    },
  ];
};

export const setup: Recognizer = (c) => {
  const p = c.phrase;
  const asked =
    /^(?:please )?(?:set ?up|setup|provision|bootstrap)\b|\b(?:set|spin) (?:me |us |it |them )?up\b|\bbootstrap\b/.test(
      p,
    ) || /\blocal (?:setup|stack|environment|env|dev env)\b/.test(p);
  if (!asked || /\bauto\b/.test(p) || c.words.some((w) => Object.hasOwn(COMPONENTS, w.lower))) return null;
  const envs = envMentions(c.words).known;
  const local =
    /\b(?:local|locally|dev|development|laptop|machine|my env)\b/.test(p) ||
    envs.some((e) => (c.context.localEnvs ?? ["local"]).includes(e));
  if (/\bbootstrap\b/.test(p) || local) {
    const env =
      envs.find((e) => (c.context.localEnvs ?? ["local"]).includes(e)) ?? (c.context.localEnvs ?? ["local"])[0];
    return [{ kind: "bootstrap", fields: {}, env: { said: env, env } }];
  }
  const fromAt = c.words.findIndex((w) => w.lower === "from" || w.lower === "like");
  const source = fromAt >= 0 ? c.words.slice(fromAt + 1).find((w) => w.env)?.env : undefined;
  const words = fromAt >= 0 ? { ...c, words: c.words.slice(0, fromAt) } : c;
  const verbAt = words.words.findIndex((w) => /^(?:up|setup|provision)$/.test(w.lower));
  return perEnv("setup", words, {}, verbAt).map((d) => (source ? { ...d, from: { said: source, env: source } } : d));
};

export const component: Recognizer = (c) => {
  const p = c.phrase;
  const named = c.words
    .map((w) => (Object.hasOwn(COMPONENTS, w.lower) ? COMPONENTS[w.lower] : undefined))
    .find(Boolean);
  const objectStorage = /\bobject storage\b/.test(p) ? "storage" : undefined;
  const which = named ?? objectStorage;
  if (!which) return null;
  const size = /\b(small|medium|large)\b/.exec(p)?.[1];
  const resize = /\b(?:resize|scale|make|set|change|grow|shrink|bump|upgrade|downgrade)\b/.test(p) && size;
  const add =
    /\b(?:add|enable|provision|attach|create|give|get|need|needs|want|throw|put|spin up|stand up|set up)\b/.test(p);
  const remove = /\b(?:remove|drop|delete|detach|disable|get rid of)\b/.test(p);
  const action = resize ? "resize" : remove ? "remove" : add ? "add" : undefined;
  if (!action) return null;
  return perEnv("component", c, { action, component: which, ...(action === "resize" ? { size } : {}) });
};

export const policy: Recognizer = (c) => {
  const m = /\b(?:(turn|switch) (on|off)|(enable|disable)) auto[ -]?apply\b|\bauto[ -]?apply (on|off)\b/.exec(c.phrase);
  if (!m) return null;
  const on = (m[2] ?? m[4] ?? (m[3] === "enable" ? "on" : "off")) === "on";
  return perEnv("policy", c, { autoApply: on });
};

export const drift: Recognizer = (c) => {
  const m = /\b(adopt|accept|keep|revert|undo|discard|reset)\b.*\bdrift\b/.exec(c.phrase);
  if (!m) return null;
  return perEnv("drift", c, { choice: ["adopt", "accept", "keep"].includes(m[1]) ? "adopt" : "revert" });
};
