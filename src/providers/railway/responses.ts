/**
 * Minimal zod shapes of the `data` each Railway operation returns: only the fields the adapter reads,
 * so a provider-side addition never breaks us but a missing or mistyped field fails loudly.
 */
import { z } from "zod";
import type { RailwayDeploymentStatus, RailwayHttpLog } from "./api";
import type { RailwayOperationName } from "./documents";

/** Relay connection → plain array of nodes. */
function nodesOf<O>(node: z.ZodType<O>) {
  return z.object({ edges: z.array(z.object({ node })) }).transform((c) => c.edges.map((e) => e.node));
}

const IdName = z.object({ id: z.string(), name: z.string() });

const Project = z.object({ id: z.string(), name: z.string(), environments: nodesOf(IdName) });

const KnownStatus = z.enum([
  "INITIALIZING",
  "QUEUED",
  "WAITING",
  "NEEDS_APPROVAL",
  "BUILDING",
  "DEPLOYING",
  "SUCCESS",
  "FAILED",
  "CRASHED",
  "SLEEPING",
  "SKIPPED",
  "REMOVING",
  "REMOVED",
]);

/**
 * A status Railway may add later must not fail the whole answer: it reads as UNKNOWN, and the value Railway
 * sent stays in `reportedStatus` so a run can say what it saw.
 */
const DeploymentStatus = z.string().transform((raw): { status: RailwayDeploymentStatus; reportedStatus: string } => ({
  status: KnownStatus.safeParse(raw).data ?? "UNKNOWN",
  reportedStatus: raw,
}));

const Deployment = z
  .object({
    id: z.string(),
    status: DeploymentStatus,
    createdAt: z.string(),
    // DeploymentMeta is an opaque scalar: keep it when it is an object, never fail the call over it.
    meta: z.record(z.string(), z.unknown()).nullable().catch(null),
    canRollback: z.boolean().optional(),
    url: z.string().nullish(),
    staticUrl: z.string().nullish(),
  })
  .transform(({ status, ...d }) => ({ ...d, ...status }));

const LogLine = z.object({ timestamp: z.string(), message: z.string(), severity: z.string().nullable() });

const HttpLog = z.object({
  timestamp: z.string(),
  requestId: z.string(),
  method: z.string(),
  path: z.string(),
  host: z.string(),
  httpStatus: z.number().int(),
  totalDuration: z.number().int(),
  upstreamErrors: z.string(),
  deploymentId: z.string(),
}) satisfies z.ZodType<RailwayHttpLog>;

/** A custom domain and what Railway wants in DNS before it serves it (railway.md §12). */
const CustomDomain = z.object({
  id: z.string(),
  domain: z.string(),
  status: z.object({
    verified: z.boolean(),
    verificationDnsHost: z.string().nullish(),
    verificationToken: z.string().nullish(),
    // An open string: a certificate state Railway adds later is reported, not fatal.
    certificateStatus: z.string().nullish(),
    dnsRecords: z.array(
      z.object({
        recordType: z.string(),
        fqdn: z.string(),
        requiredValue: z.string(),
        currentValue: z.string().nullish(),
        status: z.string(),
      }),
    ),
  }),
});

/** Mutations answering `Boolean!`: `false` means Railway declined, which is a failure for us. */
const Acknowledged = z.literal(true, { error: "Railway answered false (not applied)" });

export const RailwayData = {
  Projects: z.object({ projects: nodesOf(Project) }),
  ProjectCreate: z.object({ projectCreate: Project }),
  EnvironmentCreate: z.object({ environmentCreate: IdName }),
  ProjectServices: z.object({ project: z.object({ services: nodesOf(IdName) }) }),
  ServiceCreate: z.object({ serviceCreate: IdName }),
  ServiceInstance: z.object({
    serviceInstance: z.object({
      id: z.string(),
      serviceName: z.string(),
      startCommand: z.string().nullable(),
      healthcheckPath: z.string().nullable(),
      numReplicas: z.number().int().nullable(),
      cronSchedule: z.string().nullable(),
      latestDeployment: z
        .object({ id: z.string(), status: DeploymentStatus })
        .transform(({ id, status }) => ({ id, ...status }))
        .nullable(),
    }),
  }),
  ServiceInstanceUpdate: z.object({ serviceInstanceUpdate: Acknowledged }),
  ServiceInstanceLimitsUpdate: z.object({ serviceInstanceLimitsUpdate: Acknowledged }),
  Variables: z.object({ variables: z.record(z.string(), z.string()) }),
  VariableCollectionUpsert: z.object({ variableCollectionUpsert: Acknowledged }),
  VariableDelete: z.object({ variableDelete: Acknowledged }),
  ServiceInstanceDeployV2: z.object({ serviceInstanceDeployV2: z.string().min(1) }),
  Deployment: z.object({ deployment: Deployment }),
  Deployments: z.object({ deployments: nodesOf(Deployment) }),
  DeploymentRollback: z.object({ deploymentRollback: Acknowledged }),
  DeploymentLogs: z.object({ deploymentLogs: z.array(LogLine) }),
  BuildLogs: z.object({ buildLogs: z.array(LogLine) }),
  DeploymentLogsBetween: z.object({ deploymentLogs: z.array(LogLine) }),
  HttpLogs: z.object({ httpLogs: z.array(HttpLog) }),
  HttpMetrics: z.object({
    httpMetricsGroupedByStatus: z.array(
      z.object({ statusCode: z.number().int(), samples: z.array(z.object({ ts: z.number(), value: z.number() })) }),
    ),
    httpDurationMetrics: z.object({ samples: z.array(z.object({ ts: z.number(), p95: z.number() })) }),
  }),
  Domains: z.object({
    domains: z.object({
      serviceDomains: z.array(
        z.object({ id: z.string(), domain: z.string(), targetPort: z.number().int().nullable() }),
      ),
      customDomains: z.array(CustomDomain).default([]),
    }),
  }),
  CustomDomainCreate: z.object({ customDomainCreate: CustomDomain }),
  CustomDomain: z.object({ customDomain: CustomDomain }),
  CustomDomainAvailable: z.object({
    customDomainAvailable: z.object({ available: z.boolean(), message: z.string() }),
  }),
  CustomDomainDelete: z.object({ customDomainDelete: Acknowledged }),
  ServiceConnect: z.object({ serviceConnect: IdName }),
  ServiceInstanceAutoDeployUpdate: z.object({ serviceInstanceAutoDeployUpdate: z.object({ enabled: z.boolean() }) }),
  ServiceInstanceAutoDeployStatus: z.object({
    serviceInstanceAutoDeployStatus: z.object({
      enabled: z.boolean(),
      canEnable: z.boolean(),
      reason: z.string().nullable(),
    }),
  }),
  ProjectToken: z.object({ projectToken: z.object({ projectId: z.string(), environmentId: z.string() }) }),
  ServiceDomainCreate: z.object({ serviceDomainCreate: z.object({ id: z.string(), domain: z.string() }) }),
  // serializedConfig is opaque JSON handed back verbatim, so it is only required to be present.
  TemplateDetail: z.object({
    template: z.object({
      id: z.string(),
      serializedConfig: z.unknown().refine((c) => c != null, "missing serializedConfig"),
    }),
  }),
  TemplateDeployV2: z.object({
    templateDeployV2: z.object({ projectId: z.string(), workflowId: z.string().nullable() }),
  }),
  WorkflowStatus: z.object({
    workflowStatus: z.object({
      status: z.enum(["Complete", "Error", "NotFound", "Running"]),
      error: z.string().nullable(),
    }),
  }),
  ServiceDelete: z.object({ serviceDelete: Acknowledged }),
} satisfies Record<RailwayOperationName, z.ZodType>;

/** The GraphQL response envelope; `data` is checked per operation once `errors` is known to be absent. */
export const GraphQLEnvelope = z.object({
  data: z.unknown().optional(),
  errors: z.array(z.object({ message: z.string() })).optional(),
});
