/**
 * Issue 16 item 4: a secret that cannot be decrypted fails only the step that needs it, naming the secret
 * (never its value) and the fix; chat, status, other runs, seeding and the redactor keep working, and no
 * run is left running with nothing scheduled. A master-key rotation without SECRETS_PREVIOUS_KEYS degrades
 * the same way.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { handleChat } from "../../src/control/chat";
import { controlContext } from "../../src/control/context";
import { seedInvoicePerfect } from "../../src/control/seed";
import { resolveSecret } from "../../src/db/secrets";
import { createPlan } from "../../src/control/plans";
import { createControlPlanePort } from "../../src/db/port";
import { isTerminal } from "../../src/domain/run";
import { planDigest } from "../../src/plan/digest";
import { RunEngine } from "../../src/runs/engine";
import { JudgeStore } from "../../src/runs/canary/judge-store";
import { RunStore } from "../../src/runs/store";
import { appServices, sandboxWorld } from "../../src/dev/wiring";
import { api, driveRun, envObject, live, makeUser, seedWorld } from "./helpers";
import { changeSpec } from "./monitoring-support";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
let approver: Awaited<ReturnType<typeof makeUser>>;

/** Swaps two secret rows' ciphertexts: each is still well-formed, and each fails its location (AAD) check. */
async function swapCiphertexts(envId: string, a: string, b: string) {
  const row = (name: string) =>
    env.DB.prepare("SELECT iv, ciphertext FROM secrets WHERE env_id = ? AND name = ?")
      .bind(envId, name)
      .first<{ iv: string; ciphertext: string }>();
  const [ra, rb] = [await row(a), await row(b)];
  const put = (name: string, r: { iv: string; ciphertext: string } | null) =>
    env.DB.prepare("UPDATE secrets SET iv = ?, ciphertext = ? WHERE env_id = ? AND name = ?").bind(
      r!.iv,
      r!.ciphertext,
      envId,
      name,
    );
  await env.DB.batch([put(a, rb), put(b, ra)]);
}

const say = async (token: string, message: string) => {
  const res = await api(token, "POST", "/api/chat", { message });
  expect(res.status, res.text).toBe(200);
  return res.body.replies[0].text as string;
};

beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin");
  approver = await makeUser("admin");
  // Production deploys go straight out here: this file is about secrets, not the canary.
  await changeSpec(ids.production, (spec) => {
    spec.policies.canary.enabled = false;
  });
  await swapCiphertexts(ids.production, "STRIPE_SECRET_KEY", "SENDGRID_API_KEY");
});

describe("a secret that cannot be decrypted", { timeout: 120_000 }, () => {
  it("leaves chat, status, the environment views, seeding and the redactor working", async () => {
    expect(await say(admin.token, "status of production")).toMatch(/production/);
    expect(await say(admin.token, "status of staging")).toMatch(/staging/);
    expect((await api(admin.token, "GET", "/api/envs/invoice-perfect:production")).status).toBe(200);
    expect((await api(admin.token, "GET", `/api/envs/${ids.production}/secrets`)).body.secrets.length).toBeGreaterThan(
      1,
    );
    await seedInvoicePerfect(appServices(env), sandboxWorld(env));
    // The redactor still hides every secret it can read.
    const staging = await resolveSecret(appServices(env).db, appServices(env).cipher, ids.staging, "STRIPE_SECRET_KEY");
    const redact = await appServices(env).redactor();
    expect(redact(`key=${staging}`)).not.toContain(staging!);
  });

  it("lets an unrelated run (staging) succeed", async () => {
    const plan = await api(admin.token, "POST", `/api/envs/${ids.staging}/plan`, { type: "deploy" });
    const run = (await api(admin.token, "POST", `/api/plans/${plan.body.plan.id}/apply`)).body.run;
    expect((await driveRun(admin.token, run.id, ids.staging)).status).toBe("succeeded");
  });

  it("fails the step that needs it, naming the secret and the fix, never the value; the run ends", async () => {
    await sandboxWorld(env).addCommit({ message: `release-${crypto.randomUUID().slice(0, 6)}` });
    const plan = await api(admin.token, "POST", `/api/envs/${ids.production}/plan`, { type: "deploy" });
    const run = (await api(admin.token, "POST", `/api/plans/${plan.body.plan.id}/apply`)).body.run;
    expect((await api(approver.token, "POST", `/api/runs/${run.id}/approve`, {})).status).toBe(200);
    const ended = await driveRun(admin.token, run.id, ids.production);
    expect(ended.status).toBe("failed");
    const failed = ended.steps.find((s: { status: string }) => s.status === "failed");
    expect(failed.kind).toBe("reconcile-config");
    expect(failed.error).toMatch(/secret STRIPE_SECRET_KEY of invoice-perfect:production cannot be decrypted/);
    expect(failed.error).toMatch(/set it again|SECRETS_PREVIOUS_KEYS/);
    // Terminal in the object too: nothing left running that nothing will ever wake.
    expect(isTerminal((await live(ids.production, run.id)).run.status)).toBe(true);
  });
});

describe("a master-key rotation without SECRETS_PREVIOUS_KEYS", { timeout: 60_000 }, () => {
  const rotated = () =>
    appServices({
      ...env,
      SECRETS_MASTER_KEY: btoa(String.fromCharCode(...new Uint8Array(32).fill(42))),
      SECRETS_KEY_ID: "rotated",
      SECRETS_PREVIOUS_KEYS: undefined,
    });

  it("keeps seeding, chat and the redactor working, and names the unreadable secret and the fix", async () => {
    const services = rotated();
    await seedInvoicePerfect(services, sandboxWorld(env));
    expect(typeof (await services.redactor())("text")).toBe("string");
    const cx = controlContext(services, { id: admin.id, name: admin.name, role: "admin" });
    const chat = await handleChat(cx, { message: "status of staging" }, 0);
    expect(chat.replies[0].text).toMatch(/staging/);
    const error = await resolveSecret(services.db, services.cipher, ids.staging, "SENDGRID_API_KEY").then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(
      /secret SENDGRID_API_KEY of invoice-perfect:staging cannot be decrypted: it was sealed with key "test1", which is not configured/,
    );
    expect(error?.message).toMatch(/SECRETS_PREVIOUS_KEYS/);
  });
});

describe("the run engine's schedule", () => {
  it("keeps an accepted run's tick when an effect after acceptance fails (its plan artifacts here)", async () => {
    const services = appServices(env);
    const actor = { id: admin.id, name: admin.name, role: "admin" as const };
    const plan = await createPlan(controlContext(services, actor), "invoice-perfect:staging", {
      type: "deploy",
      params: {},
    });
    await runInDurableObject(envObject(`engine-schedule-${crypto.randomUUID()}`), async (_, state) => {
      const store = new RunStore(state.storage.sql);
      store.migrate();
      const engine = new RunEngine({
        store,
        port: createControlPlanePort(services.db, services.cipher, Date.now),
        artifacts: {
          put: async () => {
            throw new Error("R2 is unavailable");
          },
          get: async () => null,
          list: async () => [],
        },
        providers: async (onReceipt) => services.providers({ onReceipt }),
        commit: async () => undefined,
        arm: async () => undefined,
        planDigest,
        approvalKeyId: () => "k",
        notify: async () => undefined,
        now: Date.now,
        pollMs: 10,
        judges: new JudgeStore(state.storage.sql, (fn) => state.storage.transactionSync(fn)),
        deployTimeoutMs: 60_000,
        wallMs: (ms) => ms,
        timing: { simulated: true, waitFactor: 0 },
      });
      const run = await engine.enqueue(plan, actor);
      expect(run.status).toBe("running");
      expect(store.dueAt("tick")).not.toBeNull();
    });
  });
});
