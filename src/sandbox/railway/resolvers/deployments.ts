/** Root fields for deployments: reads, logs, rollback, redeploy, restart, cancel, remove. */
import { planForDeployment } from "../../traffic/plan";
import { runtimeLines, runtimeWindow } from "../../traffic/runtime-logs";
import {
  getDeployment,
  IN_PROGRESS,
  listDeployments,
  redeploy,
  removeDeployment,
  restart,
  rollbackTo,
  statusOf,
} from "../../world/deployments";
import { readLogs, type LogQuery, type LogStream } from "../../world/logs";
import { WorldError, type World } from "../../world/store";
import { toConnection } from "../connection";
import { authed, need, type ConnectionArgs, type RootResolver } from "../context";
import { deploymentView, logView } from "../views";

interface DeploymentListInput {
  projectId?: string | null;
  environmentId?: string | null;
  serviceId?: string | null;
  includeDeleted?: boolean | null;
  status?: { in?: string[] | null; notIn?: string[] | null } | null;
}

// Deploy logs also carry what the running app writes while it serves simulated traffic in the window.
function logs(world: World, args: LogQuery & { deploymentId: string }, stream: LogStream) {
  const d = need(getDeployment(world, args.deploymentId), "Deployment");
  const runtime =
    stream === "deploy" ? runtimeLines(planForDeployment(world, d), ...runtimeWindow(args, world.now())) : [];
  return readLogs(world, d.id, stream, args, runtime).map((line) => logView(d, line));
}

/** deployment, deployments, deploymentLogs, buildLogs and the deployment mutations. */
export const deploymentResolvers = {
  deployment: authed((args: { id: string }, { world }) =>
    deploymentView(world, need(getDeployment(world, args.id), "Deployment")),
  ),

  // Newest first, as Railway lists them in practice.
  deployments: authed((args: ConnectionArgs & { input: DeploymentListInput }, { world }) => {
    const { status } = args.input;
    const matches = listDeployments(world, args.input).filter((d) => {
      const s = statusOf(d.phase);
      return (!status?.in || status.in.includes(s)) && !status?.notIn?.includes(s);
    });
    return toConnection(
      matches.map((d) => deploymentView(world, d)),
      args,
    );
  }),

  deploymentLogs: authed((args: LogQuery & { deploymentId: string }, { world }) => logs(world, args, "deploy")),

  buildLogs: authed((args: LogQuery & { deploymentId: string }, { world }) => logs(world, args, "build")),

  deploymentRollback: authed((args: { id: string }, { world }) => {
    rollbackTo(world, need(getDeployment(world, args.id), "Deployment"));
    return true;
  }),

  deploymentRedeploy: authed((args: { id: string; usePreviousImageTag?: boolean | null }, { world }) =>
    deploymentView(world, redeploy(world, need(getDeployment(world, args.id), "Deployment"))),
  ),

  deploymentRestart: authed((args: { id: string }, { world }) => {
    restart(world, need(getDeployment(world, args.id), "Deployment"));
    return true;
  }),

  deploymentCancel: authed((args: { id: string }, { world }) => {
    const d = need(getDeployment(world, args.id), "Deployment");
    if (!IN_PROGRESS.includes(d.phase)) throw new WorldError("Deployment is not in progress");
    removeDeployment(world, d);
    return true;
  }),

  deploymentRemove: authed((args: { id: string }, { world }) => {
    removeDeployment(world, need(getDeployment(world, args.id), "Deployment"));
    return true;
  }),
} satisfies Record<string, RootResolver>;
