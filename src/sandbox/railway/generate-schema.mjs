// Regenerates schema.ts: a verbatim subset of Railway's official SDL (chosen root fields and object
// fields; every input, enum and scalar they reach copied whole; descriptions dropped).
// Run from the repo root: node src/sandbox/railway/generate-schema.mjs [path/to/railway.schema.graphql]
// To serve another operation, add its root field (and any object fields it selects) below and rerun.
import { readFileSync, writeFileSync } from "node:fs";
import { Kind, buildASTSchema, parse, print } from "graphql";

const source = process.argv[2] ?? "test/fixtures/providers/railway.schema.graphql";
const target = new URL("./schema.ts", import.meta.url);

const OBJECT_FIELDS = {
  Query:
    "projects project environments environment service serviceInstance variables variablesForServiceDeployment deployment deployments deploymentLogs buildLogs httpLogs httpMetricsGroupedByStatus httpDurationMetrics domains template workflowStatus projectToken serviceInstanceAutoDeployStatus customDomain customDomainAvailable",
  Mutation:
    "projectCreate environmentCreate serviceCreate serviceDelete serviceInstanceUpdate serviceInstanceLimitsUpdate serviceInstanceDeployV2 serviceInstanceDeploy serviceInstanceRedeploy variableCollectionUpsert variableUpsert variableDelete deploymentRollback deploymentRedeploy deploymentRestart deploymentCancel deploymentRemove serviceDomainCreate serviceDomainDelete templateDeployV2 serviceConnect serviceInstanceAutoDeployUpdate customDomainCreate customDomainDelete",
  Node: "id",
  Domain: "createdAt deletedAt domain environmentId id projectId serviceId targetPort updatedAt",
  Project:
    "baseEnvironmentId createdAt deletedAt description environments id isPublic name prDeploys services updatedAt workspaceId",
  Environment: "createdAt deletedAt id isEphemeral name projectId serviceInstances sourceEnvironment updatedAt",
  Service: "createdAt deletedAt icon id name project projectId templateId updatedAt",
  ServiceInstance:
    "activeDeployments buildCommand createdAt cronSchedule deletedAt domains environmentId healthcheckPath healthcheckTimeout id latestDeployment numReplicas preDeployCommand region restartPolicyMaxRetries restartPolicyType rootDirectory serviceId serviceName sleepApplication source startCommand updatedAt",
  ServiceSource: "image repo",
  Deployment:
    "canRedeploy canRollback createdAt deploymentStopped environment environmentId id instances meta projectId service serviceId staticUrl status statusUpdatedAt updatedAt url",
  DeploymentDeploymentInstance: "id status",
  Log: "attributes message severity tags timestamp",
  LogAttribute: "key value",
  LogTags: "deploymentId deploymentInstanceId environmentId projectId serviceId",
  AllDomains: "customDomains serviceDomains",
  ServiceDomain:
    "createdAt deletedAt domain environmentId id projectId serviceId suffix syncStatus targetPort updatedAt",
  CustomDomain:
    "createdAt deletedAt domain environmentId id projectId serviceId status syncStatus targetPort updatedAt",
  CustomDomainStatus: "cdnProvider certificateStatus dnsRecords verificationDnsHost verificationToken verified",
  DNSRecords: "currentValue fqdn hostlabel purpose recordType requiredValue status zone",
  Template: "code description id name serializedConfig",
  TemplateDeployPayload: "projectId workflowId",
  WorkflowResult: "error status",
  PageInfo: "endCursor hasNextPage hasPreviousPage startCursor",
  // Token kinds and auto-deploys (railway.md "Added for the second round").
  ProjectToken: "createdAt displayToken environment environmentId id name project projectId",
  ServiceInstanceAutoDeployStatus: "canEnable enabled reason",
  ServiceInstanceAutoDeployUpdateResult: "enabled",
  // Public hostnames (railway.md §12): custom domains and their availability.
  DomainAvailable: "available message",
  // Traffic of the simulated apps (railway.md §11): raw HTTP logs and the per-service aggregates.
  HttpLog:
    "clientUa deploymentId deploymentInstanceId downstreamProto edgeRegion host httpStatus method path requestId responseDetails rxBytes srcIp timestamp totalDuration txBytes upstreamAddress upstreamErrors upstreamProto upstreamRqDuration",
  HttpMetricsByStatusResult: "samples statusCode",
  HttpMetricsSample: "ts value",
  HttpDurationMetricsResult: "samples",
  HttpDurationMetricsSample: "p50 p90 p95 p99 ts",
};
for (const c of [
  "QueryProjects",
  "QueryEnvironments",
  "ProjectEnvironments",
  "ProjectServices",
  "QueryDeployments",
  "EnvironmentServiceInstances",
]) {
  OBJECT_FIELDS[`${c}Connection`] = "edges pageInfo";
  OBJECT_FIELDS[`${c}ConnectionEdge`] = "cursor node";
}

const full = parse(readFileSync(source, "utf8"));
const byName = new Map(full.definitions.filter((d) => d.name).map((d) => [d.name.value, d]));
const builtins = new Set(["String", "Int", "Float", "Boolean", "ID"]);
const named = (t) => (t.kind === Kind.NAMED_TYPE ? t.name.value : named(t.type));
const strip = (n) => ({ ...n, description: undefined });
const kept = new Map();
const queue = ["Query", "Mutation"];
while (queue.length) {
  const name = queue.shift();
  if (kept.has(name) || builtins.has(name)) continue;
  const def = byName.get(name);
  if (!def) throw new Error(`type ${name} is not in the official schema`);
  let out = strip(def);
  if (def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.INTERFACE_TYPE_DEFINITION) {
    const wanted = OBJECT_FIELDS[name];
    if (!wanted) throw new Error(`object type ${name} is reached but has no field list`);
    const set = new Set(wanted.split(/\s+/));
    const fields = def.fields.filter((f) => set.has(f.name.value));
    if (fields.length !== set.size) throw new Error(`${name}: a listed field is not in the official schema`);
    out = { ...out, fields: fields.map((f) => ({ ...strip(f), arguments: f.arguments?.map(strip) })) };
    for (const f of fields) {
      queue.push(named(f.type));
      for (const a of f.arguments ?? []) queue.push(named(a.type));
    }
    for (const i of def.interfaces ?? []) queue.push(i.name.value);
  } else if (def.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) {
    out = { ...out, fields: def.fields.map(strip) };
    for (const f of def.fields) queue.push(named(f.type));
  } else if (def.kind === Kind.ENUM_TYPE_DEFINITION) {
    out = { ...out, values: def.values.map(strip) };
  }
  kept.set(name, out);
}
const rank = (n) => (n === "Query" ? 0 : n === "Mutation" ? 1 : 2);
const order = [...kept.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
const sdl = print({ kind: Kind.DOCUMENT, definitions: order.map((n) => kept.get(n)) });
buildASTSchema(parse(sdl)); // the subset must be a valid schema on its own

const header = `/**
 * The Railway GraphQL schema the sandbox serves: a verbatim subset of the official SDL
 * (../shared/providers/railway.schema.graphql, from the introspection shipped in railwayapp/cli).
 * Chosen root fields and object fields only; every input, enum and scalar they reach is copied whole,
 * descriptions dropped. Field names, argument lists, types and nullability are untouched, so a document
 * that validates here validates against Railway, and an unsupported operation fails validation here
 * instead of being half-answered. Generated by src/sandbox/railway/generate-schema.mjs: edit that, not this.
 */
export const RAILWAY_SDL = /* GraphQL */ \`
`;
writeFileSync(target, `${header}${sdl}\n\`;\n`);
console.log(`wrote ${kept.size} types to ${target.pathname}`);
