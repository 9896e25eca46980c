/**
 * Issue 16 items 2 and 7: six-digit codes cannot be guessed (five wrong ones in fifteen minutes lock the
 * sender out, audited, admins texted), they die with the policy's approval window, they derive from
 * APPROVAL_KEY rather than the secrets master key, and neither the plan's author nor its applier approves.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { approvalCodeFor, sameCode } from "../../src/policy/approval";
import type { ApprovalSubject } from "../../src/policy/approval";
import { appServices, sandboxWorld } from "../../src/dev/wiring";
import { api, envObject, expectError, makeUser, seedWorld } from "./helpers";
import { sms } from "./monitoring-support";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let alice: Awaited<ReturnType<typeof makeUser>>;
let bob: Awaited<ReturnType<typeof makeUser>>;
let carol: Awaited<ReturnType<typeof makeUser>>;
const BOB_PHONE = "+15550006002";

beforeAll(async () => {
  ids = await seedWorld();
  alice = await makeUser("admin", "+15550006001");
  bob = await makeUser("admin", BOB_PHONE);
  carol = await makeUser("admin", "+15550006003");
});

/** A production deploy planned and applied by `by` (alice unless said), waiting for an approver. */
async function awaitingRun(by = alice, applier = by) {
  await sandboxWorld(env).addCommit({ service: "web", message: `web-${crypto.randomUUID().slice(0, 6)}` });
  const plan = await api(by.token, "POST", `/api/envs/${ids.production}/plan`, { type: "deploy" });
  expect(plan.status, plan.text).toBe(201);
  const applied = await api(applier.token, "POST", `/api/plans/${plan.body.plan.id}/apply`);
  expect(applied.status, applied.text).toBe(202);
  expect(applied.body.run.status).toBe("awaiting-approval");
  return applied.body.run.id as string;
}

const runAs = async (token: string, runId: string) => (await api(token, "GET", `/api/runs/${runId}`)).body.run;
const cancel = (runId: string) => api(alice.token, "POST", `/api/runs/${runId}/cancel`, {});

describe("wrong approval codes", { timeout: 60_000 }, () => {
  it("8 wrong SMS codes lock the sender; the right code then changes nothing; after the lock the right code works", async () => {
    const runId = await awaitingRun();
    const code = (await runAs(bob.token, runId)).approvals.code as string;
    const wrong = (i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0");
    const replies: string[] = [];
    for (let i = 0; i < 8; i++) replies.push((await sms(BOB_PHONE, `YES ${wrong(i)}`)).text);
    expect(replies[0]).toMatch(/No run is waiting for your approval with that code. \(4 more wrong codes lock/);
    expect(replies[4]).toMatch(/That was 5 wrong codes in 15 minutes: code entry is locked until \d\d:\d\d UTC/);
    for (const r of replies.slice(5)) expect(r).toMatch(/Code entry is locked until \d\d:\d\d UTC after 5 wrong codes/);

    const right = await sms(BOB_PHONE, `YES ${code}`);
    expect(right.text).toMatch(/Code entry is locked/);
    expect((await runAs(alice.token, runId)).status).toBe("awaiting-approval");
    // Bob's other way in (chat, same user) is locked too.
    const chat = await api(bob.token, "POST", "/api/chat", { message: `approve ${code}` });
    expect(chat.body.replies[0].text).toMatch(/Code entry is locked/);

    const texts = await sandboxWorld(env).sms();
    for (const admin of [alice, carol])
      expect(
        texts.some(
          (m) => m.to === admin.phone && /code entry locked until .* for admin \d+ \(\+15550006002\)/.test(m.body),
        ),
      ).toBe(true);
    const events = (await api(alice.token, "GET", "/api/audit?limit=200")).body.events;
    expect(
      events.some(
        (e: { action: string; details?: { userId?: string } }) =>
          e.action === "codes.locked" && e.details?.userId === bob.id,
      ),
    ).toBe(true);

    // The lock runs out (its end moved into the past, as fifteen minutes would): the right code approves.
    await env.DB.prepare("UPDATE code_lockouts SET until = ? WHERE sender IN (?, ?)")
      .bind(new Date(Date.now() - 1000).toISOString(), `phone:${BOB_PHONE}`, `user:${bob.id}`)
      .run();
    const after = await sms(BOB_PHONE, `YES ${code}`);
    expect(after.text).toMatch(/Approved: deploy of invoice-perfect:production/);
    expect((await runAs(alice.token, runId)).status).not.toBe("awaiting-approval");
    await cancel(runId);
  });

  it("compares codes whole: a prefix, a longer string or a different digit never match", () => {
    expect(sameCode("482193", "482193")).toBe(true);
    for (const typed of ["48219", "4821930", "482194", "", "482l93"]) expect(sameCode(typed, "482193")).toBe(false);
    expect(sameCode("482193", null)).toBe(false);
  });
});

describe("approval window", { timeout: 60_000 }, () => {
  it("ends after the policy's window (30 minutes by default): the run is cancelled and its code approves nothing", async () => {
    const runId = await awaitingRun();
    const run = await runAs(carol.token, runId);
    const window = Date.parse(run.approvals.expiresAt) - Date.now();
    expect(window).toBeGreaterThan(29 * 60_000);
    expect(window).toBeLessThanOrEqual(30 * 60_000);
    const code = run.approvals.code as string;
    // Thirty minutes pass: the window's end is moved into the past and the object's sweep comes due.
    await runInDurableObject(envObject(ids.production), async (_, state) => {
      const row = state.storage.sql.exec("SELECT approvals FROM runs WHERE id = ?", runId).one();
      const approvals = { ...JSON.parse(String(row.approvals)), expiresAt: new Date(Date.now() - 1000).toISOString() };
      state.storage.sql.exec("UPDATE runs SET approvals = ? WHERE id = ?", JSON.stringify(approvals), runId);
      state.storage.sql.exec("UPDATE schedule SET due_at = 0 WHERE key = 'approvals'");
    });
    await runDurableObjectAlarm(envObject(ids.production));
    const ended = await runAs(carol.token, runId);
    expect(ended.status).toBe("cancelled");
    expect(ended.error).toMatch(/approval window ran out/);
    expect((await sms("+15550006003", `YES ${code}`)).text).toMatch(/No run is waiting for your approval/);
  });
});

describe("who may approve", { timeout: 60_000 }, () => {
  it("neither the plan's author nor its applier; a third admin may", async () => {
    const runId = await awaitingRun(alice, bob);
    expect((await runAs(alice.token, runId)).approvals.code).toBeUndefined();
    expectError(await api(alice.token, "POST", `/api/runs/${runId}/approve`, {}), 403, "forbidden");
    expect((await api(alice.token, "POST", `/api/runs/${runId}/approve`, {})).body.error.message).toMatch(
      /author of a plan cannot approve it/,
    );
    expectError(await api(bob.token, "POST", `/api/runs/${runId}/approve`, {}), 403, "forbidden");
    expect((await api(carol.token, "POST", `/api/runs/${runId}/approve`, {})).status).toBe(200);
    await cancel(runId);
  });
});

describe("approval codes' key", () => {
  const subject: ApprovalSubject = {
    id: "run_x",
    env: "invoice-perfect:production",
    requiresApproval: true,
    requestedBy: "usr_requester",
    approvals: {
      required: true,
      planDigest: "d".repeat(64),
      approvedBy: [],
      expiresAt: "2026-11-26T10:30:00.000Z",
      codeKeyId: "approval-test1",
    },
  };
  const approver = { id: "usr_approver", name: "A", role: "admin" as const };
  const other = btoa(String.fromCharCode(...new Uint8Array(32).fill(9)));

  it("derives from APPROVAL_KEY: a master-key rotation leaves codes as they were, an approval-key change does not", async () => {
    const before = await approvalCodeFor(appServices(env).approvalKeys, subject, approver);
    const rotatedMaster = appServices({
      ...env,
      SECRETS_MASTER_KEY: other,
      SECRETS_KEY_ID: "test2",
      SECRETS_PREVIOUS_KEYS: JSON.stringify({ test1: env.SECRETS_MASTER_KEY }),
    });
    expect(before).toMatch(/^\d{6}$/);
    expect(await approvalCodeFor(rotatedMaster.approvalKeys, subject, approver)).toBe(before);
    // A new APPROVAL_KEY keeps the one recorded with the run among its previous keys: the code still holds.
    const rotatedApproval = appServices({
      ...env,
      APPROVAL_KEY: other,
      APPROVAL_KEY_ID: "approval-test2",
      APPROVAL_PREVIOUS_KEYS: JSON.stringify({ "approval-test1": env.APPROVAL_KEY }),
    });
    expect(await approvalCodeFor(rotatedApproval.approvalKeys, subject, approver)).toBe(before);
    const differentKey = appServices({ ...env, APPROVAL_KEY: other });
    expect(await approvalCodeFor(differentKey.approvalKeys, subject, approver)).not.toBe(before);
  });
});
