import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { sandboxWorld } from "../../src/wiring";
import { api, driveRun, makeUser, seedWorld } from "./helpers";

let ids: Awaited<ReturnType<typeof seedWorld>>;
beforeAll(async () => {
  ids = await seedWorld();
});

async function redisInStaging() {
  const state = (await sandboxWorld(env).state()) as unknown as { services: { name: string; id: string }[]; instances: { serviceId: string; environmentId: string }[] };
  const redis = state.services.filter((s) => s.name.startsWith("Redis"));
  const stagingId = (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment.bindings.railway.environmentId;
  return redis.some((s) => state.instances.some((i) => i.serviceId === s.id && i.environmentId === stagingId));
}

let admin: Awaited<ReturnType<typeof makeUser>>;

describe("components", { timeout: 60_000 }, () => {
  it("adds Redis to staging and production (one plan each, in order) and wires REDIS_URL only where declared", async () => {
    admin = await makeUser("admin");
    const chat = await api(admin.token, "POST", "/api/chat", { message: "add Redis to staging and production" });
    expect(chat.status).toBe(200);
    const [staging, production] = chat.body.replies;
    expect(staging.plan.env).toBe("invoice-perfect:staging");
    expect(production.plan.env).toBe("invoice-perfect:production");
    expect(staging.plan.diff).toEqual([
      { path: "components.redis", op: "add", to: { type: "redis", size: "small" } },
      { path: "services.api.env.REDIS_URL", op: "add", to: "${{Redis.REDIS_URL}}" },
    ]);
    const run = await driveRun(admin.token, staging.run.id, ids.staging);
    expect(run.status, JSON.stringify(run.steps.filter((s: { status: string }) => s.status !== "succeeded"))).toBe("succeeded");
    expect(await redisInStaging()).toBe(true);
    expect((await sandboxWorld(env).variablesOf("staging", "api")).REDIS_URL).toBe("${{Redis.REDIS_URL}}");
    for (const other of ["web", "cron"]) expect(await sandboxWorld(env).variablesOf("staging", other)).not.toHaveProperty("REDIS_URL");
    const spec = (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment.spec;
    expect(spec.components.redis).toEqual({ type: "redis", size: "small" });
    // Production waits for its approver like any production change.
    expect(production.plan.requiresApproval).toBe(true);
    expect(production.run).toBeUndefined();
  });

  it("removes Redis only after approval: before it nothing changes, after it the resource and REDIS_URL are gone", async () => {
    const bob = await makeUser("admin");
    const chat = await api(admin.token, "POST", "/api/chat", { message: "remove Redis from staging" });
    const reply = chat.body.replies[0];
    expect(reply.plan.requiresApproval).toBe(true);
    expect(reply.plan.risk.notes.join(" ")).toMatch(/everything stored in it/);
    expect(reply.run).toBeUndefined();
    expect(await redisInStaging()).toBe(true);
    const applied = await api(admin.token, "POST", "/api/chat", { message: "apply", conversationId: chat.body.conversationId });
    const runId = applied.body.replies[0].run.id;
    expect(applied.body.replies[0].run.status).toBe("awaiting-approval");
    expect(await redisInStaging()).toBe(true);
    expect((await sandboxWorld(env).variablesOf("staging", "api")).REDIS_URL).toBeDefined();
    expect((await api(bob.token, "POST", `/api/runs/${runId}/approve`, {})).status).toBe(200);
    const run = await driveRun(admin.token, runId, ids.staging);
    expect(run.status, JSON.stringify(run.steps.filter((s: { status: string }) => s.status !== "succeeded"))).toBe("succeeded");
    expect(await redisInStaging()).toBe(false);
    expect(await sandboxWorld(env).variablesOf("staging", "api")).not.toHaveProperty("REDIS_URL");
    expect((await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment.spec.components).not.toHaveProperty("redis");
  });
});
