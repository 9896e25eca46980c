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
import { authed, need, type ConnectionArgs, type RootResolver } from "../context";
import { environmentView, projectView } from "../views";

interface ProjectCreateInput {
  name?: string | null;
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

/** projects, project, environments, environment, projectCreate, environmentCreate. */
export const projectResolvers = {
  projects: authed((args: ConnectionArgs, { world }) =>
    toConnection(
      listProjects(world).map((p) => projectView(world, p)),
      args,
    ),
  ),

  project: authed((args: { id: string }, { world }) => projectView(world, need(getProject(world, args.id), "Project"))),

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

  environment: authed((args: { id: string; projectId?: string | null }, { world }) => {
    const env = getEnvironment(world, args.id);
    if (!env || (args.projectId && env.project_id !== args.projectId)) return need(null, "Environment");
    return environmentView(world, env);
  }),

  // Railway gives a new project one environment, named "production" unless told otherwise.
  projectCreate: authed((args: { input: ProjectCreateInput }, { world }) => {
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
