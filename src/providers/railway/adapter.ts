/** The Railway adapter: RailwayApi over Railway's public GraphQL v2 endpoint (providers/railway.md). */
import type { z } from "zod";
import {
  checkShape,
  parseJsonBody,
  providerRequest,
  resolveTransportOptions,
  type ProviderResponse,
  type RequestKind,
} from "../http";
import { ProviderError, type ProviderContext } from "../types";
import type { RailwayApi, RailwayDeployment, RailwayInstanceSettings, RailwayTokenKind } from "./api";
import { RAILWAY_DOCUMENTS, type RailwayOperationName } from "./documents";
import { GraphQLEnvelope, RailwayData } from "./responses";
import { fillTemplateDefaults } from "./template-config";

export const RAILWAY_ENDPOINT = "https://backboard.railway.com/graphql/v2";

export interface RailwayApiOptions {
  token: string;
  /** `project` tokens go in `Project-Access-Token`, every other kind as a Bearer token. */
  tokenKind?: "bearer" | "project";
  endpoint?: string;
}

type Data<N extends RailwayOperationName> = z.output<(typeof RailwayData)[N]>;
// A mapped view of RailwayData, so `DATA_SCHEMAS[name]` keeps its link to Data<N> for a generic N.
const DATA_SCHEMAS: { [N in RailwayOperationName]: z.ZodType<Data<N>> } = RailwayData;

/** Builds the Railway adapter; every method is one GraphQL POST through providerRequest. */
export function createRailwayApi(ctx: ProviderContext, opts: RailwayApiOptions): RailwayApi {
  if (!opts.token) throw new Error("Railway token is required");
  resolveTransportOptions(ctx);
  const endpoint = opts.endpoint ?? RAILWAY_ENDPOINT;
  const auth: Record<string, string> =
    opts.tokenKind === "project" ? { "Project-Access-Token": opts.token } : { Authorization: `Bearer ${opts.token}` };

  function call<N extends RailwayOperationName>(
    name: N,
    variables: Record<string, unknown>,
    kind: RequestKind,
    ids?: (data: Data<N>) => Record<string, string>,
    credential: Record<string, string> = auth,
  ): Promise<Data<N>> {
    return providerRequest(ctx, "railway", {
      operation: name,
      kind,
      method: "POST",
      url: endpoint,
      headers: { "Content-Type": "application/json", ...credential },
      body: JSON.stringify({ query: RAILWAY_DOCUMENTS[name], variables, operationName: name }),
      read: (response) => readGraphQL(response, name),
      responseIds: ids,
    });
  }

  /** `projectToken` with one credential: its scope, "not-found" (not a project token), or "refused". */
  async function projectTokenScope(
    credential: Record<string, string>,
  ): Promise<{ projectId: string; environmentId: string } | "not-found" | "refused"> {
    try {
      return (await call("ProjectToken", {}, "idempotent", undefined, credential)).projectToken;
    } catch (e) {
      if (e instanceof ProviderError && /Project Token not found/i.test(e.message)) return "not-found";
      if (e instanceof ProviderError && /Not Authorized/i.test(e.message)) return "refused";
      throw e;
    }
  }

  return {
    async tokenKind(): Promise<RailwayTokenKind> {
      const asConfigured = await projectTokenScope(auth);
      if (asConfigured === "not-found") return { kind: "account" };
      if (asConfigured !== "refused") return { kind: "project", ...asConfigured };
      // A project token sent as Bearer is "Not Authorized": ask again the way Railway's CLI sends project tokens.
      const asProject = await projectTokenScope({ "Project-Access-Token": opts.token });
      if (typeof asProject === "object") return { kind: "project", ...asProject };
      return { kind: "invalid", message: "Railway refuses the token (Not Authorized): revoked or mistyped" };
    },
    async listProjects() {
      return (await call("Projects", { first: 100 }, "idempotent")).projects;
    },
    async createProject(name, workspaceId) {
      const input = workspaceId ? { name, workspaceId } : { name };
      const data = await call("ProjectCreate", { input }, "write", (d) => ({
        projectId: d.projectCreate.id,
      }));
      return data.projectCreate;
    },
    async createEnvironment(projectId, name, sourceEnvironmentId) {
      // A clone's first deploys are ours to make, at the release we choose: skipInitialDeploys.
      const input = sourceEnvironmentId
        ? { projectId, name, sourceEnvironmentId, skipInitialDeploys: true }
        : { projectId, name };
      const data = await call("EnvironmentCreate", { input }, "write", (d) => ({
        environmentId: d.environmentCreate.id,
      }));
      return data.environmentCreate;
    },
    async listServices(projectId) {
      return (await call("ProjectServices", { id: projectId, first: 100 }, "idempotent")).project.services;
    },
    async createService({ projectId, environmentId, name, source, branch }) {
      const input = {
        projectId,
        environmentId,
        name,
        branch: branch ?? source?.branch,
        source: source && { repo: source.repo, image: source.image },
      };
      const data = await call("ServiceCreate", { input }, "write", (d) => ({ serviceId: d.serviceCreate.id }));
      return data.serviceCreate;
    },
    async getServiceInstance(serviceId, environmentId) {
      const data = await call("ServiceInstance", { serviceId, environmentId }, "idempotent", (d) => ({
        serviceInstanceId: d.serviceInstance.id,
      }));
      return data.serviceInstance;
    },
    async updateServiceInstance(serviceId, environmentId, settings) {
      await call(
        "ServiceInstanceUpdate",
        { serviceId, environmentId, input: instanceUpdateInput(settings) },
        "idempotent",
      );
    },
    async setServiceLimits(environmentId, serviceId, { memoryGB, vCPUs }) {
      await call("ServiceInstanceLimitsUpdate", { input: { environmentId, serviceId, memoryGB, vCPUs } }, "idempotent");
    },
    async getVariables(projectId, environmentId, serviceId) {
      return (await call("Variables", { projectId, environmentId, serviceId }, "idempotent")).variables;
    },
    async upsertVariables({ projectId, environmentId, serviceId, variables, skipDeploys }) {
      // replace:false spelled out: merge semantics must not depend on a server-side default.
      const input = { projectId, environmentId, serviceId, variables, replace: false, skipDeploys };
      await call("VariableCollectionUpsert", { input }, "idempotent");
    },
    async deleteVariable({ projectId, environmentId, serviceId, name }) {
      await call("VariableDelete", { input: { projectId, environmentId, serviceId, name } }, "idempotent");
    },
    async deployService(serviceId, environmentId, commitSha) {
      const data = await call("ServiceInstanceDeployV2", { serviceId, environmentId, commitSha }, "write", (d) => ({
        deploymentId: d.serviceInstanceDeployV2,
      }));
      return data.serviceInstanceDeployV2;
    },
    async getDeployment(id) {
      return (await call("Deployment", { id }, "idempotent")).deployment;
    },
    async listDeployments({ projectId, environmentId, serviceId, first }) {
      const data = await call(
        "Deployments",
        { input: { projectId, environmentId, serviceId }, first: first ?? 20 },
        "idempotent",
      );
      return newestFirst(data.deployments);
    },
    async rollbackDeployment(id) {
      await call("DeploymentRollback", { id }, "write", () => ({ deploymentId: id }));
    },
    async deploymentLogs(deploymentId, limit) {
      return (await call("DeploymentLogs", { deploymentId, limit }, "idempotent")).deploymentLogs;
    },
    async buildLogs(deploymentId, limit) {
      return (await call("BuildLogs", { deploymentId, limit }, "idempotent")).buildLogs;
    },
    async deploymentLogsBetween({ deploymentId, startDate, endDate, filter, limit }) {
      const variables = { deploymentId, startDate, endDate, filter, limit };
      return (await call("DeploymentLogsBetween", variables, "idempotent")).deploymentLogs;
    },
    async httpLogs({ deploymentId, afterDate, beforeDate, limit, filter }) {
      const variables = { deploymentId, afterDate, beforeDate, filter, limit };
      return (await call("HttpLogs", variables, "idempotent")).httpLogs;
    },
    async httpMetrics({ serviceId, environmentId, startDate, endDate, stepSeconds }) {
      const data = await call(
        "HttpMetrics",
        { serviceId, environmentId, startDate, endDate, stepSeconds },
        "idempotent",
      );
      return { byStatus: data.httpMetricsGroupedByStatus, p95: data.httpDurationMetrics.samples };
    },
    async connectService(serviceId, { repo, branch }) {
      await call("ServiceConnect", { id: serviceId, input: { repo, branch } }, "idempotent", () => ({ serviceId }));
    },
    async setAutoDeploy({ projectId, environmentId, serviceId, enabled }) {
      const input = { enabled, projectId, environmentId, serviceId };
      await call("ServiceInstanceAutoDeployUpdate", { input }, "idempotent", () => ({ serviceId }));
    },
    async autoDeployStatus({ projectId, environmentId, serviceId }) {
      const variables = { projectId, environmentId, serviceId };
      return (await call("ServiceInstanceAutoDeployStatus", variables, "idempotent")).serviceInstanceAutoDeployStatus;
    },
    async listDomains(projectId, environmentId, serviceId) {
      return (await call("Domains", { projectId, environmentId, serviceId }, "idempotent")).domains;
    },
    async listCustomDomains(projectId, environmentId, serviceId) {
      return (await call("Domains", { projectId, environmentId, serviceId }, "idempotent")).domains.customDomains;
    },
    async createCustomDomain({ projectId, environmentId, serviceId, domain, targetPort }) {
      const input = { projectId, environmentId, serviceId, domain, targetPort };
      const data = await call("CustomDomainCreate", { input }, "write", (d) => ({
        customDomainId: d.customDomainCreate.id,
      }));
      return data.customDomainCreate;
    },
    async getCustomDomain(id, projectId) {
      return (await call("CustomDomain", { id, projectId }, "idempotent")).customDomain;
    },
    async customDomainAvailable(domain) {
      return (await call("CustomDomainAvailable", { domain }, "idempotent")).customDomainAvailable;
    },
    async deleteCustomDomain(id) {
      await call("CustomDomainDelete", { id }, "idempotent", () => ({ customDomainId: id }));
    },
    async listServiceDomains(projectId, environmentId, serviceId) {
      return (await call("Domains", { projectId, environmentId, serviceId }, "idempotent")).domains.serviceDomains;
    },
    async createServiceDomain(serviceId, environmentId, targetPort) {
      const input = { serviceId, environmentId, targetPort };
      const data = await call("ServiceDomainCreate", { input }, "write", (d) => ({
        domainId: d.serviceDomainCreate.id,
      }));
      return data.serviceDomainCreate;
    },
    async deployTemplate({ code, projectId, environmentId }) {
      const { template } = await call("TemplateDetail", { code }, "idempotent", (d) => ({ templateId: d.template.id }));
      // Filled as Railway's CLI fills it: every variable's value from its default, so no password goes out empty.
      const { config, unfilled } = fillTemplateDefaults(template.serializedConfig);
      if (unfilled.length)
        throw new ProviderError(
          `template ${code} needs values nobody gave and it has no default for: ${unfilled.map((v) => `${v.service}.${v.name}`).join(", ")}`,
          "railway",
          null,
          false,
        );
      const input = { templateId: template.id, serializedConfig: config, projectId, environmentId };
      const data = await call("TemplateDeployV2", { input }, "write", (d) => ({
        projectId: d.templateDeployV2.projectId,
        ...(d.templateDeployV2.workflowId ? { workflowId: d.templateDeployV2.workflowId } : {}),
      }));
      return { workflowId: data.templateDeployV2.workflowId };
    },
    async workflowStatus(workflowId) {
      return (await call("WorkflowStatus", { workflowId }, "idempotent")).workflowStatus;
    },
    async deleteService(serviceId, environmentId) {
      await call("ServiceDelete", { id: serviceId, environmentId }, "idempotent", () => ({ serviceId }));
    },
  };
}

/** GraphQL answers failures inside a 200: any `errors[]` fails the call, whatever `data` holds. */
function readGraphQL<N extends RailwayOperationName>(response: ProviderResponse, name: N): Data<N> {
  const envelope = parseJsonBody("railway", response, GraphQLEnvelope);
  if (envelope.errors?.length) {
    // The server ran the operation and refused it (auth, validation, "Commit not found"): retrying cannot help.
    const message = envelope.errors.map((e) => e.message).join("; ");
    const auth = /Not Authorized|Project Token not found/i.test(message);
    throw new ProviderError(auth ? `not authorized: ${message}` : message, "railway", response.status, false);
  }
  return checkShape("railway", response.status, envelope.data, DATA_SCHEMAS[name]);
}

/** Only the fields RailwayInstanceSettings names reach Railway, whatever the caller's object carries. */
function instanceUpdateInput(s: RailwayInstanceSettings): RailwayInstanceSettings {
  const {
    startCommand,
    preDeployCommand,
    healthcheckPath,
    numReplicas,
    cronSchedule,
    rootDirectory,
    restartPolicyType,
    source,
  } = s;
  return {
    startCommand,
    preDeployCommand,
    healthcheckPath,
    numReplicas,
    cronSchedule,
    rootDirectory,
    restartPolicyType,
    source: source && { repo: source.repo, image: source.image },
  };
}

/** Railway lists newest first in practice but does not document it; the interface promises it, so enforce it. */
function newestFirst(deployments: RailwayDeployment[]): RailwayDeployment[] {
  return [...deployments].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}
