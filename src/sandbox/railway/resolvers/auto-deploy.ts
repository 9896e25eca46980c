/** Root fields for repository connections, auto-deploys and project tokens (railway.md "Added for the second round"). */
import { GraphQLError } from "graphql";
import { autoDeployStatus, setAutoDeploy } from "../../world/auto-deploy";
import {
  getEnvironment,
  getInstance,
  getProject,
  getService,
  listInstances,
  updateInstanceSettings,
} from "../../world/entities";
import { ensureRepo } from "../../world/repos";
import { iso, WorldError } from "../../world/store";
import { authed, need, type RailwayContext, type RootResolver } from "../context";
import { environmentView, projectView, serviceView } from "../views";

interface AutoDeployInput {
  enabled: boolean;
  projectId: string;
  environmentId: string;
  serviceId: string;
}

function instanceOf(ctx: RailwayContext, input: { projectId: string; environmentId: string; serviceId: string }) {
  const service = need(getService(ctx.world, input.serviceId), "Service");
  if (service.project_id !== input.projectId) need(null, "Service");
  return need(getInstance(ctx.world, input.serviceId, input.environmentId), "ServiceInstance");
}

/** serviceConnect, serviceInstanceAutoDeployUpdate, serviceInstanceAutoDeployStatus, projectToken. */
export const autoDeployResolvers = {
  // Connects the service's source in every environment, as the CLI's `railway connect` does; a repo source
  // comes with auto-deploy on (Railway's default) unless the instance had it switched off.
  serviceConnect: authed(
    (args: { id: string; input: { repo?: string | null; branch?: string | null; image?: string | null } }, ctx) => {
      const service = need(getService(ctx.world, args.id), "Service");
      const { repo, image, branch } = args.input;
      if (!repo && !image) throw new WorldError("Either repo or image must be provided");
      if (repo) ensureRepo(ctx.world, repo);
      if (repo || branch)
        ctx.world.run(
          "UPDATE services SET branch = ?, updated_at = ? WHERE id = ?",
          repo ? (branch ?? service.branch ?? "main") : service.branch,
          ctx.world.now(),
          service.id,
        );
      for (const instance of listInstances(ctx.world, { serviceId: service.id })) {
        updateInstanceSettings(ctx.world, instance, {
          source: repo ? { repo, image: null } : { repo: null, image: image ?? null },
        });
      }
      return serviceView(ctx.world, need(getService(ctx.world, service.id), "Service"));
    },
  ),

  serviceInstanceAutoDeployUpdate: authed((args: { input: AutoDeployInput }, ctx) => ({
    enabled: setAutoDeploy(ctx.world, instanceOf(ctx, args.input), args.input.enabled).enabled,
  })),

  serviceInstanceAutoDeployStatus: authed(
    (args: { projectId: string; environmentId: string; serviceId: string }, ctx) =>
      autoDeployStatus(instanceOf(ctx, args)),
  ),

  // Answers only to a project token: it says which project and environment the token reaches.
  projectToken: (_args: Record<string, never>, ctx: RailwayContext) => {
    const { auth, world } = ctx;
    if (auth.kind === "none" || auth.kind === "project-as-bearer") throw new GraphQLError("Not Authorized");
    if (auth.kind !== "project") throw new GraphQLError("Project Token not found");
    const project = need(getProject(world, auth.projectId), "Project");
    const environment = need(getEnvironment(world, auth.environmentId), "Environment");
    return {
      id: auth.tokenId,
      name: auth.name,
      projectId: auth.projectId,
      environmentId: auth.environmentId,
      createdAt: iso(auth.createdAt),
      // Railway shows a masked token; the sandbox never kept the token to mask.
      displayToken: "••••••••",
      project: () => projectView(world, project),
      environment: () => environmentView(world, environment),
    };
  },
} satisfies Record<string, RootResolver>;
