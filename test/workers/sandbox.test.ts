/**
 * The sandbox provider world, driven through its wire formats: raw Railway GraphQL documents copied
 * from providers/railway.md, GitHub REST paths and app domains, sent to SandboxDO.fetch. The vitest
 * config sets SANDBOX_TIME_SCALE=0, so every deployment reaches its final state on the first read;
 * phase timing is checked separately with an injected clock.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createRailwayApi } from "../../src/providers/railway/adapter";
import { SANDBOX_RAILWAY_PROJECT_TOKEN } from "../../src/sandbox/railway/auth";
import type { SandboxSeed } from "../../src/sandbox/types";
import { deployService, getDeployment } from "../../src/sandbox/world/deployments";
import { getInstance, updateInstanceSettings } from "../../src/sandbox/world/entities";
import { advanceDeployments } from "../../src/sandbox/world/lifecycle";
import { World } from "../../src/sandbox/world/store";

// Documents verbatim from ../shared/providers/railway.md.
const DEPLOY = `mutation ServiceInstanceDeployV2($serviceId: String!, $environmentId: String!, $commitSha: String) {
  serviceInstanceDeployV2(serviceId: $serviceId, environmentId: $environmentId, commitSha: $commitSha)
}`;
const DEPLOYMENTS = `query Deployments($input: DeploymentListInput!, $first: Int, $after: String) {
  deployments(input: $input, first: $first, after: $after) {
    edges { node { id status createdAt statusUpdatedAt url staticUrl canRedeploy canRollback meta } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const DEPLOYMENT = `query Deployment($id: String!) { deployment(id: $id) { id status canRollback canRedeploy instances { id status } } }`;
const LOGS = `query DeploymentLogs($deploymentId: String!, $limit: Int, $filter: String, $startDate: DateTime, $endDate: DateTime) {
  deploymentLogs(deploymentId: $deploymentId, limit: $limit, filter: $filter, startDate: $startDate, endDate: $endDate) {
    timestamp message severity attributes { key value }
  }
}`;
const UPSERT = `mutation VariableCollectionUpsert($input: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $input) }`;
const VARIABLES = `query Variables($projectId: String!, $environmentId: String!, $serviceId: String) {
  variables(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId, unrendered: true)
}`;
const INSTANCE_UPDATE = `mutation ServiceInstanceUpdate($serviceId: String!, $environmentId: String, $input: ServiceInstanceUpdateInput!) {
  serviceInstanceUpdate(serviceId: $serviceId, environmentId: $environmentId, input: $input)
}`;
const INSTANCE = `query ServiceInstance($serviceId: String!, $environmentId: String!) {
  serviceInstance(serviceId: $serviceId, environmentId: $environmentId) {
    id serviceName startCommand healthcheckPath healthcheckTimeout numReplicas region cronSchedule
    latestDeployment { id status }
  }
}`;
const DOMAINS = `query Domains($projectId: String!, $environmentId: String!, $serviceId: String!) {
  domains(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) {
    serviceDomains { id domain targetPort }
    customDomains { id domain status { verified certificateStatus dnsRecords { recordType fqdn requiredValue status } } }
  }
}`;
const TEMPLATE = `query TemplateDetail($code: String!) { template(code: $code) { id name serializedConfig } }`;
const TEMPLATE_DEPLOY = `mutation TemplateDeployV2($input: TemplateDeployV2Input!) { templateDeployV2(input: $input) { projectId workflowId } }`;
const WORKFLOW = `query WorkflowStatus($workflowId: String!) { workflowStatus(workflowId: $workflowId) { status error } }`;
const ROLLBACK = `mutation DeploymentRollback($id: String!) { deploymentRollback(id: $id) }`;
const RESTART = `mutation DeploymentRestart($id: String!) { deploymentRestart(id: $id) }`;
const PROJECT_CREATE = `mutation ProjectCreate($input: ProjectCreateInput!) {
  projectCreate(input: $input) { id name environments { edges { node { id name } } } }
}`;
const ENVIRONMENT_CREATE = `mutation EnvironmentCreate($input: EnvironmentCreateInput!) {
  environmentCreate(input: $input) { id name sourceEnvironment { id name } }
}`;
const SERVICE_CREATE = `mutation ServiceCreate($input: ServiceCreateInput!) { serviceCreate(input: $input) { id name } }`;
const SERVICE_DELETE = `mutation ServiceDelete($id: String!, $environmentId: String) { serviceDelete(id: $id, environmentId: $environmentId) }`;
const DOMAIN_CREATE = `mutation ServiceDomainCreate($input: ServiceDomainCreateInput!) { serviceDomainCreate(input: $input) { id domain targetPort syncStatus } }`;

interface GraphqlReply<T> {
  status: number;
  headers: Headers;
  body: { data: T | null; errors?: { message: string; path?: string[] }[] };
}

type Stub = ReturnType<typeof world>;
function world(name: string) {
  return env.SANDBOX_WORLD.getByName(`t-${name}`);
}

async function gql<T = Record<string, unknown>>(
  stub: Stub,
  query: string,
  variables: Record<string, unknown> = {},
  auth: Record<string, string> = { authorization: "Bearer sandbox-railway-token" },
): Promise<GraphqlReply<T>> {
  const res = await stub.fetch(
    new Request("https://backboard.railway.com/graphql/v2", {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ query, variables }),
    }),
  );
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function seeded(
  name: string,
): Promise<{ stub: Stub; seed: SandboxSeed; staging: { projectId: string; environmentId: string } }> {
  const stub = world(name);
  const seed = await stub.seedInvoicePerfect();
  return {
    stub,
    seed,
    staging: { projectId: seed.railway.projectId, environmentId: seed.railway.environments.staging },
  };
}

async function deploy(stub: Stub, seed: SandboxSeed, service: "api" | "web" | "cron", commitSha?: string) {
  return gql<{ serviceInstanceDeployV2: string }>(stub, DEPLOY, {
    serviceId: seed.railway.services[service],
    environmentId: seed.railway.environments.staging,
    commitSha,
  });
}

async function logLines(
  stub: Stub,
  deploymentId: string,
  kind: "deploymentLogs" | "buildLogs" = "deploymentLogs",
): Promise<string[]> {
  const query =
    kind === "deploymentLogs"
      ? LOGS
      : LOGS.replaceAll("deploymentLogs", "buildLogs").replace("DeploymentLogs", "BuildLogs");
  const reply = await gql<Record<string, { message: string }[]>>(stub, query, { deploymentId, limit: 500 });
  return (reply.body.data?.[kind] ?? []).map((l) => l.message);
}

async function appGet(stub: Stub, domain: string, path: string): Promise<Response> {
  return stub.fetch(new Request(`https://${domain}${path}`));
}

async function stagingDomain(stub: Stub, seed: SandboxSeed, service: "api" | "web"): Promise<string> {
  const reply = await gql<{ domains: { serviceDomains: { domain: string }[] } }>(stub, DOMAINS, {
    projectId: seed.railway.projectId,
    environmentId: seed.railway.environments.staging,
    serviceId: seed.railway.services[service],
  });
  return reply.body.data?.domains.serviceDomains[0]?.domain ?? "";
}

describe("seed", () => {
  it("creates Invoice Perfect live at v1 once; a second call returns the same ids", async () => {
    const stub = world("seed-idempotent");
    const first = await stub.seedInvoicePerfect();
    expect(await stub.seedInvoicePerfect()).toEqual(first);
    const state = await stub.state();
    expect(state.projects.map((p) => p.name)).toEqual(["Invoice Perfect"]);
    expect(state.services.map((s) => s.name).sort()).toEqual(["Postgres", "api", "cron", "web"]);
    for (const envName of ["staging", "production"] as const) {
      const deployments = await stub.deploymentsOf(envName, "api");
      expect(deployments).toHaveLength(1);
      expect(deployments[0]).toMatchObject({
        id: first.live[envName].api.deploymentId,
        status: "SUCCESS",
        commitMessage: "v1",
      });
    }
    expect(first.headCommit.api.message).toBe("v2");
    expect(await stub.deploymentsOf("staging", "api-migrate")).toEqual([]); // never created: nothing, not an error
    expect(Object.values(state.variables.find((v) => v.service === "Postgres")?.values ?? {})).toEqual(
      Array(6).fill("••••"),
    );
    expect(Object.keys(await stub.variablesOf("staging", "Postgres")).sort()).toEqual([
      "DATABASE_URL",
      "PGDATABASE",
      "PGHOST",
      "PGPASSWORD",
      "PGPORT",
      "PGUSER",
    ]);
    expect(state.migrations.find((m) => m.environment === "staging")?.applied.map((m) => m.name)).toContain(
      "20260101000000-create-users",
    );
  });
});

describe("deployments", () => {
  it("deploys the branch head to SUCCESS and marks the previous deployment REMOVED", async () => {
    const { stub, seed, staging } = await seeded("deploy-head");
    const reply = await deploy(stub, seed, "api");
    const id = reply.body.data?.serviceInstanceDeployV2 ?? "";
    const deployment = await gql<{ deployment: { status: string; instances: { status: string }[] } }>(
      stub,
      DEPLOYMENT,
      { id },
    );
    expect(deployment.body.data?.deployment).toMatchObject({ status: "SUCCESS", instances: [{ status: "RUNNING" }] });
    const list = await gql<{
      deployments: {
        edges: { node: { id: string; status: string; canRollback: boolean; meta: Record<string, string> } }[];
      };
    }>(stub, DEPLOYMENTS, { input: { ...staging, serviceId: seed.railway.services.api } });
    const nodes = list.body.data?.deployments.edges.map((e) => e.node) ?? [];
    expect(nodes.map((n) => [n.id, n.status])).toEqual([
      [id, "SUCCESS"],
      [seed.live.staging.api.deploymentId, "REMOVED"],
    ]);
    expect(nodes[0].meta).toMatchObject({
      commitHash: seed.headCommit.api.sha,
      commitMessage: "v2",
      branch: "main",
      repo: "invoice-perfect/api",
    });
    expect(nodes[1].canRollback).toBe(true);
    const instance = await gql<{ serviceInstance: { latestDeployment: { id: string } } }>(stub, INSTANCE, {
      serviceId: seed.railway.services.api,
      environmentId: staging.environmentId,
    });
    expect(instance.body.data?.serviceInstance.latestDeployment.id).toBe(id);
  });

  it("moves through QUEUED, BUILDING, DEPLOYING (pre-deploy included) to SUCCESS as time passes", async () => {
    const { stub, seed } = await seeded("deploy-phases");
    await runInDurableObject(stub, (_instance, state) => {
      let now = Date.now();
      const w = new World(state.storage.sql, 1, () => now);
      const instance = getInstance(w, seed.railway.services.api, seed.railway.environments.staging);
      if (!instance) throw new Error("no api instance");
      updateInstanceSettings(w, instance, { preDeployCommand: ["npx sequelize-cli db:migrate"] });
      const id = deployService(w, seed.railway.services.api, seed.railway.environments.staging).id;
      const seen: string[] = [];
      for (let t = 0; t <= 6000; t += 1500) {
        now = Date.now() + t;
        advanceDeployments(w);
        seen.push(getDeployment(w, id)?.phase ?? "");
      }
      expect(seen).toEqual(["QUEUED", "BUILDING", "PRE_DEPLOY", "DEPLOYING", "SUCCESS"]);
    });
  });

  it("refuses an unknown commit sha with 'Commit not found' and creates nothing", async () => {
    const { stub, seed } = await seeded("deploy-unknown-sha");
    const reply = await deploy(stub, seed, "api", "0123456789abcdef0123456789abcdef01234567");
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      data: null,
      errors: [{ message: "Commit not found", path: ["serviceInstanceDeployV2"] }],
    });
    expect(await stub.deploymentsOf("staging", "api")).toHaveLength(1);
  });

  it("rolls back to the older deployment's commit and restores its variables", async () => {
    const { stub, seed, staging } = await seeded("rollback");
    await gql(stub, UPSERT, {
      input: { ...staging, serviceId: seed.railway.services.api, variables: { FEATURE_TZ: "on" }, skipDeploys: true },
    });
    await deploy(stub, seed, "api", seed.headCommit.api.sha.slice(0, 7));
    const reply = await gql<{ deploymentRollback: boolean }>(stub, ROLLBACK, {
      id: seed.live.staging.api.deploymentId,
    });
    expect(reply.body.data?.deploymentRollback).toBe(true);
    const [newest, v2, v1] = await stub.deploymentsOf("staging", "api");
    expect([newest.status, newest.commitMessage, newest.commitSha]).toEqual([
      "SUCCESS",
      "v1",
      seed.live.staging.api.commitSha,
    ]);
    expect([v2.status, v1.status]).toEqual(["REMOVED", "REMOVED"]);
    expect(await stub.variablesOf("staging", "api")).not.toHaveProperty("FEATURE_TZ");
    const again = await gql(stub, ROLLBACK, { id: newest.id });
    expect(again.body.errors?.[0].message).toBe("Deployment cannot be rolled back");
  });
});

describe("variables", () => {
  it("merges an upsert and redeploys the service unless skipDeploys; replace drops the rest", async () => {
    const { stub, seed, staging } = await seeded("variables");
    const scope = { ...staging, serviceId: seed.railway.services.api };
    await gql(stub, UPSERT, { input: { ...scope, variables: { LOG_LEVEL: "debug" } } });
    const vars = await gql<{ variables: Record<string, string> }>(stub, VARIABLES, scope);
    expect(vars.body.data?.variables).toEqual({
      DATABASE_URL: "${{Postgres.DATABASE_URL}}",
      LOG_LEVEL: "debug",
      PORT: "3000",
    });
    const afterUpsert = await stub.deploymentsOf("staging", "api");
    expect(afterUpsert.map((d) => [d.status, d.commitMessage])).toEqual([
      ["SUCCESS", "v1"],
      ["REMOVED", "v1"],
    ]);
    await gql(stub, UPSERT, { input: { ...scope, variables: { LOG_LEVEL: "info" }, skipDeploys: true } });
    await gql(stub, UPSERT, { input: { ...scope, variables: { LOG_LEVEL: "info" } } }); // unchanged: nothing to redeploy
    expect(await stub.deploymentsOf("staging", "api")).toHaveLength(2);
    await gql(stub, UPSERT, { input: { ...scope, variables: { PORT: "3000" }, replace: true, skipDeploys: true } });
    expect(await stub.variablesOf("staging", "api")).toEqual({ PORT: "3000" });
    const rendered = await gql<{ variables: Record<string, string> }>(
      stub,
      VARIABLES.replace("unrendered: true", "unrendered: false"),
      { ...staging, serviceId: seed.railway.services.cron },
    );
    expect(rendered.body.data?.variables.DATABASE_URL).toMatch(
      /^postgresql:\/\/postgres:[0-9a-f]{32}@postgres\.railway\.internal:5432\/railway$/,
    );
  });
});

describe("provisioning", () => {
  it("creates a project, clones an environment, adds a repo service everywhere and a domain", async () => {
    const stub = world("provisioning");
    const project = await gql<{
      projectCreate: { id: string; environments: { edges: { node: { id: string; name: string } }[] } };
    }>(stub, PROJECT_CREATE, { input: { name: "Acme" } });
    const projectId = project.body.data?.projectCreate.id ?? "";
    const production = project.body.data?.projectCreate.environments.edges[0].node;
    expect(production?.name).toBe("production");
    const service = await gql<{ serviceCreate: { id: string } }>(stub, SERVICE_CREATE, {
      input: { projectId, name: "api", source: { repo: "acme/api" }, branch: "main" },
    });
    const serviceId = service.body.data?.serviceCreate.id ?? "";
    await gql(stub, UPSERT, {
      input: { projectId, environmentId: production?.id, serviceId, variables: { PORT: "8080" }, skipDeploys: true },
    });
    const clone = await gql<{ environmentCreate: { id: string; sourceEnvironment: { name: string } } }>(
      stub,
      ENVIRONMENT_CREATE,
      { input: { projectId, name: "staging", sourceEnvironmentId: production?.id } },
    );
    expect(clone.body.data?.environmentCreate.sourceEnvironment.name).toBe("production");
    expect(await stub.variablesOf("staging", "api")).toEqual({ PORT: "8080" });
    expect((await stub.deploymentsOf("staging", "api"))[0]).toMatchObject({
      status: "SUCCESS",
      commitMessage: "Initial commit",
    });
    const domain = await gql<{ serviceDomainCreate: { domain: string; targetPort: number } }>(stub, DOMAIN_CREATE, {
      input: { serviceId, environmentId: clone.body.data?.environmentCreate.id, targetPort: 8080 },
    });
    expect(domain.body.data?.serviceDomainCreate.domain).toMatch(/^api-staging-[0-9a-f]{4}\.up\.railway\.app$/);
  });
});

describe("faults", () => {
  it("answers 429 with Retry-After and applies nothing, then recovers when the count runs out", async () => {
    const { stub, seed } = await seeded("fault-429");
    await stub.addFault({ kind: "provider", provider: "railway", status: 429, count: 1, retryAfterSeconds: 7 });
    const limited = await deploy(stub, seed, "api");
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "7"]);
    expect(await stub.deploymentsOf("staging", "api")).toHaveLength(1);
    expect((await deploy(stub, seed, "api")).status).toBe(200);
    expect(await stub.deploymentsOf("staging", "api")).toHaveLength(2);
  });

  it("applies the write under a timeout fault yet answers 504 (an ambiguous write)", async () => {
    const { stub, seed } = await seeded("fault-timeout");
    await stub.addFault({ kind: "provider", provider: "railway", status: "timeout", count: 1 });
    const reply = await stub.fetch(
      new Request("https://backboard.railway.com/graphql/v2", {
        method: "POST",
        headers: { authorization: "Bearer t", "content-type": "application/json" },
        body: JSON.stringify({
          query: DEPLOY,
          variables: { serviceId: seed.railway.services.api, environmentId: seed.railway.environments.staging },
        }),
      }),
    );
    expect([reply.status, reply.headers.get("x-sandbox-fault")]).toEqual([504, "timeout"]);
    expect((await stub.deploymentsOf("staging", "api"))[0]).toMatchObject({ status: "SUCCESS", commitMessage: "v2" });
  });

  it("fails a build-faulted deployment with build logs while the old release keeps serving", async () => {
    const { stub, seed } = await seeded("fault-build");
    await stub.addFault({ kind: "deploy", env: "invoice-perfect:staging", service: "api", fail: "build" });
    const id = (await deploy(stub, seed, "api")).body.data?.serviceInstanceDeployV2 ?? "";
    expect((await stub.deploymentsOf("staging", "api"))[0]).toMatchObject({ id, status: "FAILED" });
    expect((await logLines(stub, id, "buildLogs")).join("\n")).toContain("did not complete successfully");
    const health = await appGet(stub, await stagingDomain(stub, seed, "api"), "/health");
    expect([health.status, await health.json()]).toEqual([200, { status: "ok", release: "v1" }]);
  });

  it("a deploy fault is one-shot by default: the next deployment fails, the one after it does not; sticky faults stay", async () => {
    const { stub, seed } = await seeded("fault-one-shot");
    const added = await stub.addFault({ kind: "deploy", env: "staging", service: "web", fail: "crash" });
    expect(added).toMatchObject({ ok: true, value: { remaining: 1 } });
    await deploy(stub, seed, "web");
    expect((await stub.deploymentsOf("staging", "web"))[0].status).toBe("CRASHED");
    expect((await stub.state()).faults).toEqual([]);
    await deploy(stub, seed, "web");
    expect((await stub.deploymentsOf("staging", "web"))[0].status).toBe("SUCCESS");
    await stub.addFault({ kind: "deploy", env: "staging", service: "web", fail: "build", count: 2 });
    const sticky = await stub.addFault({ kind: "deploy", env: "staging", service: "api", fail: "build", sticky: true });
    expect(sticky).toMatchObject({ ok: true, value: { remaining: null } });
    for (let i = 0; i < 3; i++) await deploy(stub, seed, "web");
    expect((await stub.deploymentsOf("staging", "web")).slice(0, 3).map((d) => d.status)).toEqual([
      "SUCCESS",
      "FAILED",
      "FAILED",
    ]);
    for (let i = 0; i < 2; i++) await deploy(stub, seed, "api");
    expect((await stub.deploymentsOf("staging", "api")).slice(0, 2).map((d) => d.status)).toEqual(["FAILED", "FAILED"]);
    expect(
      await stub.addFault({ kind: "deploy", env: "staging", service: "api", fail: "build", sticky: true, count: 1 }),
    ).toMatchObject({ ok: false });
  });

  it("fails only deployments that run a pre-deploy command under a migration fault", async () => {
    const { stub, seed, staging } = await seeded("fault-migration");
    await stub.addFault({ kind: "deploy", env: "staging", service: "api", fail: "migration" });
    await deploy(stub, seed, "api");
    expect((await stub.deploymentsOf("staging", "api"))[0].status).toBe("SUCCESS");
    await gql(stub, INSTANCE_UPDATE, {
      serviceId: seed.railway.services.api,
      environmentId: staging.environmentId,
      input: { preDeployCommand: ["npx sequelize-cli db:migrate"] },
    });
    const id = (await deploy(stub, seed, "api")).body.data?.serviceInstanceDeployV2 ?? "";
    expect((await stub.deploymentsOf("staging", "api"))[0]).toMatchObject({ id, status: "FAILED" });
    const logs = await logLines(stub, id);
    expect(logs).toContain("== 20261101000000-add-timezone-to-users: migrating =======");
    expect(logs.join("\n")).toMatch(/ERROR: SequelizeDatabaseError/);
    const applied = (await stub.state()).migrations
      .find((m) => m.environment === "staging")
      ?.applied.map((m) => m.name);
    expect(applied).not.toContain("20261101000000-add-timezone-to-users");
  });

  it("crashes a deployment after DEPLOYING: the app answers 503 until a restart without the fault; failHealth makes health 500", async () => {
    const { stub, seed } = await seeded("fault-crash");
    const domain = await stagingDomain(stub, seed, "web");
    await stub.addFault({ kind: "app", env: "staging", service: "web", track: "stable", failHealth: true, count: 1 });
    expect((await appGet(stub, domain, "/")).status).toBe(500);
    expect(await (await appGet(stub, domain, "/")).json()).toEqual({ status: "ok", release: "v1" });
    await stub.addFault({ kind: "deploy", env: "staging", service: "web", fail: "crash", sticky: true });
    await deploy(stub, seed, "web");
    expect((await stub.deploymentsOf("staging", "web")).map((d) => d.status)).toEqual(["CRASHED", "REMOVED"]);
    expect((await appGet(stub, domain, "/")).status).toBe(503);
    const [crashed] = await stub.deploymentsOf("staging", "web");
    await gql(stub, RESTART, { id: crashed.id });
    expect((await stub.deploymentsOf("staging", "web"))[0].status).toBe("CRASHED"); // the bug is still injected
    await stub.clearFaults();
    await gql(stub, RESTART, { id: crashed.id });
    expect(await (await appGet(stub, domain, "/")).json()).toEqual({ status: "ok", release: "v2" });
    expect((await stub.fetch(new Request("https://example.com/"))).status).toBe(502);
  });
});

describe("migrations", () => {
  it("runs pending migrations in the pre-deploy phase and logs them like sequelize-cli", async () => {
    const { stub, seed, staging } = await seeded("migrations");
    await gql(stub, INSTANCE_UPDATE, {
      serviceId: seed.railway.services.api,
      environmentId: staging.environmentId,
      input: { preDeployCommand: ["npx sequelize-cli db:migrate"] },
    });
    const first = (await deploy(stub, seed, "api")).body.data?.serviceInstanceDeployV2 ?? "";
    expect((await stub.deploymentsOf("staging", "api"))[0]).toMatchObject({ id: first, status: "SUCCESS" });
    const logs = await logLines(stub, first);
    expect(logs).toContain("== 20261101000000-add-timezone-to-users: migrating =======");
    expect(logs.some((l) => /^== 20261101000000-add-timezone-to-users: migrated \(0\.\d{3}s\)$/.test(l))).toBe(true);
    const second = (await deploy(stub, seed, "api")).body.data?.serviceInstanceDeployV2 ?? "";
    expect(await logLines(stub, second)).toContain(
      "No migrations were executed, database schema was already up to date.",
    );
    const production = (await stub.state()).migrations
      .find((m) => m.environment === "production")
      ?.applied.map((m) => m.name);
    expect(production).not.toContain("20261101000000-add-timezone-to-users");
  });
});

describe("github", () => {
  it("resolves a branch, a tag, a full sha and a 7-char prefix; unknown refs are 404, malformed 422", async () => {
    const { stub, seed } = await seeded("github");
    const get = async (ref: string) => {
      const res = await stub.fetch(new Request(`https://api.github.com/repos/invoice-perfect/api/commits/${ref}`));
      return {
        status: res.status,
        body: await res.json<{
          sha: string;
          message: string;
          commit: { message: string; author: { name: string; date: string } };
        }>(),
      };
    };
    const head = await get("main");
    expect(head.status).toBe(200);
    expect(head.body).toMatchObject({
      sha: seed.headCommit.api.sha,
      commit: { message: "v2" },
      html_url: `https://github.com/invoice-perfect/api/commit/${seed.headCommit.api.sha}`,
    });
    expect((await get("v1")).body.sha).toBe(seed.live.staging.api.commitSha);
    expect((await get(seed.live.staging.api.commitSha)).body.commit.message).toBe("v1");
    expect((await get(seed.headCommit.api.sha.slice(0, 7))).body.sha).toBe(seed.headCommit.api.sha);
    expect(await get("deadbeef00")).toMatchObject({
      status: 404,
      body: { message: "No commit found for SHA: deadbeef00" },
    });
    expect((await get("a..b")).status).toBe(422);
    const pushed = await stub.addCommit({ service: "api" });
    expect(pushed).toMatchObject({ ok: true, value: [{ repo: "invoice-perfect/api", message: "v3" }] });
    expect((await get("main")).body.commit.message).toBe("v3");
  });
});

describe("database services", () => {
  // The adapter itself drives the sandbox here, so its documents are proven against the sandbox's schema subset.
  function adapterFor(stub: Stub) {
    const fetch = (input: RequestInfo | URL, init?: RequestInit) => stub.fetch(new Request(input, init));
    return createRailwayApi({ fetch }, { token: "sandbox-railway-token" });
  }
  const renderedRedisUrl = async (stub: Stub, projectId: string, environmentId: string, serviceId: string) =>
    (
      await gql<{ variables: Record<string, string> }>(stub, VARIABLES.replace(", unrendered: true", ""), {
        projectId,
        environmentId,
        serviceId,
      })
    ).body.data?.variables.REDIS_URL;

  it("deploys Redis from its template, then serviceDelete in one environment removes it there only", async () => {
    const { stub, seed, staging } = await seeded("redis-delete");
    const api = adapterFor(stub);
    const { projectId } = staging;
    const production = seed.railway.environments.production;
    const before = new Set((await api.listServices(projectId)).map((s) => s.id));
    for (const environmentId of [staging.environmentId, production]) {
      const { workflowId } = await api.deployTemplate({ code: "redis", projectId, environmentId });
      expect(workflowId).not.toBeNull();
      expect(await api.workflowStatus(workflowId ?? "")).toEqual({ status: "Complete", error: null });
      await api.upsertVariables({
        projectId,
        environmentId,
        serviceId: seed.railway.services.api,
        variables: { REDIS_URL: "${{Redis.REDIS_URL}}" },
        skipDeploys: true,
      });
    }
    // Railway's payload does not name the new service: diff the project's services, as the CLI does.
    const added = (await api.listServices(projectId)).filter((s) => !before.has(s.id));
    expect(added.map((s) => s.name)).toEqual(["Redis"]);
    const redis = added[0].id;
    expect(await renderedRedisUrl(stub, projectId, staging.environmentId, seed.railway.services.api)).toMatch(
      /^redis:\/\/default:/,
    );

    await api.deleteService(redis, staging.environmentId);
    const gone = await gql(stub, INSTANCE, { serviceId: redis, environmentId: staging.environmentId });
    expect(gone.body.errors?.[0].message).toBe("ServiceInstance not found");
    expect((await stub.deploymentsOf("staging", "Redis")).map((d) => d.status)).toEqual(["REMOVED"]);
    expect(await stub.variablesOf("staging", "Redis")).toEqual({});
    expect(await renderedRedisUrl(stub, projectId, staging.environmentId, seed.railway.services.api)).toBe("");
    expect((await stub.deploymentsOf("production", "Redis"))[0].status).toBe("SUCCESS");
    expect(await renderedRedisUrl(stub, projectId, production, seed.railway.services.api)).toMatch(
      /^redis:\/\/default:/,
    );
    expect((await api.listServices(projectId)).map((s) => s.id)).toContain(redis);

    // Without environmentId it goes everywhere; the last instance gone takes the service with it.
    await api.deleteService(redis);
    expect((await api.listServices(projectId)).map((s) => s.id)).not.toContain(redis);
    expect(await renderedRedisUrl(stub, projectId, production, seed.railway.services.api)).toBe("");
  });

  it("answers serviceDelete of an unknown service or environment with Railway-style errors", async () => {
    const { stub, seed } = await seeded("delete-unknown");
    const unknown = await gql(stub, SERVICE_DELETE, { id: "00000000-0000-4000-8000-000000000000" });
    expect(unknown.body).toMatchObject({ data: null, errors: [{ message: "Service not found" }] });
    const badEnv = await gql(stub, SERVICE_DELETE, { id: seed.railway.services.web, environmentId: "nope" });
    expect(badEnv.body.errors?.[0].message).toBe("Environment not found");
    expect((await stub.deploymentsOf("staging", "web"))[0].status).toBe("SUCCESS");
  });
});

describe("railway envelope", () => {
  it("answers an unknown field with a GraphQL validation error and no data, like the real server", async () => {
    const { stub } = await seeded("validation");
    const reply = await gql(stub, `query Deployment($id: String!) { deployment(id: $id) { id bogus } }`, { id: "x" });
    expect(reply.status).toBe(200);
    expect(reply.body.data).toBeNull();
    expect(reply.body.errors?.[0].message).toBe('Cannot query field "bogus" on type "Deployment".');
    // Documents are parsed and validated once, then served from a cache: a repeat gets the same answer.
    const again = await gql(stub, `query Deployment($id: String!) { deployment(id: $id) { id bogus } }`, { id: "x" });
    expect(again.body).toEqual(reply.body);
    const syntax = await gql(stub, `query { deployment(id: "x") { id `, {});
    expect(syntax.body.data).toBeNull();
    expect(syntax.body.errors?.[0].message).toMatch(/^Syntax Error/);
  });

  it("says Not Authorized without a token, yet serves templates to anyone as the CLI expects", async () => {
    const { stub, staging } = await seeded("auth");
    const denied = await gql(stub, VARIABLES, staging, {});
    expect(denied.body).toMatchObject({ data: null, errors: [{ message: "Not Authorized" }] });
    expect((await gql(stub, VARIABLES, staging, { authorization: "Basic abc" })).body.errors?.[0].message).toBe(
      "Not Authorized",
    );
    const template = await gql<{ template: { name: string; serializedConfig: unknown } }>(
      stub,
      TEMPLATE,
      { code: "redis" },
      {},
    );
    expect(template.body.data?.template.name).toBe("Redis");
    const deployed = await gql<{ templateDeployV2: { workflowId: string } }>(
      stub,
      TEMPLATE_DEPLOY,
      {
        input: {
          templateId: (await gql<{ template: { id: string } }>(stub, TEMPLATE, { code: "redis" })).body.data?.template
            .id,
          serializedConfig: template.body.data?.template.serializedConfig,
          ...staging,
        },
      },
      { "project-access-token": SANDBOX_RAILWAY_PROJECT_TOKEN },
    );
    const status = await gql<{ workflowStatus: { status: string } }>(stub, WORKFLOW, {
      workflowId: deployed.body.data?.templateDeployV2.workflowId,
    });
    expect(status.body.data?.workflowStatus.status).toBe("Complete");
    expect(Object.keys(await stub.variablesOf("staging", "Redis"))).toContain("REDIS_URL");
    expect((await stub.deploymentsOf("staging", "Redis"))[0].status).toBe("SUCCESS");
  });

  it("logs requests newest first with credentials redacted and variable values masked", async () => {
    const { stub, seed, staging } = await seeded("request-log");
    await gql(stub, UPSERT, {
      input: { ...staging, serviceId: seed.railway.services.api, variables: { API_KEY: "s3cret" }, skipDeploys: true },
    });
    await stub.fetch(
      new Request("https://api.github.com/repos/invoice-perfect/api/commits/main", {
        headers: { authorization: "token gh-secret" },
      }),
    );
    const [github, railway] = await stub.requests({ limit: 2 });
    expect(github).toMatchObject({
      provider: "github",
      method: "GET",
      path: "/repos/invoice-perfect/api/commits/main",
      status: 200,
      headers: { authorization: "[redacted]" },
    });
    expect(railway).toMatchObject({
      provider: "railway",
      method: "POST",
      status: 200,
      headers: { authorization: "[redacted]" },
    });
    expect(railway.body).toEqual({
      query: UPSERT,
      operationName: null,
      variables: {
        input: { ...staging, serviceId: seed.railway.services.api, variables: { API_KEY: "••••" }, skipDeploys: true },
      },
    });
    expect(JSON.stringify(await stub.requests({ provider: "railway" }))).not.toContain("s3cret");
  });
});
