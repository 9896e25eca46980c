/**
 * Exact and asymptotic tests the canary judge needs, written out here because the monitor core must stay
 * dependency-free (ARCHITECTURE §11). Tails are summed in log space so small p-values never underflow.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
// Past this many terms beyond the mode a tail term is < e^-40 of the sum: stopping there changes nothing.
const NEGLIGIBLE_LOG = -40;

/** ln(n!) for a non-negative integer n (Lanczos, g = 7; ~15 significant digits). */
export function lnFactorial(n: number): number {
  if (n < 2) return 0;
  const z = n; // Γ(n + 1) = Γ(z + 1); the Lanczos series is written for Γ(z + 1)
  let x = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) x += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x);
}

/** Complementary error function, accurate to ~1e-15 relative on the range the tests reach. */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 3) {
    // erf(x) = 2/√π · e^{-x²} · Σ 2ⁿx^{2n+1}/(2n+1)!!: every term positive, so no cancellation.
    let term = x;
    let sum = x;
    for (let n = 1; term > sum * 1e-17; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  // Laplace's continued fraction, evaluated backwards; it converges fast once x ≥ 3.
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Standard normal upper tail 1 − Φ(z), computed directly so tiny p-values keep their precision. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  const hi = Math.max(a, b);
  return hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi));
}

/** Sums a unimodal pmf from `from` to `to`, given ln pmf(from) and ln pmf(x+1)/pmf(x); stops once terms vanish. */
function upperTail(from: number, to: number, logFirst: number, logRatio: (x: number) => number): number {
  let logTerm = logFirst;
  let logSum = logFirst;
  for (let x = from; x < to; x++) {
    const step = logRatio(x);
    logTerm += step;
    logSum = logAddExp(logSum, logTerm);
    if (step < 0 && logTerm - logSum < NEGLIGIBLE_LOG) break;
  }
  return Math.min(1, Math.exp(logSum));
}

/**
 * One-sided Fisher exact p for the 2×2 table [[a, b], [c, d]] (rows = tracks, columns = event / no event):
 * the probability, with margins fixed, of a first-row event count ≥ a.
 */
export function fisherExactGreater(a: number, b: number, c: number, d: number): number {
  const n = a + b; // first row total
  const k = a + c; // events total
  const total = a + b + c + d;
  if (a === 0) return 1;
  const lnChoose = (m: number, r: number) => lnFactorial(m) - lnFactorial(r) - lnFactorial(m - r);
  const logFirst = lnChoose(k, a) + lnChoose(total - k, n - a) - lnChoose(total, n);
  const ratio = (x: number) => Math.log(((k - x) * (n - x)) / ((x + 1) * (total - k - n + x + 1)));
  return upperTail(a, Math.min(n, k), logFirst, ratio);
}

/** One-sided pooled two-proportion z-test that x1/n1 is greater than x2/n2. */
export function twoProportionZGreater(x1: number, n1: number, x2: number, n2: number): { z: number; pValue: number } {
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (x1 / n1 - x2 / n2) / se;
  return { z, pValue: normalSf(z) };
}

// Up to here Fisher's tail costs a few hundred steps. Cochran's "expected cells ≥ 5" would switch far sooner,
// but at a dozen 5xx per track the z-test runs at 0.9% false alarms against Fisher's 0.6% for α = 0.01.
const EXACT_MAX_EVENTS = 1000;

/**
 * One-sided test that x1/n1 exceeds x2/n2: Fisher exact while the rarer outcome has at most 1000 counts,
 * the pooled two-proportion z-test beyond, where the normal approximation is excellent.
 */
export function proportionGreater(x1: number, n1: number, x2: number, n2: number): { pValue: number; exact: boolean } {
  if (n1 === 0 || n2 === 0) return { pValue: 1, exact: true };
  const events = x1 + x2;
  const exact = Math.min(events, n1 + n2 - events) <= EXACT_MAX_EVENTS;
  const pValue = exact ? fisherExactGreater(x1, n1 - x1, x2, n2 - x2) : twoProportionZGreater(x1, n1, x2, n2).pValue;
  return { pValue, exact };
}

/** P(X ≥ k) for X ~ Binomial(n, p), summed exactly in log space. */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0 || p >= 1) return 1;
  if (k > n || p <= 0) return 0;
  const logFirst = lnFactorial(n) - lnFactorial(k) - lnFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p);
  const logOdds = Math.log(p) - Math.log1p(-p);
  return upperTail(k, n, logFirst, (x) => Math.log((n - x) / (x + 1)) + logOdds);
}

/** Median of an ascending-sorted array (NaN when empty). */
export function sortedMedian(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank quantile of an ascending-sorted array (0 when empty). */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  return sorted.length ? sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] : 0;
}

/**
 * One-sided tail test that more of `x` than of `y` lies above the pooled q-quantile (Mood's median test moved
 * to the tail). Mann–Whitney barely moves when only a few percent of requests get slow; this does.
 * Both inputs must be sorted ascending.
 */
export function tailExceedanceGreater(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  q: number,
): { threshold: number; pValue: number } {
  const pooled = Float64Array.from({ length: x.length + y.length }, (_, i) =>
    i < x.length ? x[i] : y[i - x.length],
  ).sort();
  const threshold = sortedQuantile(pooled, q);
  const above = (s: ArrayLike<number>) => {
    let n = 0;
    for (let i = s.length - 1; i >= 0 && s[i] > threshold; i--) n++;
    return n;
  };
  return { threshold, pValue: proportionGreater(above(x), x.length, above(y), y.length).pValue };
}

/**
 * One-sided Mann–Whitney U that `x` is stochastically greater than `y`: midranks for ties, normal
 * approximation with tie-corrected variance and a 0.5 continuity correction (scipy's "asymptotic").
 * Both inputs must be sorted ascending.
 */
export function mannWhitneyGreater(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
): { u: number; z: number; pValue: number } {
  const n1 = x.length;
  const n2 = y.length;
  const total = n1 + n2;
  let i = 0;
  let j = 0;
  let rankSumX = 0;
  let tieSum = 0;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && x[i] <= y[j]) ? x[i] : y[j];
    let inX = 0;
    let inY = 0;
    for (; i < n1 && x[i] === v; i++) inX++;
    for (; j < n2 && y[j] === v; j++) inY++;
    const t = inX + inY;
    const firstRank = i + j - t + 1;
    rankSumX += inX * (firstRank + (t - 1) / 2);
    tieSum += t * t * t - t;
  }
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  const variance = ((n1 * n2) / 12) * (total + 1 - tieSum / (total * (total - 1)));
  if (!(variance > 0)) return { u, z: 0, pValue: 1 };
  const z = (u - (n1 * n2) / 2 - 0.5) / Math.sqrt(variance);
  return { u, z, pValue: normalSf(z) };
}
