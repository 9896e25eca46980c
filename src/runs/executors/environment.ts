import type { Bindings } from "../../domain/spec";
import type { StepExecutor } from "../context";

interface SourceBindings {
  name: string;
  railway: NonNullable<Bindings["railway"]>;
  cloudflare?: Bindings["cloudflare"];
}

/**
 * Creates the environment at Railway as a server-side copy of a provisioned one (services, settings and
 * variables; no deploys) and binds it. environmentCreate is not idempotent: look for it by name first.
 */
export const ensureEnvironment: StepExecutor = async (ctx) => {
  if (ctx.env.bindings.railway) return { kind: "done", note: `${ctx.env.env} is already bound to Railway environment ${ctx.env.bindings.railway.environmentId}` };
  const source = ctx.step.params.source as SourceBindings;
  const project = (await ctx.railway.listProjects()).find((p) => p.id === source.railway.projectId);
  if (!project) return { kind: "fail", error: `Railway project ${source.railway.projectId} is not visible to this token` };
  let environment = project.environments.find((e) => e.name === ctx.env.name);
  let created = false;
  if (!environment) {
    environment = await ctx.railway.createEnvironment(project.id, ctx.env.name, source.railway.environmentId);
    created = true;
  }
  const bindings: Bindings = {
    ...ctx.env.bindings,
    railway: { projectId: project.id, environmentId: environment.id, services: { ...source.railway.services } },
    ...(source.cloudflare ? { cloudflare: source.cloudflare } : {}),
  };
  await ctx.port.saveBindings(ctx.env.envId, bindings);
  ctx.env.bindings = bindings;
  return { kind: "done", note: `${created ? "created" : "found"} Railway environment ${ctx.env.name} (${environment.id})${created ? ` as a copy of ${source.name}` : ""}` };
};
