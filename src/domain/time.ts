/** An instant (epoch milliseconds, on whichever clock the caller runs: real or simulated) as ISO 8601 UTC. */
export function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}
