import { env, runDurableObjectAlarm, SELF } from "cloudflare:test";
import { expect } from "vitest";
import { seedInvoicePerfect } from "../../src/control/seed";
import { insertUserWithToken } from "../../src/control/users";
import { database } from "../../src/db/client";
import { findEnv } from "../../src/db/environments";
import { unwrap } from "../../src/domain/errors";
import { isTerminal } from "../../src/domain/run";
import type { RunStatus } from "../../src/domain/run";
import type { RunRecord, StepRecord } from "../../src/runs/store";
import { ProviderError } from "../../src/providers/types";
import { appServices, sandboxWorld } from "../../src/dev/wiring";

export type Role = "viewer" | "deployer" | "admin";

/** Seeds Invoice Perfect (idempotent; storage is per test file) and returns the env ids. */
export async function seedWorld() {
  await seedInvoicePerfect(appServices(env), sandboxWorld(env));
  const db = database(env.DB);
  return {
    staging: (await findEnv(db, "invoice-perfect:staging")).id,
    production: (await findEnv(db, "invoice-perfect:production")).id,
  };
}

/**
 * The first run a team makes: "deploy staging", driven to success. Its reconcile connects every managed
 * service and turns Railway's auto-deploy off, in staging and (serviceConnect acting on every environment)
 * in production too, so a later sandbox push deploys nothing by itself and a test's deployments are the
 * control plane's. Seeded Railway services auto-deploy pushes, as Railway's default is.
 */
export async function firstRunReconciles(ids: { staging: string }) {
  const admin = await makeUser("admin");
  const plan = await api(admin.token, "POST", `/api/envs/${ids.staging}/plan`, { type: "deploy" });
  expect(plan.status, plan.text).toBe(201);
  const applied = await api(admin.token, "POST", `/api/plans/${plan.body.plan.id}/apply`);
  expect(applied.status, applied.text).toBe(202);
  expect((await driveRun(admin.token, applied.body.run.id, ids.staging)).status).toBe("succeeded");
}

let userCount = 0;

/** A user with a fresh token. */
export async function makeUser(role: Role, phone?: string) {
  userCount += 1;
  const { user, token } = await insertUserWithToken(
    database(env.DB),
    { name: `${role} ${userCount}`, role, phone },
    new Date().toISOString(),
  );
  return { ...user, token };
}

/** Calls the Worker's API as a user. */
export async function api(
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await SELF.fetch(`https://infra-chat.test${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, body: json, text };
}

/** The environment's Durable Object stub. */
export function envObject(envId: string) {
  return env.ENVIRONMENTS.getByName(envId);
}

/**
 * How long a drive may take before it fails: at least this many alarm turns, and at least this long. `pauseMs`
 * after every turn leaves the object free for other callers (an edge router's reports), which a drive that runs
 * alarm after alarm would starve.
 */
export interface DriveBudget {
  turns: number;
  ms: number;
  pauseMs: number;
}

// At least 1,500 turns and at least 10 s: a run waiting on (scaled) wall time must not lose to a fast machine.
const DRIVE_BUDGET: DriveBudget = { turns: 1500, ms: 10_000, pauseMs: 0 };

/**
 * Runs the environment's alarms until `probe` returns something other than false or undefined, and returns
 * it. `probe` is asked before every alarm (it may also act: approve, resume, evict). Bounded: when the
 * budget runs out the test fails, saying what never happened, instead of hanging or going on without it.
 */
export async function driveAlarms<T>(
  envId: string,
  probe: () => Promise<T | false | undefined> | T | false | undefined,
  what: string | (() => string),
  budget: Partial<DriveBudget> = {},
): Promise<T> {
  const { turns, ms, pauseMs } = { ...DRIVE_BUDGET, ...budget };
  for (let i = 0, start = Date.now(); i < turns || Date.now() - start < ms; i++) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    // A fresh stub every turn: after abortAllDurableObjects an older stub stays broken.
    const ran = await runDurableObjectAlarm(envObject(envId));
    if (!ran || pauseMs > 0) await new Promise((r) => setTimeout(r, ran ? pauseMs : 15));
  }
  throw new Error(`never happened: ${typeof what === "string" ? what : what()}`);
}

/** Drives a run's alarms until its status (as the API reports it) satisfies `until`: by default, until it ends. */
export async function driveRun(
  token: string,
  runId: string,
  envId: string,
  until: (status: RunStatus) => boolean = isTerminal,
  budget?: Partial<DriveBudget>,
) {
  let last: any = null;
  return driveAlarms(
    envId,
    async () => {
      last = (await api(token, "GET", `/api/runs/${runId}`)).body.run;
      return until(last.status) ? last : undefined;
    },
    () => {
      const where = last?.steps
        ?.filter((s: { status: string }) => s.status !== "succeeded")
        .map((s: { id: string; status: string; note?: string }) => `${s.id}:${s.status}:${s.note ?? ""}`);
      return `run ${runId} settling (last ${last?.status} ${JSON.stringify(where)})`;
    },
    budget,
  );
}

/** A run as its environment's Durable Object holds it: the record (plan, outputs) and its steps with their state. */
export async function live(envId: string, runId: string): Promise<{ run: RunRecord; steps: StepRecord[] }> {
  return unwrap(await envObject(envId).inspect(runId));
}

/** Drives the environment's alarms until the run, as its Durable Object holds it, satisfies `until`. */
export async function driveUntil(
  envId: string,
  runId: string,
  until: (state: { run: RunRecord; steps: StepRecord[] }) => boolean | Promise<boolean>,
  what: string,
  budget?: Partial<DriveBudget>,
) {
  return driveAlarms(
    envId,
    async () => {
      const state = await live(envId, runId);
      return (await until(state)) && state;
    },
    `run ${runId}: ${what}`,
    budget,
  );
}

/** Runs `count` of the environment's alarms (whether or not anything is due). */
export async function runAlarms(envId: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await runDurableObjectAlarm(envObject(envId));
}

/**
 * Takes away the sandbox api's 0.2% background 5xx in one environment (an app fault's errorRate replaces the
 * background; a worse fault added later still wins). For tests of a production run's mechanics that need a
 * healthy canary to pass every time: with the background, seeded 10/50/100 soaks of a healthy app were rolled
 * back about 1 in 300, which is the judge's α at work. The judge's own rates are canary-judge.test.ts's job.
 */
export async function noBackground5xx(envName = "production") {
  const added = await sandboxWorld(env).addFault({
    kind: "app",
    env: envName,
    service: "api",
    track: "all",
    errorRate: 0,
  });
  expect(added.ok).toBe(true);
}

/** Deployments the sandbox world holds for one service (newest first). */
export async function deploymentsOf(envName: string, service: string) {
  return sandboxWorld(env).deploymentsOf(envName, service);
}

/** Expects the documented error body. */
export function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body?.error?.code).toBe(code);
  expect(typeof res.body?.error?.message).toBe("string");
}

/** The ProviderError a call fails with (fails the test when it succeeds or throws something else). */
export async function failureOf(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error("expected a ProviderError, the call succeeded");
}
