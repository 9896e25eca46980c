/** The Railway operations the control plane uses (providers/railway.md), as a small typed interface. */

export type RailwayDeploymentStatus =
  | "INITIALIZING"
  | "QUEUED"
  | "WAITING"
  | "NEEDS_APPROVAL"
  | "BUILDING"
  | "DEPLOYING"
  | "SUCCESS"
  | "FAILED"
  | "CRASHED"
  | "SLEEPING"
  | "SKIPPED"
  | "REMOVING"
  | "REMOVED"
  /** A value Railway sent that this code does not know (kept as `reportedStatus`): not fatal, reported. */
  | "UNKNOWN";

export interface RailwayProject {
  id: string;
  name: string;
  environments: { id: string; name: string }[];
}

export interface RailwayService {
  id: string;
  name: string;
}

export interface RailwayServiceSource {
  /** `owner/name` of a GitHub repository */
  repo?: string;
  branch?: string;
  image?: string;
}

/** Per-environment settings of a service (ServiceInstanceUpdateInput subset). */
export interface RailwayInstanceSettings {
  startCommand?: string | null;
  preDeployCommand?: string[] | null;
  healthcheckPath?: string | null;
  numReplicas?: number | null;
  cronSchedule?: string | null;
  rootDirectory?: string | null;
  restartPolicyType?: "ALWAYS" | "NEVER" | "ON_FAILURE";
  /** Connects the instance to a repository or image without deploying it (serviceCreate with a source deploys at once). */
  source?: { repo?: string; image?: string };
}

export interface RailwayServiceInstance {
  id: string;
  serviceName: string;
  startCommand: string | null;
  healthcheckPath: string | null;
  numReplicas: number | null;
  cronSchedule: string | null;
  latestDeployment: { id: string; status: RailwayDeploymentStatus; reportedStatus: string } | null;
}

export interface RailwayDeployment {
  id: string;
  status: RailwayDeploymentStatus;
  /** The status exactly as Railway sent it (differs from `status` only when that is UNKNOWN). */
  reportedStatus: string;
  createdAt: string;
  /** Opaque JSON; in practice carries commitHash / commitMessage / branch / repo. */
  meta: Record<string, unknown> | null;
  canRollback?: boolean;
  url?: string | null;
  staticUrl?: string | null;
}

export interface RailwayLogLine {
  timestamp: string;
  message: string;
  severity: string | null;
}

/** One request Railway's edge proxy served for a deployment (HttpLog subset used for canary signals). */
export interface RailwayHttpLog {
  timestamp: string;
  requestId: string;
  method: string;
  path: string;
  host: string;
  httpStatus: number;
  /** Milliseconds, per Railway's docs. */
  totalDuration: number;
  /** Empty when the upstream answered normally. */
  upstreamErrors: string;
  deploymentId: string;
}

/** A service's HTTP aggregates: `ts` is the step's start in epoch seconds. */
export interface RailwayHttpMetrics {
  byStatus: { statusCode: number; samples: { ts: number; value: number }[] }[];
  p95: { ts: number; p95: number }[];
}

/** Database templates the control plane deploys (template codes as `railway add --database` sends them). */
export type RailwayTemplateCode = "postgres" | "redis";

/** workflowStatus: `Error` and `NotFound` are failures, `Running` means poll again. */
export interface RailwayWorkflowStatus {
  status: "Complete" | "Error" | "NotFound" | "Running";
  error: string | null;
}

/** What a Railway token is, as `projectToken` tells (railway.md "Transport, auth"). */
export type RailwayTokenKind =
  /** An account or workspace token: lists and creates projects (what setup needs). */
  | { kind: "account" }
  /** A project token: one environment of one project, sent as Project-Access-Token; cannot list or create projects. */
  | { kind: "project"; projectId: string; environmentId: string }
  /** Neither works: revoked, mistyped, or not a Railway token. */
  | { kind: "invalid"; message: string };

/** A custom domain and the DNS records Railway wants before it serves and certifies it. */
export interface RailwayCustomDomain {
  id: string;
  domain: string;
  status: {
    verified: boolean;
    verificationDnsHost?: string | null;
    verificationToken?: string | null;
    certificateStatus?: string | null;
    dnsRecords: {
      recordType: string;
      fqdn: string;
      requiredValue: string;
      currentValue?: string | null;
      status: string;
    }[];
  };
}

/** Whether an instance deploys every push to its branch by itself (Railway's default for a connected repo). */
export interface RailwayAutoDeployStatus {
  enabled: boolean;
  canEnable: boolean;
  reason: string | null;
}

export interface RailwayApi {
  /**
   * What the configured token is: `projectToken` answers for a project token only (sent as
   * Project-Access-Token); an account or workspace token gets "Project Token not found".
   */
  tokenKind(): Promise<RailwayTokenKind>;
  /** Projects visible to the token (first page is enough for one workspace). */
  listProjects(): Promise<RailwayProject[]>;
  /** projectCreate; `workspaceId` places it in a workspace (needed for workspace-owned projects). */
  createProject(name: string, workspaceId?: string): Promise<RailwayProject>;
  /** environmentCreate; with a source it is a server-side clone (services, settings, variables), without deploying. */
  createEnvironment(
    projectId: string,
    name: string,
    sourceEnvironmentId?: string,
  ): Promise<{ id: string; name: string }>;
  listServices(projectId: string): Promise<RailwayService[]>;
  createService(input: {
    projectId: string;
    environmentId?: string;
    name: string;
    source?: RailwayServiceSource;
    branch?: string;
  }): Promise<RailwayService>;
  getServiceInstance(serviceId: string, environmentId: string): Promise<RailwayServiceInstance>;
  updateServiceInstance(serviceId: string, environmentId: string, settings: RailwayInstanceSettings): Promise<void>;
  /** serviceInstanceLimitsUpdate: the instance's memory and vCPU limits are set to these (ensure: resending is harmless). */
  setServiceLimits(
    environmentId: string,
    serviceId: string,
    limits: { memoryGB: number; vCPUs: number },
  ): Promise<void>;
  /** Unrendered variables of one service in one environment. */
  getVariables(projectId: string, environmentId: string, serviceId: string): Promise<Record<string, string>>;
  /** variableCollectionUpsert (merge, not replace). */
  upsertVariables(input: {
    projectId: string;
    environmentId: string;
    serviceId: string;
    variables: Record<string, string>;
    skipDeploys?: boolean;
  }): Promise<void>;
  deleteVariable(input: { projectId: string; environmentId: string; serviceId: string; name: string }): Promise<void>;
  /** serviceInstanceDeployV2 → new deployment id. Not idempotent: callers look for their deployment before re-sending. */
  deployService(serviceId: string, environmentId: string, commitSha?: string): Promise<string>;
  getDeployment(id: string): Promise<RailwayDeployment>;
  /** Newest first. */
  listDeployments(input: {
    projectId: string;
    environmentId: string;
    serviceId: string;
    first?: number;
  }): Promise<RailwayDeployment[]>;
  /** deploymentRollback(id): brings the older deployment `id` back. */
  rollbackDeployment(id: string): Promise<void>;
  deploymentLogs(deploymentId: string, limit?: number): Promise<RailwayLogLine[]>;
  /** Build log lines of one deployment (newest `limit`, oldest first). */
  buildLogs(deploymentId: string, limit?: number): Promise<RailwayLogLine[]>;
  /** Runtime log lines of one deployment between two ISO-8601 instants; `filter` uses Railway's log query syntax. */
  deploymentLogsBetween(input: {
    deploymentId: string;
    startDate: string;
    endDate: string;
    filter?: string;
    limit?: number;
  }): Promise<RailwayLogLine[]>;
  /**
   * Edge HTTP logs of one deployment. `afterDate` / `beforeDate` are passed as Railway's arguments of the
   * same names, which its schema describes as the latest and the oldest date of the window (exact
   * windowing semantics not confirmed: callers should still bucket rows by `timestamp`). `limit` max 5000.
   */
  httpLogs(input: {
    deploymentId: string;
    afterDate: string;
    beforeDate: string;
    limit?: number;
    filter?: string;
  }): Promise<RailwayHttpLog[]>;
  /**
   * One service's HTTP aggregates over [startDate, endDate) in steps of `stepSeconds`: request counts per
   * status code and the p95 of total duration (ms) per step. Cheaper than paging httpLogs, and exact above
   * its 5000-row limit.
   */
  httpMetrics(input: {
    serviceId: string;
    environmentId: string;
    startDate: string;
    endDate: string;
    stepSeconds: number;
  }): Promise<RailwayHttpMetrics>;
  /** serviceConnect: the service's source is the repository at `branch` (connects it; deploys nothing). */
  connectService(serviceId: string, source: { repo: string; branch: string }): Promise<void>;
  /** serviceInstanceAutoDeployUpdate: whether pushes to the branch deploy this instance by themselves. */
  setAutoDeploy(input: {
    projectId: string;
    environmentId: string;
    serviceId: string;
    enabled: boolean;
  }): Promise<void>;
  /** serviceInstanceAutoDeployStatus. */
  autoDeployStatus(input: {
    projectId: string;
    environmentId: string;
    serviceId: string;
  }): Promise<RailwayAutoDeployStatus>;
  /** Railway's own and custom domains of one service instance, in one read. */
  listDomains(
    projectId: string,
    environmentId: string,
    serviceId: string,
  ): Promise<{
    serviceDomains: { id: string; domain: string; targetPort: number | null }[];
    customDomains: RailwayCustomDomain[];
  }>;
  /** Custom domains of one service instance, with their DNS status. */
  listCustomDomains(projectId: string, environmentId: string, serviceId: string): Promise<RailwayCustomDomain[]>;
  /** customDomainCreate: not idempotent (a second one is refused as in use), so callers list first. */
  createCustomDomain(input: {
    projectId: string;
    environmentId: string;
    serviceId: string;
    domain: string;
    targetPort?: number;
  }): Promise<RailwayCustomDomain>;
  getCustomDomain(id: string, projectId: string): Promise<RailwayCustomDomain>;
  /** customDomainAvailable: whether no service (anywhere at Railway) uses the hostname yet. */
  customDomainAvailable(domain: string): Promise<{ available: boolean; message: string }>;
  deleteCustomDomain(id: string): Promise<void>;
  /** Railway-provided `*.up.railway.app` domains of one service instance. */
  listServiceDomains(
    projectId: string,
    environmentId: string,
    serviceId: string,
  ): Promise<{ id: string; domain: string; targetPort: number | null }[]>;
  createServiceDomain(
    serviceId: string,
    environmentId: string,
    targetPort?: number,
  ): Promise<{ id: string; domain: string }>;
  /**
   * template(code) then templateDeployV2 with the template's serializedConfig passed back verbatim.
   * Not idempotent (every call creates services): callers diff listServices before re-sending. The
   * payload does not name the new service; `workflowId` null means nothing to wait for.
   */
  deployTemplate(input: {
    code: RailwayTemplateCode;
    projectId: string;
    environmentId: string;
  }): Promise<{ workflowId: string | null }>;
  /** Progress of a template deploy workflow. */
  workflowStatus(workflowId: string): Promise<RailwayWorkflowStatus>;
  /**
   * serviceDelete. With `environmentId` Railway deletes only there when the environment is a fork,
   * otherwise in every non-fork environment (schema description); without it, everywhere.
   */
  deleteService(serviceId: string, environmentId?: string): Promise<void>;
}
