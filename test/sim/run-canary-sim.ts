/**
 * `npm run sim:canary`: the heavy version of test/node/canary-sequential-sim.test.ts. Prints the false-rollback
 * rate with its exact 95% interval per check frequency, then detection and expected samples against the
 * oracle SPRT per fault, and writes bench/canary-sim.json. Sizes from the environment:
 * SIM_SOAKS (healthy rollouts per frequency, default 10,000), SIM_RUNS (runs per fault and frequency for
 * expected samples, default 1,000; a tenth for the slow 2% and +20% p95), SIM_ROLLOUTS (faulty rollouts for
 * detection, default 1,000), SIM_FREQUENCIES (default 1,5,15,30,60).
 */
import { writeFileSync } from "node:fs";
import {
  CHECK_FREQUENCIES,
  type DetectionTally,
  detection,
  expectedSamples,
  FAULTS,
  type FalseRollbackTally,
  falseRollbacks,
  type SampleComparison,
} from "./canary-report";

const size = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const soaks = size("SIM_SOAKS", 10_000);
const runs = size("SIM_RUNS", 1_000);
const rollouts = size("SIM_ROLLOUTS", 1_000);
const frequencies = (process.env.SIM_FREQUENCIES ?? CHECK_FREQUENCIES.join(",")).split(",").map(Number);
const slow = new Set(["2% 5xx", "+20% p95", "+20% p95 m=0"]);

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;
const row = (cells: (string | number)[], widths: number[]) =>
  cells.map((c, i) => String(c).padStart(widths[i])).join("  ");
const elapsed = (since: number) => `${((performance.now() - since) / 1000).toFixed(0)} s`;

const started = performance.now();
console.log(
  `Healthy rollouts (10/50/100, 300 s soaks, 1–100 req/s bursty, 0.2% 5xx), α = 0.01, ${soaks} per frequency`,
);
const healthy: FalseRollbackTally[] = [];
const hw = [6, 8, 11, 9, 8, 20];
console.log(row(["check", "soaks", "rolled back", "promoted", "halted", "rate [95% CI]"], hw));
for (const f of frequencies) {
  const t = falseRollbacks(f, soaks);
  healthy.push(t);
  const ci = `${pct(t.rolledBack / t.soaks, 3)} [${pct(t.interval[0], 3)}, ${pct(t.interval[1], 3)}]`;
  console.log(row([`${f}s`, t.soaks, t.rolledBack, t.promoted, t.halted, ci], hw));
}
console.log(`(${elapsed(started)})\n`);

console.log("Canary requests until rollback at 10 req/s, 10% step (mean over runs where judge and oracles decided)");
const sw = [13, 6, 7, 16, 14, 14, 7, 7];
console.log(row(["fault", "check", "runs", "judge ±95%", "oracle(share)", "oracle(α)", "×share", "×α"], sw));
const samples: SampleComparison[] = [];
for (const fault of FAULTS) {
  for (const f of frequencies) {
    const n = slow.has(fault.name) ? Math.max(20, Math.round(runs / 10)) : runs;
    const c = expectedSamples(fault, f, n, 60_000);
    samples.push(c);
    const undecided = c.runs - Math.min(c.decided.judge, c.decided.oracleShare, c.decided.oracleFull);
    console.log(
      row(
        [
          fault.name,
          `${f}s`,
          undecided ? `${c.runs}*${undecided}` : c.runs,
          `${c.mean.judge.toFixed(1)} ±${c.mean.judgeHalfWidth.toFixed(1)}`,
          c.mean.oracleShare.toFixed(1),
          c.mean.oracleFull.toFixed(1),
          c.ratio.share.toFixed(2),
          c.ratio.full.toFixed(2),
        ],
        sw,
      ),
    );
  }
}
console.log("(* n: n runs without a decision by 60,000 canary requests, left out of the means)");
console.log(`(${elapsed(started)})\n`);

console.log("Detection within a rollout (10/50/100, 300 s soaks) at 10 req/s");
const dw = [13, 6, 9, 8, 14, 10, 14];
console.log(row(["fault", "check", "rollouts", "judge", "oracle(share)", "oracle(α)", "judge mean s"], dw));
const detections: DetectionTally[] = [];
for (const fault of FAULTS) {
  for (const f of frequencies) {
    const d = detection(fault, f, slow.has(fault.name) ? Math.max(20, Math.round(rollouts / 10)) : rollouts);
    detections.push(d);
    const share = (k: number) => pct(k / d.rollouts, 1);
    console.log(
      row(
        [
          fault.name,
          `${f}s`,
          d.rollouts,
          share(d.judge),
          share(d.oracleShare),
          share(d.oracleFull),
          d.meanSeconds.toFixed(1),
        ],
        dw,
      ),
    );
  }
}
console.log(`(${elapsed(started)})`);

writeFileSync(
  "bench/canary-sim.json",
  JSON.stringify({ at: new Date().toISOString(), healthy, samples, detections }, null, 2),
);
console.log("\nwrote bench/canary-sim.json");
