import type { CanaryState } from "../../domain/canary";
import { canaryTransition } from "../../domain/canary";
import type { TrafficBinding } from "../../domain/traffic";
import type { StepContext, StepExecutor, ReleaseServices } from "../context";
import { output } from "../context";
import { driveDeployment } from "../executors/deploy";
import type { PinnedRef } from "../executors/prepare";
import { isoAt } from "../../domain/time";

/** The canary state and split persisted in run outputs. */
export function canaryOf(ctx: StepContext): { canary: CanaryState; binding: TrafficBinding } {
  return { canary: output<CanaryState>(ctx.run, "canary"), binding: output<TrafficBinding>(ctx.run, "traffic") };
}

/** Writes a new canary state (every phase change goes through canaryTransition). */
export function saveCanary(ctx: StepContext, canary: CanaryState): void {
  ctx.run.outputs.canary = canary;
  ctx.save();
}

/** The router for this environment's Cloudflare zone; fails clearly when Cloudflare is not connected. */
export function routerOf(ctx: StepContext) {
  const cf = ctx.env.bindings.cloudflare;
  if (!cf) throw new Error(`Cloudflare is not connected for ${ctx.env.env}: a weighted canary needs its load balancer`);
  return ctx.trafficFor(cf);
}

async function domainOf(ctx: StepContext, service: string): Promise<string> {
  const binding = ctx.env.bindings.railway!;
  const id = binding.services[service];
  if (!id) throw new Error(`${service} has no Railway service binding`);
  const domains = await ctx.railway.listServiceDomains(binding.projectId, binding.environmentId, id);
  if (!domains[0]) throw new Error(`${service} has no Railway domain to route to`);
  return domains[0].domain;
}

/** Ensures the load balancer between the stable service and its canary twin, at 0% canary. */
export const canarySplit: StepExecutor = async (ctx) => {
  const service = String(ctx.step.params.service);
  const hostname = ctx.env.spec.domains[service];
  const spec = ctx.env.spec.services[service];
  if (!hostname || !spec?.healthPath)
    return { kind: "fail", error: `${service} needs a domain and a health path for a canary` };
  const router = routerOf(ctx);
  const binding = await router.ensureSplit({
    hostname,
    stableOrigin: await domainOf(ctx, service),
    canaryOrigin: await domainOf(ctx, `${service}-canary`),
    healthPath: spec.healthPath,
    namePrefix: `${ctx.env.projectSlug}-${ctx.env.name}-${service}`,
  });
  await router.setCanaryWeight(binding, 0);
  ctx.run.outputs.traffic = binding;
  const steps = ctx.run.plan.steps.filter((s) => s.kind === "canary-step").map((s) => Number(s.params.weight));
  saveCanary(ctx, {
    phase: "idle",
    service,
    weight: 0,
    steps,
    stepIndex: 0,
    lastScore: null,
    history: [{ at: isoAt(ctx.now()), phase: "idle", weight: 0 }],
  });
  return { kind: "done", note: `${hostname}: stable ${service} 100%, ${service}-canary 0%` };
};

/** Deploys the release to the stable service, then moves all traffic back to it: the canary is drained. */
export const canaryPromote: StepExecutor = async (ctx) => {
  const service = String(ctx.step.params.service);
  const ref = output<Record<string, PinnedRef>>(ctx.run, "refs")[service];
  let { canary, binding } = canaryOf(ctx);
  if (canary.phase !== "promoting") saveCanary(ctx, (canary = canaryTransition(canary, "promoting", isoAt(ctx.now()))));
  const railway = ctx.env.bindings.railway!;
  const serviceId = railway.services[service];
  const result = await driveDeployment(ctx, service, ref.sha, () =>
    ctx.railway.deployService(serviceId, railway.environmentId, ref.sha),
  );
  if ("kind" in result) return result;
  const deployed = (ctx.run.outputs.deployed ?? {}) as ReleaseServices;
  deployed[service] = { commitSha: ref.sha, commitMessage: ref.message, deploymentId: result.id };
  ctx.run.outputs.deployed = deployed;
  await routerOf(ctx).setCanaryWeight(binding, 0);
  saveCanary(ctx, canaryTransition({ ...canary, weight: 0 }, "succeeded", isoAt(ctx.now())));
  return {
    kind: "done",
    note: `${service} runs ${ref.message} on stable with 100% of traffic; ${service}-canary drained`,
  };
};
