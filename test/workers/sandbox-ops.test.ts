/**
 * The sandbox's simulated Invoice Perfect ops contract, driven on the wire exactly as the control plane
 * drives the real app (test/fixtures/invoice-perfect): `POST /ops/jobs/run` batches from cursor null to done,
 * idempotency per (runId, user), dry runs, verify, validation errors, OPS_TOKEN and app faults.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { upsertVariables } from "../../src/sandbox/world/variables";
import { World } from "../../src/sandbox/world/store";

type Stub = ReturnType<typeof world>;
function world(name: string) {
  return env.SANDBOX_WORLD.getByName(`t-ops-${name}`);
}

interface Batch {
  job: string;
  runId: string | null;
  dryRun: boolean;
  processed: number;
  nextCursor: string | null;
  done: boolean;
  failures: { id: number; reason: string }[];
  changed: { id: number; timezone: string }[];
  counts: { updated: number; failed: number; skipped: number };
}
interface Verify {
  total: number;
  filled: number;
  coverage: number;
  ok: boolean;
  invalidCount: number;
  missing: { id: number; reason: string }[];
  missingByReason: Record<string, number>;
  sampled: number;
  sampleMismatches: unknown[];
}

/** Seeds the world and returns the staging api's app domain, as the control plane would find it. */
async function apiDomain(stub: Stub, envName: "staging" | "production" = "staging"): Promise<string> {
  await stub.seedInvoicePerfect();
  const state = await stub.state();
  const domain = state.domains.find((d) => d.service === "api" && d.environment === envName)?.domain;
  if (!domain) throw new Error("no api domain");
  return domain;
}

async function post<T>(
  stub: Stub,
  domain: string,
  path: string,
  body: object | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const res = await stub.fetch(
    new Request(`https://${domain}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
  return { status: res.status, body: await res.json<T>() };
}

const run = (stub: Stub, domain: string, params: object, headers?: Record<string, string>) =>
  post<Batch>(stub, domain, "/ops/jobs/run", { job: "backfillTimezone", params }, headers);

/** Raw ledger and user rows (the sandbox's own tables), read inside the DO. */
async function ledger(
  stub: Stub,
  runId: string,
): Promise<{ events: { user_id: number; event: string; reason: string | null }[]; filled: string }> {
  return runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    const events = sql
      .exec<{ user_id: number; event: string; reason: string | null }>(
        "SELECT user_id, event, reason FROM ops_job_events WHERE run_id = ? ORDER BY user_id",
        runId,
      )
      .toArray();
    const filled = sql
      .exec<{ id: number; timezone: string | null }>(
        "SELECT environment_id || ':' || id AS id, timezone FROM app_users ORDER BY environment_id, id",
      )
      .toArray();
    return { events, filled: JSON.stringify(filled) };
  });
}

async function backfill(stub: Stub, domain: string, runId: string): Promise<Batch[]> {
  const batches: Batch[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const reply = await run(stub, domain, { cursor, batchSize: 300, runId });
    expect(reply.status).toBe(200);
    batches.push(reply.body);
    cursor = reply.body.nextCursor;
    if (reply.body.done) return batches;
  }
  throw new Error("backfill never finished");
}

describe("sandbox ops contract", () => {
  it("a full backfill in batches of 300 processes every user exactly once; failures carry the 3 reason codes", async () => {
    const stub = world("full");
    const domain = await apiDomain(stub);
    const batches = await backfill(stub, domain, "run-full");
    expect(batches).toHaveLength(7); // 2,000 users / 300
    expect(batches.map((b) => b.processed).reduce((a, b) => a + b, 0)).toBe(2000);
    expect(batches.at(-1)).toMatchObject({ nextCursor: "2000", done: true });
    expect(batches[0]).toMatchObject({
      job: "backfillTimezone",
      runId: "run-full",
      dryRun: false,
      nextCursor: "300",
      done: false,
    });

    const { events } = await ledger(stub, "run-full");
    expect(events.map((e) => e.user_id)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    const failures = batches.flatMap((b) => b.failures);
    expect(new Set(failures.map((f) => f.reason))).toEqual(
      new Set(["no_address", "ambiguous_region", "unknown_region"]),
    );
    expect(failures.length).toBeGreaterThan(40);
    expect(failures.length).toBeLessThan(200);
    expect(events.filter((e) => e.event === "failed").map((e) => e.user_id)).toEqual(failures.map((f) => f.id));
    const updated = batches.reduce((n, b) => n + b.counts.updated, 0);
    expect(updated + failures.length).toBe(2000);

    const state = await stub.state();
    expect(state.appUsers.staging).toEqual({ total: 2000, filled: updated });
    expect(state.appUsers.production).toBeUndefined(); // created lazily, per environment
    const requests = await stub.requests({ provider: "app" });
    expect(requests.filter((r) => r.path === "/ops/jobs/run")).toHaveLength(7);
  });

  it("re-sending a batch of the same run changes nothing; a new run updates nothing", async () => {
    const stub = world("resend");
    const domain = await apiDomain(stub);
    const first = await run(stub, domain, { cursor: "600", batchSize: 300, runId: "run-a" });
    expect(first.body.counts.updated).toBeGreaterThan(250);
    const before = await ledger(stub, "run-a");
    const again = await run(stub, domain, { cursor: "600", batchSize: 300, runId: "run-a" });
    expect(again.status).toBe(200);
    expect(again.body.changed).toEqual([]);
    expect(again.body.counts).toEqual({
      updated: 0,
      failed: first.body.counts.failed,
      skipped: first.body.counts.updated,
    });
    expect(await ledger(stub, "run-a")).toEqual(before);
    const other = await run(stub, domain, { cursor: 600, batchSize: 300, runId: "run-b" });
    expect(other.body.counts.updated).toBe(0);
    expect((await ledger(stub, "run-a")).filled).toBe(before.filled);
  });

  it("a dry run reports would-be changes and writes nothing", async () => {
    const stub = world("dry");
    const domain = await apiDomain(stub);
    await run(stub, domain, { batchSize: 1, runId: "warm-up", dryRun: true }); // creates the users
    const before = await ledger(stub, "dry");
    const dry = await run(stub, domain, { batchSize: 500, dryRun: true, runId: "dry" });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ runId: null, dryRun: true, processed: 500, nextCursor: "500", done: false });
    expect(dry.body.changed.length).toBe(dry.body.counts.updated);
    expect(dry.body.changed[0]?.timezone).toMatch(/^[A-Z][a-z]+\//);
    expect(await ledger(stub, "dry")).toEqual(before);
    expect((await stub.state()).appUsers.staging).toEqual({ total: 2000, filled: 0 });
  });

  it("verify reports coverage under 100 and ok:false at minCoverage 100 after the backfill", async () => {
    const stub = world("verify");
    const domain = await apiDomain(stub);
    await backfill(stub, domain, "run-v");
    const reply = await post<Verify>(stub, domain, "/ops/jobs/verify", {
      job: "backfillTimezone",
      params: { sample: 200, minCoverage: 100 },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ total: 2000, ok: false, invalidCount: 0, sampled: 200, sampleMismatches: [] });
    expect(reply.body.coverage).toBeLessThan(100);
    expect(reply.body.coverage).toBeGreaterThan(90);
    expect(reply.body.missing.length).toBeGreaterThan(0);
    expect(
      reply.body.missing.every((m) => ["no_address", "ambiguous_region", "unknown_region"].includes(m.reason)),
    ).toBe(true);
    // Every unfilled row is counted by its reason, not only the listed ones; none of them was derivable.
    const { missingByReason } = reply.body;
    expect(Object.keys(missingByReason).sort()).toEqual(["ambiguous_region", "no_address", "unknown_region"]);
    expect(Object.values(missingByReason).reduce((a, b) => a + b, 0)).toBe(reply.body.total - reply.body.filled);
    const lenient = await post<Verify>(stub, domain, "/ops/jobs/verify", {
      job: "backfillTimezone",
      params: { minCoverage: 90 },
    });
    expect(lenient.body.ok).toBe(true);
  });

  it("rejects bad input with the real app's 400 JSON errors", async () => {
    const stub = world("bad");
    const domain = await apiDomain(stub);
    const cases: [object | string, string][] = [
      [{ job: "nope", params: {} }, "unknown_job"],
      [{ job: "backfillTimezone", params: { dryrun: true } }, "invalid_params"],
      [{ job: "backfillTimezone", params: { batchSize: 5001 } }, "invalid_params"],
      [{ job: "backfillTimezone", params: { cursor: "abc" } }, "invalid_params"],
      [{ job: "backfillTimezone", params: { runId: "has spaces" } }, "invalid_params"],
      [{ job: "backfillTimezone", params: {}, extra: 1 }, "invalid_params"],
      [{ job: "fallbackTimezone", params: { zone: "EST" } }, "invalid_params"],
      ["{not json", "invalid_json"],
    ];
    for (const [body, code] of cases) {
      const reply = await post<{ error: { code: string; message: string } }>(stub, domain, "/ops/jobs/run", body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body.error.code).toBe(code);
    }
    const verify = await post<{ error: { code: string; details?: { param: string } } }>(
      stub,
      domain,
      "/ops/jobs/verify",
      { job: "backfillTimezone", params: { minCoverage: 101 } },
    );
    expect(verify).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_params", details: { param: "minCoverage" } } },
    });
    expect((await stub.fetch(new Request(`https://${domain}/ops/jobs/run`))).status).toBe(405);
    expect((await stub.state()).appUsers.staging).toBeUndefined(); // refused before touching the database
  });

  it("enforces OPS_TOKEN when the api service defines one", async () => {
    const stub = world("token");
    const domain = await apiDomain(stub);
    const seed = await stub.seedInvoicePerfect();
    await runInDurableObject(stub, (_instance, state) => {
      upsertVariables(new World(state.storage.sql, 0), seed.railway.environments.staging, seed.railway.services.api, {
        OPS_TOKEN: "s3cret",
      });
    });
    const params = { batchSize: 10, dryRun: true };
    expect((await run(stub, domain, params)).status).toBe(401);
    const wrong = await run(stub, domain, params, { authorization: "Bearer nope" });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: "unauthorized" } } });
    expect((await run(stub, domain, params, { authorization: "Bearer s3cret" })).status).toBe(200);
    // Production has no token: its ops routes stay open.
    expect((await run(stub, await apiDomain(stub, "production"), params)).status).toBe(200);
    const logged = (await stub.requests({ provider: "app" })).find((r) => r.host === domain && r.status === 200);
    expect(logged?.headers.authorization).toBe("[redacted]");
  });

  it("a lost-writes job fault answers like a healthy job, but verify finds the derivable rows it never wrote", async () => {
    const stub = world("lost-writes");
    const domain = await apiDomain(stub);
    await stub.addFault({ kind: "app", env: "staging", service: "api", track: "all", jobBug: "lost-writes" });
    const batches = await backfill(stub, domain, "run-lost");
    const updated = batches.reduce((sum, b) => sum + b.counts.updated, 0);
    const verify = await post<Verify>(stub, domain, "/ops/jobs/verify", { job: "backfillTimezone", params: {} });
    // Every fourth id was reported updated and never written: exactly those are derivable and still empty.
    const lost = batches.flatMap((b) => b.changed).filter((c) => c.id % 4 === 0).length;
    expect(lost).toBeGreaterThan(300);
    expect(verify.body.filled).toBe(updated - lost);
    expect(verify.body.missingByReason.not_backfilled).toBe(lost);
  });

  it("a wrong-zone job fault writes valid zones that the re-derived sample refutes", async () => {
    const stub = world("wrong-zone");
    const domain = await apiDomain(stub);
    await stub.addFault({ kind: "app", env: "staging", service: "api", track: "all", jobBug: "wrong-zone", count: 1 });
    const first = await run(stub, domain, { batchSize: 300, runId: "run-wrong" });
    expect(first.body.changed.every((c) => c.timezone === "Etc/UTC")).toBe(true);
    // count 1: one batch was broken, the next is healthy again.
    const second = await run(stub, domain, { cursor: first.body.nextCursor, batchSize: 300, runId: "run-wrong" });
    expect(second.body.changed.some((c) => c.timezone !== "Etc/UTC")).toBe(true);
    const verify = await post<Verify>(stub, domain, "/ops/jobs/verify", {
      job: "backfillTimezone",
      params: { sample: 600, minCoverage: 0 },
    });
    expect(verify.body).toMatchObject({ invalidCount: 0, ok: false });
    expect(verify.body.sampleMismatches.length).toBeGreaterThan(100);
  });

  it("an app fault with errorRate 1 on the stable api makes /ops/jobs/run answer 500", async () => {
    const stub = world("fault");
    const domain = await apiDomain(stub);
    await stub.addFault({ kind: "app", env: "staging", service: "api", track: "stable", errorRate: 1, count: 2 });
    for (let i = 0; i < 2; i++) {
      const reply = await run(stub, domain, { batchSize: 300, runId: "run-f" });
      expect(reply).toMatchObject({ status: 500, body: { error: { code: "internal" } } });
    }
    expect((await ledger(stub, "run-f")).events).toEqual([]);
    // The count ran out: the retry goes through.
    expect((await run(stub, domain, { batchSize: 300, runId: "run-f" })).status).toBe(200);
    expect((await stub.requests({ provider: "app" })).filter((r) => r.status === 500)).toHaveLength(2);
  });
});
