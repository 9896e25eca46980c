/** Root fields for variables; writes redeploy the affected services unless `skipDeploys`, as Railway does. */
import { getEnvironment, getService } from "../../world/entities";
import { listDeployments, redeploy } from "../../world/deployments";
import type { World } from "../../world/store";
import {
  deleteVariable,
  getVariables,
  renderVariables,
  servicesReferencingShared,
  SHARED,
  upsertVariables,
} from "../../world/variables";
import { authed, need, type RootResolver } from "../context";

interface Scope {
  projectId: string;
  environmentId: string;
  serviceId?: string | null;
}

function checkScope(world: World, scope: Scope): { environmentId: string; serviceId: string } {
  const env = need(getEnvironment(world, scope.environmentId), "Environment");
  if (env.project_id !== scope.projectId) need(null, "Environment");
  if (scope.serviceId) need(getService(world, scope.serviceId), "Service");
  return { environmentId: env.id, serviceId: scope.serviceId ?? SHARED };
}

/**
 * Redeploys what a variable change affects: the service itself, or for shared variables every service
 * referencing one of them. Only when something actually changed, so a retried upsert does not stack
 * deployments; a service never deployed has nothing to redeploy.
 */
function redeployAffected(world: World, environmentId: string, serviceId: string, changed: string[]): void {
  if (changed.length === 0) return;
  const targets = serviceId === SHARED ? servicesReferencingShared(world, environmentId, changed) : [serviceId];
  for (const target of targets) {
    const latest = listDeployments(world, { serviceId: target, environmentId })[0];
    if (latest) redeploy(world, latest, "variables");
  }
}

/** variables, variablesForServiceDeployment, variableCollectionUpsert, variableUpsert, variableDelete. */
export const variableResolvers = {
  variables: authed((args: Scope & { unrendered?: boolean | null }, { world }) => {
    const { environmentId, serviceId } = checkScope(world, args);
    if (args.unrendered || serviceId === SHARED) return getVariables(world, environmentId, serviceId);
    return renderVariables(world, args.projectId, environmentId, serviceId);
  }),

  variablesForServiceDeployment: authed((args: Scope & { serviceId: string }, { world }) => {
    const { environmentId, serviceId } = checkScope(world, args);
    return renderVariables(world, args.projectId, environmentId, serviceId);
  }),

  variableCollectionUpsert: authed(
    (
      args: {
        input: Scope & { variables: Record<string, unknown>; replace?: boolean | null; skipDeploys?: boolean | null };
      },
      { world },
    ) => {
      const { environmentId, serviceId } = checkScope(world, args.input);
      // EnvironmentVariables is an opaque scalar: coerce values the way Railway stores them, as strings.
      const values = Object.fromEntries(
        Object.entries(args.input.variables).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
      );
      const changed = upsertVariables(world, environmentId, serviceId, values, args.input.replace ?? false);
      if (!args.input.skipDeploys) redeployAffected(world, environmentId, serviceId, changed);
      return true;
    },
  ),

  variableUpsert: authed(
    (args: { input: Scope & { name: string; value: string; skipDeploys?: boolean | null } }, { world }) => {
      const { environmentId, serviceId } = checkScope(world, args.input);
      const changed = upsertVariables(world, environmentId, serviceId, { [args.input.name]: args.input.value });
      if (!args.input.skipDeploys) redeployAffected(world, environmentId, serviceId, changed);
      return true;
    },
  ),

  variableDelete: authed((args: { input: Scope & { name: string } }, { world }) => {
    const { environmentId, serviceId } = checkScope(world, args.input);
    if (deleteVariable(world, environmentId, serviceId, args.input.name)) {
      redeployAffected(world, environmentId, serviceId, [args.input.name]);
    }
    return true;
  }),
} satisfies Record<string, RootResolver>;
