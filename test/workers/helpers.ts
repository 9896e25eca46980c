import { env, runDurableObjectAlarm, SELF } from "cloudflare:test";
import { expect } from "vitest";
import { seedInvoicePerfect } from "../../src/control/seed";
import { insertUserWithToken } from "../../src/control/users";
import { database } from "../../src/db/client";
import { findEnv } from "../../src/db/environments";
import { isTerminal } from "../../src/domain/run";
import type { RunStatus } from "../../src/domain/run";
import { ProviderError } from "../../src/providers/types";
import { sandboxWorld } from "../../src/wiring";

export type Role = "viewer" | "deployer" | "admin";

/** Seeds Invoice Perfect (idempotent; storage is per test file) and returns the env ids. */
export async function seedWorld() {
  await seedInvoicePerfect(env);
  const db = database(env.DB);
  return {
    staging: (await findEnv(db, "invoice-perfect:staging")).id,
    production: (await findEnv(db, "invoice-perfect:production")).id,
  };
}

/**
 * Turns Railway auto-deploy off on the seeded app services, as Infra Chat's reconcile is to (issue 14
 * item 4): a sandbox push then deploys nothing by itself, so a test's deployments are the control plane's.
 */
export async function autoDeployOff() {
  for (const envName of ["staging", "production"])
    for (const service of ["api", "web", "cron"]) {
      const res = await sandboxWorld(env).drift({ env: envName, service, autoDeploy: false });
      expect(res.ok).toBe(true);
    }
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

/** Drives a run's alarms until it leaves the active states (bounded: fails the test instead of hanging). */
export async function driveRun(
  token: string,
  runId: string,
  envId: string,
  until: (status: string) => boolean = (s) => isTerminal(s as RunStatus),
) {
  const stub = envObject(envId);
  let last: any = null;
  // At least 1,500 turns and at least 10 s: a run waiting on (scaled) wall time must not lose to a fast machine.
  for (let i = 0, start = Date.now(); i < 1500 || Date.now() - start < 10_000; i++) {
    const { body } = await api(token, "GET", `/api/runs/${runId}`);
    last = body.run;
    if (until(body.run.status)) return body.run;
    const ran = await runDurableObjectAlarm(stub);
    if (!ran) await new Promise((r) => setTimeout(r, 15));
  }
  const where = last?.steps
    ?.filter((s: { status: string }) => s.status !== "succeeded")
    .map((s: { id: string; status: string; note?: string }) => `${s.id}:${s.status}:${s.note ?? ""}`);
  throw new Error(`run ${runId} did not settle: ${last?.status} ${JSON.stringify(where)}`);
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
