import { describe, expect, it } from "vitest";
import { parseSequentialConfig } from "../../src/monitor/sequential/config";
import { binomialUpperTail } from "../../src/monitor/stats";
import { clopperPearson, detection, expectedSamples, FAULTS, falseRollbacks } from "../sim/canary-report";
import { HEALTHY } from "../sim/canary-world";
import { runRollout } from "../sim/canary-soaks";

// The seeded, smaller version of `npm run sim:canary` (10,000 soaks per frequency there). Every bound below
// follows from the number of soaks: a count is refused only when a judge that really held its α would
// produce it less than once in a thousand runs of this file.
const fault = (name: string) => FAULTS.find((f) => f.name === name)!;
const implausibleAbove = (alpha: number, soaks: number) => {
  let k = 0;
  while (binomialUpperTail(k, soaks, alpha) >= 1e-3) k++;
  return k; // the smallest count with P(≥ k | rate α) < 0.001
};

describe("healthy canaries: false rollbacks stay below α at any check frequency", () => {
  it.each([1, 30])(
    "α = 0.01, 150 rollouts checked every %i s (10/50/100, 1–100 req/s, bursty)",
    (checkSeconds) => {
      const t = falseRollbacks(checkSeconds, 150, 1);
      expect(t.rolledBack, JSON.stringify(t)).toBeLessThan(implausibleAbove(0.01, 150));
      // Low traffic halts rather than passing: fewer than 200 canary requests in a 10% step, even extended.
      expect(t.halted).toBeGreaterThan(0);
      expect(t.promoted + t.halted + t.rolledBack).toBe(150);
    },
    120_000,
  );

  it("α = 0.2, where a judge that peeks without paying for it would roll back often: 150 rollouts at 5 s", () => {
    const t = falseRollbacks(5, 150, 1001, parseSequentialConfig({ alpha: 0.2 }));
    expect(t.rolledBack, JSON.stringify(t)).toBeLessThan(implausibleAbove(0.2, 150));
    expect(t.interval[0]).toBeLessThanOrEqual(0.2);
  }, 120_000);

  it("reports an exact 95% interval for the rate", () => {
    const [lo, hi] = clopperPearson(0, 10_000);
    expect(lo).toBe(0);
    expect(hi).toBeCloseTo(3.6883e-4, 6); // 1 − 0.025^(1/10000)
    const [lo3, hi3] = clopperPearson(3, 100);
    expect(lo3).toBeCloseTo(0.0062, 3);
    expect(hi3).toBeCloseTo(0.0852, 3);
  });
});

describe("faulty canaries against the oracle SPRT that knows the true rates", () => {
  // Seeded means over 150 runs at 10 req/s, 10% step; the judge's mean must sit within 2× the oracle's
  // even at the top of its 95% interval (oracle at the judge's α share for 5xx), and its point estimate
  // within 2× the oracle at the whole α.
  it.each(["5% 5xx", "20% 5xx", "100% 5xx"])(
    "%s: expected canary requests to rollback ≤ 2× the oracle's",
    (name) => {
      for (const checkSeconds of [1, 30]) {
        const c = expectedSamples(fault(name), checkSeconds, 150, 60_000);
        expect(c.decided.judge, JSON.stringify(c)).toBe(150);
        expect(c.mean.judge + c.mean.judgeHalfWidth, JSON.stringify(c)).toBeLessThanOrEqual(2 * c.mean.oracleShare);
        expect(c.ratio.full, JSON.stringify(c)).toBeLessThanOrEqual(2);
      }
    },
    120_000,
  );

  it("+100% p95 is caught in every rollout, and a healthy canary's own noise is not", () => {
    const d = detection(fault("+100% p95"), 5, 60);
    expect(d.judge).toBe(60);
    const c = expectedSamples(fault("+100% p95"), 5, 100, 60_000);
    expect(c.ratio.share, JSON.stringify(c)).toBeLessThan(2.5);
  }, 60_000);

  it("20% 5xx at the 10% step of a rollout at 10 req/s reaches 0% canary within 20 s on most seeds", () => {
    const seconds = Array.from({ length: 100 }, (_, i) =>
      runRollout(
        5000 + i,
        {
          cfg: parseSequentialConfig({}),
          traffic: { rps: 10, bursty: false },
          canary: { ...HEALTHY, errorRate: 0.2 },
          baseline: HEALTHY,
          checkSeconds: 1,
          preSeconds: 300,
        },
        [10, 50, 100],
        300,
      ),
    );
    expect(seconds.every((r) => r.outcome === "rolled-back" && r.weight === 10)).toBe(true);
    // The oracle itself needs ≥ 3 failures among ~20 canary requests (P ≈ 0.8); the judge a few more.
    expect(seconds.filter((r) => r.seconds <= 20).length).toBeGreaterThanOrEqual(40);
  }, 60_000);
});
