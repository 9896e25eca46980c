/** Build and deploy logs of simulated deployments, read back like Railway's `buildLogs` / `deploymentLogs`. */
import type { World } from "./store";

export type LogStream = "build" | "deploy";
export type Severity = "info" | "error" | "warn";

/** One log line as stored. */
export interface LogLine {
  at: number;
  severity: Severity;
  message: string;
}

type LogRow = { seq: number; deployment_id: string; stream: string; at: number; severity: string; message: string };

/** Appends lines to a deployment's build or deploy log, all stamped `at`. */
export function appendLogs(
  world: World,
  deploymentId: string,
  stream: LogStream,
  at: number,
  lines: (string | [Severity, string])[],
): void {
  for (const line of lines) {
    const [severity, message] = typeof line === "string" ? ["info", line] : line;
    world.run(
      "INSERT INTO deployment_logs (deployment_id, stream, at, severity, message) VALUES (?, ?, ?, ?, ?)",
      deploymentId,
      stream,
      at,
      severity,
      message,
    );
  }
}

/** Query options mirroring Railway's log arguments. */
export interface LogQuery {
  limit?: number | null;
  filter?: string | null;
  startDate?: string | null;
  endDate?: string | null;
}

/**
 * Lines of one stream, oldest first; `limit` keeps the newest lines (default 100, max 5000).
 * `filter` supports Railway's `@level:<severity>` and free text (every term must match).
 * `extra` are lines not stored (the app's runtime lines, generated per window); they are merged by time
 * before filtering and limiting, so a query sees one log as Railway would show it.
 */
export function readLogs(
  world: World,
  deploymentId: string,
  stream: LogStream,
  query: LogQuery = {},
  extra: LogLine[] = [],
): LogLine[] {
  const limit = Math.min(Math.max(query.limit ?? 100, 0), 5000);
  const start = query.startDate ? Date.parse(query.startDate) : Number.NEGATIVE_INFINITY;
  const end = query.endDate ? Date.parse(query.endDate) : Number.POSITIVE_INFINITY;
  const matches = compileFilter(query.filter ?? "");
  const stored = world
    .rows<LogRow>(
      "SELECT * FROM deployment_logs WHERE deployment_id = ? AND stream = ? ORDER BY seq",
      deploymentId,
      stream,
    )
    .filter((r) => r.at >= start && r.at <= end)
    .map((r): LogLine => ({ at: r.at, severity: r.severity as Severity, message: r.message }));
  // Array.prototype.sort is stable: stored lines keep their write order among equal timestamps.
  const rows = (extra.length > 0 ? [...stored, ...extra].sort((a, b) => a.at - b.at) : stored).filter(matches);
  return limit === 0 ? [] : rows.slice(-limit);
}

function compileFilter(filter: string): (line: LogLine) => boolean {
  const terms = filter.split(/\s+/).filter((t) => t !== "" && t !== "AND");
  return (line) =>
    terms.every((term) => {
      const negated = term.startsWith("-");
      const body = negated ? term.slice(1) : term;
      const level = /^@level:(\w+)$/i.exec(body);
      const hit = level
        ? line.severity === level[1].toLowerCase()
        : line.message.toLowerCase().includes(body.toLowerCase());
      return negated ? !hit : hit;
    });
}

/** RFC 3339 with nanoseconds, the precision Railway's log timestamps carry. */
export function nanoTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
}
