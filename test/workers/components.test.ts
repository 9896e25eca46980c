import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, driveRun, makeUser, noBackground5xx, seedWorld } from "./helpers";

let ids: Awaited<ReturnType<typeof seedWorld>>;
beforeAll(async () => {
  ids = await seedWorld();
});

async function redisInStaging() {
  const state = (await sandboxWorld(env).state()) as unknown as {
    services: { name: string; id: string }[];
    instances: { serviceId: string; environmentId: string }[];
  };
  const redis = state.services.filter((s) => s.name.startsWith("Redis"));
  const stagingId = (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment.bindings
    .railway.environmentId;
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
    expect(run.status, JSON.stringify(run.steps.filter((s: { status: string }) => s.status !== "succeeded"))).toBe(
      "succeeded",
    );
    expect(await redisInStaging()).toBe(true);
    expect((await sandboxWorld(env).variablesOf("staging", "api")).REDIS_URL).toBe("${{Redis.REDIS_URL}}");
    for (const other of ["web", "cron"])
      expect(await sandboxWorld(env).variablesOf("staging", other)).not.toHaveProperty("REDIS_URL");
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
    const applied = await api(admin.token, "POST", "/api/chat", {
      message: "apply",
      conversationId: chat.body.conversationId,
    });
    const runId = applied.body.replies[0].run.id;
    expect(applied.body.replies[0].run.status).toBe("awaiting-approval");
    expect(await redisInStaging()).toBe(true);
    expect((await sandboxWorld(env).variablesOf("staging", "api")).REDIS_URL).toBeDefined();
    expect((await api(bob.token, "POST", `/api/runs/${runId}/approve`, {})).status).toBe(200);
    const run = await driveRun(admin.token, runId, ids.staging);
    expect(run.status, JSON.stringify(run.steps.filter((s: { status: string }) => s.status !== "succeeded"))).toBe(
      "succeeded",
    );
    expect(await redisInStaging()).toBe(false);
    expect(await sandboxWorld(env).variablesOf("staging", "api")).not.toHaveProperty("REDIS_URL");
    expect(
      (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment.spec.components,
    ).not.toHaveProperty("redis");
  });
});

/** The resource limits the sandbox holds for Postgres in one environment (undefined: never set). */
async function postgresLimits(envName: "staging" | "production") {
  const state = (await sandboxWorld(env).state()) as unknown as {
    instances: { service: string; environmentId: string; settings: { limits?: unknown } }[];
  };
  const environmentId = (await api(admin.token, "GET", `/api/envs/invoice-perfect:${envName}`)).body.environment
    .bindings.railway.environmentId;
  return state.instances.find((i) => i.service === "Postgres" && i.environmentId === environmentId)?.settings.limits;
}

/** serviceInstanceLimitsUpdate requests the sandbox received for one Railway environment. */
async function limitUpdatesTo(environmentId: string) {
  const requests = (await sandboxWorld(env).requests({ provider: "railway", limit: 2000 })) as unknown as {
    body: { operationName?: string; variables?: { input?: { environmentId?: string } } } | null;
  }[];
  return requests.filter(
    (r) =>
      r.body?.operationName === "ServiceInstanceLimitsUpdate" &&
      r.body.variables?.input?.environmentId === environmentId,
  );
}

describe("component resize", { timeout: 60_000 }, () => {
  it("resizes Postgres in staging through chat: limits at Railway in staging only, the size in a new spec revision", async () => {
    admin ??= await makeUser("admin");
    const chat = await api(admin.token, "POST", "/api/chat", { message: "resize Postgres in staging to medium" });
    const reply = chat.body.replies[0];
    expect(reply.plan.diff).toEqual([{ path: "components.postgres.size", op: "change", from: "small", to: "medium" }]);
    expect(reply.plan.steps.map((s: { kind: string }) => s.kind)).toEqual([
      "resolve-ref",
      "update-spec",
      "resize-component",
    ]);
    expect(reply.plan.risk.level).toBe("medium");
    expect(reply.plan.requiresApproval).toBe(false);
    const run = await driveRun(admin.token, reply.run.id, ids.staging);
    expect(run.status, JSON.stringify(run.steps.filter((s: { status: string }) => s.status !== "succeeded"))).toBe(
      "succeeded",
    );
    expect(await postgresLimits("staging")).toEqual({ memoryGB: 2, vCPUs: 1 });
    expect(await postgresLimits("production")).toBeUndefined();
    expect(
      (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment.spec.components.postgres,
    ).toEqual({ type: "postgres", size: "medium" });
    const revisions = (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging/revisions")).body.revisions;
    expect(revisions[0].reason).toBe(`resize postgres (run ${run.id})`);
    const last = await api(admin.token, "POST", "/api/chat", {
      message: "show the last change to invoice-perfect:staging",
    });
    expect(last.body.replies[0].text).toMatch(/components\.postgres\.size: small → medium/);
  });

  it("refuses to resize to the size a component already has, and a component the environment lacks", async () => {
    const same = await api(admin.token, "POST", "/api/chat", { message: "make staging's postgres medium" });
    expect(same.body.replies[0].text).toMatch(/postgres in invoice-perfect:staging is already medium/);
    expect(same.body.replies[0].plan).toBeUndefined();
    const missing = await api(admin.token, "POST", "/api/chat", { message: "scale redis in production to large" });
    expect(missing.body.replies[0].text).toMatch(/has no redis to resize/);
  });

  it("shrinking Postgres always waits for an approver: nothing reaches Railway before the approval", async () => {
    // Staging auto-applies its plans, but not a shrink of its database.
    const staging = (await api(admin.token, "POST", "/api/chat", { message: "resize postgres in staging to small" }))
      .body.replies[0];
    expect(staging.plan.requiresApproval).toBe(true);
    expect(staging.run).toBeUndefined();

    const productionId = (await api(admin.token, "GET", "/api/envs/invoice-perfect:production")).body.environment
      .bindings.railway.environmentId;
    const chat = await api(admin.token, "POST", "/api/chat", { message: "resize Postgres on production to small" });
    const reply = chat.body.replies[0];
    expect(reply.plan.diff).toEqual([{ path: "components.postgres.size", op: "change", from: "medium", to: "small" }]);
    expect(reply.plan.requiresApproval).toBe(true);
    expect(reply.plan.risk.notes.join(" ")).toMatch(/shrinking Postgres/);
    const applied = await api(admin.token, "POST", "/api/chat", {
      message: "apply",
      conversationId: chat.body.conversationId,
    });
    const runId = applied.body.replies[0].run.id;
    expect(applied.body.replies[0].run.status).toBe("awaiting-approval");
    expect(await limitUpdatesTo(productionId)).toHaveLength(0);
    expect(await postgresLimits("production")).toBeUndefined();

    const approver = await makeUser("admin");
    expect((await api(approver.token, "POST", `/api/runs/${runId}/approve`, {})).status).toBe(200);
    await noBackground5xx();
    const run = await driveRun(admin.token, runId, ids.production);
    expect(run.status, JSON.stringify(run.steps.filter((s: { status: string }) => s.status !== "succeeded"))).toBe(
      "succeeded",
    );
    expect(await limitUpdatesTo(productionId)).toHaveLength(1);
    expect(await postgresLimits("production")).toEqual({ memoryGB: 0.5, vCPUs: 0.5 });
  });
});

/** The text of every file in the local bootstrap archive (ustar is plain text around the file contents). */
async function localBootstrapText(): Promise<string> {
  const res = await SELF.fetch("https://infra-chat.test/api/envs/invoice-perfect:local/bootstrap", {
    headers: { authorization: `Bearer ${admin.token}` },
  });
  expect(res.status).toBe(200);
  const tar = new Blob([await res.arrayBuffer()]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(tar).text();
}

describe("local components (spec: local parity)", { timeout: 60_000 }, () => {
  it("adds Redis to the local environment: its compose stack runs it and api gets REDIS_URL; nothing reaches Railway", async () => {
    admin ??= await makeUser("admin");
    const local = (await api(admin.token, "GET", "/api/envs/invoice-perfect:local")).body.environment;
    // Staging has no Redis at this point (the tests above removed it), so the local stack cannot mirror one.
    expect(await localBootstrapText()).not.toMatch(/image: "?redis:7/);
    const railwayCalls = (await sandboxWorld(env).requests({ provider: "railway", limit: 2000 })).length;

    const chat = await api(admin.token, "POST", "/api/chat", { message: "add redis to my local env" });
    const reply = chat.body.replies[0];
    expect(reply.plan).toMatchObject({
      env: "invoice-perfect:local",
      diff: [{ path: "components.redis", op: "add", to: { type: "redis", size: "small" } }],
      requiresApproval: false,
    });
    expect(reply.plan.steps.map((s: { kind: string }) => s.kind)).toEqual(["update-spec", "render-local"]);
    const run = await driveRun(admin.token, reply.run.id, local.id);
    expect(run.status, JSON.stringify(run.steps.filter((s: { status: string }) => s.status !== "succeeded"))).toBe(
      "succeeded",
    );
    expect(run.steps.at(-1).note).toMatch(/^compose\.yaml runs redis as "redis"/);

    // The run keeps the regenerated files; the download is generated from the same desired state.
    const compose = (await api(admin.token, "GET", `/api/runs/${run.id}/artifacts/local/compose.yaml`)).text;
    expect(compose).toMatch(/^ {2}redis:\n {4}image: "?redis:7"?$/m);
    expect(compose).toMatch(
      /^ {2}api:\n(?: {4}.*\n)*? {4}depends_on:\n(?: {6}.*\n)*? {6}redis:\n {8}condition: service_healthy$/m,
    );
    const dotenv = (await api(admin.token, "GET", `/api/runs/${run.id}/artifacts/local/.env.local`)).text;
    expect(dotenv).toMatch(/^REDIS_URL=redis:\/\/redis:6379$/m);
    const archive = await localBootstrapText();
    expect(archive).toContain(compose);
    expect(archive).toMatch(/^REDIS_URL=redis:\/\/redis:6379$/m);

    expect(
      (await api(admin.token, "GET", "/api/envs/invoice-perfect:local")).body.environment.spec.components.redis,
    ).toEqual({
      type: "redis",
      size: "small",
    });
    expect((await sandboxWorld(env).requests({ provider: "railway", limit: 2000 })).length).toBe(railwayCalls);
  });
});
