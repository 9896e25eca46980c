/**
 * The sandbox's Railway holds the real account limits (issue 14 item 9): the plan's hourly request budget
 * per token with X-RateLimit headers and a 429 + Retry-After once spent (in sandbox time), project tokens
 * versus account tokens, and auto-deploy on push until serviceInstanceAutoDeployUpdate turns it off.
 * Documents are the ones railway.md gives, checked against the official schema in the node project.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SANDBOX_RAILWAY_PROJECT_TOKEN } from "../../src/sandbox/railway/auth";
import type { SandboxSeed } from "../../src/sandbox/types";

const ACCOUNT = { authorization: "Bearer sandbox-railway-token" };
const PROJECT = { "project-access-token": SANDBOX_RAILWAY_PROJECT_TOKEN };

const PROJECTS = `query Projects { projects { edges { node { id name } } } }`;
const PROJECT_CREATE = `mutation ProjectCreate($input: ProjectCreateInput!) { projectCreate(input: $input) { id name } }`;
const PROJECT_TOKEN = `query ProjectToken { projectToken { projectId environmentId } }`;
const VARIABLES = `query Variables($projectId: String!, $environmentId: String!, $serviceId: String) {
  variables(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId, unrendered: true)
}`;
const AUTO_DEPLOY_UPDATE = `mutation ServiceInstanceAutoDeployUpdate($input: ServiceInstanceAutoDeployUpdateInput!) {
  serviceInstanceAutoDeployUpdate(input: $input) { enabled }
}`;
const AUTO_DEPLOY_STATUS = `query ServiceInstanceAutoDeployStatus($projectId: String!, $environmentId: String!, $serviceId: String!) {
  serviceInstanceAutoDeployStatus(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) { enabled canEnable reason }
}`;
const SERVICE_CONNECT = `mutation ServiceConnect($id: String!, $input: ServiceConnectInput!) { serviceConnect(id: $id, input: $input) { id } }`;
const SERVICE_CREATE = `mutation ServiceCreate($input: ServiceCreateInput!) { serviceCreate(input: $input) { id name } }`;

type Stub = ReturnType<typeof world>;
function world(name: string) {
  return env.SANDBOX_WORLD.getByName(`limits-${name}`);
}

async function gql<T = Record<string, any>>(
  stub: Stub,
  query: string,
  variables: Record<string, unknown> = {},
  auth: Record<string, string> = ACCOUNT,
) {
  const res = await stub.fetch(
    new Request("https://backboard.railway.com/graphql/v2", {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ query, variables }),
    }),
  );
  const body = (await res.json()) as { data: T | null; errors?: { message: string }[] };
  return { status: res.status, headers: res.headers, body };
}

async function seeded(name: string): Promise<{ stub: Stub; seed: SandboxSeed }> {
  const stub = world(name);
  return { stub, seed: await stub.seedInvoicePerfect() };
}

const ok = <T>(result: { ok: boolean; value?: T }) => {
  expect(result.ok).toBe(true);
  return result.value as T;
};

describe("request budget", () => {
  it("counts each token's requests against the plan's hour, then answers 429 with Retry-After and Railway's body", async () => {
    const { stub, seed } = await seeded("budget");
    ok(await stub.account({ railwayPlan: "free" }));
    const vars = { projectId: seed.railway.projectId, environmentId: seed.railway.environments.staging };
    const first = await gql(stub, VARIABLES, vars);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit")).toBe("100");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("99");
    expect(first.headers.get("retry-after")).toBeNull();
    const reset = Number(first.headers.get("x-ratelimit-reset"));
    // At time scale 0 the hour is a wall-clock hour (module comment of railway/budget.ts).
    expect(reset * 1000 - Date.now()).toBeGreaterThan(3_590_000);
    for (let i = 2; i <= 100; i++) expect((await gql(stub, VARIABLES, vars)).status).toBe(200);

    const refused = await gql(stub, VARIABLES, vars);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ errors: [{ message: "Rate limit exceeded. Please try again later." }] });
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(3500);
    // Another token has its own window.
    expect((await gql(stub, PROJECT_TOKEN, {}, PROJECT)).status).toBe(200);

    const state = await stub.state();
    const account = state.budgets.railway.find((b) => b.kind === "bearer");
    expect(account).toMatchObject({ limit: 100, used: 100, remaining: 0, refused: 1 });
    expect(state.budgets.railway.find((b) => b.kind === "project")).toMatchObject({ used: 1, remaining: 99 });
    expect(state.account).toEqual({ railwayPlan: "free", loadBalancing: true, sslMode: "full" });

    // A simulated hour later the window is fresh; a bigger plan raises the limit at once.
    const advanced = ok(await stub.advanceBudgets({ advanceSeconds: 3600 }));
    expect(advanced.railway.find((b) => b.kind === "bearer")).toMatchObject({ used: 0, remaining: 100 });
    expect((await gql(stub, VARIABLES, vars)).status).toBe(200);
    ok(await stub.account({ railwayPlan: "pro" }));
    expect((await gql(stub, VARIABLES, vars)).headers.get("x-ratelimit-remaining")).toBe("9998");
  });

  it("runs the hour in sandbox time: Retry-After in simulated seconds, the reset at the scaled wall instant", async () => {
    const { stub, seed } = await seeded("budget-time");
    ok(await stub.account({ railwayPlan: "free" }));
    const vars = { projectId: seed.railway.projectId, environmentId: seed.railway.environments.staging };
    for (let i = 0; i < 100; i++) await gql(stub, VARIABLES, vars);
    expect((await gql(stub, VARIABLES, vars)).status).toBe(429);
    // 100 simulated seconds pass; then the world runs at 0.001, so the other 3,500 s take 3.5 s of wall time
    // (room enough for a busy machine between this and the next request).
    ok(await stub.advanceBudgets({ advanceSeconds: 100 }));
    await stub.setTimeScale(0.001);
    const last = await gql(stub, VARIABLES, vars);
    expect(last.status).toBe(429);
    const retryAfter = Number(last.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3500);
    expect(Number(last.headers.get("x-ratelimit-reset")) * 1000 - Date.now()).toBeLessThan(4_600);
    await new Promise((r) => setTimeout(r, retryAfter * 1000 * 0.001 + 50));
    expect((await gql(stub, VARIABLES, vars)).status).toBe(200);
    await stub.setTimeScale(0);
  });

  it("refuses a bad account body with 400, a non-JSON one with 415, and shows the defaults", async () => {
    const res = await SELF.fetch("https://infra-chat.test/sandbox/state");
    expect(((await res.json()) as { account: unknown }).account).toEqual({
      railwayPlan: "hobby",
      loadBalancing: true,
      sslMode: "full",
    });
    const post = (body: string, type = "application/json") =>
      SELF.fetch("https://infra-chat.test/sandbox/account", {
        method: "POST",
        headers: { "content-type": type },
        body,
      });
    expect((await post(JSON.stringify({ railwayPlan: "team" }))).status).toBe(400);
    expect((await post(JSON.stringify({ loadBalancing: "no" }))).status).toBe(400);
    expect((await post(JSON.stringify({ unknown: 1 }))).status).toBe(400);
    const form = await post("railwayPlan=free", "application/x-www-form-urlencoded");
    expect(form.status).toBe(415);
    expect(((await form.json()) as { error: { code: string } }).error.code).toBe("unsupported_media_type");
    const changed = await post(JSON.stringify({ railwayPlan: "pro" }));
    expect(await changed.json()).toEqual({ account: { railwayPlan: "pro", loadBalancing: true, sslMode: "full" } });
    const advanced = await SELF.fetch("https://infra-chat.test/sandbox/budgets", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ advanceSeconds: 3600 }),
    });
    expect(advanced.status).toBe(200);
    expect(await advanced.json()).toHaveProperty("budgets.railway");
    await post(JSON.stringify({ railwayPlan: "hobby" }));
  });
});

describe("token kinds", () => {
  it("answers a project token as Railway does: its own environment only, no project list or create", async () => {
    const { stub, seed } = await seeded("tokens");
    const staging = { projectId: seed.railway.projectId, environmentId: seed.railway.environments.staging };
    const production = { ...staging, environmentId: seed.railway.environments.production };

    const who = await gql(stub, PROJECT_TOKEN, {}, PROJECT);
    expect(who.body.data?.projectToken).toEqual(staging);
    expect((await gql(stub, VARIABLES, staging, PROJECT)).body.errors).toBeUndefined();
    for (const [query, variables] of [
      [PROJECTS, {}],
      [PROJECT_CREATE, { input: { name: "x" } }],
      [VARIABLES, production],
    ] as const) {
      expect((await gql(stub, query, variables, PROJECT)).body.errors?.[0].message, query).toBe("Not Authorized");
    }

    // The same token sent as Bearer, as a client that mistakes it for an account token would.
    const asBearer = await gql(stub, VARIABLES, staging, { authorization: `Bearer ${SANDBOX_RAILWAY_PROJECT_TOKEN}` });
    expect(asBearer.body).toMatchObject({ data: null, errors: [{ message: "Not Authorized" }] });
    expect(
      (await gql(stub, PROJECT_TOKEN, {}, { authorization: `Bearer ${SANDBOX_RAILWAY_PROJECT_TOKEN}` })).body
        .errors?.[0].message,
    ).toBe("Not Authorized");

    // An account token lists and creates projects, and is not a project token.
    expect((await gql(stub, PROJECTS)).body.data?.projects.edges.length).toBeGreaterThan(0);
    expect((await gql(stub, PROJECT_TOKEN)).body.errors?.[0].message).toBe("Project Token not found");
    const created = await gql(stub, PROJECT_CREATE, { input: { name: "side", workspaceId: "ws-1" } });
    expect(created.body.data?.projectCreate.name).toBe("side");
    expect((await gql(stub, VARIABLES, staging, { "project-access-token": "nope" })).body.errors?.[0].message).toBe(
      "Project Token not found",
    );
    expect((await stub.state()).railwayProjectTokens).toHaveLength(1);
  });
});

describe("auto-deploy", () => {
  it("deploys every connected service on a push until auto-deploy is off; then a push deploys nothing", async () => {
    const { stub, seed } = await seeded("auto-deploy");
    const ids = (service: "api" | "web" | "cron", envName: "staging" | "production") => ({
      projectId: seed.railway.projectId,
      environmentId: seed.railway.environments[envName],
      serviceId: seed.railway.services[service],
    });
    const status = await gql(stub, AUTO_DEPLOY_STATUS, ids("api", "staging"));
    expect(status.body.data?.serviceInstanceAutoDeployStatus).toEqual({ enabled: true, canEnable: true, reason: null });

    const pushed = ok(await stub.addCommit({ service: "api", message: "pushed" }));
    expect(pushed[0].deployments.map((d) => `${d.environment}/${d.service}`).sort()).toEqual([
      "production/api",
      "staging/api",
    ]);
    expect((await stub.deploymentsOf("production", "api"))[0]).toMatchObject({
      commitMessage: "pushed",
      status: "SUCCESS",
    });
    // A push to a branch nothing is connected to deploys nothing.
    expect(ok(await stub.addCommit({ service: "api", branch: "feature/x" }))[0].deployments).toEqual([]);

    for (const envName of ["staging", "production"] as const)
      for (const service of ["api", "web", "cron"] as const) {
        const off = await gql(stub, AUTO_DEPLOY_UPDATE, { input: { ...ids(service, envName), enabled: false } });
        expect(off.body.data?.serviceInstanceAutoDeployUpdate).toEqual({ enabled: false });
      }
    const before = (await stub.deploymentsOf("staging", "web")).length;
    const quiet = ok(await stub.addCommit({ message: "nothing deploys" }));
    expect(quiet.every((c) => c.deployments.length === 0)).toBe(true);
    expect((await stub.deploymentsOf("staging", "web")).length).toBe(before);
    expect(
      (await stub.state()).instances.find((i) => i.service === "web" && i.environment === "staging")?.settings
        .autoDeploy,
    ).toBe(false);

    // Someone turns it back on in the dashboard: the next push deploys that service again.
    const drift = ok(await stub.drift({ env: "staging", service: "web", autoDeploy: true })) as { autoDeploy: boolean };
    expect(drift.autoDeploy).toBe(true);
    const again = ok(await stub.addCommit({ service: "web" }));
    expect(again[0].deployments).toEqual([expect.objectContaining({ environment: "staging", service: "web" })]);
    expect((await stub.state()).deployments.find((d) => d.id === again[0].deployments[0].deploymentId)?.reason).toBe(
      "push",
    );
  });

  it("connects a service to a repo and branch with serviceConnect; an image service cannot auto-deploy", async () => {
    const { stub, seed } = await seeded("connect");
    const staging = { projectId: seed.railway.projectId, environmentId: seed.railway.environments.staging };
    const worker = await gql(stub, SERVICE_CREATE, {
      input: { projectId: staging.projectId, name: "worker", source: { image: "ghcr.io/acme/worker:1" } },
    });
    const serviceId = worker.body.data?.serviceCreate.id as string;
    const image = await gql(stub, AUTO_DEPLOY_STATUS, { ...staging, serviceId });
    expect(image.body.data?.serviceInstanceAutoDeployStatus).toMatchObject({ enabled: false, canEnable: false });
    const refused = await gql(stub, AUTO_DEPLOY_UPDATE, { input: { ...staging, serviceId, enabled: true } });
    expect(refused.body.errors?.[0].message).toMatch(/not connected/);

    await gql(stub, SERVICE_CONNECT, { id: serviceId, input: { repo: "invoice-perfect/worker", branch: "release" } });
    const connected = await gql(stub, AUTO_DEPLOY_STATUS, { ...staging, serviceId });
    expect(connected.body.data?.serviceInstanceAutoDeployStatus).toEqual({
      enabled: true,
      canEnable: true,
      reason: null,
    });
    expect(ok(await stub.addCommit({ service: "worker" }))[0].deployments).toEqual([]);
    const release = ok(await stub.addCommit({ service: "worker", branch: "release" }));
    expect(release[0].deployments.map((d) => d.environment).sort()).toEqual(["production", "staging"]);
  });
});
