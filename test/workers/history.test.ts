import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, driveRun, expectError, makeUser, noBackground5xx, seedWorld } from "./helpers";

/**
 * Run history (GET /api/runs), plans that expire when nobody applies them, and conversations that
 * survive a reload (each reply's plan, run and question stored with it).
 */

let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin");
});

const say = async (token: string, message: string, conversationId?: string) =>
  (await api(token, "POST", "/api/chat", { message, ...(conversationId ? { conversationId } : {}) })).body;

describe("GET /api/runs", { timeout: 60_000 }, () => {
  it("lists runs newest first with who, when, how long, release and commits; filters and pages", async () => {
    const deployer = await makeUser("deployer");
    const plan = await api(deployer.token, "POST", `/api/envs/${ids.staging}/plan`, { type: "deploy" });
    const applied = await api(deployer.token, "POST", `/api/plans/${plan.body.plan.id}/apply`);
    const done = await driveRun(deployer.token, applied.body.run.id, ids.staging);
    expect(done.status).toBe("succeeded");
    const planned = await api(admin.token, "POST", `/api/envs/${ids.production}/plan`, { type: "deploy" });

    const all = await api(admin.token, "GET", "/api/runs?limit=50");
    expect(all.status).toBe(200);
    const times = all.body.runs.map((r: { createdAt: string }) => r.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(all.body.runs[0].id).toBe(planned.body.plan.runId);
    expect(all.body.runs[0]).toMatchObject({ status: "planned", requestedBy: admin.id, requestedByName: admin.name });

    const staging = await api(
      deployer.token,
      "GET",
      "/api/runs?env=invoice-perfect:staging&type=deploy&status=succeeded",
    );
    const row = staging.body.runs.find((r: { id: string }) => r.id === done.id);
    expect(row).toMatchObject({
      type: "deploy",
      env: "invoice-perfect:staging",
      status: "succeeded",
      requestedBy: deployer.id,
      requestedByName: deployer.name,
    });
    expect(row.release).toMatch(/^v\d+$/);
    expect(row.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(row.endedAt) - Date.parse(row.startedAt)).toBe(row.durationMs);
    expect(row.commits.map((c: { service: string }) => c.service).sort()).toEqual(["api", "cron", "web"]);
    expect(row.commits[0].sha).toMatch(/^[0-9a-f]{7,40}$/);
    expect(
      staging.body.runs.every(
        (r: { env: string; status: string }) => r.env.endsWith(":staging") && r.status === "succeeded",
      ),
    ).toBe(true);

    const first = await api(admin.token, "GET", "/api/runs?limit=1");
    expect(first.body.runs).toHaveLength(1);
    const second = await api(admin.token, "GET", `/api/runs?limit=1&before=${first.body.next}`);
    expect(second.body.runs[0].id).not.toBe(first.body.runs[0].id);
    expect(second.body.runs[0].createdAt <= first.body.runs[0].createdAt).toBe(true);

    expectError(await api(admin.token, "GET", "/api/runs?status=finished"), 400, "invalid_request");
    expectError(await api(admin.token, "GET", "/api/runs?env=invoice-perfect:nowhere"), 404, "not_found");
    expectError(await api(null, "GET", "/api/runs"), 401, "unauthorized");
  });
});

describe("plans nobody applied", { timeout: 60_000 }, () => {
  it("expire: status cancelled with reason 'plan expired', audited, and apply says so", async () => {
    const plan = (await api(admin.token, "POST", `/api/envs/${ids.staging}/plan`, { type: "deploy" })).body.plan;
    const fresh = (await api(admin.token, "POST", `/api/envs/${ids.staging}/plan`, { type: "deploy" })).body.plan;
    // Two hours ago, by the clock of the plan's rows: older than the default one-hour TTL.
    const old = new Date(Date.now() - 2 * 3_600_000).toISOString();
    await env.DB.prepare("UPDATE runs SET created_at = ? WHERE id = ?").bind(old, plan.runId).run();
    await env.DB.prepare("UPDATE plans SET body = json_set(body, '$.createdAt', ?) WHERE id = ?")
      .bind(old, plan.id)
      .run();
    const refused = await api(admin.token, "POST", `/api/plans/${plan.id}/apply`);
    expectError(refused, 409, "conflict");
    expect(refused.body.error.message).toMatch(/expired/);
    const run = (await api(admin.token, "GET", `/api/runs/${plan.runId}`)).body.run;
    expect(run).toMatchObject({ status: "cancelled", error: "plan expired" });
    expect((await api(admin.token, "GET", `/api/runs/${fresh.runId}`)).body.run.status).toBe("planned");
    const events = (await api(admin.token, "GET", `/api/audit?env=${ids.staging}&limit=50`)).body.events;
    expect(
      events.some((e: { action: string; runId: string }) => e.action === "run.cancelled" && e.runId === plan.runId),
    ).toBe(true);
    expectError(await api(admin.token, "POST", `/api/plans/${plan.id}/apply`), 409, "conflict");
  });

  it("expire on the monitor's beat too (the cron sweep), leaving applied and fresh plans alone", async () => {
    const plan = (await api(admin.token, "POST", `/api/envs/${ids.production}/plan`, { type: "deploy" })).body.plan;
    const stub = env.ENVIRONMENTS.getByName(ids.production);
    expect(await stub.expirePlans(ids.production, new Date(Date.now() - 60_000).toISOString())).toEqual([]);
    const expired = await stub.expirePlans(ids.production, new Date(Date.now() + 60_000).toISOString());
    expect(expired).toContain(plan.runId);
    const history = (await api(admin.token, "GET", `/api/runs?env=${ids.production}&status=cancelled`)).body.runs;
    expect(history.find((r: { id: string }) => r.id === plan.runId)).toMatchObject({ error: "plan expired" });
  });
});

describe("conversations", { timeout: 60_000 }, () => {
  it("store each reply's plan, run and question, so a reload draws the same cards", async () => {
    await noBackground5xx();
    const user = await makeUser("admin");
    const planned = await say(user.token, "deploy production");
    const reply = planned.replies[0];
    expect(reply.plan).toBeTruthy();
    const applied = await say(user.token, "apply", planned.conversationId);
    expect(applied.replies[0].run.status).toBe("awaiting-approval");
    const history = await api(user.token, "GET", `/api/conversations/${planned.conversationId}/messages`);
    const messages = history.body.messages;
    expect(messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
    expect(messages[1].plan).toEqual(reply.plan);
    expect(messages[1].question).toEqual(reply.question);
    expect(messages[3].run.id).toBe(applied.replies[0].run.id);
    expect(messages[3].run.approvals.code).toBeUndefined();
    const text = await say(user.token, "status of staging", planned.conversationId);
    expect(text.replies[0].plan).toBeUndefined();
    const after = (await api(user.token, "GET", `/api/conversations/${planned.conversationId}/messages`)).body.messages;
    expect(Object.keys(after.at(-1)).sort()).toEqual(["createdAt", "role", "text"]);
  });

  it("lists one's own conversations, most recent first, titled by their first message", async () => {
    const user = await makeUser("viewer");
    const a = await say(user.token, "status of staging");
    const b = await say(user.token, "status of production");
    await say(user.token, "help", a.conversationId);
    const listed = (await api(user.token, "GET", "/api/conversations")).body.conversations;
    expect(listed.map((c: { id: string }) => c.id)).toEqual([a.conversationId, b.conversationId]);
    expect(listed[0].title).toBe("status of staging");
    const other = await makeUser("viewer");
    expect((await api(other.token, "GET", "/api/conversations")).body.conversations).toEqual([]);
  });
});

describe("deployment logs per step", { timeout: 60_000 }, () => {
  it("shows each deployment's build, pre-deploy and runtime lines, and streams them until the run ends", async () => {
    const plan = await api(admin.token, "POST", `/api/envs/${ids.staging}/plan`, { type: "deploy" });
    const applied = await api(admin.token, "POST", `/api/plans/${plan.body.plan.id}/apply`);
    const runId = applied.body.run.id;
    const done = await driveRun(admin.token, runId, ids.staging);
    expect(done.status).toBe("succeeded");
    const viewer = await makeUser("viewer");
    const logs = await api(viewer.token, "GET", `/api/runs/${runId}/logs`);
    expect(logs.status, logs.text).toBe(200);
    const services = logs.body.steps.map((s: { service: string }) => s.service);
    expect(services).toEqual(expect.arrayContaining(["api", "web", "cron"]));
    const api1 = logs.body.steps.find((s: { service: string }) => s.service === "api");
    expect(api1.final).toBe(true);
    expect(api1.build.length).toBeGreaterThan(0);
    expect(api1.runtime[0].message).toMatch(/^Starting Container/);
    expect((await api(admin.token, "GET", `/api/runs/${runId}`)).body.run.artifacts).toContain(
      `logs/steps/${api1.stepId}.json`,
    );
    const res = await SELF.fetch(`https://infra-chat.test/api/runs/${runId}/logs`, {
      headers: { authorization: `Bearer ${viewer.token}`, accept: "text/event-stream" },
    });
    const text = await res.text();
    expect(text).toMatch(/^event: logs\n/);
    expect(text).toContain("event: done");
    expect((await api(admin.token, "GET", `/api/runs/${plan.body.plan.runId}/logs`)).status).toBe(200);
    const unapplied = (await api(admin.token, "POST", `/api/envs/${ids.staging}/plan`, { type: "deploy" })).body.plan;
    expect((await api(admin.token, "GET", `/api/runs/${unapplied.runId}/logs`)).body.steps).toEqual([]);
  });
});
