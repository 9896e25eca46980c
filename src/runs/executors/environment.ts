import type { Bindings } from "../../domain/spec";
import type { StepParams } from "../../domain/steps";
import type { StepContext, StepExecutor, StepResult } from "../context";
import { zoneFor } from "./connections";

type EnvironmentTarget = StepParams<"ensure-environment">;
/** A provisioned environment to copy. */
type SourceBindings = NonNullable<EnvironmentTarget["source"]>;
/** A fresh setup: the Railway project to find or create by name, and the Cloudflare zone that serves the domains. */
type FreshTarget = NonNullable<EnvironmentTarget["fresh"]>;

/**
 * Binds the environment to a Railway environment. Copy mode (`source`): a server-side copy of a
 * provisioned one (services, settings and variables; no deploys). Fresh mode (`fresh`): the project and
 * an empty environment found or created by name; later steps create the services and components.
 * Neither projectCreate nor environmentCreate is idempotent: every create looks by name first.
 */
export const ensureEnvironment: StepExecutor<"ensure-environment"> = async (ctx) => {
  if (ctx.env.bindings.railway)
    return {
      kind: "done",
      note: `${ctx.env.env} is already bound to Railway environment ${ctx.env.bindings.railway.environmentId}`,
    };
  const { fresh, source } = ctx.step.params;
  if (fresh) return ensureFresh(ctx, fresh);
  if (source) return ensureCopy(ctx, source);
  return { kind: "fail", error: "the plan names neither an environment to copy nor a fresh setup" };
};

async function ensureCopy(ctx: StepContext, source: SourceBindings): Promise<StepResult> {
  const project = (await ctx.railway.listProjects()).find((p) => p.id === source.railway.projectId);
  if (!project)
    return { kind: "fail", error: `Railway project ${source.railway.projectId} is not visible to this token` };
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
  await bind(ctx, bindings);
  return {
    kind: "done",
    note: `${created ? "created" : "found"} Railway environment ${ctx.env.name} (${environment.id})${created ? ` as a copy of ${source.name}` : ""}`,
  };
}

async function ensureFresh(ctx: StepContext, target: FreshTarget): Promise<StepResult> {
  const { state } = ctx.step;
  let project = (await ctx.railway.listProjects()).find((p) => p.name === target.projectName);
  const made: string[] = [];
  if (!project) {
    // A create whose answer was lost may still have happened: look again before sending a second one.
    if (state.projectSent)
      return {
        kind: "fail",
        error: `Railway project ${target.projectName} was requested but does not appear yet`,
        retryAfterMs: ctx.pollMs,
      };
    state.projectSent = true;
    ctx.save();
    project = await ctx.railway.createProject(target.projectName, target.workspaceId);
    made.push(`project ${target.projectName}`);
  }
  let environment = project.environments.find((e) => e.name === ctx.env.name);
  if (!environment) {
    if (state.environmentSent)
      return {
        kind: "fail",
        error: `Railway environment ${ctx.env.name} was requested but does not appear yet`,
        retryAfterMs: ctx.pollMs,
      };
    state.environmentSent = true;
    ctx.save();
    environment = await ctx.railway.createEnvironment(project.id, ctx.env.name);
    made.push(`environment ${ctx.env.name}`);
  }
  // Services already there under the spec's names are adopted; reconcile-shape creates the rest.
  const existing = await ctx.railway.listServices(project.id);
  const wanted = new Set([...Object.keys(ctx.env.spec.services), "Postgres", "Redis"]);
  const services = Object.fromEntries(existing.filter((s) => wanted.has(s.name)).map((s) => [s.name, s.id]));
  const cloudflare = target.domains?.length ? await zoneBinding(ctx, target.domains[0]) : undefined;
  await bind(ctx, {
    ...ctx.env.bindings,
    railway: { projectId: project.id, environmentId: environment.id, services },
    ...(cloudflare ? { cloudflare } : {}),
  });
  return {
    kind: "done",
    note: `${made.length ? `created ${made.join(" and ")}` : "found the Railway project and environment"} (${environment.id})${cloudflare ? `; DNS zone ${cloudflare.zoneName}` : ""}`,
  };
}

/** The Cloudflare zone binding for a hostname, when the connection's token can see a zone holding it. */
async function zoneBinding(ctx: StepContext, hostname: string): Promise<Bindings["cloudflare"]> {
  const cloudflare = ctx.connections?.cloudflare;
  const zone = cloudflare ? await zoneFor(cloudflare, hostname) : null;
  return zone?.accountId ? { accountId: zone.accountId, zoneId: zone.id, zoneName: zone.name } : undefined;
}

async function bind(ctx: StepContext, bindings: Bindings): Promise<void> {
  await ctx.port.saveBindings(ctx.env.envId, bindings);
  ctx.env.bindings = bindings;
}
