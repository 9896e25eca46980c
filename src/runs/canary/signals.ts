import type { TrackSample } from "../../monitor/judge";
import type { StepContext } from "../context";
import { output } from "../context";
import type { TrackSummary } from "../outputs";
import { railwayOf, serviceIdOf } from "../railway-binding";
import type { StepState } from "../step-state";
import { isoAt } from "../../domain/time";

export interface Window {
  start: number;
  end: number;
}

/** Longest latency list kept per track, so accumulated samples stay small in DO storage. */
const MAX_LATENCIES = 4000;

/**
 * One track's signals for a window, from Railway's per-deployment HTTP logs and runtime logs (per
 * deployment, so canary and baseline separate cleanly) plus a synthetic probe of the origin's health.
 */
export async function sampleTrack(
  ctx: StepContext,
  input: { deploymentId: string; window: Window; patterns: string[]; healthUrl?: string },
): Promise<TrackSample> {
  const { deploymentId, window, patterns } = input;
  const start = isoAt(window.start);
  const end = isoAt(window.end);
  const [requests, logs] = await Promise.all([
    // Railway's httpLogs window is anchor-style: beforeDate is the OLDEST time, afterDate the LATEST.
    ctx.railway.httpLogs({ deploymentId, beforeDate: start, afterDate: end, limit: 5000 }),
    ctx.railway.deploymentLogsBetween({ deploymentId, startDate: start, endDate: end, limit: 1000 }),
  ]);
  const logMatches: Record<string, number> = {};
  for (const pattern of patterns) logMatches[pattern] = logs.filter((l) => l.message.includes(pattern)).length;
  const synthetic = input.healthUrl ? [{ name: "health", ok: await probe(ctx, input.healthUrl) }] : [];
  return {
    requests: requests.length,
    errors: requests.filter((r) => r.httpStatus >= 500).length,
    latenciesMs: thin(requests.map((r) => r.totalDuration ?? 0)),
    logMatches,
    synthetic,
  };
}

/**
 * What the edge router cannot see of one track over a window: its critical log lines (Railway's runtime logs of
 * the deployment) and a probe of its health. The router counts the requests; these ride along with them.
 */
export async function sampleLogsAndHealth(
  ctx: StepContext,
  input: { deploymentId: string; window: Window; patterns: string[]; healthUrl?: string },
): Promise<{ logMatches: Record<string, number>; checks: { ok: number; failed: number } }> {
  const { deploymentId, window, patterns } = input;
  const logs = await ctx.railway.deploymentLogsBetween({
    deploymentId,
    startDate: isoAt(window.start),
    endDate: isoAt(window.end),
    limit: 1000,
  });
  const logMatches: Record<string, number> = {};
  for (const pattern of patterns) logMatches[pattern] = logs.filter((l) => l.message.includes(pattern)).length;
  const ok = input.healthUrl ? await probe(ctx, input.healthUrl) : null;
  return { logMatches, checks: { ok: ok === true ? 1 : 0, failed: ok === false ? 1 : 0 } };
}

async function probe(ctx: StepContext, url: string): Promise<boolean> {
  const f = ctx.appFetch;
  return f(url, { signal: AbortSignal.timeout(10_000) })
    .then((r) => r.status === 200)
    .catch(() => false);
}

/** Every k-th value, so a long soak keeps a representative latency sample of bounded size. */
export function thin(values: number[], max = MAX_LATENCIES): number[] {
  if (values.length <= max) return values;
  const step = values.length / max;
  return Array.from({ length: max }, (_, i) => values[Math.floor(i * step)]);
}

/** A compact view of a sample for metrics.json (latency summarized, not listed). */
export function summarize(sample: TrackSample): TrackSummary {
  const sorted = [...sample.latenciesMs].sort((a, b) => a - b);
  const pct = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null;
  return {
    requests: sample.requests,
    errors: sample.errors,
    errorRate: sample.requests ? Number((sample.errors / sample.requests).toFixed(4)) : null,
    p50: pct(0.5),
    p95: pct(0.95),
    logMatches: sample.logMatches,
    synthetic: sample.synthetic,
  };
}

/** Canary and baseline over one window, each from its own deployment's logs and a probe of its health. */
export async function sampleBoth(
  ctx: StepContext,
  service: string,
  window: { start: number; end: number },
  state: StepState,
) {
  const railway = railwayOf(ctx);
  const canaryDeployment = output(ctx.run, "deployed")[`${service}-canary`]?.deploymentId;
  if (!canaryDeployment) throw new Error(`${service}-canary was not deployed by this run`);
  const baselineDeploymentId = await baselineDeploymentOf(ctx, service, state);
  const patterns = ctx.env.spec.policies.canary.criticalPatterns;
  const health = ctx.env.spec.services[service]?.healthPath;
  const domains = async (name: string) =>
    (await ctx.railway.listServiceDomains(railway.projectId, railway.environmentId, railway.services[name]))[0]?.domain;
  const [canaryDomain, stableDomain] = await Promise.all([domains(`${service}-canary`), domains(service)]);
  const [canarySample, baselineSample] = await Promise.all([
    sampleTrack(ctx, {
      deploymentId: canaryDeployment,
      window,
      patterns,
      healthUrl: health && canaryDomain ? `https://${canaryDomain}${health}` : undefined,
    }),
    sampleTrack(ctx, {
      deploymentId: baselineDeploymentId,
      window,
      patterns,
      healthUrl: health && stableDomain ? `https://${stableDomain}${health}` : undefined,
    }),
  ]);
  return { canarySample, baselineSample };
}

/** The stable service's live deployment: the baseline (found once per step, kept in its state). */
export async function baselineDeploymentOf(ctx: StepContext, service: string, state: StepState): Promise<string> {
  if (state.baselineDeploymentId) return state.baselineDeploymentId;
  const railway = railwayOf(ctx);
  const list = await ctx.railway.listDeployments({
    projectId: railway.projectId,
    environmentId: railway.environmentId,
    serviceId: serviceIdOf(ctx, service),
    first: 20,
  });
  const live = list.find((d) => d.status === "SUCCESS");
  if (!live) throw new Error(`${service} has no live deployment to compare the canary with`);
  state.baselineDeploymentId = live.id;
  return live.id;
}

/** The health URL of a service's Railway domain, when it has a health path and a domain. */
export async function healthUrlOf(ctx: StepContext, service: string): Promise<string | undefined> {
  const railway = railwayOf(ctx);
  const health = ctx.env.spec.services[service.replace(/-canary$/, "")]?.healthPath;
  const id = railway.services[service];
  if (!health || !id) return undefined;
  const domain = (await ctx.railway.listServiceDomains(railway.projectId, railway.environmentId, id))[0]?.domain;
  return domain ? `https://${domain}${health}` : undefined;
}
