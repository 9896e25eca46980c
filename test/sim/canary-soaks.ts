/**
 * Seeded soaks through the anytime-valid judge, each beside the oracle SPRT looking at the same moments:
 * whole rollouts (the false-rollback rate, detection within a rollout) and a single step run until the
 * judge decides (the expected number of canary requests to a rollback).
 */
import { LAST_LATENCY_BUCKET } from "../../src/domain/latency-buckets";
import { normalizedWeights, type SequentialJudgeConfig } from "../../src/monitor/sequential/config";
import { judgeBatch, stepOutcome } from "../../src/monitor/sequential/judge";
import {
  beginStep,
  type CountBatch,
  extendStep,
  type SequentialState,
  startSequentialJudge,
} from "../../src/monitor/sequential/state";
import {
  drawTrackSecond,
  prng,
  split,
  type Traffic,
  type TrackBehaviour,
  type TrackSecond,
  WorldClock,
} from "./canary-world";
import { errorsOracle, latencyOracle, type OracleTest, oracleLatencyThresholdMs, oracleLogLR } from "./oracle";

export interface SoakSetup {
  cfg: SequentialJudgeConfig;
  traffic: Traffic;
  canary: TrackBehaviour;
  baseline: TrackBehaviour;
  /** Seconds between looks (the check interval; 1 for the edge router's per-second counts). */
  checkSeconds: number;
  /** Stable-only traffic the judge sees before the first step (the router's or the logs' recent past). */
  preSeconds: number;
}

/** When each oracle would have rejected: canary requests seen at that look, or null. */
export interface OracleCrossings {
  /** At the metric's share of α (the same α the judge spends on it) and at the whole α. */
  errors: { share: number | null; full: number | null };
  latency: { share: number | null; full: number | null };
}

const BUCKETS = LAST_LATENCY_BUCKET + 1;

/** Sums seconds into one look's batch, and keeps the oracle's running canary counts. */
class LookAccumulator {
  // Two pairs of histograms, swapped at each look: the judge copies what it keeps, so the pair handed out
  // stays valid until the next look, and a look allocates nothing.
  #latency = [new Float64Array(BUCKETS), new Float64Array(BUCKETS)];
  #spare = [new Float64Array(BUCKETS), new Float64Array(BUCKETS)];
  batch: CountBatch = this.#empty();
  canaryRequests = 0;
  canaryErrors = 0;
  canaryAbove = 0;

  add(canary: TrackSecond, baseline: TrackSecond): void {
    this.#addTrack(this.batch.canary, this.#latency[0], canary);
    this.#addTrack(this.batch.baseline, this.#latency[1], baseline);
    this.canaryRequests += canary.requests;
    this.canaryErrors += canary.errors;
    this.canaryAbove += canary.aboveOracle;
  }

  /** The look's batch (its histograms valid until the next take); the accumulator starts the next look empty. */
  take(): CountBatch {
    const batch = this.batch;
    batch.canary.latency = this.#latency[0];
    batch.baseline.latency = this.#latency[1];
    [this.#latency, this.#spare] = [this.#spare, this.#latency];
    this.#latency[0].fill(0);
    this.#latency[1].fill(0);
    this.batch = this.#empty();
    return batch;
  }

  #empty(): CountBatch {
    const track = () => ({ requests: 0, errors: 0, logMatches: {}, checks: { ok: 0, failed: 0 } });
    return { canary: track(), baseline: track() };
  }

  #addTrack(into: CountBatch["canary"], latency: Float64Array, s: TrackSecond): void {
    into.requests += s.requests;
    into.errors += s.errors;
    for (const b of s.buckets) latency[b]++;
    const logs = into.logMatches as Record<string, number>;
    for (const p in s.logMatches) logs[p] = (logs[p] ?? 0) + s.logMatches[p];
    const checks = into.checks as { ok: number; failed: number };
    checks.ok += s.checks.ok;
    checks.failed += s.checks.failed;
  }
}

/** The oracles of a setup and the ln(1/α) each is held to. */
function oraclesOf(setup: SoakSetup) {
  const w = normalizedWeights(setup.cfg);
  const { alpha } = setup.cfg;
  return {
    errors: errorsOracle(setup.cfg, setup.canary, setup.baseline),
    latency: latencyOracle(setup.cfg, setup.canary),
    threshold: {
      errors: { share: Math.log(1 / (w.errors * alpha)), full: Math.log(1 / setup.cfg.alpha) },
      latency: { share: Math.log(1 / (w.latency * alpha)), full: Math.log(1 / setup.cfg.alpha) },
    },
  };
}

function crossOracle(
  crossings: { share: number | null; full: number | null },
  test: OracleTest,
  thresholds: { share: number; full: number },
  x: number,
  n: number,
): void {
  if (!test.detectable || (crossings.share !== null && crossings.full !== null)) return;
  const llr = oracleLogLR(test, x, n);
  if (crossings.share === null && llr >= thresholds.share) crossings.share = n;
  if (crossings.full === null && llr >= thresholds.full) crossings.full = n;
}

/** A world for one soak: a seeded stream, its traffic and the oracle's latency threshold. */
function worldOf(seed: number, setup: SoakSetup) {
  const rand = prng(seed);
  const clock = new WorldClock(rand, setup.traffic);
  const oracleMs = oracleLatencyThresholdMs(setup.cfg);
  const second = (t: number, weight: number) => {
    const n = clock.arrivals();
    const k = split(rand, n, weight / 100);
    return {
      canary: drawTrackSecond(rand, k, setup.canary, t, oracleMs),
      baseline: drawTrackSecond(rand, n - k, setup.baseline, t, oracleMs),
    };
  };
  return { rand, second };
}

/** The judge after `preSeconds` of stable-only traffic, as the step's baseline history. */
function warmedJudge(
  setup: SoakSetup,
  second: (t: number, weight: number) => { canary: TrackSecond; baseline: TrackSecond },
) {
  let state = startSequentialJudge(setup.cfg, -setup.preSeconds);
  const acc = new LookAccumulator();
  for (let t = -setup.preSeconds; t < 0; t++) {
    const s = second(t, 0);
    acc.add(s.canary, s.baseline);
  }
  if (setup.preSeconds > 0) state = judgeBatch(state, acc.take(), setup.cfg, 0).state;
  return state;
}

export interface RolloutResult {
  outcome: "promoted" | "rolled-back" | "halted";
  /** Simulated seconds from the first step's start to the outcome. */
  seconds: number;
  /** Canary requests seen when the outcome was decided. */
  canaryRequests: number;
  /** Weight of the step the outcome happened at. */
  weight: number;
  oracle: OracleCrossings;
}

/**
 * A whole rollout (steps with soaks; a step short of samples extends once, then halts). With
 * `oracleHorizon`, once the judge has decided the world runs on at the nominal schedule (each step one
 * soak) so the oracles get the whole rollout to decide in, whatever the judge did.
 */
export function runRollout(
  seed: number,
  setup: SoakSetup,
  steps: number[],
  soakSeconds: number,
  oracleHorizon = false,
): RolloutResult {
  const { second } = worldOf(seed, setup);
  const oracles = oraclesOf(setup);
  const oracle: OracleCrossings = { errors: { share: null, full: null }, latency: { share: null, full: null } };
  let state: SequentialState = warmedJudge(setup, second);
  const acc = new LookAccumulator();
  const look = () => {
    crossOracle(oracle.errors, oracles.errors, oracles.threshold.errors, acc.canaryErrors, acc.canaryRequests);
    crossOracle(oracle.latency, oracles.latency, oracles.threshold.latency, acc.canaryAbove, acc.canaryRequests);
  };
  let t = 0;
  let result: RolloutResult | null = null;
  for (let index = 0; index < steps.length && result === null; index++) {
    const weight = steps[index];
    state = beginStep(state, { index, weight, at: t });
    let soakEnd = t + soakSeconds;
    for (;;) {
      const s = second(t, weight);
      acc.add(s.canary, s.baseline);
      t++;
      const ended = t >= soakEnd;
      if (t % setup.checkSeconds !== 0 && !ended) continue;
      look();
      state = judgeBatch(state, acc.take(), setup.cfg, t).state;
      const outcome = stepOutcome(state, setup.cfg, ended);
      const done = (o: RolloutResult["outcome"]) => ({
        outcome: o,
        seconds: t,
        canaryRequests: acc.canaryRequests,
        weight,
        oracle,
      });
      if (outcome.kind === "rollback") result = done("rolled-back");
      if (outcome.kind === "halt") result = done("halted");
      if (result || outcome.kind === "pass") break;
      if (outcome.kind === "extend") {
        state = extendStep(state);
        soakEnd = t + soakSeconds;
      }
    }
  }
  if (result === null)
    return { outcome: "promoted", seconds: t, canaryRequests: acc.canaryRequests, weight: 100, oracle };
  for (; oracleHorizon && t < steps.length * soakSeconds; ) {
    const s = second(t, steps[Math.floor(t / soakSeconds)]);
    acc.add(s.canary, s.baseline);
    t++;
    if (t % setup.checkSeconds === 0) {
      look();
      acc.take();
    }
  }
  return result;
}

export interface StreamResult {
  /** Canary requests seen at the judge's rollback, or null if it had not rolled back by the cap. */
  judge: number | null;
  oracle: OracleCrossings;
}

/** One step at `weight`, run until the judge and the oracles have all decided or the canary has seen `cap` requests. */
export function runUntilRollback(seed: number, setup: SoakSetup, weight: number, cap: number): StreamResult {
  const { second } = worldOf(seed, setup);
  const oracles = oraclesOf(setup);
  const oracle: OracleCrossings = { errors: { share: null, full: null }, latency: { share: null, full: null } };
  let state = beginStep(warmedJudge(setup, second), { index: 0, weight, at: 0 });
  const acc = new LookAccumulator();
  let judge: number | null = null;
  const pending = (c: { share: number | null; full: number | null }, test: OracleTest) =>
    test.detectable && (c.share === null || c.full === null);
  for (let t = 1; acc.canaryRequests < cap; t++) {
    const s = second(t, weight);
    acc.add(s.canary, s.baseline);
    if (t % setup.checkSeconds !== 0) continue;
    crossOracle(oracle.errors, oracles.errors, oracles.threshold.errors, acc.canaryErrors, acc.canaryRequests);
    crossOracle(oracle.latency, oracles.latency, oracles.threshold.latency, acc.canaryAbove, acc.canaryRequests);
    if (judge === null) {
      state = judgeBatch(state, acc.take(), setup.cfg, t).state;
      if (state.rollback) judge = acc.canaryRequests;
    } else acc.take();
    if (judge !== null && !pending(oracle.errors, oracles.errors) && !pending(oracle.latency, oracles.latency)) break;
  }
  return { judge, oracle };
}
