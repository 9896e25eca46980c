/**
 * Every GraphQL document the Railway adapter sends, keyed by operation name, in one place so a test
 * can validate them all against the published schema (providers/railway.md; railway.schema.graphql).
 */

/** What the control plane reads about a custom domain: verified, certificate, the records Railway wants. */
const CUSTOM_DOMAIN_STATUS = `status {
  verified verificationDnsHost verificationToken certificateStatus
  dnsRecords { recordType fqdn requiredValue currentValue status }
}`;

export const RAILWAY_DOCUMENTS = {
  Projects: /* GraphQL */ `
    query Projects($first: Int) {
      projects(first: $first) { edges { node { id name environments { edges { node { id name } } } } } }
    }`,
  ProjectCreate: /* GraphQL */ `
    mutation ProjectCreate($input: ProjectCreateInput!) {
      projectCreate(input: $input) { id name environments { edges { node { id name } } } }
    }`,
  EnvironmentCreate: /* GraphQL */ `
    mutation EnvironmentCreate($input: EnvironmentCreateInput!) {
      environmentCreate(input: $input) { id name }
    }`,
  ProjectServices: /* GraphQL */ `
    query ProjectServices($id: String!, $first: Int) {
      project(id: $id) { services(first: $first) { edges { node { id name } } } }
    }`,
  ServiceCreate: /* GraphQL */ `
    mutation ServiceCreate($input: ServiceCreateInput!) {
      serviceCreate(input: $input) { id name }
    }`,
  ServiceInstance: /* GraphQL */ `
    query ServiceInstance($serviceId: String!, $environmentId: String!) {
      serviceInstance(serviceId: $serviceId, environmentId: $environmentId) {
        id serviceName startCommand healthcheckPath numReplicas cronSchedule
        latestDeployment { id status }
      }
    }`,
  ServiceInstanceUpdate: /* GraphQL */ `
    mutation ServiceInstanceUpdate($serviceId: String!, $environmentId: String, $input: ServiceInstanceUpdateInput!) {
      serviceInstanceUpdate(serviceId: $serviceId, environmentId: $environmentId, input: $input)
    }`,
  ServiceInstanceLimitsUpdate: /* GraphQL */ `
    mutation ServiceInstanceLimitsUpdate($input: ServiceInstanceLimitsUpdateInput!) {
      serviceInstanceLimitsUpdate(input: $input)
    }`,
  // unrendered: `${{Postgres.DATABASE_URL}}` references must come back as written, not resolved.
  Variables: /* GraphQL */ `
    query Variables($projectId: String!, $environmentId: String!, $serviceId: String) {
      variables(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId, unrendered: true)
    }`,
  VariableCollectionUpsert: /* GraphQL */ `
    mutation VariableCollectionUpsert($input: VariableCollectionUpsertInput!) {
      variableCollectionUpsert(input: $input)
    }`,
  VariableDelete: /* GraphQL */ `
    mutation VariableDelete($input: VariableDeleteInput!) {
      variableDelete(input: $input)
    }`,
  ServiceInstanceDeployV2: /* GraphQL */ `
    mutation ServiceInstanceDeployV2($serviceId: String!, $environmentId: String!, $commitSha: String) {
      serviceInstanceDeployV2(serviceId: $serviceId, environmentId: $environmentId, commitSha: $commitSha)
    }`,
  Deployment: /* GraphQL */ `
    query Deployment($id: String!) {
      deployment(id: $id) { id status createdAt meta canRollback url staticUrl }
    }`,
  Deployments: /* GraphQL */ `
    query Deployments($input: DeploymentListInput!, $first: Int) {
      deployments(input: $input, first: $first) {
        edges { node { id status createdAt meta canRollback url staticUrl } }
      }
    }`,
  DeploymentRollback: /* GraphQL */ `
    mutation DeploymentRollback($id: String!) {
      deploymentRollback(id: $id)
    }`,
  DeploymentLogs: /* GraphQL */ `
    query DeploymentLogs($deploymentId: String!, $limit: Int) {
      deploymentLogs(deploymentId: $deploymentId, limit: $limit) { timestamp message severity }
    }`,
  BuildLogs: /* GraphQL */ `
    query BuildLogs($deploymentId: String!, $limit: Int) {
      buildLogs(deploymentId: $deploymentId, limit: $limit) { timestamp message severity }
    }`,
  DeploymentLogsBetween: /* GraphQL */ `
    query DeploymentLogsBetween($deploymentId: String!, $startDate: DateTime, $endDate: DateTime, $filter: String, $limit: Int) {
      deploymentLogs(deploymentId: $deploymentId, startDate: $startDate, endDate: $endDate, filter: $filter, limit: $limit) {
        timestamp message severity
      }
    }`,
  HttpLogs: /* GraphQL */ `
    query HttpLogs($deploymentId: String!, $afterDate: String, $beforeDate: String, $filter: String, $limit: Int) {
      httpLogs(deploymentId: $deploymentId, afterDate: $afterDate, beforeDate: $beforeDate, filter: $filter, limit: $limit) {
        timestamp requestId method path host httpStatus totalDuration upstreamErrors deploymentId
      }
    }`,
  // Per-service aggregates (railway.md §11): counts per status and duration percentiles, no raw rows.
  HttpMetrics: /* GraphQL */ `
    query HttpMetrics($serviceId: String!, $environmentId: String!, $startDate: DateTime!, $endDate: DateTime!, $stepSeconds: Int) {
      httpMetricsGroupedByStatus(serviceId: $serviceId, environmentId: $environmentId, startDate: $startDate, endDate: $endDate, stepSeconds: $stepSeconds) {
        statusCode samples { ts value }
      }
      httpDurationMetrics(serviceId: $serviceId, environmentId: $environmentId, startDate: $startDate, endDate: $endDate, stepSeconds: $stepSeconds) {
        samples { ts p95 }
      }
    }`,
  Domains: /* GraphQL */ `
    query Domains($projectId: String!, $environmentId: String!, $serviceId: String!) {
      domains(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) {
        serviceDomains { id domain targetPort }
        customDomains { id domain ${CUSTOM_DOMAIN_STATUS} }
      }
    }`,
  // Custom domains (railway.md §12): routed by a CNAME to requiredValue, proven by a TXT record.
  CustomDomainCreate: /* GraphQL */ `
    mutation CustomDomainCreate($input: CustomDomainCreateInput!) {
      customDomainCreate(input: $input) { id domain ${CUSTOM_DOMAIN_STATUS} }
    }`,
  CustomDomain: /* GraphQL */ `
    query CustomDomain($id: String!, $projectId: String!) {
      customDomain(id: $id, projectId: $projectId) { id domain ${CUSTOM_DOMAIN_STATUS} }
    }`,
  CustomDomainAvailable: /* GraphQL */ `
    query CustomDomainAvailable($domain: String!) {
      customDomainAvailable(domain: $domain) { available message }
    }`,
  CustomDomainDelete: /* GraphQL */ `
    mutation CustomDomainDelete($id: String!) {
      customDomainDelete(id: $id)
    }`,
  // Repository connections and auto-deploys (railway.md "Added for the second round").
  ServiceConnect: /* GraphQL */ `
    mutation ServiceConnect($id: String!, $input: ServiceConnectInput!) {
      serviceConnect(id: $id, input: $input) { id name }
    }`,
  ServiceInstanceAutoDeployUpdate: /* GraphQL */ `
    mutation ServiceInstanceAutoDeployUpdate($input: ServiceInstanceAutoDeployUpdateInput!) {
      serviceInstanceAutoDeployUpdate(input: $input) { enabled }
    }`,
  ServiceInstanceAutoDeployStatus: /* GraphQL */ `
    query ServiceInstanceAutoDeployStatus($projectId: String!, $environmentId: String!, $serviceId: String!) {
      serviceInstanceAutoDeployStatus(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) {
        enabled canEnable reason
      }
    }`,
  // Answers only to a project token (sent as Project-Access-Token): which project and environment it reaches.
  ProjectToken: /* GraphQL */ `
    query ProjectToken {
      projectToken { projectId environmentId }
    }`,
  ServiceDomainCreate: /* GraphQL */ `
    mutation ServiceDomainCreate($input: ServiceDomainCreateInput!) {
      serviceDomainCreate(input: $input) { id domain targetPort }
    }`,
  // Databases come from templates (pluginCreate is deprecated): read the template, deploy its config verbatim.
  TemplateDetail: /* GraphQL */ `
    query TemplateDetail($code: String!) {
      template(code: $code) { id serializedConfig }
    }`,
  TemplateDeployV2: /* GraphQL */ `
    mutation TemplateDeployV2($input: TemplateDeployV2Input!) {
      templateDeployV2(input: $input) { projectId workflowId }
    }`,
  WorkflowStatus: /* GraphQL */ `
    query WorkflowStatus($workflowId: String!) {
      workflowStatus(workflowId: $workflowId) { status error }
    }`,
  ServiceDelete: /* GraphQL */ `
    mutation ServiceDelete($id: String!, $environmentId: String) {
      serviceDelete(id: $id, environmentId: $environmentId)
    }`,
} as const satisfies Record<string, string>;

export type RailwayOperationName = keyof typeof RAILWAY_DOCUMENTS;
