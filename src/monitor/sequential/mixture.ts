/**
 * The building blocks of the anytime-valid judge: log-likelihoods of counts, log-spaced grids of alternative
 * rates, and mixture likelihoods over them. Everything stays in log space, so a 100% 5xx canary's evidence
 * (e^hundreds) and a quiet metric's (e^-0.1) are added without overflow.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(z) for z > 0 (Lanczos, g = 7; ~15 significant digits; the reflection formula below 1/2). */
export function lnGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lnGamma(1 - z);
  const w = z - 1;
  let x = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) x += LANCZOS[i] / (w + i);
  const t = w + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (w + 0.5) * Math.log(t) - t + Math.log(x);
}

/** ln B(a, b). */
export function lnBeta(a: number, b: number): number {
  return lnGamma(a) + lnGamma(b) - lnGamma(a + b);
}

/** ln(Σ e^xᵢ) without overflow; −∞ for no terms. */
export function logSumExp(xs: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < xs.length; i++) if (xs[i] > max) max = xs[i];
  if (max === Number.NEGATIVE_INFINITY || max === Number.POSITIVE_INFINITY) return max;
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += Math.exp(xs[i] - max);
  return max + Math.log(sum);
}

/** k·ln(p), taking 0·ln(0) = 0 as likelihoods do. */
export function xLogY(k: number, p: number): number {
  return k === 0 ? 0 : k * Math.log(p);
}

/** Log-likelihood of one particular sequence of n Bernoulli trials with x successes, at rate p. */
export function bernoulliLogLik(x: number, n: number, p: number): number {
  return xLogY(x, p) + xLogY(n - x, 1 - p);
}

/**
 * Log-likelihood of x events in n units of exposure at rate p per unit, up to the term x·ln(n) − ln(x!),
 * which does not depend on p and so cancels in every likelihood ratio we take.
 */
export function poissonLogLik(x: number, n: number, p: number): number {
  return xLogY(x, p) - n * p;
}

/** `size` rates, evenly spaced in log between lo and hi (inclusive). */
export function logGrid(lo: number, hi: number, size: number): Float64Array {
  const grid = new Float64Array(size);
  const step = (Math.log(hi) - Math.log(lo)) / (size - 1);
  for (let i = 0; i < size; i++) grid[i] = Math.exp(Math.log(lo) + step * i);
  return grid;
}

/**
 * ln of the Beta(a, b) mixture of Bernoulli likelihoods: the probability a Beta-binomial predictor gives the
 * observed sequence. It depends on the counts only, so batching the data differently changes nothing.
 */
export function betaBernoulliLogMarginal(x: number, n: number, a: number, b: number): number {
  return lnBeta(a + x, b + n - x) - lnBeta(a, b);
}

/** ln of the Gamma(shape, rate) mixture of Poisson likelihoods, on the same scale as poissonLogLik. */
export function gammaPoissonLogMarginal(x: number, n: number, shape: number, rate: number): number {
  return shape * Math.log(rate) - lnGamma(shape) + lnGamma(shape + x) - (shape + x) * Math.log(rate + n);
}

/**
 * An equal-weight mixture over a fixed grid of rates, with each rate's logarithms computed once: a look
 * costs one pass of multiply-adds over the grid, which keeps a 10,000-soak simulation at per-second looks
 * within minutes.
 */
export class RateMixture {
  readonly rates: Float64Array;
  readonly #logRate: Float64Array;
  /** ln(1 − p) for Bernoulli, −p for Poisson: the coefficient of the non-events (or of the exposure). */
  readonly #rest: Float64Array;
  readonly #restIsExposure: boolean;
  readonly #terms: Float64Array;

  constructor(rates: Float64Array, family: "bernoulli" | "poisson") {
    this.rates = rates;
    this.#logRate = rates.map(Math.log);
    this.#restIsExposure = family === "poisson";
    this.#rest = rates.map((p) => (family === "poisson" ? -p : Math.log1p(-p)));
    this.#terms = new Float64Array(rates.length);
  }

  /** ln of the mean over the grid of the likelihood of x events in n units. */
  logMarginal(x: number, n: number): number {
    const rest = this.#restIsExposure ? n : n - x;
    for (let i = 0; i < this.rates.length; i++)
      this.#terms[i] = (x === 0 ? 0 : x * this.#logRate[i]) + (rest === 0 ? 0 : rest * this.#rest[i]);
    return logSumExp(this.#terms) - Math.log(this.rates.length);
  }
}

/**
 * ln of the equal-weight mixture, over `grid`, of likelihood ratios against the null rate p0:
 * mean over p in grid of L(p)/L(p0). With every p above p0 it is a test supermartingale for "rate ≤ p0"
 * (each ratio is; a mixture of them is), so Ville's inequality bounds the chance it ever reaches 1/α by α.
 */
export function mixtureLogLikelihoodRatio(
  x: number,
  n: number,
  p0: number,
  grid: ArrayLike<number>,
  logLik: (x: number, n: number, p: number) => number,
): number {
  const terms = new Float64Array(grid.length);
  const base = logLik(x, n, p0);
  for (let i = 0; i < grid.length; i++) terms[i] = logLik(x, n, grid[i]) - base;
  return logSumExp(terms) - Math.log(grid.length);
}
