import type { ReleaseService } from "../../domain/steps";
import type { RailwayDeployment } from "../../providers/railway/api";
import { ProviderError } from "../../providers/types";
import type { StepContext, StepExecutor, StepResult } from "../context";
import { output } from "../context";
import { railwayOf, serviceIdOf } from "../railway-binding";

const GOOD = "SUCCESS";
const BAD = new Set(["FAILED", "CRASHED", "REMOVED", "SKIPPED"]);
/** Polls back off from the first interval to this many times it (5 s → 30 s for real). */
const MAX_POLL_FACTOR = 6;
/** Clock skew allowed between our clock and the provider's createdAt. */
const SKEW_MS = 5_000;

/** Step kinds that start a Railway deployment and poll it (their state is a DeployState). */
export type DeployingKind = "deploy-service" | "migrate" | "rollback-service" | "canary-promote" | "restart-service";

/**
 * Finds the deployment this step started, if it started one: Railway has no idempotency keys, so a
 * step remembers when it sent the deploy and looks for a deployment of its commit created since.
 */
async function findOwnDeployment(
  ctx: StepContext<DeployingKind>,
  name: string,
  sha: string,
  since: number,
): Promise<RailwayDeployment | null> {
  const existing = new Set(ctx.step.state.existing ?? []);
  const list = await recentDeployments(ctx, name);
  const mine = list.filter(
    (d) => !existing.has(d.id) && Date.parse(d.createdAt) >= since - SKEW_MS && d.meta?.commitHash === sha,
  );
  return mine.at(-1) ?? null;
}

/** Starts (once) and then polls the deployment of `name` at `sha`; `send` performs the provider write. */
export async function driveDeployment(
  ctx: StepContext<DeployingKind>,
  name: string,
  sha: string,
  send: () => Promise<string | null>,
): Promise<StepResult | RailwayDeployment> {
  const { state } = ctx.step;
  let deploymentId = state.deploymentId;
  if (!deploymentId) {
    const found = state.intentAt ? await findOwnDeployment(ctx, name, sha, state.intentAt) : null;
    if (found) deploymentId = found.id;
    else {
      if (!state.intentAt) state.existing = (await recentDeployments(ctx, name)).map((d) => d.id);
      const intentAt = ctx.now();
      state.intentAt = intentAt;
      ctx.save();
      try {
        deploymentId = (await send()) ?? (await findOwnDeployment(ctx, name, sha, intentAt))?.id;
      } catch (e) {
        if (!(e instanceof ProviderError) || !e.ambiguous) throw e;
        // The write may have happened before the error: look before anyone sends it again.
        deploymentId = (await findOwnDeployment(ctx, name, sha, intentAt))?.id;
        if (!deploymentId) return { kind: "fail", error: e.message, retryAfterMs: e.retryAfterMs ?? ctx.pollMs };
      }
      if (!deploymentId) return { kind: "wait", ms: ctx.pollMs, note: "waiting for the deployment to appear" };
    }
    state.deploymentId = deploymentId;
    ctx.save();
  }
  const deployment = await ctx.railway.getDeployment(deploymentId);
  // A sleeping deployment went live and Railway's serverless sleep parked it: the next request wakes it.
  if (deployment.status === GOOD || deployment.status === "SLEEPING") return deployment;
  if (BAD.has(deployment.status)) {
    const logs = await ctx.railway.deploymentLogs(deployment.id, 200).catch(() => []);
    const text = logs.map((l) => `${l.timestamp} ${l.severity ?? ""} ${l.message}`).join("\n");
    await ctx.artifacts.put(ctx.run.id, `logs/${name}-${deployment.id}.txt`, text || "(no log lines)");
    const last = [...logs].reverse().find((l) => /error|fail/i.test(l.message))?.message ?? logs.at(-1)?.message ?? "";
    return {
      kind: "fail",
      error: `${name} deployment ${deployment.id} ${deployment.status}${last ? `: ${last}` : ""}`,
    };
  }
  const waiting = waitingFor(name, deployment);
  const since = state.intentAt ?? ctx.now();
  if (ctx.now() - since > ctx.deployTimeoutMs)
    return {
      kind: "fail",
      error: `${name} deployment ${deployment.id} did not go live within ${Math.round(ctx.deployTimeoutMs / 60_000)} min: ${waiting}`,
    };
  // Backoff: a build takes minutes; polling it every few seconds spends the Railway request budget.
  state.polls = (state.polls ?? 0) + 1;
  const ms = Math.round(ctx.pollMs * Math.min(MAX_POLL_FACTOR, 1.5 ** (state.polls - 1)));
  return { kind: "wait", ms, note: waiting };
}

/** What a deployment that is neither live nor failed is waiting for, in words a person can act on. */
function waitingFor(name: string, d: RailwayDeployment): string {
  switch (d.status) {
    case "NEEDS_APPROVAL":
      return `Railway is waiting for approval in its dashboard (${name} deployment ${d.id} NEEDS_APPROVAL): approve it there, or cancel the run`;
    case "WAITING":
      return `Railway is holding ${name} deployment ${d.id} (WAITING) until what it depends on is ready`;
    case "QUEUED":
      return `${name} deployment ${d.id} is queued at Railway (QUEUED)`;
    case "UNKNOWN":
      return `Railway reports ${name} deployment ${d.id} as ${d.reportedStatus}, a status Infra Chat does not know: waiting for a known one`;
    default:
      return `${name} ${d.status.toLowerCase()}`;
  }
}

/** The newest deployments of one service in this environment. */
async function recentDeployments(ctx: StepContext, name: string): Promise<RailwayDeployment[]> {
  const binding = railwayOf(ctx);
  return ctx.railway.listDeployments({
    projectId: binding.projectId,
    environmentId: binding.environmentId,
    serviceId: serviceIdOf(ctx, name),
    first: 20,
  });
}

/** Records what a service runs now, for finalize-release (and a failed run's compensation) to read. */
export function recordDeployed(ctx: StepContext, name: string, release: ReleaseService): void {
  ctx.run.outputs.deployed = { ...ctx.run.outputs.deployed, [name]: release };
  ctx.save();
}

/** Deploys one service at the run's pinned commit and waits until Railway reports it live. */
export const deployService: StepExecutor<"deploy-service"> = async (ctx) => {
  const name = ctx.step.params.service;
  // A canary twin deploys the commit pinned for the service it shadows.
  const ref = output(ctx.run, "refs")[ctx.step.params.from ?? name];
  if (!ref) return { kind: "fail", error: `no pinned commit for ${name}` };
  const { environmentId } = railwayOf(ctx);
  const { state } = ctx.step;
  if (state.previousDeploymentId === undefined) {
    state.previousDeploymentId = (await recentDeployments(ctx, name)).find((d) => d.status === GOOD)?.id ?? null;
    ctx.save();
  }
  const result = await driveDeployment(ctx, name, ref.sha, () =>
    ctx.railway.deployService(serviceIdOf(ctx, name), environmentId, ref.sha),
  );
  if ("kind" in result) return result;
  recordDeployed(ctx, name, { commitSha: ref.sha, commitMessage: ref.message, deploymentId: result.id });
  return { kind: "done", note: `${name} live at ${ref.message} (${ref.sha.slice(0, 7)}), deployment ${result.id}` };
};

/** Runs a service's migrations through its migration job's pre-deploy command and records the output. */
export const migrate: StepExecutor<"migrate"> = async (ctx) => {
  const { service: name, job, to } = ctx.step.params;
  const ref = output(ctx.run, "refs")[name];
  if (!ref) return { kind: "fail", error: `no pinned commit for ${name}` };
  const { environmentId } = railwayOf(ctx);
  // A canary deploy carries expand migrations only: the job's pre-deploy command stops at the last of them.
  const command = ctx.env.spec.services[name]?.migrateCommand;
  const result = await driveDeployment(ctx, job, ref.sha, async () => {
    if (to && command)
      await ctx.railway.updateServiceInstance(serviceIdOf(ctx, job), environmentId, {
        preDeployCommand: [`${command} --to ${to}`],
      });
    return ctx.railway.deployService(serviceIdOf(ctx, job), environmentId, ref.sha);
  });
  if ("kind" in result)
    return result.kind === "fail" ? { ...result, error: `migration failed — ${result.error}` } : result;
  const logs = await ctx.railway.deploymentLogs(result.id, 500);
  const text = logs.map((l) => l.message).join("\n");
  await ctx.artifacts.put(ctx.run.id, `logs/migrate-${name}.txt`, text);
  // sequelize-cli prints "== <name>: migrated (0.02s)" per migration it ran.
  const names = logs.flatMap((l) => /^== (\S+): migrated\b/.exec(l.message)?.[1] ?? []);
  const classes = new Map((ctx.step.params.migrations ?? []).map((m) => [m.name.replace(/\.c?js$/, ""), m.class]));
  await ctx.port.recordMigrations(
    ctx.env.envId,
    ctx.run.id,
    names.map((n) => ({ service: name, name: n, class: classes.get(n.replace(/\.c?js$/, "")) ?? "unknown" })),
  );
  const applied = names.length;
  ctx.run.outputs.migrations = { ...ctx.run.outputs.migrations, [name]: { applied, names, deploymentId: result.id } };
  ctx.save();
  return {
    kind: "done",
    note: applied ? `${applied} migration${applied > 1 ? "s" : ""} applied` : "schema already up to date",
  };
};

/** Brings back the deployment a release ran for one service (Railway rollback, or a redeploy of its commit). */
export const rollbackService: StepExecutor<"rollback-service"> = async (ctx) => {
  const { service: name, target } = ctx.step.params;
  const { environmentId } = railwayOf(ctx);
  const result = await driveDeployment(ctx, name, target.commitSha, async () => {
    const old = await ctx.railway.getDeployment(target.deploymentId).catch(() => null);
    if (old?.canRollback) {
      await ctx.railway.rollbackDeployment(target.deploymentId);
      return null;
    }
    return ctx.railway.deployService(serviceIdOf(ctx, name), environmentId, target.commitSha);
  });
  if ("kind" in result) return result;
  recordDeployed(ctx, name, {
    commitSha: target.commitSha,
    commitMessage: target.commitMessage,
    deploymentId: result.id,
  });
  return { kind: "done", note: `${name} back on ${target.commitMessage} (${target.commitSha.slice(0, 7)})` };
};
