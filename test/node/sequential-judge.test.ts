import { describe, expect, it } from "vitest";
import { LAST_LATENCY_BUCKET, latencyBucket, latencyBucketUpperMs } from "../../src/domain/latency-buckets";
import { batchesFromSeconds, countsFromSample, RouterReportSchema } from "../../src/monitor/sequential/batches";
import { DEFAULT_SEQUENTIAL_CONFIG, parseSequentialConfig } from "../../src/monitor/sequential/config";
import {
  type CountFamily,
  type CountMargin,
  type CountTally,
  countEvidence,
  nullLogSup,
} from "../../src/monitor/sequential/count-evidence";
import { describeVerdict } from "../../src/monitor/sequential/explain";
import { evaluateSequential, judgeBatch, stepOutcome } from "../../src/monitor/sequential/judge";
import {
  emptyLatencyTally,
  latencyEvidence,
  observeLatency,
  REFERENCE_DURATIONS,
} from "../../src/monitor/sequential/latency-evidence";
import { betaBernoulliLogMarginal, lnGamma } from "../../src/monitor/sequential/mixture";
import {
  beginStep,
  type CountBatch,
  extendStep,
  type SequentialState,
  SequentialStateSchema,
  startSequentialJudge,
  TrackCountsSchema,
} from "../../src/monitor/sequential/state";
import { prng } from "../sim/canary-world";

const ERRORS: CountMargin = { relative: 0.5, absolute: 0.01 };
const tally = (nc: number, xc: number, nb: number, xb: number): CountTally => ({
  canary: { n: nc, x: xc },
  baseline: { n: nb, x: xb },
});
const lnChoose = (n: number, k: number) => lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1);
const binomialPmf = (k: number, n: number, p: number) =>
  Math.exp(lnChoose(n, k) + (k ? k * Math.log(p) : 0) + (n - k ? (n - k) * Math.log1p(-p) : 0));

describe("numerics", () => {
  it.each([
    [0.5, Math.log(Math.sqrt(Math.PI))],
    [5, Math.log(24)],
    [100.5, 361.4355404677776],
  ])("ln Γ(%d)", (z, want) => expect(lnGamma(z)).toBeCloseTo(want, 9));

  it("the Beta(1,1) mixture of a sequence with x of n events is x!(n−x)!/(n+1)!", () => {
    for (const [x, n] of [
      [0, 5],
      [3, 10],
      [10, 10],
    ])
      expect(betaBernoulliLogMarginal(x, n, 1, 1)).toBeCloseTo(
        lnGamma(x + 1) + lnGamma(n - x + 1) - lnGamma(n + 2),
        10,
      );
  });

  it.each<CountFamily>(["bernoulli", "poisson"])(
    "the %s null's supremum is the maximum over H0 (checked on a fine grid)",
    (family) => {
      const rand = prng(7);
      for (let trial = 0; trial < 60; trial++) {
        const nc = 1 + Math.floor(rand() * 60);
        const nb = Math.floor(rand() * 300);
        const t = tally(nc, Math.floor(rand() * (nc + 1)), nb, Math.floor(rand() * (nb + 1) * 0.1));
        const margin = { relative: rand(), absolute: rand() * 0.05 };
        const ll = (x: number, n: number, p: number) =>
          family === "bernoulli"
            ? (x ? x * Math.log(p) : 0) + (n - x ? (n - x) * Math.log1p(-p) : 0)
            : (x ? x * Math.log(p) : 0) - n * p;
        let best = Number.NEGATIVE_INFINITY;
        for (let i = 0; i <= 20_000; i++) {
          const rb = (family === "bernoulli" ? 1 : 2) * (i / 20_000);
          const limit = (1 + margin.relative) * rb + margin.absolute;
          const rc = Math.min(t.canary.x / t.canary.n, family === "bernoulli" ? Math.min(1, limit) : limit);
          best = Math.max(best, ll(t.canary.x, t.canary.n, rc) + ll(t.baseline.x, t.baseline.n, rb));
        }
        const sup = nullLogSup(t, family, margin);
        expect(sup).toBeGreaterThanOrEqual(best - 1e-9);
        expect(sup - best).toBeLessThan(1e-2);
      }
    },
  );
});

describe("count evidence is anytime-valid", () => {
  // At points on H0's boundary, where a canary is as bad as the margin allows: the hardest nulls.
  const boundary = [0, 0.002, 0.01, 0.05, 0.3].map((rb) => ({ rb, rc: Math.min(1, 1.5 * rb + 0.01) }));

  it.each(boundary)(
    "its mean is at most 1 at a fixed sample size (baseline $rb, canary $rc; exact sum)",
    ({ rb, rc }) => {
      const [nc, nb] = [30, 120];
      let mean = 0;
      for (let xc = 0; xc <= nc; xc++) {
        const pc = binomialPmf(xc, nc, rc);
        if (pc < 1e-300) continue;
        for (let xb = 0; xb <= nb; xb++) {
          const pb = binomialPmf(xb, nb, rb);
          if (pb < 1e-300) continue;
          mean += pc * pb * Math.exp(countEvidence(tally(nc, xc, nb, xb), "bernoulli", ERRORS).logE);
        }
      }
      expect(mean).toBeLessThanOrEqual(1);
    },
  );

  it.each(boundary)(
    "the chance it ever reaches 1/α over 40 looks is at most α (baseline $rb, canary $rc; exact over all paths)",
    ({ rb, rc }) => {
      // Each look adds one canary and four baseline requests; mass that reaches 1/α = 20 stops there. Paths
      // below 1e-14 are counted as rejected, so the bound only gets more cautious.
      const alpha = 0.05;
      let mass = new Map<number, number>([[0, 1]]);
      let rejected = 0;
      for (let look = 1; look <= 40; look++) {
        const next = new Map<number, number>();
        for (const [key, p] of mass)
          for (let dc = 0; dc <= 1; dc++)
            for (let db = 0; db <= 4; db++) {
              const q = p * binomialPmf(dc, 1, rc) * binomialPmf(db, 4, rb);
              const child = key + dc * 1000 + db;
              if (q > 0) next.set(child, (next.get(child) ?? 0) + q);
            }
        mass = new Map();
        for (const [key, p] of next) {
          const t = tally(look, Math.floor(key / 1000), 4 * look, key % 1000);
          if (p < 1e-14 || countEvidence(t, "bernoulli", ERRORS).logE >= Math.log(1 / alpha)) rejected += p;
          else mass.set(key, p);
        }
      }
      expect(rejected).toBeLessThanOrEqual(alpha);
    },
  );

  it("reaches any threshold once the canary is clearly worse, and stays quiet when it is not", () => {
    expect(countEvidence(tally(300, 60, 2700, 5), "bernoulli", ERRORS).logE).toBeGreaterThan(30);
    expect(countEvidence(tally(300, 1, 2700, 5), "bernoulli", ERRORS).logE).toBeLessThan(0);
    // A canary below the baseline's rate is evidence for H0, never against it.
    expect(countEvidence(tally(300, 0, 2700, 60), "bernoulli", ERRORS).logE).toBeLessThan(0);
  });

  it("depends on the running totals only, so batching the same counts differently changes nothing", () => {
    const a = countEvidence(tally(123, 9, 1107, 3), "bernoulli", ERRORS).logE;
    expect(countEvidence({ canary: { n: 123, x: 9 }, baseline: { n: 1107, x: 3 } }, "bernoulli", ERRORS).logE).toBe(a);
  });
});

describe("latency evidence", () => {
  const margin = { quantile: 0.95, relative: 0.1, absoluteMs: 10 };
  const histogram = (values: number[]) => {
    const h = new Array<number>(LAST_LATENCY_BUCKET + 1).fill(0);
    for (const v of values) h[latencyBucket(v)]++;
    return h;
  };
  const healthy = (rand: () => number, n: number, scale = 1) =>
    Array.from(
      { length: n },
      () => scale * 80 * Math.exp(0.35 * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())),
    );

  it("puts each duration in the bucket whose upper edge is the first at or above it", () => {
    expect(latencyBucket(0.5)).toBe(0);
    expect(latencyBucket(latencyBucketUpperMs(90))).toBe(90);
    expect(latencyBucket(latencyBucketUpperMs(90) * 1.0001)).toBe(91);
    expect(latencyBucket(1e9)).toBe(LAST_LATENCY_BUCKET);
    expect(latencyBucketUpperMs(LAST_LATENCY_BUCKET)).toBe(Number.POSITIVE_INFINITY);
  });

  it("fixes its reference from the baseline alone, then compares the canary durations that waited for it", () => {
    const rand = prng(3);
    let t = observeLatency(emptyLatencyTally(), histogram(healthy(rand, 30)), histogram(healthy(rand, 100)), margin);
    expect(t.reference).toBeNull();
    expect(latencyEvidence(t, margin).logE).toBe(0);
    t = observeLatency(t, histogram(healthy(rand, 30)), histogram(healthy(rand, REFERENCE_DURATIONS)), margin);
    expect(t.reference).not.toBeNull();
    // The 60 canary durations that came before the reference are compared once; the baseline's are not.
    expect(t.exceedances.canary.n).toBe(60);
    expect(t.exceedances.baseline.n).toBe(0);
    const ev = latencyEvidence(t, margin);
    expect(ev.thresholdMs).toBeCloseTo(ev.referenceMs! * 1.1 + 10, 9);
  });

  it("never counts a canary duration in the bucket holding the threshold as above it", () => {
    const rand = prng(4);
    const t = observeLatency(emptyLatencyTally(), [], histogram(healthy(rand, 1000)), margin);
    const threshold = latencyEvidence(t, margin).thresholdMs!;
    const next = observeLatency(t, histogram([threshold * 1.001, threshold * 1.2]), [], margin);
    expect(next.exceedances.canary).toEqual({ n: 2, x: 1 });
  });

  it("stays quiet for a canary like the baseline and rolls back a canary twice as slow", () => {
    const quiet = (scale: number) => {
      const rand = prng(5);
      let t = observeLatency(emptyLatencyTally(), [], histogram(healthy(rand, 3000)), margin);
      for (let s = 0; s < 60; s++)
        t = observeLatency(t, histogram(healthy(rand, 5, scale)), histogram(healthy(rand, 45)), margin);
      return latencyEvidence(t, margin).logE;
    };
    expect(quiet(1)).toBeLessThan(0);
    expect(quiet(2)).toBeGreaterThan(Math.log(1 / (0.3 * 0.01)));
  });
});

describe("the anytime-valid judge", () => {
  const cfg = parseSequentialConfig({});
  const batch = (
    canary: Partial<CountBatch["canary"]>,
    baseline: Partial<CountBatch["baseline"]> = {},
  ): CountBatch => ({
    canary: { requests: 0, errors: 0, ...canary },
    baseline: { requests: 0, errors: 0, ...baseline },
  });
  const started = () => beginStep(startSequentialJudge(cfg), { index: 0, weight: 10, at: 0 });

  it("rolls back a 100% 5xx canary within a few requests, records the moment once and keeps it", () => {
    let state = started();
    let rolledBackAt: number | null = null;
    for (let s = 1; s <= 10 && rolledBackAt === null; s++) {
      state = judgeBatch(state, batch({ requests: 1, errors: 1 }, { requests: 9 }), cfg, s).state;
      if (state.rollback) rolledBackAt = s;
    }
    expect(rolledBackAt).toBeLessThanOrEqual(4);
    expect(state.rollback).toMatchObject({ at: rolledBackAt, metric: "errors" });
    const later = judgeBatch(state, batch({ requests: 100 }, { requests: 900 }), cfg, 99).state;
    expect(later.rollback).toEqual(state.rollback);
    expect(stepOutcome(later, cfg, true)).toMatchObject({ kind: "rollback" });
  });

  it("zero baseline: 6 of 40 canary 5xx against 0 of 360 roll back; 3 of 40 stay within the 1-point margin", () => {
    const bad = judgeBatch(started(), batch({ requests: 40, errors: 6 }, { requests: 360 }), cfg, 1);
    expect(bad.verdict.decision).toBe("rollback");
    const within = judgeBatch(started(), batch({ requests: 40, errors: 3 }, { requests: 360 }), cfg, 1);
    expect(within.verdict.decision).toBe("continue");
  });

  it("below the minimum sample the step extends once, then halts for a person; no data never passes", () => {
    let state = judgeBatch(started(), batch({}), cfg, 300).state;
    const first = stepOutcome(state, cfg, true);
    expect(first.kind).toBe("extend");
    state = extendStep(state);
    expect(stepOutcome(state, cfg, true)).toMatchObject({ kind: "halt" });
    expect(stepOutcome(state, cfg, false)).toEqual({ kind: "continue" });
  });

  it("passes a step that soaked with enough samples and no evidence, saying so with its counts", () => {
    const latency = { [latencyBucket(80)]: 1 };
    let state = judgeBatch(
      started(),
      batch({}, { requests: 3000, errors: 6, latency: { [latencyBucket(80)]: 3000 } }),
      cfg,
      0,
    ).state;
    for (let s = 1; s <= 300; s++)
      state = judgeBatch(
        state,
        batch({ requests: 1, latency }, { requests: 9, latency: { [latencyBucket(80)]: 9 } }),
        cfg,
        s,
      ).state;
    const outcome = stepOutcome(state, cfg, true);
    expect(outcome.kind).toBe("pass");
    expect((outcome as { reason: string }).reason).toContain("canary n=300, baseline n=5700");
  });

  it("gives the same evidence whether the counts come every second or in one 30 s window", () => {
    const rand = prng(11);
    const seconds: CountBatch[] = Array.from({ length: 30 }, () => {
      const h = (n: number) => ({ [latencyBucket(60 + rand() * 200)]: n });
      return batch(
        { requests: 2, errors: rand() < 0.1 ? 1 : 0, latency: h(2), logMatches: { panic: rand() < 0.05 ? 1 : 0 } },
        { requests: 18, errors: rand() < 0.05 ? 1 : 0, latency: h(18) },
      );
    });
    const warm = judgeBatch(
      started(),
      batch({}, { requests: 3000, latency: { [latencyBucket(120)]: 3000 } }),
      cfg,
      0,
    ).state;
    let perSecond = warm;
    for (const b of seconds) perSecond = judgeBatch(perSecond, b, cfg, 1).state;
    const window = seconds.reduce((acc, b) => ({
      canary: sum(acc.canary, b.canary),
      baseline: sum(acc.baseline, b.baseline),
    }));
    const once = judgeBatch(warm, window, cfg, 30).state;
    const logEs = (s: SequentialState) => evaluateSequential(s, cfg).metrics.map((m) => [m.metric, m.logE]);
    expect(logEs(perSecond)).toEqual(logEs(once));
  });

  it("counts log lines only from batches that carry them, against the requests their window covered", () => {
    let state = judgeBatch(started(), batch({ requests: 5, errors: 1 }, { requests: 45 }), cfg, 1).state;
    expect(state.logs.panic).toEqual({ canary: { n: 0, x: 0 }, baseline: { n: 0, x: 0 } });
    state = judgeBatch(
      state,
      batch(
        { requests: 0, logMatches: { panic: 2 }, logRequests: 30 },
        { requests: 0, logMatches: {}, logRequests: 270 },
      ),
      cfg,
      30,
    ).state;
    expect(state.logs.panic).toEqual({ canary: { n: 30, x: 2 }, baseline: { n: 270, x: 0 } });
    expect(state.errors).toEqual({ canary: { n: 5, x: 1 }, baseline: { n: 45, x: 0 } });
  });

  it("resumes from its JSON exactly, as after a Durable Object eviction", () => {
    let live = started();
    let stored = JSON.stringify(live);
    const rand = prng(12);
    for (let s = 1; s <= 50; s++) {
      const b = batch({ requests: 3, errors: rand() < 0.2 ? 1 : 0 }, { requests: 27 });
      live = judgeBatch(live, b, cfg, s).state;
      stored = JSON.stringify(judgeBatch(JSON.parse(stored) as SequentialState, b, cfg, s).state);
    }
    expect(JSON.parse(stored)).toEqual(JSON.parse(JSON.stringify(live)));
    expect(SequentialStateSchema.parse(JSON.parse(stored))).toEqual(JSON.parse(stored));
    const corrupt = JSON.parse(stored);
    corrupt.errors.canary.x = null; // what JSON makes of NaN
    expect(SequentialStateSchema.safeParse(corrupt).success).toBe(false);
  });

  it("shows every metric with its sample counts, weight and own threshold, and explains the verdict", () => {
    const { verdict } = judgeBatch(
      started(),
      batch({ requests: 40, errors: 1, checks: { ok: 1, failed: 0 } }, { requests: 360 }),
      cfg,
      1,
    );
    expect(verdict.metrics.map((m) => m.metric)).toEqual(["errors", "latency", "logs", "synthetic"]);
    const errors = verdict.metrics[0];
    expect(errors).toMatchObject({
      canary: { n: 40, value: 1 / 40 },
      baseline: { n: 360, value: 0 },
      events: { canary: 1, baseline: 0 },
    });
    expect(errors.logThreshold).toBeCloseTo(Math.log(1 / (0.5 * 0.01)), 12);
    expect(verdict.metrics.find((m) => m.metric === "synthetic")?.canary.n).toBe(1);
    const text = describeVerdict(verdict, cfg);
    expect(text).toContain("1/α = 100");
    expect(text).toContain("canary n=40, baseline n=360");
  });

  it("leaves out a metric weighing 0 and shares α among the rest", () => {
    const only = parseSequentialConfig({ weights: { latency: 0, logs: 0, synthetic: 0 } });
    const { verdict } = judgeBatch(
      beginStep(startSequentialJudge(only), { index: 0, weight: 10, at: 0 }),
      batch({ requests: 1 }),
      only,
      1,
    );
    expect(verdict.metrics.map((m) => m.metric)).toEqual(["errors"]);
    expect(verdict.metrics[0].logThreshold).toBeCloseTo(Math.log(100), 12);
  });
});

describe("config and wire counts", () => {
  it("fills missing policy fields from the defaults", () => {
    expect(parseSequentialConfig(undefined)).toEqual(DEFAULT_SEQUENTIAL_CONFIG);
    expect(parseSequentialConfig({ alpha: 0.05, errors: { absoluteMargin: 0.02 } }).errors).toEqual({
      ...DEFAULT_SEQUENTIAL_CONFIG.errors,
      absoluteMargin: 0.02,
    });
  });

  it.each([
    ["alpha of 0", { alpha: 0 }],
    ["an errors weight of 0", { weights: { errors: 0 } }],
    ["a negative margin", { latency: { relativeMargin: -0.1 } }],
    ["a quantile of 1", { latency: { quantile: 1 } }],
  ])("rejects %s", (_, input) => expect(() => parseSequentialConfig(input)).toThrow());

  it("refuses counts that cannot be counts", () => {
    expect(TrackCountsSchema.safeParse({ requests: 1, errors: 2 }).success).toBe(false);
    expect(TrackCountsSchema.safeParse({ requests: 1, errors: 0, latency: { "80": -1 } }).success).toBe(false);
    expect(TrackCountsSchema.safeParse({ requests: 3, errors: 1, latency: { "90": 3 } }).success).toBe(true);
  });
});

describe("both routers' data as batches", () => {
  it("turns a load-balancer check window into counts", () => {
    const counts = countsFromSample({
      requests: 3,
      errors: 1,
      latenciesMs: [80, 80, 400],
      logMatches: { panic: 2 },
      synthetic: [
        { name: "health", ok: true },
        { name: "login", ok: false },
      ],
    });
    expect(counts).toEqual({
      requests: 3,
      errors: 1,
      latency: { [latencyBucket(80)]: 2, [latencyBucket(400)]: 1 },
      logMatches: { panic: 2 },
      checks: { ok: 1, failed: 1 },
    });
  });

  const second = (at: number, track: "stable" | "canary", salt: string, requests: number, errors: number) => ({
    at,
    track,
    revision: 3,
    salt,
    requests,
    status: { "2xx": requests - errors, "3xx": 0, "4xx": 0, "5xx": errors },
    latency: { [latencyBucket(90)]: requests },
  });

  it("checks an edge router report and adds up the isolates' counts per second of the step", () => {
    const report = {
      v: 1,
      router: "1.0.0",
      route: "invoice-perfect:production/api",
      isolate: "a",
      seq: 4,
      dropped: 0,
      seconds: [
        second(100, "canary", "step_2", 2, 1),
        second(100, "stable", "step_2", 18, 0),
        second(100, "canary", "step_2", 1, 0),
        second(99, "canary", "step_1", 5, 5),
        second(101, "stable", "step_2", 9, 0),
      ],
    };
    expect(RouterReportSchema.parse(report)).toEqual(report);
    expect(RouterReportSchema.safeParse({ ...report, seconds: [{ ...report.seconds[0], requests: 5 }] }).success).toBe(
      false,
    );
    expect(batchesFromSeconds(report.seconds, "step_2")).toEqual([
      {
        at: 100,
        batch: {
          canary: { requests: 3, errors: 1, latency: { [latencyBucket(90)]: 3 } },
          baseline: { requests: 18, errors: 0, latency: { [latencyBucket(90)]: 18 } },
        },
      },
      {
        at: 101,
        batch: {
          canary: { requests: 0, errors: 0, latency: {} },
          baseline: { requests: 9, errors: 0, latency: { [latencyBucket(90)]: 9 } },
        },
      },
    ]);
  });
});

function sum(a: CountBatch["canary"], b: CountBatch["canary"]): CountBatch["canary"] {
  const latency: Record<string, number> = { ...(a.latency as Record<string, number>) };
  for (const [k, v] of Object.entries(b.latency as Record<string, number>)) latency[k] = (latency[k] ?? 0) + v;
  const logMatches: Record<string, number> = { ...a.logMatches };
  for (const [k, v] of Object.entries(b.logMatches ?? {})) logMatches[k] = (logMatches[k] ?? 0) + v;
  return { requests: a.requests + b.requests, errors: a.errors + b.errors, latency, logMatches };
}
