/**
 * Continuous monitoring's signal rules: one check window's samples (plus the error history the burn-rate
 * rules need) → the anomalies present now. Pure: the EnvironmentDO's monitor gathers the samples.
 */
import type { MonitoringPolicy } from "../domain/monitoring";
import { SRE_WORKBOOK_RULES, alertLevel, evaluateBurnRules } from "./burn-rate";
import type { BurnEvaluation, ErrorSample } from "./burn-rate";

/** One service's signals over one check window. */
export interface ServiceSample {
  service: string;
  kind: "service" | "cron";
  deploymentId: string | null;
  /** Provider status of the live (or latest) deployment. */
  deploymentStatus: string | null;
  requests: number;
  errors: number;
  p95Ms: number | null;
  /** null: the service has no health endpoint (or no domain) to probe. */
  healthy: boolean | null;
  logMatches: Record<string, number>;
  /** Error-level log lines of the window, newest last, already bounded. */
  logExcerpt: string[];
}

export type AnomalyKind = "errors" | "latency" | "health" | "log-pattern" | "cron" | "slo-burn" | "drift";

/** Something wrong now; `key` is what makes two checks "the same anomaly" (one open incident per key). */
export interface Anomaly {
  key: string;
  kind: AnomalyKind;
  service: string;
  severity: "page" | "ticket";
  title: string;
  evidence: Record<string, unknown>;
}

export interface DetectInput {
  samples: ServiceSample[];
  /** Per-service error history (one bucket per check), including this window's bucket. */
  history: Record<string, ErrorSample[]>;
  now: number;
  policy: MonitoringPolicy;
  patterns: string[];
}

/** The anomalies in one check window, at most one per (kind, service). */
export function detectAnomalies(input: DetectInput): Anomaly[] {
  return input.samples.flatMap((sample) =>
    sample.kind === "cron" ? cronAnomalies(sample) : serviceAnomalies(input, sample),
  );
}

function serviceAnomalies(input: DetectInput, s: ServiceSample): Anomaly[] {
  const { policy } = input;
  const out: Anomaly[] = [];
  const rate = s.requests > 0 ? s.errors / s.requests : 0;
  const history = input.history[s.service] ?? [];
  // A rule judges only once its short window is full of history: a first minute is not a 6-hour trend.
  const span = history.length ? input.now - Math.min(...history.map((h) => h.at)) : 0;
  const rules = SRE_WORKBOOK_RULES.filter((r) => r.shortWindowMs <= span);
  const burns = evaluateBurnRules(history, input.now, policy.sloTarget, rules, policy.minRequests);
  const level = alertLevel(burns);
  const firing = burns.filter((b) => b.firing).map(burnSummary);
  if ((s.requests >= policy.minRequests && rate >= policy.errorRate) || level === "page") {
    out.push({
      key: `errors:${s.service}`,
      kind: "errors",
      service: s.service,
      severity: "page",
      title: `${s.service}: ${percent(rate)} of requests answer 5xx (${s.errors}/${s.requests} in the last check)`,
      evidence: { errorRate: rate, requests: s.requests, errors: s.errors, burn: firing, deploymentId: s.deploymentId },
    });
  } else if (level === "ticket") {
    out.push({
      key: `slo-burn:${s.service}`,
      kind: "slo-burn",
      service: s.service,
      severity: "ticket",
      title: `${s.service}: error budget burning at ${firing[0]?.longBurn ?? "?"}× over ${firing[0]?.rule ?? "the slow window"}`,
      evidence: { burn: firing, sloTarget: policy.sloTarget },
    });
  }
  if (s.healthy === false) {
    out.push({
      key: `health:${s.service}`,
      kind: "health",
      service: s.service,
      severity: "page",
      title: `${s.service}: health check failing`,
      evidence: { deploymentId: s.deploymentId, deploymentStatus: s.deploymentStatus },
    });
  }
  if (s.p95Ms !== null && s.requests >= policy.minRequests && s.p95Ms > policy.latencyP95Ms) {
    out.push({
      key: `latency:${s.service}`,
      kind: "latency",
      service: s.service,
      severity: "page",
      title: `${s.service}: p95 latency ${s.p95Ms} ms (limit ${policy.latencyP95Ms} ms)`,
      evidence: { p95Ms: s.p95Ms, limitMs: policy.latencyP95Ms, requests: s.requests },
    });
  }
  const matched = Object.entries(s.logMatches).filter(([, n]) => n > 0);
  if (matched.length) {
    out.push({
      key: `log-pattern:${s.service}`,
      kind: "log-pattern",
      service: s.service,
      severity: "page",
      title: `${s.service}: critical log lines (${matched.map(([p, n]) => `${p} ×${n}`).join(", ")})`,
      evidence: { logMatches: Object.fromEntries(matched) },
    });
  }
  return out;
}

// A cron service runs and exits; the last run failing (or crashing) means the daily job did not do its work.
function cronAnomalies(s: ServiceSample): Anomaly[] {
  if (s.deploymentStatus !== "FAILED" && s.deploymentStatus !== "CRASHED") return [];
  return [
    {
      key: `cron:${s.service}`,
      kind: "cron",
      service: s.service,
      severity: "page",
      title: `${s.service}: the scheduled job's last run ${s.deploymentStatus.toLowerCase()}`,
      evidence: { deploymentId: s.deploymentId, deploymentStatus: s.deploymentStatus },
    },
  ];
}

function burnSummary(b: BurnEvaluation) {
  return {
    rule: b.rule,
    severity: b.severity,
    longBurn: round(b.longBurn),
    shortBurn: round(b.shortBurn),
    longRequests: b.longRequests,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
const percent = (r: number) => `${Math.round(r * 1000) / 10}%`;

/** p95 of a list of latencies (ms), or null when there are none. */
export function p95(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))];
}
