/**
 * Anytime-valid evidence that the canary is slower than the baseline by more than a practical margin, in
 * the tail the p95 sits in:
 *
 *   H0: the canary's latency is stochastically at most (1 + relative) × the baseline's + absoluteMs,
 *       i.e. P(canary > (1 + relative)·x + absoluteMs) ≤ P(baseline > x) for every x.
 *
 * H0 implies the canary's p95 is within the margin of the baseline's. The test watches one x: the baseline's
 * p95 as its first REFERENCE_DURATIONS durations show it (the stable's recent past, when the judge gets one).
 * From then on every canary duration above T = (1 + relative)·x + absoluteMs and every baseline duration
 * above x is a coin flip with a fixed rate, and H0 says the canary's rate is at most the baseline's: the
 * two-sample count test of count-evidence.ts with no margin left, and its anytime validity. x is fixed
 * before any duration it is compared with (canary durations that come earlier wait for it), so choosing it
 * from the data costs nothing; choosing it near the baseline's p95 makes the test look at the p95.
 *
 * A fixed x, unlike re-estimating the quantile, keeps the baseline's share a single number that the 100%
 * step (where the stable gets no traffic) still knows from the steps before. Durations arrive as
 * LATENCY_BUCKET histograms, and every rounding is toward H0: x is a bucket's upper edge (exact), and a
 * canary duration in the bucket holding T never counts as above it.
 */
import {
  LAST_LATENCY_BUCKET,
  type LatencyHistogram,
  latencyBucket,
  latencyBucketUpperMs,
} from "../../domain/latency-buckets";
import { type CountTally, countEvidence } from "./count-evidence";

/** Baseline durations that fix the reference: a p95 from fewer moves by several points between samples. */
export const REFERENCE_DURATIONS = 200;
/** Most weight the reference's own share above x gets as the baseline's prior (in durations). */
const PRIOR_WEIGHT = 1000;

/** Dense histograms (index = bucket), so the state is plain JSON and a batch costs a pass over ~240 numbers. */
export interface LatencyTally {
  /** Every duration seen per track, for showing quantiles and for fixing the reference. */
  baseline: number[];
  baselineN: number;
  canary: number[];
  canaryN: number;
  /** The bucket x is the upper edge of, and the baseline's share above it when it was fixed. */
  reference: { bucket: number; share: number; weight: number } | null;
  /** Durations compared with the reference (n) and above their threshold (x), per track. */
  exceedances: CountTally;
  /** Canary durations waiting for the reference. */
  pending: number[];
}

export interface LatencyMargin {
  /** The quantile watched, e.g. 0.95. */
  quantile: number;
  relative: number;
  absoluteMs: number;
}

export interface LatencyEvidence {
  logE: number;
  canaryQuantileMs: number | null;
  baselineQuantileMs: number | null;
  /** x and the canary's threshold T (null until the reference is fixed). */
  referenceMs: number | null;
  thresholdMs: number | null;
  exceedances: CountTally;
}

const BUCKETS = LAST_LATENCY_BUCKET + 1;
const emptyHistogram = () => new Array<number>(BUCKETS).fill(0);

/** A tally with nothing observed. */
export function emptyLatencyTally(): LatencyTally {
  return {
    baseline: emptyHistogram(),
    baselineN: 0,
    canary: emptyHistogram(),
    canaryN: 0,
    reference: null,
    exceedances: { canary: { n: 0, x: 0 }, baseline: { n: 0, x: 0 } },
    pending: emptyHistogram(),
  };
}

/** A sparse (wire) or dense histogram as a dense one (a dense one as it is). */
export function denseHistogram(from: LatencyHistogram | ArrayLike<number>): ArrayLike<number> {
  if (typeof (from as ArrayLike<number>).length === "number") return from as ArrayLike<number>;
  const out = emptyHistogram();
  for (const key in from as LatencyHistogram) {
    const count = (from as LatencyHistogram)[key];
    if (count > 0) out[Math.min(LAST_LATENCY_BUCKET, Math.max(0, Math.trunc(Number(key))))] += count;
  }
  return out;
}

/** a + b, bucket by bucket, as a new array (the state stays immutable; ~240 adds). */
function plus(a: number[], b: ArrayLike<number>): number[] {
  const out = a.slice();
  for (let k = 0; k < b.length && k < BUCKETS; k++) out[k] += b[k];
  return out;
}

function total(h: ArrayLike<number>): number {
  let n = 0;
  for (let k = 0; k < h.length; k++) n += h[k];
  return n;
}

function above(h: ArrayLike<number>, bucket: number): number {
  let n = 0;
  for (let k = bucket + 1; k < h.length; k++) n += h[k];
  return n;
}

/** The tally after one batch. Durations are compared with the reference only if it was fixed before them. */
export function observeLatency(
  tally: LatencyTally,
  canaryBatch: LatencyHistogram | ArrayLike<number>,
  baselineBatch: LatencyHistogram | ArrayLike<number>,
  margin: LatencyMargin,
): LatencyTally {
  const c = denseHistogram(canaryBatch);
  const b = denseHistogram(baselineBatch);
  const nc = total(c);
  const nb = total(b);
  const next: LatencyTally = {
    ...tally,
    baseline: nb > 0 ? plus(tally.baseline, b) : tally.baseline,
    baselineN: tally.baselineN + nb,
    canary: nc > 0 ? plus(tally.canary, c) : tally.canary,
    canaryN: tally.canaryN + nc,
  };
  const ref = tally.reference;
  if (ref === null) {
    if (nc > 0) next.pending = plus(tally.pending, c);
    if (next.baselineN >= REFERENCE_DURATIONS) return fixReference(next, margin);
    return next;
  }
  const t = latencyBucket(threshold(ref.bucket, margin));
  next.exceedances = {
    canary: { n: tally.exceedances.canary.n + nc, x: tally.exceedances.canary.x + above(c, t) },
    baseline: { n: tally.exceedances.baseline.n + nb, x: tally.exceedances.baseline.x + above(b, ref.bucket) },
  };
  return next;
}

/**
 * Fixes x at the baseline's p95 bucket so far, then compares the canary durations that waited: all came
 * before x was known, and none of them helped choose it.
 */
function fixReference(tally: LatencyTally, margin: LatencyMargin): LatencyTally {
  const bucket = quantileBucket(tally.baseline, tally.baselineN, margin.quantile);
  const share = above(tally.baseline, bucket) / tally.baselineN;
  const t = latencyBucket(threshold(bucket, margin));
  const n = total(tally.pending);
  return {
    ...tally,
    reference: { bucket, share, weight: Math.min(PRIOR_WEIGHT, tally.baselineN) },
    exceedances: { canary: { n, x: above(tally.pending, t) }, baseline: { n: 0, x: 0 } },
    pending: emptyHistogram(),
  };
}

/** The e-value and the figures behind it. */
export function latencyEvidence(tally: LatencyTally, margin: LatencyMargin): LatencyEvidence {
  const ref = tally.reference;
  const shown = {
    canaryQuantileMs: histogramQuantileMs(tally.canary, tally.canaryN, margin.quantile),
    baselineQuantileMs: histogramQuantileMs(tally.baseline, tally.baselineN, margin.quantile),
    exceedances: tally.exceedances,
  };
  if (ref === null) return { logE: 0, referenceMs: null, thresholdMs: null, ...shown };
  // The baseline's prior is centred on its share above x in the durations that fixed x: data from before the
  // test may shape the prior, and a prior near the truth is what keeps the nuisance rate cheap.
  const share = Math.min(0.5, Math.max(ref.share, 1e-3));
  const { logE } = countEvidence(
    tally.exceedances,
    "bernoulli",
    { relative: 0, absolute: 0 },
    {
      lowestAlternative: 1 - margin.quantile,
      baselinePrior: { shape: share * ref.weight, units: (1 - share) * ref.weight },
    },
  );
  return { logE, referenceMs: latencyBucketUpperMs(ref.bucket), thresholdMs: threshold(ref.bucket, margin), ...shown };
}

function threshold(bucket: number, margin: LatencyMargin): number {
  return latencyBucketUpperMs(bucket) * (1 + margin.relative) + margin.absoluteMs;
}

/** The bucket holding the rank ⌈q·n⌉ duration (n > 0). */
function quantileBucket(histogram: ArrayLike<number>, n: number, quantile: number): number {
  const rank = Math.max(1, Math.ceil(quantile * n));
  let seen = 0;
  for (let k = 0; k < histogram.length; k++) {
    seen += histogram[k];
    if (seen >= rank) return k;
  }
  return LAST_LATENCY_BUCKET;
}

/** Upper edge of the bucket holding the rank ⌈q·n⌉ duration; null for an empty histogram. */
export function histogramQuantileMs(histogram: ArrayLike<number>, n: number, quantile: number): number | null {
  return n === 0 ? null : latencyBucketUpperMs(quantileBucket(histogram, n, quantile));
}
