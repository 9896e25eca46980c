/** Creating services and environments the way Railway's serviceCreate / environmentCreate behave. */
import {
  createEnvironment,
  createServiceRow,
  ensureInstance,
  getEnvironment,
  getInstance,
  getService,
  listEnvironments,
  listInstances,
  type EnvironmentRow,
  type InstanceSettings,
  type ServiceRow,
} from "./entities";
import { deployService, listDeployments, removeDeployment } from "./deployments";
import { ensureRepo } from "./repos";
import { randomHex, WorldError, type World } from "./store";
import { getVariables, upsertVariables } from "./variables";

export interface CreateServiceInput {
  projectId: string;
  name?: string | null;
  source?: { repo?: string | null; image?: string | null } | null;
  branch?: string | null;
  environmentId?: string | null;
  variables?: Record<string, string> | null;
  icon?: string | null;
}

/**
 * serviceCreate: the service gets an instance in every environment of the project (no forks here, per the
 * schema's description); variables and the initial deploy of a sourced service go to `environmentId`
 * when given, else to every environment. A repo the world has never seen is created with one commit,
 * so tests can invent repos freely.
 */
export function createService(world: World, input: CreateServiceInput): ServiceRow {
  const envs = listEnvironments(world, input.projectId);
  if (input.environmentId && !envs.some((e) => e.id === input.environmentId))
    throw new WorldError("Environment not found");
  const repo = input.source?.repo ?? null;
  const image = input.source?.image ?? null;
  if (repo) ensureRepo(world, repo);
  const name =
    input.name ??
    (repo ? repo.split("/").pop() : image ? image.split("/").pop()?.split(":")[0] : null) ??
    `service-${randomHex(2)}`;
  const service = createServiceRow(
    world,
    input.projectId,
    name,
    repo ? (input.branch ?? "main") : null,
    input.icon ?? null,
  );
  const settings: InstanceSettings = { source: repo || image ? { repo, image } : null, numReplicas: 1 };
  for (const env of envs) ensureInstance(world, service.id, env.id, settings);
  const targets = input.environmentId ? envs.filter((e) => e.id === input.environmentId) : envs;
  for (const env of targets) {
    if (input.variables) upsertVariables(world, env.id, service.id, input.variables);
    if (repo || image) deployService(world, service.id, env.id, null, "deploy");
  }
  return service;
}

/**
 * environmentCreate: empty, or a copy of the source environment's instances (settings) and variables,
 * deployed unless `skipInitialDeploys`. Service domains are not copied: Railway generates new ones.
 */
export function createEnvironmentFrom(
  world: World,
  input: {
    projectId: string;
    name: string;
    sourceEnvironmentId?: string | null;
    skipInitialDeploys?: boolean | null;
    ephemeral?: boolean | null;
  },
): EnvironmentRow {
  if (listEnvironments(world, input.projectId).some((e) => e.name === input.name)) {
    throw new WorldError(`Environment ${input.name} already exists`);
  }
  const source = input.sourceEnvironmentId ? getEnvironment(world, input.sourceEnvironmentId) : null;
  if (input.sourceEnvironmentId && (!source || source.project_id !== input.projectId))
    throw new WorldError("Environment not found");
  const env = createEnvironment(world, input.projectId, input.name, source?.id ?? null, input.ephemeral ?? false);
  if (!source) return env;
  upsertVariables(world, env.id, "", getVariables(world, source.id));
  for (const instance of listInstances(world, { environmentId: source.id })) {
    if (!getService(world, instance.serviceId)) continue;
    ensureInstance(world, instance.serviceId, env.id, instance.settings);
    upsertVariables(world, env.id, instance.serviceId, getVariables(world, source.id, instance.serviceId));
    if (!input.skipInitialDeploys && (instance.settings.source?.repo || instance.settings.source?.image)) {
      deployService(world, instance.serviceId, env.id, null, "deploy");
    }
  }
  return env;
}

/**
 * serviceDelete. With `environmentId` only that environment's instance goes (the sandbox treats every
 * environment as a fork here, the narrowest reading of the schema's description); the service row goes
 * once no instance remains. Without it the service goes everywhere. Deployments stay readable as REMOVED
 * (Railway keeps history), while variables and domains go, so `${{Name.VAR}}` references render empty.
 */
export function deleteService(world: World, serviceId: string, environmentId?: string | null): void {
  const service = getService(world, serviceId);
  if (!service) throw new WorldError("Service not found");
  let instances = listInstances(world, { serviceId });
  if (environmentId) {
    const env = getEnvironment(world, environmentId);
    if (!env || env.project_id !== service.project_id) throw new WorldError("Environment not found");
    // No instance there is already the requested end state: answer true, as a repeated delete should.
    const instance = getInstance(world, serviceId, environmentId);
    instances = instance ? [instance] : [];
  }
  for (const instance of instances) {
    for (const d of listDeployments(world, { serviceId, environmentId: instance.environmentId }))
      removeDeployment(world, d);
    world.run("DELETE FROM variables WHERE environment_id = ? AND service_id = ?", instance.environmentId, serviceId);
    world.run("DELETE FROM domains WHERE environment_id = ? AND service_id = ?", instance.environmentId, serviceId);
    world.run(
      "DELETE FROM custom_domains WHERE environment_id = ? AND service_id = ?",
      instance.environmentId,
      serviceId,
    );
    world.run("DELETE FROM instances WHERE id = ?", instance.id);
  }
  if (listInstances(world, { serviceId }).length === 0) world.run("DELETE FROM services WHERE id = ?", serviceId);
}
