/**
 * Issue 16 item 3: "ROLLBACK production" by SMS changes nothing until the confirmation code comes back
 * from the same phone (a spoofed sender never receives it: the code travels only in the TwiML reply to the
 * real number), and a deployer's production rollback waits for an admin unless policy pre-approves it.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, driveRun, makeUser, seedWorld } from "./helpers";
import { changeSpec, sms } from "./monitoring-support";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
let deployer: Awaited<ReturnType<typeof makeUser>>;
const ADMIN_PHONE = "+15550007001";
const DEPLOYER_PHONE = "+15550007002";

/** A new production release over the current one (approved by a second admin), so there is one to roll back. */
async function releaseProduction() {
  await sandboxWorld(env).addCommit({ message: `release-${crypto.randomUUID().slice(0, 6)}` });
  const plan = await api(admin.token, "POST", `/api/envs/${ids.production}/plan`, { type: "deploy" });
  const run = (await api(admin.token, "POST", `/api/plans/${plan.body.plan.id}/apply`)).body.run;
  const approver = await makeUser("admin");
  expect((await api(approver.token, "POST", `/api/runs/${run.id}/approve`, {})).status).toBe(200);
  expect((await driveRun(admin.token, run.id, ids.production)).status).toBe("succeeded");
}

beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin", ADMIN_PHONE);
  deployer = await makeUser("deployer", DEPLOYER_PHONE);
  // These tests are about the rollback's confirmation, not the canary: production deploys go straight out.
  await changeSpec(ids.production, (spec) => {
    spec.policies.canary.enabled = false;
  });
  await releaseProduction();
}, 120_000);

const rollbackRuns = async () =>
  (await api(admin.token, "GET", `/api/envs/${ids.production}/runs`)).body.runs.filter(
    (r: { type: string; status: string }) => r.type === "rollback" && r.status !== "planned",
  );
const codeIn = (reply: string) => /Reply YES (\d{6}) within 5 minutes/.exec(reply)?.[1];

describe("ROLLBACK by SMS", { timeout: 60_000 }, () => {
  it("answers the asking phone with a code and changes nothing; the code from another phone does nothing", async () => {
    const outboxBefore = (await sandboxWorld(env).sms()).length;
    const reply = (await sms(ADMIN_PHONE, "ROLLBACK production")).text;
    expect(reply).toMatch(/Reply YES \d{6} within 5 minutes to roll invoice-perfect:production back to v\d+/);
    const code = codeIn(reply)!;
    expect(await rollbackRuns()).toEqual([]);
    // The code went out only as the TwiML answer to the asking number, never as a text of its own.
    const outbox = (await sandboxWorld(env).sms()).slice(0, (await sandboxWorld(env).sms()).length - outboxBefore);
    expect(outbox.some((m) => m.body.includes(code))).toBe(false);
    expect((await sms(DEPLOYER_PHONE, `YES ${code}`)).text).toMatch(
      /No run is waiting for your approval with that code/,
    );
    expect(await rollbackRuns()).toEqual([]);
    expect((await sms(ADMIN_PHONE, `NO ${code}`)).text).toMatch(/Dropped: plan plan_\w+ will not be applied/);
    expect((await sms(ADMIN_PHONE, `YES ${code}`)).text).toMatch(/No run is waiting/);
    expect(await rollbackRuns()).toEqual([]);
  });

  it("an admin's confirmation from the same phone rolls back at once", async () => {
    const code = codeIn((await sms(ADMIN_PHONE, "ROLLBACK production")).text)!;
    const confirmed = (await sms(ADMIN_PHONE, `YES ${code}`)).text;
    expect(confirmed).toMatch(/Rolling back \(run run_\w+\)/);
    const runId = /run (run_\w+)/.exec(confirmed)![1];
    expect((await driveRun(admin.token, runId, ids.production)).status).toBe("succeeded");
    // Single use: the same code again acts on nothing.
    expect((await sms(ADMIN_PHONE, `YES ${code}`)).text).toMatch(/No run is waiting/);
  });

  it("a deployer's confirmed rollback waits for an admin's approval", async () => {
    await releaseProduction();

    const reply = (await sms(DEPLOYER_PHONE, "ROLLBACK production")).text;
    expect(reply).toMatch(/An admin other than you must then approve it/);
    const confirmed = (await sms(DEPLOYER_PHONE, `YES ${codeIn(reply)}`)).text;
    expect(confirmed).toMatch(/Rollback planned \(run run_\w+\); it waits for an admin&apos;s approval/);
    const runId = /run (run_\w+)/.exec(confirmed)![1];
    expect((await api(admin.token, "GET", `/api/runs/${runId}`)).body.run.status).toBe("awaiting-approval");
    await api(admin.token, "POST", `/api/runs/${runId}/cancel`, {});
  });

  it("an expired confirmation acts on nothing, and a viewer's phone cannot ask", async () => {
    const code = codeIn((await sms(ADMIN_PHONE, "ROLLBACK production")).text)!;
    await env.DB.prepare("UPDATE sms_confirmations SET expires_at = ? WHERE phone = ? AND done_at IS NULL")
      .bind(new Date(Date.now() - 1000).toISOString(), ADMIN_PHONE)
      .run();
    expect((await sms(ADMIN_PHONE, `YES ${code}`)).text).toMatch(/No run is waiting/);
    await makeUser("viewer", "+15550007003");
    expect((await sms("+15550007003", "ROLLBACK production")).text).toMatch(
      /Not done: role &quot;viewer&quot; may not apply/,
    );
  });
});

describe("rollback plans over REST", { timeout: 60_000 }, () => {
  it("a deployer's production rollback requires approval by default; an admin's does not", async () => {
    const byDeployer = await api(deployer.token, "POST", `/api/envs/${ids.production}/plan`, { type: "rollback" });
    expect(byDeployer.status, byDeployer.text).toBe(201);
    expect(byDeployer.body.plan.requiresApproval).toBe(true);
    const byAdmin = await api(admin.token, "POST", `/api/envs/${ids.production}/plan`, { type: "rollback" });
    expect(byAdmin.body.plan.requiresApproval).toBe(false);
  });

  it("does not when the environment's policy pre-approves deployers' rollbacks", async () => {
    await changeSpec(ids.production, (spec) => {
      spec.policies.rollbackPreApproved = "deployers";
    });
    try {
      const byDeployer = await api(deployer.token, "POST", `/api/envs/${ids.production}/plan`, { type: "rollback" });
      expect(byDeployer.body.plan.requiresApproval).toBe(false);
    } finally {
      await changeSpec(ids.production, (spec) => {
        spec.policies.rollbackPreApproved = "admins";
      });
    }
  });

  it("a deployer's rollback asked for in chat waits for an approver too", async () => {
    const reply = await api(deployer.token, "POST", "/api/chat", { message: "rollback production" });
    expect(reply.status).toBe(200);
    expect(reply.body.replies[0].plan.requiresApproval).toBe(true);
  });
});
