/**
 * The backfill's health throttle (issue #5): before a batch is due, the environment's HTTP services over a
 * short window (Railway's per-deployment HTTP logs of each live deployment), judged against
 * policies.backfill. The judging is pure; the sampling only reads.
 */
import type { BackfillPolicy } from "../../domain/backfill-policy";
import { p95 } from "../../monitor/anomalies";
import { burnRate } from "../../monitor/burn-rate";
import type { StepContext } from "../context";
import type { HealthBreach, ThrottleReason } from "../outputs";
import { errorText } from "../../domain/errors";
import { isoAt } from "../../domain/time";

/** One HTTP service's traffic over the window. */
export interface ServiceWindow {
  service: string;
  requests: number;
  errors: number;
  p95Ms: number | null;
}

/** Newest requests read per service and window (Railway's cap). */
const LOG_LIMIT = 5000;
/** 0.072 / (1 − 0.995) is 14.399999999999999 in floating point: exactly at the threshold must pause. */
const THRESHOLD_SLACK = 1e-9;

/**
 * The worst breach among the services' windows, or null when every one is healthy or too quiet to judge.
 * Error burn: the window's 5xx share over the share the SLO allows (1 − sloTarget), as monitoring reads it.
 */
export function judgeHealth(windows: ServiceWindow[], policy: BackfillPolicy, sloTarget: number): HealthBreach | null {
  const span = spanText(policy.windowSeconds);
  let worst: (HealthBreach & { ratio: number }) | null = null;
  for (const w of windows) {
    if (w.requests < policy.minRequests) continue;
    const burn = burnRate([{ at: 0, requests: w.requests, errors: w.errors }], 0, 1, sloTarget).burn;
    const candidates: (HealthBreach & { ratio: number })[] = [];
    if (burn >= policy.maxErrorBurnRate * (1 - THRESHOLD_SLACK)) {
      const share = Math.round((w.errors / w.requests) * 1000) / 10;
      candidates.push({
        signal: "error-burn",
        service: w.service,
        value: round1(burn),
        threshold: policy.maxErrorBurnRate,
        ratio: burn / policy.maxErrorBurnRate,
        reason: `${w.service} answered ${share}% 5xx over the last ${span}, burning the error budget ${round1(burn)}× (policy pauses at ${policy.maxErrorBurnRate}×)`,
      });
    }
    if (w.p95Ms !== null && w.p95Ms > policy.maxP95Ms) {
      candidates.push({
        signal: "latency",
        service: w.service,
        value: w.p95Ms,
        threshold: policy.maxP95Ms,
        ratio: w.p95Ms / policy.maxP95Ms,
        reason: `${w.service}'s p95 latency over the last ${span} is ${w.p95Ms} ms (policy pauses above ${policy.maxP95Ms} ms)`,
      });
    }
    for (const c of candidates) if (!worst || c.ratio > worst.ratio) worst = c;
  }
  if (!worst) return null;
  const { ratio: _ratio, ...breach } = worst;
  return breach;
}

/**
 * The reason to hold the batch due at `end`, or null. Health that cannot be read holds it too: with a
 * policy that asks for health, a backfill does not write customer data blind.
 */
export async function throttleReason(
  ctx: StepContext,
  policy: BackfillPolicy,
  end: number,
): Promise<ThrottleReason | null> {
  try {
    return judgeHealth(await sampleWindows(ctx, policy, end), policy, ctx.env.spec.policies.monitoring.sloTarget);
  } catch (e) {
    return { signal: "unreadable", reason: `the app's health could not be read (${errorText(e).slice(0, 200)})` };
  }
}

/** Each HTTP service's live deployment over [end − windowSeconds, end); services without one are left out. */
export async function sampleWindows(ctx: StepContext, policy: BackfillPolicy, end: number): Promise<ServiceWindow[]> {
  const binding = ctx.env.bindings.railway;
  if (!binding) return [];
  const start = end - policy.windowSeconds * 1000;
  const http = Object.entries(ctx.env.spec.services).filter(
    ([name, svc]) => svc.kind === "service" && binding.services[name],
  );
  return (
    await Promise.all(
      http.map(async ([name]): Promise<ServiceWindow | null> => {
        const deployments = await ctx.railway.listDeployments({
          projectId: binding.projectId,
          environmentId: binding.environmentId,
          serviceId: binding.services[name],
          first: 5,
        });
        const live = deployments.find((d) => d.status === "SUCCESS");
        if (!live) return null;
        // Railway's httpLogs window is anchor-style: beforeDate is the OLDEST time, afterDate the LATEST.
        const logs = await ctx.railway.httpLogs({
          deploymentId: live.id,
          beforeDate: isoAt(start),
          afterDate: isoAt(end),
          limit: LOG_LIMIT,
        });
        const inWindow = logs.filter((r) => {
          const t = Date.parse(r.timestamp);
          return Number.isNaN(t) || (t >= start && t < end);
        });
        return {
          service: name,
          requests: inWindow.length,
          errors: inWindow.filter((r) => r.httpStatus >= 500).length,
          p95Ms: p95(inWindow.map((r) => r.totalDuration ?? 0)),
        };
      }),
    )
  ).filter((w): w is ServiceWindow => w !== null);
}

function spanText(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds}s`;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
