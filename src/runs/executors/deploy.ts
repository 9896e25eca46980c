import type { StepContext, StepExecutor, StepResult, ReleaseServices } from "../context";
import { output } from "../context";
import type { RailwayDeployment } from "../../providers/railway/api";
import { ProviderError } from "../../providers/types";
import type { PinnedRef } from "./prepare";

const GOOD = "SUCCESS";
const BAD = new Set(["FAILED", "CRASHED", "REMOVED", "SKIPPED"]);
/** Clock skew allowed between our clock and the provider's createdAt. */
const SKEW_MS = 5_000;

interface DeployState {
  intentAt?: number;
  /** Deployments that existed before this step sent anything: never mistaken for ours. */
  existing?: string[];
  deploymentId?: string;
  previousDeploymentId?: string | null;
}

function serviceId(ctx: StepContext, name: string): string {
  const id = ctx.env.bindings.railway?.services[name];
  if (!id) throw new Error(`${name} has no Railway service binding`);
  return id;
}

/**
 * Finds the deployment this step started, if it started one: Railway has no idempotency keys, so a
 * step remembers when it sent the deploy and looks for a deployment of its commit created since.
 */
async function findOwnDeployment(
  ctx: StepContext,
  name: string,
  sha: string,
  since: number,
): Promise<RailwayDeployment | null> {
  const binding = ctx.env.bindings.railway!;
  const list = await ctx.railway.listDeployments({
    projectId: binding.projectId,
    environmentId: binding.environmentId,
    serviceId: serviceId(ctx, name),
    first: 20,
  });
  const existing = new Set((ctx.step.state as DeployState).existing ?? []);
  const mine = list.filter(
    (d) => !existing.has(d.id) && Date.parse(d.createdAt) >= since - SKEW_MS && d.meta?.commitHash === sha,
  );
  return mine.at(-1) ?? null;
}

/** Starts (once) and then polls the deployment of `name` at `sha`; `send` performs the provider write. */
export async function driveDeployment(
  ctx: StepContext,
  name: string,
  sha: string,
  send: () => Promise<string | null>,
): Promise<StepResult | RailwayDeployment> {
  const state = ctx.step.state as DeployState;
  if (!state.deploymentId) {
    const found = state.intentAt ? await findOwnDeployment(ctx, name, sha, state.intentAt) : null;
    if (found) state.deploymentId = found.id;
    else {
      if (!state.intentAt) {
        const binding = ctx.env.bindings.railway!;
        const list = await ctx.railway.listDeployments({
          projectId: binding.projectId,
          environmentId: binding.environmentId,
          serviceId: serviceId(ctx, name),
          first: 20,
        });
        state.existing = list.map((d) => d.id);
      }
      state.intentAt = ctx.now();
      ctx.save();
      try {
        state.deploymentId = (await send()) ?? (await findOwnDeployment(ctx, name, sha, state.intentAt))?.id;
      } catch (e) {
        if (!(e instanceof ProviderError) || !e.ambiguous) throw e;
        // The write may have happened before the error: look before anyone sends it again.
        state.deploymentId = (await findOwnDeployment(ctx, name, sha, state.intentAt))?.id;
        if (!state.deploymentId) return { kind: "fail", error: e.message, retryAfterMs: e.retryAfterMs ?? ctx.pollMs };
      }
      if (!state.deploymentId) return { kind: "wait", ms: ctx.pollMs, note: "waiting for the deployment to appear" };
    }
    ctx.save();
  }
  const deployment = await ctx.railway.getDeployment(state.deploymentId);
  if (deployment.status === GOOD) return deployment;
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
  return { kind: "wait", ms: ctx.pollMs, note: `${name} ${deployment.status.toLowerCase()}` };
}

function recordDeployed(ctx: StepContext, name: string, ref: PinnedRef, deploymentId: string): void {
  const deployed = (ctx.run.outputs.deployed ?? {}) as ReleaseServices;
  deployed[name] = { commitSha: ref.sha, commitMessage: ref.message, deploymentId };
  ctx.run.outputs.deployed = deployed;
  ctx.save();
}

/** Deploys one service at the run's pinned commit and waits until Railway reports it live. */
export const deployService: StepExecutor = async (ctx) => {
  const name = String(ctx.step.params.service);
  // A canary twin deploys the commit pinned for the service it shadows.
  const ref = output<Record<string, PinnedRef>>(ctx.run, "refs")[String(ctx.step.params.from ?? name)];
  if (!ref) return { kind: "fail", error: `no pinned commit for ${name}` };
  const binding = ctx.env.bindings.railway!;
  const state = ctx.step.state as DeployState;
  if (state.previousDeploymentId === undefined) {
    const live = await ctx.railway.listDeployments({
      projectId: binding.projectId,
      environmentId: binding.environmentId,
      serviceId: serviceId(ctx, name),
      first: 20,
    });
    state.previousDeploymentId = live.find((d) => d.status === GOOD)?.id ?? null;
    ctx.save();
  }
  const result = await driveDeployment(ctx, name, ref.sha, () =>
    ctx.railway.deployService(serviceId(ctx, name), binding.environmentId, ref.sha),
  );
  if ("kind" in result) return result;
  recordDeployed(ctx, name, ref, result.id);
  return { kind: "done", note: `${name} live at ${ref.message} (${ref.sha.slice(0, 7)}), deployment ${result.id}` };
};

/** Runs a service's migrations through its migration job's pre-deploy command and records the output. */
export const migrate: StepExecutor = async (ctx) => {
  const name = String(ctx.step.params.service);
  const job = String(ctx.step.params.job);
  const ref = output<Record<string, PinnedRef>>(ctx.run, "refs")[name];
  if (!ref) return { kind: "fail", error: `no pinned commit for ${name}` };
  const binding = ctx.env.bindings.railway!;
  // A canary deploy carries expand migrations only: the job's pre-deploy command stops at the last of them.
  const to = typeof ctx.step.params.to === "string" ? ctx.step.params.to : undefined;
  const command = ctx.env.spec.services[name]?.migrateCommand;
  const result = await driveDeployment(ctx, job, ref.sha, async () => {
    if (to && command)
      await ctx.railway.updateServiceInstance(serviceId(ctx, job), binding.environmentId, {
        preDeployCommand: [`${command} --to ${to}`],
      });
    return ctx.railway.deployService(serviceId(ctx, job), binding.environmentId, ref.sha);
  });
  if ("kind" in result)
    return result.kind === "fail" ? { ...result, error: `migration failed — ${result.error}` } : result;
  const logs = await ctx.railway.deploymentLogs(result.id, 500);
  const text = logs.map((l) => l.message).join("\n");
  await ctx.artifacts.put(ctx.run.id, `logs/migrate-${name}.txt`, text);
  // sequelize-cli prints "== <name>: migrated (0.02s)" per migration it ran.
  const names = logs.flatMap((l) => /^== (\S+): migrated\b/.exec(l.message)?.[1] ?? []);
  const classes = new Map(
    ((ctx.step.params.migrations ?? []) as { name: string; class: "expand" | "contract" }[]).map((m) => [
      m.name.replace(/\.c?js$/, ""),
      m.class,
    ]),
  );
  await ctx.port.recordMigrations(
    ctx.env.envId,
    ctx.run.id,
    names.map((n) => ({ service: name, name: n, class: classes.get(n.replace(/\.c?js$/, "")) ?? "unknown" })),
  );
  const applied = names.length;
  ctx.run.outputs.migrations = {
    ...(ctx.run.outputs.migrations as object | undefined),
    [name]: { applied, names, deploymentId: result.id },
  };
  ctx.save();
  return {
    kind: "done",
    note: applied ? `${applied} migration${applied > 1 ? "s" : ""} applied` : "schema already up to date",
  };
};

/** Brings back the deployment a release ran for one service (Railway rollback, or a redeploy of its commit). */
export const rollbackService: StepExecutor = async (ctx) => {
  const name = String(ctx.step.params.service);
  const target = ctx.step.params.target as { commitSha: string; commitMessage: string; deploymentId: string };
  const binding = ctx.env.bindings.railway!;
  const result = await driveDeployment(ctx, name, target.commitSha, async () => {
    const old = await ctx.railway.getDeployment(target.deploymentId).catch(() => null);
    if (old?.canRollback) {
      await ctx.railway.rollbackDeployment(target.deploymentId);
      return null;
    }
    return ctx.railway.deployService(serviceId(ctx, name), binding.environmentId, target.commitSha);
  });
  if ("kind" in result) return result;
  recordDeployed(
    ctx,
    name,
    { repo: "", ref: target.commitMessage, sha: target.commitSha, message: target.commitMessage },
    result.id,
  );
  return { kind: "done", note: `${name} back on ${target.commitMessage} (${target.commitSha.slice(0, 7)})` };
};
