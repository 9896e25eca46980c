/**
 * GraphQL object views over world rows. graphql-js's default resolver reads a property, or calls it
 * with the field's arguments when it is a function, so nested fields (connections, relations) are
 * methods evaluated only when a selection set asks for them.
 */
import {
  getEnvironment,
  getInstance,
  getProject,
  getService,
  listEnvironments,
  listInstances,
  listServices,
  type EnvironmentRow,
  type InstanceRow,
  type ProjectRow,
  type ServiceRow,
} from "../world/entities";
import {
  canRedeploy,
  canRollback,
  listDeployments,
  statusOf,
  type DeploymentRow,
  type Phase,
} from "../world/deployments";
import { customDomainStatus, listCustomDomains, type CustomDomainRow } from "../world/custom-domains";
import { RAILWAY_APP_SUFFIX, listDomains, type DomainRow } from "../world/domains";
import { nanoTimestamp, type LogLine } from "../world/logs";
import { iso, type World } from "../world/store";
import { toConnection } from "./connection";
import type { ConnectionArgs } from "./context";

/** Project (subset of fields in schema.ts). */
export function projectView(world: World, p: ProjectRow) {
  const envs = () => listEnvironments(world, p.id);
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    createdAt: iso(p.created_at),
    updatedAt: iso(p.updated_at),
    deletedAt: null,
    isPublic: false,
    prDeploys: false,
    workspaceId: null,
    baseEnvironmentId: () => envs()[0]?.id ?? null,
    environments: (args: ConnectionArgs) =>
      toConnection(
        envs().map((e) => environmentView(world, e)),
        args,
      ),
    services: (args: ConnectionArgs) =>
      toConnection(
        listServices(world, p.id).map((s) => serviceView(world, s)),
        args,
      ),
  };
}

/** Environment. */
export function environmentView(world: World, e: EnvironmentRow) {
  return {
    id: e.id,
    name: e.name,
    projectId: e.project_id,
    createdAt: iso(e.created_at),
    updatedAt: iso(e.updated_at),
    deletedAt: null,
    isEphemeral: e.is_ephemeral === 1,
    sourceEnvironment: () => {
      const source = e.source_environment_id ? getEnvironment(world, e.source_environment_id) : null;
      return source ? environmentView(world, source) : null;
    },
    serviceInstances: (args: ConnectionArgs) =>
      toConnection(
        listInstances(world, { environmentId: e.id }).map((i) => instanceView(world, i)),
        args,
      ),
  };
}

/** Service. */
export function serviceView(world: World, s: ServiceRow) {
  return {
    id: s.id,
    name: s.name,
    projectId: s.project_id,
    icon: s.icon,
    templateId: s.template_id,
    createdAt: iso(s.created_at),
    updatedAt: iso(s.updated_at),
    deletedAt: null,
    project: () => {
      const project = getProject(world, s.project_id);
      return project ? projectView(world, project) : null;
    },
  };
}

/** ServiceInstance; `id` is the serviceInstanceId Railway's instance-level calls want. */
export function instanceView(world: World, i: InstanceRow) {
  const st = i.settings;
  const deployments = () => listDeployments(world, { serviceId: i.serviceId, environmentId: i.environmentId });
  return {
    id: i.id,
    serviceId: i.serviceId,
    environmentId: i.environmentId,
    serviceName: getService(world, i.serviceId)?.name ?? "",
    createdAt: iso(i.createdAt),
    updatedAt: iso(i.updatedAt),
    deletedAt: null,
    startCommand: st.startCommand ?? null,
    buildCommand: st.buildCommand ?? null,
    preDeployCommand: st.preDeployCommand ?? null,
    healthcheckPath: st.healthcheckPath ?? null,
    healthcheckTimeout: st.healthcheckTimeout ?? null,
    numReplicas: st.numReplicas ?? 1,
    region: st.region ?? "us-west2",
    cronSchedule: st.cronSchedule ?? null,
    rootDirectory: st.rootDirectory ?? null,
    restartPolicyType: st.restartPolicyType ?? "ON_FAILURE",
    restartPolicyMaxRetries: st.restartPolicyMaxRetries ?? 10,
    sleepApplication: st.sleepApplication ?? false,
    source: st.source ? { repo: st.source.repo ?? null, image: st.source.image ?? null } : null,
    latestDeployment: () => {
      const latest = deployments()[0];
      return latest ? deploymentView(world, latest) : null;
    },
    activeDeployments: () =>
      deployments()
        .filter((d) => d.phase === "SUCCESS")
        .map((d) => deploymentView(world, d)),
    domains: () => ({
      serviceDomains: listDomains(world, { serviceId: i.serviceId, environmentId: i.environmentId }).map(domainView),
      customDomains: listCustomDomains(world, { serviceId: i.serviceId, environmentId: i.environmentId }).map((d) =>
        customDomainView(world, d),
      ),
    }),
  };
}

function replicaStatus(phase: Phase): string | null {
  switch (phase) {
    case "PRE_DEPLOY":
    case "DEPLOYING":
      return "INITIALIZING";
    case "SUCCESS":
      return "RUNNING";
    case "CRASHED":
      return "CRASHED";
    case "REMOVED":
      return "REMOVED";
    default:
      return null;
  }
}

/** Deployment: status is derived from the lifecycle phase; meta carries the commit. */
export function deploymentView(world: World, d: DeploymentRow) {
  const domain = listDomains(world, { serviceId: d.serviceId, environmentId: d.environmentId })[0]?.domain ?? null;
  const replica = replicaStatus(d.phase);
  return {
    id: d.id,
    status: statusOf(d.phase),
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.statusUpdatedAt),
    statusUpdatedAt: iso(d.statusUpdatedAt),
    projectId: d.projectId,
    environmentId: d.environmentId,
    serviceId: d.serviceId,
    meta: d.meta,
    canRollback: canRollback(d),
    canRedeploy: canRedeploy(d),
    deploymentStopped: d.phase === "REMOVED",
    staticUrl: domain,
    url: domain ? `https://${domain}` : null,
    instances: replica ? d.instanceIds.map((id) => ({ id, status: replica })) : [],
    environment: () => {
      const env = getEnvironment(world, d.environmentId);
      return env ? environmentView(world, env) : null;
    },
    service: () => {
      const service = getService(world, d.serviceId);
      return service ? serviceView(world, service) : null;
    },
  };
}

/** ServiceDomain. */
export function domainView(d: DomainRow) {
  return {
    id: d.id,
    domain: d.domain,
    suffix: RAILWAY_APP_SUFFIX,
    targetPort: d.target_port,
    projectId: d.project_id,
    environmentId: d.environment_id,
    serviceId: d.service_id,
    syncStatus: "ACTIVE",
    createdAt: iso(d.created_at),
    updatedAt: iso(d.created_at),
    deletedAt: null,
  };
}

/** CustomDomain, its status read from the world's public DNS (world/custom-domains.ts). */
export function customDomainView(world: World, d: CustomDomainRow) {
  return {
    id: d.id,
    domain: d.domain,
    projectId: d.project_id,
    environmentId: d.environment_id,
    serviceId: d.service_id,
    targetPort: d.target_port,
    syncStatus: "ACTIVE",
    createdAt: iso(d.created_at),
    updatedAt: iso(d.created_at),
    deletedAt: null,
    status: () => customDomainStatus(world, d),
  };
}

/** Log line with Railway's tags and attributes. */
export function logView(d: DeploymentRow, line: LogLine) {
  return {
    timestamp: nanoTimestamp(line.at),
    message: line.message,
    severity: line.severity,
    attributes: [{ key: "level", value: line.severity }],
    tags: {
      deploymentId: d.id,
      deploymentInstanceId: d.instanceIds[0] ?? null,
      environmentId: d.environmentId,
      projectId: d.projectId,
      serviceId: d.serviceId,
    },
  };
}

/** The instance view for a service × environment, or null (used by several resolvers). */
export function findInstanceView(world: World, serviceId: string, environmentId: string) {
  const instance = getInstance(world, serviceId, environmentId);
  return instance ? instanceView(world, instance) : null;
}
