/**
 * A seeded model of what the canary judge sees: bursty traffic split between stable and canary, 5xx as
 * per-request coin flips, heavy-tailed latencies, rare critical log lines and a health probe. Everything is
 * drawn from one mulberry32 stream per soak, so a seed names a soak exactly.
 */
import { LAST_LATENCY_BUCKET, latencyBucket } from "../../src/domain/latency-buckets";
import { normalCdf } from "../../src/monitor/stats";

/** mulberry32: tiny, fast and seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Poisson draw (Knuth below 30, a rounded normal above: traffic counts, not tail probabilities). */
export function poisson(rand: () => number, mean: number): number {
  if (mean < 30) {
    const limit = Math.exp(-mean);
    let k = 0;
    for (let p = rand(); p > limit; p *= rand()) k++;
    return k;
  }
  const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
}

/** Latency of a healthy request: lognormal body (median 80 ms, σ 0.35, as the sandbox) and a Pareto tail. */
export const LATENCY = { medianMs: 80, sigma: 0.35, tailShare: 0.03, tailFromMs: 200, tailShape: 1.6 };

/** P(latency ≤ x) for a healthy request; a canary whose latencies are scaled by s has F(x / s). */
export function latencyCdf(x: number): number {
  if (!(x > 0)) return 0;
  const body = normalCdf(Math.log(x / LATENCY.medianMs) / LATENCY.sigma);
  const tail = x <= LATENCY.tailFromMs ? 0 : 1 - (LATENCY.tailFromMs / x) ** LATENCY.tailShape;
  return (1 - LATENCY.tailShare) * body + LATENCY.tailShare * tail;
}

/** The healthy q-quantile, by bisection on the CDF. */
export function latencyQuantile(q: number): number {
  let lo = 0;
  let hi = 1e6;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (latencyCdf(mid) < q) lo = mid;
    else hi = mid;
  }
  return hi;
}

function drawLatency(rand: () => number, scale: number): number {
  if (rand() < LATENCY.tailShare) return scale * LATENCY.tailFromMs * (1 - rand()) ** (-1 / LATENCY.tailShape);
  const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return scale * LATENCY.medianMs * Math.exp(LATENCY.sigma * z);
}

/** How a track behaves. */
export interface TrackBehaviour {
  errorRate: number;
  /** Every latency × this (a +20% p95 is 1.2). */
  latencyScale: number;
  /** Critical log lines per request, per pattern. */
  logRates: Record<string, number>;
  /** Share of health probes that fail. */
  probeFailure: number;
}

export const HEALTHY: TrackBehaviour = {
  errorRate: 0.002,
  latencyScale: 1,
  logRates: { SequelizeDatabaseError: 0.0005 },
  probeFailure: 0.002,
};

/**
 * Traffic: a mean rate with bursts (a Markov chain enters a ×3 burst with probability 1/120 each second and
 * leaves it with 1/10) and second-to-second jitter (lognormal, σ 0.3), Poisson arrivals within a second.
 */
export interface Traffic {
  rps: number;
  bursty: boolean;
}

/** One track's counts in one second, with latencies as a sparse bucket list. */
export interface TrackSecond {
  requests: number;
  errors: number;
  /** Bucket indices of this second's latencies (one per request, in arrival order). */
  buckets: number[];
  /** Raw canary latencies above the oracle's threshold (counted here so the oracle needs no raw values). */
  aboveOracle: number;
  logMatches: Record<string, number>;
  checks: { ok: number; failed: number };
}

/** Draws the traffic of one second for both tracks. */
export class WorldClock {
  #burst = false;
  constructor(
    private readonly rand: () => number,
    private readonly traffic: Traffic,
  ) {}

  /** Requests arriving this second, all tracks together. */
  arrivals(): number {
    if (!this.traffic.bursty) return poisson(this.rand, this.traffic.rps);
    this.#burst = this.#burst ? this.rand() >= 1 / 10 : this.rand() < 1 / 120;
    const z = Math.sqrt(-2 * Math.log(1 - this.rand())) * Math.cos(2 * Math.PI * this.rand());
    // Mean-one jitter; bursts triple the rate. The long-run mean stays near rps·(1 + 2·burst share ≈ 0.15).
    const jitter = Math.exp(0.3 * z - 0.045);
    return poisson(this.rand, this.traffic.rps * jitter * (this.#burst ? 3 : 1));
  }
}

/** One track's second: `requests` coin flips for 5xx, a latency each, log lines, and a probe every `probeEvery` s. */
export function drawTrackSecond(
  rand: () => number,
  requests: number,
  behaviour: TrackBehaviour,
  second: number,
  oracleThresholdMs: number,
  probeEvery = 30,
): TrackSecond {
  let errors = 0;
  let aboveOracle = 0;
  const buckets: number[] = new Array(requests);
  for (let i = 0; i < requests; i++) {
    if (rand() < behaviour.errorRate) errors++;
    const ms = drawLatency(rand, behaviour.latencyScale);
    if (ms > oracleThresholdMs) aboveOracle++;
    buckets[i] = Math.min(LAST_LATENCY_BUCKET, latencyBucket(ms));
  }
  const logMatches: Record<string, number> = {};
  for (const pattern in behaviour.logRates) {
    const mean = requests * behaviour.logRates[pattern];
    logMatches[pattern] = mean > 0 ? poisson(rand, mean) : 0;
  }
  const probe = second % probeEvery === probeEvery - 1;
  const failed = probe && rand() < behaviour.probeFailure ? 1 : 0;
  return { requests, errors, buckets, aboveOracle, logMatches, checks: { ok: probe ? 1 - failed : 0, failed } };
}

/** Splits `n` arrivals: each goes to the canary with probability `share` (the router's weight). */
export function split(rand: () => number, n: number, share: number): number {
  if (share <= 0) return 0;
  if (share >= 1) return n;
  let k = 0;
  for (let i = 0; i < n; i++) if (rand() < share) k++;
  return k;
}
