/** Root fields for services, service instances and deploy triggers. */
import {
  getEnvironment,
  getInstance,
  getProject,
  getService,
  listInstances,
  updateInstanceLimits,
  updateInstanceSettings,
  type InstanceSettings,
} from "../../world/entities";
import { deployService, listDeployments, redeploy } from "../../world/deployments";
import { createService, deleteService, type CreateServiceInput } from "../../world/provisioning";
import { ensureRepo } from "../../world/repos";
import { authed, need, type RootResolver } from "../context";
import { findInstanceView, serviceView } from "../views";

/** ServiceInstanceUpdateInput as graphql-js hands it over (absent keys are absent). */
type InstanceUpdateInput = Omit<InstanceSettings, "multiRegionConfig" | "nixpacksPlan"> & {
  multiRegionConfig?: unknown;
  nixpacksPlan?: unknown;
  registryCredentials?: { username: string; password: string } | null;
};

const asJsonText = (value: unknown): string | null | undefined =>
  value === undefined ? undefined : value === null ? null : JSON.stringify(value);

/** service, serviceInstance, serviceCreate, serviceDelete, serviceInstanceUpdate, serviceInstanceLimitsUpdate, serviceInstanceDeploy(V2), serviceInstanceRedeploy. */
export const serviceResolvers = {
  service: authed((args: { id: string }, { world }) => serviceView(world, need(getService(world, args.id), "Service"))),

  serviceInstance: authed((args: { serviceId: string; environmentId: string }, { world }) =>
    need(findInstanceView(world, args.serviceId, args.environmentId), "ServiceInstance"),
  ),

  serviceCreate: authed((args: { input: CreateServiceInput }, { world }) => {
    need(getProject(world, args.input.projectId), "Project");
    return serviceView(world, createService(world, args.input));
  }),

  serviceDelete: authed((args: { id: string; environmentId?: string | null }, { world }) => {
    deleteService(world, args.id, args.environmentId);
    return true;
  }),

  // Without environmentId Railway updates the service's instance in every environment.
  serviceInstanceUpdate: authed(
    (args: { serviceId: string; environmentId?: string | null; input: InstanceUpdateInput }, { world }) => {
      need(getService(world, args.serviceId), "Service");
      const instances = args.environmentId
        ? [need(getInstance(world, args.serviceId, args.environmentId), "ServiceInstance")]
        : listInstances(world, { serviceId: args.serviceId });
      // Registry credentials are accepted but not kept: the world has no private registry, and state() must not show them.
      const { registryCredentials: _credentials, multiRegionConfig, nixpacksPlan, ...rest } = args.input;
      const patch: InstanceSettings = {
        ...rest,
        multiRegionConfig: asJsonText(multiRegionConfig),
        nixpacksPlan: asJsonText(nixpacksPlan),
      };
      if (args.input.source) {
        if (args.input.source.repo) ensureRepo(world, args.input.source.repo);
        patch.source = { repo: args.input.source.repo ?? null, image: args.input.source.image ?? null };
      }
      for (const instance of instances) updateInstanceSettings(world, instance, patch);
      return true;
    },
  ),

  serviceInstanceLimitsUpdate: authed(
    (
      args: { input: { environmentId: string; serviceId: string; memoryGB?: number | null; vCPUs?: number | null } },
      { world },
    ) => {
      const { environmentId, serviceId, memoryGB, vCPUs } = args.input;
      need(getService(world, serviceId), "Service");
      updateInstanceLimits(world, need(getInstance(world, serviceId, environmentId), "ServiceInstance"), {
        memoryGB,
        vCPUs,
      });
      return true;
    },
  ),

  serviceInstanceDeployV2: authed(
    (args: { serviceId: string; environmentId: string; commitSha?: string | null }, { world }) => {
      need(getService(world, args.serviceId), "Service");
      need(getEnvironment(world, args.environmentId), "Environment");
      return deployService(world, args.serviceId, args.environmentId, args.commitSha).id;
    },
  ),

  serviceInstanceDeploy: authed(
    (
      args: { serviceId: string; environmentId: string; commitSha?: string | null; latestCommit?: boolean | null },
      { world },
    ) => {
      need(getService(world, args.serviceId), "Service");
      deployService(world, args.serviceId, args.environmentId, args.latestCommit ? null : args.commitSha);
      return true;
    },
  ),

  // Re-uses the latest deployment's commit, as the schema describes.
  serviceInstanceRedeploy: authed((args: { serviceId: string; environmentId: string }, { world }) => {
    const latest = need(
      listDeployments(world, { serviceId: args.serviceId, environmentId: args.environmentId })[0],
      "Deployment",
    );
    redeploy(world, latest);
    return true;
  }),
} satisfies Record<string, RootResolver>;
