/**
 * Proves every GraphQL document the Railway adapter can send is valid against Railway's published
 * schema, and that what each RailwayApi method actually sends (query + variables) type-checks too.
 */
import { readFileSync } from "node:fs";
import {
  buildSchema,
  getVariableValues,
  Kind,
  parse,
  validate,
  validateSchema,
  type OperationDefinitionNode,
} from "graphql";
import { describe, expect, it } from "vitest";
import { createRailwayApi } from "../../src/providers/railway/adapter";
import type { RailwayApi } from "../../src/providers/railway/api";
import { RAILWAY_DOCUMENTS, type RailwayOperationName } from "../../src/providers/railway/documents";

const here = import.meta.url;
const sdl = readFileSync(new URL("../fixtures/providers/railway.schema.graphql", here), "utf8");

// graphql 17 added a rule Railway's own SDL breaks (a deprecated Team.id implementing Node.id); it
// says nothing about our operations, so it is pinned below and schema validation is otherwise skipped.
const KNOWN_SCHEMA_ISSUES = [
  "Interface field Node.id is not deprecated, so implementation field Team.id must not be deprecated.",
];
const schema = buildSchema(sdl, { assumeValid: true });

function operationOf(document: string): OperationDefinitionNode {
  const operations = parse(document).definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  expect(operations).toHaveLength(1);
  return operations[0];
}

interface SentRequest {
  operationName: RailwayOperationName;
  query: string;
  variables: Record<string, unknown>;
}

/** Minimal `data` per operation, enough for the adapter's response parsing to succeed. */
const DEPLOYMENT = {
  id: "d1",
  status: "SUCCESS",
  createdAt: "2026-11-01T00:00:00Z",
  meta: null,
  canRollback: true,
  url: null,
  staticUrl: null,
};
const CUSTOM_STATUS = {
  verified: false,
  verificationDnsHost: "_railway-verify.api.example.com",
  verificationToken: "railway-verify=abc",
  certificateStatus: "CERTIFICATE_STATUS_TYPE_VALIDATING_OWNERSHIP",
  dnsRecords: [
    {
      recordType: "DNS_RECORD_TYPE_CNAME",
      fqdn: "api.example.com",
      requiredValue: "abc.up.railway.app",
      currentValue: "",
      status: "DNS_RECORD_STATUS_REQUIRES_UPDATE",
    },
  ],
};
const PROJECT = { id: "p1", name: "app", environments: { edges: [{ node: { id: "e1", name: "production" } }] } };
const CANNED: Record<RailwayOperationName, unknown> = {
  Projects: { projects: { edges: [{ node: PROJECT }] } },
  ProjectCreate: { projectCreate: PROJECT },
  EnvironmentCreate: { environmentCreate: { id: "e2", name: "staging" } },
  ProjectServices: { project: { services: { edges: [{ node: { id: "s1", name: "api" } }] } } },
  ServiceCreate: { serviceCreate: { id: "s1", name: "api" } },
  ServiceInstance: {
    serviceInstance: {
      id: "si1",
      serviceName: "api",
      startCommand: null,
      healthcheckPath: "/health",
      numReplicas: 1,
      cronSchedule: null,
      latestDeployment: { id: "d1", status: "SUCCESS" },
    },
  },
  ServiceInstanceUpdate: { serviceInstanceUpdate: true },
  ServiceInstanceLimitsUpdate: { serviceInstanceLimitsUpdate: true },
  Variables: { variables: { PORT: "8080" } },
  VariableCollectionUpsert: { variableCollectionUpsert: true },
  VariableDelete: { variableDelete: true },
  ServiceInstanceDeployV2: { serviceInstanceDeployV2: "d2" },
  Deployment: { deployment: DEPLOYMENT },
  Deployments: { deployments: { edges: [{ node: DEPLOYMENT }] } },
  DeploymentRollback: { deploymentRollback: true },
  DeploymentLogs: { deploymentLogs: [{ timestamp: "2026-11-01T00:00:00Z", message: "up", severity: "info" }] },
  BuildLogs: { buildLogs: [{ timestamp: "2026-11-01T00:00:00Z", message: "built", severity: "info" }] },
  DeploymentLogsBetween: {
    deploymentLogs: [{ timestamp: "2026-11-01T00:00:05Z", message: "panic: boom", severity: "error" }],
  },
  HttpLogs: {
    httpLogs: [
      {
        timestamp: "2026-11-01T00:00:05Z",
        requestId: "r1",
        method: "GET",
        path: "/health",
        host: "api.up.railway.app",
        httpStatus: 503,
        totalDuration: 120,
        upstreamErrors: "",
        deploymentId: "d1",
      },
    ],
  },
  HttpMetrics: {
    httpMetricsGroupedByStatus: [
      { statusCode: 200, samples: [{ ts: 1793491200, value: 97 }] },
      { statusCode: 503, samples: [{ ts: 1793491200, value: 3 }] },
    ],
    httpDurationMetrics: { samples: [{ ts: 1793491200, p95: 180 }] },
  },
  Domains: {
    domains: {
      serviceDomains: [{ id: "dom1", domain: "api.up.railway.app", targetPort: 8080 }],
      customDomains: [{ id: "cd1", domain: "api.example.com", status: CUSTOM_STATUS }],
    },
  },
  CustomDomainCreate: { customDomainCreate: { id: "cd1", domain: "api.example.com", status: CUSTOM_STATUS } },
  CustomDomain: { customDomain: { id: "cd1", domain: "api.example.com", status: CUSTOM_STATUS } },
  CustomDomainAvailable: { customDomainAvailable: { available: true, message: "Domain is available" } },
  CustomDomainDelete: { customDomainDelete: true },
  ServiceConnect: { serviceConnect: { id: "s1", name: "api" } },
  ServiceInstanceAutoDeployUpdate: { serviceInstanceAutoDeployUpdate: { enabled: false } },
  ServiceInstanceAutoDeployStatus: {
    serviceInstanceAutoDeployStatus: { enabled: false, canEnable: true, reason: null },
  },
  ProjectToken: { projectToken: { projectId: "p1", environmentId: "e1" } },
  ServiceDomainCreate: { serviceDomainCreate: { id: "dom1", domain: "api.up.railway.app", targetPort: 8080 } },
  TemplateDetail: {
    template: {
      id: "tpl1",
      serializedConfig: { services: { s: { name: "Redis", source: { image: "redis:8.2" }, variables: {} } } },
    },
  },
  TemplateDeployV2: { templateDeployV2: { projectId: "p1", workflowId: "wf1" } },
  WorkflowStatus: { workflowStatus: { status: "Complete", error: null } },
  ServiceDelete: { serviceDelete: true },
};

/** One entry per RailwayApi method (the mapped type makes a missing method a compile error), optional args filled in. */
const EVERY_METHOD: { [M in keyof RailwayApi]: (api: RailwayApi) => Promise<unknown> } = {
  tokenKind: (api) => api.tokenKind(),
  listProjects: (api) => api.listProjects(),
  createProject: (api) => api.createProject("app", "ws1"),
  createEnvironment: (api) => api.createEnvironment("p1", "qa", "e1"),
  listServices: (api) => api.listServices("p1"),
  createService: (api) =>
    api.createService({
      projectId: "p1",
      environmentId: "e1",
      name: "api",
      source: { repo: "acme/app", image: "ghcr.io/acme/app:1" },
      branch: "main",
    }),
  getServiceInstance: (api) => api.getServiceInstance("s1", "e1"),
  updateServiceInstance: (api) =>
    api.updateServiceInstance("s1", "e1", {
      startCommand: "node server.js",
      preDeployCommand: ["npm run migrate"],
      healthcheckPath: "/health",
      numReplicas: 2,
      cronSchedule: null,
      rootDirectory: "apps/api",
      restartPolicyType: "ON_FAILURE",
    }),
  setServiceLimits: (api) => api.setServiceLimits("e1", "s1", { memoryGB: 2, vCPUs: 1 }),
  getVariables: (api) => api.getVariables("p1", "e1", "s1"),
  upsertVariables: (api) =>
    api.upsertVariables({
      projectId: "p1",
      environmentId: "e1",
      serviceId: "s1",
      variables: { PORT: "8080" },
      skipDeploys: true,
    }),
  deleteVariable: (api) => api.deleteVariable({ projectId: "p1", environmentId: "e1", serviceId: "s1", name: "OLD" }),
  deployService: (api) => api.deployService("s1", "e1", "0123456789abcdef0123456789abcdef01234567"),
  getDeployment: (api) => api.getDeployment("d1"),
  listDeployments: (api) => api.listDeployments({ projectId: "p1", environmentId: "e1", serviceId: "s1", first: 5 }),
  rollbackDeployment: (api) => api.rollbackDeployment("d1"),
  deploymentLogs: (api) => api.deploymentLogs("d1", 500),
  buildLogs: (api) => api.buildLogs("d1", 200),
  deploymentLogsBetween: (api) =>
    api.deploymentLogsBetween({
      deploymentId: "d1",
      startDate: "2026-11-01T00:00:00Z",
      endDate: "2026-11-01T00:05:00Z",
      filter: "@level:error",
      limit: 1000,
    }),
  httpLogs: (api) =>
    api.httpLogs({
      deploymentId: "d1",
      beforeDate: "2026-11-01T00:00:00Z",
      afterDate: "2026-11-01T00:05:00Z",
      limit: 5000,
      filter: "@httpStatus:>=500",
    }),
  httpMetrics: (api) =>
    api.httpMetrics({
      serviceId: "s1",
      environmentId: "e1",
      startDate: "2026-11-01T00:00:00Z",
      endDate: "2026-11-01T00:01:00Z",
      stepSeconds: 60,
    }),
  connectService: (api) => api.connectService("s1", { repo: "acme/app", branch: "main" }),
  setAutoDeploy: (api) => api.setAutoDeploy({ projectId: "p1", environmentId: "e1", serviceId: "s1", enabled: false }),
  autoDeployStatus: (api) => api.autoDeployStatus({ projectId: "p1", environmentId: "e1", serviceId: "s1" }),
  listDomains: (api) => api.listDomains("p1", "e1", "s1"),
  listCustomDomains: (api) => api.listCustomDomains("p1", "e1", "s1"),
  createCustomDomain: (api) =>
    api.createCustomDomain({
      projectId: "p1",
      environmentId: "e1",
      serviceId: "s1",
      domain: "api.example.com",
      targetPort: 3000,
    }),
  getCustomDomain: (api) => api.getCustomDomain("cd1", "p1"),
  customDomainAvailable: (api) => api.customDomainAvailable("api.example.com"),
  deleteCustomDomain: (api) => api.deleteCustomDomain("cd1"),
  listServiceDomains: (api) => api.listServiceDomains("p1", "e1", "s1"),
  createServiceDomain: (api) => api.createServiceDomain("s1", "e1", 8080),
  deployTemplate: (api) => api.deployTemplate({ code: "redis", projectId: "p1", environmentId: "e1" }),
  workflowStatus: (api) => api.workflowStatus("wf1"),
  deleteService: (api) => api.deleteService("s1", "e1"),
};

/** Methods that send more than one request (deployTemplate reads the template, then deploys it). */
const REQUESTS_PER_METHOD: Partial<Record<keyof RailwayApi, number>> = { deployTemplate: 2 };

/** Calls every method against a fake Railway that records each request body and answers from CANNED. */
async function recordEveryMethod(): Promise<Map<keyof RailwayApi, SentRequest[]>> {
  let sent: SentRequest[] = [];
  const fetch = async (_input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const body = JSON.parse(String(init?.body)) as SentRequest;
    sent.push(body);
    return Response.json({ data: CANNED[body.operationName] });
  };
  const api = createRailwayApi({ fetch }, { token: "test-token" });
  const byMethod = new Map<keyof RailwayApi, SentRequest[]>();
  for (const [method, invoke] of Object.entries(EVERY_METHOD) as [
    keyof RailwayApi,
    (api: RailwayApi) => Promise<unknown>,
  ][]) {
    sent = [];
    await invoke(api);
    byMethod.set(method, sent);
  }
  return byMethod;
}

describe("Railway GraphQL documents", () => {
  it("uses a schema fixture whose only problem is the known graphql 17 deprecation rule", () => {
    expect(validateSchema(buildSchema(sdl)).map((e) => e.message)).toEqual(KNOWN_SCHEMA_ISSUES);
  });

  it.each(Object.entries(RAILWAY_DOCUMENTS))(
    "%s validates against Railway's schema with zero errors",
    (name, document) => {
      expect(validate(schema, parse(document)).map((e) => e.message)).toEqual([]);
      expect(operationOf(document).name?.value).toBe(name);
    },
  );

  it("rejects a document that does not match the schema (the check can fail)", () => {
    const wrong = "mutation DeploymentRollback($id: String!) { deploymentRollback(id: $id) { id status } }";
    expect(validate(schema, parse(wrong))).not.toHaveLength(0);
  });
});

describe("what the Railway adapter sends", () => {
  it("sends one valid document per RailwayApi method, with variables that coerce to the operation's types", async () => {
    const byMethod = await recordEveryMethod();
    for (const [method, requests] of byMethod) {
      expect(requests, method).toHaveLength(REQUESTS_PER_METHOD[method] ?? 1);
      for (const { operationName, query, variables } of requests) {
        const label = `${method}/${operationName}`;
        expect(query, label).toBe(RAILWAY_DOCUMENTS[operationName]);
        const operation = operationOf(query);
        expect(
          validate(schema, parse(query)).map((e) => e.message),
          label,
        ).toEqual([]);
        const declared = (operation.variableDefinitions ?? []).map((v) => v.variable.name.value);
        // getVariableValues ignores undeclared variables, so they are checked separately.
        expect(
          Object.keys(variables).filter((k) => !declared.includes(k)),
          label,
        ).toEqual([]);
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
        expect(coerced.errors?.map((e) => e.message) ?? [], label).toEqual([]);
      }
    }
  });

  it("uses every document in RAILWAY_DOCUMENTS from some method", async () => {
    const used = new Set([...(await recordEveryMethod()).values()].flat().map((r) => r.operationName));
    expect([...used].sort()).toEqual(Object.keys(RAILWAY_DOCUMENTS).sort());
  });

  it("variable coercion catches a field the input type does not have (the check can fail)", () => {
    const operation = operationOf(RAILWAY_DOCUMENTS.ServiceInstanceUpdate);
    const result = getVariableValues(schema, operation.variableDefinitions ?? [], {
      serviceId: "s1",
      input: { replicas: 2 },
    });
    expect(result.errors).toBeDefined();
  });
});

describe("Railway database templates", () => {
  it("deploys the template's serializedConfig (nothing to fill here) into the given project and environment", async () => {
    const byMethod = await recordEveryMethod();
    const [detail, deploy] = byMethod.get("deployTemplate") ?? [];
    expect(detail.variables).toEqual({ code: "redis" });
    const template = (CANNED.TemplateDetail as { template: { id: string; serializedConfig: unknown } }).template;
    expect(deploy.variables).toEqual({
      input: {
        templateId: template.id,
        serializedConfig: template.serializedConfig,
        projectId: "p1",
        environmentId: "e1",
      },
    });
  });

  it("returns the workflow id, and the workflow's status and error", async () => {
    const fetch = async (_input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const body = JSON.parse(String(init?.body)) as SentRequest;
      if (body.operationName === "WorkflowStatus")
        return Response.json({ data: { workflowStatus: { status: "Error", error: "image pull failed" } } });
      return Response.json({ data: CANNED[body.operationName] });
    };
    const api = createRailwayApi({ fetch }, { token: "test-token" });
    expect(await api.deployTemplate({ code: "postgres", projectId: "p1", environmentId: "e1" })).toEqual({
      workflowId: "wf1",
    });
    expect(await api.workflowStatus("wf1")).toEqual({ status: "Error", error: "image pull failed" });
  });

  it("leaves environmentId out of serviceDelete when not given (delete everywhere)", async () => {
    const sent: SentRequest[] = [];
    const fetch = async (_input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      sent.push(JSON.parse(String(init?.body)) as SentRequest);
      return Response.json({ data: CANNED.ServiceDelete });
    };
    await createRailwayApi({ fetch }, { token: "test-token" }).deleteService("s1");
    expect(sent.map((r) => r.variables)).toEqual([{ id: "s1" }]);
  });
});

describe("Railway service limits", () => {
  it("sends memory and vCPUs for one instance, and fails when Railway answers false", async () => {
    const sent: SentRequest[] = [];
    let answer = true;
    const fetch = async (_input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      sent.push(JSON.parse(String(init?.body)) as SentRequest);
      return Response.json({ data: { serviceInstanceLimitsUpdate: answer } });
    };
    const api = createRailwayApi({ fetch }, { token: "test-token" });
    await api.setServiceLimits("e1", "s1", { memoryGB: 0.5, vCPUs: 0.5 });
    expect(sent.map((r) => [r.operationName, r.variables])).toEqual([
      ["ServiceInstanceLimitsUpdate", { input: { environmentId: "e1", serviceId: "s1", memoryGB: 0.5, vCPUs: 0.5 } }],
    ]);
    answer = false;
    await expect(api.setServiceLimits("e1", "s1", { memoryGB: 2, vCPUs: 1 })).rejects.toThrow(/not applied/);
  });
});

describe("Railway logs for canary signals", () => {
  it("sends the window and filter as variables and returns Railway's rows unchanged", async () => {
    const sent: SentRequest[] = [];
    const fetch = async (_input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const body = JSON.parse(String(init?.body)) as SentRequest;
      sent.push(body);
      return Response.json({ data: CANNED[body.operationName] });
    };
    const api = createRailwayApi({ fetch }, { token: "test-token" });
    const window = { deploymentId: "d1", beforeDate: "2026-11-01T00:00:00Z", afterDate: "2026-11-01T00:05:00Z" };
    expect(await api.httpLogs(window)).toEqual((CANNED.HttpLogs as { httpLogs: unknown[] }).httpLogs);
    const lines = await api.deploymentLogsBetween({
      deploymentId: "d1",
      startDate: "2026-11-01T00:00:00Z",
      endDate: "2026-11-01T00:05:00Z",
    });
    expect(lines).toEqual([{ timestamp: "2026-11-01T00:00:05Z", message: "panic: boom", severity: "error" }]);
    // Optional arguments left out stay out of the JSON, so Railway applies its own defaults.
    expect(sent.map((r) => r.variables)).toEqual([
      window,
      { deploymentId: "d1", startDate: "2026-11-01T00:00:00Z", endDate: "2026-11-01T00:05:00Z" },
    ]);
  });
});

describe("Railway template variables, filled as Railway's CLI fills them", () => {
  const template = {
    services: {
      a: {
        name: "Postgres",
        source: { image: "postgres:17" },
        variables: {
          PGPASSWORD: { defaultValue: "${{secret(32)}}", description: "Password" },
          PGUSER: { defaultValue: "postgres" },
          PGDATABASE: { value: "mine", defaultValue: "railway" },
          REPLICA_PASSWORD: { defaultValue: "" },
          OPTIONAL_NOTE: { isOptional: true },
        },
      },
    },
  };

  function recordingApi(config: unknown) {
    const sent: SentRequest[] = [];
    const fetch = async (_input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const body = JSON.parse(String(init?.body)) as SentRequest;
      sent.push(body);
      return Response.json({
        data:
          body.operationName === "TemplateDetail"
            ? { template: { id: "tpl1", serializedConfig: config } }
            : CANNED[body.operationName],
      });
    };
    return { api: createRailwayApi({ fetch }, { token: "t" }), sent };
  }

  it("sends each value from its default, keeps a given value, and generates a credential nobody gave", async () => {
    const { api, sent } = recordingApi(template);
    await api.deployTemplate({ code: "postgres", projectId: "p1", environmentId: "e1" });
    const deployed = (sent[1].variables.input as { serializedConfig: typeof template }).serializedConfig;
    const vars = deployed.services.a.variables as Record<string, { value?: string }>;
    expect(vars.PGPASSWORD.value).toBe("${{secret(32)}}");
    expect(vars.PGUSER.value).toBe("postgres");
    expect(vars.PGDATABASE.value).toBe("mine");
    // An empty default is no value: a password is generated rather than sent empty.
    expect(vars.REPLICA_PASSWORD.value).toBe("${{secret(32)}}");
    expect(vars.OPTIONAL_NOTE.value).toBeUndefined();
    // Everything else goes back as Railway sent it.
    expect(deployed.services.a.source).toEqual({ image: "postgres:17" });
  });

  it("refuses to deploy a required non-secret variable without value or default, naming it", async () => {
    const { api, sent } = recordingApi({
      services: { a: { name: "Custom", source: { image: "x" }, variables: { REGION: { description: "where" } } } },
    });
    await expect(api.deployTemplate({ code: "redis", projectId: "p1", environmentId: "e1" })).rejects.toThrow(
      /Custom\.REGION/,
    );
    expect(sent.map((r) => r.operationName)).toEqual(["TemplateDetail"]);
  });
});

describe("Railway token kinds (projectToken)", () => {
  /** A Railway that answers projectToken as the sandbox and Railway do, for one project token. */
  function railwayWith(projectToken: string) {
    const headersSeen: Record<string, string>[] = [];
    const fetch = async (_input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      headersSeen.push(headers);
      const bearer = headers.authorization?.replace(/^Bearer /, "");
      const project = headers["project-access-token"];
      if (bearer === "account-token") return Response.json({ errors: [{ message: "Project Token not found" }] });
      // A project token, or anything else, as Bearer.
      if (bearer) return Response.json({ errors: [{ message: "Not Authorized" }] });
      if (project === projectToken)
        return Response.json({ data: { projectToken: { projectId: "p1", environmentId: "e1" } } });
      return Response.json({ errors: [{ message: "Project Token not found" }] });
    };
    return { fetch, headersSeen };
  }

  it("tells an account token, a project token (asked again as Project-Access-Token) and a bad one apart", async () => {
    const railway = railwayWith("proj-token");
    const kind = (token: string) => createRailwayApi({ fetch: railway.fetch }, { token }).tokenKind();
    expect(await kind("account-token")).toEqual({ kind: "account" });
    expect(railway.headersSeen).toHaveLength(1);
    expect(await kind("proj-token")).toEqual({ kind: "project", projectId: "p1", environmentId: "e1" });
    expect(railway.headersSeen.at(-1)).toMatchObject({ "project-access-token": "proj-token" });
    expect((await kind("garbage")).kind).toBe("invalid");
  });
});

describe("Railway deployment statuses", () => {
  it("reads a status Railway adds later as UNKNOWN, keeping what it said, instead of failing the answer", async () => {
    const fetch = async (): Promise<Response> =>
      Response.json({ data: { deployment: { ...DEPLOYMENT, status: "HIBERNATING" } } });
    const deployment = await createRailwayApi({ fetch }, { token: "t" }).getDeployment("d1");
    expect(deployment.status).toBe("UNKNOWN");
    expect(deployment.reportedStatus).toBe("HIBERNATING");
    const known = async (): Promise<Response> => Response.json({ data: { deployment: DEPLOYMENT } });
    expect((await createRailwayApi({ fetch: known }, { token: "t" }).getDeployment("d1")).status).toBe("SUCCESS");
  });
});
