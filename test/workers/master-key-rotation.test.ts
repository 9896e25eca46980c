/**
 * Issue 16 item 4: after SECRETS_MASTER_KEY is rotated (the old key kept in SECRETS_PREVIOUS_KEYS), a
 * rotate-master-key run per environment re-seals every secret with the new key — audited, resumable after
 * an eviction — and approval codes handed out before stay valid (they derive from APPROVAL_KEY).
 */
import { abortAllDurableObjects, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { LanguageContext } from "../../src/chat/language/context";
import { understand } from "../../src/chat/language/understand";
import { database } from "../../src/db/client";
import { putSecret, resolveSecret } from "../../src/db/secrets";
import { createSecretBox } from "../../src/security/secrets";
import { appServices, sandboxWorld } from "../../src/dev/wiring";
import { api, driveRun, driveUntil, expectError, makeUser, seedWorld } from "./helpers";
import { sms } from "./monitoring-support";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
let approver: Awaited<ReturnType<typeof makeUser>>;
const APPROVER_PHONE = "+15550008002";
/** The master key before the rotation, still listed in SECRETS_PREVIOUS_KEYS (vitest.config.ts). */
const oldBox = () => createSecretBox(JSON.parse(env.SECRETS_PREVIOUS_KEYS ?? "{}").test0, "test0");

const keyIds = async (envId: string) =>
  (
    await env.DB.prepare("SELECT name, key_id FROM secrets WHERE env_id = ? ORDER BY name")
      .bind(envId)
      .all<{ name: string; key_id: string }>()
  ).results;

beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin");
  approver = await makeUser("admin", APPROVER_PHONE);
});

describe("rotate-master-key", { timeout: 120_000 }, () => {
  it("re-seals every row of every environment with the new key, resumes after an eviction, and old approval codes still work", async () => {
    // A production run waits for an approver, whose code was texted before the rotation.
    await sandboxWorld(env).addCommit({ message: `release-${crypto.randomUUID().slice(0, 6)}` });
    const plan = await api(admin.token, "POST", `/api/envs/${ids.production}/plan`, { type: "deploy" });
    const waiting = (await api(admin.token, "POST", `/api/plans/${plan.body.plan.id}/apply`)).body.run;
    const code = (await api(approver.token, "GET", `/api/runs/${waiting.id}`)).body.run.approvals.code;

    // Rows sealed with the old key, as every row is right after SECRETS_MASTER_KEY changed.
    const db = database(env.DB);
    const values = new Map<string, string>();
    for (let i = 0; i < 32; i++) {
      const name = `LEGACY_${String(i).padStart(2, "0")}`;
      values.set(name, `legacy-value-${i}-${crypto.randomUUID()}`);
      await putSecret(db, oldBox(), ids.staging, name, values.get(name)!, new Date().toISOString());
    }
    await putSecret(db, oldBox(), ids.production, "LEGACY_PROD", "legacy-prod-value", new Date().toISOString());
    expect((await keyIds(ids.staging)).filter((r) => r.key_id === "test0")).toHaveLength(32);

    const started = await api(admin.token, "POST", "/api/secrets/rotate-master-key", {});
    expect(started.status, started.text).toBe(202);
    const byEnv = new Map(started.body.rotations.map((r: { env: string }) => [r.env, r]));
    const staging = byEnv.get("invoice-perfect:staging") as { run: { id: string } };
    const production = byEnv.get("invoice-perfect:production") as { run: { id: string } };
    expect(staging.run.id).toBeDefined();

    // One batch (25 rows) done, then the object is evicted: the run carries on from the rows still old.
    await driveUntil(
      ids.staging,
      staging.run.id,
      ({ steps }) => (steps[0].state.reencrypted ?? 0) > 0,
      "the first batch is re-sealed",
    );
    await abortAllDurableObjects();
    const done = await driveRun(admin.token, staging.run.id, ids.staging);
    expect(done.status).toBe("succeeded");
    expect(done.steps[0].note).toMatch(/^3[2-4] secrets re-sealed with the current master key$/);
    expect((await driveRun(admin.token, production.run.id, ids.production)).status).toBe("succeeded");

    for (const envId of [ids.staging, ids.production])
      expect((await keyIds(envId)).filter((r) => r.key_id !== "test1")).toEqual([]);
    const services = appServices(env);
    for (const [name, value] of values)
      expect(await resolveSecret(services.db, services.cipher, ids.staging, name)).toBe(value);

    const audit = (await api(admin.token, "GET", "/api/audit?env=invoice-perfect:staging&limit=100")).body.events;
    expect(
      audit.some(
        (e: { action: string; runId?: string; intent?: string }) =>
          e.action === "step.succeeded" && e.runId === staging.run.id && e.intent === "reencrypt-secrets",
      ),
    ).toBe(true);

    // The approval code from before the rotation approves.
    expect((await sms(APPROVER_PHONE, `YES ${code}`)).text).toMatch(/Approved: deploy of invoice-perfect:production/);
    await api(admin.token, "POST", `/api/runs/${waiting.id}/cancel`, {});
  });

  it("names a row that opens with no configured key, and re-seals the others all the same", async () => {
    const db = database(env.DB);
    await putSecret(db, oldBox(), ids.staging, "OLD_GOOD", "still-readable", new Date().toISOString());
    await putSecret(db, oldBox(), ids.staging, "OLD_BROKEN", "never-readable", new Date().toISOString());
    await env.DB.prepare("UPDATE secrets SET key_id = 'gone' WHERE env_id = ? AND name = 'OLD_BROKEN'")
      .bind(ids.staging)
      .run();
    const plan = await api(admin.token, "POST", `/api/envs/${ids.staging}/plan`, { type: "rotate-master-key" });
    expect(plan.body.plan.requiresApproval).toBe(false);
    const run = (await api(admin.token, "POST", `/api/plans/${plan.body.plan.id}/apply`)).body.run;
    const ended = await driveRun(admin.token, run.id, ids.staging);
    expect(ended.status).toBe("failed");
    expect(ended.steps[0].error).toMatch(
      /1 could not be opened with any configured key \(OLD_BROKEN\): secret OLD_BROKEN of invoice-perfect:staging cannot be decrypted: it was sealed with key "gone"/,
    );
    expect(ended.steps[0].error).not.toContain("never-readable");
    const rows = await keyIds(ids.staging);
    expect(rows.find((r) => r.name === "OLD_GOOD")?.key_id).toBe("test1");
    expect(rows.find((r) => r.name === "OLD_BROKEN")?.key_id).toBe("gone");
    await env.DB.prepare("DELETE FROM secrets WHERE env_id = ? AND name = 'OLD_BROKEN'").bind(ids.staging).run();
  });

  it("is an admin's to ask for, by REST or chat", async () => {
    const deployer = await makeUser("deployer");
    expectError(await api(deployer.token, "POST", "/api/secrets/rotate-master-key", {}), 403, "forbidden");
    const context: LanguageContext = {
      project: "invoice-perfect",
      envs: ["staging", "production"],
      localEnvs: [],
      services: ["api"],
      repos: { api: "invoice-perfect/api" },
      jobs: [],
      secretNames: [],
    };
    for (const message of ["rotate the master key", "re-encrypt all secrets"])
      expect(understand(message, context)).toMatchObject({ kind: "intents", intents: [{ kind: "rotate-master-key" }] });
    const refused = await api(deployer.token, "POST", "/api/chat", { message: "rotate the master key" });
    expect(refused.body.replies[0].text).toMatch(/may not manage-secrets|forbidden|not allowed/i);
    const chat = await api(admin.token, "POST", "/api/chat", { message: "rotate the master key" });
    expect(chat.status).toBe(200);
    const texts = chat.body.replies.map((r: { text: string }) => r.text).join("\n");
    expect(texts).toMatch(
      /invoice-perfect:staging: re-sealing its secrets with the current master key \(run run_\w+\)/,
    );
  });
});
