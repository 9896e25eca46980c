/**
 * Proves the Invoice Perfect fixture app (test/fixtures/invoice-perfect) keeps the ops contract of
 * ARCHITECTURE §8 against a real PostgreSQL: Sequelize CLI migrations applied and classified through the
 * app, a 10,000-user timezone backfill by batches (exactly once, idempotent, dry-run safe, failures with
 * reason codes), verification, the CLI, and expand → backfill → fix-up → contract.
 *
 * Needs TEST_DATABASE_URL: `eval "$(bash .ci/test-postgres.sh)"`. Without it this file is skipped with
 * a loud warning on a developer's machine, and fails under CI. Each run works in a fresh schema, dropped
 * afterwards. The tests share one app and one database and run in order, like the release they retrace.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { QueryTypes, Sequelize } from "sequelize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_DIR, runNode, startApp, type Child } from "./fixture-process";

type Classification = { class: "expand" | "contract"; reasons: string[] };
// The fixture is CommonJS and untyped: its classifier is loaded as the app loads it.
const { classifyMigration } = createRequire(APP_DIR)("./classify.js") as {
  classifyMigration(source: string): Classification;
};

const DATABASE_URL: string | undefined = process.env.TEST_DATABASE_URL;
const IN_CI = Boolean(process.env.CI) && process.env.CI !== "false";
const NO_DB =
  "TEST_DATABASE_URL is not set: the PostgreSQL fixture app tests cannot run. Start one with\n" +
  '  eval "$(bash .ci/test-postgres.sh)"';
const EXPAND = "20241112100000-add-timezone-to-users.js";
const CONTRACT = "20241203100000-make-timezone-not-null.js";
const USERS = 10_000;
const REASONS = ["no_address", "ambiguous_region", "unknown_region"];
const OPS_TOKEN = "fixture-ops-token";

interface RunResult {
  runId: string | null;
  dryRun: boolean;
  processed: number;
  nextCursor: string | null;
  done: boolean;
  failures: { id: number; reason: string }[];
  changed: { id: number; timezone: string }[];
  counts: { updated: number; failed: number; skipped: number };
}
interface VerifyResult {
  total: number;
  filled: number;
  coverage: number;
  invalid: unknown[];
  missing: { id: number; reason: string }[];
  missingByReason: Record<string, number>;
  sampled: number;
  unverifiable: number;
  sampleMismatches: unknown[];
  ok: boolean;
}
interface MigrateResult {
  ok: boolean;
  output: string;
  applied: string[];
  error?: { code: string };
}
interface MigrationList {
  applied: string[];
  pending: ({ name: string } & Classification)[];
}

if (!DATABASE_URL && !IN_CI) {
  console.warn(`\n${"!".repeat(100)}\n!!! SKIPPING test/node/fixture-app.test.ts — ${NO_DB}\n${"!".repeat(100)}\n`);
}

// CI must never skip these silently: with no database the file fails instead.
if (!DATABASE_URL && IN_CI) {
  describe("fixture app prerequisites", () => {
    it("has a PostgreSQL to run against in CI", () => expect.fail(NO_DB));
  });
}

// Generous per-test time: sequelize-cli and the CLI each start a Node process, and CI shares two cores
// with the workers project.
describe.skipIf(!DATABASE_URL)("Invoice Perfect fixture app on PostgreSQL", { timeout: 30_000 }, () => {
  const schema = `fixture_${randomBytes(6).toString("hex")}`;
  const appEnv = { DATABASE_URL: DATABASE_URL ?? "", DATABASE_SCHEMA: schema, OPS_TOKEN };
  let app: { child: Child; baseUrl: string };
  let db: Sequelize;

  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    token = OPS_TOKEN,
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${app.baseUrl}${path}`, {
      method,
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }
  const runBatch = (params: Record<string, unknown>, job = "backfillTimezone") =>
    call<RunResult>("POST", "/ops/jobs/run", { job, params });
  const rows = <T extends object>(sql: string, bind: unknown[] = []) =>
    db.query<T>(sql, { bind, type: QueryTypes.SELECT });
  // Everything a backfill may touch on users, as one value: equal snapshots mean nothing was written.
  const usersSnapshot = async () =>
    (
      await rows<{ s: string }>(
        `SELECT md5(string_agg(id || ':' || coalesce(timezone, '-') || ':' || updated_at, ',' ORDER BY id)) AS s FROM users`,
      )
    )[0].s;
  const countOf = async (sql: string, bind: unknown[] = []) => (await rows<{ n: number }>(sql, bind))[0].n;

  async function runUntilDone(params: Record<string, unknown>, job = "backfillTimezone"): Promise<RunResult[]> {
    const batches: RunResult[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const { status, body } = await runBatch({ ...params, cursor }, job);
      expect(status).toBe(200);
      batches.push(body);
      if (body.done) return batches;
      cursor = body.nextCursor;
    }
    throw new Error("the job never reported done");
  }

  beforeAll(async () => {
    db = new Sequelize(DATABASE_URL ?? "", { logging: false, dialectOptions: { options: `-c search_path=${schema}` } });
    await db.query(`CREATE SCHEMA ${schema}`);
    app = await startApp(appEnv);
  }, 30_000);

  afterAll(async () => {
    if (app) {
      // Let the app close its pool before the schema goes; give up waiting if it had already died.
      const exited = new Promise<void>((resolve) => app.child.on("exit", () => resolve()));
      app.child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    }
    await db?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db?.close();
  });

  it("answers /health and refuses /ops/* without the ops token", async () => {
    expect((await call("GET", "/health")).body).toEqual({ ok: true, database: "up" });
    const denied = await call<{ error: { code: string } }>("GET", "/ops/migrations", undefined, "wrong");
    expect(denied).toMatchObject({ status: 401, body: { error: { code: "unauthorized" } } });
  });

  it("classifies pending migrations from their queryInterface calls: add-timezone expand, NOT NULL contract", async () => {
    const { body } = await call<MigrationList>("GET", "/ops/migrations");
    expect(body.applied).toEqual([]);
    const byName = Object.fromEntries(body.pending.map((m) => [m.name, m.class]));
    expect(byName).toMatchObject({ [EXPAND]: "expand", [CONTRACT]: "contract" });
    expect(body.pending.find((m) => m.name === CONTRACT)?.reasons.join()).toMatch(/NOT NULL/);
    // The classifier itself, on every real file the app ships.
    const files = readdirSync(`${APP_DIR}/migrations`).sort();
    const direct = files.map((name) => classifyMigration(readFileSync(`${APP_DIR}/migrations/${name}`, "utf8")).class);
    expect(direct).toEqual(["expand", "expand", "expand", "contract"]);
    expect(body.pending.map((m) => m.name)).toEqual(files);
  });

  it("applies migrations in order up to the expand step via POST /ops/migrate, returning sequelize-cli's output", async () => {
    const { status, body } = await call<MigrateResult>("POST", "/ops/migrate", { to: EXPAND });
    expect(status).toBe(200);
    expect(body.ok).toBe(true);
    expect(body.applied).toEqual(readdirSync(`${APP_DIR}/migrations`).sort().slice(0, 3));
    expect(body.output).toContain("20241112100000-add-timezone-to-users: migrated");
    const column = await rows<{ is_nullable: string }>(
      `SELECT is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'users' AND column_name = 'timezone'`,
      [schema],
    );
    expect(column).toEqual([{ is_nullable: "YES" }]);
    expect(
      await countOf(
        `SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = $1 AND indexname = 'users_timezone_idx'`,
        [schema],
      ),
    ).toBe(1);
    expect((await call<MigrationList>("GET", "/ops/migrations")).body.pending.map((m) => m.name)).toEqual([CONTRACT]);
  });

  it("seeds 10,000 users with varied addresses, some deliberately unresolvable", async () => {
    const seeded = await runNode(["seed/seed.js", "--count", String(USERS)], appEnv);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(JSON.parse(seeded.stdout)).toEqual({ inserted: USERS, existing: 0 });
    expect(await countOf(`SELECT count(DISTINCT upper(country))::int AS n FROM users`)).toBeGreaterThanOrEqual(30);
    expect(
      await countOf(`SELECT count(*)::int AS n FROM users WHERE country IS NULL AND city IS NULL`),
    ).toBeGreaterThan(100);
  });

  it("rejects bad input with JSON errors: unknown job, misspelt param, batchSize over 5000, bad zone, bad JSON", async () => {
    const cases: [unknown, string][] = [
      [{ job: "dropUsers", params: {} }, "unknown_job"],
      [{ job: "backfillTimezone", params: { dryrun: true } }, "invalid_params"],
      [{ job: "backfillTimezone", params: { batchSize: 5001 } }, "invalid_params"],
      [{ job: "backfillTimezone", params: { cursor: "1; DROP TABLE users" } }, "invalid_params"],
      [{ job: "fallbackTimezone", params: { zone: "+05:00" } }, "invalid_params"],
      ["{not json", "invalid_json"],
    ];
    for (const [body, code] of cases) {
      expect(await call("POST", "/ops/jobs/run", body)).toMatchObject({ status: 400, body: { error: { code } } });
    }
    expect(await call("POST", "/ops/migrate", { to: "nope.js" })).toMatchObject({ status: 400 });
  });

  it("refuses the contract migration while NULL timezones remain, leaving the schema as it was", async () => {
    const { status, body } = await call<MigrateResult>("POST", "/ops/migrate");
    expect(status).toBe(500);
    expect(body).toMatchObject({ ok: false, applied: [], error: { code: "migration_failed" } });
    expect(body.output).toMatch(/contains null values/);
    expect((await call<MigrationList>("GET", "/ops/migrations")).body.pending.map((m) => m.name)).toEqual([CONTRACT]);
  });

  it("dry run reports what it would change and writes nothing", async () => {
    const before = await usersSnapshot();
    const { body } = await runBatch({ cursor: null, batchSize: 1000, dryRun: true });
    expect(body).toMatchObject({ runId: null, dryRun: true, processed: 1000, nextCursor: "1000", done: false });
    expect(body.changed.length).toBeGreaterThan(900);
    expect(body.changed.length + body.failures.length).toBe(1000);
    expect(await usersSnapshot()).toBe(before);
    expect(await countOf(`SELECT count(*)::int AS n FROM ops_job_events`)).toBe(0);
    expect(await countOf(`SELECT count(*)::int AS n FROM ops_job_runs`)).toBe(0);
  });

  it("the CLI runs one batch from a cursor and prints the contract's JSON", async () => {
    const cli = await runNode(
      ["ops/runJob.js", "--job", "backfillTimezone", "--cursor", "2000", "--batch-size", "500", "--run-id", "cli-run"],
      appEnv,
    );
    expect(cli.code, cli.stderr).toBe(0);
    const result = JSON.parse(cli.stdout) as RunResult;
    expect(result).toMatchObject({ runId: "cli-run", processed: 500, nextCursor: "2500", done: false });
    expect(result.counts.updated + result.counts.failed).toBe(500);
    expect(await countOf(`SELECT count(*)::int AS n FROM users WHERE timezone IS NOT NULL`)).toBe(
      result.counts.updated,
    );
    const rejected = await runNode(["ops/runJob.js", "--job", "backfillTimezone", "--batch-size", "50000"], appEnv);
    expect(rejected.code).toBe(2);
    expect(JSON.parse(rejected.stderr)).toMatchObject({ error: { code: "invalid_params" } });
  });

  let fullRun: RunResult[] = [];
  it("a full backfill in batches from cursor null to done processes every user exactly once", async () => {
    fullRun = await runUntilDone({ batchSize: 700, runId: "full-run" });
    expect(fullRun).toHaveLength(Math.ceil(USERS / 700));
    expect(fullRun.reduce((sum, b) => sum + b.processed, 0)).toBe(USERS);
    const cursors = fullRun.map((b) => Number(b.nextCursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    // One event per user: none missing (anti-join), none twice (distinct = count).
    const [events] = await rows<{ n: number; distinct: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT entity_id)::int AS distinct FROM ops_job_events WHERE run_id = 'full-run'`,
    );
    expect(events).toEqual({ n: USERS, distinct: USERS });
    expect(
      await countOf(`SELECT count(*)::int AS n FROM users u WHERE NOT EXISTS
      (SELECT 1 FROM ops_job_events e WHERE e.run_id = 'full-run' AND e.entity_id = u.id)`),
    ).toBe(0);
    // The CLI's 500 users were already filled: skipped without a write, not updated twice.
    expect(
      await countOf(`SELECT count(*)::int AS n FROM ops_job_events WHERE run_id = 'full-run' AND event = 'skipped'`),
    ).toBeGreaterThan(450);
    const [run] = await rows<{ status: string; processed: number; cursor: string }>(
      `SELECT status, processed, cursor FROM ops_job_runs WHERE id = 'full-run'`,
    );
    expect(run).toEqual({ status: "done", processed: USERS, cursor: String(USERS) });
  });

  it("failures carry reason codes, and exactly the failed users are left NULL", async () => {
    const failures = fullRun.flatMap((b) => b.failures);
    expect(new Set(failures.map((f) => f.reason))).toEqual(new Set(REASONS));
    expect(failures.length).toBeGreaterThan(USERS * 0.03);
    const nullIds = await rows<{ id: number }>(`SELECT id FROM users WHERE timezone IS NULL ORDER BY id`);
    expect(nullIds.map((r) => r.id)).toEqual(failures.map((f) => f.id).sort((a, b) => a - b));
    expect(
      await countOf(
        `SELECT count(*)::int AS n FROM ops_job_events WHERE run_id = 'full-run' AND event = 'failed' AND reason = ANY($1)`,
        [REASONS],
      ),
    ).toBe(failures.length);
  });

  it("re-sending a batch changes nothing, in the same run or a new one", async () => {
    const users = await usersSnapshot();
    const events = await countOf(`SELECT count(*)::int AS n FROM ops_job_events`);
    const again = await runBatch({ cursor: null, batchSize: 700, runId: "full-run" });
    expect(again.body.changed).toEqual([]);
    expect(again.body.failures).toEqual(fullRun[0].failures);
    expect(await countOf(`SELECT count(*)::int AS n FROM ops_job_events`)).toBe(events);
    const fresh = await runBatch({ cursor: "3000", batchSize: 700 });
    expect(fresh.body.counts.updated).toBe(0);
    expect(await usersSnapshot()).toBe(users);
  });

  it("verify reports coverage under 100% with the bad rows, and every filled value is a valid IANA zone", async () => {
    const { body } = await call<VerifyResult>("POST", "/ops/jobs/verify", {
      job: "backfillTimezone",
      params: { sample: 200 },
    });
    const filled = await countOf(`SELECT count(timezone)::int AS n FROM users`);
    expect(body).toMatchObject({
      total: USERS,
      filled,
      coverage: Math.floor((filled / USERS) * 10000) / 100,
      ok: false,
    });
    expect(body.coverage).toBeLessThan(100);
    expect(body.missing.length).toBeGreaterThan(0);
    for (const row of body.missing) expect(REASONS).toContain(row.reason);
    // Every unfilled row, not only the listed ones, counted by its reason: none of them could have been derived.
    expect(Object.keys(body.missingByReason).sort()).toEqual([...REASONS].sort());
    expect(Object.values(body.missingByReason).reduce((a, b) => a + b, 0)).toBe(USERS - filled);
    expect(body).toMatchObject({ invalid: [], sampleMismatches: [], sampled: 200 });
    // Independent of the app: every distinct stored zone is known to Intl and to PostgreSQL's tz database.
    const zones = await rows<{ timezone: string; known: boolean }>(
      `SELECT DISTINCT timezone, EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = timezone) AS known FROM users WHERE timezone IS NOT NULL`,
    );
    expect(zones.length).toBeGreaterThan(40);
    for (const { timezone, known } of zones) {
      expect(() => new Intl.DateTimeFormat("en-US", { timeZone: timezone }), timezone).not.toThrow();
      expect(known, timezone).toBe(true);
    }
  });

  it("the contract migration succeeds once the fallback fix-up has filled what no rule resolves", async () => {
    const nulls = await countOf(`SELECT count(*)::int AS n FROM users WHERE timezone IS NULL`);
    const fallback = await runUntilDone({ batchSize: 5000, zone: "UTC", runId: "fallback-run" }, "fallbackTimezone");
    expect(fallback.reduce((sum, b) => sum + b.counts.updated, 0)).toBe(nulls);
    const verified = await call<VerifyResult>("POST", "/ops/jobs/verify", { job: "backfillTimezone", params: {} });
    expect(verified.body).toMatchObject({ coverage: 100, ok: true, invalid: [], sampleMismatches: [] });
    const { status, body } = await call<MigrateResult>("POST", "/ops/migrate");
    expect(status, body.output).toBe(200);
    expect(body.applied).toEqual([CONTRACT]);
    expect((await call<MigrationList>("GET", "/ops/migrations")).body.pending).toEqual([]);
    const [column] = await rows<{ is_nullable: string }>(
      `SELECT is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'users' AND column_name = 'timezone'`,
      [schema],
    );
    expect(column.is_nullable).toBe("NO");
  });
});
