/** Root fields for projects and environments. */
import {
  createEnvironment,
  createProject,
  getEnvironment,
  getProject,
  listEnvironments,
  listProjects,
} from "../../world/entities";
import { createEnvironmentFrom } from "../../world/provisioning";
import { toConnection } from "../connection";
import { GraphQLError } from "graphql";
import { accountOnly, authed, need, type ConnectionArgs, type RailwayContext, type RootResolver } from "../context";
import { environmentView, projectView } from "../views";

interface ProjectCreateInput {
  name?: string | null;
  /** Accepted as Railway does; the sandbox has one workspace. */
  workspaceId?: string | null;
  description?: string | null;
  defaultEnvironmentName?: string | null;
}

interface EnvironmentCreateInput {
  projectId: string;
  name: string;
  sourceEnvironmentId?: string | null;
  skipInitialDeploys?: boolean | null;
  ephemeral?: boolean | null;
}

// A project token reaches its own project and environment only, whatever id the caller names.
function within(ctx: RailwayContext, projectId: string, environmentId?: string): void {
  if (ctx.auth.kind !== "project") return;
  if (projectId !== ctx.auth.projectId || (environmentId && environmentId !== ctx.auth.environmentId))
    throw new GraphQLError("Not Authorized");
}

/** projects, project, environments, environment, projectCreate, environmentCreate. */
export const projectResolvers = {
  projects: accountOnly((args: ConnectionArgs, { world }) =>
    toConnection(
      listProjects(world).map((p) => projectView(world, p)),
      args,
    ),
  ),

  project: authed((args: { id: string }, ctx) => {
    within(ctx, args.id);
    return projectView(ctx.world, need(getProject(ctx.world, args.id), "Project"));
  }),

  environments: authed((args: ConnectionArgs & { projectId: string; isEphemeral?: boolean | null }, { world }) => {
    need(getProject(world, args.projectId), "Project");
    const envs = listEnvironments(world, args.projectId).filter(
      (e) => args.isEphemeral == null || (e.is_ephemeral === 1) === args.isEphemeral,
    );
    return toConnection(
      envs.map((e) => environmentView(world, e)),
      args,
    );
  }),

  environment: authed((args: { id: string; projectId?: string | null }, ctx) => {
    const env = getEnvironment(ctx.world, args.id);
    if (!env || (args.projectId && env.project_id !== args.projectId)) return need(null, "Environment");
    within(ctx, env.project_id, env.id);
    return environmentView(ctx.world, env);
  }),

  // Railway gives a new project one environment, named "production" unless told otherwise.
  projectCreate: accountOnly((args: { input: ProjectCreateInput }, { world }) => {
    const project = createProject(
      world,
      args.input.name ?? `project-${crypto.randomUUID().slice(0, 8)}`,
      args.input.description ?? null,
    );
    createEnvironment(world, project.id, args.input.defaultEnvironmentName ?? "production");
    return projectView(world, project);
  }),

  environmentCreate: authed((args: { input: EnvironmentCreateInput }, { world }) => {
    need(getProject(world, args.input.projectId), "Project");
    return environmentView(world, createEnvironmentFrom(world, args.input));
  }),
} satisfies Record<string, RootResolver>;
