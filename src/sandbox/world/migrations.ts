/** The pre-deploy command: runs pending Sequelize migrations against the environment's simulated database. */
import type { DeploymentRow } from "./deployments";
import { appendLogs, type Severity } from "./logs";
import { getCommit, migrationsAt } from "./repos";
import { iso, type World } from "./store";
import { getVariables } from "./variables";
import { externalPreDeploy, type ExternalPreDeploy } from "../ops/external";

/** Migrations applied to an environment's database, in the order they ran. */
export function appliedMigrations(
  world: World,
  environmentId: string,
): { name: string; appliedAt: string; deploymentId: string | null }[] {
  return world
    .rows<{ name: string; applied_at: number; deployment_id: string | null }>(
      "SELECT name, applied_at, deployment_id FROM db_migrations WHERE environment_id = ? ORDER BY applied_at, name",
      environmentId,
    )
    .map((r) => ({ name: r.name, appliedAt: iso(r.applied_at), deploymentId: r.deployment_id }));
}

/** Records migrations as applied (seed and successful pre-deploys). */
export function recordMigrations(
  world: World,
  environmentId: string,
  names: string[],
  at: number,
  deploymentId: string | null,
): void {
  for (const name of names) {
    world.run("INSERT OR IGNORE INTO db_migrations VALUES (?, ?, ?, ?)", environmentId, name, at, deploymentId);
  }
}

/** Migrations the deployment's code ships that the environment's database has not run yet. */
export function pendingMigrations(world: World, d: DeploymentRow): string[] {
  if (!d.commitSha || !d.meta.repo) return [];
  const commit = getCommit(world, d.meta.repo, d.commitSha);
  if (!commit) return [];
  const applied = new Set(appliedMigrations(world, d.environmentId).map((m) => m.name));
  return migrationsAt(world, commit).filter((name) => !applied.has(name));
}

// A believable, deterministic per-migration duration for the log line.
function duration(name: string): string {
  return `${(0.011 + (name.length % 23) / 1000).toFixed(3)}s`;
}

/**
 * Runs the deployment's pre-deploy command and writes what Sequelize CLI prints to its deploy log.
 * Returns false when the command failed (injected migration fault): nothing is recorded as applied.
 */
export function runPreDeploy(world: World, d: DeploymentRow, at: number): boolean {
  const commands = d.preDeploy ?? [];
  const lines: (string | [Severity, string])[] = [
    "Starting Container",
    ...commands.map((c) => `Running pre-deploy command: ${c}`),
  ];
  if (!commands.some((c) => /migrat/i.test(c))) {
    appendLogs(world, d.id, "deploy", at, lines);
    if (d.fail === "migration") return failPreDeploy(world, d, at, null);
    return true;
  }
  const external = externalPreDeploy(world, d);
  if (external !== null)
    return external === "pending" ? failExternal(world, d, at, null) : runExternal(world, d, at, lines, external);
  const nodeEnv = getVariables(world, d.environmentId, d.serviceId).NODE_ENV ?? "production";
  lines.push(
    "Sequelize CLI [Node: 20.18.1, CLI: 6.6.2, ORM: 6.37.5]",
    'Loaded configuration file "config/config.js".',
    `Using environment "${nodeEnv}".`,
  );
  appendLogs(world, d.id, "deploy", at, lines);
  const pending = pendingMigrations(world, d);
  if (d.fail === "migration") return failPreDeploy(world, d, at, pending[0] ?? null);
  if (pending.length === 0) {
    appendLogs(world, d.id, "deploy", at, ["No migrations were executed, database schema was already up to date."]);
    return true;
  }
  appendLogs(
    world,
    d.id,
    "deploy",
    at,
    pending.flatMap((name) => [`== ${name}: migrating =======`, `== ${name}: migrated (${duration(name)})`]),
  );
  recordMigrations(world, d.environmentId, pending, at, d.id);
  return true;
}

function failPreDeploy(world: World, d: DeploymentRow, at: number, migration: string | null): false {
  const lines: (string | [Severity, string])[] = [];
  if (migration) lines.push(`== ${migration}: migrating =======`);
  lines.push(
    ["error", "ERROR: SequelizeDatabaseError: canceling statement due to lock timeout"],
    ["error", "Pre-deploy command failed with exit code 1"],
  );
  appendLogs(world, d.id, "deploy", at, lines);
  return false;
}

/** Whether the deployment may enter PRE_DEPLOY: a pre-deploy run by a real app must have answered first. */
export function preDeployReady(world: World, d: DeploymentRow): boolean {
  return externalPreDeploy(world, d) !== "pending";
}

/** The real app's `sequelize-cli db:migrate` output is the deploy log; what it applied is recorded. */
function runExternal(
  world: World,
  d: DeploymentRow,
  at: number,
  lines: (string | [Severity, string])[],
  result: ExternalPreDeploy,
): boolean {
  const output = result.output
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== "");
  appendLogs(world, d.id, "deploy", at, [
    ...lines,
    ...output.map((l): string | [Severity, string] => (/\bERROR\b|error:/i.test(l) ? ["error", l] : l)),
    ...(result.ok
      ? []
      : [["error", `Pre-deploy command failed with exit code ${result.exitCode ?? 1}`] as [Severity, string]]),
  ]);
  recordMigrations(world, d.environmentId, result.applied, at, d.id);
  return result.ok;
}

function failExternal(world: World, d: DeploymentRow, at: number, migration: string | null): false {
  appendLogs(world, d.id, "deploy", at, [["error", "the app did not answer the pre-deploy command"]]);
  return failPreDeploy(world, d, at, migration);
}
