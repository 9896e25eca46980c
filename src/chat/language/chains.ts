/**
 * Whole-message requests with a grammar of their own, read before the message is cut into clauses: the
 * expand → backfill chain across two environments, and the 5xx-after-deploy monitoring rule.
 */
import type { Draft } from "./draft";
import type { Word } from "./text";

const RATE = /\bat (\d{1,7}) ?(?:users|rows|records)?\s*(?:\/|per |a )\s*min/;

/**
 * "Add timezone column and backfill timezone from address in staging; then do production at 500 users/min":
 * an expand-only migration and the backfill in the first environment, then the same backfill in the next,
 * each starting only after the one before it succeeded. Each side of "then" names exactly one environment,
 * and they differ, or it is no chain (and no half of one); the backfilled column is the one added.
 */
export function expandBackfillChain(words: readonly Word[], phrase: string): Draft[] | null {
  const m =
    /^(?:please )?add (?:an? |the )?(?:new )?([a-z][a-z0-9_]*) column and backfill (?:the |its )?([a-z][a-z0-9_]*)\b.*\bthen\b/.exec(
      phrase,
    );
  const column = m?.[2] === "it" ? m[1] : m?.[2];
  if (!m || column !== m[1]) return null;
  const content = words.filter((w) => !w.punct);
  const split = content.findIndex((w) => w.lower === "then");
  const envsIn = (part: readonly Word[]) => [...new Set(part.flatMap((w) => (w.env ? [w.env] : [])))];
  const [before, after] = [content.slice(0, split), content.slice(split + 1)];
  const [first, next] = [envsIn(before), envsIn(after)];
  if (first.length !== 1 || next.length !== 1 || first[0] === next[0]) return null;
  // The job as the app names it ("backfillTimezone"); resolution matches it against the app's jobs.
  const job = `backfill${column[0].toUpperCase()}${column.slice(1)}`;
  const backfill = (env: string, part: readonly Word[]): Draft => {
    const rate = RATE.exec(part.map((w) => w.lower).join(" "))?.[1];
    return {
      kind: "backfill",
      env: { said: env, env },
      unknownJob: job,
      fields: { chained: true, ...(rate ? { ratePerMinute: Number(rate) } : {}) },
    };
  };
  return [
    { kind: "migrate", env: { said: first[0], env: first[0] }, fields: { expandOnly: true } },
    backfill(first[0], before),
    backfill(next[0], after),
  ];
}

/**
 * "If we see repeated 500s after deploy, rollback and open an incident bundle": a monitoring rule, for
 * the environment named (production when none is).
 */
export function monitorRule(words: readonly Word[], phrase: string): Draft[] | null {
  if (
    !/\bif\b.*\b(?:500s?|5xx|errors?)\b.*\bafter (?:a |the |each |every )?(?:deploy|deploys|deployment|release)/.test(
      phrase,
    )
  )
    return null;
  const then = /\b(rollback|roll back|restart)\b/.exec(phrase)?.[1]?.replace("roll back", "rollback") ?? "rollback";
  const env = words.find((w) => w.env)?.env ?? "production";
  return [
    {
      kind: "monitor-rule",
      env: { said: env, env },
      fields: { when: "repeated-5xx-after-deploy", then, text: phrase.slice(0, 500) },
    },
  ];
}
