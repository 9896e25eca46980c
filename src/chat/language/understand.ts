/**
 * The language layer's face: one chat message (and the project it is about) → intents, a clarifying
 * question, a refusal or a helpful fallback. Pure and deterministic; secrets are lifted out of the message
 * before anything reads it and come back only as pending secrets, out of band.
 *
 * Integration, in short: call `understand(message, context)`; act on `intents` (set-secret intents name
 * their value by `valueRef` in `secrets`: store it encrypted at once, and put `maskSecrets(message, …)`
 * in the transcript); reply with `question.text` and `question.options`, keep `question.pending` in the
 * conversation, and read the next message with `continueRequest(pending, answer, context)`; reply with
 * `text` for refusals and the fallback. An LLM's intents go through `resolveIntents` for the same checks.
 */
import { z } from "zod";
import type { Intent } from "../../domain/intent";
import type { LanguageContext } from "./context";
import { Draft, draftsFromIntents } from "./draft";
import { fallbackReply, refusalText } from "./fallback";
import { recognize } from "./recognize";
import type { RefusalReason } from "./refusals";
import { type Resolution, resolveDrafts } from "./resolve";
import { liftSecrets, type PendingSecret, scrubValues } from "./secrets";
import { jobMention, serviceMentions } from "./slots";
import { readWords } from "./text";

/** Messages longer than this are not requests (chat commands are a line or two); it also bounds the work. */
export const MAX_MESSAGE_LENGTH = 1_000;

/** An unfinished request waiting for one answer (stored in the conversation; JSON, no secret values). */
export const PendingRequest = z.object({
  slot: z.enum(["env", "from", "other", "services", "job", "name", "scope"]),
  because: z.enum(["missing", "unknown", "ambiguous"]),
  drafts: z.array(Draft).min(1).max(20),
  at: z.number().int().min(0).max(19),
});
export type PendingRequest = z.infer<typeof PendingRequest>;

export interface ClarifyingQuestion {
  text: string;
  /** answers the user can click or type */
  options: string[];
  pending: PendingRequest;
}

export type Understanding =
  | { kind: "intents"; intents: Intent[]; secrets: PendingSecret[] }
  | { kind: "question"; question: ClarifyingQuestion; secrets: PendingSecret[] }
  | { kind: "refusal"; reason: RefusalReason; text: string }
  | { kind: "fallback"; text: string; suggestions: string[] };

/** Reads one chat message against the project's names. Never throws. */
export function understand(message: string, context: LanguageContext): Understanding {
  if (typeof message !== "string" || message.trim() === "" || message.length > MAX_MESSAGE_LENGTH)
    return fallback(typeof message === "string" && message.length <= MAX_MESSAGE_LENGTH ? message : "", context);
  try {
    const lifted = liftSecrets(message);
    const read = recognize(lifted.text, context);
    const values = lifted.secrets.map((s) => s.value);
    if (read.kind === "refusal") return { kind: "refusal", reason: read.reason, text: refusalText(read.reason) };
    if (read.kind === "not-understood")
      return scrubbed({ kind: "fallback", ...fallbackReply(read.words, context) }, values);
    return scrubbed(withSecrets(resolveDrafts(read.drafts, context), lifted.secrets), values);
  } catch {
    // A bug in the grammar must not surface as an error (or as the message): it is simply not understood.
    return fallback("", context);
  }
}

/**
 * Continues a request that asked a question: the answer fills the slot ("staging"), or, when it is a
 * request of its own ("create qa2 from staging"), that request is read instead.
 */
export function continueRequest(pending: PendingRequest, answer: string, context: LanguageContext): Understanding {
  const parsed = PendingRequest.safeParse(pending);
  if (!parsed.success || typeof answer !== "string") return understand(answer, context);
  const words = readWords(liftSecrets(answer).text, context).filter((w) => !w.punct);
  const phrase = words.map((w) => w.lower).join(" ");
  const no = /^(?:no|nope|nah|cancel|abort|stop|nvm|nevermind|never mind|forget it|scratch that)\b/.test(phrase);
  if (no) return { kind: "intents", intents: [{ kind: "cancel" }], secrets: [] };
  const drafts = structuredClone(parsed.data.drafts);
  if (fillSlot(parsed.data, drafts[parsed.data.at], answer, context))
    return withSecrets(resolveDrafts(drafts, context), []);
  const fresh = understand(answer, context);
  if (fresh.kind !== "fallback") return fresh;
  // Neither an answer nor a request: ask the same question again.
  const again = withSecrets(resolveDrafts(parsed.data.drafts, context), []);
  return again.kind === "question"
    ? { ...again, question: { ...again.question, text: `I still need to know: ${again.question.text}` } }
    : fresh;
}

/**
 * An LLM's (or any interpreter's) intents through the same checks, questions and refusals. `message` is
 * the user's message the model read: any secret in it is kept out of every text built here, even if the
 * model copied it into a name.
 */
export function resolveIntents(intents: readonly Intent[], context: LanguageContext, message = ""): Understanding {
  const values = liftSecrets(message).secrets.map((s) => s.value);
  try {
    // "unknown" anywhere: the reader didn't understand all of it, and acting on part would surprise.
    if (intents.length === 0 || intents.some((i) => i.kind === "unknown")) return fallback(message, context);
    return scrubbed(withSecrets(resolveDrafts(draftsFromIntents(intents), context), []), values, true);
  } catch {
    return fallback("", context);
  }
}

/** The message with each pending secret's value replaced (e.g. by its secretref:// once stored). */
export function maskSecrets(
  message: string,
  secrets: readonly PendingSecret[],
  replacement: (secret: PendingSecret) => string,
): string {
  let out = message;
  for (const secret of [...secrets].sort((a, b) => b.value.length - a.value.length))
    out = out.split(secret.value).join(replacement(secret));
  return out;
}

/** Words an answer may carry besides the value itself ("the api and web please"). */
const ANSWER_FILLER = new Set([
  "the",
  "to",
  "on",
  "in",
  "please",
  "pls",
  "just",
  "only",
  "one",
  "env",
  "environment",
  "its",
  "it",
  "and",
  "&",
  "both",
  "service",
  "services",
  "job",
]);

/** Fills the asked slot when the answer is only its value; false when the answer says something else. */
function fillSlot(pending: PendingRequest, d: Draft, answer: string, context: LanguageContext): boolean {
  const words = readWords(liftSecrets(answer).text, context).filter((w) => !w.punct);
  const content = words.filter((w) => !ANSWER_FILLER.has(w.lower));
  if (content.length === 0 || content.length > 4) return false;
  switch (pending.slot) {
    case "env":
    case "from":
    case "other": {
      const env = content.length === 1 ? content[0].env : undefined;
      const single =
        content.length === 1 && /^[a-z][a-z0-9-]{0,39}$/.test(content[0].lower) ? content[0].lower : undefined;
      if (!env && !single) return false;
      d[pending.slot] = env ? { said: env, env } : { said: single as string };
      return true;
    }
    case "services": {
      const named = serviceMentions(content, context);
      if (!content.every((w) => w.service || /^(?:all|every|everything)$/.test(w.lower))) return false;
      d.services = named.all || content.some((w) => w.lower === "all") ? undefined : named.known;
      d.unknownServices = undefined;
      return true;
    }
    case "job": {
      const job = jobMention(content, context).job ?? context.jobs.find((j) => j.toLowerCase() === content[0].lower);
      if (!job || content.length > 3) return false;
      Object.assign(d, { job, unknownJob: undefined, jobOptions: undefined });
      return true;
    }
    case "name": {
      const name = content.length === 1 && /^[A-Z][A-Z0-9_]{1,63}$/.test(content[0].raw) ? content[0].raw : undefined;
      if (!name) return false;
      d.fields.name = name;
      return true;
    }
    case "scope": {
      if (!/^(?:yes|y|yep|yeah|sure|ok|okay|do it|go ahead|all|all of it)$/.test(content.map((w) => w.lower).join(" ")))
        return false;
      d.services = undefined;
      return true;
    }
  }
}

function withSecrets(resolution: Resolution, secrets: PendingSecret[]): Understanding {
  if (resolution.kind === "refusal") return resolution;
  // Only secrets a request uses are handed out; any other lifted value is dropped, never echoed or kept.
  const used = (refs: Set<string>) => secrets.filter((s) => refs.has(s.ref));
  if (resolution.kind === "intents") {
    const refs = new Set(
      resolution.intents.flatMap((i) =>
        (i.kind === "set-secret" || i.kind === "rotate-secret") && i.valueRef ? [i.valueRef] : [],
      ),
    );
    return { kind: "intents", intents: resolution.intents, secrets: used(refs) };
  }
  const q = resolution.question;
  const refs = new Set(q.drafts.flatMap((d) => (typeof d.fields.valueRef === "string" ? [d.fields.valueRef] : [])));
  return {
    kind: "question",
    question: {
      text: q.text,
      options: q.options,
      pending: { slot: q.slot, because: q.because, drafts: q.drafts, at: q.at },
    },
    secrets: used(refs),
  };
}

/**
 * Texts, options and pending drafts with every secret value of the message replaced: the last line of
 * defence. The grammar's intents are left alone (their names were checked, and secrets were lifted
 * before it read anything); another reader's intents are scrubbed too (`intents`).
 */
function scrubbed(understanding: Understanding, values: readonly string[], intents = false): Understanding {
  if (values.length === 0 || (understanding.kind === "intents" && !intents)) return understanding;
  const { secrets, ...rest } = understanding as Understanding & { secrets?: PendingSecret[] };
  const clean = scrubValues(rest, values) as Understanding;
  return secrets ? ({ ...clean, secrets } as Understanding) : clean;
}

function fallback(message: string, context: LanguageContext): Understanding {
  return { kind: "fallback", ...fallbackReply(readWords(liftSecrets(message).text, context), context) };
}
