/**
 * The simulation's experiments as functions of their size, shared by the node test (small, seeded, with
 * bounds derived from the counts) and `npm run sim:canary` (10,000 soaks per check frequency).
 */
import { parseSequentialConfig, type SequentialJudgeConfig } from "../../src/monitor/sequential/config";
import { binomialUpperTail } from "../../src/monitor/stats";
import { HEALTHY, prng, type TrackBehaviour } from "./canary-world";
import { type RolloutResult, runRollout, runUntilRollback, type SoakSetup } from "./canary-soaks";

export const STEPS = [10, 50, 100];
export const SOAK_SECONDS = 300;
/** Stable-only traffic before the first step: the recent past the router (or the logs) already hold. */
export const PRE_SECONDS = 300;
export const CHECK_FREQUENCIES = [1, 5, 15, 30, 60];

/** Traffic of a healthy soak: log-uniform between 1 and 100 requests/s, bursty, drawn from the seed. */
export function healthyRps(seed: number): number {
  return Math.exp(prng(seed ^ 0x5bd1e995)() * Math.log(100));
}

export interface FalseRollbackTally {
  checkSeconds: number;
  soaks: number;
  rolledBack: number;
  promoted: number;
  halted: number;
  /** Exact (Clopper–Pearson) 95% interval of the false-rollback rate. */
  interval: [number, number];
}

/** Healthy rollouts (10/50/100, 300 s soaks) with seeds first..first+soaks−1 at one check frequency. */
export function falseRollbacks(
  checkSeconds: number,
  soaks: number,
  first = 1,
  cfg: SequentialJudgeConfig = parseSequentialConfig({}),
): FalseRollbackTally {
  const tally = { checkSeconds, soaks, rolledBack: 0, promoted: 0, halted: 0 };
  for (let seed = first; seed < first + soaks; seed++) {
    const setup: SoakSetup = {
      cfg,
      traffic: { rps: healthyRps(seed), bursty: true },
      canary: HEALTHY,
      baseline: HEALTHY,
      checkSeconds,
      preSeconds: PRE_SECONDS,
    };
    const outcome = runRollout(seed, setup, STEPS, SOAK_SECONDS).outcome;
    if (outcome === "rolled-back") tally.rolledBack++;
    else if (outcome === "promoted") tally.promoted++;
    else tally.halted++;
  }
  return { ...tally, interval: clopperPearson(tally.rolledBack, soaks) };
}

/** Exact binomial 95% interval for k successes in n trials. */
export function clopperPearson(k: number, n: number): [number, number] {
  const below = (p: number) => 1 - binomialUpperTail(k + 1, n, p); // P(X ≤ k)
  const solve = (f: (p: number) => boolean) => {
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (f(mid)) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  const lower = k === 0 ? 0 : solve((p) => binomialUpperTail(k, n, p) < 0.025);
  const upper = k === n ? 1 : solve((p) => below(p) > 0.025);
  return [lower, upper];
}

export interface Fault {
  name: string;
  canary: TrackBehaviour;
  /** Which oracle knows the fault. */
  metric: "errors" | "latency";
  /** Policy for judge and oracle alike (default: the defaults). */
  policy?: unknown;
}

export const FAULTS: Fault[] = [
  { name: "2% 5xx", canary: { ...HEALTHY, errorRate: 0.02 }, metric: "errors" },
  { name: "5% 5xx", canary: { ...HEALTHY, errorRate: 0.05 }, metric: "errors" },
  { name: "20% 5xx", canary: { ...HEALTHY, errorRate: 0.2 }, metric: "errors" },
  { name: "100% 5xx", canary: { ...HEALTHY, errorRate: 1 }, metric: "errors" },
  { name: "+20% p95", canary: { ...HEALTHY, latencyScale: 1.2 }, metric: "latency" },
  { name: "+100% p95", canary: { ...HEALTHY, latencyScale: 2 }, metric: "latency" },
  // The default margin (×1.1 + 10 ms) puts a +20% p95 just past H0's edge; with none it is a plain regression.
  {
    name: "+20% p95 m=0",
    canary: { ...HEALTHY, latencyScale: 1.2 },
    metric: "latency",
    policy: { latency: { relativeMargin: 0, absoluteMarginMs: 0 } },
  },
];

export interface SampleComparison {
  fault: string;
  checkSeconds: number;
  runs: number;
  /** Runs in which the judge (or an oracle) reached a decision before the cap. */
  decided: { judge: number; oracleShare: number; oracleFull: number };
  /** Mean canary requests to the rollback over the runs where all three decided, with the judge's 95% half-width. */
  mean: { judge: number; oracleShare: number; oracleFull: number; judgeHalfWidth: number };
  /** judge / oracle at the judge's α share for the metric, and at the whole α. */
  ratio: { share: number; full: number };
}

/**
 * Canary requests until rollback for one fault at the default traffic (10 requests/s, 10% step), judge and
 * oracles on the same seeds and looks, until each decided or the canary saw `cap` requests.
 */
export function expectedSamples(
  fault: Fault,
  checkSeconds: number,
  runs: number,
  cap: number,
  cfg: SequentialJudgeConfig = parseSequentialConfig(fault.policy),
): SampleComparison {
  const both: { judge: number; share: number; full: number }[] = [];
  const decided = { judge: 0, oracleShare: 0, oracleFull: 0 };
  for (let seed = 1; seed <= runs; seed++) {
    const setup: SoakSetup = {
      cfg,
      traffic: { rps: 10, bursty: true },
      canary: fault.canary,
      baseline: HEALTHY,
      checkSeconds,
      preSeconds: PRE_SECONDS,
    };
    const r = runUntilRollback(seed, setup, 10, cap);
    const o = r.oracle[fault.metric];
    if (r.judge !== null) decided.judge++;
    if (o.share !== null) decided.oracleShare++;
    if (o.full !== null) decided.oracleFull++;
    if (r.judge !== null && o.share !== null && o.full !== null)
      both.push({ judge: r.judge, share: o.share, full: o.full });
  }
  const avg = (f: (x: (typeof both)[number]) => number) => both.reduce((s, x) => s + f(x), 0) / both.length;
  const judge = avg((x) => x.judge);
  const sd = Math.sqrt(avg((x) => (x.judge - judge) ** 2));
  const mean = {
    judge,
    oracleShare: avg((x) => x.share),
    oracleFull: avg((x) => x.full),
    judgeHalfWidth: (1.96 * sd) / Math.sqrt(both.length),
  };
  return {
    fault: fault.name,
    checkSeconds,
    runs,
    decided,
    mean,
    ratio: { share: mean.judge / mean.oracleShare, full: mean.judge / mean.oracleFull },
  };
}

export interface DetectionTally {
  fault: string;
  checkSeconds: number;
  rollouts: number;
  /** Rollouts rolled back before promotion, by the judge and (on the same data and looks) by the oracles. */
  judge: number;
  oracleShare: number;
  oracleFull: number;
  /** Mean simulated seconds from the first step's start to the judge's rollback. */
  meanSeconds: number;
}

/** A faulty canary through the whole rollout at the default traffic: how often each catches it before 100%. */
export function detection(
  fault: Fault,
  checkSeconds: number,
  rollouts: number,
  cfg: SequentialJudgeConfig = parseSequentialConfig(fault.policy),
): DetectionTally {
  const results: RolloutResult[] = [];
  for (let seed = 1; seed <= rollouts; seed++) {
    results.push(
      runRollout(
        seed,
        {
          cfg,
          traffic: { rps: 10, bursty: true },
          canary: fault.canary,
          baseline: HEALTHY,
          checkSeconds,
          preSeconds: PRE_SECONDS,
        },
        STEPS,
        SOAK_SECONDS,
        true,
      ),
    );
  }
  const caught = results.filter((r) => r.outcome === "rolled-back");
  return {
    fault: fault.name,
    checkSeconds,
    rollouts,
    judge: caught.length,
    oracleShare: results.filter((r) => r.oracle[fault.metric].share !== null).length,
    oracleFull: results.filter((r) => r.oracle[fault.metric].full !== null).length,
    meanSeconds: caught.reduce((s, r) => s + r.seconds, 0) / Math.max(1, caught.length),
  };
}
