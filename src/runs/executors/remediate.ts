/**
 * Executors of the bounded remediation set beyond rollback (which reuses the rollback steps): restart,
 * scale and disable cron. Each is idempotent: it checks the provider's state before writing again.
 */
import { EnvironmentSpec as EnvironmentSpecSchema } from "../../domain/spec";
import type { StepContext, StepExecutor } from "../context";
import { railwayOf, serviceIdOf } from "../railway-binding";
import { driveDeployment } from "./deploy";

/** Redeploys the commit the service runs now (a restart that Railway can track as a deployment). */
export const restartService: StepExecutor<"restart-service"> = async (ctx) => {
  const name = ctx.step.params.service;
  const binding = railwayOf(ctx);
  const { state } = ctx.step;
  // The commit is fixed on the first attempt: a retry must not restart onto whatever went live since.
  const sha = state.sha ?? (await liveCommit(ctx, name));
  if (!sha) return { kind: "fail", error: `${name} has no live deployment with a commit to restart` };
  if (!state.sha) {
    state.sha = sha;
    ctx.save();
  }
  const result = await driveDeployment(ctx, name, sha, () =>
    ctx.railway.deployService(serviceIdOf(ctx, name), binding.environmentId, sha),
  );
  if ("kind" in result) return result;
  return { kind: "done", note: `${name} restarted at ${sha.slice(0, 7)} (deployment ${result.id})` };
};

async function liveCommit(ctx: StepContext, name: string): Promise<string | null> {
  const binding = railwayOf(ctx);
  const live = (
    await ctx.railway.listDeployments({
      projectId: binding.projectId,
      environmentId: binding.environmentId,
      serviceId: serviceIdOf(ctx, name),
      first: 20,
    })
  ).find((d) => d.status === "SUCCESS");
  const sha = live?.meta?.commitHash;
  return typeof sha === "string" ? sha : null;
}

/** Sets a service's replica count; with `reviseSpec` the desired state follows (so it is not drift). */
export const scaleService: StepExecutor<"scale-service"> = async (ctx) => {
  const { service: name, replicas, reviseSpec } = ctx.step.params;
  const binding = railwayOf(ctx);
  if (reviseSpec && ctx.run.outputs.specRevision === undefined) {
    const next = EnvironmentSpecSchema.parse(structuredClone(ctx.env.spec));
    next.services[name].replicas = replicas;
    ctx.run.outputs.specRevision = await ctx.port.reviseSpec(
      ctx.env.envId,
      ctx.run.plan.specRevision,
      next,
      ctx.run.requestedBy ?? "infra-chat",
      `scale ${name} to ${replicas} (run ${ctx.run.id})`,
    );
    ctx.save();
  }
  const instance = await ctx.railway.getServiceInstance(serviceIdOf(ctx, name), binding.environmentId);
  if ((instance.numReplicas ?? 1) !== replicas)
    await ctx.railway.updateServiceInstance(serviceIdOf(ctx, name), binding.environmentId, { numReplicas: replicas });
  return {
    kind: "done",
    note: `${name} runs ${replicas} replica${replicas === 1 ? "" : "s"} (was ${instance.numReplicas ?? 1})`,
  };
};

/** Clears a cron service's schedule; the spec keeps it, so a reconcile re-enables it. */
export const disableCron: StepExecutor<"disable-cron"> = async (ctx) => {
  const name = ctx.step.params.service;
  const binding = railwayOf(ctx);
  const instance = await ctx.railway.getServiceInstance(serviceIdOf(ctx, name), binding.environmentId);
  if (instance.cronSchedule)
    await ctx.railway.updateServiceInstance(serviceIdOf(ctx, name), binding.environmentId, { cronSchedule: null });
  return { kind: "done", note: `${name}'s schedule ${instance.cronSchedule ?? "(none)"} disabled` };
};
