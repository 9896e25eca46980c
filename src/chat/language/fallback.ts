/**
 * What the layer says when it can't act: the fallback (never the message back — at most the words it did
 * not understand, after redaction — and the two closest commands it knows) and the refusals.
 */
import { RemediationAction } from "../../domain/monitoring";
import { type LanguageContext, remoteEnvs } from "./context";
import type { RefusalReason } from "./refusals";
import { liftSecrets, looksSecret } from "./secrets";
import { isKnown, readWords, type Word } from "./text";

/** How many not-understood words are quoted back at most. */
const QUOTED_WORDS = 5;

/** No names known: the catalogue then speaks of staging and production. */
const NO_NAMES: LanguageContext = { project: "", envs: [], services: [], jobs: [] };

/** The fallback reply for a whole message (secrets lifted before any word can be quoted). */
export function fallbackFor(
  message: string,
  context: LanguageContext = NO_NAMES,
): { text: string; suggestions: string[] } {
  return fallbackReply(readWords(liftSecrets(message).text, context), context);
}

/** The fallback reply for words that made no request. */
export function fallbackReply(
  words: readonly Word[],
  context: LanguageContext,
): { text: string; suggestions: string[] } {
  const content = words.filter((w) => !w.punct);
  const unknown = content.filter(
    (w) => !w.env && !w.service && !isKnown(w.lower) && !/^__secret\d+__$/.test(w.lower) && /\p{L}/u.test(w.raw),
  );
  // Letters mixed with digits may be a password that no pattern caught: never quoted.
  const quotable = unknown
    .filter(
      (w) =>
        !looksSecret(w.raw) && w.raw.length <= 30 && !(/\d/.test(w.raw) && /\p{L}/u.test(w.raw) && w.raw.length >= 6),
    )
    .slice(0, QUOTED_WORDS);
  // Quoting every word would be the message itself: say so without repeating it.
  const quote =
    quotable.length > 0 && quotable.length < content.length ? ` "${quotable.map((w) => w.raw).join(" ")}"` : " that";
  const suggestions = closestCommands(content, context);
  return {
    text: `I didn't understand${quote}. The closest things I can do: ${suggestions.map((s) => `"${s}"`).join(" · ")}. Say "help" for everything else.`,
    suggestions,
  };
}

/** The two commands whose words overlap the message most (catalogue order breaks ties). */
export function closestCommands(words: readonly Word[], context: LanguageContext): string[] {
  const catalogue = commandCatalogue(context);
  const said = new Set(words.flatMap((w) => [w.lower, ...(w.env ? [w.env] : []), ...(w.service ? [w.service] : [])]));
  const scored = catalogue.map((command, order) => {
    const terms = command
      .toLowerCase()
      .replace(/[?'"…]/g, "")
      .split(/\s+/);
    const score = terms.filter(
      (t) => said.has(t) && !["the", "on", "to", "of", "at", "a", "me", "is", "for"].includes(t),
    ).length;
    return { command, score, order };
  });
  const best = scored.filter((s) => s.score > 0).sort((a, b) => b.score - a.score || a.order - b.order);
  const picked = best.slice(0, 2).map((s) => s.command);
  for (const fallback of catalogue.slice(0, 2))
    if (picked.length < 2 && !picked.includes(fallback)) picked.push(fallback);
  return picked;
}

/** Example commands in the project's own names, most common first. */
function commandCatalogue(context: LanguageContext): string[] {
  const remote = remoteEnvs(context);
  const stage = remote.find((e) => e !== "production") ?? remote[0] ?? "staging";
  const prod = remote.length === 0 || remote.includes("production") ? "production" : (remote.at(-1) as string);
  const service = context.services[0] ?? "api";
  const job = context.jobs[0]?.replace(/^backfill/, "").toLowerCase() || "timezone";
  const secret = context.secretNames?.[0] ?? "STRIPE_SECRET_KEY";
  return [
    `deploy ${stage}`,
    `status of ${prod}`,
    `deploy just the ${service} to ${stage}`,
    `deploy ${prod} with canary 10/50/100`,
    `rollback ${prod}`,
    `run migrations on ${stage}`,
    ...(stage !== prod ? [`promote ${stage} to ${prod}`] : []),
    "list recent runs",
    "what's waiting on approval?",
    "what's broken?",
    "why did the last deploy fail?",
    `show the audit for ${prod} since yesterday`,
    "is the audit chain intact?",
    `backfill ${job} on ${stage} at 500 users/min`,
    "how is the backfill going?",
    "stop the backfill",
    `list secrets on ${stage}`,
    `rotate ${secret} on ${prod}`,
    `text me about ${prod}`,
    `stop texting me about ${stage}`,
    `restart ${service} on ${prod}`,
    `add redis to ${stage}`,
    `create qa from ${stage}`,
    "bootstrap local",
  ];
}

/** The reply to a refused request; it names the reason, never the words that carried it. */
export function refusalText(reason: RefusalReason): string {
  switch (reason) {
    case "destructive":
      return `I won't do that: deleting or wiping data, tables, databases or environments is outside the bounded remediation set (${RemediationAction.options.join(", ")}), and destructive changes to stored data are never applied by Infra Chat. Nothing was sent to a provider.`;
    case "code-change":
      return `I won't do that: changing an app's code is outside the bounded remediation set (${RemediationAction.options.join(", ")}); code changes are never made by Infra Chat: push a fix and deploy it. Nothing was sent to a provider.`;
    case "negated":
      return 'You asked me not to, so I\'m doing nothing. Tell me what you do want, e.g. "status of production".';
    case "scheduled":
      return "I can't schedule runs for later yet: say it again when you want it done, and it starts as a plan right then.";
    case "secret-value":
      return 'I never show secret values, in chat or anywhere else. I can list the names ("list secrets on staging") or rotate one.';
    case "out-of-range":
      return "A number in that request is out of its allowed range.";
    case "unknown-service":
      return "That service doesn't exist in this project. Nothing was planned.";
    case "invalid":
      return 'I couldn\'t turn that into a request I can check. Try rephrasing it, or say "help".';
  }
}
