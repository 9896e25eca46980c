// Benchmark figures beyond chat latency and canary timing: audit at 100k events, run throughput per
// environment and across 20 environments, plan → first provider call, and the Worker's own startup cost.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { writeAuditEventsSql } from "./audit-events.mjs";

const TERMINAL = ["succeeded", "failed", "rolled-back", "cancelled", "rejected"];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};

/** Before the Worker starts: 100k chained audit events in local D1 (the `global` chain). */
export async function prepareAudit(state, count = 100_000) {
  const file = join(mkdtempSync(join(tmpdir(), "infra-chat-audit-")), "events.sql");
  const range = await writeAuditEventsSql(file, { count });
  execFileSync("wrangler", ["d1", "execute", "DB", "--local", "--env", "dev", "--persist-to", state, "--file", file], {
    stdio: "ignore",
    env: { ...process.env, CI: "1" },
  });
  rmSync(file, { force: true });
  return { count, ...range };
}

/** Verify and query latency at 100k events, and the append rate through the API. */
export async function measureAudit({ call, admin, record }, prepared) {
  const verify = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const res = await call(admin, "GET", "/api/audit/verify");
    verify.push(performance.now() - t);
    if (!res.body?.ok || res.body.events < prepared.count) throw new Error(`audit verify: ${JSON.stringify(res.body)}`);
  }
  record(
    `Audit verify at ${prepared.count / 1000}k events`,
    Math.round(quantile(verify, 0.5)),
    "ms",
    2000,
    "median of 3, whole log",
  );
  const list = [];
  for (let i = 0; i < 30; i++) {
    const since = new Date(
      Date.parse(prepared.first) + Math.floor(Math.random() * prepared.count) * 1000,
    ).toISOString();
    const t = performance.now();
    const res = await call(admin, "GET", `/api/audit?since=${encodeURIComponent(since)}&limit=100`);
    list.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`GET /api/audit: ${res.status}`);
  }
  record(
    `GET /api/audit p99 at ${prepared.count / 1000}k events (since filter)`,
    Number(quantile(list, 0.99).toFixed(1)),
    "ms",
    null,
    "30 random since= filters, limit 100",
  );
  const t = performance.now();
  const n = 100;
  for (let i = 0; i < n; i++) {
    const res = await call(admin, "PUT", "/api/envs/invoice-perfect:staging/secrets/BENCH_APPEND", { value: `v${i}` });
    if (res.status !== 204) throw new Error(`secret write: ${res.status}`);
  }
  record(
    "Audit append rate (API secret writes, one event each)",
    Math.round(n / ((performance.now() - t) / 1000)),
    "events/s",
    null,
    "sequential requests through the env's Durable Object",
  );
}

async function waitForRuns(call, token, runIds, limitMs = 300_000) {
  const started = Date.now();
  const status = new Map(runIds.map((id) => [id, "running"]));
  while ([...status.values()].some((s) => !TERMINAL.includes(s))) {
    if (Date.now() - started > limitMs) throw new Error(`runs did not finish: ${JSON.stringify([...status])}`);
    await sleep(50);
    for (const id of runIds)
      if (!TERMINAL.includes(status.get(id)))
        status.set(id, (await call(token, "GET", `/api/runs/${id}`)).body.run.status);
  }
  return status;
}

/** Deploy runs per minute in one environment, and across 20 environments at once. */
export async function measureThroughput({ worker, call, admin, record }) {
  const deploy = async (envRef) => {
    await worker.fetch("/sandbox/commits", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: `bench ${envRef}` }),
    });
    const plan = (await call(admin, "POST", `/api/envs/${envRef}/plan`, { type: "deploy" })).body.plan;
    const run = (await call(admin, "POST", `/api/plans/${plan.id}/apply`)).body.run;
    return run.id;
  };
  // Plan → first provider call: the first receipt of the run against the apply time.
  const plannedAt = Date.now();
  const firstRun = await deploy("invoice-perfect:staging");
  await waitForRuns(call, admin, [firstRun]);
  const receipts = (await call(admin, "GET", `/api/runs/${firstRun}/artifacts/run.json`)).body;
  const firstStep = receipts?.steps?.find((s) => s.startedAt)?.startedAt;
  if (firstStep)
    record(
      "Apply → first step started",
      Math.max(0, Date.parse(firstStep) - plannedAt),
      "ms",
      null,
      "includes planning the run (resolve refs) and the DO alarm",
    );

  const serial = 5;
  let t = performance.now();
  for (let i = 0; i < serial; i++) await waitForRuns(call, admin, [await deploy("invoice-perfect:staging")]);
  const perEnv = serial / ((performance.now() - t) / 60_000);
  record(
    "Deploy runs per minute, one environment (serialized by its DO)",
    Number(perEnv.toFixed(1)),
    "runs/min",
    null,
    `${serial} sandbox deploys, time scale 0`,
  );

  const names = Array.from({ length: 20 }, (_, i) => `bench${i + 1}`);
  for (const name of names) {
    const created = await call(admin, "POST", "/api/projects/invoice-perfect/envs", { name, from: "staging" });
    if (created.status !== 201) throw new Error(`create ${name}: ${created.status} ${JSON.stringify(created.body)}`);
    // Each environment holds its own secrets; setup's preflight refuses to start without them.
    for (const [secret, value] of [
      ["STRIPE_SECRET_KEY", `sk_test_bench_${name}_0123456789`],
      ["SENDGRID_API_KEY", `SG.bench-${name}-0123456789`],
    ]) {
      await call(admin, "PUT", `/api/envs/invoice-perfect:${name}/secrets/${secret}`, { value });
    }
  }
  const setups = [];
  for (const name of names) {
    const plan = (
      await call(admin, "POST", `/api/envs/invoice-perfect:${name}/plan`, {
        type: "setup",
        params: { from: "staging" },
      })
    ).body.plan;
    setups.push((await call(admin, "POST", `/api/plans/${plan.id}/apply`)).body.run.id);
  }
  const setupStatus = await waitForRuns(call, admin, setups, 600_000);
  const ready = names.filter((_, i) => setupStatus.get(setups[i]) === "succeeded");
  if (ready.length < names.length) {
    const failed = setups.find((id) => setupStatus.get(id) !== "succeeded");
    const run = (await call(admin, "GET", `/api/runs/${failed}`)).body.run;
    console.warn(
      `bench: ${names.length - ready.length} setups did not succeed; first: ${run.status} ${run.error ?? ""}`,
    );
  }
  t = performance.now();
  const runs = await Promise.all(ready.map((n) => deploy(`invoice-perfect:${n}`)));
  const done = await waitForRuns(call, admin, runs, 600_000);
  const across = runs.length / ((performance.now() - t) / 60_000);
  record(
    `Deploy runs per minute across ${ready.length} environments (concurrent)`,
    Number(across.toFixed(1)),
    "runs/min",
    null,
    `${[...done.values()].filter((s) => s === "succeeded").length}/${runs.length} succeeded`,
  );
}

/**
 * The Worker's startup cost as Cloudflare counts it: parsing and evaluating the script's top level. The
 * entry (production or dev) is bundled (esbuild, minified like a deploy) with `cloudflare:*` imports shimmed and
 * evaluated in V8 (Node 22) in fresh module instances; median of 7. workerd's own start is excluded, which
 * is the point: local `wrangler dev` start-up time is dominated by it and by bundling.
 */
export async function measureStartup(record, entry, label) {
  const shim = {
    name: "cloudflare-shim",
    setup(b) {
      b.onResolve({ filter: /^cloudflare:/ }, (args) => ({ path: args.path, namespace: "shim" }));
      b.onLoad({ filter: /.*/, namespace: "shim" }, () => ({
        contents:
          "export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } } export class WorkerEntrypoint {} export class RpcTarget {} export const env = {};",
        loader: "js",
      }));
    },
  };
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    minify: true,
    write: false,
    logLevel: "error",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser"],
    plugins: [shim],
  });
  const code = out.outputFiles[0].text;
  const times = [];
  for (let i = 0; i < 7; i++) {
    const url = `data:text/javascript;base64,${Buffer.from(`${code}\n// instance ${i} ${Date.now()}`).toString("base64")}`;
    const t = performance.now();
    const mod = await import(url);
    times.push(performance.now() - t);
    if (typeof mod.default?.fetch !== "function") throw new Error("the bundle exports no fetch handler");
  }
  record(
    `Worker startup, ${label} (script parse + top-level evaluation)`,
    Number(quantile(times, 0.5).toFixed(1)),
    "ms",
    100,
    `V8 in Node 22, ${(code.length / 1024).toFixed(0)} KiB minified; workerd itself excluded`,
  );
}

/**
 * Railway requests: per deploy (the receipts of one staging deploy, every attempt counted) and per hour for
 * two monitored environments (a monitoring round of both, triggered through the cron handler and counted
 * by the sandbox, times the 60 checks an hour of the default policy; the four 15-minute drift comparisons
 * add each service's instance, variables and auto-deploy reads, counted from the spec as monitoring's own
 * admission does).
 */
export async function measureRailwayRequests({ worker, call, admin, record }) {
  await worker.fetch("/sandbox/commits", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message: "bench railway requests" }),
  });
  const plan = (await call(admin, "POST", "/api/envs/invoice-perfect:staging/plan", { type: "deploy" })).body.plan;
  const runId = (await call(admin, "POST", `/api/plans/${plan.id}/apply`)).body.run.id;
  await waitForRuns(call, admin, [runId]);
  const run = (await call(admin, "GET", `/api/runs/${runId}`)).body.run;
  let perDeploy = 0;
  for (const name of run.artifacts.filter((a) => a.startsWith("receipts/"))) {
    const receipts = (await call(admin, "GET", `/api/runs/${runId}/artifacts/${name}`)).body ?? [];
    perDeploy += receipts.filter((r) => r.provider === "railway").reduce((n, r) => n + r.attempts, 0);
  }
  record(
    "Railway requests per staging deploy",
    perDeploy,
    "requests",
    null,
    `${run.steps.length} steps, ${run.status}`,
  );

  // Monitoring on its own: no run for a while, only the environments' watchdogs checking (every 10 s at time
  // scale 0). Each check lists each service's deployments once (`first: 5`), which counts the checks.
  const since = new Date().toISOString();
  await sleep(30_000);
  const requests = (await (await worker.fetch("/sandbox/requests?provider=railway&limit=2000")).json()).requests.filter(
    (r) => r.at >= since,
  );
  const spec = (await call(admin, "GET", "/api/envs/invoice-perfect:staging")).body.environment.spec;
  const services = Object.keys(spec.services).length;
  const listings = requests.filter((r) => r.body?.operationName === "Deployments" && r.body?.variables?.first === 5);
  const checks = listings.length / services;
  const perCheck = checks ? requests.length / checks : 0;
  const driftExtra = 1 + 3 * services;
  // Default policy: a check a minute, drift compared every 15 minutes, for each of the two environments.
  const perHour = Math.round(2 * (60 * perCheck + 4 * driftExtra));
  record(
    "Railway requests per hour, two monitored environments",
    perHour,
    "requests",
    null,
    `${perCheck.toFixed(1)} per check (${checks.toFixed(0)} checks measured) × 60 an hour × 2, plus drift every 15 min; Free allows 100, Hobby 1,000, Pro 10,000 (monitoring gets half)`,
  );
}
