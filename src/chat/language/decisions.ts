/**
 * Decisions about what is pending: whole-message confirmations ("yes", "ship it", "nvm"), the SMS grammar
 * ("YES 4821", "NO 4821"), and a clause led by approve / reject / cancel. Only the user's own words make
 * decisions (llm-guard.ts), so these are read literally, never loosely: "ok" alone applies nothing.
 */
import { parseIntents } from "../parser";
import type { Clause } from "./clause";
import { type Draft, draftsFromIntents } from "./draft";

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
]);
const CANCEL_WORDS = new Set(["no", "nope", "nah", "n", "forget", "scratch", "cancel", "nvm", "nevermind", "abort"]);
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
  "dont",
]);

/**
 * Readings of the whole message: help, a decision about what is pending (the SMS grammar "YES 4821"
 * included), the expand → backfill chain, and monitoring rules — these never split into clauses.
 */
export function wholeMessage(text: string, phrase: string): Draft[] | null {
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
  if (only(CANCEL_WORDS)) return [{ kind: "cancel", fields: {} }];
  if (
    words.every((w) => ["yes", "y", "approve", "approved", "ok", "okay", "please"].includes(w)) &&
    words.some((w) => w.startsWith("approve"))
  )
    return [{ kind: "approve", fields: {} }];
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

/**
 * A clause led by a decision is that decision whatever follows ("approve the production deploy",
 * "cancel that"); its code is the one the user typed. Only the user's own words make decisions (llm-guard.ts).
 */
export function decision(clause: Clause): Draft[] | null {
  const words = clause.words.filter((w) => !w.punct && !["please", "pls", "ok", "okay"].includes(w.lower));
  const lead = words[0]?.lower ?? "";
  const code = words.slice(1).find((w) => !w.env && /^(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{4,8}$/.test(w.raw))?.raw;
  if (/^(?:approve|approved|approving)$/.test(lead)) return [{ kind: "approve", fields: code ? { code } : {} }];
  if (/^(?:reject|rejected|deny|denied|decline|declined)$/.test(lead))
    return [{ kind: "reject", fields: code ? { code } : {} }];
  const cancel = /^(?:cancel|abort|nvm|nevermind|never mind|forget it|scratch that)\b/.test(clause.phrase);
  return cancel ? [{ kind: "cancel", fields: {} }] : null;
}
