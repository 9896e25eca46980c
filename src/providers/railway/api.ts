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
  | "REMOVED";

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
  latestDeployment: { id: string; status: RailwayDeploymentStatus } | null;
}

export interface RailwayDeployment {
  id: string;
  status: RailwayDeploymentStatus;
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

export interface RailwayApi {
  /** Projects visible to the token (first page is enough for one workspace). */
  listProjects(): Promise<RailwayProject[]>;
  createProject(name: string): Promise<RailwayProject>;
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
