#!/usr/bin/env node
// npm run bench: measures what users feel, against the real Worker bundle in local workerd with the
// sandbox providers (no network). Prints a table with each figure's budget and writes bench/results.json.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { unstable_dev } from "wrangler";
import { buildEdgeRouter } from "../src/cli/build-edge-router.mjs";
import { loadCorpus, loadLanguageLayer, measureLatency } from "./chat-language.mjs";
import { measureCanaryRouters, measureCanarySimulation } from "./canary.mjs";
import { measureAudit, measureRailwayRequests, measureStartup, measureThroughput, prepareAudit } from "./figures.mjs";

const results = [];
const record = (name, value, unit, budget, note = "") => {
  results.push({ name, value, unit, budget, withinBudget: budget === null ? null : value <= budget, note });
};

// 1. Bundle size: the production build (`npm run build`, no sandbox) and the dev build (`[env.dev]`, with it).
for (const [label, envArgs] of [
  ["production", []],
  ["dev, with the sandbox", ["--env", "dev"]],
]) {
  const out = mkdtempSync(join(tmpdir(), "infra-chat-bundle-"));
  execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", out, ...envArgs], { stdio: "ignore" });
  const bundle = readdirSync(out)
    .filter((f) => f.endsWith(".js"))
    .map((f) => readFileSync(join(out, f)));
  const gzipKiB = bundle.reduce((n, b) => n + gzipSync(b).length, 0) / 1024;
  const rawKiB = bundle.reduce((n, b) => n + b.length, 0) / 1024;
  record(
    `Worker bundle, ${label} (gzip)`,
    Number(gzipKiB.toFixed(1)),
    "KiB",
    1024,
    `${rawKiB.toFixed(0)} KiB as built`,
  );
  rmSync(out, { recursive: true, force: true });
}

// 1b. The edge router script, as Infra Chat uploads it to a customer's account (issue 19).
const [uploaded, readable] = await Promise.all([buildEdgeRouter(true), buildEdgeRouter(false)]);
record(
  "Edge router script (minified)",
  Number((uploaded.length / 1024).toFixed(1)),
  "KiB",
  10,
  `readable ${(readable.length / 1024).toFixed(1)} KiB, gzip ${(gzipSync(uploaded).length / 1024).toFixed(1)} KiB`,
);

// 2. A local control plane with the sandbox world, fresh state.
const state = mkdtempSync(join(tmpdir(), "infra-chat-bench-"));
execFileSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--env", "dev", "--persist-to", state], {
  stdio: "ignore",
  env: { ...process.env, CI: "1" },
});
// 100k audit events already in the log, so audit figures are measured at the size the budget names.
const audit = await prepareAudit(state, Number(process.env.BENCH_AUDIT_EVENTS ?? 100_000));
const admin = `ic_bench_${Date.now()}`;
const startedAt = performance.now();
const worker = await unstable_dev("src/dev/index.ts", {
  config: "wrangler.toml",
  env: "dev",
  persistTo: state,
  logLevel: "error",
  vars: {
    SANDBOX: "1",
    SANDBOX_TIME_SCALE: "0",
    INFRA_CHAT_ADMIN_TOKEN: admin,
    SECRETS_KEY_ID: "bench",
    SECRETS_MASTER_KEY: Buffer.alloc(32, 7).toString("base64"),
    AUDIT_KEY: Buffer.alloc(32, 8).toString("base64"),
    APPROVAL_KEY: Buffer.alloc(32, 9).toString("base64"),
    TWILIO_AUTH_TOKEN: "bench-twilio",
    TWILIO_FROM_NUMBER: "+15550009999",
  },
  experimental: { disableExperimentalWarning: true },
});
await worker.fetch("/");
record(
  "Local start to first response",
  Math.round(performance.now() - startedAt),
  "ms",
  null,
  "wrangler dev start-up, not the Worker's cold start",
);

const call = async (token, method, path, body) => {
  const res = await worker.fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body && JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};
try {
  await worker.fetch("/sandbox/seed", { method: "POST", headers: { "content-type": "application/json" } });
  // The bench measures speed, not Railway's request budget: Pro's hour. A first staging deploy turns
  // Railway's auto-deploy off (its reconcile), so a pushed commit deploys nothing by itself mid-figure.
  const json = { method: "POST", headers: { "content-type": "application/json" } };
  await worker.fetch("/sandbox/account", { ...json, body: JSON.stringify({ railwayPlan: "pro" }) });
  const first = (await call(admin, "POST", "/api/envs/invoice-perfect:staging/plan", { type: "deploy" })).body.plan;
  let firstRun = (await call(admin, "POST", `/api/plans/${first.id}/apply`)).body.run;
  for (let i = 0; i < 1200 && !["succeeded", "failed", "cancelled"].includes(firstRun.status); i++) {
    await new Promise((r) => setTimeout(r, 50));
    firstRun = (await call(admin, "GET", `/api/runs/${firstRun.id}`)).body.run;
  }
  if (firstRun.status !== "succeeded") throw new Error(`first staging deploy: ${firstRun.status}`);
  const second = (
    await call(admin, "POST", "/api/users", { name: "Second admin", role: "admin", phone: "+15550002002" })
  ).body.token;

  // 3. Chat message → plan (parser path), production plans are not auto-applied. The first 20 requests
  // warm the JIT and are not counted (start-up is its own figure); 200 are, so p99 is not one sample.
  const latencies = [];
  for (let i = 0; i < 220; i++) {
    const t = performance.now();
    const res = await call(admin, "POST", "/api/chat", { message: "deploy production with canary 10/50/100" });
    if (i >= 20) latencies.push(performance.now() - t);
    if (!res.body?.replies?.[0]?.plan) throw new Error(`no plan: ${JSON.stringify(res.body)}`);
  }
  latencies.sort((a, b) => a - b);
  const q = (p) => Number(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1));
  record("Chat → plan p50", q(0.5), "ms", null, "200 requests after 20 warm-up ones");
  record(
    "Chat → plan p99",
    q(0.99),
    "ms",
    50,
    "monitor checks of the seeded environments run meanwhile, in the same workerd",
  );

  // 4. Fault → 0% canary for both routers (simulated time), the edge router's data latency.
  await measureCanaryRouters({ worker, call, admin, second, record });
  // 5. Backfill: throughput with no rate limit (wall clock), and pacing error at 500 rows/min (simulated clock).
  const backfill = async (params) => {
    const plan = (
      await call(admin, "POST", "/api/envs/invoice-perfect:staging/plan", {
        type: "backfill",
        params: { job: "backfillTimezone", ...params },
      })
    ).body.plan;
    const t = performance.now();
    let run = (await call(admin, "POST", `/api/plans/${plan.id}/apply`)).body.run;
    for (let i = 0; i < 1200 && !["succeeded", "failed", "cancelled"].includes(run.status); i++) {
      await new Promise((r) => setTimeout(r, 25));
      run = (await call(admin, "GET", `/api/runs/${run.id}`)).body.run;
    }
    return { run, seconds: (performance.now() - t) / 1000 };
  };
  const fast = await backfill({ ratePerMinute: 1_000_000, batchSize: 1000, dryRun: true });
  record(
    "Backfill throughput, no rate limit (sandbox app)",
    Math.round(fast.run.progress.processed / fast.seconds),
    "rows/s",
    null,
    `${fast.run.progress.processed} rows in ${fast.seconds.toFixed(1)} s, ${fast.run.status}`,
  );
  const paced = await backfill({ ratePerMinute: 500, batchSize: 50, dryRun: true });
  const { processed, batches, achievedRatePerMinute } = paced.run.progress;
  record(
    "Backfill pacing error at 500 rows/min (simulated)",
    Number((Math.abs(achievedRatePerMinute - 500) / 5).toFixed(2)),
    "%",
    5,
    `${processed} rows in ${batches} batches, achieved ${achievedRatePerMinute} rows/min`,
  );

  // 6. Railway's request budget: requests per deploy and per hour of monitoring two environments.
  await measureRailwayRequests({ worker, call, admin, record });

  // 7. Audit at 100k events, run throughput, apply → first step.
  await measureAudit({ call, admin, record }, audit);
  await measureThroughput({ worker, call, admin, record });
} finally {
  await worker.stop();
  rmSync(state, { recursive: true, force: true });
}

// 8. The Worker's own startup cost (script evaluation), outside wrangler dev: production and dev entries.
await measureStartup(record, "src/index.ts", "production");
await measureStartup(record, "src/dev/index.ts", "dev, with the sandbox");

// 9. The anytime-valid judge's statistics (seeded simulation; npm run sim:canary runs it at full size).
await measureCanarySimulation({ record });

// 10. The chat language layer in-process, over the eval corpus (bench/chat-eval/).
{
  const layer = await loadLanguageLayer();
  const { context, tuned, heldBack } = loadCorpus();
  const latency = measureLatency(
    layer.understand,
    context,
    [...tuned, ...heldBack].map((c) => c.text),
  );
  record(
    "Chat language layer p99 per message",
    Number(latency.p99.toFixed(3)),
    "ms",
    5,
    `median of 21 reads of each of ${latency.messages} messages; p50 ${latency.p50.toFixed(3)} ms`,
  );
}

const width = Math.max(...results.map((r) => r.name.length));
console.log(`\n${"figure".padEnd(width)}  ${"value".padStart(10)}  ${"budget".padStart(10)}  ok   note`);
for (const r of results) {
  const ok = r.withinBudget === null ? "–  " : r.withinBudget ? "yes" : "NO ";
  console.log(
    `${r.name.padEnd(width)}  ${`${r.value} ${r.unit}`.padStart(10)}  ${r.budget === null ? "–".padStart(10) : `${r.budget} ${r.unit}`.padStart(10)}  ${ok}  ${r.note}`,
  );
}
writeFileSync("bench/results.json", JSON.stringify({ at: new Date().toISOString(), results }, null, 2));
console.log("\nwrote bench/results.json");
