import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { canonicalJson, eventCanonicalJson, hashEvent, sealEvent, verifyEvents } from "../../src/audit/chain";
import type { AuditEvent, ChainHead } from "../../src/audit/chain";
import { database } from "../../src/db/client";
import { verifyChainEvents } from "../../src/db/audit";
import { auditKeys } from "../../src/wiring";

/** The generic canonical form the chain was first hashed with: the fast path must equal it byte for byte. */
function reference(e: Omit<AuditEvent, "hash">): string {
  return canonicalJson({
    id: e.id,
    chain: e.chain,
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    intent: e.intent ?? null,
    planId: e.planId ?? null,
    runId: e.runId ?? null,
    diffSummary: e.diffSummary ?? null,
    receiptHash: e.receiptHash ?? null,
    details: e.details ?? null,
    prevHash: e.prevHash,
  });
}

describe("audit chain hashing", () => {
  const samples: Omit<AuditEvent, "hash">[] = [
    {
      id: "aud_1",
      chain: "global",
      seq: 1,
      at: "2026-11-26T00:00:00.000Z",
      actor: "usr_1",
      action: "user.created",
      prevHash: "0".repeat(64),
    },
    {
      id: "aud_2",
      chain: "env_x",
      seq: 2,
      at: "2026-11-26T00:00:01.000Z",
      actor: "infra-chat",
      action: "step.succeeded",
      intent: "deploy",
      planId: "plan_1",
      runId: "run_1",
      diffSummary: '2 changes "quoted" — ünïcode 🔑',
      receiptHash: "ab,cd",
      details: { z: 1, a: { y: [3, { b: null, a: undefined }], x: "s" } },
      prevHash: "f".repeat(64),
    },
    {
      id: "aud_3",
      chain: "env_x",
      seq: 3,
      at: "2026-11-26T00:00:02.000Z",
      actor: "a\nb",
      action: "x",
      details: {},
      prevHash: "1".repeat(64),
    },
  ];

  it("serializes events exactly like the generic canonical JSON, so existing chains still verify", () => {
    for (const e of samples) expect(eventCanonicalJson(e)).toBe(reference(e));
  });

  it("verifies a chain page by page from a cursor, and finds a changed event", async () => {
    let head = null;
    const events: AuditEvent[] = [];
    for (let i = 0; i < 10; i++) {
      const e = await sealEvent(
        "c",
        head,
        { actor: "a", action: "step.succeeded", details: { i } },
        `id${i}`,
        new Date(i * 1000).toISOString(),
      );
      head = { seq: e.seq, hash: e.hash };
      events.push(e);
    }
    const first = await verifyEvents(events.slice(0, 4));
    const rest = await verifyEvents(events.slice(4), first.cursor);
    expect([first.ok, rest.ok]).toEqual([true, true]);
    expect((await verifyEvents(events.slice(4))).ok).toBe(false);
    const tampered = events.map((e, i) => (i === 6 ? { ...e, details: { i: 600 } } : e));
    expect(await verifyEvents(tampered)).toMatchObject({ ok: false, brokenAt: "id6" });
    expect(await hashEvent(events[0])).toBe(events[0].hash);
  });
});

describe("audit verification in D1", () => {
  /** `count` chained events of `chain`, written straight to D1 (the app writes them through its DOs). */
  async function writeChain(chain: string, count: number): Promise<AuditEvent[]> {
    let head: ChainHead | null = null;
    const events: AuditEvent[] = [];
    for (let i = 0; i < count; i++) {
      const e = await sealEvent(
        chain,
        head,
        {
          actor: "infra-chat",
          action: "step.succeeded",
          intent: "deploy",
          details: { i, nested: { b: [1, "x"], a: null } },
        },
        `aud_${chain}_${i}`,
        new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      );
      head = { seq: e.seq, hash: e.hash };
      events.push(e);
    }
    const insert = env.DB.prepare(
      "INSERT INTO audit_events (id, chain, seq, at, actor, action, intent, plan_id, run_id, diff_summary, receipt_hash, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const rows = events.map((e) =>
      insert.bind(
        e.id,
        e.chain,
        e.seq,
        e.at,
        e.actor,
        e.action,
        e.intent ?? null,
        null,
        null,
        null,
        null,
        JSON.stringify(e.details),
        e.prevHash,
        e.hash,
      ),
    );
    for (let i = 0; i < rows.length; i += 1000) await env.DB.batch(rows.slice(i, i + 1000));
    return events;
  }

  it("reads a chain longer than a page (pages overlap with hashing) and finds a change or a gap on a later page", async () => {
    const db = database(env.DB);
    const events = await writeChain("long", 12_345);
    expect(await verifyChainEvents(db, "long", auditKeys(env))).toEqual({ ok: true, events: 12_345 });
    await env.DB.prepare("DROP TRIGGER audit_events_no_update").run();
    await env.DB.prepare("DROP TRIGGER audit_events_no_delete").run();
    // The first event of the third page, then a missing event exactly at a page boundary.
    await env.DB.prepare("UPDATE audit_events SET details = ? WHERE id = ?")
      .bind(JSON.stringify({ i: -1 }), events[10_000].id)
      .run();
    expect(await verifyChainEvents(db, "long", auditKeys(env))).toMatchObject({
      ok: false,
      brokenAt: events[10_000].id,
    });
    await env.DB.prepare("UPDATE audit_events SET details = ? WHERE id = ?")
      .bind(JSON.stringify(events[10_000].details), events[10_000].id)
      .run();
    expect((await verifyChainEvents(db, "long", auditKeys(env))).ok).toBe(true);
    await env.DB.prepare("DELETE FROM audit_events WHERE id = ?").bind(events[5_000].id).run();
    expect(await verifyChainEvents(db, "long", auditKeys(env))).toMatchObject({
      ok: false,
      brokenAt: events[5_001].id,
    });
  });
});
