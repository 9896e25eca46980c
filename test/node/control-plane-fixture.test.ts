/**
 * The control plane end to end against the real Invoice Perfect fixture app on a real PostgreSQL: the
 * Worker runs in local workerd (wrangler's unstable_dev) with the sandbox providers, and the sandbox's
 * staging api is attached to the fixture (`POST /sandbox/apps`), so the api's `/ops/*` calls and the
 * `api-migrate` job's pre-deploy command (`POST /ops/migrate`) reach the real app on localhost.
 *
 * Needs TEST_DATABASE_URL (`eval "$(bash .ci/test-postgres.sh)"`): skipped with a loud warning without
 * it, failing under CI. The tests share one app, database and control plane and run in order, retracing
 * the release: migration-aware plan → chat chain (migrate, backfill staging, production awaiting
 * approval) → backfill controls → a contract migration that fails while NULLs remain.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QueryTypes, Sequelize } from "sequelize";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runNode, startApp, type Child } from "./fixture-process";
import { unstable_dev } from "wrangler";

const DATABASE_URL: string | undefined = process.env.TEST_DATABASE_URL;
const IN_CI = Boolean(process.env.CI) && process.env.CI !== "false";
const NO_DB =
  "TEST_DATABASE_URL is not set: the control plane ↔ PostgreSQL fixture tests cannot run. Start one with\n" +
  '  eval "$(bash .ci/test-postgres.sh)"';
const BASE = "20240105090100-create-ops-tables.js";
const USERS = 10_000;
const TERMINAL = ["succeeded", "failed", "rolled-back", "cancelled", "rejected"];

if (!DATABASE_URL && !IN_CI) {
  console.warn(
    `\n${"!".repeat(100)}\n!!! SKIPPING test/node/control-plane-fixture.test.ts — ${NO_DB}\n${"!".repeat(100)}\n`,
  );
}
if (!DATABASE_URL && IN_CI) {
  describe("control plane ↔ fixture prerequisites", () => {
    it("has a PostgreSQL to run against in CI", () => expect.fail(NO_DB));
  });
}

type Worker = Awaited<ReturnType<typeof unstable_dev>>;
/* eslint-disable @typescript-eslint/no-explicit-any -- API bodies are checked field by field below */
type Body = any;

async function stopApp(app: { child: Child } | undefined): Promise<void> {
  if (!app || app.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => app.child.on("exit", () => resolve()));
  app.child.kill("SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
}

const ADMIN = `ic_fixture_admin_${randomBytes(6).toString("hex")}`;
const VARS = {
  SANDBOX: "1",
  SANDBOX_TIME_SCALE: "0",
  INFRA_CHAT_ADMIN_TOKEN: ADMIN,
  SECRETS_MASTER_KEY: Buffer.alloc(32, 5).toString("base64"),
  SECRETS_KEY_ID: "fixture",
  AUDIT_KEY: Buffer.alloc(32, 6).toString("base64"),
  APPROVAL_KEY: Buffer.alloc(32, 8).toString("base64"),
  TWILIO_AUTH_TOKEN: "fixture-twilio",
  TWILIO_FROM_NUMBER: "+15550009999",
};

/** The Worker in local workerd; `state` keeps D1, R2 and Durable Objects (alarms included) across restarts. */
function startWorker(state: string): Promise<Worker> {
  return unstable_dev("src/dev/index.ts", {
    config: "wrangler.toml",
    env: "dev",
    persistTo: state,
    logLevel: "error",
    vars: VARS,
    experimental: { disableExperimentalWarning: true },
  });
}

describe.skipIf(!DATABASE_URL)(
  "control plane against the Invoice Perfect fixture on PostgreSQL",
  { timeout: 120_000 },
  () => {
    const schema = `cp_${randomBytes(6).toString("hex")}`;
    const appEnv = { DATABASE_URL: DATABASE_URL ?? "", DATABASE_SCHEMA: schema, OPS_ANSWER_DELAY_MS: "0" };
    let app: { child: Child; baseUrl: string } | undefined;
    let worker: Worker;
    let state: string;
    let db: Sequelize;
    let second: string;

    const rows = <T extends object>(sql: string, bind: unknown[] = []) =>
      db.query<T>(sql, { bind, type: QueryTypes.SELECT });
    const countOf = async (sql: string, bind: unknown[] = []) => (await rows<{ n: number }>(sql, bind))[0].n;

    async function call(
      method: string,
      path: string,
      body?: unknown,
      token = ADMIN,
    ): Promise<{ status: number; body: Body }> {
      const res = await worker.fetch(path, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    }

    async function attach(url: string | null, env = "staging") {
      const res = await call("POST", "/sandbox/apps", { env, service: "api", url });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }

    async function settle(
      runId: string,
      until: (run: Body) => boolean = (run) => TERMINAL.includes(run.status),
    ): Promise<Body> {
      let run: Body = null;
      for (let i = 0; i < 2400; i++) {
        run = (await call("GET", `/api/runs/${runId}`)).body.run;
        if (until(run)) return run;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(
        `run ${runId} did not settle: ${run?.status} ${JSON.stringify(run?.steps?.map((s: Body) => `${s.id}:${s.status}:${s.note ?? s.error ?? ""}`))}`,
      );
    }

    async function restartWorker(): Promise<void> {
      await worker.stop();
      worker = await startWorker(state);
    }

    async function restartApp(env: Record<string, string>): Promise<void> {
      await stopApp(app);
      app = await startApp({ ...appEnv, ...env });
      await attach(app.baseUrl);
    }

    beforeAll(async () => {
      db = new Sequelize(DATABASE_URL ?? "", {
        logging: false,
        dialectOptions: { options: `-c search_path=${schema}` },
      });
      await db.query(`CREATE SCHEMA ${schema}`);
      app = await startApp(appEnv);
      // The schema release v1 shipped with (users, ops tables), and 10,000 users.
      const base = await fetch(`${app.baseUrl}/ops/migrate`, { method: "POST", body: JSON.stringify({ to: BASE }) });
      expect(base.status).toBe(200);
      const seeded = await runNode(["seed/seed.js", "--count", String(USERS)], appEnv);
      expect(seeded.code, seeded.stderr).toBe(0);

      state = mkdtempSync(join(tmpdir(), "infra-chat-fixture-"));
      execFileSync(
        "npx",
        ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--env", "dev", "--persist-to", state],
        {
          stdio: "ignore",
          env: { ...process.env, CI: "1" },
        },
      );
      worker = await startWorker(state);
      // Seeding is idempotent; a loaded machine can make wrangler's proxy give up on the first (slow) one.
      let seeded200 = false;
      for (let i = 0; i < 3 && !seeded200; i++)
        seeded200 =
          (await worker.fetch("/sandbox/seed", { method: "POST", headers: { "content-type": "application/json" } }))
            .status === 200;
      expect(seeded200).toBe(true);
      second = (await call("POST", "/api/users", { name: "Second admin", role: "admin" })).body.token;
      await attach(app.baseUrl);
    }, 180_000);

    afterAll(async () => {
      await worker?.stop();
      await stopApp(app);
      if (state) rmSync(state, { recursive: true, force: true });
      await db?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db?.close();
    });

    it("a migrate plan lists each pending migration with the class the app gives it (GET /ops/migrations)", async () => {
      const res = await call("POST", "/api/envs/invoice-perfect:staging/plan", { type: "migrate", params: {} });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const step = res.body.plan.steps.find((s: Body) => s.kind === "migrate");
      expect(step.summary).toContain(
        "20241112100000-add-timezone-to-users (expand), 20241203100000-make-timezone-not-null (contract)",
      );
      expect(res.body.plan.risk.notes.join(" ")).toMatch(
        /contract migration 20241203100000-make-timezone-not-null \(contract\): releases older than this can no longer be rolled back to/,
      );
    });

    // 10,000 users at the default 1000/min: 60 batches, each checked against the app's health every 30 s of run time.
    it("the chat sentence plans migrate staging → backfill staging → production at 500/min awaiting approval; staging reaches verified coverage", {
      timeout: 240_000,
    }, async () => {
      const chat = await call("POST", "/api/chat", {
        message:
          "Add timezone column and backfill timezone from address in staging; then do production at 500 users/min.",
      });
      expect(chat.status, JSON.stringify(chat.body)).toBe(200);
      const plans = chat.body.replies.map((r: Body) => r.plan);
      expect(plans.map((p: Body) => `${p?.type}:${p?.env}`)).toEqual([
        "migrate:invoice-perfect:staging",
        "backfill:invoice-perfect:staging",
        "backfill:invoice-perfect:production",
      ]);
      // Expand only: the NOT NULL migration is left for its own run.
      expect(plans[0].steps.find((s: Body) => s.kind === "migrate").summary).toMatch(
        /20241112100000-add-timezone-to-users \(expand\); deferred: 20241203100000-make-timezone-not-null \(contract\)/,
      );
      expect(plans[1].steps[0]).toMatchObject({ kind: "await-run", summary: expect.stringContaining(plans[0].runId) });
      expect(plans[2]).toMatchObject({
        requiresApproval: true,
        params: { job: "backfillTimezone", ratePerMinute: 500, after: plans[1].runId },
      });
      expect(plans[2].steps[0]).toMatchObject({ kind: "await-run", summary: expect.stringContaining(plans[1].runId) });
      // The reply presents the chain first: each plan in order, what it waits for, which one needs approval.
      expect(chat.body.replies[0].text).toContain(
        [
          "A chain of 3 plans; each starts only after the one before it has succeeded:",
          "  1. migrate invoice-perfect:staging (expand migrations only; contract ones get their own run); auto-applies by policy",
          "  2. backfill backfillTimezone on invoice-perfect:staging at 1000 rows/min — after 1; auto-applies by policy",
          '  3. backfill backfillTimezone on invoice-perfect:production at 500 rows/min — after 2; waits for "apply", then for approval by an admin other than the requester',
        ].join("\n"),
      );
      const migrated = await settle(plans[0].runId);
      expect(migrated.status, migrated.error).toBe("succeeded");
      const staging = await settle(plans[1].runId);
      expect(staging.status, staging.error).toBe("succeeded");
      expect(staging.steps.at(-1).note).toMatch(
        /^verified: (\d+) of \1 derivable rows filled \(100%, target 100%\); \d+ of 10000 rows \(\d(\.\d)?%, bound 10%\) cannot be derived and stay empty: \w+ \d+, \w+ \d+, \w+ \d+; every value valid, \d+ re-derived samples agree$/,
      );
      expect(await eventsOf(plans[1].runId)).toEqual({ events: USERS, users: USERS, lo: 1, hi: USERS });
      expect(
        await rows(
          `SELECT is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'users' AND column_name = 'timezone'`,
          [schema],
        ),
      ).toEqual([{ is_nullable: "YES" }]);
      // Production waits for a second admin; the staging success it depends on is already there.
      const applied = await call("POST", "/api/chat", { message: "apply", conversationId: chat.body.conversationId });
      expect(applied.body.replies.at(-1).run.status).toBe("awaiting-approval");
    });

    it("a failing migration stops the deploy before any app service deploys; the previous release stays current", async () => {
      const before = (await call("GET", "/api/envs/invoice-perfect:staging")).body;
      const plan = (await call("POST", "/api/envs/invoice-perfect:staging/plan", { type: "deploy", params: {} })).body
        .plan;
      const run = await settle((await call("POST", `/api/plans/${plan.id}/apply`)).body.run.id);
      expect(run.status).toBe("failed");
      expect(run.error).toMatch(/migration failed/);
      const migrateStep = run.steps.find((s: Body) => s.kind === "migrate");
      expect(migrateStep.status).toBe("failed");
      expect(run.steps.filter((s: Body) => s.kind === "deploy-service").map((s: Body) => s.status)).toEqual([
        "skipped",
        "skipped",
        "skipped",
      ]);
      // The deployment log is what sequelize-cli printed in the app, PostgreSQL's refusal included.
      const logName = run.artifacts.find((a: string) => a.startsWith("logs/api-migrate-"));
      const log = await (
        await worker.fetch(`/api/runs/${run.id}/artifacts/${logName}`, {
          headers: { authorization: `Bearer ${ADMIN}` },
        })
      ).text();
      expect(log).toMatch(/== 20241203100000-make-timezone-not-null: migrating/);
      expect(log).toMatch(/error ERROR: column "timezone" of relation "users" contains null values/);
      const after = (await call("GET", "/api/envs/invoice-perfect:staging")).body.environment;
      expect(after.currentRelease).toEqual(before.environment.currentRelease);
      void second;
      // No app service got a new deployment: staging's api, web and cron have only their seeded one.
      const deployments = (await call("GET", "/sandbox/state")).body.deployments as {
        service: string;
        environment: string;
        status: string;
      }[];
      const apps = deployments.filter((d) => d.environment === "staging" && ["api", "web", "cron"].includes(d.service));
      expect(apps.map((d) => `${d.service}:${d.status}`).sort()).toEqual([
        "api:SUCCESS",
        "cron:SUCCESS",
        "web:SUCCESS",
      ]);
      // PostgreSQL refused SET NOT NULL: the column is still nullable.
      expect(
        await rows(
          `SELECT is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'users' AND column_name = 'timezone'`,
          [schema],
        ),
      ).toEqual([{ is_nullable: "YES" }]);
    });

    // Everything a backfill may touch on users, as one value: equal snapshots mean nothing was written.
    const usersSnapshot = async () =>
      (
        await rows<{ s: string }>(
          `SELECT md5(string_agg(id || ':' || coalesce(timezone, '-') || ':' || updated_at, ',' ORDER BY id)) AS s FROM users`,
        )
      )[0].s;

    /** Per run: events, distinct users, and the lowest and highest user id — exactly once means USERS, USERS, 1, USERS. */
    const eventsOf = async (runId: string) =>
      (
        await rows<{ events: number; users: number; lo: number; hi: number }>(
          `SELECT count(*)::int AS events, count(DISTINCT entity_id)::int AS users, min(entity_id)::int AS lo, max(entity_id)::int AS hi
       FROM ops_job_events WHERE run_id = $1`,
          [runId],
        )
      )[0];

    async function startBackfill(params: Record<string, unknown>): Promise<string> {
      const planned = await call("POST", "/api/envs/invoice-perfect:staging/plan", {
        type: "backfill",
        params: { job: "backfillTimezone", ...params },
      });
      expect(planned.status, JSON.stringify(planned.body)).toBe(201);
      const applied = await call("POST", `/api/plans/${planned.body.plan.id}/apply`);
      expect(applied.status, JSON.stringify(applied.body)).toBe(202);
      return applied.body.run.id;
    }

    const processed = (n: number) => (run: Body) =>
      TERMINAL.includes(run.status) || (run.progress?.processed ?? 0) >= n;

    it("a dry run reports what it would change and writes nothing to users (checked in PostgreSQL)", async () => {
      await db.query("UPDATE users SET timezone = NULL");
      const before = await usersSnapshot();
      const run = await settle(await startBackfill({ dryRun: true, batchSize: 1000, ratePerMinute: 100_000 }));
      expect(run.status).toBe("succeeded");
      expect(run.progress.processed).toBe(USERS);
      expect(run.progress.wouldChange).toBeGreaterThan(9000);
      expect(run.steps.at(-1).note).toMatch(
        /^dry run: \d+ rows would change; cannot be derived: \w+ \d+, \w+ \d+, \w+ \d+; nothing written$/,
      );
      expect(await usersSnapshot()).toBe(before);
      expect(await countOf("SELECT count(*)::int AS n FROM ops_job_runs WHERE id = $1", [run.id])).toBe(0);
      expect(await countOf("SELECT count(*)::int AS n FROM ops_job_events WHERE run_id = $1", [run.id])).toBe(0);
    });

    it("stopped mid-way and resumed, every user is processed exactly once; failures carry reason codes; more underivable rows than the bound fails and says why", async () => {
      await restartApp({ OPS_ANSWER_DELAY_MS: "100" });
      const runId = await startBackfill({ batchSize: 500, ratePerMinute: 100_000, maxUnderivable: 1 });
      await settle(runId, processed(2000));
      const stopped = await call("POST", `/api/runs/${runId}/stop`, {});
      expect(stopped.body.run.status, JSON.stringify(stopped.body)).toBe("stopped");
      const frozen = (await settle(runId, (run) => run.status === "stopped")).progress.processed;
      expect(frozen).toBeLessThan(USERS);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await call("GET", `/api/runs/${runId}`)).body.run.progress.processed).toBe(frozen);
      const chat = await call("POST", "/api/chat", { message: "how is the backfill going in staging?" });
      expect(chat.body.replies[0].text).toMatch(new RegExp(`is stopped: ${frozen} of ${USERS} processed`));
      expect((await call("POST", `/api/runs/${runId}/resume`, {})).body.run.status).toBe("running");
      const run = await settle(runId);
      expect(await eventsOf(runId)).toEqual({ events: USERS, users: USERS, lo: 1, hi: USERS });
      // Failures: recorded per user with a reason code, shown as samples, and exactly those users stay NULL.
      const reasons = await rows<{ reason: string; n: number }>(
        "SELECT reason, count(*)::int AS n FROM ops_job_events WHERE run_id = $1 AND event = 'failed' GROUP BY reason ORDER BY reason",
        [runId],
      );
      expect(reasons.map((r) => r.reason)).toEqual(["ambiguous_region", "no_address", "unknown_region"]);
      const failed = reasons.reduce((n, r) => n + r.n, 0);
      expect(await countOf("SELECT count(*)::int AS n FROM users WHERE timezone IS NULL")).toBe(failed);
      expect(run.progress.failed).toBe(failed);
      expect(new Set(run.progress.failureSamples.map((f: { reason: string }) => f.reason))).toEqual(
        new Set(["ambiguous_region", "no_address", "unknown_region"]),
      );
      // The app counted every unfilled row by reason: all of them underivable, more than the plan's 1% bound.
      expect(run.status).toBe("failed");
      const share = Math.round((failed / USERS) * 1000) / 10;
      const byReason = [...reasons]
        .sort((a, b) => b.n - a.n || a.reason.localeCompare(b.reason))
        .map((r) => `${r.reason} ${r.n}`)
        .join(", ");
      expect(run.progress.verification).toMatchObject({
        derivableCoverage: 100,
        notBackfilled: 0,
        underivable: failed,
      });
      expect(run.error).toContain(
        `verification failed: ${failed} of ${USERS} rows (${share}%) cannot be derived (${byReason}), above the 1% bound`,
      );
    });

    it("a control plane killed mid-batch (worker process restarted while a batch is unanswered) still processes every user exactly once", async () => {
      await db.query("UPDATE users SET timezone = NULL");
      await restartApp({ OPS_ANSWER_DELAY_MS: "400" });
      const runId = await startBackfill({ batchSize: 500, ratePerMinute: 100_000 });
      await settle(runId, processed(1500));
      // Each batch commits in the app, then answers 400 ms later: the restart lands on a batch done but unanswered.
      await restartWorker();
      // Local workerd does not re-arm an alarm whose handler died with the process (Cloudflare retries it);
      // a stop + resume wakes the EnvironmentDO here. The unanswered batch is then re-sent with the same run id.
      expect((await call("POST", `/api/runs/${runId}/stop`, {})).body.run.status).toBe("stopped");
      expect((await call("POST", `/api/runs/${runId}/resume`, {})).body.run.status).toBe("running");
      const run = await settle(runId);
      expect(run.status, run.error).toBe("succeeded");
      expect(await eventsOf(runId)).toEqual({ events: USERS, users: USERS, lo: 1, hi: USERS });
      const failed = await countOf(
        "SELECT count(*)::int AS n FROM ops_job_events WHERE run_id = $1 AND event = 'failed'",
        [runId],
      );
      expect(await countOf("SELECT count(*)::int AS n FROM users WHERE timezone IS NULL")).toBe(failed);
      expect(run.steps.at(-1).note).toMatch(/^verified: \d+ of \d+ derivable rows filled \(100%, target 100%\)/);
    });

    it("after the fallback fix-up the contract migration runs; a rollback to a release older than it is refused with the reason", async () => {
      for (let cursor: string | null = null, done = false; !done; ) {
        const res = await fetch(`${app!.baseUrl}/ops/jobs/run`, {
          method: "POST",
          body: JSON.stringify({ job: "fallbackTimezone", params: { zone: "UTC", cursor, batchSize: 5000 } }),
        });
        const body = (await res.json()) as { nextCursor: string | null; done: boolean };
        ({ nextCursor: cursor, done } = body);
      }
      const plan = (await call("POST", "/api/envs/invoice-perfect:staging/plan", { type: "deploy", params: {} })).body
        .plan;
      const run = await settle((await call("POST", `/api/plans/${plan.id}/apply`)).body.run.id);
      expect(run.status, run.error).toBe("succeeded");
      expect(
        await rows(
          `SELECT is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'users' AND column_name = 'timezone'`,
          [schema],
        ),
      ).toEqual([{ is_nullable: "NO" }]);
      const refused = await call("POST", "/api/envs/invoice-perfect:staging/plan", {
        type: "rollback",
        params: { toRelease: "v1" },
      });
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(
        /refusing to roll invoice-perfect:staging back to v1: contract migration 20241203100000-make-timezone-not-null ran at .* for v2, and v1 is older/,
      );
    });
  },
);
