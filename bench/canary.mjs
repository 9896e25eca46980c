// Canary figures for npm run bench (issue 19): time from a canary fault to 0% canary traffic for both routers
// at the sandbox's default traffic (10 req/s), in simulated time, with the edge router's data latency; then
// the anytime-valid judge's false-rollback rate and its samples against the oracle SPRT, from a seeded
// simulation (a small run of what `npm run sim:canary` does at full size).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const TERMINAL = ["rolled-back", "succeeded", "failed", "cancelled", "stopped"];
const FAULTS = [0.05, 0.2, 1];
/** Each fault is run a few times: one run is one draw of a random time. */
const RUNS_PER_FAULT = 3;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Seconds from the 10% step's start to 0% canary, as the router saw it (simulated): the edge router's configs. */
function edgeTimeToZero(edge, runId) {
  const configs = [...edge.configs].reverse();
  const start = configs.findIndex((c) => c.salt.startsWith(`${runId}/`) && c.weight > 0);
  const zero = configs.slice(start + 1).find((c) => c.weight === 0);
  return start >= 0 && zero ? zero.fromSecond - configs[start].fromSecond : Number.NaN;
}

/** Check intervals until the look that crossed 1/α (the load balancer is moved at that check). */
function loadBalancerTimeToZero(metrics, intervalSeconds) {
  const looks = metrics?.looks ?? [];
  const decided = looks.findIndex((l) => l.decision === "rollback");
  return decided >= 0 ? (decided + 1) * intervalSeconds : Number.NaN;
}

async function canaryRun({ worker, call, admin, second }, errorRate) {
  const json = (body) => ({
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await worker.fetch("/sandbox/faults", { method: "DELETE" });
  // No background 5xx on the stable: the figure is the fault's, not a rare draw of the healthy rate.
  await worker.fetch(
    "/sandbox/faults",
    json({ kind: "app", env: "production", service: "api", track: "all", errorRate: 0 }),
  );
  await worker.fetch("/sandbox/commits", json({ message: `bench-${errorRate}-${Date.now()}` }));
  await worker.fetch(
    "/sandbox/faults",
    json({ kind: "app", env: "production", service: "api", track: "canary", errorRate }),
  );
  const plan = (
    await call(admin, "POST", "/api/envs/invoice-perfect:production/plan", {
      type: "deploy",
      params: { canary: [10, 50, 100] },
    })
  ).body.plan;
  const run = (await call(admin, "POST", `/api/plans/${plan.id}/apply`)).body.run;
  await call(second, "POST", `/api/runs/${run.id}/approve`, {});
  let status = "running";
  for (let i = 0; i < 2400 && !TERMINAL.includes(status); i++) {
    await sleep(50);
    status = (await call(admin, "GET", `/api/runs/${run.id}`)).body.run.status;
  }
  const metrics = (await call(admin, "GET", `/api/runs/${run.id}/artifacts/metrics.json`)).body;
  return { runId: run.id, status, metrics };
}

/** Both routers, three fault sizes each. */
export async function measureCanaryRouters({ worker, call, admin, second, record }) {
  const account = (body) =>
    worker.fetch("/sandbox/account", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  for (const router of ["load-balancer", "edge"]) {
    // Without the Load Balancing add-on, a policy that names no router gets the edge router.
    await account({ loadBalancing: router === "load-balancer" });
    for (const errorRate of FAULTS) {
      const runs = [];
      for (let i = 0; i < RUNS_PER_FAULT; i++) {
        const { runId, status, metrics } = await canaryRun({ worker, call, admin, second }, errorRate);
        const state = await (await worker.fetch("/sandbox/state")).json();
        const seconds = router === "edge" ? edgeTimeToZero(state.edge, runId) : loadBalancerTimeToZero(metrics, 30);
        const judge = metrics?.judge;
        runs.push({ seconds, status, step: judge?.step.weight, canary: judge?.samples.canary });
      }
      const median = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)];
      record(
        `Fault ${Math.round(errorRate * 100)}% 5xx → 0% canary, ${router === "edge" ? "edge router" : "load balancer"} (simulated, median of ${RUNS_PER_FAULT})`,
        median.seconds,
        "s",
        60,
        runs.map((r) => `${r.seconds} s (${r.status} at ${r.step}%, ${r.canary} canary requests)`).join("; "),
      );
    }
    if (router === "edge") {
      const { roundTripMs } = (await (await worker.fetch("/sandbox/state")).json()).edge;
      record(
        "Edge router data latency (report of a second, stored and counted)",
        Number((1 + (roundTripMs.p99 ?? 0) / 1000).toFixed(2)),
        "s",
        5,
        `sent when its second ends (1 s simulated), then ingest round trip p50 ${roundTripMs.p50} ms, p99 ${roundTripMs.p99} ms over ${roundTripMs.reports} reports`,
      );
    }
  }
  await account({ loadBalancing: true });
  await worker.fetch("/sandbox/faults", { method: "DELETE" });
}

/** The simulation, small: false rollbacks of healthy rollouts, and canary requests to a rollback against the oracle. */
export async function measureCanarySimulation({ record }) {
  const dir = mkdtempSync(join(tmpdir(), "canary-bench-sim-"));
  const outfile = join(dir, "report.mjs");
  try {
    await build({
      entryPoints: ["test/sim/canary-report.ts"],
      bundle: true,
      platform: "node",
      format: "esm",
      outfile,
      logLevel: "warning",
    });
    const sim = await import(pathToFileURL(outfile).href);
    for (const [checkSeconds, soaks] of [
      [1, 500],
      [30, 2000],
    ]) {
      const t = sim.falseRollbacks(checkSeconds, soaks);
      record(
        `False rollbacks of healthy canaries, ${checkSeconds} s looks (simulation)`,
        Number(((100 * t.rolledBack) / t.soaks).toFixed(3)),
        "%",
        1,
        `${t.rolledBack} of ${t.soaks} seeded 10/50/100 rollouts, 95% upper bound ${(100 * t.interval[1]).toFixed(2)}%; α = 1%`,
      );
    }
    for (const [name, runs] of [
      ["5% 5xx", 300],
      ["20% 5xx", 1000],
      ["100% 5xx", 1000],
    ]) {
      const c = sim.expectedSamples(
        sim.FAULTS.find((f) => f.name === name),
        1,
        runs,
        60_000,
      );
      record(
        `Canary requests to rollback vs the oracle SPRT, ${name} (simulation)`,
        Number(c.ratio.share.toFixed(2)),
        "×",
        2,
        `judge ${c.mean.judge.toFixed(1)} ±${c.mean.judgeHalfWidth.toFixed(1)}, oracle ${c.mean.oracleShare.toFixed(1)} at the judge's α share, ${c.mean.oracleFull.toFixed(1)} at the whole α (×${c.ratio.full.toFixed(2)}); ${runs} seeded runs, 10 req/s, 10% step, 1 s looks`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
