/**
 * Synthetic HTTP requests of one deployment: a pure function of its TrafficPlan and the time window, so
 * the same window sampled twice — or ahead of wall-clock time — yields the same requests. Every request
 * makes the same number of draws whatever the faults, so a fault changes only what it touches (an
 * errorRate fault errs a superset of the requests that erred without it).
 */
import type { TrafficPlan } from "./plan";
import { GROUP_CLIENTS } from "../cloudflare/edge-router";
import { firstUniform, requestSeed, standardNormal, uniforms } from "./random";

/** Longest window generated; longer ones keep their newest hour. */
export const MAX_WINDOW_MS = 3_600_000;
/** Median upstream latency (ms) and the lognormal's sigma. */
export const MEDIAN_LATENCY_MS = 80;
export const LATENCY_SIGMA = 0.35;
/** Fraction of requests that write a normal access line to the runtime log. */
export const ACCESS_LOG_RATE = 0.02;
/** Fraction of requests that write a fault's log pattern. */
export const PATTERN_LOG_RATE = 0.05;
const NOT_FOUND_RATE = 0.03;
const HEALTH_PATH = "/health";

/** One simulated request (strings for logs derive from `seed` later, only when asked for). */
export interface SimRequest {
  at: number;
  seed: number;
  /** Position within its second; picks the replica that served it. */
  index: number;
  method: "GET" | "POST";
  path: string;
  status: number;
  upstreamMs: number;
  totalMs: number;
  rxBytes: number;
  txBytes: number;
  /** Runtime log line the request writes, if any. */
  log: { severity: "info" | "error"; message: string } | null;
}

// The realistic mix of Invoice Perfect's api: [cumulative probability, method, path, base status].
function route(
  pick: number,
  variant: number,
  notFound: number,
): { method: "GET" | "POST"; path: string; status: number } {
  if (pick < 0.35)
    return variant < 0.2
      ? { method: "POST", path: "/invoices", status: 201 }
      : { method: "GET", path: "/invoices", status: 200 };
  if (pick < 0.65)
    return {
      method: "GET",
      path: `/invoices/${1000 + Math.floor(variant * 9000)}`,
      status: notFound < NOT_FOUND_RATE ? 404 : 200,
    };
  if (pick < 0.8) return { method: "GET", path: "/customers", status: 200 };
  if (pick < 0.95) return { method: "GET", path: HEALTH_PATH, status: 200 };
  return { method: "GET", path: "/oauth/lightspeed/callback", status: 200 };
}

function buildRequest(plan: TrafficPlan, second: number, index: number): SimRequest {
  const seed = requestSeed(plan.requestRoot, second, index);
  const next = uniforms(seed);
  const at = second * 1000 + Math.floor(next() * 1000);
  const { method, path, status: base } = route(next(), next(), next());
  const errorDraw = next();
  const z = standardNormal(next(), next());
  const accessDraw = next();
  const patternDraw = next();
  const size = next();
  let status = base;
  if (plan.crashed) status = 502;
  else if (path === HEALTH_PATH && plan.failHealth) status = 500;
  else if (errorDraw < plan.errorRate) status = 500;
  const upstreamMs = plan.crashed
    ? 1 + Math.floor(size * 3)
    : Math.round(MEDIAN_LATENCY_MS * Math.exp(LATENCY_SIGMA * z)) + plan.latencyMs;
  const totalMs = upstreamMs + 1 + Math.floor(size * 4);
  const txBytes =
    status >= 500
      ? 120
      : path === "/invoices" && method === "GET"
        ? 4000 + Math.floor(size * 4000)
        : 300 + Math.floor(size * 1200);
  const rxBytes = 350 + Math.floor(size * 250) + (method === "POST" ? 900 : 0);
  let log: SimRequest["log"] = null;
  // A crashed container writes nothing; the app logs every 5xx it answers and a sample of the rest.
  if (!plan.crashed && patternDraw < PATTERN_LOG_RATE && plan.logPatterns.length > 0) {
    log = {
      severity: "error",
      message: plan.logPatterns[Math.floor((patternDraw / PATTERN_LOG_RATE) * plan.logPatterns.length)],
    };
  } else if (!plan.crashed && status >= 500) {
    log = { severity: "error", message: `Error: ${method} ${path} failed with ${status} Internal Server Error` };
  } else if (!plan.crashed && accessDraw < ACCESS_LOG_RATE) {
    log = {
      severity: "info",
      message: `${method} ${path} ${status} ${txBytes} - ${(upstreamMs + size * 0.999).toFixed(3)} ms`,
    };
  }
  return { at, seed, index, method, path, status, upstreamMs, totalMs, rxBytes, txBytes, log };
}

/** The plan's requests that arrive in one second (routing draws are shared with the rest of the group). */
export function requestsInSecond(plan: TrafficPlan, second: number): SimRequest[] {
  const out: SimRequest[] = [];
  const { edge } = plan;
  for (let i = 0; i < plan.rps; i++) {
    const u = firstUniform(requestSeed(plan.routeRoot, second, i));
    if (edge) {
      // The draw picks one of the group's clients; the edge router's assignment of it decides the service.
      const canary = edge.canaryClients[Math.floor(u * GROUP_CLIENTS)] === 1 && second * 1000 < edge.deadline;
      if (canary === (edge.role === "canary")) out.push(buildRequest(plan, second, i));
    } else if (u >= plan.from && u < plan.to) out.push(buildRequest(plan, second, i));
  }
  return out.sort((a, b) => a.at - b.at || a.index - b.index);
}

export interface WindowOptions {
  /** Newest first (httpLogs) instead of oldest first. */
  newestFirst?: boolean;
  /** Stop after this many accepted requests (counted in the chosen order). */
  limit?: number;
  accept?: (r: SimRequest) => boolean;
}

/** The window [start, end) capped to its newest MAX_WINDOW_MS (a window in the future works like any other). */
export function clampWindow(start: number, end: number): [number, number] {
  return [Math.max(start, end - MAX_WINDOW_MS), end];
}

/** The plan's requests with start <= at < end. */
export function requestsBetween(
  plan: TrafficPlan,
  startMs: number,
  endMs: number,
  options: WindowOptions = {},
): SimRequest[] {
  const [start, end] = clampWindow(startMs, endMs);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const out: SimRequest[] = [];
  if (!(end > start) || limit <= 0) return out;
  const first = Math.floor(start / 1000);
  const last = Math.ceil(end / 1000) - 1;
  for (let k = 0; k <= last - first; k++) {
    const second = options.newestFirst ? last - k : first + k;
    const batch = requestsInSecond(plan, second);
    if (options.newestFirst) batch.reverse();
    for (const r of batch) {
      if (r.at < start || r.at >= end || (options.accept && !options.accept(r))) continue;
      out.push(r);
      if (out.length >= limit) return out;
    }
  }
  return out;
}
