#!/usr/bin/env node
// npm run sim:canary: bundles the TypeScript simulation (test/sim/) with the esbuild wrangler ships and runs
// it. Heavy by design (10,000 healthy rollouts per check frequency); sizes via SIM_* (see the runner).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const dir = mkdtempSync(join(tmpdir(), "canary-sim-"));
const outfile = join(dir, "run-canary-sim.mjs");
try {
  await build({
    entryPoints: ["test/sim/run-canary-sim.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile,
    logLevel: "warning",
  });
  await import(pathToFileURL(outfile).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
