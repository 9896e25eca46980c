/**
 * Railway's per-service HTTP aggregates (railway.md §11) computed from the same generator as httpLogs:
 * `httpMetricsGroupedByStatus` (request counts per status per step) and `httpDurationMetrics`
 * (percentiles of totalDuration per step). Steps are aligned to multiples of stepSeconds since the epoch.
 */
import { clampWindow, requestsBetween, type SimRequest } from "./generator";
import type { TrafficPlan } from "./plan";

/** The window and optional narrowing of a metrics query. */
export interface MetricsQuery {
  startMs: number;
  endMs: number;
  stepSeconds?: number | null;
  method?: string | null;
  path?: string | null;
  statusCode?: number | null;
}

function buckets(query: MetricsQuery): { step: number; first: number; count: number } {
  const [start, end] = clampWindow(query.startMs, query.endMs);
  const step = Math.max(1, Math.floor(query.stepSeconds ?? 60));
  const first = Math.floor(start / 1000 / step) * step;
  const count = end > start ? Math.ceil((end / 1000 - first) / step) : 0;
  return { step, first, count };
}

function selected(plan: TrafficPlan | null, query: MetricsQuery, withStatus: boolean): SimRequest[] {
  if (!plan) return [];
  return requestsBetween(plan, query.startMs, query.endMs, {
    accept: (r) =>
      (!query.method || r.method === query.method.toUpperCase()) &&
      (!query.path || r.path === query.path) &&
      (!withStatus || query.statusCode == null || r.status === query.statusCode),
  });
}

/** `[{statusCode, samples:[{ts, value}]}]`: one series per status seen, a sample (possibly 0) for every step. */
export function metricsByStatus(
  plan: TrafficPlan | null,
  query: MetricsQuery,
): { statusCode: number; samples: { ts: number; value: number }[] }[] {
  const { step, first, count } = buckets(query);
  const counts = new Map<number, number[]>();
  for (const r of selected(plan, query, false)) {
    const series = counts.get(r.status) ?? Array<number>(count).fill(0);
    const k = Math.floor((r.at / 1000 - first) / step);
    if (k >= 0 && k < count) series[k] += 1;
    counts.set(r.status, series);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([statusCode, series]) => ({
      statusCode,
      samples: series.map((value, k) => ({ ts: first + k * step, value })),
    }));
}

// Nearest-rank percentile of an ascending list.
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** `{samples:[{ts, p50, p90, p95, p99}]}` in milliseconds; steps without requests have no sample. */
export function durationMetrics(
  plan: TrafficPlan | null,
  query: MetricsQuery,
): { samples: { ts: number; p50: number; p90: number; p95: number; p99: number }[] } {
  const { step, first, count } = buckets(query);
  const perStep: number[][] = Array.from({ length: count }, () => []);
  for (const r of selected(plan, query, true)) {
    const k = Math.floor((r.at / 1000 - first) / step);
    if (k >= 0 && k < count) perStep[k].push(r.totalMs);
  }
  const samples = perStep.flatMap((values, k) => {
    if (values.length === 0) return [];
    const sorted = values.sort((a, b) => a - b);
    return [
      {
        ts: first + k * step,
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p95: percentile(sorted, 95),
        p99: percentile(sorted, 99),
      },
    ];
  });
  return { samples };
}
