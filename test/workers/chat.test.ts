import { beforeAll, describe, expect, it } from "vitest";
import { api, driveRun, makeUser, noBackground5xx, seedWorld } from "./helpers";

let ids: Awaited<ReturnType<typeof seedWorld>>;
beforeAll(async () => {
  ids = await seedWorld();
});

async function say(token: string, message: string, conversationId?: string) {
  const res = await api(token, "POST", "/api/chat", { message, conversationId });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { conversationId: string; replies: { text: string; plan?: any; run?: any }[] };
}

describe("chat", { timeout: 30_000 }, () => {
  it("deploys staging, reports status, and rolls back to the previous release", async () => {
    const admin = await makeUser("admin");
    const deployed = await say(admin.token, "please deploy staging");
    await driveRun(admin.token, deployed.replies[0].run.id, ids.staging);
    const status = await say(admin.token, "status of staging");
    expect(status.replies[0].text).toMatch(/Current release v\d+/);
    const before = (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment.currentRelease;

    const rollback = await say(admin.token, "rollback staging to the previous release");
    const reply = rollback.replies[0];
    expect(reply.plan.type).toBe("rollback");
    expect(reply.plan.steps.map((s: { kind: string }) => s.kind)).toEqual([
      "preflight",
      "rollback-service",
      "rollback-service",
      "rollback-service",
      "verify-health",
      "finalize-release",
    ]);
    const run = await driveRun(admin.token, reply.run.id, ids.staging);
    expect(run.status, JSON.stringify(run)).toBe("succeeded");
    const after = (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment.currentRelease;
    expect(after.version).not.toBe(before.version);
    expect(after.services.api.commitMessage).toBe("v1");
  });

  it("needs a different admin to approve production; self-approval is refused", async () => {
    const alice = await makeUser("admin");
    const bob = await makeUser("admin");
    const planned = await say(alice.token, "deploy prod");
    expect(planned.replies[0].plan.requiresApproval).toBe(true);
    expect(planned.replies[0].run).toBeUndefined();
    expect(planned.replies[0].text).toMatch(/apply/);

    const applied = await say(alice.token, "apply", planned.conversationId);
    const run = applied.replies[0].run;
    expect(run.status).toBe("awaiting-approval");
    // The requester gets no code: codes belong to the people who may approve.
    expect(run.approvals.code).toBeUndefined();
    expect(applied.replies[0].text).toMatch(/an admin other than you/);
    const bobsCode = (await api(bob.token, "GET", `/api/runs/${run.id}`)).body.run.approvals.code;
    expect(bobsCode).toMatch(/^\d{6}$/);

    const self = await say(alice.token, "approve", planned.conversationId);
    expect(self.replies[0].text).toMatch(/cannot approve their own/);
    const deployer = await makeUser("deployer");
    expect((await api(deployer.token, "POST", `/api/runs/${run.id}/approve`, {})).status).toBe(403);
    expect((await api(alice.token, "GET", `/api/runs/${run.id}`)).body.run.status).toBe("awaiting-approval");

    const approved = await api(bob.token, "POST", `/api/runs/${run.id}/approve`, {});
    expect(approved.status).toBe(200);
    await noBackground5xx();
    const done = await driveRun(bob.token, run.id, ids.production);
    expect(done.status).toBe("succeeded");
    expect(done.requestedBy).toBe(alice.id);
  });

  it('a second admin\'s "approve" in their own conversation finds the run waiting for them (API.md Chat)', async () => {
    const alice = await makeUser("admin");
    const bob = await makeUser("admin");
    const planned = await say(alice.token, "deploy production");
    const run = (await say(alice.token, "apply", planned.conversationId)).replies[0].run;
    expect(run.status).toBe("awaiting-approval");
    // Alice may not approve her own run: in a new conversation nothing waits for her.
    expect((await say(alice.token, "approve")).replies[0].text).toBe("There is no run waiting for your approval.");
    const wrong = await say(bob.token, "approve 000000");
    expect(wrong.replies[0].text).toBe("That code does not match a run waiting for your approval.");
    expect((await api(bob.token, "GET", `/api/runs/${run.id}`)).body.run.status).toBe("awaiting-approval");
    const approved = await say(bob.token, "approve");
    expect(approved.replies[0].run?.id).toBe(run.id);
    expect(approved.replies[0].run?.approvals.approvedBy).toEqual([bob.id]);
    await noBackground5xx();
    expect((await driveRun(bob.token, run.id, ids.production)).status).toBe("succeeded");
  });

  it("drops a pending plan on cancel and answers unknown text with help", async () => {
    const admin = await makeUser("admin");
    const planned = await say(admin.token, "deploy production");
    const cancelled = await say(admin.token, "cancel", planned.conversationId);
    expect(cancelled.replies[0].text).toMatch(/Dropped the pending plan/);
    const nothing = await say(admin.token, "apply", planned.conversationId);
    expect(nothing.replies[0].text).toMatch(/no plan waiting/i);
    const help = await say(admin.token, "flibbertigibbet");
    expect(help.replies[0].text).toMatch(/didn't understand/);
    expect(help.replies[0].text).toMatch(/deploy staging/);
  });

  it("reads a message without acting on it for an admin (POST /api/chat/interpret), never returning a secret", async () => {
    const admin = await makeUser("admin");
    const secret = "sk_test_51Interpret0nlyNeverEchoed";
    const set = await api(admin.token, "POST", "/api/chat/interpret", {
      message: `set STRIPE_SECRET_KEY=${secret} on staging`,
    });
    expect(set.status).toBe(200);
    expect(set.text).not.toContain(secret);
    expect(set.body.understanding).toEqual({
      kind: "intents",
      intents: [{ kind: "set-secret", env: "staging", name: "STRIPE_SECRET_KEY", valueRef: "pending-secret:1" }],
      secrets: [{ ref: "pending-secret:1", name: "STRIPE_SECRET_KEY" }],
    });
    expect(set.body.context).toMatchObject({
      project: "invoice-perfect",
      envs: ["local", "staging", "production"],
      services: ["api", "web", "cron"],
      jobs: ["backfillTimezone", "fallbackTimezone"],
    });
    const asked = await api(admin.token, "POST", "/api/chat/interpret", { message: "deploy just the api" });
    expect(asked.body.understanding.question.text).toBe("Which environment? staging · production");
    const answered = await api(admin.token, "POST", "/api/chat/interpret", {
      message: "staging",
      pending: asked.body.understanding.question.pending,
    });
    expect(answered.body.understanding.intents).toEqual([
      { kind: "deploy", env: "staging", params: {}, services: ["api"] },
    ]);
    // Nothing was planned: no run of this admin's anywhere.
    for (const env of ["staging", "production"]) {
      const runs = (await api(admin.token, "GET", `/api/envs/invoice-perfect:${env}/runs`)).body.runs;
      expect(runs.filter((r: { requestedBy?: string }) => r.requestedBy === admin.id)).toEqual([]);
    }
    const deployer = await makeUser("deployer");
    expect((await api(deployer.token, "POST", "/api/chat/interpret", { message: "deploy staging" })).status).toBe(403);
  });

  it("keeps conversations private to their owner", async () => {
    const a = await makeUser("deployer");
    const b = await makeUser("deployer");
    const first = await say(a.token, "status of staging");
    const res = await api(b.token, "POST", "/api/chat", { message: "apply", conversationId: first.conversationId });
    expect(res.status).toBe(404);
  });
});
