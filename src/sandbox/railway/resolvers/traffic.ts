/** Root fields over the simulated apps' traffic: httpLogs (per deployment) and the per-service HTTP metrics. */
import { requestsBetween } from "../../traffic/generator";
import { compileHttpFilter, httpLogView } from "../../traffic/http-logs";
import { durationMetrics, metricsByStatus, type MetricsQuery } from "../../traffic/metrics";
import { planForDeployment, planForService } from "../../traffic/plan";
import { getEnvironment, getService } from "../../world/entities";
import { getDeployment } from "../../world/deployments";
import { WorldError, type World } from "../../world/store";
import { authed, need, type RootResolver } from "../context";

const HOUR = 3_600_000;

interface HttpLogsArgs {
  deploymentId: string;
  filter?: string | null;
  limit?: number | null;
  beforeDate?: string | null;
  afterDate?: string | null;
  anchorDate?: string | null;
  beforeLimit?: number | null;
  afterLimit?: number | null;
}

interface MetricsArgs {
  serviceId: string;
  environmentId: string;
  startDate: string;
  endDate: string;
  stepSeconds?: number | null;
  method?: string | null;
  path?: string | null;
  statusCode?: number | null;
}

function parseDate(value: string | null | undefined, name: string): number | null {
  if (value === null || value === undefined || value === "") return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new WorldError(`Invalid ${name}: ${value}`);
  return ms;
}

/**
 * The window of an httpLogs call. With both dates it is [earlier, later): the schema describes
 * beforeDate as the oldest and afterDate as the latest bound, while clients often read them the other
 * way round, and both readings name the same window. One date alone: afterDate means "since", beforeDate
 * or anchorDate "until" (an hour back); none: the last hour.
 */
export function httpLogsWindow(args: HttpLogsArgs, now: number): [number, number] {
  const after = parseDate(args.afterDate, "afterDate");
  const before = parseDate(args.beforeDate, "beforeDate");
  const anchor = parseDate(args.anchorDate, "anchorDate");
  if (after !== null && before !== null) return [Math.min(after, before), Math.max(after, before)];
  if (after !== null) return [after, Math.max(now, after)];
  const end = before ?? anchor ?? now;
  return [end - HOUR, end];
}

function metricsQuery(args: MetricsArgs): MetricsQuery {
  const startMs = parseDate(args.startDate, "startDate") ?? 0;
  const endMs = parseDate(args.endDate, "endDate") ?? 0;
  return {
    startMs,
    endMs,
    stepSeconds: args.stepSeconds,
    method: args.method,
    path: args.path,
    statusCode: args.statusCode,
  };
}

function servicePlan(world: World, args: MetricsArgs) {
  need(getService(world, args.serviceId), "Service");
  need(getEnvironment(world, args.environmentId), "Environment");
  return planForService(world, args.serviceId, args.environmentId);
}

/** httpLogs, httpMetricsGroupedByStatus, httpDurationMetrics. */
export const trafficResolvers = {
  // Newest first, as Railway returns them; `limit` defaults to 100 and is capped at 5000.
  httpLogs: authed((args: HttpLogsArgs, { world }) => {
    const d = need(getDeployment(world, args.deploymentId), "Deployment");
    const plan = planForDeployment(world, d);
    if (!plan) return [];
    const [start, end] = httpLogsWindow(args, world.now());
    const limit = Math.min(Math.max(args.limit ?? args.beforeLimit ?? 100, 0), 5000);
    const accept = compileHttpFilter(args.filter, plan);
    return requestsBetween(plan, start, end, { newestFirst: true, limit, accept }).map((r) => httpLogView(plan, r));
  }),

  httpMetricsGroupedByStatus: authed((args: MetricsArgs, { world }) =>
    metricsByStatus(servicePlan(world, args), metricsQuery(args)),
  ),

  httpDurationMetrics: authed((args: MetricsArgs, { world }) =>
    durationMetrics(servicePlan(world, args), metricsQuery(args)),
  ),
} satisfies Record<string, RootResolver>;
