import type { CanaryState } from "../../domain/canary";
import { canaryTransition } from "../../domain/canary";
import { EDGE_ROUTER_SECRET, type RouterKind, type TrafficBinding } from "../../domain/traffic";
import { parseSequentialConfig, type SequentialJudgeConfig } from "../../monitor/sequential/config";
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

/** The routers of this environment's Cloudflare zone; fails clearly when Cloudflare is not connected. */
export function routerOf(ctx: StepContext) {
  const cf = ctx.env.bindings.cloudflare;
  if (!cf) throw new Error(`Cloudflare is not connected for ${ctx.env.env}: a weighted canary needs a traffic router`);
  const { envId } = ctx.env;
  return ctx.trafficFor(cf, { envId, routerSecret: () => ctx.port.resolveSecret(envId, EDGE_ROUTER_SECRET) });
}

/** The sequential judge's settings: the policy's, with the policy's critical log patterns. */
export function sequentialConfigOf(ctx: StepContext): SequentialJudgeConfig {
  const policy = ctx.env.spec.policies.canary;
  const cfg = parseSequentialConfig(policy.sequential);
  return { ...cfg, logs: { ...cfg.logs, patterns: policy.criticalPatterns } };
}

/** The router the policy names, or the one the account can have (the load balancer needs its add-on). */
async function routerKindOf(ctx: StepContext): Promise<RouterKind> {
  return ctx.env.spec.policies.canary.router ?? (await routerOf(ctx).defaultKind());
}

/** A fresh random secret for an environment's edge router, stored before the router is uploaded with it. */
async function ensureRouterSecret(ctx: StepContext): Promise<void> {
  if ((await ctx.port.secretNames(ctx.env.envId)).includes(EDGE_ROUTER_SECRET)) return;
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const secret = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  await ctx.port.putSecret(ctx.env.envId, EDGE_ROUTER_SECRET, secret);
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

/**
 * Ensures the split between the stable service and its canary twin, at 0% canary: a load balancer, or the
 * edge router (uploaded with the environment's router secret and routed on the hostname). Opens the run's
 * judge, so the router's reports have somewhere to go from the first step on.
 */
export const canarySplit: StepExecutor<"canary-split"> = async (ctx) => {
  const { service } = ctx.step.params;
  const hostname = ctx.env.spec.domains[service];
  const spec = ctx.env.spec.services[service];
  if (!hostname || !spec?.healthPath)
    return { kind: "fail", error: `${service} needs a domain and a health path for a canary` };
  const kind = await routerKindOf(ctx);
  if (kind === "edge") await ensureRouterSecret(ctx);
  const router = routerOf(ctx);
  const route = `${ctx.env.env}/${service}`;
  const binding = await router.ensureSplit({
    router: kind,
    hostname,
    stableOrigin: await domainOf(ctx, service),
    canaryOrigin: await domainOf(ctx, `${service}-canary`),
    healthPath: spec.healthPath,
    namePrefix: `${ctx.env.projectSlug}-${ctx.env.name}-${service}`,
    route,
  });
  await router.setCanaryWeight(binding, 0);
  ctx.run.outputs.traffic = binding;
  const policy = ctx.env.spec.policies.canary;
  ctx.run.outputs.canaryJudge = policy.judge;
  if (policy.judge === "sequential")
    ctx.judges.open(ctx.run.id, {
      route,
      router: kind,
      autoRollback: ctx.env.spec.policies.autoRollback,
      config: sequentialConfigOf(ctx),
      at: ctx.now(),
    });
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
  const by = kind === "edge" ? "the edge router" : "a load balancer";
  return { kind: "done", note: `${hostname}: stable ${service} 100%, ${service}-canary 0% (split by ${by})` };
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
  const router = routerOf(ctx);
  await router.setCanaryWeight(binding, 0);
  await router.release(binding);
  saveCanary(ctx, canaryTransition({ ...canary, weight: 0 }, "succeeded", isoAt(ctx.now())));
  return {
    kind: "done",
    note: `${service} runs ${ref.message} on stable with 100% of traffic; ${service}-canary drained`,
  };
};
