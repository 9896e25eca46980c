import { z } from "zod";

/**
 * How a backfill throttles on the app's health (issue #5): before a batch it reads the environment's
 * short window of HTTP traffic, and while the 5xx burn rate or the p95 latency crosses these, batches pause
 * (and say why in the run's progress), continuing by themselves once the window is healthy again.
 */
export const BackfillPolicy = z.object({
  /** Off: batches follow the rate alone. */
  throttle: z.boolean().default(true),
  /**
   * Pause while any HTTP service's 5xx share over the window burns the error budget at least this many
   * times faster than the SLO allows (policies.monitoring.sloTarget; 14.4× is the SRE Workbook's fast burn).
   */
  maxErrorBurnRate: z.number().positive().default(14.4),
  /** Pause while any HTTP service's p95 latency over the window is above this (ms). */
  maxP95Ms: z.number().int().min(1).default(1500),
  /** The short window judged (seconds before the batch is due). */
  windowSeconds: z.number().int().min(10).max(3600).default(300),
  /** A window with fewer requests than this is too quiet to judge: batches go on. */
  minRequests: z.number().int().min(1).default(20),
  /** Health is read at most this often while batches run, and again this often while paused. */
  checkSeconds: z.number().int().min(1).max(3600).default(30),
});
export type BackfillPolicy = z.infer<typeof BackfillPolicy>;

/** "<lead>no_address 40, unknown_region 12", most frequent first; empty when there is nothing to count. */
export function byReason(counts: Record<string, number> | undefined, lead: string): string {
  const entries = Object.entries(counts ?? {}).sort(([ra, a], [rb, b]) => b - a || ra.localeCompare(rb));
  return entries.length ? `${lead}${entries.map(([reason, n]) => `${reason} ${n}`).join(", ")}` : "";
}
