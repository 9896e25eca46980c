import type { StepContext, StepExecutor } from "../context";
import type { ServiceSpec } from "../../domain/spec";
import type { RailwayInstanceSettings } from "../../providers/railway/api";
import { componentServiceName } from "./prepare";

/** The variable a service gets for a component it depends on. */
export const COMPONENT_OUTPUT: Partial<Record<string, string>> = { postgres: "DATABASE_URL", redis: "REDIS_URL" };

/** A job-style Railway service that only runs its service's migrations as a pre-deploy command. */
export function migrationJobName(service: string): string {
  return `${service}-migrate`;
}

interface ShapeTarget {
  name: string;
  spec: ServiceSpec;
  settings: RailwayInstanceSettings;
  /** Needs its own Railway domain (canary twins: the load balancer's second origin). */
  domain?: boolean;
}

function shapeTargets(ctx: StepContext<"reconcile-shape" | "reconcile-config">): ShapeTarget[] {
  const canaries = new Set(ctx.step.params.canary ?? []);
  // A deploy of some services leaves the others as they are: not even their settings or variables change.
  const only = ctx.step.params.services ? new Set(ctx.step.params.services) : null;
  const services = Object.entries(ctx.env.spec.services).filter(([name]) => !only || only.has(name));
  return services.flatMap(([name, spec]) => {
    const own: ShapeTarget = {
      name,
      spec,
      // Public HTTP services need a Railway domain: health checks, the ops contract and load balancers use it.
      domain: spec.kind === "service" && Boolean(spec.healthPath && spec.port),
      settings: {
        startCommand: spec.startCommand ?? null,
        healthcheckPath: spec.kind === "service" ? (spec.healthPath ?? null) : null,
        numReplicas: spec.replicas,
        cronSchedule: spec.kind === "cron" ? (spec.schedule ?? null) : null,
        rootDirectory: spec.source.path === "." ? null : spec.source.path,
      },
    };
    // Railway has no traffic split: the canary is a twin service with the same source and settings.
    const twin: ShapeTarget[] = canaries.has(name)
      ? [{ name: `${name}-canary`, spec, settings: { ...own.settings, numReplicas: 1 }, domain: true }]
      : [];
    if (!spec.migrateCommand) return [own, ...twin];
    // Railway has no one-off command API; a pre-deploy command is its supported place for migrations.
    const job: ShapeTarget = {
      name: migrationJobName(name),
      spec,
      settings: {
        preDeployCommand: [spec.migrateCommand],
        startCommand: "true",
        restartPolicyType: "NEVER",
        numReplicas: 1,
        rootDirectory: own.settings.rootDirectory,
      },
    };
    return [job, own, ...twin];
  });
}

/** Ensures every service (and migration job) of the spec exists at Railway with the spec's settings. */
export const reconcileShape: StepExecutor<"reconcile-shape"> = async (ctx) => {
  const binding = ctx.env.bindings.railway;
  if (!binding) return { kind: "fail", error: "not provisioned" };
  const existing = new Map((await ctx.railway.listServices(binding.projectId)).map((s) => [s.name, s.id]));
  const created: string[] = [];
  const services = { ...binding.services };
  for (const target of shapeTargets(ctx)) {
    let id = existing.get(target.name);
    if (!id) {
      // Created empty: Railway deploys a service created with a source at once, before its settings exist.
      const service = await ctx.railway.createService({
        projectId: binding.projectId,
        environmentId: binding.environmentId,
        name: target.name,
      });
      id = service.id;
      created.push(target.name);
    }
    services[target.name] = id;
    await ctx.railway.updateServiceInstance(id, binding.environmentId, {
      ...target.settings,
      source: { repo: target.spec.source.repo },
    });
    if (
      target.domain &&
      (await ctx.railway.listServiceDomains(binding.projectId, binding.environmentId, id)).length === 0
    ) {
      await ctx.railway.createServiceDomain(id, binding.environmentId, target.spec.port);
    }
  }
  for (const [name, id] of existing) if (name === "Postgres" || name === "Redis") services[name] = id;
  await ctx.port.saveBindings(ctx.env.envId, { ...ctx.env.bindings, railway: { ...binding, services } });
  ctx.env.bindings = { ...ctx.env.bindings, railway: { ...binding, services } };
  return { kind: "done", note: created.length ? `created ${created.join(", ")}` : "all services present" };
};

/** Sets each service's variables to the spec: literals, decrypted secrets, component references. */
export const reconcileConfig: StepExecutor<"reconcile-config"> = async (ctx) => {
  const binding = ctx.env.bindings.railway;
  if (!binding) return { kind: "fail", error: "not provisioned" };
  const notes: string[] = [];
  for (const target of shapeTargets(ctx)) {
    const serviceId = binding.services[target.name];
    // Plumbing services (migration jobs, canary twins) are created by the next deploy's reconcile-shape.
    if (!serviceId && !(target.name in ctx.env.spec.services)) continue;
    if (!serviceId)
      return { kind: "fail", error: `${target.name} has no Railway service: reconcile-shape did not run` };
    const desired: Record<string, string> = {};
    if (target.spec.port && target.spec.kind === "service" && !target.name.endsWith("-migrate"))
      desired.PORT = String(target.spec.port);
    // A declared dependency on a component that exists binds its standard output (e.g. REDIS_URL).
    for (const dep of target.spec.dependsOn) {
      const component = ctx.env.spec.components[dep];
      const output = component && COMPONENT_OUTPUT[component.type];
      if (output && !(output in target.spec.env))
        desired[output] = `\${{${componentServiceName(component.type)}.${output}}}`;
    }
    for (const [name, v] of Object.entries(target.spec.env)) {
      if ("value" in v) desired[name] = v.value;
      else if ("component" in v)
        desired[name] =
          `\${{${componentServiceName(ctx.env.spec.components[v.component]?.type ?? v.component)}.${v.output}}}`;
      else {
        const secret = await ctx.port.resolveSecret(ctx.env.envId, v.secret);
        if (secret === null) return { kind: "fail", error: `secret ${v.secret} is not set for ${ctx.env.env}` };
        desired[name] = secret;
      }
    }
    const current = await ctx.railway.getVariables(binding.projectId, binding.environmentId, serviceId);
    const removals = (ctx.step.params.removeVars?.[target.name] ?? []).filter((n) => n in current && !(n in desired));
    for (const name of removals)
      await ctx.railway.deleteVariable({
        projectId: binding.projectId,
        environmentId: binding.environmentId,
        serviceId,
        name,
      });
    if (removals.length) notes.push(`${target.name}: removed ${removals.join(", ")}`);
    const changed = Object.fromEntries(Object.entries(desired).filter(([k, v]) => current[k] !== v));
    if (Object.keys(changed).length === 0) continue;
    // skipDeploys: the deploy steps decide when services restart, not the variable write.
    await ctx.railway.upsertVariables({
      projectId: binding.projectId,
      environmentId: binding.environmentId,
      serviceId,
      variables: changed,
      skipDeploys: true,
    });
    notes.push(`${target.name}: ${Object.keys(changed).sort().join(", ")}`);
  }
  return { kind: "done", note: notes.length ? `variables set — ${notes.join("; ")}` : "variables already match" };
};
