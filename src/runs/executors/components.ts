import type { ComponentSpec, EnvironmentSpec } from "../../domain/spec";
import { COMPONENT_LIMITS, EnvironmentSpec as EnvironmentSpecSchema } from "../../domain/spec";
import type { StepContext, StepExecutor } from "../context";
import { railwayOf } from "../railway-binding";
import { componentServiceName } from "./prepare";

/** The Railway template a component comes from (storage has none: it is a bucket, not a service). */
const TEMPLATE: Partial<Record<ComponentSpec["type"], "postgres" | "redis">> = { postgres: "postgres", redis: "redis" };

/** Applies the run's desired-state change as a new revision; later steps of the run use it. */
export const updateSpec: StepExecutor<"update-spec"> = async (ctx) => {
  if (ctx.run.outputs.specRevision)
    return { kind: "done", note: `revision ${ctx.run.outputs.specRevision} already written` };
  const { action, component, size } = ctx.step.params;
  const next: EnvironmentSpec = EnvironmentSpecSchema.parse(structuredClone(ctx.env.spec));
  if (action === "add") next.components[component] = { type: component, size: size ?? "small" };
  else if (action === "resize") {
    if (!size) return { kind: "fail", error: `resizing ${component} needs a size` };
    next.components[component] = { ...next.components[component], size };
  } else delete next.components[component];
  const revision = await ctx.port.reviseSpec(
    ctx.env.envId,
    ctx.run.plan.specRevision,
    next,
    ctx.run.requestedBy ?? "infra-chat",
    `${action} ${component} (run ${ctx.run.id})`,
  );
  ctx.run.outputs.specRevision = revision;
  ctx.save();
  const change =
    action === "resize"
      ? `components.${component}.size = ${size}`
      : `${action === "add" ? "+" : "-"} components.${component}`;
  return { kind: "done", note: `desired state revision ${revision}: ${change}` };
};

/** Creates the component's provider service from its template when this environment lacks it. */
export const ensureComponent: StepExecutor<"ensure-component"> = async (ctx) => {
  const { component } = ctx.step.params;
  const template = TEMPLATE[component];
  if (!template) return { kind: "done", note: `${component} needs no provider service` };
  const binding = railwayOf(ctx);
  const name = componentServiceName(component);
  const { state } = ctx.step;
  const present = await instanceOf(ctx, name);
  if (present) {
    await ctx.port.saveBindings(ctx.env.envId, {
      ...ctx.env.bindings,
      railway: { ...binding, services: { ...binding.services, [name]: present } },
    });
    return { kind: "done", note: `${name} present (${present})` };
  }
  if (!state.sent) {
    // Template deploys are not idempotent: mark before sending, and look before sending again.
    state.sent = true;
    ctx.save();
    state.workflowId = (
      await ctx.railway.deployTemplate({
        code: template,
        projectId: binding.projectId,
        environmentId: binding.environmentId,
      })
    ).workflowId;
    ctx.save();
  }
  if (state.workflowId) {
    const workflow = await ctx.railway.workflowStatus(state.workflowId);
    if (workflow.status === "Error" || workflow.status === "NotFound")
      return { kind: "fail", error: `${name} template deploy ${workflow.status}: ${workflow.error ?? ""}` };
    if (workflow.status !== "Complete")
      return { kind: "wait", ms: ctx.pollMs, note: `${name} template ${workflow.status.toLowerCase()}` };
  }
  return { kind: "wait", ms: ctx.pollMs, note: `waiting for ${name} to appear` };
};

/** Deletes the component's provider service in this environment (its data goes with it). */
export const removeComponent: StepExecutor<"remove-component"> = async (ctx) => {
  const name = componentServiceName(ctx.step.params.component);
  const id = await instanceOf(ctx, name);
  const binding = railwayOf(ctx);
  if (id) await ctx.railway.deleteService(id, binding.environmentId);
  const { [name]: _gone, ...services } = binding.services;
  await ctx.port.saveBindings(ctx.env.envId, { ...ctx.env.bindings, railway: { ...binding, services } });
  return { kind: "done", note: id ? `${name} deleted in ${ctx.env.env}` : `${name} was already gone` };
};

/** Sets the component's provider service to its size's memory and vCPU limits (setting them again is harmless). */
export const resizeComponent: StepExecutor<"resize-component"> = async (ctx) => {
  const { component, size } = ctx.step.params;
  const name = componentServiceName(component);
  const id = await instanceOf(ctx, name);
  if (!id) return { kind: "fail", error: `${name} is missing at Railway in ${ctx.env.env}: run setup` };
  const limits = COMPONENT_LIMITS[size];
  await ctx.railway.setServiceLimits(railwayOf(ctx).environmentId, id, limits);
  return { kind: "done", note: `${name} in ${ctx.env.env}: ${limits.memoryGB} GB, ${limits.vCPUs} vCPU (${size})` };
};

/** The id of the named service when it has an instance in this environment. */
async function instanceOf(ctx: StepContext, name: string): Promise<string | null> {
  const binding = railwayOf(ctx);
  const service = (await ctx.railway.listServices(binding.projectId)).find((s) => s.name === name);
  if (!service) return null;
  return ctx.railway.getServiceInstance(service.id, binding.environmentId).then(
    () => service.id,
    () => null,
  );
}
