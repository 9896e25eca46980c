import { describe, expect, it } from "vitest";
import { DEFAULT_JUDGE_CONFIG, judgeCanary, mergeSamples, parseJudgeConfig } from "../../src/monitor/judge";
import type { JudgeConfig, Judgement, MetricName, TrackSample } from "../../src/monitor/judge";
import { judgeCheck, type SamplePair, type TriggerState } from "../../src/runs/canary/trigger";
import {
  binomialUpperTail,
  erfc,
  fisherExactGreater,
  lnFactorial,
  mannWhitneyGreater,
  normalCdf,
  normalSf,
  twoProportionZGreater,
} from "../../src/monitor/stats";

/** mulberry32: a seeded PRNG, so every sample below is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface TrackShape {
  requests: number;
  errorRate?: number;
  /** Exact 5xx count instead of drawing them at errorRate. */
  errors?: number;
  medianMs?: number;
  /** Added to every latency. */
  shiftMs?: number;
  /** This share of requests takes slowMs instead. */
  slowShare?: number;
  slowMs?: number;
  /** Pattern → matches per request, drawn per request. */
  logRates?: Record<string, number>;
  logMatches?: Record<string, number>;
  synthetic?: { name: string; ok: boolean }[];
}

const HEALTHY_CHECKS = [
  { name: "health", ok: true },
  { name: "login", ok: true },
  { name: "oauth-callback", ok: true },
];

/** Draws one window: Bernoulli 5xx and log lines per request, log-normal latencies (σ = 0.4). */
function sampleTrack(rand: () => number, shape: TrackShape): TrackSample {
  const { requests, errorRate = 0.002, medianMs = 80, shiftMs = 0, slowShare = 0, slowMs = 0 } = shape;
  let errors = 0;
  const latenciesMs: number[] = [];
  const logMatches: Record<string, number> = { ...shape.logMatches };
  for (let i = 0; i < requests; i++) {
    if (rand() < errorRate) errors++;
    const gaussian = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    latenciesMs.push(rand() < slowShare ? slowMs : medianMs * Math.exp(0.4 * gaussian) + shiftMs);
    for (const [pattern, perRequest] of Object.entries(shape.logRates ?? {})) {
      if (rand() < perRequest) logMatches[pattern] = (logMatches[pattern] ?? 0) + 1;
    }
  }
  return {
    requests,
    errors: shape.errors ?? errors,
    latenciesMs,
    logMatches,
    synthetic: shape.synthetic ?? HEALTHY_CHECKS,
  };
}

/** Canary and baseline drawn from one seed; baseline defaults to healthy with the canary's request count. */
function judgePair(
  seed: number,
  canary: TrackShape,
  baseline: Partial<TrackShape> = {},
  config?: Partial<JudgeConfig>,
): Judgement {
  const rand = prng(seed);
  const c = sampleTrack(rand, canary);
  return judgeCanary(c, sampleTrack(rand, { requests: canary.requests, ...baseline }), config);
}

const metric = (j: Judgement, name: MetricName) => j.metrics.find((m) => m.metric === name)!;
const relErr = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);

describe("statistics match reference values (scipy 1.17)", () => {
  it.each([
    [1.96, 0.9750021048517795],
    [0, 0.5],
    [-1.645, 0.049984905539121376],
    [3, 0.9986501019683699],
    [-5, 2.866515718791933e-7],
  ])("Φ(%d) = %d", (z, want) => expect(relErr(normalCdf(z), want)).toBeLessThan(1e-12));

  it("keeps precision deep in the tails, where 1 − Φ would round to 0", () => {
    expect(relErr(normalSf(8), 6.22096057427174e-16)).toBeLessThan(1e-9);
    expect(relErr(erfc(3), 2.2090496998585445e-5)).toBeLessThan(1e-11);
    expect(relErr(erfc(10), 2.0884875837625446e-45)).toBeLessThan(1e-12);
    expect(relErr(erfc(0.5), 0.4795001221869535)).toBeLessThan(1e-14);
  });

  it.each([
    [10, Math.log(3628800)],
    [170, 706.5730622457874],
    [1e6, 12815518.384658169],
  ])("ln(%d!) = %d", (n, want) => expect(relErr(lnFactorial(n), want)).toBeLessThan(1e-13));

  it.each([
    ["lady tasting tea [[3,1],[1,3]]", [3, 1, 1, 3], 17 / 70],
    ["12/600 against 1/600", [12, 588, 1, 599], 0.00163066346513563],
    ["30/3000 against 5/3000", [30, 2970, 5, 2995], 1.062492767840864e-5],
  ])("Fisher exact one-sided p for %s", (_, [a, b, c, d], want) => {
    expect(relErr(fisherExactGreater(a, b, c, d), want)).toBeLessThan(1e-9);
  });

  it("Fisher exact gives p = 1 when the first row has no events", () =>
    expect(fisherExactGreater(0, 10, 5, 5)).toBe(1));

  it.each([
    // 12 beats 10, 11; 15 beats 10, 11, 13 and ties 15; 18 and 20 beat all four: U = 2 + 3.5 + 4 + 4.
    ["with a tie", [12, 15, 18, 20], [10, 11, 13, 15], 13.5, 0.07324459196760427],
    ["fully separated", [4, 5, 6], [1, 2, 3], 9, 0.04042779918502612],
    ["in the other direction", [10, 11, 13, 15], [12, 15, 18, 20], 2.5, 0.9592854488200545],
  ])("Mann–Whitney U %s", (_, x, y, u, p) => {
    const got = mannWhitneyGreater(x, y);
    expect(got.u).toBe(u);
    expect(relErr(got.pValue, p)).toBeLessThan(1e-6);
  });

  it.each([
    [8, 10, 0.5, 56 / 1024],
    [3, 3, 0.1, 0.001],
    [60, 1000, 0.04, 0.0015153048353646844],
  ])("binomial P(X ≥ %d | n=%d, p=%d)", (k, n, p, want) =>
    expect(relErr(binomialUpperTail(k, n, p), want)).toBeLessThan(1e-9),
  );

  it("two-proportion z for 60/100 against 40/100 is 2√2", () => {
    const { z, pValue } = twoProportionZGreater(60, 100, 40, 100);
    expect(z).toBeCloseTo(2 * Math.SQRT2, 12);
    expect(relErr(pValue, 0.0023388674905236288)).toBeLessThan(1e-9);
  });
});

const HEALTHY: TrackShape = { requests: 600, errorRate: 0.002, logRates: { "connection reset": 0.02 } };

describe("canary judge", () => {
  it("passes a healthy canary against a healthy baseline on all 50 seeds (false positives at α = 0.01)", () => {
    const notPassing = Array.from({ length: 50 }, (_, i) => 1000 + i)
      .map((seed) => ({ seed, judgement: judgePair(seed, HEALTHY, HEALTHY) }))
      .filter(({ judgement }) => judgement.verdict !== "pass")
      .map(({ seed, judgement }) => `${seed}: ${judgement.reason}`);
    expect(notPassing).toEqual([]);
  });

  // Counts at their expected values (5% of 300 = 15 against 0.2% of 300 ≈ 1), so the table tests the judge, not the draw.
  it.each([
    ["20% 5xx against 0.2% fails", 600, 120, 1, "fail", "fail"],
    ["5% 5xx against 0.2% fails at n=300", 300, 15, 1, "fail", "fail"],
    ["5% 5xx against 0.2% fails at n=1000", 1000, 50, 2, "fail", "fail"],
    ["a canary with fewer 5xx than the baseline (0% against 5%) passes", 600, 0, 30, "pass", "pass"],
    ["3 stray 5xx in 600 against none stays under the zero-baseline rate floor", 600, 3, 0, "pass", "pass"],
  ] as const)("errors: %s", (_, requests, canaryErrors, baselineErrors, metricVerdict, verdict) => {
    const judgement = judgePair(7, { requests, errors: canaryErrors }, { errors: baselineErrors });
    expect(metric(judgement, "errors").verdict).toBe(metricVerdict);
    expect(judgement.verdict).toBe(verdict);
  });

  it.each([
    ["0.4% against none (12/3000 against 0/1568) is significant but under +1 point", 3000, 12, 1568, 0, "pass"],
    ["6.5% against 5% is significant and +1.5 points but under ×1.5", 3000, 195, 3000, 150, "pass"],
    ["9% against 5% is over both margins", 3000, 270, 3000, 150, "fail"],
  ] as const)(
    "errors: practically worse needs both margins: %s",
    (_, requests, canaryErrors, baselineRequests, baselineErrors, verdict) => {
      const judgement = judgePair(
        5,
        { requests, errors: canaryErrors },
        { requests: baselineRequests, errors: baselineErrors },
      );
      expect(metric(judgement, "errors").pValue).toBeLessThan(0.01);
      expect(metric(judgement, "errors").verdict).toBe(verdict);
    },
  );

  it("errors: fails 8/40 5xx against 1/360 below the minimum sample, where the exact test already decides", () => {
    const judgement = judgePair(31, { requests: 40, errors: 8 }, { requests: 360, errors: 1 });
    expect(metric(judgement, "errors")).toMatchObject({ verdict: "fail", canary: { n: 40 }, baseline: { n: 360 } });
    expect(metric(judgement, "errors").pValue).toBeLessThan(1e-4);
    expect(judgement.verdict).toBe("fail");
  });

  it.each([
    [300, 45],
    [600, 50],
  ])("errors: detects 5% against 0.2% 5xx at n=%i on at least %i of 50 seeds (power)", (requests, atLeast) => {
    const failed = Array.from({ length: 50 }, (_, i) => judgePair(2000 + i, { requests, errorRate: 0.05 })).filter(
      (j) => j.verdict === "fail",
    );
    expect(failed.length).toBeGreaterThanOrEqual(atLeast);
  });

  it("zero-baseline: 0 against 3 errors with n=40 fails although Fisher alone would not", () => {
    const judgement = judgePair(3, { requests: 40, errors: 3 }, { errors: 0 });
    expect(fisherExactGreater(3, 37, 0, 40)).toBeGreaterThan(0.1);
    expect(metric(judgement, "errors")).toMatchObject({
      verdict: "fail",
      canary: { n: 40, value: 0.075 },
      baseline: { n: 40, value: 0 },
    });
    expect(metric(judgement, "errors").reason).toContain("zero-baseline rule");
    // latency (40 < 100 samples) and logs (40 < 200 requests) are inconclusive; a fail still decides.
    expect(metric(judgement, "latency").verdict).toBe("inconclusive");
    expect(judgement.verdict).toBe("fail");
  });

  it.each([
    ["+300 ms fails", { requests: 600, shiftMs: 300 }, "fail", "fail"],
    ["a faster canary passes", { requests: 600, medianMs: 50 }, "pass", "pass"],
    [
      "a slow path on a tenth of requests fails through the p95",
      { requests: 600, slowShare: 0.1, slowMs: 2000 },
      "fail",
      "fail",
    ],
  ] as const)("latency: %s", (_, canary, metricVerdict, verdict) => {
    const judgement = judgePair(11, canary);
    expect(metric(judgement, "latency").verdict).toBe(metricVerdict);
    expect(judgement.verdict).toBe(verdict);
  });

  it("latency: +5 ms on an 80 ms median at n=5000 is significant but passes the practical threshold", () => {
    const judgement = judgePair(5, { requests: 5000, shiftMs: 5 }, { requests: 5000 });
    const latency = metric(judgement, "latency");
    expect(latency.pValue).toBeLessThan(1e-6);
    expect(latency.verdict).toBe("pass");
    expect(latency.reason).toContain("significant");
    expect(judgement.verdict).toBe("pass");
  });

  it("one transient bad window (5% of requests at 5 s) fails alone but passes once merged with nine good windows", () => {
    const outcomes = Array.from({ length: 20 }, (_, i) => {
      const rand = prng(3000 + i);
      const bad = sampleTrack(rand, { ...HEALTHY, errorRate: 0.004, slowShare: 0.05, slowMs: 5000 });
      let baseline = sampleTrack(rand, HEALTHY);
      const alone = judgeCanary(bad, baseline).verdict;
      let canary = bad;
      for (let w = 0; w < 9; w++) {
        canary = mergeSamples(canary, sampleTrack(rand, HEALTHY));
        baseline = mergeSamples(baseline, sampleTrack(rand, HEALTHY));
      }
      const merged = judgeCanary(canary, baseline);
      expect(merged.samples).toEqual({ canary: 6000, baseline: 6000 });
      return [alone, merged.verdict];
    });
    // Alone the p95-exceedance test catches it on ~90% of seeds; merged, a statistic over the soak dilutes it.
    expect(outcomes.filter(([alone]) => alone === "fail").length).toBeGreaterThanOrEqual(16);
    expect(outcomes.filter(([, merged]) => merged === "pass").length).toBe(20);
  });

  it("below the minimum sample is inconclusive with a null score, and merged windows become conclusive", () => {
    const rand = prng(42);
    const window = { requests: 50 };
    let canary = sampleTrack(rand, window);
    let baseline = sampleTrack(rand, window);
    const seen: [number, Judgement["verdict"], number | null][] = [];
    for (let i = 1; i <= 4; i++) {
      if (i > 1) {
        canary = mergeSamples(canary, sampleTrack(rand, window));
        baseline = mergeSamples(baseline, sampleTrack(rand, window));
      }
      const judgement = judgeCanary(canary, baseline);
      seen.push([judgement.samples.canary, judgement.verdict, judgement.score]);
    }
    // errors need 200 requests per track (DEFAULT_JUDGE_CONFIG.errors.minRequests): three windows hold, the fourth decides.
    expect(seen).toEqual([
      [50, "inconclusive", null],
      [100, "inconclusive", null],
      [150, "inconclusive", null],
      [200, "pass", 100],
    ]);
  });

  it("a window with no traffic is inconclusive, never a pass", () => {
    const empty: TrackSample = { requests: 0, errors: 0, latenciesMs: [], logMatches: {}, synthetic: [] };
    const judgement = judgeCanary(empty, empty);
    expect(judgement).toMatchObject({ verdict: "inconclusive", score: null, samples: { canary: 0, baseline: 0 } });
    expect(judgement.metrics.map((m) => m.verdict)).toEqual([
      "inconclusive",
      "inconclusive",
      "inconclusive",
      "inconclusive",
    ]);
  });

  it.each([
    ["a critical pattern only on the canary, ≥ K matches, fails", { logMatches: { panic: 3 } }, {}, "fail", "marginal"],
    ["2 matches of a canary-only pattern stay under K", { logMatches: { panic: 2 } }, {}, "pass", "pass"],
    [
      "a pattern at 10× the baseline's rate fails",
      { logRates: { SequelizeDatabaseError: 0.05 } },
      { logRates: { SequelizeDatabaseError: 0.005 } },
      "fail",
      "marginal",
    ],
    [
      "a pattern at the baseline's rate passes",
      { logRates: { SequelizeDatabaseError: 0.02 } },
      { logRates: { SequelizeDatabaseError: 0.02 } },
      "pass",
      "pass",
    ],
  ] as const)("logs: %s", (_, canary, baseline, metricVerdict, verdict) => {
    const judgement = judgePair(13, { requests: 600, ...canary }, baseline);
    expect(metric(judgement, "logs").verdict).toBe(metricVerdict);
    expect(judgement.verdict).toBe(verdict);
  });

  it.each([
    [
      "a failed check fails the metric; weighing less than errors it leaves the canary marginal",
      [{ name: "login", ok: false }, ...HEALTHY_CHECKS],
      "fail",
      "marginal",
      85,
    ],
    ["no checks run is inconclusive and leaves the score's denominator", [], "inconclusive", "pass", 100],
    ["all checks passing passes", HEALTHY_CHECKS, "pass", "pass", 100],
  ] as const)("synthetic: %s", (_, synthetic, metricVerdict, verdict, score) => {
    const judgement = judgePair(17, { requests: 600, synthetic: [...synthetic] });
    expect(metric(judgement, "synthetic").verdict).toBe(metricVerdict);
    expect(judgement).toMatchObject({ verdict, score });
  });

  it.each([
    [
      "a failed metric weighing as much as errors caps a passing score at marginal",
      { errorRate: 0.2 },
      { errors: 1, latency: 100, logs: 1, synthetic: 1 },
      "marginal",
    ],
    [
      "a failed metric lighter than errors lets a high score pass",
      { logMatches: { panic: 5 } },
      { errors: 50, latency: 50, logs: 1, synthetic: 1 },
      "pass",
    ],
  ] as const)("score: %s", (_, canary, weights, verdict) => {
    const judgement = judgePair(19, { requests: 600, ...canary }, {}, { weights });
    expect(judgement.score).toBeGreaterThanOrEqual(95);
    expect(judgement.verdict).toBe(verdict);
  });

  const errorsNeedMore = { errors: { ...DEFAULT_JUDGE_CONFIG.errors, minRequests: 10_000 } };
  it.each<[string, Partial<TrackShape>, Judgement["verdict"], number | null]>([
    [
      "a failed synthetic check holds, as passing errors would still leave 85",
      { synthetic: [{ name: "health", ok: false }] },
      "inconclusive",
      null,
    ],
    ["+300 ms latency fails, as passing errors would still leave 70", { shiftMs: 300 }, "fail", 70],
    ["a healthy canary holds, never passes", {}, "inconclusive", null],
  ])("while errors lacks data, %s", (_, canary, verdict, score) => {
    const judgement = judgePair(23, { requests: 600, ...canary }, {}, errorsNeedMore);
    expect(metric(judgement, "errors").verdict).toBe("inconclusive");
    expect(judgement).toMatchObject({ verdict, score });
  });

  it("shows the sample counts next to the score in the reason", () => {
    const judgement = judgePair(29, HEALTHY, HEALTHY);
    expect(judgement.reason).toContain("canary n=600, baseline n=600");
    expect(judgement.metrics.every((m) => m.canary.n > 0 && m.baseline.n > 0)).toBe(true);
  });
});

describe("judge config and samples", () => {
  it("fills missing policy fields from the defaults", () => {
    expect(parseJudgeConfig(undefined)).toEqual(DEFAULT_JUDGE_CONFIG);
    expect(parseJudgeConfig({ alpha: 0.05, errors: { minRequests: 50 } })).toEqual({
      ...DEFAULT_JUDGE_CONFIG,
      alpha: 0.05,
      errors: { ...DEFAULT_JUDGE_CONFIG.errors, minRequests: 50 },
    });
  });

  it.each([
    ["a marginal score above the pass score", { marginalScore: 99 }],
    ["alpha of 0", { alpha: 0 }],
    ["an errors weight of 0", { weights: { errors: 0 } }],
    ["a ratio below 1", { latency: { minRatio: 0.9 } }],
  ])("rejects %s", (_, input) => expect(() => parseJudgeConfig(input)).toThrow());

  it("refuses a sample with more errors than requests rather than scoring it", () => {
    const broken: TrackSample = { requests: 1, errors: 2, latenciesMs: [], logMatches: {}, synthetic: [] };
    expect(() => judgeCanary(broken, broken)).toThrow(/errors cannot exceed requests/);
  });

  it("merges windows by adding counts and concatenating observations", () => {
    const a: TrackSample = {
      requests: 10,
      errors: 1,
      latenciesMs: [5],
      logMatches: { panic: 1 },
      synthetic: [{ name: "health", ok: true }],
    };
    const b: TrackSample = {
      requests: 20,
      errors: 2,
      latenciesMs: [7, 9],
      logMatches: { panic: 2, oom: 1 },
      synthetic: [{ name: "login", ok: false }],
    };
    expect(mergeSamples(a, b)).toEqual({
      requests: 30,
      errors: 3,
      latenciesMs: [5, 7, 9],
      logMatches: { panic: 3, oom: 1 },
      synthetic: [
        { name: "health", ok: true },
        { name: "login", ok: false },
      ],
    });
  });
});

describe("hard trigger over seeded soaks", () => {
  const POLICY = { hardTriggerChecks: 2, severeErrorRate: 0.5 };
  const CONFIG = parseJudgeConfig({});

  /**
   * One 10% canary step checked every interval: `requests` per check to the canary, nine times that to the
   * baseline. Returns the checks from the first failing one to the rollback, or null if it never rolled back.
   */
  function soak(seed: number, requests: number, errorRate: (check: number) => number, checks = 10): number | null {
    const rand = prng(seed);
    let state: TriggerState = { consecutiveFails: 0 };
    let firstBad: number | null = null;
    for (let check = 0; check < checks; check++) {
      const window = {
        canary: sampleTrack(rand, { requests, errorRate: errorRate(check) }),
        baseline: sampleTrack(rand, { requests: 9 * requests }),
      };
      const outcome = judgeCheck(state, window, CONFIG, POLICY);
      if (firstBad === null && metric(outcome.judgement, "errors").verdict === "fail") firstBad = check;
      if (outcome.rollBack) return check - (firstBad ?? check);
      state = outcome.next;
    }
    return null;
  }

  const tally = (results: (number | null)[]) => {
    const out: Record<string, number> = {};
    for (const r of results) out[String(r)] = (out[String(r)] ?? 0) + 1;
    return out;
  };
  const seeds = (n: number) => Array.from({ length: n }, (_, i) => 9000 + i);

  it("a 20% 5xx canary seeing ~30 requests a check rolls back one check after the first failing one on ≥ 93% of seeds, never later than two", () => {
    const gaps = seeds(400).map((seed) => soak(seed, 30, () => 0.2));
    const t = tally(gaps);
    expect(
      gaps.every((g) => g !== null && g <= 2),
      JSON.stringify(t),
    ).toBe(true);
    expect(gaps.filter((g) => g !== null && g <= 1).length, JSON.stringify(t)).toBeGreaterThanOrEqual(372);
  });

  it("with ~150 requests a check (a busy api) it is one check after the first failing one on every seed", () => {
    const gaps = seeds(200).map((seed) => soak(seed, 150, () => 0.2));
    expect(
      gaps.every((g) => g === 1 || g === 0),
      JSON.stringify(tally(gaps)),
    ).toBe(true);
  });

  it("one bad window on an otherwise healthy canary rolls back on ≤ 2% of seeds; a healthy canary on none", () => {
    const blips = seeds(400).map((seed) => soak(seed, 30, (check) => (check === 0 ? 0.2 : 0.002)));
    expect(blips.filter((g) => g !== null).length, JSON.stringify(tally(blips))).toBeLessThanOrEqual(8);
    const healthy = seeds(200).map((seed) => soak(seed, 30, () => 0.002));
    expect(healthy.filter((g) => g !== null)).toEqual([]);
  });

  it("an inconclusive check between two failing ones neither resets nor counts; a passing one resets", () => {
    const fail: SamplePair = {
      canary: sampleTrack(prng(1), { requests: 300, errors: 30 }),
      baseline: sampleTrack(prng(2), { requests: 300, errors: 0 }),
    };
    const thin: SamplePair = {
      canary: sampleTrack(prng(3), { requests: 20, errors: 0 }),
      baseline: sampleTrack(prng(4), { requests: 20, errors: 0 }),
    };
    const pass: SamplePair = {
      canary: sampleTrack(prng(5), { requests: 300, errors: 0 }),
      baseline: sampleTrack(prng(6), { requests: 300, errors: 0 }),
    };
    const first = judgeCheck({ consecutiveFails: 0 }, fail, CONFIG, POLICY);
    expect([first.rollBack, first.next.consecutiveFails]).toEqual([null, 1]);
    const held = judgeCheck(first.next, thin, CONFIG, POLICY);
    expect([
      held.judgement.verdict,
      held.rollBack,
      held.next.consecutiveFails,
      held.next.pending?.canary.requests,
    ]).toEqual(["inconclusive", null, 1, 20]);
    expect(judgeCheck(held.next, fail, CONFIG, POLICY).rollBack).toBe("2 consecutive checks");
    const reset = judgeCheck(first.next, pass, CONFIG, POLICY);
    expect([reset.judgement.verdict, reset.next.consecutiveFails]).toEqual(["pass", 0]);
    // Half the canary failing in one window does not wait for a second check.
    const severe: SamplePair = { canary: sampleTrack(prng(7), { requests: 40, errors: 20 }), baseline: fail.baseline };
    expect(judgeCheck({ consecutiveFails: 0 }, severe, CONFIG, POLICY).rollBack).toBe("50% of canary requests failing");
  });
});
