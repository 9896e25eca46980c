/**
 * Full-jitter exponential backoff (AWS architecture blog), the one retry delay of Infra Chat: provider
 * calls retried inline (providers/http.ts) and steps retried by the run engine both wait this long.
 */

/** A delay uniform in [0, min(cap, base·2^(attempt-1))); `attempt` counts from 1. */
export function fullJitterDelay(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 1)
    throw new RangeError(`backoff attempt must be an integer >= 1, got ${attempt}`);
  if (!(baseDelayMs > 0) || !(maxDelayMs >= baseDelayMs))
    throw new RangeError(`backoff needs 0 < base <= cap, got ${baseDelayMs} and ${maxDelayMs}`);
  return Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
}
