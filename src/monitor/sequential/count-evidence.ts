/**
 * Anytime-valid evidence that the canary's count rate (5xx per request, critical log lines per request,
 * failed synthetic checks per check) is worse than the baseline's by more than a practical margin:
 *
 *   H0: canaryRate ≤ baselineRate × (1 + relative) + absolute
 *
 * The baseline's rate is a nuisance, and with the absolute margin the canary's share of all errors under H0
 * depends on it (a baseline at 0.2% bounds a 10% canary's share at 0.42; at 5% it bounds it at 0.14), so
 * Lindon & Malek's conditional test — which needs that share known — cannot carry the margin. This is
 * universal inference (Wasserman, Ramdas & Balakrishnan 2020) instead:
 *
 *   E = q(canary) · q(baseline) / sup over H0 of L(canaryRate, baselineRate)
 *
 * q is a mixture likelihood fixed before the data (a log-uniform grid of canary rates above the margin,
 * a Beta/Gamma prior for the baseline), so q/L(θ) at the true θ is a test martingale, and E lies below it
 * whenever θ is in H0: P(E ever ≥ 1/α) ≤ α however often one looks. Both parts depend on the running
 * totals only, so per-second counts from the edge router and 30 s windows from Railway's logs give the same
 * evidence for the same totals, and four integers per metric are the whole state.
 */
import {
  bernoulliLogLik,
  betaBernoulliLogMarginal,
  gammaPoissonLogMarginal,
  logGrid,
  poissonLogLik,
  RateMixture,
} from "./mixture";

/** Bernoulli: at most one event per unit (a 5xx per request, a failure per check). Poisson: any number. */
export type CountFamily = "bernoulli" | "poisson";

/** Units of exposure (requests, checks) and events on each track, summed over everything observed. */
export interface CountTally {
  canary: { n: number; x: number };
  baseline: { n: number; x: number };
}

export interface CountMargin {
  /** Canary may be this fraction above the baseline's rate … */
  relative: number;
  /** … plus this much (events per unit) before it counts as worse. */
  absolute: number;
}

export interface CountEvidence {
  /** ln of the e-value; ≥ ln(1/α) rejects H0. */
  logE: number;
  canaryRate: number;
  baselineRate: number;
  /** Where H0 ends at the baseline's observed rate: the rate the canary has to beat. */
  nullBoundary: number;
}

/** Alternative canary rates are drawn from here up; below the margin they could never be evidence. */
const LOWEST_ALTERNATIVE = 1e-3;
const HIGHEST_ALTERNATIVE: Record<CountFamily, number> = { bernoulli: 0.999, poisson: 10 };
const GRID_SIZE = 32;
/**
 * Baseline prior: shape ½ with the weight of 100 units at rate 0. Healthy rates are small (0.01%–1%), and a
 * prior spread over [0, 1] (Jeffreys) costs ~2 more nats at these counts, which a canary pays in samples.
 */
const BASELINE_PRIOR: Prior = { shape: 0.5, units: 100 };
/** Bisection steps for the null's maximum: the bracket shrinks by 2^-80, far below any count's effect. */
const BISECTION_STEPS = 80;
/** Subtracted from ln E so the bisection's last-digit error can only make the test more cautious. */
const NUMERIC_SLACK = 1e-9;

/** Beta(shape, units) (Bernoulli) or Gamma(shape, rate = units) (Poisson) for the baseline's rate. */
export interface Prior {
  shape: number;
  units: number;
}

/** Where a metric knows more than the defaults: its lowest interesting rate and a prior for its baseline. */
export interface CountOptions {
  /** Alternatives start here (default: the absolute margin, at least 0.1%); any fixed choice is valid. */
  lowestAlternative?: number;
  baselinePrior?: Prior;
}

const mixtures: Record<CountFamily, Map<number, RateMixture>> = { bernoulli: new Map(), poisson: new Map() };

/** Log-uniform over [lowest, top]: rates below H0's floor could never be evidence. */
function alternatives(family: CountFamily, lowest: number): RateMixture {
  let mixture = mixtures[family].get(lowest);
  if (!mixture) {
    mixture = new RateMixture(logGrid(lowest, Math.max(lowest * 1.5, HIGHEST_ALTERNATIVE[family]), GRID_SIZE), family);
    mixtures[family].set(lowest, mixture);
  }
  return mixture;
}

const logLik = (family: CountFamily) => (family === "bernoulli" ? bernoulliLogLik : poissonLogLik);

/** The e-value of the counts against H0, with the rates behind it. */
export function countEvidence(
  tally: CountTally,
  family: CountFamily,
  margin: CountMargin,
  options: CountOptions = {},
): CountEvidence {
  const { canary, baseline } = tally;
  const lowest = options.lowestAlternative ?? Math.max(margin.absolute, LOWEST_ALTERNATIVE);
  const prior = options.baselinePrior ?? BASELINE_PRIOR;
  const canaryRate = canary.n > 0 ? canary.x / canary.n : 0;
  const baselineRate = baseline.n > 0 ? baseline.x / baseline.n : 0;
  const nullBoundary = boundary(baselineRate, margin, family);
  const numerator =
    alternatives(family, lowest).logMarginal(canary.x, canary.n) +
    (family === "bernoulli"
      ? betaBernoulliLogMarginal(baseline.x, baseline.n, prior.shape, prior.units)
      : gammaPoissonLogMarginal(baseline.x, baseline.n, prior.shape, prior.units));
  const logE = numerator - nullLogSup(tally, family, margin) - NUMERIC_SLACK;
  return { logE, canaryRate, baselineRate, nullBoundary };
}

function boundary(baselineRate: number, margin: CountMargin, family: CountFamily): number {
  const b = baselineRate * (1 + margin.relative) + margin.absolute;
  return family === "bernoulli" ? Math.min(1, b) : b;
}

/**
 * The largest log-likelihood any (canaryRate, baselineRate) in H0 gives the counts. When the observed
 * rates already satisfy H0 that is the plain maximum; otherwise the maximum sits on the boundary line
 * canaryRate = (1 + relative)·baselineRate + absolute, where the log-likelihood is concave in the baseline's
 * rate, so bisection on its derivative finds it.
 */
export function nullLogSup(tally: CountTally, family: CountFamily, margin: CountMargin): number {
  const { canary, baseline } = tally;
  const ll = logLik(family);
  const rc = canary.n > 0 ? canary.x / canary.n : 0;
  const rb = baseline.n > 0 ? baseline.x / baseline.n : 0;
  if (canary.n === 0 || rc <= boundary(rb, margin, family))
    return ll(canary.x, canary.n, rc) + ll(baseline.x, baseline.n, rb);
  const k = 1 + margin.relative;
  const a = margin.absolute;
  // Clamped: at the Bernoulli end k·r + a is 1 up to rounding, and 1 + ε would make ln(1 − p) NaN.
  const canaryAt = (r: number) => (family === "bernoulli" ? Math.min(1, k * r + a) : k * r + a);
  const along = (r: number) => ll(canary.x, canary.n, canaryAt(r)) + ll(baseline.x, baseline.n, r);
  // d/dr of `along`: the canary's score times k plus the baseline's score.
  const score = family === "bernoulli" ? bernoulliScore : poissonScore;
  const slope = (r: number) => k * score(canary.x, canary.n, canaryAt(r)) + score(baseline.x, baseline.n, r);
  let lo = 0;
  // Bernoulli: past (1 − a)/k the boundary leaves [0, 1] and H0 holds whatever the canary does.
  let hi = family === "bernoulli" ? (1 - a) / k : Math.max(1, rc);
  if (family === "poisson") while (slope(hi) > 0) hi *= 2;
  const candidates = [along(lo), along(hi)];
  // NaN at an end (+∞ − ∞) means a log-likelihood of −∞ there, so the maximum is inside.
  if (!(slope(hi) >= 0) && !(slope(lo) <= 0)) {
    for (let i = 0; i < BISECTION_STEPS; i++) {
      const mid = (lo + hi) / 2;
      if (slope(mid) > 0) lo = mid;
      else hi = mid;
    }
    candidates.push(along(lo), along(hi));
  }
  return Math.max(...candidates);
}

/** d/dp of bernoulliLogLik, with empty terms left out so p = 0 or 1 gives ±∞ rather than NaN. */
function bernoulliScore(x: number, n: number, p: number): number {
  return (x > 0 ? x / p : 0) - (n - x > 0 ? (n - x) / (1 - p) : 0);
}

/** d/dp of poissonLogLik. */
function poissonScore(x: number, n: number, p: number): number {
  return (x > 0 ? x / p : 0) - n;
}
