/** Deployments of service instances: creation (with injected faults), queries, redeploy/rollback/restart. */
import { hasCrashFault, takeDeployFault } from "../faults";
import { getEnvironment, getInstance, getService, type InstanceRow } from "./entities";
import { appendLogs } from "./logs";
import { branchHead, getCommit, type RepoCommit } from "./repos";
import { newId, parseJson, WorldError, type World } from "./store";
import { getVariables, upsertVariables } from "./variables";

/**
 * Lifecycle phase of a deployment (the state of the machine in lifecycle.ts).
 * PRE_DEPLOY is reported as DEPLOYING: Railway has no separate status for the pre-deploy command.
 */
export type Phase = "QUEUED" | "BUILDING" | "PRE_DEPLOY" | "DEPLOYING" | "SUCCESS" | "FAILED" | "CRASHED" | "REMOVED";
export type FailKind = "build" | "migration" | "crash";

/** Phases that still move by themselves. */
export const IN_PROGRESS: readonly Phase[] = ["QUEUED", "BUILDING", "PRE_DEPLOY", "DEPLOYING"];

/** What Railway puts in `Deployment.meta` (observed keys; the schema types it as opaque JSON). */
export interface DeploymentMeta {
  reason: "deploy" | "redeploy" | "rollback" | "variables" | "template" | "push";
  repo?: string;
  branch?: string;
  commitHash?: string;
  commitMessage?: string;
  commitAuthor?: string;
  image?: string;
  rootDirectory?: string;
  [key: string]: unknown;
}

type DeploymentRowRaw = {
  id: string;
  seq: number;
  project_id: string;
  environment_id: string;
  service_id: string;
  phase: string;
  fail: string | null;
  pre_deploy: string | null;
  commit_sha: string | null;
  image: string | null;
  meta: string;
  variables: string;
  instance_ids: string;
  succeeded: number;
  created_at: number;
  status_updated_at: number;
};

/** A deployment as the world's modules use it. */
export interface DeploymentRow {
  id: string;
  seq: number;
  projectId: string;
  environmentId: string;
  serviceId: string;
  phase: Phase;
  fail: FailKind | null;
  preDeploy: string[] | null;
  commitSha: string | null;
  image: string | null;
  meta: DeploymentMeta;
  /** Variables of the service when the deployment was created (what a rollback restores). */
  variables: Record<string, string>;
  instanceIds: string[];
  /** Whether it ever reached SUCCESS (only those can be rolled back to). */
  succeeded: boolean;
  createdAt: number;
  statusUpdatedAt: number;
}

function toDeployment(raw: DeploymentRowRaw): DeploymentRow {
  return {
    id: raw.id,
    seq: raw.seq,
    projectId: raw.project_id,
    environmentId: raw.environment_id,
    serviceId: raw.service_id,
    phase: raw.phase as Phase,
    fail: raw.fail as FailKind | null,
    preDeploy: raw.pre_deploy ? parseJson<string[]>(raw.pre_deploy) : null,
    commitSha: raw.commit_sha,
    image: raw.image,
    meta: parseJson<DeploymentMeta>(raw.meta),
    variables: parseJson<Record<string, string>>(raw.variables),
    instanceIds: parseJson<string[]>(raw.instance_ids),
    succeeded: raw.succeeded === 1,
    createdAt: raw.created_at,
    statusUpdatedAt: raw.status_updated_at,
  };
}

/** Railway's DeploymentStatus for a phase. */
export function statusOf(phase: Phase): string {
  return phase === "PRE_DEPLOY" ? "DEPLOYING" : phase;
}

/** One deployment or null. */
export function getDeployment(world: World, id: string): DeploymentRow | null {
  const raw = world.first<DeploymentRowRaw>("SELECT * FROM deployments WHERE id = ?", id);
  return raw ? toDeployment(raw) : null;
}

/** Deployments matching the filter, newest first. */
export function listDeployments(
  world: World,
  filter: { projectId?: string | null; environmentId?: string | null; serviceId?: string | null } = {},
): DeploymentRow[] {
  return world
    .rows<DeploymentRowRaw>(
      `SELECT * FROM deployments WHERE (?1 IS NULL OR project_id = ?1) AND (?2 IS NULL OR environment_id = ?2)
       AND (?3 IS NULL OR service_id = ?3) ORDER BY seq DESC`,
      filter.projectId ?? null,
      filter.environmentId ?? null,
      filter.serviceId ?? null,
    )
    .map(toDeployment);
}

/** Deployments still moving by themselves, oldest first (what the lifecycle replays on every request). */
export function listInProgress(world: World): DeploymentRow[] {
  return world
    .rows<DeploymentRowRaw>(
      "SELECT * FROM deployments WHERE phase IN ('QUEUED', 'BUILDING', 'PRE_DEPLOY', 'DEPLOYING') ORDER BY seq",
    )
    .map(toDeployment);
}

/** Moves a deployment to a phase (only lifecycle.ts and the explicit mutations below call this). */
export function setPhase(world: World, id: string, phase: Phase, at: number, fail?: FailKind | null): void {
  world.run(
    "UPDATE deployments SET phase = ?, status_updated_at = ?, succeeded = MAX(succeeded, ?), fail = COALESCE(?, fail) WHERE id = ?",
    phase,
    at,
    phase === "SUCCESS" ? 1 : 0,
    fail ?? null,
    id,
  );
}

/** The deployment currently serving the instance: the newest that went live (SUCCESS or CRASHED). */
export function currentDeployment(world: World, serviceId: string, environmentId: string): DeploymentRow | null {
  const raw = world.first<DeploymentRowRaw>(
    "SELECT * FROM deployments WHERE service_id = ? AND environment_id = ? AND phase IN ('SUCCESS', 'CRASHED') ORDER BY seq DESC LIMIT 1",
    serviceId,
    environmentId,
  );
  return raw ? toDeployment(raw) : null;
}

/** Railway only offers rollback to a deployment that once ran and has since been replaced. */
export function canRollback(d: DeploymentRow): boolean {
  return d.phase === "REMOVED" && d.succeeded && (d.commitSha !== null || d.image !== null);
}

/** Redeploy is offered once a deployment has settled. */
export function canRedeploy(d: DeploymentRow): boolean {
  return !IN_PROGRESS.includes(d.phase);
}

interface CreateInput {
  instance: InstanceRow;
  commit: (RepoCommit & { branch: string }) | null;
  image: string | null;
  reason: DeploymentMeta["reason"];
  /** Snapshot to record instead of the instance's current variables. */
  variables?: Record<string, string>;
  at?: number;
}

/** Creates a QUEUED deployment; a matching deploy fault decides now how it will end. */
export function createDeployment(world: World, input: CreateInput): DeploymentRow {
  const { instance } = input;
  const service = getService(world, instance.serviceId);
  const env = getEnvironment(world, instance.environmentId);
  if (!service || !env) throw new WorldError("ServiceInstance not found");
  const commands = instance.settings.preDeployCommand;
  const preDeploy = commands && commands.length > 0 ? commands : null;
  const fail = takeDeployFault(world, env.name, service.name, preDeploy !== null);
  const meta: DeploymentMeta = input.commit
    ? {
        reason: input.reason,
        repo: input.commit.repo,
        branch: input.commit.branch,
        commitHash: input.commit.sha,
        commitMessage: input.commit.message,
        commitAuthor: input.commit.author.name,
      }
    : { reason: input.reason, image: input.image ?? undefined };
  if (instance.settings.rootDirectory) meta.rootDirectory = instance.settings.rootDirectory;
  const replicas = Math.max(1, instance.settings.numReplicas ?? 1);
  const at = input.at ?? world.now();
  const row: DeploymentRow = {
    id: newId(),
    seq: world.nextSeq("deployment"),
    projectId: service.project_id,
    environmentId: env.id,
    serviceId: service.id,
    phase: "QUEUED",
    fail,
    preDeploy,
    commitSha: input.commit?.sha ?? null,
    image: input.commit ? null : input.image,
    meta,
    variables: input.variables ?? getVariables(world, env.id, service.id),
    instanceIds: Array.from({ length: replicas }, () => newId()),
    succeeded: false,
    createdAt: at,
    statusUpdatedAt: at,
  };
  world.run(
    "INSERT INTO deployments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
    row.id,
    row.seq,
    row.projectId,
    row.environmentId,
    row.serviceId,
    row.phase,
    row.fail,
    preDeploy ? JSON.stringify(preDeploy) : null,
    row.commitSha,
    row.image,
    JSON.stringify(meta),
    JSON.stringify(row.variables),
    JSON.stringify(row.instanceIds),
    at,
    at,
  );
  return row;
}

function requireInstance(world: World, serviceId: string, environmentId: string): InstanceRow {
  const instance = getInstance(world, serviceId, environmentId);
  if (!instance) throw new WorldError("ServiceInstance not found");
  return instance;
}

/** serviceInstanceDeployV2: a given sha must exist in the connected repo ("Commit not found"), else the branch head. */
export function deployService(
  world: World,
  serviceId: string,
  environmentId: string,
  commitSha?: string | null,
  reason: DeploymentMeta["reason"] = "deploy",
): DeploymentRow {
  const instance = requireInstance(world, serviceId, environmentId);
  const branch = getService(world, serviceId)?.branch ?? "main";
  const repo = instance.settings.source?.repo ?? null;
  if (repo) {
    const commit = commitSha ? getCommit(world, repo, commitSha) : branchHead(world, repo, branch);
    if (!commit) throw new WorldError(commitSha ? "Commit not found" : `Branch ${branch} not found in ${repo}`);
    return createDeployment(world, { instance, commit: { ...commit, branch }, image: null, reason });
  }
  const image = instance.settings.source?.image ?? null;
  if (!image) throw new WorldError("Service has no source to deploy");
  if (commitSha) throw new WorldError("Commit not found");
  return createDeployment(world, { instance, commit: null, image, reason });
}

function commitOf(world: World, d: DeploymentRow): (RepoCommit & { branch: string }) | null {
  if (!d.commitSha || !d.meta.repo) return null;
  const commit = getCommit(world, d.meta.repo, d.commitSha);
  return commit ? { ...commit, branch: d.meta.branch ?? "main" } : null;
}

/** A new deployment of the same commit or image with the instance's current settings and variables. */
export function redeploy(world: World, d: DeploymentRow, reason: DeploymentMeta["reason"] = "redeploy"): DeploymentRow {
  const instance = requireInstance(world, d.serviceId, d.environmentId);
  return createDeployment(world, { instance, commit: commitOf(world, d), image: d.image, reason });
}

/** deploymentRollback: restores the old deployment's variables and deploys its commit again. */
export function rollbackTo(world: World, d: DeploymentRow): DeploymentRow {
  if (!canRollback(d)) throw new WorldError("Deployment cannot be rolled back");
  const instance = requireInstance(world, d.serviceId, d.environmentId);
  upsertVariables(world, d.environmentId, d.serviceId, d.variables, true);
  return createDeployment(world, {
    instance,
    commit: commitOf(world, d),
    image: d.image,
    reason: "rollback",
    variables: d.variables,
  });
}

/** deploymentRestart: restarts the containers; a crash only stays cured if no crash fault is still injected. */
export function restart(world: World, d: DeploymentRow): void {
  if (d.phase !== "SUCCESS" && d.phase !== "CRASHED") throw new WorldError("Deployment is not running");
  const at = world.now();
  const service = getService(world, d.serviceId);
  const env = getEnvironment(world, d.environmentId);
  const crashes = service !== null && env !== null && hasCrashFault(world, env.name, service.name);
  appendLogs(world, d.id, "deploy", at, ["Restarting container", "Starting Container"]);
  if (crashes) {
    appendLogs(world, d.id, "deploy", at, [
      ["error", "TypeError: Cannot read properties of undefined (reading 'timezone')"],
    ]);
    setPhase(world, d.id, "CRASHED", at);
  } else {
    setPhase(world, d.id, "SUCCESS", at);
  }
}

/** deploymentCancel / deploymentRemove: the deployment stops and is REMOVED. */
export function removeDeployment(world: World, d: DeploymentRow): void {
  if (d.phase === "REMOVED") return;
  appendLogs(world, d.id, "deploy", world.now(), [
    IN_PROGRESS.includes(d.phase) ? "Deployment cancelled" : "Deployment removed",
  ]);
  setPhase(world, d.id, "REMOVED", world.now());
}
