/** Runtime log lines the running app writes while serving simulated traffic (merged into `deploymentLogs`). */
import type { LogLine, LogQuery } from "../world/logs";
import { requestsBetween } from "./generator";
import type { TrafficPlan } from "./plan";

/** When a deploymentLogs query names no window, runtime lines cover the minute before now. */
export const DEFAULT_RUNTIME_WINDOW_MS = 60_000;

/**
 * The window of runtime lines for a log query: [startDate, endDate) when both are given; a missing end
 * means now, a missing start one minute before the end. Generation is capped at the window's newest hour.
 */
export function runtimeWindow(query: LogQuery, now: number): [number, number] {
  const end = query.endDate ? Date.parse(query.endDate) : now;
  const start = query.startDate ? Date.parse(query.startDate) : end - DEFAULT_RUNTIME_WINDOW_MS;
  return [start, end];
}

/** Lines written by the plan's requests in [start, end), oldest first. */
export function runtimeLines(plan: TrafficPlan | null, start: number, end: number): LogLine[] {
  if (!plan || !Number.isFinite(start) || !Number.isFinite(end)) return [];
  return requestsBetween(plan, start, end, { accept: (r) => r.log !== null }).map(
    (r): LogLine => ({ at: r.at, severity: r.log?.severity ?? "info", message: r.log?.message ?? "" }),
  );
}
