/**
 * Railway's GitHub auto-deploys (railway.md "Added for the second round"): a service instance connected
 * to a repository deploys every push to its branch — Railway's default — until
 * serviceInstanceAutoDeployUpdate(enabled: false) turns it off for that instance.
 */
import { createDeployment } from "./deployments";
import { getEnvironment, getService, listInstances, updateInstanceSettings, type InstanceRow } from "./entities";
import type { RepoCommit } from "./repos";
import { WorldError, type World } from "./store";

/** ServiceInstanceAutoDeployStatus. */
export interface AutoDeployStatus {
  enabled: boolean;
  canEnable: boolean;
  reason: string | null;
}

const NOT_CONNECTED = "Service is not connected to a GitHub repository";

/** Whether the instance deploys pushes by itself, and whether it could. */
export function autoDeployStatus(instance: InstanceRow): AutoDeployStatus {
  const canEnable = Boolean(instance.settings.source?.repo);
  return {
    enabled: canEnable && instance.settings.autoDeploy !== false,
    canEnable,
    reason: canEnable ? null : NOT_CONNECTED,
  };
}

/** serviceInstanceAutoDeployUpdate: only a repo-connected instance can be switched on. */
export function setAutoDeploy(world: World, instance: InstanceRow, enabled: boolean): AutoDeployStatus {
  if (enabled && !autoDeployStatus(instance).canEnable) throw new WorldError(NOT_CONNECTED);
  return autoDeployStatus(updateInstanceSettings(world, instance, { autoDeploy: enabled }));
}

/** A deployment a push started by itself. */
export interface PushDeployment {
  service: string;
  environment: string;
  deploymentId: string;
}

/** A push to `branch` of `repo`: every connected instance on that branch with auto-deploy on deploys the commit. */
export function deployPush(world: World, commit: RepoCommit, branch: string): PushDeployment[] {
  const started: PushDeployment[] = [];
  for (const instance of listInstances(world)) {
    if (instance.settings.source?.repo !== commit.repo || !autoDeployStatus(instance).enabled) continue;
    const service = getService(world, instance.serviceId);
    const env = getEnvironment(world, instance.environmentId);
    if (!service || !env || (service.branch ?? "main") !== branch) continue;
    const deployment = createDeployment(world, {
      instance,
      commit: { ...commit, branch },
      image: null,
      reason: "push",
    });
    started.push({ service: service.name, environment: env.name, deploymentId: deployment.id });
  }
  return started;
}
