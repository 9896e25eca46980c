import type { CanaryState } from "../../domain/canary";
import { canaryTransition } from "../../domain/canary";
import type { TrafficBinding } from "../../domain/traffic";
import type { StepContext, StepExecutor } from "../context";
import { output } from "../context";
import { driveDeployment, recordDeployed } from "../executors/deploy";
import { railwayOf, serviceIdOf } from "../railway-binding";
import { isoAt } from "../../domain/time";

/** The canary state and split persisted in run outputs. */
export function canaryOf(ctx: StepContext): { canary: CanaryState; binding: TrafficBinding } {
  return { canary: output(ctx.run, "canary"), binding: output(ctx.run, "traffic") };
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
  const binding = railwayOf(ctx);
  const domains = await ctx.railway.listServiceDomains(
    binding.projectId,
    binding.environmentId,
    serviceIdOf(ctx, service),
  );
  if (!domains[0]) throw new Error(`${service} has no Railway domain to route to`);
  return domains[0].domain;
}

/** Ensures the load balancer between the stable service and its canary twin, at 0% canary. */
export const canarySplit: StepExecutor<"canary-split"> = async (ctx) => {
  const { service } = ctx.step.params;
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
  const steps = ctx.run.plan.steps.flatMap((s) => (s.kind === "canary-step" ? [s.params.weight] : []));
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
export const canaryPromote: StepExecutor<"canary-promote"> = async (ctx) => {
  const { service } = ctx.step.params;
  const ref = output(ctx.run, "refs")[service];
  if (!ref) return { kind: "fail", error: `no pinned commit for ${service}` };
  let { canary, binding } = canaryOf(ctx);
  if (canary.phase !== "promoting") saveCanary(ctx, (canary = canaryTransition(canary, "promoting", isoAt(ctx.now()))));
  const { environmentId } = railwayOf(ctx);
  const result = await driveDeployment(ctx, service, ref.sha, () =>
    ctx.railway.deployService(serviceIdOf(ctx, service), environmentId, ref.sha),
  );
  if ("kind" in result) return result;
  recordDeployed(ctx, service, { commitSha: ref.sha, commitMessage: ref.message, deploymentId: result.id });
  await routerOf(ctx).setCanaryWeight(binding, 0);
  saveCanary(ctx, canaryTransition({ ...canary, weight: 0 }, "succeeded", isoAt(ctx.now())));
  return {
    kind: "done",
    note: `${service} runs ${ref.message} on stable with 100% of traffic; ${service}-canary drained`,
  };
};
