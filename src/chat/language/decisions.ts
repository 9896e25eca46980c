/**
 * Decisions about what is pending: whole-message confirmations ("yes", "ship it", "nvm"), the SMS grammar
 * ("YES 4821", "NO 4821"), and a clause led by approve / reject / cancel. Only the user's own words make
 * decisions (llm-guard.ts), so these are read literally, never loosely: "ok" alone applies nothing.
 */
import { expandBackfillChain, monitorRule } from "./chains";
import type { Clause } from "./clause";
import type { Draft } from "./draft";
import type { Word } from "./text";

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
  // "ok, apply the plan"; "ok" alone applies nothing (a word of APPLY_WORDS must be there too).
  "ok",
  "okay",
]);

/**
 * Readings of the whole message: help, a decision about what is pending (the SMS grammar "YES 4821"
 * included), the expand → backfill chain, and monitoring rules — these never split into clauses.
 */
export function wholeMessage(text: string, phrase: string, read: readonly Word[]): Draft[] | null {
  const words = phrase.split(" ").filter(Boolean);
  if (words.length === 0) return text.trim() === "?" ? [{ kind: "help", fields: {} }] : null;
  if (
    /^(?:help|commands|halp|menu|usage)\b|^(?:what|whats) (?:else )?(?:can|do|could) (?:you|u|i|we) (?:do|support|understand)\b|^what (?:commands|things) (?:do|can) you\b|\bhow (?:do|can|should|would) (?:i|we)\b|\bhow to\b/.test(
      phrase,
    ) ||
    /^(?:hi|hello|hey|yo|hiya|howdy)(?: there| bot)?$/.test(phrase)
  )
    return [{ kind: "help", fields: {} }];
  // Decisions are read as typed, never typo-corrected: "aprove" approves nothing.
  const typed = read.filter((w) => !w.punct).map((w) => w.raw.toLowerCase());
  const code = typed.slice(1).find((w) => /^(?=[a-z0-9]*\d)[a-z0-9]{4,8}$/.test(w));
  const rawCode = code ? (text.match(new RegExp(`\\b${code}\\b`, "i"))?.[0] ?? code) : undefined;
  const lead = typed[0];
  if (typed.length === 2 && rawCode && ["yes", "y"].includes(lead))
    return [{ kind: "approve", fields: { code: rawCode } }];
  if (typed.length === 2 && rawCode && ["no", "n"].includes(lead))
    return [{ kind: "reject", fields: { code: rawCode } }];
  const only = (allowed: Set<string>) =>
    typed.every((w) => allowed.has(w) || GLUE.has(w)) && typed.some((w) => allowed.has(w));
  if (only(CANCEL_WORDS)) return [{ kind: "cancel", fields: {} }];
  if (
    typed.every((w) => ["yes", "y", "approve", "approved", "ok", "okay", "please"].includes(w)) &&
    typed.some((w) => w.startsWith("approve"))
  )
    return [{ kind: "approve", fields: {} }];
  if (only(APPLY_WORDS)) return [{ kind: "apply", fields: {} }];
  return expandBackfillChain(read, phrase) ?? monitorRule(read, phrase);
}

/**
 * A clause led by a decision is that decision whatever follows ("approve the production deploy",
 * "cancel that"); its code is the one the user typed. Only the user's own words make decisions (llm-guard.ts).
 */
export function decision(clause: Clause): Draft[] | null {
  const words = clause.words.filter((w) => !w.punct && !["please", "pls", "ok", "okay"].includes(w.lower));
  // As typed, never typo-corrected: "aprove 4821" decides nothing.
  const lead = words[0]?.raw.toLowerCase() ?? "";
  const code = words.slice(1).find((w) => !w.env && /^(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{4,8}$/.test(w.raw))?.raw;
  if (/^(?:approve|approved|approving)$/.test(lead)) return [{ kind: "approve", fields: code ? { code } : {} }];
  if (/^(?:reject|rejected|deny|denied|decline|declined)$/.test(lead))
    return [{ kind: "reject", fields: code ? { code } : {} }];
  const cancel = /^(?:cancel|abort|nvm|nevermind|never mind|forget it|scratch that)\b/.test(clause.phrase);
  return cancel ? [{ kind: "cancel", fields: {} }] : null;
}
