/**
 * Issue 16 item 1: someone with write access to D1 (but not to the Worker's secrets, its Durable Objects or
 * R2) rewrites, truncates or edits an audit chain; verification, online and offline, says so and why.
 */
import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { eventCanonicalJson } from "../../src/audit/chain";
import type { AuditEvent } from "../../src/audit/chain";
import { sha256Hex } from "../../src/domain/hash";
import { keyringFrom, verifyExport } from "../../src/cli/verify-audit.mjs";
import { api, envObject, makeUser, seedWorld } from "./helpers";

let admin: { token: string };
let counter = 0;

beforeAll(async () => {
  await seedWorld();
  admin = await makeUser("admin");
});

/** A fresh environment whose chain holds its creation and `secrets` secret.set events. */
async function freshChain(secrets = 6): Promise<{ envId: string; env: string }> {
  counter += 1;
  const name = `audit-${counter}`;
  const created = await api(admin.token, "POST", "/api/projects/invoice-perfect/envs", { name, from: "staging" });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const envId: string = created.body.environment.id;
  for (let i = 0; i < secrets; i++) {
    const put = await api(admin.token, "PUT", `/api/envs/${envId}/secrets/TOKEN_${i}`, { value: `value-${i}-xyz` });
    expect(put.status).toBe(204);
  }
  return { envId, env: `invoice-perfect:${name}` };
}

async function dropTriggers() {
  await env.DB.prepare("DROP TRIGGER IF EXISTS audit_events_no_update").run();
  await env.DB.prepare("DROP TRIGGER IF EXISTS audit_events_no_delete").run();
}

async function chainRows(chain: string): Promise<AuditEvent[]> {
  const { results } = await env.DB.prepare(
    "SELECT id, chain, seq, at, actor, action, intent, plan_id, run_id, diff_summary, receipt_hash, details, prev_hash, hash, key_id FROM audit_events WHERE chain = ? ORDER BY seq",
  )
    .bind(chain)
    .all<Record<string, string | number | null>>();
  return results.map((r) => {
    const e: Record<string, unknown> = {
      id: r.id,
      chain: r.chain,
      seq: r.seq,
      at: r.at,
      actor: r.actor,
      action: r.action,
      prevHash: r.prev_hash,
      hash: r.hash,
    };
    for (const [column, field] of [
      ["intent", "intent"],
      ["plan_id", "planId"],
      ["run_id", "runId"],
      ["diff_summary", "diffSummary"],
      ["receipt_hash", "receiptHash"],
      ["key_id", "keyId"],
    ] as const)
      if (r[column] !== null) e[field] = r[column];
    if (r.details !== null) e.details = JSON.parse(String(r.details));
    return e as unknown as AuditEvent;
  });
}

const verify = async (envRef: string) => (await api(admin.token, "GET", `/api/audit/verify?env=${envRef}`)).body;

async function exported(envRef: string) {
  const res = await api(admin.token, "GET", `/api/audit/export?env=${envRef}`);
  expect(res.status).toBe(200);
  return res.body;
}

const offlineKeys = () => keyringFrom({ [env.AUDIT_KEY_ID ?? "audit1"]: env.AUDIT_KEY ?? "" });

describe("audit chain anchored outside D1", () => {
  it("verifies an untouched chain and reports the checkpoint it checked; the offline verifier agrees", async () => {
    const { envId, env: ref } = await freshChain();
    const rows = await chainRows(envId);
    expect(rows.every((e) => e.keyId === env.AUDIT_KEY_ID)).toBe(true);
    const verdict = await verify(ref);
    expect(verdict).toMatchObject({ ok: true, events: rows.length });
    expect(verdict.checkpoint).toMatchObject({
      chain: envId,
      seq: rows.length,
      hash: rows[rows.length - 1].hash,
      keyId: env.AUDIT_KEY_ID,
      source: "durable-object",
    });
    const file = await exported(ref);
    expect(file.events).toHaveLength(rows.length);
    expect(await verifyExport(file, offlineKeys())).toMatchObject({ ok: true, events: rows.length });
  });

  it("catches an edited event, online and offline", async () => {
    const { envId, env: ref } = await freshChain();
    const rows = await chainRows(envId);
    await dropTriggers();
    await env.DB.prepare("UPDATE audit_events SET actor = ? WHERE id = ?").bind("someone-else", rows[2].id).run();
    const verdict = await verify(ref);
    expect(verdict).toMatchObject({ ok: false, brokenAt: rows[2].id });
    expect(verdict.reason).toMatch(/does not match its signature \(its content was edited\)/);
    const offline = await verifyExport(await exported(ref), offlineKeys());
    expect(offline).toMatchObject({ ok: false, brokenAt: rows[2].id });
    expect(offline.reason).toBe(verdict.reason);
  });

  it("catches a chain rehashed with the plain SHA-256 after dropping the triggers and editing two actors", async () => {
    const { envId, env: ref } = await freshChain();
    await dropTriggers();
    // The attacker's rewrite: every event resealed without the key they do not have, links recomputed.
    let prevHash = "0".repeat(64);
    for (const row of await chainRows(envId)) {
      const edited: Omit<AuditEvent, "hash"> = {
        ...row,
        actor: row.seq === 2 || row.seq === 4 ? "usr_innocent" : row.actor,
        prevHash,
        keyId: undefined,
      };
      delete edited.keyId;
      const hash = await sha256Hex(eventCanonicalJson(edited));
      await env.DB.prepare("UPDATE audit_events SET actor = ?, prev_hash = ?, hash = ?, key_id = NULL WHERE id = ?")
        .bind(edited.actor, prevHash, hash, row.id)
        .run();
      prevHash = hash;
    }
    const verdict = await verify(ref);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(/was rewritten: event \d+ in D1 is not the one the checkpoint .* vouches for/);
    const offline = await verifyExport(await exported(ref), offlineKeys());
    expect(offline).toMatchObject({ ok: false, reason: verdict.reason });
  });

  it("catches a plain-hash event appended after keyed ones (a downgrade)", async () => {
    const { envId, env: ref } = await freshChain(2);
    const rows = await chainRows(envId);
    const last = rows[rows.length - 1];
    const forged: Omit<AuditEvent, "hash"> = {
      id: "evt_forged",
      chain: envId,
      seq: last.seq + 1,
      at: new Date().toISOString(),
      actor: "usr_innocent",
      action: "secret.set",
      prevHash: last.hash,
    };
    await env.DB.prepare(
      "INSERT INTO audit_events (id, chain, seq, at, actor, action, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
      .bind(
        forged.id,
        envId,
        forged.seq,
        forged.at,
        forged.actor,
        forged.action,
        forged.prevHash,
        await sha256Hex(eventCanonicalJson(forged)),
      )
      .run();
    const verdict = await verify(ref);
    expect(verdict).toMatchObject({ ok: false, brokenAt: "evt_forged" });
    expect(verdict.reason).toMatch(/plain hash after keyed events/);
  });

  it("catches a deleted tail (the head in D1 behind the checkpoint), and a tail written again after it", async () => {
    const { envId, env: ref } = await freshChain();
    const rows = await chainRows(envId);
    await dropTriggers();
    for (const row of rows.slice(-4)) await env.DB.prepare("DELETE FROM audit_events WHERE id = ?").bind(row.id).run();
    const verdict = await verify(ref);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toBe(
      `chain ${envId} was truncated: D1 ends at event ${rows.length - 4}, but the checkpoint of ${rows[rows.length - 1].at} vouches for event ${rows.length}`,
    );
    expect(await verifyExport(await exported(ref), offlineKeys())).toMatchObject({ ok: false, reason: verdict.reason });

    // The writer restarts, reads the truncated head from D1 and carries on: the chain recomputes, but the
    // writer noticed it was writing over events its checkpoint had vouched for, and that stays on record.
    await abortAllDurableObjects();
    for (let i = 0; i < 5; i++)
      expect(
        (await api(admin.token, "PUT", `/api/envs/${envId}/secrets/AFTER_${i}`, { value: "later-value" })).status,
      ).toBe(204);
    const after = await verify(ref);
    expect(after.ok).toBe(false);
    expect(after.reason).toMatch(
      /was truncated: event \d+ was written again after the checkpoint .* had vouched for event \d+/,
    );
  });

  it("writes an hourly digest to R2 linked to the one before, and catches a deleted digest and a reset object", async () => {
    const { envId, env: ref } = await freshChain(2);
    const sealDigestNow = async () => {
      await runInDurableObject(envObject(envId), async (_, state) => {
        state.storage.sql.exec("UPDATE schedule SET due_at = 0 WHERE key = 'audit-digest'");
      });
      await runDurableObjectAlarm(envObject(envId));
    };
    await sealDigestNow();
    expect((await api(admin.token, "PUT", `/api/envs/${envId}/secrets/LATER`, { value: "later-value" })).status).toBe(
      204,
    );
    await sealDigestNow();
    const keys = (await env.ARTIFACTS.list({ prefix: `audit/digests/${envId}/` })).objects.map((o) => o.key).sort();
    expect(keys).toHaveLength(2);
    const [first, second] = await Promise.all(
      keys.map(async (k) => JSON.parse((await (await env.ARTIFACTS.get(k))?.text()) ?? "")),
    );
    expect(first.previous).toBeNull();
    expect(second.previous).toMatchObject({ key: keys[0] });
    const verdict = await verify(ref);
    expect(verdict).toMatchObject({ ok: true });
    expect(verdict.chains[0].digest).toMatchObject({ key: keys[1], seq: second.seq, source: "r2" });
    expect(await verifyExport(await exported(ref), offlineKeys())).toMatchObject({ ok: true, digests: 2 });

    await env.ARTIFACTS.delete(keys[0]);
    expect((await verify(ref)).reason).toBe(`the R2 digest ${keys[0]} of chain ${envId} was deleted`);
    expect((await verifyExport(await exported(ref), offlineKeys())).reason).toMatch(
      /R2 digest before .* was deleted or replaced/,
    );

    await runInDurableObject(envObject(envId), async (_, state) => {
      await state.storage.delete(["audit:checkpoint", "audit:digest"]);
    });
    expect((await verify(ref)).reason).toMatch(/has R2 digests but its Durable Object holds no checkpoint/);
  });

  it("finds every chain when verifying everything, including the global one", async () => {
    const all = (await api(admin.token, "GET", "/api/audit/verify")).body;
    const chains = all.chains.map((c: { chain: string }) => c.chain);
    expect(chains).toContain("global");
    expect(typeof all.ok).toBe("boolean");
    expect((await api(admin.token, "GET", "/api/audit/verify?env=global")).body.chains[0].chain).toBe("global");
  });
});
